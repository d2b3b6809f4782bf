//! Runs awscli's formatters through `tests/awscli/reference.py` and compares their
//! output with `awscli_output`, byte for byte.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use awscli_output as cli_output;
use serde_json::{Value, json};

/// Number of outputs compared so far by this test binary.
pub static COMPARED: AtomicUsize = AtomicUsize::new(0);
/// Number of those for which awscli raised (and only its partial stdout was compared).
pub static RAISED: AtomicUsize = AtomicUsize::new(0);

/// The Python interpreter: `$PYTHON`, or `python3`.
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

pub fn driver_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/awscli/reference.py")
}

fn awscli_importable() -> bool {
    Command::new(python())
        .args(["-c", "import awscli.formatter, awscli.table, awscli.text"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs awscli with pip when it cannot be imported.
pub fn ensure_awscli() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if awscli_importable() {
            return;
        }
        let status = Command::new(python())
            .args(["-m", "pip", "install", "--quiet", "awscli"])
            .status()
            .expect("running pip");
        assert!(status.success(), "pip install awscli failed: {status}");
        assert!(
            awscli_importable(),
            "awscli still cannot be imported after pip install"
        );
    });
}

/// What awscli printed, and the exception it raised if any.
#[derive(Debug, Clone)]
pub struct Answer {
    pub output: String,
    pub raised: Option<String>,
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start() -> Server {
        ensure_awscli();
        let mut child = Command::new(python())
            .arg(driver_path())
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting tests/awscli/reference.py --serve");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Server {
            child,
            stdin,
            stdout,
        }
    }

    fn ask(&mut self, request: &Value) -> Answer {
        let mut line = serde_json::to_string(request).unwrap();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .expect("writing to reference.py");
        self.stdin.flush().unwrap();
        let mut head = String::new();
        self.stdout
            .read_line(&mut head)
            .expect("reading reference.py");
        let (status, len) = head
            .trim_end()
            .split_once(' ')
            .unwrap_or_else(|| panic!("bad answer from reference.py: {head:?}"));
        let mut data = vec![0; len.parse().unwrap()];
        self.stdout.read_exact(&mut data).unwrap();
        Answer {
            output: String::from_utf8(data).expect("reference output is UTF-8"),
            raised: status.strip_prefix("raised:").map(str::to_string),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server() -> MutexGuard<'static, Server> {
    static SERVER: OnceLock<Mutex<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| Mutex::new(Server::start()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn reference_text(value: &Value) -> Answer {
    server().ask(&json!({"mode": "text", "value": value}))
}

pub fn reference_table(value: &Value, title: &str, width: usize) -> Answer {
    server().ask(&json!({"mode": "table", "value": value, "title": title, "width": width}))
}

/// Runs the driver once in its command-line mode (not `--serve`).
pub fn reference_oneshot(args: &[&str], value: &Value) -> (Vec<u8>, bool) {
    ensure_awscli();
    let mut child = Command::new(python())
        .arg(driver_path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting tests/awscli/reference.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(value.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (out.stdout, out.status.success())
}

/// A message locating the first difference between two outputs.
pub fn mismatch(what: &str, input: &Value, expected: &str, actual: &str) -> String {
    let exp: Vec<&str> = expected.split_inclusive('\n').collect();
    let act: Vec<&str> = actual.split_inclusive('\n').collect();
    let line = exp
        .iter()
        .zip(&act)
        .position(|(e, a)| e != a)
        .unwrap_or(exp.len().min(act.len()));
    format!(
        "{what} differs from awscli at line {}\ninput: {input}\n\
         awscli line: {:?}\nrust line:   {:?}\n--- awscli ---\n{expected}--- rust ---\n{actual}",
        line + 1,
        exp.get(line),
        act.get(line),
    )
}

fn record(answer: &Answer) {
    COMPARED.fetch_add(1, Ordering::Relaxed);
    if answer.raised.is_some() {
        RAISED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Compares `cli_output::text` with awscli; returns the mismatch, if any.
pub fn compare_text(value: &Value) -> Result<Answer, String> {
    let expected = reference_text(value);
    record(&expected);
    let actual = cli_output::text(value);
    if actual == expected.output {
        Ok(expected)
    } else {
        Err(mismatch("text", value, &expected.output, &actual))
    }
}

/// Compares `cli_output::table` with awscli; returns the mismatch, if any.
pub fn compare_table(value: &Value, title: &str, width: usize) -> Result<Answer, String> {
    let expected = reference_table(value, title, width);
    record(&expected);
    let actual = cli_output::table(value, title, width);
    if actual == expected.output {
        Ok(expected)
    } else {
        let what = format!("table (title {title:?}, width {width})");
        Err(mismatch(&what, value, &expected.output, &actual))
    }
}

pub fn check_text(value: &Value) -> Answer {
    compare_text(value).unwrap_or_else(|msg| panic!("{msg}"))
}

pub fn check_table(value: &Value, title: &str, width: usize) -> Answer {
    compare_table(value, title, width).unwrap_or_else(|msg| panic!("{msg}"))
}

pub fn report(test: &str) {
    eprintln!(
        "{test}: {} outputs compared with awscli so far in this binary ({} where awscli raised)",
        COMPARED.load(Ordering::Relaxed),
        RAISED.load(Ordering::Relaxed)
    );
}
