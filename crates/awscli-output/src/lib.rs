//! The AWS CLI's `--output text` and `--output table` formatters.
//!
//! This crate reproduces, byte for byte, what the AWS CLI v1 (`awscli` on PyPI)
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
//!   row values and indentation bars; this crate prints `--color off`.
//! * Terminal width detection: awscli asks the terminal for its width and uses
//!   80 when it cannot; [`table`] takes the width as an argument.
//! * Line endings: lines end with `\n`, as on Linux and macOS (Windows' text
//!   mode stdout writes `\r\n`).
//! * Values JSON cannot hold: botocore's `bytes` blobs and integers beyond
//!   64 bits (which `serde_json` stores as `f64` unless its
//!   `arbitrary_precision` feature is enabled, in which case their digits are
//!   printed as they are).

use serde_json::{Map, Number, Value};

mod unicode_tables;
pub use unicode_tables::UNICODE_VERSION;
use unicode_tables::{NON_PRINTABLE, UPPER_RUNS, UPPER_SPECIAL, WIDE};

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
pub struct Raised;

pub type Result<T> = std::result::Result<T, Raised>;

// ---------------------------------------------------------------------------
// Python value semantics
// ---------------------------------------------------------------------------

/// `isinstance(value, (list, dict))`.
pub fn is_container(value: &Value) -> bool {
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
pub fn py_str(value: &Value) -> String {
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
pub fn py_upper(s: &str) -> String {
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
pub fn text_length(s: &str) -> usize {
    if s.is_ascii() {
        // No ASCII character is wide or ambiguous.
        return s.len();
    }
    s.chars()
        .map(|c| {
            if (c as u32) < WIDE[0] || !in_ranges(&WIDE, c as u32) {
                1
            } else {
                2
            }
        })
        .sum()
}

/// `' ' * n` (empty when `n` is negative).
pub fn push_repeat(out: &mut String, c: char, n: i64) {
    let n = n.max(0) as usize;
    // A table's padding and rules, most of its bytes, are copied a block at a time.
    let block = match c {
        ' ' => "                                                                ",
        '-' => "----------------------------------------------------------------",
        '|' => "||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||",
        _ => "",
    };
    if !block.is_empty() {
        out.reserve(n);
        let mut left = n;
        while left > 0 {
            let take = left.min(block.len());
            out.push_str(&block[..take]);
            left -= take;
        }
        return;
    }
    out.reserve(n * c.len_utf8());
    out.extend(std::iter::repeat_n(c, n));
}

/// Keys of `map` whose values are scalar and those whose values are not, each
/// sorted (`TableFormatter._group_scalar_keys`).
pub fn group_scalar_keys(map: &Map<String, Value>) -> (Vec<&str>, Vec<&str>) {
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

pub fn format_text(
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
pub fn build_table<S: Sink + ?Sized>(
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
pub fn table_row_of_item<S: Sink + ?Sized>(table: &mut S, item: &Value) -> Result<()> {
    match item {
        Value::Array(elements) if elements.iter().any(is_container) => {
            build_table(table, None, item, 0)?;
        }
        Value::Array(elements) => {
            let cells: Vec<String> = elements.iter().map(py_str).collect();
            table.add_row(&borrowed(&cells))?;
        }
        // Iterating over a dict yields its keys, all scalar.
        Value::Object(map) => table.add_row(&map.keys().map(String::as_str).collect::<Vec<_>>())?,
        scalar => table.add_row(&[py_str(scalar).as_str()])?,
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
        table.add_row(&[headers[0], py_str(&map[headers[0]]).as_str()])?;
    } else if !headers.is_empty() {
        table.add_row_header(&headers)?;
        let cells: Vec<String> = headers.iter().map(|h| py_str(&map[*h])).collect();
        table.add_row(&borrowed(&cells))?;
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
    table.add_row_header(&headers)?;
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
pub fn list_element_map(element: &Value) -> Result<Option<&Map<String, Value>>> {
    match element {
        Value::Object(map) => Ok(Some(map)),
        Value::Array(a) if a.is_empty() => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        _ => Err(Raised),
    }
}

/// One element of a list of objects under the list's `headers` (the sorted union of
/// its elements' scalar keys) and `more` (of their other keys).
pub fn table_list_element<S: Sink + ?Sized>(
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
        table.add_row_header(headers)?;
    }
    let Some(map) = list_element_map(element)? else {
        // `element.get` on a list or string raises, unless there is no
        // header to look up.
        if !headers.is_empty() {
            return Err(Raised);
        }
        table.add_row(&[])?;
        // `key in element` is false for an empty list, and for an empty
        // string unless the key is empty too (then `""[""]` raises).
        if element.is_string() && more.contains(&"") {
            return Err(Raised);
        }
        return Ok(());
    };
    let cells: Vec<String> = headers
        .iter()
        .map(|h| map.get(*h).map(py_str).unwrap_or_default())
        .collect();
    table.add_row(&borrowed(&cells))?;
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
pub struct Section {
    /// `None` where awscli's title is `None` (it then counts as the four
    /// characters of `"None"` in width computations but is not printed).
    pub title: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub indent_level: usize,
    pub num_cols: Option<usize>,
    pub max_widths: Vec<usize>,
}

impl Section {
    pub fn title_length(&self) -> usize {
        text_length(self.title.as_deref().unwrap_or("None"))
    }

    pub fn add_header(&mut self, headers: &[&str]) -> Result<()> {
        self.update_max_widths(headers)?;
        if self.num_cols.is_none() {
            self.num_cols = Some(headers.len());
        }
        self.headers = owned(headers);
        Ok(())
    }

    pub fn add_row(&mut self, row: &[&str]) -> Result<()> {
        self.count_row(row)?;
        self.rows.push(owned(row));
        Ok(())
    }

    /// [`Section::add_row`] without keeping the row: its checks and widths.
    pub fn count_row(&mut self, row: &[&str]) -> Result<()> {
        self.count(row.iter().map(|cell| text_length(cell)))
    }

    /// [`Section::count_row`] of a row whose cells' text lengths are `widths`.
    pub fn count_widths(&mut self, widths: &[usize]) -> Result<()> {
        self.count(widths.iter().copied())
    }

    fn count(&mut self, widths: impl ExactSizeIterator<Item = usize>) -> Result<()> {
        let num_cols = *self.num_cols.get_or_insert(widths.len());
        if widths.len() != num_cols {
            // ValueError: Row should have N elements, instead it has M
            return Err(Raised);
        }
        self.widen(widths)
    }

    pub fn update_max_widths<S: AsRef<str>>(&mut self, row: &[S]) -> Result<()> {
        self.widen(row.iter().map(|el| text_length(el.as_ref())))
    }

    fn widen(&mut self, widths: impl Iterator<Item = usize>) -> Result<()> {
        if self.max_widths.is_empty() {
            self.max_widths = widths.collect();
        } else {
            for (i, width) in widths.enumerate() {
                // IndexError when the row is longer than the first one.
                let max = self.max_widths.get_mut(i).ok_or(Raised)?;
                *max = (*max).max(width);
            }
        }
        Ok(())
    }

    /// `calculate_column_widths(padding, max_width)`: column widths scaled so
    /// that they add up to `max_width`.
    pub fn column_widths(&self, padding: usize, max_width: usize) -> Vec<usize> {
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
    pub fn total_width(&self) -> usize {
        let outer = 2 * self.indent_level;
        let columns: usize = self.max_widths.iter().map(|w| w + 4).sum();
        (self.title_length() + 2 + outer).max(columns + 2 + outer)
    }
}

/// What the table builders write to: awscli's `MultiTable` calls.
pub trait Sink {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize);
    fn add_row_header(&mut self, headers: &[&str]) -> Result<()>;
    fn add_row(&mut self, row: &[&str]) -> Result<()>;
}

/// The cells of a row as the [`Sink`] takes them.
pub fn borrowed(cells: &[String]) -> Vec<&str> {
    cells.iter().map(String::as_str).collect()
}

fn owned(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

impl Sink for MultiTable {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize) {
        self.sections.push(Section {
            title: title.map(str::to_string),
            indent_level,
            ..Section::default()
        });
    }

    fn add_row_header(&mut self, headers: &[&str]) -> Result<()> {
        self.current()?.add_header(headers)
    }

    fn add_row(&mut self, row: &[&str]) -> Result<()> {
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
    pub fn is_vertical_candidate(&self) -> bool {
        self.rows.len() == 1 && !self.headers.is_empty()
    }

    /// The two-column `header | value` section this one becomes.
    pub fn vertical(&mut self) -> Section {
        let mut vertical = Section {
            title: self.title.take(),
            indent_level: self.indent_level,
            ..Section::default()
        };
        for (header, element) in self.headers.iter().zip(&self.rows[0]) {
            // Two-element rows never fail.
            let _ = vertical.add_row(&[header.as_str(), element.as_str()]);
        }
        vertical
    }
}

/// The right side of a line through awscli's `IndentedStream` (one `|` per
/// indentation level on each side), after its text.
fn end_line(out: &mut String, indent_level: usize) {
    push_repeat(out, '|', indent_level as i64);
    out.push('\n');
}

pub fn render_section(section: &Section, max_width: usize, out: &mut String) {
    if let Some(widths) = render_head(section, !section.rows.is_empty(), max_width, out) {
        for row in &section.rows {
            render_row(section.indent_level, &widths, row, out);
        }
        push_line_break(out, section.indent_level, &widths);
    }
}

/// A section's title and column titles, then the line that opens its rows when
/// `has_rows`: the rows' widths are returned then, unless there are no columns.
pub fn render_head(
    section: &Section,
    has_rows: bool,
    max_width: usize,
    out: &mut String,
) -> Option<Vec<usize>> {
    let indent = section.indent_level;
    let max_width = max_width.saturating_sub(indent * 2);
    // Title.
    if let Some(title) = section.title.as_deref().filter(|t| !t.is_empty()) {
        push_repeat(out, '|', indent as i64);
        push_centered(out, title, max_width, "|", "|");
        end_line(out, indent);
        if section.headers.is_empty() && !has_rows {
            push_repeat(out, '|', indent as i64);
            out.push('+');
            push_repeat(out, '-', max_width as i64 - 2);
            out.push('+');
            end_line(out, indent);
        }
    }
    // Column titles.
    if !section.headers.is_empty() {
        let widths = section.column_widths(4, max_width);
        push_line_break(out, indent, &widths);
        push_repeat(out, '|', indent as i64);
        for (i, (&width, header)) in widths.iter().zip(&section.headers).enumerate() {
            let left_edge = if i == 0 { "|" } else { "" };
            push_centered(out, header, width, left_edge, "|");
        }
        end_line(out, indent);
    }
    if !has_rows {
        return None;
    }
    let widths = section.column_widths(4, max_width);
    if widths.is_empty() {
        return None;
    }
    push_line_break(out, indent, &widths);
    Some(widths)
}

/// One row of a section whose rows have `widths`; the rows end with [`push_line_break`].
pub fn render_row<S: AsRef<str>>(
    indent_level: usize,
    widths: &[usize],
    row: &[S],
    out: &mut String,
) {
    let cells = row.iter().map(|c| (c.as_ref(), text_length(c.as_ref())));
    render_measured_row(indent_level, widths, cells, out);
}

/// [`render_row`] of cells given with their text lengths.
pub fn render_measured_row<'a>(
    indent_level: usize,
    widths: &[usize],
    cells: impl Iterator<Item = (&'a str, usize)>,
    out: &mut String,
) {
    push_repeat(out, '|', indent_level as i64);
    for (i, (&width, (text, text_len))) in widths.iter().zip(cells).enumerate() {
        let left_edge = if i == 0 { "|" } else { "" };
        push_measured_left(out, text, text_len, width, left_edge, "|");
    }
    end_line(out, indent_level);
}

/// `_write_line_break` through the `IndentedStream`: `+-----+------+`.
pub fn push_line_break(out: &mut String, indent_level: usize, widths: &[usize]) {
    push_repeat(out, '|', indent_level as i64);
    for (i, &width) in widths.iter().enumerate() {
        if i == 0 {
            out.push('+');
            push_repeat(out, '-', width as i64 - 2);
        } else {
            push_repeat(out, '-', width as i64 - 1);
        }
        out.push('+');
    }
    end_line(out, indent_level);
}

/// `awscli.table.center_text`, appended to `out`.
fn push_centered(out: &mut String, text: &str, length: usize, left_edge: &str, right_edge: &str) {
    let length = length as i64;
    let text_len = text_length(text) as i64;
    let char_start = length.div_euclid(2) - text_len.div_euclid(2) - 1;
    out.push_str(left_edge);
    push_repeat(out, ' ', char_start);
    out.push_str(text);
    let length_so_far = text_length(left_edge) as i64 + char_start + text_len;
    let right_side_spaces = length - text_length(right_edge) as i64 - length_so_far;
    push_repeat(out, ' ', right_side_spaces);
    out.push_str(right_edge);
}

/// `awscli.table.align_left` with its default left padding of two spaces (dropped
/// when the text does not fit), appended to `out`, of a text whose [`text_length`] is
/// `text_len`.
fn push_measured_left(
    out: &mut String,
    text: &str,
    text_len: usize,
    length: usize,
    left_edge: &str,
    right_edge: &str,
) {
    let length = length as i64;
    let text_len = text_len as i64;
    // Python's len(): characters.
    let chars = |edge: &str| {
        if edge.is_ascii() {
            edge.len() as i64
        } else {
            edge.chars().count() as i64
        }
    };
    let left_len = chars(left_edge);
    let right_len = chars(right_edge);
    let computed_length =
        text_len + 2 + text_length(left_edge) as i64 + text_length(right_edge) as i64;
    let padding = if length - computed_length >= 0 { 2 } else { 0 };
    out.push_str(left_edge);
    push_repeat(out, ' ', padding);
    out.push_str(text);
    push_repeat(
        out,
        ' ',
        length - (left_len + padding + text_len) - right_len,
    );
    out.push_str(right_edge);
}
