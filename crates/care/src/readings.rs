//! Home readings (智能血压计/血糖仪) and the four alert rules H-BP-CRIT,
//! H-BP-3D, H-GLU-CRIT and H-GLU-3D.
//!
//! Readings arrive late, out of order and in repeated batches, so alerts
//! are never accumulated: [`alerts_for`] computes, from all readings of
//! one person and kind, the full set of alerts that should exist, and the
//! caller diffs it against what it stored. [`alerts_after_reading`] does
//! the same for the few days one new reading can change, and is held
//! equal to the full function by property tests.
//!
//! The day of a reading is its China calendar date. A run of high days is
//! a sequence of consecutive calendar days each with at least one high
//! reading; any other day, with or without readings, ends it. Non-fasting
//! glucose never counts for the glucose rules.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::{CodeError, IdCardError, IdCardNo};
use thiserror::Error;

use crate::calendar::{InstantError, add_days, china_date, instant_text};
use crate::codes::care_code_enum;
use crate::explain::{Explain, ymd};
use crate::managed::{CareDisease, ManagementSpan};
use crate::measure::{Bp, Glucose, MeasureError};
use crate::schedule::{FOLLOW_UP_DAYS, Task, TaskKind, TaskReason};

/// Consecutive high days that fire a run alert.
pub const RUN_DAYS: u32 = 3;
/// Longest device id kept, in characters.
pub const DEVICE_ID_MAX_CHARS: usize = 64;
/// Days before a new reading's day that can change what fires.
pub const REACH_BACK_DAYS: i64 = 3;
/// Days after a new reading's day whose alerts it can change.
pub const REACH_AHEAD_DAYS: i64 = 3;

care_code_enum! {
    /// 类型: what a reading measures.
    ReadingKind, "测量类型" {
        /// 血压.
        Bp => "bp", "血压";
        /// 血糖.
        Glucose => "glucose", "血糖";
    }
}

impl ReadingKind {
    /// The disease whose management the readings serve.
    pub fn disease(self) -> CareDisease {
        match self {
            ReadingKind::Bp => CareDisease::Hypertension,
            ReadingKind::Glucose => CareDisease::Diabetes,
        }
    }
}

/// The measured value of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadingValue {
    /// A blood-pressure pair.
    Bp(Bp),
    /// A glucose value; `fasting` is false for after-meal or random tests.
    Glucose {
        /// The value.
        value: Glucose,
        /// 空腹.
        fasting: bool,
    },
}

impl ReadingValue {
    /// The kind of value.
    pub fn kind(self) -> ReadingKind {
        match self {
            ReadingValue::Bp(_) => ReadingKind::Bp,
            ReadingValue::Glucose { .. } => ReadingKind::Glucose,
        }
    }

    /// Reaches a critical level (only fasting glucose counts).
    pub fn is_critical(self) -> bool {
        match self {
            ReadingValue::Bp(bp) => bp.is_danger(),
            ReadingValue::Glucose { value, fasting } => fasting && value.is_danger(),
        }
    }

    /// Counts as a high day (only fasting glucose counts).
    pub fn is_high(self) -> bool {
        match self {
            ReadingValue::Bp(bp) => bp.is_high(),
            ReadingValue::Glucose { value, fasting } => fasting && value.is_high(),
        }
    }

    /// `146/92` or `16.9`.
    pub fn text(self) -> String {
        match self {
            ReadingValue::Bp(bp) => bp.to_string(),
            ReadingValue::Glucose { value, .. } => value.to_string(),
        }
    }
}

/// A checked home reading.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reading {
    person: IdCardNo,
    measured_at: DateTime<Utc>,
    value: ReadingValue,
    device: Arc<str>,
}

/// What makes a reading the same reading: stored once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReadingKey {
    /// The person.
    pub person: IdCardNo,
    /// The kind.
    pub kind: ReadingKind,
    /// The instant.
    pub measured_at: DateTime<Utc>,
    /// The device.
    pub device: Arc<str>,
}

impl Reading {
    /// A reading; the device id must be 1–64 characters after trimming.
    /// Share one `Arc` among a device's readings to keep them small.
    pub fn new(
        person: IdCardNo,
        measured_at: DateTime<Utc>,
        value: ReadingValue,
        device: Arc<str>,
    ) -> Result<Reading, ReadingError> {
        let n = device.trim().chars().count();
        if n == 0 || n > DEVICE_ID_MAX_CHARS || device.trim().len() != device.len() {
            return Err(ReadingError::Device {
                value: device.to_string(),
            });
        }
        Ok(Reading {
            person,
            measured_at,
            value,
            device,
        })
    }

    /// The person.
    pub fn person(&self) -> IdCardNo {
        self.person
    }
    /// The instant measured.
    pub fn measured_at(&self) -> DateTime<Utc> {
        self.measured_at
    }
    /// The value.
    pub fn value(&self) -> ReadingValue {
        self.value
    }
    /// The device id.
    pub fn device(&self) -> &str {
        &self.device
    }
    /// The kind.
    pub fn kind(&self) -> ReadingKind {
        self.value.kind()
    }
    /// Its China calendar date.
    pub fn day(&self) -> NaiveDate {
        china_date(self.measured_at)
    }

    /// The idempotence key (person, kind, instant, device).
    pub fn key(&self) -> ReadingKey {
        ReadingKey {
            person: self.person,
            kind: self.kind(),
            measured_at: self.measured_at,
            device: self.device.clone(),
        }
    }

    /// The order alerts are decided in: instant, device, then value, so
    /// that conflicting repeats of one key resolve the same way every time.
    fn order(&self, other: &Reading) -> std::cmp::Ordering {
        (self.measured_at, &*self.device, self.value).cmp(&(
            other.measured_at,
            &*other.device,
            other.value,
        ))
    }
}

care_code_enum! {
    /// A home-reading alert rule.
    AlertRule, "家庭监测预警规则" {
        /// A critical blood pressure.
        BpCrit => "H-BP-CRIT", "血压危急值";
        /// The third consecutive day of raised blood pressure.
        Bp3d => "H-BP-3D", "连续3天血压偏高";
        /// A critical fasting glucose.
        GluCrit => "H-GLU-CRIT", "血糖危急值";
        /// The third consecutive day of raised fasting glucose.
        Glu3d => "H-GLU-3D", "连续3天空腹血糖偏高";
    }
}

impl AlertRule {
    /// The kind of reading the rule reads.
    pub fn kind(self) -> ReadingKind {
        match self {
            AlertRule::BpCrit | AlertRule::Bp3d => ReadingKind::Bp,
            AlertRule::GluCrit | AlertRule::Glu3d => ReadingKind::Glucose,
        }
    }

    /// The single-reading rule of a kind.
    pub fn critical(kind: ReadingKind) -> AlertRule {
        match kind {
            ReadingKind::Bp => AlertRule::BpCrit,
            ReadingKind::Glucose => AlertRule::GluCrit,
        }
    }

    /// The run rule of a kind.
    pub fn run(kind: ReadingKind) -> AlertRule {
        match kind {
            ReadingKind::Bp => AlertRule::Bp3d,
            ReadingKind::Glucose => AlertRule::Glu3d,
        }
    }

    /// True for the single-reading rules.
    pub fn is_critical(self) -> bool {
        matches!(self, AlertRule::BpCrit | AlertRule::GluCrit)
    }

    /// The follow-up task kind.
    pub fn task_kind(self) -> TaskKind {
        if self.is_critical() {
            TaskKind::UrgentReferral
        } else {
            TaskKind::Recheck
        }
    }

    /// The due date of the follow-up of an alert fired on `day`.
    pub fn due(self, day: NaiveDate) -> NaiveDate {
        if self.is_critical() {
            day
        } else {
            add_days(day, FOLLOW_UP_DAYS)
        }
    }
}

/// An alert that should exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The rule.
    pub rule: AlertRule,
    /// The day it fired.
    pub day: NaiveDate,
    /// The follow-up's due date.
    pub due: NaiveDate,
    /// The reading that fired it: the first qualifying reading of the day.
    pub reading: Reading,
    /// First day of the run (run rules only).
    pub run_from: Option<NaiveDate>,
    /// False when the person was not managed for the disease on the day.
    pub under_management: bool,
}

impl Alert {
    /// `146/92` or `16.9`.
    pub fn value_text(&self) -> String {
        self.reading.value.text()
    }

    /// The person.
    pub fn person(&self) -> IdCardNo {
        self.reading.person
    }

    /// The follow-up task the alert opens.
    pub fn task(&self) -> Task {
        Task {
            disease: self.rule.kind().disease(),
            kind: self.rule.task_kind(),
            opened_on: self.day,
            due: self.due,
            reason: TaskReason::Alert {
                rule: self.rule,
                day: self.day,
            },
        }
    }

    /// The `care alerts` file's columns before `status`:
    /// rule, id_number, day, due, reading_at, value.
    pub fn cells(&self) -> [String; 6] {
        [
            self.rule.code().to_string(),
            self.person().as_str().to_string(),
            ymd(self.day),
            ymd(self.due),
            instant_text(self.reading.measured_at),
            self.value_text(),
        ]
    }
}

impl Explain for Alert {
    fn zh(&self) -> String {
        let d = self.rule.kind().disease();
        let what = match (self.rule, self.run_from) {
            (r, Some(from)) if !r.is_critical() => format!(
                "{}至{}连续{RUN_DAYS}天偏高，第3天读数 {}",
                ymd(from),
                ymd(self.day),
                self.value_text()
            ),
            _ => format!("{} 读数 {} 达到危急值", ymd(self.day), self.value_text()),
        };
        let mut line = format!(
            "{}：{what}，{}（{}前）",
            self.rule.code(),
            self.rule.task_kind().label(),
            ymd(self.due)
        );
        if !self.under_management {
            line.push_str(&format!(
                "；该居民当日未纳入{}管理，可由医生评估纳入",
                d.label()
            ));
        }
        line
    }

    fn en(&self) -> String {
        let d = self.rule.kind().disease();
        let what = match (self.rule, self.run_from) {
            (r, Some(from)) if !r.is_critical() => format!(
                "high on {RUN_DAYS} consecutive days {}..{}, third-day reading {}",
                ymd(from),
                ymd(self.day),
                self.value_text()
            ),
            _ => format!(
                "reading {} on {} at a critical level",
                self.value_text(),
                ymd(self.day)
            ),
        };
        let mut line = format!(
            "{}: {what}; {} due {}",
            self.rule.code(),
            self.rule.task_kind().code(),
            ymd(self.due)
        );
        if !self.under_management {
            line.push_str(&format!(
                "; not under {} management on that day, a doctor may enrol",
                d.name_en()
            ));
        }
        line
    }
}

/// Every alert that should exist for the readings of one person and kind
/// (readings of the other kind are ignored), sorted by day and rule code.
/// Input order and repeats do not matter; of two readings with one key the
/// smaller value is taken (the store keeps one, so this only decides ties
/// the store never passes).
pub fn alerts_for(readings: &[Reading], kind: ReadingKind, spans: &[ManagementSpan]) -> Vec<Alert> {
    let mut rs: Vec<&Reading> = readings.iter().filter(|r| r.kind() == kind).collect();
    rs.sort_by(|a, b| a.order(b));
    rs.dedup_by(|later, first| {
        later.measured_at == first.measured_at && later.device == first.device
    });
    let managed = |day: NaiveDate| {
        spans
            .iter()
            .any(|s| s.disease == kind.disease() && s.covers(day))
    };
    let mut out = Vec::new();
    let mut run: Option<(NaiveDate, NaiveDate, u32)> = None; // (from, last day, length)
    for day_readings in rs.chunk_by(|a, b| a.day() == b.day()) {
        let day = day_readings[0].day();
        let alert = |rule: AlertRule, r: &Reading, run_from| Alert {
            rule,
            day,
            due: rule.due(day),
            reading: r.clone(),
            run_from,
            under_management: managed(day),
        };
        if let Some(r) = day_readings.iter().find(|r| r.value.is_critical()) {
            out.push(alert(AlertRule::critical(kind), r, None));
        }
        let Some(r) = day_readings.iter().find(|r| r.value.is_high()) else {
            continue;
        };
        run = Some(match run {
            Some((from, last, n)) if add_days(last, 1) == day => (from, day, n + 1),
            _ => (day, day, 1),
        });
        if let Some((from, _, RUN_DAYS)) = run {
            out.push(alert(AlertRule::run(kind), r, Some(from)));
        }
    }
    out.sort_by(|a, b| (a.day, a.rule.code()).cmp(&(b.day, b.rule.code())));
    out
}

/// The alerts of the days one new reading can change: exactly those that
/// [`alerts_for`] gives on days `from..=to` once the reading is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertUpdate {
    /// The kind of readings.
    pub kind: ReadingKind,
    /// First day whose alerts are replaced (the reading's day).
    pub from: NaiveDate,
    /// Last day whose alerts are replaced (the reading's day + 3).
    pub to: NaiveDate,
    /// The alerts that should exist on those days.
    pub alerts: Vec<Alert>,
}

/// What one new reading changes. `known` holds the person's stored
/// readings of the same kind; only days `day − 3 ..= day + 3` are read, so
/// passing that slice is enough. The caller replaces its stored alerts of
/// this person and kind on days `from..=to` by `alerts`; a reading can
/// fire an alert on its day or, arriving late, move or remove a run alert
/// up to three days later, and nothing beyond.
pub fn alerts_after_reading(
    new: &Reading,
    known: &[Reading],
    spans: &[ManagementSpan],
) -> AlertUpdate {
    let day = new.day();
    let (lo, hi) = (
        add_days(day, -REACH_BACK_DAYS),
        add_days(day, REACH_AHEAD_DAYS),
    );
    let mut near: Vec<Reading> = known
        .iter()
        .filter(|r| r.kind() == new.kind() && (lo..=hi).contains(&r.day()))
        .cloned()
        .collect();
    near.push(new.clone());
    let mut alerts = alerts_for(&near, new.kind(), spans);
    alerts.retain(|a| a.day >= day);
    AlertUpdate {
        kind: new.kind(),
        from: day,
        to: hi,
        alerts,
    }
}

/// Why a reading row is refused. Every variant names its column.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadingError {
    /// 身份证号.
    #[error("身份证号：{0}")]
    IdNumber(#[from] IdCardError),
    /// 测量时间.
    #[error(transparent)]
    MeasuredAt(#[from] InstantError),
    /// 类型.
    #[error(transparent)]
    Kind(#[from] CodeError),
    /// 收缩压, 舒张压 or 血糖 out of range or unreadable.
    #[error(transparent)]
    Measure(#[from] MeasureError),
    /// A column the kind needs is empty.
    #[error("{kind}读数缺少{column}")]
    Missing {
        /// The reading's kind.
        kind: ReadingKind,
        /// The English column name.
        column: &'static str,
    },
    /// A column that does not belong to the kind is filled.
    #[error("{kind}读数不应填写{column}")]
    Unexpected {
        /// The reading's kind.
        kind: ReadingKind,
        /// The English column name.
        column: &'static str,
    },
    /// A pressure that is not a whole number.
    #[error("{column}应为整数 mmHg，实际为“{value}”")]
    NotWhole {
        /// The English column name.
        column: &'static str,
        /// The text given.
        value: String,
    },
    /// 空腹 is not true/false.
    #[error("空腹应为 true/false（是/否），实际为“{value}”")]
    Fasting {
        /// The text given.
        value: String,
    },
    /// 设备号 empty or longer than 64 characters.
    #[error("设备号应为 1–{DEVICE_ID_MAX_CHARS} 个字符，实际为“{value}”")]
    Device {
        /// The text given.
        value: String,
    },
}

impl ReadingError {
    /// The English column at fault.
    pub fn column(&self) -> &'static str {
        match self {
            ReadingError::IdNumber(_) => "id_number",
            ReadingError::MeasuredAt(_) => "measured_at",
            ReadingError::Kind(_) => "kind",
            ReadingError::Measure(e) => e.field(),
            ReadingError::Missing { column, .. }
            | ReadingError::Unexpected { column, .. }
            | ReadingError::NotWhole { column, .. } => column,
            ReadingError::Fasting { .. } => "fasting",
            ReadingError::Device { .. } => "device_id",
        }
    }
}
