//! Parquet for data lakes: the current inventory, the history or the run ledger, in a
//! Hive-style layout (`<to>/<what>/region=us-east-1/account=1111.../<file>.parquet`).
//!
//! DuckDB writes the files (`COPY ... (FORMAT parquet, PARTITION_BY ...)`) into a
//! staging directory beside the target; each finished file is then renamed into place,
//! so a reader of the target never sees a half-written file, and a failed export
//! leaves the target as it was. File names carry the last run exported, so an
//! incremental export (`since`) adds files and never overwrites earlier ones.

use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// The inventory now: the `images` view.
    Current,
    /// Every version: the `image_history` view.
    History,
    /// The run ledger: one row per partition of each run.
    Runs,
}

impl What {
    fn name(self) -> &'static str {
        match self {
            What::Current => "current",
            What::History => "history",
            What::Runs => "runs",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            What::Current => include_str!("../../sql/export/current.sql"),
            What::History => include_str!("../../sql/export/history.sql"),
            What::Runs => include_str!("../../sql/export/runs.sql"),
        }
    }
}

/// Columns a layout may be partitioned by.
pub const PARTITION_COLUMNS: [&str; 2] = ["region", "account"];

/// An export to run.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub what: What,
    pub to: PathBuf,
    pub partition_by: Vec<String>,
    /// Only what changed after this run (history, runs).
    pub since: Option<i64>,
}

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    pub files: Vec<PathBuf>,
    pub rows: u64,
    pub bytes: u64,
    /// The last run the export covers.
    pub through_run: i64,
}

/// Why an export failed; the target is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("--partition-by {0:?}: choose among {cols}", cols = PARTITION_COLUMNS.join(", "))]
    Partition(String),
    #[error("--since applies to history and runs; `current` is always the whole inventory")]
    SinceCurrent,
    #[error("cannot write under {path}: {message}")]
    Target { path: PathBuf, message: String },
}

fn target_err(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Target {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Runs `request` on `store`.
pub fn export(store: &Store, request: &ExportRequest) -> Result<Exported, ExportError> {
    if let Some(bad) = request
        .partition_by
        .iter()
        .find(|c| !PARTITION_COLUMNS.contains(&c.as_str()))
    {
        return Err(ExportError::Partition(bad.clone()));
    }
    if request.since.is_some() && request.what == What::Current {
        return Err(ExportError::SinceCurrent);
    }
    let through_run: i64 = store
        .connection()
        .query_row("SELECT coalesce(max(run_id), 0) FROM sync_runs", [], |r| {
            r.get(0)
        })
        .map_err(|e| store.error(e))?;
    let dest = request.to.join(request.what.name());
    std::fs::create_dir_all(&dest).map_err(|e| target_err(&dest, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".amiq-export-")
        .tempdir_in(&request.to)
        .map_err(|e| target_err(&request.to, e))?;
    let out_dir = staging.path().join("out");

    // `since` is a number and the staging path amiq's own: both go into the COPY
    // statement as literals (COPY takes no parameters), the path quoted.
    let since = request.since.map_or("NULL".to_string(), |s| s.to_string());
    let select = request.what.sql().replace("$since", &since);
    let select = select
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    let quoted = out_dir.to_string_lossy().replace('\'', "''");
    let mut options = vec![
        "FORMAT parquet".to_string(),
        "COMPRESSION zstd".to_string(),
        "ROW_GROUP_SIZE 122880".to_string(),
        format!("FILENAME_PATTERN 'amiq-run{through_run}-{{i}}'"),
    ];
    if !request.partition_by.is_empty() {
        options.push(format!(
            "PARTITION_BY ({})",
            request.partition_by.join(", ")
        ));
    }
    let rows = store
        .connection()
        .execute(
            &format!("COPY ({select}) TO '{quoted}' ({})", options.join(", ")),
            [],
        )
        .map_err(|e| store.error(e))? as u64;

    // Move every finished file into place; a name already there (the same run
    // exported again) gets a fresh suffix rather than being overwritten.
    let mut exported = Exported {
        through_run,
        rows,
        ..Exported::default()
    };
    let mut pending = vec![out_dir.clone()];
    let single = out_dir.with_extension("parquet");
    if out_dir.is_file() || single.is_file() {
        // Without PARTITION_BY, DuckDB writes one file at the path itself.
        let file = if out_dir.is_file() {
            out_dir.clone()
        } else {
            single
        };
        let target = unique(&dest.join(format!("amiq-run{through_run}-0.parquet")));
        place(&file, &target, &mut exported)?;
        pending.clear();
    }
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(_) => continue,
        };
        for entry in entries {
            let entry = entry.map_err(|e| target_err(&dir, e))?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(&out_dir).unwrap_or(&path);
            let target = unique(&dest.join(relative));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| target_err(parent, e))?;
            }
            place(&path, &target, &mut exported)?;
        }
    }
    exported.files.sort();
    Ok(exported)
}

/// Renames a finished file into place (same filesystem: the staging directory is
/// inside the target).
fn place(from: &Path, to: &Path, exported: &mut Exported) -> Result<(), ExportError> {
    let bytes = std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
    std::fs::rename(from, to).map_err(|e| target_err(to, e))?;
    exported.bytes += bytes;
    exported.files.push(to.to_path_buf());
    Ok(())
}

/// `path`, or `path` with a numbered suffix when it exists.
fn unique(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    (1..)
        .map(|n| path.with_file_name(format!("{stem}.{n}.{ext}")))
        .find(|p| !p.exists())
        .expect("some suffix is free")
}
