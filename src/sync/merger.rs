//! The one writer: merges completed partitions into the store, one at a time, on its
//! own thread. It opens the database when work arrives and closes it when the queue
//! is empty, so the file lock is held only while merging, never while fetching.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use tokio::sync::oneshot;

use crate::store::{
    MergeCounts, PartitionRecord, StagedPartition, Store, StoreError, StoreSettings,
};

/// Work for the writer.
pub enum Job {
    /// A completed partition: merge it and record it.
    Merge {
        staged: StagedPartition,
        record: PartitionRecord,
        done: oneshot::Sender<Result<MergeCounts, StoreError>>,
    },
    /// A failed partition: record it, change nothing else.
    Failed {
        record: PartitionRecord,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
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

    /// Records a failed partition.
    pub async fn record_failure(&self, record: PartitionRecord) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Failed { record, done });
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
        let mut store = match Store::open_write(&db, &settings) {
            Ok(store) => Some(store),
            Err(e) => {
                fail(first, e);
                continue;
            }
        };
        let mut next = Some(first);
        while let Some(job) = next.take() {
            let s = store.as_ref().expect("store is open");
            match job {
                Job::Merge {
                    staged,
                    record,
                    done,
                } => {
                    let started = Instant::now();
                    let merged = s.merge_partition(&staged, &record);
                    tracing::debug!(account = %record.account_id, region = %record.region,
                        scope = %record.scope, ok = merged.is_ok(),
                        elapsed_ms = millis(started), "partition merged");
                    let _ = done.send(merged);
                }
                Job::Failed { record, done } => {
                    let _ = done.send(s.record_failed_partition(&record));
                }
            }
            next = jobs.try_recv().ok();
        }
        // Closing releases the file lock (and checkpoints) until more work arrives.
        let started = Instant::now();
        store.take();
        tracing::debug!(
            elapsed_ms = millis(started),
            "store closed and checkpointed"
        );
    }
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

fn fail(job: Job, e: StoreError) {
    match job {
        Job::Merge { done, .. } => {
            let _ = done.send(Err(e));
        }
        Job::Failed { done, .. } => {
            let _ = done.send(Err(e));
        }
    }
}
