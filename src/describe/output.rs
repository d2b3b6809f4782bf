//! The AWS CLI's JSON output: four-space indentation, keys in the EC2 model's order,
//! non-ASCII text as it is.

use serde::Serialize;
use serde_json::Value;

/// Every key of the answer in the model's order (`crate::shape`), then the two that
/// name where an image was seen.
static KEY_ORDER: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut keys = crate::shape::api_names();
    keys.extend(["Region", "ViewerAccountId"]);
    keys
});

/// Where `key` stands in the model's order; keys it does not know come after all.
pub fn model_position(key: &str) -> usize {
    KEY_ORDER
        .iter()
        .position(|known| *known == key)
        .unwrap_or(KEY_ORDER.len())
}

/// Puts the members of every object in the model's order; keys the model does not
/// know (a `--query` multiselect's own names) follow, in the order they came.
pub fn model_order(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(String, Value)> = map.into_iter().collect();
            members.sort_by_key(|(k, _)| model_position(k));
            Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, model_order(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(model_order).collect()),
        other => other,
    }
}

/// `value` as `aws --output json` prints it (four-space indentation, a final newline),
/// written to `out` as it is made.
pub fn write_json(value: &Value, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The same, as text: the reference the tests compare other writers with.
#[cfg(test)]
pub fn json(value: &Value) -> String {
    let mut out = Vec::new();
    write_json(value, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_model_and_unknown_keys_keep_their_place() {
        let v: Value = serde_json::from_str(
            r#"{"zeta": 1, "ImageId": "ami-1", "Name": "n", "alpha": 2, "Images": []}"#,
        )
        .unwrap();
        let ordered = model_order(v);
        let keys: Vec<&String> = ordered.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Images", "Name", "ImageId", "zeta", "alpha"]);
    }

    #[test]
    fn json_is_indented_by_four_and_keeps_unicode() {
        let v: Value = serde_json::from_str(r#"{"Images": [{"Name": "Jörg"}], "E": []}"#).unwrap();
        assert_eq!(
            json(&v),
            "{\n    \"Images\": [\n        {\n            \"Name\": \"Jörg\"\n        }\n    ],\n    \"E\": []\n}\n"
        );
    }
}
