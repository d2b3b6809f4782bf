//! Report entries as a specification: they count what the instance and reference calls
//! show, restricted as the report asks, fixed once available, moved by mutations only in
//! new reports; the entries call filters and pages.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::config::{FakeConfig, FakeRegion, FakeResources, Faults};
use crate::ids::{ImageKey, ImageKind, image_id};
use crate::sharing::shared_outside;
use crate::usage_reports::create::TypeRequest;
use crate::usage_reports::{CreateRequest, ReportQuery, create};
use crate::{instances, references};

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";
const COUNTED: [&str; 4] = ["pending", "running", "stopping", "stopped"];

/// A world whose reports are available at once, with more resources, outside sharing
/// and reports than the default so that every case occurs often.
fn world() -> World {
    World::with_resources(
        &FakeConfig {
            seed: 31,
            accounts: vec![A.into(), B.into()],
            regions: vec![FakeRegion {
                name: REGION.into(),
                enabled: true,
                opted_in: Vec::new(),
            }],
            owned_per_account_region: 600,
            amazon_per_region: 100,
            marketplace_per_region: 10,
            faults: Faults::default(),
            unknown_member_rate: 0.0,
        },
        &FakeResources {
            instances_per_account_region: 80,
            launch_templates_per_account_region: 12,
            external_share_rate: 0.3,
            usage_report_rate: 1.0,
            usage_report_pending_polls: 0,
            ..FakeResources::default()
        },
    )
}

fn owned(world: &World, ordinal: u16) -> Vec<String> {
    world.regions[0].catalogs[usize::from(ordinal)]
        .entries
        .iter()
        .map(|e| {
            let key = ImageKey {
                region: 0,
                owner: ordinal,
                index: e.index,
            };
            image_id(world.seed, ImageKind::Machine, key)
        })
        .collect()
}

fn kind(resource_type: &str, depth: Option<u32>) -> TypeRequest {
    TypeRequest {
        resource_type: resource_type.into(),
        options: depth
            .map(|d| ("version-depth".to_string(), vec![d.to_string()]))
            .into_iter()
            .collect(),
    }
}

/// Creates a report on `image` of the types given, for `accounts` (none: all), and
/// returns its entries as `(account, resource type, count)`.
fn report(
    world: &mut World,
    image: &str,
    types: Vec<TypeRequest>,
    accounts: &[&str],
) -> Vec<(String, String, i64)> {
    let as_a = Caller::new(world, A);
    let request = CreateRequest {
        image_id: Some(image.into()),
        resource_types: types,
        account_ids: accounts.iter().map(|a| a.to_string()).collect(),
        ..CreateRequest::default()
    };
    let id = create(world, &as_a, REGION, &request).unwrap();
    all(world, &as_a, REGION)
        .into_iter()
        .filter(|e| e.report_id == id)
        .inspect(|e| assert_eq!(e.image_id, image))
        .map(|e| (e.account_id, e.resource_type, e.usage_count))
        .collect()
}

fn both() -> Vec<TypeRequest> {
    vec![kind("ec2:Instance", None), kind("ec2:LaunchTemplate", None)]
}

#[test]
fn entries_count_what_the_configured_accounts_run_and_keep() {
    let mut world = world();
    let mine: BTreeSet<String> = owned(&world, 0).into_iter().collect();
    let metadata: Vec<(&str, instances::InstanceImageMetadata)> = [A, B]
        .into_iter()
        .flat_map(|account| {
            instances::all(&world, &Caller::new(&world, account), REGION)
                .into_iter()
                .map(move |m| (account, m))
        })
        .collect();
    let running = |account: &str, image: &str| {
        metadata
            .iter()
            .filter(|(a, m)| {
                *a == account
                    && m.image.image_id == image
                    && COUNTED.contains(&m.state_name.as_str())
            })
            .count() as i64
    };
    // Images of A's some configured account runs, or that a launch template names.
    let mut used: BTreeSet<String> = metadata
        .iter()
        .map(|(_, m)| m.image.image_id.clone())
        .filter(|id| mine.contains(id))
        .collect();
    used.extend(
        crate::references::usage(&world, A, REGION, Some(DEFAULT_DEPTH))
            .into_iter()
            .filter(|u| {
                u.references
                    .iter()
                    .any(|r| r.resource_type == "ec2:LaunchTemplate")
            })
            .map(|u| u.image_id),
    );
    assert!(used.len() > 20, "{}", used.len());
    let pool: BTreeSet<String> = world.outsiders.accounts.iter().cloned().collect();
    let shared: BTreeMap<String, Vec<crate::LaunchPermission>> =
        shared_outside(&world, A, REGION).into_iter().collect();
    let (mut by_b, mut by_a, mut templates) = (0, 0, 0);
    let images: Vec<String> = used.into_iter().collect();
    for image in &images {
        let expected_templates = |account: &str| {
            let caller = Caller::new(&world, account);
            let refs = references::all(
                &world,
                &caller,
                REGION,
                std::slice::from_ref(image),
                Some(DEFAULT_DEPTH),
            )
            .unwrap();
            refs.iter()
                .filter(|r| r.resource_type == "ec2:LaunchTemplate")
                .count() as i64
        };
        let expected: Vec<(String, String, i64)> = [A, B]
            .into_iter()
            .flat_map(|account| {
                [
                    ("ec2:Instance", running(account, image)),
                    ("ec2:LaunchTemplate", expected_templates(account)),
                ]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(move |(t, n)| (account.to_string(), t.to_string(), n))
            })
            .collect();
        let entries = report(&mut world, image, both(), &[]);
        let configured: Vec<(String, String, i64)> = entries
            .iter()
            .filter(|(a, _, _)| a == A || a == B)
            .cloned()
            .collect();
        assert_eq!(configured, expected, "{image}");
        by_a += usize::from(expected.iter().any(|(a, _, _)| a == A));
        by_b += usize::from(expected.iter().any(|(a, _, _)| a == B));
        templates += usize::from(expected.iter().any(|(_, t, _)| t == "ec2:LaunchTemplate"));
        // The others are outsiders the image is shared with, with small drawn counts.
        for (account, resource_type, count) in entries.iter().filter(|(a, _, _)| a != A && a != B) {
            assert!(pool.contains(account), "{account}");
            let permissions = &shared[image];
            assert!(
                permissions
                    .iter()
                    .any(|p| p.user_id.as_ref() == Some(account))
            );
            let most = if resource_type == "ec2:Instance" {
                3
            } else {
                2
            };
            assert!((1..=most).contains(count), "{count}");
        }
        // Listed by account, instances first.
        let order: Vec<(String, String)> = entries
            .iter()
            .map(|(a, t, _)| (a.clone(), t.clone()))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    }
    assert!(
        by_a > 10 && by_b > 0 && templates > 0,
        "{by_a} {by_b} {templates}"
    );
}

const DEFAULT_DEPTH: u32 = crate::usage_reports::DEFAULT_USAGE_REPORT_VERSION_DEPTH;

#[test]
fn a_report_counts_only_the_accounts_and_types_it_names() {
    let mut world = world();
    // Images whose full report has entries of several accounts and both types.
    let candidates: Vec<String> = shared_outside(&world, A, REGION)
        .into_iter()
        .map(|(id, _)| id)
        .chain(owned(&world, 0))
        .collect();
    let mut checked = 0;
    for image in candidates {
        let full = report(&mut world, &image, both(), &[]);
        let accounts: BTreeSet<&String> = full.iter().map(|(a, _, _)| a).collect();
        let types: BTreeSet<&String> = full.iter().map(|(_, t, _)| t).collect();
        if accounts.len() < 2 || types.len() < 2 {
            continue;
        }
        for account in &accounts {
            let only = report(
                &mut world,
                &image,
                vec![kind("ec2:Instance", None)],
                &[account.as_str()],
            );
            let expected: Vec<_> = full
                .iter()
                .filter(|(a, t, _)| a == *account && t == "ec2:Instance")
                .cloned()
                .collect();
            assert_eq!(only, expected, "{image} {account}");
        }
        let templates = report(
            &mut world,
            &image,
            vec![kind("ec2:LaunchTemplate", None)],
            &[],
        );
        let expected: Vec<_> = full
            .iter()
            .filter(|(_, t, _)| t == "ec2:LaunchTemplate")
            .cloned()
            .collect();
        assert_eq!(templates, expected, "{image}");
        // An account that uses nothing has no entries.
        assert!(report(&mut world, &image, both(), &["123456789012"]).is_empty());
        checked += 1;
        if checked == 5 {
            break;
        }
    }
    assert_eq!(checked, 5);
}

#[test]
fn version_depth_reaches_older_launch_template_versions() {
    let mut world = world();
    let deep = crate::references::usage(&world, A, REGION, Some(10_000));
    let named: Vec<String> = deep
        .into_iter()
        .filter(|u| {
            u.references
                .iter()
                .any(|r| r.resource_type == "ec2:LaunchTemplate")
        })
        .map(|u| u.image_id)
        .collect();
    assert!(named.len() > 10, "{}", named.len());
    let count = |entries: Vec<(String, String, i64)>| -> i64 {
        entries
            .iter()
            .filter(|(a, t, _)| a == A && t == "ec2:LaunchTemplate")
            .map(|(_, _, n)| n)
            .sum()
    };
    let mut deeper = 0;
    for image in &named {
        let shallow = count(report(
            &mut world,
            image,
            vec![kind("ec2:LaunchTemplate", Some(1))],
            &[A],
        ));
        let all_versions = count(report(
            &mut world,
            image,
            vec![kind("ec2:LaunchTemplate", Some(10_000))],
            &[A],
        ));
        assert!(shallow <= all_versions && all_versions > 0, "{image}");
        deeper += usize::from(shallow < all_versions);
    }
    assert!(deeper > 0);
}

#[test]
fn entries_are_fixed_when_available_and_mutations_move_outside_use() {
    let mut world = world();
    let as_a = Caller::new(&world, A);
    let before = all(&world, &as_a, REGION);
    let outsiders: BTreeSet<String> = world.outsiders.accounts.iter().cloned().collect();
    assert!(before.iter().any(|e| outsiders.contains(&e.account_id)));
    let reported: BTreeSet<String> = before.iter().map(|e| e.image_id.clone()).collect();
    world.mutate(0.6, 5);
    // Reports made before the mutation answer as they did.
    let old: BTreeSet<String> = before.iter().map(|e| e.report_id.clone()).collect();
    let kept: Vec<UsageReportEntry> = all(&world, &as_a, REGION)
        .into_iter()
        .filter(|e| old.contains(&e.report_id))
        .collect();
    assert_eq!(kept, before);
    // New reports on the same images count the outsiders' use as it is now.
    let registered: BTreeSet<String> = owned(&world, 0).into_iter().collect();
    let outside_part = |entries: &[(String, String, i64)]| -> Vec<(String, String, i64)> {
        entries
            .iter()
            .filter(|(a, _, _)| outsiders.contains(a))
            .cloned()
            .collect()
    };
    let (mut same, mut moved) = (0, 0);
    for image in reported.iter().filter(|i| registered.contains(*i)) {
        let then: Vec<(String, String, i64)> = before
            .iter()
            .filter(|e| &e.image_id == image)
            .map(|e| (e.account_id.clone(), e.resource_type.clone(), e.usage_count))
            .collect();
        let now = report(&mut world, image, both(), &[]);
        if outside_part(&then) == outside_part(&now) {
            same += 1;
        } else {
            moved += 1;
        }
    }
    assert!(moved > 0 && same > moved, "{moved} moved, {same} same");
}

#[test]
fn the_entries_call_filters_selects_and_pages() {
    let world = world();
    let as_a = Caller::new(&world, A);
    let truth = all(&world, &as_a, REGION);
    assert!(truth.len() > 10, "{}", truth.len());
    let paged = |query: &ReportQuery| -> Result<Vec<UsageReportEntry>, ApiError> {
        let mut query = query.clone();
        let mut out = Vec::new();
        loop {
            let page = page(&world, &as_a, REGION, &query)?;
            if let Some(max) = query.max_results {
                assert!(page.items.len() <= max as usize);
            }
            out.extend(page.items);
            match page.next_token {
                Some(t) => query.next_token = Some(t),
                None => return Ok(out),
            }
        }
    };
    let filtered = |name: &str, values: &[&str]| ReportQuery {
        filters: vec![(
            name.to_string(),
            values.iter().map(|v| v.to_string()).collect(),
        )],
        ..ReportQuery::default()
    };
    let outsider = truth
        .iter()
        .map(|e| e.account_id.clone())
        .find(|a| a != A && a != B)
        .unwrap();
    let expect = |keep: &dyn Fn(&UsageReportEntry) -> bool| -> Vec<UsageReportEntry> {
        truth.iter().filter(|e| keep(e)).cloned().collect()
    };
    assert_eq!(
        paged(&filtered("account-id", &[&outsider])).unwrap(),
        expect(&|e| e.account_id == outsider)
    );
    assert_eq!(
        paged(&filtered("resource-type", &["ec2:LaunchTemplate"])).unwrap(),
        expect(&|e| e.resource_type == "ec2:LaunchTemplate")
    );
    assert_eq!(
        paged(&filtered("creation-time", &["2025-09-30T*"])).unwrap(),
        truth
    );
    assert!(
        paged(&filtered("creation-time", &["2025-10-01T*"]))
            .unwrap()
            .is_empty()
    );
    for bad in ["tag:Owner", "tag-key", "state", "image-id"] {
        assert_eq!(
            paged(&filtered(bad, &["x"])).unwrap_err().code,
            "InvalidParameterValue",
            "{bad}"
        );
    }
    // ImageId.N and ReportId.N select.
    let one = &truth[truth.len() / 2];
    let by_report = ReportQuery {
        report_ids: vec![one.report_id.clone()],
        ..ReportQuery::default()
    };
    assert_eq!(
        paged(&by_report).unwrap(),
        expect(&|e| e.report_id == one.report_id)
    );
    let by_image = ReportQuery {
        image_ids: vec![one.image_id.clone()],
        ..ReportQuery::default()
    };
    assert_eq!(
        paged(&by_image).unwrap(),
        expect(&|e| e.image_id == one.image_id)
    );
    // Pages of any size are the truth.
    for size in [1, 2, 7] {
        let query = ReportQuery {
            max_results: Some(size),
            ..ReportQuery::default()
        };
        assert_eq!(paged(&query).unwrap(), truth, "pages of {size}");
    }
    let refused = |query: ReportQuery| paged(&query).unwrap_err().code;
    assert_eq!(
        refused(ReportQuery {
            max_results: Some(0),
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    assert_eq!(
        refused(ReportQuery {
            next_token: Some("nope".into()),
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    assert_eq!(
        refused(ReportQuery {
            dry_run: true,
            ..ReportQuery::default()
        }),
        "DryRunOperation"
    );
    // A token is bound to its query.
    let first = page(
        &world,
        &as_a,
        REGION,
        &ReportQuery {
            max_results: Some(1),
            ..ReportQuery::default()
        },
    )
    .unwrap();
    let mut other = filtered("resource-type", &["ec2:Instance"]);
    other.next_token = first.next_token;
    assert_eq!(refused(other), "InvalidParameterValue");
    // B sees only its own reports' entries.
    let theirs = all(&world, &Caller::new(&world, B), REGION);
    let mine: BTreeSet<&String> = truth.iter().map(|e| &e.report_id).collect();
    assert!(theirs.iter().all(|e| !mine.contains(&e.report_id)));
}
