//! The one clock: every use case that needs "now" or "today in China" asks
//! a [`Clock`], never the system directly, so a test can set the time and
//! move it (deadlines, escalation, token and session expiry, lockouts).
//!
//! China time itself is defined in `jianfu_domain::time`; this module only
//! says where the instant comes from.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::time::china_date;

/// Where the current instant comes from.
pub trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China (UTC+8).
    fn today(&self) -> NaiveDate {
        china_date(self.now())
    }
}

/// A clock shared by the use cases of a process.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that stands still until a test sets or advances it.
#[derive(Debug)]
pub struct SettableClock(Mutex<DateTime<Utc>>);

impl SettableClock {
    /// A clock standing at `at`.
    pub fn at(at: DateTime<Utc>) -> Arc<Self> {
        Arc::new(SettableClock(Mutex::new(at)))
    }

    /// Moves the clock to `at` (backwards too).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::TimeDelta) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_settable_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2024, 12, 31, 15, 59, 0).unwrap();
        let clock = SettableClock::at(start);
        assert_eq!(clock.now(), start);
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
        );
        clock.advance(chrono::TimeDelta::minutes(1));
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            "midnight in China"
        );
        clock.set(start);
        assert_eq!(clock.now(), start);
        let shared: SharedClock = clock;
        assert_eq!(shared.now(), start);
    }
}
