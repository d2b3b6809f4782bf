//! Every Unicode scalar value, compared with awscli through the three places
//! where the formatters depend on Unicode data: column widths
//! (`unicodedata.east_asian_width`), `repr()` escapes (`str.isprintable`) and
//! uppercased identifiers (`str.upper`).

use std::process::Command;

use crate::common::{check_table, check_text, python, report};
use awscli_output::UNICODE_VERSION;
use serde_json::{Map, Value, json};

const CHUNK: u32 = 4096;

fn chunks() -> impl Iterator<Item = Vec<String>> {
    (0..0x11_0000 / CHUNK).map(|i| {
        (i * CHUNK..(i + 1) * CHUNK)
            .filter_map(char::from_u32)
            .map(String::from)
            .collect()
    })
}

#[test]
fn python_unicode_version_matches_tables() {
    crate::common::ensure_awscli();
    let out = Command::new(python())
        .args([
            "-c",
            "import unicodedata; print(unicodedata.unidata_version)",
        ])
        .output()
        .expect("running python");
    let version = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        version.trim(),
        UNICODE_VERSION,
        "the reference Python uses another Unicode version than the tables in \
         crates/awscli-output/src/unicode_tables.rs; regenerate them with scripts/unicode_tables.py"
    );
}

#[test]
fn every_character_width() {
    // One row per character: the padding after it shows the width counted.
    for chunk in chunks() {
        let rows = Value::Array(chunk.into_iter().map(Value::String).collect());
        check_table(&rows, "Widths", 80);
    }
    report("every_character_width");
}

#[test]
fn every_character_repr() {
    // `str()` of a list shows the `repr()` of each string in it.
    for chunk in chunks() {
        let value = json!([{"a": chunk}, {"a": 0}]);
        check_text(&value);
    }
    report("every_character_repr");
}

#[test]
fn every_character_uppercase() {
    // Each key is the identifier of its list: printed uppercased.
    for chunk in chunks() {
        let map: Map<String, Value> = chunk.into_iter().map(|c| (c, json!(["x"]))).collect();
        check_text(&Value::Object(map));
    }
    report("every_character_uppercase");
}
