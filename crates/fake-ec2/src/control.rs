//! Control actions for processes that cannot call `FakeEc2` directly (benchmarks in
//! Python, external tests): `AmiqMutate`, `AmiqStats`, `AmiqSetFaults`. They need no
//! credentials and answer small XML documents in the EC2 namespace.

use std::fmt::Write;
use std::time::Duration;

use super::FakeEc2;
use super::config::{FailingRegion, Faults};
use super::request::{ApiError, Params};
use super::xml::{DECLARATION, EC2_NAMESPACE};

/// `Action=AmiqMutate&Churn=0.01&Seed=7`.
pub(crate) fn mutate(fake: &FakeEc2, params: &Params) -> Result<String, ApiError> {
    let churn: f64 = number(params, "Churn", 0.01)?;
    let seed: u64 = number(params, "Seed", 0)?;
    let summary = fake.mutate(churn, seed);
    Ok(document(
        "AmiqMutateResponse",
        &[
            ("added", summary.added as u64),
            ("deregistered", summary.deregistered as u64),
            ("modified", summary.modified as u64),
            ("images", fake.image_count() as u64),
        ],
    ))
}

/// `Action=AmiqStats`.
pub(crate) fn stats(fake: &FakeEc2) -> String {
    let s = fake.stats();
    document(
        "AmiqStatsResponse",
        &[
            ("requests", s.requests),
            ("describeImagesRequests", s.describe_images_requests),
            ("resourceRequests", s.resource_requests),
            ("unauthorized", s.unauthorized),
            ("pages", s.pages),
            ("imagesServed", s.images_served),
            ("throttled", s.throttled),
            ("serverErrors", s.server_errors),
            ("resets", s.resets),
            ("badTokens", s.bad_tokens),
            ("garbled", s.garbled),
            ("images", fake.image_count() as u64),
        ],
    )
}

/// `Action=AmiqSetFaults&ThrottleRate=0.1&ServerErrorRate=0&ResetRate=0&BadTokenRate=0&GarbledRate=0&PageLatencyMs=5
/// &Seed=1&FailingRegion.1=eu-west-1&FailingRegion.2=us-east-1/222222222222
/// &Unauthorized.1=222222222222/DescribeSnapshots&SessionSeconds=30`: replaces every fault (absent
/// parameters mean none). `Unauthorized.N` is `<account id>/<Action>`.
pub(crate) fn set_faults(fake: &FakeEc2, params: &Params) -> Result<String, ApiError> {
    let faults = Faults {
        seed: number(params, "Seed", 0)?,
        throttle_rate: number(params, "ThrottleRate", 0.0)?,
        server_error_rate: number(params, "ServerErrorRate", 0.0)?,
        reset_rate: number(params, "ResetRate", 0.0)?,
        bad_token_rate: number(params, "BadTokenRate", 0.0)?,
        garbled_rate: number(params, "GarbledRate", 0.0)?,
        page_latency: Duration::from_millis(number(params, "PageLatencyMs", 0)?),
        session_lifetime: match number(params, "SessionSeconds", 0)? {
            0 => None,
            seconds => Some(Duration::from_secs(seconds)),
        },
        failing_regions: params
            .list("FailingRegion")
            .into_iter()
            .map(|spec| match spec.split_once('/') {
                Some((region, account)) => FailingRegion {
                    region: region.to_string(),
                    account: Some(account.to_string()),
                },
                None => FailingRegion {
                    region: spec,
                    account: None,
                },
            })
            .collect(),
        unauthorized: params
            .list("Unauthorized")
            .into_iter()
            .map(|spec| match spec.split_once('/') {
                Some((account, action)) if !account.is_empty() && !action.is_empty() => {
                    Ok((account.to_string(), action.to_string()))
                }
                _ => Err(ApiError::invalid_value(format!(
                    "Invalid value '{spec}' for Unauthorized; expected <account id>/<Action>, \
                     such as 222222222222/DescribeSnapshots"
                ))),
            })
            .collect::<Result<_, _>>()?,
    };
    fake.set_faults(faults);
    Ok(document("AmiqSetFaultsResponse", &[]))
}

fn number<T: std::str::FromStr>(params: &Params, key: &str, default: T) -> Result<T, ApiError> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            ApiError::invalid_value(format!("Invalid value '{v}' for {key}; expected a number"))
        }),
    }
}

fn document(root: &str, fields: &[(&str, u64)]) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<{root} xmlns="{EC2_NAMESPACE}">"#);
    for (name, value) in fields {
        let _ = write!(out, "<{name}>{value}</{name}>");
    }
    let _ = write!(out, "</{root}>");
    out
}
