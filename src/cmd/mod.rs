//! One file per command. Commands are the edge of the program: they turn errors into
//! messages and exit codes.

pub mod daemon;
pub mod demo;
pub mod describe_images;
pub mod export;
pub mod fake_ec2;
pub mod query;
pub mod report;
pub mod runs;
pub mod sync;

use std::process::ExitCode;

/// Exit codes, documented in the README.
pub mod exit {
    /// Every partition completed.
    pub const OK: u8 = 0;
    /// An unexpected error.
    pub const ERROR: u8 = 1;
    /// Bad configuration or arguments: nothing was done.
    pub const BAD_CONFIG: u8 = 2;
    /// The run finished but some partitions failed (their reasons are printed).
    pub const PARTITIONS_FAILED: u8 = 3;
    /// The store could not be opened (locked past the timeout, missing, too new).
    pub const STORE_UNAVAILABLE: u8 = 4;
    /// Stopped by a signal before every partition was done.
    pub const INTERRUPTED: u8 = 130;
}

/// Resolves on Ctrl-C or SIGTERM (a Kubernetes pod stop).
pub async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Prints an error for the person at the terminal and picks its exit code.
pub fn report_store_error(e: &crate::store::StoreError) -> ExitCode {
    eprintln!("amiq: {e}");
    match e {
        crate::store::StoreError::Locked { .. }
        | crate::store::StoreError::Missing { .. }
        | crate::store::StoreError::TooNew { .. } => ExitCode::from(exit::STORE_UNAVAILABLE),
        _ => ExitCode::from(exit::ERROR),
    }
}
