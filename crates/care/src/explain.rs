//! Explanations of the engine's decisions.
//!
//! Every decision the engine takes (a person is managed, a visit is
//! uncontrolled, a task is due, an alert fired, a batch applies) carries a
//! structured reason; this module owns the one trait that turns such a
//! reason into a line of Chinese (the default for users) or English (for
//! logs, tests and reviewers). Lines are built on demand, so batch runs
//! that never show them pay nothing.

use chrono::NaiveDate;

/// A structured reason that can say itself in one line.
pub trait Explain {
    /// One line in simplified Chinese.
    fn zh(&self) -> String;
    /// The same line in English.
    fn en(&self) -> String;
}

/// `2024-06-04`: the one date format of explanations and files.
pub(crate) fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}
