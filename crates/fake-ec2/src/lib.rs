//! A fake EC2 endpoint (with the bits of STS a multi-account sync needs), for tests,
//! `amiq demo` and benchmarks at a million images.
//!
//! The fake answers the EC2 Query protocol over HTTP/1.1 as the real SDKs speak it:
//! DescribeImages (with EC2's visibility, deprecation, pagination and filter rules),
//! DescribeRegions, STS AssumeRole and GetCallerIdentity, plus three control actions for
//! other processes (`AmiqMutate`, `AmiqStats` and `AmiqSetFaults`). It also tells the
//! truth: [`FakeEc2::describe`] returns what DescribeImages would, so tests compare a
//! sync against it.
//!
//! Code map:
//! - `config`: what world to fake; `catalog`: its compact state and mutations;
//!   `families` + `generate`: rendering an image from (seed, owner, region, index,
//!   revision); `ids`, `dice`, `timestamp`: the deterministic pieces they use.
//! - `describe_images`: the semantics; `filter`: filter matching; `token`: NextToken.
//! - `server`: HTTP, dispatch and injected faults; `caller`: identity from SigV4
//!   headers; `sts`, `regions`, `control`: the other actions; `xml`: the wire format.
//!
//! Architecture invariants: no image is stored, only a 12-byte entry per image (and, per
//! Amazon catalog, which images its public SSM parameters resolve to); every rendered
//! value is a pure function of seeds and the catalog; nothing here knows the SDK or
//! DuckDB, and it uses no amiq crate but `amiq-image` (the shape as plain data): the fake
//! is a second opinion on EC2, with its own filter names, id rules and messages.

mod caller;
mod catalog;
mod config;
mod control;
mod describe_images;
mod dice;
mod families;
mod filter;
mod generate;
mod ids;
mod regions;
mod request;
mod server;
mod stats;
mod sts;
mod timestamp;
mod token;
mod xml;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

pub use catalog::MutationSummary;
pub use config::{
    AMAZON_OWNER_ID, FailingRegion, FakeConfig, FakeRegion, Faults, MARKETPLACE_OWNER_ID,
};
pub use describe_images::MAX_RESULTS_RANGE;
pub use filter::{Filter, QUESTION_MARK, QuestionMark};
pub use request::{ApiError, DescribeRequest};
pub use server::FakeHandle;
pub use stats::FakeStats;

use amiq_image::Image;
use caller::Caller;
use catalog::World;
use stats::Counters;

/// The fake endpoint's state, shared by the HTTP server and the test code that
/// mutates it and asks it for the truth.
#[derive(Debug)]
pub struct FakeEc2 {
    world: RwLock<World>,
    faults: Mutex<Faults>,
    counters: Counters,
}

impl FakeEc2 {
    /// Generates the catalogs of `config` (about 12 bytes per image).
    pub fn new(config: FakeConfig) -> Arc<FakeEc2> {
        Arc::new(FakeEc2 {
            world: RwLock::new(World::new(&config)),
            faults: Mutex::new(config.faults),
            counters: Counters::default(),
        })
    }

    /// Binds `addr` (use `127.0.0.1:0` for a free port) and spawns the server on the
    /// current tokio runtime.
    pub async fn serve(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<FakeHandle> {
        server::serve(Arc::clone(self), addr).await
    }

    /// Mutates every catalog: about `churn / 3` of its images modified (description,
    /// tags, deprecation time, state…), `churn / 3` deregistered, `churn / 3` added.
    /// Deterministic for a seed and the same prior state.
    pub fn mutate(&self, churn: f64, seed: u64) -> MutationSummary {
        self.world
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .mutate(churn, seed)
    }

    /// Replaces the injected faults; requests already running keep the old ones.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// The truth: what DescribeImages returns to `caller` (an account id) in `region`
    /// for `request`, all pages concatenated in page order, starting at the request's
    /// NextToken if it has one.
    pub fn describe(
        &self,
        caller: &str,
        region: &str,
        request: &DescribeRequest,
    ) -> Result<Vec<Image>, ApiError> {
        let world = self.world();
        let caller = Caller::new(&world, caller);
        let mut request = request.clone();
        let mut images = Vec::new();
        loop {
            let page = describe_images::page(&world, &caller, region, &request)?;
            images.extend(page.images);
            match page.next_token {
                Some(token) => request.next_token = Some(token),
                None => return Ok(images),
            }
        }
    }

    pub fn stats(&self) -> FakeStats {
        self.counters.snapshot()
    }

    /// Images in enabled regions, over all owners.
    pub fn image_count(&self) -> usize {
        self.world().image_count()
    }

    fn world(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
