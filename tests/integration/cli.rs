//! The `amiq` binary as a user and a scheduled job meet it: exit codes and messages.

use std::process::{Command, Output};

fn amiq(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(args)
        .current_dir(dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "cli-test-secret-value")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run amiq")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

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
}
