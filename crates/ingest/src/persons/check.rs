//! The cross-row checks of a persons file: every ID number once, and per
//! household one head and the same village, type and income on every
//! row. State is compact: one entry per ID number and per household, the
//! household number only in the index map.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use jianfu_domain::{HouseholdType, IdCardNo, Money, RegionCode, Relation};

use super::{PERSON_COLUMNS, PersonRow, col};
use crate::check::{RowSet, RunsBuilder};
use crate::columns::ColumnDef;
use crate::fields::{report_value, short};
use crate::hash::FastMap;
use crate::kind::{CheckSummary, CrossCheck};
use crate::report::{ReportSink, RowError, Severity};

fn household_error(
    file: &Arc<str>,
    row: u32,
    column: usize,
    value: String,
    problem: String,
    code: &'static str,
) -> RowError {
    let def: &ColumnDef = &PERSON_COLUMNS[column];
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

/// The row a household's problem is reported on.
struct At<'a> {
    file: &'a Arc<str>,
    row: u32,
    no: &'a str,
}

impl At<'_> {
    /// A field that differs from the household's first row.
    fn inconsistent(&self, column: usize, first: String, first_row: u32, this: String) -> RowError {
        let header = PERSON_COLUMNS[column].header;
        household_error(
            self.file,
            self.row,
            column,
            this.clone(),
            format!(
                "同一户（户编号“{}”）各行的{header}应相同：第{first_row}行为“{}”，本行为“{}”；整户未导入，请统一后重新导入",
                short(self.no),
                short(&first),
                short(&this)
            ),
            "household_inconsistent",
        )
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

fn money_text(m: Option<Money>) -> String {
    m.map_or_else(|| "空".to_string(), |m| m.to_string())
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

    /// A head row: the first is the head, another rejects the household.
    fn head(&mut self, at: &At<'_>, row_rejected: bool) -> Option<RowError> {
        self.heads = self.heads.saturating_add(1);
        if self.heads == 1 {
            self.head_row = at.row;
            self.head_rejected = row_rejected;
            return None;
        }
        self.rejected = true;
        Some(household_error(
            at.file,
            at.row,
            col::RELATION,
            Relation::Head.label().to_string(),
            format!(
                "户编号“{}”的家庭已在第{}行有户主，每户只能有一个户主；整户未导入，请核对与户主关系",
                short(at.no),
                self.head_row
            ),
            "two_heads",
        ))
    }

    /// The household's village, type and income as this row gives them:
    /// the first row sets each, a row that differs rejects the household.
    fn agree(&mut self, at: &At<'_>, p: &PersonRow, sink: &mut dyn ReportSink) {
        let village = p.village.and_then(|v| self.agree_village(at, v));
        let household_type = p.household_type.and_then(|t| self.agree_type(at, t));
        let income = p.income.and_then(|m| self.agree_income(at, m));
        for e in [village, household_type, income].into_iter().flatten() {
            self.rejected = true;
            sink.push(e);
        }
    }

    fn agree_village(&mut self, at: &At<'_>, v: RegionCode) -> Option<RowError> {
        match self.village {
            None => {
                self.village = Some(v);
                self.village_row = at.row;
                None
            }
            Some(v0) if v0 != v => Some(at.inconsistent(
                col::VILLAGE_CODE,
                v0.to_string(),
                self.village_row,
                v.to_string(),
            )),
            Some(_) => None,
        }
    }

    fn agree_type(&mut self, at: &At<'_>, t: HouseholdType) -> Option<RowError> {
        let code = type_code(t);
        if self.household_type == UNSET {
            self.household_type = code;
            self.type_row = at.row;
            return None;
        }
        if self.household_type == code {
            return None;
        }
        let first = HouseholdType::ALL
            .get(usize::from(self.household_type))
            .map_or("", |t| t.label());
        let (first, this) = (first.to_string(), t.label().to_string());
        Some(at.inconsistent(col::HOUSEHOLD_TYPE, first, self.type_row, this))
    }

    fn agree_income(&mut self, at: &At<'_>, m: Option<Money>) -> Option<RowError> {
        let code = income_code(m);
        if self.income == INCOME_UNSET {
            self.income = code;
            self.income_row = at.row;
            return None;
        }
        if self.income == code {
            return None;
        }
        let first = money_text(income_of(self.income));
        Some(at.inconsistent(col::INCOME, first, self.income_row, money_text(m)))
    }

    /// What to report of a rejected household at the end, if anything of
    /// its own (rows with their own errors are reported already).
    fn final_problem(&self, file: &Arc<str>, no: &str) -> Option<RowError> {
        if self.heads == 0 {
            return Some(household_error(
                file,
                self.first_row,
                col::RELATION,
                String::new(),
                format!(
                    "户编号“{}”的家庭（共{}行）没有户主，请把其中一人的与户主关系填为“户主”；整户未导入",
                    short(no),
                    self.rows
                ),
                "no_head",
            ));
        }
        if !(self.head_rejected && !self.rejected && self.rows > 1) {
            return None;
        }
        Some(household_error(
            file,
            self.first_row,
            col::HOUSEHOLD_ID,
            no.to_string(),
            format!(
                "户编号“{}”的户主所在的第{}行有错误，整户{}行均未导入；请先改正第{}行",
                short(no),
                self.head_row,
                self.rows,
                self.head_row
            ),
            "household_head_rejected",
        ))
    }
}

/// The cross-row checks of a persons file, fed row by row.
///
/// Reports `duplicate_id` (on the later row, naming the first),
/// `two_heads` (on each extra head row), `household_inconsistent` (on
/// the row that disagrees with the household's first row, per field),
/// and at the end `no_head` and `household_head_rejected` (on the
/// household's first row). Row errors reject their row; household errors
/// reject every row of the household; a rejected head row rejects its
/// household.
pub struct PersonsCheck {
    file: Arc<str>,
    ids: FastMap<u64, u32>,
    household_index: FastMap<Box<str>, u32>,
    households: Vec<Household>,
    /// The household of the previous row (members come together).
    last_household: Option<usize>,
    last_household_no: String,
    rejected: RunsBuilder,
}

impl PersonsCheck {
    /// A new check of the file named `file` in the report, sized for
    /// about `rows` rows.
    pub fn with_capacity(file: Arc<str>, rows: usize) -> Self {
        PersonsCheck {
            file,
            ids: FastMap::with_capacity_and_hasher(rows, Default::default()),
            household_index: FastMap::with_capacity_and_hasher(rows / 3, Default::default()),
            households: Vec::with_capacity(rows / 3),
            last_household: None,
            last_household_no: String::new(),
            rejected: RunsBuilder::default(),
        }
    }

    /// `duplicate_id` when `id` came on an earlier row.
    fn duplicate_id(&mut self, row: u32, id: IdCardNo) -> Option<RowError> {
        let first = match self.ids.entry(id.packed()) {
            Entry::Occupied(first) => *first.get(),
            Entry::Vacant(slot) => {
                slot.insert(row);
                return None;
            }
        };
        Some(household_error(
            &self.file,
            row,
            col::ID_NUMBER,
            id.as_str().to_string(),
            format!(
                "身份证号与第{first}行重复：同一个人只能登记一次（不能同时在两户）；本行不导入，请删除重复的行或核对号码"
            ),
            "duplicate_id",
        ))
    }

    /// The index of household `no`, created at `row` when new.
    fn household_of(&mut self, no: &str, row: u32) -> usize {
        if let Some(i) = self.last_household
            && self.last_household_no == no
        {
            return i;
        }
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
}

impl CrossCheck<PersonRow> for PersonsCheck {
    fn feed(
        &mut self,
        row: u32,
        p: &PersonRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        if let Some(id) = p.id
            && let Some(e) = self.duplicate_id(row, id)
        {
            errors.push(e);
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
        let index = self.household_of(no, row);
        let at = At {
            file: &self.file,
            row,
            no,
        };
        let h = &mut self.households[index];
        h.add_row(row);
        if p.relation == Some(Relation::Head)
            && let Some(e) = h.head(&at, row_rejected)
        {
            sink.push(e);
        }
        h.agree(&at, p, sink);
    }

    /// Reports households without a head and households whose head row
    /// was rejected, and rejects every row of a rejected household.
    fn finish(mut self, sink: &mut dyn ReportSink) -> CheckSummary {
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
            if let Some(e) = h.final_problem(&self.file, no) {
                sink.push(e);
            }
            for (a, b) in h.runs() {
                self.rejected.add(a, b);
            }
        }
        CheckSummary {
            rejected: self.rejected.build(),
            deferred: RowSet::new(),
            households: self.households.len() as u64,
            households_rejected,
        }
    }
}
