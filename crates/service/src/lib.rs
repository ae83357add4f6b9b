//! Use cases of jianfu (健扶), each one transaction over the store.
//!
//! A use case takes the [`App`] (database, clock) and the [`Actor`], checks
//! the actor's permission, does its work and writes its audit entry in the
//! same transaction; the web and the command line only translate requests
//! into these calls.
//!
//! The registry import is the first: a file of persons or diagnoses is
//! checked in full (first pass, on a blocking thread), then, unless the
//! check found errors and the caller asked for all-or-nothing, written in
//! one transaction (second pass: a reader thread parses chunks while the
//! database writes the previous one). Every problem, from either pass,
//! goes to the error report. A killed import leaves the database as it was.
//! Claims files follow the same shape and are settled as they are written.
//! Imports from the web run as durable [`jobs`]: queued in the database,
//! run by a worker, taken over when their worker dies, never twice.

pub mod accounts;
pub mod actor;
pub mod app;
mod claims;
pub mod clock;
pub mod explain;
pub mod import;
pub mod jobs;
pub mod person_ref;
pub mod settle;
pub mod simulate;

pub use actor::{Actor, Denied};
pub use app::App;
pub use import::{ImportError, ImportOutcome, ImportPhase, ImportRequest, import_file};
pub use settle::{Claims, SettleError, SettleSummary};
