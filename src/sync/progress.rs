//! How a run shows what it does: progress bars on a terminal, structured log lines
//! (text or JSON, through tracing) everywhere else.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::SyncOutcome;
use crate::aws::FetchStats;
use crate::plan::Partition;
use crate::store::{PartitionRecord, PartitionStatus};

/// Receives the run's events. `index` is the partition's place in the plan.
pub trait Progress: Send + Sync {
    fn run_started(&self, run_id: i64, partitions: &[Partition]);
    fn partition_started(&self, index: usize, partition: &Partition);
    fn page(&self, index: usize, stats: &FetchStats);
    /// `index` is `None` for partitions that never started (unreachable account).
    fn partition_finished(&self, index: Option<usize>, record: &PartitionRecord);
    fn run_finished(&self, outcome: &SyncOutcome);
}

/// Structured log lines, one per partition start and end.
pub struct LogLines;

impl Progress for LogLines {
    fn run_started(&self, _run_id: i64, _partitions: &[Partition]) {}

    fn partition_started(&self, _index: usize, p: &Partition) {
        tracing::debug!(account = %p.account_name, region = %p.region, listing = %p.listing, "partition started");
    }

    fn page(&self, _index: usize, stats: &FetchStats) {
        tracing::trace!(pages = stats.pages, images = stats.images, "page");
    }

    fn partition_finished(&self, _index: Option<usize>, r: &PartitionRecord) {
        match r.status {
            PartitionStatus::Completed => tracing::info!(
                account = %r.account_name, region = %r.region, scope = %r.scope,
                pages = r.pages, images = r.images, retries = r.retries, throttles = r.throttles,
                added = r.added.unwrap_or(0), changed = r.changed.unwrap_or(0), gone = r.gone.unwrap_or(0),
                "partition completed"
            ),
            PartitionStatus::Failed => tracing::error!(
                account = %r.account_name, region = %r.region, scope = %r.scope,
                pages = r.pages, images = r.images, retries = r.retries, throttles = r.throttles,
                error = r.error.as_deref().unwrap_or(""),
                "partition failed"
            ),
        }
    }

    fn run_finished(&self, o: &SyncOutcome) {
        let failed = o.failed().count();
        tracing::info!(
            run_id = o.run_id,
            status = o.status.as_str(),
            partitions = o.partitions.len(),
            failed,
            images = o.partitions.iter().map(|p| p.images).sum::<u64>(),
            interrupted = o.interrupted,
            "sync run finished"
        );
    }
}

/// A progress bar per partition, for a person at a terminal.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(Vec::new()),
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl Progress for Bars {
    fn run_started(&self, _run_id: i64, partitions: &[Partition]) {
        let style =
            ProgressStyle::with_template("{spinner} {prefix:<40} {msg}").expect("valid template");
        let mut bars = self.bars.lock().expect("bars lock");
        for p in partitions {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(p.to_string());
            bar.set_message("waiting");
            bars.push(bar);
        }
    }

    fn partition_started(&self, index: usize, _p: &Partition) {
        if let Some(bar) = self.bars.lock().expect("bars lock").get(index) {
            bar.set_message("fetching");
            bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    fn page(&self, index: usize, stats: &FetchStats) {
        if let Some(bar) = self.bars.lock().expect("bars lock").get(index) {
            let retries = if stats.retries > 0 {
                format!(", {} retries", stats.retries)
            } else {
                String::new()
            };
            bar.set_message(format!(
                "{} pages, {} images{retries}",
                stats.pages, stats.images
            ));
        }
    }

    fn partition_finished(&self, index: Option<usize>, r: &PartitionRecord) {
        let Some(index) = index else { return };
        if let Some(bar) = self.bars.lock().expect("bars lock").get(index) {
            let msg = match r.status {
                PartitionStatus::Completed => format!(
                    "done: {} images, +{} ~{} -{}",
                    r.images,
                    r.added.unwrap_or(0),
                    r.changed.unwrap_or(0),
                    r.gone.unwrap_or(0)
                ),
                PartitionStatus::Failed => "FAILED".to_string(),
            };
            bar.finish_with_message(msg);
        }
    }

    fn run_finished(&self, _outcome: &SyncOutcome) {
        let _ = self.multi.clear();
    }
}
