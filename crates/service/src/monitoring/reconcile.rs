//! The alert lifecycle of `monitoring.md` §4: what a fresh evaluation
//! does to the stored alerts of the same household-years.
//!
//! - evaluated, not stored → a new `open` alert;
//! - evaluated, stored `lapsed` → `open` again, raised again now;
//! - evaluated, stored `open`, `linked` or `dismissed` → the status stays
//!   (a user's decision or a case is not undone by arithmetic); figures
//!   and explanation are replaced when they changed;
//! - not evaluated, stored and holding → `open` becomes `lapsed`;
//!   `linked` and `dismissed` keep their status and are marked as no
//!   longer holding; figures stay those of the last time it held.
//!
//! "Changed" ignores the evaluation date: a daily run over unchanged data
//! leaves every row as it is (the `as_of` column keeps the date that set
//! the figures).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use jianfu_monitoring::AlertStatus;
use jianfu_store::monitoring::AlertRow;
use serde::Serialize;

/// What happened to one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Newly raised.
    Raised,
    /// Lapsed before, holds again: open again.
    Reopened,
    /// Holds still; figures or explanation changed.
    Updated,
    /// Holds still, nothing changed.
    Unchanged,
    /// No longer holds (open → lapsed; linked or dismissed marked).
    Lapsed,
}

/// Counts of one rule's transitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RuleCounts {
    /// Newly raised.
    pub raised: u64,
    /// Open again after lapsing.
    pub reopened: u64,
    /// Figures updated.
    pub updated: u64,
    /// Holding, unchanged.
    pub unchanged: u64,
    /// No longer holding.
    pub lapsed: u64,
}

impl RuleCounts {
    fn add(&mut self, t: Transition) {
        match t {
            Transition::Raised => self.raised += 1,
            Transition::Reopened => self.reopened += 1,
            Transition::Updated => self.updated += 1,
            Transition::Unchanged => self.unchanged += 1,
            Transition::Lapsed => self.lapsed += 1,
        }
    }

    /// Alerts whose condition holds after the run.
    pub fn holding(&self) -> u64 {
        self.raised + self.reopened + self.updated + self.unchanged
    }
}

/// The writes a reconciliation asks for.
#[derive(Debug, Default)]
pub struct Changes {
    /// New rows.
    pub inserts: Vec<AlertRow>,
    /// Rows rewritten.
    pub updates: Vec<AlertRow>,
    /// Transitions by rule code.
    pub counts: HashMap<String, RuleCounts>,
}

type Key = (String, i16, String);

fn key(r: &AlertRow) -> Key {
    (r.household_no.clone(), r.year, r.rule.clone())
}

/// Reconciles the alerts evaluated now for one county with those stored
/// for the same region and years. `evaluated` rows are `open`, holding,
/// raised and updated `now`.
pub fn reconcile(evaluated: Vec<AlertRow>, stored: Vec<AlertRow>, now: DateTime<Utc>) -> Changes {
    let mut stored: HashMap<Key, AlertRow> = stored.into_iter().map(|r| (key(&r), r)).collect();
    let mut changes = Changes::default();
    for new in evaluated {
        let old = stored.remove(&key(&new));
        let (t, write) = holding(new, old, now);
        changes.counts.entry(rule_of(&write)).or_default().add(t);
        match t {
            Transition::Raised => changes.inserts.push(write),
            Transition::Unchanged => {}
            _ => changes.updates.push(write),
        }
    }
    for (_, old) in stored {
        if old.holds {
            let rule = old.rule.clone();
            changes.updates.push(stopped(old, now));
            changes
                .counts
                .entry(rule)
                .or_default()
                .add(Transition::Lapsed);
        }
    }
    changes
}

fn rule_of(r: &AlertRow) -> String {
    r.rule.clone()
}

/// An alert that holds now, against its stored row if any.
fn holding(new: AlertRow, old: Option<AlertRow>, now: DateTime<Utc>) -> (Transition, AlertRow) {
    let Some(old) = old else {
        return (Transition::Raised, new);
    };
    if old.status == AlertStatus::Lapsed.code() {
        return (Transition::Reopened, new);
    }
    let same = old.holds
        && old.village_code == new.village_code
        // The structure holds every figure, claim and diagnosis but not
        // the evaluation date (its own column); the line is rendered from
        // it, so equal structures mean equal alerts.
        && old.explanation_json == new.explanation_json;
    if same {
        return (Transition::Unchanged, old);
    }
    let row = AlertRow {
        status: old.status,
        raised_at: old.raised_at,
        updated_at: now,
        ..new
    };
    (Transition::Updated, row)
}

/// A stored alert whose condition no longer holds.
fn stopped(old: AlertRow, now: DateTime<Utc>) -> AlertRow {
    let status = if old.status == AlertStatus::Open.code() {
        AlertStatus::Lapsed.code().to_string()
    } else {
        old.status.clone()
    };
    AlertRow {
        status,
        holds: false,
        updated_at: now,
        ..old
    }
}
