//! Every filter, its wildcards and its awkward values, deprecation and disabled images.

use super::*;

#[test]
fn every_filter_reads_its_member() {
    let f = owned_catalog();
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("architecture", &["x86_64"], &["ami-00000001"]),
        (
            "architecture",
            &["x86_64", "arm64"],
            &["ami-00000001", "ami-00000002"],
        ),
        (
            "block-device-mapping.delete-on-termination",
            &["false"],
            &["ami-00000002"],
        ),
        (
            "block-device-mapping.device-name",
            &["/dev/sd*"],
            &["ami-00000001", "ami-00000002"],
        ),
        (
            "block-device-mapping.snapshot-id",
            &["snap-3"],
            &["ami-00000004"],
        ),
        (
            "block-device-mapping.volume-size",
            &["8"],
            &["ami-00000001", "ami-00000004"],
        ),
        (
            "block-device-mapping.volume-type",
            &["io?"],
            &["ami-00000002"],
        ),
        (
            "block-device-mapping.encrypted",
            &["true"],
            &["ami-00000001"],
        ),
        ("creation-date", &["2021-09-29T*"], &["ami-00000001"]),
        ("description", &[""], &["ami-00000002"]),
        ("description", &["*DROP TABLE*"], &["ami-00000003"]),
        ("ena-support", &["false"], &["ami-00000002"]),
        ("free-tier-eligible", &["true"], &["ami-00000001"]),
        ("hypervisor", &["xen"], &["ami-00000001"]),
        ("image-allowed", &["false"], &["ami-00000002"]),
        (
            "image-id",
            &["ami-0000000?"],
            &[
                "ami-00000001",
                "ami-00000002",
                "ami-00000003",
                "ami-00000004",
            ],
        ),
        ("image-type", &["machine"], &["ami-00000001"]),
        ("is-public", &["true"], &["ami-00000001"]),
        (
            "is-public",
            &["false"],
            &["ami-00000002", "ami-00000003", "ami-00000004"],
        ),
        ("kernel-id", &["aki-*"], &["ami-00000001"]),
        ("manifest-location", &["amazon/*"], &["ami-00000001"]),
        ("name", &["\\*amazon\\?\\\\"], &["ami-00000002"]),
        ("name", &["prod?"], &["ami-00000003", "ami-00000004"]),
        ("name", &["PROD"], &[]),
        ("owner-alias", &["amazon"], &["ami-00000001"]),
        (
            "owner-id",
            &[ME],
            &[
                "ami-00000001",
                "ami-00000002",
                "ami-00000003",
                "ami-00000004",
            ],
        ),
        ("platform", &["windows"], &["ami-00000002"]),
        ("product-code", &["pc-abc"], &["ami-00000001"]),
        ("product-code.type", &["market*"], &["ami-00000001"]),
        ("ramdisk-id", &["ari-11111111"], &["ami-00000001"]),
        ("root-device-name", &["/dev/xvda"], &["ami-00000001"]),
        ("root-device-type", &["ebs"], &["ami-00000001"]),
        ("source-image-id", &["ami-0a*"], &["ami-00000001"]),
        ("source-image-region", &["eu-west-1"], &["ami-00000001"]),
        ("source-instance-id", &["i-0123"], &["ami-00000001"]),
        (
            "state",
            &["disabled", "failed"],
            &["ami-00000002", "ami-00000003"],
        ),
        ("state-reason-code", &["Client.*"], &["ami-00000001"]),
        (
            "state-reason-message",
            &["it's \"quoted\""],
            &["ami-00000001"],
        ),
        ("sriov-net-support", &["simple"], &["ami-00000001"]),
        ("tag:team", &["web"], &["ami-00000001"]),
        ("tag:team", &["?eb"], &["ami-00000001", "ami-00000002"]),
        ("tag:owner's", &["Jörg*"], &["ami-00000002"]),
        ("tag:Team", &["*"], &[]),
        (
            "tag-key",
            &["Env", "owner's"],
            &["ami-00000001", "ami-00000002"],
        ),
        ("virtualization-type", &["hvm"], &["ami-00000001"]),
        ("boot-mode", &["legacy-bios"], &["ami-00000002"]),
        (
            "public-ssm-parameter-name",
            &["/aws/service/ami-amazon-linux-latest/*"],
            &["ami-00000001"],
        ),
        (
            "image-watermark.source-image-creation-time",
            &["2021-09-01T*"],
            &["ami-00000001"],
        ),
        (
            "image-watermark.source-image-id",
            &["ami-0aaaaaaaaaaaaaaaa"],
            &["ami-00000001"],
        ),
        (
            "image-watermark.source-image-region",
            &["eu-west-?"],
            &["ami-00000001"],
        ),
        (
            "image-watermark.watermark-creation-time",
            &["2021-09-29T11:04:43.305Z"],
            &["ami-00000001"],
        ),
        (
            "image-watermark.watermark-key",
            &["wm-*"],
            &["ami-00000001"],
        ),
        (
            "scan-result.critical-fix-available-since",
            &["2026-05-*"],
            &["ami-00000001"],
        ),
        (
            "scan-result.finding-scan-date",
            &["2026-11-*"],
            &["ami-00000001", "ami-00000002"],
        ),
        (
            "scan-result.high-fix-available-since",
            &["2026-04-01T00:00:00.000Z"],
            &["ami-00000001"],
        ),
        (
            "scan-result.highest-finding-severity-label",
            &["low", "medium"],
            &["ami-00000002"],
        ),
        (
            "scan-result.informational-fix-available-since",
            &["2026*"],
            &["ami-00000001"],
        ),
        (
            "scan-result.low-fix-available-since",
            &["2026-02-*"],
            &["ami-00000001", "ami-00000002"],
        ),
        (
            "scan-result.medium-fix-available-since",
            &["*"],
            &["ami-00000001"],
        ),
        (
            "instance-type-specification.supported-instance-type",
            &["t3.*"],
            &["ami-00000002"],
        ),
        (
            "instance-type-specification.unsupported-instance-type",
            &["t2.nano"],
            &["ami-00000001"],
        ),
    ];
    let mut covered: Vec<&str> = Vec::new();
    for (name, values, expected) in cases {
        let request = DescribeRequest {
            filters: vec![Filter::new(*name, values)],
            ..mine()
        };
        assert_eq!(f.ids(&request), *expected, "{name} {values:?}");
        covered.push(name);
    }
    for name in FILTER_NAMES {
        assert!(covered.contains(&name), "no case for {name}");
    }
}

#[test]
fn question_mark_is_switchable() {
    let f = owned_catalog();
    let ask = |qm| {
        f.ids(&DescribeRequest {
            filters: vec![Filter::new("name", &["prod?"])],
            question_mark: qm,
            ..mine()
        })
    };
    assert_eq!(
        ask(QuestionMark::ZeroOrOne),
        ["ami-00000003", "ami-00000004"]
    );
    assert_eq!(ask(QuestionMark::ExactlyOne), ["ami-00000003"]);
}

#[test]
fn filters_and_across_names_and_block_device_filters_take_any_mapping() {
    let f = owned_catalog();
    let ids = f.ids(&DescribeRequest {
        filters: vec![
            Filter::new("name", &["prod*", "al2023-*"]),
            Filter::new("block-device-mapping.volume-size", &["8"]),
        ],
        ..mine()
    });
    assert_eq!(ids, ["ami-00000001", "ami-00000004"]);
    // Each block-device filter may be met by a different mapping of the same image.
    let ids = f.ids(&DescribeRequest {
        filters: vec![
            Filter::new("block-device-mapping.device-name", &["/dev/sdb"]),
            Filter::new("block-device-mapping.volume-size", &["8"]),
        ],
        ..mine()
    });
    assert_eq!(ids, ["ami-00000001"]);
}

#[test]
fn awkward_values_never_change_the_sql() {
    let f = owned_catalog();
    let long = "x".repeat(255);
    let nasty = [
        "'",
        "''",
        "\"",
        "\\",
        "\\\\",
        "%",
        "_",
        "'; DROP TABLE image_versions; --",
        "/*",
        "*/",
        "$1",
        "?",
        "\u{0}",
        "é",
        "𝔘",
        "\u{202e}",
        "",
        long.as_str(),
        "(?i)PROD",
        ".*",
        "[a-z]*",
    ];
    for value in nasty {
        for name in ["name", "tag:team", "tag-key", "product-code", "description"] {
            let answer = f.ask(&DescribeRequest {
                filters: vec![Filter::new(name, &[value])],
                ..mine()
            });
            let ids: Vec<String> = answer
                .unwrap_or_else(|e| panic!("{name}={value:?}: {e}"))
                .images
                .iter()
                .map(|i| i.image_id().to_string())
                .collect();
            // Regex syntax in a value is literal text: nothing here matches any name.
            if name == "name" && !value.is_empty() {
                assert!(ids.is_empty(), "{name}={value:?} matched {ids:?}");
            }
        }
    }
    // The tables are intact.
    assert_eq!(f.ids(&mine()).len(), 4);
}

#[test]
fn deprecation_is_judged_at_the_as_of_instant() {
    let deprecated = |id: &str, owner: &str, when: &str| Image {
        owner_id: Some(owner.into()),
        deprecation_time: Some(when.into()),
        ..image(id)
    };
    let f = Fixture::new(&[
        Listing {
            viewer: ME,
            scope: "owned",
            catalog: false,
            images: vec![deprecated("ami-00000001", ME, "2020-01-01T00:00:00.000Z")],
        },
        Listing {
            viewer: ME,
            scope: "shared",
            catalog: false,
            images: vec![
                deprecated("ami-00000002", OTHER, "2020-01-01T00:00:00.000Z"),
                deprecated("ami-00000003", OTHER, "2099-01-01T00:00:00.000Z"),
            ],
        },
    ]);
    let plain = DescribeRequest {
        include_deprecated: false,
        ..mine()
    };
    // The owner sees its own deprecated image; another's is hidden until asked for;
    // one deprecated in the future is not deprecated yet.
    assert_eq!(f.ids(&plain), ["ami-00000001", "ami-00000003"]);
    assert_eq!(
        f.ids(&DescribeRequest {
            include_deprecated: true,
            ..plain.clone()
        }),
        ["ami-00000001", "ami-00000002", "ami-00000003"]
    );
    // Named by id, it comes back regardless.
    assert_eq!(
        f.ids(&DescribeRequest {
            image_ids: vec!["ami-00000002".into()],
            ..plain.clone()
        }),
        ["ami-00000002"]
    );
    // Asked as of 2019, the image deprecated in 2020 was not deprecated yet: but the
    // store did not know it then either, so the answer is empty and says so.
    let early = f
        .ask(&DescribeRequest {
            as_of: AsOf::Time("2019-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()),
            ..plain.clone()
        })
        .unwrap();
    assert!(early.images.is_empty());
    assert!(!early.warnings.is_empty());
}

#[test]
fn disabled_images_need_include_disabled() {
    let f = owned_catalog();
    let ids = f.ids(&DescribeRequest {
        include_disabled: false,
        ..mine()
    });
    assert_eq!(ids, ["ami-00000001", "ami-00000003", "ami-00000004"]);
}
