//! DescribeImageAttribute as a specification: the owner's alone, refusing what EC2
//! refuses, and agreeing with DescribeImages on every attribute both show.

use std::collections::BTreeSet;

use super::*;
use crate::catalog::Lifecycle;
use crate::config::{FakeConfig, FakeRegion, Faults};
use crate::describe_images;
use crate::ids::{ImageKey, ImageKind, image_id};
use crate::request::DescribeRequest;

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";

fn world() -> World {
    World::new(&FakeConfig {
        seed: 41,
        accounts: vec![A.into(), B.into()],
        regions: vec![
            FakeRegion {
                name: REGION.into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "eu-west-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
        ],
        owned_per_account_region: 800,
        amazon_per_region: 100,
        marketplace_per_region: 10,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    })
}

fn id_of(world: &World, region: u16, owner: u16, index: u32) -> String {
    let key = ImageKey {
        region,
        owner,
        index,
    };
    image_id(world.seed, ImageKind::Machine, key)
}

fn ask(image: &str, attribute: &str) -> AttributeRequest {
    AttributeRequest {
        image_id: Some(image.into()),
        attribute: Some(attribute.into()),
        dry_run: false,
    }
}

fn code(world: &World, caller: &str, region: &str, request: &AttributeRequest) -> String {
    answer(world, &Caller::new(world, caller), region, request)
        .unwrap_err()
        .code
}

#[test]
fn launch_permissions_are_the_owners_to_see() {
    let mut world = world();
    let catalog = &world.regions[0].catalogs[0];
    let disabled = catalog
        .entries
        .iter()
        .find(|e| e.traits.lifecycle == Lifecycle::Disabled)
        .unwrap()
        .index;
    let mine = id_of(&world, 0, 0, catalog.entries[0].index);
    let theirs = id_of(&world, 0, 1, 0);
    let amazons = id_of(&world, 0, 2, 0);
    let ask = ask(&mine, "launchPermission");
    assert!(answer(&world, &Caller::new(&world, A), REGION, &ask).is_ok());
    assert_eq!(code(&world, B, REGION, &ask), "AuthFailure");
    let message = answer(&world, &Caller::new(&world, B), REGION, &ask)
        .unwrap_err()
        .message;
    assert_eq!(message, format!("Not authorized for image:{mine}"));
    for other in [&theirs, &amazons] {
        let request = self::ask(other, "launchPermission");
        assert_eq!(code(&world, A, REGION, &request), "AuthFailure", "{other}");
    }
    // The owner sees its disabled image's (empty) permissions too.
    let disabled = self::ask(&id_of(&world, 0, 0, disabled), "launchPermission");
    let answered = answer(&world, &Caller::new(&world, A), REGION, &disabled).unwrap();
    assert_eq!(answered.attribute, Attribute::LaunchPermissions(vec![]));
    // An image of another Region, or none, is not found; a bad id is malformed.
    assert_eq!(code(&world, A, "eu-west-1", &ask), "InvalidAMIID.NotFound");
    let nothing = self::ask("ami-0123456789abcdef0", "launchPermission");
    assert_eq!(code(&world, A, REGION, &nothing), "InvalidAMIID.NotFound");
    let bad = self::ask("ami-xyz", "launchPermission");
    assert_eq!(code(&world, A, REGION, &bad), "InvalidAMIID.Malformed");
    // A deregistered image is not found.
    let before: Vec<u32> = world.regions[0].catalogs[0]
        .entries
        .iter()
        .map(|e| e.index)
        .collect();
    world.mutate(0.9, 2);
    let after: BTreeSet<u32> = world.regions[0].catalogs[0]
        .entries
        .iter()
        .map(|e| e.index)
        .collect();
    let gone = before.iter().find(|i| !after.contains(i)).unwrap();
    let request = self::ask(&id_of(&world, 0, 0, *gone), "launchPermission");
    assert_eq!(code(&world, A, REGION, &request), "InvalidAMIID.NotFound");
}

#[test]
fn requests_are_checked_as_ec2_checks_them() {
    let world = world();
    let mine = id_of(&world, 0, 0, world.regions[0].catalogs[0].entries[0].index);
    let cases = [
        (
            AttributeRequest {
                image_id: None,
                ..ask(&mine, "description")
            },
            "MissingParameter",
        ),
        (
            AttributeRequest {
                attribute: None,
                ..ask(&mine, "description")
            },
            "MissingParameter",
        ),
        (ask(&mine, "launchPermissions"), "InvalidParameterValue"),
        (ask(&mine, "blockDeviceMapping"), "AuthFailure"),
        (ask(&mine, "uefiData"), "UnsupportedOperation"),
        (
            AttributeRequest {
                dry_run: true,
                ..ask(&mine, "launchPermission")
            },
            "DryRunOperation",
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(code(&world, A, REGION, &request), expected, "{request:?}");
    }
    assert_eq!(
        code(&world, A, "me-central-1", &ask(&mine, "description")),
        "AuthFailure"
    );
}

#[test]
fn the_other_attributes_are_what_describe_images_shows_the_owner() {
    let world = world();
    let caller = Caller::new(&world, A);
    let ids: Vec<String> = world.regions[0].catalogs[0]
        .entries
        .iter()
        .step_by(7)
        .map(|e| id_of(&world, 0, 0, e.index))
        .collect();
    let request = DescribeRequest {
        image_ids: ids.clone(),
        include_deprecated: true,
        include_disabled: true,
        ..DescribeRequest::default()
    };
    let images = describe_images::page(&world, &caller, REGION, &request)
        .unwrap()
        .images;
    assert_eq!(images.len(), ids.len());
    let (mut launched, mut protected) = (0, 0);
    for image in &images {
        let id = image.image_id.as_deref().unwrap();
        let value = |name: &str| match answer(&world, &caller, REGION, &ask(id, name))
            .unwrap()
            .attribute
        {
            Attribute::Value { element, value } => {
                assert_eq!(element, name);
                value
            }
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(value("description"), image.description);
        assert_eq!(value("kernel"), image.kernel_id);
        assert_eq!(value("ramdisk"), image.ramdisk_id);
        assert_eq!(value("sriovNetSupport"), image.sriov_net_support);
        assert_eq!(value("bootMode"), image.boot_mode);
        assert_eq!(value("tpmSupport"), image.tpm_support);
        assert_eq!(value("imdsSupport"), image.imds_support);
        assert_eq!(
            value("deregistrationProtection"),
            image.deregistration_protection
        );
        assert_eq!(value("lastLaunchedTime"), image.last_launched_time);
        launched += usize::from(image.last_launched_time.is_some());
        protected += usize::from(image.deregistration_protection.as_deref() != Some("disabled"));
        let codes = answer(&world, &caller, REGION, &ask(id, "productCodes"))
            .unwrap()
            .attribute;
        assert_eq!(
            codes,
            Attribute::ProductCodes(image.product_codes.clone().unwrap_or_default())
        );
    }
    assert!(launched > 10 && protected > 3, "{launched} {protected}");
}

#[test]
fn answers_are_written_as_the_sdk_reads_them() {
    let permissions = Answer {
        image_id: "ami-1".into(),
        attribute: Attribute::LaunchPermissions(vec![
            LaunchPermission {
                group: Some("all".into()),
                ..LaunchPermission::default()
            },
            LaunchPermission {
                user_id: Some("444455556666".into()),
                ..LaunchPermission::default()
            },
            LaunchPermission {
                organizational_unit_arn: Some("arn:aws:organizations::1:ou/o-1/ou-1".into()),
                ..LaunchPermission::default()
            },
        ]),
    };
    let body = write("r-1", &permissions);
    let expected = [
        "<requestId>r-1</requestId><imageId>ami-1</imageId><launchPermission>",
        "<item><group>all</group></item><item><userId>444455556666</userId></item>",
        "<item><organizationalUnitArn>arn:aws:organizations::1:ou/o-1/ou-1",
        "</organizationalUnitArn></item></launchPermission></DescribeImageAttributeResponse>",
    ]
    .concat();
    assert!(body.ends_with(&expected), "{body}");
    assert!(body.contains("<DescribeImageAttributeResponse xmlns="));
    let empty = Answer {
        image_id: "ami-1".into(),
        attribute: Attribute::LaunchPermissions(vec![]),
    };
    assert!(write("r", &empty).contains("<imageId>ami-1</imageId><launchPermission/>"));
    let value = |value: Option<&str>| Answer {
        image_id: "ami-1".into(),
        attribute: Attribute::Value {
            element: "description",
            value: value.map(String::from),
        },
    };
    assert!(
        write("r", &value(Some("a < b")))
            .contains("<description><value>a &lt; b</value></description>")
    );
    assert!(write("r", &value(None)).contains("</imageId><description/></"));
}
