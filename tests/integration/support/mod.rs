//! Shared set-up for the integration tests: the fake endpoint, configs, store reads.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use amiq::config::StaticCredentials;
use amiq::config::{AccountConfig, LogFormat, Regions, SyncConfig};
use amiq::plan::Scope;
use amiq::store::{Store, StoreSettings};
use amiq::sync::SyncOutcome;
use amiq::sync::progress::LogLines;
use amiq_fake_ec2::{DescribeRequest, FakeConfig, FakeEc2, FakeHandle, FakeRegion, Faults};

pub const A: &str = "111111111111";
pub const B: &str = "222222222222";

/// A small catalog: two accounts, two enabled regions and one that is not enabled.
pub fn small_catalog() -> FakeConfig {
    FakeConfig {
        seed: 42,
        accounts: vec![A.into(), B.into()],
        regions: vec![
            FakeRegion {
                name: "us-east-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "eu-west-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "me-central-1".into(),
                enabled: false,
                opted_in: Vec::new(),
            },
        ],
        owned_per_account_region: 120,
        amazon_per_region: 150,
        marketplace_per_region: 20,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    }
}

pub struct Env {
    pub fake: Arc<FakeEc2>,
    pub handle: FakeHandle,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn start(catalog: FakeConfig) -> Env {
        let fake = FakeEc2::new(catalog);
        let handle = fake.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        Env {
            fake,
            handle,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("amiq.duckdb")
    }

    /// A config syncing both accounts (through AssumeRole) in both enabled regions.
    pub fn config(&self, scopes: &[&str]) -> SyncConfig {
        SyncConfig {
            db: self.db(),
            regions: Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()]),
            scopes: scopes.iter().map(|s| s.parse::<Scope>().unwrap()).collect(),
            endpoint_url: Some(self.handle.url()),
            accounts: [A, B]
                .iter()
                .enumerate()
                .map(|(i, id)| AccountConfig {
                    name: Some(["prod", "dev"][i].to_string()),
                    role_arn: Some(format!("arn:aws:iam::{id}:role/Inventory")),
                    ..Default::default()
                })
                .collect(),
            concurrency: 4,
            max_results: 50,
            page_timeout: Duration::from_secs(10),
            log_format: LogFormat::Text,
            base_credentials: Some(StaticCredentials {
                access_key_id: "AKIATESTTESTTESTTEST".into(),
                secret_access_key: "test-secret".into(),
            }),
            ..SyncConfig::default()
        }
    }

    pub async fn sync(&self, config: &SyncConfig) -> SyncOutcome {
        amiq::sync::run_sync(config, Arc::new(LogLines), std::future::pending())
            .await
            .expect("the store opens")
    }

    /// A config file for `amiq sync` processes: the store at `db`, both accounts
    /// through AssumeRole, both enabled regions, owned, shared and amazon, then `extra`
    /// (more keys, a line each).
    pub fn config_file(&self, db: &Path, extra: &str) -> PathBuf {
        let path = self.dir.path().join("amiq.toml");
        let mut text = format!(
            "db = \"{}\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nscopes = [\"owned\", \"shared\", \"amazon\"]\nendpoint_url = \"{}\"\n{extra}\n",
            db.display(),
            self.handle.url()
        );
        for id in [A, B] {
            text.push_str(&format!(
                "\n[[accounts]]\nrole_arn = \"arn:aws:iam::{id}:role/Inventory\"\n"
            ));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn store(&self) -> Store {
        Store::open_read(&self.db(), &StoreSettings::default()).unwrap()
    }

    /// What the endpoint returns to `caller` in `region` for `scope`, all pages.
    pub fn truth(&self, caller: &str, region: &str, scope: &str) -> Vec<amiq_image::Image> {
        let request = scope.parse::<Scope>().unwrap().request();
        self.fake
            .describe(
                caller,
                region,
                &DescribeRequest {
                    owners: request.owners,
                    executable_users: request.executable_users,
                    image_ids: vec![],
                    include_deprecated: true,
                    include_disabled: true,
                    max_results: None,
                    next_token: None,
                    filters: vec![],
                },
            )
            .unwrap()
    }
}

/// (image id, content hash, view hash) of every image in a list, as the store keys them.
pub fn keyed(images: &[amiq_image::Image]) -> BTreeSet<(String, i64, i64)> {
    let hashes = amiq::batch::image_hashes(images).unwrap();
    images
        .iter()
        .zip(hashes)
        .map(|(i, (content, view))| (i.image_id.clone().unwrap(), content, view))
        .collect()
}

/// The same triples for what the store holds open for one partition at `at` (SQL
/// timestamp expression).
pub fn stored(
    store: &Store,
    viewer: &str,
    region: &str,
    scope: &str,
    at: &str,
) -> BTreeSet<(String, i64, i64)> {
    let sql = format!(
        "SELECT g.image_id, v.content_hash, g.view_hash
         FROM image_sightings g JOIN image_versions v USING (region, image_id)
         WHERE g.viewer_account_id = ? AND g.region = ? AND g.scope = ?
           AND g.valid_from <= {at} AND (g.valid_to IS NULL OR g.valid_to > {at})
           AND v.valid_from <= {at} AND (v.valid_to IS NULL OR v.valid_to > {at})"
    );
    let conn = store.connection();
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([viewer, region, scope], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

pub fn count(store: &Store, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// A number from the environment (a suite's seed or size), when set.
pub fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Sightings and versions a run opened or ended outside the partitions it completed:
/// 0 unless some partition was half applied.
pub const HALF_APPLIED_SQL: &str = "
    SELECT (SELECT count(*) FROM image_sightings g
            WHERE NOT EXISTS (
                SELECT 1 FROM sync_partitions p
                WHERE p.status = 'completed' AND p.account_id = g.viewer_account_id
                  AND p.region = g.region AND p.scope = g.scope
                  AND p.run_id = g.valid_from_run)
               OR (g.valid_to_run IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM sync_partitions p
                WHERE p.status = 'completed' AND p.account_id = g.viewer_account_id
                  AND p.region = g.region AND p.scope = g.scope
                  AND p.run_id = g.valid_to_run)))
         + (SELECT count(*) FROM image_versions v
            WHERE NOT EXISTS (
                SELECT 1 FROM sync_partitions p
                WHERE p.status = 'completed' AND p.region = v.region
                  AND p.run_id = v.valid_from_run))";

/// The `amiq` binary in `dir`, with no AWS credentials or profile of the machine's:
/// a test never reaches AWS.
pub fn amiq(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(args)
        .current_dir(dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "cli-test-secret-value")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run amiq")
}

/// What a process wrote on stderr.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `amiq fake-ec2` in its own process, one account (unless `extra` says how many) in
/// us-east-1 and `extra` flags.
pub fn fake_ec2(extra: &[&str]) -> (std::process::Child, u16) {
    use std::time::{Duration, Instant};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fake = std::process::Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(["fake-ec2", "--listen", &format!("127.0.0.1:{port}")])
        .args(if extra.contains(&"--accounts") {
            &[][..]
        } else {
            &["--accounts", "1"][..]
        })
        .args([
            "--regions",
            "us-east-1",
            "--amazon",
            "0",
            "--marketplace",
            "0",
        ])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "fake-ec2 did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (fake, port)
}

/// The chains of `account`'s owned copies in `region`, as the endpoint answers
/// GetImageAncestry: (image id, position, ancestor image id).
pub fn lineage_truth(env: &Env, account: &str, region: &str) -> BTreeSet<(String, usize, String)> {
    env.truth(account, region, "owned")
        .into_iter()
        .filter(|i| i.source_image_id.is_some())
        .filter_map(|i| i.image_id)
        .flat_map(|id| {
            env.fake
                .image_ancestry(account, region, &id)
                .unwrap()
                .into_iter()
                .enumerate()
                .map(move |(position, entry)| (id.clone(), position, entry.image_id))
        })
        .collect()
}

/// A launch permission as the store keys it: its grantee's type and the grantee.
pub fn grant(p: &amiq_fake_ec2::LaunchPermission) -> String {
    match (
        &p.group,
        &p.user_id,
        &p.organization_arn,
        &p.organizational_unit_arn,
    ) {
        (Some(group), ..) => format!("group {group}"),
        (_, Some(user), ..) => format!("user {user}"),
        (_, _, Some(org), _) => format!("organization {org}"),
        (_, _, _, Some(ou)) => format!("organizational-unit {ou}"),
        _ => panic!("a launch permission names a grantee"),
    }
}
