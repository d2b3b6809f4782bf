//! The run ledger: one row per run, one per partition of a run.

use chrono::{DateTime, Utc};
use duckdb::params;

use super::{Store, StoreError};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still going, or its process died before it could say.
    Running,
    /// Every partition completed.
    Completed,
    /// Some partitions completed, some failed.
    Partial,
    /// No partition completed.
    Failed,
    /// Stopped by a signal before every partition was done.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// How a partition ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionStatus {
    Completed,
    Failed,
    /// Not fetched by design (a region not enabled for the account); not a failure.
    Skipped,
}

impl PartitionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartitionStatus::Completed => "completed",
            PartitionStatus::Failed => "failed",
            PartitionStatus::Skipped => "skipped",
        }
    }
}

/// One partition of a run, as the ledger keeps it.
#[derive(Debug, Clone)]
pub struct PartitionRecord {
    pub run_id: i64,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub scope: String,
    pub catalog: bool,
    pub status: PartitionStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages: u32,
    pub images: u64,
    pub retries: u32,
    pub throttles: u32,
    pub added: Option<i64>,
    pub changed: Option<i64>,
    pub gone: Option<i64>,
    pub error: Option<String>,
}

impl PartitionRecord {
    /// A partition that starts now, with nothing fetched yet.
    pub fn started(
        run_id: i64,
        account_id: &str,
        account_name: &str,
        region: &str,
        scope: &str,
        catalog: bool,
    ) -> PartitionRecord {
        PartitionRecord {
            run_id,
            account_id: account_id.to_string(),
            account_name: account_name.to_string(),
            region: region.to_string(),
            scope: scope.to_string(),
            catalog,
            status: PartitionStatus::Completed,
            started_at: Utc::now(),
            finished_at: None,
            pages: 0,
            images: 0,
            retries: 0,
            throttles: 0,
            added: None,
            changed: None,
            gone: None,
            error: None,
        }
    }
}

/// One run, as the ledger keeps it.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub run_id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub partitions_planned: Option<i32>,
    pub partitions_completed: Option<i32>,
    pub partitions_failed: Option<i32>,
    pub partitions: Vec<PartitionRecord>,
}

impl Store {
    /// Records the start of a run and returns its id.
    pub fn begin_run(&self, planned: usize) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO sync_runs (run_id, started_at, status, partitions_planned, amiq_version)
                 VALUES (nextval('sync_run_ids'), now(), 'running', ?, ?) RETURNING run_id",
                params![planned as i32, env!("CARGO_PKG_VERSION")],
                |r| r.get(0),
            )
            .map_err(|e| self.db_err(e))
    }

    /// Records a scheduled run that did not start because the previous one was still
    /// going: a `skipped` run with no partitions.
    pub fn record_skipped_run(
        &self,
        due: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO sync_runs (run_id, started_at, finished_at, status, partitions_planned,
                                        partitions_completed, partitions_failed, amiq_version)
                 VALUES (nextval('sync_run_ids'), make_timestamp(?::BIGINT)::TIMESTAMPTZ, now(),
                         'skipped', 0, 0, 0, ?)
                 RETURNING run_id",
                params![due.timestamp_micros(), env!("CARGO_PKG_VERSION")],
                |r| r.get(0),
            )
            .map_err(|e| self.db_err(e))
    }

    /// Records the end of a run; its status follows from its partitions.
    pub fn finish_run(&self, run_id: i64, interrupted: bool) -> Result<RunStatus, StoreError> {
        let (completed, failed): (i32, i32) = self
            .conn
            .query_row(
                "SELECT count(*) FILTER (WHERE status = 'completed'),
                        count(*) FILTER (WHERE status = 'failed')
                 FROM sync_partitions WHERE run_id = ?",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.db_err(e))?;
        let status = match (completed, failed) {
            _ if interrupted => RunStatus::Interrupted,
            (_, 0) => RunStatus::Completed,
            (0, _) => RunStatus::Failed,
            _ => RunStatus::Partial,
        };
        self.conn
            .execute(
                "UPDATE sync_runs SET finished_at = now(), status = ?,
                     partitions_completed = ?, partitions_failed = ?
                 WHERE run_id = ?",
                params![status.as_str(), completed, failed, run_id],
            )
            .map_err(|e| self.db_err(e))?;
        Ok(status)
    }

    /// Records a partition that did not complete. Nothing else changes.
    pub fn record_failed_partition(&self, record: &PartitionRecord) -> Result<(), StoreError> {
        insert_partition(&self.conn, record).map_err(|e| self.db_err(e))
    }

    /// The latest `limit` runs, newest first, with their partitions.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, strftime(started_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'),
                        strftime(finished_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'), status,
                        partitions_planned, partitions_completed, partitions_failed
                 FROM sync_runs ORDER BY run_id DESC LIMIT ?",
            )
            .map_err(|e| self.db_err(e))?;
        let mut runs: Vec<RunRecord> = stmt
            .query_map([limit as i64], |r| {
                Ok(RunRecord {
                    run_id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    status: r.get(3)?,
                    partitions_planned: r.get(4)?,
                    partitions_completed: r.get(5)?,
                    partitions_failed: r.get(6)?,
                    partitions: Vec::new(),
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db_err(e))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT account_id, account_name, region, scope, catalog, status,
                        epoch_us(started_at::TIMESTAMP), epoch_us(finished_at::TIMESTAMP), pages, images, retries,
                        throttles, images_added, images_changed, images_gone, error
                 FROM sync_partitions WHERE run_id = ?
                 ORDER BY account_name, region, scope",
            )
            .map_err(|e| self.db_err(e))?;
        for run in &mut runs {
            let run_id = run.run_id;
            run.partitions = stmt
                .query_map([run_id], |r| {
                    let status: String = r.get(5)?;
                    Ok(PartitionRecord {
                        run_id,
                        account_id: r.get(0)?,
                        account_name: r.get(1)?,
                        region: r.get(2)?,
                        scope: r.get(3)?,
                        catalog: r.get(4)?,
                        status: if status == "completed" {
                            PartitionStatus::Completed
                        } else {
                            PartitionStatus::Failed
                        },
                        started_at: DateTime::from_timestamp_micros(r.get(6)?).unwrap_or_default(),
                        finished_at: r
                            .get::<_, Option<i64>>(7)?
                            .and_then(DateTime::from_timestamp_micros),
                        pages: r.get::<_, i32>(8)? as u32,
                        images: r.get::<_, i64>(9)? as u64,
                        retries: r.get::<_, i32>(10)? as u32,
                        throttles: r.get::<_, i32>(11)? as u32,
                        added: r.get(12)?,
                        changed: r.get(13)?,
                        gone: r.get(14)?,
                        error: r.get(15)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(|e| self.db_err(e))?;
        }
        Ok(runs)
    }
}

/// Inserts a partition row; `finished_at` defaults to the transaction's now().
/// Writes ledger rows through an appender: a round of hundreds of partitions costs
/// about what one row costs (a statement of many bound rows takes a third of a
/// millisecond a row to plan, docs/decisions/0011-many-partitions.md).
pub(super) fn insert_partitions(
    conn: &duckdb::Connection,
    records: &[PartitionRecord],
) -> duckdb::Result<()> {
    use duckdb::types::{TimeUnit, Value};
    if records.is_empty() {
        return Ok(());
    }
    // A row without a finish time finished with the merge: the transaction's instant.
    let merged: i64 = conn
        .prepare_cached("SELECT epoch_us(now()::TIMESTAMP)")?
        .query_row([], |r| r.get(0))?;
    let instant = |micros: i64| Value::Timestamp(TimeUnit::Microsecond, micros);
    let mut rows = conn.appender("sync_partitions")?;
    for p in records {
        rows.append_row(params![
            p.run_id,
            p.account_id,
            p.account_name,
            p.region,
            p.scope,
            p.catalog,
            p.status.as_str(),
            instant(p.started_at.timestamp_micros()),
            instant(p.finished_at.map_or(merged, |t| t.timestamp_micros())),
            p.pages as i32,
            p.images as i64,
            p.retries as i32,
            p.throttles as i32,
            p.added,
            p.changed,
            p.gone,
            p.error,
        ])?;
    }
    rows.flush()
}

pub(super) fn insert_partition(
    conn: &duckdb::Connection,
    p: &PartitionRecord,
) -> duckdb::Result<()> {
    insert_partitions(conn, std::slice::from_ref(p))
}
