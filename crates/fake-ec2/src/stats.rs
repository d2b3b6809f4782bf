//! Counters of what the endpoint did, for tests and benchmarks to assert on.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the endpoint's counters since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// HTTP requests of any action.
    pub requests: u64,
    pub describe_images_requests: u64,
    /// Requests of the other calls that go through the fault path (DescribeSnapshots,
    /// DescribeImageReferences, DescribeInstanceImageMetadata, ListImagesInRecycleBin,
    /// GetAllowedImagesSettings, GetImageBlockPublicAccessState, GetImageAncestry,
    /// DescribeImageAttribute, CreateImageUsageReport, DescribeImageUsageReports,
    /// DescribeImageUsageReportEntries).
    pub resource_requests: u64,
    /// Answered 403 `UnauthorizedOperation`.
    pub unauthorized: u64,
    /// DescribeImages responses sent in full (not faulted, not errors).
    pub pages: u64,
    /// Images in those pages.
    pub images_served: u64,
    /// Answered 503 `RequestLimitExceeded` (injected or a failing region), any call.
    pub throttled: u64,
    /// Answered 500 `InternalError` (injected or a failing region).
    pub server_errors: u64,
    /// Connections cut mid-body.
    pub resets: u64,
    /// Pages sent with a NextToken the endpoint refuses.
    pub bad_tokens: u64,
    /// Pages sent damaged (see `Faults::garbled_rate`).
    pub garbled: u64,
    /// STS AssumeRole calls answered with a session.
    pub sessions: u64,
    /// Requests refused because their session had expired.
    pub expired: u64,
}

/// The live counters behind [`FakeStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub describe_images_requests: AtomicU64,
    pub resource_requests: AtomicU64,
    pub unauthorized: AtomicU64,
    pub pages: AtomicU64,
    pub images_served: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub resets: AtomicU64,
    pub bad_tokens: AtomicU64,
    pub garbled: AtomicU64,
    pub sessions: AtomicU64,
    pub expired: AtomicU64,
}

impl Counters {
    /// Adds one and returns the previous value.
    pub(crate) fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> FakeStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        FakeStats {
            requests: get(&self.requests),
            describe_images_requests: get(&self.describe_images_requests),
            resource_requests: get(&self.resource_requests),
            unauthorized: get(&self.unauthorized),
            pages: get(&self.pages),
            images_served: get(&self.images_served),
            throttled: get(&self.throttled),
            server_errors: get(&self.server_errors),
            resets: get(&self.resets),
            bad_tokens: get(&self.bad_tokens),
            garbled: get(&self.garbled),
            sessions: get(&self.sessions),
            expired: get(&self.expired),
        }
    }
}
