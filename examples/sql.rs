//! Runs one SQL statement read-only on a store and prints its first column, a line per
//! row: the hand-written side of `bench/describe.py`.
//!
//!     cargo run --release --example sql -- amiq.duckdb "SELECT count(*)::VARCHAR FROM images"
//!
//! Arguments after the statement are its parameters, in order: a whole number binds
//! as BIGINT, anything else as VARCHAR. With `AMIQ_PROFILE=<file>`, DuckDB writes the
//! statement's profile there as JSON.

use std::io::Write;

use duckdb::{AccessMode, Config, Connection};

/// The allocator `amiq` uses (see src/main.rs), so that the two sides of the
/// benchmark differ only in their SQL.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(sql)) = (args.next(), args.next()) else {
        eprintln!("usage: sql DB SQL [PARAM...]");
        std::process::exit(2);
    };
    let config = Config::default()
        .access_mode(AccessMode::ReadOnly)?
        .enable_autoload_extension(false)?;
    let conn = Connection::open_with_flags(db, config)?;
    // AMIQ_PROFILE=<file>: DuckDB's profile of the statement, as JSON, in that file.
    if let Ok(out) = std::env::var("AMIQ_PROFILE") {
        conn.execute_batch(&format!(
            "PRAGMA enable_profiling = 'json'; PRAGMA profiling_output = '{}';",
            out.replace('\'', "''")
        ))?;
    }
    let mut stmt = conn.prepare(&sql)?;
    let params: Vec<duckdb::types::Value> = args
        .map(|a| match a.parse::<i64>() {
            Ok(n) => duckdb::types::Value::BigInt(n),
            Err(_) => duckdb::types::Value::Text(a),
        })
        .collect();
    let mut rows = stmt.query(duckdb::params_from_iter(params))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(row) = rows.next()? {
        let text = match row.get::<_, duckdb::types::Value>(0)? {
            duckdb::types::Value::Text(t) => t,
            duckdb::types::Value::Null => String::new(),
            duckdb::types::Value::BigInt(n) => n.to_string(),
            other => format!("{other:?}"),
        };
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    Ok(())
}
