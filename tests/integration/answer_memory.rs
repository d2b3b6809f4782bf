//! Peak memory of `amiq describe-images` against the size of its answer: each question,
//! answered with about 11,000 images and with 100,000 from stores of the same size,
//! peaks within a bound.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{amiq, fake_ec2};

/// DuckDB's memory limit for every question: its buffers may grow up to it with the
/// answer (the answer's rows, the views joined to them), and no further.
const DUCKDB_LIMIT_MIB: f64 = 64.0;
/// What more images may add beyond DuckDB's buffers: a batch is 2048 rows at any size,
/// the index that puts a long answer in order takes 16 bytes an image (1.4 MiB here),
/// and the allocators keep some slack. The design that held the whole answer as JSON
/// grew by about 1.5 GB per 100,000 images for text, over 2 GB for --query.
const GROWTH_BOUND_MIB: f64 = DUCKDB_LIMIT_MIB + 24.0;

/// The stores: as many images each (so DuckDB reads tables of one size), the caller
/// owning a ninth of them in one and all of them in the other.
const SMALL: Store = Store {
    accounts: 9,
    owned: 11_111,
};
const LARGE: Store = Store {
    accounts: 1,
    owned: 100_000,
};

#[derive(Clone, Copy)]
struct Store {
    accounts: u64,
    owned: u64,
}

/// What a question's output holds, checked cheaply (the table's output is 850 MB).
enum Holds {
    /// This needle once per image in the answer.
    EachImage(&'static str),
    /// The number of images in the answer, which the other questions are checked against.
    Count,
    /// This needle exactly once.
    Once(&'static str),
}

/// The questions, as describe-images arguments after the store, account and region.
const QUESTIONS: &[(&[&str], Holds)] = &[
    (&["--output", "json"], Holds::EachImage("\"ImageId\"")),
    (&["--output", "text"], Holds::EachImage("\nIMAGES\t")),
    (&["--output", "table"], Holds::EachImage("\n||  ImageId ")),
    (
        &["--query", "Images[].ImageId", "--output", "text"],
        Holds::EachImage("ami-"),
    ),
    (&["--query", "length(Images)"], Holds::Count),
    (
        &["--query", "sort_by(Images,&CreationDate)[-1].ImageId"],
        Holds::Once("\"ami-"),
    ),
];

/// One describe-images process: its own peak RSS and what its output held.
struct Answer {
    rss_kib: libc::c_long,
    bytes: u64,
    hits: u64,
    head: String,
}

#[test]
fn describe_images_peak_memory_does_not_grow_with_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let small = store(dir.path(), SMALL);
    let large = store(dir.path(), LARGE);
    let small = answers(dir.path(), &small, SMALL.owned);
    let large = answers(dir.path(), &large, LARGE.owned);

    eprintln!(
        "describe-images peak RSS (MiB), answers of {} and {} images:",
        SMALL.owned, LARGE.owned
    );
    eprintln!(
        "{:<58} {:>8} {:>8} {:>8} {:>12}",
        "question", "small", "large", "growth", "large bytes"
    );
    let mib = |kib: libc::c_long| kib as f64 / 1024.0;
    for (((args, _), s), l) in QUESTIONS.iter().zip(&small).zip(&large) {
        eprintln!(
            "{:<58} {:>8.1} {:>8.1} {:>8.1} {:>12}",
            args.join(" "),
            mib(s.rss_kib),
            mib(l.rss_kib),
            mib(l.rss_kib - s.rss_kib),
            l.bytes
        );
    }
    for (((args, _), s), l) in QUESTIONS.iter().zip(&small).zip(&large) {
        let growth = mib(l.rss_kib - s.rss_kib);
        assert!(
            growth < GROWTH_BOUND_MIB,
            "{}: peak RSS {:.1} MiB answering {} images, {:.1} MiB answering {}: grew {growth:.1} MiB (bound {GROWTH_BOUND_MIB})",
            args.join(" "),
            mib(s.rss_kib),
            SMALL.owned,
            mib(l.rss_kib),
            LARGE.owned,
        );
    }
}

#[test]
fn a_failing_temporary_file_or_memory_limit_is_an_error_not_a_short_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(
        dir.path(),
        Store {
            accounts: 1,
            owned: 70_000,
        },
    );
    // Over 65,536 images of every member: put in order through a temporary file.
    let out = Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(["describe-images", "--db", db.to_str().unwrap()])
        .args(["--account", "111111111111", "--region", "us-east-1"])
        .env("TMPDIR", dir.path().join("no-such-directory"))
        .current_dir(dir.path())
        .output()
        .expect("run amiq");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("TMPDIR"), "{said}");
    assert!(out.stdout.is_empty(), "a short answer was printed: {out:?}");

    // DuckDB out of its memory limit: the message names the flag that raises it.
    let out = Command::new(env!("CARGO_BIN_EXE_amiq"))
        .args(["describe-images", "--db", db.to_str().unwrap()])
        .args(["--account", "111111111111", "--region", "us-east-1"])
        .args(["--memory-limit", "4MB"])
        .current_dir(dir.path())
        .output()
        .expect("run amiq");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("raise it (--memory-limit"), "{said}");
}

/// A store of `store.accounts` accounts owning `store.owned` images each in us-east-1,
/// synced from the fake endpoint.
fn store(dir: &Path, store: Store) -> PathBuf {
    let name = format!("{}x{}", store.accounts, store.owned);
    let (mut fake, port) = fake_ec2(&[
        "--owned",
        &store.owned.to_string(),
        "--accounts",
        &store.accounts.to_string(),
    ]);
    let db = dir.join(format!("{name}.duckdb"));
    let config = format!("{name}.toml");
    let mut text = format!(
        "db = \"{}\"\nregions = [\"us-east-1\"]\nscopes = [\"owned\"]\nmax_results = 1000\nendpoint_url = \"http://127.0.0.1:{port}\"\n",
        db.display()
    );
    // The fake's accounts are 111111111111, 222222222222, ...
    for account in 1..=store.accounts {
        text.push_str(&format!(
            "\n[[accounts]]\nrole_arn = \"arn:aws:iam::{}:role/Inventory\"\n",
            111_111_111_111 * account
        ));
    }
    std::fs::write(dir.join(&config), text).unwrap();
    let out = amiq(&["sync", "--config", &config, "--log-format", "text"], dir);
    let _ = fake.kill();
    let _ = fake.wait();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// Every question asked of `db`, its output checked against what it holds.
fn answers(dir: &Path, db: &Path, images: u64) -> Vec<Answer> {
    let answers: Vec<Answer> = QUESTIONS
        .iter()
        .map(|(args, holds)| {
            let needle = match holds {
                Holds::EachImage(n) | Holds::Once(n) => *n,
                // Any needle: the count is read from the output's head.
                Holds::Count => "\n",
            };
            let mut all = vec![
                "describe-images",
                "--db",
                db.to_str().unwrap(),
                "--account",
                "111111111111",
                "--region",
                "us-east-1",
                "--memory-limit",
                "64MB",
            ];
            all.extend_from_slice(args);
            describe(dir, &all, needle.as_bytes())
        })
        .collect();
    let count = QUESTIONS
        .iter()
        .zip(&answers)
        .find(|((_, holds), _)| matches!(holds, Holds::Count))
        .map(|(_, a)| a.head.trim().parse::<u64>())
        .unwrap()
        .expect("length(Images) is a number");
    // Most of the caller's images are in the answer (disabled ones are not).
    assert!(
        count > images / 2 && count <= images,
        "{count} of {images} images"
    );
    for ((args, holds), a) in QUESTIONS.iter().zip(&answers) {
        let want = match holds {
            Holds::EachImage(_) => count,
            Holds::Once(_) => 1,
            Holds::Count => continue,
        };
        assert_eq!(
            a.hits,
            want,
            "{} on {images} images: {:?}",
            args.join(" "),
            a.head
        );
    }
    answers
}

/// Runs amiq with `args` in `dir` and returns its own peak RSS (ru_maxrss from wait4, so
/// that no other child of this test process counts) and its output, read as it comes.
///
/// amiq is forked by a shell, not by this process: a child's ru_maxrss starts at its
/// parent's RSS (fork copies it, and the exec after posix_spawn records the parent's
/// peak), and this process holds other tests' stores. The shell prints amiq's pid and
/// exits; this process, a subreaper, then inherits amiq and reaps it. (amiq runs far
/// longer than the shell's `echo`, so the shell never reaps it first.)
fn describe(dir: &Path, args: &[&str], needle: &[u8]) -> Answer {
    // SAFETY: prctl with an integer argument; it touches no memory of ours.
    let subreaper = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong) };
    assert_eq!(subreaper, 0, "prctl: {}", std::io::Error::last_os_error());
    let stderr = dir.join("describe.stderr");
    let mut sh = Command::new("sh")
        .args(["-c", r#"err=$1; shift; "$@" 2>"$err" & echo $! >&2"#, "sh"])
        .arg(&stderr)
        .arg(env!("CARGO_BIN_EXE_amiq"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sh");
    // Read in a thread: the output can be far larger than a pipe holds.
    let (stdout, needle) = (sh.stdout.take().unwrap(), needle.to_vec());
    let reader = std::thread::spawn(move || scan(stdout, needle));
    let mut pid = String::new();
    sh.stderr.take().unwrap().read_to_string(&mut pid).unwrap();
    assert!(sh.wait().unwrap().success(), "sh: {pid}");
    let pid: libc::pid_t = pid.trim().parse().expect("amiq's pid");

    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pointers to a live int and rusage.
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::Interrupted,
            "wait4 {pid}: {e}"
        );
    }
    let (bytes, hits, head) = reader.join().unwrap();
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?}: wait status {status}: {said}"
    );
    assert!(bytes > 0, "{args:?}: no output: {said}");
    Answer {
        rss_kib: usage.ru_maxrss,
        bytes,
        hits,
        head: String::from_utf8_lossy(&head).into_owned(),
    }
}

/// An output's size in bytes, the occurrences of `needle` in it and its first 64 bytes.
/// It is read as if it began with a newline, so that a needle that starts a line
/// ("\nIMAGES\t") is found on the first line too.
fn scan(mut out: impl Read, needle: Vec<u8>) -> (u64, u64, Vec<u8>) {
    let needle = needle.as_slice();
    let (mut bytes, mut hits, mut head) = (0, 0, Vec::new());
    let mut chunk = vec![0; 1 << 16];
    let mut window = b"\n".to_vec();
    loop {
        let n = out.read(&mut chunk).expect("read amiq's output");
        if n == 0 {
            return (bytes, hits, head);
        }
        bytes += n as u64;
        head.extend_from_slice(&chunk[..n.min(64 - head.len())]);
        window.extend_from_slice(&chunk[..n]);
        hits += window
            .windows(needle.len())
            .filter(|w| w[0] == needle[0] && *w == needle)
            .count() as u64;
        // Less than a needle is kept: one cut by the chunk's end is found once, with the next.
        let seen = window.len().saturating_sub(needle.len() - 1);
        window.drain(..seen);
    }
}
