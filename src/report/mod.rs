//! Reports: fixed questions over the store, each a few sections of SQL in
//! `sql/reports/`, run read-only like analysts' queries, printed as tables or written
//! as CSV, JSON, Parquet, or a self-contained HTML page with a chart.

use chrono::{DateTime, Utc};
use duckdb::types::Value;

use crate::query::{AnalystConnection, QueryError, Sink};

/// The reports there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportName {
    /// Deprecated images, deprecations coming within --within, images launched after
    /// their deprecation, shared images their owners deprecated.
    Deprecation,
    /// Own images never launched or not launched for --older-than, by name family,
    /// with their snapshot storage and its monthly cost.
    LastLaunched,
    /// Images added, gone and changed (field by field) between --since and --until.
    Changes,
    /// Counts by account, region, scope, state, owner alias and architecture, and the
    /// last successful sync of each listing with its age.
    Summary,
    /// Every own image: in use (by what, where), idle, or unknown (why), with the
    /// snapshot storage deregistering the idle ones would free (needs the references
    /// dataset; instances and snapshots sharpen it).
    Cleanup,
    /// Per account and region: Allowed AMIs and image block public access, public own
    /// images, live instances on deprecated, disabled, not allowed or deregistered
    /// images, recycle-bin images; with --since, the guardrails' changes.
    Posture,
}

/// What a report is asked about.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// Only these accounts (ids, from `--account` and `--ou`); None: every account.
    pub accounts: Option<Vec<String>>,
    pub region: Option<String>,
    pub as_of: DateTime<Utc>,
    /// `deprecation`: the window ahead, in days.
    pub within_days: i32,
    /// `last-launched`: how long unlaunched counts as stale, in days.
    pub older_than_days: i32,
    /// `last-launched`, `cleanup`: dollars per GiB-month of snapshot storage.
    pub snapshot_rate: f64,
    /// `cleanup`: dollars per GiB-month of archive-tier snapshot storage.
    pub archive_rate: f64,
    /// `changes`: the earlier instant (the later is `as_of`).
    pub since: Option<DateTime<Utc>>,
}

/// EBS snapshot storage, standard tier, us-east-1, dollars per GiB-month.
pub const DEFAULT_SNAPSHOT_RATE: f64 = 0.05;
/// EBS snapshot storage, archive tier, us-east-1, dollars per GiB-month.
pub const DEFAULT_ARCHIVE_RATE: f64 = 0.0125;

/// One section of a report: a title and its query.
pub struct Section {
    pub title: &'static str,
    pub sql: &'static str,
    pub params: Vec<Value>,
}

/// A chart of a report's HTML page: its query returns (category, series, value) rows.
pub struct ChartQuery {
    pub title: &'static str,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub sql: &'static str,
    pub params: Vec<Value>,
}

fn text(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

/// The accounts as one parameter: ids joined by commas (the SQL splits them), or NULL.
fn accounts(v: &Option<Vec<String>>) -> Value {
    v.as_ref()
        .map_or(Value::Null, |ids| Value::Text(ids.join(",")))
}

/// The sections of `name` for `request`.
pub fn sections(name: ReportName, r: &ReportRequest) -> Vec<Section> {
    let t = Value::BigInt(r.as_of.timestamp_micros());
    let base = || vec![t.clone(), accounts(&r.accounts), text(&r.region)];
    match name {
        ReportName::Deprecation => vec![Section {
            title: "Deprecation",
            sql: include_str!("../../sql/reports/deprecation.sql"),
            params: [base(), vec![Value::Int(r.within_days)]].concat(),
        }],
        ReportName::LastLaunched => vec![Section {
            title: "Images not launched recently, by name family",
            sql: include_str!("../../sql/reports/last_launched.sql"),
            params: [
                base(),
                vec![
                    Value::Int(r.older_than_days),
                    Value::Double(r.snapshot_rate),
                ],
            ]
            .concat(),
        }],
        ReportName::Changes => vec![Section {
            title: "Changes",
            sql: include_str!("../../sql/reports/changes.sql"),
            params: vec![
                Value::BigInt(r.since.unwrap_or(r.as_of).timestamp_micros()),
                t.clone(),
                accounts(&r.accounts),
                text(&r.region),
            ],
        }],
        ReportName::Cleanup => {
            let params = [
                base(),
                vec![
                    Value::Double(r.snapshot_rate),
                    Value::Double(r.archive_rate),
                ],
            ]
            .concat();
            vec![
                Section {
                    title: "Own images: verdict, evidence and reclaimable snapshot storage",
                    sql: include_str!("../../sql/reports/cleanup.sql"),
                    params: params.clone(),
                },
                Section {
                    title: "Totals (each snapshot counted once)",
                    sql: include_str!("../../sql/reports/cleanup_totals.sql"),
                    params,
                },
            ]
        }
        ReportName::Posture => vec![
            Section {
                title: "Image guardrails and what runs against them",
                sql: include_str!("../../sql/reports/posture.sql"),
                params: base(),
            },
            Section {
                title: "Guardrail changes",
                sql: include_str!("../../sql/reports/posture_changes.sql"),
                params: vec![
                    Value::BigInt(r.since.map_or(0, |s| s.timestamp_micros())),
                    t.clone(),
                    accounts(&r.accounts),
                    text(&r.region),
                ],
            },
        ],
        ReportName::Summary => vec![
            Section {
                title: "Images",
                sql: include_str!("../../sql/reports/summary_counts.sql"),
                params: base(),
            },
            Section {
                title: "Last successful sync per listing",
                sql: include_str!("../../sql/reports/summary_syncs.sql"),
                params: base(),
            },
        ],
    }
}

/// The charts of `name`'s HTML page.
pub fn charts(name: ReportName, r: &ReportRequest) -> Vec<ChartQuery> {
    let base = || {
        vec![
            Value::BigInt(r.as_of.timestamp_micros()),
            accounts(&r.accounts),
            text(&r.region),
        ]
    };
    match name {
        ReportName::Deprecation => vec![ChartQuery {
            title: "Own images by month of deprecation, from a year back to the window ahead",
            x_label: "month",
            y_label: "images",
            sql: include_str!("../../sql/reports/deprecation_by_month.sql"),
            params: [base(), vec![Value::Int(r.within_days)]].concat(),
        }],
        ReportName::LastLaunched => vec![ChartQuery {
            title: "Own images by time since their last launch",
            x_label: "since last launch",
            y_label: "images",
            sql: include_str!("../../sql/reports/last_launched_ages.sql"),
            params: base(),
        }],
        ReportName::Cleanup => vec![ChartQuery {
            title: "Own images per account, by verdict",
            x_label: "account",
            y_label: "images",
            sql: include_str!("../../sql/reports/cleanup_by_account.sql"),
            params: base(),
        }],
        ReportName::Changes | ReportName::Summary | ReportName::Posture => Vec::new(),
    }
}

/// Collects a query's rows as text, for an HTML table (at most `limit` rows).
pub struct Collect {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total: u64,
    pub limit: usize,
}

impl Collect {
    pub fn new(limit: usize) -> Collect {
        Collect {
            columns: Vec::new(),
            rows: Vec::new(),
            total: 0,
            limit,
        }
    }
}

impl Sink for Collect {
    fn begin(&mut self, schema: &arrow::datatypes::SchemaRef) -> Result<(), QueryError> {
        self.columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        Ok(())
    }

    fn write(&mut self, batch: &arrow::array::RecordBatch) -> Result<(), QueryError> {
        let options = arrow::util::display::FormatOptions::default().with_null("");
        let room = self.limit.saturating_sub(self.rows.len());
        let batch = batch.slice(0, batch.num_rows().min(room));
        let formatters = batch
            .columns()
            .iter()
            .map(|c| arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| QueryError::Sql(e.to_string()))?;
        for row in 0..batch.num_rows() {
            self.rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
        Ok(())
    }

    fn finish(&mut self, rows: u64) -> Result<(), QueryError> {
        self.total = rows;
        Ok(())
    }
}

/// Rows shown per table of an HTML page.
pub const HTML_ROWS: usize = 5_000;

/// The report as a self-contained HTML page.
pub fn html_page(
    conn: &AnalystConnection,
    name: ReportName,
    request: &ReportRequest,
    context: &str,
) -> Result<String, QueryError> {
    let charts = charts_for(conn, name, request)?;
    let mut tables = Vec::new();
    for section in sections(name, request) {
        let mut collect = Collect::new(HTML_ROWS);
        conn.run_with(section.sql, &section.params, &mut collect)?;
        let title = if collect.total as usize > collect.rows.len() {
            format!(
                "{} (the first {} of {} rows; --format csv has them all)",
                section.title,
                collect.rows.len(),
                collect.total
            )
        } else {
            section.title.to_string()
        };
        tables.push(html_report::Table {
            title,
            columns: collect.columns,
            rows: collect.rows,
        });
    }
    let title = format!("amiq report: {}", report_title(name));
    Ok(html_report::page(&title, context, &charts, &tables))
}

fn report_title(name: ReportName) -> &'static str {
    match name {
        ReportName::Deprecation => "deprecation",
        ReportName::LastLaunched => "last launched",
        ReportName::Changes => "changes",
        ReportName::Summary => "summary",
        ReportName::Cleanup => "cleanup",
        ReportName::Posture => "posture",
    }
}

/// Runs the chart queries: (category, series, value) rows become stacked bars.
fn charts_for(
    conn: &AnalystConnection,
    name: ReportName,
    request: &ReportRequest,
) -> Result<Vec<html_report::BarChart>, QueryError> {
    let mut out = Vec::new();
    for chart in charts(name, request) {
        let mut collect = Collect::new(usize::MAX);
        conn.run_with(chart.sql, &chart.params, &mut collect)?;
        let mut categories: Vec<String> = Vec::new();
        let mut series: Vec<html_report::Series> = Vec::new();
        for row in &collect.rows {
            // Category labels may carry a sort prefix ("1 never"): it is dropped.
            let category = row[0]
                .split_once(' ')
                .filter(|(p, _)| p.chars().all(|c| c.is_ascii_digit()))
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_else(|| row[0].clone());
            let value: f64 = row[2].parse().unwrap_or(0.0);
            let ci = match categories.iter().position(|c| *c == category) {
                Some(i) => i,
                None => {
                    categories.push(category);
                    for s in &mut series {
                        s.values.push(0.0);
                    }
                    categories.len() - 1
                }
            };
            let si = match series.iter().position(|s| s.name == row[1]) {
                Some(i) => i,
                None => {
                    series.push(html_report::Series {
                        name: row[1].clone(),
                        values: vec![0.0; categories.len()],
                    });
                    series.len() - 1
                }
            };
            series[si].values[ci] += value;
        }
        out.push(html_report::BarChart {
            title: chart.title.to_string(),
            x_label: chart.x_label.to_string(),
            y_label: chart.y_label.to_string(),
            categories,
            series,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
