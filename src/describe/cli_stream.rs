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
    Raised, Section, Sink, format_text, is_container, line_break, list_element_map, push_line,
    push_repeat, py_str, py_upper, render_head, render_row, render_section, table_list_element,
    table_row_of_item,
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
            && sink
                .add_row(vec!["NextToken".to_string(), token.to_string()])
                .is_err()
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
        if sink
            .add_row_header(headers.iter().map(|h| h.to_string()).collect())
            .is_err()
        {
            return Ok(Err(Raised));
        }
        let mut first = true;
        elements.each(&mut |element| {
            let added =
                table_list_element(sink, &element, first, &headers, &more, title, indent_level);
            first = false;
            raised = added.is_err();
            Ok(if raised { Flow::Done } else { Flow::More })
        })?;
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
/// vertical, and the column widths of the long ones. Keeps one row of each.
#[derive(Default)]
struct Measure {
    current: Option<Section>,
    rows: usize,
    /// The current section's place (1-based).
    index: usize,
    widest: usize,
    widest_vertical: usize,
    long: HashMap<usize, Vec<usize>>,
}

impl Measure {
    fn close(&mut self) {
        let Some(mut section) = self.current.take() else {
            return;
        };
        let width = section.total_width();
        self.widest = self.widest.max(width);
        let vertical = if self.rows == 1 && !section.headers.is_empty() {
            section.vertical().total_width()
        } else {
            width
        };
        self.widest_vertical = self.widest_vertical.max(vertical);
        if self.rows > KEPT_ROWS {
            self.long.insert(self.index, section.max_widths);
        }
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

    fn add_row_header(&mut self, headers: Vec<String>) -> Result<(), Raised> {
        self.section()?.add_header(headers)
    }

    fn add_row(&mut self, row: Vec<String>) -> Result<(), Raised> {
        let section = self.section()?;
        section.add_row(row)?;
        section.rows.truncate(1);
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
    current: Option<Section>,
    /// For a long section: its rows' widths once its head is written.
    streamed: Option<Option<Vec<usize>>>,
    text: String,
    failed: Option<std::io::Error>,
}

impl<W: Write> Render<'_, W> {
    fn close(&mut self) {
        let Some(mut section) = self.current.take() else {
            return;
        };
        self.text.clear();
        match self.streamed.take() {
            Some(Some(widths)) => {
                push_line(&mut self.text, section.indent_level, &line_break(&widths))
            }
            Some(None) => {}
            None => {
                if self.vertical && section.is_vertical_candidate() {
                    section = section.vertical();
                }
                render_section(&section, self.max_width, &mut self.text);
            }
        }
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

    fn add_row_header(&mut self, headers: Vec<String>) -> Result<(), Raised> {
        self.current.as_mut().ok_or(Raised)?.add_header(headers)
    }

    fn add_row(&mut self, row: Vec<String>) -> Result<(), Raised> {
        if self.failed.is_some() {
            // Stops the events (a closed pipe); the error is reported after them.
            return Err(Raised);
        }
        let Render {
            current,
            streamed,
            text,
            max_width,
            ..
        } = self;
        let section = current.as_mut().ok_or(Raised)?;
        let Some(streamed) = streamed else {
            return section.add_row(row);
        };
        if section.rows.is_empty() {
            // The head, once: the widths are the measuring pass's. Without columns
            // awscli prints no rows either.
            section.add_row(row.clone())?;
            *streamed = render_head(section, true, *max_width, text);
        }
        if let Some(widths) = streamed.as_ref() {
            render_row(section.indent_level, widths, &row, text);
        }
        self.flush();
        if self.failed.is_some() {
            // Stops the events; the error is reported after them.
            return Err(Raised);
        }
        Ok(())
    }
}
