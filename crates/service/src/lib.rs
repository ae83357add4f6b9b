//! Use cases of jianfu (健扶), each one transaction over the store.
//!
//! A use case takes the [`App`] (database, clock) and the [`Actor`], checks
//! the actor's permission and jurisdiction, does its work and writes its
//! audit entry in the same transaction; the web and the command line only
//! translate requests into these calls and their answers into pages, JSON
//! or text. Every read of people data is one: households, persons, claims,
//! searches and unmasking ([`people`]), the audit log ([`audit_log`]), the
//! dashboard ([`dashboard`]), parameter sets ([`policies`]); they answer
//! [`UseCaseError`] when they do not do their work.
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
pub mod audit_log;
pub mod batches;
pub mod clock;
pub mod dashboard;
pub mod error;
pub mod explain;
pub mod import;
pub mod jobs;
pub mod monitoring;
pub mod people;
pub mod person_ref;
pub mod policies;
pub mod regions;
pub mod settle;
pub mod simulate;

pub use actor::{Actor, Denied};
pub use app::App;
pub use error::{UseCaseError, UseCaseResult};
pub use import::{ImportError, ImportOutcome, ImportPhase, ImportRequest, import_file};
pub use settle::{Claims, SettleError, SettleSummary};
