//! The AWS CLI's JSON, text and table output of a list read element by element
//! ([`Elements`]), byte for byte what [`awscli_output`] and [`super::output`]
//! print for the same list held whole, in memory that does not grow with it.
//!
//! What awscli decides from the whole list is found in a first pass (a `Survey`:
//! whether any element is an object or a list, the union of their keys), and a table's
//! widths in a second (a `Measure`: every section's width, and the column widths of
//! sections too long to keep); then the output is written in a last pass (`Render`),
//! one section at a time. The element-level formatting is the `awscli-output` crate's.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use serde_json::Value;

use super::image_json::Pretty;
use awscli_output::{
    Raised, Section, Sink, format_text, is_container, list_element_map, push_line_break,
    push_repeat, py_str, py_upper, render_head, render_measured_row, render_row,
    table_list_element, table_row_of_item, text_length,
};

/// Whether a reader wants more elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    More,
    Done,
}

/// A list read element by element, in order, as many times as a writer asks.
pub trait Elements {
    type Error: From<std::io::Error>;

    /// Calls `each` with every element in order, until it answers [`Flow::Done`].
    fn each(
        &self,
        each: &mut dyn FnMut(Value) -> Result<Flow, Self::Error>,
    ) -> Result<(), Self::Error>;

    /// Writes each element to `out` as `render` lays it out, in order, stopping after
    /// the first it answers [`Flow::Done`] for.
    fn write_each(
        &self,
        render: &mut dyn FnMut(&Value, &mut Vec<u8>) -> Flow,
        out: &mut dyn Write,
    ) -> Result<(), Self::Error> {
        let mut laid_out = Vec::new();
        self.each(&mut |element| {
            laid_out.clear();
            let flow = render(&element, &mut laid_out);
            out.write_all(&laid_out)?;
            Ok(flow)
        })
    }

    /// When every element is an object, their number and keys, found without making
    /// each element: those with a scalar value in some element, and the others.
    fn object_keys(&self) -> Option<Result<ObjectKeys, Self::Error>> {
        None
    }

    /// [`Elements::each`] in any order, for a reader that does not need it: each
    /// element with its [`Place`].
    fn each_in_any_order(
        &self,
        each: &mut dyn FnMut(Value, Place) -> Result<Flow, Self::Error>,
    ) -> Result<(), Self::Error> {
        let mut place = 0;
        self.each(&mut |element| {
            place += 1;
            each(element, (place, 0))
        })
    }

    /// Whether every element is known, before any is read, to be a scalar (or there
    /// are none): the text of a list of scalars needs nothing of the others.
    fn known_scalars(&self) -> bool {
        false
    }

    /// When every element is an object: writes each as `format_text(element,
    /// identifier, keys)` would, in order, without making it a [`Value`] where it can.
    /// None: the elements are only to be had as values.
    fn write_text_objects(
        &self,
        _identifier: Option<&str>,
        _keys: &[&str],
        _out: &mut dyn Write,
    ) -> Option<Result<(), Self::Error>> {
        None
    }

    /// When every element is an object: calls `each` with each one's table events in
    /// order, as a [`Recorder`] records `table_list_element(element, first: false,
    /// headers, more, title, indent_level)`, until it answers [`Flow::Done`]. None:
    /// the elements are only to be had as values. A table calls it twice with the same
    /// `table`, to measure then to write: the events of the first call may be kept
    /// for the second.
    fn table_objects(
        &self,
        _table: &TableOfObjects<'_>,
        _each: &mut EachEvents<'_, Self::Error>,
    ) -> Option<Result<(), Self::Error>> {
        None
    }
}

/// What is called with each element's recorded table events (see [`Recorder`]).
pub type EachEvents<'a, E> = dyn FnMut(&[u8]) -> Result<Flow, E> + 'a;

/// What a table of objects lays each element out under: the sorted union of their
/// scalar keys (`headers`) and of their other keys (`more`), and the list's section.
pub struct TableOfObjects<'a> {
    pub headers: &'a [&'a str],
    pub more: &'a [&'a str],
    pub title: Option<&'a str>,
    pub indent_level: usize,
}

/// Where an element stands in the list: elements sort by it.
pub type Place = (usize, usize);

/// `output::write_json` of the list.
pub fn json_list<E: Elements>(elements: &E, out: &mut impl Write) -> Result<(), E::Error> {
    let mut json = Pretty::new(out);
    json.begin_array()?;
    elements.each(&mut |element| {
        json.item()?;
        json.json(&element)?;
        Ok(Flow::More)
    })?;
    json.end_array()?;
    json.finish()?;
    Ok(())
}

/// `cli_output::text` of the list.
pub fn text_list<E: Elements>(elements: &E, out: &mut impl Write) -> Result<(), E::Error> {
    if elements.known_scalars() {
        // One line of them, tab-separated; none, no line.
        let mut first = true;
        elements.each(&mut |element| {
            if !first {
                out.write_all(b"\t")?;
            }
            out.write_all(py_str(&element).as_bytes())?;
            first = false;
            Ok(Flow::More)
        })?;
        if !first {
            out.write_all(b"\n")?;
        }
        return Ok(());
    }
    let survey = Survey::of(elements)?;
    write_text_list(elements, &survey, None, out)
}

/// `cli_output::text` of `{"Images": <images>, "NextToken": <next_token>}`.
pub fn text_response<E: Elements>(
    images: &E,
    next_token: Option<&str>,
    out: &mut impl Write,
) -> Result<(), E::Error> {
    let survey = Survey::of(images)?;
    // The response's scalars (sorted by key) come first, on one line of their own.
    if let Some(token) = next_token {
        out.write_all(token.as_bytes())?;
        out.write_all(b"\n")?;
    }
    write_text_list(images, &survey, Some("Images"), out)
}

/// `cli_output::table` of the list.
pub fn table_list<E: Elements>(
    elements: &E,
    title: &str,
    terminal_width: usize,
    out: &mut impl Write,
) -> Result<(), E::Error> {
    let survey = Survey::of(elements)?;
    write_table::<E, _>(terminal_width, out, |sink| {
        list_events(sink, elements, &survey, Some(title), 0)
    })
}

/// `cli_output::table` of `{"Images": <images>, "NextToken": <next_token>}`.
pub fn table_response<E: Elements>(
    images: &E,
    next_token: Option<&str>,
    title: &str,
    terminal_width: usize,
    out: &mut impl Write,
) -> Result<(), E::Error> {
    let survey = Survey::of(images)?;
    write_table::<E, _>(terminal_width, out, |sink| {
        // An object is one section: its single scalar a `key | value` row, then each
        // non-scalar (the list) a section of its own.
        sink.new_section(Some(title), 0);
        if let Some(token) = next_token
            && sink.add_row(&["NextToken", token]).is_err()
        {
            return Ok(Err(Raised));
        }
        list_events(sink, images, &survey, Some("Images"), 1).map(|r| r.map(|_| true))
    })
}

/// The keys of a list of objects (see [`Elements::object_keys`]).
#[derive(Debug, Default)]
pub struct ObjectKeys {
    pub count: usize,
    pub scalar: BTreeSet<String>,
    pub container: BTreeSet<String>,
}

/// What the output of a list depends on beyond each element.
#[derive(Debug, Default)]
struct Survey {
    count: usize,
    first_is_object: bool,
    any_object: bool,
    any_array: bool,
    /// Elements that are not containers.
    scalars: usize,
    /// Elements that are not objects.
    not_objects: usize,
    /// Elements a table of objects refuses (not an object, an empty list or string).
    not_rows: usize,
    /// Keys with a scalar value in some object, and keys with a container value.
    scalar_keys: BTreeSet<String>,
    container_keys: BTreeSet<String>,
}

impl Survey {
    fn of<E: Elements>(elements: &E) -> Result<Survey, E::Error> {
        let mut survey = Survey::default();
        if let Some(keys) = elements.object_keys() {
            let keys = keys?;
            survey.count = keys.count;
            survey.first_is_object = keys.count > 0;
            survey.any_object = keys.count > 0;
            survey.scalar_keys = keys.scalar;
            survey.container_keys = keys.container;
            return Ok(survey);
        }
        // The first element is the only one whose place counts.
        let mut first: Option<Place> = None;
        elements.each_in_any_order(&mut |element, place| {
            if first.is_none_or(|first| place < first) {
                first = Some(place);
                survey.first_is_object = element.is_object();
            }
            survey.count += 1;
            match &element {
                Value::Object(map) => {
                    survey.any_object = true;
                    for (key, value) in map {
                        let keys = if is_container(value) {
                            &mut survey.container_keys
                        } else {
                            &mut survey.scalar_keys
                        };
                        if !keys.contains(key) {
                            keys.insert(key.clone());
                        }
                    }
                }
                Value::Array(_) => survey.any_array = true,
                _ => {}
            }
            if !is_container(&element) {
                survey.scalars += 1;
            }
            if !element.is_object() {
                survey.not_objects += 1;
            }
            if list_element_map(&element).is_err() {
                survey.not_rows += 1;
            }
            Ok(Flow::More)
        })?;
        Ok(survey)
    }
}

/// awscli's `_format_list`, the list read again for each part it prints.
fn write_text_list<E: Elements>(
    elements: &E,
    survey: &Survey,
    identifier: Option<&str>,
    out: &mut impl Write,
) -> Result<(), E::Error> {
    if survey.count == 0 {
        return Ok(());
    }
    if survey.any_object {
        if survey.not_objects > 0 {
            // awscli raises collecting the keys, before it prints any element.
            return Ok(());
        }
        let keys: Vec<&str> = survey.scalar_keys.iter().map(String::as_str).collect();
        if let Some(written) = elements.write_text_objects(identifier, &keys, out) {
            return written;
        }
        return write_each(elements, out, |element, text| {
            format_text(element, identifier, Some(&keys), text)
        });
    }
    if !survey.any_array || survey.scalars > 0 {
        // The scalars first: a line each under an identifier, else one line.
        let upper = identifier.map(py_upper);
        let mut first = true;
        elements.each(&mut |element| {
            if is_container(&element) {
                return Ok(Flow::More);
            }
            let text = py_str(&element);
            match &upper {
                Some(upper) => writeln!(out, "{upper}\t{text}")?,
                None if first => out.write_all(text.as_bytes())?,
                None => write!(out, "\t{text}")?,
            }
            first = false;
            Ok(Flow::More)
        })?;
        if upper.is_none() {
            out.write_all(b"\n")?;
        }
    }
    if survey.any_array {
        write_each(elements, out, |element, text| {
            if is_container(element) {
                format_text(element, identifier, None, text)
            } else {
                Ok(())
            }
        })?;
    }
    Ok(())
}

/// Writes what `format` makes of each element; awscli stops at the first it raises
/// on, after printing what it had made of that one.
fn write_each<E: Elements>(
    elements: &E,
    out: &mut impl Write,
    mut format: impl FnMut(&Value, &mut String) -> Result<(), Raised>,
) -> Result<(), E::Error> {
    let mut text = String::new();
    elements.write_each(
        &mut |element, laid_out| {
            text.clear();
            let formatted = format(element, &mut text);
            laid_out.extend_from_slice(text.as_bytes());
            match formatted {
                Ok(()) => Flow::More,
                Err(Raised) => Flow::Done,
            }
        },
        out,
    )
}

/// `TableFormatter._build_table` of a list, its events sent to `sink`: whether
/// there was anything to print, or that awscli raised.
fn list_events<S: Sink + ?Sized, E: Elements>(
    sink: &mut S,
    elements: &E,
    survey: &Survey,
    title: Option<&str>,
    indent_level: usize,
) -> Result<Result<bool, Raised>, E::Error> {
    if survey.count == 0 {
        // An empty list is not truthy: nothing, not even its title.
        return Ok(Ok(false));
    }
    sink.new_section(title, indent_level);
    let mut raised = false;
    if survey.first_is_object {
        if survey.not_rows > 0 {
            return Ok(Err(Raised));
        }
        let headers: Vec<&str> = survey.scalar_keys.iter().map(String::as_str).collect();
        let more: Vec<&str> = survey.container_keys.iter().map(String::as_str).collect();
        if sink.add_row_header(&headers).is_err() {
            return Ok(Err(Raised));
        }
        let mut first = true;
        let table = TableOfObjects {
            headers: &headers,
            more: &more,
            title,
            indent_level,
        };
        let recorded = elements.table_objects(&table, &mut |events| {
            // The list's section and header, already made, stand for the first's.
            let skip = if first && !more.is_empty() { 2 } else { 0 };
            first = false;
            raised = replay(events, skip, &headers, sink).is_err();
            Ok(if raised { Flow::Done } else { Flow::More })
        });
        match recorded {
            Some(done) => done?,
            None => elements.each(&mut |element| {
                let added =
                    table_list_element(sink, &element, first, &headers, &more, title, indent_level);
                first = false;
                raised = added.is_err();
                Ok(if raised { Flow::Done } else { Flow::More })
            })?,
        }
    } else {
        elements.each(&mut |element| {
            raised = table_row_of_item(sink, &element).is_err();
            Ok(if raised { Flow::Done } else { Flow::More })
        })?;
    }
    Ok(if raised { Err(Raised) } else { Ok(true) })
}

/// Sections with more rows than this are written as their rows come, with the
/// column widths the measuring pass found; shorter ones are kept until complete.
const KEPT_ROWS: usize = 256;

/// Runs `events` twice: to measure every section, then to write them. awscli prints
/// nothing when it raises, or when there is nothing to print.
fn write_table<E: Elements, W: Write>(
    terminal_width: usize,
    out: &mut W,
    mut events: impl FnMut(&mut dyn Sink) -> Result<Result<bool, Raised>, E::Error>,
) -> Result<(), E::Error> {
    let mut measure = Measure::default();
    match events(&mut measure)? {
        Ok(true) => measure.close(),
        Ok(false) | Err(Raised) => return Ok(()),
    }
    // `MultiTable._render`: sections wider than the terminal turn vertical where they can.
    let vertical = measure.widest > terminal_width;
    let max_width = if vertical {
        measure.widest_vertical
    } else {
        measure.widest
    };
    let mut render = Render {
        out,
        max_width,
        vertical,
        long: measure.long,
        index: 0,
        current: None,
        streamed: None,
        rows: Rows::default(),
        text: String::new(),
        failed: None,
    };
    let mut top = String::new();
    push_repeat(&mut top, '-', max_width as i64);
    top.push('\n');
    render.out.write_all(top.as_bytes())?;
    let _ = events(&mut render)?;
    render.close();
    match render.failed.take() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Measures the sections as they are made: their widths, as rendered and turned
/// vertical, and the column widths of the long ones. Keeps no row.
#[derive(Default)]
struct Measure {
    current: Option<Section>,
    rows: usize,
    /// The widths of the current section's first row's cells.
    first_row: Vec<usize>,
    /// The current section's place (1-based).
    index: usize,
    widest: usize,
    widest_vertical: usize,
    long: HashMap<usize, Vec<usize>>,
}

impl Measure {
    fn close(&mut self) {
        let Some(section) = self.current.take() else {
            return;
        };
        let width = section.total_width();
        self.widest = self.widest.max(width);
        let vertical = if self.rows == 1 && !section.headers.is_empty() {
            self.vertical_width(&section)
        } else {
            width
        };
        self.widest_vertical = self.widest_vertical.max(vertical);
        if self.rows > KEPT_ROWS {
            self.long.insert(self.index, section.max_widths);
        }
    }

    /// `section.vertical().total_width()`: its `header | value` pairs of the first row.
    fn vertical_width(&self, section: &Section) -> usize {
        let pairs = section.headers.len().min(self.first_row.len());
        let mut columns = 0;
        if pairs > 0 {
            let headers = section.headers[..pairs].iter().map(|h| text_length(h));
            let values = self.first_row[..pairs].iter().copied();
            columns = headers.max().unwrap_or(0) + values.max().unwrap_or(0) + 8;
        }
        let outer = 2 * section.indent_level;
        (section.title_length() + 2 + outer).max(columns + 2 + outer)
    }

    fn section(&mut self) -> Result<&mut Section, Raised> {
        self.current.as_mut().ok_or(Raised)
    }
}

impl Sink for Measure {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize) {
        self.close();
        self.index += 1;
        self.rows = 0;
        self.current = Some(Section {
            title: title.map(str::to_string),
            indent_level,
            ..Section::default()
        });
    }

    fn add_row_header(&mut self, headers: &[&str]) -> Result<(), Raised> {
        self.section()?.add_header(headers)
    }

    fn add_row(&mut self, row: &[&str]) -> Result<(), Raised> {
        self.section()?.count_row(row)?;
        if self.rows == 0 {
            self.first_row.clear();
            self.first_row
                .extend(row.iter().map(|cell| text_length(cell)));
        }
        self.rows += 1;
        Ok(())
    }
}

/// Writes the sections: each kept until complete, or a long one row by row.
struct Render<'o, W: Write> {
    out: &'o mut W,
    max_width: usize,
    vertical: bool,
    long: HashMap<usize, Vec<usize>>,
    index: usize,
    /// The current section, without its rows.
    current: Option<Section>,
    /// For a long section: its rows' widths once its head is written.
    streamed: Option<Option<Vec<usize>>>,
    /// The rows of the current section, when it is kept until complete.
    rows: Rows,
    text: String,
    failed: Option<std::io::Error>,
}

/// The rows of a section, their cells one after the other, each with its text length
/// (measured once).
#[derive(Default)]
struct Rows {
    count: usize,
    text: String,
    /// Where each cell ends in `text`, and its text length.
    cells: Vec<(usize, usize)>,
    widths: Vec<usize>,
}

impl Rows {
    fn clear(&mut self) {
        self.count = 0;
        self.text.clear();
        self.cells.clear();
    }

    /// Adds `row` to `section`'s rows.
    fn add(&mut self, section: &mut Section, row: &[&str]) -> Result<(), Raised> {
        self.widths.clear();
        self.widths.extend(row.iter().map(|cell| text_length(cell)));
        section.count_widths(&self.widths)?;
        for (cell, &width) in row.iter().zip(&self.widths) {
            self.text.push_str(cell);
            self.cells.push((self.text.len(), width));
        }
        self.count += 1;
        Ok(())
    }

    /// The cells of row `row`, of `columns` cells each, with their text lengths.
    fn row(&self, row: usize, columns: usize) -> impl Iterator<Item = (&str, usize)> {
        let cells = &self.cells[row * columns..(row + 1) * columns];
        let start = if row * columns == 0 {
            0
        } else {
            self.cells[row * columns - 1].0
        };
        cells.iter().scan(start, |start, &(end, width)| {
            let text = &self.text[*start..end];
            *start = end;
            Some((text, width))
        })
    }

    /// `render_section` of `section` with these rows.
    fn render(&self, section: &Section, max_width: usize, out: &mut String) {
        if let Some(widths) = render_head(section, self.count > 0, max_width, out) {
            let columns = self.cells.len() / self.count;
            for row in 0..self.count {
                render_measured_row(section.indent_level, &widths, self.row(row, columns), out);
            }
            push_line_break(out, section.indent_level, &widths);
        }
    }

    /// `render_section` of `section.vertical()`, `section` having a header and this one row.
    fn render_vertical(&self, section: &Section, max_width: usize, out: &mut String) {
        let pairs = section.headers.len().min(self.cells.len());
        let headers: Vec<usize> = section.headers[..pairs]
            .iter()
            .map(|h| text_length(h))
            .collect();
        let mut vertical = Section {
            title: section.title.clone(),
            indent_level: section.indent_level,
            ..Section::default()
        };
        if pairs > 0 {
            vertical.num_cols = Some(2);
            let values = self
                .row(0, self.cells.len())
                .take(pairs)
                .map(|(_, width)| width);
            vertical.max_widths = vec![
                headers.iter().copied().max().unwrap_or(0),
                values.max().unwrap_or(0),
            ];
        }
        if let Some(widths) = render_head(&vertical, pairs > 0, max_width, out) {
            let values = self.row(0, self.cells.len());
            for ((header, &header_len), value) in section.headers.iter().zip(&headers).zip(values) {
                let cells = [(header.as_str(), header_len), value].into_iter();
                render_measured_row(section.indent_level, &widths, cells, out);
            }
            push_line_break(out, section.indent_level, &widths);
        }
    }
}

impl<W: Write> Render<'_, W> {
    fn close(&mut self) {
        let Some(section) = self.current.take() else {
            return;
        };
        self.text.clear();
        match self.streamed.take() {
            Some(Some(widths)) => push_line_break(&mut self.text, section.indent_level, &widths),
            Some(None) => {}
            None => {
                if self.vertical && self.rows.count == 1 && !section.headers.is_empty() {
                    self.rows
                        .render_vertical(&section, self.max_width, &mut self.text);
                } else {
                    self.rows.render(&section, self.max_width, &mut self.text);
                }
            }
        }
        self.rows.clear();
        self.flush();
    }

    fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(e) = self.out.write_all(self.text.as_bytes())
        {
            self.failed = Some(e);
        }
        self.text.clear();
    }
}

impl<W: Write> Sink for Render<'_, W> {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize) {
        self.close();
        self.index += 1;
        let mut section = Section {
            title: title.map(str::to_string),
            indent_level,
            ..Section::default()
        };
        if let Some(widths) = self.long.remove(&self.index) {
            section.max_widths = widths;
            self.streamed = Some(None);
        }
        self.current = Some(section);
    }

    fn add_row_header(&mut self, headers: &[&str]) -> Result<(), Raised> {
        self.current.as_mut().ok_or(Raised)?.add_header(headers)
    }

    fn add_row(&mut self, row: &[&str]) -> Result<(), Raised> {
        if self.failed.is_some() {
            // Stops the events (a closed pipe); the error is reported after them.
            return Err(Raised);
        }
        let Render {
            current,
            streamed,
            rows,
            text,
            max_width,
            ..
        } = self;
        let section = current.as_mut().ok_or(Raised)?;
        let Some(streamed) = streamed else {
            return rows.add(section, row);
        };
        if section.rows.is_empty() {
            // The head, once: the widths are the measuring pass's. Without columns
            // awscli prints no rows either.
            section.add_row(row)?;
            *streamed = render_head(section, true, *max_width, text);
        }
        if let Some(widths) = streamed.as_ref() {
            render_row(section.indent_level, widths, row, text);
        }
        self.flush();
        if self.failed.is_some() {
            // Stops the events; the error is reported after them.
            return Err(Raised);
        }
        Ok(())
    }
}

/// Records table events (a [`Sink`]'s calls) to be sent to another sink later, in a
/// compact form: a list's elements are laid out once and measured and written from
/// there.
pub struct Recorder<'a> {
    out: &'a mut Vec<u8>,
    /// Where the open row's cell count stands, and its count so far.
    row: Option<(usize, u32)>,
}

const SECTION: u8 = 0;
const HEADER: u8 = 1;
const ROW: u8 = 2;
const RAISED: u8 = 3;
/// A header of the list's own keys, which every element of a list of objects with
/// containers repeats: recorded as this alone.
const LIST_HEADER: u8 = 4;
const NO_TITLE: u32 = u32::MAX;

impl<'a> Recorder<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Recorder<'a> {
        Recorder { out, row: None }
    }

    fn number(&mut self, n: u32) {
        self.out.extend_from_slice(&n.to_le_bytes());
    }

    fn text(&mut self, text: &str) {
        self.number(text.len() as u32);
        self.out.extend_from_slice(text.as_bytes());
    }

    pub fn section(&mut self, title: Option<&str>, indent_level: usize) {
        self.out.push(SECTION);
        self.number(indent_level as u32);
        match title {
            Some(title) => self.text(title),
            None => self.number(NO_TITLE),
        }
    }

    /// Opens a header (or a row), whose cells follow until [`Recorder::end`].
    pub fn begin(&mut self, header: bool) {
        self.out.push(if header { HEADER } else { ROW });
        self.row = Some((self.out.len(), 0));
        self.number(0);
    }

    pub fn cell(&mut self, text: &str) {
        if let Some((_, cells)) = &mut self.row {
            *cells += 1;
        }
        self.text(text);
    }

    pub fn end(&mut self) {
        if let Some((at, cells)) = self.row.take() {
            self.out[at..at + 4].copy_from_slice(&cells.to_le_bytes());
        }
    }

    /// The header of the list's keys (see [`TableOfObjects::headers`]).
    pub fn list_header(&mut self) {
        self.out.push(LIST_HEADER);
    }

    /// Where awscli raised: a replay stops there, raising too.
    pub fn raised(&mut self) {
        self.out.push(RAISED);
    }

    fn cells(&mut self, header: bool, cells: &[&str]) {
        self.begin(header);
        for cell in cells {
            self.cell(cell);
        }
        self.end();
    }
}

impl Sink for Recorder<'_> {
    fn new_section(&mut self, title: Option<&str>, indent_level: usize) {
        self.section(title, indent_level);
    }

    fn add_row_header(&mut self, headers: &[&str]) -> Result<(), Raised> {
        self.cells(true, headers);
        Ok(())
    }

    fn add_row(&mut self, row: &[&str]) -> Result<(), Raised> {
        self.cells(false, row);
        Ok(())
    }
}

/// Sends the events a [`Recorder`] recorded to `sink`, but for the first `skip`;
/// `list_headers` are the list's keys.
fn replay<S: Sink + ?Sized>(
    recorded: &[u8],
    skip: usize,
    list_headers: &[&str],
    sink: &mut S,
) -> Result<(), Raised> {
    let mut at = 0;
    let number = |at: &mut usize| -> Result<u32, Raised> {
        let bytes = recorded.get(*at..*at + 4).ok_or(Raised)?;
        *at += 4;
        Ok(u32::from_le_bytes(bytes.try_into().map_err(|_| Raised)?))
    };
    let text = |at: &mut usize, len: u32| -> Result<&str, Raised> {
        let bytes = recorded.get(*at..*at + len as usize).ok_or(Raised)?;
        *at += len as usize;
        std::str::from_utf8(bytes).map_err(|_| Raised)
    };
    let mut cells: Vec<&str> = Vec::new();
    let mut event = 0;
    while let Some(&op) = recorded.get(at) {
        at += 1;
        let send = event >= skip;
        event += 1;
        match op {
            SECTION => {
                let indent_level = number(&mut at)? as usize;
                let title = match number(&mut at)? {
                    NO_TITLE => None,
                    len => Some(text(&mut at, len)?),
                };
                if send {
                    sink.new_section(title, indent_level);
                }
            }
            HEADER | ROW => {
                cells.clear();
                for _ in 0..number(&mut at)? {
                    let len = number(&mut at)?;
                    cells.push(text(&mut at, len)?);
                }
                match (send, op) {
                    (false, _) => {}
                    (true, HEADER) => sink.add_row_header(&cells)?,
                    (true, _) => sink.add_row(&cells)?,
                }
            }
            LIST_HEADER if send => sink.add_row_header(list_headers)?,
            LIST_HEADER => {}
            _ => return Err(Raised),
        }
    }
    Ok(())
}
