//! The DuckDB store: opening the file (its settings, migrations and locks), staging,
//! the merge and the run ledger. The readers (`describe`, `query`, `report`, `export`)
//! run their own SQL on the connections it opens.
//!
//! A store is one database file. Writers open it only to merge (the DuckDB file lock
//! is exclusive, so readers in other processes are blocked only while partitions
//! merge, never while pages are fetched). The partitions of a round merge in one
//! transaction: a crash leaves the store as it was before that round.
//!
//! Opening waits for other processes' locks, writers first (`open.rs`: the turnstile).

mod as_of;
mod datasets;
mod failure;
mod ledger;
mod merge;
mod open;
mod rehash;
pub mod selection;
mod stage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use duckdb::{AccessMode, Config, Connection};

use open::{Role, open_waiting};

pub use as_of::{AsOf, AsOfError};
pub use datasets::{RecordStage, StagedRecords};
pub use failure::{Failure, failure};
pub use ledger::{PartitionRecord, PartitionStatus, RunRecord, RunStatus};
pub use merge::MergeCounts;
pub use stage::{HOLD_BUDGET, HoldBudget, PartitionStage, StagedPartition, sweep_abandoned};
#[cfg(test)]
pub(crate) use stage::{staged_listing, staged_listing_in_file};

/// A numbered migration: its SQL, then a step in Rust, in one transaction.
struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
    step: Option<fn(&Connection) -> duckdb::Result<()>>,
}

/// The numbered migrations, in order. Never edit one that has shipped: add a new one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "store",
        sql: include_str!("../../sql/migrations/0001_store.sql"),
        step: None,
    },
    Migration {
        version: 2,
        name: "image_shape",
        sql: include_str!("../../sql/migrations/0002_image_shape.sql"),
        step: Some(rehash::rehash),
    },
    Migration {
        version: 3,
        name: "datasets",
        sql: include_str!("../../sql/migrations/0003_datasets.sql"),
        step: None,
    },
    Migration {
        version: 4,
        name: "sharing",
        sql: include_str!("../../sql/migrations/0004_sharing.sql"),
        step: None,
    },
    Migration {
        version: 5,
        name: "organizations",
        sql: include_str!("../../sql/migrations/0005_organizations.sql"),
        step: None,
    },
    Migration {
        version: 6,
        name: "views fingerprint",
        sql: include_str!("../../sql/migrations/0006_views_fingerprint.sql"),
        step: None,
    },
];

/// The schema this release writes.
fn known_version() -> i32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Views and macros over the tables; replaced by a write open when the store's
/// fingerprint of them differs from `views_fingerprint()`.
const VIEWS: &str = include_str!("../../sql/views.sql");

/// The fingerprint of this release's views and macros.
fn views_fingerprint() -> i64 {
    xxhash_rust::xxh3::xxh3_64(VIEWS.as_bytes()) as i64
}

/// Something the store could not do, said for the person running amiq.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} is in use by another process and stayed locked for {}s; wait for it to finish or raise {LOCK_TIMEOUT_ENV} (seconds, default {})",
        waited.as_secs(),
        DEFAULT_LOCK_TIMEOUT.as_secs()
    )]
    Locked { path: PathBuf, waited: Duration },
    #[error(
        "the database {path} does not exist; run `amiq sync` (or `amiq demo`) first, or pass --db"
    )]
    Missing { path: PathBuf },
    #[error(
        "the database {path} was written by a newer amiq (schema {found}, this amiq knows up to {known}); upgrade amiq"
    )]
    TooNew {
        path: PathBuf,
        found: i32,
        known: i32,
    },
    #[error("database {path}: {source}{}", hint(source))]
    Db {
        path: PathBuf,
        #[source]
        source: duckdb::Error,
    },
    #[error("staging {path}: {message}")]
    Stage { path: PathBuf, message: String },
}

/// What to do when DuckDB could not write for lack of space, or ran out of memory.
fn hint(source: &duckdb::Error) -> &'static str {
    match failure(source) {
        Failure::NoSpace => {
            "; free space on the disk that holds the database (or its temporary directory) and run again: what earlier runs stored is intact"
        }
        Failure::OutOfMemory => {
            "\nThat is amiq's memory limit for DuckDB: raise it (--memory-limit, or memory_limit in the config) or ask for less; nothing was changed"
        }
        _ => "",
    }
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// DuckDB's memory limit, e.g. "1GB".
    pub memory_limit: String,
    /// How long to wait for another process's lock before giving up.
    pub lock_timeout: Duration,
}

/// The environment variable that sets how long any amiq command waits for the lock.
pub const LOCK_TIMEOUT_ENV: &str = "AMIQ_LOCK_TIMEOUT";
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// The lock timeout `AMIQ_LOCK_TIMEOUT` asks for (whole seconds), or an error naming it.
pub fn lock_timeout_from_env() -> Result<Duration, String> {
    match std::env::var(LOCK_TIMEOUT_ENV) {
        Err(_) => Ok(DEFAULT_LOCK_TIMEOUT),
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| {
                format!("{LOCK_TIMEOUT_ENV}={text:?} is not a number of seconds; e.g. {LOCK_TIMEOUT_ENV}=600")
            }),
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            memory_limit: "1GB".to_string(),
            lock_timeout: lock_timeout_from_env().unwrap_or(DEFAULT_LOCK_TIMEOUT),
        }
    }
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// How much a writer's WAL may hold before DuckDB checkpoints it. At DuckDB's 16 MiB a
/// first sync of a thousand accounts checkpointed every few seconds, each rewriting
/// the store's indexes; a writer closes (and so checkpoints) when its work is done
/// (docs/decisions/0014-small-listings-one-file-a-round.md).
const WRITER_CHECKPOINT_THRESHOLD: &str = "1GB";

impl Store {
    /// Opens (creating if needed) the store for writing, migrating it to this
    /// release's schema. Waits for another process's lock up to the timeout.
    pub fn open_write(path: &Path, settings: &StoreSettings) -> Result<Store, StoreError> {
        // DuckDB's vacuum stays on: after every checkpoint the next append starts a row
        // group of its own, and only the vacuum merges those small row groups again
        // (docs/decisions/0006-store-file-growth.md).
        let config = || {
            Config::default()
                .access_mode(AccessMode::ReadWrite)?
                .max_memory(&settings.memory_limit)?
                .with("checkpoint_threshold", WRITER_CHECKPOINT_THRESHOLD)?
                .enable_autoload_extension(false)
        };
        let conn = open_waiting(path, Role::Writer, settings.lock_timeout, config)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing store read-only.
    pub fn open_read(path: &Path, settings: &StoreSettings) -> Result<Store, StoreError> {
        Store::open_existing(path, settings.lock_timeout, || {
            Config::default()
                .access_mode(AccessMode::ReadOnly)?
                .max_memory(&settings.memory_limit)?
                .enable_autoload_extension(false)
        })
    }

    /// Opens an existing store for analysts' SQL: read-only, DuckDB's external access
    /// off (no files outside the store, no ATTACH, COPY, INSTALL or LOAD), extension
    /// autoloading off, and the configuration locked so a query cannot lift the limits.
    pub fn open_analyst(
        path: &Path,
        memory_limit: &str,
        threads: usize,
    ) -> Result<Store, StoreError> {
        Store::open_existing(path, StoreSettings::default().lock_timeout, || {
            Config::default()
                .access_mode(AccessMode::ReadOnly)?
                .max_memory(memory_limit)?
                .threads(threads as i64)?
                .enable_external_access(false)?
                .enable_autoload_extension(false)?
                .with("autoinstall_known_extensions", "false")?
                .with("allow_community_extensions", "false")?
                .with("lock_configuration", "true")
        })
    }

    /// Opens a store that must exist, with `config`; upgrades one written by an
    /// earlier amiq first (a write open migrates it), and refuses one written by a
    /// newer amiq.
    fn open_existing(
        path: &Path,
        lock_timeout: Duration,
        config: impl Fn() -> duckdb::Result<Config>,
    ) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let conn = open_waiting(path, Role::Reader, lock_timeout, &config)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        let version = store.schema_version()?;
        let known = known_version();
        if version > known {
            return Err(StoreError::TooNew {
                path: store.path.clone(),
                found: version,
                known,
            });
        }
        if version > 0 && version < known {
            drop(store);
            let settings = StoreSettings {
                lock_timeout,
                ..StoreSettings::default()
            };
            drop(Store::open_write(path, &settings)?);
            let conn = open_waiting(path, Role::Reader, lock_timeout, config)?;
            return Ok(Store {
                conn,
                path: path.to_path_buf(),
            });
        }
        Ok(store)
    }

    /// The DuckDB connection, for the query layer.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many threads DuckDB runs this store's statements on.
    pub fn threads(&self) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT current_setting('threads')::BIGINT", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(1) as usize)
            .map_err(|e| self.db_err(e))
    }

    /// Runs this store's later statements on `threads` threads.
    pub fn set_threads(&self, threads: usize) -> Result<(), StoreError> {
        self.conn
            .execute_batch(&format!("SET threads = {}", threads.max(1)))
            .map_err(|e| self.db_err(e))
    }

    /// A DuckDB error of this store, for the person running amiq.
    pub fn error(&self, source: duckdb::Error) -> StoreError {
        self.db_err(source)
    }

    fn db_err(&self, source: duckdb::Error) -> StoreError {
        StoreError::Db {
            path: self.path.clone(),
            source,
        }
    }

    /// The last migration applied; 0 for a database without amiq's tables.
    fn schema_version(&self) -> Result<i32, StoreError> {
        // The migrations table is read first, the catalog listed only when that fails:
        // on a new connection, `duckdb_tables()` makes DuckDB build its default
        // catalog entries, a cost every command that opens the store would pay.
        let read = self.conn.query_row(
            "SELECT coalesce(max(version), 0) FROM amiq_migrations",
            [],
            |r| r.get(0),
        );
        let error = match read {
            Ok(version) => return Ok(version),
            Err(e) => e,
        };
        let exists: bool = self
            .conn
            .query_row(
                "SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'amiq_migrations'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.db_err(e))?;
        if exists {
            Err(self.db_err(error))
        } else {
            Ok(0)
        }
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS amiq_migrations (
                     version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
                     applied_at TIMESTAMPTZ NOT NULL)",
            )
            .map_err(|e| self.db_err(e))?;
        let current = self.schema_version()?;
        let known = known_version();
        if current > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            if current > 0 {
                tracing::info!(
                    "upgrading {} to schema {} ({})",
                    self.path.display(),
                    m.version,
                    m.name
                );
            }
            let applied = (|| {
                self.conn.execute_batch("BEGIN TRANSACTION")?;
                self.conn.execute_batch(m.sql)?;
                if let Some(step) = m.step {
                    step(&self.conn)?;
                }
                self.conn.execute(
                    "INSERT INTO amiq_migrations VALUES (?, ?, now())",
                    duckdb::params![m.version, m.name],
                )?;
                self.conn.execute_batch("COMMIT")
            })();
            if let Err(e) = applied {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(self.db_err(e));
            }
        }
        // The views are replaced only when they differ from this release's: replacing
        // them writes the catalog, which costs every open a checkpoint
        // (docs/decisions/0013-opens-on-the-critical-path.md).
        let fingerprint = views_fingerprint();
        let held: Option<i64> = self
            .conn
            .query_row("SELECT max(fingerprint) FROM amiq_views", [], |r| r.get(0))
            .map_err(|e| self.db_err(e))?;
        if held == Some(fingerprint) {
            return Ok(());
        }
        self.conn
            .execute_batch(&format!(
                "BEGIN TRANSACTION;\n{VIEWS}\nDELETE FROM amiq_views;\n\
                 INSERT INTO amiq_views VALUES ({fingerprint});\nCOMMIT;"
            ))
            .map_err(|e| {
                let _ = self.conn.execute_batch("ROLLBACK");
                self.db_err(e)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> StoreSettings {
        StoreSettings {
            memory_limit: "256MB".to_string(),
            lock_timeout: Duration::from_secs(5),
        }
    }

    fn column_names(store: &Store, sql: &str) -> Vec<String> {
        let mut stmt = store.conn.prepare(sql).unwrap();
        let batch = stmt.query_arrow([]).unwrap();
        batch
            .get_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    #[test]
    fn tables_and_views_hold_the_members_the_shape_declares_by_name() {
        use crate::shape::{self, Seen};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_write(&dir.path().join("s.duckdb"), &settings()).unwrap();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let keys = |extra: &[&str], members: Vec<String>| {
            let mut all: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            all.extend(members);
            sorted(all)
        };
        let mut versions = shape::columns(Seen::ByEveryone);
        versions.retain(|c| c != "image_id");
        assert_eq!(
            sorted(column_names(&store, "SELECT * FROM image_versions")),
            keys(
                &[
                    "region",
                    "image_id",
                    "content_hash",
                    "valid_from_run",
                    "valid_from",
                    "valid_to_run",
                    "valid_to"
                ],
                versions.clone()
            )
        );
        assert_eq!(
            sorted(column_names(&store, "SELECT * FROM image_sightings")),
            keys(
                &[
                    "region",
                    "image_id",
                    "viewer_account_id",
                    "scope",
                    "view_hash",
                    "valid_from_run",
                    "valid_from",
                    "valid_to_run",
                    "valid_to"
                ],
                shape::columns(Seen::ByViewer)
            )
        );
        let mut members = versions;
        members.extend(shape::columns(Seen::ByViewer));
        assert_eq!(
            sorted(column_names(
                &store,
                "SELECT * FROM image_views_as_of(now())"
            )),
            keys(
                &[
                    "viewer_account_id",
                    "scope",
                    "region",
                    "image_id",
                    "seen_since"
                ],
                members
            )
        );
        // describe-images' answer: every member under its API name, in the shape's order.
        let images_sql = include_str!("../../sql/describe/images.sql");
        let quoted: Vec<&str> = images_sql
            .lines()
            .filter_map(|line| line.trim().strip_prefix('\''))
            .filter_map(|rest| rest.split_once("':").map(|(key, _)| key))
            .collect();
        let mut expected: Vec<&str> = shape::IMAGE.iter().map(|m| m.api).collect();
        expected.push("UnknownMembers");
        assert_eq!(quoted, expected, "sql/describe/images.sql");
    }

    #[test]
    fn the_schema_version_is_read_from_the_migrations_table_and_zero_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("amiq.duckdb");
        drop(Store::open_write(&db, &settings()).unwrap());
        let known = known_version();
        assert_eq!(
            Store::open_read(&db, &settings())
                .unwrap()
                .schema_version()
                .unwrap(),
            known
        );

        // A DuckDB file that is not a store has no schema: version 0, not an error.
        let other = dir.path().join("other.duckdb");
        drop(Connection::open(&other).unwrap());
        let store = Store::open_read(&other, &settings()).unwrap();
        assert_eq!(store.schema_version().unwrap(), 0);
    }

    #[test]
    fn a_write_open_replaces_the_views_only_when_their_fingerprint_differs() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("amiq.duckdb");
        let view_sql = |store: &Store| -> String {
            store
                .connection()
                .query_row(
                    "SELECT sql FROM duckdb_views() WHERE view_name = 'images'",
                    [],
                    |r| r.get(0),
                )
                .unwrap()
        };
        let store = Store::open_write(&db, &settings()).unwrap();
        let ours = view_sql(&store);
        // A stand-in the next open keeps when the store holds this release's fingerprint.
        store
            .connection()
            .execute_batch("CREATE OR REPLACE VIEW images AS SELECT 1 AS stand_in")
            .unwrap();
        drop(store);
        let store = Store::open_write(&db, &settings()).unwrap();
        assert!(
            view_sql(&store).contains("stand_in"),
            "views replaced though unchanged"
        );
        // Views of another release: replaced, and the fingerprint with them.
        store
            .connection()
            .execute_batch("UPDATE amiq_views SET fingerprint = 0")
            .unwrap();
        drop(store);
        let store = Store::open_write(&db, &settings()).unwrap();
        assert_eq!(view_sql(&store), ours);
        let held: i64 = store
            .connection()
            .query_row("SELECT fingerprint FROM amiq_views", [], |r| r.get(0))
            .unwrap();
        assert_eq!(held, views_fingerprint());
    }

    #[test]
    fn a_store_of_a_newer_amiq_is_refused_for_reading_and_writing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("amiq.duckdb");
        let store = Store::open_write(&db, &settings()).unwrap();
        store
            .connection()
            .execute_batch("INSERT INTO amiq_migrations VALUES (999, 'future', now())")
            .unwrap();
        drop(store);
        for opened in [
            Store::open_read(&db, &settings()),
            Store::open_write(&db, &settings()),
        ] {
            match opened {
                Err(StoreError::TooNew { found: 999, .. }) => {}
                Err(e) => panic!("expected TooNew, got {e}"),
                Ok(_) => panic!("expected TooNew, the store opened"),
            }
        }
    }
}
