//! The claims (医保结算记录) file: one row per claim or reversal (冲销) of a
//! registered person. Its columns, its row parser and its cross-row check
//! ([`ClaimsCheck`]), which finds what one file can show on its own: a
//! claim id used twice, a reversal of a reversal, a second reversal of one
//! claim, a reversal by another person, a reversal of a row that is
//! itself rejected. Each row asks whether its person is inside the
//! importer's jurisdiction; what only the database knows (which policy
//! applies, is the reversed claim stored) is checked when the rows are
//! written.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{
    ClaimKind, ClaimRecord, FacilityLevel, Group, GroupSet, Icd10, IdCardNo, Money,
};

use crate::ImportOptions;
use crate::check::{CheckOutcome, PersonCheck, RunsBuilder, check_file};
use crate::columns::{ColumnDef, FileKind, ValueKind};
use crate::error::FileError;
use crate::fields::{Cells, report_value, short};
use crate::hash::FastMap;
use crate::kind::{ByPerson, CheckSummary, CrossCheck, ImportKind, KindSpec, Question, Subject};
use crate::reader::ImportReader;
use crate::report::{ReportSink, RowError, Severity};
use crate::table::Progress;

/// Indices into [`CLAIM_COLUMNS`].
pub mod col {
    /// 结算单号
    pub const CLAIM_ID: usize = 0;
    /// 身份证号
    pub const PERSON_ID: usize = 1;
    /// 人员类别
    pub const GROUPS: usize = 2;
    /// 就诊类型
    pub const KIND: usize = 3;
    /// 医疗机构级别
    pub const LEVEL: usize = 4;
    /// 是否县域内
    pub const COUNTY_INTERNAL: usize = 5;
    /// 结算时间
    pub const SETTLED_AT: usize = 6;
    /// 医疗总费用
    pub const TOTAL: usize = 7;
    /// 政策范围内费用
    pub const POLICY_SCOPE: usize = 8;
    /// 冲销单号
    pub const REVERSES: usize = 9;
    /// 主诊断编码
    pub const ICD10: usize = 10;
    /// 医疗机构编码
    pub const FACILITY_CODE: usize = 11;
    /// 入院日期
    pub const ADMITTED_ON: usize = 12;
    /// 是否先诊疗后付费
    pub const PAY_LATER: usize = 13;
    /// 是否一站式结算
    pub const ONE_STOP: usize = 14;
}

/// The claims (医保结算记录) file, as in `data-formats.md` and
/// `settlement.md` §2.
pub const CLAIM_COLUMNS: [ColumnDef; 15] = [
    ColumnDef {
        header: "结算单号",
        alias: "claim_id",
        required: true,
        kind: ValueKind::Identifier,
        description: "医保结算记录的唯一编号",
        example: "C202300000001",
        width: 18.0,
    },
    ColumnDef {
        header: "身份证号",
        alias: "person_id",
        required: true,
        kind: ValueKind::IdNumber,
        description: "参保人的公民身份号码，须已在台账中登记；请将本列设置为“文本”格式",
        example: "11010519491231002X",
        width: 21.0,
    },
    ColumnDef {
        header: "人员类别",
        alias: "groups",
        required: false,
        kind: ValueKind::Groups,
        description: "结算时参保人的人员类别；不填时按台账中该人在结算时间的人员类别（含户类别带来的脱贫人口、监测对象）",
        example: "脱贫人口|低保",
        width: 22.0,
    },
    ColumnDef {
        header: "就诊类型",
        alias: "kind",
        required: true,
        kind: ValueKind::ClaimKind,
        description: "住院、门诊慢特病或普通门诊",
        example: "住院",
        width: 12.0,
    },
    ColumnDef {
        header: "医疗机构级别",
        alias: "level",
        required: true,
        kind: ValueKind::FacilityLevel,
        description: "就诊医疗机构的级别",
        example: "县级",
        width: 12.0,
    },
    ColumnDef {
        header: "是否县域内",
        alias: "county_internal",
        required: true,
        kind: ValueKind::Flag,
        description: "医疗机构是否在参保人所在县域内",
        example: "是",
        width: 10.0,
    },
    ColumnDef {
        header: "结算时间",
        alias: "settled_at",
        required: true,
        kind: ValueKind::DateTime,
        description: "医保结算的日期和时间（北京时间），决定结算顺序和所属年度",
        example: "2023-03-01 10:00:00",
        width: 20.0,
    },
    ColumnDef {
        header: "医疗总费用",
        alias: "total",
        required: true,
        kind: ValueKind::Money,
        description: "本次就诊的医疗总费用（元）",
        example: "12000.00",
        width: 12.0,
    },
    ColumnDef {
        header: "政策范围内费用",
        alias: "policy_scope",
        required: true,
        kind: ValueKind::Money,
        description: "政策范围内费用（元），不能大于医疗总费用",
        example: "10800.00",
        width: 14.0,
    },
    ColumnDef {
        header: "冲销单号",
        alias: "reverses",
        required: false,
        kind: ValueKind::Identifier,
        description: "冲销记录填被冲销的结算单号；普通结算记录不填",
        example: "",
        width: 18.0,
    },
    ColumnDef {
        header: "主诊断编码",
        alias: "icd10",
        required: false,
        kind: ValueKind::Icd10,
        description: "主要诊断的 ICD-10 编码",
        example: "I63.9",
        width: 12.0,
    },
    ColumnDef {
        header: "医疗机构编码",
        alias: "facility_code",
        required: false,
        kind: ValueKind::Identifier,
        description: "就诊医疗机构的编码",
        example: "H13062400001",
        width: 16.0,
    },
    ColumnDef {
        header: "入院日期",
        alias: "admitted_on",
        required: false,
        kind: ValueKind::Date,
        description: "住院的入院日期",
        example: "2023-02-20",
        width: 12.0,
    },
    ColumnDef {
        header: "是否先诊疗后付费",
        alias: "pay_later",
        required: false,
        kind: ValueKind::Flag,
        description: "是否按“先诊疗后付费”办理",
        example: "是",
        width: 10.0,
    },
    ColumnDef {
        header: "是否一站式结算",
        alias: "one_stop",
        required: false,
        kind: ValueKind::Flag,
        description: "是否在“一站式”结算窗口结算",
        example: "是",
        width: 10.0,
    },
];

/// The claims kind.
#[derive(Debug, Clone, Copy)]
pub struct Claims;

impl ImportKind for Claims {
    type Record = ClaimRecord;
    type Fields = ClaimRow;
    type Check = ClaimsCheck;

    const KIND: FileKind = FileKind::Claims;
    const SPEC: KindSpec = KindSpec {
        name: "claims",
        label: "医保结算",
        columns: &CLAIM_COLUMNS,
        template_note: None,
    };
    const QUESTION: Question = Question::Person;
    const SUBJECT_COLUMN: usize = col::PERSON_ID;
    // The code the write pass has always used for a person the registry
    // lacks.
    const NOT_LISTED: (&'static str, &'static str) = (
        "台账中没有这个身份证号的人员，无法确定参保县和人员类别；请先导入该人员的人员信息，或核对号码",
        "person_not_in_registry",
    );

    fn parse(cells: &mut Cells<'_>, c: &mut ClaimRow) {
        *c = ClaimRow::default();
        parse_identity(cells, c);
        parse_amounts(cells, c);
        parse_details(cells, c);
    }

    fn record(c: ClaimRow) -> Option<ClaimRecord> {
        c.into_record()
    }

    fn subject(c: &ClaimRow) -> Option<Subject> {
        c.person.map(Subject::Person)
    }

    fn record_subject(c: &ClaimRecord) -> Subject {
        Subject::Person(c.person)
    }

    fn check(file: Arc<str>, _rows: usize) -> ClaimsCheck {
        ClaimsCheck::new(file)
    }
}

/// Reads a claims file row by row.
pub type ClaimsReader = ImportReader<Claims>;

/// First pass over a claims file; `person_check` judges the person of
/// each row. Otherwise as [`check_file`].
pub fn check_claims_file(
    path: &Path,
    opts: &ImportOptions,
    person_check: &dyn Fn(&IdCardNo) -> PersonCheck,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    check_file::<Claims>(path, opts, &ByPerson(person_check), sink, progress)
}

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

fn labels<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> String {
    all.iter().map(|&v| label(v)).collect::<Vec<_>>().join("、")
}

/// Who, which claim, and what kind of care.
fn parse_identity(cells: &mut Cells<'_>, c: &mut ClaimRow) {
    c.claim_id = cells.owned_text(col::CLAIM_ID).value();
    c.person = cells.id_number(col::PERSON_ID);
    // The lists of allowed values are built only for a bad cell.
    let groups = || labels(Group::ALL, Group::label);
    c.groups = cells
        .groups(col::GROUPS, groups, "；不填则按台账")
        .optional();
    let kinds = |_: &_| labels(ClaimKind::ALL, ClaimKind::label);
    c.kind = cells
        .code(col::KIND, ClaimKind::parse, kinds, "unknown_claim_kind")
        .value();
    let levels = |_: &_| labels(FacilityLevel::ALL, FacilityLevel::label);
    c.level = cells
        .code(
            col::LEVEL,
            FacilityLevel::parse,
            levels,
            "unknown_facility_level",
        )
        .value();
    c.county_internal = cells.flag(col::COUNTY_INTERNAL).flatten();
    c.settled_at = cells.datetime(col::SETTLED_AT);
}

/// The amounts: the policy-scope cost is part of the total.
fn parse_amounts(cells: &mut Cells<'_>, c: &mut ClaimRow) {
    c.total = cells.money(col::TOTAL).flatten();
    c.policy_scope = cells.money(col::POLICY_SCOPE).flatten();
    if let (Some(total), Some(scope)) = (c.total, c.policy_scope)
        && scope > total
    {
        cells.error(
            col::POLICY_SCOPE,
            &scope.to_string(),
            format!("政策范围内费用{scope}元大于医疗总费用{total}元；政策范围内费用只能是总费用的一部分，请核对"),
            "scope_exceeds_total",
        );
        c.policy_scope = None;
    }
}

/// The reversed claim and the optional details.
fn parse_details(cells: &mut Cells<'_>, c: &mut ClaimRow) {
    c.reverses = cells.owned_text(col::REVERSES).optional();
    c.icd10 = cells.icd10(col::ICD10, "I10、C16.9").optional();
    c.facility_code = cells.owned_text(col::FACILITY_CODE).optional();
    // An optional date left blank is "not given", not a bad date.
    c.admitted_on = if cells.cell(col::ADMITTED_ON).is_blank() {
        Some(None)
    } else {
        cells.date(col::ADMITTED_ON).map(Some)
    };
    c.pay_later = cells.flag(col::PAY_LATER);
    c.one_stop = cells.flag(col::ONE_STOP);
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
/// one claim), `reversal_person_mismatch` and `reversed_claim_rejected`.
/// A reversal read before the claim it reverses is judged when that
/// claim is read and, when accepted, listed in [`CheckOutcome::deferred`]
/// so that the write pass applies it after every claim. Of two reversals
/// of one claim, the earlier row wins.
pub struct ClaimsCheck {
    file: Arc<str>,
    seen: FastMap<Box<str>, Seen>,
    forward: FastMap<Box<str>, Vec<Forward>>,
    deferred: RunsBuilder,
    rejected: RunsBuilder,
}

impl ClaimsCheck {
    /// A new check of the file named `file` in the report.
    pub fn new(file: Arc<str>) -> Self {
        ClaimsCheck {
            file,
            seen: FastMap::default(),
            forward: FastMap::default(),
            deferred: RunsBuilder::default(),
            rejected: RunsBuilder::default(),
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
        let def: &ColumnDef = &CLAIM_COLUMNS[column];
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
        let (problem, code) = if t.reversal {
            (
                format!(
                    "冲销单号“{}”（第{}行）本身是一条冲销记录，不能再冲销；请核对冲销单号",
                    short(target),
                    t.row
                ),
                "reversal_of_reversal",
            )
        } else if t.reversed_by != 0 && t.reversed_by != row {
            (
                format!(
                    "结算单号“{}”已在第{}行被冲销，不能再次冲销；请删除重复的冲销记录",
                    short(target),
                    t.reversed_by
                ),
                "duplicate_reversal",
            )
        } else if t.person != person {
            (
                format!(
                    "冲销记录的身份证号与被冲销的结算单号“{}”（第{}行）的身份证号不同；冲销只能针对本人的结算记录",
                    short(target),
                    t.row
                ),
                "reversal_person_mismatch",
            )
        } else if t.rejected {
            (
                format!(
                    "被冲销的结算单号“{}”在第{}行，但该行有错误未导入，所以本冲销也不能导入；请先改正第{}行",
                    short(target),
                    t.row,
                    t.row
                ),
                "reversed_claim_rejected",
            )
        } else {
            return None;
        };
        Some(self.error(row, col::REVERSES, target, problem, code))
    }

    /// A reversal of itself, or of a claim seen already that it may not
    /// reverse.
    fn reversal_problem(&self, row: u32, person: u64, id: &str, target: &str) -> Option<RowError> {
        if id == target {
            return Some(self.error(
                row,
                col::REVERSES,
                target,
                "冲销单号与本行的结算单号相同：一条记录不能冲销它自己".into(),
                "reverses_itself",
            ));
        }
        let t = self.seen.get(target)?;
        self.judge_reversal(row, person, target, t)
    }

    /// `duplicate_claim_id` when `id` came on an earlier row.
    fn duplicate(&self, row: u32, id: &str) -> Option<RowError> {
        let first = self.seen.get(id)?;
        Some(self.error(
            row,
            col::CLAIM_ID,
            id,
            format!(
                "结算单号“{}”与第{}行重复；每条结算记录只能出现一次，本行不导入",
                short(id),
                first.row
            ),
            "duplicate_claim_id",
        ))
    }

    /// Remembers the first row of claim `id`, then judges the reversals
    /// that were waiting for it.
    fn remember(&mut self, id: &str, seen: Seen, sink: &mut dyn ReportSink) {
        if let Entry::Vacant(slot) = self.seen.entry(Box::from(id)) {
            slot.insert(seen);
            self.judge_forward(id, sink);
        }
    }

    /// An accepted reversal of `target`: marks the claim, or waits for it.
    fn note_reversal(&mut self, row: u32, person: u64, target: &str) {
        match self.seen.get_mut(target) {
            Some(t) => t.reversed_by = row,
            None => self
                .forward
                .entry(Box::from(target))
                .or_default()
                .push(Forward { row, person }),
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
                    self.rejected.add(f.row, f.row);
                }
                None => {
                    if let Some(t) = self.seen.get_mut(id) {
                        t.reversed_by = f.row;
                    }
                    self.deferred.add(f.row, f.row);
                }
            }
        }
    }
}

impl CrossCheck<ClaimRow> for ClaimsCheck {
    fn feed(
        &mut self,
        row: u32,
        c: &ClaimRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        let person = c.person.map_or(0, |p| p.packed());
        let reverses = c.reverses.as_ref().and_then(|r| r.as_deref());
        let id = c.claim_id.as_deref();
        if let (Some(id), Some(target)) = (id, reverses) {
            errors.extend(self.reversal_problem(row, person, id, target));
        }
        errors.extend(id.and_then(|id| self.duplicate(row, id)));
        let rejected = errors.iter().any(|e| e.severity == Severity::Error);
        for e in errors {
            sink.push(e);
        }
        if rejected {
            self.rejected.add(row, row);
        }
        let Some(id) = id else {
            return;
        };
        let seen = Seen {
            row,
            person,
            reversal: reverses.is_some(),
            rejected,
            reversed_by: 0,
        };
        self.remember(id, seen, sink);
        if let Some(target) = reverses
            && !rejected
        {
            self.note_reversal(row, person, target);
        }
    }

    /// Reversals of claims not in the file are left to the database.
    fn finish(self, _: &mut dyn ReportSink) -> CheckSummary {
        CheckSummary {
            rejected: self.rejected.build(),
            deferred: self.deferred.build(),
            households: 0,
            households_rejected: 0,
        }
    }
}
