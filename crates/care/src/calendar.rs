//! Calendar arithmetic of the schedules: China calendar dates of instants,
//! month steps clamped to the month's end, ages by birthday comparison and
//! the end-of-day rule of due dates.
//!
//! China has one time zone without daylight saving, so the calendar date
//! of an instant is its date at UTC+8; doing this in one place keeps a
//! reading taken at 23:30 on 06-04 on 06-04 wherever the server runs.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use thiserror::Error;

pub use jianfu_domain::time::{CHINA_OFFSET_SECS, china as china_offset, china_date};

/// `date` plus `months` calendar months, keeping the day number and
/// clamping it to the last day of the target month (01-31 + 1 month is
/// 02-28 or 02-29). Saturates at the latest representable date.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps the day itself; the saturation only guards absurd input.
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` plus `days` days, saturating.
pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(chrono::TimeDelta::days(days))
        .unwrap_or(if days < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// Age in whole years on `on`, by birthday comparison (a person born on
/// 02-29 turns a year older on 03-01 in common years).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// True when something due on `due` is overdue on `as_of`: a due date
/// lasts until the end of that day, China time.
pub fn past_due(due: NaiveDate, as_of: NaiveDate) -> bool {
    as_of > due
}

/// [`past_due`] at an instant.
pub fn past_due_at(due: NaiveDate, now: DateTime<Utc>) -> bool {
    past_due(due, china_date(now))
}

/// A date-time that is not ISO 8601.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("“{text}”不是有效的测量时间（ISO 格式，如 2024-06-04T08:30:00+08:00；不带时区按北京时间）")]
pub struct InstantError {
    /// The text given.
    pub text: String,
}

/// Parses an ISO 8601 date-time. With an offset (`Z`, `+08:00`) it is
/// taken as written; without one it is China time. Seconds and a
/// fraction are optional; a space may stand for the `T`.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, InstantError> {
    let s = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc));
    }
    const NAIVE: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .and_then(|naive| china_offset().from_local_datetime(&naive).single())
        .map(|dt| dt.with_timezone(&Utc))
        .ok_or_else(|| InstantError {
            text: text.to_string(),
        })
}

/// An instant as ISO 8601 in China time, e.g. `2024-06-04T08:30:00+08:00`.
pub fn instant_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&china_offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        assert_eq!(add_months_clamped(day(2023, 11, 30), 3), day(2024, 2, 29));
        assert_eq!(add_months_clamped(day(2024, 11, 30), 3), day(2025, 2, 28));
        // 01-31 + 3 months lands in April, which has 30 days.
        assert_eq!(add_months_clamped(day(2024, 1, 31), 3), day(2024, 4, 30));
        assert_eq!(add_months_clamped(day(2023, 1, 31), 3), day(2023, 4, 30));
        // …and + 1 month in February, leap and common years.
        assert_eq!(add_months_clamped(day(2024, 1, 31), 1), day(2024, 2, 29));
        assert_eq!(add_months_clamped(day(2023, 1, 31), 1), day(2023, 2, 28));
        assert_eq!(add_months_clamped(day(2023, 12, 31), 3), day(2024, 3, 31));
        assert_eq!(add_months_clamped(day(2024, 6, 15), 3), day(2024, 9, 15));
    }

    #[test]
    fn ages_by_birthday() {
        let b = day(1959, 6, 5);
        assert_eq!(age_on(b, day(2024, 6, 4)), 64);
        assert_eq!(age_on(b, day(2024, 6, 5)), 65);
        let leap = day(2000, 2, 29);
        assert_eq!(age_on(leap, day(2001, 2, 28)), 0);
        assert_eq!(age_on(leap, day(2001, 3, 1)), 1);
    }

    #[test]
    fn instants_in_china_time() {
        let a = parse_instant("2024-06-04 23:30").unwrap();
        assert_eq!(china_date(a), day(2024, 6, 4));
        let b = parse_instant("2024-06-04T15:30:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(instant_text(b), "2024-06-04T23:30:00+08:00");
        let c = parse_instant("2024-06-04T16:00:00Z").unwrap();
        assert_eq!(china_date(c), day(2024, 6, 5));
        assert_eq!(
            parse_instant("2024-06-04T08:30:00.5+08:00").unwrap(),
            parse_instant("2024-06-04 08:30:00.5").unwrap()
        );
        for bad in ["", "2024-06-04", "2024-13-01 08:00", "06/04/2024 08:00"] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn due_dates_last_to_the_end_of_the_day() {
        let due = day(2024, 6, 18);
        assert!(!past_due(due, due));
        assert!(past_due(due, day(2024, 6, 19)));
        // 23:59 China time on the due date is 15:59 UTC: not yet overdue.
        assert!(!past_due_at(
            due,
            parse_instant("2024-06-18T15:59:59Z").unwrap()
        ));
        assert!(past_due_at(
            due,
            parse_instant("2024-06-18T16:00:00Z").unwrap()
        ));
    }
}
