//! A request checked as EC2 checks it.

use super::*;

fn request() -> DescribeRequest {
    DescribeRequest::default()
}

#[test]
fn requests_are_refused_as_ec2_refuses_them() {
    let cases: Vec<(DescribeRequest, &str)> = vec![
        (
            DescribeRequest {
                image_ids: vec!["ami-12345678".into()],
                max_results: Some(10),
                ..request()
            },
            "InvalidParameterCombination",
        ),
        (
            DescribeRequest {
                max_results: Some(4),
                ..request()
            },
            "InvalidParameterValue",
        ),
        (
            DescribeRequest {
                max_results: Some(1001),
                ..request()
            },
            "InvalidParameterValue",
        ),
        (
            DescribeRequest {
                image_ids: vec!["ami-xyz".into()],
                ..request()
            },
            "InvalidAMIID.Malformed",
        ),
        (
            DescribeRequest {
                owners: vec!["amazonn".into()],
                ..request()
            },
            "InvalidUserID.Malformed",
        ),
        (
            DescribeRequest {
                executable_users: vec!["everyone".into()],
                ..request()
            },
            "InvalidUserID.Malformed",
        ),
        (
            DescribeRequest {
                filters: vec![Filter::new("colour", &["red"])],
                ..request()
            },
            "InvalidParameterValue",
        ),
    ];
    for (req, code) in cases {
        assert_eq!(validate(&req).unwrap_err().code, code, "{req:?}");
    }
    let fine = DescribeRequest {
        owners: vec![
            "self".into(),
            "123456789012".into(),
            "aws-backup-vault".into(),
        ],
        executable_users: vec!["all".into()],
        image_ids: vec!["ami-0123456789abcdef0".into(), "ami-1a2b3c4d".into()],
        ..request()
    };
    assert!(validate(&fine).is_ok());
}
