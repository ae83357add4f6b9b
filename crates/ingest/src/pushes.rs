//! The department push (部门推送预警名单) file: one row per pre-warning
//! another department (医保, 民政, 教育, 住建, …) pushed about a registered
//! person (`domain.md` §3.3 R6, §3.4 部门筛查预警). Its columns, its row
//! parser and its cross-row check (the same push twice). Each row asks
//! whether its person is inside the importer's jurisdiction.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::NaiveDate;
use jianfu_domain::{IdCardNo, Money, PushSource};

use crate::check::{RowSet, RunsBuilder};
use crate::columns::{ColumnDef, FileKind, ValueKind};
use crate::fields::{Cells, Got, report_value, short};
use crate::hash::FastMap;
use crate::kind::{CheckSummary, CrossCheck, ImportKind, KindSpec, Question, Subject};
use crate::reader::ImportReader;
use crate::report::{ReportSink, RowError, Severity};

/// Longest 预警原因 and 备注, in characters: a sentence or two, enough for
/// "年度个人自付医疗费用超过5万元" and short enough to show on a phone.
pub const MAX_REASON_CHARS: usize = 200;
/// Longest 推送批次号, in characters.
pub const MAX_REF_CHARS: usize = 50;

/// Indices into [`PUSH_COLUMNS`].
pub mod col {
    /// 身份证号
    pub const ID_NUMBER: usize = 0;
    /// 推送部门
    pub const SOURCE: usize = 1;
    /// 推送日期
    pub const PUSHED_ON: usize = 2;
    /// 预警原因
    pub const REASON: usize = 3;
    /// 金额
    pub const AMOUNT: usize = 4;
    /// 推送批次号
    pub const PUSH_REF: usize = 5;
    /// 备注
    pub const REMARK: usize = 6;
}

/// The department push file's columns.
pub const PUSH_COLUMNS: [ColumnDef; 7] = [
    ColumnDef {
        header: "身份证号",
        alias: "id_number",
        required: true,
        kind: ValueKind::IdNumber,
        description: "被推送人员的公民身份号码，须是本辖区已登记的人员；请将本列设置为“文本”格式",
        example: "11010519491231002X",
        width: 21.0,
    },
    ColumnDef {
        header: "推送部门",
        alias: "source",
        required: true,
        kind: ValueKind::PushSource,
        description: "推送名单的部门",
        example: "医保",
        width: 10.0,
    },
    ColumnDef {
        header: "推送日期",
        alias: "pushed_on",
        required: true,
        kind: ValueKind::Date,
        description: "部门推送名单的日期，不能晚于导入当天",
        example: "2026-03-15",
        width: 12.0,
    },
    ColumnDef {
        header: "预警原因",
        alias: "reason",
        required: true,
        kind: ValueKind::Text,
        description: "部门给出的预警原因，最多200个字",
        example: "年度个人自付医疗费用较高",
        width: 30.0,
    },
    ColumnDef {
        header: "金额",
        alias: "amount",
        required: false,
        kind: ValueKind::Money,
        description: "与原因相关的金额（元），如医保高费用患者的年度个人自付费用；可不填",
        example: "52300.50",
        width: 12.0,
    },
    ColumnDef {
        header: "推送批次号",
        alias: "push_ref",
        required: false,
        kind: ValueKind::Identifier,
        description: "推送部门的名单编号或批次号，最多50个字符；可不填",
        example: "YB-2026-03",
        width: 14.0,
    },
    ColumnDef {
        header: "备注",
        alias: "remark",
        required: false,
        kind: ValueKind::Text,
        description: "其他说明，最多200个字；可不填",
        example: "",
        width: 20.0,
    },
];

/// One pushed pre-warning, as the file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord {
    /// 身份证号 of the person pushed. Personal data.
    pub id: IdCardNo,
    /// 推送部门.
    pub source: PushSource,
    /// 推送日期.
    pub pushed_on: NaiveDate,
    /// 预警原因 (at most [`MAX_REASON_CHARS`]).
    pub reason: String,
    /// 金额, when given.
    pub amount: Option<Money>,
    /// 推送批次号, when given.
    pub push_ref: Option<String>,
    /// 备注, when given.
    pub remark: Option<String>,
}

/// The department push kind.
#[derive(Debug, Clone, Copy)]
pub struct Pushes;

impl ImportKind for Pushes {
    type Record = PushRecord;
    type Fields = PushRow;
    type Check = PushesCheck;

    const KIND: FileKind = FileKind::Pushes;
    const SPEC: KindSpec = KindSpec {
        name: "pushes",
        label: "部门推送预警名单",
        columns: &PUSH_COLUMNS,
        template_note: Some(
            "每行一条部门推送的预警。该户没有在办案件时，以“部门筛查预警”渠道立案；已有在办案件时，并入该案件。同一人、同一推送部门、同一推送日期、同一预警原因只记录一次，重复导入不会重复立案。",
        ),
    };
    const QUESTION: Question = Question::Person;
    const SUBJECT_COLUMN: usize = col::ID_NUMBER;

    fn parse(cells: &mut Cells<'_>, p: &mut PushRow) {
        let sources = |_: &_| {
            PushSource::ALL
                .iter()
                .map(|s| format!("{}（{}）", s.label(), s.code()))
                .collect::<Vec<_>>()
                .join("、")
        };
        *p = PushRow {
            id: cells.id_number(col::ID_NUMBER),
            source: cells
                .code(
                    col::SOURCE,
                    PushSource::parse,
                    sources,
                    "unknown_push_source",
                )
                .value(),
            pushed_on: cells.date(col::PUSHED_ON),
            reason: bounded(cells, col::REASON, MAX_REASON_CHARS).value(),
            amount: cells.money(col::AMOUNT),
            push_ref: bounded(cells, col::PUSH_REF, MAX_REF_CHARS).optional(),
            remark: bounded(cells, col::REMARK, MAX_REASON_CHARS).optional(),
        };
    }

    fn record(p: PushRow) -> Option<PushRecord> {
        Some(PushRecord {
            id: p.id?,
            source: p.source?,
            pushed_on: p.pushed_on?,
            reason: p.reason?,
            amount: p.amount?,
            push_ref: p.push_ref?,
            remark: p.remark?,
        })
    }

    fn subject(p: &PushRow) -> Option<Subject> {
        p.id.map(Subject::Person)
    }

    fn record_subject(p: &PushRecord) -> Subject {
        Subject::Person(p.id)
    }

    fn check(file: Arc<str>, _rows: usize) -> PushesCheck {
        PushesCheck::new(file)
    }
}

/// Column `i` as text of at most `max` characters (`text_too_long`
/// otherwise).
fn bounded(cells: &mut Cells<'_>, i: usize, max: usize) -> Got<String> {
    match cells.owned_text(i) {
        Got::Value(v) if v.chars().count() > max => {
            let header = PUSH_COLUMNS[i].header;
            let problem = format!("“{header}”不能超过{max}个字，这里是“{}…”", short(&v));
            cells.error(i, &v, problem, "text_too_long");
            Got::Bad
        }
        got => got,
    }
}

/// Reads a department push file row by row.
pub type PushesReader = ImportReader<Pushes>;

/// The fields of a push row that could be parsed; `None` where the cell
/// was missing or wrong. Optional columns left empty are `Some(None)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushRow {
    /// 身份证号
    pub id: Option<IdCardNo>,
    /// 推送部门
    pub source: Option<PushSource>,
    /// 推送日期
    pub pushed_on: Option<NaiveDate>,
    /// 预警原因
    pub reason: Option<String>,
    /// 金额
    pub amount: Option<Option<Money>>,
    /// 推送批次号
    pub push_ref: Option<Option<String>>,
    /// 备注
    pub remark: Option<Option<String>>,
}

/// The natural key of a push: person, department, day, reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PushKey {
    id: u64,
    source: PushSource,
    day: NaiveDate,
    reason: Box<str>,
}

/// The cross-row check of a push file: the same (ID, 推送部门, 推送日期,
/// 预警原因) must not come twice (`duplicate_push` on the later row).
pub struct PushesCheck {
    file: Arc<str>,
    seen: FastMap<PushKey, u32>,
    rejected: RunsBuilder,
}

impl PushesCheck {
    /// A new check of the file named `file` in the report.
    pub fn new(file: Arc<str>) -> Self {
        PushesCheck {
            file,
            seen: FastMap::default(),
            rejected: RunsBuilder::default(),
        }
    }

    /// `duplicate_push` when the same push came on an earlier row.
    fn duplicate(&mut self, row: u32, key: PushKey) -> Option<RowError> {
        let reason = key.reason.clone();
        let first = match self.seen.entry(key) {
            Entry::Occupied(first) => *first.get(),
            Entry::Vacant(slot) => {
                slot.insert(row);
                return None;
            }
        };
        let def: &ColumnDef = &PUSH_COLUMNS[col::REASON];
        Some(RowError {
            file: self.file.clone(),
            row,
            column: Cow::Borrowed(def.header),
            value: report_value(def.kind, &reason),
            problem: format!(
                "与第{first}行重复（同一人、同一推送部门、同一推送日期、同一预警原因）；本行不导入"
            ),
            code: "duplicate_push",
            severity: Severity::Error,
        })
    }
}

impl CrossCheck<PushRow> for PushesCheck {
    fn feed(
        &mut self,
        row: u32,
        p: &PushRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        if let (Some(id), Some(source), Some(day), Some(reason)) =
            (p.id, p.source, p.pushed_on, &p.reason)
        {
            let key = PushKey {
                id: id.packed(),
                source,
                day,
                reason: Box::from(reason.as_str()),
            };
            if let Some(e) = self.duplicate(row, key) {
                errors.push(e);
            }
        }
        if errors.iter().any(|e| e.severity == Severity::Error) {
            self.rejected.add(row, row);
        }
        for e in errors {
            sink.push(e);
        }
    }

    fn finish(self, _: &mut dyn ReportSink) -> CheckSummary {
        CheckSummary {
            rejected: self.rejected.build(),
            deferred: RowSet::new(),
            households: 0,
            households_rejected: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::PersonCheck;
    use crate::kind::ByPerson;
    use crate::{ImportOptions, MemorySink, check_file};

    const HEADER: &str = "身份证号,推送部门,推送日期,预警原因,金额,推送批次号,备注\n";
    const ID: &str = "11010519491231002X";

    fn check(rows: &str) -> MemorySink {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("推送.csv");
        std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
        let opts = ImportOptions::new(NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        let listed = |_: &IdCardNo| PersonCheck::Listed;
        let mut sink = MemorySink::default();
        check_file::<Pushes>(&path, &opts, &ByPerson(&listed), &mut sink, &mut |_| {}).unwrap();
        sink
    }

    fn codes(sink: &MemorySink) -> Vec<(u32, String, &'static str)> {
        sink.errors
            .iter()
            .map(|e| (e.row, e.column.to_string(), e.code))
            .collect()
    }

    #[test]
    fn sources_by_label_code_or_alias() {
        let sink = check(&format!(
            "{ID},医保,2026-03-15,高费用,100.5,,\n{ID},civil_affairs,2026-03-15,低保申请,,,\n{ID},住建局,2026/3/15,危房,,,\n"
        ));
        assert!(sink.errors.is_empty(), "{:?}", sink.errors);
    }

    #[test]
    fn each_bad_cell_is_named_by_row_and_column() {
        let long = "很".repeat(MAX_REASON_CHARS + 1);
        let sink = check(&format!(
            "{ID},卫健,2026-03-15,高费用,,,\n{ID},医保,2026-13-01,高费用,,,\n{ID},医保,2026-03-15,高费用,-5,,\n{ID},医保,2026-03-16,{long},,,\n{ID},医保,2026-03-17,,,,\n"
        ));
        assert_eq!(
            codes(&sink),
            vec![
                (2, "推送部门".into(), "unknown_push_source"),
                (3, "推送日期".into(), "bad_date"),
                (4, "金额".into(), "negative_money"),
                (5, "预警原因".into(), "text_too_long"),
                (6, "预警原因".into(), "required"),
            ]
        );
    }

    #[test]
    fn the_same_push_twice_in_a_file() {
        let sink = check(&format!(
            "{ID},医保,2026-03-15,高费用,,,\n{ID},medical_insurance,2026-03-15,高费用,1,,\n{ID},民政,2026-03-15,高费用,,,\n"
        ));
        assert_eq!(codes(&sink), vec![(3, "预警原因".into(), "duplicate_push")]);
        assert!(sink.errors[0].problem.contains("第2行"));
    }
}
