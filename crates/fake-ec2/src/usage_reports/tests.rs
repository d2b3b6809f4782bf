//! Usage reports as a specification: who may create one, what a request may say, how a
//! report moves from pending to available (or error) and expires, and how the describe
//! call selects, filters and pages.

use std::collections::BTreeSet;

use super::create::TypeRequest;
use super::*;
use crate::config::{FakeConfig, FakeRegion, FakeResources, Faults};
use crate::sharing::shared_outside;

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";

fn config() -> FakeConfig {
    FakeConfig {
        seed: 23,
        accounts: vec![A.into(), B.into()],
        regions: vec![
            FakeRegion {
                name: REGION.into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "me-central-1".into(),
                enabled: false,
                opted_in: Vec::new(),
            },
        ],
        owned_per_account_region: 2_100,
        amazon_per_region: 100,
        marketplace_per_region: 10,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    }
}

fn world_with(polls: u32) -> World {
    World::with_resources(
        &config(),
        &FakeResources {
            usage_report_pending_polls: polls,
            usage_reports_on_wall_clock: false,
            ..FakeResources::default()
        },
    )
}

fn world() -> World {
    world_with(1)
}

fn caller(world: &World, account: &str) -> Caller {
    Caller::new(world, account)
}

/// The ids of the images of the account with `ordinal` in the first region, those
/// `keep` keeps.
fn owned(
    world: &World,
    ordinal: u16,
    keep: impl Fn(&crate::catalog::Entry) -> bool,
) -> Vec<String> {
    world.regions[0].catalogs[usize::from(ordinal)]
        .entries
        .iter()
        .filter(|e| keep(e))
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

/// A report on `image` of instances and launch templates, every account.
fn asking(image: &str) -> CreateRequest {
    CreateRequest {
        image_id: Some(image.into()),
        resource_types: vec![
            TypeRequest {
                resource_type: "ec2:Instance".into(),
                options: vec![],
            },
            TypeRequest {
                resource_type: "ec2:LaunchTemplate".into(),
                options: vec![],
            },
        ],
        ..CreateRequest::default()
    }
}

fn code<T: std::fmt::Debug>(result: Result<T, ApiError>) -> String {
    result.unwrap_err().code
}

fn describe_all(world: &mut World, account: &str, query: &ReportQuery) -> Vec<UsageReport> {
    let caller = caller(world, account);
    let mut query = query.clone();
    let mut reports = Vec::new();
    loop {
        let page = describe(world, &caller, REGION, &query).unwrap();
        reports.extend(page.items);
        match page.next_token {
            Some(token) => query.next_token = Some(token),
            None => return reports,
        }
    }
}

fn state_of(reports: &[UsageReport], id: &str) -> Option<String> {
    reports
        .iter()
        .find(|r| r.report_id == id)
        .map(|r| r.state.clone())
}

#[test]
fn a_world_starts_with_available_reports_on_some_images_shared_outside() {
    let world = world();
    let reports = all(&world, &caller(&world, A), REGION);
    let shared: BTreeSet<String> = shared_outside(&world, A, REGION)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    // About 30% of the images shared outside (some hundred of them).
    let share = reports.len() as f64 / shared.len() as f64;
    assert!(
        (0.15..0.45).contains(&share),
        "{} of {}",
        reports.len(),
        shared.len()
    );
    let mut previous = String::new();
    for report in &reports {
        assert!(shared.contains(&report.image_id), "{}", report.image_id);
        assert_eq!(report.state, "available");
        assert_eq!(report.state_reason, None);
        assert!(report.account_ids.is_empty());
        let types: Vec<(&str, Option<u32>)> = report
            .resource_types
            .iter()
            .map(|t| (t.resource_type.as_str(), t.version_depth))
            .collect();
        assert_eq!(
            types,
            [("ec2:Instance", None), ("ec2:LaunchTemplate", None)]
        );
        assert!(
            report.creation_time.starts_with("2025-09-30T"),
            "{}",
            report.creation_time
        );
        assert!(report.expiration_time.starts_with("2025-10-30T"));
        assert_eq!(report.creation_time[10..], report.expiration_time[10..]);
        assert!(report.creation_time >= previous, "listed by creation");
        previous = report.creation_time.clone();
        let id = &report.report_id;
        assert!(id.starts_with("amiur-0") && id.len() == 23, "{id}");
    }
    // Another account sees only its own.
    let theirs = all(&world, &caller(&world, B), REGION);
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|r| !reports.contains(r)));
    // An account the fake does not know has none.
    assert!(all(&world, &caller(&world, "999999999999"), REGION).is_empty());
}

#[test]
fn only_the_owner_of_a_registered_image_may_create_a_report() {
    let mut world = world();
    let mine = owned(&world, 0, |_| true);
    let theirs = owned(&world, 1, |_| true);
    let amazon = owned(&world, 2, |_| true);
    let as_a = caller(&world, A);
    let mut ask = |account: &Caller, region: &str, image: &str| {
        create(&mut world, account, region, &asking(image))
    };
    assert!(ask(&as_a, REGION, &mine[0]).is_ok());
    assert_eq!(code(ask(&as_a, REGION, &theirs[0])), "AuthFailure");
    assert_eq!(
        code(ask(&as_a, REGION, "ami-0123456789abcdef0")),
        "InvalidAMIID.NotFound"
    );
    assert_eq!(
        code(ask(&as_a, REGION, "ami-12345")),
        "InvalidAMIID.Malformed"
    );
    assert_eq!(code(ask(&as_a, "me-central-1", &mine[1])), "AuthFailure");
    assert_eq!(code(ask(&as_a, "eu-west-3", &mine[1])), "AuthFailure");
    // An image of Amazon's: someone else's.
    assert_eq!(code(ask(&as_a, REGION, &amazon[0])), "AuthFailure");
    // A deregistered image is not found.
    world.mutate(0.9, 1);
    let registered: BTreeSet<String> = owned(&world, 0, |_| true).into_iter().collect();
    let gone = mine.iter().find(|id| !registered.contains(*id)).unwrap();
    let as_a = caller(&world, A);
    assert_eq!(
        code(create(&mut world, &as_a, REGION, &asking(gone))),
        "InvalidAMIID.NotFound"
    );
}

#[test]
fn requests_are_checked_as_ec2_checks_them() {
    let mut world = world();
    let image = owned(&world, 0, |_| true)[0].clone();
    let as_a = caller(&world, A);
    let template = |options: Vec<(&str, Vec<&str>)>| TypeRequest {
        resource_type: "ec2:LaunchTemplate".into(),
        options: options
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.into_iter().map(String::from).collect()))
            .collect(),
    };
    let instance = TypeRequest {
        resource_type: "ec2:Instance".into(),
        options: vec![],
    };
    let twelve = |n: usize| format!("{n:012}");
    let cases: Vec<(&str, CreateRequest)> = vec![
        (
            "MissingParameter",
            CreateRequest {
                image_id: None,
                ..asking(&image)
            },
        ),
        (
            "MissingParameter",
            CreateRequest {
                resource_types: vec![],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![TypeRequest {
                    resource_type: "ssm:Parameter".into(),
                    options: vec![],
                }],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![instance.clone(), instance.clone()],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![TypeRequest {
                    resource_type: "ec2:Instance".into(),
                    options: vec![("version-depth".into(), vec!["5".into()])],
                }],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![template(vec![("state-name", vec!["running"])])],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![template(vec![("version-depth", vec!["0"])])],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![template(vec![("version-depth", vec!["10001"])])],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![template(vec![("version-depth", vec!["deep"])])],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                resource_types: vec![template(vec![("version-depth", vec!["1", "2"])])],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                account_ids: (0..=USAGE_REPORT_MAX_IDS).map(twelve).collect(),
                ..asking(&image)
            },
        ),
        (
            "InvalidUserID.Malformed",
            CreateRequest {
                account_ids: vec![A.into(), "12345".into()],
                ..asking(&image)
            },
        ),
        (
            "InvalidParameterValue",
            CreateRequest {
                client_token: Some("t".repeat(MAX_USAGE_REPORT_CLIENT_TOKEN + 1)),
                ..asking(&image)
            },
        ),
        (
            "DryRunOperation",
            CreateRequest {
                dry_run: true,
                ..asking(&image)
            },
        ),
    ];
    for (expected, request) in cases {
        assert_eq!(
            code(create(&mut world, &as_a, REGION, &request)),
            expected,
            "{request:?}"
        );
    }
    // Nothing was created, and the limits themselves are accepted.
    assert!(
        all(&world, &as_a, REGION)
            .iter()
            .all(|r| r.state == "available")
    );
    let at_limits = CreateRequest {
        resource_types: vec![template(vec![("version-depth", vec!["10000"])]), instance],
        account_ids: (0..USAGE_REPORT_MAX_IDS).map(twelve).collect(),
        client_token: Some("t".repeat(MAX_USAGE_REPORT_CLIENT_TOKEN)),
        ..asking(&image)
    };
    let id = create(&mut world, &as_a, REGION, &at_limits).unwrap();
    let report = all(&world, &as_a, REGION)
        .into_iter()
        .find(|r| r.report_id == id)
        .unwrap();
    assert_eq!(report.account_ids.len(), USAGE_REPORT_MAX_IDS);
    let types: Vec<(&str, Option<u32>)> = report
        .resource_types
        .iter()
        .map(|t| (t.resource_type.as_str(), t.version_depth))
        .collect();
    assert_eq!(
        types,
        [("ec2:LaunchTemplate", Some(10_000)), ("ec2:Instance", None)]
    );
}

#[test]
fn a_report_is_pending_until_describe_has_returned_it_then_available() {
    for polls in [1u32, 3] {
        let mut world = world_with(polls);
        let image = owned(&world, 0, |_| true)[5].clone();
        let as_a = caller(&world, A);
        let id = create(&mut world, &as_a, REGION, &asking(&image)).unwrap();
        let mine = ReportQuery {
            report_ids: vec![id.clone()],
            ..ReportQuery::default()
        };
        // The truth and a describe that does not return it count no poll.
        for _ in 0..3 {
            assert_eq!(
                state_of(&all(&world, &as_a, REGION), &id).as_deref(),
                Some("pending")
            );
        }
        let other = ReportQuery {
            report_ids: vec!["amiur-0000000000000000".into()],
            ..ReportQuery::default()
        };
        assert!(describe_all(&mut world, A, &other).is_empty());
        for poll in 0..polls {
            let seen = describe_all(&mut world, A, &mine);
            assert_eq!(
                state_of(&seen, &id).as_deref(),
                Some("pending"),
                "poll {poll}"
            );
            let entries = crate::usage_entries::all(&world, &as_a, REGION);
            assert!(entries.iter().all(|e| e.report_id != id));
        }
        let seen = describe_all(&mut world, A, &mine);
        assert_eq!(state_of(&seen, &id).as_deref(), Some("available"));
        assert_eq!(
            state_of(&all(&world, &as_a, REGION), &id).as_deref(),
            Some("available")
        );
        // Created on the world's day, expiring 30 days later.
        assert!(
            seen[0].creation_time.starts_with("2025-10-01T"),
            "{:?}",
            seen[0]
        );
        assert!(seen[0].expiration_time.starts_with("2025-10-31T"));
    }
    // With no polls, a report is available as soon as it is created.
    let mut world = world_with(0);
    let image = owned(&world, 0, |_| true)[5].clone();
    let as_a = caller(&world, A);
    let id = create(&mut world, &as_a, REGION, &asking(&image)).unwrap();
    assert_eq!(
        state_of(&all(&world, &as_a, REGION), &id).as_deref(),
        Some("available")
    );
}

#[test]
fn a_client_token_makes_creation_idempotent() {
    let mut world = world();
    let images = owned(&world, 0, |_| true);
    let as_a = caller(&world, A);
    let before = all(&world, &as_a, REGION).len();
    let tokened = CreateRequest {
        client_token: Some("nightly-2025-10-01".into()),
        ..asking(&images[0])
    };
    let first = create(&mut world, &as_a, REGION, &tokened).unwrap();
    assert_eq!(create(&mut world, &as_a, REGION, &tokened).unwrap(), first);
    assert_eq!(all(&world, &as_a, REGION).len(), before + 1);
    // The same token for another request is refused, a new token makes a new report.
    let elsewhere = CreateRequest {
        client_token: tokened.client_token.clone(),
        ..asking(&images[1])
    };
    assert_eq!(
        code(create(&mut world, &as_a, REGION, &elsewhere)),
        "IdempotentParameterMismatch"
    );
    // Without a token, a second report on an image with one pending is over the quota.
    assert_eq!(
        code(create(&mut world, &as_a, REGION, &asking(&images[0]))),
        "ResourceLimitExceeded"
    );
    let other = create(&mut world, &as_a, REGION, &asking(&images[1])).unwrap();
    assert_ne!(other, first);
    // Once it is available, another report on the image may be made; the token still
    // answers with the first.
    describe_all(&mut world, A, &ReportQuery::default());
    let again = create(&mut world, &as_a, REGION, &asking(&images[0])).unwrap();
    assert!(again != first && again != other);
    assert_eq!(create(&mut world, &as_a, REGION, &tokened).unwrap(), first);
    assert_eq!(all(&world, &as_a, REGION).len(), before + 3);
}

#[test]
fn an_account_may_have_two_thousand_pending_reports() {
    let mut world = world();
    let images = owned(&world, 0, |_| true);
    assert!(images.len() > MAX_PENDING_USAGE_REPORTS);
    let as_a = caller(&world, A);
    for image in &images[..MAX_PENDING_USAGE_REPORTS] {
        create(&mut world, &as_a, REGION, &asking(image)).unwrap();
    }
    let over = &images[MAX_PENDING_USAGE_REPORTS];
    assert_eq!(
        code(create(&mut world, &as_a, REGION, &asking(over))),
        "ResourceLimitExceeded"
    );
    // B's quota is its own.
    let theirs = owned(&world, 1, |_| true);
    let as_b = caller(&world, B);
    assert!(create(&mut world, &as_b, REGION, &asking(&theirs[0])).is_ok());
}

#[test]
fn a_report_whose_image_is_deregistered_before_it_completes_fails() {
    let mut world = world_with(2);
    let images = owned(&world, 0, |_| true);
    let as_a = caller(&world, A);
    let ids: Vec<String> = images[..300]
        .iter()
        .map(|image| create(&mut world, &as_a, REGION, &asking(image)).unwrap())
        .collect();
    world.mutate(0.9, 4);
    let registered: BTreeSet<String> = owned(&world, 0, |_| true).into_iter().collect();
    let reports = all(&world, &as_a, REGION);
    let (mut failed, mut pending) = (0, 0);
    for (image, id) in images[..300].iter().zip(&ids) {
        let report = reports.iter().find(|r| &r.report_id == id).unwrap();
        if registered.contains(image) {
            assert_eq!(report.state, "pending");
            pending += 1;
        } else {
            failed += 1;
            assert_eq!(report.state, "error");
            let reason = report.state_reason.as_deref().unwrap();
            assert!(
                reason.contains(image) && reason.contains("deregistered"),
                "{reason}"
            );
        }
    }
    assert!(
        failed > 30 && pending > 30,
        "{failed} failed, {pending} pending"
    );
    // Polling completes the others; the failed ones stay failed, with no entries.
    describe_all(&mut world, A, &ReportQuery::default());
    describe_all(&mut world, A, &ReportQuery::default());
    let reports = all(&world, &as_a, REGION);
    let entries = crate::usage_entries::all(&world, &as_a, REGION);
    for id in &ids {
        let report = reports.iter().find(|r| &r.report_id == id).unwrap();
        assert_ne!(report.state, "pending");
        if report.state == "error" {
            assert!(entries.iter().all(|e| &e.report_id != id));
        }
    }
}

#[test]
fn reports_are_deleted_thirty_days_after_their_creation() {
    let mut world = world();
    let as_a = caller(&world, A);
    let generated = all(&world, &as_a, REGION).len();
    assert!(generated > 0);
    // Created on day 0 (the pending one) and the day before (the generated ones).
    let image = owned(&world, 0, |_| true)[0].clone();
    let id = create(&mut world, &as_a, REGION, &asking(&image)).unwrap();
    for _ in 0..29 {
        world.mutate(0.0, 0);
    }
    assert_eq!(all(&world, &as_a, REGION).len(), generated + 1);
    world.mutate(0.0, 0);
    let left = all(&world, &as_a, REGION);
    assert_eq!(left.len(), 1, "the generated reports are 30 days old");
    world.mutate(0.0, 0);
    assert!(all(&world, &as_a, REGION).is_empty(), "{id} is 30 days old");
}

#[test]
fn describe_selects_filters_and_pages() {
    let mut world = world();
    let as_a = caller(&world, A);
    let generated = all(&world, &as_a, REGION);
    assert!(generated.len() > 10);
    let image = owned(&world, 0, |_| true)[7].clone();
    let id = create(&mut world, &as_a, REGION, &asking(&image)).unwrap();
    let query = |filters: Vec<(&str, Vec<&str>)>| ReportQuery {
        filters: filters
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.into_iter().map(String::from).collect()))
            .collect(),
        ..ReportQuery::default()
    };
    let ids = |reports: Vec<UsageReport>| -> Vec<String> {
        reports.into_iter().map(|r| r.report_id).collect()
    };
    let paged = |world: &World, query: &ReportQuery| {
        let mut query = query.clone();
        let mut out = Vec::new();
        loop {
            let (page, _) = page(world, &as_a, REGION, &query).unwrap();
            out.extend(page.items);
            match page.next_token {
                Some(t) => query.next_token = Some(t),
                None => return out,
            }
        }
    };
    assert_eq!(
        ids(paged(&world, &query(vec![("state", vec!["pending"])]))),
        std::slice::from_ref(&id)
    );
    assert_eq!(
        paged(&world, &query(vec![("state", vec!["available", "error"])])),
        generated
    );
    assert_eq!(
        paged(
            &world,
            &query(vec![("creation-time", vec!["2025-09-30T*"])])
        ),
        generated
    );
    assert_eq!(
        ids(paged(
            &world,
            &query(vec![("creation-time", vec!["2025-10-01T*"])])
        )),
        std::slice::from_ref(&id)
    );
    assert!(paged(&world, &query(vec![("tag:Owner", vec!["*"])])).is_empty());
    assert!(paged(&world, &query(vec![("tag-key", vec!["*"])])).is_empty());
    let refused = page(&world, &as_a, REGION, &query(vec![("image-id", vec!["x"])]));
    assert_eq!(code(refused), "InvalidParameterValue");
    // ImageId.N and ReportId.N select; an id of nobody's report selects nothing.
    let by_image = ReportQuery {
        image_ids: vec![image.clone(), generated[0].image_id.clone()],
        ..ReportQuery::default()
    };
    let selected = paged(&world, &by_image);
    assert!(selected.iter().any(|r| r.report_id == id));
    assert!(
        selected
            .iter()
            .all(|r| by_image.image_ids.contains(&r.image_id))
    );
    let by_id = ReportQuery {
        report_ids: vec![
            generated[1].report_id.clone(),
            "amiur-0fffffffffffffff0".into(),
        ],
        ..ReportQuery::default()
    };
    assert_eq!(paged(&world, &by_id), [generated[1].clone()]);
    // Pages of one are the truth, in order.
    let one = ReportQuery {
        max_results: Some(1),
        ..ReportQuery::default()
    };
    let first = page(&world, &as_a, REGION, &one).unwrap().0;
    assert_eq!(first.items.len(), 1);
    assert_eq!(paged(&world, &one), all(&world, &as_a, REGION));
    // What EC2 refuses.
    let refuse = |query: ReportQuery| code(page(&world, &as_a, REGION, &query));
    assert_eq!(
        refuse(ReportQuery {
            max_results: Some(0),
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    assert_eq!(
        refuse(ReportQuery {
            image_ids: vec![image.clone(); USAGE_REPORT_MAX_IDS + 1],
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    assert_eq!(
        refuse(ReportQuery {
            report_ids: vec![id.clone(); USAGE_REPORT_MAX_IDS + 1],
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    assert_eq!(
        refuse(ReportQuery {
            report_ids: vec!["report-1".into()],
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    assert_eq!(
        refuse(ReportQuery {
            image_ids: vec!["ami-1".into()],
            ..ReportQuery::default()
        }),
        "InvalidAMIID.Malformed"
    );
    assert_eq!(
        refuse(ReportQuery {
            dry_run: true,
            ..ReportQuery::default()
        }),
        "DryRunOperation"
    );
    // A token of another query, or garbage, is refused.
    let token = first.next_token.unwrap();
    let elsewhere = ReportQuery {
        next_token: Some(token),
        ..query(vec![("state", vec!["available"])])
    };
    assert_eq!(refuse(elsewhere), "InvalidParameterValue");
    assert_eq!(
        refuse(ReportQuery {
            next_token: Some("garbage".into()),
            ..ReportQuery::default()
        }),
        "InvalidParameterValue"
    );
    let as_b = caller(&world, B);
    let (theirs, _) = page(&world, &as_b, REGION, &ReportQuery::default()).unwrap();
    assert!(theirs.items.iter().all(|r| r.report_id != id));
}
