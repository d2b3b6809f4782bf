//! What a DuckDB error means, read from its message: DuckDB reports errors as text (a
//! type, then a sentence), and this is the one place that reads that text.

/// The kinds of DuckDB failure amiq answers in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Another process holds the database file's lock.
    LockConflict,
    /// The disk that holds the database or its temporary files is full.
    NoSpace,
    /// DuckDB's memory limit was reached.
    OutOfMemory,
    /// A write on a read-only connection.
    ReadOnly,
    /// Files, ATTACH or extensions, refused by the connection's configuration.
    ExternalAccess,
    /// A change of a setting the connection locked.
    LockedConfiguration,
    /// More than one statement where one was asked for.
    MultipleStatements,
    /// Anything else: the message is said as it is.
    Other,
}

/// The kind of `e`.
pub fn failure(e: &duckdb::Error) -> Failure {
    let text = e.to_string();
    let lower = text.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&["could not set lock", "conflicting lock"]) {
        Failure::LockConflict
    } else if has(&["no space left on device"]) {
        Failure::NoSpace
    } else if has(&["out of memory"]) {
        Failure::OutOfMemory
    } else if has(&["read-only", "read only"]) {
        Failure::ReadOnly
    } else if has(&[
        "permission error",
        "disabled by configuration",
        "disabled through configuration",
        "external access",
    ]) {
        Failure::ExternalAccess
    } else if has(&["lock_configuration", "configuration has been locked"]) {
        Failure::LockedConfiguration
    } else if has(&["multiple statements"]) {
        Failure::MultipleStatements
    } else {
        Failure::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::Connection;

    /// The kind of the error DuckDB gives for `sql` after `setup`.
    fn kind_of(setup: &str, sql: &str) -> Failure {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(setup).unwrap();
        failure(&conn.execute_batch(sql).unwrap_err())
    }

    #[test]
    fn duckdb_messages_are_read_as_their_kind() {
        assert_eq!(
            kind_of(
                "SET memory_limit = '2MB'; SET threads = 1;",
                "SELECT count(*) FROM (SELECT range % 1000000 AS k, string_agg(range::VARCHAR, ',') FROM range(3000000) GROUP BY k)"
            ),
            Failure::OutOfMemory
        );
        assert_eq!(
            kind_of(
                "SET enable_external_access = false;",
                "SELECT * FROM read_csv('/etc/hostname')"
            ),
            Failure::ExternalAccess
        );
        assert_eq!(
            kind_of("SET lock_configuration = true;", "SET threads = 1"),
            Failure::LockedConfiguration
        );
        assert_eq!(kind_of("", "SELECT * FROM no_such_table"), Failure::Other);
    }

    #[test]
    fn a_write_on_a_read_only_store_is_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.duckdb");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INT)")
            .unwrap();
        let config = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap();
        let conn = Connection::open_with_flags(&path, config).unwrap();
        let err = conn.execute_batch("INSERT INTO t VALUES (1)").unwrap_err();
        assert_eq!(failure(&err), Failure::ReadOnly);
    }
}
