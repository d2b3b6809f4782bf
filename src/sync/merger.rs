//! The one writer: merges completed partitions into the store on its own thread, every
//! partition that completed while it was busy in one round (one transaction), and does
//! the run's own bookkeeping (begin, plan, finish) on the same connection. It opens the
//! database when work arrives and closes it once the queue has stayed empty for
//! `LINGER`, so the file lock is held while merging, never through a fetch.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::store::{
    MergeCounts, PartitionRecord, StagedPartition, StagedRecords, Store, StoreError, StoreSettings,
};

/// Work for the writer.
pub enum Job {
    /// A completed partition: merge it and record it.
    Merge {
        staged: StagedPartition,
        record: PartitionRecord,
        done: oneshot::Sender<Result<MergeCounts, StoreError>>,
    },
    /// A completed partition of a dataset beside images: merge it and record it.
    MergeRecords {
        staged: StagedRecords,
        record: PartitionRecord,
        done: oneshot::Sender<Result<MergeCounts, StoreError>>,
    },
    /// A failed partition: record it, change nothing else.
    Failed {
        record: PartitionRecord,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Other work on the store.
    Call(StoreWork),
}

/// Work given the open store, or why it could not be opened.
type StoreWork = Box<dyn FnOnce(Result<&Store, StoreError>) + Send>;

/// How long the writer keeps the store open after its queue empties: the run's close
/// follows its last merge within a few milliseconds, and an open and a checkpoint
/// cost tens (docs/decisions/0013-opens-on-the-critical-path.md). Short beside the
/// pauses of a reader waiting for the lock.
const LINGER: Duration = Duration::from_millis(25);

/// Rows a round stages below which its merge runs on one DuckDB thread: DuckDB splits
/// a scan by row groups of this many rows, so a smaller round gains little from a
/// second thread and pays for scheduling it, while the fetches want that core
/// (docs/decisions/0018-one-thread-for-small-rounds.md).
const ONE_THREAD_BELOW_ROWS: u64 = 122_880;

/// DuckDB's threads for the writer: one for a round of small listings, all of them for
/// a large round and for the checkpoint at close.
struct Threads {
    all: usize,
    now: usize,
}

impl Threads {
    fn of(store: &Store) -> Threads {
        let all = store.threads().unwrap_or(1);
        Threads { all, now: all }
    }

    /// Sets the threads for a round that stages `rows` rows.
    fn for_round(&mut self, store: &Store, rows: u64) {
        let wanted = if rows < ONE_THREAD_BELOW_ROWS {
            1
        } else {
            self.all
        };
        self.set(store, wanted);
    }

    fn set(&mut self, store: &Store, threads: usize) {
        if threads == self.now {
            return;
        }
        match store.set_threads(threads) {
            Ok(()) => self.now = threads,
            Err(e) => tracing::debug!(error = %e, threads, "cannot set DuckDB's threads"),
        }
    }
}

/// A handle to the writer thread.
pub struct Merger {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Merger {
    /// Starts the writer for the store at `db`.
    pub fn start(db: PathBuf, settings: StoreSettings) -> Merger {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("amiq-merger".into())
            .spawn(move || run(db, settings, rx))
            .expect("spawn the merger thread");
        Merger {
            jobs: Some(tx),
            thread: Some(thread),
        }
    }

    /// Merges a completed partition; resolves when it is committed or rolled back.
    pub async fn merge(
        &self,
        staged: StagedPartition,
        record: PartitionRecord,
    ) -> Result<MergeCounts, StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Merge {
            staged,
            record,
            done,
        });
        wait.await.expect("the merger answers every job")
    }

    /// Merges a completed dataset partition; resolves when it is committed or rolled
    /// back.
    pub async fn merge_records(
        &self,
        staged: StagedRecords,
        record: PartitionRecord,
    ) -> Result<MergeCounts, StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Job::MergeRecords {
            staged,
            record,
            done,
        });
        wait.await.expect("the merger answers every job")
    }

    /// Records a partition that merges nothing: failed, or skipped.
    pub async fn record_failure(&self, record: PartitionRecord) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Failed { record, done });
        wait.await.expect("the merger answers every job")
    }

    /// Runs `work` on the writer's connection (opening the store, migrated, if it is
    /// closed); resolves with its answer.
    pub async fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Call(Box::new(move |store| {
            let _ = done.send(store.and_then(work));
        })));
        wait.await.expect("the merger answers every job")
    }

    fn send(&self, job: Job) {
        self.jobs
            .as_ref()
            .expect("merger is running")
            .send(job)
            .expect("the merger thread is alive");
    }

    /// Lets queued jobs finish, then stops the thread.
    pub fn finish(mut self) {
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(db: PathBuf, settings: StoreSettings, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let store = match Store::open_write(&db, &settings) {
            Ok(store) => store,
            Err(e) => {
                fail(first, e);
                continue;
            }
        };
        let mut threads = Threads::of(&store);
        // Each round takes everything that is waiting when it starts.
        let mut round: Vec<Job> = std::iter::once(first).chain(jobs.try_iter()).collect();
        loop {
            while !round.is_empty() {
                threads.for_round(&store, staged_rows(&round));
                work_round(&store, &mut round);
                round.extend(jobs.try_iter());
            }
            match jobs.recv_timeout(LINGER) {
                Ok(job) => round.push(job),
                Err(_) => break,
            }
        }
        // Closing releases the file lock (and checkpoints, on every thread) until more
        // work arrives.
        threads.set(&store, threads.all);
        let started = Instant::now();
        drop(store);
        tracing::debug!(
            elapsed_ms = millis(started),
            "store closed and checkpointed"
        );
    }
}

/// The rows the merges of a round read from their staging.
fn staged_rows(round: &[Job]) -> u64 {
    round
        .iter()
        .map(|job| match job {
            Job::Merge { staged, .. } => staged.rows,
            Job::MergeRecords { staged, .. } => staged.rows(),
            Job::Failed { .. } | Job::Call(_) => 0,
        })
        .sum()
}

/// Does the jobs of one round: failures recorded, merges together, then other work.
fn work_round(store: &Store, round: &mut Vec<Job>) {
    let mut merges = Vec::new();
    let mut record_merges = Vec::new();
    let mut calls = Vec::new();
    for job in round.drain(..) {
        match job {
            Job::Merge {
                staged,
                record,
                done,
            } => merges.push((staged, record, done)),
            Job::MergeRecords {
                staged,
                record,
                done,
            } => record_merges.push((staged, record, done)),
            Job::Failed { record, done } => {
                let _ = done.send(store.record_failed_partition(&record));
            }
            Job::Call(work) => calls.push(work),
        }
    }
    merge_together(store, merges);
    merge_records_together(store, record_merges);
    for work in calls {
        let started = Instant::now();
        work(Ok(store));
        tracing::debug!(elapsed_ms = millis(started), "store work done");
    }
}

/// A completed partition waiting for the writer: what it staged, its ledger row, and
/// where its merge's answer goes.
type Queued<S> = (
    S,
    PartitionRecord,
    oneshot::Sender<Result<MergeCounts, StoreError>>,
);

/// Merges the listings of images that finished while the writer was busy in one
/// transaction.
fn merge_together(store: &Store, merges: Vec<Queued<StagedPartition>>) {
    merge_group(merges, "partitions merged", |group| {
        store.merge_partitions(group)
    });
}

/// The same for the dataset partitions (their own transaction).
fn merge_records_together(store: &Store, merges: Vec<Queued<StagedRecords>>) {
    merge_group(merges, "dataset partitions merged", |group| {
        store.merge_dataset_partitions(group)
    });
}

/// Merges `merges` together with `merge`; if that fails, each alone, so that one bad
/// partition fails only itself.
fn merge_group<S>(
    merges: Vec<Queued<S>>,
    what: &'static str,
    merge: impl Fn(&[(&S, &PartitionRecord)]) -> Result<Vec<MergeCounts>, StoreError>,
) {
    if merges.is_empty() {
        return;
    }
    let started = Instant::now();
    let group: Vec<_> = merges.iter().map(|(s, r, _)| (s, r)).collect();
    let merged = merge(&group);
    drop(group);
    tracing::debug!(
        partitions = merges.len(),
        ok = merged.is_ok(),
        elapsed_ms = millis(started),
        "{what}"
    );
    match merged {
        Ok(counts) => {
            for ((_, _, done), counts) in merges.into_iter().zip(counts) {
                let _ = done.send(Ok(counts));
            }
        }
        Err(e) if merges.len() == 1 => {
            let (_, _, done) = merges.into_iter().next().expect("one merge");
            let _ = done.send(Err(e));
        }
        Err(e) => {
            tracing::debug!(error = %e, "merging partitions together failed; merging each alone");
            for (staged, record, done) in merges {
                let _ = done.send(merge(&[(&staged, &record)]).map(|counts| counts[0]));
            }
        }
    }
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

fn fail(job: Job, e: StoreError) {
    match job {
        Job::Merge { done, .. } | Job::MergeRecords { done, .. } => {
            let _ = done.send(Err(e));
        }
        Job::Failed { done, .. } => {
            let _ = done.send(Err(e));
        }
        Job::Call(work) => work(Err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{staged_listing, staged_listing_in_file};
    use amiq_image::Image;

    fn images(viewer: &str) -> Vec<Image> {
        ["ami-1", "ami-2"]
            .iter()
            .map(|id| Image {
                image_id: Some(format!("{id}-{viewer}")),
                ..Image::default()
            })
            .collect()
    }

    fn staged(
        dir: &std::path::Path,
        run_id: i64,
        viewer: &str,
    ) -> (StagedPartition, PartitionRecord) {
        let record = PartitionRecord::started(run_id, viewer, viewer, "us-east-1", "owned", false);
        (staged_listing(dir, &record, &images(viewer)), record)
    }

    #[test]
    fn one_partition_that_cannot_merge_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let run = store.begin_run(2).unwrap();
        let (good, good_record) = staged(dir.path(), run, "111111111111");
        let bad_record = PartitionRecord::started(
            run,
            "222222222222",
            "222222222222",
            "us-east-1",
            "owned",
            false,
        );
        let bad = staged_listing_in_file(dir.path(), &bad_record, &images("222222222222"));
        std::fs::write(bad.path(), b"not parquet").unwrap();
        let (good_done, mut good_answer) = oneshot::channel();
        let (bad_done, mut bad_answer) = oneshot::channel();

        merge_together(
            &store,
            vec![
                (good, good_record.clone(), good_done),
                (bad, bad_record, bad_done),
            ],
        );

        let counts = good_answer.try_recv().unwrap().unwrap();
        assert_eq!(counts.added, 2);
        assert!(bad_answer.try_recv().unwrap().is_err());
        // The good partition is stored: the same listing in the next run adds nothing.
        let next = store.begin_run(1).unwrap();
        let (again, record) = staged(dir.path(), next, "111111111111");
        assert_eq!(store.merge_partition(&again, &record).unwrap().added, 0);
    }

    #[test]
    fn work_on_the_store_runs_after_the_merges_before_it_and_hears_why_it_could_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let merger = Merger::start(dir.path().join("t.duckdb"), StoreSettings::default());
        runtime.block_on(async {
            let run = merger.with_store(|store| store.begin_run(1)).await.unwrap();
            let (listing, record) = staged(dir.path(), run, "111111111111");
            // Queued together: the finish runs in the merge's round, after it, and
            // counts its partition.
            let (merged, finished) = tokio::join!(
                merger.merge(listing, record),
                merger.with_store(move |store| {
                    store.finish_run(run, false)?;
                    store.runs(1)
                })
            );
            assert_eq!(merged.unwrap().added, 2);
            let finished = finished.unwrap();
            assert_eq!(finished[0].status, "completed");
            assert_eq!(finished[0].partitions_completed, Some(1));
        });
        merger.finish();

        // A store this amiq cannot open: the work is not run, and hears why.
        let newer = dir.path().join("newer.duckdb");
        let store = Store::open_write(&newer, &StoreSettings::default()).unwrap();
        store
            .connection()
            .execute_batch("INSERT INTO amiq_migrations VALUES (999, 'future', now())")
            .unwrap();
        drop(store);
        let merger = Merger::start(newer, StoreSettings::default());
        let refused = runtime.block_on(merger.with_store(|_| Ok(())));
        assert!(
            matches!(refused, Err(StoreError::TooNew { .. })),
            "{refused:?}"
        );
        merger.finish();
    }

    #[test]
    fn a_round_under_a_row_group_merges_on_one_thread_and_a_larger_one_on_all() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
        let mut threads = Threads::of(&store);
        let all = store.threads().unwrap();
        assert_eq!(threads.all, all);
        let run = store.begin_run(2).unwrap();
        let (small, record) = staged(dir.path(), run, "111111111111");
        let (done, _answer) = oneshot::channel();
        let round = vec![Job::Merge {
            staged: small,
            record: record.clone(),
            done,
        }];
        assert_eq!(staged_rows(&round), 2);
        threads.for_round(&store, staged_rows(&round));
        assert_eq!(store.threads().unwrap(), 1);
        threads.for_round(&store, ONE_THREAD_BELOW_ROWS);
        assert_eq!(store.threads().unwrap(), all);
        threads.for_round(&store, 0);
        assert_eq!(store.threads().unwrap(), 1);
        threads.set(&store, threads.all);
        assert_eq!(store.threads().unwrap(), all);
    }
}
