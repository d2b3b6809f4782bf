//! One sync run: resolve accounts, plan partitions, fetch them concurrently, merge
//! each completed one atomically, and keep the ledger.
//!
//! Invariant: a partition that does not complete changes nothing but its own ledger
//! row. Pages are staged on disk and only a partition whose every page was read is
//! merged.

mod asked;
mod merger;
pub mod progress;

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Semaphore;

use crate::aws::{
    AccountSession, ClientSettings, CreateReports, DatasetRequest, FetchSettings, FetchStats,
};
use crate::batch::{PageOrigin, to_record_batch};
use crate::config::{AccountConfig, Regions, SyncConfig};
use crate::plan::{Dataset, Listing, Partition, ResolvedAccount, Scope, plan};
use crate::store::{
    HOLD_BUDGET, HoldBudget, MergeCounts, PartitionRecord, PartitionStage, PartitionStatus,
    RecordStage, RunStatus, StagedPartition, StagedRecords, StoreError, StoreSettings,
};
use asked::AskedIds;
use merger::Merger;
pub use progress::Progress;

/// What a run did, for the summary and the exit code.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    pub run_id: i64,
    pub status: RunStatus,
    pub partitions: Vec<PartitionRecord>,
    /// Set when a signal stopped the run before every partition was done.
    pub interrupted: bool,
}

impl SyncOutcome {
    pub fn failed(&self) -> impl Iterator<Item = &PartitionRecord> {
        self.partitions
            .iter()
            .filter(|p| p.status == PartitionStatus::Failed)
    }
}

/// Runs one sync. `stop` resolves when the run should stop early (Ctrl-C, SIGTERM):
/// partitions being fetched are dropped (they change nothing), a merge in progress
/// finishes or rolls back.
pub async fn run_sync(
    config: &SyncConfig,
    progress: Arc<dyn Progress>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<SyncOutcome, StoreError> {
    let store_settings = StoreSettings {
        memory_limit: config.memory_limit.clone(),
        ..StoreSettings::default()
    };
    // The one writer: the run's bookkeeping and every merge go through its connection.
    let merger = Arc::new(Merger::start(config.db.clone(), store_settings.clone()));
    // Fail early, before any AWS call, if the store cannot be opened or migrated.
    merger.with_store(|_| Ok(())).await?;

    let client_settings = ClientSettings {
        endpoint_url: config.endpoint_url.clone(),
        home_region: match &config.regions {
            Regions::Listed(list) => list[0].clone(),
            Regions::All => "us-east-1".to_string(),
        },
        attempt_timeout: config.page_timeout,
        base_credentials: config.base_credentials.clone(),
        bases: Default::default(),
    };
    let mut unreachable = Vec::new();
    let listed_at = Utc::now();
    let mut organization = None;
    let accounts = match &config.organization {
        None => config.accounts.clone(),
        Some(org) => match crate::aws::organization::discover(org, &client_settings).await {
            Ok(mut members) => {
                organization = Some((
                    members.listed_by.clone(),
                    std::mem::take(&mut members.accounts),
                ));
                for (id, name, state) in &members.skipped {
                    tracing::info!(account = %id, name = %name, state = %state,
                        "organization member skipped: it is not active");
                }
                tracing::info!(
                    accounts = members.active.len(),
                    skipped = members.skipped.len(),
                    "organization accounts discovered"
                );
                crate::aws::organization::with_members(&config.accounts, members.active)
            }
            Err(e) => {
                // The named accounts still sync; the run records why the rest could not.
                unreachable.push((
                    "organization".to_string(),
                    ORGANIZATION_REGION.to_string(),
                    Dataset::Accounts.to_string(),
                    format!("cannot list the organization's accounts: {e}"),
                ));
                config.accounts.clone()
            }
        },
    };
    let (sessions, resolved, failed_accounts) =
        resolve_accounts(&accounts, &client_settings, &config.regions).await;

    let listed = match &config.regions {
        Regions::Listed(list) => Some(list.as_slice()),
        Regions::All => None,
    };
    let partitions = plan(&resolved, listed, &config.scopes, &config.datasets);
    for (index, account, reason) in &failed_accounts {
        let name = account
            .name
            .clone()
            .unwrap_or_else(|| format!("account #{}", index + 1));
        let regions: Vec<String> = match &config.regions {
            Regions::Listed(list) => list.clone(),
            Regions::All => vec!["all".to_string()],
        };
        let images = config.datasets.contains(&Dataset::Images);
        let listings: Vec<String> = config
            .scopes
            .iter()
            .filter(|_| images)
            .map(Scope::to_string)
            .chain(
                config
                    .datasets
                    .iter()
                    .filter(|d| **d != Dataset::Images)
                    .map(|d| d.to_string()),
            )
            .collect();
        for region in regions {
            for listing in &listings {
                unreachable.push((
                    name.clone(),
                    region.clone(),
                    listing.clone(),
                    reason.clone(),
                ));
            }
        }
    }

    let planned = partitions.len() + unreachable.len() + usize::from(organization.is_some());
    let create_usage_reports = config.create_usage_reports;
    let (run_id, mut asked_ids, partitions) = merger
        .with_store(move |store| {
            let run_id = store.begin_run(planned)?;
            let asked = AskedIds::plan(store, &partitions, create_usage_reports)?;
            Ok((run_id, asked, partitions))
        })
        .await?;
    tracing::info!(run_id, partitions = partitions.len(), "sync run started");
    progress.run_started(run_id, &partitions);

    let (swept, bytes) = crate::store::sweep_abandoned(config.staging_dir.as_deref());
    if swept > 0 {
        tracing::info!(
            files = swept,
            bytes,
            "deleted staging files that killed syncs left behind"
        );
    }

    let mut records = Vec::new();
    for (name, region, scope, reason) in unreachable {
        let mut record = PartitionRecord::started(run_id, &name, &name, &region, &scope, false);
        record.status = PartitionStatus::Failed;
        record.finished_at = Some(Utc::now());
        record.error = Some(reason);
        merger.record_failure(record.clone()).await?;
        progress.partition_finished(None, &record);
        records.push(record);
    }

    if let Some((listed_by, members)) = organization {
        let record =
            store_organization(run_id, &merger, config, &listed_by, members, listed_at).await;
        progress.partition_finished(None, &record);
        records.push(record);
    }

    let fetch_settings = FetchSettings {
        max_results: config.max_results,
        max_attempts: config.max_attempts,
        ..FetchSettings::default()
    };
    let limit = Arc::new(Semaphore::new(config.concurrency));
    let run = Arc::new(RunShared {
        run_id,
        fetch: fetch_settings,
        staging_dir: config.staging_dir.clone(),
        hold: HoldBudget::new(HOLD_BUDGET),
        merger: merger.clone(),
        progress: progress.clone(),
        reference_version_depth: config.reference_version_depth,
        create_usage_reports: config.create_usage_reports,
        usage_report_wait: config.usage_report_wait,
    });
    // Partitions start in plan order, at most `window` of them spawned at once: a
    // spawned task holds its whole future, and 34,000 of them held hundreds of
    // megabytes (docs/decisions/0012-first-merges-together.md). A partition that waits
    // for image ids waits for listings of its own account and region, a few places
    // before or after it in the plan, so the window always holds what it waits for.
    // What is not fetching waits for the writer: fetching goes on while a round
    // merges, and the next round takes all that finished, as much of the window as the
    // fetch slots leave (docs/decisions/0014-small-listings-one-file-a-round.md).
    let window = config.concurrency.saturating_mul(4).max(256);
    let launch = Launch {
        limit,
        sessions: Arc::new(sessions),
        run: run.clone(),
    };
    let mut pending = partitions.into_iter().enumerate();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, partition) in pending.by_ref().take(window) {
        let ids = asked_ids.take(&partition);
        launch.spawn(&mut tasks, index, partition, ids);
    }

    let mut interrupted = false;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(Ok(record)) => {
                    records.push(record);
                    if !interrupted && let Some((index, partition)) = pending.next() {
                        let ids = asked_ids.take(&partition);
                        launch.spawn(&mut tasks, index, partition, ids);
                    }
                }
                Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Some(Err(_)) => {}
                None => break,
            },
            _ = &mut stop, if !interrupted => {
                interrupted = true;
                tracing::warn!(run_id, "stopping: partitions in flight are abandoned, merges in progress finish");
                tasks.abort_all();
            }
        }
    }
    drop(launch);
    // The tasks have ended; the run's share of the merger goes with them.
    drop(run);
    // Finished on the connection of the last merge, while it is still open.
    let status = merger
        .with_store(move |store| store.finish_run(run_id, interrupted))
        .await;
    match Arc::try_unwrap(merger) {
        Ok(m) => m.finish(),
        Err(_) => unreachable!("every partition task has ended"),
    }
    let status = status?;
    let outcome = SyncOutcome {
        run_id,
        status,
        partitions: records,
        interrupted,
    };
    progress.run_finished(&outcome);
    Ok(outcome)
}

/// What a partition's task shares with the others.
struct Launch {
    /// Fetch slots.
    limit: Arc<Semaphore>,
    sessions: Arc<Vec<Option<AccountSession>>>,
    run: Arc<RunShared>,
}

impl Launch {
    fn spawn(
        &self,
        tasks: &mut tokio::task::JoinSet<PartitionRecord>,
        index: usize,
        partition: Partition,
        ids: asked::Pending,
    ) {
        let limit = self.limit.clone();
        let (sessions, run) = (self.sessions.clone(), self.run.clone());
        tasks.spawn(async move {
            // A references or lineage partition first waits for the image ids it asks
            // about, holding no slot meanwhile.
            let waited = ids.wait().await;
            // A region not enabled is skipped whatever its listings did, taking no slot;
            // the partitions that wait for its ids learn why.
            if let Some(reason) = &partition.skipped {
                if let Ok(ids) = waited {
                    ids.finish(Err(reason.as_str()));
                }
                let (status, reason) = (PartitionStatus::Skipped, reason.clone());
                return record_unfetched(&run, index, &partition, status, reason).await;
            }
            let ids = match waited {
                Ok(ids) => ids,
                Err(reason) => {
                    let status = PartitionStatus::Failed;
                    return record_unfetched(&run, index, &partition, status, reason).await;
                }
            };
            let fetching = limit
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let session = sessions[partition.account_index]
                .as_ref()
                .expect("planned partitions have a session");
            sync_partition(&run, index, &partition, session, fetching, ids).await
        });
    }
}

/// The ledger's region of the organization's listing: Organizations is global.
const ORGANIZATION_REGION: &str = "global";

/// Stores the organization's member accounts as the run's `accounts` partition of the
/// account that listed them.
async fn store_organization(
    run_id: i64,
    merger: &Merger,
    config: &SyncConfig,
    listed_by: &str,
    members: Vec<crate::records::OrgAccount>,
    started_at: chrono::DateTime<Utc>,
) -> PartitionRecord {
    let mut record = PartitionRecord::started(
        run_id,
        listed_by,
        listed_by,
        ORGANIZATION_REGION,
        Dataset::Accounts.name(),
        false,
    );
    record.started_at = started_at;
    record.pages = 1;
    record.images = members.len() as u64;
    let records = crate::records::Records::Accounts(members);
    let staged = crate::records::to_record_batch(listed_by, ORGANIZATION_REGION, &records)
        .map_err(|e| StoreError::Stage {
            path: config.staging_dir.clone().unwrap_or_default(),
            message: e.to_string(),
        })
        .and_then(|batch| {
            let mut stage = RecordStage::create(config.staging_dir.as_deref(), Dataset::Accounts)?;
            stage.write(&batch)?;
            stage.finish()
        });
    let merged = match staged {
        Ok(staged) => merger
            .merge_records(staged, record.clone())
            .await
            .map_err(merge_failed),
        Err(e) => Err(format!("cannot stage the organization's accounts: {e}")),
    };
    settle(merger, &mut record, merged).await;
    record
}

fn merge_failed(e: StoreError) -> String {
    format!("merge failed, nothing of this partition was stored: {e}")
}

/// Ends a partition's ledger row with what its merge changed, or records it failed
/// with `reason` (changing nothing else).
async fn settle(
    merger: &Merger,
    record: &mut PartitionRecord,
    merged: Result<MergeCounts, String>,
) {
    record.finished_at = Some(Utc::now());
    match merged {
        Ok(counts) => {
            record.added = Some(counts.added);
            record.changed = Some(counts.changed);
            record.gone = Some(counts.gone);
        }
        Err(reason) => {
            record.status = PartitionStatus::Failed;
            record.error = Some(reason);
            if let Err(e) = merger.record_failure(record.clone()).await {
                tracing::error!(account = %record.account_id, region = %record.region,
                    listing = %record.scope, error = %e, "cannot record the failed partition");
            }
        }
    }
}

type AccountResolution = (
    Vec<Option<AccountSession>>,
    Vec<ResolvedAccount>,
    Vec<(usize, AccountConfig, String)>,
);

/// Resolves every account's credentials and regions, concurrently.
async fn resolve_accounts(
    accounts: &[AccountConfig],
    settings: &ClientSettings,
    regions: &Regions,
) -> AccountResolution {
    let attempts = futures::future::join_all(accounts.iter().map(|account| async move {
        let session = AccountSession::connect(account, settings).await?;
        let known = match session.regions().await {
            Ok(list) => Some(list),
            Err(e) if *regions == Regions::All => return Err(e),
            Err(e) => {
                tracing::warn!(account = %session.account_id, error = %e,
                    "cannot list regions; trying the configured regions as given");
                None
            }
        };
        Ok((session, known))
    }))
    .await;
    let mut sessions = Vec::new();
    let mut resolved = Vec::new();
    let mut failed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, (account, attempt)) in accounts.iter().zip(attempts).enumerate() {
        match attempt {
            // An account reached twice (named, and found in the organization) is
            // synced once, as its first entry says.
            Ok((session, _)) if !seen.insert(session.account_id.clone()) => {
                tracing::info!(account = %session.account_id,
                    "account listed twice; its first entry is used");
                sessions.push(None);
            }
            Ok((session, known)) => {
                resolved.push(ResolvedAccount {
                    id: session.account_id.clone(),
                    name: account
                        .name
                        .clone()
                        .unwrap_or_else(|| session.account_id.clone()),
                    regions: known,
                });
                sessions.push(Some(session));
            }
            Err(e) => {
                let who = account
                    .role_arn
                    .as_deref()
                    .or(account.profile.as_deref())
                    .unwrap_or("default credentials");
                failed.push((index, account.clone(), format!("cannot use {who}: {e}")));
                sessions.push(None);
            }
        }
    }
    // Plan indices refer to resolved accounts: keep only their sessions, in order.
    let sessions = sessions.into_iter().filter(Option::is_some).collect();
    (sessions, resolved, failed)
}

/// Errors while turning a page into staged rows.
#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error(transparent)]
    Convert(#[from] crate::batch::MissingImageId),
    #[error(transparent)]
    Stage(#[from] StoreError),
}

/// What every partition of a run shares.
struct RunShared {
    run_id: i64,
    fetch: FetchSettings,
    staging_dir: Option<std::path::PathBuf>,
    /// What small listings may hold in memory while they wait for the writer.
    hold: HoldBudget,
    merger: Arc<Merger>,
    progress: Arc<dyn Progress>,
    reference_version_depth: u32,
    create_usage_reports: bool,
    usage_report_wait: std::time::Duration,
}

/// What a partition's listing gives its merge.
enum Fetched {
    Images(StagedPartition),
    Records(StagedRecords),
}

/// Records a partition that is not fetched: failed (the listings its request needs
/// failed) or skipped (its region is not enabled for its account).
async fn record_unfetched(
    run: &RunShared,
    index: usize,
    partition: &Partition,
    status: PartitionStatus,
    reason: String,
) -> PartitionRecord {
    run.progress.partition_started(index, partition);
    let mut record = PartitionRecord::started(
        run.run_id,
        &partition.account_id,
        &partition.account_name,
        &partition.region,
        &partition.listing.to_string(),
        partition.catalog,
    );
    record.status = status;
    record.finished_at = Some(Utc::now());
    record.error = Some(reason);
    if let Err(e) = run.merger.record_failure(record.clone()).await {
        tracing::error!(partition = %partition, error = %e, "cannot record the partition");
    }
    run.progress.partition_finished(Some(index), &record);
    record
}

/// Fetches the partition (holding `fetching`, a fetch slot, until its pages are
/// staged), merges it, and records how it ended.
async fn sync_partition(
    run: &RunShared,
    index: usize,
    partition: &Partition,
    session: &AccountSession,
    fetching: tokio::sync::OwnedSemaphorePermit,
    ids: asked::Ids,
) -> PartitionRecord {
    let RunShared {
        run_id,
        ref merger,
        ref progress,
        ..
    } = *run;
    let started_at = Utc::now();
    let mut stats = FetchStats::default();
    progress.partition_started(index, partition);
    let staged = match (&partition.precondition_failure, &partition.listing) {
        (Some(reason), _) => {
            ids.finish(Err(reason.as_str()));
            Err(reason.clone())
        }
        (None, Listing::Images(scope)) => {
            let mut ids = ids;
            let fetched = fetch(run, index, partition, scope, session, &mut stats, &mut ids).await;
            ids.finish(fetched.as_ref().map(|_| ()).map_err(String::as_str));
            fetched.map(Fetched::Images)
        }
        (None, Listing::Dataset(dataset)) => {
            let mut ids = ids;
            let request = match dataset {
                Dataset::References => DatasetRequest::References {
                    image_ids: ids.take_asked().0,
                    version_depth: run.reference_version_depth,
                },
                Dataset::Lineage => {
                    let (image_ids, stored) = ids.take_asked();
                    DatasetRequest::Lineage { image_ids, stored }
                }
                Dataset::LaunchPermissions => DatasetRequest::LaunchPermissions {
                    image_ids: ids.take_asked().0,
                },
                Dataset::UsageReports => DatasetRequest::UsageReports {
                    create: run.create_usage_reports.then(|| CreateReports {
                        image_ids: ids.take_asked().0,
                        version_depth: run.reference_version_depth,
                        wait: run.usage_report_wait,
                        run_id,
                    }),
                },
                Dataset::Instances => DatasetRequest::Instances,
                Dataset::Snapshots => DatasetRequest::Snapshots,
                Dataset::RecycleBin => DatasetRequest::RecycleBin,
                Dataset::Settings => DatasetRequest::Settings,
                Dataset::Images => unreachable!("images are listed by scope"),
                Dataset::Accounts => unreachable!("the organization is listed once a run"),
            };
            let fetched = fetch_records(
                run, index, partition, session, &mut stats, &request, &mut ids,
            )
            .await;
            ids.finish(fetched.as_ref().map(|_| ()).map_err(String::as_str));
            fetched.map(Fetched::Records)
        }
    };
    // The fetch slot goes to the next partition while this one waits for the writer
    // (which may be waiting for readers of the store).
    drop(fetching);
    tracing::debug!(partition = %partition, pages = stats.pages, images = stats.images,
        ok = staged.is_ok(), "partition fetched");
    let mut record = PartitionRecord::started(
        run_id,
        &partition.account_id,
        &partition.account_name,
        &partition.region,
        &partition.listing.to_string(),
        partition.catalog,
    );
    record.started_at = started_at;
    record.pages = stats.pages;
    record.images = stats.images;
    record.retries = stats.retries;
    record.throttles = stats.throttles;
    let merged: Result<MergeCounts, String> = match staged {
        Ok(Fetched::Images(staged)) => merger
            .merge(staged, record.clone())
            .await
            .map_err(merge_failed),
        Ok(Fetched::Records(staged)) => merger
            .merge_records(staged, record.clone())
            .await
            .map_err(merge_failed),
        Err(reason) => Err(reason),
    };
    settle(merger, &mut record, merged).await;
    progress.partition_finished(Some(index), &record);
    record
}

/// Reads every page of the partition into a staging file, noting the image ids for a
/// references partition that waits for them.
async fn fetch(
    run: &RunShared,
    index: usize,
    partition: &Partition,
    scope: &Scope,
    session: &AccountSession,
    stats: &mut FetchStats,
    ids: &mut asked::Ids,
) -> Result<StagedPartition, String> {
    let origin = PageOrigin {
        run_id: run.run_id,
        region: partition.region.clone(),
        viewer_account_id: partition.account_id.clone(),
        scope: scope.to_string(),
    };
    let client = session.ec2(&partition.region);
    let mut stage = PartitionStage::create(run.staging_dir.as_deref(), &run.hold);
    crate::aws::fetch_pages(
        &client,
        &scope.request(),
        &run.fetch,
        stats,
        |images, stats| {
            for image in &images {
                ids.note(image);
            }
            let batch = to_record_batch(&origin, &images)?;
            stage.write(&batch)?;
            run.progress.page(index, stats);
            Ok::<(), PageError>(())
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    stage.finish().map_err(|e| e.to_string())
}

/// Reads every page of a dataset partition into a staging file, noting the shared
/// images for a usage-reports partition that waits for them.
async fn fetch_records(
    run: &RunShared,
    index: usize,
    partition: &Partition,
    session: &AccountSession,
    stats: &mut FetchStats,
    request: &DatasetRequest,
    ids: &mut asked::Ids,
) -> Result<StagedRecords, String> {
    let client = session.ec2(&partition.region);
    let mut stage = RecordStage::create(run.staging_dir.as_deref(), request.dataset())
        .map_err(|e| e.to_string())?;
    crate::aws::fetch_dataset(&client, request, &run.fetch, stats, |records, stats| {
        if let crate::records::Records::LaunchPermissions(grants) = &records {
            for grant in grants {
                ids.note_id(&grant.image_id);
            }
        }
        let batch =
            crate::records::to_record_batch(&partition.account_id, &partition.region, &records)
                .map_err(|e| e.to_string())?;
        stage.write(&batch).map_err(|e| e.to_string())?;
        run.progress.page(index, stats);
        Ok::<(), String>(())
    })
    .await
    .map_err(|e| e.to_string())?;
    stage.finish().map_err(|e| e.to_string())
}
