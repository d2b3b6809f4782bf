//! The AWS CLI's text of an image (`awscli.text.format_text` of the image under its
//! list's identifier, with the list's scalar keys), written straight from the columns
//! of its Arrow batch: no JSON object in between, which cost most of a long text
//! answer's time. Byte for byte what `awscli_output::format_text` writes for the same
//! image as JSON (tests compare them); a row holding what only that path lays out
//! (elements the reader did not know, a null in a list of structs, a type the Image
//! shape does not use) is [`Unsupported`], and the caller lays it out as JSON.

use std::fmt::Write;

use arrow::array::{Array, ArrayRef, AsArray, StructArray};
use arrow::datatypes::{DataType, Int8Type, Int16Type, Int32Type, Int64Type};
use arrow::datatypes::{UInt8Type, UInt16Type, UInt32Type, UInt64Type};

use super::image_json::UNKNOWN_KEY;

/// A row this module does not lay out; the JSON path does.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported;

/// Where a member of the image is: a column of the batch, or the origin members a
/// response of many accounts or regions adds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    Column(usize),
    Region,
    Caller,
    /// No image of the batch has it.
    Missing,
}

/// How the images of one batch are laid out: the scalar keys' sources in the keys'
/// order, then every other member by name.
pub struct Layout {
    keys: Vec<Source>,
    /// Members that are not among the keys, sorted by name: written after the line
    /// of scalars, each under its own name.
    rest: Vec<(String, Source)>,
    unknown: Option<usize>,
}

impl Layout {
    /// The layout of `images` (the shaped image column of a batch) under scalar
    /// `keys` (sorted), with `Region` and `ViewerAccountId` when `with_origin`.
    pub fn new(images: &StructArray, keys: &[&str], with_origin: bool) -> Layout {
        let Sources { members, unknown } = Sources::of(images, with_origin);
        let mut rest: Vec<(String, Source)> = members
            .iter()
            .filter(|(name, _)| keys.binary_search(name).is_err())
            .map(|(name, source)| (name.to_string(), *source))
            .collect();
        rest.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Layout {
            keys: keys.iter().map(|key| find(&members, key)).collect(),
            rest,
            unknown,
        }
    }

    /// Appends the text of the image at `row` of `images` (the batch this layout was
    /// made for) under `upper` (the identifier, upper-cased), or says it cannot.
    pub fn write(
        &self,
        images: &StructArray,
        row: usize,
        origin: (&str, &str),
        upper: Option<&str>,
        out: &mut String,
    ) -> Result<(), Unsupported> {
        if self.unknown.is_some_and(|i| !images.column(i).is_null(row)) {
            return Err(Unsupported);
        }
        let start = out.len();
        let written = self.write_known(images, row, origin, upper, out);
        if written.is_err() {
            out.truncate(start);
        }
        written
    }

    fn write_known(
        &self,
        images: &StructArray,
        row: usize,
        (region, caller): (&str, &str),
        upper: Option<&str>,
        out: &mut String,
    ) -> Result<(), Unsupported> {
        if !self.keys.is_empty() {
            let mut first = true;
            if let Some(upper) = upper {
                out.push_str(upper);
                first = false;
            }
            for source in &self.keys {
                if !first {
                    out.push('\t');
                }
                first = false;
                match *source {
                    Source::Column(i) => {
                        let column = images.column(i);
                        if !column.is_null(row) {
                            scalar(column, row, out)?;
                        }
                    }
                    Source::Region => out.push_str(region),
                    Source::Caller => out.push_str(caller),
                    Source::Missing => {}
                }
            }
            out.push('\n');
        }
        for (name, source) in &self.rest {
            match *source {
                Source::Column(i) if !images.column(i).is_null(row) => {
                    value(images.column(i), row, name, out)?
                }
                Source::Region => line(region, out),
                Source::Caller => line(caller, out),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The members of a batch's images, where each is, and the column of the elements the
/// reader did not know.
pub(super) struct Sources<'a> {
    pub members: Vec<(&'a str, Source)>,
    pub unknown: Option<usize>,
}

impl Sources<'_> {
    /// Those of `images`, with `Region` and `ViewerAccountId` when `with_origin`.
    pub fn of(images: &StructArray, with_origin: bool) -> Sources<'_> {
        let mut members: Vec<(&str, Source)> = Vec::new();
        let mut unknown = None;
        for (i, (field, column)) in images.fields().iter().zip(images.columns()).enumerate() {
            if field.name() == UNKNOWN_KEY {
                unknown = Some(i);
            } else if column.data_type() != &DataType::Null {
                members.push((field.name().as_str(), Source::Column(i)));
            }
        }
        if with_origin {
            members.push(("Region", Source::Region));
            members.push(("ViewerAccountId", Source::Caller));
        }
        Sources { members, unknown }
    }
}

/// Where the member `key` is.
pub(super) fn find(members: &[(&str, Source)], key: &str) -> Source {
    members
        .iter()
        .find(|(name, _)| *name == key)
        .map_or(Source::Missing, |(_, source)| *source)
}

fn line(text: &str, out: &mut String) {
    out.push_str(text);
    out.push('\n');
}

pub(super) fn is_container(array: &ArrayRef) -> bool {
    matches!(
        array.data_type(),
        DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_)
    )
}

/// `format_text(value, identifier, None)` of the non-null value at `row`.
fn value(
    array: &ArrayRef,
    row: usize,
    identifier: &str,
    out: &mut String,
) -> Result<(), Unsupported> {
    match array.data_type() {
        DataType::Struct(_) => object(array.as_struct(), row, identifier, out),
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let range = offsets[row] as usize..offsets[row + 1] as usize;
            items(list.values(), range, identifier, out)
        }
        _ => {
            scalar(array, row, out)?;
            out.push('\n');
            Ok(())
        }
    }
}

/// The members of the struct at `row` that hold a value, sorted by name.
pub(super) fn present(s: &StructArray, row: usize) -> Vec<(&str, &ArrayRef)> {
    let mut members: Vec<(&str, &ArrayRef)> = s
        .fields()
        .iter()
        .zip(s.columns())
        .filter(|(_, column)| column.data_type() != &DataType::Null && !column.is_null(row))
        .map(|(field, column)| (field.name().as_str(), column))
        .collect();
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    members
}

/// `format_dict(None, ...)`: the scalars on a line under the identifier, then each
/// container under its own name.
fn object(
    s: &StructArray,
    row: usize,
    identifier: &str,
    out: &mut String,
) -> Result<(), Unsupported> {
    let members = present(s, row);
    if members.iter().any(|(_, column)| !is_container(column)) {
        push_upper(identifier, out);
        for (_, column) in members.iter().filter(|(_, c)| !is_container(c)) {
            out.push('\t');
            scalar(column, row, out)?;
        }
        out.push('\n');
    }
    for (name, column) in members.iter().filter(|(_, c)| is_container(c)) {
        value(column, row, name, out)?;
    }
    Ok(())
}

/// `format_list`: a list of structs a line each under the union of their scalar
/// keys, a list of scalars a line each.
fn items(
    values: &ArrayRef,
    range: std::ops::Range<usize>,
    identifier: &str,
    out: &mut String,
) -> Result<(), Unsupported> {
    if range.is_empty() {
        return Ok(());
    }
    match values.data_type() {
        DataType::Struct(_) => {
            let s = values.as_struct();
            if range.clone().any(|i| s.is_null(i)) {
                // awscli raises on a list of objects holding anything else.
                return Err(Unsupported);
            }
            let mut keys: Vec<&str> = Vec::new();
            for (field, column) in s.fields().iter().zip(s.columns()) {
                let scalar_here = !is_container(column)
                    && column.data_type() != &DataType::Null
                    && range.clone().any(|i| !column.is_null(i));
                if scalar_here {
                    keys.push(field.name());
                }
            }
            keys.sort_unstable();
            for i in range {
                keyed(s, i, identifier, &keys, out)?;
            }
            Ok(())
        }
        DataType::List(_) | DataType::LargeList(_) => Err(Unsupported),
        _ => {
            for i in range {
                push_upper(identifier, out);
                out.push('\t');
                if values.is_null(i) {
                    out.push_str("None");
                } else {
                    scalar(values, i, out)?;
                }
                out.push('\n');
            }
            Ok(())
        }
    }
}

/// `format_dict(keys, ...)` of the struct at `row`: its value for each key (empty
/// where it has none) on one line, then its other members under their names.
fn keyed(
    s: &StructArray,
    row: usize,
    identifier: &str,
    keys: &[&str],
    out: &mut String,
) -> Result<(), Unsupported> {
    if !keys.is_empty() {
        push_upper(identifier, out);
        for key in keys {
            out.push('\t');
            if let Some(column) = s.column_by_name(key)
                && !column.is_null(row)
            {
                scalar(column, row, out)?;
            }
        }
        out.push('\n');
    }
    for (name, column) in present(s, row) {
        if keys.binary_search(&name).is_err() {
            value(column, row, name, out)?;
        }
    }
    Ok(())
}

fn push_upper(identifier: &str, out: &mut String) {
    if identifier.is_ascii() {
        out.extend(identifier.chars().map(|c| c.to_ascii_uppercase()));
    } else {
        out.push_str(&awscli_output::py_upper(identifier));
    }
}

/// Python's `str()` of the non-null scalar at `row`.
pub(super) fn scalar(array: &ArrayRef, row: usize, out: &mut String) -> Result<(), Unsupported> {
    let text = match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row),
        DataType::Utf8View => array.as_string_view().value(row),
        DataType::Boolean if array.as_boolean().value(row) => "True",
        DataType::Boolean => "False",
        _ => return number(array, row, out),
    };
    out.push_str(text);
    Ok(())
}

/// Python's `str()` of the integer at `row`.
fn number(array: &ArrayRef, row: usize, out: &mut String) -> Result<(), Unsupported> {
    let _ = match array.data_type() {
        DataType::Int8 => write!(out, "{}", array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => write!(out, "{}", array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => write!(out, "{}", array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => write!(out, "{}", array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => write!(out, "{}", array.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => write!(out, "{}", array.as_primitive::<UInt16Type>().value(row)),
        DataType::UInt32 => write!(out, "{}", array.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => write!(out, "{}", array.as_primitive::<UInt64Type>().value(row)),
        _ => return Err(Unsupported),
    };
    Ok(())
}
