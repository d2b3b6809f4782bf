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

/// One line per account: its partitions by status, what they fetched and changed.
fn account_table(rows: &[PartitionRecord]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "account",
        "partitions",
        "completed",
        "failed",
        "skipped",
        "pages",
        "images",
        "added",
        "changed",
        "gone",
    ]);
    let mut sums: std::collections::BTreeMap<&str, [i64; 9]> = Default::default();
    for r in rows {
        let s = sums.entry(r.account_name.as_str()).or_default();
        let status = match r.status {
            PartitionStatus::Completed => 1,
            PartitionStatus::Failed => 2,
            PartitionStatus::Skipped => 3,
        };
        s[0] += 1;
        s[status] += 1;
        s[4] += r.pages as i64;
        s[5] += r.images as i64;
        s[6] += r.added.unwrap_or(0);
        s[7] += r.changed.unwrap_or(0);
        s[8] += r.gone.unwrap_or(0);
    }
    for (account, s) in sums {
        let mut row = vec![account.to_string()];
        row.extend(s.iter().map(i64::to_string));
        table.add_row(row);
    }
    table
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
    // A run of many partitions (an organization) is summed per account instead.
    if rows.len() <= 200 {
        println!("{}", partition_table(&rows));
    } else {
        println!("{}", account_table(&rows));
    }
    let skipped = rows
        .iter()
        .filter(|r| r.status == PartitionStatus::Skipped)
        .count();
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.status == PartitionStatus::Failed)
        .collect();
    let images: u64 = rows.iter().map(|r| r.images).sum();
    println!(
        "run {}: {} ({} partitions, {} failed, {} skipped, {} images listed){}",
        outcome.run_id,
        outcome.status.as_str(),
        rows.len(),
        failed.len(),
        skipped,
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
