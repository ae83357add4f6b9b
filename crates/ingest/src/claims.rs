//! Rows of the claims (医保结算记录) file and their cross-row checks.
//!
//! A row parses into a [`ClaimRecord`] or a list of row errors. The
//! cross-row check ([`ClaimsCheck`]) finds what one file can show on its
//! own: a claim id used twice, a reversal (冲销) of a reversal, a second
//! reversal of one claim, a reversal by another person, a reversal of a
//! row that is itself rejected. What only the database knows (is the
//! person registered, which policy applies, is the reversed claim stored)
//! is checked when the rows are written.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{ClaimKind, ClaimRecord, FacilityLevel, GroupSet, Icd10, IdCardNo, Money};

use crate::ImportOptions;
use crate::check::{CheckOutcome, PersonCheck, RowSet, person_error};
use crate::columns::{CLAIM_COLUMNS, ColumnMap, FileKind, claim};
use crate::error::FileError;
use crate::fields::{Field, ImportReader, RowCtx, report_value, short};
use crate::hash::FastMap;
use crate::report::{CountingSink, ReportSink, RowError, Severity};
use crate::table::{CellRef, Progress, Row};

/// The fields of a claims row that could be parsed; `None` where the cell
/// was missing or wrong. Optional columns left empty are `Some(None)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimRow {
    /// 结算单号
    pub claim_id: Option<String>,
    /// 身份证号
    pub person: Option<IdCardNo>,
    /// 人员类别: `Some(None)` when empty (the registry's groups apply).
    pub groups: Option<Option<GroupSet>>,
    /// 就诊类型
    pub kind: Option<ClaimKind>,
    /// 医疗机构级别
    pub level: Option<FacilityLevel>,
    /// 是否县域内
    pub county_internal: Option<bool>,
    /// 结算时间
    pub settled_at: Option<NaiveDateTime>,
    /// 医疗总费用
    pub total: Option<Money>,
    /// 政策范围内费用
    pub policy_scope: Option<Money>,
    /// 冲销单号
    pub reverses: Option<Option<String>>,
    /// 主诊断编码
    pub icd10: Option<Option<Icd10>>,
    /// 医疗机构编码
    pub facility_code: Option<Option<String>>,
    /// 入院日期
    pub admitted_on: Option<Option<NaiveDate>>,
    /// 是否先诊疗后付费
    pub pay_later: Option<Option<bool>>,
    /// 是否一站式结算
    pub one_stop: Option<Option<bool>>,
}

impl ClaimRow {
    /// The record, when every field parsed.
    pub fn into_record(self) -> Option<ClaimRecord> {
        Some(ClaimRecord {
            claim_id: self.claim_id?,
            person: self.person?,
            groups: self.groups?,
            kind: self.kind?,
            level: self.level?,
            county_internal: self.county_internal?,
            settled_at: self.settled_at?,
            total: self.total?,
            policy_scope: self.policy_scope?,
            reverses: self.reverses?,
            icd10: self.icd10?,
            facility_code: self.facility_code?,
            admitted_on: self.admitted_on?,
            pay_later: self.pay_later?,
            one_stop: self.one_stop?,
        })
    }
}

fn optional_text(
    ctx: &mut RowCtx<'_>,
    i: usize,
    row: &Row,
    map: &ColumnMap,
) -> Option<Option<String>> {
    match ctx.text(&CLAIM_COLUMNS[i], row.get(map.position(i))) {
        Field::Value(v) => Some(Some(v.into_owned())),
        Field::Empty => Some(None),
        Field::Bad => None,
    }
}

/// A code-list cell parsed by `parse`; `code` names the error.
fn code_cell<T, E>(
    ctx: &mut RowCtx<'_>,
    i: usize,
    row: &Row,
    map: &ColumnMap,
    parse: impl Fn(&str) -> Result<T, E>,
    allowed: &str,
    code: &'static str,
) -> Option<T> {
    let def = &CLAIM_COLUMNS[i];
    let Field::Value(v) = ctx.text(def, row.get(map.position(i))) else {
        return None;
    };
    match parse(&v) {
        Ok(t) => Some(t),
        Err(_) => {
            ctx.error(
                def,
                &v,
                format!("“{}”不是有效的{}，请填写：{allowed}", short(&v), def.header),
                code,
            );
            None
        }
    }
}

fn labels<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> String {
    all.iter().map(|&v| label(v)).collect::<Vec<_>>().join("、")
}

/// Parses one row of a claims file, collecting every problem of the row.
pub fn parse_claim_row(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
) -> (ClaimRow, Vec<RowError>) {
    let cols = &CLAIM_COLUMNS;
    let mut ctx = RowCtx::new(file, row.number());
    let cell = |i: usize| row.get(map.position(i));
    let mut c = ClaimRow {
        claim_id: match ctx.text(&cols[claim::CLAIM_ID], cell(claim::CLAIM_ID)) {
            Field::Value(v) => Some(v.into_owned()),
            _ => None,
        },
        person: ctx.id_number(&cols[claim::PERSON_ID], cell(claim::PERSON_ID), today),
        ..ClaimRow::default()
    };

    let def = &cols[claim::GROUPS];
    c.groups = match ctx.text(def, cell(claim::GROUPS)) {
        Field::Value(v) => match GroupSet::parse_list(&v) {
            Ok(g) => Some(Some(g)),
            Err(e) => {
                ctx.error(
                    def,
                    &v,
                    format!(
                        "人员类别“{}”不是有效的类别，可填：{}（多个用“、”或“|”分隔；不填则按台账）",
                        short(&e.value),
                        labels(jianfu_domain::Group::ALL, jianfu_domain::Group::label)
                    ),
                    "unknown_group",
                );
                None
            }
        },
        Field::Empty => Some(None),
        Field::Bad => None,
    };
    c.kind = code_cell(
        &mut ctx,
        claim::KIND,
        row,
        map,
        ClaimKind::parse,
        &labels(ClaimKind::ALL, ClaimKind::label),
        "unknown_claim_kind",
    );
    c.level = code_cell(
        &mut ctx,
        claim::LEVEL,
        row,
        map,
        FacilityLevel::parse,
        &labels(FacilityLevel::ALL, FacilityLevel::label),
        "unknown_facility_level",
    );
    c.county_internal = ctx
        .flag(&cols[claim::COUNTY_INTERNAL], cell(claim::COUNTY_INTERNAL))
        .flatten();
    c.settled_at = ctx.datetime(&cols[claim::SETTLED_AT], cell(claim::SETTLED_AT), today);
    c.total = ctx.money(&cols[claim::TOTAL], cell(claim::TOTAL)).flatten();
    c.policy_scope = ctx
        .money(&cols[claim::POLICY_SCOPE], cell(claim::POLICY_SCOPE))
        .flatten();
    if let (Some(total), Some(scope)) = (c.total, c.policy_scope)
        && scope > total
    {
        ctx.error(
            &cols[claim::POLICY_SCOPE],
            &scope.to_string(),
            format!("政策范围内费用{scope}元大于医疗总费用{total}元；政策范围内费用只能是总费用的一部分，请核对"),
            "scope_exceeds_total",
        );
        c.policy_scope = None;
    }
    c.reverses = optional_text(&mut ctx, claim::REVERSES, row, map);
    let def = &cols[claim::ICD10];
    c.icd10 = match ctx.text(def, cell(claim::ICD10)) {
        Field::Value(v) => match Icd10::parse(&v) {
            Ok(code) => Some(Some(code)),
            Err(_) => {
                ctx.error(
                    def,
                    &v,
                    format!(
                        "主诊断编码“{}”不是有效的 ICD-10 编码；应为1个字母加2位数字，可带小数点后的细分码，如 I10、C16.9",
                        short(&v)
                    ),
                    "bad_icd10",
                );
                None
            }
        },
        Field::Empty => Some(None),
        Field::Bad => None,
    };
    c.facility_code = optional_text(&mut ctx, claim::FACILITY_CODE, row, map);
    c.admitted_on = if is_blank(cell(claim::ADMITTED_ON)) {
        Some(None)
    } else {
        ctx.date(&cols[claim::ADMITTED_ON], cell(claim::ADMITTED_ON), today)
            .map(Some)
    };
    c.pay_later = ctx.flag(&cols[claim::PAY_LATER], cell(claim::PAY_LATER));
    c.one_stop = ctx.flag(&cols[claim::ONE_STOP], cell(claim::ONE_STOP));
    (c, ctx.errors)
}

/// Whether a cell is empty or blank text (an optional date left blank is
/// "not given", not a bad date).
fn is_blank(cell: CellRef<'_>) -> bool {
    match cell {
        CellRef::Empty => true,
        CellRef::Text(s) => crate::normalize::normalize_text(s).is_empty(),
        _ => false,
    }
}

/// A row as a record, or all its problems.
pub type ClaimResult = Result<ClaimRecord, Vec<RowError>>;

/// Parses one row of a claims file into a record or all its problems.
pub fn parse_claim(row: &Row, map: &ColumnMap, file: &Arc<str>, today: NaiveDate) -> ClaimResult {
    let (c, errors) = parse_claim_row(row, map, file, today);
    if errors.iter().any(|e| e.severity == Severity::Error) {
        return Err(errors);
    }
    c.into_record().ok_or_else(|| {
        vec![RowError {
            file: file.clone(),
            row: row.number(),
            column: "".into(),
            value: String::new(),
            problem: "本行数据不完整".into(),
            code: "incomplete_row",
            severity: Severity::Error,
        }]
    })
}

/// Reads a claims file row by row.
pub struct ClaimsReader {
    inner: ImportReader,
}

impl ClaimsReader {
    /// Opens a claims file and reads its header.
    pub fn open(path: &Path, opts: &ImportOptions) -> Result<Self, FileError> {
        Ok(ClaimsReader {
            inner: ImportReader::open(path, opts, FileKind::Claims)?,
        })
    }

    /// Opens the file checked by `outcome`, refusing it if it has changed.
    pub fn open_checked(
        path: &Path,
        opts: &ImportOptions,
        outcome: &CheckOutcome,
    ) -> Result<Self, FileError> {
        Ok(ClaimsReader {
            inner: ImportReader::open_checked(path, opts, FileKind::Claims, outcome.fingerprint)?,
        })
    }

    /// Warnings about the header (unknown columns).
    pub fn header_warnings(&self) -> &[RowError] {
        &self.inner.warnings
    }

    /// The file's name in the report.
    pub fn file(&self) -> &Arc<str> {
        &self.inner.file
    }

    /// Where the columns are.
    pub fn columns(&self) -> &ColumnMap {
        &self.inner.map
    }

    /// The next row's number, parsed fields and problems.
    pub fn next_parts(&mut self) -> Result<Option<(u32, ClaimRow, Vec<RowError>)>, FileError> {
        let inner = &mut self.inner;
        match inner.table.next_row()? {
            None => Ok(None),
            Some(row) => {
                let (c, errors) = parse_claim_row(row, &inner.map, &inner.file, inner.today);
                Ok(Some((row.number(), c, errors)))
            }
        }
    }

    /// The next row that `outcome` accepted, as a record; rejected rows
    /// are skipped unparsed.
    pub fn next_accepted(
        &mut self,
        outcome: &CheckOutcome,
    ) -> Result<Option<(u32, ClaimRecord)>, FileError> {
        self.inner.next_accepted(outcome, parse_claim)
    }

    /// How far reading has got.
    pub fn progress(&self) -> Progress {
        self.inner.progress()
    }

    /// Size and modification time of the file when it was opened.
    pub fn fingerprint(&self) -> crate::table::FileFingerprint {
        self.inner.table.fingerprint()
    }
}

/// What the check remembers of a claim id: compact, one per row.
#[derive(Debug, Clone, Copy)]
struct Seen {
    row: u32,
    person: u64,
    reversal: bool,
    rejected: bool,
    /// The row of the reversal of this claim, 0 when none.
    reversed_by: u32,
}

/// A reversal whose claim id had not been seen yet when it was read.
#[derive(Debug)]
struct Forward {
    row: u32,
    person: u64,
}

/// The cross-row checks of a claims file, fed row by row.
///
/// Reports `duplicate_claim_id` (on the later row), `reverses_itself`,
/// `reversal_of_reversal`, `duplicate_reversal` (a second reversal of
/// one claim), `reversal_person_mismatch` and `reversed_claim_rejected`,
/// and, through the caller's lookup, `person_not_in_registry` and
/// `outside_jurisdiction`.
/// A reversal read before the claim it reverses is judged when that
/// claim is read and, when accepted, listed in [`CheckOutcome::deferred`]
/// so that the write pass applies it after every claim. Of two reversals
/// of one claim, the earlier row wins.
pub struct ClaimsCheck<'a> {
    file: Arc<str>,
    person_check: &'a dyn Fn(&IdCardNo) -> PersonCheck,
    seen: FastMap<Box<str>, Seen>,
    forward: FastMap<Box<str>, Vec<Forward>>,
    deferred: Vec<(u32, u32)>,
    rejected: Vec<(u32, u32)>,
    rows: u64,
}

impl<'a> ClaimsCheck<'a> {
    /// A new check of the file named `file` in the report; `person_check`
    /// judges the person of each row.
    pub fn new(file: Arc<str>, person_check: &'a dyn Fn(&IdCardNo) -> PersonCheck) -> Self {
        ClaimsCheck {
            file,
            person_check,
            seen: FastMap::default(),
            forward: FastMap::default(),
            deferred: Vec::new(),
            rejected: Vec::new(),
            rows: 0,
        }
    }

    fn error(
        &self,
        row: u32,
        column: usize,
        value: &str,
        problem: String,
        code: &'static str,
    ) -> RowError {
        let def = &CLAIM_COLUMNS[column];
        RowError {
            file: self.file.clone(),
            row,
            column: Cow::Borrowed(def.header),
            value: report_value(def.kind, value),
            problem,
            code,
            severity: Severity::Error,
        }
    }

    /// Judges a reversal of `target` (seen) by `row`; `None` when fine.
    fn judge_reversal(&self, row: u32, person: u64, target: &str, t: &Seen) -> Option<RowError> {
        let e =
            |problem: String, code| Some(self.error(row, claim::REVERSES, target, problem, code));
        if t.reversal {
            e(
                format!(
                    "冲销单号“{}”（第{}行）本身是一条冲销记录，不能再冲销；请核对冲销单号",
                    short(target),
                    t.row
                ),
                "reversal_of_reversal",
            )
        } else if t.reversed_by != 0 && t.reversed_by != row {
            e(
                format!(
                    "结算单号“{}”已在第{}行被冲销，不能再次冲销；请删除重复的冲销记录",
                    short(target),
                    t.reversed_by
                ),
                "duplicate_reversal",
            )
        } else if t.person != person {
            e(
                format!(
                    "冲销记录的身份证号与被冲销的结算单号“{}”（第{}行）的身份证号不同；冲销只能针对本人的结算记录",
                    short(target),
                    t.row
                ),
                "reversal_person_mismatch",
            )
        } else if t.rejected {
            e(
                format!(
                    "被冲销的结算单号“{}”在第{}行，但该行有错误未导入，所以本冲销也不能导入；请先改正第{}行",
                    short(target),
                    t.row,
                    t.row
                ),
                "reversed_claim_rejected",
            )
        } else {
            None
        }
    }

    /// Takes one row: its number, parsed fields and row-level problems.
    pub fn feed(
        &mut self,
        row: u32,
        c: &ClaimRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        self.rows += 1;
        if let Some(id) = &c.person
            && let Some((problem, code)) = person_error((self.person_check)(id), FileKind::Claims)
        {
            errors.push(self.error(row, claim::PERSON_ID, id.as_str(), problem.into(), code));
        }
        let person = c.person.map_or(0, |p| p.packed());
        let reverses = c.reverses.as_ref().and_then(|r| r.as_deref());
        if let (Some(id), Some(target)) = (c.claim_id.as_deref(), reverses) {
            if id == target {
                errors.push(self.error(
                    row,
                    claim::REVERSES,
                    target,
                    "冲销单号与本行的结算单号相同：一条记录不能冲销它自己".into(),
                    "reverses_itself",
                ));
            } else if let Some(t) = self.seen.get(target)
                && let Some(e) = self.judge_reversal(row, person, target, t)
            {
                errors.push(e);
            }
        }
        if let Some(id) = c.claim_id.as_deref()
            && let Some(first) = self.seen.get(id)
        {
            errors.push(self.error(
                row,
                claim::CLAIM_ID,
                id,
                format!(
                    "结算单号“{}”与第{}行重复；每条结算记录只能出现一次，本行不导入",
                    short(id),
                    first.row
                ),
                "duplicate_claim_id",
            ));
        }
        let rejected = errors.iter().any(|e| e.severity == Severity::Error);
        for e in errors {
            sink.push(e);
        }
        if rejected {
            self.reject(row);
        }
        let Some(id) = c.claim_id.as_deref() else {
            return;
        };
        if let Entry::Vacant(slot) = self.seen.entry(Box::from(id)) {
            slot.insert(Seen {
                row,
                person,
                reversal: reverses.is_some(),
                rejected,
                reversed_by: 0,
            });
            self.judge_forward(id, sink);
        }
        if rejected {
            return;
        }
        if let Some(target) = reverses {
            match self.seen.get_mut(target) {
                Some(t) => t.reversed_by = row,
                None => self
                    .forward
                    .entry(Box::from(target))
                    .or_default()
                    .push(Forward { row, person }),
            }
        }
    }

    /// Judges the reversals read before claim `id`, now that it is known.
    fn judge_forward(&mut self, id: &str, sink: &mut dyn ReportSink) {
        let Some(waiting) = self.forward.remove(id) else {
            return;
        };
        for f in waiting {
            let Some(t) = self.seen.get(id).copied() else {
                return;
            };
            match self.judge_reversal(f.row, f.person, id, &t) {
                Some(e) => {
                    sink.push(e);
                    self.rejected.push((f.row, f.row));
                }
                None => {
                    if let Some(t) = self.seen.get_mut(id) {
                        t.reversed_by = f.row;
                    }
                    self.deferred.push((f.row, f.row));
                }
            }
        }
    }

    fn reject(&mut self, row: u32) {
        match self.rejected.last_mut() {
            Some(last) if last.1.saturating_add(1) == row => last.1 = row,
            _ => self.rejected.push((row, row)),
        }
    }

    /// Ends the check and returns (rejected rows, deferred rows, rows
    /// fed). Reversals of claims not in the file are left to the database.
    pub fn finish(self) -> (RowSet, RowSet, u64) {
        (
            RowSet::from_runs(self.rejected),
            RowSet::from_runs(self.deferred),
            self.rows,
        )
    }
}

/// First pass over a claims file; `person_check` judges the person of
/// each row. Otherwise as [`crate::check_persons_file`].
pub fn check_claims_file(
    path: &Path,
    opts: &ImportOptions,
    person_check: &dyn Fn(&IdCardNo) -> PersonCheck,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut counting = CountingSink::new(sink);
    let result = run_claims(path, opts, person_check, &mut counting, progress);
    if let Err(e) = &result {
        counting.push(e.to_row_error(&opts.label_for(path)));
    }
    result
}

fn run_claims(
    path: &Path,
    opts: &ImportOptions,
    person_check: &dyn Fn(&IdCardNo) -> PersonCheck,
    sink: &mut CountingSink<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut reader = ClaimsReader::open(path, opts)?;
    for w in reader.header_warnings() {
        sink.push(w.clone());
    }
    let header_row = reader.columns().header_row();
    let fingerprint = reader.fingerprint();
    let mut check = ClaimsCheck::new(reader.file().clone(), person_check);
    let mut n = 0u32;
    while let Some((row, c, errors)) = reader.next_parts()? {
        check.feed(row, &c, errors, sink);
        n = n.wrapping_add(1);
        if n.is_multiple_of(4096) {
            progress(reader.progress());
        }
    }
    progress(reader.progress());
    let (rejected, deferred, rows) = check.finish();
    Ok(CheckOutcome {
        kind: FileKind::Claims,
        header_row,
        data_rows: rows,
        rejected,
        deferred,
        errors: sink.errors,
        warnings: sink.warnings,
        households: 0,
        households_rejected: 0,
        fingerprint,
    })
}
