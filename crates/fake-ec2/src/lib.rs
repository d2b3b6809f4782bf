//! A fake EC2 endpoint (with the bits of STS a multi-account sync needs), for tests,
//! `amiq demo` and benchmarks at a million images.
//!
//! The fake answers the EC2 Query protocol over HTTP/1.1 as the real SDKs speak it:
//! DescribeImages (with EC2's visibility, deprecation, pagination and filter rules),
//! GetImageAncestry, DescribeRegions, the calls about what references an account's images
//! (DescribeImageReferences, DescribeInstanceImageMetadata, DescribeSnapshots,
//! ListImagesInRecycleBin, GetAllowedImagesSettings, GetImageBlockPublicAccessState),
//! DescribeImageAttribute (launch permissions, sharing included beyond the configured
//! accounts), the AMI usage report calls (CreateImageUsageReport,
//! DescribeImageUsageReports, DescribeImageUsageReportEntries), STS AssumeRole and
//! GetCallerIdentity, AWS Organizations' listing calls over its JSON protocol, plus three control actions for other processes (`AmiqMutate`,
//! `AmiqStats` and `AmiqSetFaults`). It also tells the truth: [`FakeEc2::describe`]
//! returns what DescribeImages would, [`FakeEc2::image_ancestry`] what GetImageAncestry
//! would, [`FakeEc2::snapshots`], [`FakeEc2::image_references`],
//! [`FakeEc2::launch_permissions`], [`FakeEc2::usage_reports`] and the like what the
//! other calls would, so tests compare a sync or a cleanup against it.
//!
//! Code map:
//! - `config`: what world to fake; `catalog`: its compact state and mutations;
//!   `families` + `generate`: rendering an image from (seed, owner, region, index,
//!   revision); `ids`, `dice`, `timestamp`: the deterministic pieces they use.
//! - `describe_images`: the semantics; `filter`: filter matching; `token`: NextToken;
//!   `ancestry`: GetImageAncestry, an image's chain of copies (`generate` draws which
//!   image a copy came from).
//! - `sharing`: who may launch an account's image: the configured accounts
//!   (`generate::shared_with`, which the listings follow) and, drawn from a small pool
//!   of outsiders, accounts, organizations and OUs outside the configured set, which no
//!   listing sees; `image_attribute`: DescribeImageAttribute, the owner's view of them
//!   and of a few members DescribeImages renders.
//! - `estate`: what an account has in a region besides images, generated and mutated:
//!   `instances`, `launch_templates`, `parameters`, `recipes`, `snapshots`,
//!   `recycle_bin`, `settings`, each with its call (`references` is
//!   DescribeImageReferences), what mutations did to its images' outside sharing, and
//!   its AMI usage reports (`usage_reports`: creating and describing them, pending to
//!   available to deleted; `usage_entries`: what a report counts, and the entries
//!   call); `paging`: their pages and tokens.
//! - `server`: HTTP, dispatch, injected faults and `UnauthorizedOperation`; `caller`:
//!   identity from SigV4 headers; `sts`, `regions`, `control`: the other actions;
//!   `organizations`: the configured accounts as an organization (JSON protocol);
//!   `xml`: the wire format.
//!
//! Architecture invariants: no image is stored, only a 12-byte entry per image (and, per
//! Amazon catalog, which images its public SSM parameters resolve to); a resource is a
//! few numbers (the image it names by owner and index, a serial, a state), and the
//! snapshots of registered images are not stored at all; outside sharing is drawn from
//! the image's coordinates, only what mutations changed is kept; a usage report is a few
//! numbers plus the entries it fixed when it became available; every rendered value is a
//! pure function of seeds, the catalogs and the estates; nothing here knows the SDK or
//! DuckDB, and it uses no amiq crate but `amiq-image` (the shape as plain data): the fake
//! is a second opinion on EC2, with its own filter names, id rules and messages. Only
//! CreateImageUsageReport and DescribeImageUsageReports (whose answers move pending
//! reports on) change the world outside of [`FakeEc2::mutate`]; the truth API never does.

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
mod image_attribute;
mod instances;
mod launch_templates;
mod organizations;
mod paging;
mod parameters;
mod recipes;
mod recycle_bin;
mod references;
mod regions;
mod request;
mod server;
mod settings;
mod sharing;
mod snapshots;
mod stats;
mod sts;
mod timestamp;
mod token;
mod usage_entries;
mod usage_reports;
mod xml;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

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
pub use organizations::{Member, Organization, OrganizationalUnit};
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
pub use sharing::LaunchPermission;
pub use snapshots::{SNAPSHOTS_MAX_RESULTS, Snapshot};
pub use stats::FakeStats;
pub use usage_entries::{USAGE_REPORTS_COUNT_OWNER, UsageReportEntry};
pub use usage_reports::{
    DEFAULT_USAGE_REPORT_VERSION_DEPTH, MAX_PENDING_USAGE_REPORTS, MAX_USAGE_REPORT_CLIENT_TOKEN,
    MIN_USAGE_REPORTS_MAX_RESULTS, USAGE_REPORT_MAX_IDS, USAGE_REPORT_RETENTION_DAYS, UsageReport,
    UsageReportResourceType,
};

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
    /// and then; about `churn / 3` of the images shared outside the configured accounts
    /// are unshared, as many others shared, and the outsiders' use of `churn / 3` of
    /// them changes; pending usage reports on deregistered images fail, and reports 30
    /// days old are deleted (mutation `n` is day `n`). Deterministic for a seed and the
    /// same prior state.
    pub fn mutate(&self, churn: f64, seed: u64) -> MutationSummary {
        self.world_mut().mutate(churn, seed)
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

    /// The organization served through AWS Organizations: the configured accounts (the
    /// first is the management account) in a tree of OUs, and members that are not active.
    pub fn organization(&self) -> Organization {
        Organization::of(&self.world())
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

    /// The truth: the launch permissions DescribeImageAttribute (`launchPermission`)
    /// returns to `caller` in `region` for `image_id`: `group=all` if the image is
    /// public, the configured accounts it is shared with, then the outside accounts,
    /// organization and OU. Only the owner may ask (`AuthFailure` for another account).
    pub fn launch_permissions(
        &self,
        caller: &str,
        region: &str,
        image_id: &str,
    ) -> Result<Vec<LaunchPermission>, ApiError> {
        let world = self.world();
        let request = image_attribute::AttributeRequest {
            image_id: Some(image_id.to_string()),
            attribute: Some("launchPermission".into()),
            dry_run: false,
        };
        let answer =
            image_attribute::answer(&world, &Caller::new(&world, caller), region, &request)?;
        match answer.attribute {
            image_attribute::Attribute::LaunchPermissions(permissions) => Ok(permissions),
            _ => Ok(Vec::new()),
        }
    }

    /// The images `account` owns in `region` that are shared beyond the configured
    /// accounts (with outside account ids, an organization or an OU), in catalog order,
    /// each with those launch permissions only (not `group=all` nor the configured
    /// accounts): what a test needs to check a sharing posture report.
    pub fn shared_outside(
        &self,
        account: &str,
        region: &str,
    ) -> Vec<(String, Vec<LaunchPermission>)> {
        sharing::shared_outside(&self.world(), account, region)
    }

    /// The accounts outside the configured set that images may be shared with (the
    /// pool [`FakeResources::external_accounts`] sizes), fixed by the seed.
    pub fn external_accounts(&self) -> Vec<String> {
        self.world().outsiders.accounts.clone()
    }

    /// The truth: what DescribeImageUsageReports returns to `caller` in `region` (all
    /// pages, no filters), without counting a poll: a pending report stays pending.
    pub fn usage_reports(&self, caller: &str, region: &str) -> Vec<UsageReport> {
        let world = self.world();
        usage_reports::all(&world, &Caller::new(&world, caller), region)
    }

    /// The truth: what DescribeImageUsageReportEntries returns to `caller` in `region`
    /// (all pages, no filters): the entries of every available report, by report.
    pub fn usage_report_entries(&self, caller: &str, region: &str) -> Vec<UsageReportEntry> {
        let world = self.world();
        usage_entries::all(&world, &Caller::new(&world, caller), region)
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

    /// For the calls that change the world: CreateImageUsageReport, and
    /// DescribeImageUsageReports, whose answers move pending reports on.
    fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
