//! The web application through its real router, on SQLite and PostgreSQL.
//!
//! One test binary per crate: each file is a module here, so the suite
//! links (and stores) one executable instead of one per file.

mod accounts;
mod audit;
mod envelope;
mod feedback;
mod imports;
mod masking;
mod monitoring;
mod openapi;
mod pages;
mod people;
mod policies;
mod search;
mod security;
mod supervision;
mod support;
mod users;
