//! `amiq runs`: the run ledger, one line per run with its partitions' status.

use std::path::PathBuf;
use std::process::ExitCode;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::store::{PartitionStatus, Store, StoreSettings};

/// Arguments of `amiq runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// The database file.
    #[arg(long, default_value = crate::config::DEFAULT_DB)]
    pub db: PathBuf,
    /// How many of the latest runs to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Also list each run's partitions.
    #[arg(long)]
    pub partitions: bool,
}

pub fn run(args: &RunsArgs) -> ExitCode {
    let store = match Store::open_read(&args.db, &StoreSettings::default()) {
        Ok(s) => s,
        Err(e) => return super::report_store_error(&e),
    };
    let runs = match store.runs(args.limit) {
        Ok(r) => r,
        Err(e) => return super::report_store_error(&e),
    };
    let latest = runs.first().map(|r| r.run_id);
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "run",
        "started",
        "finished",
        "status",
        "partitions",
        "completed",
        "failed",
        "images",
        "failures",
    ]);
    for run in &runs {
        // A run without an end that is not the latest died mid-way.
        let status = if run.status == "running" && Some(run.run_id) != latest {
            "interrupted".to_string()
        } else {
            run.status.clone()
        };
        let failures: Vec<String> = run
            .partitions
            .iter()
            .filter(|p| p.status == PartitionStatus::Failed)
            .map(|p| format!("{}/{}/{}", p.account_name, p.region, p.scope))
            .collect();
        table.add_row(vec![
            run.run_id.to_string(),
            run.started_at.clone(),
            run.finished_at.clone().unwrap_or_default(),
            status,
            run.partitions_planned
                .map(|v| v.to_string())
                .unwrap_or_default(),
            run.partitions
                .iter()
                .filter(|p| p.status == PartitionStatus::Completed)
                .count()
                .to_string(),
            failures.len().to_string(),
            run.partitions
                .iter()
                .map(|p| p.images)
                .sum::<u64>()
                .to_string(),
            failures.join(", "),
        ]);
    }
    println!("{table}");
    if args.partitions {
        for run in &runs {
            let t = super::sync::partition_table(&run.partitions);
            println!("run {}:\n{t}", run.run_id);
            for p in run.partitions.iter().filter(|p| p.error.is_some()) {
                println!(
                    "  failed: {}/{}/{}: {}",
                    p.account_name,
                    p.region,
                    p.scope,
                    p.error.as_deref().unwrap_or_default()
                );
            }
        }
    }
    ExitCode::SUCCESS
}
