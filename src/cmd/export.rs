//! `amiq export`: Parquet files in a Hive-style layout for data lakes.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::export::{Destination, ExportError, ExportRequest, What, export};
use crate::store::selection::{self, SelectionError};
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
    /// Only the rows of this account: its id, or its configured or organization name.
    #[arg(long)]
    pub account: Option<String>,
    /// Only the rows of the accounts in this organizational unit now, at any depth: its
    /// id (ou-..., r-...), name or path (Root/Production).
    #[arg(long)]
    pub ou: Option<String>,
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
    let accounts = match selection::select_accounts(
        &store,
        args.account.as_deref(),
        args.ou.as_deref(),
        chrono::Utc::now(),
    ) {
        Ok(a) => a,
        Err(SelectionError::Store(e)) => return super::report_store_error(&e),
        Err(SelectionError::Input(message)) => {
            eprintln!("amiq: {message}");
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
    };
    let request = ExportRequest {
        accounts,
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
