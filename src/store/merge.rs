//! Merging a completed partition into the history, atomically.

use duckdb::params;

use super::ledger::{PartitionRecord, PartitionStatus, insert_partition};
use super::{StagedPartition, Store, StoreError};

/// What a merge will change, counted first; see the file.
const COUNTS_SQL: &str = include_str!("../../sql/merge/counts.sql");
/// The sightings the listing ended.
const ENDED_SQL: &str = include_str!("../../sql/merge/ended.sql");
/// What the listing added or changed; see the file for the steps and why.
const MERGE_SQL: &str = include_str!("../../sql/merge/partition.sql");
/// The versions left without an open sighting.
const GONE_SQL: &str = include_str!("../../sql/merge/gone.sql");

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
        self.merge_partitions(&[(staged, record)])
            .map(|counts| counts[0])
    }

    /// Merges several completed partitions, one after the other, in one transaction:
    /// all of them are stored or none. Partitions that finish together then cost one
    /// commit and one sync of the file.
    pub fn merge_partitions(
        &self,
        partitions: &[(&StagedPartition, &PartitionRecord)],
    ) -> Result<Vec<MergeCounts>, StoreError> {
        self.conn
            .execute_batch("BEGIN TRANSACTION")
            .map_err(|e| self.db_err(e))?;
        let merged: duckdb::Result<Vec<MergeCounts>> = partitions
            .iter()
            .map(|(staged, record)| {
                debug_assert_eq!(record.status, PartitionStatus::Completed);
                self.merge_in_transaction(staged, record)
            })
            .collect();
        match merged {
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
        if staged.rows == 0 && !self.has_open_sightings(record)? {
            // An empty listing where nothing was listed before changes nothing but the
            // ledger. Many partitions of a many-account sync are such (a scope with no
            // images in a region), and the full merge costs tens of milliseconds each.
            let counts = MergeCounts::default();
            record_merged(conn, record, counts)?;
            return Ok(counts);
        }
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
        conn.execute_batch(COUNTS_SQL)?;
        let counts = conn.query_row("SELECT added, changed, gone FROM merge_counts", [], |r| {
            Ok(MergeCounts {
                added: r.get(0)?,
                changed: r.get(1)?,
                gone: r.get(2)?,
            })
        })?;
        // Only the parts that can change a row run: a listing that is as it was (most of
        // them, run after run) runs none, a partition's first listing no ended.sql.
        let ends = counts.changed + counts.gone > 0;
        if ends {
            conn.execute_batch(ENDED_SQL)?;
        }
        if counts.added + counts.changed > 0 {
            // On all of DuckDB's threads. On one thread the inserts fill every row
            // group, and a million-image first sync took a fifth less CPU and made a
            // 210 MiB file instead of 320 MiB; but later runs' checkpoints then free
            // their space as they go, and 30 runs at 1% churn grew that file to
            // 324 MiB, 1.54x (bench/sync.py history), against 1.03x this way.
            conn.execute_batch(MERGE_SQL)?;
        }
        if ends {
            conn.execute_batch(GONE_SQL)?;
        }
        record_merged(conn, record, counts)?;
        conn.execute_batch(
            "DROP VIEW stage_file; DROP TABLE stage; DROP TABLE IF EXISTS stage_insert;
             DROP TABLE merge_args; DROP TABLE merge_counts;",
        )?;
        Ok(counts)
    }

    /// Whether the partition's listing showed any image that is still open.
    fn has_open_sightings(&self, record: &PartitionRecord) -> duckdb::Result<bool> {
        self.conn.query_row(
            "SELECT EXISTS (
                 SELECT 1 FROM image_sightings
                 WHERE valid_to IS NULL AND region = ? AND viewer_account_id = ? AND scope = ?)",
            params![record.region, record.account_id, record.scope],
            |r| r.get(0),
        )
    }
}

/// The partition's ledger row, with what its merge changed.
fn record_merged(
    conn: &duckdb::Connection,
    record: &PartitionRecord,
    counts: MergeCounts,
) -> duckdb::Result<()> {
    let mut record = record.clone();
    record.added = Some(counts.added);
    record.changed = Some(counts.changed);
    record.gone = Some(counts.gone);
    record.finished_at = None; // the merge's own instant
    insert_partition(conn, &record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Image;
    use crate::store::{StoreSettings, staged_listing};

    const REGION: &str = "us-east-1";

    fn image(id: &str, name: &str) -> Image {
        Image {
            image_id: Some(id.into()),
            owner_id: Some("111111111111".into()),
            name: Some(name.into()),
            state: Some("available".into()),
            ..Image::default()
        }
    }

    /// One listing: who saw which images under which scope.
    struct Listing {
        viewer: &'static str,
        scope: &'static str,
        images: Vec<Image>,
    }

    fn stage(
        dir: &std::path::Path,
        run_id: i64,
        l: &Listing,
    ) -> (StagedPartition, PartitionRecord) {
        let record = PartitionRecord::started(run_id, l.viewer, l.viewer, REGION, l.scope, false);
        (staged_listing(dir, &record, &l.images), record)
    }

    /// Every version and sighting, without the instants (which differ between stores).
    fn history(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT 'version ' || image_id || ' ' || name || ' ' || valid_from_run || '-' ||
                        coalesce(valid_to_run::VARCHAR, 'open')
                 FROM image_versions
                 UNION ALL
                 SELECT 'sighting ' || image_id || ' ' || viewer_account_id || ' ' || scope || ' ' ||
                        valid_from_run || '-' || coalesce(valid_to_run::VARCHAR, 'open')
                 FROM image_sightings
                 ORDER BY 1",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn runs() -> Vec<Vec<Listing>> {
        vec![
            vec![
                Listing {
                    viewer: "111111111111",
                    scope: "owned",
                    images: vec![image("ami-1", "a"), image("ami-2", "b")],
                },
                // The same image, seen by another account under another scope.
                Listing {
                    viewer: "222222222222",
                    scope: "shared",
                    images: vec![image("ami-2", "b"), image("ami-3", "c")],
                },
            ],
            vec![
                // ami-1 changed, ami-2 is no longer owned but still shared.
                Listing {
                    viewer: "111111111111",
                    scope: "owned",
                    images: vec![image("ami-1", "a2")],
                },
                Listing {
                    viewer: "222222222222",
                    scope: "shared",
                    images: vec![image("ami-2", "b"), image("ami-3", "c")],
                },
            ],
        ]
    }

    fn open(dir: &std::path::Path) -> Store {
        Store::open_write(&dir.join("t.duckdb"), &StoreSettings::default()).unwrap()
    }

    #[test]
    fn partitions_merged_together_store_what_they_store_one_by_one() {
        let (alone_dir, together_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (alone, together) = (open(alone_dir.path()), open(together_dir.path()));
        for listings in runs() {
            let run = alone.begin_run(listings.len()).unwrap();
            assert_eq!(run, together.begin_run(listings.len()).unwrap());
            let mut alone_counts = Vec::new();
            for l in &listings {
                let (staged, record) = stage(alone_dir.path(), run, l);
                alone_counts.push(alone.merge_partition(&staged, &record).unwrap());
            }
            let staged: Vec<_> = listings
                .iter()
                .map(|l| stage(together_dir.path(), run, l))
                .collect();
            let group: Vec<_> = staged.iter().map(|(s, r)| (s, r)).collect();
            let together_counts = together.merge_partitions(&group).unwrap();
            assert_eq!(alone_counts, together_counts, "run {run}");
        }
        let stored = history(&together);
        assert_eq!(history(&alone), stored);
        assert!(
            stored.contains(&"version ami-1 a 1-2".to_string()),
            "{stored:#?}"
        );
        assert!(stored.contains(&"sighting ami-2 111111111111 owned 1-2".to_string()));
        assert!(stored.contains(&"version ami-2 b 1-open".to_string()));
    }

    #[test]
    fn a_group_with_a_partition_that_cannot_merge_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let run = store.begin_run(2).unwrap();
        let listings = runs().remove(0);
        let good = stage(dir.path(), run, &listings[0]);
        let bad = stage(dir.path(), run, &listings[1]);
        std::fs::write(bad.0.path(), b"not parquet").unwrap();

        let merged = store.merge_partitions(&[(&good.0, &good.1), (&bad.0, &bad.1)]);

        assert!(merged.is_err());
        assert!(history(&store).is_empty(), "{:?}", history(&store));
        let recorded: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sync_partitions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(recorded, 0, "no partition of the group is in the ledger");
    }

    #[test]
    fn an_empty_listing_records_its_partition_and_ends_what_it_listed_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let listed = Listing {
            viewer: "111111111111",
            scope: "owned",
            images: vec![image("ami-1", "a"), image("ami-2", "b")],
        };
        let empty = |scope| Listing {
            viewer: "111111111111",
            scope,
            images: vec![],
        };
        let partitions = |store: &Store| -> i64 {
            store
                .conn
                .query_row("SELECT count(*) FROM sync_partitions", [], |r| r.get(0))
                .unwrap()
        };

        let run = store.begin_run(2).unwrap();
        let (staged, record) = stage(dir.path(), run, &listed);
        store.merge_partition(&staged, &record).unwrap();
        // Never listed anything: nothing changes but the ledger.
        let (staged, record) = stage(dir.path(), run, &empty("shared"));
        assert_eq!(
            store.merge_partition(&staged, &record).unwrap(),
            MergeCounts::default()
        );
        assert_eq!(partitions(&store), 2);
        let before = history(&store);

        // Listed two images before: both are gone now.
        let run = store.begin_run(1).unwrap();
        let (staged, record) = stage(dir.path(), run, &empty("owned"));
        let counts = store.merge_partition(&staged, &record).unwrap();
        assert_eq!(counts.gone, 2);
        assert_eq!(partitions(&store), 3);
        let after = history(&store);
        assert_ne!(before, after);
        assert!(
            after.contains(&"version ami-1 a 1-2".to_string()),
            "{after:#?}"
        );
        assert!(after.contains(&"sighting ami-2 111111111111 owned 1-2".to_string()));
    }
}
