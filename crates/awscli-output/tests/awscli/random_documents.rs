//! Random JSON documents shaped like AWS CLI responses (and `--query`
//! results), compared byte for byte with awscli's formatters.

use crate::common::{compare_table, compare_text, report};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Number, Value};

const KEYS: &[&str] = &[
    "ImageId",
    "Name",
    "Description",
    "State",
    "Public",
    "OwnerId",
    "CreationDate",
    "Architecture",
    "Tags",
    "Key",
    "Value",
    "BlockDeviceMappings",
    "DeviceName",
    "Ebs",
    "VolumeSize",
    "SnapshotId",
    "Encrypted",
    "ProductCodes",
    "StateReason",
    "Code",
    "Message",
    "NextToken",
];

const TITLES: &[&str] = &["DescribeImages", "DescribeSnapshots", "", "X", "イメージ"];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(KEYS).prop_map(str::to_string),
        2 => "[a-zA-Z][a-zA-Z0-9_]{0,12}",
        1 => "[a-zß-ÿ日本語한국🚀 \t-]{0,6}",
        1 => any::<String>().prop_map(|s| s.chars().take(6).collect()),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "ami-[0-9a-f]{8,17}",
        3 => "[ -~]{0,24}",
        2 => "[a-zA-Z0-9 éüñçÅ日本語中文字한국어🚀👍✅±§×\t\n'\"\\\\]{0,20}",
        1 => any::<String>().prop_map(|s| s.chars().take(20).collect()),
        1 => "[a-z0-9-]{60,180}",
        1 => "[東京都大阪]{20,70}",
        1 => Just(String::new()),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_map(|f| if f.is_finite() { f } else { 0.5 }),
        -1e6..1e6f64,
        -1e-3..1e-3f64,
        prop::sample::select(vec![
            0.0, -0.0, 1.0, 1e16, 1e-5, 1e-4, 0.1, 2.5, 1e15, 123.0
        ]),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => string().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        2 => (0..2000i64).prop_map(Value::from),
        1 => float().prop_map(|f| Value::Number(Number::from_f64(f).unwrap())),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn object(entries: Vec<(String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect::<Map<_, _>>())
}

/// Arbitrary nesting of scalars, lists and objects, including lists of
/// objects that share some keys (so a key can be scalar in one object and a
/// list or object in another).
fn document() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 64, 6, |inner| {
        let shared_key = prop::sample::select(&["Key", "Value", "Id", "Items", "Ebs"][..]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner.clone()), 0..6).prop_map(object),
            prop::collection::vec(
                prop::collection::vec((shared_key.prop_map(str::to_string), inner), 0..4)
                    .prop_map(object),
                1..4
            )
            .prop_map(Value::Array),
        ]
    })
}

fn optional<T: std::fmt::Debug + Clone>(
    name: &'static str,
    strategy: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<(String, T)>> {
    prop::option::of(strategy.prop_map(move |v| (name.to_string(), v)))
}

fn tags() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (string(), string()).prop_map(|(k, v)| {
            object(vec![
                ("Key".to_string(), Value::String(k)),
                ("Value".to_string(), Value::String(v)),
            ])
        }),
        0..4,
    )
    .prop_map(Value::Array)
}

fn block_device_mapping() -> impl Strategy<Value = Value> {
    (
        "/dev/(xvd|sd)[a-f]1?",
        prop::option::of((
            any::<bool>(),
            "snap-[0-9a-f]{17}",
            prop_oneof![Just(8u64), 1..20000u64],
            prop::sample::select(vec!["gp2", "gp3", "io1", "io2", "st1"]),
            any::<bool>(),
        )),
    )
        .prop_map(|(device, ebs)| {
            let mut entries = vec![("DeviceName".to_string(), Value::String(device))];
            if let Some((delete, snap, size, kind, encrypted)) = ebs {
                entries.push((
                    "Ebs".to_string(),
                    object(vec![
                        ("DeleteOnTermination".to_string(), Value::Bool(delete)),
                        ("SnapshotId".to_string(), Value::String(snap)),
                        ("VolumeSize".to_string(), Value::from(size)),
                        ("VolumeType".to_string(), Value::String(kind.to_string())),
                        ("Encrypted".to_string(), Value::Bool(encrypted)),
                    ]),
                ));
            } else {
                entries.push((
                    "VirtualName".to_string(),
                    Value::String("ephemeral0".into()),
                ));
            }
            object(entries)
        })
}

fn image() -> impl Strategy<Value = Value> {
    (
        "ami-[0-9a-f]{17}",
        string(),
        any::<bool>(),
        optional("Description", string()),
        optional("Tags", tags()),
        optional(
            "BlockDeviceMappings",
            prop::collection::vec(block_device_mapping(), 0..3).prop_map(Value::Array),
        ),
        optional(
            "ProductCodes",
            prop::collection::vec("[a-z0-9]{25}", 0..2).prop_map(|codes| {
                Value::Array(
                    codes
                        .into_iter()
                        .map(|c| {
                            object(vec![
                                ("ProductCodeId".to_string(), Value::String(c)),
                                ("ProductCodeType".to_string(), "marketplace".into()),
                            ])
                        })
                        .collect(),
                )
            }),
        ),
        optional(
            "StateReason",
            (string(), string()).prop_map(|(code, message)| {
                object(vec![
                    ("Code".to_string(), Value::String(code)),
                    ("Message".to_string(), Value::String(message)),
                ])
            }),
        ),
        optional("Extra", scalar()),
    )
        .prop_map(
            |(id, name, public, desc, tags, bdm, codes, reason, extra)| {
                let mut entries = vec![
                    ("ImageId".to_string(), Value::String(id)),
                    ("Name".to_string(), Value::String(name)),
                    ("Public".to_string(), Value::Bool(public)),
                ];
                entries.extend(desc.map(|(k, v)| (k, Value::String(v))));
                entries.extend(tags);
                entries.extend(bdm);
                entries.extend(codes);
                entries.extend(reason);
                entries.extend(extra);
                object(entries)
            },
        )
}

fn describe_images_response() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(image(), 0..4),
        prop::option::of("[A-Za-z0-9+/=]{10,80}"),
    )
        .prop_map(|(images, token)| {
            let mut entries = vec![("Images".to_string(), Value::Array(images))];
            entries.extend(token.map(|t| ("NextToken".to_string(), Value::String(t))));
            object(entries)
        })
}

/// `default` cases, times `$FMT_PORT_CASES_FACTOR` when that is set (for
/// longer runs).
fn cases(default: u32) -> u32 {
    let factor = std::env::var("FMT_PORT_CASES_FACTOR")
        .ok()
        .and_then(|f| f.parse::<u32>().ok())
        .unwrap_or(1);
    default * factor
}

fn check(value: &Value, title: &str, width: usize) -> Result<(), TestCaseError> {
    compare_text(value).map_err(TestCaseError::fail)?;
    compare_table(value, title, width).map_err(TestCaseError::fail)?;
    compare_table(value, "DescribeImages", 80).map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: cases(400), failure_persistence: None, ..Config::default() })]

    #[test]
    fn random_documents(
        value in document(),
        title in prop::sample::select(TITLES),
        width in 0usize..220,
    ) {
        check(&value, title, width)?;
    }
}

proptest! {
    #![proptest_config(Config { cases: cases(200), failure_persistence: None, ..Config::default() })]

    #[test]
    fn random_describe_images_responses(
        value in describe_images_response(),
        width in 0usize..220,
    ) {
        check(&value, "DescribeImages", width)?;
        // Typical --query projections of the same response.
        let images = value["Images"].as_array().cloned().unwrap_or_default();
        let ids: Vec<Value> = images.iter().map(|i| i["ImageId"].clone()).collect();
        check(&Value::Array(ids), "DescribeImages", width)?;
        let rows: Vec<Value> = images
            .iter()
            .map(|i| Value::Array(vec![i["ImageId"].clone(), i["Name"].clone(), i["Public"].clone()]))
            .collect();
        check(&Value::Array(rows), "DescribeImages", width)?;
        let tags: Vec<Value> = images.iter().map(|i| i.get("Tags").cloned().unwrap_or(Value::Null)).collect();
        check(&Value::Array(tags), "DescribeImages", width)?;
        if let Some(first) = images.first() {
            check(&first["Name"], "DescribeImages", width)?;
            check(first, "DescribeImages", width)?;
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: cases(100), failure_persistence: None, ..Config::default() })]

    #[test]
    fn random_floats(values in prop::collection::vec(float(), 1..40)) {
        let list = Value::Array(values.iter().map(|f| Value::Number(Number::from_f64(*f).unwrap())).collect());
        check(&list, "DescribeImages", 80)?;
    }
}

#[test]
fn zz_report() {
    report("random_documents");
}
