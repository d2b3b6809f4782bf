//! The AWS CLI's `--output text` and `--output table` formatters.
//!
//! This module reproduces, byte for byte, what the AWS CLI v1 (`awscli` on PyPI)
//! prints for a response with `--output text` ([`text`]) and with
//! `--output table --color off` ([`table`]). It ports the algorithms of
//! `awscli/text.py` (`format_text`), `awscli/formatter.py` (`TextFormatter`,
//! `TableFormatter`) and `awscli/table.py` (`MultiTable`, `Section`,
//! `center_text`, `align_left`, `get_text_length`, ...):
//!
//! * **Text.** A scalar is printed on its own line. An object prints its scalar
//!   values, sorted by key, on one tab-separated line, prefixed by the
//!   uppercased key it was found under (its identifier) when it has one; its
//!   non-scalar values follow, sorted by key, each with its key as identifier.
//!   A list of objects uses one column per key that is scalar in any of the
//!   objects (sorted), with an empty field where an object lacks the key. A
//!   list of scalars prints one `IDENTIFIER<TAB>value` line per element, or a
//!   single tab-separated line when there is no identifier. A list holding
//!   lists prints its scalars first, then each nested list in turn.
//! * **Table.** The output is a sequence of sections, each with a centred
//!   title. An object with several scalar values becomes a header row of its
//!   sorted keys over a row of values; an object with a single scalar value, a
//!   `key | value` row. A list of objects becomes one row per object under the
//!   sorted union of their scalar keys (the header is repeated, in a new
//!   section, before each object when the objects have non-scalar values). A
//!   list of scalars or of lists of scalars becomes one row per element. Every
//!   non-scalar value becomes a sub-section titled by its key and indented by
//!   one `|` on each side. All sections share the width of the widest one;
//!   columns are scaled to it with Python's round-half-to-even and awscli's
//!   off-by-one corrections. When that width exceeds the terminal width, each
//!   section that has a header and exactly one row is turned into a vertical
//!   `key | value` section; nothing is wrapped or truncated, so lines may still
//!   be wider than the terminal.
//! * **Values** are printed as Python's `str()` would print what `json.loads`
//!   returns: `None`, `True`/`False`, integers in decimal, floats in Python's
//!   shortest round-trip `repr` (`1.0`, `1e+16`, `1e-05`), strings as they
//!   are, and lists or objects (which appear where a key is scalar in one
//!   object of a list and not in another) as Python's `repr`
//!   (`['a', 1, None]`, `{'k': "it's"}`).
//! * **Unicode.** Column widths count a character of East Asian Width W, F or
//!   A as two columns; `repr` escapes the characters `str.isprintable()`
//!   rejects; identifiers are uppercased with `str.upper()`'s full mappings
//!   (`ß` → `SS`). The tables follow Python's `unicodedata` version
//!   [`UNICODE_VERSION`] (Python 3.11); `scripts/unicode_tables.py` prints
//!   them for another Python.
//! * **Errors.** Some shapes make awscli raise (a list mixing objects and
//!   other values, table rows of different lengths): the CLI then exits with
//!   status 255 after printing an error on stderr. These functions return
//!   what it had written to stdout by then: for text, the lines printed before
//!   the failing list; for a table, nothing.
//!
//! Not reproduced:
//!
//! * Pagination: for a paginated operation, awscli's text formatter formats
//!   each page on its own (so column sets are computed per page) and appends a
//!   `NEXTTOKEN` line when it stops early. [`text`] formats one document, like
//!   an operation that was not paginated (or a single page).
//! * Removal of `ResponseMetadata`: awscli drops that key from the raw
//!   response before applying `--query`. The value given here is the response
//!   after `--query`, and is printed as it is.
//! * Colour: `--color on` (and `auto` on a terminal) adds ANSI escapes around
//!   row values and indentation bars; this module prints `--color off`.
//! * Terminal width detection: awscli asks the terminal for its width and uses
//!   80 when it cannot; [`table`] takes the width as an argument.
//! * Line endings: lines end with `\n`, as on Linux and macOS (Windows' text
//!   mode stdout writes `\r\n`).
//! * Values JSON cannot hold: botocore's `bytes` blobs and integers beyond
//!   64 bits (which `serde_json` stores as `f64` unless its
//!   `arbitrary_precision` feature is enabled, in which case their digits are
//!   printed as they are).

use serde_json::{Map, Number, Value};

/// What `aws <service> <op> --output text` prints for `value` (the response after --query).
pub fn text(value: &Value) -> String {
    let mut out = String::new();
    // On error awscli stops; whatever it wrote before stays on stdout.
    let _ = format_text(value, None, None, &mut out);
    out
}

/// What `aws <service> <op> --output table --color off` prints for `value`, for the
/// operation's name as the table title (e.g. "DescribeImages"), at terminal width `width`.
pub fn table(value: &Value, title: &str, width: usize) -> String {
    let mut multi = MultiTable::new(width);
    match build_table(&mut multi, Some(title), value, 0) {
        Ok(true) => multi.render(),
        // Nothing to print, or awscli raised while building the table (before
        // writing anything).
        Ok(false) | Err(Raised) => String::new(),
    }
}

/// awscli raises an exception for this input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Raised;

pub(super) type Result<T> = std::result::Result<T, Raised>;

// ---------------------------------------------------------------------------
// Python value semantics
// ---------------------------------------------------------------------------

/// `isinstance(value, (list, dict))`.
pub(super) fn is_container(value: &Value) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

/// Python's truth value of what `json.loads` returns for `value`.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Python's `str(value)`.
pub(super) fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            py_repr(other, &mut out);
            out
        }
    }
}

/// Appends Python's `repr(value)` to `out`.
fn py_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&number_repr(n)),
        Value::String(s) => string_repr(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string_repr(key, out);
                out.push_str(": ");
                py_repr(item, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr()` of the `int` or `float` that `json.loads` makes of `n`.
fn number_repr(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        i.to_string()
    } else if n.is_f64() {
        float_repr(n.as_f64().unwrap_or(f64::NAN))
    } else {
        // An integer beyond 64 bits, kept as text by `arbitrary_precision`.
        n.to_string()
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed
/// notation for `1e-4 <= |x| < 1e16` (with a `.0` for integral values) and in
/// exponent notation (`1e+16`, `1.5e-07`) otherwise.
fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    if x == 0.0 {
        out.push_str("0.0");
        return out;
    }
    let (digits, exponent) = shortest_digits(x.abs());
    // Position of the decimal point relative to the digits, as in dtoa.
    let decpt = exponent + 1;
    let ndigits = digits.len() as i64;
    if decpt <= -4 || decpt > 16 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    } else if decpt <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-decpt) as usize));
        out.push_str(&digits);
    } else if decpt >= ndigits {
        out.push_str(&digits);
        out.push_str(&"0".repeat((decpt - ndigits) as usize));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
    out
}

/// The digits and decimal exponent of `x > 0` as Python's `repr` chooses
/// them: the fewest significant digits that read back as `x` and, among
/// those, the ones nearest to `x`, ties going to an even last digit.
fn shortest_digits(x: f64) -> (String, i64) {
    fn split(sci: &str) -> (String, i64) {
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
        let mut digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
        }
        (digits, exponent.parse().unwrap_or(0))
    }
    // `{:e}` gives the fewest digits, but breaks exact ties upwards.
    let shortest = format!("{x:e}");
    let count = split(&shortest).0.len();
    // `{:.N$e}` rounds the exact value half to even.
    let nearest = format!("{:.*e}", count - 1, x);
    if nearest.parse::<f64>() == Ok(x) {
        split(&nearest)
    } else {
        split(&shortest)
    }
}

/// Appends Python's `repr(str)`: single quotes unless the string holds a
/// single quote and no double quote; backslash escapes for the quote,
/// backslash, tab, newline and carriage return; `\xhh`, `\uhhhh` or
/// `\Uhhhhhhhh` for the other characters `str.isprintable()` rejects.
fn string_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        let cp = c as u32;
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if cp < 0x20 || cp == 0x7f => out.push_str(&format!("\\x{cp:02x}")),
            _ if cp < 0x7f || is_printable(c) => out.push(c),
            _ if cp <= 0xff => out.push_str(&format!("\\x{cp:02x}")),
            _ if cp <= 0xffff => out.push_str(&format!("\\u{cp:04x}")),
            _ => out.push_str(&format!("\\U{cp:08x}")),
        }
    }
    out.push(quote);
}

/// Python's `str.upper()`.
pub(super) fn py_upper(s: &str) -> String {
    if s.is_ascii() {
        // The tables agree with ASCII's own mapping there.
        return s.to_ascii_uppercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_upper(c, &mut out);
    }
    out
}

fn push_upper(c: char, out: &mut String) {
    if let Ok(i) = UPPER_SPECIAL.binary_search_by_key(&c, |&(from, _)| from) {
        out.push_str(UPPER_SPECIAL[i].1);
        return;
    }
    let cp = c as u32;
    let run = UPPER_RUNS.partition_point(|&(first, ..)| first <= cp);
    if run > 0 {
        let (first, last, stride, delta) = UPPER_RUNS[run - 1];
        if cp <= last && (cp - first).is_multiple_of(stride) {
            let mapped = cp.checked_add_signed(delta).and_then(char::from_u32);
            out.push(mapped.unwrap_or(c));
            return;
        }
    }
    out.push(c);
}

/// Whether `cp` lies in one of the ranges `[bounds[2k], bounds[2k + 1])`.
fn in_ranges(bounds: &[u32], cp: u32) -> bool {
    bounds.partition_point(|&b| b <= cp) % 2 == 1
}

/// Python's `str.isprintable()` for one character.
fn is_printable(c: char) -> bool {
    !in_ranges(&NON_PRINTABLE, c as u32)
}

/// `awscli.table.get_text_length`: characters of East Asian Width W, F or A
/// count as two columns, every other character as one.
pub(super) fn text_length(s: &str) -> usize {
    if s.is_ascii() {
        // No ASCII character is wide or ambiguous.
        return s.len();
    }
    s.chars()
        .map(|c| if in_ranges(&WIDE, c as u32) { 2 } else { 1 })
        .sum()
}

/// `' ' * n` (empty when `n` is negative).
pub(super) fn push_repeat(out: &mut String, c: char, n: i64) {
    let n = n.max(0) as usize;
    out.reserve(n * c.len_utf8());
    out.extend(std::iter::repeat_n(c, n));
}

/// Keys of `map` whose values are scalar and those whose values are not, each
/// sorted (`TableFormatter._group_scalar_keys`).
pub(super) fn group_scalar_keys(map: &Map<String, Value>) -> (Vec<&str>, Vec<&str>) {
    let mut headers = Vec::new();
    let mut more = Vec::new();
    for (key, value) in map {
        if is_container(value) {
            more.push(key.as_str());
        } else {
            headers.push(key.as_str());
        }
    }
    headers.sort_unstable();
    more.sort_unstable();
    (headers, more)
}

// ---------------------------------------------------------------------------
// Text (awscli/text.py)
// ---------------------------------------------------------------------------

pub(super) fn format_text(
    item: &Value,
    identifier: Option<&str>,
    scalar_keys: Option<&[&str]>,
    out: &mut String,
) -> Result<()> {
    match item {
        Value::Object(map) => format_dict(scalar_keys, map, identifier, out),
        Value::Array(list) => format_list(list, identifier, out),
        scalar => {
            out.push_str(&py_str(scalar));
            out.push('\n');
            Ok(())
        }
    }
}

fn format_list(list: &[Value], identifier: Option<&str>, out: &mut String) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    if list.iter().any(Value::is_object) {
        let all_keys = all_scalar_keys(list)?;
        for element in list {
            format_text(element, identifier, Some(&all_keys), out)?;
        }
    } else if list.iter().any(Value::is_array) {
        let (scalars, non_scalars): (Vec<&Value>, Vec<&Value>) =
            list.iter().partition(|v| !is_container(v));
        if !scalars.is_empty() {
            format_scalar_list(&scalars, identifier, out);
        }
        for non_scalar in non_scalars {
            format_text(non_scalar, identifier, None, out)?;
        }
    } else {
        let elements: Vec<&Value> = list.iter().collect();
        format_scalar_list(&elements, identifier, out);
    }
    Ok(())
}

fn format_scalar_list(elements: &[&Value], identifier: Option<&str>, out: &mut String) {
    match identifier {
        Some(identifier) => {
            let upper = py_upper(identifier);
            for item in elements {
                out.push_str(&upper);
                out.push('\t');
                out.push_str(&py_str(item));
                out.push('\n');
            }
        }
        None => {
            let fields: Vec<String> = elements.iter().map(|v| py_str(v)).collect();
            out.push_str(&fields.join("\t"));
            out.push('\n');
        }
    }
}

fn format_dict(
    scalar_keys: Option<&[&str]>,
    map: &Map<String, Value>,
    identifier: Option<&str>,
    out: &mut String,
) -> Result<()> {
    let mut scalars: Vec<String> = Vec::new();
    let mut non_scalars: Vec<(&str, &Value)> = Vec::new();
    match scalar_keys {
        None => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (key, value) in entries {
                if is_container(value) {
                    non_scalars.push((key, value));
                } else {
                    scalars.push(py_str(value));
                }
            }
        }
        Some(keys) => {
            for key in keys {
                scalars.push(map.get(*key).map(py_str).unwrap_or_default());
            }
            let mut remaining: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(key, _)| keys.binary_search(&key.as_str()).is_err())
                .collect();
            remaining.sort_unstable_by(|a, b| a.0.cmp(b.0));
            non_scalars.extend(remaining.into_iter().map(|(k, v)| (k.as_str(), v)));
        }
    }
    if !scalars.is_empty() {
        if let Some(identifier) = identifier {
            scalars.insert(0, py_upper(identifier));
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (key, value) in non_scalars {
        format_text(value, Some(key), None, out)?;
    }
    Ok(())
}

/// Sorted keys having a scalar value in any of the objects of `list`; awscli
/// raises when `list` holds anything but objects.
fn all_scalar_keys(list: &[Value]) -> Result<Vec<&str>> {
    let mut keys: Vec<&str> = Vec::new();
    for element in list {
        let map = element.as_object().ok_or(Raised)?;
        keys.extend(
            map.iter()
                .filter(|(_, v)| !is_container(v))
                .map(|(k, _)| k.as_str()),
        );
    }
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}

// ---------------------------------------------------------------------------
// Table building (TableFormatter in awscli/formatter.py)
// ---------------------------------------------------------------------------

/// `TableFormatter._build_table`: returns whether there is anything to print.
pub(super) fn build_table<S: Sink + ?Sized>(
    table: &mut S,
    title: Option<&str>,
    current: &Value,
    indent_level: usize,
) -> Result<bool> {
    if !is_truthy(current) {
        return Ok(false);
    }
    if let Some(title) = title {
        table.new_section(Some(title), indent_level);
    }
    match current {
        Value::Array(list) => {
            if list[0].is_object() {
                build_sub_table_from_list(table, list, indent_level, title)?;
            } else {
                for item in list {
                    table_row_of_item(table, item)?;
                }
            }
        }
        Value::Object(map) => build_sub_table_from_dict(table, map, indent_level)?,
        _ => {}
    }
    Ok(true)
}

/// One element of a list whose first element is not an object: a row (or, for a list
/// holding containers, a table of its own).
pub(super) fn table_row_of_item<S: Sink + ?Sized>(table: &mut S, item: &Value) -> Result<()> {
    match item {
        Value::Array(elements) if elements.iter().any(is_container) => {
            build_table(table, None, item, 0)?;
        }
        Value::Array(elements) => {
            table.add_row(elements.iter().map(py_str).collect())?;
        }
        // Iterating over a dict yields its keys, all scalar.
        Value::Object(map) => table.add_row(map.keys().cloned().collect())?,
        scalar => table.add_row(vec![py_str(scalar)])?,
    }
    Ok(())
}

fn build_sub_table_from_dict<S: Sink + ?Sized>(
    table: &mut S,
    map: &Map<String, Value>,
    indent_level: usize,
) -> Result<()> {
    let (headers, more) = group_scalar_keys(map);
    if headers.len() == 1 {
        table.add_row(vec![headers[0].to_string(), py_str(&map[headers[0]])])?;
    } else if !headers.is_empty() {
        table.add_row_header(headers.iter().map(|h| h.to_string()).collect())?;
        table.add_row(headers.iter().map(|h| py_str(&map[*h])).collect())?;
    }
    for key in more {
        build_table(table, Some(key), &map[key], indent_level + 1)?;
    }
    Ok(())
}

fn build_sub_table_from_list<S: Sink + ?Sized>(
    table: &mut S,
    list: &[Value],
    indent_level: usize,
    title: Option<&str>,
) -> Result<()> {
    let mut headers: Vec<&str> = Vec::new();
    let mut more: Vec<&str> = Vec::new();
    for element in list {
        if let Some(map) = list_element_map(element)? {
            let (h, m) = group_scalar_keys(map);
            headers.extend(h);
            more.extend(m);
        }
    }
    headers.sort_unstable();
    headers.dedup();
    more.sort_unstable();
    more.dedup();
    table.add_row_header(headers.iter().map(|h| h.to_string()).collect())?;
    for (i, element) in list.iter().enumerate() {
        table_list_element(table, element, i == 0, &headers, &more, title, indent_level)?;
    }
    Ok(())
}

/// An element of a list of objects as awscli sees it: its map, or None for an empty
/// list or string. awscli treats every element as a dict. Iterating over an empty list
/// or string yields no keys, so those pass as elements without keys; any other value
/// makes it raise while grouping the keys (or, for a list of valid indices, when it
/// calls `element.get`).
pub(super) fn list_element_map(element: &Value) -> Result<Option<&Map<String, Value>>> {
    match element {
        Value::Object(map) => Ok(Some(map)),
        Value::Array(a) if a.is_empty() => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        _ => Err(Raised),
    }
}

/// One element of a list of objects under the list's `headers` (the sorted union of
/// its elements' scalar keys) and `more` (of their other keys).
pub(super) fn table_list_element<S: Sink + ?Sized>(
    table: &mut S,
    element: &Value,
    first: bool,
    headers: &[&str],
    more: &[&str],
    title: Option<&str>,
    indent_level: usize,
) -> Result<()> {
    if !first && !more.is_empty() {
        table.new_section(title, indent_level);
        table.add_row_header(headers.iter().map(|h| h.to_string()).collect())?;
    }
    let Some(map) = list_element_map(element)? else {
        // `element.get` on a list or string raises, unless there is no
        // header to look up.
        if !headers.is_empty() {
            return Err(Raised);
        }
        table.add_row(Vec::new())?;
        // `key in element` is false for an empty list, and for an empty
        // string unless the key is empty too (then `""[""]` raises).
        if element.is_string() && more.contains(&"") {
            return Err(Raised);
        }
        return Ok(());
    };
    table.add_row(
        headers
            .iter()
            .map(|h| map.get(*h).map(py_str).unwrap_or_default())
            .collect(),
    )?;
    for key in more {
        if let Some(value) = map.get(*key) {
            build_table(table, Some(key), value, indent_level + 1)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Table rendering (awscli/table.py)
// ---------------------------------------------------------------------------

/// `awscli.table.Section`.
#[derive(Debug, Default)]
pub(super) struct Section {
    /// `None` where awscli's title is `None` (it then counts as the four
    /// characters of `"None"` in width computations but is not printed).
    pub(super) title: Option<String>,
    pub(super) headers: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
    pub(super) indent_level: usize,
    pub(super) num_cols: Option<usize>,
    pub(super) max_widths: Vec<usize>,
}

impl Section {
    pub(super) fn title_length(&self) -> usize {
        text_length(self.title.as_deref().unwrap_or("None"))
    }

    pub(super) fn add_header(&mut self, headers: Vec<String>) -> Result<()> {
        self.update_max_widths(&headers)?;
        if self.num_cols.is_none() {
            self.num_cols = Some(headers.len());
        }
        self.headers = headers;
        Ok(())
    }

    pub(super) fn add_row(&mut self, row: Vec<String>) -> Result<()> {
        let num_cols = *self.num_cols.get_or_insert(row.len());
        if row.len() != num_cols {
            // ValueError: Row should have N elements, instead it has M
            return Err(Raised);
        }
        self.update_max_widths(&row)?;
        self.rows.push(row);
        Ok(())
    }

    pub(super) fn update_max_widths(&mut self, row: &[String]) -> Result<()> {
        if self.max_widths.is_empty() {
            self.max_widths = row.iter().map(|el| text_length(el)).collect();
        } else {
            for (i, el) in row.iter().enumerate() {
                // IndexError when the row is longer than the first one.
                let width = self.max_widths.get_mut(i).ok_or(Raised)?;
                *width = (*width).max(text_length(el));
            }
        }
        Ok(())
    }

    /// `calculate_column_widths(padding, max_width)`: column widths scaled so
    /// that they add up to `max_width`.
    pub(super) fn column_widths(&self, padding: usize, max_width: usize) -> Vec<usize> {
        let unscaled: Vec<usize> = self.max_widths.iter().map(|w| w + padding).collect();
        if unscaled.is_empty() {
            return unscaled;
        }
        let scale_factor = max_width as f64 / unscaled.iter().sum::<usize>() as f64;
        let mut scaled: Vec<i64> = unscaled
            .iter()
            .map(|&w| (scale_factor * w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by = scaled.iter().sum::<i64>() - max_width as i64;
        while off_by != 0 {
            let order: Box<dyn Iterator<Item = usize>> = if off_by < 0 {
                Box::new((0..scaled.len()).rev())
            } else {
                Box::new(0..scaled.len())
            };
            for i in order {
                if off_by > 0 {
                    scaled[i] -= 1;
                    off_by -= 1;
                } else {
                    scaled[i] += 1;
                    off_by += 1;
                }
                if off_by == 0 {
                    break;
                }
            }
        }
        scaled.into_iter().map(|w| w.max(0) as usize).collect()
    }

    /// `total_width(padding=4, with_border=True, outer_padding=indent_level)`.
    pub(super) fn total_width(&self) -> usize {
        let outer = 2 * self.indent_level;
        let columns: usize = self.max_widths.iter().map(|w| w + 4).sum();
        (self.title_length() + 2 + outer).max(columns + 2 + outer)
    }
}

/// What the table builders write to: awscli's `MultiTable` calls.
pub(super) trait Sink {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize);
    fn add_row_header(&mut self, headers: Vec<String>) -> Result<()>;
    fn add_row(&mut self, row: Vec<String>) -> Result<()>;
}

impl Sink for MultiTable {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize) {
        self.sections.push(Section {
            title: title.map(str::to_string),
            indent_level,
            ..Section::default()
        });
    }

    fn add_row_header(&mut self, headers: Vec<String>) -> Result<()> {
        self.current()?.add_header(headers)
    }

    fn add_row(&mut self, row: Vec<String>) -> Result<()> {
        self.current()?.add_row(row)
    }
}

/// `awscli.table.MultiTable` with `initial_section=False`,
/// `column_separator='|'` and the plain `Styler`.
#[derive(Debug)]
struct MultiTable {
    sections: Vec<Section>,
    terminal_width: usize,
}

impl MultiTable {
    fn new(terminal_width: usize) -> Self {
        MultiTable {
            sections: Vec::new(),
            terminal_width,
        }
    }

    fn current(&mut self) -> Result<&mut Section> {
        // AttributeError on `None` before any section exists.
        self.sections.last_mut().ok_or(Raised)
    }

    fn max_width(&self) -> usize {
        self.sections
            .iter()
            .map(Section::total_width)
            .max()
            .unwrap_or(0)
    }

    fn render(&mut self) -> String {
        let mut max_width = self.max_width();
        if max_width > self.terminal_width {
            self.convert_to_vertical_table();
            max_width = self.max_width();
        }
        let mut out = String::new();
        push_repeat(&mut out, '-', max_width as i64);
        out.push('\n');
        for section in &self.sections {
            render_section(section, max_width, &mut out);
        }
        out
    }

    /// `convert_to_vertical_table`: every section with a header and a single
    /// row becomes a two-column `header | value` section.
    fn convert_to_vertical_table(&mut self) {
        for section in &mut self.sections {
            if section.is_vertical_candidate() {
                *section = section.vertical();
            }
        }
    }
}

impl Section {
    /// Whether `convert_to_vertical_table` turns this section: a header and one row.
    pub(super) fn is_vertical_candidate(&self) -> bool {
        self.rows.len() == 1 && !self.headers.is_empty()
    }

    /// The two-column `header | value` section this one becomes.
    pub(super) fn vertical(&mut self) -> Section {
        let mut vertical = Section {
            title: self.title.take(),
            indent_level: self.indent_level,
            ..Section::default()
        };
        for (header, element) in self.headers.iter().zip(&self.rows[0]) {
            // Two-element rows never fail.
            let _ = vertical.add_row(vec![header.clone(), element.clone()]);
        }
        vertical
    }
}

/// Writes one line of a section through awscli's `IndentedStream`: one `|`
/// per indentation level on each side.
pub(super) fn push_line(out: &mut String, indent_level: usize, line: &str) {
    push_repeat(out, '|', indent_level as i64);
    out.push_str(line);
    push_repeat(out, '|', indent_level as i64);
    out.push('\n');
}

pub(super) fn render_section(section: &Section, max_width: usize, out: &mut String) {
    if let Some(widths) = render_head(section, !section.rows.is_empty(), max_width, out) {
        for row in &section.rows {
            render_row(section.indent_level, &widths, row, out);
        }
        push_line(out, section.indent_level, &line_break(&widths));
    }
}

/// A section's title and column titles, then the line that opens its rows when
/// `has_rows`: the rows' widths are returned then, unless there are no columns.
pub(super) fn render_head(
    section: &Section,
    has_rows: bool,
    max_width: usize,
    out: &mut String,
) -> Option<Vec<usize>> {
    let indent = section.indent_level;
    let max_width = max_width.saturating_sub(indent * 2);
    // Title.
    if let Some(title) = section.title.as_deref().filter(|t| !t.is_empty()) {
        push_line(out, indent, &center_text(title, max_width, "|", "|"));
        if section.headers.is_empty() && !has_rows {
            let mut border = String::from("+");
            push_repeat(&mut border, '-', max_width as i64 - 2);
            border.push('+');
            push_line(out, indent, &border);
        }
    }
    // Column titles.
    if !section.headers.is_empty() {
        let widths = section.column_widths(4, max_width);
        let mut line = String::new();
        for (i, (&width, header)) in widths.iter().zip(&section.headers).enumerate() {
            let left_edge = if i == 0 { "|" } else { "" };
            line.push_str(&center_text(header, width, left_edge, "|"));
        }
        push_line(out, indent, &line_break(&widths));
        push_line(out, indent, &line);
    }
    if !has_rows {
        return None;
    }
    let widths = section.column_widths(4, max_width);
    if widths.is_empty() {
        return None;
    }
    push_line(out, indent, &line_break(&widths));
    Some(widths)
}

/// One row of a section whose rows have `widths`; the rows end with `line_break`.
pub(super) fn render_row(indent_level: usize, widths: &[usize], row: &[String], out: &mut String) {
    let mut line = String::new();
    for (i, (&width, element)) in widths.iter().zip(row).enumerate() {
        let left_edge = if i == 0 { "|" } else { "" };
        line.push_str(&align_left(element, width, left_edge, "|"));
    }
    push_line(out, indent_level, &line);
}

/// `_write_line_break`: `+-----+------+`.
pub(super) fn line_break(widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, &width) in widths.iter().enumerate() {
        if i == 0 {
            line.push('+');
            push_repeat(&mut line, '-', width as i64 - 2);
        } else {
            push_repeat(&mut line, '-', width as i64 - 1);
        }
        line.push('+');
    }
    line
}

/// `awscli.table.center_text`.
pub(super) fn center_text(text: &str, length: usize, left_edge: &str, right_edge: &str) -> String {
    let length = length as i64;
    let text_len = text_length(text) as i64;
    let char_start = length.div_euclid(2) - text_len.div_euclid(2) - 1;
    let mut out = String::from(left_edge);
    push_repeat(&mut out, ' ', char_start);
    out.push_str(text);
    let length_so_far = text_length(left_edge) as i64 + char_start + text_len;
    let right_side_spaces = length - text_length(right_edge) as i64 - length_so_far;
    push_repeat(&mut out, ' ', right_side_spaces);
    out.push_str(right_edge);
    out
}

/// `awscli.table.align_left` with its default left padding of two spaces
/// (dropped when the text does not fit).
pub(super) fn align_left(text: &str, length: usize, left_edge: &str, right_edge: &str) -> String {
    let length = length as i64;
    let text_len = text_length(text) as i64;
    let left_len = left_edge.chars().count() as i64;
    let right_len = right_edge.chars().count() as i64;
    let computed_length =
        text_len + 2 + text_length(left_edge) as i64 + text_length(right_edge) as i64;
    let padding = if length - computed_length >= 0 { 2 } else { 0 };
    let mut out = String::from(left_edge);
    push_repeat(&mut out, ' ', padding);
    out.push_str(text);
    push_repeat(
        &mut out,
        ' ',
        length - (left_len + padding + text_len) - right_len,
    );
    out.push_str(right_edge);
    out
}

// ---------------------------------------------------------------------------
// Unicode tables
// ---------------------------------------------------------------------------

// BEGIN unicode tables
/// Unicode version of the tables below (Python's `unicodedata`).
pub const UNICODE_VERSION: &str = "14.0.0";

/// Ranges `[WIDE[2k], WIDE[2k + 1])` of East Asian Width W, F or A.
const WIDE: [u32; 1702] = [
    0xa1, 0xa2, 0xa4, 0xa5, 0xa7, 0xa9, 0xaa, 0xab, 0xad, 0xaf, 0xb0, 0xb5, 0xb6, 0xbb, 0xbc, 0xc0,
    0xc6, 0xc7, 0xd0, 0xd1, 0xd7, 0xd9, 0xde, 0xe2, 0xe6, 0xe7, 0xe8, 0xeb, 0xec, 0xee, 0xf0, 0xf1,
    0xf2, 0xf4, 0xf7, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0x101, 0x102, 0x111, 0x112, 0x113, 0x114,
    0x11b, 0x11c, 0x126, 0x128, 0x12b, 0x12c, 0x131, 0x134, 0x138, 0x139, 0x13f, 0x143, 0x144,
    0x145, 0x148, 0x14c, 0x14d, 0x14e, 0x152, 0x154, 0x166, 0x168, 0x16b, 0x16c, 0x1ce, 0x1cf,
    0x1d0, 0x1d1, 0x1d2, 0x1d3, 0x1d4, 0x1d5, 0x1d6, 0x1d7, 0x1d8, 0x1d9, 0x1da, 0x1db, 0x1dc,
    0x1dd, 0x251, 0x252, 0x261, 0x262, 0x2c4, 0x2c5, 0x2c7, 0x2c8, 0x2c9, 0x2cc, 0x2cd, 0x2ce,
    0x2d0, 0x2d1, 0x2d8, 0x2dc, 0x2dd, 0x2de, 0x2df, 0x2e0, 0x300, 0x370, 0x378, 0x37a, 0x380,
    0x384, 0x38b, 0x38c, 0x38d, 0x38e, 0x391, 0x3aa, 0x3b1, 0x3c2, 0x3c3, 0x3ca, 0x401, 0x402,
    0x410, 0x450, 0x451, 0x452, 0x530, 0x531, 0x557, 0x559, 0x58b, 0x58d, 0x590, 0x591, 0x5c8,
    0x5d0, 0x5eb, 0x5ef, 0x5f5, 0x600, 0x70e, 0x70f, 0x74b, 0x74d, 0x7b2, 0x7c0, 0x7fb, 0x7fd,
    0x82e, 0x830, 0x83f, 0x840, 0x85c, 0x85e, 0x85f, 0x860, 0x86b, 0x870, 0x88f, 0x890, 0x892,
    0x898, 0x984, 0x985, 0x98d, 0x98f, 0x991, 0x993, 0x9a9, 0x9aa, 0x9b1, 0x9b2, 0x9b3, 0x9b6,
    0x9ba, 0x9bc, 0x9c5, 0x9c7, 0x9c9, 0x9cb, 0x9cf, 0x9d7, 0x9d8, 0x9dc, 0x9de, 0x9df, 0x9e4,
    0x9e6, 0x9ff, 0xa01, 0xa04, 0xa05, 0xa0b, 0xa0f, 0xa11, 0xa13, 0xa29, 0xa2a, 0xa31, 0xa32,
    0xa34, 0xa35, 0xa37, 0xa38, 0xa3a, 0xa3c, 0xa3d, 0xa3e, 0xa43, 0xa47, 0xa49, 0xa4b, 0xa4e,
    0xa51, 0xa52, 0xa59, 0xa5d, 0xa5e, 0xa5f, 0xa66, 0xa77, 0xa81, 0xa84, 0xa85, 0xa8e, 0xa8f,
    0xa92, 0xa93, 0xaa9, 0xaaa, 0xab1, 0xab2, 0xab4, 0xab5, 0xaba, 0xabc, 0xac6, 0xac7, 0xaca,
    0xacb, 0xace, 0xad0, 0xad1, 0xae0, 0xae4, 0xae6, 0xaf2, 0xaf9, 0xb00, 0xb01, 0xb04, 0xb05,
    0xb0d, 0xb0f, 0xb11, 0xb13, 0xb29, 0xb2a, 0xb31, 0xb32, 0xb34, 0xb35, 0xb3a, 0xb3c, 0xb45,
    0xb47, 0xb49, 0xb4b, 0xb4e, 0xb55, 0xb58, 0xb5c, 0xb5e, 0xb5f, 0xb64, 0xb66, 0xb78, 0xb82,
    0xb84, 0xb85, 0xb8b, 0xb8e, 0xb91, 0xb92, 0xb96, 0xb99, 0xb9b, 0xb9c, 0xb9d, 0xb9e, 0xba0,
    0xba3, 0xba5, 0xba8, 0xbab, 0xbae, 0xbba, 0xbbe, 0xbc3, 0xbc6, 0xbc9, 0xbca, 0xbce, 0xbd0,
    0xbd1, 0xbd7, 0xbd8, 0xbe6, 0xbfb, 0xc00, 0xc0d, 0xc0e, 0xc11, 0xc12, 0xc29, 0xc2a, 0xc3a,
    0xc3c, 0xc45, 0xc46, 0xc49, 0xc4a, 0xc4e, 0xc55, 0xc57, 0xc58, 0xc5b, 0xc5d, 0xc5e, 0xc60,
    0xc64, 0xc66, 0xc70, 0xc77, 0xc8d, 0xc8e, 0xc91, 0xc92, 0xca9, 0xcaa, 0xcb4, 0xcb5, 0xcba,
    0xcbc, 0xcc5, 0xcc6, 0xcc9, 0xcca, 0xcce, 0xcd5, 0xcd7, 0xcdd, 0xcdf, 0xce0, 0xce4, 0xce6,
    0xcf0, 0xcf1, 0xcf3, 0xd00, 0xd0d, 0xd0e, 0xd11, 0xd12, 0xd45, 0xd46, 0xd49, 0xd4a, 0xd50,
    0xd54, 0xd64, 0xd66, 0xd80, 0xd81, 0xd84, 0xd85, 0xd97, 0xd9a, 0xdb2, 0xdb3, 0xdbc, 0xdbd,
    0xdbe, 0xdc0, 0xdc7, 0xdca, 0xdcb, 0xdcf, 0xdd5, 0xdd6, 0xdd7, 0xdd8, 0xde0, 0xde6, 0xdf0,
    0xdf2, 0xdf5, 0xe01, 0xe3b, 0xe3f, 0xe5c, 0xe81, 0xe83, 0xe84, 0xe85, 0xe86, 0xe8b, 0xe8c,
    0xea4, 0xea5, 0xea6, 0xea7, 0xebe, 0xec0, 0xec5, 0xec6, 0xec7, 0xec8, 0xece, 0xed0, 0xeda,
    0xedc, 0xee0, 0xf00, 0xf48, 0xf49, 0xf6d, 0xf71, 0xf98, 0xf99, 0xfbd, 0xfbe, 0xfcd, 0xfce,
    0xfdb, 0x1000, 0x10c6, 0x10c7, 0x10c8, 0x10cd, 0x10ce, 0x10d0, 0x1100, 0x1160, 0x1249, 0x124a,
    0x124e, 0x1250, 0x1257, 0x1258, 0x1259, 0x125a, 0x125e, 0x1260, 0x1289, 0x128a, 0x128e, 0x1290,
    0x12b1, 0x12b2, 0x12b6, 0x12b8, 0x12bf, 0x12c0, 0x12c1, 0x12c2, 0x12c6, 0x12c8, 0x12d7, 0x12d8,
    0x1311, 0x1312, 0x1316, 0x1318, 0x135b, 0x135d, 0x137d, 0x1380, 0x139a, 0x13a0, 0x13f6, 0x13f8,
    0x13fe, 0x1400, 0x169d, 0x16a0, 0x16f9, 0x1700, 0x1716, 0x171f, 0x1737, 0x1740, 0x1754, 0x1760,
    0x176d, 0x176e, 0x1771, 0x1772, 0x1774, 0x1780, 0x17de, 0x17e0, 0x17ea, 0x17f0, 0x17fa, 0x1800,
    0x181a, 0x1820, 0x1879, 0x1880, 0x18ab, 0x18b0, 0x18f6, 0x1900, 0x191f, 0x1920, 0x192c, 0x1930,
    0x193c, 0x1940, 0x1941, 0x1944, 0x196e, 0x1970, 0x1975, 0x1980, 0x19ac, 0x19b0, 0x19ca, 0x19d0,
    0x19db, 0x19de, 0x1a1c, 0x1a1e, 0x1a5f, 0x1a60, 0x1a7d, 0x1a7f, 0x1a8a, 0x1a90, 0x1a9a, 0x1aa0,
    0x1aae, 0x1ab0, 0x1acf, 0x1b00, 0x1b4d, 0x1b50, 0x1b7f, 0x1b80, 0x1bf4, 0x1bfc, 0x1c38, 0x1c3b,
    0x1c4a, 0x1c4d, 0x1c89, 0x1c90, 0x1cbb, 0x1cbd, 0x1cc8, 0x1cd0, 0x1cfb, 0x1d00, 0x1f16, 0x1f18,
    0x1f1e, 0x1f20, 0x1f46, 0x1f48, 0x1f4e, 0x1f50, 0x1f58, 0x1f59, 0x1f5a, 0x1f5b, 0x1f5c, 0x1f5d,
    0x1f5e, 0x1f5f, 0x1f7e, 0x1f80, 0x1fb5, 0x1fb6, 0x1fc5, 0x1fc6, 0x1fd4, 0x1fd6, 0x1fdc, 0x1fdd,
    0x1ff0, 0x1ff2, 0x1ff5, 0x1ff6, 0x1fff, 0x2000, 0x2010, 0x2011, 0x2013, 0x2017, 0x2018, 0x201a,
    0x201c, 0x201e, 0x2020, 0x2023, 0x2024, 0x2028, 0x2030, 0x2031, 0x2032, 0x2034, 0x2035, 0x2036,
    0x203b, 0x203c, 0x203e, 0x203f, 0x2065, 0x2066, 0x2072, 0x2075, 0x207f, 0x2080, 0x2081, 0x2085,
    0x208f, 0x2090, 0x209d, 0x20a0, 0x20ac, 0x20ad, 0x20c1, 0x20d0, 0x20f1, 0x2100, 0x2103, 0x2104,
    0x2105, 0x2106, 0x2109, 0x210a, 0x2113, 0x2114, 0x2116, 0x2117, 0x2121, 0x2123, 0x2126, 0x2127,
    0x212b, 0x212c, 0x2153, 0x2155, 0x215b, 0x215f, 0x2160, 0x216c, 0x2170, 0x217a, 0x2189, 0x218a,
    0x218c, 0x219a, 0x21b8, 0x21ba, 0x21d2, 0x21d3, 0x21d4, 0x21d5, 0x21e7, 0x21e8, 0x2200, 0x2201,
    0x2202, 0x2204, 0x2207, 0x2209, 0x220b, 0x220c, 0x220f, 0x2210, 0x2211, 0x2212, 0x2215, 0x2216,
    0x221a, 0x221b, 0x221d, 0x2221, 0x2223, 0x2224, 0x2225, 0x2226, 0x2227, 0x222d, 0x222e, 0x222f,
    0x2234, 0x2238, 0x223c, 0x223e, 0x2248, 0x2249, 0x224c, 0x224d, 0x2252, 0x2253, 0x2260, 0x2262,
    0x2264, 0x2268, 0x226a, 0x226c, 0x226e, 0x2270, 0x2282, 0x2284, 0x2286, 0x2288, 0x2295, 0x2296,
    0x2299, 0x229a, 0x22a5, 0x22a6, 0x22bf, 0x22c0, 0x2312, 0x2313, 0x231a, 0x231c, 0x2329, 0x232b,
    0x23e9, 0x23ed, 0x23f0, 0x23f1, 0x23f3, 0x23f4, 0x2427, 0x2440, 0x244b, 0x24ea, 0x24eb, 0x254c,
    0x2550, 0x2574, 0x2580, 0x2590, 0x2592, 0x2596, 0x25a0, 0x25a2, 0x25a3, 0x25aa, 0x25b2, 0x25b4,
    0x25b6, 0x25b8, 0x25bc, 0x25be, 0x25c0, 0x25c2, 0x25c6, 0x25c9, 0x25cb, 0x25cc, 0x25ce, 0x25d2,
    0x25e2, 0x25e6, 0x25ef, 0x25f0, 0x25fd, 0x25ff, 0x2605, 0x2607, 0x2609, 0x260a, 0x260e, 0x2610,
    0x2614, 0x2616, 0x261c, 0x261d, 0x261e, 0x261f, 0x2640, 0x2641, 0x2642, 0x2643, 0x2648, 0x2654,
    0x2660, 0x2662, 0x2663, 0x2666, 0x2667, 0x266b, 0x266c, 0x266e, 0x266f, 0x2670, 0x267f, 0x2680,
    0x2693, 0x2694, 0x269e, 0x26a0, 0x26a1, 0x26a2, 0x26aa, 0x26ac, 0x26bd, 0x26c0, 0x26c4, 0x26e2,
    0x26e3, 0x26e4, 0x26e8, 0x2700, 0x2705, 0x2706, 0x270a, 0x270c, 0x2728, 0x2729, 0x273d, 0x273e,
    0x274c, 0x274d, 0x274e, 0x274f, 0x2753, 0x2756, 0x2757, 0x2758, 0x2776, 0x2780, 0x2795, 0x2798,
    0x27b0, 0x27b1, 0x27bf, 0x27c0, 0x2b1b, 0x2b1d, 0x2b50, 0x2b51, 0x2b55, 0x2b5a, 0x2b74, 0x2b76,
    0x2b96, 0x2b97, 0x2cf4, 0x2cf9, 0x2d26, 0x2d27, 0x2d28, 0x2d2d, 0x2d2e, 0x2d30, 0x2d68, 0x2d6f,
    0x2d71, 0x2d7f, 0x2d97, 0x2da0, 0x2da7, 0x2da8, 0x2daf, 0x2db0, 0x2db7, 0x2db8, 0x2dbf, 0x2dc0,
    0x2dc7, 0x2dc8, 0x2dcf, 0x2dd0, 0x2dd7, 0x2dd8, 0x2ddf, 0x2de0, 0x2e5e, 0x303f, 0x3040, 0x4dc0,
    0x4e00, 0xa4d0, 0xa62c, 0xa640, 0xa6f8, 0xa700, 0xa7cb, 0xa7d0, 0xa7d2, 0xa7d3, 0xa7d4, 0xa7d5,
    0xa7da, 0xa7f2, 0xa82d, 0xa830, 0xa83a, 0xa840, 0xa878, 0xa880, 0xa8c6, 0xa8ce, 0xa8da, 0xa8e0,
    0xa954, 0xa95f, 0xa960, 0xa980, 0xa9ce, 0xa9cf, 0xa9da, 0xa9de, 0xa9ff, 0xaa00, 0xaa37, 0xaa40,
    0xaa4e, 0xaa50, 0xaa5a, 0xaa5c, 0xaac3, 0xaadb, 0xaaf7, 0xab01, 0xab07, 0xab09, 0xab0f, 0xab11,
    0xab17, 0xab20, 0xab27, 0xab28, 0xab2f, 0xab30, 0xab6c, 0xab70, 0xabee, 0xabf0, 0xabfa, 0xd7b0,
    0xd7c7, 0xd7cb, 0xd7fc, 0xd800, 0xe000, 0xfb00, 0xfb07, 0xfb13, 0xfb18, 0xfb1d, 0xfb37, 0xfb38,
    0xfb3d, 0xfb3e, 0xfb3f, 0xfb40, 0xfb42, 0xfb43, 0xfb45, 0xfb46, 0xfbc3, 0xfbd3, 0xfd90, 0xfd92,
    0xfdc8, 0xfdcf, 0xfdd0, 0xfdf0, 0xfe00, 0xfe20, 0xfe30, 0xfe70, 0xfe75, 0xfe76, 0xfefd, 0xfeff,
    0xff00, 0xff61, 0xffbf, 0xffc2, 0xffc8, 0xffca, 0xffd0, 0xffd2, 0xffd8, 0xffda, 0xffdd, 0xffe8,
    0xffef, 0xfff9, 0xfffd, 0x10000, 0x1000c, 0x1000d, 0x10027, 0x10028, 0x1003b, 0x1003c, 0x1003e,
    0x1003f, 0x1004e, 0x10050, 0x1005e, 0x10080, 0x100fb, 0x10100, 0x10103, 0x10107, 0x10134,
    0x10137, 0x1018f, 0x10190, 0x1019d, 0x101a0, 0x101a1, 0x101d0, 0x101fe, 0x10280, 0x1029d,
    0x102a0, 0x102d1, 0x102e0, 0x102fc, 0x10300, 0x10324, 0x1032d, 0x1034b, 0x10350, 0x1037b,
    0x10380, 0x1039e, 0x1039f, 0x103c4, 0x103c8, 0x103d6, 0x10400, 0x1049e, 0x104a0, 0x104aa,
    0x104b0, 0x104d4, 0x104d8, 0x104fc, 0x10500, 0x10528, 0x10530, 0x10564, 0x1056f, 0x1057b,
    0x1057c, 0x1058b, 0x1058c, 0x10593, 0x10594, 0x10596, 0x10597, 0x105a2, 0x105a3, 0x105b2,
    0x105b3, 0x105ba, 0x105bb, 0x105bd, 0x10600, 0x10737, 0x10740, 0x10756, 0x10760, 0x10768,
    0x10780, 0x10786, 0x10787, 0x107b1, 0x107b2, 0x107bb, 0x10800, 0x10806, 0x10808, 0x10809,
    0x1080a, 0x10836, 0x10837, 0x10839, 0x1083c, 0x1083d, 0x1083f, 0x10856, 0x10857, 0x1089f,
    0x108a7, 0x108b0, 0x108e0, 0x108f3, 0x108f4, 0x108f6, 0x108fb, 0x1091c, 0x1091f, 0x1093a,
    0x1093f, 0x10940, 0x10980, 0x109b8, 0x109bc, 0x109d0, 0x109d2, 0x10a04, 0x10a05, 0x10a07,
    0x10a0c, 0x10a14, 0x10a15, 0x10a18, 0x10a19, 0x10a36, 0x10a38, 0x10a3b, 0x10a3f, 0x10a49,
    0x10a50, 0x10a59, 0x10a60, 0x10aa0, 0x10ac0, 0x10ae7, 0x10aeb, 0x10af7, 0x10b00, 0x10b36,
    0x10b39, 0x10b56, 0x10b58, 0x10b73, 0x10b78, 0x10b92, 0x10b99, 0x10b9d, 0x10ba9, 0x10bb0,
    0x10c00, 0x10c49, 0x10c80, 0x10cb3, 0x10cc0, 0x10cf3, 0x10cfa, 0x10d28, 0x10d30, 0x10d3a,
    0x10e60, 0x10e7f, 0x10e80, 0x10eaa, 0x10eab, 0x10eae, 0x10eb0, 0x10eb2, 0x10f00, 0x10f28,
    0x10f30, 0x10f5a, 0x10f70, 0x10f8a, 0x10fb0, 0x10fcc, 0x10fe0, 0x10ff7, 0x11000, 0x1104e,
    0x11052, 0x11076, 0x1107f, 0x110c3, 0x110cd, 0x110ce, 0x110d0, 0x110e9, 0x110f0, 0x110fa,
    0x11100, 0x11135, 0x11136, 0x11148, 0x11150, 0x11177, 0x11180, 0x111e0, 0x111e1, 0x111f5,
    0x11200, 0x11212, 0x11213, 0x1123f, 0x11280, 0x11287, 0x11288, 0x11289, 0x1128a, 0x1128e,
    0x1128f, 0x1129e, 0x1129f, 0x112aa, 0x112b0, 0x112eb, 0x112f0, 0x112fa, 0x11300, 0x11304,
    0x11305, 0x1130d, 0x1130f, 0x11311, 0x11313, 0x11329, 0x1132a, 0x11331, 0x11332, 0x11334,
    0x11335, 0x1133a, 0x1133b, 0x11345, 0x11347, 0x11349, 0x1134b, 0x1134e, 0x11350, 0x11351,
    0x11357, 0x11358, 0x1135d, 0x11364, 0x11366, 0x1136d, 0x11370, 0x11375, 0x11400, 0x1145c,
    0x1145d, 0x11462, 0x11480, 0x114c8, 0x114d0, 0x114da, 0x11580, 0x115b6, 0x115b8, 0x115de,
    0x11600, 0x11645, 0x11650, 0x1165a, 0x11660, 0x1166d, 0x11680, 0x116ba, 0x116c0, 0x116ca,
    0x11700, 0x1171b, 0x1171d, 0x1172c, 0x11730, 0x11747, 0x11800, 0x1183c, 0x118a0, 0x118f3,
    0x118ff, 0x11907, 0x11909, 0x1190a, 0x1190c, 0x11914, 0x11915, 0x11917, 0x11918, 0x11936,
    0x11937, 0x11939, 0x1193b, 0x11947, 0x11950, 0x1195a, 0x119a0, 0x119a8, 0x119aa, 0x119d8,
    0x119da, 0x119e5, 0x11a00, 0x11a48, 0x11a50, 0x11aa3, 0x11ab0, 0x11af9, 0x11c00, 0x11c09,
    0x11c0a, 0x11c37, 0x11c38, 0x11c46, 0x11c50, 0x11c6d, 0x11c70, 0x11c90, 0x11c92, 0x11ca8,
    0x11ca9, 0x11cb7, 0x11d00, 0x11d07, 0x11d08, 0x11d0a, 0x11d0b, 0x11d37, 0x11d3a, 0x11d3b,
    0x11d3c, 0x11d3e, 0x11d3f, 0x11d48, 0x11d50, 0x11d5a, 0x11d60, 0x11d66, 0x11d67, 0x11d69,
    0x11d6a, 0x11d8f, 0x11d90, 0x11d92, 0x11d93, 0x11d99, 0x11da0, 0x11daa, 0x11ee0, 0x11ef9,
    0x11fb0, 0x11fb1, 0x11fc0, 0x11ff2, 0x11fff, 0x1239a, 0x12400, 0x1246f, 0x12470, 0x12475,
    0x12480, 0x12544, 0x12f90, 0x12ff3, 0x13000, 0x1342f, 0x13430, 0x13439, 0x14400, 0x14647,
    0x16800, 0x16a39, 0x16a40, 0x16a5f, 0x16a60, 0x16a6a, 0x16a6e, 0x16abf, 0x16ac0, 0x16aca,
    0x16ad0, 0x16aee, 0x16af0, 0x16af6, 0x16b00, 0x16b46, 0x16b50, 0x16b5a, 0x16b5b, 0x16b62,
    0x16b63, 0x16b78, 0x16b7d, 0x16b90, 0x16e40, 0x16e9b, 0x16f00, 0x16f4b, 0x16f4f, 0x16f88,
    0x16f8f, 0x16fa0, 0x1bc00, 0x1bc6b, 0x1bc70, 0x1bc7d, 0x1bc80, 0x1bc89, 0x1bc90, 0x1bc9a,
    0x1bc9c, 0x1bca4, 0x1cf00, 0x1cf2e, 0x1cf30, 0x1cf47, 0x1cf50, 0x1cfc4, 0x1d000, 0x1d0f6,
    0x1d100, 0x1d127, 0x1d129, 0x1d1eb, 0x1d200, 0x1d246, 0x1d2e0, 0x1d2f4, 0x1d300, 0x1d357,
    0x1d360, 0x1d379, 0x1d400, 0x1d455, 0x1d456, 0x1d49d, 0x1d49e, 0x1d4a0, 0x1d4a2, 0x1d4a3,
    0x1d4a5, 0x1d4a7, 0x1d4a9, 0x1d4ad, 0x1d4ae, 0x1d4ba, 0x1d4bb, 0x1d4bc, 0x1d4bd, 0x1d4c4,
    0x1d4c5, 0x1d506, 0x1d507, 0x1d50b, 0x1d50d, 0x1d515, 0x1d516, 0x1d51d, 0x1d51e, 0x1d53a,
    0x1d53b, 0x1d53f, 0x1d540, 0x1d545, 0x1d546, 0x1d547, 0x1d54a, 0x1d551, 0x1d552, 0x1d6a6,
    0x1d6a8, 0x1d7cc, 0x1d7ce, 0x1da8c, 0x1da9b, 0x1daa0, 0x1daa1, 0x1dab0, 0x1df00, 0x1df1f,
    0x1e000, 0x1e007, 0x1e008, 0x1e019, 0x1e01b, 0x1e022, 0x1e023, 0x1e025, 0x1e026, 0x1e02b,
    0x1e100, 0x1e12d, 0x1e130, 0x1e13e, 0x1e140, 0x1e14a, 0x1e14e, 0x1e150, 0x1e290, 0x1e2af,
    0x1e2c0, 0x1e2fa, 0x1e2ff, 0x1e300, 0x1e7e0, 0x1e7e7, 0x1e7e8, 0x1e7ec, 0x1e7ed, 0x1e7ef,
    0x1e7f0, 0x1e7ff, 0x1e800, 0x1e8c5, 0x1e8c7, 0x1e8d7, 0x1e900, 0x1e94c, 0x1e950, 0x1e95a,
    0x1e95e, 0x1e960, 0x1ec71, 0x1ecb5, 0x1ed01, 0x1ed3e, 0x1ee00, 0x1ee04, 0x1ee05, 0x1ee20,
    0x1ee21, 0x1ee23, 0x1ee24, 0x1ee25, 0x1ee27, 0x1ee28, 0x1ee29, 0x1ee33, 0x1ee34, 0x1ee38,
    0x1ee39, 0x1ee3a, 0x1ee3b, 0x1ee3c, 0x1ee42, 0x1ee43, 0x1ee47, 0x1ee48, 0x1ee49, 0x1ee4a,
    0x1ee4b, 0x1ee4c, 0x1ee4d, 0x1ee50, 0x1ee51, 0x1ee53, 0x1ee54, 0x1ee55, 0x1ee57, 0x1ee58,
    0x1ee59, 0x1ee5a, 0x1ee5b, 0x1ee5c, 0x1ee5d, 0x1ee5e, 0x1ee5f, 0x1ee60, 0x1ee61, 0x1ee63,
    0x1ee64, 0x1ee65, 0x1ee67, 0x1ee6b, 0x1ee6c, 0x1ee73, 0x1ee74, 0x1ee78, 0x1ee79, 0x1ee7d,
    0x1ee7e, 0x1ee7f, 0x1ee80, 0x1ee8a, 0x1ee8b, 0x1ee9c, 0x1eea1, 0x1eea4, 0x1eea5, 0x1eeaa,
    0x1eeab, 0x1eebc, 0x1eef0, 0x1eef2, 0x1f000, 0x1f004, 0x1f005, 0x1f02c, 0x1f030, 0x1f094,
    0x1f0a0, 0x1f0af, 0x1f0b1, 0x1f0c0, 0x1f0c1, 0x1f0cf, 0x1f0d1, 0x1f0f6, 0x1f10b, 0x1f110,
    0x1f12e, 0x1f130, 0x1f16a, 0x1f170, 0x1f1ad, 0x1f1ae, 0x1f1e6, 0x1f200, 0x1f321, 0x1f32d,
    0x1f336, 0x1f337, 0x1f37d, 0x1f37e, 0x1f394, 0x1f3a0, 0x1f3cb, 0x1f3cf, 0x1f3d4, 0x1f3e0,
    0x1f3f1, 0x1f3f4, 0x1f3f5, 0x1f3f8, 0x1f43f, 0x1f440, 0x1f441, 0x1f442, 0x1f4fd, 0x1f4ff,
    0x1f53e, 0x1f54b, 0x1f54f, 0x1f550, 0x1f568, 0x1f57a, 0x1f57b, 0x1f595, 0x1f597, 0x1f5a4,
    0x1f5a5, 0x1f5fb, 0x1f650, 0x1f680, 0x1f6c6, 0x1f6cc, 0x1f6cd, 0x1f6d0, 0x1f6d3, 0x1f6d5,
    0x1f6e0, 0x1f6eb, 0x1f6f0, 0x1f6f4, 0x1f700, 0x1f774, 0x1f780, 0x1f7d9, 0x1f800, 0x1f80c,
    0x1f810, 0x1f848, 0x1f850, 0x1f85a, 0x1f860, 0x1f888, 0x1f890, 0x1f8ae, 0x1f8b0, 0x1f8b2,
    0x1f900, 0x1f90c, 0x1f93b, 0x1f93c, 0x1f946, 0x1f947, 0x1fa00, 0x1fa54, 0x1fa60, 0x1fa6e,
    0x1fb00, 0x1fb93, 0x1fb94, 0x1fbcb, 0x1fbf0, 0x1fbfa, 0xe0001, 0xe0002, 0xe0020, 0xe0080,
    0x110000,
];

/// Ranges `[NON_PRINTABLE[2k], NON_PRINTABLE[2k + 1])` that `str.isprintable()` rejects.
const NON_PRINTABLE: [u32; 1402] = [
    0x0, 0x20, 0x7f, 0xa1, 0xad, 0xae, 0x378, 0x37a, 0x380, 0x384, 0x38b, 0x38c, 0x38d, 0x38e,
    0x3a2, 0x3a3, 0x530, 0x531, 0x557, 0x559, 0x58b, 0x58d, 0x590, 0x591, 0x5c8, 0x5d0, 0x5eb,
    0x5ef, 0x5f5, 0x606, 0x61c, 0x61d, 0x6dd, 0x6de, 0x70e, 0x710, 0x74b, 0x74d, 0x7b2, 0x7c0,
    0x7fb, 0x7fd, 0x82e, 0x830, 0x83f, 0x840, 0x85c, 0x85e, 0x85f, 0x860, 0x86b, 0x870, 0x88f,
    0x898, 0x8e2, 0x8e3, 0x984, 0x985, 0x98d, 0x98f, 0x991, 0x993, 0x9a9, 0x9aa, 0x9b1, 0x9b2,
    0x9b3, 0x9b6, 0x9ba, 0x9bc, 0x9c5, 0x9c7, 0x9c9, 0x9cb, 0x9cf, 0x9d7, 0x9d8, 0x9dc, 0x9de,
    0x9df, 0x9e4, 0x9e6, 0x9ff, 0xa01, 0xa04, 0xa05, 0xa0b, 0xa0f, 0xa11, 0xa13, 0xa29, 0xa2a,
    0xa31, 0xa32, 0xa34, 0xa35, 0xa37, 0xa38, 0xa3a, 0xa3c, 0xa3d, 0xa3e, 0xa43, 0xa47, 0xa49,
    0xa4b, 0xa4e, 0xa51, 0xa52, 0xa59, 0xa5d, 0xa5e, 0xa5f, 0xa66, 0xa77, 0xa81, 0xa84, 0xa85,
    0xa8e, 0xa8f, 0xa92, 0xa93, 0xaa9, 0xaaa, 0xab1, 0xab2, 0xab4, 0xab5, 0xaba, 0xabc, 0xac6,
    0xac7, 0xaca, 0xacb, 0xace, 0xad0, 0xad1, 0xae0, 0xae4, 0xae6, 0xaf2, 0xaf9, 0xb00, 0xb01,
    0xb04, 0xb05, 0xb0d, 0xb0f, 0xb11, 0xb13, 0xb29, 0xb2a, 0xb31, 0xb32, 0xb34, 0xb35, 0xb3a,
    0xb3c, 0xb45, 0xb47, 0xb49, 0xb4b, 0xb4e, 0xb55, 0xb58, 0xb5c, 0xb5e, 0xb5f, 0xb64, 0xb66,
    0xb78, 0xb82, 0xb84, 0xb85, 0xb8b, 0xb8e, 0xb91, 0xb92, 0xb96, 0xb99, 0xb9b, 0xb9c, 0xb9d,
    0xb9e, 0xba0, 0xba3, 0xba5, 0xba8, 0xbab, 0xbae, 0xbba, 0xbbe, 0xbc3, 0xbc6, 0xbc9, 0xbca,
    0xbce, 0xbd0, 0xbd1, 0xbd7, 0xbd8, 0xbe6, 0xbfb, 0xc00, 0xc0d, 0xc0e, 0xc11, 0xc12, 0xc29,
    0xc2a, 0xc3a, 0xc3c, 0xc45, 0xc46, 0xc49, 0xc4a, 0xc4e, 0xc55, 0xc57, 0xc58, 0xc5b, 0xc5d,
    0xc5e, 0xc60, 0xc64, 0xc66, 0xc70, 0xc77, 0xc8d, 0xc8e, 0xc91, 0xc92, 0xca9, 0xcaa, 0xcb4,
    0xcb5, 0xcba, 0xcbc, 0xcc5, 0xcc6, 0xcc9, 0xcca, 0xcce, 0xcd5, 0xcd7, 0xcdd, 0xcdf, 0xce0,
    0xce4, 0xce6, 0xcf0, 0xcf1, 0xcf3, 0xd00, 0xd0d, 0xd0e, 0xd11, 0xd12, 0xd45, 0xd46, 0xd49,
    0xd4a, 0xd50, 0xd54, 0xd64, 0xd66, 0xd80, 0xd81, 0xd84, 0xd85, 0xd97, 0xd9a, 0xdb2, 0xdb3,
    0xdbc, 0xdbd, 0xdbe, 0xdc0, 0xdc7, 0xdca, 0xdcb, 0xdcf, 0xdd5, 0xdd6, 0xdd7, 0xdd8, 0xde0,
    0xde6, 0xdf0, 0xdf2, 0xdf5, 0xe01, 0xe3b, 0xe3f, 0xe5c, 0xe81, 0xe83, 0xe84, 0xe85, 0xe86,
    0xe8b, 0xe8c, 0xea4, 0xea5, 0xea6, 0xea7, 0xebe, 0xec0, 0xec5, 0xec6, 0xec7, 0xec8, 0xece,
    0xed0, 0xeda, 0xedc, 0xee0, 0xf00, 0xf48, 0xf49, 0xf6d, 0xf71, 0xf98, 0xf99, 0xfbd, 0xfbe,
    0xfcd, 0xfce, 0xfdb, 0x1000, 0x10c6, 0x10c7, 0x10c8, 0x10cd, 0x10ce, 0x10d0, 0x1249, 0x124a,
    0x124e, 0x1250, 0x1257, 0x1258, 0x1259, 0x125a, 0x125e, 0x1260, 0x1289, 0x128a, 0x128e, 0x1290,
    0x12b1, 0x12b2, 0x12b6, 0x12b8, 0x12bf, 0x12c0, 0x12c1, 0x12c2, 0x12c6, 0x12c8, 0x12d7, 0x12d8,
    0x1311, 0x1312, 0x1316, 0x1318, 0x135b, 0x135d, 0x137d, 0x1380, 0x139a, 0x13a0, 0x13f6, 0x13f8,
    0x13fe, 0x1400, 0x1680, 0x1681, 0x169d, 0x16a0, 0x16f9, 0x1700, 0x1716, 0x171f, 0x1737, 0x1740,
    0x1754, 0x1760, 0x176d, 0x176e, 0x1771, 0x1772, 0x1774, 0x1780, 0x17de, 0x17e0, 0x17ea, 0x17f0,
    0x17fa, 0x1800, 0x180e, 0x180f, 0x181a, 0x1820, 0x1879, 0x1880, 0x18ab, 0x18b0, 0x18f6, 0x1900,
    0x191f, 0x1920, 0x192c, 0x1930, 0x193c, 0x1940, 0x1941, 0x1944, 0x196e, 0x1970, 0x1975, 0x1980,
    0x19ac, 0x19b0, 0x19ca, 0x19d0, 0x19db, 0x19de, 0x1a1c, 0x1a1e, 0x1a5f, 0x1a60, 0x1a7d, 0x1a7f,
    0x1a8a, 0x1a90, 0x1a9a, 0x1aa0, 0x1aae, 0x1ab0, 0x1acf, 0x1b00, 0x1b4d, 0x1b50, 0x1b7f, 0x1b80,
    0x1bf4, 0x1bfc, 0x1c38, 0x1c3b, 0x1c4a, 0x1c4d, 0x1c89, 0x1c90, 0x1cbb, 0x1cbd, 0x1cc8, 0x1cd0,
    0x1cfb, 0x1d00, 0x1f16, 0x1f18, 0x1f1e, 0x1f20, 0x1f46, 0x1f48, 0x1f4e, 0x1f50, 0x1f58, 0x1f59,
    0x1f5a, 0x1f5b, 0x1f5c, 0x1f5d, 0x1f5e, 0x1f5f, 0x1f7e, 0x1f80, 0x1fb5, 0x1fb6, 0x1fc5, 0x1fc6,
    0x1fd4, 0x1fd6, 0x1fdc, 0x1fdd, 0x1ff0, 0x1ff2, 0x1ff5, 0x1ff6, 0x1fff, 0x2010, 0x2028, 0x2030,
    0x205f, 0x2070, 0x2072, 0x2074, 0x208f, 0x2090, 0x209d, 0x20a0, 0x20c1, 0x20d0, 0x20f1, 0x2100,
    0x218c, 0x2190, 0x2427, 0x2440, 0x244b, 0x2460, 0x2b74, 0x2b76, 0x2b96, 0x2b97, 0x2cf4, 0x2cf9,
    0x2d26, 0x2d27, 0x2d28, 0x2d2d, 0x2d2e, 0x2d30, 0x2d68, 0x2d6f, 0x2d71, 0x2d7f, 0x2d97, 0x2da0,
    0x2da7, 0x2da8, 0x2daf, 0x2db0, 0x2db7, 0x2db8, 0x2dbf, 0x2dc0, 0x2dc7, 0x2dc8, 0x2dcf, 0x2dd0,
    0x2dd7, 0x2dd8, 0x2ddf, 0x2de0, 0x2e5e, 0x2e80, 0x2e9a, 0x2e9b, 0x2ef4, 0x2f00, 0x2fd6, 0x2ff0,
    0x2ffc, 0x3001, 0x3040, 0x3041, 0x3097, 0x3099, 0x3100, 0x3105, 0x3130, 0x3131, 0x318f, 0x3190,
    0x31e4, 0x31f0, 0x321f, 0x3220, 0xa48d, 0xa490, 0xa4c7, 0xa4d0, 0xa62c, 0xa640, 0xa6f8, 0xa700,
    0xa7cb, 0xa7d0, 0xa7d2, 0xa7d3, 0xa7d4, 0xa7d5, 0xa7da, 0xa7f2, 0xa82d, 0xa830, 0xa83a, 0xa840,
    0xa878, 0xa880, 0xa8c6, 0xa8ce, 0xa8da, 0xa8e0, 0xa954, 0xa95f, 0xa97d, 0xa980, 0xa9ce, 0xa9cf,
    0xa9da, 0xa9de, 0xa9ff, 0xaa00, 0xaa37, 0xaa40, 0xaa4e, 0xaa50, 0xaa5a, 0xaa5c, 0xaac3, 0xaadb,
    0xaaf7, 0xab01, 0xab07, 0xab09, 0xab0f, 0xab11, 0xab17, 0xab20, 0xab27, 0xab28, 0xab2f, 0xab30,
    0xab6c, 0xab70, 0xabee, 0xabf0, 0xabfa, 0xac00, 0xd7a4, 0xd7b0, 0xd7c7, 0xd7cb, 0xd7fc, 0xf900,
    0xfa6e, 0xfa70, 0xfada, 0xfb00, 0xfb07, 0xfb13, 0xfb18, 0xfb1d, 0xfb37, 0xfb38, 0xfb3d, 0xfb3e,
    0xfb3f, 0xfb40, 0xfb42, 0xfb43, 0xfb45, 0xfb46, 0xfbc3, 0xfbd3, 0xfd90, 0xfd92, 0xfdc8, 0xfdcf,
    0xfdd0, 0xfdf0, 0xfe1a, 0xfe20, 0xfe53, 0xfe54, 0xfe67, 0xfe68, 0xfe6c, 0xfe70, 0xfe75, 0xfe76,
    0xfefd, 0xff01, 0xffbf, 0xffc2, 0xffc8, 0xffca, 0xffd0, 0xffd2, 0xffd8, 0xffda, 0xffdd, 0xffe0,
    0xffe7, 0xffe8, 0xffef, 0xfffc, 0xfffe, 0x10000, 0x1000c, 0x1000d, 0x10027, 0x10028, 0x1003b,
    0x1003c, 0x1003e, 0x1003f, 0x1004e, 0x10050, 0x1005e, 0x10080, 0x100fb, 0x10100, 0x10103,
    0x10107, 0x10134, 0x10137, 0x1018f, 0x10190, 0x1019d, 0x101a0, 0x101a1, 0x101d0, 0x101fe,
    0x10280, 0x1029d, 0x102a0, 0x102d1, 0x102e0, 0x102fc, 0x10300, 0x10324, 0x1032d, 0x1034b,
    0x10350, 0x1037b, 0x10380, 0x1039e, 0x1039f, 0x103c4, 0x103c8, 0x103d6, 0x10400, 0x1049e,
    0x104a0, 0x104aa, 0x104b0, 0x104d4, 0x104d8, 0x104fc, 0x10500, 0x10528, 0x10530, 0x10564,
    0x1056f, 0x1057b, 0x1057c, 0x1058b, 0x1058c, 0x10593, 0x10594, 0x10596, 0x10597, 0x105a2,
    0x105a3, 0x105b2, 0x105b3, 0x105ba, 0x105bb, 0x105bd, 0x10600, 0x10737, 0x10740, 0x10756,
    0x10760, 0x10768, 0x10780, 0x10786, 0x10787, 0x107b1, 0x107b2, 0x107bb, 0x10800, 0x10806,
    0x10808, 0x10809, 0x1080a, 0x10836, 0x10837, 0x10839, 0x1083c, 0x1083d, 0x1083f, 0x10856,
    0x10857, 0x1089f, 0x108a7, 0x108b0, 0x108e0, 0x108f3, 0x108f4, 0x108f6, 0x108fb, 0x1091c,
    0x1091f, 0x1093a, 0x1093f, 0x10940, 0x10980, 0x109b8, 0x109bc, 0x109d0, 0x109d2, 0x10a04,
    0x10a05, 0x10a07, 0x10a0c, 0x10a14, 0x10a15, 0x10a18, 0x10a19, 0x10a36, 0x10a38, 0x10a3b,
    0x10a3f, 0x10a49, 0x10a50, 0x10a59, 0x10a60, 0x10aa0, 0x10ac0, 0x10ae7, 0x10aeb, 0x10af7,
    0x10b00, 0x10b36, 0x10b39, 0x10b56, 0x10b58, 0x10b73, 0x10b78, 0x10b92, 0x10b99, 0x10b9d,
    0x10ba9, 0x10bb0, 0x10c00, 0x10c49, 0x10c80, 0x10cb3, 0x10cc0, 0x10cf3, 0x10cfa, 0x10d28,
    0x10d30, 0x10d3a, 0x10e60, 0x10e7f, 0x10e80, 0x10eaa, 0x10eab, 0x10eae, 0x10eb0, 0x10eb2,
    0x10f00, 0x10f28, 0x10f30, 0x10f5a, 0x10f70, 0x10f8a, 0x10fb0, 0x10fcc, 0x10fe0, 0x10ff7,
    0x11000, 0x1104e, 0x11052, 0x11076, 0x1107f, 0x110bd, 0x110be, 0x110c3, 0x110d0, 0x110e9,
    0x110f0, 0x110fa, 0x11100, 0x11135, 0x11136, 0x11148, 0x11150, 0x11177, 0x11180, 0x111e0,
    0x111e1, 0x111f5, 0x11200, 0x11212, 0x11213, 0x1123f, 0x11280, 0x11287, 0x11288, 0x11289,
    0x1128a, 0x1128e, 0x1128f, 0x1129e, 0x1129f, 0x112aa, 0x112b0, 0x112eb, 0x112f0, 0x112fa,
    0x11300, 0x11304, 0x11305, 0x1130d, 0x1130f, 0x11311, 0x11313, 0x11329, 0x1132a, 0x11331,
    0x11332, 0x11334, 0x11335, 0x1133a, 0x1133b, 0x11345, 0x11347, 0x11349, 0x1134b, 0x1134e,
    0x11350, 0x11351, 0x11357, 0x11358, 0x1135d, 0x11364, 0x11366, 0x1136d, 0x11370, 0x11375,
    0x11400, 0x1145c, 0x1145d, 0x11462, 0x11480, 0x114c8, 0x114d0, 0x114da, 0x11580, 0x115b6,
    0x115b8, 0x115de, 0x11600, 0x11645, 0x11650, 0x1165a, 0x11660, 0x1166d, 0x11680, 0x116ba,
    0x116c0, 0x116ca, 0x11700, 0x1171b, 0x1171d, 0x1172c, 0x11730, 0x11747, 0x11800, 0x1183c,
    0x118a0, 0x118f3, 0x118ff, 0x11907, 0x11909, 0x1190a, 0x1190c, 0x11914, 0x11915, 0x11917,
    0x11918, 0x11936, 0x11937, 0x11939, 0x1193b, 0x11947, 0x11950, 0x1195a, 0x119a0, 0x119a8,
    0x119aa, 0x119d8, 0x119da, 0x119e5, 0x11a00, 0x11a48, 0x11a50, 0x11aa3, 0x11ab0, 0x11af9,
    0x11c00, 0x11c09, 0x11c0a, 0x11c37, 0x11c38, 0x11c46, 0x11c50, 0x11c6d, 0x11c70, 0x11c90,
    0x11c92, 0x11ca8, 0x11ca9, 0x11cb7, 0x11d00, 0x11d07, 0x11d08, 0x11d0a, 0x11d0b, 0x11d37,
    0x11d3a, 0x11d3b, 0x11d3c, 0x11d3e, 0x11d3f, 0x11d48, 0x11d50, 0x11d5a, 0x11d60, 0x11d66,
    0x11d67, 0x11d69, 0x11d6a, 0x11d8f, 0x11d90, 0x11d92, 0x11d93, 0x11d99, 0x11da0, 0x11daa,
    0x11ee0, 0x11ef9, 0x11fb0, 0x11fb1, 0x11fc0, 0x11ff2, 0x11fff, 0x1239a, 0x12400, 0x1246f,
    0x12470, 0x12475, 0x12480, 0x12544, 0x12f90, 0x12ff3, 0x13000, 0x1342f, 0x14400, 0x14647,
    0x16800, 0x16a39, 0x16a40, 0x16a5f, 0x16a60, 0x16a6a, 0x16a6e, 0x16abf, 0x16ac0, 0x16aca,
    0x16ad0, 0x16aee, 0x16af0, 0x16af6, 0x16b00, 0x16b46, 0x16b50, 0x16b5a, 0x16b5b, 0x16b62,
    0x16b63, 0x16b78, 0x16b7d, 0x16b90, 0x16e40, 0x16e9b, 0x16f00, 0x16f4b, 0x16f4f, 0x16f88,
    0x16f8f, 0x16fa0, 0x16fe0, 0x16fe5, 0x16ff0, 0x16ff2, 0x17000, 0x187f8, 0x18800, 0x18cd6,
    0x18d00, 0x18d09, 0x1aff0, 0x1aff4, 0x1aff5, 0x1affc, 0x1affd, 0x1afff, 0x1b000, 0x1b123,
    0x1b150, 0x1b153, 0x1b164, 0x1b168, 0x1b170, 0x1b2fc, 0x1bc00, 0x1bc6b, 0x1bc70, 0x1bc7d,
    0x1bc80, 0x1bc89, 0x1bc90, 0x1bc9a, 0x1bc9c, 0x1bca0, 0x1cf00, 0x1cf2e, 0x1cf30, 0x1cf47,
    0x1cf50, 0x1cfc4, 0x1d000, 0x1d0f6, 0x1d100, 0x1d127, 0x1d129, 0x1d173, 0x1d17b, 0x1d1eb,
    0x1d200, 0x1d246, 0x1d2e0, 0x1d2f4, 0x1d300, 0x1d357, 0x1d360, 0x1d379, 0x1d400, 0x1d455,
    0x1d456, 0x1d49d, 0x1d49e, 0x1d4a0, 0x1d4a2, 0x1d4a3, 0x1d4a5, 0x1d4a7, 0x1d4a9, 0x1d4ad,
    0x1d4ae, 0x1d4ba, 0x1d4bb, 0x1d4bc, 0x1d4bd, 0x1d4c4, 0x1d4c5, 0x1d506, 0x1d507, 0x1d50b,
    0x1d50d, 0x1d515, 0x1d516, 0x1d51d, 0x1d51e, 0x1d53a, 0x1d53b, 0x1d53f, 0x1d540, 0x1d545,
    0x1d546, 0x1d547, 0x1d54a, 0x1d551, 0x1d552, 0x1d6a6, 0x1d6a8, 0x1d7cc, 0x1d7ce, 0x1da8c,
    0x1da9b, 0x1daa0, 0x1daa1, 0x1dab0, 0x1df00, 0x1df1f, 0x1e000, 0x1e007, 0x1e008, 0x1e019,
    0x1e01b, 0x1e022, 0x1e023, 0x1e025, 0x1e026, 0x1e02b, 0x1e100, 0x1e12d, 0x1e130, 0x1e13e,
    0x1e140, 0x1e14a, 0x1e14e, 0x1e150, 0x1e290, 0x1e2af, 0x1e2c0, 0x1e2fa, 0x1e2ff, 0x1e300,
    0x1e7e0, 0x1e7e7, 0x1e7e8, 0x1e7ec, 0x1e7ed, 0x1e7ef, 0x1e7f0, 0x1e7ff, 0x1e800, 0x1e8c5,
    0x1e8c7, 0x1e8d7, 0x1e900, 0x1e94c, 0x1e950, 0x1e95a, 0x1e95e, 0x1e960, 0x1ec71, 0x1ecb5,
    0x1ed01, 0x1ed3e, 0x1ee00, 0x1ee04, 0x1ee05, 0x1ee20, 0x1ee21, 0x1ee23, 0x1ee24, 0x1ee25,
    0x1ee27, 0x1ee28, 0x1ee29, 0x1ee33, 0x1ee34, 0x1ee38, 0x1ee39, 0x1ee3a, 0x1ee3b, 0x1ee3c,
    0x1ee42, 0x1ee43, 0x1ee47, 0x1ee48, 0x1ee49, 0x1ee4a, 0x1ee4b, 0x1ee4c, 0x1ee4d, 0x1ee50,
    0x1ee51, 0x1ee53, 0x1ee54, 0x1ee55, 0x1ee57, 0x1ee58, 0x1ee59, 0x1ee5a, 0x1ee5b, 0x1ee5c,
    0x1ee5d, 0x1ee5e, 0x1ee5f, 0x1ee60, 0x1ee61, 0x1ee63, 0x1ee64, 0x1ee65, 0x1ee67, 0x1ee6b,
    0x1ee6c, 0x1ee73, 0x1ee74, 0x1ee78, 0x1ee79, 0x1ee7d, 0x1ee7e, 0x1ee7f, 0x1ee80, 0x1ee8a,
    0x1ee8b, 0x1ee9c, 0x1eea1, 0x1eea4, 0x1eea5, 0x1eeaa, 0x1eeab, 0x1eebc, 0x1eef0, 0x1eef2,
    0x1f000, 0x1f02c, 0x1f030, 0x1f094, 0x1f0a0, 0x1f0af, 0x1f0b1, 0x1f0c0, 0x1f0c1, 0x1f0d0,
    0x1f0d1, 0x1f0f6, 0x1f100, 0x1f1ae, 0x1f1e6, 0x1f203, 0x1f210, 0x1f23c, 0x1f240, 0x1f249,
    0x1f250, 0x1f252, 0x1f260, 0x1f266, 0x1f300, 0x1f6d8, 0x1f6dd, 0x1f6ed, 0x1f6f0, 0x1f6fd,
    0x1f700, 0x1f774, 0x1f780, 0x1f7d9, 0x1f7e0, 0x1f7ec, 0x1f7f0, 0x1f7f1, 0x1f800, 0x1f80c,
    0x1f810, 0x1f848, 0x1f850, 0x1f85a, 0x1f860, 0x1f888, 0x1f890, 0x1f8ae, 0x1f8b0, 0x1f8b2,
    0x1f900, 0x1fa54, 0x1fa60, 0x1fa6e, 0x1fa70, 0x1fa75, 0x1fa78, 0x1fa7d, 0x1fa80, 0x1fa87,
    0x1fa90, 0x1faad, 0x1fab0, 0x1fabb, 0x1fac0, 0x1fac6, 0x1fad0, 0x1fada, 0x1fae0, 0x1fae8,
    0x1faf0, 0x1faf7, 0x1fb00, 0x1fb93, 0x1fb94, 0x1fbcb, 0x1fbf0, 0x1fbfa, 0x20000, 0x2a6e0,
    0x2a700, 0x2b739, 0x2b740, 0x2b81e, 0x2b820, 0x2cea2, 0x2ceb0, 0x2ebe1, 0x2f800, 0x2fa1e,
    0x30000, 0x3134b, 0xe0100, 0xe01f0, 0x110000,
];

/// `(first, last, stride, delta)`: `str.upper()` of every `stride`-th code
/// point from `first` to `last` is that code point plus `delta`.
const UPPER_RUNS: [(u32, u32, u32, i32); 194] = [
    (0x61, 0x7a, 1, -32),
    (0xb5, 0xb5, 1, 743),
    (0xe0, 0xf6, 1, -32),
    (0xf8, 0xfe, 1, -32),
    (0xff, 0xff, 1, 121),
    (0x101, 0x12f, 2, -1),
    (0x131, 0x131, 1, -232),
    (0x133, 0x137, 2, -1),
    (0x13a, 0x148, 2, -1),
    (0x14b, 0x177, 2, -1),
    (0x17a, 0x17e, 2, -1),
    (0x17f, 0x17f, 1, -300),
    (0x180, 0x180, 1, 195),
    (0x183, 0x185, 2, -1),
    (0x188, 0x188, 1, -1),
    (0x18c, 0x18c, 1, -1),
    (0x192, 0x192, 1, -1),
    (0x195, 0x195, 1, 97),
    (0x199, 0x199, 1, -1),
    (0x19a, 0x19a, 1, 163),
    (0x19e, 0x19e, 1, 130),
    (0x1a1, 0x1a5, 2, -1),
    (0x1a8, 0x1a8, 1, -1),
    (0x1ad, 0x1ad, 1, -1),
    (0x1b0, 0x1b0, 1, -1),
    (0x1b4, 0x1b6, 2, -1),
    (0x1b9, 0x1b9, 1, -1),
    (0x1bd, 0x1bd, 1, -1),
    (0x1bf, 0x1bf, 1, 56),
    (0x1c5, 0x1c5, 1, -1),
    (0x1c6, 0x1c6, 1, -2),
    (0x1c8, 0x1c8, 1, -1),
    (0x1c9, 0x1c9, 1, -2),
    (0x1cb, 0x1cb, 1, -1),
    (0x1cc, 0x1cc, 1, -2),
    (0x1ce, 0x1dc, 2, -1),
    (0x1dd, 0x1dd, 1, -79),
    (0x1df, 0x1ef, 2, -1),
    (0x1f2, 0x1f2, 1, -1),
    (0x1f3, 0x1f3, 1, -2),
    (0x1f5, 0x1f5, 1, -1),
    (0x1f9, 0x21f, 2, -1),
    (0x223, 0x233, 2, -1),
    (0x23c, 0x23c, 1, -1),
    (0x23f, 0x240, 1, 10815),
    (0x242, 0x242, 1, -1),
    (0x247, 0x24f, 2, -1),
    (0x250, 0x250, 1, 10783),
    (0x251, 0x251, 1, 10780),
    (0x252, 0x252, 1, 10782),
    (0x253, 0x253, 1, -210),
    (0x254, 0x254, 1, -206),
    (0x256, 0x257, 1, -205),
    (0x259, 0x259, 1, -202),
    (0x25b, 0x25b, 1, -203),
    (0x25c, 0x25c, 1, 42319),
    (0x260, 0x260, 1, -205),
    (0x261, 0x261, 1, 42315),
    (0x263, 0x263, 1, -207),
    (0x265, 0x265, 1, 42280),
    (0x266, 0x266, 1, 42308),
    (0x268, 0x268, 1, -209),
    (0x269, 0x269, 1, -211),
    (0x26a, 0x26a, 1, 42308),
    (0x26b, 0x26b, 1, 10743),
    (0x26c, 0x26c, 1, 42305),
    (0x26f, 0x26f, 1, -211),
    (0x271, 0x271, 1, 10749),
    (0x272, 0x272, 1, -213),
    (0x275, 0x275, 1, -214),
    (0x27d, 0x27d, 1, 10727),
    (0x280, 0x280, 1, -218),
    (0x282, 0x282, 1, 42307),
    (0x283, 0x283, 1, -218),
    (0x287, 0x287, 1, 42282),
    (0x288, 0x288, 1, -218),
    (0x289, 0x289, 1, -69),
    (0x28a, 0x28b, 1, -217),
    (0x28c, 0x28c, 1, -71),
    (0x292, 0x292, 1, -219),
    (0x29d, 0x29d, 1, 42261),
    (0x29e, 0x29e, 1, 42258),
    (0x345, 0x345, 1, 84),
    (0x371, 0x373, 2, -1),
    (0x377, 0x377, 1, -1),
    (0x37b, 0x37d, 1, 130),
    (0x3ac, 0x3ac, 1, -38),
    (0x3ad, 0x3af, 1, -37),
    (0x3b1, 0x3c1, 1, -32),
    (0x3c2, 0x3c2, 1, -31),
    (0x3c3, 0x3cb, 1, -32),
    (0x3cc, 0x3cc, 1, -64),
    (0x3cd, 0x3ce, 1, -63),
    (0x3d0, 0x3d0, 1, -62),
    (0x3d1, 0x3d1, 1, -57),
    (0x3d5, 0x3d5, 1, -47),
    (0x3d6, 0x3d6, 1, -54),
    (0x3d7, 0x3d7, 1, -8),
    (0x3d9, 0x3ef, 2, -1),
    (0x3f0, 0x3f0, 1, -86),
    (0x3f1, 0x3f1, 1, -80),
    (0x3f2, 0x3f2, 1, 7),
    (0x3f3, 0x3f3, 1, -116),
    (0x3f5, 0x3f5, 1, -96),
    (0x3f8, 0x3f8, 1, -1),
    (0x3fb, 0x3fb, 1, -1),
    (0x430, 0x44f, 1, -32),
    (0x450, 0x45f, 1, -80),
    (0x461, 0x481, 2, -1),
    (0x48b, 0x4bf, 2, -1),
    (0x4c2, 0x4ce, 2, -1),
    (0x4cf, 0x4cf, 1, -15),
    (0x4d1, 0x52f, 2, -1),
    (0x561, 0x586, 1, -48),
    (0x10d0, 0x10fa, 1, 3008),
    (0x10fd, 0x10ff, 1, 3008),
    (0x13f8, 0x13fd, 1, -8),
    (0x1c80, 0x1c80, 1, -6254),
    (0x1c81, 0x1c81, 1, -6253),
    (0x1c82, 0x1c82, 1, -6244),
    (0x1c83, 0x1c84, 1, -6242),
    (0x1c85, 0x1c85, 1, -6243),
    (0x1c86, 0x1c86, 1, -6236),
    (0x1c87, 0x1c87, 1, -6181),
    (0x1c88, 0x1c88, 1, 35266),
    (0x1d79, 0x1d79, 1, 35332),
    (0x1d7d, 0x1d7d, 1, 3814),
    (0x1d8e, 0x1d8e, 1, 35384),
    (0x1e01, 0x1e95, 2, -1),
    (0x1e9b, 0x1e9b, 1, -59),
    (0x1ea1, 0x1eff, 2, -1),
    (0x1f00, 0x1f07, 1, 8),
    (0x1f10, 0x1f15, 1, 8),
    (0x1f20, 0x1f27, 1, 8),
    (0x1f30, 0x1f37, 1, 8),
    (0x1f40, 0x1f45, 1, 8),
    (0x1f51, 0x1f57, 2, 8),
    (0x1f60, 0x1f67, 1, 8),
    (0x1f70, 0x1f71, 1, 74),
    (0x1f72, 0x1f75, 1, 86),
    (0x1f76, 0x1f77, 1, 100),
    (0x1f78, 0x1f79, 1, 128),
    (0x1f7a, 0x1f7b, 1, 112),
    (0x1f7c, 0x1f7d, 1, 126),
    (0x1fb0, 0x1fb1, 1, 8),
    (0x1fbe, 0x1fbe, 1, -7205),
    (0x1fd0, 0x1fd1, 1, 8),
    (0x1fe0, 0x1fe1, 1, 8),
    (0x1fe5, 0x1fe5, 1, 7),
    (0x214e, 0x214e, 1, -28),
    (0x2170, 0x217f, 1, -16),
    (0x2184, 0x2184, 1, -1),
    (0x24d0, 0x24e9, 1, -26),
    (0x2c30, 0x2c5f, 1, -48),
    (0x2c61, 0x2c61, 1, -1),
    (0x2c65, 0x2c65, 1, -10795),
    (0x2c66, 0x2c66, 1, -10792),
    (0x2c68, 0x2c6c, 2, -1),
    (0x2c73, 0x2c73, 1, -1),
    (0x2c76, 0x2c76, 1, -1),
    (0x2c81, 0x2ce3, 2, -1),
    (0x2cec, 0x2cee, 2, -1),
    (0x2cf3, 0x2cf3, 1, -1),
    (0x2d00, 0x2d25, 1, -7264),
    (0x2d27, 0x2d27, 1, -7264),
    (0x2d2d, 0x2d2d, 1, -7264),
    (0xa641, 0xa66d, 2, -1),
    (0xa681, 0xa69b, 2, -1),
    (0xa723, 0xa72f, 2, -1),
    (0xa733, 0xa76f, 2, -1),
    (0xa77a, 0xa77c, 2, -1),
    (0xa77f, 0xa787, 2, -1),
    (0xa78c, 0xa78c, 1, -1),
    (0xa791, 0xa793, 2, -1),
    (0xa794, 0xa794, 1, 48),
    (0xa797, 0xa7a9, 2, -1),
    (0xa7b5, 0xa7c3, 2, -1),
    (0xa7c8, 0xa7ca, 2, -1),
    (0xa7d1, 0xa7d1, 1, -1),
    (0xa7d7, 0xa7d9, 2, -1),
    (0xa7f6, 0xa7f6, 1, -1),
    (0xab53, 0xab53, 1, -928),
    (0xab70, 0xabbf, 1, -38864),
    (0xff41, 0xff5a, 1, -32),
    (0x10428, 0x1044f, 1, -40),
    (0x104d8, 0x104fb, 1, -40),
    (0x10597, 0x105a1, 1, -39),
    (0x105a3, 0x105b1, 1, -39),
    (0x105b3, 0x105b9, 1, -39),
    (0x105bb, 0x105bc, 1, -39),
    (0x10cc0, 0x10cf2, 1, -64),
    (0x118c0, 0x118df, 1, -32),
    (0x16e60, 0x16e7f, 1, -32),
    (0x1e922, 0x1e943, 1, -34),
];

/// Code points whose `str.upper()` is more than one character.
const UPPER_SPECIAL: [(char, &str); 102] = [
    ('\u{df}', "\u{53}\u{53}"),
    ('\u{149}', "\u{2bc}\u{4e}"),
    ('\u{1f0}', "\u{4a}\u{30c}"),
    ('\u{390}', "\u{399}\u{308}\u{301}"),
    ('\u{3b0}', "\u{3a5}\u{308}\u{301}"),
    ('\u{587}', "\u{535}\u{552}"),
    ('\u{1e96}', "\u{48}\u{331}"),
    ('\u{1e97}', "\u{54}\u{308}"),
    ('\u{1e98}', "\u{57}\u{30a}"),
    ('\u{1e99}', "\u{59}\u{30a}"),
    ('\u{1e9a}', "\u{41}\u{2be}"),
    ('\u{1f50}', "\u{3a5}\u{313}"),
    ('\u{1f52}', "\u{3a5}\u{313}\u{300}"),
    ('\u{1f54}', "\u{3a5}\u{313}\u{301}"),
    ('\u{1f56}', "\u{3a5}\u{313}\u{342}"),
    ('\u{1f80}', "\u{1f08}\u{399}"),
    ('\u{1f81}', "\u{1f09}\u{399}"),
    ('\u{1f82}', "\u{1f0a}\u{399}"),
    ('\u{1f83}', "\u{1f0b}\u{399}"),
    ('\u{1f84}', "\u{1f0c}\u{399}"),
    ('\u{1f85}', "\u{1f0d}\u{399}"),
    ('\u{1f86}', "\u{1f0e}\u{399}"),
    ('\u{1f87}', "\u{1f0f}\u{399}"),
    ('\u{1f88}', "\u{1f08}\u{399}"),
    ('\u{1f89}', "\u{1f09}\u{399}"),
    ('\u{1f8a}', "\u{1f0a}\u{399}"),
    ('\u{1f8b}', "\u{1f0b}\u{399}"),
    ('\u{1f8c}', "\u{1f0c}\u{399}"),
    ('\u{1f8d}', "\u{1f0d}\u{399}"),
    ('\u{1f8e}', "\u{1f0e}\u{399}"),
    ('\u{1f8f}', "\u{1f0f}\u{399}"),
    ('\u{1f90}', "\u{1f28}\u{399}"),
    ('\u{1f91}', "\u{1f29}\u{399}"),
    ('\u{1f92}', "\u{1f2a}\u{399}"),
    ('\u{1f93}', "\u{1f2b}\u{399}"),
    ('\u{1f94}', "\u{1f2c}\u{399}"),
    ('\u{1f95}', "\u{1f2d}\u{399}"),
    ('\u{1f96}', "\u{1f2e}\u{399}"),
    ('\u{1f97}', "\u{1f2f}\u{399}"),
    ('\u{1f98}', "\u{1f28}\u{399}"),
    ('\u{1f99}', "\u{1f29}\u{399}"),
    ('\u{1f9a}', "\u{1f2a}\u{399}"),
    ('\u{1f9b}', "\u{1f2b}\u{399}"),
    ('\u{1f9c}', "\u{1f2c}\u{399}"),
    ('\u{1f9d}', "\u{1f2d}\u{399}"),
    ('\u{1f9e}', "\u{1f2e}\u{399}"),
    ('\u{1f9f}', "\u{1f2f}\u{399}"),
    ('\u{1fa0}', "\u{1f68}\u{399}"),
    ('\u{1fa1}', "\u{1f69}\u{399}"),
    ('\u{1fa2}', "\u{1f6a}\u{399}"),
    ('\u{1fa3}', "\u{1f6b}\u{399}"),
    ('\u{1fa4}', "\u{1f6c}\u{399}"),
    ('\u{1fa5}', "\u{1f6d}\u{399}"),
    ('\u{1fa6}', "\u{1f6e}\u{399}"),
    ('\u{1fa7}', "\u{1f6f}\u{399}"),
    ('\u{1fa8}', "\u{1f68}\u{399}"),
    ('\u{1fa9}', "\u{1f69}\u{399}"),
    ('\u{1faa}', "\u{1f6a}\u{399}"),
    ('\u{1fab}', "\u{1f6b}\u{399}"),
    ('\u{1fac}', "\u{1f6c}\u{399}"),
    ('\u{1fad}', "\u{1f6d}\u{399}"),
    ('\u{1fae}', "\u{1f6e}\u{399}"),
    ('\u{1faf}', "\u{1f6f}\u{399}"),
    ('\u{1fb2}', "\u{1fba}\u{399}"),
    ('\u{1fb3}', "\u{391}\u{399}"),
    ('\u{1fb4}', "\u{386}\u{399}"),
    ('\u{1fb6}', "\u{391}\u{342}"),
    ('\u{1fb7}', "\u{391}\u{342}\u{399}"),
    ('\u{1fbc}', "\u{391}\u{399}"),
    ('\u{1fc2}', "\u{1fca}\u{399}"),
    ('\u{1fc3}', "\u{397}\u{399}"),
    ('\u{1fc4}', "\u{389}\u{399}"),
    ('\u{1fc6}', "\u{397}\u{342}"),
    ('\u{1fc7}', "\u{397}\u{342}\u{399}"),
    ('\u{1fcc}', "\u{397}\u{399}"),
    ('\u{1fd2}', "\u{399}\u{308}\u{300}"),
    ('\u{1fd3}', "\u{399}\u{308}\u{301}"),
    ('\u{1fd6}', "\u{399}\u{342}"),
    ('\u{1fd7}', "\u{399}\u{308}\u{342}"),
    ('\u{1fe2}', "\u{3a5}\u{308}\u{300}"),
    ('\u{1fe3}', "\u{3a5}\u{308}\u{301}"),
    ('\u{1fe4}', "\u{3a1}\u{313}"),
    ('\u{1fe6}', "\u{3a5}\u{342}"),
    ('\u{1fe7}', "\u{3a5}\u{308}\u{342}"),
    ('\u{1ff2}', "\u{1ffa}\u{399}"),
    ('\u{1ff3}', "\u{3a9}\u{399}"),
    ('\u{1ff4}', "\u{38f}\u{399}"),
    ('\u{1ff6}', "\u{3a9}\u{342}"),
    ('\u{1ff7}', "\u{3a9}\u{342}\u{399}"),
    ('\u{1ffc}', "\u{3a9}\u{399}"),
    ('\u{fb00}', "\u{46}\u{46}"),
    ('\u{fb01}', "\u{46}\u{49}"),
    ('\u{fb02}', "\u{46}\u{4c}"),
    ('\u{fb03}', "\u{46}\u{46}\u{49}"),
    ('\u{fb04}', "\u{46}\u{46}\u{4c}"),
    ('\u{fb05}', "\u{53}\u{54}"),
    ('\u{fb06}', "\u{53}\u{54}"),
    ('\u{fb13}', "\u{544}\u{546}"),
    ('\u{fb14}', "\u{544}\u{535}"),
    ('\u{fb15}', "\u{544}\u{53b}"),
    ('\u{fb16}', "\u{54e}\u{546}"),
    ('\u{fb17}', "\u{544}\u{53d}"),
];
// END unicode tables
