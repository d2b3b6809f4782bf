//! `amiq report <name>`: deprecation, last-launched, changes, summary, cleanup, posture.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::query::{AnalystConnection, Format, Limits, Output, QueryError, sink_for};
use crate::report::{self, DEFAULT_ARCHIVE_RATE, DEFAULT_SNAPSHOT_RATE, ReportName, ReportRequest};
use crate::store::AsOf;
use crate::store::selection::{self, SelectionError};

/// Arguments of `amiq report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum)]
    pub name: ReportName,
    /// The database file.
    #[arg(long, default_value = crate::config::DEFAULT_DB)]
    pub db: PathBuf,
    /// Only this account: its id, or its configured or organization name.
    #[arg(long)]
    pub account: Option<String>,
    /// Only the accounts in this organizational unit as of the report's instant, at any
    /// depth: its id (ou-..., r-...), name or path (Root/Production).
    #[arg(long)]
    pub ou: Option<String>,
    /// Only this region.
    #[arg(long)]
    pub region: Option<String>,
    /// The instant reported on: a time, a date or a run id; default now.
    #[arg(long, default_value = "now")]
    pub as_of: AsOf,
    /// `deprecation`: the window ahead, e.g. 30d.
    #[arg(long, default_value = "30d", value_parser = parse_days)]
    pub within: i32,
    /// `last-launched`: not launched for this long, e.g. 90d.
    #[arg(long, default_value = "90d", value_parser = parse_days)]
    pub older_than: i32,
    /// `last-launched`, `cleanup`: snapshot storage in dollars per GiB-month.
    #[arg(long, default_value_t = DEFAULT_SNAPSHOT_RATE)]
    pub rate: f64,
    /// `cleanup`: archive-tier snapshot storage in dollars per GiB-month.
    #[arg(long, default_value_t = DEFAULT_ARCHIVE_RATE)]
    pub archive_rate: f64,
    /// `changes`, `posture`: from this run id or time.
    #[arg(long)]
    pub since: Option<AsOf>,
    /// `changes`: until this run id or time (default now).
    #[arg(long)]
    pub until: Option<AsOf>,
    /// table (default), csv, json, parquet or html.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// With csv, json or parquet: which section (1 = the first).
    #[arg(long, default_value_t = 1)]
    pub section: usize,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Rows a table shows.
    #[arg(long, default_value_t = 200)]
    pub max_rows: usize,
}

/// Report formats: the query formats plus an HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
    Parquet,
    Html,
}

/// `30d`, `12h`, `2w` or a plain number of days.
fn parse_days(s: &str) -> Result<i32, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "d"),
    };
    let n: i32 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 30d, 2w or 12h"))?;
    match unit {
        "d" => Ok(n),
        "w" => Ok(n * 7),
        "h" => Ok((n + 23) / 24),
        _ => Err(format!("{s:?}: use d (days), w (weeks) or h (hours)")),
    }
}

pub fn run(args: &ReportArgs) -> ExitCode {
    if args.name == ReportName::Changes && args.since.is_none() {
        eprintln!("amiq: report changes needs --since RUN|TIME");
        return ExitCode::from(super::exit::BAD_CONFIG);
    }
    if args.format == ReportFormat::Parquet && args.out.is_none() {
        eprintln!("amiq: --format parquet writes a file: give --out FILE");
        return ExitCode::from(super::exit::BAD_CONFIG);
    }
    let limits = Limits {
        timeout: Duration::from_secs(600),
        ..Limits::default()
    };
    let result = (|| -> Result<(), QueryError> {
        let conn = AnalystConnection::open(&args.db, &limits)?;
        let instant = |a: &AsOf| {
            conn.store().instant(a).map_err(|e| match e {
                crate::store::AsOfError::Store(s) => QueryError::Store(s),
                unknown => QueryError::Sql(unknown.to_string()),
            })
        };
        let as_of = match (&args.name, &args.until) {
            (ReportName::Changes, Some(until)) => instant(until)?,
            _ => instant(&args.as_of)?,
        };
        let since = match &args.since {
            Some(s) => Some(instant(s)?),
            None => None,
        };
        let accounts = selection::select_accounts(
            conn.store(),
            args.account.as_deref(),
            args.ou.as_deref(),
            as_of,
        )
        .map_err(|e| match e {
            SelectionError::Store(s) => QueryError::Store(s),
            SelectionError::Input(message) => QueryError::Input(message),
        })?;
        let request = ReportRequest {
            accounts,
            region: args.region.clone(),
            as_of,
            within_days: args.within,
            older_than_days: args.older_than,
            snapshot_rate: args.rate,
            archive_rate: args.archive_rate,
            since,
        };
        let mut output = Output::new(args.out.as_deref())?;
        {
            let mut writer = output.writer()?;
            match args.format {
                ReportFormat::Html => {
                    let context = format!(
                        "as of {}, store {}",
                        as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        args.db.display()
                    );
                    let page = report::html_page(&conn, args.name, &request, &context)?;
                    writer
                        .write_all(page.as_bytes())
                        .and_then(|_| writer.flush())
                        .map_err(|e| QueryError::Output {
                            path: args.out.clone().unwrap_or_else(|| "stdout".into()),
                            message: e.to_string(),
                        })?;
                }
                ReportFormat::Table => {
                    for section in report::sections(args.name, &request) {
                        writeln!(writer, "{}", section.title).map_err(|e| QueryError::Output {
                            path: "stdout".into(),
                            message: e.to_string(),
                        })?;
                        let mut sink =
                            sink_for(Format::Table, Box::new(&mut writer), args.max_rows);
                        conn.run_with(section.sql, &section.params, sink.as_mut())?;
                    }
                }
                format => {
                    let format = match format {
                        ReportFormat::Csv => Format::Csv,
                        ReportFormat::Json => Format::Json,
                        _ => Format::Parquet,
                    };
                    let sections = report::sections(args.name, &request);
                    let count = sections.len();
                    let section = sections
                        .into_iter()
                        .nth(args.section.saturating_sub(1))
                        .ok_or_else(|| {
                            QueryError::Sql(format!(
                                "--section {}: this report has {count} section(s)",
                                args.section
                            ))
                        })?;
                    let mut sink = sink_for(format, writer, args.max_rows);
                    conn.run_with(section.sql, &section.params, sink.as_mut())?;
                }
            }
        }
        output.commit()
    })();
    super::query::report(result)
}

#[cfg(test)]
mod tests {
    use super::parse_days;

    #[test]
    fn durations_read_as_days() {
        assert_eq!(parse_days("30d"), Ok(30));
        assert_eq!(parse_days("2w"), Ok(14));
        assert_eq!(parse_days("12h"), Ok(1));
        assert_eq!(parse_days("45"), Ok(45));
        assert!(parse_days("3 months").is_err());
        assert!(parse_days("d").is_err());
    }
}
