//! Sharing and AMI usage reports as the real SDK sees them: DescribeImageAttribute,
//! CreateImageUsageReport, DescribeImageUsageReports and DescribeImageUsageReportEntries
//! serialised by `aws-sdk-ec2`, answers parsed by it and equal to the fake's truth.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use amiq_fake_ec2::{
    DescribeRequest, FakeConfig, FakeEc2, FakeHandle, FakeRegion, FakeResources, Faults,
    LaunchPermission, UsageReport, UsageReportEntry, UsageReportResourceType,
};
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::{
    Filter, ImageAttributeName, ImageUsageResourceTypeOptionRequest, ImageUsageResourceTypeRequest,
};

use common::{assumed, ec2, error_code, static_keys};

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";

fn config() -> FakeConfig {
    let region = |name: &str, enabled| FakeRegion {
        name: name.into(),
        enabled,
        opted_in: Vec::new(),
    };
    FakeConfig {
        seed: 77,
        accounts: vec![A.into(), B.into()],
        regions: vec![
            region(REGION, true),
            region("eu-west-1", true),
            region("me-central-1", false),
        ],
        owned_per_account_region: 1_500,
        amazon_per_region: 200,
        marketplace_per_region: 50,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    }
}

/// More sharing outside and more reports than the defaults, so that pages are many.
fn resources() -> FakeResources {
    FakeResources {
        instances_per_account_region: 40,
        external_share_rate: 0.2,
        usage_report_rate: 0.5,
        ..FakeResources::default()
    }
}

async fn start() -> (Arc<FakeEc2>, FakeHandle) {
    let fake = FakeEc2::with_resources(config(), resources());
    let handle = fake.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (fake, handle)
}

/// A timestamp the SDK read, written back as text.
fn written(time: Option<&DateTime>) -> String {
    time.unwrap().fmt(DateTimeFormat::DateTime).unwrap()
}

/// The API's timestamp text, read as the SDK reads it and written back.
fn reread(text: &str) -> String {
    written(Some(
        &DateTime::from_str(text, DateTimeFormat::DateTimeWithOffset).unwrap(),
    ))
}

/// The launch permissions the SDK read, in the truth's terms.
fn served_permissions(out: &[aws_sdk_ec2::types::LaunchPermission]) -> Vec<LaunchPermission> {
    out.iter()
        .map(|p| LaunchPermission {
            group: p.group().map(|g| g.as_str().to_string()),
            user_id: p.user_id().map(String::from),
            organization_arn: p.organization_arn().map(String::from),
            organizational_unit_arn: p.organizational_unit_arn().map(String::from),
        })
        .collect()
}

/// A report the SDK read, in the truth's terms (times written back by the SDK).
fn served_report(r: &aws_sdk_ec2::types::ImageUsageReport) -> UsageReport {
    UsageReport {
        report_id: r.report_id().unwrap().into(),
        image_id: r.image_id().unwrap().into(),
        resource_types: r
            .resource_types()
            .iter()
            .map(|t| UsageReportResourceType {
                resource_type: t.resource_type().unwrap().into(),
                version_depth: t
                    .resource_type_options()
                    .iter()
                    .find(|o| o.option_name() == Some("version-depth"))
                    .and_then(|o| o.option_values().first())
                    .map(|v| v.parse().unwrap()),
            })
            .collect(),
        account_ids: r.account_ids().to_vec(),
        state: r.state().unwrap().into(),
        state_reason: r.state_reason().map(String::from),
        creation_time: written(r.creation_time()),
        expiration_time: written(r.expiration_time()),
    }
}

/// A report of the truth with its times as the SDK writes them back.
fn truth_report(r: &UsageReport) -> UsageReport {
    UsageReport {
        creation_time: reread(&r.creation_time),
        expiration_time: reread(&r.expiration_time),
        ..r.clone()
    }
}

fn served_entry(e: &aws_sdk_ec2::types::ImageUsageReportEntry) -> UsageReportEntry {
    UsageReportEntry {
        resource_type: e.resource_type().unwrap().into(),
        report_id: e.report_id().unwrap().into(),
        usage_count: e.usage_count().unwrap(),
        account_id: e.account_id().unwrap().into(),
        image_id: e.image_id().unwrap().into(),
        report_creation_time: written(e.report_creation_time()),
    }
}

fn truth_entry(e: &UsageReportEntry) -> UsageReportEntry {
    UsageReportEntry {
        report_creation_time: reread(&e.report_creation_time),
        ..e.clone()
    }
}

/// Every page of DescribeImageUsageReports for `request`, and how many pages.
async fn served_reports(
    request: aws_sdk_ec2::operation::describe_image_usage_reports::builders::DescribeImageUsageReportsFluentBuilder,
) -> (Vec<UsageReport>, usize) {
    let mut pages = request.into_paginator().send();
    let (mut reports, mut count) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        reports.extend(
            page.unwrap()
                .image_usage_reports()
                .iter()
                .map(served_report),
        );
        count += 1;
    }
    (reports, count)
}

/// Every page of DescribeImageUsageReportEntries for `request`, and how many pages.
async fn served_entries(
    request: aws_sdk_ec2::operation::describe_image_usage_report_entries::builders::DescribeImageUsageReportEntriesFluentBuilder,
) -> (Vec<UsageReportEntry>, usize) {
    let mut pages = request.into_paginator().send();
    let (mut entries, mut count) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        entries.extend(
            page.unwrap()
                .image_usage_report_entries()
                .iter()
                .map(served_entry),
        );
        count += 1;
    }
    (entries, count)
}

fn instances() -> ImageUsageResourceTypeRequest {
    ImageUsageResourceTypeRequest::builder()
        .resource_type("ec2:Instance")
        .build()
}

fn templates(depth: Option<&str>) -> ImageUsageResourceTypeRequest {
    let request = ImageUsageResourceTypeRequest::builder().resource_type("ec2:LaunchTemplate");
    match depth {
        Some(depth) => request
            .resource_type_options(
                ImageUsageResourceTypeOptionRequest::builder()
                    .option_name("version-depth")
                    .option_values(depth)
                    .build(),
            )
            .build(),
        None => request.build(),
    }
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_permissions_reach_the_sdk_as_the_truth_has_them() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, REGION, static_keys(), RetryConfig::standard());
    let outside = fake.shared_outside(A, REGION);
    assert!(outside.len() > 100, "{}", outside.len());
    let owned = fake
        .describe(
            A,
            REGION,
            &DescribeRequest {
                owners: vec!["self".into()],
                include_deprecated: true,
                include_disabled: true,
                ..DescribeRequest::default()
            },
        )
        .unwrap();
    let public: Vec<String> = owned
        .iter()
        .filter(|i| i.public == Some(true))
        .filter_map(|i| i.image_id.clone())
        .take(5)
        .collect();
    let shared_with_b: Vec<String> = fake
        .describe(
            B,
            REGION,
            &DescribeRequest {
                owners: vec![A.into()],
                executable_users: vec!["self".into()],
                ..DescribeRequest::default()
            },
        )
        .unwrap()
        .into_iter()
        .filter_map(|i| i.image_id)
        .take(5)
        .collect();
    // Those shared with an organization or an OU first, then some others.
    let mut by_organization: Vec<&(String, Vec<LaunchPermission>)> = outside
        .iter()
        .filter(|(_, p)| p.iter().any(|p| p.user_id.is_none()))
        .take(5)
        .collect();
    assert!(!by_organization.is_empty());
    by_organization.extend(outside.iter().take(10));
    let pool: BTreeSet<String> = fake.external_accounts().into_iter().collect();
    for (id, expected_outside) in by_organization {
        let out = client
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        assert_eq!(out.image_id(), Some(id.as_str()));
        let served = served_permissions(out.launch_permissions());
        assert_eq!(served, fake.launch_permissions(A, REGION, id).unwrap());
        for permission in expected_outside {
            assert!(served.contains(permission), "{id}: {permission:?}");
            if let Some(user) = &permission.user_id {
                assert!(pool.contains(user), "{user}");
            }
        }
    }
    for id in &public {
        let out = client
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let served = served_permissions(out.launch_permissions());
        assert_eq!(served.first().and_then(|p| p.group.as_deref()), Some("all"));
        assert_eq!(served, fake.launch_permissions(A, REGION, id).unwrap());
    }
    assert!(!shared_with_b.is_empty());
    for id in &shared_with_b {
        let out = client
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let served = served_permissions(out.launch_permissions());
        assert!(
            served.iter().any(|p| p.user_id.as_deref() == Some(B)),
            "{id}"
        );
    }
    // Other attributes are DescribeImages' members.
    for image in owned.iter().step_by(97) {
        let id = image.image_id.as_deref().unwrap();
        let description = client
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::Description)
            .send()
            .await
            .unwrap();
        assert_eq!(
            description.description().and_then(|v| v.value()),
            image.description.as_deref()
        );
        let launched = client
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::LastLaunchedTime)
            .send()
            .await
            .unwrap();
        assert_eq!(
            launched.last_launched_time().and_then(|v| v.value()),
            image.last_launched_time.as_deref()
        );
    }
    // What EC2 refuses.
    let as_b = ec2(
        &handle,
        REGION,
        assumed(&handle, B).await,
        RetryConfig::disabled(),
    );
    let ask = |client: &aws_sdk_ec2::Client, id: &str, attribute: ImageAttributeName| {
        client
            .describe_image_attribute()
            .image_id(id)
            .attribute(attribute)
            .send()
    };
    let mine = &outside[0].0;
    assert_eq!(
        error_code(ask(&as_b, mine, ImageAttributeName::LaunchPermission).await).as_deref(),
        Some("AuthFailure")
    );
    assert_eq!(
        error_code(
            ask(
                &client,
                "ami-0123456789abcdef0",
                ImageAttributeName::LaunchPermission
            )
            .await
        )
        .as_deref(),
        Some("InvalidAMIID.NotFound")
    );
    assert_eq!(
        error_code(ask(&client, mine, ImageAttributeName::UefiData).await).as_deref(),
        Some("UnsupportedOperation")
    );
    assert_eq!(
        error_code(ask(&client, mine, ImageAttributeName::BlockDeviceMapping).await).as_deref(),
        Some("AuthFailure")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_created_polled_and_read_through_the_sdk() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, REGION, static_keys(), RetryConfig::standard());
    // A new report on an image a generated report covers counts the same: nothing
    // changed since.
    let generated = fake.usage_report_entries(A, REGION);
    let image = generated[0].image_id.clone();
    let old_report = generated[0].report_id.clone();
    let counts = |entries: &[UsageReportEntry], report: &str| -> Vec<(String, String, i64)> {
        entries
            .iter()
            .filter(|e| e.report_id == report)
            .map(|e| (e.account_id.clone(), e.resource_type.clone(), e.usage_count))
            .collect()
    };
    let create = || {
        client
            .create_image_usage_report()
            .image_id(&image)
            .resource_types(instances())
            .resource_types(templates(None))
            .client_token("nightly-1")
    };
    let id = create()
        .send()
        .await
        .unwrap()
        .report_id()
        .unwrap()
        .to_string();
    assert!(id.starts_with("amiur-0") && id.len() == 23, "{id}");
    assert_eq!(
        create().send().await.unwrap().report_id(),
        Some(id.as_str())
    );
    let truth = fake.usage_reports(A, REGION);
    let made = truth.iter().find(|r| r.report_id == id).unwrap();
    assert_eq!(
        (made.state.as_str(), made.image_id.as_str()),
        ("pending", image.as_str())
    );
    assert_eq!(truth.iter().filter(|r| r.image_id == image).count(), 2);
    // The first answer that returns it says pending, the next available.
    let mine = || client.describe_image_usage_reports().report_ids(&id);
    let first = mine().send().await.unwrap();
    assert_eq!(first.image_usage_reports().len(), 1);
    let served = served_report(&first.image_usage_reports()[0]);
    assert_eq!(served, truth_report(made));
    assert!(served.account_ids.is_empty());
    let second = mine().send().await.unwrap();
    assert_eq!(second.image_usage_reports()[0].state(), Some("available"));
    let (entries, _) =
        served_entries(client.describe_image_usage_report_entries().report_ids(&id)).await;
    let now = fake.usage_report_entries(A, REGION);
    assert_eq!(
        entries,
        now.iter()
            .filter(|e| e.report_id == id)
            .map(truth_entry)
            .collect::<Vec<_>>()
    );
    assert!(!entries.is_empty());
    assert_eq!(counts(&now, &id), counts(&now, &old_report));

    // A report restricted to one account and to launch templates, ten thousand versions
    // deep, on an image A's own templates name.
    let named = fake
        .image_usage(A, REGION, Some(10_000))
        .into_iter()
        .find(|u| {
            u.references
                .iter()
                .any(|r| r.resource_type == "ec2:LaunchTemplate")
        })
        .unwrap()
        .image_id;
    let restricted = client
        .create_image_usage_report()
        .image_id(&named)
        .resource_types(templates(Some("10000")))
        .account_ids(A)
        .send()
        .await
        .unwrap()
        .report_id()
        .unwrap()
        .to_string();
    let pending = client
        .create_image_usage_report()
        .image_id(&named)
        .resource_types(instances())
        .send()
        .await;
    assert_eq!(
        error_code(pending).as_deref(),
        Some("ResourceLimitExceeded")
    );
    let (reports, _) =
        served_reports(client.describe_image_usage_reports().image_ids(&named)).await;
    let served = reports.iter().find(|r| r.report_id == restricted).unwrap();
    assert_eq!(served.account_ids, [A]);
    assert_eq!(
        served.resource_types,
        [UsageReportResourceType {
            resource_type: "ec2:LaunchTemplate".into(),
            version_depth: Some(10_000),
        }]
    );
    client.describe_image_usage_reports().send().await.unwrap();
    let (entries, _) = served_entries(
        client
            .describe_image_usage_report_entries()
            .report_ids(&restricted),
    )
    .await;
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e.account_id == A
        && e.resource_type == "ec2:LaunchTemplate"
        && e.image_id == named));

    // What EC2 refuses.
    let theirs = fake.image_usage(B, REGION, None)[0].image_id.clone();
    let refused = client
        .create_image_usage_report()
        .image_id(&theirs)
        .resource_types(instances())
        .send()
        .await;
    assert_eq!(error_code(refused).as_deref(), Some("AuthFailure"));
    let volumes = client
        .create_image_usage_report()
        .image_id(&image)
        .resource_types(
            ImageUsageResourceTypeRequest::builder()
                .resource_type("ec2:Volume")
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        error_code(volumes).as_deref(),
        Some("InvalidParameterValue")
    );
    let reused = client
        .create_image_usage_report()
        .image_id(&named)
        .resource_types(instances())
        .client_token("nightly-1")
        .send()
        .await;
    assert_eq!(
        error_code(reused).as_deref(),
        Some("IdempotentParameterMismatch")
    );
    let none = client
        .create_image_usage_report()
        .image_id(&image)
        .send()
        .await;
    assert_eq!(error_code(none).as_deref(), Some("MissingParameter"));
    let zero = client
        .describe_image_usage_reports()
        .max_results(0)
        .send()
        .await;
    assert_eq!(error_code(zero).as_deref(), Some("InvalidParameterValue"));
    let tagged = client
        .describe_image_usage_report_entries()
        .filters(filter("tag:Owner", "me"))
        .send()
        .await;
    assert_eq!(error_code(tagged).as_deref(), Some("InvalidParameterValue"));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_report_calls_page_to_the_truth() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, REGION, static_keys(), RetryConfig::standard());
    let truth: Vec<UsageReport> = fake
        .usage_reports(A, REGION)
        .iter()
        .map(truth_report)
        .collect();
    assert!(truth.len() > 30, "{}", truth.len());
    let (served, pages) =
        served_reports(client.describe_image_usage_reports().max_results(10)).await;
    assert_eq!(served, truth);
    assert!(pages >= 3, "{pages}");
    let entries: Vec<UsageReportEntry> = fake
        .usage_report_entries(A, REGION)
        .iter()
        .map(truth_entry)
        .collect();
    let (served, pages) =
        served_entries(client.describe_image_usage_report_entries().max_results(7)).await;
    assert_eq!(served, entries);
    assert!(pages >= 3, "{pages}");
    // Filters.
    let outsider = entries
        .iter()
        .map(|e| e.account_id.clone())
        .find(|a| a != A && a != B)
        .unwrap();
    let (served, _) = served_entries(
        client
            .describe_image_usage_report_entries()
            .filters(filter("account-id", &outsider))
            .filters(filter("resource-type", "ec2:Instance")),
    )
    .await;
    let expected: Vec<UsageReportEntry> = entries
        .iter()
        .filter(|e| e.account_id == outsider && e.resource_type == "ec2:Instance")
        .cloned()
        .collect();
    assert_eq!(served, expected);
    let (served, _) = served_reports(
        client
            .describe_image_usage_reports()
            .filters(filter("state", "available"))
            .filters(filter("creation-time", "2025-09-30T*")),
    )
    .await;
    assert_eq!(served, truth);
    let (served, _) = served_reports(
        client
            .describe_image_usage_reports()
            .filters(filter("state", "pending")),
    )
    .await;
    assert!(served.is_empty());
    // B, through AssumeRole, and another Region have reports of their own.
    let as_b = ec2(
        &handle,
        REGION,
        assumed(&handle, B).await,
        RetryConfig::standard(),
    );
    let theirs: Vec<UsageReport> = fake
        .usage_reports(B, REGION)
        .iter()
        .map(truth_report)
        .collect();
    let (served, _) = served_reports(as_b.describe_image_usage_reports()).await;
    assert_eq!(served, theirs);
    assert!(!theirs.is_empty() && theirs.iter().all(|r| !truth.contains(r)));
    let europe = ec2(&handle, "eu-west-1", static_keys(), RetryConfig::standard());
    let (served, _) = served_entries(europe.describe_image_usage_report_entries()).await;
    let there: Vec<UsageReportEntry> = fake
        .usage_report_entries(A, "eu-west-1")
        .iter()
        .map(truth_entry)
        .collect();
    assert_eq!(served, there);
    assert!(!there.is_empty() && there.iter().all(|e| !entries.contains(e)));
    let opted_out = ec2(
        &handle,
        "me-central-1",
        static_keys(),
        RetryConfig::standard(),
    );
    assert_eq!(
        error_code(opted_out.describe_image_usage_reports().send().await).as_deref(),
        Some("AuthFailure")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_permissions_reach_the_usage_calls() {
    let (fake, handle) = start().await;
    let once = ec2(&handle, REGION, static_keys(), RetryConfig::disabled());
    let image = fake.shared_outside(A, REGION)[0].0.clone();
    let reports_before = fake.usage_reports(A, REGION);
    let before = fake.stats();
    for (faults, code) in [
        (
            Faults {
                throttle_rate: 1.0,
                ..Faults::default()
            },
            Some("RequestLimitExceeded"),
        ),
        (
            Faults {
                server_error_rate: 1.0,
                ..Faults::default()
            },
            Some("InternalError"),
        ),
        (
            Faults {
                reset_rate: 1.0,
                ..Faults::default()
            },
            None,
        ),
    ] {
        fake.set_faults(faults);
        let attribute = once
            .describe_image_attribute()
            .image_id(&image)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await;
        let created = once
            .create_image_usage_report()
            .image_id(&image)
            .resource_types(instances())
            .client_token("faulted")
            .send()
            .await;
        let reports = once.describe_image_usage_reports().send().await;
        let entries = once.describe_image_usage_report_entries().send().await;
        assert!(attribute.is_err() && created.is_err() && reports.is_err() && entries.is_err());
        assert_eq!(error_code(attribute).as_deref(), code);
        assert_eq!(error_code(created).as_deref(), code);
        assert_eq!(error_code(reports).as_deref(), code);
        assert_eq!(error_code(entries).as_deref(), code);
    }
    let stats = fake.stats();
    assert_eq!(stats.resource_requests - before.resource_requests, 12);
    assert_eq!(stats.throttled - before.throttled, 4);
    assert_eq!(stats.server_errors - before.server_errors, 4);
    assert_eq!(stats.resets - before.resets, 4);
    // A throttled or failed create made nothing; the reset one did, and the reset
    // describe after it counted as a poll (EC2 did answer both).
    let made: Vec<UsageReport> = fake
        .usage_reports(A, REGION)
        .into_iter()
        .filter(|r| !reports_before.contains(r))
        .collect();
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0].image_id.as_str(), made[0].state.as_str()),
        (image.as_str(), "available")
    );
    // A spoiled token fails the next page.
    fake.set_faults(Faults {
        bad_token_rate: 1.0,
        ..Faults::default()
    });
    let first = once
        .describe_image_usage_report_entries()
        .max_results(2)
        .send()
        .await
        .unwrap();
    let second = once
        .describe_image_usage_report_entries()
        .max_results(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await;
    assert_eq!(error_code(second).as_deref(), Some("InvalidParameterValue"));
    // UnauthorizedOperation for the account and action named, only.
    fake.set_faults(Faults {
        unauthorized: vec![(A.into(), "DescribeImageUsageReportEntries".into())],
        ..Faults::default()
    });
    let refused = once.describe_image_usage_report_entries().send().await;
    assert_eq!(
        error_code(refused).as_deref(),
        Some("UnauthorizedOperation")
    );
    assert!(once.describe_image_usage_reports().send().await.is_ok());
    let as_b = ec2(
        &handle,
        REGION,
        assumed(&handle, B).await,
        RetryConfig::disabled(),
    );
    assert!(
        as_b.describe_image_usage_report_entries()
            .send()
            .await
            .is_ok()
    );
    assert_eq!(fake.stats().unauthorized - before.unauthorized, 1);
    // With the SDK's retries, throttling and server errors only slow the pages down.
    fake.set_faults(Faults {
        seed: 5,
        throttle_rate: 0.15,
        server_error_rate: 0.1,
        ..Faults::default()
    });
    let patient = ec2(
        &handle,
        REGION,
        static_keys(),
        RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(std::time::Duration::from_millis(5)),
    );
    let (served, _) =
        served_entries(patient.describe_image_usage_report_entries().max_results(5)).await;
    let truth: Vec<UsageReportEntry> = fake
        .usage_report_entries(A, REGION)
        .iter()
        .map(truth_entry)
        .collect();
    assert_eq!(served, truth);
    let stats = fake.stats();
    assert!(stats.throttled - before.throttled > 4, "{stats:?}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_moves_sharing_and_usage_as_the_truth_says() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, REGION, static_keys(), RetryConfig::standard());
    let before: BTreeMap<String, Vec<LaunchPermission>> =
        fake.shared_outside(A, REGION).into_iter().collect();
    let entries_before = fake.usage_report_entries(A, REGION);
    fake.mutate(0.6, 3);
    let after: BTreeMap<String, Vec<LaunchPermission>> =
        fake.shared_outside(A, REGION).into_iter().collect();
    let registered: BTreeSet<String> = fake
        .image_usage(A, REGION, None)
        .into_iter()
        .map(|u| u.image_id)
        .collect();
    let moved: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|id| registered.contains(*id) && before.get(*id) != after.get(*id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(moved.len() > 10, "{}", moved.len());
    for id in moved.iter().take(20) {
        let out = client
            .describe_image_attribute()
            .image_id(*id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let served = served_permissions(out.launch_permissions());
        assert_eq!(served, fake.launch_permissions(A, REGION, id).unwrap());
        let outside: Vec<&LaunchPermission> = served
            .iter()
            .filter(|p| p.group.is_none() && p.user_id.as_deref() != Some(B))
            .collect();
        let expected: Vec<&LaunchPermission> = after.get(*id).into_iter().flatten().collect();
        assert_eq!(outside, expected, "{id}");
    }
    // The reports made before answer as they did; new ones count the outsiders anew.
    let (served, _) = served_entries(client.describe_image_usage_report_entries()).await;
    let old: BTreeSet<&String> = entries_before.iter().map(|e| &e.report_id).collect();
    let kept: Vec<UsageReportEntry> = served
        .into_iter()
        .filter(|e| old.contains(&e.report_id))
        .collect();
    assert_eq!(
        kept,
        entries_before.iter().map(truth_entry).collect::<Vec<_>>()
    );
    let pool: BTreeSet<String> = fake.external_accounts().into_iter().collect();
    let outsiders = |entries: &[UsageReportEntry], image: &str| -> Vec<(String, String, i64)> {
        entries
            .iter()
            .filter(|e| e.image_id == image && pool.contains(&e.account_id))
            .map(|e| (e.account_id.clone(), e.resource_type.clone(), e.usage_count))
            .collect()
    };
    let images: Vec<String> = entries_before
        .iter()
        .filter(|e| pool.contains(&e.account_id) && registered.contains(&e.image_id))
        .map(|e| e.image_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(40)
        .collect();
    let mut ids = Vec::new();
    for image in &images {
        let made = client
            .create_image_usage_report()
            .image_id(image)
            .resource_types(instances())
            .resource_types(templates(None))
            .send()
            .await
            .unwrap();
        ids.push(made.report_id().unwrap().to_string());
    }
    served_reports(client.describe_image_usage_reports()).await;
    let now = fake.usage_report_entries(A, REGION);
    let fresh: Vec<UsageReportEntry> = now
        .into_iter()
        .filter(|e| ids.contains(&e.report_id))
        .collect();
    let changed = images
        .iter()
        .filter(|image| outsiders(&entries_before, image) != outsiders(&fresh, image))
        .count();
    assert!(
        changed > 0 && changed < images.len(),
        "{changed} of {}",
        images.len()
    );
    handle.shutdown().await;
}
