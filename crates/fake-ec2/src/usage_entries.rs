//! What an AMI usage report counts, and DescribeImageUsageReportEntries, which lists it.
//!
//! A report has one entry per account and resource type with a count above zero: for
//! `ec2:Instance` the account's instances launched from the image, for
//! `ec2:LaunchTemplate` its launch templates whose newest `version-depth` versions name
//! the image (a template counts once, however many of its versions name it, as the user
//! guide says). The accounts are every configured account (the estates' instances and
//! launch templates in the image's Region) and the outside accounts the image is shared
//! with (their use drawn by `sharing::outside_usage`), restricted to the report's
//! `AccountId` list if it has one.
//!
//! Choices where AWS is vague: the API reference speaks of use "across other accounts"
//! while the user guide lists "the AWS accounts using the AMI"; the fake counts the
//! owner's own use too ([`USAGE_REPORTS_COUNT_OWNER`]). Instances count while pending,
//! running, stopping or stopped (shutting-down and terminated ones do not). Entries are
//! listed by account id, instances before launch templates; a report keeps at most
//! 65,535 entries (a page position is 16 bits), far more than any world has accounts.
//!
//! DescribeImageUsageReportEntries lists the entries of the caller's available reports
//! in the Region, by report (oldest first), filtered by `ImageId.N`, `ReportId.N` and
//! `account-id`, `creation-time` (the report's) and `resource-type`; it takes what
//! DescribeImageUsageReports takes (see `usage_reports`).

use std::collections::HashMap;

use super::caller::Caller;
use super::catalog::{Owner, OwnerKind, Region, World};
use super::estate::ImageRef;
use super::filter::FieldFilter;
use super::instances::InstanceState;
use super::paging::{Binding, Page, all_pages};
use super::request::ApiError;
use super::sharing::{outside, outside_usage};
use super::timestamp::iso8601;
use super::token::Position;
use super::usage_reports::{
    Counted, PAGE_LIMIT, Progress, ReportQuery, depth, describe_report, estate_of,
};
use super::xml::{element, number, response, set};

/// Whether a report counts the owner's own instances and launch templates. AWS is
/// ambiguous (see the module doc); the fake counts them.
pub const USAGE_REPORTS_COUNT_OWNER: bool = true;

/// The instance states a report counts.
const COUNTED_STATES: [InstanceState; 4] = [
    InstanceState::Pending,
    InstanceState::Running,
    InstanceState::Stopping,
    InstanceState::Stopped,
];

/// Filter names of DescribeImageUsageReportEntries (no `tag:` filters).
const FILTERS: [&str; 3] = ["account-id", "creation-time", "resource-type"];

/// What DescribeImageUsageReportEntries returns for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReportEntry {
    /// `ec2:Instance` or `ec2:LaunchTemplate`.
    pub resource_type: String,
    pub report_id: String,
    /// Above zero.
    pub usage_count: i64,
    pub account_id: String,
    pub image_id: String,
    /// The report's creation time.
    pub report_creation_time: String,
}

/// An account a report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Who {
    /// A configured account, by owner ordinal.
    Configured(u16),
    /// An outside account, by pool position.
    Outside(u16),
}

/// A resource type a report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Instance,
    LaunchTemplate,
}

/// One entry of a report, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub who: Who,
    pub kind: Kind,
    pub count: u32,
}

/// How a configured account uses one image of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConfiguredUse {
    pub account: u16,
    /// Instances in the counted states.
    pub instances: u32,
    /// Launch templates whose newest `depth` versions name the image.
    pub templates: u32,
}

/// How the configured accounts use the images of `region` (only `only`, if given), with
/// launch templates checked to `depth` versions.
pub(crate) fn configured_use(
    region: &Region,
    depth: u32,
    only: Option<ImageRef>,
) -> HashMap<ImageRef, Vec<ConfiguredUse>> {
    let mut uses: HashMap<ImageRef, Vec<ConfiguredUse>> = HashMap::new();
    let wanted = |image: &ImageRef| only.is_none_or(|o| o == *image);
    for (ordinal, estate) in region.estates.iter().enumerate() {
        let account = ordinal as u16;
        let mut counts: HashMap<ImageRef, (u32, u32)> = HashMap::new();
        let running = estate
            .instances
            .iter()
            .filter(|i| COUNTED_STATES.contains(&i.state) && wanted(&i.image));
        for instance in running {
            counts.entry(instance.image).or_default().0 += 1;
        }
        for template in &estate.launch_templates {
            let mut named: Vec<ImageRef> = template
                .versions
                .iter()
                .rev()
                .take(depth as usize)
                .flatten()
                .filter(|image| wanted(image))
                .copied()
                .collect();
            named.sort_unstable();
            named.dedup();
            for image in named {
                counts.entry(image).or_default().1 += 1;
            }
        }
        for (image, (instances, templates)) in counts {
            uses.entry(image).or_default().push(ConfiguredUse {
                account,
                instances,
                templates,
            });
        }
    }
    uses
}

/// What a report on the image at `index` of `owner` in `region` counts now: `counted`
/// says which resource types (and how deep in launch templates), `accounts` which
/// accounts (empty: all), `configured` how the configured accounts use the image (at
/// the report's depth).
pub(crate) fn tally(
    world: &World,
    region: &Region,
    owner: &Owner,
    index: u32,
    counted: &[Counted],
    accounts: &[u64],
    configured: &[ConfiguredUse],
) -> Vec<Tally> {
    let instances = counted.contains(&Counted::Instances);
    let templates = counted
        .iter()
        .any(|c| matches!(c, Counted::LaunchTemplates(_)));
    let depth = depth(counted);
    let wanted =
        |id: &str| accounts.is_empty() || accounts.iter().any(|a| format!("{a:012}") == id);
    let mut tallies = Vec::new();
    let mut add = |who: Who, kind: Kind, count: u32, asked: bool| {
        if asked && count > 0 {
            tallies.push(Tally { who, kind, count });
        }
    };
    for using in configured {
        let Some(account) = world
            .owner(using.account)
            .filter(|a| a.kind == OwnerKind::Account)
        else {
            continue;
        };
        if (account.ordinal == owner.ordinal && !USAGE_REPORTS_COUNT_OWNER) || !wanted(&account.id)
        {
            continue;
        }
        let who = Who::Configured(account.ordinal);
        add(who, Kind::Instance, using.instances, instances);
        add(who, Kind::LaunchTemplate, using.templates, templates);
    }
    let entry = region
        .catalogs
        .get(usize::from(owner.ordinal))
        .and_then(|c| c.get(index));
    if let Some(entry) = entry {
        let shared = outside(world, region, owner, entry);
        for &who in &shared.accounts {
            if !wanted(&world.outsiders.accounts[usize::from(who)]) {
                continue;
            }
            let (running, versions) = outside_usage(
                world,
                region.ordinal,
                owner.ordinal,
                index,
                shared.usage,
                who,
            );
            let named = versions.iter().filter(|v| **v <= depth).count() as u32;
            add(Who::Outside(who), Kind::Instance, running, instances);
            add(Who::Outside(who), Kind::LaunchTemplate, named, templates);
        }
    }
    tallies.sort_by_cached_key(|t| (account_id(world, t.who).to_string(), t.kind));
    tallies.truncate(usize::from(u16::MAX));
    tallies
}

/// The twelve-digit id of an account a report counts.
pub(crate) fn account_id(world: &World, who: Who) -> &str {
    match who {
        Who::Configured(ordinal) => world.owner(ordinal).map_or("", |o| o.id.as_str()),
        Who::Outside(at) => world
            .outsiders
            .accounts
            .get(usize::from(at))
            .map_or("", String::as_str),
    }
}

/// Whether the entry passes a filter.
fn passes(filter: &FieldFilter, entry: &UsageReportEntry) -> bool {
    let text = match filter.name.as_str() {
        "account-id" => entry.account_id.as_str(),
        "creation-time" => entry.report_creation_time.as_str(),
        _ => entry.resource_type.as_str(),
    };
    filter.matches([text])
}

/// The page of DescribeImageUsageReportEntries for `caller` in `region`.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &ReportQuery,
) -> Result<Page<UsageReportEntry>, ApiError> {
    let region = world.region_for(region, caller)?;
    request.check()?;
    if let Some((name, _)) = request.filters.iter().find(|(n, _)| n.starts_with("tag:")) {
        return Err(ApiError::invalid_value(format!(
            "The filter '{name}' is invalid"
        )));
    }
    let filters = FieldFilter::parse_all(&request.filters, &FILTERS)?;
    let binding = Binding::new(
        caller,
        &region.name,
        "DescribeImageUsageReportEntries",
        &request.binding(),
    );
    let start = binding.start(request.next_token.as_deref())?;
    if request.dry_run {
        return Err(ApiError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    let mut page = Page {
        items: Vec::new(),
        next_token: None,
    };
    let Some((estate, account)) = estate_of(world, region, caller) else {
        return Ok(page);
    };
    let limit = request
        .max_results
        .map_or(PAGE_LIMIT, |m| (m as usize).min(PAGE_LIMIT));
    let reports = &estate.usage_reports;
    let from = reports.partition_point(|r| r.serial < start.index);
    for (at, report) in reports.iter().enumerate().skip(from) {
        if report.progress != Progress::Available || report.entries.is_empty() {
            continue;
        }
        let described = describe_report(world, region, account, report);
        if !request.selects(&described.image_id, &described.report_id) {
            continue;
        }
        let first = if report.serial == start.index {
            usize::from(start.owner)
        } else {
            0
        };
        for (position, tally) in report.entries.iter().enumerate().skip(first) {
            let entry = UsageReportEntry {
                resource_type: match tally.kind {
                    Kind::Instance => "ec2:Instance",
                    Kind::LaunchTemplate => "ec2:LaunchTemplate",
                }
                .into(),
                report_id: described.report_id.clone(),
                usage_count: i64::from(tally.count),
                account_id: account_id(world, tally.who).into(),
                image_id: described.image_id.clone(),
                report_creation_time: iso8601(report.created.into(), report.millis.into()),
            };
            if !filters.iter().all(|f| passes(f, &entry)) {
                continue;
            }
            page.items.push(entry);
            if page.items.len() == limit {
                let next = if position + 1 < report.entries.len() {
                    Some(Position {
                        owner: (position + 1) as u16,
                        index: report.serial,
                    })
                } else {
                    reports[at + 1..]
                        .iter()
                        .any(|r| r.progress == Progress::Available && !r.entries.is_empty())
                        .then_some(Position {
                            owner: 0,
                            index: report.serial + 1,
                        })
                };
                page.next_token = next.map(|p| binding.token(p));
                return Ok(page);
            }
        }
    }
    Ok(page)
}

/// Every entry of `caller`'s available reports in `region`, in page order.
pub(crate) fn all(world: &World, caller: &Caller, region: &str) -> Vec<UsageReportEntry> {
    let mut request = ReportQuery::default();
    all_pages(|token| {
        request.next_token = token;
        page(world, caller, region, &request)
    })
    .unwrap_or_default()
}

/// The whole answer.
pub(crate) fn write(request_id: &str, page: &Page<UsageReportEntry>) -> String {
    response(
        "DescribeImageUsageReportEntries",
        request_id,
        page.next_token.as_deref(),
        |out| {
            set(out, "imageUsageReportEntrySet", &page.items, |out, e| {
                element(out, "resourceType", &e.resource_type);
                element(out, "reportId", &e.report_id);
                number(out, "usageCount", e.usage_count);
                element(out, "accountId", &e.account_id);
                element(out, "imageId", &e.image_id);
                element(out, "reportCreationTime", &e.report_creation_time);
            });
        },
    )
}

#[cfg(test)]
mod tests;
