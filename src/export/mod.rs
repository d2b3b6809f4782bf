//! Parquet for data lakes: the current inventory, the history or the run ledger, in a
//! Hive-style layout (`<to>/<what>/region=us-east-1/account=1111.../<file>.parquet`).
//!
//! DuckDB writes the files (`COPY ... (FORMAT parquet, PARTITION_BY ...)`) into a
//! staging directory beside the target; each finished file is then renamed into place,
//! so a reader of the target never sees a half-written file, and a failed export
//! leaves the target as it was. File names carry the last run exported, so an
//! incremental export (`since`) adds files and never overwrites earlier ones.
//! An `s3://` destination is staged in the system's temporary directory and uploaded
//! (`s3.rs`).

mod s3;

use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError};

pub use s3::S3Location;

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Dir(PathBuf),
    S3(S3Location),
}

impl Destination {
    /// `s3://bucket/prefix`, or else a directory.
    pub fn parse(to: &str) -> Result<Destination, String> {
        if to.is_empty() {
            return Err(
                "the destination is empty: give a directory or s3://<bucket>/<prefix>".into(),
            );
        }
        match S3Location::parse(to) {
            Some(location) => location.map(Destination::S3),
            None => Ok(Destination::Dir(PathBuf::from(to))),
        }
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Dir(path) => write!(f, "{}", path.display()),
            Destination::S3(location) => write!(f, "{location}"),
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// The inventory now: the `images` view.
    Current,
    /// Every version: the `image_history` view.
    History,
    /// The run ledger: one row per partition of each run.
    Runs,
    /// The `image_references` view: which resources name which image.
    References,
    /// The `instances` view: instances and the image EC2 remembers for each.
    Instances,
    /// The `snapshots` view.
    Snapshots,
    /// The `recycle_bin_images` view.
    RecycleBin,
    /// The `account_settings` view: Allowed AMIs and image block public access.
    Settings,
    /// The `image_lineage` view: each owned copy's chain to its root.
    Lineage,
    /// The `image_launch_permissions` view: who may launch each owned image.
    LaunchPermissions,
    /// The `image_usage_reports` view: usage reports with their entries.
    UsageReports,
}

impl What {
    /// The name the user gives, and the export's folder.
    pub fn name(self) -> &'static str {
        match self {
            What::Current => "current",
            What::History => "history",
            What::Runs => "runs",
            What::References => "references",
            What::Instances => "instances",
            What::Snapshots => "snapshots",
            What::RecycleBin => "recycle-bin",
            What::Settings => "settings",
            What::Lineage => "lineage",
            What::LaunchPermissions => "launch-permissions",
            What::UsageReports => "usage-reports",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            What::Current => include_str!("../../sql/export/current.sql"),
            What::History => include_str!("../../sql/export/history.sql"),
            What::Runs => include_str!("../../sql/export/runs.sql"),
            What::References => include_str!("../../sql/export/references.sql"),
            What::Instances => include_str!("../../sql/export/instances.sql"),
            What::Snapshots => include_str!("../../sql/export/snapshots.sql"),
            What::RecycleBin => include_str!("../../sql/export/recycle_bin.sql"),
            What::Settings => include_str!("../../sql/export/settings.sql"),
            What::Lineage => include_str!("../../sql/export/lineage.sql"),
            What::LaunchPermissions => include_str!("../../sql/export/launch_permissions.sql"),
            What::UsageReports => include_str!("../../sql/export/usage_reports.sql"),
        }
    }
}

/// Columns a layout may be partitioned by.
pub const PARTITION_COLUMNS: [&str; 2] = ["region", "account"];

/// An export to run.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub what: What,
    pub to: Destination,
    pub partition_by: Vec<String>,
    /// Only what changed after this run (history, runs).
    pub since: Option<i64>,
    /// S3's endpoint, for S3-compatible stores and tests.
    pub endpoint_url: Option<String>,
    /// Only the rows of these accounts (ids, from `--account` and `--ou`); None: all.
    pub accounts: Option<Vec<String>>,
}

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    /// The files written: paths, or `s3://` URLs.
    pub files: Vec<String>,
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
    #[error("--since applies to history and runs; `current` and the datasets are always whole")]
    SinceCurrent,
    #[error("cannot write under {path}: {message}")]
    Target { path: PathBuf, message: String },
    #[error("cannot export to {to}: {message}")]
    Upload { to: String, message: String },
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
    if request.since.is_some() && !matches!(request.what, What::History | What::Runs) {
        return Err(ExportError::SinceCurrent);
    }
    let through_run: i64 = store
        .connection()
        .query_row("SELECT coalesce(max(run_id), 0) FROM sync_runs", [], |r| {
            r.get(0)
        })
        .map_err(|e| store.error(e))?;
    let staging = match &request.to {
        Destination::Dir(to) => {
            std::fs::create_dir_all(to.join(request.what.name())).map_err(|e| target_err(to, e))?;
            tempfile::Builder::new()
                .prefix(".amiq-export-")
                .tempdir_in(to)
                .map_err(|e| target_err(to, e))?
        }
        Destination::S3(_) => tempfile::Builder::new()
            .prefix("amiq-export-")
            .tempdir()
            .map_err(|e| target_err(&std::env::temp_dir(), e))?,
    };
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
    // Every export's rows name their account in `account`; the ids are the store's
    // 12-digit ones, checked again here because they become literals.
    let select = match &request.accounts {
        None => select,
        Some(ids) => {
            let ids: Vec<String> = ids
                .iter()
                .filter(|id| crate::plan::is_account_id(id))
                .map(|id| format!("'{id}'"))
                .collect();
            if ids.is_empty() {
                format!("SELECT * FROM ({select}) WHERE false")
            } else {
                format!(
                    "SELECT * FROM ({select}) WHERE account IN ({})",
                    ids.join(", ")
                )
            }
        }
    };
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

    let staged = staged_files(&out_dir, through_run)?;
    let bytes = staged
        .iter()
        .map(|f| std::fs::metadata(&f.file).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut files = match &request.to {
        Destination::Dir(to) => {
            let dest = to.join(request.what.name());
            let mut placed = Vec::with_capacity(staged.len());
            for f in &staged {
                let target = unique(&dest.join(&f.relative));
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| target_err(parent, e))?;
                }
                std::fs::rename(&f.file, &target).map_err(|e| target_err(&target, e))?;
                placed.push(target.display().to_string());
            }
            placed
        }
        Destination::S3(location) => s3::upload(
            location,
            request.endpoint_url.as_deref(),
            request.what.name(),
            &staged,
        )
        .map_err(|message| ExportError::Upload {
            to: location.to_string(),
            message,
        })?,
    };
    files.sort();
    Ok(Exported {
        files,
        rows,
        bytes,
        through_run,
    })
}

/// The finished files DuckDB wrote at `out_dir`, with their paths relative to it
/// (slash-separated). Without PARTITION_BY, DuckDB writes one file at the path itself.
fn staged_files(out_dir: &Path, through_run: i64) -> Result<Vec<s3::Staged>, ExportError> {
    let single = out_dir.with_extension("parquet");
    for file in [out_dir.to_path_buf(), single] {
        if file.is_file() {
            return Ok(vec![s3::Staged {
                file,
                relative: format!("amiq-run{through_run}-0.parquet"),
            }]);
        }
    }
    let mut staged = Vec::new();
    let mut pending = vec![out_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(_) => continue,
        };
        for entry in entries {
            let path = entry.map_err(|e| target_err(&dir, e))?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(out_dir)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            staged.push(s3::Staged {
                file: path,
                relative,
            });
        }
    }
    staged.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(staged)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_directories_or_s3_locations() {
        assert_eq!(
            Destination::parse("lake/exports").unwrap(),
            Destination::Dir(PathBuf::from("lake/exports"))
        );
        let s3 = Destination::parse("s3://data-lake/amiq").unwrap();
        assert_eq!(s3.to_string(), "s3://data-lake/amiq");
        assert!(matches!(s3, Destination::S3(l) if l.bucket == "data-lake" && l.prefix == "amiq"));
        assert!(
            Destination::parse("")
                .unwrap_err()
                .contains("s3://<bucket>")
        );
        assert!(Destination::parse("s3://x").unwrap_err().contains("s3://x"));
    }
}
