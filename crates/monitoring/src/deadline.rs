//! Deadlines of the procedure and their colour at an instant.
//!
//! A deadline is a due date; it falls at the end of that day in China time
//! (UTC+8), so a step done at 23:59:59 on its due date is on time and one
//! second later it is overdue. Its span starts at the end of the day it was
//! opened on, because "N days after D" counts from the day after D; the
//! colour is amber once at most `amber_share` of the span is left and red
//! once the deadline has passed. The arithmetic is in whole seconds, so the
//! boundaries are exact.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::{Ratio, RegionCode, RegionLevel};
use serde::Serialize;

pub use jianfu_domain::time::{china, china_date};

/// The instant a day ends in China: the next day's midnight, UTC+8.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    jianfu_domain::time::china_day_end(date)
}

/// True once the end of `due_on` (China time) has been reached.
pub fn is_overdue(due_on: NaiveDate, now: DateTime<Utc>) -> bool {
    now >= end_of_day(due_on)
}

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// A pre-warning is verified or closed.
    PreWarning,
    /// From candidate to the county's decision.
    Procedure,
    /// The health side visits the household after approval.
    HomeVisit,
    /// At least one health measure after approval.
    HealthMeasure,
    /// The risk-elimination procedure reaches the county's decision.
    Elimination,
}

impl DeadlineKind {
    /// Every kind.
    pub const ALL: [DeadlineKind; 5] = [
        DeadlineKind::PreWarning,
        DeadlineKind::Procedure,
        DeadlineKind::HomeVisit,
        DeadlineKind::HealthMeasure,
        DeadlineKind::Elimination,
    ];

    /// Stable English code.
    pub const fn code(self) -> &'static str {
        match self {
            DeadlineKind::PreWarning => "pre_warning",
            DeadlineKind::Procedure => "procedure",
            DeadlineKind::HomeVisit => "home_visit",
            DeadlineKind::HealthMeasure => "health_measure",
            DeadlineKind::Elimination => "elimination",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            DeadlineKind::PreWarning => "预警核查",
            DeadlineKind::Procedure => "识别程序（拟纳入至县级审定）",
            DeadlineKind::HomeVisit => "卫健部门入户核实",
            DeadlineKind::HealthMeasure => "落实健康帮扶措施",
            DeadlineKind::Elimination => "风险消除程序",
        }
    }

    /// The level that owns the step, whose parent supervises it when it
    /// is late: verification and the home visit are the village's work,
    /// the procedure and the measures are driven by the township.
    pub const fn owner_level(self) -> RegionLevel {
        match self {
            DeadlineKind::PreWarning | DeadlineKind::HomeVisit => RegionLevel::Village,
            DeadlineKind::Procedure | DeadlineKind::HealthMeasure | DeadlineKind::Elimination => {
                RegionLevel::Township
            }
        }
    }
}

/// An open deadline of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// What it is for.
    pub kind: DeadlineKind,
    /// The day it was opened.
    pub opened_on: NaiveDate,
    /// The day it falls due (at that day's end, China time).
    pub due_on: NaiveDate,
}

impl Deadline {
    /// The colour at `now`.
    pub fn colour(&self, now: DateTime<Utc>, amber_share: Ratio) -> Colour {
        colour(self.opened_on, self.due_on, now, amber_share)
    }

    /// The region that owns the step for a case in `case_region`: the
    /// case's village, or its township for township-owned steps.
    pub fn owner(&self, case_region: &RegionCode) -> RegionCode {
        case_region.at_level(self.kind.owner_level())
    }
}

/// Traffic-light status of a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// More than the amber share of the time left.
    Green,
    /// At most the amber share left, not yet due.
    Amber,
    /// Overdue.
    Red,
}

impl Colour {
    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Colour::Green => "正常",
            Colour::Amber => "临期",
            Colour::Red => "逾期",
        }
    }
}

/// The colour of a deadline opened on `opened_on`, due on `due_on`, at `now`.
pub fn colour(
    opened_on: NaiveDate,
    due_on: NaiveDate,
    now: DateTime<Utc>,
    amber_share: Ratio,
) -> Colour {
    let end = end_of_day(due_on);
    if now >= end {
        return Colour::Red;
    }
    let span = (end - end_of_day(opened_on)).num_seconds().max(0);
    let left = (end - now).num_seconds();
    // left ≤ share × span, exactly: both sides in ten-thousandths of a second.
    let amber = i128::from(left) * i128::from(Ratio::SCALE)
        <= i128::from(span) * i128::from(amber_share.ten_thousandths());
    if amber { Colour::Amber } else { Colour::Green }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        china()
            .with_ymd_and_hms(y, m, d, h, mi, s)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn due_at_end_of_day_china_time() {
        let due = day(2025, 1, 4);
        assert!(!is_overdue(due, at(2025, 1, 4, 23, 59, 59)));
        assert!(is_overdue(due, at(2025, 1, 5, 0, 0, 0)));
        // 16:00 UTC on the 4th is already midnight in China.
        assert!(is_overdue(
            due,
            Utc.with_ymd_and_hms(2025, 1, 4, 16, 0, 0).unwrap()
        ));
        assert!(!is_overdue(
            due,
            Utc.with_ymd_and_hms(2025, 1, 4, 15, 59, 59).unwrap()
        ));
        assert_eq!(
            china_date(Utc.with_ymd_and_hms(2025, 1, 4, 16, 0, 0).unwrap()),
            day(2025, 1, 5)
        );
    }

    #[test]
    fn colour_boundaries() {
        // Opened 2024-12-28, due 2025-01-01: a span of 4 days = 345,600 s;
        // 25% of it is exactly one day, so amber starts at 2025-01-01 00:00.
        let share = Ratio::from_ten_thousandths(2500);
        let d = Deadline {
            kind: DeadlineKind::HomeVisit,
            opened_on: day(2024, 12, 28),
            due_on: day(2025, 1, 1),
        };
        assert_eq!(d.colour(at(2024, 12, 28, 9, 0, 0), share), Colour::Green);
        assert_eq!(d.colour(at(2024, 12, 31, 23, 59, 59), share), Colour::Green);
        assert_eq!(d.colour(at(2025, 1, 1, 0, 0, 0), share), Colour::Amber);
        assert_eq!(d.colour(at(2025, 1, 1, 23, 59, 59), share), Colour::Amber);
        assert_eq!(d.colour(at(2025, 1, 2, 0, 0, 0), share), Colour::Red);
        assert_eq!(
            d.colour(at(2025, 1, 1, 0, 0, 0), Ratio::ZERO),
            Colour::Green
        );
        assert_eq!(
            d.colour(at(2024, 12, 28, 9, 0, 0), Ratio::ONE),
            Colour::Green
        );
        assert_eq!(
            d.colour(at(2024, 12, 29, 0, 0, 0), Ratio::ONE),
            Colour::Amber
        );
    }

    #[test]
    fn owners() {
        let v = RegionCode::parse("130624100200").unwrap();
        let d = |kind| Deadline {
            kind,
            opened_on: day(2024, 1, 2),
            due_on: day(2024, 1, 9),
        };
        assert_eq!(d(DeadlineKind::PreWarning).owner(&v), v);
        assert_eq!(
            d(DeadlineKind::Procedure).owner(&v).as_str(),
            "130624100000"
        );
        for k in DeadlineKind::ALL {
            assert!(!k.label().is_empty() && !k.code().is_empty());
        }
    }
}
