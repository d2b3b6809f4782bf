//! Integration tests, one binary: the CLI, the sync worker and store against the fake
//! endpoint, and a sync of moto. Every server they use runs on 127.0.0.1.

mod analyst;
mod answer_memory;
mod cli;
mod concurrent;
mod crashes;
mod disk;
mod faults;
mod moto;
mod support;
mod sync;
