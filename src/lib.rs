//! amiq: a complete, historical inventory of Amazon Machine Images, answered locally.
//!
//! The modules follow the data flow: `config` -> `plan` -> `aws` (fetch) -> `batch`
//! (Arrow) -> `store` (DuckDB, history) -> `describe` (DescribeImages answered from
//! the store), `query` (analysts' SQL, read-only) and `report` -> commands. `shape`
//! declares how the `Image` shape (the `amiq-image` crate) is stored and shown. The fake
//! EC2 endpoint for tests, the demo and benchmarks is the `amiq-fake-ec2` crate, the AWS
//! CLI's text and table formatter `awscli-output`. See ARCHITECTURE.md for the map and
//! its invariants.

pub mod aws;
pub mod batch;
pub mod cmd;
pub mod config;
pub mod describe;
pub mod export;
pub mod plan;
pub mod query;
pub mod records;
pub mod report;
pub mod shape;
pub mod store;
pub mod sync;
