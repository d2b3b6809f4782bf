//! A partition's pages, staged on disk as Parquet until the partition completes.
//!
//! Staging keeps memory flat however large the partition (pages are written out as
//! they arrive) and gives DuckDB its fastest bulk path: `read_parquet` of nested
//! columns is far quicker than appending Arrow lists of structs row group by row group.
//!
//! A staging file is deleted when its partition is done with it. A process that is
//! killed cannot delete its files, so each file carries an exclusive lock (`flock`) for
//! as long as its process lives, and [`sweep_abandoned`] deletes the unlocked ones that
//! a later sync finds: whatever another running sync stages stays locked, and so stays.

use std::fs::File;
use std::path::{Path, PathBuf};
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

/// An open staging file for one partition.
pub struct PartitionStage {
    writer: ArrowWriter<File>,
    file: tempfile::TempPath,
    lock: File,
    rows: u64,
    /// Noted for a listing of images (the batch schema); `None` for a dataset's records.
    with_values: Option<ColumnsWithValues>,
    /// The rows' fingerprints so far (see [`StagedPartition::listing_hash`]).
    fingerprint: u64,
}

/// A complete staging file, ready to merge. Deleted when dropped.
pub struct StagedPartition {
    file: tempfile::TempPath,
    /// Held (and so the file's lock) until the file is deleted.
    _lock: File,
    /// Images staged (before de-duplication by image id).
    pub rows: u64,
    /// Which of the batch schema's columns hold a value in some row.
    pub with_values: ColumnsWithValues,
    /// The listing's fingerprint: the same images with the same contents and views give
    /// the same value, in any order.
    pub listing_hash: i64,
}

impl StagedPartition {
    /// The Parquet file.
    pub fn path(&self) -> &Path {
        &self.file
    }
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
    /// Creates a staging file for a listing of images in `dir` (the system's temp dir
    /// when `None`).
    pub fn create(dir: Option<&Path>) -> Result<PartitionStage, StoreError> {
        let mut stage = PartitionStage::with_schema(dir, crate::batch::schema())?;
        stage.with_values = Some(ColumnsWithValues::default());
        Ok(stage)
    }

    /// Creates a staging file for batches of `schema` (a dataset's records).
    pub fn with_schema(
        dir: Option<&Path>,
        schema: arrow::datatypes::SchemaRef,
    ) -> Result<PartitionStage, StoreError> {
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
        Ok(PartitionStage {
            writer,
            file: path,
            lock,
            rows: 0,
            with_values: None,
            fingerprint: 0,
        })
    }

    /// Appends one page's batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        self.writer.write(batch).map_err(|e| StoreError::Stage {
            path: self.file.to_path_buf(),
            message: e.to_string(),
        })?;
        self.rows += batch.num_rows() as u64;
        if let Some(with_values) = &mut self.with_values {
            with_values.note(batch);
            self.fingerprint = self.fingerprint.wrapping_add(fingerprint(batch));
        }
        Ok(())
    }

    /// Closes the file; the partition's pages are all in it.
    pub fn finish(self) -> Result<StagedPartition, StoreError> {
        let PartitionStage {
            writer,
            file,
            lock,
            rows,
            with_values,
            fingerprint,
        } = self;
        writer.close().map_err(|e| StoreError::Stage {
            path: file.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(StagedPartition {
            file,
            _lock: lock,
            rows,
            with_values: with_values.unwrap_or_default(),
            listing_hash: xxh3_64(&[fingerprint.to_le_bytes(), rows.to_le_bytes()].concat()) as i64,
        })
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

/// A staging file holding the listing of `images` that `record` describes (its run,
/// region, viewer and scope), ready to merge: for tests.
#[cfg(test)]
pub(crate) fn staged_listing(
    dir: &Path,
    record: &super::PartitionRecord,
    images: &[amiq_image::Image],
) -> StagedPartition {
    let origin = crate::batch::PageOrigin {
        run_id: record.run_id,
        region: record.region.clone(),
        viewer_account_id: record.account_id.clone(),
        scope: record.scope.clone(),
    };
    let mut stage = PartitionStage::create(Some(dir)).unwrap();
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
        let writing = PartitionStage::create(Some(dir.path())).unwrap();
        age(&writing.file, Duration::from_secs(3600));
        let staged = PartitionStage::create(Some(dir.path()))
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
}
