//! The working-day calendar (工作日历): which days count as working days,
//! and the date arithmetic of deadlines.
//!
//! The calendar is data, not code: one TOML file per year, written from the
//! State Council's notice on that year's holidays (国务院办公厅关于某年部分
//! 节假日安排的通知), and optional files of a region's own days. A new
//! year's notice is loaded without a new release. The national files
//! shipped are 2022–2026 (`data/calendar/cn-YYYY.toml`), each checked
//! against its notice; 2027 is left out because no 2027 notice could be
//! found when this was written. A date in a year that is not loaded is an
//! error ([`CalendarError::YearNotLoaded`]), never a guess: weekends alone
//! would silently put a deadline inside the Spring Festival.
//!
//! File format:
//!
//! ```toml
//! year = 2024
//! region = ""            # optional: a 2/4/6/9/12-digit prefix for a region's own days
//! source = "国办发明电〔2023〕7号"
//! days_off = ["2024-01-01", "2024-02-10..2024-02-17"]   # inclusive ranges
//! make_up_working_days = ["2024-02-04", "2024-02-18"]   # 调休上班
//! ```
//!
//! A day's status comes from the longest region prefix whose file for that
//! year lists it, then the national file, then the weekday (Monday–Friday
//! work, Saturday and Sunday off). Loading a file for a (region, year)
//! already loaded replaces it, so a corrected notice can be loaded again.
//! A region's file only adjusts a year: the year counts as loaded when its
//! national file is, because a region's own days alone would miss the
//! national holidays.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use jianfu_domain::RegionCode;
use serde::Deserialize;
use thiserror::Error;

/// The national calendar files shipped: (file name, TOML text).
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "cn-2022.toml",
        include_str!("../../../data/calendar/cn-2022.toml"),
    ),
    (
        "cn-2023.toml",
        include_str!("../../../data/calendar/cn-2023.toml"),
    ),
    (
        "cn-2024.toml",
        include_str!("../../../data/calendar/cn-2024.toml"),
    ),
    (
        "cn-2025.toml",
        include_str!("../../../data/calendar/cn-2025.toml"),
    ),
    (
        "cn-2026.toml",
        include_str!("../../../data/calendar/cn-2026.toml"),
    ),
];

/// Why a calendar file was refused, or a date could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// Not TOML, a wrong type, an unknown or a missing key.
    #[error("工作日历文件 {file} 格式错误：{message}")]
    Syntax {
        /// Which file.
        file: String,
        /// The TOML reader's message.
        message: String,
    },
    /// `year` outside 1900–2999.
    #[error("工作日历文件 {file}：year = {year} 无效")]
    Year {
        /// Which file.
        file: String,
        /// The value given.
        year: i64,
    },
    /// A region prefix that is not 2, 4, 6, 9 or 12 digits.
    #[error("工作日历文件 {file}：region = “{value}” 应为空（全国）或2、4、6、9、12位数字")]
    Region {
        /// Which file.
        file: String,
        /// The value given.
        value: String,
    },
    /// Neither `YYYY-MM-DD` nor `YYYY-MM-DD..YYYY-MM-DD`, or a range whose
    /// end comes before its start.
    #[error(
        "工作日历文件 {file}：{key} 中的“{value}”应写作 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD（起日不晚于止日）"
    )]
    BadDate {
        /// Which file.
        file: String,
        /// Which list.
        key: &'static str,
        /// The text given.
        value: String,
    },
    /// A date outside the file's year.
    #[error("工作日历文件 {file}：{key} 中的 {date} 不在 {year} 年内")]
    OutsideYear {
        /// Which file.
        file: String,
        /// Which list.
        key: &'static str,
        /// The date.
        date: NaiveDate,
        /// The file's year.
        year: i32,
    },
    /// A date listed twice (in one list or in both).
    #[error("工作日历文件 {file}：{key} 中的 {date} 重复列出（或已列入 days_off）")]
    Duplicate {
        /// Which file.
        file: String,
        /// The list where it was listed the second time.
        key: &'static str,
        /// The date.
        date: NaiveDate,
    },
    /// A national make-up working day that is not a weekend day.
    #[error("工作日历文件 {file}：make_up_working_days 中的调休上班日 {date} 不是周六或周日")]
    MakeUpOnWeekday {
        /// Which file.
        file: String,
        /// The date.
        date: NaiveDate,
    },
    /// A date whose year has no national calendar loaded.
    #[error(
        "工作日历未载入{year}年的节假日安排，无法按工作日计算（请先载入当年国务院办公厅的节假日安排通知）"
    )]
    YearNotLoaded {
        /// The year.
        year: i32,
    },
    /// Date arithmetic beyond what a date can hold.
    #[error("日期 {from} 加上期限后超出可计算范围")]
    OutOfRange {
        /// The start date.
        from: NaiveDate,
    },
}

/// The explicit days of one file: a bit per day of the year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearTable {
    off: [u64; 6],
    work: [u64; 6],
}

impl YearTable {
    fn bit(date: NaiveDate) -> (usize, u64) {
        let i = date.ordinal0() as usize;
        (i / 64, 1 << (i % 64))
    }

    /// `Some(true)` for a listed working day, `Some(false)` for a listed
    /// day off, `None` when the file says nothing about the day.
    fn status(&self, date: NaiveDate) -> Option<bool> {
        let (w, b) = Self::bit(date);
        if self.off[w] & b != 0 {
            Some(false)
        } else if self.work[w] & b != 0 {
            Some(true)
        } else {
            None
        }
    }
}

/// One loaded file, for listing what the calendar holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    /// The file name given when loading.
    pub file: String,
    /// Region prefix; empty for the national calendar.
    pub region: String,
    /// The year.
    pub year: i32,
    /// Where the days come from (the notice's number or title).
    pub source: String,
}

/// A region's own days for one year.
#[derive(Debug, Clone)]
struct RegionYear {
    prefix: String,
    year: i32,
    table: YearTable,
}

/// Working days: the national calendar by year plus regional overrides.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    national: BTreeMap<i32, YearTable>,
    /// Longest prefix first, so the first match wins.
    regions: Vec<RegionYear>,
    files: Vec<LoadedFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    year: i64,
    #[serde(default)]
    region: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    days_off: Vec<String>,
    #[serde(default)]
    make_up_working_days: Vec<String>,
}

impl WorkCalendar {
    /// An empty calendar: every working-day question is an error until a
    /// year is loaded.
    pub fn new() -> Self {
        Self::default()
    }

    /// The shipped national calendar (2022–2026).
    pub fn built_in() -> Self {
        let mut cal = Self::new();
        for (file, text) in BUILT_IN {
            cal.load(file, text).expect("shipped calendar files parse");
        }
        cal
    }

    /// Reads a calendar file and merges it in; `file` names it in errors.
    /// A file for a (region, year) already loaded replaces the earlier one.
    pub fn load(&mut self, file: &str, text: &str) -> Result<(), CalendarError> {
        let raw: RawCalendar = toml::from_str(text).map_err(|e| CalendarError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let (loaded, table) = raw.check(file)?;
        if loaded.region.is_empty() {
            self.national.insert(loaded.year, table);
        } else {
            self.regions
                .retain(|r| !(r.prefix == loaded.region && r.year == loaded.year));
            self.regions.push(RegionYear {
                prefix: loaded.region.clone(),
                year: loaded.year,
                table,
            });
            // Stable: equal lengths keep their load order.
            self.regions
                .sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        }
        self.files
            .retain(|f| !(f.region == loaded.region && f.year == loaded.year));
        self.files.push(loaded);
        Ok(())
    }

    /// The files loaded, in load order.
    pub fn files(&self) -> &[LoadedFile] {
        &self.files
    }

    /// The years of the national calendar loaded, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.national.keys().copied()
    }

    /// True when `date` is a working day in `region` (`None`: national).
    pub fn is_working_day(
        &self,
        date: NaiveDate,
        region: Option<&RegionCode>,
    ) -> Result<bool, CalendarError> {
        let year = date.year();
        let national = self
            .national
            .get(&year)
            .ok_or(CalendarError::YearNotLoaded { year })?;
        if let Some(code) = region {
            let own = self
                .regions
                .iter()
                .filter(|r| r.year == year && code.as_str().starts_with(&r.prefix))
                .find_map(|r| r.table.status(date));
            if let Some(work) = own {
                return Ok(work);
            }
        }
        Ok(national
            .status(date)
            .unwrap_or(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun)))
    }

    /// The `n`-th working day strictly after `from` (`from` itself for 0).
    /// Every day walked over must lie in a loaded year.
    pub fn add_working_days(
        &self,
        from: NaiveDate,
        n: u32,
        region: Option<&RegionCode>,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange { from })?;
            if self.is_working_day(day, region)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The working days in `(from, to]`; zero when `to` is not after `from`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        region: Option<&RegionCode>,
    ) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange { from })?;
            if self.is_working_day(day, region)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// `from` plus `n` calendar days. Holidays do not matter here, so no year
/// needs to be loaded.
pub fn add_days(from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
    from.checked_add_days(Days::new(u64::from(n)))
        .ok_or(CalendarError::OutOfRange { from })
}

/// `from` plus `n` months: the same day number, or the month's last day
/// when the month is shorter (01-31 + 1 month = 02-28 or 02-29).
pub fn add_months(from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
    from.checked_add_months(Months::new(n))
        .ok_or(CalendarError::OutOfRange { from })
}

/// True for "" or 2, 4, 6, 9 or 12 digits.
fn valid_prefix(region: &str) -> bool {
    matches!(region.len(), 0 | 2 | 4 | 6 | 9 | 12) && region.bytes().all(|b| b.is_ascii_digit())
}

impl RawCalendar {
    fn check(self, file: &str) -> Result<(LoadedFile, YearTable), CalendarError> {
        let year = i32::try_from(self.year)
            .ok()
            .filter(|y| (1900..=2999).contains(y))
            .ok_or_else(|| CalendarError::Year {
                file: file.to_string(),
                year: self.year,
            })?;
        let region = self.region.trim().to_string();
        if !valid_prefix(&region) {
            return Err(CalendarError::Region {
                file: file.to_string(),
                value: region,
            });
        }
        let mut table = YearTable::default();
        let ctx = FileCtx { file, year };
        for entry in &self.days_off {
            for date in ctx.dates("days_off", entry)? {
                ctx.mark(&mut table, "days_off", date, false)?;
            }
        }
        for entry in &self.make_up_working_days {
            for date in ctx.dates("make_up_working_days", entry)? {
                // A national make-up day on a weekday is a typo; a region may
                // list any day as working (e.g. to keep a national holiday).
                if region.is_empty() && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(CalendarError::MakeUpOnWeekday {
                        file: file.to_string(),
                        date,
                    });
                }
                ctx.mark(&mut table, "make_up_working_days", date, true)?;
            }
        }
        let loaded = LoadedFile {
            file: file.to_string(),
            region,
            year,
            source: self.source.trim().to_string(),
        };
        Ok((loaded, table))
    }
}

/// The file being read, for error messages.
struct FileCtx<'a> {
    file: &'a str,
    year: i32,
}

impl FileCtx<'_> {
    /// The dates of one entry: a day or an inclusive range inside the year.
    fn dates(&self, key: &'static str, entry: &str) -> Result<Vec<NaiveDate>, CalendarError> {
        let bad = || CalendarError::BadDate {
            file: self.file.to_string(),
            key,
            value: entry.to_string(),
        };
        let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad());
        let (from, to) = match entry.split_once("..") {
            Some((a, b)) => (parse(a)?, parse(b)?),
            None => (parse(entry)?, parse(entry)?),
        };
        if to < from {
            return Err(bad());
        }
        for date in [from, to] {
            if date.year() != self.year {
                return Err(CalendarError::OutsideYear {
                    file: self.file.to_string(),
                    key,
                    date,
                    year: self.year,
                });
            }
        }
        Ok(from.iter_days().take_while(|d| *d <= to).collect())
    }

    fn mark(
        &self,
        table: &mut YearTable,
        key: &'static str,
        date: NaiveDate,
        work: bool,
    ) -> Result<(), CalendarError> {
        if table.status(date).is_some() {
            return Err(CalendarError::Duplicate {
                file: self.file.to_string(),
                key,
                date,
            });
        }
        let (w, b) = YearTable::bit(date);
        if work {
            table.work[w] |= b;
        } else {
            table.off[w] |= b;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn m6_deadlines() {
        let cal = WorkCalendar::built_in();
        assert_eq!(
            cal.add_working_days(day(2024, 2, 2), 20, None).unwrap(),
            day(2024, 3, 6)
        );
        assert_eq!(
            cal.add_working_days(day(2024, 9, 27), 5, None).unwrap(),
            day(2024, 10, 10)
        );
        assert_eq!(add_days(day(2024, 12, 28), 7).unwrap(), day(2025, 1, 4));
        assert_eq!(add_days(day(2024, 12, 28), 30).unwrap(), day(2025, 1, 27));
    }

    #[test]
    fn make_up_saturday_counts() {
        let cal = WorkCalendar::built_in();
        // 2024-10-12 is a Saturday declared a working day.
        assert!(cal.is_working_day(day(2024, 10, 12), None).unwrap());
        assert!(!cal.is_working_day(day(2024, 10, 13), None).unwrap());
        assert!(!cal.is_working_day(day(2024, 10, 7), None).unwrap());
        // Friday 10-11, then Saturday 10-12 is the next working day.
        assert_eq!(
            cal.add_working_days(day(2024, 10, 11), 1, None).unwrap(),
            day(2024, 10, 12)
        );
        assert_eq!(
            cal.working_days_between(day(2024, 9, 27), day(2024, 10, 10), None)
                .unwrap(),
            5
        );
    }

    #[test]
    fn unloaded_years_are_errors() {
        let cal = WorkCalendar::built_in();
        assert_eq!(
            cal.add_working_days(day(2026, 12, 20), 20, None),
            Err(CalendarError::YearNotLoaded { year: 2027 })
        );
        assert_eq!(
            cal.is_working_day(day(2021, 6, 1), None),
            Err(CalendarError::YearNotLoaded { year: 2021 })
        );
        assert_eq!(
            cal.years().collect::<Vec<_>>(),
            [2022, 2023, 2024, 2025, 2026]
        );
        assert!(
            WorkCalendar::new()
                .is_working_day(day(2024, 1, 2), None)
                .is_err()
        );
    }

    #[test]
    fn later_files_merge() {
        let mut cal = WorkCalendar::built_in();
        cal.load(
            "cn-2027.toml",
            "year = 2027\ndays_off = [\"2027-01-01\"]\nmake_up_working_days = []\n",
        )
        .unwrap();
        assert_eq!(
            cal.add_working_days(day(2026, 12, 31), 1, None).unwrap(),
            day(2027, 1, 4)
        );
        // A region's own holiday wins over the national calendar there only.
        let xj = RegionCode::parse("653126100039").unwrap();
        cal.load(
            "65-2024.toml",
            "year = 2024\nregion = \"65\"\ndays_off = [\"2024-06-17..2024-06-18\"]\n",
        )
        .unwrap();
        cal.load(
            "6531-2024.toml",
            "year = 2024\nregion = \"6531\"\nmake_up_working_days = [\"2024-06-18\"]\n",
        )
        .unwrap();
        assert!(!cal.is_working_day(day(2024, 6, 17), Some(&xj)).unwrap());
        assert!(cal.is_working_day(day(2024, 6, 18), Some(&xj)).unwrap());
        let other = RegionCode::parse("652301100000").unwrap();
        assert!(!cal.is_working_day(day(2024, 6, 18), Some(&other)).unwrap());
        assert!(cal.is_working_day(day(2024, 6, 17), None).unwrap());
        // Loading the same region-year again replaces it.
        cal.load("65-2024.toml", "year = 2024\nregion = \"65\"\n")
            .unwrap();
        assert!(cal.is_working_day(day(2024, 6, 17), Some(&other)).unwrap());
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(add_months(day(2024, 1, 31), 1).unwrap(), day(2024, 2, 29));
        assert_eq!(add_months(day(2023, 8, 31), 6).unwrap(), day(2024, 2, 29));
        assert_eq!(add_months(day(2024, 3, 15), 12).unwrap(), day(2025, 3, 15));
    }

    #[test]
    fn bad_files_are_refused() {
        let mut cal = WorkCalendar::new();
        let bad = [
            ("year = 2024\ndays_off = [\"2024-02-30\"]\n", "BadDate"),
            (
                "year = 2024\ndays_off = [\"2024-02-17..2024-02-10\"]\n",
                "BadDate",
            ),
            ("year = 2024\ndays_off = [\"2025-01-01\"]\n", "OutsideYear"),
            (
                "year = 2024\ndays_off = [\"2024-02-10\"]\nmake_up_working_days = [\"2024-02-10\"]\n",
                "Duplicate",
            ),
            (
                "year = 2024\nmake_up_working_days = [\"2024-02-05\"]\n",
                "MakeUpOnWeekday",
            ),
            ("year = 2024\nregion = \"653\"\n", "Region"),
            ("year = 2024\nholidays = []\n", "Syntax"),
            ("year = 24\n", "Year"),
        ];
        for (text, kind) in bad {
            let e = cal.load("x.toml", text).unwrap_err();
            assert!(format!("{e:?}").starts_with(kind), "{text}: {e:?}");
            assert!(e.to_string().contains("x.toml"));
        }
    }
}
