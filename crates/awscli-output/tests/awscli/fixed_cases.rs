//! Fixed inputs compared byte for byte with awscli's formatters.

use crate::common::{check_table, check_text, reference_oneshot, report};
use awscli_output as cli_output;
use serde_json::{Value, json};

const WIDTHS: [usize; 6] = [0, 20, 60, 80, 120, 250];

/// Compares text output, and table output at several widths and titles.
fn check_all(value: &Value) {
    check_text(value);
    for width in WIDTHS {
        check_table(value, "DescribeImages", width);
    }
    check_table(value, "", 80);
    check_table(value, "图像一覧 DescribeImages", 40);
}

fn describe_images() -> Value {
    json!({
        "Images": [
            {
                "Architecture": "x86_64",
                "CreationDate": "2024-05-01T12:34:56.000Z",
                "ImageId": "ami-0abcdef1234567890",
                "ImageLocation": "123456789012/amiq-base-2024.05.01",
                "ImageType": "machine",
                "Public": false,
                "OwnerId": "123456789012",
                "PlatformDetails": "Linux/UNIX",
                "UsageOperation": "RunInstances",
                "State": "available",
                "BlockDeviceMappings": [
                    {
                        "DeviceName": "/dev/xvda",
                        "Ebs": {
                            "DeleteOnTermination": true,
                            "SnapshotId": "snap-0123456789abcdef0",
                            "VolumeSize": 8,
                            "VolumeType": "gp3",
                            "Encrypted": false
                        }
                    },
                    {
                        "DeviceName": "/dev/sdb",
                        "VirtualName": "ephemeral0"
                    }
                ],
                "Description": "amiq base image\twith a tab",
                "EnaSupport": true,
                "Hypervisor": "xen",
                "Name": "amiq-base-2024.05.01",
                "RootDeviceName": "/dev/xvda",
                "RootDeviceType": "ebs",
                "SriovNetSupport": "simple",
                "Tags": [
                    {"Key": "Name", "Value": "amiq base"},
                    {"Key": "team", "Value": "platform"},
                    {"Key": "cost-center", "Value": ""}
                ],
                "VirtualizationType": "hvm",
                "BootMode": "uefi-preferred",
                "DeprecationTime": "2026-05-01T12:34:00.000Z"
            },
            {
                "Architecture": "arm64",
                "CreationDate": "2023-11-20T08:00:00.000Z",
                "ImageId": "ami-0fedcba9876543210",
                "ImageLocation": "aws-marketplace/vendor-appliance-1.2",
                "ImageType": "machine",
                "Public": true,
                "OwnerId": "679593333241",
                "ProductCodes": [
                    {"ProductCodeId": "abcdefghijklmnopqrstu", "ProductCodeType": "marketplace"}
                ],
                "State": "failed",
                "StateReason": {
                    "Code": "Client.InvalidSnapshot.NotFound",
                    "Message": "The snapshot 'snap-0bad' does not exist."
                },
                "BlockDeviceMappings": [
                    {
                        "DeviceName": "/dev/sda1",
                        "Ebs": {
                            "DeleteOnTermination": false,
                            "SnapshotId": "snap-0bad",
                            "VolumeSize": 1024,
                            "VolumeType": "io2",
                            "Iops": 64000,
                            "Encrypted": true,
                            "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                        }
                    }
                ],
                "EnaSupport": false,
                "Hypervisor": "xen",
                "Name": "vendor-appliance-1.2 édition spéciale",
                "RootDeviceName": "/dev/sda1",
                "RootDeviceType": "ebs",
                "Tags": [],
                "VirtualizationType": "hvm"
            },
            {
                "ImageId": "ami-0123456789abcdef0",
                "Name": "日本語のイメージ名 🚀",
                "Public": false,
                "State": "pending",
                "Tags": [{"Key": "説明", "Value": "テスト用 ✅"}]
            }
        ],
        "NextToken": "eyJ2IjoiMiIsImMiOiJhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eiJ9"
    })
}

#[test]
fn describe_images_response() {
    check_all(&describe_images());
    let single = json!({"Images": [describe_images()["Images"][0].clone()]});
    check_all(&single);
    report("describe_images_response");
}

#[test]
fn query_results() {
    let images = describe_images();
    let cases = [
        // --query 'Images[].ImageId'
        json!([
            "ami-0abcdef1234567890",
            "ami-0fedcba9876543210",
            "ami-0123456789abcdef0"
        ]),
        // --query 'Images[].[ImageId, Name, Public]'
        json!([
            ["ami-0abcdef1234567890", "amiq-base-2024.05.01", false],
            [
                "ami-0fedcba9876543210",
                "vendor-appliance-1.2 édition spéciale",
                true
            ],
            ["ami-0123456789abcdef0", "日本語のイメージ名 🚀", null]
        ]),
        // --query 'Images[].[ImageId, Tags[].Key]'
        json!([
            ["ami-1", ["Name", "team"]],
            ["ami-2", []],
            ["ami-3", ["説明"]]
        ]),
        // --query 'Images[0].ImageId'
        json!("ami-0abcdef1234567890"),
        // --query 'length(Images)'
        json!(3),
        json!(3.5),
        json!(0),
        json!(-7),
        // --query 'Images[0].Missing'
        Value::Null,
        json!(true),
        json!(false),
        json!(""),
        json!([]),
        json!({}),
        json!([[]]),
        json!([{}]),
        json!([{}, {}]),
        // --query 'Images[].{Id: ImageId, Name: Name, Public: Public}'
        json!([
            {"Id": "ami-1", "Name": "base", "Public": false},
            {"Id": "ami-2", "Name": "vendor", "Public": true, "Extra": null},
            {"Id": "ami-3", "Public": false}
        ]),
        // --query 'Images[0].{Id: ImageId}'
        json!({"Id": "ami-0abcdef1234567890"}),
        json!({"Id": "ami-1", "Devices": ["/dev/xvda", "/dev/sdb"]}),
        json!({"Devices": [], "Tags": {}, "Name": "x"}),
        images["Images"][0]["BlockDeviceMappings"].clone(),
        images["Images"][1]["StateReason"].clone(),
        images["Images"][0]["Tags"].clone(),
        json!({"Reservations": [{"Instances": [{"Tags": [{"Key": "a", "Value": "b"}]}]}]}),
        // nested lists of scalars and lists
        json!([1, [2, 3], 4, [[5, 6], 7]]),
        json!([["a", "b"], ["c", "d"]]),
        json!([[["a", "b"]], [["c", "d"]]]),
        json!({"Matrix": [[1, 2], [3, 4]], "Flat": [1, 2]}),
        json!([["x"], [{"k": "v"}]]),
        json!(["x", {"a": 1}]),
        json!([[1], {"only": 1}]),
        json!(["x", [{"a": 1}]]),
    ];
    for case in &cases {
        check_all(case);
    }
    report("query_results");
}

#[test]
// Literals given with their exact binary values (ties between two shortest reprs).
#[allow(clippy::excessive_precision)]
fn numbers() {
    let floats = [
        0.1,
        0.5,
        1.0,
        -1.0,
        1.5,
        100.0,
        1e15,
        1e16,
        1.5e16,
        9007199254740993.0,
        1e22,
        1e100,
        1.7976931348623157e308,
        5e-324,
        1e-4,
        1e-5,
        0.00012345,
        1.2345e-5,
        123456789.123456789,
        -0.0,
        0.0,
        2.5,
        6.02214076e23,
        1e21,
        12345678901234567.0,
        0.30000000000000004,
        // exact ties between two shortest candidates: Python rounds half to even
        -259235484147718.625,
        259235484147718.875,
        0.125,
        1.0000000000000002,
    ];
    let mut values: Vec<Value> = floats.iter().map(|f| json!(f)).collect();
    values.extend([
        json!(u64::MAX),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(9007199254740993_u64),
        json!(-0),
    ]);
    for v in &values {
        check_all(v);
        check_all(&json!([v, v]));
        check_all(&json!({"Size": v, "Name": "n"}));
    }
    check_all(&Value::Array(values.clone()));
    let records: Vec<Value> = values.iter().map(|v| json!({"V": v})).collect();
    check_all(&Value::Array(records));
    // JSON texts that serde_json parses to the same numbers as json.loads.
    for text in ["-0", "-0.0", "1E2", "1e-7", "0.000", "123456789012345678"] {
        check_all(&serde_json::from_str::<Value>(text).unwrap());
    }
    report("numbers");
}

#[test]
fn strings() {
    let long = "x".repeat(300);
    let long_wide = "長".repeat(90);
    let strings = [
        "plain",
        "",
        " ",
        "tab\there",
        "\ttrailing tab\t",
        "new\nline",
        "carriage\rreturn",
        "back\\slash",
        "it's",
        "say \"hi\"",
        "both ' and \"",
        "control \u{1}\u{1f}\u{7f}\u{80}\u{9f}\u{a0}\u{ad}",
        "café naïve ÅÇÉ",
        "東京都 中文 한국어",
        "emoji 🚀👍🏽🇯🇵 family 👨‍👩‍👧",
        "ﾊﾝｶｸ half-width katakana",
        "ＦＵＬＬ full-width",
        "±§¶ ambiguous ×÷",
        "combining e\u{301} and zero\u{200b}width",
        "\u{2028}\u{2029}\u{feff}\u{e000}\u{10ffff}",
        long.as_str(),
        long_wide.as_str(),
    ];
    for s in strings {
        check_all(&json!(s));
        check_all(&json!([s, "b"]));
        check_all(&json!({"Name": s, "Id": "ami-1"}));
        check_all(&json!({"Name": s}));
        check_all(&json!({s: [s], "k": s}));
        check_all(&json!([{"Key": s, "Value": s}, {"Key": "k", "Value": [s, 1, null]}]));
        check_all(
            &json!({"Images": [{"ImageId": "ami-1", "Name": s, "Tags": [{"Key": s, "Value": s}]}]}),
        );
    }
    check_all(&json!({"Strings": strings}));
    report("strings");
}

#[test]
fn identifiers_are_uppercased() {
    for key in [
        "tags", "straße", "ǆemal", "ﬁle", "ŉ", "ΐ", "ς", "日本", "ǅ", "Ǳ", "ᾳ", "",
    ] {
        check_all(&json!({key: ["a", "b"]}));
        check_all(&json!({key: [{"k": 1, "l": 2}]}));
        check_all(&json!({key: {"x": 1, "y": [1]}}));
    }
    report("identifiers_are_uppercased");
}

#[test]
fn mixed_shapes() {
    let cases = [
        // a key scalar in one object and not in another: printed with repr
        json!([{"a": 1}, {"a": [1, "two", null, true, 2.5]}]),
        json!([{"a": "x"}, {"a": {"k": "it's", "l": {"m": []}}}]),
        json!({"List": [{"a": null, "b": 1}, {"a": {"deep": "v"}, "c": [1]}]}),
        // objects in a list with different keys
        json!([{"a": 1, "b": 2}, {"b": 3, "c": 4}, {}]),
        json!([{"a": 1, "n": [1, 2]}, {"b": 2}, {"n": {"x": 1, "y": 2}}]),
        // a scalar under a key that is a list elsewhere (table sub-section with no rows)
        json!([{"a": [1]}, {"a": "scalar"}, {"a": 0}, {"a": ""}]),
        // awscli raises for these
        json!([1, {"a": 1}]),
        json!([{"a": 1}, 1]),
        json!([{"a": 1}, "s"]),
        json!([{"a": 1}, []]),
        json!([{"a": 1}, [0]]),
        json!([{}, [0]]),
        json!({"ok": "first", "bad": [{"a": 1}, null]}),
        json!({"z": 1, "a": [[1, 2], [3]]}),
        json!([[1, 2], [3]]),
        json!([1, [2, 3]]),
        json!([[], [1]]),
        json!([[], []]),
        json!([[{"a": 1, "b": 2}], "x"]),
        json!([[{"a": 1}], [{"a": 1, "b": 2}]]),
        json!([[{"a": 1, "n": [1]}, {"a": 2, "n": [2]}]]),
        json!(["x", {"a": 1, "b": 2}]),
        json!([{"a": 1}, {"a": 2}, {"b": [{"c": 1}]}]),
        // empty lists and strings pass as elements without keys
        json!([{}, []]),
        json!([{}, ""]),
        json!([{"a": [1]}, [], "", {"a": [2]}]),
        json!([{"": [1]}, []]),
        json!([{"": [1]}, ""]),
        json!([{"a": 1}, []]),
        json!([{"a": 1}, ""]),
        json!({"t": [{"n": {"x": 1}}, ""]}),
        // deep nesting
        json!({"a": {"b": {"c": {"d": {"e": {"f": "deep", "g": [1, 2]}}}}}}),
        json!({"a": [{"b": [{"c": [{"d": "x", "e": "y"}]}]}]}),
    ];
    for case in &cases {
        check_all(case);
    }
    report("mixed_shapes");
}

#[test]
fn wide_tables() {
    let long = "a-very-long-value-".repeat(12);
    let cases = [
        json!({"Id": "ami-1", "Long": long}),
        json!({"Images": [{"Id": "ami-1", "Long": long, "X": 1}]}),
        json!({"Images": [{"Id": "ami-1", "Long": long}, {"Id": "ami-2", "Long": "short"}]}),
        json!({"Image": {"Id": "ami-1", "Long": long, "Tags": [{"Key": "k", "Value": long}]}}),
        json!([{"A": "1", "B": "2", "C": "3", "D": "4", "E": "5", "F": "6", "G": "7", "H": "8"}]),
        json!({"OneKeyPerColumn": {"a": 1, "bb": 22, "ccc": 333, "dddd": 4444, "eeeee": 55555}}),
    ];
    for case in &cases {
        check_all(case);
        for width in (0..=200).step_by(7) {
            check_table(case, "DescribeImages", width);
        }
    }
    // very long titles
    check_table(&json!({"a": 1}), &"T".repeat(150), 80);
    check_table(&json!({"a": 1, "b": 2}), &"標題".repeat(40), 80);
    check_table(&json!("scalar"), "DescribeImages", 80);
    check_table(&json!(["x"]), "A", 1);
    report("wide_tables");
}

#[test]
fn driver_command_line_mode() {
    // The driver's one-shot mode gives what its --serve mode gives.
    let value = describe_images();
    let (text, ok) = reference_oneshot(&["text"], &value);
    assert!(ok);
    assert_eq!(String::from_utf8(text).unwrap(), cli_output::text(&value));
    let (table, ok) = reference_oneshot(&["table", "DescribeImages", "100"], &value);
    assert!(ok);
    assert_eq!(
        String::from_utf8(table).unwrap(),
        cli_output::table(&value, "DescribeImages", 100)
    );
    let (partial, ok) = reference_oneshot(&["text"], &json!({"a": 1, "b": [1, {"c": 2}]}));
    assert!(!ok, "awscli raises for a list mixing objects and scalars");
    assert_eq!(String::from_utf8(partial).unwrap(), "1\n");
    assert_eq!(
        cli_output::text(&json!({"a": 1, "b": [1, {"c": 2}]})),
        "1\n"
    );
}
