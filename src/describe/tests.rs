//! DescribeImages from the store: every filter, the request semantics, and the SQL
//! answer against the plain in-memory matcher of the fake endpoint.

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::*;
use crate::store::{PartitionRecord, Store, StoreSettings, staged_listing};
use amiq_image::{
    BlockDeviceMapping, EbsBlockDevice, Image, ImageWatermark, InstanceTypeItem,
    InstanceTypeSpecification, ProductCode, ScanResults, StateReason, Tag,
};

const ME: &str = "111111111111";
const OTHER: &str = "222222222222";
const REGION: &str = "us-east-1";

/// A listing to merge: viewer, scope, catalog, images.
struct Listing<'a> {
    viewer: &'a str,
    scope: &'a str,
    catalog: bool,
    images: Vec<Image>,
}

/// A store holding one run of `listings`.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    fn new(listings: &[Listing]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let fixture = Fixture { _dir: dir, store };
        fixture.run(listings);
        fixture
    }

    /// One more run of `listings`; returns its id.
    fn run(&self, listings: &[Listing]) -> i64 {
        let run_id = self.store.begin_run(listings.len()).unwrap();
        for l in listings {
            let record =
                PartitionRecord::started(run_id, l.viewer, l.viewer, REGION, l.scope, l.catalog);
            let staged = staged_listing(self._dir.path(), &record, &l.images);
            self.store.merge_partition(&staged, &record).unwrap();
        }
        self.store.finish_run(run_id, false).unwrap();
        run_id
    }

    fn ask(&self, request: &DescribeRequest) -> Result<Answer, DescribeError> {
        describe_images(&self.store, request)
    }

    fn ids(&self, request: &DescribeRequest) -> Vec<String> {
        let answer = self
            .ask(request)
            .unwrap_or_else(|e| panic!("{request:?}: {e}"));
        answer
            .images
            .iter()
            .map(|f| f.image_id().to_string())
            .collect()
    }
}

fn mine() -> DescribeRequest {
    DescribeRequest {
        account: Some(ME.into()),
        region: Some(REGION.into()),
        include_deprecated: true,
        include_disabled: true,
        ..DescribeRequest::default()
    }
}

fn image(id: &str) -> Image {
    Image {
        image_id: Some(id.into()),
        owner_id: Some(ME.into()),
        state: Some("available".into()),
        public: Some(false),
        ..Image::default()
    }
}

/// Four images that differ in every member a filter reads.
fn catalog() -> Vec<Image> {
    let ebs = |snap: &str, size: i32, kind: &str, enc: bool, del: bool| EbsBlockDevice {
        snapshot_id: Some(snap.into()),
        volume_size: Some(size),
        volume_type: Some(kind.into()),
        encrypted: Some(enc),
        delete_on_termination: Some(del),
        ..EbsBlockDevice::default()
    };
    let mapping = |dev: &str, e: Option<EbsBlockDevice>| BlockDeviceMapping {
        device_name: Some(dev.into()),
        ebs: e,
        ..BlockDeviceMapping::default()
    };
    let tag = |k: &str, v: &str| Tag {
        key: Some(k.into()),
        value: Some(v.into()),
    };
    vec![
        Image {
            name: Some("al2023-ami-2023.6-x86_64".into()),
            architecture: Some("x86_64".into()),
            creation_date: Some("2021-09-29T11:04:43.305Z".into()),
            description: Some("Amazon Linux 2023".into()),
            ena_support: Some(true),
            free_tier_eligible: Some(true),
            hypervisor: Some("xen".into()),
            image_allowed: Some(true),
            image_type: Some("machine".into()),
            public: Some(true),
            kernel_id: Some("aki-11111111".into()),
            image_location: Some("amazon/al2023-ami".into()),
            image_owner_alias: Some("amazon".into()),
            platform: None,
            product_codes: Some(vec![ProductCode {
                product_code_id: Some("pc-abc".into()),
                product_code_type: Some("marketplace".into()),
            }]),
            ramdisk_id: Some("ari-11111111".into()),
            root_device_name: Some("/dev/xvda".into()),
            root_device_type: Some("ebs".into()),
            source_image_id: Some("ami-0aaaaaaaaaaaaaaaa".into()),
            source_image_region: Some("eu-west-1".into()),
            source_instance_id: Some("i-0123".into()),
            state_reason: Some(StateReason {
                code: Some("Client.Error".into()),
                message: Some("it's \"quoted\"".into()),
            }),
            sriov_net_support: Some("simple".into()),
            virtualization_type: Some("hvm".into()),
            tags: Some(vec![tag("team", "web"), tag("Env", "prod")]),
            block_device_mappings: Some(vec![
                mapping("/dev/xvda", Some(ebs("snap-1", 8, "gp3", true, true))),
                mapping("/dev/sdb", None),
            ]),
            boot_mode: Some("uefi-preferred".into()),
            public_ssm_parameter_name: Some(
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64".into(),
            ),
            image_watermarks: Some(vec![ImageWatermark {
                watermark_key: Some("wm-1".into()),
                source_image_region: Some("eu-west-1".into()),
                source_image_id: Some("ami-0aaaaaaaaaaaaaaaa".into()),
                source_image_creation_time: Some("2021-09-01T00:00:00.000Z".into()),
                watermark_creation_time: Some("2021-09-29T11:04:43.305Z".into()),
            }]),
            scan_results: Some(ScanResults {
                highest_finding_severity_label: Some("critical".into()),
                finding_scan_date: Some("2026-11-30T10:00:00.000Z".into()),
                informational_fix_available_since: Some("2026-01-01T00:00:00.000Z".into()),
                low_fix_available_since: Some("2026-02-01T00:00:00.000Z".into()),
                medium_fix_available_since: Some("2026-03-01T00:00:00.000Z".into()),
                high_fix_available_since: Some("2026-04-01T00:00:00.000Z".into()),
                critical_fix_available_since: Some("2026-05-01T00:00:00.000Z".into()),
            }),
            instance_type_specification: Some(InstanceTypeSpecification {
                supported_instance_types: Some(vec![InstanceTypeItem {
                    instance_type: Some("m7i.large".into()),
                }]),
                unsupported_instance_types: Some(vec![InstanceTypeItem {
                    instance_type: Some("t2.nano".into()),
                }]),
            }),
            ..image("ami-00000001")
        },
        Image {
            name: Some("*amazon?\\".into()),
            architecture: Some("arm64".into()),
            creation_date: Some("2021-09-30T00:00:00.000Z".into()),
            description: Some("".into()),
            ena_support: Some(false),
            free_tier_eligible: Some(false),
            image_allowed: Some(false),
            state: Some("disabled".into()),
            platform: Some("windows".into()),
            tags: Some(vec![tag("team", "Web"), tag("owner's", "Jörg M")]),
            block_device_mappings: Some(vec![mapping(
                "/dev/sda1",
                Some(ebs("snap-2", 80, "io2", false, false)),
            )]),
            boot_mode: Some("legacy-bios".into()),
            scan_results: Some(ScanResults {
                highest_finding_severity_label: Some("low".into()),
                finding_scan_date: Some("2026-11-29T10:00:00.000Z".into()),
                low_fix_available_since: Some("2026-02-15T00:00:00.000Z".into()),
                ..ScanResults::default()
            }),
            instance_type_specification: Some(InstanceTypeSpecification {
                supported_instance_types: Some(vec![
                    InstanceTypeItem {
                        instance_type: Some("t3.micro".into()),
                    },
                    InstanceTypeItem {
                        instance_type: Some("t3.small".into()),
                    },
                ]),
                unsupported_instance_types: None,
            }),
            ..image("ami-00000002")
        },
        Image {
            name: Some("prods".into()),
            description: Some("line1\nline2, with comma; DROP TABLE image_versions; --".into()),
            state: Some("failed".into()),
            tags: Some(vec![]),
            ..image("ami-00000003")
        },
        Image {
            name: Some("prod".into()),
            block_device_mappings: Some(vec![mapping(
                "xvdh",
                Some(ebs("snap-3", 8, "gp2", false, true)),
            )]),
            ..image("ami-00000004")
        },
    ]
}

fn owned_catalog() -> Fixture {
    Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: catalog(),
    }])
}

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

fn two_accounts() -> Fixture {
    let theirs = |id: &str, public: bool| Image {
        owner_id: Some(OTHER.into()),
        public: Some(public),
        ..image(id)
    };
    Fixture::new(&[
        Listing {
            viewer: ME,
            scope: "owned",
            catalog: false,
            images: vec![image("ami-00000001")],
        },
        Listing {
            viewer: ME,
            scope: "shared",
            catalog: false,
            images: vec![theirs("ami-00000002", false)],
        },
        Listing {
            viewer: OTHER,
            scope: "owned",
            catalog: false,
            images: vec![theirs("ami-00000002", false), theirs("ami-00000003", true)],
        },
        Listing {
            viewer: ME,
            scope: "amazon",
            catalog: true,
            images: vec![Image {
                owner_id: Some("137112412989".into()),
                image_owner_alias: Some("amazon".into()),
                public: Some(true),
                ..image("ami-00000009")
            }],
        },
    ])
}

#[test]
fn owners_and_executable_users_follow_what_each_account_was_shown() {
    let f = two_accounts();
    let ask = |account: &str, owners: &[&str], users: &[&str]| {
        f.ids(&DescribeRequest {
            account: Some(account.into()),
            owners: owners.iter().map(|s| s.to_string()).collect(),
            executable_users: users.iter().map(|s| s.to_string()).collect(),
            ..mine()
        })
    };
    assert_eq!(ask(ME, &["self"], &[]), ["ami-00000001"]);
    assert_eq!(ask(ME, &[OTHER], &[]), ["ami-00000002"]);
    assert_eq!(ask(ME, &["amazon"], &[]), ["ami-00000009"]);
    assert_eq!(
        ask(ME, &["self", "amazon"], &[]),
        ["ami-00000001", "ami-00000009"]
    );
    assert_eq!(ask(ME, &[], &["self"]), ["ami-00000002"]);
    assert_eq!(ask(ME, &[], &["all"]), ["ami-00000009"]);
    assert_eq!(
        ask(ME, &[], &[]),
        ["ami-00000001", "ami-00000002", "ami-00000009"]
    );
    // The catalog fetched once answers for the other account too.
    assert_eq!(ask(OTHER, &["amazon"], &[]), ["ami-00000009"]);
    assert_eq!(ask(OTHER, &["self"], &[]), ["ami-00000002", "ami-00000003"]);
    assert_eq!(ask(OTHER, &["self"], &[ME]), ["ami-00000002"]);
    assert_eq!(ask(OTHER, &[], &["self"]), Vec::<String>::new());

    // Named by id (the answer reads only the sightings of the caller and of the
    // catalogs' fetchers): the catalog another account fetched answers, another
    // account's own listing does not.
    let by_id = |account: &str, ids: &[&str]| DescribeRequest {
        account: Some(account.into()),
        image_ids: ids.iter().map(|s| s.to_string()).collect(),
        ..mine()
    };
    assert_eq!(f.ids(&by_id(OTHER, &["ami-00000009"])), ["ami-00000009"]);
    assert_eq!(
        f.ids(&by_id(OTHER, &["ami-00000002", "ami-00000009"])),
        ["ami-00000002", "ami-00000009"]
    );
    assert_eq!(f.ids(&by_id(ME, &["ami-00000002"])), ["ami-00000002"]);
    // (Not an error: ME's public listing was never synced, so the answer says it may
    // be incomplete instead.)
    assert_eq!(
        f.ids(&by_id(ME, &["ami-00000003"])),
        Vec::<String>::new(),
        "ami-00000003 is in OTHER's own listing alone"
    );
}

/// A store where the two groupings could part: images seen under several scopes and
/// by two accounts, a catalog fetched by one of them, deprecated, disabled and tagged
/// images, owners, names and architectures to filter on.
fn every_kind_of_view() -> Fixture {
    let made = |id: &str, owner: &str, name: &str, arch: &str| Image {
        owner_id: Some(owner.into()),
        name: Some(name.into()),
        architecture: Some(arch.into()),
        ..image(id)
    };
    let deprecated = |i: Image, when: &str| Image {
        deprecation_time: Some(when.into()),
        ..i
    };
    let tagged = |i: Image, value: &str| Image {
        tags: Some(vec![Tag {
            key: Some("team".into()),
            value: Some(value.into()),
        }]),
        ..i
    };
    let amazon = |id: &str, name: &str| Image {
        image_owner_alias: Some("amazon".into()),
        public: Some(true),
        ..made(id, "137112412989", name, "x86_64")
    };
    let shared = tagged(made("ami-00000005", OTHER, "web-2", "arm64"), "web");
    Fixture::new(&[
        Listing {
            viewer: ME,
            scope: "owned",
            catalog: false,
            images: vec![
                tagged(made("ami-00000001", ME, "web-1", "x86_64"), "web"),
                deprecated(
                    made("ami-00000002", ME, "web-old", "arm64"),
                    "2020-01-01T00:00:00.000Z",
                ),
                Image {
                    state: Some("disabled".into()),
                    ..made("ami-00000003", ME, "db-1", "x86_64")
                },
                tagged(made("ami-00000004", ME, "db-2", "arm64"), "db"),
            ],
        },
        Listing {
            viewer: ME,
            scope: "shared",
            catalog: false,
            images: vec![
                shared.clone(),
                deprecated(
                    made("ami-00000006", OTHER, "web-3", "x86_64"),
                    "2020-01-01T00:00:00.000Z",
                ),
            ],
        },
        Listing {
            viewer: OTHER,
            scope: "owned",
            catalog: false,
            images: vec![
                tagged(shared, "theirs"),
                made("ami-00000007", OTHER, "web-4", "arm64"),
            ],
        },
        Listing {
            viewer: ME,
            scope: "amazon",
            catalog: true,
            images: vec![
                amazon("ami-00000009", "al2023-ami-1"),
                deprecated(
                    amazon("ami-0000000a", "al2023-ami-0"),
                    "2020-01-01T00:00:00.000Z",
                ),
                amazon("ami-0000000b", "web-amazon"),
                // Also in the caller's own listing: its own view wins.
                tagged(made("ami-00000001", ME, "web-1", "x86_64"), "catalog"),
            ],
        },
    ])
}

#[test]
fn versions_before_or_after_grouping_give_one_answer() {
    let f = every_kind_of_view();
    let now = Utc::now();
    let filter = |name: &str, values: &[&str]| Filter {
        name: name.into(),
        values: values.iter().map(|s| s.to_string()).collect(),
    };
    let filter_sets = [
        vec![filter("name", &["web-*"])],
        vec![filter("architecture", &["arm64"])],
        vec![filter("name", &["*"]), filter("tag:team", &["web"])],
        vec![filter("name", &["al2023-ami-*", "db-*"])],
        vec![
            filter("architecture", &["x86_64"]),
            filter("tag-key", &["team"]),
        ],
        vec![filter("is-public", &["true"])],
    ];
    let owner_sets: [&[&str]; 5] = [&[], &["self"], &["amazon"], &[OTHER], &["self", "amazon"]];
    let ids = [
        "ami-00000001",
        "ami-00000002",
        "ami-00000005",
        "ami-0000000a",
    ];
    let mut compared = 0;
    let mut answered = 0;
    for account in [ME, OTHER] {
        for filters in &filter_sets {
            for owners in owner_sets {
                for (include_deprecated, include_disabled) in [(false, false), (true, true)] {
                    // A page at a time, or named ids (which take no MaxResults).
                    for (max_results, image_ids) in [(None, &[][..]), (Some(5), &[]), (None, &ids)]
                    {
                        let request = DescribeRequest {
                            account: Some(account.into()),
                            owners: owners.iter().map(|s| s.to_string()).collect(),
                            filters: filters.clone(),
                            include_deprecated,
                            include_disabled,
                            max_results,
                            image_ids: image_ids.iter().map(|s| s.to_string()).collect(),
                            ..mine()
                        };
                        let chosen = query::Grouping::for_request(&request, Some(account));
                        assert_eq!(chosen, query::Grouping::VersionsBefore, "{request:?}");
                        let pages = |grouping| {
                            let mut pages = Vec::new();
                            let mut after = None;
                            loop {
                                let (found, more_after) = query::run_grouped(
                                    &f.store,
                                    &request,
                                    Some(account),
                                    now,
                                    after.as_ref(),
                                    grouping,
                                )
                                .unwrap_or_else(|e| panic!("{grouping:?} {request:?}: {e}"));
                                let ids: Vec<String> =
                                    found.iter().map(|i| i.image_id().to_string()).collect();
                                if let Some(max) = max_results {
                                    assert!(ids.len() <= max as usize, "{request:?}");
                                }
                                pages.push(ids);
                                if more_after.is_none() {
                                    return pages;
                                }
                                let last = found.last().expect("a full page");
                                assert_eq!(
                                    more_after,
                                    Some(super::token::RowKey {
                                        caller: last.viewer_account_id.clone(),
                                        region: last.region.clone(),
                                        image_id: last.image_id().to_string(),
                                    })
                                );
                                after = more_after;
                            }
                        };
                        let before = pages(query::Grouping::VersionsBefore);
                        let after = pages(query::Grouping::VersionsAfter);
                        assert_eq!(before, after, "{request:?}");
                        compared += 1;
                        answered += usize::from(before.iter().any(|p| !p.is_empty()));
                    }
                }
            }
        }
    }
    // Most questions have an answer to compare, not an empty one.
    assert!(answered * 2 > compared, "{answered} of {compared} answered");
    // Spot checks: the owner and deprecation tests hold when they filter the versions.
    let ask = |owners: &[&str], include_deprecated: bool| {
        f.ids(&DescribeRequest {
            owners: owners.iter().map(|s| s.to_string()).collect(),
            filters: vec![filter("name", &["*"])],
            include_deprecated,
            include_disabled: false,
            ..mine()
        })
    };
    assert_eq!(
        ask(&["self"], false),
        ["ami-00000001", "ami-00000002", "ami-00000004"]
    );
    assert_eq!(ask(&["amazon"], false), ["ami-00000009", "ami-0000000b"]);
    assert_eq!(
        ask(&["amazon"], true),
        ["ami-00000009", "ami-0000000a", "ami-0000000b"]
    );
    assert_eq!(ask(&[OTHER], false), ["ami-00000005"]);
}

#[test]
fn an_answer_across_accounts_names_each_viewer_and_region() {
    let f = two_accounts();
    let everyone = DescribeRequest {
        account: None,
        region: None,
        owners: vec!["self".into()],
        ..mine()
    };
    let answer = f.ask(&everyone).unwrap();
    let rows: Vec<(String, String)> = answer
        .images
        .iter()
        .map(|i| (i.viewer_account_id.clone(), i.image_id().to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            (ME.to_string(), "ami-00000001".to_string()),
            (OTHER.to_string(), "ami-00000002".to_string()),
            (OTHER.to_string(), "ami-00000003".to_string()),
        ]
    );
    let json = answer.clone().into_json(true);
    assert_eq!(json["Images"][0]["Region"], REGION);
    assert_eq!(json["Images"][0]["ViewerAccountId"], ME);
    assert_eq!(
        streamed(&f, &everyone),
        crate::describe::output::json(&json)
    );
    let one = DescribeRequest {
        owners: vec!["self".into()],
        ..mine()
    };
    let json = f.ask(&one).unwrap().into_json(false);
    assert!(json["Images"][0].get("Region").is_none());
    assert_eq!(streamed(&f, &one), crate::describe::output::json(&json));
}

#[test]
fn elements_the_reader_did_not_know_come_back_where_they_stood() {
    let mut images = catalog();
    images[0].unknown_members = Some(vec![
        amiq_image::UnknownMember {
            path: String::new(),
            xml: "<futureTop><item><a>1</a></item><item><a>2</a></item></futureTop>".into(),
        },
        amiq_image::UnknownMember {
            path: "blockDeviceMapping/1/ebs".into(),
            xml: "<futureRate unit=\"MiB\">5 &amp; more</futureRate>".into(),
        },
        amiq_image::UnknownMember {
            path: "blockDeviceMapping/9".into(),
            xml: "<lostPlace/>".into(),
        },
    ]);
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images,
    }]);
    let named = DescribeRequest {
        image_ids: vec!["ami-00000001".into()],
        ..mine()
    };
    let answer = f.ask(&named).unwrap();
    let image = answer.images[0].image();
    assert_eq!(
        image["FutureTop"],
        serde_json::json!([{"A": "1"}, {"A": "2"}])
    );
    assert_eq!(
        image["BlockDeviceMappings"][0]["Ebs"]["FutureRate"],
        "5 & more"
    );
    assert_eq!(
        image["LostPlace"], "",
        "a path that leads nowhere keeps it on the image"
    );
    assert!(image.get("UnknownMembers").is_none());
    let json = answer.clone().into_json(false);
    assert_eq!(streamed(&f, &named), crate::describe::output::json(&json));
    let history: String = f
        .store
        .connection()
        .query_row(
            "SELECT unknown_members[2].xml FROM image_history WHERE image_id = 'ami-00000001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        history,
        "<futureRate unit=\"MiB\">5 &amp; more</futureRate>"
    );
}

/// The answer to `request` as `describe-images --output json` streams it.
fn streamed(f: &Fixture, request: &DescribeRequest) -> String {
    let how = print::Printing {
        format: print::Format::Json,
        query: None,
        with_origin: request.account.is_none() || request.region.is_none(),
        memory_budget: 1 << 30,
    };
    String::from_utf8(printed(f, request, &how).unwrap()).unwrap()
}

#[test]
fn the_json_has_the_cli_keys_in_model_order_and_omits_absent_members() {
    let f = owned_catalog();
    let answer = f
        .ask(&DescribeRequest {
            image_ids: vec!["ami-00000001".into()],
            ..mine()
        })
        .unwrap();
    let image = &answer.images[0].image();
    let keys: Vec<&str> = image.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "BlockDeviceMappings",
            "Description",
            "EnaSupport",
            "Hypervisor",
            "ImageOwnerAlias",
            "Name",
            "RootDeviceName",
            "RootDeviceType",
            "SriovNetSupport",
            "StateReason",
            "Tags",
            "VirtualizationType",
            "BootMode",
            "SourceInstanceId",
            "ImageAllowed",
            "SourceImageId",
            "SourceImageRegion",
            "FreeTierEligible",
            "PublicSsmParameterName",
            "ImageWatermarks",
            "ScanResults",
            "InstanceTypeSpecification",
            "ImageId",
            "ImageLocation",
            "State",
            "OwnerId",
            "CreationDate",
            "Public",
            "ProductCodes",
            "Architecture",
            "ImageType",
            "KernelId",
            "RamdiskId",
        ]
    );
    let mapping = &image["BlockDeviceMappings"][0];
    let keys: Vec<&String> = mapping.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Ebs", "DeviceName"]);
    assert_eq!(mapping["Ebs"]["VolumeSize"], 8);
    assert_eq!(mapping["Ebs"]["Encrypted"], true);
    assert_eq!(image["CreationDate"], "2021-09-29T11:04:43.305Z");
    assert_eq!(image["Tags"][1]["Key"], "Env");
    // Nested members of the newer shapes take the model's names, without `_ts`.
    let scan: Vec<&String> = image["ScanResults"].as_object().unwrap().keys().collect();
    assert_eq!(
        scan,
        [
            "HighestFindingSeverityLabel",
            "FindingScanDate",
            "InformationalFixAvailableSince",
            "LowFixAvailableSince",
            "MediumFixAvailableSince",
            "HighFixAvailableSince",
            "CriticalFixAvailableSince"
        ]
    );
    let watermark: Vec<&String> = image["ImageWatermarks"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        watermark,
        [
            "WatermarkKey",
            "SourceImageRegion",
            "SourceImageId",
            "SourceImageCreationTime",
            "WatermarkCreationTime"
        ]
    );
    assert_eq!(
        image["InstanceTypeSpecification"]["UnsupportedInstanceTypes"][0]["InstanceType"],
        "t2.nano"
    );
    // An empty list the API returned stays an empty list.
    let empty = f
        .ask(&DescribeRequest {
            image_ids: vec!["ami-00000003".into()],
            ..mine()
        })
        .unwrap();
    assert_eq!(empty.images[0].image()["Tags"], serde_json::json!([]));
}

#[test]
fn pages_follow_tokens_from_one_instant() {
    let images: Vec<Image> = (0..23).map(|i| image(&format!("ami-{i:08x}"))).collect();
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: images.clone(),
    }]);
    // At one instant: the first page's NextToken names it, whichever side makes it.
    let mut request = DescribeRequest {
        max_results: Some(5),
        as_of: AsOf::Time(Utc::now()),
        ..mine()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let answer = f.ask(&request).unwrap();
        pages += 1;
        seen.extend(answer.images.iter().map(|i| i.image_id().to_string()));
        assert_eq!(
            streamed(&f, &request),
            crate::describe::output::json(&answer.clone().into_json(false)),
            "page {pages}, with its NextToken or the last"
        );
        if pages == 1 {
            // A sync that lands between pages does not change what later pages say.
            f.run(&[Listing {
                viewer: ME,
                scope: "owned",
                catalog: false,
                images: vec![image("ami-ffffffff")],
            }]);
        }
        match answer.next_token {
            Some(t) => request.next_token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    let expected: Vec<String> = images.iter().map(|i| i.image_id.clone().unwrap()).collect();
    assert_eq!(seen, expected);
    // A token is bound to its request.
    let other = DescribeRequest {
        filters: vec![Filter::new("name", &["x"])],
        ..request.clone()
    };
    let err = f.ask(&other).unwrap_err();
    assert!(
        matches!(err, DescribeError::Api(ref e) if e.code == "InvalidParameterValue"),
        "{err}"
    );
}

#[test]
fn time_travel_answers_from_each_run() {
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: vec![Image {
            name: Some("v1".into()),
            ..image("ami-00000001")
        }],
    }]);
    let second = f.run(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: vec![
            Image {
                name: Some("v2".into()),
                ..image("ami-00000001")
            },
            image("ami-00000002"),
        ],
    }]);
    let names = |as_of: AsOf| -> Vec<String> {
        f.ask(&DescribeRequest { as_of, ..mine() })
            .unwrap()
            .images
            .iter()
            .map(|i| {
                let name = i
                    .image()
                    .get("Name")
                    .and_then(|n| n.as_str().map(String::from));
                format!("{}={}", i.image_id(), name.as_deref().unwrap_or("-"))
            })
            .collect()
    };
    assert_eq!(names(AsOf::Run(1)), ["ami-00000001=v1"]);
    assert_eq!(
        names(AsOf::Run(second)),
        ["ami-00000001=v2", "ami-00000002=-"]
    );
    assert_eq!(names(AsOf::Now), ["ami-00000001=v2", "ami-00000002=-"]);
    let err = f.ask(&DescribeRequest {
        as_of: AsOf::Run(99),
        ..mine()
    });
    assert!(matches!(err, Err(DescribeError::Input(_))));
}

#[test]
fn missing_listings_are_warned_about_and_unknown_ids_refused() {
    let f = owned_catalog();
    let warned = |request: DescribeRequest| f.ask(&request).unwrap().warnings;
    assert!(
        warned(DescribeRequest {
            owners: vec!["self".into()],
            ..mine()
        })
        .is_empty()
    );
    let missing = warned(DescribeRequest {
        owners: vec!["amazon".into()],
        ..mine()
    });
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("`amazon`") && missing[0].contains("never synced"),
        "{missing:?}"
    );
    // Without Owners, everything launchable is needed: shared and public were never synced.
    assert_eq!(warned(mine()).len(), 2);
    // A region never synced.
    let elsewhere = warned(DescribeRequest {
        region: Some("eu-west-1".into()),
        owners: vec!["self".into()],
        ..mine()
    });
    assert!(elsewhere[0].contains("eu-west-1"), "{elsewhere:?}");
    // Ids the fully synced caller could not see are refused, as EC2 refuses them.
    let err = f
        .ask(&DescribeRequest {
            image_ids: vec!["ami-00000001".into(), "ami-0000000f".into()],
            owners: vec!["self".into()],
            ..mine()
        })
        .unwrap_err();
    assert!(
        matches!(err, DescribeError::Api(ref e) if e.code == "InvalidAMIID.NotFound"),
        "{err}"
    );
    // A failed listing is named with its error.
    let run = f.store.begin_run(1).unwrap();
    let mut failed = PartitionRecord::started(run, ME, ME, REGION, "owned", false);
    failed.status = crate::store::PartitionStatus::Failed;
    failed.finished_at = Some(Utc::now());
    failed.error = Some("throttled".into());
    f.store.record_failed_partition(&failed).unwrap();
    let stale = warned(DescribeRequest {
        owners: vec!["self".into()],
        ..mine()
    });
    assert!(stale[0].contains("failed: throttled"), "{stale:?}");
    // Unknown account names are refused with the known ones listed.
    let err = f
        .ask(&DescribeRequest {
            account: Some("prod".into()),
            ..mine()
        })
        .unwrap_err();
    assert!(err.to_string().contains(ME), "{err}");
}

// Property: the SQL answer equals the fake endpoint's in-memory matcher -----------------

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

// ---------------------------------------------------------------------------
// Printing, streamed, against the whole answer printed as before
// ---------------------------------------------------------------------------

/// `n` images of `owner`, varied where the output's shape depends on it: names some
/// lack (a sort on them fails), dates with ties, public or not, tags and block
/// devices on some, deprecation on some, text a terminal counts twice.
fn varied(n: usize, owner: &str, first: usize) -> Vec<Image> {
    (first..first + n)
        .map(|i| {
            let tags = (i % 3 != 0).then(|| {
                (0..i % 4)
                    .map(|t| Tag {
                        key: Some(format!("k{t}")),
                        value: Some(format!("v{}", i % 7)),
                    })
                    .collect()
            });
            let mappings = (i % 5 == 0).then(|| {
                vec![BlockDeviceMapping {
                    device_name: Some("/dev/xvda".into()),
                    ebs: Some(EbsBlockDevice {
                        volume_size: Some(8 + (i % 3) as i32),
                        encrypted: Some(i % 2 == 0),
                        ..EbsBlockDevice::default()
                    }),
                    ..BlockDeviceMapping::default()
                }]
            });
            Image {
                owner_id: Some(owner.into()),
                name: (i % 11 != 0).then(|| format!("img-{:03}{}", i % 97, ["", "-日本"][i % 2])),
                creation_date: Some(format!("2026-01-{:02}T00:00:00.000Z", 1 + i % 9)),
                last_launched_time: Some(format!("2026-02-{:02}T00:00:00Z", 1 + i % 5)),
                public: Some(i % 4 == 0),
                architecture: Some(["x86_64", "arm64"][i % 2].into()),
                description: (i % 6 == 0).then(|| {
                    "a description, long enough to widen a table well past eighty columns".into()
                }),
                deprecation_time: (i % 8 == 0).then(|| "2030-01-01T00:00:00.000Z".into()),
                tags,
                block_device_mappings: mappings,
                ..image(&format!("ami-{i:08x}"))
            }
        })
        .collect()
}

fn printed(
    f: &Fixture,
    request: &DescribeRequest,
    how: &print::Printing<'_>,
) -> Result<Vec<u8>, String> {
    let answer = super::answer(&f.store, request).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    match print::print(&answer, how, &mut out) {
        Ok(()) => Ok(out),
        Err(e) => {
            assert!(
                out.is_empty(),
                "printed {} bytes before failing: {e}",
                out.len()
            );
            Err(e.to_string())
        }
    }
}

#[test]
fn every_output_and_query_prints_what_the_whole_answer_printed() {
    let mut mine_images = varied(320, ME, 1);
    // Elements the reader did not know: a member of its own, and one inside another.
    mine_images[4].unknown_members = Some(vec![
        amiq_image::UnknownMember {
            path: String::new(),
            xml: "<futureTop><item><a>1</a></item></futureTop>".into(),
        },
        amiq_image::UnknownMember {
            path: String::new(),
            xml: "<futureFlag>yes</futureFlag>".into(),
        },
        amiq_image::UnknownMember {
            path: "blockDeviceMapping/1/ebs".into(),
            xml: "<futureRate>5</futureRate>".into(),
        },
    ]);
    let f = Fixture::new(&[
        Listing {
            viewer: ME,
            scope: "owned",
            catalog: false,
            images: mine_images,
        },
        Listing {
            viewer: OTHER,
            scope: "owned",
            catalog: false,
            images: varied(40, OTHER, 1000),
        },
    ]);
    let queries = [
        None,
        Some("Images[].ImageId"),
        Some("Images[*]"),
        Some("Images[?Public].[ImageId,Name]"),
        Some("Images[] | [?Public]"),
        Some("Images[:5].Name"),
        Some("Images[2:40:3].ImageId"),
        Some("Images[].Tags[]"),
        Some("Images[].{id: ImageId, n: Name}"),
        Some("Images[].[ImageId, BlockDeviceMappings]"),
        Some("Images[?Name].Name | [?starts_with(@, 'img-01')]"),
        Some("length(Images)"),
        Some("length(Images[?Public])"),
        Some("sort_by(Images,&CreationDate)[-1].ImageId"),
        Some("sort_by(Images,&CreationDate)[:3].[ImageId,CreationDate]"),
        Some("sort_by(Images,&LastLaunchedTime)[-2:].ImageId"),
        Some("max_by(Images,&LastLaunchedTime).ImageId"),
        Some("sort_by(Images,&Name)[0].ImageId"),
        Some("max_by(Images,&CreationDate).ImageId"),
        Some("min_by(Images,&CreationDate).ImageId"),
        Some("Images[-3:].ImageId"),
        Some("Images[0]"),
        Some("reverse(Images)[0].ImageId"),
        Some("Images[].ImageId | sort(@)"),
        Some("{ids: Images[].ImageId, next: NextToken}"),
        Some("NextToken"),
        Some("Images[].[Tags[0], ImageId][]"),
        Some("Images[?length(Tags || `[]`) > `1`].ImageId"),
        Some("sort_by(Images,&Public)"),
        Some("Images[].to_number(Name)"),
        Some("Images[].nothing"),
        Some("Images[].FutureFlag"),
        Some("Images[?Public] | [0]"),
        Some("Images[?Public] | [1].ImageId"),
        Some("Images[].ImageId | [-1]"),
        Some("Images[?Public] | [-3].[ImageId, Name]"),
        Some("Images[?Public] | [100000]"),
        Some("Images[?Public] | length(@)"),
        Some("Images[?length(Tags) > `1`] | [0].ImageId"),
        Some("Images[?length(Tags) > `1`] | [:2]"),
        Some("Images[?Tags] | [?length(Tags) > `1`] | [0].ImageId"),
        // Failing only on a later image: nothing may be printed before the error.
        Some("Images[].[ImageId, Description && Tags[::0]]"),
        Some("Images[?starts_with(Name, 'img')].ImageId"),
        Some("Images[?starts_with(Name, 'img')] | [:1].ImageId"),
        Some("Images[?starts_with(Name, 'img')] | [0]"),
        Some("Images[::0]"),
        Some("sort_by(Images, &Public)[0].ImageId"),
        Some("Images[?FutureTop].[ImageId, FutureTop]"),
    ];
    // Answered at one instant, so that both sides' NextTokens name the same one.
    let mine = || DescribeRequest {
        as_of: AsOf::Time(Utc::now()),
        ..mine()
    };
    let mine = {
        let at = mine();
        move || at.clone()
    };
    let everyone = DescribeRequest {
        account: None,
        region: None,
        ..mine()
    };
    let none = DescribeRequest {
        filters: vec![Filter::new("name", &["no-such-name"])],
        ..mine()
    };
    let first_page = DescribeRequest {
        max_results: Some(7),
        ..mine()
    };
    let token = f.ask(&first_page).unwrap().next_token.expect("more pages");
    let second_page = DescribeRequest {
        next_token: Some(token),
        ..first_page.clone()
    };
    let requests = [mine(), everyone, none, first_page, second_page];
    let formats = [
        print::Format::Json,
        print::Format::Text,
        print::Format::Table(80),
        print::Format::Table(400),
    ];
    let mut compared = 0;
    for request in &requests {
        let with_origin = request.account.is_none();
        for query in &queries {
            let compiled = query.map(|q| jmespath::compile(q).unwrap());
            for format in formats {
                let how = print::Printing {
                    format,
                    query: compiled.as_ref(),
                    with_origin,
                    memory_budget: 1 << 30,
                };
                let whole = print::reference(f.ask(request).unwrap(), &how);
                let streamed = printed(&f, request, &how);
                let context = || format!("{query:?} {format:?} {request:?}");
                match (&whole, &streamed) {
                    (Ok(whole), Ok(streamed)) => {
                        if whole != streamed {
                            let at = whole
                                .iter()
                                .zip(streamed.iter())
                                .take_while(|(a, b)| a == b)
                                .count();
                            let around = |t: &[u8]| {
                                String::from_utf8_lossy(
                                    &t[at.saturating_sub(300)..(at + 300).min(t.len())],
                                )
                                .into_owned()
                            };
                            panic!(
                                "{}: differ at byte {at}:\n--- whole\n{}\n--- streamed\n{}",
                                context(),
                                around(whole),
                                around(streamed)
                            );
                        }
                    }
                    (Err(_), Err(_)) => {}
                    _ => panic!("{}: {whole:?} vs {streamed:?}", context()),
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, requests.len() * queries.len() * formats.len());
}

#[test]
fn a_query_needing_the_whole_answer_stops_at_the_memory_budget() {
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: varied(50, ME, 1),
    }]);
    let query = jmespath::compile("Images[].ImageId | sort(@)").unwrap();
    let how = |budget| print::Printing {
        format: print::Format::Json,
        query: Some(&query),
        with_origin: false,
        memory_budget: budget,
    };
    let err = printed(&f, &mine(), &how(2_000)).unwrap_err();
    assert!(err.contains("--memory-limit"), "{err}");
    assert!(err.contains("narrow the request"), "{err}");
    let ids = printed(&f, &mine(), &how(1 << 30)).unwrap();
    assert_eq!(
        serde_json::from_slice::<Vec<String>>(&ids).unwrap().len(),
        50
    );
}
