//! `s3://bucket/prefix` destinations: the export is written to a local staging
//! directory as for a directory target, then each finished file is uploaded with the
//! `object_store` crate. An S3 object appears whole when its upload completes (a
//! multipart upload only when it is completed), so a reader never sees half a file.
//!
//! Credentials come from the standard AWS chain (environment, profiles, SSO, web
//! identity, container and instance roles), which `aws::DefaultChain` reads; the
//! endpoint from `--endpoint-url`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::RetryConfig;
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsCredential};
use object_store::path::Path as ObjectPath;
use object_store::{CredentialProvider, ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use crate::aws::DefaultChain;

/// A bucket and a key prefix (no leading or trailing slash; may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    /// `s3://bucket[/prefix]`; None when `url` is not an `s3://` URL.
    pub fn parse(url: &str) -> Option<Result<S3Location, String>> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid_bucket {
            return Some(Err(format!(
                "{url}: not an S3 location; write s3://<bucket>/<prefix>, the bucket 3 to 63 lowercase letters, digits, dots or hyphens"
            )));
        }
        let prefix = prefix.trim_matches('/').to_string();
        Some(Ok(S3Location {
            bucket: bucket.to_string(),
            prefix,
        }))
    }

    /// The key of `relative` (slash-separated) under `prefix/what/`.
    fn key(&self, what: &str, relative: &str) -> String {
        [self.prefix.as_str(), what, relative]
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// A finished local file and its path relative to the export's root.
pub struct Staged {
    pub file: PathBuf,
    pub relative: String,
}

/// Uploads `files` under `location/what/`, each to a key not yet taken (an existing
/// key gets a numbered suffix, as in a directory). Returns the `s3://` URLs written,
/// in the order of `files`.
pub fn upload(
    location: &S3Location,
    endpoint_url: Option<&str>,
    what: &str,
    files: &[Staged],
) -> Result<Vec<String>, String> {
    // Runs on a thread of its own, with a runtime of its own, so that a caller
    // inside an async runtime (the daemon) can call it too.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the upload: {e}"))?;
                runtime.block_on(upload_all(location, endpoint_url, what, files))
            })
            .join()
            .unwrap_or_else(|_| Err("the upload stopped unexpectedly".to_string()))
    })
}

async fn upload_all(
    location: &S3Location,
    endpoint_url: Option<&str>,
    what: &str,
    files: &[Staged],
) -> Result<Vec<String>, String> {
    let store: Arc<dyn ObjectStore> = Arc::new(connect(location, endpoint_url).await?);
    let mut written = Vec::with_capacity(files.len());
    for staged in files {
        let key = free_key(&store, &location.key(what, &staged.relative)).await?;
        let url = format!("s3://{}/{key}", location.bucket);
        let mut source = tokio::fs::File::open(&staged.file)
            .await
            .map_err(|e| format!("cannot read {}: {e}", staged.file.display()))?;
        // Small files in one PUT, large ones as a multipart upload completed at the
        // end; a failed upload is aborted and leaves no object.
        let mut sink = object_store::buffered::BufWriter::new(store.clone(), key.into());
        let copied = tokio::io::copy(&mut source, &mut sink).await;
        let finished = match copied {
            Ok(_) => sink.shutdown().await,
            Err(e) => Err(e),
        };
        if let Err(e) = finished {
            let _ = sink.abort().await;
            return Err(format!("cannot upload {url}: {e}"));
        }
        written.push(url);
    }
    Ok(written)
}

/// `key`, or `key` with a numbered suffix before its extension when it exists.
async fn free_key(store: &Arc<dyn ObjectStore>, key: &str) -> Result<String, String> {
    let (stem, ext) = match key.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') => (stem.to_string(), format!(".{ext}")),
        _ => (key.to_string(), String::new()),
    };
    for n in 0.. {
        let candidate = if n == 0 {
            key.to_string()
        } else {
            format!("{stem}.{n}{ext}")
        };
        match store.head(&ObjectPath::from(candidate.as_str())).await {
            Err(object_store::Error::NotFound { .. }) => return Ok(candidate),
            Ok(_) => continue,
            Err(e) => return Err(format!("cannot check {candidate}: {e}")),
        }
    }
    unreachable!("some suffix is free")
}

async fn connect(location: &S3Location, endpoint_url: Option<&str>) -> Result<AmazonS3, String> {
    let chain = DefaultChain::load().await?;
    let region = chain
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".to_string());
    let endpoint = endpoint_url
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
        .or_else(|| chain.endpoint_url.clone());
    // A few quick retries: an export that cannot reach S3 says so within seconds.
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(60),
        ..RetryConfig::default()
    };
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&location.bucket)
        .with_region(region)
        .with_credentials(Arc::new(ChainCredentials(chain)))
        .with_retry(retry);
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    builder
        .build()
        .map_err(|e| format!("cannot use {location}: {e}"))
}

/// The standard chain's credentials, for object_store's signer.
#[derive(Debug)]
struct ChainCredentials(DefaultChain);

#[async_trait::async_trait]
impl CredentialProvider for ChainCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let c = self
            .0
            .credentials()
            .await
            .map_err(|message| object_store::Error::Generic {
                store: "S3",
                source: message.into(),
            })?;
        Ok(Arc::new(AwsCredential {
            key_id: c.access_key_id,
            secret_key: c.secret_access_key,
            token: c.session_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buckets_and_prefixes() {
        assert_eq!(S3Location::parse("/tmp/x"), None);
        let l = S3Location::parse("s3://lake/amiq/exports/")
            .unwrap()
            .unwrap();
        assert_eq!(l.bucket, "lake");
        assert_eq!(l.prefix, "amiq/exports");
        assert_eq!(
            l.key("current", "region=a/x.parquet"),
            "amiq/exports/current/region=a/x.parquet"
        );
        let bare = S3Location::parse("s3://lake").unwrap().unwrap();
        assert_eq!(bare.key("runs", "x.parquet"), "runs/x.parquet");
        assert_eq!(bare.to_string(), "s3://lake");
        for bad in ["s3://", "s3://A_B/x", "s3://ab"] {
            let e = S3Location::parse(bad).unwrap().unwrap_err();
            assert!(e.contains(bad) && e.contains("s3://<bucket>"), "{e}");
        }
    }
}
