//! Properties: the SQL answer equals the fake endpoint's matcher, and hostile values
//! never change the SQL.

use super::*;

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "a",
        "ab",
        "b",
        "aab",
        "A",
        "a*b",
        "a?b",
        "a\\b",
        "it's",
        "é",
        "x y",
        "prod",
        "prods",
        "true",
        "false",
        "8",
        "gp3",
        "/dev/xvda",
    ])
    .prop_map(String::from)
}

fn pattern() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "*", "a", "a*", "*b", "a?", "a?b", "?", "??", "\\*", "a\\*b", "a\\?b", "a\\\\b", "", "A",
        "é", "it's", "prod?", "*o*", "true", "false", "8", "gp?", "/dev/*",
    ])
    .prop_map(String::from)
}

fn opt_word() -> impl Strategy<Value = Option<String>> {
    prop::option::of(word())
}

fn arb_image(index: usize) -> impl Strategy<Value = Image> {
    let tags = prop::option::of(prop::collection::vec(
        (prop::sample::select(vec!["k1", "k2", "K1"]), word()),
        0..3,
    ));
    let mappings = prop::option::of(prop::collection::vec(
        (
            opt_word(),
            prop::option::of((
                opt_word(),
                prop::option::of(prop::sample::select(vec![8, 10, 80])),
                opt_word(),
                prop::option::of(any::<bool>()),
                prop::option::of(any::<bool>()),
            )),
        ),
        0..3,
    ));
    let codes = prop::option::of(prop::collection::vec((opt_word(), opt_word()), 0..2));
    let watermarks = prop::option::of(prop::collection::vec(
        (opt_word(), opt_word(), opt_word(), opt_word(), opt_word()),
        0..2,
    ));
    let scans = prop::option::of((
        opt_word(),
        opt_word(),
        (opt_word(), opt_word(), opt_word(), opt_word(), opt_word()),
    ));
    let types = || prop::option::of(prop::collection::vec(opt_word(), 0..3));
    let specs = prop::option::of((types(), types()));
    (
        (
            opt_word(),
            opt_word(),
            opt_word(),
            opt_word(),
            opt_word(),
            opt_word(),
        ),
        (
            opt_word(),
            opt_word(),
            opt_word(),
            opt_word(),
            opt_word(),
            opt_word(),
        ),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
        ),
        (tags, mappings, codes, opt_word(), opt_word()),
        (opt_word(), opt_word(), watermarks, scans, specs),
    )
        .prop_map(
            move |(a, b, flags, (tags, mappings, codes, reason_code, reason_msg), later)| Image {
                boot_mode: later.0,
                public_ssm_parameter_name: later.1,
                image_watermarks: later.2.map(|w| {
                    w.into_iter()
                        .map(|(key, region, id, created, marked)| ImageWatermark {
                            watermark_key: key,
                            source_image_region: region,
                            source_image_id: id,
                            source_image_creation_time: created,
                            watermark_creation_time: marked,
                        })
                        .collect()
                }),
                scan_results: later.3.map(|(label, date, (i, l, m, h, c))| ScanResults {
                    highest_finding_severity_label: label,
                    finding_scan_date: date,
                    informational_fix_available_since: i,
                    low_fix_available_since: l,
                    medium_fix_available_since: m,
                    high_fix_available_since: h,
                    critical_fix_available_since: c,
                }),
                instance_type_specification: later.4.map(|(supported, unsupported)| {
                    let items = |v: Option<Vec<Option<String>>>| {
                        v.map(|v| {
                            v.into_iter()
                                .map(|t| InstanceTypeItem { instance_type: t })
                                .collect()
                        })
                    };
                    InstanceTypeSpecification {
                        supported_instance_types: items(supported),
                        unsupported_instance_types: items(unsupported),
                    }
                }),
                image_id: Some(format!("ami-{index:08x}")),
                owner_id: Some(ME.into()),
                state: Some("available".into()),
                name: a.0,
                description: a.1,
                architecture: a.2,
                creation_date: a.3,
                image_location: a.4,
                image_owner_alias: a.5,
                kernel_id: b.0,
                ramdisk_id: b.1,
                platform: b.2,
                root_device_name: b.3,
                source_image_id: b.4,
                virtualization_type: b.5,
                public: flags.0,
                ena_support: flags.1,
                free_tier_eligible: flags.2,
                image_allowed: flags.3,
                state_reason: Some(StateReason {
                    code: reason_code,
                    message: reason_msg,
                }),
                tags: tags.map(|t| {
                    t.into_iter()
                        .map(|(k, v)| Tag {
                            key: Some(k.to_string()),
                            value: Some(v),
                        })
                        .collect()
                }),
                product_codes: codes.map(|c| {
                    c.into_iter()
                        .map(|(id, kind)| ProductCode {
                            product_code_id: id,
                            product_code_type: kind,
                        })
                        .collect()
                }),
                block_device_mappings: mappings.map(|m| {
                    m.into_iter()
                        .map(|(device, ebs)| BlockDeviceMapping {
                            device_name: device,
                            ebs: ebs.map(|(snap, size, kind, enc, del)| EbsBlockDevice {
                                snapshot_id: snap,
                                volume_size: size,
                                volume_type: kind,
                                encrypted: enc,
                                delete_on_termination: del,
                                ..EbsBlockDevice::default()
                            }),
                            ..BlockDeviceMapping::default()
                        })
                        .collect()
                }),
                ..Image::default()
            },
        )
}

fn arb_filters() -> impl Strategy<Value = Vec<Filter>> {
    let mut names: Vec<String> = FILTER_NAMES.iter().map(|s| s.to_string()).collect();
    names.extend(["tag:k1".to_string(), "tag:K1".to_string()]);
    prop::collection::vec(
        (
            prop::sample::select(names),
            prop::collection::vec(pattern(), 1..4),
        )
            .prop_map(|(name, values)| Filter { name, values }),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sql_answers_as_the_documented_rules_say(
        images in (0..12usize).map(arb_image).collect::<Vec<_>>(),
        filter_sets in prop::collection::vec(arb_filters(), 8),
    ) {
        let f = Fixture::new(&[Listing { viewer: ME, scope: "owned", catalog: false, images: images.clone() }]);
        for filters in filter_sets {
            let reference: Vec<String> = images
                .iter()
                .filter(|image| filters.iter().all(|flt| {
                    amiq_fake_ec2::Filter::parse(&flt.name, &flt.values)
                        .expect("generated filters are valid")
                        .matches(image)
                }))
                .map(|i| i.image_id.clone().unwrap())
                .collect();
            let answer = f.ids(&DescribeRequest { filters: filters.clone(), ..mine() });
            prop_assert_eq!(answer, reference, "filters {:?}", filters);
        }
    }
}

/// Pieces of values built to break out of SQL: quotes, comments, statement ends,
/// backslashes, NUL, LIKE and regex metacharacters, placeholders, Unicode look-alikes.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "'",
        "''",
        "\"",
        ";",
        "--",
        "/*",
        "*/",
        "\\",
        "\\'",
        "\0",
        "%",
        "_",
        "?",
        "*",
        "$1",
        ":x",
        "' OR '1'='1",
        "'); DROP TABLE image_versions; --",
        "\u{FF07}",
        "\u{2019}",
        "\u{02BC}",
        "\u{2032}",
        "\u{FF1B}",
        "\u{200B}",
        "\n",
        "\r\n",
        "\t",
        "ü",
        "名",
        "🙂",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "|",
        "^",
        "$",
        ".",
        "+",
        "a",
        "ami-0",
        " ",
    ]);
    prop::collection::vec(pieces, 0..8).prop_map(|p| p.concat())
}

fn hostile_filters() -> impl Strategy<Value = Vec<Filter>> {
    let names = prop::sample::select(FILTER_NAMES.to_vec()).prop_map(String::from);
    let tag = hostile().prop_map(|key| format!("tag:{key}"));
    prop::collection::vec(
        (
            prop_oneof![names, tag],
            prop::collection::vec(hostile(), 1..4),
        )
            .prop_map(|(name, values)| Filter { name, values }),
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever the values, the store answers (or EC2's error comes back): a value
    /// never reaches the SQL text, so it can neither break nor change the statement,
    /// and a value equal to an image's field still finds it.
    #[test]
    fn hostile_values_never_change_the_sql(
        filters in hostile_filters(),
        owners in prop::collection::vec(hostile(), 0..3),
        users in prop::collection::vec(hostile(), 0..3),
        ids in prop::collection::vec(hostile(), 0..3),
        // EC2's XML cannot carry NUL, so no stored name holds one.
        name in hostile().prop_map(|s| s.replace('\0', "")),
    ) {
        let image = Image {
            image_id: Some("ami-0123456789abcdef0".into()),
            owner_id: Some(ME.into()),
            name: Some(name.clone()),
            description: Some(name.clone()),
            state: Some("available".into()),
            ..Image::default()
        };
        let f = Fixture::new(&[Listing { viewer: ME, scope: "owned", catalog: false, images: vec![image] }]);
        let request = DescribeRequest {
            filters: filters.clone(),
            owners,
            executable_users: users,
            image_ids: ids,
            ..mine()
        };
        match f.ask(&request) {
            Ok(_) | Err(DescribeError::Api(_)) => {}
            Err(other) => prop_assert!(false, "{:?} failed: {}", request, other),
        }
        // The image's own name, escaped as a literal, matches exactly that image.
        let literal: String = name
            .chars()
            .flat_map(|c| match c {
                '*' | '?' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let by_name = DescribeRequest {
            filters: vec![Filter { name: "name".into(), values: vec![literal.clone()] }],
            ..mine()
        };
        match f.ask(&by_name) {
            Ok(answer) => prop_assert_eq!(answer.images.len(), 1, "name {:?}", name),
            // EC2 refuses values over 255 characters; nothing else.
            Err(DescribeError::Api(e)) => prop_assert!(literal.chars().count() > 255, "{}", e),
            Err(other) => prop_assert!(false, "name {:?}: {}", name, other),
        }
    }
}

#[test]
fn several_values_of_a_filter_on_a_structs_field_keep_only_the_images_they_name() {
    // Found by `sql_answers_as_the_documented_rules_say`: as `IN (?, ?)`, DuckDB
    // kept every image (docs/decisions/0016-in-on-struct-fields.md).
    let mut images: Vec<Image> = (0..12usize)
        .map(|i| Image {
            state_reason: Some(StateReason {
                code: None,
                message: None,
            }),
            ..image(&format!("ami-{i:08x}"))
        })
        .collect();
    images[11].state_reason = Some(StateReason {
        code: Some("c".into()),
        message: Some("it's".into()),
    });
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images,
    }]);
    for (name, values) in [
        ("state-reason-message", vec!["it's", "it's"]),
        ("state-reason-message", vec!["other", "it's"]),
        ("state-reason-code", vec!["c", "d", "e"]),
    ] {
        let ids = f.ids(&DescribeRequest {
            filters: vec![Filter::new(name, &values)],
            ..mine()
        });
        assert_eq!(ids, ["ami-0000000b"], "{name} {values:?}");
    }
}
