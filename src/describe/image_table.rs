//! The AWS CLI's table of an image (`TableFormatter`'s events for the image as an
//! element of the answer's list), recorded straight from the columns of its Arrow
//! batch: no JSON object in between, which cost a third of a long table's time. The
//! events are what `awscli_output::table_list_element` makes of the same image as
//! JSON (tests compare the tables); a row holding what only that path lays out
//! (elements the reader did not know, a null in a list of structs, a list of lists,
//! a type the Image shape does not use) is [`Unsupported`], and the caller lays it out
//! as JSON.

use arrow::array::{Array, ArrayRef, AsArray, StructArray};
use arrow::datatypes::DataType;

use super::cli_stream::{Recorder, TableOfObjects};
use super::image_text::{Source, Sources, Unsupported, find, is_container, present, scalar};

/// How the images of one batch are laid out under a table's headers and other keys.
pub struct Layout {
    headers: Vec<Source>,
    more: Vec<(String, Source)>,
    unknown: Option<usize>,
}

impl Layout {
    /// The layout of `images` (the shaped image column of a batch) under `table`, with
    /// `Region` and `ViewerAccountId` when `with_origin`.
    pub fn new(images: &StructArray, table: &TableOfObjects<'_>, with_origin: bool) -> Layout {
        let Sources { members, unknown } = Sources::of(images, with_origin);
        Layout {
            headers: table.headers.iter().map(|h| find(&members, h)).collect(),
            more: table
                .more
                .iter()
                .map(|key| (key.to_string(), find(&members, key)))
                .collect(),
            unknown,
        }
    }

    /// Records the events of the image at `row` of `images` (the batch this layout
    /// was made for), or says it cannot; nothing is recorded then.
    pub fn record(
        &self,
        images: &StructArray,
        row: usize,
        origin: (&str, &str),
        table: &TableOfObjects<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), Unsupported> {
        if self.unknown.is_some_and(|i| !images.column(i).is_null(row)) {
            return Err(Unsupported);
        }
        let start = out.len();
        let recorded = self.record_known(images, row, origin, table, &mut Recorder::new(out));
        if recorded.is_err() {
            out.truncate(start);
        }
        recorded
    }

    /// `table_list_element(image, first: false, ...)`.
    fn record_known(
        &self,
        images: &StructArray,
        row: usize,
        (region, caller): (&str, &str),
        table: &TableOfObjects<'_>,
        rec: &mut Recorder<'_>,
    ) -> Result<(), Unsupported> {
        if !table.more.is_empty() {
            rec.section(table.title, table.indent_level);
            rec.list_header();
        }
        let mut text = String::new();
        rec.begin(false);
        for source in &self.headers {
            match *source {
                Source::Column(i) => {
                    let column = images.column(i);
                    if column.is_null(row) {
                        rec.cell("");
                    } else if is_container(column) {
                        // Its Python repr, which only the JSON path writes.
                        return Err(Unsupported);
                    } else {
                        cell(rec, column, row, &mut text)?;
                    }
                }
                Source::Region => rec.cell(region),
                Source::Caller => rec.cell(caller),
                Source::Missing => rec.cell(""),
            }
        }
        rec.end();
        for (name, source) in &self.more {
            match *source {
                Source::Column(i) if !images.column(i).is_null(row) => {
                    let column = images.column(i);
                    if !is_container(column) {
                        return Err(Unsupported);
                    }
                    build_table(rec, name, column, row, table.indent_level + 1)?;
                }
                Source::Region | Source::Caller => return Err(Unsupported),
                _ => {}
            }
        }
        Ok(())
    }
}

fn header(rec: &mut Recorder<'_>, names: &[&str]) {
    rec.begin(true);
    for name in names {
        rec.cell(name);
    }
    rec.end();
}

/// Python's `str()` of the non-null scalar at `row`, as a cell.
fn cell(
    rec: &mut Recorder<'_>,
    array: &ArrayRef,
    row: usize,
    text: &mut String,
) -> Result<(), Unsupported> {
    text.clear();
    scalar(array, row, text)?;
    rec.cell(text);
    Ok(())
}

/// `_build_table(title, value, indent_level)` of the non-null container at `row`.
fn build_table(
    rec: &mut Recorder<'_>,
    title: &str,
    array: &ArrayRef,
    row: usize,
    indent_level: usize,
) -> Result<(), Unsupported> {
    match array.data_type() {
        DataType::Struct(_) => {
            let s = array.as_struct();
            let members = present(s, row);
            if members.is_empty() {
                // An empty dict is not truthy.
                return Ok(());
            }
            rec.section(Some(title), indent_level);
            dict(rec, &members, row, indent_level)
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let range = offsets[row] as usize..offsets[row + 1] as usize;
            if range.is_empty() {
                return Ok(());
            }
            rec.section(Some(title), indent_level);
            items(rec, title, list.values(), range, indent_level)
        }
        _ => Err(Unsupported),
    }
}

/// `_build_sub_table_from_dict` of a struct's present `members` (sorted by name).
fn dict(
    rec: &mut Recorder<'_>,
    members: &[(&str, &ArrayRef)],
    row: usize,
    indent_level: usize,
) -> Result<(), Unsupported> {
    let scalars: Vec<&(&str, &ArrayRef)> =
        members.iter().filter(|(_, c)| !is_container(c)).collect();
    let mut text = String::new();
    if let [(name, column)] = scalars[..] {
        rec.begin(false);
        rec.cell(name);
        cell(rec, column, row, &mut text)?;
        rec.end();
    } else if !scalars.is_empty() {
        rec.begin(true);
        for (name, _) in &scalars {
            rec.cell(name);
        }
        rec.end();
        rec.begin(false);
        for (_, column) in &scalars {
            cell(rec, column, row, &mut text)?;
        }
        rec.end();
    }
    for (name, column) in members.iter().filter(|(_, c)| is_container(c)) {
        build_table(rec, name, column, row, indent_level + 1)?;
    }
    Ok(())
}

/// The elements of a list in `range` of `values`: `_build_sub_table_from_list` for
/// structs, a row each for scalars.
fn items(
    rec: &mut Recorder<'_>,
    title: &str,
    values: &ArrayRef,
    range: std::ops::Range<usize>,
    indent_level: usize,
) -> Result<(), Unsupported> {
    let mut text = String::new();
    match values.data_type() {
        DataType::Struct(_) => {
            let s = values.as_struct();
            if range.clone().any(|i| s.is_null(i)) {
                // awscli sees a None among dicts: only the JSON path lays that out.
                return Err(Unsupported);
            }
            // The sorted union of the elements' scalar keys, and of their other keys.
            let mut headers: Vec<(&str, &ArrayRef)> = Vec::new();
            let mut more: Vec<(&str, &ArrayRef)> = Vec::new();
            for (field, column) in s.fields().iter().zip(s.columns()) {
                let somewhere = column.data_type() != &DataType::Null
                    && range.clone().any(|i| !column.is_null(i));
                if !somewhere {
                    continue;
                }
                if is_container(column) {
                    more.push((field.name(), column));
                } else {
                    headers.push((field.name(), column));
                }
            }
            headers.sort_unstable_by(|a, b| a.0.cmp(b.0));
            more.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
            header(rec, &names);
            for (n, i) in range.enumerate() {
                if n > 0 && !more.is_empty() {
                    rec.section(Some(title), indent_level);
                    header(rec, &names);
                }
                rec.begin(false);
                for (_, column) in &headers {
                    if column.is_null(i) {
                        rec.cell("");
                    } else {
                        cell(rec, column, i, &mut text)?;
                    }
                }
                rec.end();
                for (name, column) in &more {
                    if !column.is_null(i) {
                        build_table(rec, name, column, i, indent_level + 1)?;
                    }
                }
            }
            Ok(())
        }
        DataType::List(_) | DataType::LargeList(_) => Err(Unsupported),
        _ => {
            for i in range {
                rec.begin(false);
                if values.is_null(i) {
                    rec.cell("None");
                } else {
                    cell(rec, values, i, &mut text)?;
                }
                rec.end();
            }
            Ok(())
        }
    }
}
