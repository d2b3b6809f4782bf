//! Migration 0002's step in Rust: every stored version and sighting gets its hash
//! recomputed the way this release computes it (`crate::batch::content_hashes`, keyed
//! by name), so the first sync after the upgrade finds no change where there was none.
//!
//! The stored rows are read as Arrow with the batch's column names, so the hash is the
//! very code a sync runs. The new hashes (16 bytes a row) are held until the read ends
//! and then written by one UPDATE joined on rowid, in the migration's transaction.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use duckdb::Connection;

use crate::batch::{content_hashes, view_hashes};
use crate::shape::{self, Seen};

/// Rehashes both tables.
pub(super) fn rehash(conn: &Connection) -> duckdb::Result<()> {
    rehash_table(
        conn,
        "image_versions",
        "content_hash",
        &shape::columns(Seen::ByEveryone),
        content_hashes,
    )?;
    rehash_table(
        conn,
        "image_sightings",
        "view_hash",
        &shape::columns(Seen::ByViewer),
        view_hashes,
    )
}

fn rehash_table(
    conn: &Connection,
    table: &str,
    hash_column: &str,
    columns: &[String],
    hash: fn(&RecordBatch) -> Vec<i64>,
) -> duckdb::Result<()> {
    let mut rows: Vec<(i64, i64)> = Vec::new();
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT rowid AS amiq_row, {} FROM {table}",
            columns.join(", ")
        ))?;
        // Streamed: DuckDB hands each chunk over as it reads it, instead of first
        // holding the whole table's result.
        for batch in stmt.stream_arrow([])? {
            let batch = batch?;
            let ids = batch
                .column_by_name("amiq_row")
                .expect("selected above")
                .as_primitive::<Int64Type>();
            let hashes = hash(&batch);
            rows.extend(ids.values().iter().copied().zip(hashes));
            debug_assert_eq!(ids.null_count(), 0);
        }
    }
    // A table of the migration's transaction (DuckDB's appender does not reach temp
    // tables), dropped before it commits.
    conn.execute_batch("CREATE TABLE amiq_rehashed (row_id BIGINT, hash BIGINT)")?;
    {
        let mut appender = conn.appender("amiq_rehashed")?;
        for (row, hash) in &rows {
            appender.append_row([row, hash])?;
        }
        appender.flush()?;
    }
    conn.execute_batch(&format!(
        "UPDATE {table} SET {hash_column} = r.hash FROM amiq_rehashed r
         WHERE {table}.rowid = r.row_id;
         DROP TABLE amiq_rehashed;"
    ))
}
