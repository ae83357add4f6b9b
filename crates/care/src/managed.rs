//! Managed patients (慢病管理对象): which of the four chronic diseases a
//! person is managed for, from when and until when.
//!
//! Management starts on the first confirmed diagnosis that falls under the
//! disease's entry of the `chronic4` list version in force on the
//! diagnosis date, and ends with death, moving out or a recorded end of
//! management. A diagnosis older than the list's first version is judged
//! by that version and counts from its first day: people diagnosed in
//! 2012 were not cured by the list's arrival in 2017. A recorded end closes only that disease's span; a later
//! matching diagnosis (a second TB episode) opens a new one.
//!
//! Catalogue entries are mapped to the four care diseases by their codes,
//! never by their names, because regions rename rows (高血压 / 原发性高血压)
//! and add rows of their own: the entry that covers a disease's anchor
//! codes (`I10`–`I15` but `I14`, `E11`, `A15`/`A16`, `F20`/`F22`/`F25`/`F31`)
//! is that disease's entry. An entry covering anchors of two diseases is
//! refused; entries covering none (a region's COPD row) are not scheduled
//! here but still count for batch B.

use std::fmt;

use chrono::NaiveDate;
use jianfu_domain::disease::Disease;
use jianfu_domain::{DiagnosisRecord, DiseaseCatalogue, DiseaseList, Icd10};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calendar::age_on;
use crate::explain::{Explain, ymd};

/// The four priority chronic diseases of contract management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareDisease {
    /// 原发性高血压.
    Hypertension,
    /// 2型糖尿病.
    Diabetes,
    /// 肺结核.
    Tb,
    /// 严重精神障碍.
    Mental,
}

impl CareDisease {
    /// Every disease, in display order.
    pub const ALL: [CareDisease; 4] = [
        CareDisease::Hypertension,
        CareDisease::Diabetes,
        CareDisease::Tb,
        CareDisease::Mental,
    ];

    /// Stable English code (files, API, database).
    pub const fn code(self) -> &'static str {
        match self {
            CareDisease::Hypertension => "hypertension",
            CareDisease::Diabetes => "diabetes",
            CareDisease::Tb => "tb",
            CareDisease::Mental => "mental",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            CareDisease::Hypertension => "高血压",
            CareDisease::Diabetes => "2型糖尿病",
            CareDisease::Tb => "肺结核",
            CareDisease::Mental => "严重精神障碍",
        }
    }

    /// English name for explanations.
    pub const fn name_en(self) -> &'static str {
        match self {
            CareDisease::Hypertension => "hypertension",
            CareDisease::Diabetes => "type-2 diabetes",
            CareDisease::Tb => "pulmonary tuberculosis",
            CareDisease::Mental => "severe mental disorder",
        }
    }

    /// Parses the English code or the Chinese label (a few common forms).
    pub fn parse(input: &str) -> Option<CareDisease> {
        let s = input.trim();
        CareDisease::ALL.into_iter().find(|d| {
            s.eq_ignore_ascii_case(d.code())
                || s == d.label()
                || match d {
                    CareDisease::Hypertension => s == "原发性高血压",
                    CareDisease::Diabetes => s == "糖尿病",
                    CareDisease::Tb => s == "结核病",
                    CareDisease::Mental => s == "重性精神疾病",
                }
        })
    }

    /// Position in [`CareDisease::ALL`], for per-disease arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Codes whose catalogue entry is this disease's entry.
    fn anchors(self) -> &'static [&'static str] {
        match self {
            CareDisease::Hypertension => &["I10", "I11", "I12", "I13", "I15"],
            CareDisease::Diabetes => &["E11"],
            CareDisease::Tb => &["A15", "A16"],
            CareDisease::Mental => &["F20", "F22", "F25", "F31"],
        }
    }
}

impl fmt::Display for CareDisease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A diagnosis as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// 疾病编码.
    pub icd10: Icd10,
    /// 确诊日期.
    pub diagnosed_on: NaiveDate,
    /// False for a suspected (疑似) diagnosis, which starts nothing.
    pub confirmed: bool,
}

impl Diagnosis {
    /// A confirmed diagnosis.
    pub fn confirmed(icd10: Icd10, diagnosed_on: NaiveDate) -> Self {
        Diagnosis {
            icd10,
            diagnosed_on,
            confirmed: true,
        }
    }
}

impl From<&DiagnosisRecord> for Diagnosis {
    /// Registry diagnoses carry a 确诊日期, so they are confirmed.
    fn from(r: &DiagnosisRecord) -> Self {
        Diagnosis::confirmed(r.icd10.clone(), r.diagnosed_on)
    }
}

/// A `chronic4` catalogue that cannot be mapped to the four diseases.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ManagedError {
    /// One entry covers the anchor codes of two diseases.
    #[error("慢病目录 {version} 版的“{entry}”同时覆盖{first}和{second}的编码，无法确定管理病种")]
    AmbiguousEntry {
        /// List version.
        version: String,
        /// The entry's Chinese name.
        entry: String,
        /// One disease it covers.
        first: CareDisease,
        /// Another disease it covers.
        second: CareDisease,
    },
    /// The catalogue has no `chronic4` list at all.
    #[error("疾病目录中没有重点慢病目录（chronic4）")]
    NoList,
}

/// One `chronic4` version with its entries mapped to care diseases.
#[derive(Debug, Clone)]
struct MappedList {
    list: DiseaseList,
    /// Per entry of `list.diseases`, the care disease it stands for.
    care: Vec<Option<CareDisease>>,
}

/// The `chronic4` versions of a catalogue, mapped to the four diseases.
#[derive(Debug, Clone)]
pub struct CareCatalogue {
    versions: Vec<MappedList>,
}

/// What a diagnosis matched.
#[derive(Debug, Clone, Copy)]
pub struct CareMatch<'a> {
    /// The care disease.
    pub disease: CareDisease,
    /// The catalogue entry.
    pub entry: &'a Disease,
    /// The list version that judged the diagnosis.
    pub version: &'a str,
    /// The first day the match counts: the diagnosis date, or the
    /// version's first day for a diagnosis older than the list.
    pub counts_from: NaiveDate,
}

/// The version of a list that judges a diagnosis dated `on`: the latest
/// version in force then or, for a diagnosis older than every version,
/// the earliest version, counting from its first day. A chronic disease
/// diagnosed in 2012 is still there when the 2017 list arrives; a date in
/// a gap between two versions finds nothing.
pub fn judging_version<'a, T: 'a>(
    items: impl Iterator<Item = &'a T> + Clone,
    list: impl Fn(&T) -> &DiseaseList,
    on: NaiveDate,
) -> Option<(&'a T, NaiveDate)> {
    let in_force = items
        .clone()
        .filter(|t| list(t).in_force_on(on))
        .max_by_key(|t| list(t).valid_from);
    if let Some(t) = in_force {
        return Some((t, on));
    }
    let earliest = items.min_by_key(|t| list(t).valid_from)?;
    let from = list(earliest).valid_from;
    (on < from).then_some((earliest, from))
}

impl CareCatalogue {
    /// Maps every `chronic4` version of `catalogue`.
    pub fn new(catalogue: &DiseaseCatalogue) -> Result<Self, ManagedError> {
        let versions = catalogue
            .lists
            .iter()
            .filter(|l| l.id == "chronic4")
            .map(map_list)
            .collect::<Result<Vec<_>, _>>()?;
        if versions.is_empty() {
            return Err(ManagedError::NoList);
        }
        Ok(CareCatalogue { versions })
    }

    /// The shipped catalogue, mapped.
    pub fn built_in() -> Self {
        CareCatalogue::new(&DiseaseCatalogue::built_in()).expect("shipped chronic4 maps")
    }

    /// The care disease `code`, diagnosed on `on` in a person of `age`,
    /// falls under (see [`judging_version`] for the version used).
    pub fn classify(&self, code: &Icd10, on: NaiveDate, age: Option<u32>) -> Option<CareMatch<'_>> {
        let (mapped, counts_from) = judging_version(self.versions.iter(), |m| &m.list, on)?;
        let entry = mapped.list.matching(code, age)?;
        let at = mapped
            .list
            .diseases
            .iter()
            .position(|d| std::ptr::eq(d, entry))?;
        Some(CareMatch {
            disease: mapped.care[at]?,
            entry,
            version: &mapped.list.version,
            counts_from,
        })
    }
}

fn map_list(list: &DiseaseList) -> Result<MappedList, ManagedError> {
    let mut care: Vec<Option<CareDisease>> = vec![None; list.diseases.len()];
    for disease in CareDisease::ALL {
        for anchor in disease.anchors() {
            let code = Icd10::parse(anchor).expect("anchors are codes");
            let Some(entry) = list.matching(&code, None) else {
                continue;
            };
            let at = list
                .diseases
                .iter()
                .position(|d| std::ptr::eq(d, entry))
                .expect("entry of this list");
            match care[at] {
                Some(other) if other != disease => {
                    return Err(ManagedError::AmbiguousEntry {
                        version: list.version.clone(),
                        entry: entry.name.clone(),
                        first: other,
                        second: disease,
                    });
                }
                _ => care[at] = Some(disease),
            }
        }
    }
    Ok(MappedList {
        list: list.clone(),
        care,
    })
}

/// A recorded end of management of one disease (结案、治愈、转出管理).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedEnd {
    /// The disease whose management ended.
    pub disease: CareDisease,
    /// First day the person is no longer managed for it.
    pub on: NaiveDate,
}

/// The person-level facts that end management.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonEnds {
    /// Date of death (人员状态 死亡).
    pub died_on: Option<NaiveDate>,
    /// Date of moving out (迁出).
    pub moved_out_on: Option<NaiveDate>,
    /// Recorded ends of management, any order.
    pub ended: Vec<RecordedEnd>,
}

/// Why management started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartReason {
    /// The first matching diagnosis.
    pub icd10: Icd10,
    /// Its date.
    pub diagnosed_on: NaiveDate,
    /// The `chronic4` version in force then.
    pub list_version: String,
    /// The entry's Chinese name.
    pub entry: String,
}

/// Why management ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The person died.
    Died,
    /// The person moved out.
    MovedOut,
    /// Management of the disease was ended on record.
    Recorded,
}

/// A span of management of one disease: managed on `since` and every day
/// up to, not including, `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementSpan {
    /// The disease.
    pub disease: CareDisease,
    /// First day managed (the first matching diagnosis).
    pub since: NaiveDate,
    /// First day no longer managed, if management has ended.
    pub until: Option<NaiveDate>,
    /// Why it started.
    pub start: StartReason,
    /// Why it ended, if it has.
    pub end: Option<EndReason>,
}

impl ManagementSpan {
    /// True when the person is managed on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.since <= day && self.until.is_none_or(|u| day < u)
    }

    /// True when the span shares a day with `from..=to`.
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.since <= to && self.until.is_none_or(|u| u > from)
    }
}

impl Explain for ManagementSpan {
    fn zh(&self) -> String {
        let s = &self.start;
        let mut line = format!(
            "自{}起纳入{}管理：{} 确诊 {}，属重点慢病目录（{}版）“{}”",
            ymd(self.since),
            self.disease.label(),
            ymd(s.diagnosed_on),
            s.icd10,
            s.list_version,
            s.entry
        );
        if let (Some(u), Some(e)) = (self.until, self.end) {
            let why = match e {
                EndReason::Died => "死亡",
                EndReason::MovedOut => "迁出",
                EndReason::Recorded => "结束管理",
            };
            line.push_str(&format!("；{}{why}，管理终止", ymd(u)));
        }
        line
    }

    fn en(&self) -> String {
        let s = &self.start;
        let mut line = format!(
            "Managed for {} since {}: {} diagnosed on {}, entry “{}” of chronic4 version {}",
            self.disease.name_en(),
            ymd(self.since),
            s.icd10,
            ymd(s.diagnosed_on),
            s.entry,
            s.list_version
        );
        if let (Some(u), Some(e)) = (self.until, self.end) {
            let why = match e {
                EndReason::Died => "died",
                EndReason::MovedOut => "moved out",
                EndReason::Recorded => "management ended on record",
            };
            line.push_str(&format!("; {why} on {}, management over", ymd(u)));
        }
        line
    }
}

/// The spans of management of a person born on `birth`, sorted by disease
/// and start. Suspected diagnoses and diagnoses on or after death or
/// moving out start nothing.
pub fn managed_spans(
    catalogue: &CareCatalogue,
    birth: NaiveDate,
    diagnoses: &[Diagnosis],
    ends: &PersonEnds,
) -> Vec<ManagementSpan> {
    let terminal = person_end(ends);
    let mut matches: Vec<(CareDisease, NaiveDate, StartReason)> = diagnoses
        .iter()
        .filter(|d| d.confirmed && terminal.is_none_or(|(t, _)| d.diagnosed_on < t))
        .filter_map(|d| {
            let age = Some(age_on(birth, d.diagnosed_on));
            let m = catalogue.classify(&d.icd10, d.diagnosed_on, age)?;
            Some((m.disease, m.counts_from, start_reason(d, &m)))
        })
        .collect();
    // Ties on one day keep the smallest code, so the reason is stable.
    matches.sort_by(|a, b| (a.0, a.1, &a.2.icd10).cmp(&(b.0, b.1, &b.2.icd10)));
    let mut spans = Vec::new();
    let mut next_allowed: Option<(CareDisease, NaiveDate)> = None;
    for (disease, on, start) in matches {
        // A diagnosis inside an open span, or on the day a span ended,
        // starts nothing new.
        if let Some((d, after)) = next_allowed
            && d == disease
            && on <= after
        {
            continue;
        }
        let span = close_span(disease, on, start, ends, terminal);
        next_allowed = Some((disease, span.until.unwrap_or(NaiveDate::MAX)));
        if span.until.is_none_or(|u| u > span.since) {
            spans.push(span);
        }
    }
    spans
}

fn start_reason(d: &Diagnosis, m: &CareMatch<'_>) -> StartReason {
    StartReason {
        icd10: d.icd10.clone(),
        diagnosed_on: d.diagnosed_on,
        list_version: m.version.to_string(),
        entry: m.entry.name.clone(),
    }
}

/// Death or moving out, whichever came first.
fn person_end(ends: &PersonEnds) -> Option<(NaiveDate, EndReason)> {
    let died = ends.died_on.map(|d| (d, EndReason::Died));
    let moved = ends.moved_out_on.map(|d| (d, EndReason::MovedOut));
    match (died, moved) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn close_span(
    disease: CareDisease,
    since: NaiveDate,
    start: StartReason,
    ends: &PersonEnds,
    terminal: Option<(NaiveDate, EndReason)>,
) -> ManagementSpan {
    let recorded = ends
        .ended
        .iter()
        .filter(|e| e.disease == disease && e.on >= since)
        .map(|e| (e.on, EndReason::Recorded))
        .min_by_key(|e| e.0);
    let end = match (recorded, terminal) {
        (Some(r), Some(t)) => Some(if t.0 <= r.0 { t } else { r }),
        (r, t) => r.or(t),
    };
    ManagementSpan {
        disease,
        since,
        until: end.map(|e| e.0),
        start,
        end: end.map(|e| e.1),
    }
}

/// The span of `disease` that covers `day`, if any.
pub fn span_on(
    spans: &[ManagementSpan],
    disease: CareDisease,
    day: NaiveDate,
) -> Option<&ManagementSpan> {
    spans.iter().find(|s| s.disease == disease && s.covers(day))
}
