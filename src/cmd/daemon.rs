//! `amiq daemon`: syncs on a cron schedule until stopped.
//!
//! Runs never overlap: the loop runs one sync at a time, and every scheduled instant
//! that passed while a run was still going is recorded in the ledger as `skipped`.
//! SIGTERM or Ctrl-C stops it gracefully: a run in flight abandons the partitions it
//! is fetching (they change nothing) and finishes the merge in progress, then the
//! daemon exits 0.

use std::process::ExitCode;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::config::{LogFormat, SyncConfig};
use crate::store::{RunStatus, Store, StoreSettings};

/// Arguments of `amiq daemon`.
// The field docs are `--help` text, where `<bucket>` reads as meant.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub sync: super::sync::SyncArgs,
    /// When to sync, in cron syntax: "0 */6 * * *" (minute hour day month weekday),
    /// or with a leading seconds field. Overrides `schedule` in the config file.
    #[arg(long)]
    pub schedule: Option<String>,
    /// After each successful run, export the current inventory and the new runs
    /// as Parquet under this directory or s3://<bucket>/<prefix> (its endpoint from
    /// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL when not AWS's).
    #[arg(long, value_parser = crate::export::Destination::parse)]
    pub export_to: Option<crate::export::Destination>,
}

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule(cron::Schedule);

impl FromStr for Schedule {
    type Err = String;

    /// Five fields as cron has them, or six or seven with seconds (and years) first.
    fn from_str(text: &str) -> Result<Schedule, String> {
        let fields = text.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {text}"),
            6 | 7 => text.to_string(),
            n => {
                return Err(format!(
                    "schedule {text:?} has {n} fields; cron syntax has five: minute hour day-of-month month day-of-week, e.g. \"0 */6 * * *\""
                ));
            }
        };
        cron::Schedule::from_str(&full)
            .map(Schedule)
            .map_err(|e| format!("schedule {text:?} is not a valid cron expression: {e}; e.g. \"0 */6 * * *\" is every six hours"))
    }
}

impl Schedule {
    /// The first scheduled instant after `t`.
    pub fn next_after(&self, t: &DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.0.after(t).next()
    }
}

/// The configuration and schedule, checked before anything starts.
pub fn prepare(
    args: &DaemonArgs,
    log_format: Option<LogFormat>,
) -> Result<(SyncConfig, Schedule), ExitCode> {
    let config = args.sync.load(log_format).map_err(|e| {
        eprintln!("amiq: {e}");
        ExitCode::from(super::exit::BAD_CONFIG)
    })?;
    let Some(text) = args.schedule.clone().or_else(|| config.schedule.clone()) else {
        eprintln!(
            "amiq: daemon needs a schedule: --schedule \"0 */6 * * *\" or `schedule` in the config file"
        );
        return Err(ExitCode::from(super::exit::BAD_CONFIG));
    };
    let schedule: Schedule = text.parse().map_err(|e| {
        eprintln!("amiq: {e}");
        ExitCode::from(super::exit::BAD_CONFIG)
    })?;
    Ok((config, schedule))
}

/// Runs syncs on `schedule` until a signal stops the daemon.
pub async fn serve(
    config: SyncConfig,
    schedule: Schedule,
    export_to: Option<crate::export::Destination>,
) -> ExitCode {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        super::stop_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    tracing::info!(db = %config.db.display(), "daemon started");
    let mut last_exported: Option<i64> = None;
    loop {
        let Some(next) = schedule.next_after(&Utc::now()) else {
            tracing::info!("the schedule has no further instant; stopping");
            return ExitCode::from(super::exit::OK);
        };
        tracing::info!(next = %next.to_rfc3339(), "next run");
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped(stop_rx.clone()) => {
                tracing::info!("stopped while waiting");
                return ExitCode::from(super::exit::OK);
            }
        }
        let progress = super::sync::progress_for(config.log_format);
        let outcome = match crate::sync::run_sync(&config, progress, stopped(stop_rx.clone())).await
        {
            Ok(o) => o,
            Err(e) => {
                // The store may be busy or unreachable this time; the next run tries again.
                tracing::error!(error = %e, "the run could not use the store");
                continue;
            }
        };
        super::sync::print_summary(&outcome);
        if outcome.interrupted {
            tracing::info!(
                run_id = outcome.run_id,
                "stopped during a run; merges in progress finished"
            );
            return ExitCode::from(super::exit::OK);
        }
        record_skipped(&config, &schedule, next);
        if outcome.status == RunStatus::Completed
            && let Some(to) = &export_to
        {
            last_exported = export_after(&config, to, last_exported);
        }
    }
}

/// Records the scheduled instants that passed while the run begun at `began` went on.
fn record_skipped(config: &SyncConfig, schedule: &Schedule, began: DateTime<Utc>) {
    let now = Utc::now();
    let mut missed = Vec::new();
    let mut t = began;
    while let Some(next) = schedule.next_after(&t) {
        if next > now {
            break;
        }
        missed.push(next);
        t = next;
    }
    if missed.is_empty() {
        return;
    }
    let settings = StoreSettings {
        memory_limit: config.memory_limit.clone(),
        ..StoreSettings::default()
    };
    match Store::open_write(&config.db, &settings) {
        Ok(store) => {
            for at in &missed {
                if let Err(e) = store.record_skipped_run(*at) {
                    tracing::error!(error = %e, "cannot record a skipped run");
                }
                tracing::warn!(due = %at.to_rfc3339(), "run skipped: the previous run was still going");
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot record skipped runs"),
    }
}

/// Exports the current inventory and the runs since the last export; returns the
/// last run exported.
fn export_after(
    config: &SyncConfig,
    to: &crate::export::Destination,
    since: Option<i64>,
) -> Option<i64> {
    let store = match Store::open_read(&config.db, &StoreSettings::default()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "export skipped: cannot open the store");
            return since;
        }
    };
    let mut through = since;
    for (what, since) in [
        (crate::export::What::Current, None),
        (crate::export::What::Runs, since),
    ] {
        let request = crate::export::ExportRequest {
            accounts: None,
            what,
            to: to.clone(),
            partition_by: vec!["region".into(), "account".into()],
            since,
            endpoint_url: None,
        };
        match crate::export::export(&store, &request) {
            Ok(done) => {
                tracing::info!(what = ?what, rows = done.rows, files = done.files.len(), to = %to, "exported");
                through = Some(done.through_run);
            }
            Err(e) => {
                tracing::error!(what = ?what, error = %e, "export failed; the next run tries again")
            }
        }
    }
    through
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_as_cron() {
        let s: Schedule = "0 */6 * * *".parse().unwrap();
        let t: DateTime<Utc> = "2026-11-27T01:30:00Z".parse().unwrap();
        assert_eq!(
            s.next_after(&t).unwrap().to_rfc3339(),
            "2026-11-27T06:00:00+00:00"
        );
        let every_second: Schedule = "* * * * * *".parse().unwrap();
        assert_eq!(
            every_second.next_after(&t).unwrap().to_rfc3339(),
            "2026-11-27T01:30:01+00:00"
        );
        for bad in ["", "every hour", "61 * * * *", "* * *", "0 */6 * * * * * *"] {
            let err = bad.parse::<Schedule>().unwrap_err();
            assert!(err.contains("schedule"), "{bad}: {err}");
        }
    }
}
