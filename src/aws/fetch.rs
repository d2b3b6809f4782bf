//! Paginates one partition's DescribeImages call sequence to its end, retrying
//! throttling, 5xx and connection faults with exponential backoff and full jitter.

use std::time::Duration;

use rand::RngExt;

use super::capture::CaptureBody;
use super::convert::image_from_sdk;
use super::error::{ApiFailure, FailureKind};
use super::images_xml;
use crate::plan::ScopeRequest;
use amiq_image::Image;

/// How pages are requested and retried.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub max_results: i32,
    /// Attempts per page, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles per attempt up to `max_backoff`, with full jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            max_results: 1000,
            max_attempts: 8,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
        }
    }
}

/// What fetching a partition took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    pub pages: u32,
    pub images: u64,
    /// Attempts beyond the first, over all pages.
    pub retries: u32,
    /// Of those, the ones the service throttled.
    pub throttles: u32,
}

/// A fetch that did not reach the end of the listing.
#[derive(Debug, thiserror::Error)]
pub enum FetchError<E> {
    #[error("{failure} (page {page}, after {attempts} attempt(s))")]
    Api {
        failure: ApiFailure,
        page: u32,
        attempts: u32,
    },
    #[error(
        "{operation} returned the same NextToken twice at page {page}; the listing cannot be completed"
    )]
    RepeatedToken { operation: &'static str, page: u32 },
    #[error(transparent)]
    Sink(E),
}

/// What sending one DescribeImages request gives: the SDK's output or error, and the
/// body amiq's reader takes instead of the SDK's.
type Sent = (
    Result<
        aws_sdk_ec2::operation::describe_images::DescribeImagesOutput,
        aws_sdk_ec2::error::SdkError<
            aws_sdk_ec2::operation::describe_images::DescribeImagesError,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    >,
    super::capture::Captured,
);

/// One request for the page after `token`, as a future that owns what it needs.
fn send(
    client: &aws_sdk_ec2::Client,
    scope: &ScopeRequest,
    max_results: i32,
    token: Option<String>,
) -> impl std::future::Future<Output = Sent> + Send + 'static {
    let (capture, captured) = CaptureBody::new();
    let request = client
        .describe_images()
        .set_owners((!scope.owners.is_empty()).then(|| scope.owners.clone()))
        .set_executable_users(
            (!scope.executable_users.is_empty()).then(|| scope.executable_users.clone()),
        )
        .include_deprecated(true)
        .include_disabled(true)
        .max_results(max_results)
        .set_next_token(token)
        .customize()
        .interceptor(capture);
    async move { (request.send().await, captured) }
}

/// The next page's first request, sent while this page is read. Dropped unused (the
/// page had to be retried, or the listing stopped), it is cancelled.
struct Prefetch {
    token: String,
    request: tokio::task::JoinHandle<Sent>,
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.request.abort();
    }
}

/// The NextToken of a response body, found without reading the images: EC2 puts the
/// element last. `None` when it is absent or needs unescaping; the full read decides.
fn peek_next_token(body: &[u8]) -> Option<String> {
    const OPEN: &[u8] = b"<nextToken>";
    const CLOSE: &[u8] = b"</nextToken>";
    let tail = &body[body.len().saturating_sub(16 * 1024)..];
    let start = tail.windows(OPEN.len()).rposition(|w| w == OPEN)? + OPEN.len();
    let len = tail[start..]
        .windows(CLOSE.len())
        .position(|w| w == CLOSE)?;
    let token = std::str::from_utf8(&tail[start..start + len]).ok()?;
    (!token.is_empty() && !token.contains(['&', '<'])).then(|| token.to_string())
}

/// Reads every page of `scope` and hands each to `on_page` in order. Stops at the
/// first page that fails after its retries, or when `on_page` fails.
///
/// Pages are pipelined: as soon as a page's body has arrived, the next page is asked
/// for, and this page is read and staged while that request is in flight. The next
/// page's answer is used only if the page read in full names the same NextToken.
pub async fn fetch_pages<E>(
    client: &aws_sdk_ec2::Client,
    scope: &ScopeRequest,
    settings: &FetchSettings,
    stats: &mut FetchStats,
    mut on_page: impl FnMut(Vec<Image>, &FetchStats) -> Result<(), E>,
) -> Result<(), FetchError<E>> {
    let mut token: Option<String> = None;
    let mut prefetch: Option<Prefetch> = None;
    loop {
        let page = stats.pages + 1;
        let mut attempt = 0u32;
        let (images, next_token) = loop {
            attempt += 1;
            let ahead = prefetch
                .take()
                .filter(|p| attempt == 1 && token.as_deref() == Some(p.token.as_str()));
            let (sent, captured) = match ahead {
                Some(mut ahead) => match (&mut ahead.request).await {
                    Ok(sent) => sent,
                    // The task was cancelled or panicked: ask again.
                    Err(_) => send(client, scope, settings.max_results, token.clone()).await,
                },
                None => send(client, scope, settings.max_results, token.clone()).await,
            };
            let read = match sent {
                Ok(output) => match captured.take() {
                    Some(body) => {
                        prefetch = peek_next_token(&body)
                            .filter(|next| token.as_deref() != Some(next.as_str()))
                            .map(|next| Prefetch {
                                request: tokio::spawn(send(
                                    client,
                                    scope,
                                    settings.max_results,
                                    Some(next.clone()),
                                )),
                                token: next,
                            });
                        images_xml::parse(&body)
                            .map(|page| (page.images, page.next_token))
                            .map_err(|message| ApiFailure {
                                kind: FailureKind::Transient,
                                code: None,
                                message: format!("ec2:DescribeImages: {message}"),
                            })
                    }
                    // The body was not diverted: the SDK read it.
                    None => Ok((
                        output
                            .images
                            .unwrap_or_default()
                            .into_iter()
                            .map(image_from_sdk)
                            .collect(),
                        output.next_token,
                    )),
                },
                Err(err) => Err(ApiFailure::from_sdk("ec2:DescribeImages", &err)),
            };
            match read {
                Ok(page) => break page,
                Err(failure) => {
                    if failure.kind == FailureKind::Permanent || attempt >= settings.max_attempts {
                        return Err(FetchError::Api {
                            failure,
                            page,
                            attempts: attempt,
                        });
                    }
                    stats.retries += 1;
                    if failure.kind == FailureKind::Throttled {
                        stats.throttles += 1;
                    }
                    tracing::debug!(page, attempt, error = %failure, "retrying page");
                    tokio::time::sleep(backoff(settings, attempt)).await;
                }
            }
        };
        let images: Vec<Image> = images;
        stats.pages = page;
        stats.images += images.len() as u64;
        on_page(images, stats).map_err(FetchError::Sink)?;
        match next_token {
            Some(next) if !next.is_empty() => {
                if token.as_deref() == Some(next.as_str()) {
                    return Err(FetchError::RepeatedToken {
                        operation: "ec2:DescribeImages",
                        page,
                    });
                }
                token = Some(next);
            }
            _ => return Ok(()),
        }
    }
}

/// Full jitter: a uniform wait between zero and the capped exponential step.
pub(super) fn backoff(settings: &FetchSettings, attempt: u32) -> Duration {
    let step = settings
        .base_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(settings.max_backoff);
    let millis = step.as_millis().max(1) as u64;
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_token_is_found_at_the_end_of_the_body() {
        let body = b"<DescribeImagesResponse><imagesSet><item><name>&lt;nextToken&gt;</name></item></imagesSet><nextToken>abc/123=</nextToken></DescribeImagesResponse>";
        assert_eq!(peek_next_token(body).as_deref(), Some("abc/123="));
        let last = b"<DescribeImagesResponse><imagesSet/></DescribeImagesResponse>";
        assert_eq!(peek_next_token(last), None);
        let escaped = b"<r><nextToken>a&amp;b</nextToken></r>";
        assert_eq!(peek_next_token(escaped), None, "left to the full read");
        let empty = b"<r><nextToken></nextToken></r>";
        assert_eq!(peek_next_token(empty), None);
        let cut = b"<r><nextToken>abc";
        assert_eq!(peek_next_token(cut), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let s = FetchSettings {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Default::default()
        };
        for attempt in 1..30 {
            let cap = Duration::from_millis(100 * (1u64 << (attempt - 1).min(16)))
                .min(Duration::from_secs(1));
            for _ in 0..20 {
                assert!(backoff(&s, attempt) <= cap);
            }
        }
    }
}
