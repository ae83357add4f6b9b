//! The store on SQLite and PostgreSQL.
//!
//! One test binary per crate: each file is a module here, so the suite
//! links (and stores) one executable instead of one per file.

mod audit;
mod batches;
mod claims;
mod contract;
mod deferred_indexes;
mod heads;
mod jobs;
mod migrations;
mod rollups;
mod search;
mod unit_of_work;
mod upgrades;
