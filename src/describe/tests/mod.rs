//! DescribeImages from the store: every filter, the request semantics, and the SQL
//! answer against the plain in-memory matcher of the fake endpoint. The fixtures are
//! here; the tests, by subject, in the modules below.

mod filters;
mod history;
mod json;
mod printing;
mod properties;
mod request;
mod views;

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

fn streamed(f: &Fixture, request: &DescribeRequest) -> String {
    let how = print::Printing {
        format: print::Format::Json,
        query: None,
        with_origin: request.account.is_none() || request.region.is_none(),
        memory_budget: 1 << 30,
    };
    String::from_utf8(printed(f, request, &how).unwrap()).unwrap()
}

/// What `describe-images` prints for `request` as `how` says, or its error (after
/// which nothing may have been printed).
fn printed(
    f: &Fixture,
    request: &DescribeRequest,
    how: &print::Printing<'_>,
) -> Result<Vec<u8>, String> {
    // As the command does: the answer is found to fit what the printing reads.
    let answer = super::answer_for(&f.store, request, &print::reading(how.query))
        .map_err(|e| e.to_string())?;
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
