//! `amiq sync`: one full sync run, then exit.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::exit;
use crate::config::{LogFormat, Overrides, SyncConfig};
use crate::store::{PartitionRecord, PartitionStatus};
use crate::sync::progress::{Bars, LogLines};
use crate::sync::{Progress, SyncOutcome, run_sync};

/// Arguments of `amiq sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The TOML config file.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The database file (overrides `db`).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Regions to sync (overrides `regions`); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    pub region: Vec<String>,
    /// Scopes to sync (overrides `scopes`); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Datasets to sync (overrides `datasets`): images, references, instances,
    /// snapshots, recycle-bin, settings; repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    pub dataset: Vec<String>,
    /// EC2 and STS endpoint (overrides `endpoint_url`).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Partitions fetched at once (overrides `concurrency`).
    #[arg(long)]
    pub concurrency: Option<usize>,
}

impl SyncArgs {
    /// The configuration these arguments give, file and flags together.
    pub fn load(
        &self,
        log_format: Option<LogFormat>,
    ) -> Result<SyncConfig, crate::config::ConfigError> {
        let overrides = Overrides {
            db: self.db.clone(),
            regions: self.region.clone(),
            scopes: self.scope.clone(),
            datasets: self.dataset.clone(),
            endpoint_url: self.endpoint_url.clone(),
            concurrency: self.concurrency,
            log_format,
        };
        SyncConfig::load(self.config.as_deref(), &overrides)
    }
}

/// Picks bars for a person at a terminal, log lines otherwise.
pub fn progress_for(format: LogFormat) -> Arc<dyn Progress> {
    if format == LogFormat::Auto && std::io::stderr().is_terminal() {
        Arc::new(Bars::new())
    } else {
        Arc::new(LogLines)
    }
}

/// Runs a sync with the given config and prints its summary.
pub async fn run(config: SyncConfig) -> ExitCode {
    let progress = progress_for(config.log_format);
    let outcome = match run_sync(&config, progress, super::stop_signal()).await {
        Ok(outcome) => outcome,
        Err(e) => return super::report_store_error(&e),
    };
    if config.log_format != LogFormat::Json {
        print_summary(&outcome);
    }
    exit_code(&outcome)
}

/// The exit code a run's outcome deserves.
pub fn exit_code(outcome: &SyncOutcome) -> ExitCode {
    if outcome.interrupted {
        ExitCode::from(exit::INTERRUPTED)
    } else if outcome.failed().next().is_some() {
        ExitCode::from(exit::PARTITIONS_FAILED)
    } else {
        ExitCode::from(exit::OK)
    }
}

/// One line per partition: what it fetched, what it changed, how long it took.
pub fn partition_table(rows: &[PartitionRecord]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "account",
        "region",
        "scope",
        "status",
        "pages",
        "images",
        "added",
        "changed",
        "gone",
        "retries",
        "throttles",
        "seconds",
    ]);
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        let seconds = r
            .finished_at
            .map(|f| {
                format!(
                    "{:.1}",
                    (f - r.started_at).num_milliseconds() as f64 / 1000.0
                )
            })
            .unwrap_or_default();
        table.add_row(vec![
            r.account_name.clone(),
            r.region.clone(),
            r.scope.clone(),
            r.status.as_str().to_string(),
            r.pages.to_string(),
            r.images.to_string(),
            opt(r.added),
            opt(r.changed),
            opt(r.gone),
            r.retries.to_string(),
            r.throttles.to_string(),
            seconds,
        ]);
    }
    table
}

/// Prints one line per partition, then the failures with their reasons.
pub fn print_summary(outcome: &SyncOutcome) {
    let mut rows = outcome.partitions.clone();
    rows.sort_by(|a, b| {
        (&a.account_name, &a.region, &a.scope).cmp(&(&b.account_name, &b.region, &b.scope))
    });
    let table = partition_table(&rows);
    println!("{table}");
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.status == PartitionStatus::Failed)
        .collect();
    let images: u64 = rows.iter().map(|r| r.images).sum();
    println!(
        "run {}: {} ({} partitions, {} failed, {} images listed){}",
        outcome.run_id,
        outcome.status.as_str(),
        rows.len(),
        failed.len(),
        images,
        if outcome.interrupted {
            ", interrupted"
        } else {
            ""
        }
    );
    for r in failed {
        eprintln!(
            "failed: {}/{}/{}: {}",
            r.account_name,
            r.region,
            r.scope,
            r.error.as_deref().unwrap_or("unknown reason")
        );
    }
}
