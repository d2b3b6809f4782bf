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

/// `array` with the members of its structs, at every depth, named and ordered as the
/// EC2 model has them: the store's nested members are in snake_case (`device_name`
/// becomes `DeviceName`). Only the Arrow types change; no value is copied. (Done here
/// rather than in images.sql, where renaming the members of lists took a lambda each
/// and planning them cost every request a measurable part of its time.)
pub fn ec2_members(array: &ArrayRef) -> ArrayRef {
    match array.data_type() {
        DataType::Struct(_) => {
            let s = array.as_struct();
            let mut members: Vec<(Field, ArrayRef)> = s
                .fields()
                .iter()
                .zip(s.columns())
                .map(|(field, column)| {
                    let column = ec2_members(column);
                    let name = pascal_case(field.name());
                    (
                        Field::new(name, column.data_type().clone(), field.is_nullable()),
                        column,
                    )
                })
                .collect();
            members.sort_by_key(|(field, _)| super::output::model_position(field.name()));
            let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = members.into_iter().unzip();
            Arc::new(StructArray::new(fields.into(), columns, s.nulls().cloned()))
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let values = ec2_members(list.values());
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

/// A list's values and which of them are the list at `row`: read in place, where
/// slicing the list (`ListArray::value`) copies the handles of every nested child, once
/// per row (`bench/describe.py --compare`: printing 63,417 images, 912 -> 785 ms).
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
