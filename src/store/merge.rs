//! Merging a completed partition into the history, atomically.

use duckdb::params;

use super::ledger::{PartitionRecord, PartitionStatus, insert_partition};
use super::{StagedPartition, Store, StoreError};

/// The SQL of a merge; see the file for the steps and why.
const MERGE_SQL: &str = include_str!("../../sql/merge/partition.sql");

/// What a merge changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    /// Images this partition returned that it had not returned before.
    pub added: i64,
    /// Images whose content or view changed.
    pub changed: i64,
    /// Images this partition no longer returned.
    pub gone: i64,
}

impl Store {
    /// Merges a completed partition and records it in the ledger, in one transaction.
    /// On any error the transaction rolls back and the store is as it was.
    pub fn merge_partition(
        &self,
        staged: &StagedPartition,
        record: &PartitionRecord,
    ) -> Result<MergeCounts, StoreError> {
        debug_assert_eq!(record.status, PartitionStatus::Completed);
        self.conn
            .execute_batch("BEGIN TRANSACTION")
            .map_err(|e| self.db_err(e))?;
        match self.merge_in_transaction(staged, record) {
            Ok(counts) => {
                self.conn.execute_batch("COMMIT").map_err(|e| {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    self.db_err(e)
                })?;
                Ok(counts)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(self.db_err(e))
            }
        }
    }

    fn merge_in_transaction(
        &self,
        staged: &StagedPartition,
        record: &PartitionRecord,
    ) -> duckdb::Result<MergeCounts> {
        let conn = &self.conn;
        let path = staged.path().to_string_lossy();
        // One narrow row per image id (the last one staged wins), held in memory; the
        // wide rows stay in the Parquet file and stream from it into the tables, so a
        // merge needs little memory however large the partition.
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE stage AS
             SELECT image_id, content_hash, view_hash, file_row_number
             FROM read_parquet(?, file_row_number = true)
             QUALIFY row_number() OVER (PARTITION BY image_id ORDER BY file_row_number DESC) = 1",
            [path.as_ref()],
        )?;
        // A view cannot take a parameter: the path (amiq's own staging file) is quoted.
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP VIEW stage_file AS
             SELECT * FROM read_parquet('{}', file_row_number = true)",
            path.replace('\'', "''")
        ))?;
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE merge_args AS
             SELECT ?::BIGINT AS run_id, ?::VARCHAR AS region,
                    ?::VARCHAR AS viewer_account_id, ?::VARCHAR AS scope",
            params![
                record.run_id,
                record.region,
                record.account_id,
                record.scope
            ],
        )?;
        conn.execute_batch(MERGE_SQL)?;
        let counts = conn.query_row("SELECT added, changed, gone FROM merge_counts", [], |r| {
            Ok(MergeCounts {
                added: r.get(0)?,
                changed: r.get(1)?,
                gone: r.get(2)?,
            })
        })?;
        let mut record = record.clone();
        record.added = Some(counts.added);
        record.changed = Some(counts.changed);
        record.gone = Some(counts.gone);
        record.finished_at = None; // the merge's own instant
        insert_partition(conn, &record)?;
        conn.execute_batch(
            "DROP VIEW stage_file; DROP TABLE stage; DROP TABLE stage_insert; DROP TABLE merge_args;
             DROP TABLE merge_counts;",
        )?;
        Ok(counts)
    }
}
