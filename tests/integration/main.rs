//! Integration tests, one binary (each test binary links DuckDB and the AWS SDK): the
//! CLI, the sync worker and store against the fake endpoint, a sync of moto, hostile
//! input, and report pages in headless Chromium (`browser`: installs Debian's chromium
//! with apt-get when it is missing, so it needs root there). Every server they use runs
//! on 127.0.0.1.

mod analyst;
mod answer_memory;
mod browser;
mod cli;
mod concurrent;
mod crashes;
mod datasets;
mod disk;
mod faults;
mod hostile_input;
mod moto;
mod organization;
mod support;
mod sync;
