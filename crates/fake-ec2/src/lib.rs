//! A fake EC2 endpoint (with the bits of STS a multi-account sync needs), for tests,
//! `amiq demo` and benchmarks at a million images.
//!
//! The fake answers the EC2 Query protocol over HTTP/1.1 as the real SDKs speak it:
//! DescribeImages (with EC2's visibility, deprecation, pagination and filter rules),
//! GetImageAncestry, DescribeRegions, the calls about what references an account's images
//! (DescribeImageReferences, DescribeInstanceImageMetadata, DescribeSnapshots,
//! ListImagesInRecycleBin, GetAllowedImagesSettings, GetImageBlockPublicAccessState),
//! STS AssumeRole and GetCallerIdentity, plus three control actions for other
//! processes (`AmiqMutate`, `AmiqStats` and `AmiqSetFaults`). It also tells the truth:
//! [`FakeEc2::describe`] returns what DescribeImages would, [`FakeEc2::image_ancestry`]
//! what GetImageAncestry would, [`FakeEc2::snapshots`],
//! [`FakeEc2::image_references`] and the like what the other calls would, so tests
//! compare a sync or a cleanup against it.
//!
//! Code map:
//! - `config`: what world to fake; `catalog`: its compact state and mutations;
//!   `families` + `generate`: rendering an image from (seed, owner, region, index,
//!   revision); `ids`, `dice`, `timestamp`: the deterministic pieces they use.
//! - `describe_images`: the semantics; `filter`: filter matching; `token`: NextToken;
//!   `ancestry`: GetImageAncestry, an image's chain of copies (`generate` draws which
//!   image a copy came from).
//! - `estate`: what an account has in a region besides images, generated and mutated:
//!   `instances`, `launch_templates`, `parameters`, `recipes`, `snapshots`,
//!   `recycle_bin`, `settings`, each with its call (`references` is
//!   DescribeImageReferences); `paging`: their pages and tokens.
//! - `server`: HTTP, dispatch, injected faults and `UnauthorizedOperation`; `caller`:
//!   identity from SigV4 headers; `sts`, `regions`, `control`: the other actions;
//!   `xml`: the wire format.
//!
//! Architecture invariants: no image is stored, only a 12-byte entry per image (and, per
//! Amazon catalog, which images its public SSM parameters resolve to); a resource is a
//! few numbers (the image it names by owner and index, a serial, a state), and the
//! snapshots of registered images are not stored at all; every rendered value is a
//! pure function of seeds, the catalogs and the estates; nothing here knows the SDK or
//! DuckDB, and it uses no amiq crate but `amiq-image` (the shape as plain data): the fake
//! is a second opinion on EC2, with its own filter names, id rules and messages.

mod ancestry;
mod caller;
mod catalog;
mod config;
mod control;
mod describe_images;
mod dice;
mod estate;
mod families;
mod filter;
mod generate;
mod ids;
mod instances;
mod launch_templates;
mod paging;
mod parameters;
mod recipes;
mod recycle_bin;
mod references;
mod regions;
mod request;
mod server;
mod settings;
mod snapshots;
mod stats;
mod sts;
mod timestamp;
mod token;
mod xml;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

pub use ancestry::{ImageAncestryEntry, MAX_ANCESTRY_ENTRIES};
pub use catalog::MutationSummary;
pub use config::{
    AMAZON_OWNER_ID, FailingRegion, FakeConfig, FakeRegion, FakeResources, Faults,
    MARKETPLACE_OWNER_ID,
};
pub use describe_images::MAX_RESULTS_RANGE;
pub use filter::{Filter, QUESTION_MARK, QuestionMark};
pub use instances::{
    INSTANCE_METADATA_MAX_RESULTS, ImageMetadata, InstanceImageMetadata, InstanceOperator,
};
pub use launch_templates::{DEFAULT_VERSION_DEPTH, MAX_VERSION_DEPTH};
pub use recycle_bin::{RECYCLE_BIN_MAX_IDS, RECYCLE_BIN_MAX_RESULTS, RecycleBinImage};
pub use references::{
    ImageReference, ImageUsage, MAX_REFERENCED_IMAGE_IDS, MIN_REFERENCES_MAX_RESULTS,
};
pub use request::{ApiError, DescribeRequest};
pub use server::FakeHandle;
pub use settings::{
    AllowedImagesSettings, ImageBlockPublicAccess, ImageCriterion, ScanResultCondition,
    WatermarkCondition,
};
pub use snapshots::{SNAPSHOTS_MAX_RESULTS, Snapshot};
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
    /// Generates the catalogs of `config` (about 12 bytes per image), and the
    /// accounts' other resources as [`FakeResources::default`] has them.
    pub fn new(config: FakeConfig) -> Arc<FakeEc2> {
        FakeEc2::with_resources(config, FakeResources::default())
    }

    /// Generates the catalogs of `config` and, in every enabled region, the resources
    /// `resources` gives each account.
    pub fn with_resources(config: FakeConfig, resources: FakeResources) -> Arc<FakeEc2> {
        Arc::new(FakeEc2 {
            world: RwLock::new(World::with_resources(&config, &resources)),
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
    /// The accounts' resources follow: deregistered images go to the Recycle Bin (at
    /// [`FakeResources::recycle_bin_rate`]) and their snapshots are deleted where EC2
    /// allows and the owner did; instances remember their deregistered image; about
    /// `churn / 3` of the instances change state, are terminated or launched; launch
    /// templates get versions, parameters and recipes newer images; settings flip now
    /// and then. Deterministic for a seed and the same prior state.
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

    /// The truth: what GetImageAncestry returns to `caller` in `region` for `image_id`:
    /// the image, then the image it was copied from, and so on to the root (at most
    /// [`MAX_ANCESTRY_ENTRIES`]).
    pub fn image_ancestry(
        &self,
        caller: &str,
        region: &str,
        image_id: &str,
    ) -> Result<Vec<ImageAncestryEntry>, ApiError> {
        let world = self.world();
        let request = ancestry::AncestryRequest {
            image_id: Some(image_id.to_string()),
            dry_run: false,
        };
        ancestry::answer(&world, &Caller::new(&world, caller), region, &request)
    }

    /// The truth: what DescribeImageReferences with `IncludeAllResourceTypes` returns to
    /// `caller` in `region` for `image_ids` (1 to 10), all pages concatenated. The
    /// launch templates' `version_depth` most recent versions are checked (`None`: the
    /// API's default, [`DEFAULT_VERSION_DEPTH`]).
    pub fn image_references(
        &self,
        caller: &str,
        region: &str,
        image_ids: &[String],
        version_depth: Option<u32>,
    ) -> Result<Vec<ImageReference>, ApiError> {
        let world = self.world();
        let caller = Caller::new(&world, caller);
        references::all(&world, &caller, region, image_ids, version_depth)
    }

    /// The truth: every instance of `caller` in `region` (recently terminated ones
    /// included) as DescribeInstanceImageMetadata returns them, in page order.
    pub fn instance_image_metadata(
        &self,
        caller: &str,
        region: &str,
    ) -> Vec<InstanceImageMetadata> {
        let world = self.world();
        instances::all(&world, &Caller::new(&world, caller), region)
    }

    /// The truth: every snapshot `caller` owns in `region`, as DescribeSnapshots with
    /// `Owner.1=self` returns them, in page order.
    pub fn snapshots(&self, caller: &str, region: &str) -> Vec<Snapshot> {
        let world = self.world();
        snapshots::all(&world, &Caller::new(&world, caller), region)
    }

    /// The truth: `caller`'s images in the Recycle Bin of `region`, as
    /// ListImagesInRecycleBin returns them, in page order.
    pub fn recycle_bin(&self, caller: &str, region: &str) -> Vec<RecycleBinImage> {
        let world = self.world();
        recycle_bin::all(&world, &Caller::new(&world, caller), region)
    }

    /// The truth: what GetAllowedImagesSettings returns to `caller` in `region` (`None`
    /// for a region that is not enabled).
    pub fn allowed_images_settings(
        &self,
        caller: &str,
        region: &str,
    ) -> Option<AllowedImagesSettings> {
        let world = self.world();
        settings::allowed_for(&world, &Caller::new(&world, caller), region).ok()
    }

    /// The truth: what GetImageBlockPublicAccessState returns to `caller` in `region`
    /// (`None` for a region that is not enabled).
    pub fn image_block_public_access(
        &self,
        caller: &str,
        region: &str,
    ) -> Option<ImageBlockPublicAccess> {
        let world = self.world();
        settings::block_for(&world, &Caller::new(&world, caller), region).ok()
    }

    /// Every image `account` owns in `region` (in every state, in catalog order), with
    /// the resources that reference it (as [`FakeEc2::image_references`] at
    /// `version_depth`) and the snapshots of its mappings, some shared with its other
    /// images: what a test needs to judge a cleanup on its own.
    pub fn image_usage(
        &self,
        account: &str,
        region: &str,
        version_depth: Option<u32>,
    ) -> Vec<ImageUsage> {
        references::usage(&self.world(), account, region, version_depth)
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
