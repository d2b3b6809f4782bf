//! The standard AWS chain (environment, profiles, SSO, web identity, container and
//! instance roles), read through aws-config, for the clients that are not the SDK's:
//! the S3 export's (`object_store`) signs with what this hands it.

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

/// The machine's AWS setup: a credentials provider, and the region and endpoint it
/// names, if any.
#[derive(Debug)]
pub struct DefaultChain {
    credentials: SharedCredentialsProvider,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// One set of credentials. Its Debug output never shows the secret or the token.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl DefaultChain {
    /// Reads the setup, or says that there is no credentials provider at all.
    pub async fn load() -> Result<DefaultChain, String> {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let credentials = sdk.credentials_provider().ok_or_else(|| {
            "no AWS credentials provider: set AWS credentials (environment, profile, SSO or role)"
                .to_string()
        })?;
        Ok(DefaultChain {
            credentials,
            region: sdk.region().map(|r| r.to_string()),
            endpoint_url: sdk.endpoint_url().map(str::to_string),
        })
    }

    /// The chain's current credentials (refreshed by the provider as they expire).
    pub async fn credentials(&self) -> Result<Credentials, String> {
        let c = self.credentials.provide_credentials().await.map_err(|e| {
            format!(
                "no AWS credentials in the standard chain (environment, AWS_PROFILE, SSO, web identity, container or instance role): {e}"
            )
        })?;
        Ok(Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().map(str::to_string),
        })
    }
}
