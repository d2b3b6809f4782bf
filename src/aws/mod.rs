//! Everything that talks to AWS. This is the only module that sees SDK types: it hands
//! the rest of the program plain [`amiq_image::Image`] pages and one-line errors.

mod capture;
mod convert;
mod datasets;
mod default_chain;
mod error;
mod fetch;
mod images_xml;
pub mod organization;
mod session;
mod whole;

pub use datasets::{CreateReports, DatasetRequest, REPORT_REFRESH, fetch_dataset};
pub use default_chain::{Credentials, DefaultChain};
pub use error::{ApiFailure, FailureKind};
pub use fetch::{FetchError, FetchSettings, FetchStats, fetch_pages};
pub use session::{AccountSession, ClientSettings};
