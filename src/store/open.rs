//! Opening the database file while other processes use it.
//!
//! DuckDB lets one process write or many read, and favours neither: with readers
//! coming and going, a writer could wait forever for a moment with none. So a writer
//! first takes the *turnstile*, a file beside the database (`<db>.turn`) that it locks
//! exclusively while it waits for the readers already inside; new readers pass the
//! turnstile (a shared lock, released at once) before they open the database, so they
//! queue behind the waiting writer instead of overtaking it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use duckdb::{Config, Connection};

use super::StoreError;
use super::failure::{Failure, failure};

/// Whether an open writes (and so waits at the turnstile) or reads (and passes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Writer,
    Reader,
}

/// Opens the database, waiting while another process holds its lock: a writer holds
/// the turnstile while it waits, a reader passes it first (see the module docs).
pub(super) fn open_waiting(
    path: &Path,
    role: Role,
    timeout: Duration,
    config: impl Fn() -> duckdb::Result<Config>,
) -> Result<Connection, StoreError> {
    let started = Instant::now();
    let mut told = false;
    let mut tell = || {
        if !told {
            tracing::info!(db = %path.display(), "database is busy in another process; waiting");
            told = true;
        }
    };
    let locked = || StoreError::Locked {
        path: path.to_path_buf(),
        waited: started.elapsed(),
    };
    // Held until the database is open (a writer); a reader's is released at once.
    let _turn = match turnstile(path, role) {
        None => None,
        Some(file) => loop {
            let taken = match role {
                Role::Writer => file.try_lock(),
                Role::Reader => file.try_lock_shared(),
            };
            match taken {
                Ok(()) => break (role == Role::Writer).then_some(file),
                // Locking unsupported here (some network file systems): go on without.
                Err(TryLockError::Error(_)) => break None,
                Err(TryLockError::WouldBlock) => {
                    if started.elapsed() >= timeout {
                        return Err(locked());
                    }
                    tell();
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        },
    };
    let mut pause = Duration::from_millis(10);
    loop {
        let config = config().map_err(|source| StoreError::Db {
            path: path.to_path_buf(),
            source,
        })?;
        match Connection::open_with_flags(path, config) {
            Ok(conn) => return Ok(conn),
            Err(e) if failure(&e) == Failure::LockConflict => {
                if started.elapsed() >= timeout {
                    return Err(locked());
                }
                tell();
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(source) => {
                return Err(StoreError::Db {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
}

/// The turnstile file of the database at `db`: created by a writer, opened by a
/// reader when it exists. `None` where it cannot be (a read-only directory): the
/// open then goes on without it.
fn turnstile(db: &Path, role: Role) -> Option<File> {
    let mut name = db.as_os_str().to_owned();
    name.push(".turn");
    let opened = match role {
        Role::Writer => OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&name),
        Role::Reader => File::open(&name),
    };
    opened.ok()
}
