//! AMI usage reports: CreateImageUsageReport (in `create`), DescribeImageUsageReports,
//! and a report's life from `pending` to `available` (or `error`) to its deletion.
//!
//! From the API reference and the user guide ("View your AMI usage"): a report counts,
//! per account and resource type (`ec2:Instance`, `ec2:LaunchTemplate`), the resources
//! that use one of the caller's images (see `usage_entries`). `ResourceType.N` is
//! required; `version-depth` (launch templates only) is 1 to 10000, default 20;
//! `AccountId.N` holds 0 to 200 ids (none: every account); `ClientToken` (up to 128
//! characters) makes the call idempotent. The describe calls take 0 to 200 `ImageId.N`
//! and `ReportId.N` and a `MaxResults` of at least 1 (the reference gives no maximum: a
//! page holds at most 1000). A report is `pending` until it is `available` (its entries
//! then fixed: a point-in-time answer) or in `error`, and EC2 deletes it 30 days after
//! it was created. One report per image, and 2,000 per account and Region, may be
//! pending at a time. Report ids are `amiur-` and 17 hex digits.
//!
//! The reference lists no errors of its own; the fake answers with EC2's common codes:
//! `MissingParameter`, `InvalidParameterValue`, `InvalidAMIID.Malformed`,
//! `InvalidAMIID.NotFound` (an image not registered in the Region), `AuthFailure` (an
//! image another account owns), `InvalidUserID.Malformed`, `IdempotentParameterMismatch`
//! (a `ClientToken` reused for another request), `ResourceLimitExceeded` (a quota of
//! pending reports) and `DryRunOperation`.
//!
//! Choices where AWS says nothing: a new report stays `pending` for
//! [`FakeResources::usage_report_pending_polls`] DescribeImageUsageReports answers that
//! return it (the fake's clock for reports: deterministic, and a client that polls sees
//! it move; 0 makes reports available at once), then becomes `available` with entries
//! counted from the world at that moment, or `error` if its image is no longer
//! registered (a mutation that deregisters it fails the report at once). An answer cut
//! by an injected reset or damaged still counts: EC2 did answer. `ImageId.N` and
//! `ReportId.N` select: an id naming none of the caller's reports selects nothing
//! rather than failing. Tags are not kept (`TagSpecification` is ignored): `tagSet` is
//! empty and `tag:` filters match nothing. Times follow the fake's clock: mutation `n`
//! happens on day `n` after 2025-10-01, a report is created on the day of the last
//! mutation, and mutations delete reports whose 30 days are over.
//!
//! [`FakeResources::usage_report_pending_polls`]: crate::FakeResources::usage_report_pending_polls

pub(crate) mod create;

pub(crate) use create::{CreateRequest, create};

use super::caller::Caller;
use super::catalog::{Owner, Region, World};
use super::dice::{Dice, mix};
use super::estate::{Estate, ImageRef};
use super::filter::{FieldFilter, tag_texts};
use super::ids::{
    ImageKey, ImageKind, ResourceKind, image_id, is_well_formed_image_id, resource_id,
};
use super::paging::{Binding, Page, all_pages};
use super::request::{ApiError, Params, check_max_results};
use super::sharing::outside;
use super::timestamp::{instant, iso8601};
use super::token::Position;
use super::usage_entries::{Tally, configured_use, tally};
use super::xml::{element, response, set};

/// "Array Members: Minimum number of 0 items. Maximum number of 200 items." (`ImageId.N`
/// and `ReportId.N` of the describe calls, `AccountId.N` of CreateImageUsageReport).
pub const USAGE_REPORT_MAX_IDS: usize = 200;
/// The smallest `MaxResults` the describe calls accept ("Minimum value of 1"; no
/// maximum is documented, a page holds at most 1000).
pub const MIN_USAGE_REPORTS_MAX_RESULTS: i32 = 1;
/// Launch template versions a report checks unless `version-depth` says otherwise
/// ("Default: 20").
pub const DEFAULT_USAGE_REPORT_VERSION_DEPTH: u32 = 20;
/// Days after its creation when EC2 deletes a report.
pub const USAGE_REPORT_RETENTION_DAYS: u32 = 30;
/// "In-progress (pending) AMI usage reports per AWS account": per Region.
pub const MAX_PENDING_USAGE_REPORTS: usize = 2_000;
/// The longest `ClientToken` (the model's `max`).
pub const MAX_USAGE_REPORT_CLIENT_TOKEN: usize = 128;

/// The most items a page of the describe calls holds.
pub(crate) const PAGE_LIMIT: usize = 1000;
const DAY: i64 = 86_400;

/// Salts of the streams reports draw from.
mod salt {
    pub const GENERATE: u64 = 0x7572_6765;
    pub const CREATED: u64 = 0x7572_6372;
    pub const TOKEN: u64 = 0x7572_746b;
}

/// A resource type a report counts, as its request gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Counted {
    Instances,
    /// With the `version-depth` the request gave, if it gave one.
    LaunchTemplates(Option<u32>),
}

impl Counted {
    pub(crate) fn resource_type(self) -> &'static str {
        match self {
            Counted::Instances => "ec2:Instance",
            Counted::LaunchTemplates(_) => "ec2:LaunchTemplate",
        }
    }
}

/// Where a report is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// DescribeImageUsageReports answers that will still show it pending.
    Pending {
        polls_left: u32,
    },
    Available,
    /// Its image was deregistered before it was complete.
    Failed,
}

/// One report of an estate: what was asked, how far it is, and once available what it
/// counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    pub serial: u32,
    /// The index of its image in the catalog of the estate's account.
    pub image: u32,
    /// Unix seconds, and the milliseconds of the creation time.
    pub created: u32,
    pub millis: u16,
    /// In request order, no repeats.
    pub counted: Vec<Counted>,
    /// The twelve-digit account ids asked for, in request order; empty: every account.
    pub accounts: Vec<u64>,
    /// Fingerprints of the `ClientToken` and of the request it came with.
    pub token: Option<(u64, u64)>,
    pub progress: Progress,
    /// Fixed when the report becomes available.
    pub entries: Vec<Tally>,
}

/// What DescribeImageUsageReports returns for one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    /// `amiur-0…`.
    pub report_id: String,
    pub image_id: String,
    /// As the request gave them, in its order.
    pub resource_types: Vec<UsageReportResourceType>,
    /// The accounts the request named, in its order; empty: every account (EC2 then
    /// sends no `accountIdSet`).
    pub account_ids: Vec<String>,
    /// `pending`, `available` or `error`.
    pub state: String,
    /// Why the report is in `error`.
    pub state_reason: Option<String>,
    /// `2025-10-01T01:02:03.456Z`.
    pub creation_time: String,
    /// Thirty days after the creation time.
    pub expiration_time: String,
}

/// One resource type of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReportResourceType {
    /// `ec2:Instance` or `ec2:LaunchTemplate`.
    pub resource_type: String,
    /// The `version-depth` option, if the request gave one.
    pub version_depth: Option<u32>,
}

/// `amiur-0…`: the id of the report `serial` of `account` in `region`.
pub(crate) fn report_id(world: &World, region: u16, account: u16, serial: u32) -> String {
    let block = (u64::from(region) << 48) | (u64::from(account) << 32) | u64::from(serial);
    resource_id(world.seed, ResourceKind::ImageUsageReport, block)
}

/// The fake's clock: the day of the last mutation.
fn today(world: &World) -> i64 {
    instant::Y2025_10 + i64::from(world.clock) * DAY
}

fn dry_run() -> ApiError {
    ApiError::new(
        412,
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
    )
}

fn missing(parameter: &str) -> ApiError {
    ApiError::new(
        400,
        "MissingParameter",
        format!("The request must contain the parameter {parameter}"),
    )
}

// ---------------------------------------------------------------------------------------
// Completing a report

/// What a report that is due becomes: `error` if its image is gone, else `available`
/// with what it counts now.
fn complete(
    world: &World,
    region: &Region,
    owner: &Owner,
    report: &Report,
) -> (Progress, Vec<Tally>) {
    let registered = region
        .catalogs
        .get(usize::from(owner.ordinal))
        .is_some_and(|c| c.get(report.image).is_some());
    if !registered {
        return (Progress::Failed, Vec::new());
    }
    let image = ImageRef {
        owner: owner.ordinal,
        index: report.image,
    };
    let uses = configured_use(region, depth(&report.counted), Some(image));
    let entries = tally(
        world,
        region,
        owner,
        report.image,
        &report.counted,
        &report.accounts,
        uses.get(&image).map(Vec::as_slice).unwrap_or_default(),
    );
    (Progress::Available, entries)
}

/// The launch template versions a report checks.
pub(crate) fn depth(counted: &[Counted]) -> u32 {
    counted
        .iter()
        .find_map(|c| match c {
            Counted::LaunchTemplates(depth) => {
                Some(depth.unwrap_or(DEFAULT_USAGE_REPORT_VERSION_DEPTH))
            }
            Counted::Instances => None,
        })
        .unwrap_or(DEFAULT_USAGE_REPORT_VERSION_DEPTH)
}

// ---------------------------------------------------------------------------------------
// DescribeImageUsageReports (and what DescribeImageUsageReportEntries shares with it)

/// A DescribeImageUsageReports or DescribeImageUsageReportEntries request: they take
/// the same parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReportQuery {
    pub image_ids: Vec<String>,
    pub report_ids: Vec<String>,
    /// `(Filter.N.Name, [Filter.N.Value.M…])`.
    pub filters: Vec<(String, Vec<String>)>,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
    pub dry_run: bool,
}

impl ReportQuery {
    pub(crate) fn from_params(params: &Params) -> Result<ReportQuery, ApiError> {
        Ok(ReportQuery {
            image_ids: params.list("ImageId"),
            report_ids: params.list("ReportId"),
            filters: params.filters(),
            max_results: params.max_results()?,
            next_token: params.get("NextToken").map(String::from),
            dry_run: params.flag("DryRun")?,
        })
    }

    /// What the token binds: everything but the page size and position.
    pub(crate) fn binding(&self) -> ReportQuery {
        ReportQuery {
            max_results: None,
            next_token: None,
            ..self.clone()
        }
    }

    /// EC2's refusal of the query's size, ids or `MaxResults`, if any.
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        check_max_results(self.max_results, MIN_USAGE_REPORTS_MAX_RESULTS..=i32::MAX)?;
        for (name, ids) in [("image", &self.image_ids), ("report", &self.report_ids)] {
            if ids.len() > USAGE_REPORT_MAX_IDS {
                return Err(ApiError::invalid_value(format!(
                    "The request names {} {name} IDs; specify up to {USAGE_REPORT_MAX_IDS}",
                    ids.len()
                )));
            }
        }
        if let Some(bad) = self
            .image_ids
            .iter()
            .find(|id| !is_well_formed_image_id(id))
        {
            return Err(ApiError::new(
                400,
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{bad}\" (expecting \"ami-...\")"),
            ));
        }
        if let Some(bad) = self
            .report_ids
            .iter()
            .find(|id| id.strip_prefix("amiur-").is_none_or(str::is_empty))
        {
            return Err(ApiError::invalid_value(format!(
                "Invalid report id: \"{bad}\" (expecting \"amiur-...\")"
            )));
        }
        Ok(())
    }

    /// Whether the report with these ids is selected by `ImageId.N` and `ReportId.N`.
    pub(crate) fn selects(&self, image_id: &str, report_id: &str) -> bool {
        (self.image_ids.is_empty() || self.image_ids.iter().any(|i| i == image_id))
            && (self.report_ids.is_empty() || self.report_ids.iter().any(|r| r == report_id))
    }
}

/// Filter names of DescribeImageUsageReports besides `tag:<key>`.
const FILTERS: [&str; 3] = ["creation-time", "state", "tag-key"];

/// The caller's estate and account in a region, if it is a configured account.
pub(crate) fn estate_of<'w>(
    world: &'w World,
    region: &'w Region,
    caller: &Caller,
) -> Option<(&'w Estate, &'w Owner)> {
    Some((
        region.estate(caller.ordinal)?,
        world.owner(caller.ordinal?)?,
    ))
}

/// A report as DescribeImageUsageReports shows it.
pub(crate) fn describe_report(
    world: &World,
    region: &Region,
    account: &Owner,
    report: &Report,
) -> UsageReport {
    let image = image_id(
        world.seed,
        ImageKind::Machine,
        ImageKey {
            region: region.ordinal,
            owner: account.ordinal,
            index: report.image,
        },
    );
    let (state, state_reason) = match report.progress {
        Progress::Pending { .. } => ("pending", None),
        Progress::Available => ("available", None),
        Progress::Failed => (
            "error",
            Some(format!(
                "The image {image} was deregistered before the report was complete."
            )),
        ),
    };
    let created = i64::from(report.created);
    let retention = i64::from(USAGE_REPORT_RETENTION_DAYS) * DAY;
    let millis = u64::from(report.millis);
    UsageReport {
        report_id: report_id(world, region.ordinal, account.ordinal, report.serial),
        image_id: image,
        resource_types: report
            .counted
            .iter()
            .map(|c| UsageReportResourceType {
                resource_type: c.resource_type().into(),
                version_depth: match c {
                    Counted::LaunchTemplates(depth) => *depth,
                    Counted::Instances => None,
                },
            })
            .collect(),
        account_ids: report.accounts.iter().map(|a| format!("{a:012}")).collect(),
        state: state.into(),
        state_reason,
        creation_time: iso8601(created, millis),
        expiration_time: iso8601(created + retention, millis),
    }
}

/// Whether the report passes a filter.
fn passes(filter: &FieldFilter, report: &UsageReport) -> bool {
    if let Some(texts) = tag_texts(filter, &Some(Vec::new())) {
        return filter.matches(texts);
    }
    let text = match filter.name.as_str() {
        "creation-time" => report.creation_time.as_str(),
        _ => report.state.as_str(),
    };
    filter.matches([text])
}

/// The page of DescribeImageUsageReports for `caller` in `region`, and the serials of
/// the pending reports on it.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &ReportQuery,
) -> Result<(Page<UsageReport>, Vec<u32>), ApiError> {
    let region = world.region_for(region, caller)?;
    request.check()?;
    let filters = FieldFilter::parse_all(&request.filters, &FILTERS)?;
    let binding = Binding::new(
        caller,
        &region.name,
        "DescribeImageUsageReports",
        &request.binding(),
    );
    let start = binding.start(request.next_token.as_deref())?;
    if request.dry_run {
        return Err(dry_run());
    }
    let mut page = Page {
        items: Vec::new(),
        next_token: None,
    };
    let mut pending = Vec::new();
    let Some((estate, account)) = estate_of(world, region, caller) else {
        return Ok((page, pending));
    };
    let limit = request
        .max_results
        .map_or(PAGE_LIMIT, |m| (m as usize).min(PAGE_LIMIT));
    let reports = &estate.usage_reports;
    let from = reports.partition_point(|r| r.serial < start.index);
    for (at, report) in reports.iter().enumerate().skip(from) {
        let described = describe_report(world, region, account, report);
        if !request.selects(&described.image_id, &described.report_id)
            || !filters.iter().all(|f| passes(f, &described))
        {
            continue;
        }
        if matches!(report.progress, Progress::Pending { .. }) {
            pending.push(report.serial);
        }
        page.items.push(described);
        if page.items.len() == limit {
            if at + 1 < reports.len() {
                page.next_token = Some(binding.token(Position {
                    owner: 0,
                    index: report.serial + 1,
                }));
            }
            break;
        }
    }
    Ok((page, pending))
}

/// DescribeImageUsageReports: the page, after which the pending reports on it are a
/// poll nearer to completion.
pub(crate) fn describe(
    world: &mut World,
    caller: &Caller,
    region: &str,
    request: &ReportQuery,
) -> Result<Page<UsageReport>, ApiError> {
    let (page, pending) = page(world, caller, region, request)?;
    if let (Some(at), Some(account)) = (
        world.regions.iter().position(|r| r.name == region),
        caller.ordinal,
    ) && !pending.is_empty()
    {
        advance(world, at, account, &pending);
    }
    Ok(page)
}

/// Counts one poll of the pending reports `serials` of `account` in the region at
/// `at`: a report with no polls left completes.
fn advance(world: &mut World, at: usize, account: u16, serials: &[u32]) {
    let outcomes: Vec<(usize, Progress, Vec<Tally>)> = {
        let world: &World = world;
        let region = &world.regions[at];
        let (Some(estate), Some(owner)) = (region.estate(Some(account)), world.owner(account))
        else {
            return;
        };
        serials
            .iter()
            .filter_map(|serial| {
                let position = estate
                    .usage_reports
                    .binary_search_by_key(serial, |r| r.serial)
                    .ok()?;
                let report = &estate.usage_reports[position];
                let Progress::Pending { polls_left } = report.progress else {
                    return None;
                };
                Some(if polls_left > 1 {
                    let progress = Progress::Pending {
                        polls_left: polls_left - 1,
                    };
                    (position, progress, Vec::new())
                } else {
                    let (progress, entries) = complete(world, region, owner, report);
                    (position, progress, entries)
                })
            })
            .collect()
    };
    let estate = &mut world.regions[at].estates[usize::from(account)];
    for (position, progress, entries) in outcomes {
        let report = &mut estate.usage_reports[position];
        report.progress = progress;
        report.entries = entries;
    }
}

/// Every report of `caller` in `region`, as DescribeImageUsageReports pages them, with
/// no poll counted.
pub(crate) fn all(world: &World, caller: &Caller, region: &str) -> Vec<UsageReport> {
    let mut request = ReportQuery::default();
    all_pages(|token| {
        request.next_token = token;
        page(world, caller, region, &request).map(|(page, _)| page)
    })
    .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// The reports' life beside the calls

/// Gives every estate the reports it starts with: for about `rate` of the account's
/// images shared outside the configured accounts, a report on instances and launch
/// templates of every account, created a day before the world's time and available.
/// Made once every estate is.
pub(crate) fn generate(world: &mut World, rate: f64) {
    let mut made: Vec<(usize, usize, Vec<Report>)> = Vec::new();
    for (at, region) in world.regions.iter().enumerate() {
        if region.estates.is_empty() {
            continue;
        }
        let uses = configured_use(region, DEFAULT_USAGE_REPORT_VERSION_DEPTH, None);
        for ordinal in 0..region.estates.len() {
            let (Some(account), Some(catalog)) =
                (world.owner(ordinal as u16), region.catalogs.get(ordinal))
            else {
                continue;
            };
            let mut dice = Dice::new(mix(
                world.seed,
                &[
                    salt::GENERATE,
                    region.ordinal.into(),
                    account.ordinal.into(),
                ],
            ));
            let mut picked: Vec<(i64, u16, u32)> = Vec::new();
            for entry in &catalog.entries {
                if outside(world, region, account, entry).is_empty() || !dice.chance(rate) {
                    continue;
                }
                let created = instant::Y2025_10 - DAY + dice.range(60, DAY - 3_600);
                picked.push((created, dice.below(1000) as u16, entry.index));
            }
            picked.sort_unstable();
            let counted = vec![Counted::Instances, Counted::LaunchTemplates(None)];
            let reports = picked
                .into_iter()
                .enumerate()
                .map(|(serial, (created, millis, index))| {
                    let image = ImageRef {
                        owner: account.ordinal,
                        index,
                    };
                    let configured = uses.get(&image).map(Vec::as_slice).unwrap_or_default();
                    Report {
                        serial: serial as u32,
                        image: index,
                        created: created as u32,
                        millis,
                        entries: tally(world, region, account, index, &counted, &[], configured),
                        counted: counted.clone(),
                        accounts: Vec::new(),
                        token: None,
                        progress: Progress::Available,
                    }
                })
                .collect();
            made.push((at, ordinal, reports));
        }
    }
    for (at, ordinal, reports) in made {
        let estate = &mut world.regions[at].estates[ordinal];
        estate.next_report = reports.len() as u32;
        estate.usage_reports = reports;
    }
}

/// Lets the reports follow a mutation (after the clock moved): those whose 30 days are
/// over are deleted, pending ones whose image is no longer registered fail.
pub(crate) fn follow(world: &mut World) {
    let today = today(world);
    let retention = i64::from(USAGE_REPORT_RETENTION_DAYS) * DAY;
    for region in &mut world.regions {
        let Region {
            catalogs, estates, ..
        } = region;
        for (ordinal, estate) in estates.iter_mut().enumerate() {
            estate
                .usage_reports
                .retain(|r| i64::from(r.created) + retention > today);
            let catalog = catalogs.get(ordinal);
            for report in &mut estate.usage_reports {
                let gone = catalog.is_none_or(|c| c.get(report.image).is_none());
                if gone && matches!(report.progress, Progress::Pending { .. }) {
                    report.progress = Progress::Failed;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The wire

/// The whole CreateImageUsageReport answer.
pub(crate) fn write_created(request_id: &str, report_id: &str) -> String {
    response("CreateImageUsageReport", request_id, None, |out| {
        element(out, "reportId", report_id);
    })
}

/// The whole DescribeImageUsageReports answer.
pub(crate) fn write(request_id: &str, page: &Page<UsageReport>) -> String {
    response(
        "DescribeImageUsageReports",
        request_id,
        page.next_token.as_deref(),
        |out| {
            set(out, "imageUsageReportSet", &page.items, |out, r| {
                element(out, "imageId", &r.image_id);
                element(out, "reportId", &r.report_id);
                set(out, "resourceTypeSet", &r.resource_types, |out, t| {
                    element(out, "resourceType", &t.resource_type);
                    if let Some(depth) = t.version_depth {
                        out.push_str("<resourceTypeOptionSet><item>");
                        element(out, "optionName", "version-depth");
                        out.push_str("<optionValueSet>");
                        element(out, "item", &depth.to_string());
                        out.push_str("</optionValueSet></item></resourceTypeOptionSet>");
                    }
                });
                if !r.account_ids.is_empty() {
                    set(out, "accountIdSet", &r.account_ids, |out, id| {
                        super::xml::escape_into(out, id)
                    });
                }
                element(out, "state", &r.state);
                if let Some(reason) = &r.state_reason {
                    element(out, "stateReason", reason);
                }
                element(out, "creationTime", &r.creation_time);
                element(out, "expirationTime", &r.expiration_time);
                out.push_str("<tagSet/>");
            });
        },
    )
}

#[cfg(test)]
mod tests;
