//! The answered images, read from DuckDB as Arrow, turned into JSON directly: no JSON
//! text in between. [`object`] makes a `serde_json` object (for `--query`, text and
//! table output); [`Pretty`] writes the AWS CLI's JSON straight from the columns. A null
//! member is left out at every depth, as the AWS CLI leaves out what a response does
//! not carry; a null in a list stays.

use std::io::Write;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, ListArray, OffsetSizeTrait, StructArray,
};
use arrow::datatypes::{DataType, Field, Int8Type, Int16Type, Int32Type, Int64Type};
use arrow::datatypes::{UInt8Type, UInt16Type, UInt32Type, UInt64Type};
use serde_json::{Map, Value};

use crate::shape::{IMAGE, Kind, Member};

/// `array` (the image struct of images.sql) with the members of its structs, at every
/// depth, named and ordered as the shape declares them (`crate::shape`): the store's
/// nested members are in snake_case (`device_name` becomes `DeviceName`), and the
/// typed `_ts` columns beside timestamps are not part of the API's answer. Only the
/// Arrow types change; no value is copied. (Done here rather than in images.sql, where
/// renaming the members of lists took a lambda each and planning them cost every
/// request a measurable part of its time.)
pub fn ec2_members(array: &ArrayRef) -> ArrayRef {
    shaped(array, Some(IMAGE))
}

fn shaped(array: &ArrayRef, shape: Option<&'static [Member]>) -> ArrayRef {
    match array.data_type() {
        DataType::Struct(_) => {
            let s = array.as_struct();
            let mut members: Vec<(usize, Field, ArrayRef)> = Vec::with_capacity(s.num_columns());
            for (field, column) in s.fields().iter().zip(s.columns()) {
                let name = field.name();
                let member = shape.and_then(|shape| {
                    shape
                        .iter()
                        .position(|m| m.api == name || m.column == name)
                        .map(|i| (i, &shape[i]))
                });
                let (position, api, inner) = match member {
                    Some((i, m)) => (i, m.api.to_string(), nested(m.kind)),
                    None if is_time_column(shape, name) => continue,
                    None => (usize::MAX, pascal_case(name), None),
                };
                let column = shaped(column, inner);
                members.push((
                    position,
                    Field::new(api, column.data_type().clone(), field.is_nullable()),
                    column,
                ));
            }
            // Stable: members the shape does not know keep their order, after the rest.
            members.sort_by_key(|(position, _, _)| *position);
            let (fields, columns): (Vec<Field>, Vec<ArrayRef>) =
                members.into_iter().map(|(_, f, c)| (f, c)).unzip();
            Arc::new(StructArray::new(fields.into(), columns, s.nulls().cloned()))
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let values = shaped(list.values(), shape);
            let item = Field::new(item.name(), values.data_type().clone(), item.is_nullable());
            Arc::new(ListArray::new(
                Arc::new(item),
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            ))
        }
        _ => array.clone(),
    }
}

fn nested(kind: Kind) -> Option<&'static [Member]> {
    match kind {
        Kind::Struct(inner) | Kind::List(inner) => Some(inner),
        _ => None,
    }
}

/// Whether `name` is the typed `_ts` column of one of `shape`'s timestamps.
fn is_time_column(shape: Option<&'static [Member]>, name: &str) -> bool {
    name.strip_suffix("_ts").is_some_and(|base| {
        shape
            .and_then(|s| crate::shape::by_column(s, base))
            .is_some_and(|m| m.kind == Kind::Time)
    })
}

/// `snake_case` as `PascalCase`; a name without underscores keeps its letters and gains
/// a capital first.
fn pascal_case(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The image at `row` of the shaped image column as a JSON object, the elements the
/// reader did not know put back where they came (see [`place_unknown`]).
pub fn image(array: &StructArray, row: usize) -> Map<String, Value> {
    let mut map = object(array, row);
    if let Some(Value::Array(unknown)) = map.remove(UNKNOWN_KEY) {
        for item in unknown {
            let path = item.get("Path").and_then(Value::as_str).unwrap_or_default();
            let xml = item.get("Xml").and_then(Value::as_str).unwrap_or_default();
            place_unknown(&mut map, path, xml);
        }
    }
    map
}

/// The member of images.sql holding what the reader did not know.
pub const UNKNOWN_KEY: &str = "UnknownMembers";

/// Whether the image at `row` has elements the reader did not know.
pub fn has_unknown(array: &StructArray, row: usize) -> bool {
    array
        .column_by_name(UNKNOWN_KEY)
        .is_some_and(|c| !is_null(c, row))
}

/// Puts an element the reader did not know into `image` under its API name (the
/// element's name with a capital first, as the EC2 model names members), at the path
/// it came from: `blockDeviceMapping/2/ebs` is the second mapping's `Ebs`. Where the
/// path no longer leads anywhere, it goes on the image itself, so nothing is lost.
pub fn place_unknown(image: &mut Map<String, Value>, path: &str, xml: &str) {
    let Some((name, value)) = xml_value(xml) else {
        return;
    };
    let target = locate(image, IMAGE, path.split('/').filter(|p| !p.is_empty()));
    match target {
        Some(map) => {
            map.insert(name, value);
        }
        None => {
            image.insert(name, value);
        }
    }
}

fn locate<'a, 'p>(
    map: &'a mut Map<String, Value>,
    shape: &'static [Member],
    mut path: impl Iterator<Item = &'p str>,
) -> Option<&'a mut Map<String, Value>> {
    let Some(element) = path.next() else {
        return Some(map);
    };
    let member = crate::shape::by_xml(shape, element)?;
    match (member.kind, map.get_mut(member.api)?) {
        (Kind::Struct(inner), Value::Object(child)) => locate(child, inner, path),
        (Kind::List(inner), Value::Array(items)) => {
            let n: usize = path.next()?.parse().ok()?;
            match items.get_mut(n.checked_sub(1)?)? {
                Value::Object(child) => locate(child, inner, path),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An element being read: its name, its text, its children.
type Open = (String, String, Vec<(String, Value)>);

/// An element as `(Name, value)`: text for an element without children, an object of
/// its children otherwise, an array where every child is an `item`. Attributes are
/// not part of EC2's members and are left out of the JSON (the stored XML keeps them).
fn xml_value(xml: &str) -> Option<(String, Value)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Open> = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push((name, String::new(), Vec::new()));
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let done = (name, Value::String(String::new()));
                match stack.last_mut() {
                    Some(parent) => parent.2.push(done),
                    None => return Some((capitalised(&done.0), done.1)),
                }
            }
            Event::Text(t) => {
                if let Some(open) = stack.last_mut() {
                    open.1.push_str(&t.xml10_content().ok()?);
                }
            }
            Event::CData(c) => {
                if let Some(open) = stack.last_mut() {
                    open.1.push_str(&c.decode().ok()?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(open) = stack.last_mut() {
                    let resolved = match r.resolve_char_ref().ok()? {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&r.decode().ok()?)?
                            .to_string(),
                    };
                    open.1.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let (name, text, children) = stack.pop()?;
                let value = if children.is_empty() {
                    Value::String(text)
                } else if children.iter().all(|(n, _)| n == "item") {
                    Value::Array(children.into_iter().map(|(_, v)| v).collect())
                } else {
                    Value::Object(
                        children
                            .into_iter()
                            .map(|(n, v)| (capitalised(&n), v))
                            .collect(),
                    )
                };
                match stack.last_mut() {
                    Some(parent) => parent.2.push((name, value)),
                    None => return Some((capitalised(&name), value)),
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Row `row` of a struct column as a JSON object, its members in the struct's order.
pub fn object(array: &StructArray, row: usize) -> Map<String, Value> {
    let mut map = Map::with_capacity(array.num_columns());
    for (field, column) in array.fields().iter().zip(array.columns()) {
        if !is_null(column, row) {
            map.insert(field.name().clone(), value(column, row));
        }
    }
    map
}

/// Row `row` of a text column (VARCHAR in any of Arrow's string layouts).
pub fn text(array: &ArrayRef, row: usize) -> Option<String> {
    if is_null(array, row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_owned(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_owned(),
        DataType::Utf8View => array.as_string_view().value(row).to_owned(),
        _ => display(array, row),
    })
}

/// Whether the value at `row` is null; an untyped NULL column has no null buffer.
fn is_null(array: &ArrayRef, row: usize) -> bool {
    array.is_null(row) || array.data_type() == &DataType::Null
}

/// The non-null value at `row` as JSON.
fn value(array: &ArrayRef, row: usize) -> Value {
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Value::String(text(array, row).unwrap_or_default())
        }
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        DataType::List(_) => {
            let (values, rows) = list_items(array.as_list::<i32>(), row);
            items(values, rows)
        }
        DataType::LargeList(_) => {
            let (values, rows) = list_items(array.as_list::<i64>(), row);
            items(values, rows)
        }
        DataType::Struct(_) => Value::Object(object(array.as_struct(), row)),
        // Nothing in the Image shape is of another type; say what it is rather than fail.
        _ => Value::String(display(array, row)),
    }
}

fn items(values: &ArrayRef, rows: std::ops::Range<usize>) -> Value {
    Value::Array(
        rows.map(|i| {
            if is_null(values, i) {
                Value::Null
            } else {
                value(values, i)
            }
        })
        .collect(),
    )
}

/// [`object`] as the JMESPath interpreter's value, made straight from the columns.
pub fn variable(array: &StructArray, row: usize) -> jmespath::Rcvar {
    let mut map = std::collections::BTreeMap::new();
    for (field, column) in array.fields().iter().zip(array.columns()) {
        if !is_null(column, row) {
            map.insert(field.name().clone(), variable_value(column, row));
        }
    }
    jmespath::Rcvar::new(jmespath::Variable::Object(map))
}

/// [`value`] as the interpreter's value.
fn variable_value(array: &ArrayRef, row: usize) -> jmespath::Rcvar {
    use jmespath::Variable;
    let items = |(values, rows): (&ArrayRef, std::ops::Range<usize>)| {
        let items = rows.map(|i| {
            if is_null(values, i) {
                jmespath::Rcvar::new(Variable::Null)
            } else {
                variable_value(values, i)
            }
        });
        jmespath::Rcvar::new(Variable::Array(items.collect()))
    };
    let number = |n: serde_json::Number| jmespath::Rcvar::new(Variable::Number(n));
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            jmespath::Rcvar::new(Variable::String(text(array, row).unwrap_or_default()))
        }
        DataType::Boolean => jmespath::Rcvar::new(Variable::Bool(array.as_boolean().value(row))),
        DataType::Int8 => number(array.as_primitive::<Int8Type>().value(row).into()),
        DataType::Int16 => number(array.as_primitive::<Int16Type>().value(row).into()),
        DataType::Int32 => number(array.as_primitive::<Int32Type>().value(row).into()),
        DataType::Int64 => number(array.as_primitive::<Int64Type>().value(row).into()),
        DataType::UInt8 => number(array.as_primitive::<UInt8Type>().value(row).into()),
        DataType::UInt16 => number(array.as_primitive::<UInt16Type>().value(row).into()),
        DataType::UInt32 => number(array.as_primitive::<UInt32Type>().value(row).into()),
        DataType::UInt64 => number(array.as_primitive::<UInt64Type>().value(row).into()),
        DataType::List(_) => items(list_items(array.as_list::<i32>(), row)),
        DataType::LargeList(_) => items(list_items(array.as_list::<i64>(), row)),
        DataType::Struct(_) => variable(array.as_struct(), row),
        _ => jmespath::Rcvar::new(Variable::String(display(array, row))),
    }
}

/// A list's values and which of them are the list at `row`: read in place, where
/// slicing the list (`ListArray::value`) copies the handles of every nested child, once
/// per row (docs/decisions/0003-streamed-answers.md).
fn list_items<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    row: usize,
) -> (&ArrayRef, std::ops::Range<usize>) {
    let offsets = list.value_offsets();
    (
        list.values(),
        offsets[row].as_usize()..offsets[row + 1].as_usize(),
    )
}

/// A JSON writer with `serde_json`'s pretty layout at four spaces (the AWS CLI's),
/// byte for byte.
pub struct Pretty<'a, W: Write> {
    out: &'a mut W,
    /// Per open object or array: whether it has a member yet.
    open: Vec<bool>,
}

impl<'a, W: Write> Pretty<'a, W> {
    pub fn new(out: &'a mut W) -> Self {
        Pretty {
            out,
            open: Vec::new(),
        }
    }

    /// A writer of values nested `depth` deep in a document another writer makes: what
    /// it writes is laid out as if written there.
    pub fn at_depth(out: &'a mut W, depth: usize) -> Self {
        Pretty {
            out,
            open: vec![true; depth],
        }
    }

    /// A value laid out by [`Pretty::at_depth`] at this writer's depth.
    pub fn raw(&mut self, laid_out: &[u8]) -> std::io::Result<()> {
        self.out.write_all(laid_out)
    }

    pub fn begin_object(&mut self) -> std::io::Result<()> {
        self.open.push(false);
        self.out.write_all(b"{")
    }

    pub fn end_object(&mut self) -> std::io::Result<()> {
        self.close(b"}")
    }

    pub fn begin_array(&mut self) -> std::io::Result<()> {
        self.open.push(false);
        self.out.write_all(b"[")
    }

    pub fn end_array(&mut self) -> std::io::Result<()> {
        self.close(b"]")
    }

    /// The next member's key; its value follows.
    pub fn key(&mut self, key: &str) -> std::io::Result<()> {
        self.next()?;
        self.string(key)?;
        self.out.write_all(b": ")
    }

    /// The next item of an array; its value follows.
    pub fn item(&mut self) -> std::io::Result<()> {
        self.next()
    }

    pub fn string(&mut self, text: &str) -> std::io::Result<()> {
        serde_json::to_writer(&mut *self.out, text).map_err(std::io::Error::from)
    }

    /// A JSON value, laid out as the rest.
    pub fn json(&mut self, value: &Value) -> std::io::Result<()> {
        match value {
            Value::Object(map) => {
                self.begin_object()?;
                for (k, v) in map {
                    self.key(k)?;
                    self.json(v)?;
                }
                self.end_object()
            }
            Value::Array(items) => {
                self.begin_array()?;
                for v in items {
                    self.item()?;
                    self.json(v)?;
                }
                self.end_array()
            }
            other => serde_json::to_writer(&mut *self.out, other).map_err(std::io::Error::from),
        }
    }

    /// The final newline.
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.out.write_all(b"\n")
    }

    /// Row `row` of a struct column as an object, then `extra` members.
    pub fn struct_row(
        &mut self,
        array: &StructArray,
        row: usize,
        extra: &[(&str, &str)],
    ) -> std::io::Result<()> {
        self.begin_object()?;
        for (field, column) in array.fields().iter().zip(array.columns()) {
            if !is_null(column, row) {
                self.key(field.name())?;
                self.value(column, row)?;
            }
        }
        for (key, value) in extra {
            self.key(key)?;
            self.string(value)?;
        }
        self.end_object()
    }

    fn value(&mut self, array: &ArrayRef, row: usize) -> std::io::Result<()> {
        match array.data_type() {
            DataType::Utf8 => self.string(array.as_string::<i32>().value(row)),
            DataType::LargeUtf8 => self.string(array.as_string::<i64>().value(row)),
            DataType::Utf8View => self.string(array.as_string_view().value(row)),
            DataType::List(_) => {
                let (values, rows) = list_items(array.as_list::<i32>(), row);
                self.items(values, rows)
            }
            DataType::LargeList(_) => {
                let (values, rows) = list_items(array.as_list::<i64>(), row);
                self.items(values, rows)
            }
            DataType::Struct(_) => self.struct_row(array.as_struct(), row, &[]),
            // Booleans and numbers: as serde_json writes them.
            _ => serde_json::to_writer(&mut *self.out, &value(array, row))
                .map_err(std::io::Error::from),
        }
    }

    /// The items `rows` of a list's `values`.
    fn items(&mut self, values: &ArrayRef, rows: std::ops::Range<usize>) -> std::io::Result<()> {
        self.begin_array()?;
        for i in rows {
            self.item()?;
            if is_null(values, i) {
                self.out.write_all(b"null")?;
            } else {
                self.value(values, i)?;
            }
        }
        self.end_array()
    }

    /// The separator before a member or item, and its indentation.
    fn next(&mut self) -> std::io::Result<()> {
        let had = match self.open.last_mut() {
            Some(has_member) => std::mem::replace(has_member, true),
            None => false,
        };
        self.out.write_all(if had { b",\n" } else { b"\n" })?;
        self.indent(self.open.len())
    }

    fn close(&mut self, bracket: &[u8]) -> std::io::Result<()> {
        if self.open.pop().unwrap_or(false) {
            self.out.write_all(b"\n")?;
            self.indent(self.open.len())?;
        }
        self.out.write_all(bracket)
    }

    fn indent(&mut self, depth: usize) -> std::io::Result<()> {
        const SPACES: &[u8; 64] = &[b' '; 64];
        let mut left = depth * 4;
        while left > 0 {
            let n = left.min(SPACES.len());
            self.out.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }
}

fn display(array: &ArrayRef, row: usize) -> String {
    arrow::util::display::ArrayFormatter::try_new(array.as_ref(), &Default::default())
        .map(|f| f.value(row).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_members_take_the_models_names_and_order() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT {'Name': 'n', 'BlockDeviceMappings': [
                           {'device_name': '/dev/xvda', 'no_device': NULL,
                            'ebs': {'volume_size': 8, 'delete_on_termination': true,
                                    'kms_key_id': NULL}},
                           {'device_name': '/dev/sdb', 'no_device': '', 'ebs': NULL}],
                         'StateReason': {'code': 'c', 'message': 'm'},
                         'Tags': NULL::STRUCT(key VARCHAR, value VARCHAR)[]} AS image",
            )
            .unwrap();
        let batch = stmt.query_arrow([]).unwrap().next().unwrap();
        let shaped = ec2_members(batch.column(0));
        let object = Value::Object(object(shaped.as_struct(), 0));
        assert_eq!(
            serde_json::to_string(&object).unwrap(),
            r#"{"BlockDeviceMappings":[{"Ebs":{"DeleteOnTermination":true,"VolumeSize":8},"DeviceName":"/dev/xvda"},{"NoDevice":"","DeviceName":"/dev/sdb"}],"Name":"n","StateReason":{"Code":"c","Message":"m"}}"#
        );
        assert_eq!(pascal_case("availability_zone_id"), "AvailabilityZoneId");
        assert_eq!(pascal_case("ImageId"), "ImageId");
    }

    #[test]
    fn a_struct_row_becomes_an_object_without_its_nulls() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT {'Name': 'al2023 \"x\" ✓', 'Absent': NULL::VARCHAR, 'Public': true,
                         'Size': 8::INTEGER, 'Big': 9007199254740993::BIGINT,
                         'Maps': [{'Ebs': NULL, 'Dev': '/dev/xvda'},
                                  {'Ebs': {'Iops': 3000, 'Kms': NULL}, 'Dev': NULL}],
                         'Empty': []::VARCHAR[], 'Gaps': ['a', NULL],
                         'State': NULL::STRUCT(code VARCHAR)} AS image",
            )
            .unwrap();
        let batch = stmt.query_arrow([]).unwrap().next().unwrap();
        let image = object(batch.column(0).as_struct(), 0);
        let mut pretty = Vec::new();
        let mut writer = Pretty::new(&mut pretty);
        writer
            .struct_row(batch.column(0).as_struct(), 0, &[("Region", "us-east-1")])
            .unwrap();
        writer.finish().unwrap();
        let mut with_region = image.clone();
        with_region.insert("Region".into(), "us-east-1".into());
        assert_eq!(
            String::from_utf8(pretty).unwrap(),
            crate::describe::output::json(&Value::Object(with_region)),
            "the writer lays out JSON as serde_json does"
        );
        assert_eq!(
            Value::Object(image).to_string(),
            r#"{"Name":"al2023 \"x\" ✓","Public":true,"Size":8,"Big":9007199254740993,"Maps":[{"Dev":"/dev/xvda"},{"Ebs":{"Iops":3000}}],"Empty":[],"Gaps":["a",null]}"#
        );
    }
}
