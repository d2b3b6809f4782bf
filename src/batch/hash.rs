//! The content and view hashes, computed from the batch's columns as the shape
//! declares them (`crate::shape`), so that the store detects change with a join instead
//! of comparing every column.
//!
//! The encoding is keyed by name and skips what is absent: a member is written as a key
//! (xxh3 of its name, computed once per batch) and its value only when present, in the
//! order of the names, so a member added
//! to the shape (or a column the batch lacks) changes no hash until an image carries it,
//! and reordering the declaration changes none. Values carry a type tag and lengths, so
//! different contents never share an encoding: absent and empty lists, and text moved
//! between members, all differ. xxh3 over the whole encoding in one call.
//! (docs/decisions/0001-image-shape.md has the measurements.)

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, GenericListArray, Int32Array, Int64Array, RecordBatch,
    StructArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::DataType;
use xxhash_rust::xxh3::xxh3_64;

use crate::shape::{IMAGE, Kind, Member, Seen, UNKNOWN_MEMBERS};

/// The content hash of each row: every member every viewer is shown alike, and the
/// elements the reader did not know.
pub fn content_hashes(batch: &RecordBatch) -> Vec<i64> {
    let members: Vec<&Member> = IMAGE
        .iter()
        .filter(|m| m.seen == Seen::ByEveryone)
        .collect();
    hashes(batch, &members, true)
}

/// The view hash of each row: the members that depend on the viewer.
pub fn view_hashes(batch: &RecordBatch) -> Vec<i64> {
    let members: Vec<&Member> = IMAGE.iter().filter(|m| m.seen == Seen::ByViewer).collect();
    hashes(batch, &members, false)
}

/// The hash of each row of `batch` over `members` (and the unknown elements if
/// `unknown`); a member whose column the batch lacks is absent.
pub(crate) fn hashes(batch: &RecordBatch, members: &[&Member], unknown: bool) -> Vec<i64> {
    let mut fields: Vec<(&'static str, Enc<'_>)> = members
        .iter()
        .filter_map(|m| {
            let column = batch.column_by_name(m.column)?;
            Some((m.column, Enc::new(m.kind, column)))
        })
        .collect();
    if unknown && let Some(column) = batch.column_by_name(UNKNOWN_MEMBERS) {
        fields.push((UNKNOWN_MEMBERS, Enc::raw(column)));
    }
    let image = Enc::Struct {
        nulls: None,
        fields: keyed(fields),
    };
    let mut buf = Vec::with_capacity(1024);
    (0..batch.num_rows())
        .map(|row| {
            buf.clear();
            image.write(row, &mut buf);
            xxh3_64(&buf) as i64
        })
        .collect()
}

/// Text in any of Arrow's string layouts (DuckDB hands back plain `Utf8`; the staging
/// files and other readers may not).
enum Text<'a> {
    Utf8(&'a arrow::array::StringArray),
    Large(&'a arrow::array::LargeStringArray),
    View(&'a arrow::array::StringViewArray),
}

/// A column downcast once, ready to write any row.
enum Enc<'a> {
    Text(Text<'a>),
    Bool(&'a BooleanArray),
    Int32(&'a Int32Array),
    Int64(&'a Int64Array),
    Struct {
        nulls: Option<&'a NullBuffer>,
        /// Each member's key, which of its rows are present, and its column, in the
        /// order of the names.
        fields: Vec<([u8; 9], Option<&'a NullBuffer>, Enc<'a>)>,
    },
    List {
        list: &'a GenericListArray<i32>,
        item: Box<Enc<'a>>,
    },
    /// A column of a type the shape does not expect: never written.
    Other,
}

impl<'a> Enc<'a> {
    fn new(kind: Kind, column: &'a ArrayRef) -> Enc<'a> {
        match (kind, column.data_type()) {
            (Kind::Struct(shape), DataType::Struct(_)) => Enc::structure(shape, column.as_struct()),
            (Kind::List(shape), DataType::List(_)) => {
                let list = column.as_list::<i32>();
                match list.values().data_type() {
                    DataType::Struct(_) => Enc::List {
                        list,
                        item: Box::new(Enc::structure(shape, list.values().as_struct())),
                    },
                    _ => Enc::Other,
                }
            }
            _ => Enc::scalar(column),
        }
    }

    fn structure(shape: &'static [Member], array: &'a StructArray) -> Enc<'a> {
        let fields: Vec<(&'static str, Enc<'a>)> = shape
            .iter()
            .filter_map(|m| {
                let child = array.column_by_name(m.column)?;
                Some((m.column, Enc::new(m.kind, child)))
            })
            .collect();
        Enc::Struct {
            nulls: array.nulls(),
            fields: keyed(fields),
        }
    }

    /// The unknown elements: a list of `(path, xml)`.
    fn raw(column: &'a ArrayRef) -> Enc<'a> {
        const RAW: &[Member] = &[
            crate::shape::Member {
                api: "Path",
                xml: "path",
                column: "path",
                kind: Kind::Text,
                seen: Seen::ByEveryone,
            },
            crate::shape::Member {
                api: "Xml",
                xml: "xml",
                column: "xml",
                kind: Kind::Text,
                seen: Seen::ByEveryone,
            },
        ];
        Enc::new(Kind::List(RAW), column)
    }

    fn scalar(column: &'a ArrayRef) -> Enc<'a> {
        match column.data_type() {
            DataType::Utf8 => Enc::Text(Text::Utf8(column.as_string::<i32>())),
            DataType::LargeUtf8 => Enc::Text(Text::Large(column.as_string::<i64>())),
            DataType::Utf8View => Enc::Text(Text::View(column.as_string_view())),
            DataType::Boolean => Enc::Bool(column.as_boolean()),
            DataType::Int32 => Enc::Int32(column.as_primitive()),
            DataType::Int64 => Enc::Int64(column.as_primitive()),
            _ => Enc::Other,
        }
    }

    /// Which rows hold a value (`None`: all of them).
    fn nulls(&self) -> Option<&'a NullBuffer> {
        // By value: the arrays are borrowed for 'a, not for as long as `self`.
        match *self {
            Enc::Text(Text::Utf8(a)) => a.nulls(),
            Enc::Text(Text::Large(a)) => a.nulls(),
            Enc::Text(Text::View(a)) => a.nulls(),
            Enc::Bool(a) => a.nulls(),
            Enc::Int32(a) => a.nulls(),
            Enc::Int64(a) => a.nulls(),
            Enc::Struct { nulls, .. } => nulls,
            Enc::List { list, .. } => list.nulls(),
            Enc::Other => None,
        }
    }

    fn is_valid(&self, row: usize) -> bool {
        !matches!(self, Enc::Other) && self.nulls().is_none_or(|n| n.is_valid(row))
    }

    /// Writes the present value at `row`.
    fn write(&self, row: usize, buf: &mut Vec<u8>) {
        match self {
            Enc::Text(t) => {
                let s = match t {
                    Text::Utf8(a) => a.value(row),
                    Text::Large(a) => a.value(row),
                    Text::View(a) => a.value(row),
                };
                buf.extend_from_slice(&tagged(b's', s.len() as u64));
                buf.extend_from_slice(s.as_bytes());
            }
            Enc::Bool(a) => {
                buf.push(b'b');
                buf.push(u8::from(a.value(row)));
            }
            // Integers of any width encode alike: a wider column is the same value.
            Enc::Int32(a) => buf.extend_from_slice(&tagged(b'i', i64::from(a.value(row)) as u64)),
            Enc::Int64(a) => buf.extend_from_slice(&tagged(b'i', a.value(row) as u64)),
            Enc::Struct { fields, .. } => {
                buf.push(b'{');
                for (key, nulls, field) in fields {
                    if nulls.is_none_or(|n| n.is_valid(row)) {
                        buf.extend_from_slice(key);
                        field.write(row, buf);
                    }
                }
                // Every key starts with `k`: the end cannot be taken for a member.
                buf.push(b'}');
            }
            Enc::List { list, item } => {
                let offsets = list.value_offsets();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                buf.extend_from_slice(&tagged(b'[', (end - start) as u64));
                for i in start..end {
                    if item.is_valid(i) {
                        buf.push(1);
                        item.write(i, buf);
                    } else {
                        buf.push(0);
                    }
                }
            }
            Enc::Other => {}
        }
    }
}

/// A tag byte and a little-endian number, written in one call.
fn tagged(tag: u8, n: u64) -> [u8; 9] {
    let mut out = [tag; 9];
    out[1..].copy_from_slice(&n.to_le_bytes());
    out
}

/// The members in the order of their names, each with its key: `k` and the xxh3 of the
/// name (names are never written whole: the encoding stays short).
fn keyed<'a>(
    mut fields: Vec<(&'static str, Enc<'a>)>,
) -> Vec<([u8; 9], Option<&'a NullBuffer>, Enc<'a>)> {
    fields.sort_by_key(|(name, _)| *name);
    fields
        .into_iter()
        // A column of a type the shape does not expect is never written.
        .filter(|(_, enc)| !matches!(enc, Enc::Other))
        .map(|(name, enc)| (tagged(b'k', xxh3_64(name.as_bytes())), enc.nulls(), enc))
        .collect()
}
