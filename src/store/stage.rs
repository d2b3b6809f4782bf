//! A partition's pages, staged until the partition completes: held in memory while
//! they are small, on disk as Parquet beyond that.
//!
//! Staging keeps memory flat however large the partition (pages are written out as
//! they arrive) and gives DuckDB its fastest bulk path: `read_parquet` of nested
//! columns is far quicker than appending Arrow lists of structs row group by row group.
//! A Parquet file costs its reader a footer of every column, about a millisecond
//! whatever its rows, so the small listings of a many-account sync are held and a
//! round writes those it reads into one file
//! (docs/decisions/0014-small-listings-one-file-a-round.md).
//!
//! A staging file is deleted when its partition is done with it. A process that is
//! killed cannot delete its files, so each file carries an exclusive lock (`flock`) for
//! as long as its process lives, and [`sweep_abandoned`] deletes the unlocked ones that
//! a later sync finds: whatever another running sync stages stays locked, and so stays.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use arrow::array::{AsArray, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::StoreError;
use xxhash_rust::xxh3::xxh3_64;

/// Rows per Parquet row group: bounds the writer's buffer per open partition.
const ROW_GROUP_ROWS: usize = 8192;

/// How staging files are named, in the staging directory.
const PREFIX: &str = "amiq-stage-";
const SUFFIX: &str = ".parquet";

/// A staging file younger than this is never swept: its writer may not have locked it
/// yet.
const SWEEP_MIN_AGE: Duration = Duration::from_secs(60);

/// A listing's pages are held in memory up to this many bytes of Arrow arrays, and
/// written to a file of its own beyond: a file's footer costs little beside its rows.
pub const HOLD_BYTES: usize = 256 * 1024;

/// What the held listings of a sync may take together.
pub const HOLD_BUDGET: usize = 64 * 1024 * 1024;

/// Bytes left for held pages, shared by a sync's listings: a listing holds its pages
/// while they fit, and goes to a file when they do not, so the partitions waiting for
/// the writer take bounded memory however many wait.
#[derive(Clone, Debug)]
pub struct HoldBudget(Arc<AtomicUsize>);

impl HoldBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> HoldBudget {
        HoldBudget(Arc::new(AtomicUsize::new(bytes)))
    }

    /// Takes `bytes` if they are left.
    fn take(&self, bytes: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    fn give(&self, bytes: usize) {
        self.0.fetch_add(bytes, Ordering::AcqRel);
    }

    /// Bytes left: for tests.
    #[cfg(test)]
    pub(crate) fn left(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

/// Bytes taken from a budget, given back when dropped.
#[derive(Debug)]
pub struct Taken {
    budget: HoldBudget,
    bytes: usize,
}

impl Drop for Taken {
    fn drop(&mut self) {
        self.budget.give(self.bytes);
    }
}

/// A staging file being written.
pub struct StageFile {
    writer: ArrowWriter<File>,
    file: tempfile::TempPath,
    lock: File,
    rows: u64,
}

/// A complete staging file. Deleted when dropped.
pub struct StagedFile {
    file: tempfile::TempPath,
    /// Held (and so the file's lock) until the file is deleted.
    _lock: File,
    /// Rows written.
    pub rows: u64,
}

impl StagedFile {
    /// The Parquet file.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl StageFile {
    /// Creates a staging file for batches of `schema` in `dir` (the system's temp dir
    /// when `None`).
    pub fn create(
        dir: Option<&Path>,
        schema: arrow::datatypes::SchemaRef,
    ) -> Result<StageFile, StoreError> {
        let dir: PathBuf = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let named = tempfile::Builder::new()
            .prefix(PREFIX)
            .suffix(SUFFIX)
            .tempfile_in(&dir)
            .map_err(|e| StoreError::Stage {
                path: dir.clone(),
                message: format!("cannot create a staging file: {e}"),
            })?;
        let (file, path) = named.into_parts();
        // A second handle carries the lock, so that the writer can own the first.
        let lock = file
            .try_clone()
            .and_then(|lock| lock.try_lock().map_err(std::io::Error::from).map(|_| lock))
            .map_err(|e| StoreError::Stage {
                path: path.to_path_buf(),
                message: format!("cannot lock the staging file: {e}"),
            })?;
        let props = WriterProperties::builder()
            .set_compression(Compression::UNCOMPRESSED)
            // Read once, in full, by the merge: dictionaries and statistics only cost.
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| StoreError::Stage {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(StageFile {
            writer,
            file: path,
            lock,
            rows: 0,
        })
    }

    /// Appends one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        self.writer.write(batch).map_err(|e| StoreError::Stage {
            path: self.file.to_path_buf(),
            message: e.to_string(),
        })?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the file.
    pub fn finish(self) -> Result<StagedFile, StoreError> {
        let StageFile {
            writer,
            file,
            lock,
            rows,
        } = self;
        writer.close().map_err(|e| StoreError::Stage {
            path: file.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(StagedFile {
            file,
            _lock: lock,
            rows,
        })
    }
}

/// One partition's listing of images, staged page by page.
pub struct PartitionStage {
    dir: Option<PathBuf>,
    /// Pages held while they are small; empty once `file` is open.
    held: Vec<RecordBatch>,
    /// What the held pages take of the budget.
    taken: Taken,
    file: Option<StageFile>,
    rows: u64,
    with_values: ColumnsWithValues,
    /// The rows' fingerprints so far (see [`StagedPartition::listing_hash`]).
    fingerprint: u64,
}

/// Where a completed listing's pages are.
pub enum StagedPages {
    /// In a file of their own.
    File(StagedFile),
    /// Held in memory, for a round to write with others (`RoundStage`); the directory
    /// that file goes in.
    Held {
        batches: Vec<RecordBatch>,
        dir: Option<PathBuf>,
        /// Given back to the budget when the listing is dropped.
        _taken: Taken,
    },
}

/// A completed listing, ready to merge.
pub struct StagedPartition {
    pub pages: StagedPages,
    /// Images staged (before de-duplication by image id).
    pub rows: u64,
    /// Which of the batch schema's columns hold a value in some row.
    pub with_values: ColumnsWithValues,
    /// The listing's fingerprint: the same images with the same contents and views give
    /// the same value, in any order.
    pub listing_hash: i64,
}

/// Which columns of the batch schema (`crate::batch::schema`) hold a value in some row
/// of one or more staging files: the merge inserts only those and leaves the others
/// NULL, so a member that no image of a round carries costs it nothing
/// (docs/decisions/0001-image-shape.md, "Members no image carries").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnsWithValues(Vec<bool>);

impl Default for ColumnsWithValues {
    fn default() -> Self {
        ColumnsWithValues(vec![false; crate::batch::schema().fields().len()])
    }
}

impl ColumnsWithValues {
    /// Notes the columns of `batch` (of the batch schema) that hold a value.
    pub fn note(&mut self, batch: &RecordBatch) {
        for (seen, column) in self.0.iter_mut().zip(batch.columns()) {
            *seen |= column.null_count() < column.len();
        }
    }

    /// Every column, as if each held a value: for tests.
    #[cfg(test)]
    pub(crate) fn every() -> Self {
        ColumnsWithValues(vec![true; crate::batch::schema().fields().len()])
    }

    /// Adds the columns `other` saw.
    pub fn add(&mut self, other: &ColumnsWithValues) {
        for (seen, theirs) in self.0.iter_mut().zip(&other.0) {
            *seen |= *theirs;
        }
    }

    /// Whether the column named `name` holds a value (an unknown name: it does not).
    pub fn has(&self, name: &str) -> bool {
        crate::batch::schema()
            .index_of(name)
            .is_ok_and(|i| self.0[i])
    }
}

impl PartitionStage {
    /// Starts staging a listing of images, holding its pages while they are small and
    /// `budget` has room; a file, when its pages need one, goes in `dir` (the system's
    /// temp dir when `None`).
    pub fn create(dir: Option<&Path>, budget: &HoldBudget) -> PartitionStage {
        PartitionStage {
            dir: dir.map(Path::to_path_buf),
            held: Vec::new(),
            taken: Taken {
                budget: budget.clone(),
                bytes: 0,
            },
            file: None,
            rows: 0,
            with_values: ColumnsWithValues::default(),
            fingerprint: 0,
        }
    }

    /// Appends one page's batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        self.rows += batch.num_rows() as u64;
        self.with_values.note(batch);
        self.fingerprint = self.fingerprint.wrapping_add(fingerprint(batch));
        if self.file.is_none() {
            let bytes = batch.get_array_memory_size();
            if self.taken.bytes + bytes <= HOLD_BYTES && self.taken.budget.take(bytes) {
                self.held.push(batch.clone());
                self.taken.bytes += bytes;
                return Ok(());
            }
            let mut file = StageFile::create(self.dir.as_deref(), crate::batch::schema())?;
            for held in self.held.drain(..) {
                file.write(&held)?;
            }
            self.taken
                .budget
                .give(std::mem::take(&mut self.taken.bytes));
            self.file = Some(file);
        }
        self.file.as_mut().expect("opened above").write(batch)
    }

    /// Completes the listing; its pages are all staged.
    pub fn finish(self) -> Result<StagedPartition, StoreError> {
        let PartitionStage {
            dir,
            held,
            taken,
            file,
            rows,
            with_values,
            fingerprint,
        } = self;
        let pages = match file {
            Some(file) => StagedPages::File(file.finish()?),
            None => StagedPages::Held {
                batches: held,
                dir,
                _taken: taken,
            },
        };
        Ok(StagedPartition {
            pages,
            rows,
            with_values,
            listing_hash: xxh3_64(&[fingerprint.to_le_bytes(), rows.to_le_bytes()].concat()) as i64,
        })
    }
}

#[cfg(test)]
impl StagedPartition {
    /// The listing's own file: for tests of listings staged in one.
    pub(crate) fn path(&self) -> &Path {
        match &self.pages {
            StagedPages::File(file) => file.path(),
            StagedPages::Held { .. } => panic!("a held listing has no file of its own"),
        }
    }
}

/// Where a round reads a listing's rows: a file, all of it or the rows `from..to` by
/// DuckDB's `file_row_number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub from: i64,
    pub to: i64,
}

/// The staging file a round reads beside the listings' own: the held listings it
/// merges, written together, each a range of its rows.
#[derive(Default)]
pub struct RoundStage {
    /// Kept for the round, deleted with it.
    file: Option<StagedFile>,
    sources: std::collections::HashMap<usize, Source>,
}

impl RoundStage {
    /// Writes the held pages of the listings `wanted` picks among `partitions` into one
    /// file (none when it picks none).
    pub fn gather(
        partitions: &[&StagedPartition],
        wanted: impl Fn(usize) -> bool,
    ) -> Result<RoundStage, StoreError> {
        let mut round = RoundStage::default();
        let mut file: Option<StageFile> = None;
        let mut ranges = Vec::new();
        for (i, staged) in partitions.iter().enumerate() {
            let StagedPages::Held { batches, dir, .. } = &staged.pages else {
                continue;
            };
            if staged.rows == 0 || !wanted(i) {
                continue;
            }
            if file.is_none() {
                file = Some(StageFile::create(dir.as_deref(), crate::batch::schema())?);
            }
            let file = file.as_mut().expect("opened above");
            let from = file.rows as i64;
            for batch in batches {
                file.write(batch)?;
            }
            ranges.push((i, from, file.rows as i64));
        }
        if let Some(file) = file {
            let file = file.finish()?;
            let path = file.path().to_string_lossy().into_owned();
            for (i, from, to) in ranges {
                let path = path.clone();
                round.sources.insert(i, Source { path, from, to });
            }
            round.file = Some(file);
        }
        Ok(round)
    }

    /// Where the round reads partition `i` (of the slice it gathered from), staged as
    /// `staged`; `None` for a held listing it has not gathered, or an empty one.
    pub fn source(&self, i: usize, staged: &StagedPartition) -> Option<Source> {
        match &staged.pages {
            StagedPages::File(file) => Some(Source {
                path: file.path().to_string_lossy().into_owned(),
                from: 0,
                to: i64::MAX,
            }),
            StagedPages::Held { .. } => self.sources.get(&i).cloned(),
        }
    }
}

/// The sum of each row's hash of (image id, content hash, view hash): a value that
/// does not depend on the order of the rows or pages.
fn fingerprint(batch: &RecordBatch) -> u64 {
    let column = |name: &str| batch.column_by_name(name);
    let (Some(ids), Some(contents), Some(views)) = (
        column("image_id"),
        column("content_hash"),
        column("view_hash"),
    ) else {
        return 0;
    };
    let (Some(ids), Some(contents), Some(views)) = (
        ids.as_string_opt::<i32>(),
        contents.as_primitive_opt::<arrow::datatypes::Int64Type>(),
        views.as_primitive_opt::<arrow::datatypes::Int64Type>(),
    ) else {
        return 0;
    };
    let mut sum = 0u64;
    let mut buf = Vec::with_capacity(64);
    for row in 0..batch.num_rows() {
        buf.clear();
        buf.extend_from_slice(ids.value(row).as_bytes());
        buf.extend_from_slice(&contents.value(row).to_le_bytes());
        buf.extend_from_slice(&views.value(row).to_le_bytes());
        sum = sum.wrapping_add(xxh3_64(&buf));
    }
    sum
}

/// Deletes the staging files in `dir` (the system's temp dir when `None`) that no
/// living process holds: those of syncs that were killed. Returns how many it deleted
/// and how many bytes they held. A file it cannot judge or delete is left alone.
pub fn sweep_abandoned(dir: Option<&Path>) -> (usize, u64) {
    let dir: PathBuf = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (0, 0);
    };
    let now = SystemTime::now();
    let (mut count, mut bytes) = (0, 0);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(PREFIX) && name.ends_with(SUFFIX)) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= SWEEP_MIN_AGE);
        if !meta.is_file() || !old {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::open(&path) else {
            continue;
        };
        // Locked: its sync is alive. Unlocked: nobody will ever delete it but us.
        if file.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
            count += 1;
            bytes += meta.len();
        }
    }
    (count, bytes)
}

/// The listing of `images` that `record` describes (its run, region, viewer and
/// scope), staged as a sync stages it (held, being small), ready to merge: for tests.
#[cfg(test)]
pub(crate) fn staged_listing(
    dir: &Path,
    record: &super::PartitionRecord,
    images: &[amiq_image::Image],
) -> StagedPartition {
    staged_listing_holding(dir, record, images, &HoldBudget::new(HOLD_BUDGET))
}

/// The same, in a file of its own: for tests.
#[cfg(test)]
pub(crate) fn staged_listing_in_file(
    dir: &Path,
    record: &super::PartitionRecord,
    images: &[amiq_image::Image],
) -> StagedPartition {
    staged_listing_holding(dir, record, images, &HoldBudget::new(0))
}

#[cfg(test)]
fn staged_listing_holding(
    dir: &Path,
    record: &super::PartitionRecord,
    images: &[amiq_image::Image],
    budget: &HoldBudget,
) -> StagedPartition {
    let origin = crate::batch::PageOrigin {
        run_id: record.run_id,
        region: record.region.clone(),
        viewer_account_id: record.account_id.clone(),
        scope: record.scope.clone(),
    };
    let mut stage = PartitionStage::create(Some(dir), budget);
    stage
        .write(&crate::batch::to_record_batch(&origin, images).unwrap())
        .unwrap();
    stage.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path, by: Duration) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - by).unwrap();
    }

    fn abandoned(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, b"PAR1").unwrap();
        path
    }

    #[test]
    fn sweeping_deletes_only_old_unlocked_staging_files() {
        let dir = tempfile::tempdir().unwrap();
        let killed = abandoned(dir.path(), "amiq-stage-killed.parquet");
        age(&killed, Duration::from_secs(3600));
        let fresh = abandoned(dir.path(), "amiq-stage-fresh.parquet");
        let other = abandoned(dir.path(), "notes-amiq-stage.parquet");
        age(&other, Duration::from_secs(3600));
        // A living partition's files, old and staged or still being written.
        let schema = crate::batch::schema();
        let writing = StageFile::create(Some(dir.path()), schema.clone()).unwrap();
        age(&writing.file, Duration::from_secs(3600));
        let staged = StageFile::create(Some(dir.path()), schema)
            .unwrap()
            .finish()
            .unwrap();
        age(staged.path(), Duration::from_secs(3600));

        let (count, bytes) = sweep_abandoned(Some(dir.path()));

        assert_eq!((count, bytes), (1, 4));
        assert!(!killed.exists(), "the killed sync's file is deleted");
        assert!(fresh.exists(), "a file younger than a minute is left");
        assert!(other.exists(), "other files are left");
        assert!(writing.file.exists(), "a file being written is left");
        assert!(
            staged.path().exists(),
            "a staged file waiting to merge is left"
        );

        let (path, staged_path) = (writing.file.to_path_buf(), staged.path().to_path_buf());
        drop(writing);
        drop(staged);
        assert!(
            !path.exists() && !staged_path.exists(),
            "dropping deletes them"
        );
    }

    fn record(viewer: &str) -> crate::store::PartitionRecord {
        crate::store::PartitionRecord::started(1, viewer, viewer, "us-east-1", "owned", false)
    }

    fn images(prefix: &str, n: usize) -> Vec<amiq_image::Image> {
        (0..n)
            .map(|i| amiq_image::Image {
                image_id: Some(format!("ami-{prefix}{i}")),
                name: Some("x".repeat(200)),
                ..amiq_image::Image::default()
            })
            .collect()
    }

    /// The image ids of a Parquet file's rows `from..to`, in order.
    fn ids_in(source: &Source) -> Vec<String> {
        let file = File::open(&source.path).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024).unwrap();
        let mut ids = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let column = batch.column_by_name("image_id").unwrap().as_string::<i32>();
            ids.extend(column.iter().map(|id| id.unwrap().to_string()));
        }
        let to = source.to.min(ids.len() as i64) as usize;
        ids[source.from as usize..to].to_vec()
    }

    #[test]
    fn small_listings_are_held_and_a_round_writes_those_it_reads_into_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let stage = |viewer: &str, images: &[amiq_image::Image]| {
            staged_listing(dir.path(), &record(viewer), images)
        };
        let (a, b, c) = (images("a", 3), images("b", 2), images("c", 4));
        let held = [stage("111111111111", &a), stage("222222222222", &b)];
        let in_file = staged_listing_in_file(dir.path(), &record("333333333333"), &c);
        let skipped = stage("444444444444", &images("d", 1));
        let empty = stage("555555555555", &[]);
        assert!(matches!(held[0].pages, StagedPages::Held { .. }));
        assert!(matches!(in_file.pages, StagedPages::File(_)));
        let files = || std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files(), 1, "only the listing staged in a file has one");

        let parts = [&held[0], &skipped, &in_file, &held[1], &empty];
        let round = RoundStage::gather(&parts, |i| i != 1).unwrap();

        assert_eq!(
            files(),
            2,
            "the held listings the round reads share one file"
        );
        let ids = |i: usize| ids_in(&round.source(i, parts[i]).unwrap());
        let names = |images: &[amiq_image::Image]| -> Vec<String> {
            images.iter().map(|i| i.image_id.clone().unwrap()).collect()
        };
        assert_eq!(ids(0), names(&a));
        assert_eq!(ids(2), names(&c));
        assert_eq!(ids(3), names(&b));
        assert_eq!(
            round.source(0, parts[0]).unwrap().path,
            round.source(3, parts[3]).unwrap().path
        );
        assert_eq!(round.source(1, parts[1]), None, "not wanted: not written");
        assert_eq!(round.source(4, parts[4]), None, "empty: nothing to read");
        drop(round);
        assert_eq!(files(), 1, "the round's file goes with it");
    }

    #[test]
    fn a_listing_past_what_the_budget_holds_goes_to_a_file_with_every_page_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let origin = crate::batch::PageOrigin {
            run_id: 1,
            region: "us-east-1".into(),
            viewer_account_id: "111111111111".into(),
            scope: "owned".into(),
        };
        let pages: Vec<_> = ["p", "q", "r"]
            .iter()
            .map(|prefix| images(prefix, 10))
            .collect();
        let batch =
            |images: &[amiq_image::Image]| crate::batch::to_record_batch(&origin, images).unwrap();
        let page_bytes = batch(&pages[0]).get_array_memory_size();
        assert!(
            page_bytes * 3 < HOLD_BYTES,
            "a listing alone could hold all three pages of {page_bytes} bytes"
        );
        // Two pages fit the budget, the third does not.
        let budget = HoldBudget::new(page_bytes * 2 + page_bytes / 2);
        let mut stage = PartitionStage::create(Some(dir.path()), &budget);
        stage.write(&batch(&pages[0])).unwrap();
        stage.write(&batch(&pages[1])).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(budget.left() < page_bytes);
        stage.write(&batch(&pages[2])).unwrap();
        assert_eq!(budget.left(), page_bytes * 2 + page_bytes / 2, "given back");
        let staged = stage.finish().unwrap();

        let StagedPages::File(file) = &staged.pages else {
            panic!("the third page sends the listing to a file");
        };
        let all = Source {
            path: file.path().to_string_lossy().into_owned(),
            from: 0,
            to: i64::MAX,
        };
        let expected: Vec<String> = pages
            .concat()
            .iter()
            .map(|i| i.image_id.clone().unwrap())
            .collect();
        assert_eq!(ids_in(&all), expected);
        assert_eq!(staged.rows, 30);

        // Held or not, the same listing has the same fingerprint; a held listing gives
        // its bytes back when it is dropped.
        let budget = HoldBudget::new(HOLD_BUDGET);
        let mut held = PartitionStage::create(Some(dir.path()), &budget);
        for page in &pages {
            held.write(&batch(page)).unwrap();
        }
        let held = held.finish().unwrap();
        assert!(matches!(held.pages, StagedPages::Held { .. }));
        assert_eq!(held.listing_hash, staged.listing_hash);
        assert_eq!(budget.left(), HOLD_BUDGET - page_bytes * 3);
        drop(held);
        assert_eq!(budget.left(), HOLD_BUDGET);
    }
}
