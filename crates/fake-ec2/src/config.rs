//! What the fake endpoint serves: which accounts own images where, how many, and what
//! goes wrong on the way.

use std::time::Duration;

/// Owner id of images whose alias is `amazon`, as on the real API.
pub const AMAZON_OWNER_ID: &str = "137112412989";
/// Owner id of images whose alias is `aws-marketplace`, as on the real API.
pub const MARKETPLACE_OWNER_ID: &str = "679593333241";

/// The world the fake endpoint pretends to be. Everything it serves is a function of
/// this value (and of later mutations with their own seeds), so two fakes built from
/// equal configs answer identically.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Seeds the catalog generator: names, ids, disks, tags, sharing.
    pub seed: u64,
    /// 12-digit account ids that own images. `accounts[0]` is the caller for credentials
    /// the fake cannot map to an account (static test keys, for example).
    pub accounts: Vec<String>,
    /// Regions in the order DescribeRegions lists them.
    pub regions: Vec<FakeRegion>,
    /// Images each account owns in each enabled region.
    pub owned_per_account_region: usize,
    /// Public images with owner alias `amazon` in each enabled region.
    pub amazon_per_region: usize,
    /// Public images with owner alias `aws-marketplace` in each enabled region.
    pub marketplace_per_region: usize,
    /// Failures injected into the EC2 calls; changeable later with `FakeEc2::set_faults`.
    pub faults: Faults,
    /// Fraction of images that carry elements DescribeImages does not document (members
    /// EC2 may add after this release), in the item and in its first block device
    /// mapping. A reader must keep them; the fake's truth has them as `unknown_members`.
    /// The same images for every viewer, fixed by the seed.
    pub unknown_member_rate: f64,
}

/// One region of the fake world.
#[derive(Debug, Clone)]
pub struct FakeRegion {
    pub name: String,
    /// `false` models an opt-in region: for an account that has not opted in to it, it
    /// is listed by `DescribeRegions AllRegions=true` as `not-opted-in` and answers
    /// every EC2 call with AuthFailure.
    pub enabled: bool,
    /// Of an opt-in region (`enabled: false`), the accounts that opted in to it: for
    /// them alone it is `opted-in` and served, with their own images there and the
    /// public catalogs; the other accounts own nothing there.
    pub opted_in: Vec<String>,
}

/// Failures the endpoint injects so clients can prove their retries and resumption.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Seeds the per-request draw, so a run with faults is reproducible.
    pub seed: u64,
    /// Fraction of requests of the faulted EC2 calls (DescribeImages, the calls about
    /// what references images, DescribeImageAttribute and the AMI usage report calls)
    /// answered 503 `RequestLimitExceeded`, and of Organizations requests answered
    /// `TooManyRequestsException` (its server errors are `ServiceException`).
    pub throttle_rate: f64,
    /// Fraction answered 500 `InternalError`.
    pub server_error_rate: f64,
    /// Fraction whose connection is cut mid-body: headers and part of the body are sent,
    /// then the connection is dropped.
    pub reset_rate: f64,
    /// Fraction of pages whose NextToken is replaced by one the endpoint will refuse
    /// (`InvalidParameterValue`), as an expired or garbled token is.
    pub bad_token_rate: f64,
    /// Fraction of pages sent whole (HTTP 200) but damaged: cut short, with a broken
    /// tag, or padded with a large element EC2 does not have (which a reader must
    /// ignore). Cycles through the three in that order.
    pub garbled_rate: f64,
    /// The least time each of those calls takes, its own work included, to make
    /// latency-bound behaviour visible.
    pub page_latency: Duration,
    /// Regions (optionally for one caller only) that always fail.
    pub failing_regions: Vec<FailingRegion>,
    /// `(account id, Action)` pairs answered 403 `UnauthorizedOperation`, as when the
    /// account's role lacks `ec2:<Action>`; any EC2 action can be named.
    pub unauthorized: Vec<(String, String)>,
    /// How long the sessions AssumeRole hands out last (one hour when `None`); a
    /// request signed with an expired one is refused with `ExpiredToken`.
    pub session_lifetime: Option<Duration>,
}

/// A region that answers every EC2 call with a 500 or 503.
#[derive(Debug, Clone)]
pub struct FailingRegion {
    pub region: String,
    /// `None` fails the region for every caller.
    pub account: Option<String>,
}

impl FakeConfig {
    /// The world `amiq demo` shows: three accounts, three enabled regions and one
    /// opt-in region nobody opted in to, a few thousand images per region, no faults.
    pub fn demo() -> FakeConfig {
        let region = |name: &str, enabled| FakeRegion {
            name: name.to_string(),
            enabled,
            opted_in: Vec::new(),
        };
        FakeConfig {
            seed: 20241010,
            accounts: ["111111111111", "222222222222", "333333333333"]
                .map(String::from)
                .to_vec(),
            regions: vec![
                region("us-east-1", true),
                region("eu-west-1", true),
                region("ap-southeast-2", true),
                region("me-central-1", false),
            ],
            owned_per_account_region: 300,
            amazon_per_region: 1500,
            marketplace_per_region: 300,
            faults: Faults::default(),
            unknown_member_rate: 0.0,
        }
    }
}

/// What the accounts have besides images, in each enabled region: the resources that
/// reference images (instances, launch templates, SSM parameters, Image Builder
/// recipes), snapshots, the Recycle Bin, sharing beyond the configured accounts and
/// AMI usage reports. The defaults give every account a few of each in every region,
/// so a small world has every case; a benchmark world sets them (a resource is a few
/// numbers, the rest is derived from seeds when it is described).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeResources {
    /// Instances, launched from the account's own images, images shared with it,
    /// Amazon's, and images deregistered since; a few recently terminated.
    pub instances_per_account_region: usize,
    /// Launch templates, of one to a few dozen versions, each naming an image or none.
    pub launch_templates_per_account_region: usize,
    /// SSM parameters whose value is an image id.
    pub ssm_parameters_per_account_region: usize,
    /// Image Builder recipes; about a third of them container recipes.
    pub image_recipes_per_account_region: usize,
    /// Snapshots no image uses (backups, volumes' snapshots), besides the snapshots of
    /// the account's images.
    pub orphan_snapshots_per_account_region: usize,
    /// Images deregistered before the world began that are still in the Recycle Bin;
    /// as many again were deregistered for good (their snapshots kept).
    pub recycle_bin_per_account_region: usize,
    /// Share of the images a mutation deregisters that go to the Recycle Bin (a
    /// retention rule covers them).
    pub recycle_bin_rate: f64,
    /// Share of an account's available images shared with each other configured
    /// account (0.1: a viewer's shared listings grow with the number of accounts; a
    /// world of many accounts sets it lower).
    pub share_rate: f64,
    /// Share of an account's available images also shared with one to three accounts
    /// outside the configured set (drawn from a pool of `external_accounts`). It
    /// changes no configured account's listings; mutations share and unshare more.
    pub external_share_rate: f64,
    /// Share of an account's available images shared with an organization or an
    /// organizational unit outside the configured set.
    pub external_organization_share_rate: f64,
    /// How many accounts outside the configured set images are shared with: a small
    /// pool, so that several images share the same outside accounts.
    pub external_accounts: usize,
    /// Share of the images shared with outside accounts that already have an
    /// available AMI usage report, created a day before the world's time, so that a
    /// read-only sync sees reports.
    pub usage_report_rate: f64,
    /// How many DescribeImageUsageReports answers show a new report `pending` before
    /// it is `available` (0: available at once).
    pub usage_report_pending_polls: u32,
    /// Whether a report made through CreateImageUsageReport carries the wall clock's
    /// time, as EC2's do (so a client's "younger than a day" holds), rather than the
    /// world's day. The reports the world starts with carry the world's time.
    pub usage_reports_on_wall_clock: bool,
}

impl Default for FakeResources {
    fn default() -> FakeResources {
        FakeResources {
            instances_per_account_region: 12,
            launch_templates_per_account_region: 3,
            ssm_parameters_per_account_region: 3,
            image_recipes_per_account_region: 3,
            orphan_snapshots_per_account_region: 3,
            recycle_bin_per_account_region: 2,
            recycle_bin_rate: 0.5,
            share_rate: 0.1,
            external_share_rate: 0.05,
            external_organization_share_rate: 0.01,
            external_accounts: 8,
            usage_report_rate: 0.3,
            usage_report_pending_polls: 1,
            usage_reports_on_wall_clock: true,
        }
    }
}

impl Faults {
    /// Whether EC2 calls from `account` in `region` always fail.
    pub(crate) fn region_fails(&self, region: &str, account: &str) -> bool {
        self.failing_regions
            .iter()
            .any(|f| f.region == region && f.account.as_deref().is_none_or(|a| a == account))
    }

    /// Whether `account` may not call `action`.
    pub(crate) fn forbids(&self, account: &str, action: &str) -> bool {
        self.unauthorized
            .iter()
            .any(|(a, name)| a == account && name == action)
    }
}
