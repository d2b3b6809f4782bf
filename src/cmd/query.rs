//! `amiq query`: analysts' SQL over the store, read-only.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::query::{AnalystConnection, Format, Limits, Output, QueryError, sink_for};

/// Arguments of `amiq query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The database file.
    #[arg(long, default_value = crate::config::DEFAULT_DB)]
    pub db: PathBuf,
    /// table (default), csv, json (an array of row objects) or parquet (needs --out).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read the SQL from this file ("-": stdin).
    #[arg(long, conflicts_with = "sql")]
    pub file: Option<PathBuf>,
    /// Rows a table shows.
    #[arg(long, default_value_t = 200)]
    pub max_rows: usize,
    /// DuckDB's memory limit for the query.
    #[arg(long, default_value = "1GB")]
    pub memory_limit: String,
    /// Stop the query after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// The SQL (one statement). Without it and without --file, read from stdin.
    pub sql: Option<String>,
}

/// Exit codes of `query` and `report`, documented in the README.
pub mod exit {
    /// The query was refused (it would write, read files, load extensions...).
    pub const REFUSED: u8 = 6;
    /// The query failed: SQL error, timeout or memory limit.
    pub const FAILED: u8 = 1;
}

pub fn run(args: &QueryArgs) -> ExitCode {
    let sql = match read_sql(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("amiq: {e}");
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
    };
    if args.format == Format::Parquet && args.out.is_none() {
        eprintln!("amiq: --format parquet writes a file: give --out FILE");
        return ExitCode::from(super::exit::BAD_CONFIG);
    }
    let limits = Limits {
        memory_limit: args.memory_limit.clone(),
        timeout: Duration::from_secs(args.timeout),
        ..Limits::default()
    };
    let result = AnalystConnection::open(&args.db, &limits).and_then(|conn| {
        let mut output = Output::new(args.out.as_deref())?;
        {
            let writer = output.writer()?;
            let mut sink = sink_for(args.format, writer, args.max_rows);
            conn.run(&sql, sink.as_mut())?;
        }
        output.commit()
    });
    report(result)
}

/// Turns a query's outcome into a message and an exit code.
pub fn report(result: Result<(), QueryError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(super::exit::OK),
        Err(QueryError::Store(e)) => super::report_store_error(&e),
        // A reader that went away (`| head`) is not an error of ours.
        Err(QueryError::Output { message, .. }) if message.contains("Broken pipe") => {
            ExitCode::from(super::exit::OK)
        }
        Err(e @ QueryError::Input(_)) => {
            eprintln!("amiq: {e}");
            ExitCode::from(super::exit::BAD_CONFIG)
        }
        Err(e @ QueryError::Refused(_)) => {
            eprintln!("amiq: {e}");
            ExitCode::from(exit::REFUSED)
        }
        Err(e) => {
            eprintln!("amiq: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn read_sql(args: &QueryArgs) -> Result<String, String> {
    let sql = match (&args.sql, &args.file) {
        (Some(sql), _) => sql.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => read_stdin()?,
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the SQL file {}: {e}", path.display()))?,
        (None, None) => read_stdin()?,
    };
    if sql.trim().is_empty() {
        return Err("no SQL given: pass it as an argument, with --file, or on stdin".into());
    }
    Ok(sql)
}

fn read_stdin() -> Result<String, String> {
    let mut sql = String::new();
    std::io::stdin()
        .read_to_string(&mut sql)
        .map_err(|e| format!("cannot read the SQL from stdin: {e}"))?;
    Ok(sql)
}
