//! Readers for the Excel and CSV files other departments send to jianfu
//! (健扶): the persons (人员), diagnoses (诊断) and claims (医保结算) imports of
//! `data-formats.md` and the department push lists (部门推送预警名单), turning each row into a domain record or a list of
//! row-level errors for the error report.
//!
//! The crate does no database access. Each kind of file is a module
//! implementing [`ImportKind`] (its columns, row parser, cross-row check
//! and the question of jurisdiction its rows ask); everything else is
//! written once for any kind. An import is two passes over the file:
//!
//! 1. [`check_file`] reads the whole file once, asks the caller's
//!    [`Judge`] about each row's village or person, streams every problem
//!    to a [`report::ReportSink`] and returns a [`check::CheckOutcome`]
//!    with the set of rejected rows;
//! 2. the caller re-opens the file with [`ImportReader::open_checked`]
//!    and writes the rows the outcome did not reject.
//!
//! Nothing is held in memory per row beyond the current one: CSV is
//! decoded incrementally, XLSX cells are streamed, the cross-row checks
//! keep compact per-household and per-ID state, and errors go to the sink.
//!
//! Personal data (names, ID and phone numbers) never appears in an error
//! message; the report's `value` column masks ID and phone numbers (first
//! 6 and last 4 characters) and names.
#![warn(missing_docs)]

pub mod check;
pub mod claims;
pub mod columns;
pub mod diagnoses;
pub mod error;
mod fields;
mod hash;
mod inflate;
pub mod kind;
pub mod limits;
pub mod normalize;
pub mod persons;
pub mod pushes;
pub mod reader;
pub mod report;
pub mod table;
pub mod template;

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;

pub use check::{
    CheckOutcome, OUTSIDE_JURISDICTION_PERSON, OUTSIDE_JURISDICTION_VILLAGE, PersonCheck, RowSet,
    VillageCheck, check_file,
};
pub use claims::{ClaimRow, Claims, ClaimsCheck, ClaimsReader, check_claims_file};
pub use columns::{ColumnDef, ColumnMap, FileKind, ValueKind};
pub use diagnoses::{
    Diagnoses, DiagnosesCheck, DiagnosesReader, DiagnosisRow, check_diagnoses_file,
};
pub use error::FileError;
pub use fields::{Cells, report_value};
pub use kind::{
    ByPerson, ByVillage, CheckSummary, CrossCheck, ImportKind, Judge, KindSpec, Question, Subject,
    outside_jurisdiction,
};
pub use limits::Limits;
pub use persons::{PersonRow, Persons, PersonsCheck, PersonsReader, check_persons_file};
pub use pushes::{PushRecord, PushRow, Pushes, PushesCheck, PushesReader};
pub use reader::{ImportReader, ReadRow, RowResult};
pub use report::{
    CsvReport, MemorySink, ReportFile, ReportSink, RowError, Severity, XlsxReport,
    csv_file_to_xlsx, csv_to_xlsx, report_sheet,
};
pub use table::{Cell, CellRef, Format, Progress, ProgressUnit, Row, TableReader};
pub use template::write_template;

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The date birth and diagnosis dates are judged against (dates after
    /// it are "in the future"). Passed in so tests are reproducible.
    pub today: NaiveDate,
    /// The worksheet to read (`--sheet NAME`); the first sheet when `None`.
    pub sheet: Option<String>,
    /// The name the report gives the file (its `文件` column); the file's
    /// own name when `None`.
    pub file_label: Option<String>,
    /// The bounds the file is read under ([`Limits::DEFAULT`]).
    pub limits: Limits,
}

impl ImportOptions {
    /// Options judging dates against `today`, reading the first sheet.
    pub fn new(today: NaiveDate) -> Self {
        ImportOptions {
            today,
            sheet: None,
            file_label: None,
            limits: Limits::DEFAULT,
        }
    }

    /// Reads the named sheet instead of the first one.
    pub fn with_sheet(mut self, sheet: impl Into<String>) -> Self {
        self.sheet = Some(sheet.into());
        self
    }

    /// The label of `path` in the report.
    pub fn label_for(&self, path: &Path) -> Arc<str> {
        match &self.file_label {
            Some(l) => Arc::from(l.as_str()),
            None => Arc::from(
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string()),
            ),
        }
    }
}
