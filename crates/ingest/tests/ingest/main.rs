//! Reading, checking and reporting import files.
//!
//! One test binary per crate: each file is a module here, so the suite
//! links (and stores) one executable instead of one per file.

mod claims;
mod common;
mod examples;
mod limits;
mod output;
mod props;
mod rows;
mod table;
