//! The alert export row of `jianfu monitor export` and the alert lifecycle
//! statuses it shows. Pure formatting: the CLI writes the rows as CSV.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::Serialize;

use crate::explain::{Explanation, Lang, render};

/// The export's header, in column order.
pub const HEADER: [&str; 13] = [
    "rule",
    "county_code",
    "household_no",
    "year",
    "out_of_pocket",
    "threshold",
    "income_per_capita",
    "size",
    "candidate",
    "category",
    "status",
    "raised_at",
    "explanation",
];

/// Where an alert stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Raised, nobody has acted on it.
    Open,
    /// A case was opened from it, or it was attached to the household's
    /// open case.
    Linked,
    /// Dismissed by a user, with a reason.
    Dismissed,
    /// Its condition no longer holds and no case is linked.
    Lapsed,
}

impl AlertStatus {
    /// Stable English code.
    pub const fn code(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Linked => "linked",
            AlertStatus::Dismissed => "dismissed",
            AlertStatus::Lapsed => "lapsed",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            AlertStatus::Open => "待处理",
            AlertStatus::Linked => "已关联案件",
            AlertStatus::Dismissed => "已排除",
            AlertStatus::Lapsed => "已失效",
        }
    }

    /// From the stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            AlertStatus::Open,
            AlertStatus::Linked,
            AlertStatus::Dismissed,
            AlertStatus::Lapsed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// One row of the export, every field already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// `R2`, `R3` or `R5`.
    pub rule: String,
    /// Six-digit county code.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// Year, four digits.
    pub year: String,
    /// Yuan, two decimals.
    pub out_of_pocket: String,
    /// Yuan, two decimals; empty for R5.
    pub threshold: String,
    /// Yuan, two decimals; empty when unknown.
    pub income_per_capita: String,
    /// Active members.
    pub size: String,
    /// `true` or `false`.
    pub candidate: String,
    /// `UNSTABLE`, `EDGE`, `SUDDEN` or empty.
    pub category: String,
    /// Lifecycle status code.
    pub status: String,
    /// ISO 8601 with offset, whole seconds.
    pub raised_at: String,
    /// One line of Chinese.
    pub explanation: String,
    year_number: i32,
}

impl ExportRow {
    /// The fields in [`HEADER`] order.
    pub fn fields(&self) -> [&str; 13] {
        [
            &self.rule,
            &self.county_code,
            &self.household_no,
            &self.year,
            &self.out_of_pocket,
            &self.threshold,
            &self.income_per_capita,
            &self.size,
            &self.candidate,
            &self.category,
            &self.status,
            &self.raised_at,
            &self.explanation,
        ]
    }

    /// The export's order: county code, 户编号, year, rule.
    pub fn sort_key(&self) -> (&str, &str, i32, &str) {
        (
            &self.county_code,
            &self.household_no,
            self.year_number,
            &self.rule,
        )
    }
}

/// The export row of an explained alert.
pub fn export_row(
    e: &Explanation,
    status: AlertStatus,
    raised_at: DateTime<FixedOffset>,
) -> ExportRow {
    let money = |m: Option<jianfu_domain::Money>| m.map(|m| m.to_string()).unwrap_or_default();
    ExportRow {
        rule: e.rule.code().to_string(),
        county_code: e.county_code.clone(),
        household_no: e.household_no.clone(),
        year: e.year.to_string(),
        out_of_pocket: e.out_of_pocket.to_string(),
        threshold: money(e.threshold),
        income_per_capita: money(e.income_per_capita),
        size: e.size.to_string(),
        candidate: e.candidate.to_string(),
        category: e.category.map(|c| c.code().to_string()).unwrap_or_default(),
        status: status.code().to_string(),
        raised_at: raised_at.to_rfc3339_opts(SecondsFormat::Secs, false),
        // A claim number with a line break must not split the CSV row.
        explanation: render(e, Lang::Zh).replace(['\n', '\r'], " "),
        year_number: e.year,
    }
}

/// Sorts rows into the export's order.
pub fn sort_rows(rows: &mut [ExportRow]) {
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}
