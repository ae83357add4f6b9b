//! China time: the one definition of the offset, of "the date in China"
//! and of where a China calendar day begins and ends.
//!
//! China has one time zone, UTC+8, without daylight saving. Deadlines, due
//! dates, the day of a home reading and the date filters of the audit log
//! are China calendar days whatever zone the server runs in, so every
//! crate converts through these functions. This module reads no clock:
//! the instant is always the caller's (see the service's `Clock`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// Seconds east of UTC of China Standard Time (北京时间).
pub const CHINA_OFFSET_SECS: i32 = 8 * 3600;

/// The fixed offset of China Standard Time.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(CHINA_OFFSET_SECS).expect("UTC+8 is a valid offset")
}

/// The China calendar date of an instant.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

/// The instant a China calendar day begins (its midnight, UTC+8).
pub fn china_day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN)
        .and_local_timezone(china())
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// The instant a China calendar day ends: the next day's midnight, so a
/// step done at 23:59:59 on its due date is on time.
pub fn china_day_end(date: NaiveDate) -> DateTime<Utc> {
    china_day_start(date.succ_opt().unwrap_or(date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn days_turn_at_midnight_in_china() {
        let late = Utc.with_ymd_and_hms(2024, 6, 4, 15, 59, 59).unwrap();
        let midnight = Utc.with_ymd_and_hms(2024, 6, 4, 16, 0, 0).unwrap();
        let june = |d| NaiveDate::from_ymd_opt(2024, 6, d).unwrap();
        assert_eq!(china_date(late), june(4));
        assert_eq!(china_date(midnight), june(5));
        assert_eq!(china_day_start(june(5)), midnight);
        assert_eq!(china_day_end(june(4)), midnight);
    }
}
