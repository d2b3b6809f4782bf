//! Clients of the served fake, as the SDK tests make them.

use amiq_fake_ec2::FakeHandle;
use aws_credential_types::Credentials;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::config::{BehaviorVersion, Region};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

/// Keys the fake maps to its first account.
pub fn static_keys() -> Credentials {
    Credentials::new("AKIDSTATICTEST", "secret", None, None, "test")
}

pub fn ec2(
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

pub fn sts(handle: &FakeHandle, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .endpoint_url(handle.url())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// Credentials for `account`, through AssumeRole as a sync gets them.
pub async fn assumed(handle: &FakeHandle, account: &str) -> Credentials {
    let out = sts(handle, static_keys())
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/amiq-cleanup"))
        .role_session_name("cleanup-test")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "assumed",
    )
}

/// The error code and message of any failed call, as a client reads them.
pub fn failure<T, E: ProvideErrorMetadata, R>(
    result: Result<T, SdkError<E, R>>,
) -> (Option<String>, Option<String>) {
    match result {
        Ok(_) => (None, None),
        Err(error) => (
            error.code().map(String::from),
            error.message().map(String::from),
        ),
    }
}

pub fn error_code<T, E: ProvideErrorMetadata, R>(
    result: Result<T, SdkError<E, R>>,
) -> Option<String> {
    failure(result).0
}
