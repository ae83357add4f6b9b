//! Rows of the diagnoses (诊断) file.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use jianfu_domain::{DiagnosisRecord, Icd10, IdCardNo};

use crate::ImportOptions;
use crate::check::CheckOutcome;
use crate::columns::{ColumnMap, DIAGNOSIS_COLUMNS, FileKind, diagnosis};
use crate::error::FileError;
use crate::fields::{Field, ImportReader, RowCtx, short};
use crate::report::{RowError, Severity};
use crate::table::{Progress, Row};

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

impl DiagnosisRow {
    /// The record, when every field parsed.
    pub fn into_record(self) -> Option<DiagnosisRecord> {
        Some(DiagnosisRecord {
            id: self.id?,
            icd10: self.icd10?,
            disease_name: self.disease_name?,
            diagnosed_on: self.diagnosed_on?,
            facility: self.facility?,
        })
    }
}

fn optional_text(
    ctx: &mut RowCtx<'_>,
    i: usize,
    row: &Row,
    map: &ColumnMap,
) -> Option<Option<String>> {
    match ctx.text(&DIAGNOSIS_COLUMNS[i], row.get(map.position(i))) {
        Field::Value(v) => Some(Some(v.into_owned())),
        Field::Empty => Some(None),
        Field::Bad => None,
    }
}

/// Parses one row of a diagnoses file, collecting every problem of the row.
pub fn parse_diagnosis_row(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
) -> (DiagnosisRow, Vec<RowError>) {
    let cols = &DIAGNOSIS_COLUMNS;
    let mut ctx = RowCtx::new(file, row.number());
    let cell = |i: usize| row.get(map.position(i));
    let mut d = DiagnosisRow {
        id: ctx.id_number(
            &cols[diagnosis::ID_NUMBER],
            cell(diagnosis::ID_NUMBER),
            today,
        ),
        ..DiagnosisRow::default()
    };
    let def = &cols[diagnosis::ICD10];
    if let Field::Value(v) = ctx.text(def, cell(diagnosis::ICD10)) {
        match Icd10::parse(&v) {
            Ok(code) => d.icd10 = Some(code),
            Err(_) => ctx.error(
                def,
                &v,
                format!(
                    "疾病编码“{}”不是有效的 ICD-10 编码；应为1个字母加2位数字，可带小数点后的细分码，如 I10、C16.9、I10.x00",
                    short(&v)
                ),
                "bad_icd10",
            ),
        }
    }
    d.disease_name = optional_text(&mut ctx, diagnosis::DISEASE_NAME, row, map);
    d.diagnosed_on = ctx.date(
        &cols[diagnosis::DIAGNOSED_ON],
        cell(diagnosis::DIAGNOSED_ON),
        today,
    );
    d.facility = optional_text(&mut ctx, diagnosis::FACILITY, row, map);
    (d, ctx.errors)
}

/// A row as a record, or all its problems.
pub type DiagnosisResult = Result<DiagnosisRecord, Vec<RowError>>;

/// Parses one row of a diagnoses file into a record or all its problems.
pub fn parse_diagnosis(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
) -> Result<DiagnosisRecord, Vec<RowError>> {
    let (d, errors) = parse_diagnosis_row(row, map, file, today);
    if errors.iter().any(|e| e.severity == Severity::Error) {
        return Err(errors);
    }
    d.into_record().ok_or_else(|| {
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

/// Reads a diagnoses file row by row.
pub struct DiagnosesReader {
    inner: ImportReader,
}

impl DiagnosesReader {
    /// Opens a diagnoses file and reads its header.
    pub fn open(path: &Path, opts: &ImportOptions) -> Result<Self, FileError> {
        Ok(DiagnosesReader {
            inner: ImportReader::open(path, opts, FileKind::Diagnoses)?,
        })
    }

    /// Opens the file checked by `outcome`, refusing it if it has changed.
    pub fn open_checked(
        path: &Path,
        opts: &ImportOptions,
        outcome: &CheckOutcome,
    ) -> Result<Self, FileError> {
        Ok(DiagnosesReader {
            inner: ImportReader::open_checked(
                path,
                opts,
                FileKind::Diagnoses,
                outcome.fingerprint,
            )?,
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

    /// The next row's number, parsed fields and problems.
    pub fn next_parts(&mut self) -> Result<Option<(u32, DiagnosisRow, Vec<RowError>)>, FileError> {
        let inner = &mut self.inner;
        match inner.table.next_row()? {
            None => Ok(None),
            Some(row) => {
                let (d, errors) = parse_diagnosis_row(row, &inner.map, &inner.file, inner.today);
                Ok(Some((row.number(), d, errors)))
            }
        }
    }

    /// The next row as a record or its problems.
    pub fn next_diagnosis(&mut self) -> Result<Option<(u32, DiagnosisResult)>, FileError> {
        let inner = &mut self.inner;
        match inner.table.next_row()? {
            None => Ok(None),
            Some(row) => Ok(Some((
                row.number(),
                parse_diagnosis(row, &inner.map, &inner.file, inner.today),
            ))),
        }
    }

    /// The next row that `outcome` accepted, as a record; rejected rows
    /// are skipped unparsed. A row the check accepted that no longer
    /// parses means the file has changed.
    pub fn next_accepted(
        &mut self,
        outcome: &CheckOutcome,
    ) -> Result<Option<(u32, DiagnosisRecord)>, FileError> {
        self.inner.next_accepted(outcome, parse_diagnosis)
    }

    /// How far reading has got.
    pub fn progress(&self) -> Progress {
        self.inner.progress()
    }

    /// Size and modification time of the file when it was opened.
    pub fn fingerprint(&self) -> crate::table::FileFingerprint {
        self.inner.table.fingerprint()
    }

    /// Where the columns are.
    pub fn columns(&self) -> &ColumnMap {
        &self.inner.map
    }
}

impl Iterator for DiagnosesReader {
    type Item = Result<(u32, DiagnosisResult), FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_diagnosis().transpose()
    }
}
