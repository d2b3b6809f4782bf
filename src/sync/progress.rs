//! How a run shows what it does: progress bars on a terminal, structured log lines
//! (text or JSON, through tracing) everywhere else.

use std::collections::{HashMap, HashSet};
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
            PartitionStatus::Skipped => tracing::info!(
                account = %r.account_name, region = %r.region, scope = %r.scope,
                reason = r.error.as_deref().unwrap_or(""),
                "partition skipped"
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

/// For a person at a terminal: one line with the run's accounts and partitions done,
/// failed, skipped and remaining, and a spinner for each partition being fetched (as
/// many as fetch at once, whatever the plan's size). A failed partition leaves a line.
pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    state: Mutex<Tally>,
}

/// What the run line counts.
#[derive(Default)]
struct Tally {
    fetching: HashMap<usize, ProgressBar>,
    /// Partitions left per account; an account is done when its count reaches zero.
    left: HashMap<String, usize>,
    /// Accounts whose credentials failed: their partitions were never planned.
    unreachable: HashSet<String>,
    failed: u64,
    skipped: u64,
}

impl Tally {
    fn line(&self) -> String {
        let done = self.left.values().filter(|n| **n == 0).count();
        format!(
            "accounts {done}/{} done, {} unreachable · partitions {} failed, {} skipped",
            self.left.len() + self.unreachable.len(),
            self.unreachable.len(),
            self.failed,
            self.skipped
        )
    }
}

impl Bars {
    pub fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template("partitions {pos}/{len} {wide_bar} {msg}")
                .expect("valid template"),
        );
        Bars {
            multi,
            total,
            state: Mutex::new(Tally::default()),
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
        let mut state = self.state.lock().expect("progress lock");
        for p in partitions {
            *state.left.entry(p.account_id.clone()).or_default() += 1;
        }
        self.total.set_length(partitions.len() as u64);
        self.total.set_message(state.line());
    }

    fn partition_started(&self, index: usize, p: &Partition) {
        if p.skipped.is_some() {
            return;
        }
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:<40} {msg}").expect("valid template"),
        );
        bar.set_prefix(p.to_string());
        bar.set_message("fetching");
        bar.enable_steady_tick(Duration::from_millis(120));
        self.state
            .lock()
            .expect("progress lock")
            .fetching
            .insert(index, bar);
    }

    fn page(&self, index: usize, stats: &FetchStats) {
        if let Some(bar) = self
            .state
            .lock()
            .expect("progress lock")
            .fetching
            .get(&index)
        {
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
        let mut state = self.state.lock().expect("progress lock");
        if let Some(bar) = index.and_then(|i| state.fetching.remove(&i)) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        match r.status {
            PartitionStatus::Completed => {}
            PartitionStatus::Failed => {
                state.failed += 1;
                let _ = self.multi.println(format!(
                    "FAILED {}/{}/{}: {}",
                    r.account_name,
                    r.region,
                    r.scope,
                    r.error.as_deref().unwrap_or("")
                ));
            }
            PartitionStatus::Skipped => state.skipped += 1,
        }
        match index {
            Some(_) => {
                if let Some(left) = state.left.get_mut(&r.account_id) {
                    *left = left.saturating_sub(1);
                }
            }
            // An account never reached: its partitions were not in the plan.
            None => {
                state.unreachable.insert(r.account_name.clone());
                self.total.inc_length(1);
            }
        }
        self.total.inc(1);
        self.total.set_message(state.line());
    }

    fn run_finished(&self, _outcome: &SyncOutcome) {
        self.total.finish();
        let _ = self.multi.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Listing, Scope};

    fn partition(account: &str, region: &str, skipped: bool) -> Partition {
        Partition {
            account_index: 0,
            account_id: account.into(),
            account_name: account.into(),
            region: region.into(),
            listing: Listing::Images(Scope::Owned),
            catalog: false,
            precondition_failure: None,
            skipped: skipped.then(|| "not enabled".to_string()),
        }
    }

    fn finished(p: &Partition, status: PartitionStatus) -> PartitionRecord {
        let mut r =
            PartitionRecord::started(1, &p.account_id, &p.account_name, &p.region, "owned", false);
        r.status = status;
        r
    }

    #[test]
    fn the_run_line_counts_accounts_and_partitions_and_spinners_only_those_in_flight() {
        let bars = Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            total: ProgressBar::hidden(),
            state: Mutex::new(Tally::default()),
        };
        let plan = [
            partition("a", "us-east-1", false),
            partition("a", "eu-west-1", false),
            partition("b", "us-east-1", false),
            partition("b", "me-central-1", true),
        ];
        bars.run_started(1, &plan);
        let line = || bars.state.lock().unwrap().line();
        assert_eq!(
            line(),
            "accounts 0/2 done, 0 unreachable · partitions 0 failed, 0 skipped"
        );
        bars.partition_started(0, &plan[0]);
        bars.partition_started(1, &plan[1]);
        bars.partition_started(3, &plan[3]);
        assert_eq!(bars.state.lock().unwrap().fetching.len(), 2);
        bars.partition_finished(Some(0), &finished(&plan[0], PartitionStatus::Completed));
        bars.partition_finished(Some(1), &finished(&plan[1], PartitionStatus::Failed));
        bars.partition_finished(Some(3), &finished(&plan[3], PartitionStatus::Skipped));
        assert!(bars.state.lock().unwrap().fetching.is_empty());
        assert_eq!(
            line(),
            "accounts 1/2 done, 0 unreachable · partitions 1 failed, 1 skipped"
        );
        let lost = partition("c", "us-east-1", false);
        bars.partition_finished(None, &finished(&lost, PartitionStatus::Failed));
        assert_eq!(
            line(),
            "accounts 1/3 done, 1 unreachable · partitions 2 failed, 1 skipped"
        );
        assert_eq!((bars.total.position(), bars.total.length()), (4, Some(5)));
    }
}
