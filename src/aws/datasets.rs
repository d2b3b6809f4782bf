//! The calls of the datasets beside images, paginated and retried as DescribeImages is
//! (the same backoff, the same counts), each page handed on as plain
//! [`crate::records::Records`].

use std::future::Future;

use aws_smithy_types::date_time::Format;
use futures::StreamExt;

use super::error::{ApiFailure, FailureKind};
use super::fetch::{FetchError, FetchSettings, FetchStats, backoff};
use super::whole::WholeBody;
use crate::plan::Dataset;
use crate::records::{
    AccountSettings, AncestryLink, ImageCriterion, ImageReference, Instance, LaunchPermission,
    Records, RecycleBinImage, Snapshot, Tag, UsageReport, UsageReportEntry,
};

/// DescribeImageReferences takes at most this many image ids per call.
const REFERENCE_IDS_PER_CALL: usize = 10;
/// Reference calls of one partition in flight at once: enough to hide latency, few
/// enough that one large owner leaves the account's throttling budget to the others
/// (what that budget means for a large owner: docs/decisions/0010-cleanup-at-scale.md).
const REFERENCE_CALLS_IN_FLIGHT: usize = 4;

/// Sends a call (the SDK's fluent builder) with the check that its response is whole,
/// as a future of the output or a one-line failure naming the operation.
macro_rules! send_checked {
    ($operation:expr, $call:expr) => {{
        let operation: &'static str = $operation;
        let (check, whole) = WholeBody::new();
        let call = $call.customize().interceptor(check);
        async move {
            let out = call.send().await.map_err(|e| failure(operation, &e))?;
            whole.check(operation)?;
            Ok::<_, ApiFailure>(out)
        }
    }};
}

/// What one dataset partition asks for.
#[derive(Debug, Clone)]
pub enum DatasetRequest {
    /// The account's resources that name these images (its own and those shared
    /// with it), checking `version_depth` launch template versions.
    References {
        image_ids: Vec<String>,
        version_depth: u32,
    },
    Instances,
    Snapshots,
    RecycleBin,
    Settings,
    /// The chains of these copies. A chain never changes: the copies in `stored` (their
    /// chains are in the store) are listed by a marker, which the merge replaces with
    /// the stored links, and only the others are asked about.
    Lineage {
        image_ids: Vec<String>,
        stored: std::collections::HashSet<String>,
    },
    /// The launch permissions of these owned images.
    LaunchPermissions {
        image_ids: Vec<String>,
    },
    /// The account's usage reports with their entries, after creating the reports
    /// `create` asks for, if any.
    UsageReports {
        create: Option<CreateReports>,
    },
}

/// Usage reports to create (a write, only when configured): one per image that has no
/// pending or available report younger than [`REPORT_REFRESH`].
#[derive(Debug, Clone)]
pub struct CreateReports {
    /// The owned images that are shared.
    pub image_ids: Vec<String>,
    /// Launch template versions each report checks.
    pub version_depth: u32,
    /// How long the partition waits for the reports it created to become available;
    /// one still pending is kept as pending, and the next run reads it.
    pub wait: std::time::Duration,
    /// Makes each report's client token, so a retried call creates no second report.
    pub run_id: i64,
}

/// A report younger than this is not made again: EC2's usage data lags a day.
pub const REPORT_REFRESH: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// DescribeImageUsageReports takes at most this many report ids per call.
const REPORT_IDS_PER_CALL: usize = 200;

impl DatasetRequest {
    pub fn dataset(&self) -> Dataset {
        match self {
            DatasetRequest::References { .. } => Dataset::References,
            DatasetRequest::Instances => Dataset::Instances,
            DatasetRequest::Snapshots => Dataset::Snapshots,
            DatasetRequest::RecycleBin => Dataset::RecycleBin,
            DatasetRequest::Settings => Dataset::Settings,
            DatasetRequest::Lineage { .. } => Dataset::Lineage,
            DatasetRequest::LaunchPermissions { .. } => Dataset::LaunchPermissions,
            DatasetRequest::UsageReports { .. } => Dataset::UsageReports,
        }
    }
}

/// Reads every page of the dataset partition and hands each to `on_page` in order.
/// Stops at the first call that fails after its retries, or when `on_page` fails.
pub async fn fetch_dataset<E>(
    client: &aws_sdk_ec2::Client,
    request: &DatasetRequest,
    settings: &FetchSettings,
    stats: &mut FetchStats,
    mut on_page: impl FnMut(Records, &FetchStats) -> Result<(), E>,
) -> Result<(), FetchError<E>> {
    let max = settings.max_results;
    // One paginated call sequence: the request for the page after `token`, and the
    // page's records made from the output.
    macro_rules! paged {
        ($operation:literal, |$token:ident| $call:expr, |$out:ident| $page:expr) => {
            paginate(
                $operation,
                settings,
                stats,
                |$token| {
                    let sent = send_checked!($operation, $call);
                    async move {
                        let $out = sent.await?;
                        let page = $page;
                        Ok((page, $out.next_token))
                    }
                },
                counted(&mut on_page),
            )
            .await
        };
    }
    match request {
        DatasetRequest::Instances => paged!(
            "ec2:DescribeInstanceImageMetadata",
            |token| client
                .describe_instance_image_metadata()
                .max_results(max)
                .set_next_token(token),
            |out| Records::Instances(
                (out.instance_image_metadata.unwrap_or_default().into_iter())
                    .filter_map(instance)
                    .collect()
            )
        ),
        DatasetRequest::Snapshots => paged!(
            "ec2:DescribeSnapshots",
            |token| client
                .describe_snapshots()
                .owner_ids("self")
                .max_results(max)
                .set_next_token(token),
            |out| Records::Snapshots(
                (out.snapshots.unwrap_or_default().into_iter())
                    .filter_map(snapshot)
                    .collect()
            )
        ),
        DatasetRequest::RecycleBin => paged!(
            "ec2:ListImagesInRecycleBin",
            |token| client
                .list_images_in_recycle_bin()
                .max_results(max)
                .set_next_token(token),
            |out| Records::RecycleBin(
                (out.images.unwrap_or_default().into_iter())
                    .filter_map(recycle_bin_image)
                    .collect()
            )
        ),
        DatasetRequest::Settings => {
            let settings_record = settings_of(client, settings, stats).await?;
            stats.pages += 1;
            stats.images += 1;
            on_page(Records::Settings(vec![settings_record]), stats).map_err(FetchError::Sink)
        }
        DatasetRequest::References {
            image_ids,
            version_depth,
        } => references(client, image_ids, *version_depth, settings, stats, on_page).await,
        DatasetRequest::Lineage { image_ids, stored } => {
            lineage(client, image_ids, stored, settings, stats, on_page).await
        }
        DatasetRequest::LaunchPermissions { image_ids } => {
            let calls = image_ids
                .iter()
                .cloned()
                .map(|id| launch_permissions_of(client, id, settings));
            per_image(
                calls,
                Vec::new(),
                Records::LaunchPermissions,
                stats,
                &mut on_page,
            )
            .await
        }
        DatasetRequest::UsageReports { create } => {
            if let Some(create) = create {
                create_reports(client, create, settings, stats).await?;
            }
            let reports = usage_reports(client, settings, stats).await?;
            stats.images += reports.len() as u64;
            on_page(Records::UsageReports(reports), stats).map_err(FetchError::Sink)
        }
    }
}

/// Pages of one call sequence, each page's call retried on its own, each page handed
/// to `take` in order.
async fn paginate<T, E, F, Fut>(
    operation: &'static str,
    settings: &FetchSettings,
    stats: &mut FetchStats,
    mut call: F,
    mut take: impl FnMut(T, &mut FetchStats) -> Result<(), E>,
) -> Result<(), FetchError<E>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(T, Option<String>), ApiFailure>>,
{
    let mut token: Option<String> = None;
    loop {
        let page = stats.pages + 1;
        let (items, next) = with_retries(settings, stats, page, || call(token.clone())).await?;
        stats.pages = page;
        take(items, stats).map_err(FetchError::Sink)?;
        match next {
            Some(next) if !next.is_empty() => {
                if token.as_deref() == Some(next.as_str()) {
                    return Err(FetchError::RepeatedToken { operation, page });
                }
                token = Some(next);
            }
            _ => return Ok(()),
        }
    }
}

/// A page of records goes on, counted.
fn counted<E>(
    on_page: &mut impl FnMut(Records, &FetchStats) -> Result<(), E>,
) -> impl FnMut(Records, &mut FetchStats) -> Result<(), E> + '_ {
    move |records, stats| {
        stats.images += records.len() as u64;
        on_page(records, stats)
    }
}

/// One call, retried on throttling and transient faults with the fetch's backoff.
async fn with_retries<T, E, F, Fut>(
    settings: &FetchSettings,
    stats: &mut FetchStats,
    page: u32,
    mut call: F,
) -> Result<T, FetchError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiFailure>>,
{
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match call().await {
            Ok(value) => return Ok(value),
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
                tracing::debug!(page, attempt, error = %failure, "retrying call");
                tokio::time::sleep(backoff(settings, attempt)).await;
            }
        }
    }
}

/// The two settings calls of a partition, one record.
async fn settings_of<E>(
    client: &aws_sdk_ec2::Client,
    settings: &FetchSettings,
    stats: &mut FetchStats,
) -> Result<AccountSettings, FetchError<E>> {
    let allowed = with_retries(settings, stats, 1, || {
        send_checked!(
            "ec2:GetAllowedImagesSettings",
            client.get_allowed_images_settings()
        )
    })
    .await?;
    let block = with_retries(settings, stats, 1, || {
        send_checked!(
            "ec2:GetImageBlockPublicAccessState",
            client.get_image_block_public_access_state()
        )
    })
    .await?;
    Ok(AccountSettings {
        allowed_images_state: allowed.state,
        allowed_images_criteria: allowed.image_criteria.map(|criteria| {
            criteria
                .into_iter()
                .map(|c| ImageCriterion {
                    image_providers: c.image_providers,
                    image_names: c.image_names,
                    marketplace_product_codes: c.marketplace_product_codes,
                    maximum_days_since_created: c
                        .creation_date_condition
                        .and_then(|d| d.maximum_days_since_created),
                    maximum_days_since_deprecated: c
                        .deprecation_time_condition
                        .and_then(|d| d.maximum_days_since_deprecated),
                })
                .collect()
        }),
        allowed_images_managed_by: allowed.managed_by.map(|m| m.as_str().to_string()),
        image_block_public_access_state: block.image_block_public_access_state,
        image_block_public_access_managed_by: block.managed_by.map(|m| m.as_str().to_string()),
    })
}

/// DescribeImageReferences over `image_ids` in calls of ten ids, a few in flight, the
/// pages handed on in the order of the ids.
async fn references<E>(
    client: &aws_sdk_ec2::Client,
    image_ids: &[String],
    version_depth: u32,
    settings: &FetchSettings,
    stats: &mut FetchStats,
    mut on_page: impl FnMut(Records, &FetchStats) -> Result<(), E>,
) -> Result<(), FetchError<E>> {
    // Each call's ids are copied as its turn comes, not all at once.
    let batches = (0..image_ids.len())
        .step_by(REFERENCE_IDS_PER_CALL)
        .map(|start| {
            let end = (start + REFERENCE_IDS_PER_CALL).min(image_ids.len());
            references_of(
                client,
                image_ids[start..end].to_vec(),
                version_depth,
                settings,
            )
        });
    let mut batches = futures::stream::iter(batches).buffered(REFERENCE_CALLS_IN_FLIGHT);
    let mut pending = Vec::new();
    while let Some((fetched, batch_stats, found)) = batches.next().await {
        stats.retries += batch_stats.retries;
        stats.throttles += batch_stats.throttles;
        stats.pages += batch_stats.pages;
        if let Err(e) = fetched {
            return Err(at_page(e, stats.pages));
        }
        stats.images += found.len() as u64;
        pending.extend(found);
        // Pages of about a thousand references, however the calls fell.
        if pending.len() >= 1000 {
            on_page(Records::References(std::mem::take(&mut pending)), stats)
                .map_err(FetchError::Sink)?;
        }
    }
    on_page(Records::References(pending), stats).map_err(FetchError::Sink)
}

/// GetImageAncestry for each copy without a stored chain, a few calls in flight; a
/// stored chain is listed by a marker (position -1).
async fn lineage<E>(
    client: &aws_sdk_ec2::Client,
    image_ids: &[String],
    stored: &std::collections::HashSet<String>,
    settings: &FetchSettings,
    stats: &mut FetchStats,
    mut on_page: impl FnMut(Records, &FetchStats) -> Result<(), E>,
) -> Result<(), FetchError<E>> {
    let (known, asked): (Vec<String>, Vec<String>) = image_ids
        .iter()
        .cloned()
        .partition(|id| stored.contains(id));
    let markers = known
        .into_iter()
        .map(|image_id| AncestryLink {
            image_id,
            position: -1,
            ..AncestryLink::default()
        })
        .collect();
    let calls = asked
        .into_iter()
        .map(|id| ancestry_of(client, id, settings));
    per_image(calls, markers, Records::Lineage, stats, &mut on_page).await
}

/// One call per image, a few in flight, in the order of `calls`; the records go on in
/// pages of about a thousand after `first`. An image deregistered since its listing
/// has nothing left to keep and is passed over.
async fn per_image<T, E, Fut>(
    calls: impl Iterator<Item = Fut>,
    first: Vec<T>,
    page: fn(Vec<T>) -> Records,
    stats: &mut FetchStats,
    on_page: &mut impl FnMut(Records, &FetchStats) -> Result<(), E>,
) -> Result<(), FetchError<E>>
where
    Fut: Future<
        Output = (
            Result<Vec<T>, FetchError<std::convert::Infallible>>,
            FetchStats,
        ),
    >,
{
    let mut pending = first;
    let mut calls = futures::stream::iter(calls).buffered(REFERENCE_CALLS_IN_FLIGHT);
    while let Some((fetched, call_stats)) = calls.next().await {
        stats.retries += call_stats.retries;
        stats.throttles += call_stats.throttles;
        stats.pages += 1;
        match fetched {
            Ok(records) => pending.extend(records),
            Err(FetchError::Api { failure, .. }) if image_gone(&failure) => {}
            Err(e) => return Err(at_page(e, stats.pages - 1)),
        }
        if pending.len() >= 1000 {
            stats.images += pending.len() as u64;
            on_page(page(std::mem::take(&mut pending)), stats).map_err(FetchError::Sink)?;
        }
    }
    stats.images += pending.len() as u64;
    on_page(page(pending), stats).map_err(FetchError::Sink)
}

/// Who may launch one owned image.
async fn launch_permissions_of(
    client: &aws_sdk_ec2::Client,
    image_id: String,
    settings: &FetchSettings,
) -> (
    Result<Vec<LaunchPermission>, FetchError<std::convert::Infallible>>,
    FetchStats,
) {
    let mut call_stats = FetchStats::default();
    let fetched = with_retries(settings, &mut call_stats, 1, || {
        send_checked!(
            "ec2:DescribeImageAttribute",
            client
                .describe_image_attribute()
                .image_id(image_id.clone())
                .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
        )
    })
    .await
    .map(|out| {
        let mut grants: Vec<LaunchPermission> = out
            .launch_permissions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                let (grantee_type, grantee) = if let Some(group) = p.group {
                    ("group", group.as_str().to_string())
                } else if let Some(user) = p.user_id {
                    ("user", user)
                } else if let Some(org) = p.organization_arn {
                    ("organization", org)
                } else {
                    ("organizational-unit", p.organizational_unit_arn?)
                };
                Some(LaunchPermission {
                    image_id: image_id.clone(),
                    grantee_type: grantee_type.to_string(),
                    grantee,
                })
            })
            .collect();
        grants.sort_by(|a, b| (&a.grantee_type, &a.grantee).cmp(&(&b.grantee_type, &b.grantee)));
        grants.dedup();
        grants
    });
    (fetched, call_stats)
}

/// Creates the reports `create` asks for and waits, within its bound, until none of
/// them is pending.
async fn create_reports<E>(
    client: &aws_sdk_ec2::Client,
    create: &CreateReports,
    settings: &FetchSettings,
    stats: &mut FetchStats,
) -> Result<(), FetchError<E>> {
    if create.image_ids.is_empty() {
        // Nothing is shared, or nothing is known: this run and the store have no launch
        // permission of this account and region.
        tracing::info!(
            "no owned image here has a launch permission (as the launch-permissions dataset last saw), so no usage report is created"
        );
        return Ok(());
    }
    let started = tokio::time::Instant::now();
    let fresh_after = chrono::Utc::now() - REPORT_REFRESH;
    let recent: std::collections::HashSet<String> = usage_reports(client, settings, stats)
        .await?
        .into_iter()
        .filter(|r| matches!(r.state.as_deref(), Some("pending" | "available")))
        .filter(|r| {
            r.creation_time_ts
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t > fresh_after)
        })
        .filter_map(|r| r.image_id)
        .collect();
    let asked: Vec<String> = (create.image_ids.iter())
        .filter(|id| !recent.contains(*id))
        .cloned()
        .collect();
    let calls = asked
        .into_iter()
        .map(|image_id| create_report(client, image_id, create, settings));
    let mut calls = futures::stream::iter(calls).buffered(REFERENCE_CALLS_IN_FLIGHT);
    let mut created = Vec::new();
    while let Some((made, call_stats)) = calls.next().await {
        stats.retries += call_stats.retries;
        stats.throttles += call_stats.throttles;
        stats.pages += 1;
        match made {
            Ok(report) => created.extend(report),
            // Deregistered since its listing: nothing to report on.
            Err(FetchError::Api { failure, .. }) if image_gone(&failure) => {}
            // The account's quota of pending reports: the reports that exist are still
            // read, and a later run makes the rest.
            Err(FetchError::Api { failure, .. })
                if failure.code.as_deref() == Some("ResourceLimitExceeded") =>
            {
                tracing::warn!(error = %failure, "cannot create more usage reports now");
                break;
            }
            Err(e) => return Err(at_page(e, stats.pages - 1)),
        }
    }
    drop(calls);
    tracing::debug!(created = created.len(), "usage reports created");
    // Waits with growing pauses while any is pending, until the bound.
    let mut pause = std::time::Duration::from_millis(200);
    while !created.is_empty() {
        let mut still = Vec::new();
        for ids in created.chunks(REPORT_IDS_PER_CALL) {
            let page = stats.pages + 1;
            let out = with_retries(settings, stats, page, || {
                send_checked!(
                    "ec2:DescribeImageUsageReports",
                    client
                        .describe_image_usage_reports()
                        .set_report_ids(Some(ids.to_vec()))
                )
            })
            .await?;
            stats.pages = page;
            still.extend(
                (out.image_usage_reports.unwrap_or_default().into_iter())
                    .filter(|r| r.state.as_deref() == Some("pending"))
                    .filter_map(|r| r.report_id),
            );
        }
        created = still;
        let left = create.wait.saturating_sub(started.elapsed());
        if created.is_empty() || left.is_zero() {
            break;
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(15));
    }
    if !created.is_empty() {
        tracing::info!(
            pending = created.len(),
            "usage reports still pending; a later run reads them"
        );
    }
    Ok(())
}

/// One CreateImageUsageReport: instances and launch templates in every account.
async fn create_report(
    client: &aws_sdk_ec2::Client,
    image_id: String,
    create: &CreateReports,
    settings: &FetchSettings,
) -> (
    Result<Option<String>, FetchError<std::convert::Infallible>>,
    FetchStats,
) {
    let mut call_stats = FetchStats::default();
    // The same token on a retry: EC2 makes no second report.
    let token = format!("amiq-{}-{image_id}", create.run_id);
    let made = with_retries(settings, &mut call_stats, 1, || {
        send_checked!(
            "ec2:CreateImageUsageReport",
            client
                .create_image_usage_report()
                .image_id(image_id.clone())
                .resource_types(usage_resource_type("ec2:Instance", None))
                .resource_types(usage_resource_type(
                    "ec2:LaunchTemplate",
                    Some(create.version_depth)
                ))
                .client_token(token.clone())
        )
    })
    .await
    .map(|out| out.report_id);
    (made, call_stats)
}

fn usage_resource_type(
    resource_type: &str,
    version_depth: Option<u32>,
) -> aws_sdk_ec2::types::ImageUsageResourceTypeRequest {
    use aws_sdk_ec2::types::{ImageUsageResourceTypeOptionRequest, ImageUsageResourceTypeRequest};
    let request = ImageUsageResourceTypeRequest::builder().resource_type(resource_type);
    match version_depth {
        Some(depth) => request
            .resource_type_options(
                ImageUsageResourceTypeOptionRequest::builder()
                    .option_name("version-depth")
                    .option_values(depth.to_string())
                    .build(),
            )
            .build(),
        None => request.build(),
    }
}

/// Every usage report of the account in the region, each available one with its
/// entries.
async fn usage_reports<E>(
    client: &aws_sdk_ec2::Client,
    settings: &FetchSettings,
    stats: &mut FetchStats,
) -> Result<Vec<UsageReport>, FetchError<E>> {
    let mut reports = Vec::new();
    paginate(
        "ec2:DescribeImageUsageReports",
        settings,
        stats,
        |token| {
            let sent = send_checked!(
                "ec2:DescribeImageUsageReports",
                client
                    .describe_image_usage_reports()
                    .max_results(settings.max_results)
                    .set_next_token(token)
            );
            async move {
                let out = sent.await?;
                Ok((out.image_usage_reports.unwrap_or_default(), out.next_token))
            }
        },
        |page: Vec<_>, _: &mut FetchStats| {
            reports.extend(page.into_iter().filter_map(usage_report));
            Ok::<(), E>(())
        },
    )
    .await?;
    let mut entries: std::collections::HashMap<String, Vec<UsageReportEntry>> =
        std::collections::HashMap::new();
    if reports
        .iter()
        .any(|r| r.state.as_deref() == Some("available"))
    {
        paginate(
            "ec2:DescribeImageUsageReportEntries",
            settings,
            stats,
            |token| {
                let sent = send_checked!(
                    "ec2:DescribeImageUsageReportEntries",
                    client
                        .describe_image_usage_report_entries()
                        .max_results(settings.max_results)
                        .set_next_token(token)
                );
                async move {
                    let out = sent.await?;
                    Ok((
                        out.image_usage_report_entries.unwrap_or_default(),
                        out.next_token,
                    ))
                }
            },
            |page: Vec<_>, _: &mut FetchStats| {
                for e in page {
                    let (Some(report), Some(account_id), Some(resource_type)) =
                        (e.report_id, e.account_id, e.resource_type)
                    else {
                        continue;
                    };
                    entries.entry(report).or_default().push(UsageReportEntry {
                        account_id,
                        resource_type,
                        usage_count: e.usage_count.unwrap_or(0),
                    });
                }
                Ok::<(), E>(())
            },
        )
        .await?;
    }
    for report in &mut reports {
        if report.state.as_deref() == Some("available") {
            let mut found = entries.remove(&report.report_id).unwrap_or_default();
            found.sort_by(|a, b| {
                (&a.account_id, &a.resource_type).cmp(&(&b.account_id, &b.resource_type))
            });
            report.entries = Some(found);
        }
    }
    reports.sort_by(|a, b| a.report_id.cmp(&b.report_id));
    Ok(reports)
}

/// One image's chain of copies, as links.
async fn ancestry_of(
    client: &aws_sdk_ec2::Client,
    image_id: String,
    settings: &FetchSettings,
) -> (
    Result<Vec<AncestryLink>, FetchError<std::convert::Infallible>>,
    FetchStats,
) {
    let mut call_stats = FetchStats::default();
    let fetched = with_retries(settings, &mut call_stats, 1, || {
        send_checked!(
            "ec2:GetImageAncestry",
            client.get_image_ancestry().image_id(image_id.clone())
        )
    })
    .await
    .map(|out| {
        out.image_ancestry_entries
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(position, entry)| {
                Some(AncestryLink {
                    image_id: image_id.clone(),
                    position: position as i32,
                    ancestor_image_id: entry.image_id?,
                    ancestor_creation_date: time(entry.creation_date),
                    ancestor_owner_alias: entry.image_owner_alias,
                    ancestor_source_image_id: entry.source_image_id,
                    ancestor_source_image_region: entry.source_image_region,
                })
            })
            .collect()
    });
    (fetched, call_stats)
}

/// The references to one call's ids. An id that is no longer there (deregistered since
/// its listing) fails the whole call, so such a call is asked again id by id, and the
/// ids that are gone are left out: nothing can name them now.
async fn references_of(
    client: &aws_sdk_ec2::Client,
    ids: Vec<String>,
    version_depth: u32,
    settings: &FetchSettings,
) -> (
    Result<(), FetchError<std::convert::Infallible>>,
    FetchStats,
    Vec<ImageReference>,
) {
    let (fetched, mut stats, found) =
        reference_batch(client, ids.clone(), version_depth, settings).await;
    if !is_gone(&fetched) {
        return (fetched, stats, found);
    }
    if ids.len() == 1 {
        return (Ok(()), stats, Vec::new());
    }
    let mut found = Vec::new();
    for id in ids {
        let (fetched, one, refs) = reference_batch(client, vec![id], version_depth, settings).await;
        stats.pages += one.pages;
        stats.retries += one.retries;
        stats.throttles += one.throttles;
        match fetched {
            Ok(()) => found.extend(refs),
            Err(_) if is_gone(&fetched) => {}
            Err(e) => return (Err(e), stats, found),
        }
    }
    (Ok(()), stats, found)
}

fn is_gone<E>(fetched: &Result<(), FetchError<E>>) -> bool {
    matches!(fetched, Err(FetchError::Api { failure, .. }) if image_gone(failure))
}

/// Whether a call failed because its image is no longer there (deregistered since its
/// listing): nothing can name it, and it has nothing left to keep.
fn image_gone(failure: &ApiFailure) -> bool {
    matches!(
        failure.code.as_deref(),
        Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
    )
}

/// A failed call of a partition made of many calls, as the partition's failure: an API
/// failure at the page after `done` pages, a repeated token at the last page.
fn at_page<E>(e: FetchError<std::convert::Infallible>, done: u32) -> FetchError<E> {
    match e {
        FetchError::Api {
            failure, attempts, ..
        } => FetchError::Api {
            failure,
            page: done + 1,
            attempts,
        },
        FetchError::RepeatedToken { operation, .. } => FetchError::RepeatedToken {
            operation,
            page: done,
        },
        FetchError::Sink(never) => match never {},
    }
}

/// The references to one call's ids, every page of it.
async fn reference_batch(
    client: &aws_sdk_ec2::Client,
    ids: Vec<String>,
    version_depth: u32,
    settings: &FetchSettings,
) -> (
    Result<(), FetchError<std::convert::Infallible>>,
    FetchStats,
    Vec<ImageReference>,
) {
    let mut batch_stats = FetchStats::default();
    let mut found = Vec::new();
    let fetched = paginate(
        "ec2:DescribeImageReferences",
        settings,
        &mut batch_stats,
        |token| {
            let sent = send_checked!(
                "ec2:DescribeImageReferences",
                client
                    .describe_image_references()
                    .set_image_ids(Some(ids.clone()))
                    .include_all_resource_types(true)
                    .resource_types(launch_template_depth(version_depth))
                    .max_results(settings.max_results)
                    .set_next_token(token)
            );
            async move {
                let out = sent.await?;
                let items = out.image_references.unwrap_or_default();
                let page = items.into_iter().filter_map(reference).collect();
                Ok((Records::References(page), out.next_token))
            }
        },
        |records: Records, stats: &mut FetchStats| {
            stats.images += records.len() as u64;
            if let Records::References(r) = records {
                found.extend(r);
            }
            Ok(())
        },
    )
    .await;
    (fetched, batch_stats, found)
}

/// Launch templates checked `depth` versions deep (the other types at EC2's defaults).
fn launch_template_depth(depth: u32) -> aws_sdk_ec2::types::ResourceTypeRequest {
    use aws_sdk_ec2::types::{
        ImageReferenceOptionName, ImageReferenceResourceType, ResourceTypeOption,
        ResourceTypeRequest,
    };
    ResourceTypeRequest::builder()
        .resource_type(ImageReferenceResourceType::Ec2LaunchTemplate)
        .resource_type_options(
            ResourceTypeOption::builder()
                .option_name(ImageReferenceOptionName::VersionDepth)
                .option_values(depth.to_string())
                .build(),
        )
        .build()
}

/// An SDK error as a one-line failure; a refusal names the IAM action to grant.
fn failure<E>(
    operation: &str,
    err: &aws_sdk_ec2::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> ApiFailure
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut failure = ApiFailure::from_sdk(operation, err);
    if matches!(
        failure.code.as_deref(),
        Some("UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException")
    ) {
        failure.message = format!(
            "{}; the role needs IAM permission {operation}",
            failure.message
        );
    }
    failure
}

fn time(t: Option<aws_smithy_types::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
}

fn tags(tags: Option<Vec<aws_sdk_ec2::types::Tag>>) -> Option<Vec<Tag>> {
    tags.map(|tags| {
        tags.into_iter()
            .map(|t| Tag {
                key: t.key.unwrap_or_default(),
                value: t.value.unwrap_or_default(),
            })
            .collect()
    })
}

fn reference(r: aws_sdk_ec2::types::ImageReference) -> Option<ImageReference> {
    Some(ImageReference {
        image_id: r.image_id?,
        resource_type: r
            .resource_type
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        arn: r.arn?,
    })
}

fn instance(i: aws_sdk_ec2::types::InstanceImageMetadata) -> Option<Instance> {
    let image = i.image_metadata;
    Some(Instance {
        instance_id: i.instance_id?,
        instance_type: i.instance_type.map(|t| t.as_str().to_string()),
        instance_state: i.state.and_then(|s| s.name).map(|n| n.as_str().to_string()),
        launch_time_ts: time(i.launch_time),
        availability_zone: i.availability_zone,
        zone_id: i.zone_id,
        instance_owner_id: i.owner_id,
        tags: tags(i.tags),
        image_id: image.as_ref().and_then(|m| m.image_id.clone()),
        image_name: image.as_ref().and_then(|m| m.name.clone()),
        image_owner_id: image.as_ref().and_then(|m| m.owner_id.clone()),
        image_owner_alias: image.as_ref().and_then(|m| m.image_owner_alias.clone()),
        image_state: image
            .as_ref()
            .and_then(|m| m.state.as_ref())
            .map(|s| s.as_str().to_string()),
        image_creation_date: image.as_ref().and_then(|m| m.creation_date.clone()),
        image_deprecation_time: image.as_ref().and_then(|m| m.deprecation_time.clone()),
        image_allowed: image.as_ref().and_then(|m| m.image_allowed),
        image_is_public: image.as_ref().and_then(|m| m.is_public),
    })
}

fn snapshot(s: aws_sdk_ec2::types::Snapshot) -> Option<Snapshot> {
    Some(Snapshot {
        snapshot_id: s.snapshot_id?,
        volume_id: s.volume_id,
        volume_size: s.volume_size,
        full_snapshot_size_in_bytes: s.full_snapshot_size_in_bytes,
        storage_tier: s.storage_tier.map(|t| t.as_str().to_string()),
        start_time_ts: time(s.start_time),
        encrypted: s.encrypted,
        state: s.state.map(|t| t.as_str().to_string()),
        description: s.description,
        owner_id: s.owner_id,
        tags: tags(s.tags),
    })
}

fn usage_report(r: aws_sdk_ec2::types::ImageUsageReport) -> Option<UsageReport> {
    Some(UsageReport {
        report_id: r.report_id?,
        image_id: r.image_id,
        state: r.state,
        state_reason: r.state_reason,
        creation_time_ts: time(r.creation_time),
        expiration_time_ts: time(r.expiration_time),
        account_ids: r.account_ids.filter(|a| !a.is_empty()),
        resource_types: r
            .resource_types
            .map(|types| types.into_iter().filter_map(|t| t.resource_type).collect()),
        entries: None,
        tags: tags(r.tags),
    })
}

fn recycle_bin_image(i: aws_sdk_ec2::types::ImageRecycleBinInfo) -> Option<RecycleBinImage> {
    Some(RecycleBinImage {
        image_id: i.image_id?,
        name: i.name,
        description: i.description,
        recycle_bin_enter_time_ts: time(i.recycle_bin_enter_time),
        recycle_bin_exit_time_ts: time(i.recycle_bin_exit_time),
    })
}
