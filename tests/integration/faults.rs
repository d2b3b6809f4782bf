//! The fault suite: seeded sync runs against the fake endpoint with mixed faults
//! (throttling bursts, 500s, connections cut mid-body, pages slower than the timeout,
//! an expired or garbled NextToken, pages cut short, broken or padded with unknown
//! elements, a region failing for one account or for all) and catalog mutations between runs.
//! After every run the store is compared with the endpoint's truth:
//! - a completed partition holds exactly the images and versions the endpoint returns;
//! - a failed partition holds exactly the images and views it held before the run; an
//!   image's content (shared by every listing that shows it) may have moved on only to
//!   what a completed listing of the same run returned;
//!
//! so no image is recorded as gone unless a completed listing no longer returned it.
//! Every dataset beside images is synced in the same runs, under the same faults: a
//! completed dataset partition holds exactly the records the endpoint returns, a failed
//! one exactly what it held before.
//!
//! Quick form (CI): 30 runs. Long form: `AMIQ_FAULT_RUNS=200 cargo test --release
//! --test integration faults -- --nocapture`; `AMIQ_FAULT_SEED=<n>` replays a seed (the
//! faults and mutations of each run; which concurrent request meets a fault may vary).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use amiq::plan::Dataset;
use amiq::store::{PartitionStatus, Store};
use amiq_fake_ec2::{FailingRegion, FakeConfig, Faults};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::support::{A, B, Env, env_number, keyed, lineage_truth, small_catalog, stored};

type Partition = (String, String, String);
type Held = BTreeSet<(String, i64, i64)>;

/// One run's faults, drawn from `rng`.
fn draw_faults(rng: &mut StdRng, run: usize) -> Faults {
    let mut faults = Faults {
        seed: rng.random(),
        ..Faults::default()
    };
    // Most runs are faulty in some way; a few are clean, to let partitions catch up.
    match rng.random_range(0..12) {
        0 => {}
        1..=3 => faults.throttle_rate = rng.random_range(0.05..0.5),
        4..=5 => faults.server_error_rate = rng.random_range(0.05..0.4),
        6 => faults.reset_rate = rng.random_range(0.05..0.4),
        7 => {
            faults.throttle_rate = rng.random_range(0.0..0.3);
            faults.server_error_rate = rng.random_range(0.0..0.3);
            faults.reset_rate = rng.random_range(0.0..0.3);
            faults.bad_token_rate = rng.random_range(0.0..0.1);
            faults.garbled_rate = rng.random_range(0.0..0.1);
        }
        10 => faults.bad_token_rate = rng.random_range(0.02..0.3),
        11 => faults.garbled_rate = rng.random_range(0.05..0.4),
        8 => {
            faults.failing_regions = vec![FailingRegion {
                region: ["us-east-1", "eu-west-1"][run % 2].into(),
                account: if rng.random_bool(0.5) {
                    Some([A, B][rng.random_range(0..2)].into())
                } else {
                    None
                },
            }]
        }
        9 => {
            // Every page slower than the page timeout: the run fails every partition.
            faults.page_latency = Duration::from_millis(700);
        }
        _ => unreachable!(),
    }
    faults
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_runs_never_lose_or_invent_images() {
    let seed = env_number("AMIQ_FAULT_SEED").unwrap_or_else(rand::random);
    let runs = env_number("AMIQ_FAULT_RUNS").unwrap_or(30) as usize;
    eprintln!("fault suite: seed {seed}, {runs} runs (replay with AMIQ_FAULT_SEED={seed})");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let env = Env::start(FakeConfig {
        owned_per_account_region: 60,
        amazon_per_region: 80,
        marketplace_per_region: 0,
        ..small_catalog()
    })
    .await;
    let mut config = env.config(&["owned", "shared", "amazon"]);
    config.datasets = Dataset::ALL.to_vec();
    config.max_results = 20;
    config.max_attempts = 3;
    config.page_timeout = Duration::from_millis(500);

    let mut held: BTreeMap<Partition, Held> = BTreeMap::new();
    let (mut completed, mut failed, mut mismatches, mut mutations) = (0, 0, 0, 0);
    for run in 0..runs {
        if run > 0 && rng.random_bool(0.6) {
            env.fake.mutate(rng.random_range(0.01..0.2), rng.random());
            mutations += 1;
        }
        env.fake.set_faults(draw_faults(&mut rng, run));
        let outcome = env.sync(&config).await;
        env.fake.set_faults(Faults::default());

        let store = env.store();
        // What the completed listings of this run returned: (region, image, content).
        let mut returned: BTreeSet<(String, String, i64)> = BTreeSet::new();
        for p in outcome.partitions.iter().filter(|p| {
            p.status == PartitionStatus::Completed && Dataset::of_scope(&p.scope).is_none()
        }) {
            for (id, content, _) in keyed(&env.truth(&p.account_id, &p.region, &p.scope)) {
                returned.insert((p.region.clone(), id, content));
            }
        }
        for p in &outcome.partitions {
            let key = (p.account_id.clone(), p.region.clone(), p.scope.clone());
            if let Some(dataset) = Dataset::of_scope(&p.scope) {
                let now = stored_records(&store, dataset, &p.account_id, &p.region);
                let problem = match p.status {
                    PartitionStatus::Completed => {
                        completed += 1;
                        let truth = record_keys(&env, dataset, &p.account_id, &p.region);
                        let keys: BTreeSet<String> =
                            now.iter().map(|(k, _, _)| k.clone()).collect();
                        (keys != truth).then(|| {
                            format!(
                                "store holds {} records, the endpoint {} ({} missing, {} extra)",
                                keys.len(),
                                truth.len(),
                                truth.difference(&keys).count(),
                                keys.difference(&truth).count()
                            )
                        })
                    }
                    // Skipped or failed, the partition changes nothing.
                    status @ (PartitionStatus::Failed | PartitionStatus::Skipped) => {
                        failed += usize::from(status == PartitionStatus::Failed);
                        let before = held.get(&key).cloned().unwrap_or_default();
                        (now != before).then(|| difference(&now, &before))
                    }
                };
                if let Some(problem) = problem {
                    mismatches += 1;
                    eprintln!("run {run}: {key:?} {:?}: {problem}", p.status);
                }
                held.insert(key, now);
                continue;
            }
            let now = stored(
                &store,
                &p.account_id,
                &p.region,
                &p.scope,
                "'infinity'::TIMESTAMPTZ",
            );
            let problem = match p.status {
                PartitionStatus::Completed => {
                    completed += 1;
                    let truth = keyed(&env.truth(&p.account_id, &p.region, &p.scope));
                    (now != truth).then(|| difference(&now, &truth))
                }
                status @ (PartitionStatus::Failed | PartitionStatus::Skipped) => {
                    failed += usize::from(status == PartitionStatus::Failed);
                    let before = held.get(&key).cloned().unwrap_or_default();
                    let views = |set: &Held| -> BTreeSet<(String, i64)> {
                        set.iter()
                            .map(|(id, _, view)| (id.clone(), *view))
                            .collect()
                    };
                    let moved_unseen = now.difference(&before).any(|(id, content, _)| {
                        !returned.contains(&(p.region.clone(), id.clone(), *content))
                    });
                    (views(&now) != views(&before) || moved_unseen)
                        .then(|| difference(&now, &before))
                }
            };
            if let Some(problem) = problem {
                mismatches += 1;
                eprintln!("run {run}: {key:?} {:?}: {problem}", p.status);
            }
            held.insert(key, now);
        }
        // No partition of another run was touched: every sighting opened or ended by
        // this run belongs to one of its completed partitions.
        let strays: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM image_sightings g
                 WHERE (g.valid_from_run = ? OR g.valid_to_run = ?)
                   AND NOT EXISTS (
                       SELECT 1 FROM sync_partitions p
                       WHERE p.run_id = ? AND p.status = 'completed'
                         AND p.account_id = g.viewer_account_id AND p.region = g.region
                         AND p.scope = g.scope)",
                [outcome.run_id; 3],
                |r| r.get(0),
            )
            .unwrap();
        if strays != 0 {
            mismatches += 1;
            eprintln!("run {run}: {strays} sightings changed outside its completed partitions");
        }
        for dataset in Dataset::ALL.into_iter().filter(|d| *d != Dataset::Images) {
            let strays: i64 = store
                .connection()
                .query_row(
                    &format!(
                        "SELECT count(*) FROM {} t
                         WHERE (t.valid_from_run = ? OR t.valid_to_run = ?)
                           AND NOT EXISTS (
                               SELECT 1 FROM sync_partitions p
                               WHERE p.run_id = ? AND p.status = 'completed'
                                 AND p.account_id = t.account_id AND p.region = t.region
                                 AND p.scope = ?)",
                        amiq::records::table(dataset)
                    ),
                    duckdb::params![
                        outcome.run_id,
                        outcome.run_id,
                        outcome.run_id,
                        dataset.name()
                    ],
                    |r| r.get(0),
                )
                .unwrap();
            if strays != 0 {
                mismatches += 1;
                eprintln!(
                    "run {run}: {strays} {dataset} records changed outside its completed partitions"
                );
            }
        }
    }
    let stats = env.fake.stats();
    eprintln!(
        "fault suite: seed {seed}: {runs} runs in {:.1} s, {mutations} catalog mutations, \
         faults injected: {} throttled, {} server errors, {} connections cut, \
         {} refused NextTokens, {} damaged pages, {} requests of the datasets' calls; \
         partitions: {completed} completed, {failed} failed; mismatches: {mismatches}",
        started.elapsed().as_secs_f64(),
        stats.throttled,
        stats.server_errors,
        stats.resets,
        stats.bad_tokens,
        stats.garbled,
        stats.resource_requests,
    );
    assert_eq!(mismatches, 0, "seed {seed}");
    assert!(
        completed > 0 && failed > 0,
        "seed {seed}: the runs mixed outcomes"
    );
}

fn difference(now: &Held, expected: &Held) -> String {
    format!(
        "store holds {} entries, expected {} ({} missing, {} extra)",
        now.len(),
        expected.len(),
        expected.difference(now).count(),
        now.difference(expected).count()
    )
}

/// The open records of a dataset partition: (key, content hash, 0).
fn stored_records(store: &Store, dataset: Dataset, account: &str, region: &str) -> Held {
    let mut stmt = store
        .connection()
        .prepare(&format!(
            "SELECT record_key, content_hash, 0 FROM {}
             WHERE valid_to IS NULL AND account_id = ? AND region = ?",
            amiq::records::table(dataset)
        ))
        .unwrap();
    stmt.query_map([account, region], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The keys of the records the endpoint returns for a dataset partition now.
fn record_keys(env: &Env, dataset: Dataset, account: &str, region: &str) -> BTreeSet<String> {
    let fake = &env.fake;
    match dataset {
        Dataset::References => {
            let mut ids: Vec<String> = ["owned", "shared"]
                .iter()
                .flat_map(|scope| env.truth(account, region, scope))
                .filter_map(|i| i.image_id)
                .collect();
            ids.sort();
            ids.dedup();
            ids.chunks(10)
                .flat_map(|batch| {
                    fake.image_references(account, region, batch, Some(10))
                        .unwrap()
                })
                .map(|r| format!("{} {}", r.image_id, r.arn))
                .collect()
        }
        Dataset::Instances => fake
            .instance_image_metadata(account, region)
            .into_iter()
            .map(|i| i.instance_id)
            .collect(),
        Dataset::Snapshots => fake
            .snapshots(account, region)
            .into_iter()
            .map(|s| s.snapshot_id)
            .collect(),
        Dataset::RecycleBin => fake
            .recycle_bin(account, region)
            .into_iter()
            .map(|i| i.image_id)
            .collect(),
        Dataset::Settings => BTreeSet::from([String::new()]),
        Dataset::Lineage => lineage_truth(env, account, region)
            .into_iter()
            .map(|(image, position, _)| format!("{image} {position}"))
            .collect(),
        Dataset::LaunchPermissions => env
            .truth(account, region, "owned")
            .into_iter()
            .filter_map(|i| i.image_id)
            .flat_map(|id| {
                fake.launch_permissions(account, region, &id)
                    .unwrap()
                    .into_iter()
                    .map(move |p| format!("{id} {}", crate::support::grant(&p)))
            })
            .collect(),
        Dataset::UsageReports => fake
            .usage_reports(account, region)
            .into_iter()
            .map(|r| r.report_id)
            .collect(),
        Dataset::Accounts => fake
            .organization()
            .members
            .into_iter()
            .map(|m| m.id)
            .collect(),
        Dataset::Images => unreachable!("images are compared by scope"),
    }
}
