//! SDK errors reduced to what a person can act on: one line, no SDK internals, no
//! secrets, and whether trying again may help.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Why a call failed, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The service asked us to slow down (`RequestLimitExceeded` and kin).
    Throttled,
    /// A 5xx, a timeout or a broken connection: worth another attempt.
    Transient,
    /// The request or the credentials are wrong: another attempt gives the same answer.
    Permanent,
}

/// A failed AWS call, described in one line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiFailure {
    pub kind: FailureKind,
    /// The API's error code, when the service answered with one.
    pub code: Option<String>,
    pub message: String,
}

const THROTTLING_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
];

const TRANSIENT_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

impl ApiFailure {
    /// Describes an SDK error of `operation` in one line.
    pub fn from_sdk<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> ApiFailure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ServiceError(ctx) => {
                let status = ctx.raw().status().as_u16();
                let e = ctx.err();
                let code = e.code().map(str::to_string);
                let kind = match code.as_deref() {
                    Some(c) if THROTTLING_CODES.contains(&c) => FailureKind::Throttled,
                    Some(c) if TRANSIENT_CODES.contains(&c) => FailureKind::Transient,
                    _ if status == 429 => FailureKind::Throttled,
                    _ if status >= 500 => FailureKind::Transient,
                    _ => FailureKind::Permanent,
                };
                let message = format!(
                    "{operation}: {} (HTTP {status}): {}",
                    code.as_deref().unwrap_or("error"),
                    e.message().unwrap_or("no message")
                );
                ApiFailure {
                    kind,
                    code,
                    message,
                }
            }
            SdkError::TimeoutError(_) => ApiFailure {
                kind: FailureKind::Transient,
                code: None,
                message: format!("{operation}: no answer within the timeout"),
            },
            SdkError::DispatchFailure(d) => {
                let detail = root_cause(err);
                let (kind, what) = if d.is_timeout() {
                    (FailureKind::Transient, "timed out")
                } else if d.is_io() {
                    (FailureKind::Transient, "connection failed")
                } else if d.is_user() {
                    (FailureKind::Permanent, "request could not be sent")
                } else {
                    // Credential resolution failures land here; so do refused connections.
                    (FailureKind::Transient, "request was not sent")
                };
                ApiFailure {
                    kind,
                    code: None,
                    message: format!("{operation}: {what}: {detail}"),
                }
            }
            SdkError::ResponseError(_) => ApiFailure {
                kind: FailureKind::Transient,
                code: None,
                message: format!(
                    "{operation}: the response could not be read: {}",
                    root_cause(err)
                ),
            },
            SdkError::ConstructionFailure(_) => ApiFailure {
                kind: FailureKind::Permanent,
                code: None,
                message: format!(
                    "{operation}: the request could not be built: {}",
                    root_cause(err)
                ),
            },
            _ => ApiFailure {
                kind: FailureKind::Permanent,
                code: None,
                message: format!("{operation}: {}", root_cause(err)),
            },
        }
    }
}

/// The innermost error's text: the part of a long SDK error chain a person needs.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() {
            last = text;
        }
        current = e.source();
    }
    last.lines().next().unwrap_or_default().to_string()
}
