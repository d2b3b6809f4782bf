//! Merging a completed partition into the history, atomically.

use duckdb::params;

use std::collections::HashMap;

use super::ledger::{PartitionRecord, PartitionStatus, insert_partitions};
use super::stage::{ColumnsWithValues, RoundStage, Source};
use super::{StagedPartition, Store, StoreError};

/// What a merge will change, counted first; see the file.
const COUNTS_SQL: &str = include_str!("../../sql/merge/counts.sql");
/// The sightings the listing ended.
const ENDED_SQL: &str = include_str!("../../sql/merge/ended.sql");
/// What the listing added or changed, noted for the flush; see the file for the steps.
const MERGE_SQL: &str = include_str!("../../sql/merge/partition.sql");
/// The versions left without an open sighting.
const GONE_SQL: &str = include_str!("../../sql/merge/gone.sql");
/// The round's tables of noted rows.
const ROUND_SQL: &str = include_str!("../../sql/merge/round.sql");
/// Whether a partition's merge could see the noted rows.
const CONFLICTS_SQL: &str = include_str!("../../sql/merge/conflicts.sql");
/// The noted rows, inserted.
const FLUSH_SQL: &str = include_str!("../../sql/merge/flush.sql");
/// A round's opening listings that were never merged, merged together: statements
/// separated by `-- step N` lines.
const FIRST_LISTINGS_SQL: &str = include_str!("../../sql/merge/first_listings.sql");

/// Step `n` of first_listings.sql: the lines after its `-- step n` line.
fn first_listings_step(n: usize) -> &'static str {
    let step = FIRST_LISTINGS_SQL
        .split("\n-- step ")
        .nth(n + 1)
        .expect("first_listings.sql has the step");
    debug_assert!(step.starts_with(&format!("{n}")));
    step.split_once('\n').map_or("", |(_, sql)| sql)
}

/// flush.sql for a round whose staged rows hold values in `with_values`: the
/// viewer-dependent columns in place, and only the columns that hold a value read.
fn flush_sql(with_values: &ColumnsWithValues) -> String {
    use crate::shape::{Seen, columns};
    let listed =
        |names: Vec<String>| -> String { names.iter().map(|c| format!(", {c}")).collect() };
    let (viewer, version) = (columns(Seen::ByViewer), columns(Seen::ByEveryone));
    let empty = version.iter().filter(|c| !with_values.has(c)).cloned();
    let viewer_values = viewer.iter().filter(|c| with_values.has(c)).cloned();
    FLUSH_SQL
        .replace("{viewer_columns}", &viewer.join(", "))
        .replace("{empty_columns}", &listed(empty.collect()))
        .replace("{viewer_values}", &listed(viewer_values.collect()))
}

/// A round flushes once it has noted this many new versions and sightings, so that the
/// noted rows (24 bytes each, in DuckDB's memory) stay small however large the round.
const FLUSH_AFTER_ROWS: i64 = 2_000_000;

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
    /// commit and one sync of the file, and their new rows are inserted together (see
    /// `sql/merge/round.sql`), mostly in full row groups.
    pub fn merge_partitions(
        &self,
        partitions: &[(&StagedPartition, &PartitionRecord)],
    ) -> Result<Vec<MergeCounts>, StoreError> {
        let mut round = Round::default();
        let keys: Vec<String> = partitions.iter().map(|(_, r)| listing_key(r)).collect();
        round
            .load_state(&self.conn, &keys)
            .map_err(|e| self.db_err(e))?;
        let stage = round.gather(partitions)?;
        self.in_transaction(|| self.merge_round(&mut round, &stage, partitions))
    }

    /// Runs `work` in one transaction: committed when it succeeds, rolled back (the
    /// store as it was) when it or the commit fails.
    pub(super) fn in_transaction<T>(
        &self,
        work: impl FnOnce() -> duckdb::Result<T>,
    ) -> Result<T, StoreError> {
        self.conn
            .execute_batch("BEGIN TRANSACTION")
            .map_err(|e| self.db_err(e))?;
        match work() {
            Ok(value) => {
                self.conn.execute_batch("COMMIT").map_err(|e| {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    self.db_err(e)
                })?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(self.db_err(e))
            }
        }
    }

    /// The partitions' merges, in order, inside the caller's transaction.
    fn merge_round(
        &self,
        round: &mut Round,
        stage: &RoundStage,
        partitions: &[(&StagedPartition, &PartitionRecord)],
    ) -> duckdb::Result<Vec<MergeCounts>> {
        self.conn.execute_batch(ROUND_SQL)?;
        let sources: Vec<Option<Source>> = partitions
            .iter()
            .enumerate()
            .map(|(i, (staged, _))| stage.source(i, staged))
            .collect();
        let mut counts = Vec::with_capacity(partitions.len());
        // The listings a round opens with that were never merged (most of a first run's)
        // merge as one: a few statements instead of a dozen each
        // (docs/decisions/0012-first-merges-together.md).
        let first = first_listings(round, partitions);
        let mut rest = 0;
        if first >= 2
            && let Some(merged) =
                self.merge_first_listings(round, &partitions[..first], &sources[..first])?
        {
            counts.extend(merged);
            rest = first;
        }
        for ((staged, record), source) in partitions[rest..].iter().zip(&sources[rest..]) {
            debug_assert_eq!(record.status, PartitionStatus::Completed);
            counts.push(self.merge_in_round(round, staged, record, source.as_ref())?);
            if round.noted_rows > FLUSH_AFTER_ROWS {
                round.flush(&self.conn)?;
            }
        }
        round.flush(&self.conn)?;
        insert_partitions(&self.conn, &round.ledger)?;
        self.conn
            .execute_batch("DROP TABLE pending_versions; DROP TABLE pending_sightings;")?;
        Ok(counts)
    }

    /// Merges `parts`, listings no merge has recorded, together at the start of a
    /// round, as merging them one after the other would; `None` (nothing done) when an
    /// image has two contents among them, which only the merge one by one orders.
    fn merge_first_listings(
        &self,
        round: &mut Round,
        parts: &[(&StagedPartition, &PartitionRecord)],
        sources: &[Option<Source>],
    ) -> duckdb::Result<Option<Vec<MergeCounts>>> {
        debug_assert!(round.files.is_empty() && round.noted_rows == 0);
        let conn = &self.conn;
        let listed: Vec<(&(&StagedPartition, &PartitionRecord), &Source)> = parts
            .iter()
            .zip(sources)
            .filter(|((staged, _), _)| staged.rows > 0)
            .map(|(part, source)| source.as_ref().map(|s| (part, s)).ok_or_else(ungathered))
            .collect::<Result<_, _>>()?;
        let mut added: HashMap<i64, i64> = HashMap::new();
        let mut ended_regions = std::collections::BTreeSet::new();
        if !listed.is_empty() {
            // Each listing's rows, by its place among them (`listing`): a file of its own
            // or a range of the round's file of held listings. A table function takes no
            // parameter list: the paths (amiq's own staging files) are quoted, as in
            // `Round::flush`.
            let (mut paths, mut ranges) = (Vec::<&str>::new(), Vec::new());
            for (listing, (_, source)) in listed.iter().enumerate() {
                let file = paths
                    .iter()
                    .position(|p| *p == source.path)
                    .unwrap_or_else(|| {
                        paths.push(&source.path);
                        paths.len() - 1
                    });
                ranges.push(format!(
                    "({listing}, {file}, {}, {})",
                    source.from, source.to
                ));
            }
            let files: Vec<String> = paths
                .iter()
                .map(|p| format!("'{}'", p.replace('\'', "''")))
                .collect();
            conn.execute_batch(&format!(
                "CREATE OR REPLACE TEMP TABLE batch_stage AS
                 SELECT l.listing, l.file_index, s.region, s.image_id, s.content_hash,
                        s.view_hash, s.file_row_number
                 FROM read_parquet([{}], file_row_number = true) s
                 JOIN (VALUES {}) l(listing, file_index, row_from, row_to)
                   ON s.file_index = l.file_index
                  AND s.file_row_number >= l.row_from AND s.file_row_number < l.row_to
                 QUALIFY row_number() OVER (
                     PARTITION BY l.listing, s.image_id ORDER BY s.file_row_number DESC) = 1",
                files.join(", "),
                ranges.join(", ")
            ))?;
            let two_contents: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM batch_stage GROUP BY region, image_id
                                HAVING count(DISTINCT content_hash) > 1)",
                [],
                |r| r.get(0),
            )?;
            if two_contents {
                conn.execute_batch("DROP TABLE batch_stage")?;
                return Ok(None);
            }
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE batch_args AS SELECT ?::BIGINT AS run_id",
                [listed[0].0.1.run_id],
            )?;
            // The store's open versions are read once; a step that would change
            // nothing (most of them, in a first run) does not run.
            conn.execute_batch(first_listings_step(0))?;
            let mut stmt =
                conn.prepare("SELECT DISTINCT region FROM batch_known WHERE NOT same")?;
            for region in stmt.query_map([], |r| r.get::<_, String>(0))? {
                ended_regions.insert(region?);
            }
            if !ended_regions.is_empty() {
                conn.execute_batch(first_listings_step(1))?;
            }
            conn.execute_batch(first_listings_step(2))?;
            let reopened: i64 =
                conn.query_row("SELECT count(*) FROM batch_reopened", [], |r| r.get(0))?;
            if reopened > 0 {
                conn.execute_batch(first_listings_step(3))?;
            }
            conn.execute_batch(first_listings_step(4))?;
            conn.execute_batch(first_listings_step(5))?;
            let mut stmt =
                conn.prepare("SELECT listing, count(*) FROM batch_stage GROUP BY listing")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
                let (file, rows) = row?;
                added.insert(file, rows);
            }
            conn.execute_batch(
                "DROP TABLE batch_stage; DROP TABLE batch_args; DROP TABLE batch_known;
                 DROP TABLE batch_reopened;",
            )?;
            // The files in the order batch_stage numbered them.
            for ((staged, _), source) in &listed {
                round.add_file(&source.path, &staged.with_values);
            }
        }
        // As in a merge one by one: a version ended moves its region on.
        for region in ended_regions {
            let epoch = round.epochs.get(&region).copied().unwrap_or(0);
            let next = bump_region_epoch(conn, &region, epoch)?;
            round.epochs.insert(region, next);
        }
        let mut state = conn.appender("listing_state")?;
        let mut listing = 0i64;
        let mut counts = Vec::with_capacity(parts.len());
        for (staged, record) in parts {
            let merged = if staged.rows > 0 {
                let epoch = round.epochs.get(&record.region).copied().unwrap_or(0);
                let key = listing_key(record);
                state.append_row(params![key, staged.listing_hash, epoch])?;
                round
                    .listings
                    .insert(key, (Some(staged.listing_hash), epoch));
                let merged = MergeCounts {
                    added: added.get(&listing).copied().unwrap_or(0),
                    ..MergeCounts::default()
                };
                listing += 1;
                round.noted_rows += merged.added;
                merged
            } else {
                // Empty and never listed anything: only its ledger row, as one by one.
                MergeCounts::default()
            };
            round.record_merged(record, merged);
            counts.push(merged);
        }
        state.flush()?;
        Ok(Some(counts))
    }

    fn merge_in_round(
        &self,
        round: &mut Round,
        staged: &StagedPartition,
        record: &PartitionRecord,
        source: Option<&Source>,
    ) -> duckdb::Result<MergeCounts> {
        let conn = &self.conn;
        let key = listing_key(record);
        let epoch = round.epochs.get(&record.region).copied().unwrap_or(0);
        if round.unchanged(staged, record) {
            let counts = MergeCounts::default();
            round.record_merged(record, counts);
            return Ok(counts);
        }
        // One narrow row per image id (the last one staged wins), held in memory; the
        // wide rows stay in the Parquet file until the round's flush streams them into
        // the tables, so a merge needs little memory however large the partition.
        match source {
            Some(source) => conn.execute(
                "CREATE OR REPLACE TEMP TABLE stage AS
                 SELECT image_id, content_hash, view_hash, file_row_number
                 FROM read_parquet(?, file_row_number = true)
                 WHERE file_row_number >= ? AND file_row_number < ?
                 QUALIFY row_number() OVER (PARTITION BY image_id ORDER BY file_row_number DESC) = 1",
                params![source.path, source.from, source.to],
            )?,
            None if staged.rows == 0 => conn.execute(
                "CREATE OR REPLACE TEMP TABLE stage (
                     image_id VARCHAR, content_hash BIGINT, view_hash BIGINT,
                     file_row_number BIGINT)",
                [],
            )?,
            None => return Err(ungathered()),
        };
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE merge_args AS
             SELECT ?::BIGINT AS run_id, ?::VARCHAR AS region,
                    ?::VARCHAR AS viewer_account_id, ?::VARCHAR AS scope,
                    NULL::UBIGINT AS file_index",
            params![
                record.run_id,
                record.region,
                record.account_id,
                record.scope
            ],
        )?;
        // Rows the round noted before this partition are inserted first if this merge
        // could see them.
        if round.noted_rows > 0 && conn.query_row(CONFLICTS_SQL, [], |r| r.get::<_, bool>(0))? {
            round.flush(conn)?;
        }
        conn.execute_batch(COUNTS_SQL)?;
        let (counts, versions_ended) = conn.query_row(
            "SELECT added, changed, gone, versions_ended FROM merge_counts",
            [],
            |r| {
                let counts = MergeCounts {
                    added: r.get(0)?,
                    changed: r.get(1)?,
                    gone: r.get(2)?,
                };
                Ok((counts, r.get::<_, i64>(3)?))
            },
        )?;
        // Only the parts that can change a row run: a listing that is as it was (most of
        // them, run after run) runs none, a partition's first listing no ended.sql.
        let ends = counts.changed + counts.gone > 0;
        if ends {
            conn.execute_batch(ENDED_SQL)?;
        }
        if let Some(source) = source
            && counts.added + counts.changed > 0
        {
            let file_index = round.add_file(&source.path, &staged.with_values);
            conn.execute("UPDATE merge_args SET file_index = ?", [file_index])?;
            conn.execute_batch(MERGE_SQL)?;
            round.noted_rows += counts.added + counts.changed;
        }
        if ends {
            conn.execute_batch(GONE_SQL)?;
        }
        // A merge that ends an open version moves its region on: no listing there may
        // skip its merge on the strength of what it saw before. New versions and
        // sightings need not: a listing that may skip has an open version of each of its
        // images, which only an ended one changes (docs/decisions/0011-many-partitions.md).
        let epoch = if versions_ended + counts.gone > 0 {
            let next = bump_region_epoch(conn, &record.region, epoch)?;
            round.epochs.insert(record.region.clone(), next);
            next
        } else {
            epoch
        };
        let updated = conn
            .prepare_cached(
                "UPDATE listing_state SET listing_hash = ?, region_epoch = ? WHERE listing_key = ?",
            )?
            .execute(params![staged.listing_hash, epoch, key])?;
        if updated == 0 {
            conn.prepare_cached("INSERT INTO listing_state VALUES (?, ?, ?)")?
                .execute(params![key, staged.listing_hash, epoch])?;
        }
        round
            .listings
            .insert(key, (Some(staged.listing_hash), epoch));
        round.record_merged(record, counts);
        conn.execute_batch("DROP TABLE stage; DROP TABLE merge_args; DROP TABLE merge_counts;")?;
        Ok(counts)
    }
}

/// How many of the round's first partitions are listings no merge has recorded, up to
/// a bound on their rows (their narrow rows are held in memory together).
fn first_listings(round: &Round, partitions: &[(&StagedPartition, &PartitionRecord)]) -> usize {
    let mut rows = 0;
    let mut keys = std::collections::HashSet::<String>::new();
    partitions
        .iter()
        .take_while(|(staged, record)| {
            rows += staged.rows;
            let key = listing_key(record);
            rows <= FIRST_LISTINGS_ROWS && !round.listings.contains_key(&key) && keys.insert(key)
        })
        .count()
}

/// A listing held in memory that its round did not write out: `Round::gather` decides
/// which a round reads, so this is a fault in that choice.
fn ungathered() -> duckdb::Error {
    duckdb::Error::ToSqlConversionFailure("a held listing was not written for its round".into())
}

/// The rows the first listings of a round may hold to merge together: their narrow rows
/// (about 60 bytes each) stay a few megabytes.
const FIRST_LISTINGS_ROWS: u64 = 200_000;

/// A listing's row in `listing_state`.
fn listing_key(record: &PartitionRecord) -> String {
    format!("{}|{}|{}", record.account_id, record.region, record.scope)
}

/// Moves `region` on from `epoch`; returns the new epoch.
fn bump_region_epoch(conn: &duckdb::Connection, region: &str, epoch: i64) -> duckdb::Result<i64> {
    let next = epoch + 1;
    let updated = conn.execute(
        "UPDATE region_epochs SET epoch = ? WHERE region = ?",
        params![next, region],
    )?;
    if updated == 0 {
        conn.execute(
            "INSERT INTO region_epochs VALUES (?, ?)",
            params![region, next],
        )?;
    }
    Ok(next)
}

/// The staging files whose rows a round has noted but not yet inserted (see
/// `sql/merge/round.sql`).
#[derive(Default)]
struct Round {
    /// Their paths, in file_index order.
    files: Vec<String>,
    /// Each path's place in `files`.
    file_index: HashMap<String, usize>,
    /// The columns that hold a value in some row of the files.
    with_values: ColumnsWithValues,
    /// New versions and sightings noted since the last flush (an upper bound).
    noted_rows: i64,
    /// The round's listings' `listing_state` rows (fingerprint, region epoch), kept as
    /// the round changes them.
    listings: HashMap<String, (Option<i64>, i64)>,
    /// Every region's epoch, kept as the round moves them on.
    epochs: HashMap<String, i64>,
    /// The ledger rows of the partitions merged, written together when the round ends.
    ledger: Vec<PartitionRecord>,
}

impl Round {
    /// Reads the state the round's merges decide by: a query or two per round instead
    /// of two per partition.
    fn load_state(&mut self, conn: &duckdb::Connection, keys: &[String]) -> duckdb::Result<()> {
        let mut stmt = conn.prepare_cached("SELECT region, epoch FROM region_epochs")?;
        self.epochs = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for chunk in keys.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut stmt = conn.prepare(&format!(
                "SELECT listing_key, listing_hash, region_epoch FROM listing_state
                 WHERE listing_key IN ({marks})"
            ))?;
            let rows = stmt.query_map(duckdb::params_from_iter(chunk), |r| {
                Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))
            })?;
            for row in rows {
                let (key, state) = row?;
                self.listings.insert(key, state);
            }
        }
        Ok(())
    }

    /// Notes the partition's ledger row, with what its merge changed.
    fn record_merged(&mut self, record: &PartitionRecord, counts: MergeCounts) {
        let mut record = record.clone();
        record.added = Some(counts.added);
        record.changed = Some(counts.changed);
        record.gone = Some(counts.gone);
        record.finished_at = None; // the merge's own instant
        self.ledger.push(record);
    }

    /// Adds a partition's staging file to the round, unless it is there (a file of
    /// held listings); returns its file_index.
    fn add_file(&mut self, path: &str, with_values: &ColumnsWithValues) -> usize {
        self.with_values.add(with_values);
        if let Some(&index) = self.file_index.get(path) {
            return index;
        }
        self.files.push(path.to_string());
        self.file_index
            .insert(path.to_string(), self.files.len() - 1);
        self.files.len() - 1
    }

    /// Whether merging the listing would change nothing but the ledger. Most listings
    /// of a many-account sync are empty or as they were, and a full merge costs
    /// milliseconds that grow with the store (docs/decisions/0011-many-partitions.md):
    /// an empty listing that never listed anything, or one whose fingerprint is its last
    /// merge's in a region no merge has changed since, merges nothing.
    fn unchanged(&self, staged: &StagedPartition, record: &PartitionRecord) -> bool {
        let epoch = self.epochs.get(&record.region).copied().unwrap_or(0);
        match self.listings.get(&listing_key(record)) {
            None => staged.rows == 0,
            Some((Some(hash), at)) => *hash == staged.listing_hash && *at == epoch,
            Some((None, _)) => false,
        }
    }

    /// Writes the held listings the round may read into one file: those that are not
    /// unchanged now, and, in a region where one of those comes first, every later one,
    /// since its merge may move the region's epoch on.
    fn gather(
        &self,
        partitions: &[(&StagedPartition, &PartitionRecord)],
    ) -> Result<RoundStage, StoreError> {
        let mut moving = std::collections::HashSet::new();
        let wanted: Vec<bool> = partitions
            .iter()
            .map(|(staged, record)| {
                let read = !self.unchanged(staged, record) || moving.contains(&record.region);
                if read {
                    moving.insert(record.region.clone());
                }
                read
            })
            .collect();
        let staged: Vec<&StagedPartition> = partitions.iter().map(|(s, _)| *s).collect();
        RoundStage::gather(&staged, |i| wanted[i])
    }

    /// Inserts every noted row, then starts over with no files.
    fn flush(&mut self, conn: &duckdb::Connection) -> duckdb::Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        // A view cannot take a parameter: the paths (amiq's own staging files) are quoted.
        let files: Vec<String> = self
            .files
            .iter()
            .map(|p| format!("'{}'", p.replace('\'', "''")))
            .collect();
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP VIEW round_file AS
             SELECT *, file_index FROM read_parquet([{}], file_row_number = true)",
            files.join(", ")
        ))?;
        conn.execute_batch(&flush_sql(&self.with_values))?;
        conn.execute_batch("DROP VIEW round_file")?;
        self.files.clear();
        self.file_index.clear();
        self.with_values = ColumnsWithValues::default();
        self.noted_rows = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoreSettings, staged_listing, staged_listing_in_file};
    use amiq_image::Image;
    use duckdb::Connection;

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

    /// `stage`, in a file of the listing's own.
    fn stage_in_file(
        dir: &std::path::Path,
        run_id: i64,
        l: &Listing,
    ) -> (StagedPartition, PartitionRecord) {
        let record = PartitionRecord::started(run_id, l.viewer, l.viewer, REGION, l.scope, false);
        (staged_listing_in_file(dir, &record, &l.images), record)
    }

    /// Every version and sighting, without the instants (which differ between stores).
    fn history(store: &Store) -> Vec<String> {
        history_lines(store, "")
    }

    /// `history`, with each sighting's tag value (the image's view; `-` without tags).
    fn full_history(store: &Store) -> Vec<String> {
        history_lines(store, "coalesce(tags[1].value, '-') || ' ' ||")
    }

    /// `history`, with `view` (SQL text ending in `||`) before each sighting's runs.
    fn history_lines(store: &Store, view: &str) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!(
                "SELECT 'version ' || image_id || ' ' || name || ' ' || valid_from_run || '-' ||
                        coalesce(valid_to_run::VARCHAR, 'open')
                 FROM image_versions
                 UNION ALL
                 SELECT 'sighting ' || image_id || ' ' || viewer_account_id || ' ' || scope || ' ' ||
                        {view} valid_from_run || '-' || coalesce(valid_to_run::VARCHAR, 'open')
                 FROM image_sightings
                 ORDER BY 1"
            ))
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

    /// Images with members of every kind, the newer ones included.
    fn rich_images() -> Vec<Image> {
        use amiq_image::{BlockDeviceMapping, EbsBlockDevice, ScanResults, Tag};
        (1..=3)
            .map(|i| Image {
                tags: Some(vec![Tag {
                    key: Some("k".into()),
                    value: Some(format!("v{i}")),
                }]),
                block_device_mappings: Some(vec![BlockDeviceMapping {
                    device_name: Some("/dev/xvda".into()),
                    ebs: Some(EbsBlockDevice {
                        volume_size: Some(8 * i),
                        ..EbsBlockDevice::default()
                    }),
                    ..BlockDeviceMapping::default()
                }]),
                creation_date: Some("2024-01-02T03:04:05.000Z".into()),
                scan_results: (i == 2).then(|| ScanResults {
                    highest_finding_severity_label: Some("high".into()),
                    ..ScanResults::default()
                }),
                ..image(&format!("ami-{i}"), &format!("n{i}"))
            })
            .collect()
    }

    /// Merges one run of `images` owned by one account; its counts.
    fn merge_run(store: &Store, dir: &std::path::Path, images: &[Image]) -> MergeCounts {
        let run = store.begin_run(1).unwrap();
        let listing = Listing {
            viewer: "111111111111",
            scope: "owned",
            images: images.to_vec(),
        };
        let (staged, record) = stage(dir, run, &listing);
        store.merge_partition(&staged, &record).unwrap()
    }

    fn hashes(store: &Store) -> Vec<(String, i64, i64)> {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT image_id, content_hash, view_hash FROM image_versions
                 JOIN image_sightings USING (region, image_id) ORDER BY 1",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// What a run started or ended: versions and sightings, as `report changes` reads.
    fn touched_by(store: &Store, run: i64) -> i64 {
        store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM image_versions
                         WHERE valid_from_run = ?1 OR valid_to_run = ?1)
                      + (SELECT count(*) FROM image_sightings
                         WHERE valid_from_run = ?1 OR valid_to_run = ?1)",
                [run],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Merges one run of one listing of `viewer` under `scope`; its counts.
    fn merge_listing(
        store: &Store,
        dir: &std::path::Path,
        viewer: &'static str,
        scope: &'static str,
        images: Vec<Image>,
    ) -> MergeCounts {
        let run = store.begin_run(1).unwrap();
        let (staged, record) = stage(
            dir,
            run,
            &Listing {
                viewer,
                scope,
                images,
            },
        );
        store.merge_partition(&staged, &record).unwrap()
    }

    fn open_name(store: &Store, id: &str) -> String {
        store
            .conn
            .query_row(
                "SELECT name FROM image_versions WHERE valid_to IS NULL AND image_id = ?",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn a_listing_as_it_was_merges_again_when_another_listing_changed_its_region() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let (a, b) = ("111111111111", "222222222222");
        merge_listing(&store, dir.path(), a, "owned", vec![image("ami-1", "a")]);
        // Another viewer sees newer content: the version changes.
        let seen = merge_listing(&store, dir.path(), b, "shared", vec![image("ami-1", "a2")]);
        assert_eq!(seen.added, 1);
        assert_eq!(open_name(&store, "ami-1"), "a2");
        // The owner's listing is as it was at its last merge, but the region is not: it
        // must merge in full and bring its content back.
        let again = merge_listing(&store, dir.path(), a, "owned", vec![image("ami-1", "a")]);
        assert_eq!(again.changed, 1);
        assert_eq!(open_name(&store, "ami-1"), "a");
        // Now nothing changed anywhere since: the same listing changes nothing.
        let run = store.begin_run(1).unwrap();
        let listing = Listing {
            viewer: a,
            scope: "owned",
            images: vec![image("ami-1", "a")],
        };
        let (staged, record) = stage(dir.path(), run, &listing);
        assert_eq!(
            store.merge_partition(&staged, &record).unwrap(),
            MergeCounts::default()
        );
        assert_eq!(touched_by(&store, run), 0);
    }

    #[test]
    fn a_held_listing_as_it_was_merges_in_full_after_one_before_it_in_its_round_moved_the_region() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let (a, b) = ("111111111111", "222222222222");
        merge_listing(&store, dir.path(), a, "owned", vec![image("ami-1", "a")]);
        // One round: another viewer's new listing changes ami-1's content first, then the
        // owner's listing, held and as it was at its last merge, must merge in full: the
        // round writes it out though it was unchanged when the round began.
        let run = store.begin_run(2).unwrap();
        let (changes, changes_record) =
            stage(dir.path(), run, &listing(b, "shared", &[("ami-1", "a2")]));
        let (as_it_was, as_it_was_record) = stage(
            dir.path(),
            run,
            &Listing {
                viewer: a,
                scope: "owned",
                images: vec![image("ami-1", "a")],
            },
        );
        let counts = store
            .merge_partitions(&[(&changes, &changes_record), (&as_it_was, &as_it_was_record)])
            .unwrap();
        assert_eq!(counts[0].added, 1);
        assert_eq!(counts[1].changed, 1, "{counts:?}");
        assert_eq!(open_name(&store, "ami-1"), "a");
    }

    #[test]
    fn a_listing_twice_in_a_round_merges_once_together_and_then_as_it_was() {
        let same = || listing("111111111111", "owned", &[("ami-1", "a"), ("ami-2", "a")]);
        let (alone_dir, together_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (alone, together) = (open(alone_dir.path()), open(together_dir.path()));
        let mut staged = Vec::new();
        for _ in 0..2 {
            let run = alone.begin_run(1).unwrap();
            assert_eq!(run, together.begin_run(1).unwrap());
            let (s, r) = stage(alone_dir.path(), run, &same());
            alone.merge_partition(&s, &r).unwrap();
            staged.push(stage(together_dir.path(), run, &same()));
        }
        let group: Vec<_> = staged.iter().map(|(s, r)| (s, r)).collect();
        let counts = together.merge_partitions(&group).unwrap();
        assert_eq!(counts[1], MergeCounts::default(), "{counts:?}");
        assert_eq!(full_history(&together), full_history(&alone));
    }

    #[test]
    fn a_listing_of_a_store_from_before_fingerprints_is_merged_in_full() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let images = vec![image("ami-1", "a"), image("ami-2", "b")];
        merge_listing(&store, dir.path(), "111111111111", "owned", images);
        // As migration 0005 leaves a store that had open sightings: no fingerprint.
        store
            .conn
            .execute_batch("UPDATE listing_state SET listing_hash = NULL, region_epoch = -1")
            .unwrap();
        // An empty listing now ends both sightings (and, with no viewer left, versions).
        let emptied = merge_listing(&store, dir.path(), "111111111111", "owned", vec![]);
        assert_eq!(emptied.gone, 2);
        let open: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM image_sightings WHERE valid_to IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(open, 0);
    }

    #[test]
    fn a_store_of_the_first_schema_migrates_keeps_its_history_and_its_next_sync_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let images = rich_images();
        // What this release stores for a first run, to compare with.
        let current = open(dir.path());
        merge_run(&current, dir.path(), &images);
        let (lines, stored) = (full_history(&current), hashes(&current));

        // The same run in a store as the previous release wrote it: schema 0001 only,
        // hashes of another scheme.
        let old_path = dir.path().join("old.duckdb");
        {
            let old = Connection::open(&old_path).unwrap();
            old.execute_batch(&format!(
                "{}
                 CREATE TABLE amiq_migrations (version INTEGER PRIMARY KEY,
                     name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL);
                 INSERT INTO amiq_migrations VALUES (1, 'store', now());",
                super::super::MIGRATIONS[0].sql
            ))
            .unwrap();
            drop(old);
            let sql = format!(
                "ATTACH '{}' AS old;
                 INSERT INTO old.sync_runs SELECT * FROM sync_runs;
                 SELECT nextval('old.sync_run_ids');
                 INSERT INTO old.sync_partitions SELECT * FROM sync_partitions;
                 INSERT INTO old.image_versions BY NAME
                     SELECT * EXCLUDE (public_ssm_parameter_name, image_watermarks,
                                       scan_results, instance_type_specification,
                                       unknown_members)
                            REPLACE (xor(content_hash, 12345) AS content_hash)
                     FROM image_versions;
                 INSERT INTO old.image_sightings BY NAME
                     SELECT * REPLACE (xor(view_hash, 12345) AS view_hash)
                     FROM image_sightings;
                 DETACH old;",
                old_path.display()
            );
            current.conn.execute_batch(&sql).unwrap();
        }
        drop(current);

        let migrated = Store::open_write(&old_path, &StoreSettings::default()).unwrap();
        assert_eq!(
            migrated.schema_version().unwrap(),
            super::super::known_version()
        );
        assert_eq!(full_history(&migrated), lines, "history is kept");
        let rehashed = hashes(&migrated);
        let differs: Vec<_> = rehashed
            .iter()
            .zip(&stored)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.0.clone())
            .collect();
        // ami-2's scan results were not in the old store, so its content hash differs.
        assert_eq!(differs, ["ami-2"], "every other hash is this release's");
        let no_scan: Vec<Image> = images
            .iter()
            .cloned()
            .map(|i| Image {
                scan_results: None,
                ..i
            })
            .collect();
        let counts = merge_run(&migrated, dir.path(), &no_scan);
        assert_eq!((counts.added, counts.changed, counts.gone), (0, 0, 0));
        assert_eq!(
            touched_by(&migrated, 2),
            0,
            "the run after the upgrade changed nothing"
        );
    }

    /// Every member column of both tables, as text, row by row.
    fn stored_rows(store: &Store) -> Vec<String> {
        let mut rows = Vec::new();
        for table in ["image_versions", "image_sightings"] {
            let sql = format!(
                "SELECT CAST(t AS VARCHAR) FROM (
                     SELECT * EXCLUDE (valid_from, valid_to) FROM {table}) t
                 ORDER BY ALL"
            );
            let mut stmt = store.conn.prepare(&sql).unwrap();
            let found: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.extend(found);
        }
        rows
    }

    #[test]
    fn a_round_reads_only_the_members_its_rows_hold_and_stores_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let images = rich_images();
        let record = PartitionRecord::started(1, "111111111111", "a", REGION, "owned", false);
        let staged = staged_listing(dir.path(), &record, &images);
        let seen = &staged.with_values;
        // ami-2 alone has scan results; no image has watermarks or a launch time.
        assert!(seen.has("image_id") && seen.has("tags") && seen.has("scan_results"));
        assert!(!seen.has("image_watermarks") && !seen.has("last_launched_time"));
        assert!(!seen.has("no_such_column"));
        let sql = flush_sql(seen);
        assert!(sql.contains(", image_watermarks") && !sql.contains("scan_results"));
        assert!(
            sql.lines()
                .any(|l| l.trim() == "s.run_id AS valid_from_run, now() AS valid_from, tags"),
            "the sightings read the viewer's members that hold a value: {sql}"
        );

        // The same rows as a round that reads every column.
        let store = open(dir.path());
        merge_run(&store, dir.path(), &images);
        let read_some = stored_rows(&store);
        let all = flush_sql(&ColumnsWithValues::every());
        std::fs::create_dir(dir.path().join("every")).unwrap();
        let every = open(&dir.path().join("every"));
        every.conn.execute_batch(ROUND_SQL).unwrap();
        let run = every.begin_run(1).unwrap();
        let record =
            PartitionRecord::started(run, "111111111111", "111111111111", REGION, "owned", false);
        let staged = staged_listing_in_file(dir.path(), &record, &images);
        every
            .conn
            .execute_batch(&format!(
                "CREATE TEMP TABLE stage AS
                     SELECT image_id, content_hash, view_hash, file_row_number
                     FROM read_parquet('{path}', file_row_number = true);
                 CREATE TEMP TABLE merge_args AS
                     SELECT {run}::BIGINT AS run_id, '{REGION}' AS region,
                            '111111111111' AS viewer_account_id, 'owned' AS scope,
                            0::UBIGINT AS file_index;
                 {MERGE_SQL}
                 CREATE TEMP VIEW round_file AS
                     SELECT *, file_index FROM read_parquet(['{path}'], file_row_number = true);
                 {all}",
                path = staged.path().display()
            ))
            .unwrap();
        assert_eq!(stored_rows(&every), read_some);
        assert!(
            read_some.iter().any(|r| r.contains("high")),
            "ami-2's scan results are stored"
        );
    }

    #[test]
    fn a_member_added_to_the_shape_that_no_image_carries_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let images = rich_images();
        merge_run(&store, dir.path(), &images);
        let before = (full_history(&store), hashes(&store));
        // The next release's migration adds the member's column; its shape hashes it.
        store
            .conn
            .execute_batch("ALTER TABLE image_versions ADD COLUMN future_member VARCHAR")
            .unwrap();
        let counts = merge_run(&store, dir.path(), &images);
        assert_eq!((counts.added, counts.changed, counts.gone), (0, 0, 0));
        assert_eq!(touched_by(&store, 2), 0);
        assert_eq!((full_history(&store), hashes(&store)), before);
    }

    #[test]
    fn partitions_merged_together_store_what_they_store_one_by_one() {
        let [alone, together] = merged_alone_and_together(runs());
        assert_eq!(alone, together);
        let stored = together.0;
        assert!(
            stored.contains(&"version ami-1 a 1-2".to_string()),
            "{stored:#?}"
        );
        assert!(stored.contains(&"sighting ami-2 111111111111 owned - 1-2".to_string()));
        assert!(stored.contains(&"version ami-2 b 1-open".to_string()));
    }

    /// Listings drawn from a small pool, so that images move between viewers and
    /// scopes, change content (name) and view (a tag), vanish and come back.
    fn random_runs(seed: u64, runs: usize) -> Vec<Vec<Listing>> {
        let mut state = seed;
        let mut next = move |n: u64| {
            // SplitMix64: enough to vary the listings, the same on every machine.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        };
        let partitions = [
            ("111111111111", "owned"),
            ("111111111111", "shared"),
            ("222222222222", "shared"),
            ("333333333333", "owned"),
        ];
        (0..runs)
            .map(|_| {
                partitions
                    .iter()
                    .map(|&(viewer, scope)| {
                        let mut images = Vec::new();
                        for i in 1..=8 {
                            if next(3) == 0 {
                                continue;
                            }
                            let mut img = image(&format!("ami-{i}"), ["a", "b"][next(2) as usize]);
                            img.tags = Some(vec![amiq_image::Tag {
                                key: Some("team".into()),
                                value: Some(["x", "y"][next(2) as usize].into()),
                            }]);
                            images.push(img);
                        }
                        Listing {
                            viewer,
                            scope,
                            images,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Merges the runs' listings one transaction each, and each run's listings in one
    /// group; returns both stores' history and the counts.
    fn merged_alone_and_together(runs: Vec<Vec<Listing>>) -> [(Vec<String>, Vec<MergeCounts>); 2] {
        let (alone_dir, together_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (alone, together) = (open(alone_dir.path()), open(together_dir.path()));
        let (mut alone_counts, mut together_counts) = (Vec::new(), Vec::new());
        for listings in runs {
            let run = alone.begin_run(listings.len()).unwrap();
            assert_eq!(run, together.begin_run(listings.len()).unwrap());
            for l in &listings {
                let (staged, record) = stage(alone_dir.path(), run, l);
                alone_counts.push(alone.merge_partition(&staged, &record).unwrap());
            }
            // Held listings and listings in files of their own, in one round.
            let staged: Vec<_> = listings
                .iter()
                .enumerate()
                .map(|(i, l)| match i % 3 {
                    2 => stage_in_file(together_dir.path(), run, l),
                    _ => stage(together_dir.path(), run, l),
                })
                .collect();
            let group: Vec<_> = staged.iter().map(|(s, r)| (s, r)).collect();
            together_counts.extend(together.merge_partitions(&group).unwrap());
        }
        [
            (full_history(&alone), alone_counts),
            (full_history(&together), together_counts),
        ]
    }

    /// The history the runs' listings should leave, merged one partition after the
    /// other, written straight from the rules (ARCHITECTURE.md, sql/merge/), in the
    /// format of `full_history`.
    fn expected_history(runs: &[Vec<Listing>]) -> Vec<String> {
        struct Row {
            image: String,
            key: Option<(String, String)>, // a sighting's viewer and scope; None: a version
            shown: String,                 // the version's name, the sighting's tag value
            from: usize,
            to: Option<usize>,
        }
        let mut rows: Vec<Row> = Vec::new();
        let open = |rows: &Vec<Row>, image: &str, key: Option<&(String, String)>| {
            rows.iter()
                .position(|r| r.to.is_none() && r.image == image && r.key.as_ref() == key)
        };
        for (i, listings) in runs.iter().enumerate() {
            let run = i + 1;
            for l in listings {
                let key = (l.viewer.to_string(), l.scope.to_string());
                let listed: Vec<(String, String, String)> = l
                    .images
                    .iter()
                    .map(|img| {
                        let tag = img.tags.as_ref().unwrap()[0].value.clone().unwrap();
                        (
                            img.image_id.clone().unwrap(),
                            img.name.clone().unwrap(),
                            tag,
                        )
                    })
                    .collect();
                let shown = |image: &str| listed.iter().find(|(id, _, _)| id == image);
                // The listing ends its sightings it no longer shows, or shows otherwise.
                let mut ended = Vec::new();
                for r in rows
                    .iter_mut()
                    .filter(|r| r.to.is_none() && r.key.as_ref() == Some(&key))
                {
                    if shown(&r.image).is_none_or(|(_, _, tag)| *tag != r.shown) {
                        r.to = Some(run);
                        ended.push(r.image.clone());
                    }
                }
                for (image, name, tag) in &listed {
                    match open(&rows, image, None) {
                        Some(v) if rows[v].shown == *name => {}
                        found => {
                            if let Some(v) = found {
                                rows[v].to = Some(run);
                            }
                            // Seen again as it was when this run ended it: reopened.
                            if let Some(v) = rows.iter().position(|r| {
                                r.key.is_none()
                                    && r.image == *image
                                    && r.to == Some(run)
                                    && r.shown == *name
                            }) {
                                rows[v].to = None;
                            } else {
                                rows.push(Row {
                                    image: image.clone(),
                                    key: None,
                                    shown: name.clone(),
                                    from: run,
                                    to: None,
                                });
                            }
                        }
                    }
                    if open(&rows, image, Some(&key)).is_none() {
                        rows.push(Row {
                            image: image.clone(),
                            key: Some(key.clone()),
                            shown: tag.clone(),
                            from: run,
                            to: None,
                        });
                    }
                }
                // An image no open sighting shows any more is gone.
                for image in ended {
                    let shown = rows
                        .iter()
                        .any(|r| r.key.is_some() && r.to.is_none() && r.image == image);
                    if let (false, Some(v)) = (shown, open(&rows, &image, None)) {
                        rows[v].to = Some(run);
                    }
                }
            }
        }
        let mut history: Vec<String> = rows
            .iter()
            .map(|r| {
                let valid = format!(
                    "{}-{}",
                    r.from,
                    r.to.map_or("open".to_string(), |t| t.to_string())
                );
                match &r.key {
                    None => format!("version {} {} {valid}", r.image, r.shown),
                    Some((viewer, scope)) => {
                        format!("sighting {} {viewer} {scope} {} {valid}", r.image, r.shown)
                    }
                }
            })
            .collect();
        history.sort();
        history
    }

    #[test]
    fn merges_store_what_the_rules_say_whether_partitions_merge_alone_or_together() {
        for seed in 0..8 {
            let runs = random_runs(seed, 5);
            let expected = expected_history(&runs);
            let [alone, together] = merged_alone_and_together(runs);
            assert_eq!(alone.0, expected, "seed {seed}, merged alone");
            assert_eq!(together.0, expected, "seed {seed}, merged together");
            assert_eq!(alone.1, together.1, "seed {seed}: counts");
            assert!(
                expected
                    .iter()
                    .any(|h| h.starts_with("version") && !h.ends_with("open")),
                "seed {seed} ends no version: {expected:#?}"
            );
        }
    }

    /// A listing of images by (id, name), each tagged team=x.
    fn listing(viewer: &'static str, scope: &'static str, images: &[(&str, &str)]) -> Listing {
        Listing {
            viewer,
            scope,
            images: images
                .iter()
                .map(|(id, name)| {
                    let mut img = image(id, name);
                    img.tags = Some(vec![amiq_image::Tag {
                        key: Some("team".into()),
                        value: Some("x".into()),
                    }]);
                    img
                })
                .collect(),
        }
    }

    #[test]
    fn listings_never_merged_merge_together_as_they_would_one_by_one() {
        let runs = vec![
            // Two new listings sharing an image: one version, two sightings.
            vec![
                listing("111111111111", "owned", &[("ami-1", "a"), ("ami-2", "a")]),
                listing("222222222222", "shared", &[("ami-1", "a")]),
            ],
            // New listings first (one changes ami-1's content, ending its version), then
            // the listings merged before, one by one.
            vec![
                listing("333333333333", "shared", &[("ami-1", "b"), ("ami-3", "a")]),
                listing("444444444444", "owned", &[("ami-4", "a")]),
                listing("555555555555", "owned", &[]),
                listing("111111111111", "owned", &[("ami-1", "b"), ("ami-2", "a")]),
                listing("222222222222", "shared", &[("ami-1", "b")]),
            ],
            // Two new listings that disagree on an image's content: merged one by one.
            vec![
                listing("666666666666", "owned", &[("ami-5", "a")]),
                listing("777777777777", "shared", &[("ami-5", "b")]),
            ],
        ];
        let expected = expected_history(&runs);
        let [alone, together] = merged_alone_and_together(runs);
        assert_eq!(alone.0, expected);
        assert_eq!(together.0, expected);
        assert_eq!(alone.1, together.1);
        assert!(
            expected.contains(&"version ami-1 a 1-2".to_string()),
            "{expected:#?}"
        );
        assert!(
            expected.contains(&"version ami-5 a 3-3".to_string()),
            "{expected:#?}"
        );
    }

    #[test]
    fn new_listings_together_reopen_a_version_an_earlier_round_of_the_run_ended() {
        // Rounds of each run: the second run ends ami-1's first content in its first
        // round, and two new listings bring that content back in its second.
        let runs = vec![
            vec![vec![listing("111111111111", "owned", &[("ami-1", "a")])]],
            vec![
                vec![listing("111111111111", "owned", &[("ami-1", "b")])],
                vec![
                    listing("222222222222", "owned", &[("ami-1", "a")]),
                    listing("333333333333", "owned", &[("ami-9", "a")]),
                ],
            ],
        ];
        let (alone_dir, together_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (alone, together) = (open(alone_dir.path()), open(together_dir.path()));
        for rounds in &runs {
            let run = alone.begin_run(3).unwrap();
            assert_eq!(run, together.begin_run(3).unwrap());
            for round in rounds {
                for l in round {
                    let (staged, record) = stage(alone_dir.path(), run, l);
                    alone.merge_partition(&staged, &record).unwrap();
                }
                let staged: Vec<_> = round
                    .iter()
                    .map(|l| stage(together_dir.path(), run, l))
                    .collect();
                let group: Vec<_> = staged.iter().map(|(s, r)| (s, r)).collect();
                together.merge_partitions(&group).unwrap();
            }
        }
        let stored = full_history(&together);
        assert_eq!(stored, full_history(&alone));
        assert!(
            stored.contains(&"version ami-1 a 1-open".to_string()),
            "{stored:#?}"
        );
        assert!(
            stored.contains(&"version ami-1 b 2-2".to_string()),
            "{stored:#?}"
        );
    }

    #[test]
    fn a_group_with_a_partition_that_cannot_merge_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let run = store.begin_run(2).unwrap();
        let listings = runs().remove(0);
        let good = stage(dir.path(), run, &listings[0]);
        let bad = stage_in_file(dir.path(), run, &listings[1]);
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
