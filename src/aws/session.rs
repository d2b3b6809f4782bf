//! One account's credentials and clients: a role assumed through STS, a named profile,
//! or the default credential chain, all pointed at one optional endpoint.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

use super::error::ApiFailure;
use crate::config::{AccountConfig, StaticCredentials};

/// Client settings shared by every account.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Applies to EC2 and STS alike.
    pub endpoint_url: Option<String>,
    /// The region for STS and DescribeRegions.
    pub home_region: String,
    /// How long one page request may take.
    pub attempt_timeout: Duration,
    /// Base credentials that replace the default chain (the demo and tests use these
    /// so that nothing reads the machine's AWS setup).
    pub base_credentials: Option<StaticCredentials>,
    /// The configurations loaded so far, before any role: one per profile.
    pub bases: BaseConfigs,
}

/// The base configurations of a run's accounts, one per profile (`None`: the default
/// chain), loaded once: a thousand accounts that assume roles from the same base
/// credentials share one instead of loading a thousand (about 250 KB each).
#[derive(Clone, Default)]
pub struct BaseConfigs(
    std::sync::Arc<tokio::sync::Mutex<std::collections::HashMap<Option<String>, SdkConfig>>>,
);

impl std::fmt::Debug for BaseConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BaseConfigs")
    }
}

/// One HTTP client for every account and every client made from its config: one
/// connection pool and one TLS setup a process. Without it each SDK client builds its
/// own, and a run of a thousand accounts reached 730 to 816 MB in its first minute
/// (docs/decisions/0011-many-partitions.md).
fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    static CLIENT: std::sync::OnceLock<aws_smithy_runtime_api::client::http::SharedHttpClient> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
                .build_https()
        })
        .clone()
}

/// The configuration of `profile` (or the default chain), before any role.
async fn load_base(profile: Option<&str>, settings: &ClientSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.home_region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(settings.attempt_timeout)
                .build(),
        );
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader = loader.http_client(shared_http_client());
    if let Some(c) = &settings.base_credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            None,
            None,
            "amiq-static",
        ));
    }
    loader.load().await
}

/// An account whose credentials work, with its id.
#[derive(Clone)]
pub struct AccountSession {
    /// The account the credentials act as, from STS GetCallerIdentity.
    pub account_id: String,
    config: SdkConfig,
    attempt_timeout: Duration,
}

impl std::fmt::Debug for AccountSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSession")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl AccountSession {
    /// Resolves the account's credentials and proves them with GetCallerIdentity.
    pub async fn connect(
        account: &AccountConfig,
        settings: &ClientSettings,
    ) -> Result<AccountSession, ApiFailure> {
        let mut config = {
            let mut bases = settings.bases.0.lock().await;
            match bases.get(&account.profile) {
                Some(base) => base.clone(),
                None => {
                    let base = load_base(account.profile.as_deref(), settings).await;
                    bases.insert(account.profile.clone(), base.clone());
                    base
                }
            }
        };
        if let Some(role_arn) = &account.role_arn {
            let mut role = AssumeRoleProvider::builder(role_arn.clone()).session_name("amiq");
            if let Some(external_id) = &account.external_id {
                role = role.external_id(external_id.clone());
            }
            let provider = role.configure(&config).build().await;
            config = config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        // Each account caches its own credentials: the SDK's cache, which the base
        // configuration would share, keeps 64 providers, and past that would drop
        // accounts' sessions and assume their roles again.
        config = config
            .into_builder()
            .identity_cache(aws_config::identity::IdentityCache::lazy().build())
            .build();
        let sts = aws_sdk_sts::Client::new(&config);
        let identity = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk("sts:GetCallerIdentity", &e))?;
        let account_id = identity.account.ok_or_else(|| ApiFailure {
            kind: super::FailureKind::Permanent,
            code: None,
            message: "sts:GetCallerIdentity answered without an account id".into(),
        })?;
        Ok(AccountSession {
            account_id,
            config,
            attempt_timeout: settings.attempt_timeout,
        })
    }

    /// An EC2 client for `region`. The SDK's own retries are off: the fetch loop
    /// retries pages itself, so it can count retries and throttles per partition.
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let conf = aws_sdk_ec2::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(self.attempt_timeout)
                    .build(),
            )
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// An Organizations client. Organizations answers in us-east-1 whatever the
    /// account's regions; throttling is retried by the SDK (ten attempts), as discovery
    /// counts no retries of its own.
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        let conf = aws_sdk_organizations::config::Builder::from(&self.config)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::standard().with_max_attempts(10))
            .build();
        aws_sdk_organizations::Client::from_conf(conf)
    }

    /// Every region the account knows, with whether it is enabled for the account.
    pub async fn regions(&self) -> Result<Vec<(String, bool)>, ApiFailure> {
        let home = self
            .config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        let client = aws_sdk_ec2::Client::new(
            &self
                .config
                .clone()
                .into_builder()
                .region(Region::new(home))
                .build(),
        );
        let out = client
            .describe_regions()
            .all_regions(true)
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk("ec2:DescribeRegions", &e))?;
        Ok(out
            .regions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| {
                let enabled = !matches!(r.opt_in_status.as_deref(), Some("not-opted-in"));
                r.region_name.map(|name| (name, enabled))
            })
            .collect())
    }
}
