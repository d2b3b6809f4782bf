//! A partition's pages, staged on disk as Parquet until the partition completes.
//!
//! Staging keeps memory flat however large the partition (pages are written out as
//! they arrive) and gives DuckDB its fastest bulk path: `read_parquet` of nested
//! columns is far quicker than appending Arrow lists of structs row group by row group.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::StoreError;

/// Rows per Parquet row group: bounds the writer's buffer per open partition.
const ROW_GROUP_ROWS: usize = 8192;

/// An open staging file for one partition.
pub struct PartitionStage {
    writer: ArrowWriter<File>,
    file: tempfile::TempPath,
    rows: u64,
}

/// A complete staging file, ready to merge. Deleted when dropped.
pub struct StagedPartition {
    file: tempfile::TempPath,
    /// Images staged (before de-duplication by image id).
    pub rows: u64,
}

impl StagedPartition {
    /// The Parquet file.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl PartitionStage {
    /// Creates a staging file in `dir` (the system's temp dir when `None`).
    pub fn create(dir: Option<&Path>) -> Result<PartitionStage, StoreError> {
        let dir: PathBuf = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let named = tempfile::Builder::new()
            .prefix("amiq-stage-")
            .suffix(".parquet")
            .tempfile_in(&dir)
            .map_err(|e| StoreError::Stage {
                path: dir.clone(),
                message: format!("cannot create a staging file: {e}"),
            })?;
        let (file, path) = named.into_parts();
        let props = WriterProperties::builder()
            .set_compression(Compression::UNCOMPRESSED)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer =
            ArrowWriter::try_new(file, crate::batch::schema(), Some(props)).map_err(|e| {
                StoreError::Stage {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }
            })?;
        Ok(PartitionStage {
            writer,
            file: path,
            rows: 0,
        })
    }

    /// Appends one page's batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        self.writer.write(batch).map_err(|e| StoreError::Stage {
            path: self.file.to_path_buf(),
            message: e.to_string(),
        })?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the file; the partition's pages are all in it.
    pub fn finish(self) -> Result<StagedPartition, StoreError> {
        let PartitionStage { writer, file, rows } = self;
        writer.close().map_err(|e| StoreError::Stage {
            path: file.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(StagedPartition { file, rows })
    }
}
