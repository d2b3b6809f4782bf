//! Merging a completed partition of a dataset beside images (references, instances,
//! snapshots, recycle bin, settings, lineage) into its history table, atomically with
//! its ledger row: the same rules as images, on one table keyed by the record's key.

use arrow::array::RecordBatch;
use duckdb::params;

use super::ledger::{PartitionRecord, PartitionStatus, insert_partition};
use super::merge::MergeCounts;
use super::stage::{StageFile, StagedFile};
use super::{Store, StoreError};
use crate::plan::Dataset;
use crate::records;

/// One partition's records merged into `{table}`; see the file.
const DATASET_SQL: &str = include_str!("../../sql/merge/dataset.sql");
/// A lineage listing with its markers replaced by the chains the store holds; see the
/// file.
const LINEAGE_CARRY_SQL: &str = include_str!("../../sql/merge/lineage_carry.sql");

/// A completed dataset partition's records, staged in a Parquet file like a listing of
/// images, so that memory does not grow with an account's snapshots or instances.
pub struct StagedRecords {
    pub dataset: Dataset,
    staged: StagedFile,
}

impl StagedRecords {
    /// Records staged (before de-duplication by key).
    pub fn rows(&self) -> u64 {
        self.staged.rows
    }

    /// The Parquet file.
    pub fn path(&self) -> &std::path::Path {
        self.staged.path()
    }
}

/// A dataset partition's staging file, written page by page.
pub struct RecordStage {
    dataset: Dataset,
    stage: StageFile,
}

impl RecordStage {
    /// Creates the staging file in `dir` (the system's temp dir when `None`).
    pub fn create(
        dir: Option<&std::path::Path>,
        dataset: Dataset,
    ) -> Result<RecordStage, StoreError> {
        Ok(RecordStage {
            dataset,
            stage: StageFile::create(dir, records::schema(dataset))?,
        })
    }

    /// Appends one page's batch (of the dataset's schema).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        self.stage.write(batch)
    }

    /// Closes the file; the partition's pages are all in it.
    pub fn finish(self) -> Result<StagedRecords, StoreError> {
        Ok(StagedRecords {
            dataset: self.dataset,
            staged: self.stage.finish()?,
        })
    }
}

/// dataset.sql for `dataset`: its table and its record's columns.
fn merge_sql(dataset: Dataset) -> String {
    let schema = records::schema(dataset);
    let members: Vec<&str> = schema
        .fields()
        .iter()
        .skip(4)
        .map(|f| f.name().as_str())
        .collect();
    let listed = |prefix: &str| -> String {
        members
            .iter()
            .map(|m| format!(", {prefix}{m}"))
            .collect::<String>()
    };
    DATASET_SQL
        .replace("{table}", records::table(dataset))
        .replace("{members}", &listed(""))
        .replace("{staged_members}", &listed("r."))
}

impl Store {
    /// Merges completed dataset partitions, one after the other, in one transaction:
    /// all of them are stored with their ledger rows, or none.
    pub fn merge_dataset_partitions(
        &self,
        partitions: &[(&StagedRecords, &PartitionRecord)],
    ) -> Result<Vec<MergeCounts>, StoreError> {
        self.in_transaction(|| {
            partitions
                .iter()
                .map(|(staged, record)| self.merge_dataset(staged, record))
                .collect()
        })
    }

    fn merge_dataset(
        &self,
        staged: &StagedRecords,
        record: &PartitionRecord,
    ) -> duckdb::Result<MergeCounts> {
        debug_assert_eq!(record.status, PartitionStatus::Completed);
        let conn = &self.conn;
        let table = records::table(staged.dataset);
        if staged.rows() == 0 {
            // An empty listing where nothing was listed before changes nothing but the
            // ledger: most partitions of a many-account sync are such.
            let open: bool = conn.query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {table}
                     WHERE valid_to IS NULL AND account_id = ? AND region = ?)"
                ),
                params![record.account_id, record.region],
                |r| r.get(0),
            )?;
            if !open {
                return record_merged(conn, record, MergeCounts::default());
            }
        }
        let schema = records::schema(staged.dataset);
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE dataset_args AS
             SELECT ?::BIGINT AS run_id, ?::VARCHAR AS account_id, ?::VARCHAR AS region",
            params![record.run_id, record.account_id, record.region],
        )?;
        // The staging file read in place, typed as the table is: a temporary table
        // filled with more than a row group's records in the merge's transaction read
        // back empty (DuckDB's transaction-local storage), so none is made.
        let mut types = conn.prepare(
            "SELECT column_name, data_type FROM duckdb_columns()
             WHERE table_name = ? AND NOT internal",
        )?;
        let types: std::collections::HashMap<String, String> = types
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let typed: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST({c} AS {}) AS {c}", types[*c]))
            .collect();
        let file = format!(
            "read_parquet('{}')",
            staged.path().to_string_lossy().replace('\'', "''")
        );
        let listed = format!("SELECT {} FROM {file}", typed.join(", "));
        let staged_sql = if staged.dataset == Dataset::Lineage {
            let carried: Vec<String> = columns.iter().map(|c| format!("t.{c}")).collect();
            LINEAGE_CARRY_SQL
                .replace("{listed}", &listed)
                .replace("{file}", &file)
                .replace("{columns}", &carried.join(", "))
        } else {
            listed
        };
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP VIEW staged_records AS {staged_sql}"
        ))?;
        conn.execute_batch(&merge_sql(staged.dataset))?;
        let counts =
            conn.query_row("SELECT added, changed, gone FROM dataset_counts", [], |r| {
                Ok(MergeCounts {
                    added: r.get(0)?,
                    changed: r.get(1)?,
                    gone: r.get(2)?,
                })
            })?;
        conn.execute_batch(
            "DROP VIEW staged_records; DROP TABLE staged_keys; DROP TABLE open_keys;
             DROP TABLE dataset_counts; DROP TABLE dataset_args;",
        )?;
        record_merged(conn, record, counts)
    }
}

/// The partition's ledger row, with what its merge changed.
fn record_merged(
    conn: &duckdb::Connection,
    record: &PartitionRecord,
    counts: MergeCounts,
) -> duckdb::Result<MergeCounts> {
    let mut record = record.clone();
    record.added = Some(counts.added);
    record.changed = Some(counts.changed);
    record.gone = Some(counts.gone);
    record.finished_at = None; // the merge's own instant
    insert_partition(conn, &record)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Records, Snapshot, to_record_batch};
    use crate::store::StoreSettings;

    fn snapshot(id: &str, size: i32) -> Snapshot {
        Snapshot {
            snapshot_id: id.into(),
            volume_size: Some(size),
            start_time_ts: Some("2024-05-01T10:00:00.000Z".into()),
            ..Snapshot::default()
        }
    }

    fn staged(snapshots: Vec<Snapshot>) -> StagedRecords {
        let batch =
            to_record_batch("111111111111", "us-east-1", &Records::Snapshots(snapshots)).unwrap();
        let mut stage = RecordStage::create(None, Dataset::Snapshots).unwrap();
        stage.write(&batch).unwrap();
        stage.finish().unwrap()
    }

    fn merge(store: &Store, snapshots: Vec<Snapshot>) -> MergeCounts {
        let run = store.begin_run(1).unwrap();
        let record =
            PartitionRecord::started(run, "111111111111", "prod", "us-east-1", "snapshots", false);
        store
            .merge_dataset_partitions(&[(&staged(snapshots), &record)])
            .unwrap()[0]
    }

    fn rows(store: &Store) -> Vec<String> {
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT snapshot_id || ' ' || volume_size || ' ' || valid_from_run || '-' ||
                        coalesce(valid_to_run::VARCHAR, '') || ' ' || strftime(start_time_ts, '%Y')
                 FROM snapshots_history ORDER BY snapshot_id, valid_from_run",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_partition_of_more_records_than_a_row_group_is_stored_whole() {
        // DuckDB's row groups hold 122,880 rows; a partition of more once read back
        // as nothing from a temporary table filled in the merge's transaction.
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let many: Vec<Snapshot> = (0..250_000)
            .map(|i| snapshot(&format!("snap-{i:08}"), 8))
            .collect();
        let counts = merge(&store, many.clone());
        assert_eq!((counts.added, counts.changed, counts.gone), (250_000, 0, 0));
        let stored: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM snapshots_history WHERE valid_to IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, 250_000);
        let again = merge(&store, many);
        assert_eq!((again.added, again.changed, again.gone), (0, 0, 0));
    }

    #[test]
    fn records_keep_history_as_they_are_added_changed_and_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let first = merge(&store, vec![snapshot("snap-1", 8), snapshot("snap-2", 8)]);
        assert_eq!((first.added, first.changed, first.gone), (2, 0, 0));
        let same = merge(&store, vec![snapshot("snap-2", 8), snapshot("snap-1", 8)]);
        assert_eq!((same.added, same.changed, same.gone), (0, 0, 0));
        let next = merge(&store, vec![snapshot("snap-1", 16), snapshot("snap-3", 8)]);
        assert_eq!((next.added, next.changed, next.gone), (1, 1, 1));
        let empty = merge(&store, vec![]);
        assert_eq!((empty.added, empty.changed, empty.gone), (0, 0, 2));
        assert_eq!(
            rows(&store),
            [
                "snap-1 8 1-3 2024",
                "snap-1 16 3-4 2024",
                "snap-2 8 1-3 2024",
                "snap-3 8 3-4 2024",
            ]
        );
        let ledger: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM sync_partitions WHERE scope = 'snapshots'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ledger, 4);
    }

    #[test]
    fn a_group_with_a_bad_partition_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let run = store.begin_run(2).unwrap();
        let good = staged(vec![snapshot("snap-1", 8)]);
        let record = |account: &str| {
            PartitionRecord::started(run, account, account, "us-east-1", "snapshots", false)
        };
        // A staging file that is not Parquet cannot be read by the merge.
        let bad = staged(vec![snapshot("snap-2", 8)]);
        std::fs::write(bad.path(), b"not parquet").unwrap();
        let (a, b) = (record("111111111111"), record("222222222222"));
        assert!(
            store
                .merge_dataset_partitions(&[(&good, &a), (&bad, &b)])
                .is_err()
        );
        assert!(rows(&store).is_empty());
        let ledger: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM sync_partitions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ledger, 0);
    }

    #[test]
    fn every_dataset_table_has_the_columns_of_its_batch_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let every = Dataset::ALL.into_iter().chain([Dataset::Accounts]);
        for dataset in every.filter(|d| *d != Dataset::Images) {
            let table = records::table(dataset);
            let mut stmt = store
                .connection()
                .prepare(
                    "SELECT column_name FROM duckdb_columns()
                     WHERE table_name = ? AND column_name NOT LIKE 'valid_%'
                     ORDER BY column_index",
                )
                .unwrap();
            let stored: Vec<String> = stmt
                .query_map([table], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let schema = records::schema(dataset);
            let declared: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            assert_eq!(stored, declared, "{table}");
        }
    }
}
