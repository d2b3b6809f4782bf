//! `amiq export`: Parquet files in a Hive-style layout for data lakes.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::export::{Destination, ExportError, ExportRequest, What, export};
use crate::store::{Store, StoreSettings};

/// Arguments of `amiq export`.
// The field docs are `--help` text, where `<bucket>` reads as meant.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The database file.
    #[arg(long, default_value = crate::config::DEFAULT_DB)]
    pub db: PathBuf,
    /// A directory or s3://<bucket>/<prefix>; files go under <to>/<what>/.
    #[arg(long, value_parser = Destination::parse)]
    pub to: Destination,
    /// current (the inventory now), history (every version), runs (the ledger), or a
    /// dataset's current records: references, instances, snapshots, recycle-bin, settings,
    /// lineage, launch-permissions, usage-reports.
    #[arg(long, value_enum, default_value_t = What::Current)]
    pub what: What,
    /// Partition columns, comma-separated: region, account.
    #[arg(long, value_delimiter = ',', default_value = "region,account")]
    pub partition_by: Vec<String>,
    /// history and runs: only what changed after this run.
    #[arg(long)]
    pub since: Option<i64>,
    /// S3's endpoint for an s3:// destination (S3-compatible stores); also read from
    /// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// DuckDB's memory limit while writing (partitioned writes buffer per partition).
    #[arg(long, default_value = "4GB")]
    pub memory_limit: String,
}

pub fn run(args: &ExportArgs) -> ExitCode {
    let settings = StoreSettings {
        memory_limit: args.memory_limit.clone(),
        ..StoreSettings::default()
    };
    let store = match Store::open_read(&args.db, &settings) {
        Ok(s) => s,
        Err(e) => return super::report_store_error(&e),
    };
    let partition_by: Vec<String> = args
        .partition_by
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty() && c != "none")
        .collect();
    let request = ExportRequest {
        what: args.what,
        to: args.to.clone(),
        partition_by,
        since: args.since,
        endpoint_url: args.endpoint_url.clone(),
    };
    match export(&store, &request) {
        Ok(done) => {
            println!(
                "exported {} rows in {} file(s), {} bytes, to {}/{} (through run {})",
                done.rows,
                done.files.len(),
                done.bytes,
                args.to,
                args.what.name(),
                done.through_run
            );
            ExitCode::from(super::exit::OK)
        }
        Err(ExportError::Store(e)) => super::report_store_error(&e),
        Err(e @ (ExportError::Partition(_) | ExportError::SinceCurrent)) => {
            eprintln!("amiq: {e}");
            ExitCode::from(super::exit::BAD_CONFIG)
        }
        Err(e) => {
            eprintln!("amiq: {e}");
            ExitCode::from(super::exit::ERROR)
        }
    }
}
