//! A full disk during the merge: the store lives on a small tmpfs that is filled up
//! before a sync whose merges need more room than is left. The sync must end with a
//! clear error and a nonzero exit, and the store must be intact: it opens, no partition
//! is half applied, every listing holds either what it held before or (where its merge
//! committed) what the endpoint returned; once there is room again the next sync
//! completes and matches the endpoint. A listing that did not merge may still show an
//! image's new content: the content is the image's, stored by a listing that shows it
//! and merged.
//!
//! Needs to mount a tmpfs (root, as CI runs here).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use amiq::store::{Store, StoreSettings};
use amiq_fake_ec2::FakeConfig;

use crate::support::{Env, HALF_APPLIED_SQL, count, keyed, small_catalog, stored};

/// A tmpfs mounted for the test's life.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs (it needs root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(path.to_path_buf())
    }

    /// Bytes free on it.
    fn available(&self) -> u64 {
        let out = Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(&self.0)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn sync(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(["sync", "--log-format", "json", "--config"])
        .arg(config)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "disk-test-secret")
        .output()
        .unwrap()
}

type Listing = (String, String, String);

/// What a listing showed of each image: its id and its view, without the content.
fn views(stored: &BTreeSet<(String, i64, i64)>) -> BTreeSet<(&str, i64)> {
    stored
        .iter()
        .map(|(id, _, view)| (id.as_str(), *view))
        .collect()
}

fn listings(store: &Store) -> Vec<Listing> {
    let mut stmt = store
        .connection()
        .prepare("SELECT DISTINCT account_id, region, scope FROM sync_partitions ORDER BY ALL")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_the_merge_leaves_the_store_intact() {
    let env = Env::start(FakeConfig {
        owned_per_account_region: 2000,
        amazon_per_region: 2000,
        marketplace_per_region: 0,
        ..small_catalog()
    })
    .await;
    let disk = Tmpfs::mount(&env.dir.path().join("small-disk"), "64m");
    let db = disk.0.join("amiq.duckdb");
    let config = env.config_file(&db, "concurrency = 4");

    let first = sync(&config);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let (first_run, before) = {
        let store = Store::open_read(&db, &StoreSettings::default()).unwrap();
        let first_run = count(&store, "SELECT max(run_id) FROM sync_runs");
        let before = listings(&store)
            .into_iter()
            .map(|l| {
                let held = stored(&store, &l.0, &l.1, &l.2, "'infinity'::TIMESTAMPTZ");
                (l, held)
            })
            .collect::<Vec<_>>();
        (first_run, before)
    };

    // Most images change, so every merge writes new versions; then the disk is filled
    // but for 256 KiB.
    env.fake.mutate(0.9, 7);
    let filler = disk.0.join("filler");
    let room = disk.available().saturating_sub(256 * 1024);
    std::fs::write(&filler, vec![0u8; room as usize]).unwrap();

    let full = sync(&config);
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_ne!(
        full.status.code(),
        Some(0),
        "the sync succeeded on a full disk"
    );
    // Each partition whose merge met the full disk says so and what to do; whether the
    // run's own ledger row still fits decides whether the run ends with that error too.
    let Some(said) = stderr
        .lines()
        .find(|l| l.contains("No space left on device") && l.contains("free space"))
    else {
        panic!("the error does not say the disk is full: {stderr}");
    };
    assert!(!stderr.contains("disk-test-secret"));
    eprintln!("disk: full disk: exit {:?}: {said}", full.status.code());

    // Room again: the store opens as it was, or with whole partitions merged.
    std::fs::remove_file(&filler).unwrap();
    let store = Store::open_read(&db, &StoreSettings::default())
        .unwrap_or_else(|e| panic!("the store does not open after a full disk: {e}"));
    assert_eq!(count(&store, HALF_APPLIED_SQL), 0, "half a partition");
    // A listing merged when the failed run's ledger says its partition completed: the
    // ledger row commits with the merge.
    let merged_listings: Vec<Listing> = {
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT account_id, region, scope FROM sync_partitions
                 WHERE run_id > ? AND status = 'completed'",
            )
            .unwrap();
        stmt.query_map([first_run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // What those listings returned: an image they show has its new content stored.
    let merged_images: BTreeSet<(String, String, i64)> = merged_listings
        .iter()
        .flat_map(|(account, region, scope)| {
            keyed(&env.truth(account, region, scope))
                .into_iter()
                .map(|(id, content, _)| (region.clone(), id, content))
        })
        .collect();
    let (mut kept, mut new_content) = (0, 0);
    for (listing, held_before) in &before {
        let (account, region, scope) = listing;
        let now = stored(&store, account, region, scope, "'infinity'::TIMESTAMPTZ");
        if merged_listings.contains(listing) {
            assert_eq!(
                now,
                keyed(&env.truth(account, region, scope)),
                "{listing:?} merged but does not hold what the endpoint returns"
            );
            continue;
        }
        // Not merged: the listing shows what it showed. An image's content is shared by
        // every listing that shows it, so it is the old content, or the new one that a
        // listing which merged stored.
        assert_eq!(
            views(&now),
            views(held_before),
            "{listing:?} did not merge but its views changed"
        );
        for (id, content, _) in &now {
            let was = held_before.iter().find(|h| &h.0 == id).map(|h| h.1);
            if was != Some(*content) {
                assert!(
                    merged_images.contains(&(region.clone(), id.clone(), *content)),
                    "{listing:?}: {id} has content that neither it held nor a merged listing stored"
                );
                new_content += 1;
            }
        }
        kept += 1;
    }
    let merged = merged_listings.len();
    drop(store);
    assert!(kept > 0, "no merge met the full disk");

    let again = sync(&config);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let store = Store::open_read(&db, &StoreSettings::default()).unwrap();
    for (account, region, scope) in listings(&store) {
        assert_eq!(
            stored(&store, &account, &region, &scope, "'infinity'::TIMESTAMPTZ"),
            keyed(&env.truth(&account, &region, &scope)),
            "{account} {region} {scope}"
        );
    }
    eprintln!(
        "disk: {kept} listings kept ({new_content} of their images with the new content \
         another listing stored), {merged} merged before the disk filled; the next sync \
         matches the endpoint"
    );
}
