//! The `amiq` binary as a user and a scheduled job meet it: exit codes and messages.

use std::process::Command;

use crate::support::{amiq, fake_ec2, stderr};

#[test]
fn bad_config_names_the_key_and_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "regions = [\"us-east-1\"]\nconcurency = 4\n",
            &["line 2", "concurency", "amiq.toml"],
        ),
        (
            "scopes = [\"owned\", \"mine\"]\n",
            &[
                "unknown scope \"mine\"",
                "owned, shared, amazon, marketplace",
            ],
        ),
        ("db = 5\n", &["line 1", "db"]),
    ];
    for (text, needles) in cases {
        std::fs::write(dir.path().join("amiq.toml"), text).unwrap();
        let out = amiq(&["sync", "--config", "amiq.toml"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
        let err = stderr(&out);
        for needle in *needles {
            assert!(err.contains(needle), "{text}: {err:?} lacks {needle:?}");
        }
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            !dir.path().join("amiq.duckdb").exists(),
            "nothing is created"
        );
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = amiq(&["sync", "--config", "nope.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

#[test]
fn a_bad_lock_timeout_is_named_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(["runs", "--db", "missing.duckdb"])
        .current_dir(dir.path())
        .env("AMIQ_LOCK_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("AMIQ_LOCK_TIMEOUT=\"soon\"") && err.contains("seconds"),
        "{err}"
    );
}

#[test]
fn runs_on_a_missing_store_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = amiq(&["runs", "--db", "missing.duckdb"], dir.path());
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(
        err.contains("missing.duckdb") && err.contains("amiq sync"),
        "{err}"
    );
}

#[test]
fn unreachable_endpoint_fails_partitions_with_exit_3_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("amiq.toml"),
        "regions = [\"us-east-1\"]\nendpoint_url = \"http://127.0.0.1:9\"\npage_timeout_secs = 2\n",
    )
    .unwrap();
    let out = amiq(
        &[
            "-vv",
            "sync",
            "--config",
            "amiq.toml",
            "--log-format",
            "text",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("failed: "), "{err}");
    assert!(!err.contains("cli-test-secret-value") && !stdout.contains("cli-test-secret-value"));
    // The failed run is in the ledger.
    let runs = amiq(&["runs", "--db", "amiq.duckdb"], dir.path());
    assert_eq!(runs.status.code(), Some(0), "{}", stderr(&runs));
    assert!(String::from_utf8_lossy(&runs.stdout).contains("failed"));
}

#[test]
fn demo_runs_the_main_job_without_aws() {
    let dir = tempfile::tempdir().unwrap();
    let out = amiq(&["demo", "--log-format", "text"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("run 1: completed"), "{stdout}");
    assert!(stdout.contains("run 2: completed"), "{stdout}");
    assert!(stdout.contains("amiq runs --db"), "{stdout}");
    assert!(dir.path().join("amiq-demo.duckdb").exists());
    let runs = amiq(
        &["runs", "--db", "amiq-demo.duckdb", "--partitions"],
        dir.path(),
    );
    assert_eq!(runs.status.code(), Some(0));
    let table = String::from_utf8_lossy(&runs.stdout);
    assert!(
        table.contains("completed") && table.contains("amazon"),
        "{table}"
    );
    describe_images_answers_from_the_demo_store(dir.path());
}

fn describe_images_answers_from_the_demo_store(dir: &std::path::Path) {
    let db = "amiq-demo.duckdb";
    let base = [
        "describe-images",
        "--db",
        db,
        "--account",
        "prod",
        "--region",
        "us-east-1",
    ];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        amiq(&args, dir)
    };
    // The AWS CLI's JSON, reduced by a JMESPath query.
    let out = run(&["--owners", "self", "--query", "Images[].ImageId"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !ids.is_empty() && ids.iter().all(|i| i.starts_with("ami-")),
        "{ids:?}"
    );
    assert!(
        stderr(&out).is_empty(),
        "owned listings are synced: {}",
        stderr(&out)
    );
    // Shorthand filters; every answer matches them.
    let out = run(&[
        "--owners",
        "self",
        "--filters",
        "Name=architecture,Values=arm64",
        "Name=state,Values=available,pending",
        "--query",
        "Images[].[Architecture,State]",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.iter()
            .all(|(a, s)| a == "arm64" && (s == "available" || s == "pending")),
        "{rows:?}"
    );
    // One page with a token, then the rest from it.
    let out = run(&["--owners", "amazon", "--max-results", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["Images"].as_array().unwrap().len(), 5);
    let token = page["NextToken"].as_str().unwrap().to_string();
    let out = run(&[
        "--owners",
        "amazon",
        "--max-results",
        "5",
        "--starting-token",
        &token,
    ]);
    let next: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(next["Images"][0]["ImageId"], page["Images"][0]["ImageId"]);
    // EC2's errors, one line, exit 254.
    for (args, code) in [
        (
            &["--filters", "Name=colour,Values=red"][..],
            "InvalidParameterValue",
        ),
        (
            &["--image-ids", "ami-12345678", "--max-results", "5"][..],
            "InvalidParameterCombination",
        ),
        (&["--image-ids", "nope"][..], "InvalidAMIID.Malformed"),
        (
            &["--owners", "amazon", "--starting-token", "garbage"][..],
            "InvalidParameterValue",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("({code})")),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).trim().lines().count(), 1);
    }
    // Public images were never synced: a plain question warns, and --strict exits 5.
    let out = run(&["--strict", "--query", "length(Images)"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("`public`"), "{}", stderr(&out));
    // Bad arguments of ours: exit 2, naming the argument.
    let out = run(&["--filters", "Name=name,Vals=x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--filters"), "{}", stderr(&out));
    let out = run(&["--query", "Images[?"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--query"), "{}", stderr(&out));
    let out = amiq(&["describe-images", "--db", db, "--account", "nobody"], dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("prod ("), "{}", stderr(&out));
}

fn one_account_config(port: u16) -> String {
    format!(
        "regions = [\"us-east-1\"]\nscopes = [\"owned\"]\nmax_results = 100\nendpoint_url = \"http://127.0.0.1:{port}\"\n\n[[accounts]]\nrole_arn = \"arn:aws:iam::111111111111:role/Inventory\"\n"
    )
}

#[test]
fn sigterm_stops_a_sync_with_exit_130_and_the_next_run_completes() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    // 2,000 images at 100 a page and 200 ms a page: 4 s for the partition.
    let (mut fake, port) = fake_ec2(&["--owned", "2000", "--latency-ms", "200"]);
    std::fs::write(dir.path().join("amiq.toml"), one_account_config(port)).unwrap();
    let sync = || {
        Command::new(env!("CARGO_BIN_EXE_amiq"))
            .args(["sync", "--config", "amiq.toml", "--log-format", "text"])
            .current_dir(dir.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
            .env("AWS_SECRET_ACCESS_KEY", "cli-test-secret-value")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let child = sync();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped_at = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stopped_at.elapsed() < Duration::from_secs(3),
        "stops promptly"
    );
    let runs = amiq(&["runs", "--db", "amiq.duckdb"], dir.path());
    assert!(
        String::from_utf8_lossy(&runs.stdout).contains("interrupted"),
        "{}",
        String::from_utf8_lossy(&runs.stdout)
    );
    // Nothing of the abandoned partition was stored.
    let count = || {
        let store =
            amiq::store::Store::open_read(&dir.path().join("amiq.duckdb"), &Default::default())
                .unwrap();
        store
            .connection()
            .query_row("SELECT count(*) FROM images", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    assert_eq!(count(), 0);
    let out = sync().wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(count(), 2000);
    let _ = fake.kill();
    let _ = fake.wait();
}

#[test]
fn the_daemon_syncs_on_schedule_skips_overlaps_exports_and_stops_on_sigterm() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    // A bad schedule is refused before anything starts.
    std::fs::write(dir.path().join("amiq.toml"), one_account_config(9)).unwrap();
    let out = amiq(
        &[
            "daemon",
            "--config",
            "amiq.toml",
            "--schedule",
            "every hour",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"every hour\""), "{}", stderr(&out));
    assert!(!dir.path().join("amiq.duckdb").exists());

    // 600 images at 100 a page and 400 ms a page: a run takes about 2.5 s, longer than
    // the one-second schedule, so scheduled instants pass during runs.
    let (mut fake, port) = fake_ec2(&["--owned", "600", "--latency-ms", "400"]);
    std::fs::write(dir.path().join("amiq.toml"), one_account_config(port)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args([
            "daemon",
            "--config",
            "amiq.toml",
            "--schedule",
            "* * * * * *",
        ])
        .args(["--log-format", "text", "--export-to", "lake"])
        .current_dir(dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "cli-test-secret-value")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(9));
    // Readers keep working while the daemon runs.
    let q = amiq(
        &[
            "query",
            "--db",
            "amiq.duckdb",
            "SELECT count(*) FROM sync_runs",
        ],
        dir.path(),
    );
    assert_eq!(q.status.code(), Some(0), "{}", stderr(&q));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = amiq(
        &[
            "query",
            "--db",
            "amiq.duckdb",
            "--format",
            "json",
            "SELECT status, count(*) AS n FROM sync_runs GROUP BY status",
        ],
        dir.path(),
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&runs.stdout).unwrap();
    let n = |status: &str| {
        rows.iter()
            .find(|r| r["status"] == status)
            .map_or(0, |r| r["n"].as_i64().unwrap())
    };
    assert!(n("completed") >= 2, "{rows:?}");
    assert!(n("skipped") >= 1, "{rows:?}");
    assert_eq!(n("running"), 0, "no run is left half-done: {rows:?}");
    // Each successful run exported the inventory in a Hive-style layout.
    let files: Vec<_> = walk(&dir.path().join("lake/current"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert!(!files.is_empty());
    assert!(
        files.iter().all(|f| f
            .to_string_lossy()
            .contains("region=us-east-1/account=111111111111")),
        "{files:?}"
    );
    let _ = fake.kill();
    let _ = fake.wait();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A sync at the most verbose level (every crate's trace, in both log formats), with
/// recognisable credentials in the environment and from the endpoint's AssumeRole:
/// no secret key or session token appears in the output or in the store.
#[test]
fn no_secret_reaches_the_logs_or_the_store_at_the_most_verbose_level() {
    let dir = tempfile::tempdir().unwrap();
    let (mut fake, port) = fake_ec2(&["--owned", "250"]);
    std::fs::write(dir.path().join("amiq.toml"), one_account_config(port)).unwrap();
    let secrets = [
        // The caller's own, from the environment.
        "probe-secret-key-7f3a9c1e",
        "probe-session-token-5d2e8b44",
        // The role's, from the endpoint's AssumeRole answer (crates/fake-ec2/src/sts.rs).
        "amiqFakeSecretKey/",
        "AmiqFakeSessionToken/",
    ];
    for format in ["text", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_amiq"))
            .args([
                "-vv",
                "sync",
                "--config",
                "amiq.toml",
                "--log-format",
                format,
            ])
            .current_dir(dir.path())
            .env("AMIQ_LOG", "trace")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "AKIAPROBEPROBEPROBE1")
            .env("AWS_SECRET_ACCESS_KEY", secrets[0])
            .env("AWS_SESSION_TOKEN", secrets[1])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The trace really is on: the SDK's own request handling is logged.
        assert!(printed.contains("TRACE"), "{format}: no trace lines");
        assert!(printed.contains("aws_smithy"), "{format}: no SDK lines");
        for secret in secrets {
            assert!(
                !printed.contains(secret),
                "{format} logs contain {secret:?}"
            );
        }
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{} contains {secret:?}",
                    path.display()
                );
            }
        }
    }
    let _ = fake.kill();
    let _ = fake.wait();
}
