//! The diagnoses (诊断) file: one row per diagnosis of a registered
//! person. Its columns, its row parser and its cross-row check (the same
//! diagnosis twice). Each row asks whether its person is inside the
//! importer's jurisdiction.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use jianfu_domain::{DiagnosisRecord, Icd10, IdCardNo};

use crate::ImportOptions;
use crate::check::{CheckOutcome, PersonCheck, RowSet, RunsBuilder, check_file};
use crate::columns::{ColumnDef, FileKind, ValueKind};
use crate::error::FileError;
use crate::fields::{Cells, report_value};
use crate::hash::FastMap;
use crate::kind::{ByPerson, CheckSummary, CrossCheck, ImportKind, KindSpec, Question, Subject};
use crate::reader::ImportReader;
use crate::report::{ReportSink, RowError, Severity};
use crate::table::Progress;

/// Indices into [`DIAGNOSIS_COLUMNS`].
pub mod col {
    /// 身份证号
    pub const ID_NUMBER: usize = 0;
    /// 疾病编码
    pub const ICD10: usize = 1;
    /// 疾病名称
    pub const DISEASE_NAME: usize = 2;
    /// 确诊日期
    pub const DIAGNOSED_ON: usize = 3;
    /// 确诊机构
    pub const FACILITY: usize = 4;
}

/// The diagnoses (诊断) file, as in `data-formats.md`.
pub const DIAGNOSIS_COLUMNS: [ColumnDef; 5] = [
    ColumnDef {
        header: "身份证号",
        alias: "id_number",
        required: true,
        kind: ValueKind::IdNumber,
        description: "已登记人员的公民身份号码；请将本列设置为“文本”格式",
        example: "11010519491231002X",
        width: 21.0,
    },
    ColumnDef {
        header: "疾病编码",
        alias: "icd10",
        required: true,
        kind: ValueKind::Icd10,
        description: "确诊疾病的 ICD-10 编码",
        example: "I10.x00",
        width: 12.0,
    },
    ColumnDef {
        header: "疾病名称",
        alias: "disease_name",
        required: false,
        kind: ValueKind::Text,
        description: "疾病名称（参考，以编码为准）",
        example: "原发性高血压",
        width: 20.0,
    },
    ColumnDef {
        header: "确诊日期",
        alias: "diagnosed_on",
        required: true,
        kind: ValueKind::Date,
        description: "确诊日期，不能晚于导入当天",
        example: "2023-04-30",
        width: 12.0,
    },
    ColumnDef {
        header: "确诊机构",
        alias: "facility",
        required: false,
        kind: ValueKind::Text,
        description: "确诊的医疗机构名称或机构编码",
        example: "阜平县医院",
        width: 20.0,
    },
];

/// The diagnoses kind.
#[derive(Debug, Clone, Copy)]
pub struct Diagnoses;

impl ImportKind for Diagnoses {
    type Record = DiagnosisRecord;
    type Fields = DiagnosisRow;
    type Check = DiagnosesCheck;

    const KIND: FileKind = FileKind::Diagnoses;
    const SPEC: KindSpec = KindSpec {
        name: "diagnoses",
        label: "诊断",
        columns: &DIAGNOSIS_COLUMNS,
        template_note: None,
    };
    const QUESTION: Question = Question::Person;
    const SUBJECT_COLUMN: usize = col::ID_NUMBER;

    fn parse(cells: &mut Cells<'_>, d: &mut DiagnosisRow) {
        *d = DiagnosisRow {
            id: cells.id_number(col::ID_NUMBER),
            icd10: cells.icd10(col::ICD10, "I10、C16.9、I10.x00").value(),
            disease_name: cells.owned_text(col::DISEASE_NAME).optional(),
            diagnosed_on: cells.date(col::DIAGNOSED_ON),
            facility: cells.owned_text(col::FACILITY).optional(),
        };
    }

    fn record(d: DiagnosisRow) -> Option<DiagnosisRecord> {
        Some(DiagnosisRecord {
            id: d.id?,
            icd10: d.icd10?,
            disease_name: d.disease_name?,
            diagnosed_on: d.diagnosed_on?,
            facility: d.facility?,
        })
    }

    fn subject(d: &DiagnosisRow) -> Option<Subject> {
        d.id.map(Subject::Person)
    }

    fn record_subject(d: &DiagnosisRecord) -> Subject {
        Subject::Person(d.id)
    }

    fn check(file: Arc<str>, _rows: usize) -> DiagnosesCheck {
        DiagnosesCheck::new(file)
    }
}

/// Reads a diagnoses file row by row.
pub type DiagnosesReader = ImportReader<Diagnoses>;

/// First pass over a diagnoses file; `person_check` judges each ID number
/// (asked once per number). Otherwise as [`check_file`].
pub fn check_diagnoses_file(
    path: &Path,
    opts: &ImportOptions,
    person_check: &dyn Fn(&IdCardNo) -> PersonCheck,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    check_file::<Diagnoses>(path, opts, &ByPerson(person_check), sink, progress)
}

/// The fields of a diagnoses row that could be parsed; `None` where the
/// cell was missing or wrong. Optional columns left empty are `Some(None)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiagnosisRow {
    /// 身份证号
    pub id: Option<IdCardNo>,
    /// 疾病编码
    pub icd10: Option<Icd10>,
    /// 疾病名称
    pub disease_name: Option<Option<String>>,
    /// 确诊日期
    pub diagnosed_on: Option<NaiveDate>,
    /// 确诊机构
    pub facility: Option<Option<String>>,
}

/// Key of a diagnosis for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DiagnosisKey {
    id: u64,
    day: i32,
    code: Box<str>,
}

/// The cross-row check of a diagnoses file, fed row by row: the same
/// (ID, code, date) must not come twice (`duplicate_diagnosis` on the
/// later row).
pub struct DiagnosesCheck {
    file: Arc<str>,
    seen: FastMap<DiagnosisKey, u32>,
    rejected: RunsBuilder,
}

impl DiagnosesCheck {
    /// A new check of the file named `file` in the report.
    pub fn new(file: Arc<str>) -> Self {
        DiagnosesCheck {
            file,
            seen: FastMap::default(),
            rejected: RunsBuilder::default(),
        }
    }

    /// `duplicate_diagnosis` when the same diagnosis came on an earlier row.
    fn duplicate(
        &mut self,
        row: u32,
        id: IdCardNo,
        code: &Icd10,
        date: NaiveDate,
    ) -> Option<RowError> {
        let key = DiagnosisKey {
            id: id.packed(),
            day: chrono::Datelike::num_days_from_ce(&date),
            code: Box::from(code.as_str()),
        };
        let first = match self.seen.entry(key) {
            Entry::Occupied(first) => *first.get(),
            Entry::Vacant(slot) => {
                slot.insert(row);
                return None;
            }
        };
        let def: &ColumnDef = &DIAGNOSIS_COLUMNS[col::ICD10];
        Some(RowError {
            file: self.file.clone(),
            row,
            column: Cow::Borrowed(def.header),
            value: report_value(def.kind, code.as_str()),
            problem: format!("与第{first}行重复（同一人、同一疾病编码、同一确诊日期）；本行不导入"),
            code: "duplicate_diagnosis",
            severity: Severity::Error,
        })
    }
}

impl CrossCheck<DiagnosisRow> for DiagnosesCheck {
    fn feed(
        &mut self,
        row: u32,
        d: &DiagnosisRow,
        mut errors: Vec<RowError>,
        sink: &mut dyn ReportSink,
    ) {
        if let (Some(id), Some(code), Some(date)) = (d.id, &d.icd10, d.diagnosed_on)
            && let Some(e) = self.duplicate(row, id, code, date)
        {
            errors.push(e);
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
