//! The crash suite: `amiq sync` processes killed with SIGKILL at random moments
//! (while fetching, merging or committing), with catalog mutations between them. After
//! each kill the store opens, its views answer, and no run holds half a partition:
//! every sighting and version a run opened or ended belongs to a partition that run
//! recorded as completed. Then a sync runs to the end and matches the endpoint.
//!
//! Quick form (CI): 20 kills. Long form: `AMIQ_CRASH_RUNS=50 cargo test --release
//! --test integration crashes -- --nocapture`; `AMIQ_CRASH_SEED=<n>` replays a seed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use amiq::store::{Store, StoreSettings};
use amiq_fake_ec2::FakeConfig;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::support::{Env, HALF_APPLIED_SQL, count, env_number, keyed, small_catalog, stored};

fn sync_process(config: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amiq"));
    cmd.args(["sync", "--config"])
        .arg(config)
        .args(["--log-format", "json"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "crash-test-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_syncs_leave_the_store_whole() {
    let seed = env_number("AMIQ_CRASH_SEED").unwrap_or_else(rand::random);
    let kills = env_number("AMIQ_CRASH_RUNS").unwrap_or(20) as usize;
    eprintln!("crash suite: seed {seed}, {kills} kills (replay with AMIQ_CRASH_SEED={seed})");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let env = Env::start(FakeConfig {
        owned_per_account_region: 400,
        amazon_per_region: 400,
        marketplace_per_region: 0,
        ..small_catalog()
    })
    .await;
    let staging = env.dir.path().join("staging");
    std::fs::create_dir(&staging).unwrap();
    let config = env.config_file(
        &env.db(),
        &format!(
            "concurrency = 4\nmax_results = 20\nstaging_dir = \"{}\"",
            staging.display()
        ),
    );

    // A whole run first, to know how long one takes.
    let clean = Instant::now();
    let status = sync_process(&config).status().unwrap();
    assert_eq!(status.code(), Some(0));
    let whole = clean.elapsed();

    let (mut finished_anyway, mut during_fetch, mut during_merges) = (0, 0, 0);
    for kill in 0..kills {
        if rng.random_bool(0.5) {
            env.fake.mutate(rng.random_range(0.01..0.2), rng.random());
        }
        let mut child = sync_process(&config).spawn().unwrap();
        let at = whole.mul_f64(rng.random_range(0.05..1.1));
        let waited = Instant::now();
        let mut done = None;
        while waited.elapsed() < at {
            if let Some(status) = child.try_wait().unwrap() {
                done = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if done.is_none() {
            child.kill().unwrap(); // SIGKILL
        } else {
            finished_anyway += 1;
        }
        child.wait().unwrap();

        let store = Store::open_read(&env.db(), &StoreSettings::default())
            .unwrap_or_else(|e| panic!("kill {kill} at {at:?}: the store does not open: {e}"));
        for view in ["images", "image_history", "sync_runs"] {
            store
                .connection()
                .query_row(&format!("SELECT count(*) FROM {view}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap_or_else(|e| panic!("kill {kill}: {view} does not answer: {e}"));
        }
        assert_eq!(
            count(&store, HALF_APPLIED_SQL),
            0,
            "kill {kill} at {at:?}: half a partition"
        );
        if done.is_none() {
            // Where the kill landed: before any partition was merged, or between merges.
            let merged = count(
                &store,
                "SELECT count(*) FROM sync_partitions p JOIN sync_runs r USING (run_id)
                 WHERE r.run_id = (SELECT max(run_id) FROM sync_runs)
                   AND r.status = 'running' AND p.status = 'completed'",
            );
            if merged == 0 {
                during_fetch += 1;
            } else {
                during_merges += 1;
            }
        }
    }

    // What the killed runs staged is still there; the next sync deletes it once it is
    // old enough not to be a living sync's (made so here).
    let left: Vec<_> = std::fs::read_dir(&staging)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for path in &left {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }

    // The next run completes and matches the endpoint, partition by partition.
    let status = sync_process(&config).status().unwrap();
    assert_eq!(status.code(), Some(0));
    let still: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(
        still.is_empty(),
        "{} staging files of killed syncs, {} left after the next sync",
        left.len(),
        still.len()
    );
    let store = Store::open_read(&env.db(), &StoreSettings::default()).unwrap();
    let partitions: Vec<(String, String, String)> = {
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT account_id, region, scope FROM sync_partitions
                 WHERE run_id = (SELECT max(run_id) FROM sync_runs) AND status = 'completed'",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(partitions.len() >= 6, "{partitions:?}");
    for (account, region, scope) in &partitions {
        assert_eq!(
            stored(&store, account, region, scope, "'infinity'::TIMESTAMPTZ"),
            keyed(&env.truth(account, region, scope)),
            "{account} {region} {scope}"
        );
    }
    eprintln!(
        "crash suite: seed {seed}: {kills} SIGKILLs: {during_fetch} before any merge, \
         {during_merges} after some partitions merged, {finished_anyway} runs finished first; \
         store whole after each, final run matches and deleted {} abandoned staging files: {:.1} s",
        left.len(),
        started.elapsed().as_secs_f64()
    );
}
