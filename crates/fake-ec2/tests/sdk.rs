//! The fake EC2 endpoint as the real SDKs see it: requests serialised by `aws-sdk-ec2` and
//! `aws-sdk-sts`, responses parsed by them, and the answers equal to the fake's truth.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use amiq_fake_ec2::{
    DescribeRequest, FailingRegion, FakeConfig, FakeEc2, FakeHandle, FakeRegion, Faults,
};
use aws_credential_types::Credentials;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::error::SdkError;
use aws_sdk_ec2::operation::describe_images::DescribeImagesError;
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::{
    Filter, ImageReferenceOptionName, ImageReferenceResourceType, ImageTypeValues, PlatformValues,
    ResourceTypeOption, ResourceTypeRequest,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{assumed, ec2, error_code, failure, static_keys, sts};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn config() -> FakeConfig {
    let region = |name: &str, enabled| FakeRegion {
        name: name.into(),
        enabled,
        opted_in: Vec::new(),
    };
    FakeConfig {
        seed: 99,
        accounts: vec![A.into(), B.into()],
        regions: vec![
            region("us-east-1", true),
            region("eu-west-1", true),
            region("me-central-1", false),
        ],
        owned_per_account_region: 2_500,
        amazon_per_region: 400,
        marketplace_per_region: 100,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    }
}

async fn start() -> (Arc<FakeEc2>, FakeHandle) {
    let fake = FakeEc2::new(config());
    let handle = fake.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (fake, handle)
}

/// Every image of `Owners=self`, paginated at 1000 by the SDK's paginator.
async fn owned_pages(client: &aws_sdk_ec2::Client) -> Vec<aws_sdk_ec2::types::Image> {
    let mut pages = client
        .describe_images()
        .owners("self")
        .max_results(1000)
        .into_paginator()
        .send();
    let mut images = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        images.extend(page.unwrap().images.unwrap_or_default());
        count += 1;
    }
    assert!(count >= 3, "expected several pages, got {count}");
    images
}

fn owned_truth(fake: &FakeEc2, caller: &str) -> Vec<amiq_image::Image> {
    let request = DescribeRequest {
        owners: vec!["self".into()],
        ..Default::default()
    };
    fake.describe(caller, "us-east-1", &request).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginated_owned_images_equal_the_truth() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let served = owned_pages(&client).await;
    let truth = owned_truth(&fake, A);
    assert!(truth.len() > 2_000);
    let ids = |it: Vec<Option<String>>| it.into_iter().map(Option::unwrap).collect::<Vec<_>>();
    assert_eq!(
        ids(served.iter().map(|i| i.image_id.clone()).collect()),
        ids(truth.iter().map(|i| i.image_id.clone()).collect())
    );
    // Text with awkward characters survives the XML round trip exactly.
    for (s, t) in served.iter().zip(&truth) {
        assert_eq!(s.name, t.name);
        assert_eq!(s.description, t.description);
        assert_eq!(s.creation_date, t.creation_date);
        assert_eq!(s.state.as_ref().map(|v| v.as_str()), t.state.as_deref());
        let tags = |pairs: Vec<(Option<String>, Option<String>)>| pairs;
        assert_eq!(
            tags(
                s.tags
                    .iter()
                    .flatten()
                    .map(|g| (g.key.clone(), g.value.clone()))
                    .collect()
            ),
            tags(
                t.tags
                    .iter()
                    .flatten()
                    .map(|g| (g.key.clone(), g.value.clone()))
                    .collect()
            )
        );
        assert_eq!(
            s.block_device_mappings.as_ref().map(Vec::len),
            t.block_device_mappings.as_ref().map(Vec::len)
        );
    }
    assert!(served.iter().any(|i| i.tags.as_ref().is_some_and(|t| {
        t.iter()
            .any(|g| g.value() == Some("<b>\"quoted\"</b> & 'single'"))
    })));
    let stats = fake.stats();
    assert!(stats.pages >= 3 && stats.images_served == served.len() as u64);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_acts_as_the_other_account() {
    let (fake, handle) = start().await;
    let sts = sts(&handle, static_keys());
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(A));

    let assumed = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{B}:role/amiq-reader"))
        .role_session_name("amiq-test")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIAFAKE"));
    let credentials = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "assumed",
    );
    let as_b = sts_identity(&handle, credentials.clone()).await;
    assert_eq!(as_b, B);
    let client = ec2(&handle, "us-east-1", credentials, RetryConfig::standard());
    let served = owned_pages(&client).await;
    assert!(served.iter().all(|i| i.owner_id() == Some(B)));
    let truth: Vec<_> = owned_truth(&fake, B)
        .into_iter()
        .map(|i| i.image_id)
        .collect();
    assert_eq!(
        served.into_iter().map(|i| i.image_id).collect::<Vec<_>>(),
        truth
    );

    let refusal = |arn: &str| {
        let sts = sts.clone();
        let arn = arn.to_string();
        async move {
            let err = sts
                .assume_role()
                .role_arn(arn)
                .role_session_name("x")
                .send()
                .await
                .unwrap_err();
            aws_sdk_sts::error::ProvideErrorMetadata::code(&err.into_service_error())
                .map(String::from)
        }
    };
    assert_eq!(
        refusal("not-an-arn").await.as_deref(),
        Some("ValidationError")
    );
    assert_eq!(
        refusal("arn:aws:iam::999999999999:role/x").await.as_deref(),
        Some("AccessDenied")
    );
    handle.shutdown().await;
}

async fn sts_identity(handle: &FakeHandle, credentials: Credentials) -> String {
    let out = sts(handle, credentials)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    out.account().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_arrives_as_the_lowercase_wire_value() {
    let (_fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let out = client
        .describe_images()
        .owners("amazon")
        .filters(Filter::builder().name("platform").values("windows").build())
        .send()
        .await
        .unwrap();
    let images = out.images();
    assert!(!images.is_empty());
    for image in images {
        let platform = image.platform().unwrap();
        assert_eq!(platform.as_str(), "windows");
        assert!(!matches!(platform, PlatformValues::Windows));
        assert!(image.platform_details().unwrap().starts_with("Windows"));
    }
    handle.shutdown().await;
}

/// The error code of a failed DescribeImages, as a sync would read it.
fn code<T>(result: Result<T, SdkError<DescribeImagesError>>) -> Option<String> {
    result
        .err()?
        .into_service_error()
        .meta()
        .code()
        .map(String::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_ec2_error_codes() {
    let (_fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let too_small = client.describe_images().max_results(1).send().await;
    assert_eq!(code(too_small).as_deref(), Some("InvalidParameterValue"));
    let too_big = client.describe_images().max_results(1001).send().await;
    assert_eq!(code(too_big).as_deref(), Some("InvalidParameterValue"));
    let combined = client
        .describe_images()
        .image_ids("ami-0123456789abcdef0")
        .max_results(10)
        .send()
        .await;
    assert_eq!(
        code(combined).as_deref(),
        Some("InvalidParameterCombination")
    );
    let garbage = client
        .describe_images()
        .max_results(10)
        .next_token("garbage")
        .send()
        .await;
    assert_eq!(code(garbage).as_deref(), Some("InvalidParameterValue"));
    let opted_out = ec2(
        &handle,
        "me-central-1",
        static_keys(),
        RetryConfig::standard(),
    );
    assert_eq!(
        code(opted_out.describe_images().send().await).as_deref(),
        Some("AuthFailure")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_reach_the_client() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::disabled());
    let first_page = || {
        client
            .describe_images()
            .owners("self")
            .max_results(5)
            .send()
    };

    fake.set_faults(Faults {
        throttle_rate: 1.0,
        ..Faults::default()
    });
    let err = first_page().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("RequestLimitExceeded"));

    fake.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let err = first_page().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("InternalError"));

    fake.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    assert!(first_page().await.is_err());
    assert_eq!(fake.stats().resets, 1);

    fake.set_faults(Faults {
        failing_regions: vec![FailingRegion {
            region: "us-east-1".into(),
            account: Some(A.into()),
        }],
        ..Faults::default()
    });
    assert!(first_page().await.is_err());
    let elsewhere = ec2(&handle, "eu-west-1", static_keys(), RetryConfig::disabled());
    assert!(
        elsewhere
            .describe_images()
            .owners("self")
            .max_results(5)
            .send()
            .await
            .is_ok()
    );

    fake.set_faults(Faults::default());
    assert!(first_page().await.is_ok());
    let stats = fake.stats();
    assert_eq!((stats.throttled, stats.server_errors), (1, 2));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_takes_at_least_the_latency() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::disabled());
    let latency = std::time::Duration::from_millis(300);
    for throttle_rate in [0.0, 1.0] {
        fake.set_faults(Faults {
            page_latency: latency,
            throttle_rate,
            ..Faults::default()
        });
        let started = std::time::Instant::now();
        let answer = client
            .describe_images()
            .owners("self")
            .max_results(1000)
            .send()
            .await;
        assert_eq!(answer.is_ok(), throttle_rate == 0.0);
        assert!(
            started.elapsed() >= latency,
            "answered after {:?}, before the latency of {latency:?}",
            started.elapsed()
        );
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_regions_lists_the_region_not_opted_in() {
    let (_fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let status = |out: aws_sdk_ec2::operation::describe_regions::DescribeRegionsOutput| {
        out.regions()
            .iter()
            .map(|r| {
                (
                    r.region_name().unwrap().to_string(),
                    r.opt_in_status().unwrap().to_string(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    let enabled = status(client.describe_regions().send().await.unwrap());
    assert_eq!(enabled.len(), 2);
    let all = status(
        client
            .describe_regions()
            .all_regions(true)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(
        all.get("me-central-1").map(String::as_str),
        Some("not-opted-in")
    );
    assert_eq!(
        all.get("us-east-1").map(String::as_str),
        Some("opt-in-not-required")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_actions_answer_over_plain_http() {
    let (fake, handle) = start().await;
    let before = fake.image_count();
    let body = raw_get(&handle, "/?Action=AmiqMutate&Churn=0.03&Seed=7").await;
    assert!(body.contains("<added>"), "{body}");
    assert!(
        body.contains(&format!("<images>{before}</images>")),
        "{body}"
    );
    let stats = raw_get(&handle, "/?Action=AmiqStats").await;
    assert!(stats.contains("<requests>2</requests>"), "{stats}");
    let unknown = raw_get(&handle, "/?Action=RunInstances").await;
    assert!(unknown.contains("<Code>InvalidAction</Code>"), "{unknown}");
    handle.shutdown().await;
}

async fn raw_get(handle: &FakeHandle, path: &str) -> String {
    raw(handle, path, "").await
}

/// A DescribeImages answer as text, from the first account (static keys).
async fn raw_describe(handle: &FakeHandle, query: &str) -> String {
    let scope = "AKIDSTATICTEST/20250101/us-east-1/ec2/aws4_request";
    let headers = format!("Authorization: AWS4-HMAC-SHA256 Credential={scope}\r\n");
    let path = format!("/?Action=DescribeImages&{query}");
    raw(handle, &path, &headers).await
}

/// Any EC2 call's answer as text, from the first account (static keys).
async fn raw_call(handle: &FakeHandle, query: &str) -> String {
    let scope = "AKIDSTATICTEST/20250101/us-east-1/ec2/aws4_request";
    let headers = format!("Authorization: AWS4-HMAC-SHA256 Credential={scope}\r\n");
    raw(handle, &format!("/?{query}"), &headers).await
}

async fn raw(handle: &FakeHandle, path: &str, headers: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(handle.addr()).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    let request = format!("{head}{headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// A timestamp the SDK read, written back as text.
fn written(time: Option<&DateTime>) -> Option<String> {
    time.map(|t| t.fmt(DateTimeFormat::DateTime).unwrap())
}

/// The API's timestamp text, read as the SDK reads it and written back.
fn reread(text: &Option<String>) -> Option<String> {
    let time = DateTime::from_str(text.as_deref()?, DateTimeFormat::DateTimeWithOffset);
    written(Some(&time.unwrap()))
}

/// A list's names joined with commas; `None` when the list was absent.
fn joined<T>(items: &Option<Vec<T>>, name: impl Fn(&T) -> Option<&str>) -> Option<String> {
    let names: Vec<&str> = items.as_ref()?.iter().filter_map(name).collect();
    Some(names.join(","))
}

fn truth_type(t: &amiq_image::InstanceTypeItem) -> Option<&str> {
    t.instance_type.as_deref()
}

/// The members DescribeImages gained lately, as the SDK read them: times written back
/// as text, lists by their length or names.
fn served_members(i: &aws_sdk_ec2::types::Image) -> Vec<Option<String>> {
    let mut out = vec![i.public_ssm_parameter_name.clone()];
    out.push(i.image_watermarks.as_ref().map(|w| w.len().to_string()));
    for w in i.image_watermarks.iter().flatten() {
        out.extend([
            w.watermark_key.clone(),
            w.source_image_region.clone(),
            w.source_image_id.clone(),
            written(w.source_image_creation_time.as_ref()),
            written(w.watermark_creation_time.as_ref()),
        ]);
    }
    if let Some(r) = &i.scan_results {
        let label = r.highest_finding_severity_label().map(|l| l.as_str());
        out.extend([
            label.map(String::from),
            written(r.finding_scan_date.as_ref()),
            written(r.informational_fix_available_since.as_ref()),
            written(r.low_fix_available_since.as_ref()),
            written(r.medium_fix_available_since.as_ref()),
            written(r.high_fix_available_since.as_ref()),
            written(r.critical_fix_available_since.as_ref()),
        ]);
    }
    if let Some(spec) = &i.instance_type_specification {
        let name = aws_sdk_ec2::types::InstanceTypeItem::instance_type;
        out.push(joined(&spec.supported_instance_types, name));
        out.push(joined(&spec.unsupported_instance_types, name));
    }
    out
}

/// The same members of the fake's truth, times read as the SDK reads them.
fn truth_members(i: &amiq_image::Image) -> Vec<Option<String>> {
    let mut out = vec![i.public_ssm_parameter_name.clone()];
    out.push(i.image_watermarks.as_ref().map(|w| w.len().to_string()));
    for w in i.image_watermarks.iter().flatten() {
        out.extend([
            w.watermark_key.clone(),
            w.source_image_region.clone(),
            w.source_image_id.clone(),
            reread(&w.source_image_creation_time),
            reread(&w.watermark_creation_time),
        ]);
    }
    if let Some(r) = &i.scan_results {
        out.extend([
            r.highest_finding_severity_label.clone(),
            reread(&r.finding_scan_date),
            reread(&r.informational_fix_available_since),
            reread(&r.low_fix_available_since),
            reread(&r.medium_fix_available_since),
            reread(&r.high_fix_available_since),
            reread(&r.critical_fix_available_since),
        ]);
    }
    if let Some(spec) = &i.instance_type_specification {
        out.push(joined(&spec.supported_instance_types, truth_type));
        out.push(joined(&spec.unsupported_instance_types, truth_type));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newer_members_reach_the_sdk_as_the_truth_has_them() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let served = owned_pages(&client).await;
    let truth = owned_truth(&fake, A);
    assert_eq!(served.len(), truth.len());
    let (mut scanned, mut marked, mut typed) = (0, 0, 0);
    for (s, t) in served.iter().zip(&truth) {
        assert_eq!(served_members(s), truth_members(t), "{:?}", t.image_id);
        scanned += usize::from(t.scan_results.is_some());
        marked += usize::from(t.image_watermarks.is_some());
        typed += usize::from(t.instance_type_specification.is_some());
    }
    assert!(
        scanned > 500 && marked > 100 && typed > 100,
        "{scanned} {marked} {typed}"
    );

    let amazon = client
        .describe_images()
        .owners("amazon")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    let request = DescribeRequest {
        owners: vec!["amazon".into()],
        include_deprecated: true,
        ..Default::default()
    };
    let truth = fake.describe(A, "us-east-1", &request).unwrap();
    assert_eq!(amazon.images().len(), truth.len());
    let mut parameters = 0;
    for (s, t) in amazon.images().iter().zip(&truth) {
        assert_eq!(served_members(s), truth_members(t), "{:?}", t.image_id);
        let kind = s.image_type().map(|v| v.as_str());
        assert_eq!(kind, t.image_type.as_deref());
        parameters += usize::from(t.public_ssm_parameter_name.is_some());
    }
    assert!(parameters > 5, "{parameters}");

    let kernel = truth
        .iter()
        .find(|i| i.image_type.as_deref() == Some("kernel"))
        .and_then(|i| i.image_id.clone())
        .unwrap();
    let named = client
        .describe_images()
        .image_ids(kernel)
        .send()
        .await
        .unwrap();
    assert_eq!(named.images().len(), 1);
    let image_type = named.images()[0].image_type();
    assert_eq!(image_type, Some(&ImageTypeValues::Kernel));
    let unknown = client
        .describe_images()
        .image_ids("aki-0123456789abcdef0")
        .send()
        .await;
    assert_eq!(code(unknown).as_deref(), Some("InvalidAMIID.NotFound"));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_members_are_sent_where_the_truth_has_them() {
    let fake = FakeEc2::new(FakeConfig {
        unknown_member_rate: 1.0,
        ..config()
    });
    let handle = fake.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let truth = owned_truth(&fake, A);
    let body = raw_describe(&handle, "Owner.1=self&MaxResults=5").await;
    let items: Vec<&str> = body
        .split("<item><imageId>")
        .skip(1)
        .map(|item| item.split("</imagesSet>").next().unwrap())
        .collect();
    assert_eq!(items.len(), 5, "{body}");
    for (item, image) in items.iter().zip(&truth) {
        assert!(item.starts_with(image.image_id.as_deref().unwrap()));
        let members = image.unknown_members.as_deref().unwrap();
        let (inner, last) = (&members[0], &members[members.len() - 1]);
        assert_eq!((members.len(), last.path.as_str()), (2, ""));
        assert!(item.ends_with(&format!("{}</item>", last.xml)), "{item}");
        // The other one closes the first mapping's `ebs`, or the mapping itself.
        let mappings = &item[item.find("<blockDeviceMapping>").unwrap()..];
        let first_end = mappings.find("</item>").unwrap();
        let close = if inner.path.ends_with("/ebs") {
            "</ebs>"
        } else {
            "</item>"
        };
        let at = mappings.find(&format!("{}{close}", inner.xml)).unwrap();
        assert!(at <= first_end, "{item}");
    }
    // The SDK skips what it does not know and reads the rest.
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let served = owned_pages(&client).await;
    assert_eq!(served.len(), truth.len());
    for (s, t) in served.iter().zip(&truth) {
        assert_eq!(s.image_id, t.image_id);
    }
    handle.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// The calls about what references images: each pages to its truth, refuses what EC2
// refuses, fails as faults say, and follows mutations.

type Pairs = Option<Vec<(Option<String>, Option<String>)>>;

fn served_tags(tags: &Option<Vec<aws_sdk_ec2::types::Tag>>) -> Pairs {
    tags.as_ref()
        .map(|t| t.iter().map(|g| (g.key.clone(), g.value.clone())).collect())
}

fn truth_tags(tags: &Option<Vec<amiq_image::Tag>>) -> Pairs {
    tags.as_ref()
        .map(|t| t.iter().map(|g| (g.key.clone(), g.value.clone())).collect())
}

/// Every page of DescribeImageReferences for `request`, as `(imageId, resourceType, arn)`.
async fn served_references(
    request: aws_sdk_ec2::operation::describe_image_references::builders::DescribeImageReferencesFluentBuilder,
) -> Vec<(String, String, String)> {
    let mut pages = request.into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        for r in page.unwrap().image_references() {
            out.push((
                r.image_id().unwrap().to_string(),
                r.resource_type().unwrap().as_str().to_string(),
                r.arn().unwrap().to_string(),
            ));
        }
    }
    out
}

fn truth_references(refs: &[amiq_fake_ec2::ImageReference]) -> Vec<(String, String, String)> {
    refs.iter()
        .map(|r| (r.image_id.clone(), r.resource_type.clone(), r.arn.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_references_page_to_the_truth() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let usage = fake.image_usage(A, "us-east-1", None);
    let referenced: Vec<String> = usage
        .iter()
        .filter(|u| !u.references.is_empty())
        .map(|u| u.image_id.clone())
        .take(10)
        .collect();
    assert!(referenced.len() >= 3, "{referenced:?}");
    let truth = fake
        .image_references(A, "us-east-1", &referenced, None)
        .unwrap();
    let kinds: BTreeSet<&str> = truth.iter().map(|r| r.resource_type.as_str()).collect();
    assert!(kinds.len() >= 3, "{kinds:?}");
    // More than one page of 5.
    assert!(truth.len() > 5, "{}", truth.len());
    let served = served_references(
        client
            .describe_image_references()
            .set_image_ids(Some(referenced.clone()))
            .include_all_resource_types(true)
            .max_results(5),
    )
    .await;
    assert_eq!(served, truth_references(&truth));
    for r in &truth {
        assert!(r.arn.contains(":us-east-1:111111111111:"), "{}", r.arn);
        let expected = match r.resource_type.as_str() {
            "ec2:Instance" => "arn:aws:ec2:us-east-1:111111111111:instance/i-0",
            "ec2:LaunchTemplate" => "arn:aws:ec2:us-east-1:111111111111:launch-template/lt-0",
            "ssm:Parameter" => "arn:aws:ssm:us-east-1:111111111111:parameter/",
            "imagebuilder:ImageRecipe" => {
                "arn:aws:imagebuilder:us-east-1:111111111111:image-recipe/"
            }
            _ => "arn:aws:imagebuilder:us-east-1:111111111111:container-recipe/",
        };
        assert!(r.arn.starts_with(expected), "{}", r.arn);
    }
    // The usage truth agrees with the call for each image.
    for u in usage.iter().filter(|u| referenced.contains(&u.image_id)) {
        let one = fake
            .image_references(A, "us-east-1", std::slice::from_ref(&u.image_id), None)
            .unwrap();
        assert_eq!(one, u.references);
    }

    // version-depth: an image only older versions name appears when asked deeper.
    let deep = fake.image_usage(A, "us-east-1", Some(10_000));
    let old_only: Vec<String> = deep
        .iter()
        .zip(&usage)
        .filter(|(d, u)| d.references.len() > u.references.len())
        .map(|(d, _)| d.image_id.clone())
        .take(10)
        .collect();
    assert!(!old_only.is_empty());
    let templates = |depth: Option<&str>| {
        let mut wanted = ResourceTypeRequest::builder()
            .resource_type(ImageReferenceResourceType::Ec2LaunchTemplate);
        if let Some(depth) = depth {
            wanted = wanted.resource_type_options(
                ResourceTypeOption::builder()
                    .option_name(ImageReferenceOptionName::VersionDepth)
                    .option_values(depth)
                    .build(),
            );
        }
        client
            .describe_image_references()
            .set_image_ids(Some(old_only.clone()))
            .resource_types(wanted.build())
    };
    let shallow = served_references(templates(None)).await;
    let deeper = served_references(templates(Some("10000"))).await;
    assert!(deeper.len() > shallow.len(), "{shallow:?} {deeper:?}");
    let deep_truth = fake
        .image_references(A, "us-east-1", &old_only, Some(10_000))
        .unwrap();
    let deep_templates: Vec<_> = truth_references(&deep_truth)
        .into_iter()
        .filter(|r| r.1 == "ec2:LaunchTemplate")
        .collect();
    assert_eq!(deeper, deep_templates);

    // state-name: only instances in the states asked for.
    let metadata = fake.instance_image_metadata(A, "us-east-1");
    let running: Vec<&amiq_fake_ec2::InstanceImageMetadata> = metadata
        .iter()
        .filter(|m| m.state_name == "running")
        .collect();
    let images: Vec<String> = running
        .iter()
        .map(|m| m.image.image_id.clone())
        .filter(|id| usage.iter().any(|u| &u.image_id == id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(10)
        .collect();
    assert!(!images.is_empty());
    let served = served_references(
        client
            .describe_image_references()
            .set_image_ids(Some(images.clone()))
            .resource_types(
                ResourceTypeRequest::builder()
                    .resource_type(ImageReferenceResourceType::Ec2Instance)
                    .resource_type_options(
                        ResourceTypeOption::builder()
                            .option_name(ImageReferenceOptionName::StateName)
                            .option_values("running")
                            .build(),
                    )
                    .build(),
            ),
    )
    .await;
    let expected: BTreeSet<String> = running
        .iter()
        .filter(|m| images.contains(&m.image.image_id))
        .map(|m| format!("arn:aws:ec2:us-east-1:{A}:instance/{}", m.instance_id))
        .collect();
    assert_eq!(
        served.iter().map(|r| r.2.clone()).collect::<BTreeSet<_>>(),
        expected
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_reference_limits_get_ec2_error_codes() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let owned: Vec<String> = fake
        .image_usage(A, "us-east-1", None)
        .into_iter()
        .map(|u| u.image_id)
        .take(11)
        .collect();
    let ask = |ids: &[String]| {
        client
            .describe_image_references()
            .set_image_ids(Some(ids.to_vec()))
            .include_all_resource_types(true)
    };
    assert!(ask(&owned[..10]).send().await.is_ok());
    let (code, message) = failure(ask(&owned).send().await);
    assert_eq!(code.as_deref(), Some("InvalidParameterValue"));
    assert!(message.unwrap().contains("10"));
    assert_eq!(
        error_code(ask(&[]).send().await).as_deref(),
        Some("MissingParameter")
    );
    assert_eq!(
        error_code(ask(&["ami-12345".into()]).send().await).as_deref(),
        Some("InvalidAMIID.Malformed")
    );
    assert_eq!(
        error_code(ask(&["ami-0123456789abcdef0".into()]).send().await).as_deref(),
        Some("InvalidAMIID.NotFound")
    );
    assert_eq!(
        error_code(ask(&owned[..1]).max_results(4).send().await).as_deref(),
        Some("InvalidParameterValue")
    );
    assert!(ask(&owned[..1]).max_results(5).send().await.is_ok());
    let neither = client
        .describe_image_references()
        .set_image_ids(Some(owned[..1].to_vec()))
        .send()
        .await;
    assert_eq!(error_code(neither).as_deref(), Some("MissingParameter"));
    for depth in ["0", "10001", "deep"] {
        let too_deep = client
            .describe_image_references()
            .set_image_ids(Some(owned[..1].to_vec()))
            .resource_types(
                ResourceTypeRequest::builder()
                    .resource_type(ImageReferenceResourceType::Ec2LaunchTemplate)
                    .resource_type_options(
                        ResourceTypeOption::builder()
                            .option_name(ImageReferenceOptionName::VersionDepth)
                            .option_values(depth)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await;
        assert_eq!(
            error_code(too_deep).as_deref(),
            Some("InvalidParameterValue"),
            "{depth}"
        );
    }
    let wrong_option = client
        .describe_image_references()
        .set_image_ids(Some(owned[..1].to_vec()))
        .resource_types(
            ResourceTypeRequest::builder()
                .resource_type(ImageReferenceResourceType::SsmParameter)
                .resource_type_options(
                    ResourceTypeOption::builder()
                        .option_name(ImageReferenceOptionName::StateName)
                        .option_values("running")
                        .build(),
                )
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        error_code(wrong_option).as_deref(),
        Some("InvalidParameterValue")
    );
    handle.shutdown().await;
}

/// The served metadata, field by field, in the truth's terms.
fn served_metadata(m: &aws_sdk_ec2::types::InstanceImageMetadata) -> Vec<Option<String>> {
    let image = m.image_metadata().unwrap();
    let state = m.state().unwrap();
    let operator = m.operator();
    vec![
        m.instance_id.clone(),
        m.instance_type().map(|t| t.as_str().to_string()),
        written(m.launch_time()),
        m.availability_zone.clone(),
        m.zone_id.clone(),
        state.code().map(|c| c.to_string()),
        state.name().map(|n| n.as_str().to_string()),
        m.owner_id.clone(),
        format!("{:?}", served_tags(&m.tags)).into(),
        image.image_id.clone(),
        image.name.clone(),
        image.owner_id.clone(),
        image.state().map(|s| s.as_str().to_string()),
        image.image_owner_alias.clone(),
        image.creation_date.clone(),
        image.deprecation_time.clone(),
        image.image_allowed.map(|a| a.to_string()),
        image.is_public.map(|p| p.to_string()),
        image.image_watermarks.as_ref().map(|w| w.len().to_string()),
        operator.and_then(|o| o.managed()).map(|m| m.to_string()),
        operator.and_then(|o| o.principal()).map(String::from),
    ]
}

fn truth_metadata(m: &amiq_fake_ec2::InstanceImageMetadata) -> Vec<Option<String>> {
    let image = &m.image;
    vec![
        Some(m.instance_id.clone()),
        Some(m.instance_type.clone()),
        reread(&Some(m.launch_time.clone())),
        Some(m.availability_zone.clone()),
        Some(m.zone_id.clone()),
        Some(m.state_code.to_string()),
        Some(m.state_name.clone()),
        Some(m.owner_id.clone()),
        format!("{:?}", truth_tags(&m.tags)).into(),
        Some(image.image_id.clone()),
        image.name.clone(),
        image.owner_id.clone(),
        image.state.clone(),
        image.owner_alias.clone(),
        image.creation_date.clone(),
        image.deprecation_time.clone(),
        image.image_allowed.map(|a| a.to_string()),
        image.is_public.map(|p| p.to_string()),
        image.watermarks.as_ref().map(|w| w.len().to_string()),
        m.operator.as_ref().map(|o| o.managed.to_string()),
        m.operator.as_ref().and_then(|o| o.principal.clone()),
    ]
}

async fn served_instances(
    client: &aws_sdk_ec2::Client,
) -> Vec<aws_sdk_ec2::types::InstanceImageMetadata> {
    let mut pages = client
        .describe_instance_image_metadata()
        .max_results(5)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.extend(page.unwrap().instance_image_metadata.unwrap_or_default());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_image_metadata_pages_to_the_truth() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let truth = fake.instance_image_metadata(A, "us-east-1");
    assert!(truth.len() >= 10, "{}", truth.len());
    let served = served_instances(&client).await;
    assert_eq!(served.len(), truth.len());
    for (s, t) in served.iter().zip(&truth) {
        assert_eq!(served_metadata(s), truth_metadata(t));
    }
    // Launched from own, shared and Amazon images, and from one deregistered since.
    let owners: BTreeSet<Option<String>> = truth.iter().map(|m| m.image.owner_id.clone()).collect();
    assert!(owners.contains(&Some(A.into())) && owners.contains(&Some(B.into())));
    assert!(owners.contains(&Some(amiq_fake_ec2::AMAZON_OWNER_ID.into())));
    let gone: Vec<_> = truth
        .iter()
        .filter(|m| m.image.state.as_deref() == Some("deregistered"))
        .collect();
    assert!(!gone.is_empty());
    assert!(
        gone.iter()
            .all(|m| m.image.name.is_some() && m.image.image_allowed.is_none())
    );

    let one = &truth[3].instance_id;
    let by_id = client
        .describe_instance_image_metadata()
        .instance_ids(one)
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.instance_image_metadata().len(), 1);
    let by_filter = client
        .describe_instance_image_metadata()
        .filters(Filter::builder().name("instance-id").values(one).build())
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_filter.instance_image_metadata()[0].instance_id(),
        Some(one.as_str())
    );
    let by_state = client
        .describe_instance_image_metadata()
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("running")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let running = truth.iter().filter(|m| m.state_name == "running").count();
    assert_eq!(by_state.instance_image_metadata().len(), running);

    for bad in [0, 1001] {
        let refused = client
            .describe_instance_image_metadata()
            .max_results(bad)
            .send()
            .await;
        assert_eq!(
            error_code(refused).as_deref(),
            Some("InvalidParameterValue")
        );
    }
    let missing = client
        .describe_instance_image_metadata()
        .instance_ids("i-0123456789abcdef0")
        .send()
        .await;
    assert_eq!(
        error_code(missing).as_deref(),
        Some("InvalidInstanceID.NotFound")
    );
    let malformed = client
        .describe_instance_image_metadata()
        .instance_ids("i-xyz")
        .send()
        .await;
    assert_eq!(
        error_code(malformed).as_deref(),
        Some("InvalidInstanceID.Malformed")
    );
    let unknown_filter = client
        .describe_instance_image_metadata()
        .filters(Filter::builder().name("image-name").values("x").build())
        .send()
        .await;
    assert_eq!(
        error_code(unknown_filter).as_deref(),
        Some("InvalidParameterValue")
    );
    handle.shutdown().await;
}

fn served_snapshot(s: &aws_sdk_ec2::types::Snapshot) -> Vec<Option<String>> {
    vec![
        s.snapshot_id.clone(),
        s.volume_id.clone(),
        s.volume_size.map(|v| v.to_string()),
        s.full_snapshot_size_in_bytes.map(|v| v.to_string()),
        s.storage_tier().map(|t| t.as_str().to_string()),
        written(s.start_time()),
        s.encrypted.map(|e| e.to_string()),
        s.kms_key_id.clone(),
        s.description.clone(),
        s.state().map(|t| t.as_str().to_string()),
        s.progress.clone(),
        s.owner_id.clone(),
        format!("{:?}", served_tags(&s.tags)).into(),
    ]
}

fn truth_snapshot(s: &amiq_fake_ec2::Snapshot) -> Vec<Option<String>> {
    vec![
        Some(s.snapshot_id.clone()),
        Some(s.volume_id.clone()),
        Some(s.volume_size.to_string()),
        s.full_snapshot_size_in_bytes.map(|v| v.to_string()),
        Some(s.storage_tier.clone()),
        reread(&Some(s.start_time.clone())),
        Some(s.encrypted.to_string()),
        s.kms_key_id.clone(),
        s.description.clone(),
        Some(s.state.clone()),
        Some(s.progress.clone()),
        Some(s.owner_id.clone()),
        format!("{:?}", truth_tags(&s.tags)).into(),
    ]
}

async fn served_snapshots(
    client: &aws_sdk_ec2::Client,
    page: i32,
) -> Vec<aws_sdk_ec2::types::Snapshot> {
    let mut pages = client
        .describe_snapshots()
        .owner_ids("self")
        .max_results(page)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.extend(page.unwrap().snapshots.unwrap_or_default());
    }
    out
}

/// Every snapshot id the block device mappings of `account`'s images name, with how
/// many images name it.
fn mapped_snapshots(fake: &FakeEc2, account: &str) -> BTreeMap<String, usize> {
    let request = DescribeRequest {
        owners: vec!["self".into()],
        include_disabled: true,
        include_deprecated: true,
        ..Default::default()
    };
    let mut mapped = BTreeMap::new();
    for image in fake.describe(account, "us-east-1", &request).unwrap() {
        let mappings = image.block_device_mappings.unwrap_or_default();
        for id in mappings
            .iter()
            .filter_map(|m| m.ebs.as_ref()?.snapshot_id.clone())
        {
            *mapped.entry(id).or_insert(0) += 1;
        }
    }
    mapped
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_page_to_the_truth_and_match_the_images() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let truth = fake.snapshots(A, "us-east-1");
    let served = served_snapshots(&client, 1000).await;
    assert_eq!(served.len(), truth.len());
    for (s, t) in served.iter().zip(&truth) {
        assert_eq!(served_snapshot(s), truth_snapshot(t));
    }
    let small_pages = served_snapshots(&client, 7).await;
    assert_eq!(
        small_pages
            .iter()
            .map(|s| s.snapshot_id.clone().unwrap())
            .collect::<Vec<_>>(),
        truth
            .iter()
            .map(|s| s.snapshot_id.clone())
            .collect::<Vec<_>>()
    );

    let mapped = mapped_snapshots(&fake, A);
    let listed: BTreeSet<String> = truth.iter().map(|s| s.snapshot_id.clone()).collect();
    assert_eq!(listed.len(), truth.len(), "snapshot ids are unique");
    for id in mapped.keys() {
        assert!(listed.contains(id), "{id} is mapped but not listed");
    }
    let shared = mapped.values().filter(|n| **n > 1).count();
    assert!(shared > 50, "{shared} snapshots used by several images");
    let unused = listed.iter().filter(|id| !mapped.contains_key(*id)).count();
    assert!(unused >= 3, "{unused} snapshots no image uses");
    assert!(
        truth
            .iter()
            .any(|s| s.full_snapshot_size_in_bytes.is_none())
    );
    assert!(truth.iter().any(|s| s.storage_tier == "archive"));
    assert!(truth.iter().any(|s| s.encrypted) && truth.iter().any(|s| !s.encrypted));
    // The usage truth names the same snapshots, and which are shared.
    let usage = fake.image_usage(A, "us-east-1", None);
    let usage_shared: BTreeSet<&String> =
        usage.iter().flat_map(|u| &u.shared_snapshot_ids).collect();
    assert_eq!(usage_shared.len(), shared);

    let named = client
        .describe_snapshots()
        .snapshot_ids(&truth[0].snapshot_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        named.snapshots()[0].snapshot_id(),
        Some(truth[0].snapshot_id.as_str())
    );
    let missing = client
        .describe_snapshots()
        .snapshot_ids("snap-0123456789abcdef0")
        .send()
        .await;
    assert_eq!(
        error_code(missing).as_deref(),
        Some("InvalidSnapshot.NotFound")
    );
    for bad in [4, 1001] {
        let refused = client
            .describe_snapshots()
            .owner_ids("self")
            .max_results(bad)
            .send()
            .await;
        assert_eq!(
            error_code(refused).as_deref(),
            Some("InvalidParameterValue")
        );
    }
    let amazon = client
        .describe_snapshots()
        .owner_ids("amazon")
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert!(amazon.snapshots().is_empty());
    let archived = client
        .describe_snapshots()
        .owner_ids("self")
        .filters(
            Filter::builder()
                .name("storage-tier")
                .values("archive")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let expected = truth.iter().filter(|s| s.storage_tier == "archive").count();
    assert_eq!(archived.snapshots().len(), expected);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recycle_bin_and_settings_answer_the_truth() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let truth = fake.recycle_bin(A, "us-east-1");
    assert!(!truth.is_empty());
    let mut pages = client
        .list_images_in_recycle_bin()
        .max_results(1)
        .into_paginator()
        .send();
    let mut served = Vec::new();
    while let Some(page) = pages.next().await {
        served.extend(page.unwrap().images.unwrap_or_default());
    }
    assert_eq!(served.len(), truth.len());
    for (s, t) in served.iter().zip(&truth) {
        assert_eq!(s.image_id.as_deref(), Some(t.image_id.as_str()));
        assert_eq!(s.name, t.name);
        assert_eq!(s.description, t.description);
        assert_eq!(
            written(s.recycle_bin_enter_time()),
            reread(&Some(t.recycle_bin_enter_time.clone()))
        );
        assert_eq!(
            written(s.recycle_bin_exit_time()),
            reread(&Some(t.recycle_bin_exit_time.clone()))
        );
        assert!(t.recycle_bin_enter_time < t.recycle_bin_exit_time);
    }
    let one = client
        .list_images_in_recycle_bin()
        .image_ids(&truth[0].image_id)
        .send()
        .await
        .unwrap();
    assert_eq!(one.images().len(), 1);
    for bad in [0, 1001] {
        let refused = client
            .list_images_in_recycle_bin()
            .max_results(bad)
            .send()
            .await;
        assert_eq!(
            error_code(refused).as_deref(),
            Some("InvalidParameterValue")
        );
    }
    let too_many = client
        .list_images_in_recycle_bin()
        .set_image_ids(Some(vec![truth[0].image_id.clone(); 21]))
        .send()
        .await;
    assert_eq!(
        error_code(too_many).as_deref(),
        Some("InvalidParameterValue")
    );

    for region in ["us-east-1", "eu-west-1"] {
        let client = ec2(&handle, region, static_keys(), RetryConfig::standard());
        let allowed = client.get_allowed_images_settings().send().await.unwrap();
        let truth = fake.allowed_images_settings(A, region).unwrap();
        assert_eq!(allowed.state(), Some(truth.state.as_str()));
        assert_eq!(
            allowed.managed_by().map(|m| m.as_str()),
            Some(truth.managed_by.as_str())
        );
        let criteria = truth.image_criteria.clone().unwrap_or_default();
        assert_eq!(allowed.image_criteria().len(), criteria.len());
        for (s, t) in allowed.image_criteria().iter().zip(&criteria) {
            assert_eq!(s.image_providers, t.image_providers);
            assert_eq!(s.image_names, t.image_names);
            assert_eq!(s.marketplace_product_codes, t.marketplace_product_codes);
            assert_eq!(
                s.deprecation_time_condition()
                    .and_then(|c| c.maximum_days_since_deprecated()),
                t.maximum_days_since_deprecated
            );
            assert_eq!(
                s.creation_date_condition()
                    .and_then(|c| c.maximum_days_since_created()),
                t.maximum_days_since_created
            );
            assert_eq!(
                s.image_watermarks().len(),
                t.image_watermarks.as_ref().map_or(0, Vec::len)
            );
            assert_eq!(
                s.scan_result_condition()
                    .and_then(|c| c.maximum_severity_label())
                    .map(|l| l.as_str().to_string()),
                t.scan_result
                    .as_ref()
                    .and_then(|c| c.maximum_severity_label.clone())
            );
        }
        let block = client
            .get_image_block_public_access_state()
            .send()
            .await
            .unwrap();
        let truth = fake.image_block_public_access(A, region).unwrap();
        assert_eq!(
            block.image_block_public_access_state(),
            Some(truth.state.as_str())
        );
        assert_eq!(
            block.managed_by().map(|m| m.as_str()),
            Some(truth.managed_by.as_str())
        );
    }
    let opted_out = ec2(
        &handle,
        "me-central-1",
        static_keys(),
        RetryConfig::standard(),
    );
    assert_eq!(
        error_code(opted_out.get_allowed_images_settings().send().await).as_deref(),
        Some("AuthFailure")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_operation_for_the_switched_account_and_action_only() {
    let (fake, handle) = start().await;
    let as_b = ec2(
        &handle,
        "us-east-1",
        assumed(&handle, B).await,
        RetryConfig::disabled(),
    );
    let as_a = ec2(&handle, "us-east-1", static_keys(), RetryConfig::disabled());
    fake.set_faults(Faults {
        unauthorized: vec![(B.into(), "DescribeSnapshots".into())],
        ..Faults::default()
    });
    let (code, message) = failure(as_b.describe_snapshots().owner_ids("self").send().await);
    assert_eq!(code.as_deref(), Some("UnauthorizedOperation"));
    let message = message.unwrap();
    assert!(
        message.starts_with("You are not authorized to perform this operation. User: ")
            && message.contains(&format!(
                "arn:aws:sts::{B}:assumed-role/amiq-cleanup/cleanup-test"
            ))
            && message.contains("is not authorized to perform: ec2:DescribeSnapshots"),
        "{message}"
    );
    // Other actions of B, and the same action of A, are allowed.
    assert!(
        as_b.describe_images()
            .owners("self")
            .max_results(5)
            .send()
            .await
            .is_ok()
    );
    assert!(as_b.get_allowed_images_settings().send().await.is_ok());
    assert!(
        as_a.describe_snapshots()
            .owner_ids("self")
            .max_results(5)
            .send()
            .await
            .is_ok()
    );
    assert_eq!(fake.stats().unauthorized, 1);

    // Another process switches it through AmiqSetFaults.
    let body = raw_get(
        &handle,
        &format!("/?Action=AmiqSetFaults&Unauthorized.1={A}/DescribeImageReferences&Unauthorized.2={A}/DescribeImages"),
    )
    .await;
    assert!(body.contains("AmiqSetFaultsResponse"), "{body}");
    let refused = as_a
        .describe_image_references()
        .image_ids("ami-0123456789abcdef0")
        .include_all_resource_types(true)
        .send()
        .await;
    assert_eq!(
        error_code(refused).as_deref(),
        Some("UnauthorizedOperation")
    );
    let refused = as_a
        .describe_images()
        .owners("self")
        .max_results(5)
        .send()
        .await;
    assert_eq!(
        error_code(refused).as_deref(),
        Some("UnauthorizedOperation")
    );
    assert!(
        as_b.describe_snapshots()
            .owner_ids("self")
            .max_results(5)
            .send()
            .await
            .is_ok()
    );
    let bad = raw_get(&handle, "/?Action=AmiqSetFaults&Unauthorized.1=nonsense").await;
    assert!(bad.contains("<Code>InvalidParameterValue</Code>"), "{bad}");
    raw_get(&handle, "/?Action=AmiqSetFaults").await;
    assert!(
        as_a.describe_images()
            .owners("self")
            .max_results(5)
            .send()
            .await
            .is_ok()
    );
    let unknown = raw_get(&handle, "/?Action=DeleteSnapshot&SnapshotId=snap-1").await;
    assert!(unknown.contains("<Code>InvalidAction</Code>"), "{unknown}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_the_new_calls_are_retried_or_surface() {
    let (fake, handle) = start().await;
    let once = ec2(&handle, "us-east-1", static_keys(), RetryConfig::disabled());
    let owned = fake.image_usage(A, "us-east-1", None)[0].image_id.clone();
    let cases: [(Faults, Option<&str>); 3] = [
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
    ];
    for (faults, code) in cases {
        fake.set_faults(faults);
        let snapshots = once
            .describe_snapshots()
            .owner_ids("self")
            .max_results(5)
            .send()
            .await;
        let metadata = once.describe_instance_image_metadata().send().await;
        let bin = once.list_images_in_recycle_bin().send().await;
        let settings = once.get_allowed_images_settings().send().await;
        let block = once.get_image_block_public_access_state().send().await;
        let references = once
            .describe_image_references()
            .image_ids(&owned)
            .include_all_resource_types(true)
            .send()
            .await;
        assert!(snapshots.is_err() && metadata.is_err() && bin.is_err());
        assert!(settings.is_err() && block.is_err() && references.is_err());
        assert_eq!(error_code(snapshots).as_deref(), code);
        assert_eq!(error_code(metadata).as_deref(), code);
    }
    assert_eq!(fake.stats().resets, 6);
    // Pages arrive damaged: cut short, with a broken tag, padded with an element EC2
    // does not have; a spoiled token fails the next page.
    fake.set_faults(Faults {
        garbled_rate: 1.0,
        ..Faults::default()
    });
    let end = "</DescribeSnapshotsResponse>";
    let cut = raw_call(
        &handle,
        "Action=DescribeSnapshots&Owner.1=self&MaxResults=5",
    )
    .await;
    assert!(cut.contains("<snapshotSet>") && !cut.contains(end), "{cut}");
    let broken = raw_call(
        &handle,
        "Action=DescribeSnapshots&Owner.1=self&MaxResults=5",
    )
    .await;
    assert!(
        broken.contains("</requestId><imagesSet><item><imageId><snapshotSet>"),
        "{broken}"
    );
    let padded = raw_call(&handle, "Action=GetAllowedImagesSettings").await;
    assert!(
        padded.contains("<amiqUnexpected")
            && padded.contains("</GetAllowedImagesSettingsResponse>")
    );
    assert_eq!(fake.stats().garbled, 3);
    fake.set_faults(Faults {
        bad_token_rate: 1.0,
        ..Faults::default()
    });
    let first = once
        .describe_snapshots()
        .owner_ids("self")
        .max_results(5)
        .send()
        .await
        .unwrap();
    let second = once
        .describe_snapshots()
        .owner_ids("self")
        .max_results(5)
        .next_token(first.next_token().unwrap())
        .send()
        .await;
    assert_eq!(error_code(second).as_deref(), Some("InvalidParameterValue"));

    // With the SDK's retries, throttling and server errors only slow the pages down.
    fake.set_faults(Faults {
        seed: 3,
        throttle_rate: 0.15,
        server_error_rate: 0.1,
        ..Faults::default()
    });
    let patient = ec2(
        &handle,
        "us-east-1",
        static_keys(),
        RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(std::time::Duration::from_millis(5)),
    );
    let snapshots = served_snapshots(&patient, 100).await;
    assert_eq!(snapshots.len(), fake.snapshots(A, "us-east-1").len());
    let instances = served_instances(&patient).await;
    assert_eq!(
        instances.len(),
        fake.instance_image_metadata(A, "us-east-1").len()
    );
    let stats = fake.stats();
    assert!(stats.throttled > 3 && stats.server_errors > 3, "{stats:?}");

    // A failing region fails the new calls too.
    fake.set_faults(Faults {
        failing_regions: vec![FailingRegion {
            region: "us-east-1".into(),
            account: None,
        }],
        ..Faults::default()
    });
    assert!(
        once.get_image_block_public_access_state()
            .send()
            .await
            .is_err()
    );
    handle.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// GetImageAncestry: an image's chain of copies, as the SDK reads it.

/// An entry as the SDK read it: `(imageId, creationDate, imageOwnerAlias, sourceImageId,
/// sourceImageRegion)`, the date written back as text.
type Ancestor = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn served_ancestry(entries: &[aws_sdk_ec2::types::ImageAncestryEntry]) -> Vec<Ancestor> {
    entries
        .iter()
        .map(|e| {
            (
                e.image_id.clone(),
                written(e.creation_date()),
                e.image_owner_alias.clone(),
                e.source_image_id.clone(),
                e.source_image_region.clone(),
            )
        })
        .collect()
}

fn truth_ancestry(entries: &[amiq_fake_ec2::ImageAncestryEntry]) -> Vec<Ancestor> {
    entries
        .iter()
        .map(|e| {
            (
                Some(e.image_id.clone()),
                reread(&e.creation_date),
                e.image_owner_alias.clone(),
                e.source_image_id.clone(),
                e.source_image_region.clone(),
            )
        })
        .collect()
}

/// `A`'s images in us-east-1 with their ancestry, from the truth.
fn owned_ancestries(fake: &FakeEc2) -> Vec<Vec<amiq_fake_ec2::ImageAncestryEntry>> {
    fake.image_usage(A, "us-east-1", None)
        .into_iter()
        .map(|u| fake.image_ancestry(A, "us-east-1", &u.image_id).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_ancestry_follows_copies_to_the_root() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let ancestries = owned_ancestries(&fake);
    // A copy of a copy of A's own image, copied across regions on the way.
    let chain = ancestries
        .iter()
        .filter(|c| c.len() >= 3 && c[..3].iter().all(|e| e.image_owner_alias.is_none()))
        .find(|c| {
            c.iter()
                .any(|e| e.source_image_region.as_deref() == Some("eu-west-1"))
        })
        .expect("a chain of three or more across regions");
    let served = client
        .get_image_ancestry()
        .image_id(&chain[0].image_id)
        .send()
        .await
        .unwrap();
    let entries = served.image_ancestry_entries();
    assert_eq!(served_ancestry(entries), truth_ancestry(chain));
    for pair in entries.windows(2) {
        assert_eq!(pair[0].source_image_id(), pair[1].image_id());
        assert!(pair[1].creation_date() < pair[0].creation_date());
    }
    // The chain's images are what DescribeImages says they are, in their regions.
    let mut region = "us-east-1".to_string();
    for entry in chain {
        let here = ec2(&handle, &region, static_keys(), RetryConfig::standard());
        let described = here
            .describe_images()
            .image_ids(&entry.image_id)
            .include_deprecated(true)
            .include_disabled(true)
            .send()
            .await;
        // An ancestor deregistered since stays in the chain; one that is registered
        // names the same source.
        if let Ok(described) = described {
            let image = &described.images()[0];
            assert_eq!(image.source_image_id, entry.source_image_id);
            assert_eq!(image.source_image_region, entry.source_image_region);
            assert_eq!(image.creation_date, entry.creation_date);
        }
        if let Some(next) = &entry.source_image_region {
            region = next.clone();
        }
    }

    // A chain that ends at one of Amazon's images names its alias.
    let from_amazon = ancestries
        .iter()
        .find(|c| c.len() > 1 && c.last().unwrap().image_owner_alias.is_some())
        .expect("a copy of Amazon's image");
    let served = client
        .get_image_ancestry()
        .image_id(&from_amazon[0].image_id)
        .send()
        .await
        .unwrap();
    let entries = served.image_ancestry_entries();
    assert_eq!(served_ancestry(entries), truth_ancestry(from_amazon));
    assert_eq!(entries.last().unwrap().image_owner_alias(), Some("amazon"));

    // An image that is not a copy is its own root.
    let alone = ancestries.iter().find(|c| c.len() == 1).unwrap();
    let served = client
        .get_image_ancestry()
        .image_id(&alone[0].image_id)
        .send()
        .await
        .unwrap();
    let entries = served.image_ancestry_entries();
    assert_eq!(served_ancestry(entries), truth_ancestry(alone));
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].image_id(), Some(alone[0].image_id.as_str()));
    assert!(entries[0].source_image_id().is_none() && entries[0].source_image_region().is_none());

    // B asks about A's images only as far as it may see them.
    let as_b = ec2(
        &handle,
        "us-east-1",
        assumed(&handle, B).await,
        RetryConfig::standard(),
    );
    let visible_to_b: BTreeSet<String> = fake
        .describe(
            B,
            "us-east-1",
            &DescribeRequest {
                owners: vec![A.into()],
                ..Default::default()
            },
        )
        .unwrap()
        .into_iter()
        .filter_map(|i| i.image_id)
        .collect();
    let seen = ancestries
        .iter()
        .find(|c| c.len() >= 2 && visible_to_b.contains(&c[0].image_id))
        .expect("a copy shared with B");
    let served = as_b
        .get_image_ancestry()
        .image_id(&seen[0].image_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        served_ancestry(served.image_ancestry_entries()),
        truth_ancestry(
            &fake
                .image_ancestry(B, "us-east-1", &seen[0].image_id)
                .unwrap()
        )
    );
    let hidden = ancestries
        .iter()
        .find(|c| !visible_to_b.contains(&c[0].image_id))
        .unwrap();
    let refused = as_b
        .get_image_ancestry()
        .image_id(&hidden[0].image_id)
        .send()
        .await;
    assert_eq!(
        error_code(refused).as_deref(),
        Some("InvalidAMIID.NotFound")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_ancestry_refuses_what_ec2_refuses() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::disabled());
    let owned = fake.image_usage(A, "us-east-1", None)[0].image_id.clone();
    let ask = |id: Option<&str>| {
        client
            .get_image_ancestry()
            .set_image_id(id.map(String::from))
            .send()
    };
    let (code, message) = failure(ask(Some("ami-nothex")).await);
    assert_eq!(code.as_deref(), Some("InvalidAMIID.Malformed"));
    assert!(message.unwrap().contains("ami-nothex"));
    assert_eq!(
        error_code(ask(Some("ami-0123456789abcdef0")).await).as_deref(),
        Some("InvalidAMIID.NotFound")
    );
    assert_eq!(
        fake.image_ancestry(A, "us-east-1", "ami-0123456789abcdef0")
            .unwrap_err()
            .code,
        "InvalidAMIID.NotFound"
    );
    // An image of us-east-1 does not exist in eu-west-1.
    let elsewhere = ec2(&handle, "eu-west-1", static_keys(), RetryConfig::disabled());
    let refused = elsewhere.get_image_ancestry().image_id(&owned).send().await;
    assert_eq!(
        error_code(refused).as_deref(),
        Some("InvalidAMIID.NotFound")
    );
    assert_eq!(
        error_code(ask(None).await).as_deref(),
        Some("MissingParameter")
    );
    assert_eq!(
        error_code(ask(Some("")).await).as_deref(),
        Some("MissingParameter")
    );
    let dry = client
        .get_image_ancestry()
        .image_id(&owned)
        .dry_run(true)
        .send()
        .await;
    assert_eq!(error_code(dry).as_deref(), Some("DryRunOperation"));
    let opted_out = ec2(
        &handle,
        "me-central-1",
        static_keys(),
        RetryConfig::disabled(),
    );
    let refused = opted_out.get_image_ancestry().image_id(&owned).send().await;
    assert_eq!(error_code(refused).as_deref(), Some("AuthFailure"));

    // UnauthorizedOperation for the switched account and action only.
    fake.set_faults(Faults {
        unauthorized: vec![(A.into(), "GetImageAncestry".into())],
        ..Faults::default()
    });
    let (code, message) = failure(ask(Some(&owned)).await);
    assert_eq!(code.as_deref(), Some("UnauthorizedOperation"));
    assert!(
        message
            .unwrap()
            .contains("is not authorized to perform: ec2:GetImageAncestry")
    );
    let as_b = ec2(
        &handle,
        "us-east-1",
        assumed(&handle, B).await,
        RetryConfig::disabled(),
    );
    let b_owned = fake.image_usage(B, "us-east-1", None)[0].image_id.clone();
    assert!(
        as_b.get_image_ancestry()
            .image_id(&b_owned)
            .send()
            .await
            .is_ok()
    );
    assert_eq!(fake.stats().unauthorized, 1);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_image_ancestry_are_retried_or_surface() {
    let (fake, handle) = start().await;
    let once = ec2(&handle, "us-east-1", static_keys(), RetryConfig::disabled());
    let ancestries = owned_ancestries(&fake);
    let chain = ancestries.iter().find(|c| c.len() >= 3).unwrap();
    let id = chain[0].image_id.clone();
    let cases: [(Faults, Option<&str>); 3] = [
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
    ];
    for (faults, code) in cases {
        fake.set_faults(faults);
        let answer = once.get_image_ancestry().image_id(&id).send().await;
        assert!(answer.is_err());
        assert_eq!(error_code(answer).as_deref(), code);
    }
    assert_eq!(fake.stats().resets, 1);
    fake.set_faults(Faults {
        garbled_rate: 1.0,
        ..Faults::default()
    });
    let cut = raw_call(&handle, &format!("Action=GetImageAncestry&ImageId={id}")).await;
    assert!(
        cut.contains("<imageAncestryEntrySet>") && !cut.contains("</GetImageAncestryResponse>"),
        "{cut}"
    );
    fake.set_faults(Faults {
        failing_regions: vec![FailingRegion {
            region: "us-east-1".into(),
            account: Some(A.into()),
        }],
        ..Faults::default()
    });
    assert!(
        once.get_image_ancestry()
            .image_id(&id)
            .send()
            .await
            .is_err()
    );

    // With the SDK's retries, throttling and server errors only slow the answers down.
    fake.set_faults(Faults {
        seed: 5,
        throttle_rate: 0.3,
        server_error_rate: 0.2,
        ..Faults::default()
    });
    let patient = ec2(
        &handle,
        "us-east-1",
        static_keys(),
        RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(std::time::Duration::from_millis(5)),
    );
    for chain in ancestries.iter().filter(|c| c.len() >= 2).take(12) {
        let served = patient
            .get_image_ancestry()
            .image_id(&chain[0].image_id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            served_ancestry(served.image_ancestry_entries()),
            truth_ancestry(chain)
        );
    }
    let stats = fake.stats();
    assert!(stats.throttled + stats.server_errors > 3, "{stats:?}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_changes_the_answers_consistently() {
    let (fake, handle) = start().await;
    let client = ec2(&handle, "us-east-1", static_keys(), RetryConfig::standard());
    let settings_before = (
        fake.allowed_images_settings(A, "us-east-1"),
        fake.image_block_public_access(A, "us-east-1"),
    );
    let mut settings_changed = false;
    let mut kept_metadata = false;
    for seed in 1..=6 {
        let owned_before: BTreeSet<String> = fake
            .image_usage(A, "us-east-1", None)
            .into_iter()
            .map(|u| u.image_id)
            .collect();
        let instances_before = fake.instance_image_metadata(A, "us-east-1");
        let bin_before: BTreeSet<String> = fake
            .recycle_bin(A, "us-east-1")
            .into_iter()
            .map(|i| i.image_id)
            .collect();
        fake.mutate(0.6, seed);
        let owned_after: BTreeSet<String> = fake
            .image_usage(A, "us-east-1", None)
            .into_iter()
            .map(|u| u.image_id)
            .collect();
        let deregistered: BTreeSet<&String> = owned_before.difference(&owned_after).collect();
        assert!(!deregistered.is_empty());

        // Deregistered images go to the Recycle Bin at the configured rate; the served
        // bin is the truth.
        let bin = fake.recycle_bin(A, "us-east-1");
        let entered = bin
            .iter()
            .filter(|i| deregistered.contains(&i.image_id))
            .count();
        assert!(
            entered > 0 && entered < deregistered.len(),
            "{entered} of {}",
            deregistered.len()
        );
        assert!(bin.iter().all(|i| !owned_after.contains(&i.image_id)));
        let mut pages = client.list_images_in_recycle_bin().into_paginator().send();
        let mut served_ids: Vec<String> = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.unwrap();
            served_ids.extend(
                page.images()
                    .iter()
                    .map(|i| i.image_id().unwrap().to_string()),
            );
        }
        assert_eq!(
            served_ids,
            bin.iter().map(|i| i.image_id.clone()).collect::<Vec<_>>()
        );
        assert!(bin_before.iter().any(|id| served_ids.contains(id)) || bin_before.is_empty());

        // Instances launched from a deregistered image keep what EC2 knew of it.
        let after = fake.instance_image_metadata(A, "us-east-1");
        for before in instances_before
            .iter()
            .filter(|m| deregistered.contains(&m.image.image_id))
        {
            let Some(now) = after.iter().find(|m| m.instance_id == before.instance_id) else {
                continue;
            };
            assert_eq!(now.image.state.as_deref(), Some("deregistered"));
            assert_eq!(now.image.image_id, before.image.image_id);
            assert_eq!(now.image.name, before.image.name);
            assert_eq!(now.image.creation_date, before.image.creation_date);
            kept_metadata = true;
        }
        let served = served_instances(&client).await;
        assert_eq!(served.len(), after.len());
        for (s, t) in served.iter().zip(&after) {
            assert_eq!(served_metadata(s), truth_metadata(t));
        }

        // Snapshots still cover every registered image's mappings, and page as the truth.
        let truth = fake.snapshots(A, "us-east-1");
        let listed: BTreeSet<String> = truth.iter().map(|s| s.snapshot_id.clone()).collect();
        for id in mapped_snapshots(&fake, A).keys() {
            assert!(listed.contains(id), "{id} is mapped but was deleted");
        }
        let served = served_snapshots(&client, 1000).await;
        assert_eq!(
            served.iter().map(served_snapshot).collect::<Vec<_>>(),
            truth.iter().map(truth_snapshot).collect::<Vec<_>>()
        );

        // References follow the estates.
        let referenced: Vec<String> = fake
            .image_usage(A, "us-east-1", None)
            .into_iter()
            .filter(|u| !u.references.is_empty())
            .map(|u| u.image_id)
            .take(10)
            .collect();
        let truth = fake
            .image_references(A, "us-east-1", &referenced, None)
            .unwrap();
        let served = served_references(
            client
                .describe_image_references()
                .set_image_ids(Some(referenced.clone()))
                .include_all_resource_types(true),
        )
        .await;
        assert_eq!(served, truth_references(&truth));

        let settings_now = (
            fake.allowed_images_settings(A, "us-east-1"),
            fake.image_block_public_access(A, "us-east-1"),
        );
        settings_changed |= settings_now != settings_before;
        let allowed = client.get_allowed_images_settings().send().await.unwrap();
        assert_eq!(
            allowed.state(),
            settings_now.0.as_ref().map(|s| s.state.as_str())
        );
    }
    assert!(kept_metadata, "no instance's image was deregistered");
    assert!(settings_changed, "the settings never changed");
    handle.shutdown().await;
}
