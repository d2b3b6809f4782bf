//! `amiq query` and `amiq report` on a synced store: formats, refusals, limits.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Env, amiq, count, small_catalog, stderr};

/// A store with two runs and a change of catalog between them.
async fn synced() -> Env {
    let env = Env::start(small_catalog()).await;
    let config = env.config(&["owned", "shared", "amazon"]);
    env.sync(&config).await;
    env.fake.mutate(0.05, 7);
    env.sync(&config).await;
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_stream_in_every_format_and_refuse_what_would_escape() {
    let env = synced().await;
    let dir = env.dir.path();
    let db = env.db();
    let db = db.to_str().unwrap();
    let images = count(&env.store(), "SELECT count(*) FROM images");
    assert!(images > 100);

    // JSON: an array of row objects, nested columns as JSON.
    let out = amiq(
        &[
            "query",
            "--db",
            db,
            "--format",
            "json",
            "SELECT image_id, tags, creation_date_ts FROM images ORDER BY image_id",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len() as i64, images);
    let first = rows[0]["image_id"].as_str().unwrap();
    // Kernel and RAM disk images sort before machine images.
    assert!(
        ["ami-", "aki-", "ari-"]
            .iter()
            .any(|p| first.starts_with(p)),
        "{first}"
    );
    assert!(rows.iter().any(|r| r["tags"].is_array()));
    // An empty result is still an array.
    let out = amiq(
        &[
            "query",
            "--db",
            db,
            "--format",
            "json",
            "SELECT * FROM images WHERE false",
        ],
        dir,
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");

    // CSV: a header row, then a line per row (nested values as text), from stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(["query", "--db", db, "--format", "csv"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"SELECT region, image_id, block_device_mappings FROM images ORDER BY image_id LIMIT 5",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("region,image_id,block_device_mappings"));
    assert!(text.contains("device_name"), "{text}");

    // Parquet, written atomically, read back.
    let file = dir.join("out.parquet");
    let out = amiq(
        &[
            "query",
            "--db",
            db,
            "--format",
            "parquet",
            "--out",
            file.to_str().unwrap(),
            "SELECT * FROM image_history",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let history = count(&env.store(), "SELECT count(*) FROM image_history");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let back: i64 = conn
        .query_row(
            "SELECT count(*) FROM read_parquet(?)",
            [file.to_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(back, history);
    assert!(std::fs::read_dir(dir).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".amiq-")
    }));

    // A table for the terminal, cut at --max-rows with a note.
    let out = amiq(
        &[
            "query",
            "--db",
            db,
            "--max-rows",
            "3",
            "SELECT image_id FROM images",
        ],
        dir,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("({images} rows, the first 3 shown")),
        "{text}"
    );

    // Refusals: exit 6, one line naming why; the store is untouched.
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "a,b\n1,2\n").unwrap();
    let secret = secret.to_str().unwrap();
    let refused = [
        "CREATE TABLE x (a INTEGER)".to_string(),
        "DELETE FROM image_versions".to_string(),
        "DROP VIEW images".to_string(),
        format!("COPY (SELECT 1) TO '{}'", dir.join("copy.csv").display()),
        format!("SELECT * FROM read_csv('{secret}')"),
        format!("ATTACH '{}' AS other", dir.join("other.duckdb").display()),
        "INSTALL httpfs".to_string(),
        "LOAD httpfs".to_string(),
        "SET enable_external_access = true".to_string(),
        "SET memory_limit = '100GB'".to_string(),
        "SELECT 1; DROP TABLE sync_runs".to_string(),
    ];
    for sql in &refused {
        let out = amiq(&["query", "--db", db, sql], dir);
        assert_eq!(out.status.code(), Some(6), "{sql}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("amiq: refused: "),
            "{sql}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{sql}");
    }
    assert!(!dir.join("copy.csv").exists());
    assert_eq!(count(&env.store(), "SELECT count(*) FROM images"), images);

    // Limits: a query past its timeout is stopped.
    let out = amiq(
        &[
            "query",
            "--db",
            db,
            "--timeout",
            "1",
            "SELECT count(*) FROM range(100000000000)",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("timeout"), "{}", stderr(&out));
    // A query that would exhaust memory stops at its limit, with one line saying so.
    let out = amiq(
        &[
            "query",
            "--db",
            db,
            "--memory-limit",
            "100MB",
            "SELECT length(list(range)) FROM range(200000000)",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("more memory than its limit (100MB)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).trim().lines().count(), 1);
    // A SQL mistake is one line.
    let out = amiq(&["query", "--db", db, "SELECT nope FROM images"], dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_answer_from_the_store() {
    let env = synced().await;
    let dir = env.dir.path();
    let db = env.db();
    let db = db.to_str().unwrap();

    for args in [
        &["report", "deprecation", "--within", "3650d"][..],
        &["report", "last-launched", "--older-than", "30d"][..],
        &["report", "changes", "--since", "1", "--until", "2"][..],
        &["report", "summary"][..],
    ] {
        let mut all = args.to_vec();
        all.extend(["--db", db]);
        let out = amiq(&all, dir);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(" rows") || text.contains("(1 row)"),
            "{args:?}: {text}"
        );
    }

    // changes: what the mutation did, field by field, agrees with the ledger's counts.
    let out = amiq(
        &[
            "report", "changes", "--db", db, "--since", "1", "--until", "2", "--format", "json",
        ],
        dir,
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let added = rows.iter().filter(|r| r["change"] == "added").count();
    let gone = rows.iter().filter(|r| r["change"] == "gone").count();
    assert!(added > 0 && gone > 0, "{added} added, {gone} gone");
    assert!(
        rows.iter()
            .filter(|r| r["change"] == "changed")
            .all(|r| r["before"] != r["after"] && r["field"].is_string())
    );
    let store = env.store();
    let truth_added = count(
        &store,
        "SELECT count(*) FROM images_as_of(run_time(2)) a ANTI JOIN images_as_of(run_time(1)) b USING (region, image_id)",
    );
    assert_eq!(added as i64, truth_added);

    // deprecation: every finding is what it says.
    let out = amiq(
        &[
            "report",
            "deprecation",
            "--db",
            db,
            "--within",
            "3650d",
            "--format",
            "json",
        ],
        dir,
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!rows.is_empty());
    let now = chrono::Utc::now().to_rfc3339();
    for r in &rows {
        let when = r["deprecation_time"].as_str().unwrap_or_default();
        match r["finding"].as_str().unwrap() {
            "deprecated" => assert!(when < now.as_str(), "{r}"),
            f if f.starts_with("deprecated within") => assert!(when > now.as_str(), "{r}"),
            "launched after its deprecation" => {
                assert!(r["last_launched_time"].as_str().unwrap() > when, "{r}")
            }
            _ => assert_ne!(r["owner_id"], r["account_id"], "{r}"),
        }
    }

    // last-launched: grouped by family, oldest first, costs from the rate.
    let out = amiq(
        &[
            "report",
            "last-launched",
            "--db",
            db,
            "--older-than",
            "1d",
            "--rate",
            "0.1",
            "--format",
            "json",
        ],
        dir,
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        let gib = r["snapshot_gib"].as_i64().unwrap() as f64;
        let cost = r["monthly_cost_usd"].as_f64().unwrap();
        assert!((cost - gib * 0.1).abs() < 0.01, "{r}");
        assert!(!r["family"].as_str().unwrap().is_empty(), "{r}");
    }

    // summary has two sections; csv takes one.
    let out = amiq(
        &[
            "report",
            "summary",
            "--db",
            db,
            "--format",
            "csv",
            "--section",
            "2",
        ],
        dir,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("account_id,account_name,region,scope,last_completed_run"),
        "{text}"
    );
    let out = amiq(
        &[
            "report",
            "summary",
            "--db",
            db,
            "--format",
            "csv",
            "--section",
            "3",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(1));

    // Bad arguments are named.
    let out = amiq(&["report", "changes", "--db", db], dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--since"));
    let out = amiq(
        &["report", "deprecation", "--db", db, "--within", "soon"],
        dir,
    );
    assert_eq!(out.status.code(), Some(2));
}

/// pyarrow (from PyPI, installed by scripts/test) reads a Hive-style dataset: its row
/// count and the distinct values of its partition columns.
fn pyarrow_read(dir: &Path) -> serde_json::Value {
    let script = r#"
import json, sys
import pyarrow.dataset as ds
d = ds.dataset(sys.argv[1], format="parquet", partitioning="hive")
t = d.to_table()
print(json.dumps({
    "rows": t.num_rows,
    "columns": t.column_names,
    "regions": sorted(set(t.column("region").to_pylist())) if "region" in t.column_names else [],
}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_hive_parquet_that_pyarrow_reads_and_grow_incrementally() {
    let env = synced().await;
    let dir = env.dir.path();
    let db = env.db();
    let db = db.to_str().unwrap();
    let store = env.store();
    let images = count(&store, "SELECT count(*) FROM images");
    let history = count(&store, "SELECT count(*) FROM image_history");
    drop(store);

    let out = amiq(&["export", "--db", db, "--to", "lake"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let current = pyarrow_read(&dir.join("lake/current"));
    assert_eq!(current["rows"].as_i64(), Some(images));
    assert_eq!(
        current["regions"],
        serde_json::json!(["eu-west-1", "us-east-1"])
    );
    assert!(
        current["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "block_device_mappings")
    );

    // History from run 1, then only what run 2 changed: together, all of it.
    let out = amiq(
        &[
            "export", "--db", db, "--to", "lake", "--what", "history", "--since", "0",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = pyarrow_read(&dir.join("lake/history"))["rows"]
        .as_i64()
        .unwrap();
    assert_eq!(all, history);
    let out = amiq(
        &[
            "export", "--db", db, "--to", "inc", "--what", "history", "--since", "1",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let store = env.store();
    let changed = count(
        &store,
        "SELECT count(*) FROM image_history WHERE valid_from_run > 1 OR valid_to_run > 1",
    );
    assert!(changed > 0 && changed < history);
    assert_eq!(
        pyarrow_read(&dir.join("inc/history"))["rows"].as_i64(),
        Some(changed)
    );
    // Runs, unpartitioned: one file.
    let out = amiq(
        &[
            "export",
            "--db",
            db,
            "--to",
            "lake",
            "--what",
            "runs",
            "--partition-by",
            "none",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let partitions = count(&store, "SELECT count(*) FROM sync_partitions");
    assert_eq!(
        pyarrow_read(&dir.join("lake/runs"))["rows"].as_i64(),
        Some(partitions)
    );
    // No staging directory is left behind, and bad arguments are named.
    assert!(std::fs::read_dir(dir.join("lake")).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".amiq")
    }));
    let out = amiq(
        &[
            "export",
            "--db",
            db,
            "--to",
            "lake",
            "--partition-by",
            "colour",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("colour"));
    let out = amiq(&["export", "--db", db, "--to", "lake", "--since", "1"], dir);
    assert_eq!(out.status.code(), Some(2));
}

/// Runs a Python snippet with the S3 endpoint and moto's credentials; prints JSON.
fn python_s3(script: &str, endpoint: &str) -> serde_json::Value {
    let out = Command::new("python3")
        .args(["-c", script, endpoint])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXPORTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "export-secret-do-not-print")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn amiq_s3(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "AKIDEXPORTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "export-secret-do-not-print")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .output()
        .expect("run amiq")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_to_s3_through_object_store_and_pyarrow_reads_them_back() {
    let env = synced().await;
    let dir = env.dir.path();
    let db = env.db();
    let db = db.to_str().unwrap();
    let images = count(&env.store(), "SELECT count(*) FROM images");
    let (_moto, endpoint) = crate::moto::start_moto();
    python_s3(
        "import boto3, json, sys\n\
         boto3.client('s3', endpoint_url=sys.argv[1]).create_bucket(Bucket='lake')\n\
         print('{}')",
        &endpoint,
    );

    let to = "s3://lake/inventory/amiq";
    let args = [
        "export",
        "--db",
        db,
        "--to",
        to,
        "--endpoint-url",
        &endpoint,
    ];
    let out = amiq_s3(&args, dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("to s3://lake/inventory/amiq/current"),
        "{stdout}"
    );
    // Nothing is staged inside the working directory.
    assert!(std::fs::read_dir(dir).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".amiq")
    }));

    // pyarrow reads the Hive layout straight from S3.
    let read = r#"
import json, sys
import pyarrow.dataset as ds
from pyarrow import fs
s3 = fs.S3FileSystem(endpoint_override=sys.argv[1], scheme="http", region="us-east-1",
                     access_key="AKIDEXPORTTEST", secret_key="export-secret-do-not-print")
d = ds.dataset("lake/inventory/amiq/current", filesystem=s3, format="parquet", partitioning="hive")
t = d.to_table()
keys = sorted(i.path for i in s3.get_file_info(fs.FileSelector("lake/inventory/amiq", recursive=True)) if i.type == fs.FileType.File)
print(json.dumps({"rows": t.num_rows, "regions": sorted(set(t.column("region").to_pylist())),
                  "columns": t.column_names, "keys": keys}))
"#;
    let first = python_s3(read, &endpoint);
    assert_eq!(first["rows"].as_i64(), Some(images));
    assert_eq!(
        first["regions"],
        serde_json::json!(["eu-west-1", "us-east-1"])
    );
    assert!(
        first["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "image_id")
    );
    let keys: Vec<String> = serde_json::from_value(first["keys"].clone()).unwrap();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k.starts_with("lake/inventory/amiq/current/region=")
                && k.contains("/account=")
                && k.ends_with(".parquet")),
        "{keys:?}"
    );

    // The same export again adds files beside the first ones, never over them.
    let out = amiq_s3(&args, dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second = python_s3(read, &endpoint);
    assert_eq!(second["rows"].as_i64(), Some(2 * images));
    let keys2: Vec<String> = serde_json::from_value(second["keys"].clone()).unwrap();
    assert_eq!(keys2.len(), 2 * keys.len());
    assert!(keys.iter().all(|k| keys2.contains(k)));

    // A malformed location is named before anything runs; an unreachable endpoint is
    // one clear error, without the secret.
    let out = amiq_s3(&["export", "--db", db, "--to", "s3://No_Such"], dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("s3://No_Such"), "{}", stderr(&out));
    let dead = format!("http://127.0.0.1:{}", free_port());
    let out = amiq_s3(
        &["export", "--db", db, "--to", to, "--endpoint-url", &dead],
        dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot export to s3://lake/inventory/amiq"),
        "{err}"
    );
    assert!(!err.contains("export-secret-do-not-print"), "{err}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
