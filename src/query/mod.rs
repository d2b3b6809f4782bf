//! Analysts' ad hoc SQL over the store, safely.
//!
//! A query runs on its own read-only connection with DuckDB's external access off
//! (no files outside the store, no ATTACH, COPY or extension installs), extension
//! autoloading off, a memory limit and a timeout, and the configuration locked so the
//! query cannot lift them. One statement per query. Results stream in Arrow batches
//! to the chosen format, so a large result is never held whole.

mod format;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::{Failure, failure};

pub use format::{Format, Output, Sink, sink_for};

/// The limits a query runs under; documented in the README.
#[derive(Debug, Clone)]
pub struct Limits {
    /// DuckDB's memory limit for the query, e.g. "1GB".
    pub memory_limit: String,
    /// The query is interrupted after this long.
    pub timeout: Duration,
    /// Worker threads.
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_limit: "1GB".into(),
            timeout: Duration::from_secs(300),
            threads: 2,
        }
    }
}

/// Why a query gave no (complete) answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("refused: {0}")]
    Refused(String),
    #[error(
        "the query ran longer than its timeout ({0:?}) and was stopped; narrow it or raise --timeout"
    )]
    Timeout(Duration),
    #[error("the query needs more memory than its limit ({0}); narrow it or raise --memory-limit")]
    Memory(String),
    #[error("{0}")]
    Sql(String),
    /// An argument names nothing the store knows (an account, an OU).
    #[error("{0}")]
    Input(String),
    #[error("cannot write the result to {path}: {message}")]
    Output { path: PathBuf, message: String },
}

/// A read-only connection for analysts.
pub struct AnalystConnection {
    store: crate::store::Store,
    limits: Limits,
}

impl AnalystConnection {
    /// Opens `db` for analysts' SQL, waiting for a writer's lock like every reader.
    pub fn open(db: &Path, limits: &Limits) -> Result<AnalystConnection, QueryError> {
        let store = crate::store::Store::open_analyst(db, &limits.memory_limit, limits.threads)?;
        Ok(AnalystConnection {
            store,
            limits: limits.clone(),
        })
    }

    /// The store under the connection.
    pub fn store(&self) -> &crate::store::Store {
        &self.store
    }

    /// Runs one statement and streams its rows into `sink`; returns the row count.
    pub fn run(&self, sql: &str, sink: &mut dyn Sink) -> Result<u64, QueryError> {
        self.run_with(sql, &[], sink)
    }

    /// Runs one statement with bound parameters and streams its rows into `sink`.
    pub fn run_with(
        &self,
        sql: &str,
        params: &[duckdb::types::Value],
        sink: &mut dyn Sink,
    ) -> Result<u64, QueryError> {
        let handle = self.store.connection().interrupt_handle();
        let timeout = self.limits.timeout;
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let timer = std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout).is_err() {
                handle.interrupt();
                return true;
            }
            false
        });
        let result = self.stream(sql, params, sink);
        let _ = done_tx.send(());
        let timed_out = timer.join().unwrap_or(false);
        match result {
            Err(QueryError::Sql(_)) if timed_out => Err(QueryError::Timeout(timeout)),
            other => other,
        }
    }

    fn stream(
        &self,
        sql: &str,
        params: &[duckdb::types::Value],
        sink: &mut dyn Sink,
    ) -> Result<u64, QueryError> {
        let conn = self.store.connection();
        // DuckDB would run every statement but the last without showing it.
        let statements: Option<i64> = conn
            .query_row(
                "SELECT json_array_length(json_extract(json_serialize_sql(?::VARCHAR), '$.statements'))",
                [sql],
                |r| r.get(0),
            )
            .ok()
            .flatten();
        if statements.is_some_and(|n| n > 1) {
            return Err(QueryError::Refused(
                "one statement per query; run the others separately".into(),
            ));
        }
        let mut stmt = conn.prepare(sql).map_err(|e| self.explain(e))?;
        let batches = stmt
            .stream_arrow(duckdb::params_from_iter(params.iter()))
            .map_err(|e| self.explain(e))?;
        let schema = batches.get_schema();
        sink.begin(&schema)?;
        let mut rows = 0;
        for batch in batches {
            let batch = batch.map_err(|e| self.explain(e))?;
            rows += batch.num_rows() as u64;
            sink.write(&batch)?;
        }
        sink.finish(rows)?;
        Ok(rows)
    }

    /// DuckDB's error, said for the analyst.
    fn explain(&self, e: duckdb::Error) -> QueryError {
        let text = e.to_string();
        match failure(&e) {
            Failure::ReadOnly => QueryError::Refused(format!(
                "queries cannot change the store (it is opened read-only): {}",
                first_line(&text)
            )),
            Failure::ExternalAccess => QueryError::Refused(format!(
                "queries cannot read or write files outside the store, attach databases or load extensions: {}",
                first_line(&text)
            )),
            Failure::LockedConfiguration => QueryError::Refused(format!(
                "queries cannot change amiq's limits: {}",
                first_line(&text)
            )),
            Failure::OutOfMemory => QueryError::Memory(self.limits.memory_limit.clone()),
            Failure::MultipleStatements => QueryError::Refused("one statement per query".into()),
            _ => QueryError::Sql(first_line(&text).to_string()),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
