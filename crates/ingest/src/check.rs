//! Cross-row checks and the first pass of an import.
//!
//! [`PersonsCheck`] and [`DiagnosesCheck`] are streaming accumulators: fed
//! one parsed row at a time, they report problems to a [`ReportSink`] as
//! soon as they are known and keep only compact state (one entry per
//! distinct ID number and per household, rejected rows as runs).
//! [`check_persons_file`] and [`check_diagnoses_file`] run them over a
//! whole file and return a [`CheckOutcome`]; the caller then re-opens the
//! file ([`crate::PersonsReader::open_checked`]) and writes the rows the
//! outcome did not reject.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::Arc;

use jianfu_domain::{HouseholdType, IdCardNo, Money, RegionCode, Relation};

use crate::ImportOptions;
use crate::columns::{DIAGNOSIS_COLUMNS, FileKind, PERSON_COLUMNS, diagnosis, person};
use crate::diagnoses::{DiagnosesReader, DiagnosisRow};
use crate::error::FileError;
use crate::fields::{report_value, short};
use crate::hash::FastMap;
use crate::persons::{PersonRow, PersonsReader};
use crate::report::{CountingSink, ReportSink, RowError, Severity};
use crate::table::{FileFingerprint, Progress, ProgressUnit};

/// Progress is reported every this many rows.
const PROGRESS_EVERY: u32 = 4096;

/// What the region tree says about a village code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VillageCheck {
    /// A village (村/居委会) of the tree.
    Ok,
    /// No such code.
    NotFound,
    /// The code exists but is a township, county or higher.
    NotAVillage,
    /// Not in the loaded edition, but a well-formed village code (segment
    /// 001–399) under a township that is: most likely a village merged or
    /// renumbered since the sending department's list was made. Imported
    /// with a warning.
    Unlisted,
    /// Outside the importer's jurisdiction (`outside_jurisdiction`);
    /// judged before the tree is asked.
    OutsideJurisdiction,
}

/// What the registry says of the person an ID number names, for files
/// that refer to persons (diagnoses, claims).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonCheck {
    /// Listed, and inside the importer's jurisdiction. A caller that does
    /// not look persons up in the first pass answers this; the write pass
    /// then reports a person the registry lacks.
    Listed,
    /// The registry has no such person (`unknown_person`).
    NotListed,
    /// No such person inside the importer's jurisdiction
    /// (`outside_jurisdiction`). Whether the person is listed elsewhere is
    /// not told: that would disclose another jurisdiction's registry.
    OutsideJurisdiction,
}

/// The report's problem for a household whose village lies outside the
/// importer's jurisdiction.
pub const OUTSIDE_JURISDICTION_VILLAGE: &str =
    "该村不在您的管辖范围内；只能导入本辖区的人员，请核对行政区划代码，或由上级管理员导入";

/// The report's problem for a row naming a person not found inside the
/// importer's jurisdiction.
pub const OUTSIDE_JURISDICTION_PERSON: &str = "您的管辖范围内没有该身份证号对应的人员；只能导入本辖区人员的记录，请核对身份证号，或由上级管理员导入";

/// A set of row numbers, kept as sorted runs (a whole household is one
/// run when its rows are together).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowSet {
    runs: Vec<(u32, u32)>,
    len: u64,
}

impl RowSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The set of the given inclusive runs, in any order, overlapping or not.
    pub fn from_runs(mut runs: Vec<(u32, u32)>) -> Self {
        runs.retain(|(a, b)| a <= b);
        runs.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(runs.len());
        for (a, b) in runs {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let len = merged.iter().map(|(a, b)| u64::from(b - a) + 1).sum();
        RowSet { runs: merged, len }
    }

    /// True when `row` is in the set.
    pub fn contains(&self, row: u32) -> bool {
        let i = self.runs.partition_point(|&(_, b)| b < row);
        self.runs.get(i).is_some_and(|&(a, _)| a <= row)
    }

    /// Number of rows.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The rows in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs.iter().flat_map(|&(a, b)| a..=b)
    }

    /// The inclusive runs in increasing order.
    pub fn runs(&self) -> &[(u32, u32)] {
        &self.runs
    }
}

/// Rejected rows as they are found (mostly increasing), normalised into a
/// [`RowSet`] at the end.
#[derive(Debug, Default)]
struct RunsBuilder {
    runs: Vec<(u32, u32)>,
}

impl RunsBuilder {
    fn add(&mut self, a: u32, b: u32) {
        match self.runs.last_mut() {
            Some(last) if last.0 <= a && a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => self.runs.push((a, b)),
        }
    }

    fn build(self) -> RowSet {
        RowSet::from_runs(self.runs)
    }
}

/// The result of the first pass over a file.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// What was checked.
    pub kind: FileKind,
    /// The row the header was read from.
    pub header_row: u32,
    /// Non-blank data rows read.
    pub data_rows: u64,
    /// Rows that must not be imported.
    pub rejected: RowSet,
    /// Accepted rows to write after all others (claims files: reversals
    /// that come before the claim they reverse).
    pub deferred: RowSet,
    /// Problems of severity error reported.
    pub errors: u64,
    /// Warnings reported.
    pub warnings: u64,
    /// Distinct households (persons files only).
    pub households: u64,
    /// Households rejected as a whole (persons files only).
    pub households_rejected: u64,
    /// The file as checked, to notice changes before the second pass.
    pub fingerprint: FileFingerprint,
}

impl CheckOutcome {
    /// Rows that may be imported.
    pub fn accepted_rows(&self) -> u64 {
        self.data_rows.saturating_sub(self.rejected.len())
    }

    /// True when no row is rejected and no error was reported.
    pub fn is_clean(&self) -> bool {
        self.errors == 0 && self.rejected.is_empty()
    }
}

fn household_error(
    file: &Arc<str>,
    row: u32,
    column: usize,
    value: String,
    problem: String,
    code: &'static str,
) -> RowError {
    let def = &PERSON_COLUMNS[column];
    RowError {
        file: file.clone(),
        row,
        column: Cow::Borrowed(def.header),
        value: report_value(def.kind, &value),
        problem,
        code,
        severity: Severity::Error,
    }
}

/// Per-household state, kept compact (64 bytes; the household number is
/// only in the index map).
#[derive(Debug)]
struct Household {
    first_row: u32,
    rows: u32,
    /// The current run of consecutive rows; earlier runs (rows of the
    /// household spread over the file) are boxed as they are rare.
    last_run: (u32, u32),
    // Boxed so that the common case (no earlier runs) costs 8 bytes.
    #[allow(clippy::box_collection)]
    earlier_runs: Option<Box<Vec<(u32, u32)>>>,
    head_row: u32,
    heads: u16,
    head_rejected: bool,
    rejected: bool,
    /// Index into `HouseholdType::ALL`, or [`UNSET`].
    household_type: u8,
    village: Option<RegionCode>,
    village_row: u32,
    type_row: u32,
    income_row: u32,
    /// Fen, or [`INCOME_UNSET`] / [`INCOME_EMPTY`].
    income: i64,
}

const UNSET: u8 = u8::MAX;
const INCOME_UNSET: i64 = i64::MIN;
const INCOME_EMPTY: i64 = i64::MIN + 1;

fn income_code(m: Option<Money>) -> i64 {
    m.map_or(INCOME_EMPTY, Money::fen)
}

fn income_of(code: i64) -> Option<Money> {
    (code != INCOME_EMPTY).then(|| Money::from_fen(code))
}

fn type_code(t: HouseholdType) -> u8 {
    HouseholdType::ALL
        .iter()
        .position(|&x| x == t)
        .map_or(UNSET, |i| i as u8)
}

impl Household {
    fn new(row: u32) -> Self {
        Household {
            first_row: row,
            rows: 0,
            last_run: (row, row),
            earlier_runs: None,
            head_row: 0,
            heads: 0,
            head_rejected: false,
            rejected: false,
            household_type: UNSET,
            village: None,
            village_row: 0,
            type_row: 0,
            income_row: 0,
            income: INCOME_UNSET,
        }
    }

    fn add_row(&mut self, row: u32) {
        self.rows = self.rows.saturating_add(1);
        if self.rows == 1 {
            return;
        }
        if row == self.last_run.1.saturating_add(1) {
            self.last_run.1 = row;
        } else {
            self.earlier_runs
                .get_or_insert_with(Default::default)
                .push(self.last_run);
            self.last_run = (row, row);
        }
    }

    fn runs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.earlier_runs
            .iter()
            .flat_map(|v| v.iter().copied())
            .chain(std::iter::once(self.last_run))
    }
}

fn money_text(m: Option<Money>) -> String {
    m.map_or_else(|| "空".to_string(), |m| m.to_string())
}

/// The cross-row checks of a persons file, fed row by row.
///
/// Reports `duplicate_id` (on the later row, naming the first),
/// `unknown_village` / `not_a_village` (through the caller's region
/// check), `two_heads` (on each extra head row), `household_inconsistent`
/// (on the row that disagrees with the household's first row, per field),
/// and at the end `no_head` and `household_head_rejected` (on the
/// household's first row). Row errors reject their row; household errors
/// reject every row of the household; a rejected head row rejects its
/// household.
pub struct PersonsCheck<'a> {
    file: Arc<str>,
    village_check: &'a dyn Fn(&RegionCode) -> VillageCheck,
    villages: FastMap<RegionCode, VillageCheck>,
    /// The last village looked up (rows of a village come together).
    last_village: Option<(RegionCode, VillageCheck)>,
    ids: FastMap<u64, u32>,
    household_index: FastMap<Box<str>, u32>,
    households: Vec<Household>,
    /// The household of the previous row (members come together).
    last_household: Option<usize>,
    last_household_no: String,
    rejected: RunsBuilder,
    rows: u64,
}

/// What [`PersonsCheck::finish`] found.
#[derive(Debug, Clone)]
pub struct PersonsSummary {
    /// Rows not to import.
    pub rejected: RowSet,
    /// Rows fed.
    pub rows: u64,
    /// Distinct households.
    pub households: u64,
    /// Households rejected as a whole.
    pub households_rejected: u64,
}

impl<'a> PersonsCheck<'a> {
    /// A new check of the file named `file` in the report.
    pub fn new(file: Arc<str>, village_check: &'a dyn Fn(&RegionCode) -> VillageCheck) -> Self {
        Self::with_capacity(file, village_check, 0)
    }

    /// As [`PersonsCheck::new`], sized for about `rows` rows.
    pub fn with_capacity(
        file: Arc<str>,
        village_check: &'a dyn Fn(&RegionCode) -> VillageCheck,
        rows: usize,
    ) -> Self {
        PersonsCheck {
            file,
            village_check,
            villages: FastMap::default(),
            last_village: None,
            ids: FastMap::with_capacity_and_hasher(rows, Default::default()),
            household_index: FastMap::with_capacity_and_hasher(rows / 3, Default::default()),
            households: Vec::with_capacity(rows / 3),
            last_household: None,
            last_household_no: String::new(),
            rejected: RunsBuilder::default(),
            rows: 0,
        }
    }

    /// Takes one row: its number, parsed fields and row-level problems.
    pub fn feed(
        &mut self,
        row: u32,
        p: &PersonRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        self.rows += 1;
        if let Some(code) = p.village {
            let check = match self.last_village {
                Some((c, check)) if c == code => check,
                _ => {
                    let check = *self
                        .villages
                        .entry(code)
                        .or_insert_with(|| (self.village_check)(&code));
                    self.last_village = Some((code, check));
                    check
                }
            };
            let problem = match check {
                VillageCheck::Ok => None,
                VillageCheck::Unlisted => {
                    let mut warning = household_error(
                        &self.file,
                        row,
                        person::VILLAGE_CODE,
                        code.to_string(),
                        format!(
                            "行政区划代码“{code}”不在当前区划库（2023年版）中，但所属乡镇存在，可能是已撤并或更名的村；已按原代码导入，请核实后更新"
                        ),
                        "village_not_in_edition",
                    );
                    warning.severity = Severity::Warning;
                    errors.push(warning);
                    None
                }
                VillageCheck::NotFound => Some((
                    format!(
                        "行政区划代码“{code}”在区划库中不存在；请核对户籍所在村的12位统计用区划代码"
                    ),
                    "unknown_village",
                )),
                VillageCheck::NotAVillage => Some((
                    format!(
                        "行政区划代码“{code}”是乡镇或更高一级的代码，不是村级代码；请填写户籍所在村（居委会）的代码"
                    ),
                    "not_a_village",
                )),
                VillageCheck::OutsideJurisdiction => Some((
                    OUTSIDE_JURISDICTION_VILLAGE.to_string(),
                    "outside_jurisdiction",
                )),
            };
            if let Some((problem, code_name)) = problem {
                errors.push(household_error(
                    &self.file,
                    row,
                    person::VILLAGE_CODE,
                    code.to_string(),
                    problem,
                    code_name,
                ));
            }
        }
        if let Some(id) = p.id {
            match self.ids.entry(id.packed()) {
                Entry::Occupied(first) => errors.push(household_error(
                    &self.file,
                    row,
                    person::ID_NUMBER,
                    id.as_str().to_string(),
                    format!(
                        "身份证号与第{}行重复：同一个人只能登记一次（不能同时在两户）；本行不导入，请删除重复的行或核对号码",
                        first.get()
                    ),
                    "duplicate_id",
                )),
                Entry::Vacant(slot) => {
                    slot.insert(row);
                }
            }
        }
        let row_rejected = errors.iter().any(|e| e.severity == Severity::Error);
        for e in errors {
            sink.push(e);
        }
        if row_rejected {
            self.rejected.add(row, row);
        }
        let Some(no) = p.household_no.as_deref() else {
            return;
        };
        let index = match self.last_household {
            Some(i) if self.last_household_no == no => i,
            _ => {
                let i = match self.household_index.get(no) {
                    Some(&i) => i as usize,
                    None => {
                        let i = self.households.len();
                        self.household_index
                            .insert(Box::from(no), u32::try_from(i).unwrap_or(u32::MAX));
                        self.households.push(Household::new(row));
                        i
                    }
                };
                self.last_household = Some(i);
                self.last_household_no.clear();
                self.last_household_no.push_str(no);
                i
            }
        };
        let file = &self.file;
        let h = &mut self.households[index];
        h.add_row(row);
        if p.relation == Some(Relation::Head) {
            h.heads = h.heads.saturating_add(1);
            if h.heads == 1 {
                h.head_row = row;
                h.head_rejected = row_rejected;
            } else {
                h.rejected = true;
                sink.push(household_error(
                    file,
                    row,
                    person::RELATION,
                    Relation::Head.label().to_string(),
                    format!(
                        "户编号“{}”的家庭已在第{}行有户主，每户只能有一个户主；整户未导入，请核对与户主关系",
                        short(no),
                        h.head_row
                    ),
                    "two_heads",
                ));
            }
        }
        let mut inconsistent = |column: usize, first: String, first_row: u32, this: String| {
            let header = PERSON_COLUMNS[column].header;
            sink.push(household_error(
                file,
                row,
                column,
                this.clone(),
                format!(
                    "同一户（户编号“{}”）各行的{header}应相同：第{first_row}行为“{}”，本行为“{}”；整户未导入，请统一后重新导入",
                    short(no),
                    short(&first),
                    short(&this)
                ),
                "household_inconsistent",
            ));
        };
        if let Some(v) = p.village {
            match h.village {
                None => {
                    h.village = Some(v);
                    h.village_row = row;
                }
                Some(v0) if v0 != v => {
                    h.rejected = true;
                    inconsistent(
                        person::VILLAGE_CODE,
                        v0.to_string(),
                        h.village_row,
                        v.to_string(),
                    );
                }
                Some(_) => {}
            }
        }
        if let Some(t) = p.household_type {
            let code = type_code(t);
            if h.household_type == UNSET {
                h.household_type = code;
                h.type_row = row;
            } else if h.household_type != code {
                h.rejected = true;
                let first = HouseholdType::ALL
                    .get(usize::from(h.household_type))
                    .map_or("", |t| t.label());
                inconsistent(
                    person::HOUSEHOLD_TYPE,
                    first.to_string(),
                    h.type_row,
                    t.label().to_string(),
                );
            }
        }
        if let Some(m) = p.income {
            let code = income_code(m);
            if h.income == INCOME_UNSET {
                h.income = code;
                h.income_row = row;
            } else if h.income != code {
                h.rejected = true;
                inconsistent(
                    person::INCOME,
                    money_text(income_of(h.income)),
                    h.income_row,
                    money_text(m),
                );
            }
        }
    }

    /// Ends the check: reports households without a head and households
    /// whose head row was rejected, and returns the rejected rows.
    pub fn finish(mut self, sink: &mut dyn ReportSink) -> PersonsSummary {
        // Households to report, in file order.
        let mut reported: Vec<(u32, usize, &str)> = self
            .household_index
            .iter()
            .map(|(no, &i)| (i as usize, &**no))
            .filter_map(|(i, no)| {
                let h = self.households.get(i)?;
                (h.heads == 0 || h.rejected || h.head_rejected).then_some((h.first_row, i, no))
            })
            .collect();
        reported.sort_unstable();
        let households_rejected = reported.len() as u64;
        for (_, i, no) in reported {
            let h = &self.households[i];
            if h.heads == 0 {
                sink.push(household_error(
                    &self.file,
                    h.first_row,
                    person::RELATION,
                    String::new(),
                    format!(
                        "户编号“{}”的家庭（共{}行）没有户主，请把其中一人的与户主关系填为“户主”；整户未导入",
                        short(no),
                        h.rows
                    ),
                    "no_head",
                ));
            } else if h.head_rejected && !h.rejected && h.rows > 1 {
                sink.push(household_error(
                    &self.file,
                    h.first_row,
                    person::HOUSEHOLD_ID,
                    no.to_string(),
                    format!(
                        "户编号“{}”的户主所在的第{}行有错误，整户{}行均未导入；请先改正第{}行",
                        short(no),
                        h.head_row,
                        h.rows,
                        h.head_row
                    ),
                    "household_head_rejected",
                ));
            }
            for (a, b) in h.runs() {
                self.rejected.runs.push((a, b));
            }
        }
        PersonsSummary {
            rejected: self.rejected.build(),
            rows: self.rows,
            households: self.households.len() as u64,
            households_rejected,
        }
    }
}

/// The problem and its code for a row of a diagnoses or claims file
/// naming a person the check did not accept; `None` when listed.
pub(crate) fn person_error(
    check: PersonCheck,
    kind: FileKind,
) -> Option<(&'static str, &'static str)> {
    match check {
        PersonCheck::Listed => None,
        // Claims name the code the write pass has always used.
        PersonCheck::NotListed if kind == FileKind::Claims => Some((
            "台账中没有这个身份证号的人员，无法确定参保县和人员类别；请先导入该人员的人员信息，或核对号码",
            "person_not_in_registry",
        )),
        PersonCheck::NotListed => Some((
            "台账中没有这个身份证号的人员；请先导入该人员的人员信息，或核对号码",
            "unknown_person",
        )),
        PersonCheck::OutsideJurisdiction => {
            Some((OUTSIDE_JURISDICTION_PERSON, "outside_jurisdiction"))
        }
    }
}

/// Key of a diagnosis for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DiagnosisKey {
    id: u64,
    day: i32,
    code: Box<str>,
}

/// The cross-row checks of a diagnoses file, fed row by row: the person
/// must be listed inside the importer's jurisdiction (`unknown_person`,
/// `outside_jurisdiction`, through the caller's lookup, asked once per ID
/// number) and the same (ID, code, date) must not come twice
/// (`duplicate_diagnosis` on the later row).
pub struct DiagnosesCheck<'a> {
    file: Arc<str>,
    person_check: &'a dyn Fn(&IdCardNo) -> PersonCheck,
    known: FastMap<u64, PersonCheck>,
    seen: FastMap<DiagnosisKey, u32>,
    rejected: RunsBuilder,
    rows: u64,
}

impl<'a> DiagnosesCheck<'a> {
    /// A new check of the file named `file` in the report.
    pub fn new(file: Arc<str>, person_check: &'a dyn Fn(&IdCardNo) -> PersonCheck) -> Self {
        DiagnosesCheck {
            file,
            person_check,
            known: FastMap::default(),
            seen: FastMap::default(),
            rejected: RunsBuilder::default(),
            rows: 0,
        }
    }

    /// Takes one row: its number, parsed fields and row-level problems.
    pub fn feed(
        &mut self,
        row: u32,
        d: &DiagnosisRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        self.rows += 1;
        let error = |column: usize, value: &str, problem: String, code: &'static str| {
            let def = &DIAGNOSIS_COLUMNS[column];
            RowError {
                file: self.file.clone(),
                row,
                column: Cow::Borrowed(def.header),
                value: report_value(def.kind, value),
                problem,
                code,
                severity: Severity::Error,
            }
        };
        if let Some(id) = d.id {
            let check = *self
                .known
                .entry(id.packed())
                .or_insert_with(|| (self.person_check)(&id));
            if let Some(e) = person_error(check, FileKind::Diagnoses) {
                errors.push(error(diagnosis::ID_NUMBER, id.as_str(), e.0.into(), e.1));
            }
            if let (Some(code), Some(date)) = (&d.icd10, d.diagnosed_on) {
                let key = DiagnosisKey {
                    id: id.packed(),
                    day: chrono::Datelike::num_days_from_ce(&date),
                    code: Box::from(code.as_str()),
                };
                match self.seen.entry(key) {
                    Entry::Occupied(first) => errors.push(error(
                        diagnosis::ICD10,
                        code.as_str(),
                        format!(
                            "与第{}行重复（同一人、同一疾病编码、同一确诊日期）；本行不导入",
                            first.get()
                        ),
                        "duplicate_diagnosis",
                    )),
                    Entry::Vacant(slot) => {
                        slot.insert(row);
                    }
                }
            }
        }
        if errors.iter().any(|e| e.severity == Severity::Error) {
            self.rejected.add(row, row);
        }
        for e in errors {
            sink.push(e);
        }
    }

    /// Ends the check, returning the rejected rows and the rows fed.
    pub fn finish(self) -> (RowSet, u64) {
        (self.rejected.build(), self.rows)
    }
}

/// A guess of the number of rows, to size the maps once: exact for
/// workbooks, about one row per 100 bytes of CSV, at most 4 million.
fn rows_hint(p: Progress) -> usize {
    let rows = match p.unit {
        ProgressUnit::Rows => p.total,
        ProgressUnit::Bytes => p.total / 100,
    };
    usize::try_from(rows.min(4_000_000)).unwrap_or(0)
}

/// First pass over a persons file: parses every row, runs the cross-row
/// checks, streams every problem (header warnings included) to `sink` and
/// returns what to import. `progress` is called every few thousand rows.
///
/// A file-level problem is returned as `Err` and also pushed to `sink`
/// as a report row (rows already reported stay reported).
pub fn check_persons_file(
    path: &Path,
    opts: &ImportOptions,
    village_check: &dyn Fn(&RegionCode) -> VillageCheck,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut counting = CountingSink::new(sink);
    let result = run_persons(path, opts, village_check, &mut counting, progress);
    if let Err(e) = &result {
        counting.push(e.to_row_error(&opts.label_for(path)));
    }
    result
}

fn run_persons(
    path: &Path,
    opts: &ImportOptions,
    village_check: &dyn Fn(&RegionCode) -> VillageCheck,
    sink: &mut CountingSink<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut reader = PersonsReader::open(path, opts)?;
    for w in reader.header_warnings() {
        sink.push(w.clone());
    }
    let header_row = reader.columns().header_row();
    let fingerprint = reader.fingerprint();
    let mut check = PersonsCheck::with_capacity(
        reader.file().clone(),
        village_check,
        rows_hint(reader.progress()),
    );
    let mut n = 0u32;
    let mut p = PersonRow::default();
    while let Some((row, errors)) = reader.next_parts_into(&mut p)? {
        check.feed(row, &p, errors, sink);
        n = n.wrapping_add(1);
        if n.is_multiple_of(PROGRESS_EVERY) {
            progress(reader.progress());
        }
    }
    progress(reader.progress());
    let summary = check.finish(sink);
    Ok(CheckOutcome {
        kind: FileKind::Persons,
        header_row,
        data_rows: summary.rows,
        rejected: summary.rejected,
        deferred: RowSet::new(),
        errors: sink.errors,
        warnings: sink.warnings,
        households: summary.households,
        households_rejected: summary.households_rejected,
        fingerprint,
    })
}

/// First pass over a diagnoses file; `person_check` judges each ID number
/// (asked once per number). Otherwise as [`check_persons_file`].
pub fn check_diagnoses_file(
    path: &Path,
    opts: &ImportOptions,
    person_check: &dyn Fn(&IdCardNo) -> PersonCheck,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut counting = CountingSink::new(sink);
    let result = run_diagnoses(path, opts, person_check, &mut counting, progress);
    if let Err(e) = &result {
        counting.push(e.to_row_error(&opts.label_for(path)));
    }
    result
}

fn run_diagnoses(
    path: &Path,
    opts: &ImportOptions,
    person_check: &dyn Fn(&IdCardNo) -> PersonCheck,
    sink: &mut CountingSink<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut reader = DiagnosesReader::open(path, opts)?;
    for w in reader.header_warnings() {
        sink.push(w.clone());
    }
    let header_row = reader.columns().header_row();
    let fingerprint = reader.fingerprint();
    let mut check = DiagnosesCheck::new(reader.file().clone(), person_check);
    let mut n = 0u32;
    while let Some((row, d, errors)) = reader.next_parts()? {
        check.feed(row, &d, errors, sink);
        n = n.wrapping_add(1);
        if n.is_multiple_of(PROGRESS_EVERY) {
            progress(reader.progress());
        }
    }
    progress(reader.progress());
    let (rejected, rows) = check.finish();
    Ok(CheckOutcome {
        kind: FileKind::Diagnoses,
        header_row,
        data_rows: rows,
        rejected,
        deferred: RowSet::new(),
        errors: sink.errors,
        warnings: sink.warnings,
        households: 0,
        households_rejected: 0,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sets_merge_runs() {
        let s = RowSet::from_runs(vec![(5, 7), (2, 2), (3, 4), (10, 12), (11, 11), (9, 8)]);
        assert_eq!(s.runs(), &[(2, 7), (10, 12)]);
        assert_eq!(s.len(), 9);
        for r in [2, 3, 7, 10, 12] {
            assert!(s.contains(r), "{r}");
        }
        for r in [0, 1, 8, 9, 13, u32::MAX] {
            assert!(!s.contains(r), "{r}");
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [2, 3, 4, 5, 6, 7, 10, 11, 12]);
        let mut b = RunsBuilder::default();
        for r in [3, 4, 5, 9, 2] {
            b.add(r, r);
        }
        assert_eq!(b.build().runs(), &[(2, 5), (9, 9)]);
    }
}
