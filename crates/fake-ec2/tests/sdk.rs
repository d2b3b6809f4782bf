//! The fake EC2 endpoint as the real SDKs see it: requests serialised by `aws-sdk-ec2` and
//! `aws-sdk-sts`, responses parsed by them, and the answers equal to the fake's truth.

use std::collections::BTreeMap;
use std::sync::Arc;

use amiq_fake_ec2::{
    DescribeRequest, FailingRegion, FakeConfig, FakeEc2, FakeHandle, FakeRegion, Faults,
};
use aws_credential_types::Credentials;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::config::{BehaviorVersion, Region};
use aws_sdk_ec2::error::SdkError;
use aws_sdk_ec2::operation::describe_images::DescribeImagesError;
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::{Filter, ImageTypeValues, PlatformValues};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn config() -> FakeConfig {
    let region = |name: &str, enabled| FakeRegion {
        name: name.into(),
        enabled,
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

fn static_keys() -> Credentials {
    Credentials::new("AKIDSTATICTEST", "secret", None, None, "test")
}

fn ec2(
    handle: &FakeHandle,
    region: &str,
    credentials: Credentials,
    retry: RetryConfig,
) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(handle.url())
        .region(Region::new(region.to_string()))
        .credentials_provider(credentials)
        .retry_config(retry)
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

fn sts(handle: &FakeHandle, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .endpoint_url(handle.url())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .build();
    aws_sdk_sts::Client::from_conf(config)
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
