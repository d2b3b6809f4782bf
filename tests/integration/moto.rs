//! A sync of several accounts (through STS AssumeRole) and regions against moto stores
//! exactly what moto returns. moto is started here on 127.0.0.1; `.ci/run` installs it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amiq::config::StaticCredentials;
use amiq::config::{AccountConfig, LogFormat, Regions, SyncConfig};
use amiq::store::{RunStatus, Store, StoreSettings};
use amiq::sync::progress::LogLines;
use serde_json::Value;

pub(crate) struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start_moto() -> (Moto, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server is installed (.ci/run installs moto[server])");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Moto(child), url)
}

/// The fields compared per image: enough to catch a lost or altered member.
type Row = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
    Option<String>,
    Vec<String>,
    Vec<String>,
);

/// `Tags` of a moto answer's item as sorted `key=value` texts.
fn tags_of(item: &Value) -> Vec<String> {
    let mut tags: Vec<String> = item
        .get("Tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .map(|t| {
                    format!(
                        "{}={}",
                        t["Key"].as_str().unwrap(),
                        t["Value"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    tags
}

/// A DuckDB list of texts as strings.
fn texts(v: duckdb::types::Value) -> Vec<String> {
    match v {
        duckdb::types::Value::List(items) => items
            .into_iter()
            .map(|i| match i {
                duckdb::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .collect(),
        _ => vec![],
    }
}

fn row_from_moto(i: &Value) -> Row {
    let s = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_string);
    let tags = tags_of(i);
    let devices: Vec<String> = i
        .get("BlockDeviceMappings")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|m| m["DeviceName"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (
        s("ImageId").unwrap(),
        s("Name"),
        s("State"),
        s("OwnerId"),
        s("CreationDate"),
        i.get("Public").and_then(Value::as_bool),
        s("Description"),
        s("Architecture"),
        tags,
        devices,
    )
}

fn stored_rows(store: &Store, viewer: &str, region: &str, scope: &str) -> BTreeSet<Row> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT image_id, name, state, owner_id, creation_date, public, description, architecture,
                    coalesce(list_sort([t.key || '=' || t.value FOR t IN tags]), []),
                    coalesce([m.device_name FOR m IN block_device_mappings], [])
             FROM image_views_as_of(now())
             WHERE viewer_account_id = ? AND region = ? AND scope = ?",
        )
        .unwrap();
    stmt.query_map([viewer, region, scope], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            texts(r.get(8)?),
            texts(r.get(9)?),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Runs a preparation script of this folder against moto and reads the JSON it prints.
fn prepare<T: serde::de::DeserializeOwned>(script: &str, url: &str, accounts: &[&str]) -> T {
    let script = format!("{}/tests/integration/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(script)
        .arg(url)
        .args(accounts)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A config syncing `accounts` of moto through STS AssumeRole into `db`.
fn moto_config(url: &str, db: std::path::PathBuf, accounts: &[&str]) -> SyncConfig {
    SyncConfig {
        db,
        endpoint_url: Some(url.to_string()),
        accounts: accounts
            .iter()
            .map(|id| AccountConfig {
                role_arn: Some(format!("arn:aws:iam::{id}:role/Inventory")),
                ..Default::default()
            })
            .collect(),
        log_format: LogFormat::Text,
        base_credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
        }),
        ..SyncConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_moto_stores_exactly_what_moto_returns() {
    let (_moto, url) = start_moto();
    let accounts = ["111111111111", "222222222222"];
    let truth: BTreeMap<String, Vec<Value>> = prepare("moto_prepare.py", &url, &accounts);

    let dir = tempfile::tempdir().unwrap();
    let config = SyncConfig {
        regions: Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()]),
        scopes: ["owned", "shared", "amazon"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect(),
        ..moto_config(&url, dir.path().join("moto.duckdb"), &accounts)
    };
    let outcome = amiq::sync::run_sync(&config, Arc::new(LogLines), std::future::pending())
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );

    let store = Store::open_read(&config.db, &StoreSettings::default()).unwrap();
    let mut compared = 0;
    for (key, images) in &truth {
        let parts: Vec<&str> = key.split('/').collect();
        let (account, region, scope) = (parts[0], parts[1], parts[2]);
        // The amazon catalog is fetched once per region, by the first account.
        if scope == "amazon" && account != accounts[0] {
            continue;
        }
        // moto differs from EC2 here: it keeps a copy of its default AMIs per account,
        // each stamped with the time that account's backend was created, so one image
        // id shows each account another CreationDate. EC2 shows one. The store keeps
        // one content per image, so CreationDate is compared for the viewer's own
        // images only.
        let strip = |mut row: Row| {
            if row.3.as_deref() != Some(account) {
                row.4 = None;
            }
            row
        };
        let expected: BTreeSet<Row> = images.iter().map(row_from_moto).map(strip).collect();
        assert_eq!(
            expected.len(),
            images.len(),
            "{key}: duplicate ids from moto"
        );
        let got: BTreeSet<Row> = stored_rows(&store, account, region, scope)
            .into_iter()
            .map(strip)
            .collect();
        assert_eq!(got, expected, "{key}");
        compared += expected.len();
    }
    assert!(compared > 1000, "compared {compared} images");
    compare_filters(&url, &store, accounts[0], &truth);
    // moto also differs in `shared`: ExecutableUsers=self returns its public images too.
    // The shared image is visible to the second account under `shared`.
    assert!(!truth[&format!("{}/us-east-1/shared", accounts[1])].is_empty());
}

/// A question's filters: names and values.
type Filters<'a> = Vec<(&'a str, Vec<String>)>;

/// For every filter moto implements, `describe_images` from the store answers what
/// moto answers, image id for image id.
fn compare_filters(url: &str, store: &Store, account: &str, truth: &BTreeMap<String, Vec<Value>>) {
    use amiq::describe::{DescribeRequest, Filter, QuestionMark, describe_images};
    let region = "us-east-1";
    let amazon = &truth[&format!("{account}/{region}/amazon")];
    let field = |images: &[Value], key: &str| -> String {
        images
            .iter()
            .find_map(|i| i.get(key).and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| panic!("no image has {key}"))
    };
    let name = field(amazon, "Name");
    let prefix: String = name.chars().take(6).collect();
    let middle: String = name.chars().skip(2).take(4).collect();
    let one_char = format!("{}?{}", &prefix[..3], &prefix[4..]);
    let windows = amazon
        .iter()
        .find(|i| i.get("Platform").and_then(Value::as_str) == Some("windows"))
        .map(|i| i["Name"].as_str().unwrap().to_string());
    let mut cases: Vec<(&str, Filters)> = vec![
        ("amazon", vec![("name", vec![name.clone()])]),
        ("amazon", vec![("name", vec![format!("{prefix}*")])]),
        (
            "amazon",
            vec![("name", vec![format!("*{middle}*"), "nothing".into()])],
        ),
        ("amazon", vec![("name", vec![format!("{one_char}*")])]),
        ("amazon", vec![("architecture", vec!["arm64".into()])]),
        (
            "amazon",
            vec![
                ("architecture", vec!["x86_64".into()]),
                ("name", vec![format!("{prefix}*")]),
            ],
        ),
        ("amazon", vec![("image-id", vec![field(amazon, "ImageId")])]),
        ("amazon", vec![("owner-alias", vec!["amazon".into()])]),
        ("amazon", vec![("owner-id", vec![field(amazon, "OwnerId")])]),
        ("amazon", vec![("state", vec!["available".into()])]),
        ("amazon", vec![("is-public", vec!["true".into()])]),
        ("amazon", vec![("is-public", vec!["false".into()])]),
        ("amazon", vec![("platform", vec!["windows".into()])]),
        (
            "amazon",
            vec![("virtualization-type", vec!["paravirtual".into()])],
        ),
        (
            "amazon",
            vec![("root-device-type", vec!["instance-store".into()])],
        ),
        (
            "amazon",
            vec![("root-device-name", vec![field(amazon, "RootDeviceName")])],
        ),
        ("amazon", vec![("image-type", vec!["machine".into()])]),
        ("amazon", vec![("description", vec!["*Linux*".into()])]),
        ("amazon", vec![("hypervisor", vec!["xen".into()])]),
        ("self", vec![("tag:team", vec!["web".into()])]),
        ("self", vec![("tag:team", vec!["w*".into(), "x".into()])]),
        ("self", vec![("tag-key", vec!["quote\"d".into()])]),
        (
            "self",
            vec![("name", vec![format!("acme-{}-*", &account[8..])])],
        ),
        (
            "self",
            vec![("description", vec!["*comma & an <angle>".into()])],
        ),
    ];
    // Not compared: moto matches `creation-date` against a datetime object, so no text
    // pattern ever matches there (EC2 matches the API's timestamp text, as amiq does);
    // the fake endpoint's tests cover it.
    if let Some(w) = windows {
        cases.push(("amazon", vec![("name", vec![w])]));
    }
    let questions: Vec<Value> = cases
        .iter()
        .map(|(owner, filters)| {
            serde_json::json!({
                "owners": [owner],
                "filters": filters.iter().map(|(n, v)| serde_json::json!({"Name": n, "Values": v})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integration/moto_filters.py"
    );
    let mut child = Command::new("python3")
        .args([script, url, account, region])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &questions).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut nonempty = 0;
    for ((owner, filters), answer) in cases.iter().zip(&answers) {
        let moto: Vec<String> = match answer.get("ids") {
            Some(ids) => serde_json::from_value(ids.clone()).unwrap(),
            None => panic!("moto refused {filters:?}: {answer}"),
        };
        let request = DescribeRequest {
            account: Some(account.into()),
            region: Some(region.into()),
            owners: vec![owner.to_string()],
            filters: filters
                .iter()
                .map(|(n, v)| Filter {
                    name: n.to_string(),
                    values: v.clone(),
                })
                .collect(),
            // moto ignores IncludeDeprecated and IncludeDisabled (it returns both), and
            // reads `?` as exactly one character.
            include_deprecated: true,
            include_disabled: true,
            question_mark: QuestionMark::ExactlyOne,
            ..DescribeRequest::default()
        };
        let answer = describe_images(store, &request).unwrap();
        let mut local: Vec<String> = answer
            .images
            .iter()
            .map(|i| i.image_id().to_string())
            .collect();
        local.sort();
        assert_eq!(local, moto, "{owner} {filters:?}");
        assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
        nonempty += usize::from(!moto.is_empty());
    }
    assert!(
        nonempty >= cases.len() - 4,
        "only {nonempty} of {} cases matched anything",
        cases.len()
    );
}

/// The snapshots dataset of two accounts (through STS AssumeRole) stores what moto's
/// DescribeSnapshots OwnerIds=self returns to each: moto is the second reference for the
/// one dataset call it implements.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshots_dataset_stores_what_moto_describes() {
    let (_moto, url) = start_moto();
    let accounts = ["111111111111", "222222222222"];
    let truth: BTreeMap<String, Vec<Value>> = prepare("moto_snapshots.py", &url, &accounts);

    let dir = tempfile::tempdir().unwrap();
    let config = SyncConfig {
        regions: Regions::Listed(vec!["us-east-1".into()]),
        datasets: vec![amiq::plan::Dataset::Snapshots],
        ..moto_config(&url, dir.path().join("moto.duckdb"), &accounts)
    };
    let outcome = amiq::sync::run_sync(&config, Arc::new(LogLines), std::future::pending())
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    assert_eq!(
        outcome.partitions.len(),
        2,
        "one snapshots partition per account"
    );

    type Snap = (
        String,
        Option<String>,
        Option<i32>,
        Option<bool>,
        Option<String>,
        Vec<String>,
    );
    let store = Store::open_read(&config.db, &StoreSettings::default()).unwrap();
    for account in accounts {
        let expected: BTreeSet<Snap> = truth[account]
            .iter()
            .map(|s| {
                (
                    s["SnapshotId"].as_str().unwrap().to_string(),
                    s.get("VolumeId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    s.get("VolumeSize")
                        .and_then(Value::as_i64)
                        .map(|v| v as i32),
                    s.get("Encrypted").and_then(Value::as_bool),
                    s.get("Description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    tags_of(s),
                )
            })
            .collect();
        assert!(expected.len() >= 4, "{account}: {expected:?}");
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT snapshot_id, volume_id, volume_size, encrypted, description,
                        coalesce(list_sort([t.key || '=' || t.value FOR t IN tags]), [])::VARCHAR[]
                 FROM snapshots WHERE account_id = ? AND region = 'us-east-1'",
            )
            .unwrap();
        let got: BTreeSet<Snap> = stmt
            .query_map([account], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    texts(r.get(5)?),
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, expected, "{account}");
    }
}

/// The launch-permissions dataset of two accounts stores, for each owned image, what
/// moto's DescribeImageAttribute launchPermission returns: accounts (synced or not),
/// everyone, an organization and an OU.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_launch_permissions_dataset_stores_what_moto_describes() {
    let (_moto, url) = start_moto();
    let accounts = ["111111111111", "222222222222"];
    let truth: BTreeMap<String, BTreeMap<String, Vec<Value>>> =
        prepare("moto_launch_permissions.py", &url, &accounts);

    let dir = tempfile::tempdir().unwrap();
    let config = SyncConfig {
        regions: Regions::Listed(vec!["us-east-1".into()]),
        scopes: vec![amiq::plan::Scope::Owned],
        datasets: vec![
            amiq::plan::Dataset::Images,
            amiq::plan::Dataset::LaunchPermissions,
        ],
        ..moto_config(&url, dir.path().join("moto.duckdb"), &accounts)
    };
    let outcome = amiq::sync::run_sync(&config, Arc::new(LogLines), std::future::pending())
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    let store = Store::open_read(&config.db, &StoreSettings::default()).unwrap();
    for account in accounts {
        let expected: BTreeSet<String> = truth[account]
            .iter()
            .flat_map(|(image, grants)| {
                grants.iter().map(move |g| {
                    let (kind, who) = [
                        ("Group", "group"),
                        ("UserId", "user"),
                        ("OrganizationArn", "organization"),
                        ("OrganizationalUnitArn", "organizational-unit"),
                    ]
                    .into_iter()
                    .find_map(|(member, kind)| g.get(member)?.as_str().map(|v| (kind, v)))
                    .unwrap_or_else(|| panic!("a grant names a grantee: {g}"));
                    format!("{image} {kind} {who}")
                })
            })
            .collect();
        assert_eq!(expected.len(), 5, "{account}: {expected:?}");
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT image_id || ' ' || grantee_type || ' ' || grantee
                 FROM image_launch_permissions WHERE account_id = ?",
            )
            .unwrap();
        let stored: BTreeSet<String> = stmt
            .query_map([account], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, expected, "{account}");
    }
}

/// moto as the second reference for the discovery: its Organizations lists the tree and
/// its accounts (management included) and answers EC2 in each member through STS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_in_moto_is_discovered_whole_and_each_active_member_synced() {
    let (_moto, url) = start_moto();
    let truth: Value = prepare("moto_organization.py", &url, &[]);

    let dir = tempfile::tempdir().unwrap();
    let config = SyncConfig {
        regions: Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()]),
        scopes: vec!["owned".parse().unwrap()],
        accounts: Vec::new(),
        organization: Some(amiq::config::OrganizationConfig {
            role_name: "Inventory".into(),
            ..Default::default()
        }),
        ..moto_config(&url, dir.path().join("org.duckdb"), &[])
    };
    let outcome = amiq::sync::run_sync(&config, Arc::new(LogLines), std::future::pending())
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );

    let store = Store::open_read(&config.db, &StoreSettings::default()).unwrap();
    // The accounts table is what moto lists: every account, where it sits, its status.
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let expected: BTreeSet<[String; 6]> = truth["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            [
                "id",
                "name",
                "status",
                "parent_id",
                "ou_path",
                "ou_path_ids",
            ]
            .map(|k| text(a, k))
        })
        .collect();
    let mut stmt = store
        .connection()
        .prepare("SELECT account_id, name, status, parent_id, ou_path, ou_path_ids FROM accounts")
        .unwrap();
    let stored: BTreeSet<[String; 6]> = stmt
        .query_map([], |r| {
            Ok([
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ])
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored, expected);
    assert_eq!(expected.len(), 6);

    // The active accounts were synced (the suspended one was not), each region's own
    // images as moto lists them.
    let owned = truth["owned"].as_object().unwrap();
    let active: BTreeSet<String> = truth["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "ACTIVE")
        .map(|a| text(a, "id"))
        .collect();
    assert_eq!(active.len(), 5);
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT DISTINCT account_id FROM sync_partitions WHERE scope = 'owned' AND status = 'completed'",
        )
        .unwrap();
    let synced: BTreeSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(synced, active);
    assert_eq!(owned.len(), active.len() * 2);
    for (key, ids) in owned {
        let (account, region) = key.split_once('/').unwrap();
        let expected: BTreeSet<String> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect();
        let got: BTreeSet<String> = stored_rows(&store, account, region, "owned")
            .into_iter()
            .map(|row| row.0)
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "{key}");
    }
}
