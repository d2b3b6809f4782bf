//! the `awscli-output` crate against the AWS CLI's own formatters (awscli from PyPI, run by
//! `reference.py`), byte for byte: fixed cases, random documents and every Unicode
//! character.

mod common;
mod fixed_cases;
mod random_documents;
mod unicode_tables;
