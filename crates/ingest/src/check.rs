//! The first pass of an import, for any kind of file: every row parsed,
//! asked the kind's question of jurisdiction, and fed to the kind's
//! cross-row check ([`crate::CrossCheck`]); every problem streams to a
//! [`ReportSink`] and the result is a [`CheckOutcome`] with the set of
//! rejected rows. The caller then re-opens the file
//! ([`crate::ImportReader::open_checked`]) and writes the rows the
//! outcome did not reject.

use std::path::Path;

use crate::ImportOptions;
use crate::columns::FileKind;
use crate::error::FileError;
use crate::kind::{Answers, CrossCheck, ImportKind, Judge};
use crate::reader::ImportReader;
use crate::report::{CountingSink, ReportSink, Severity};
use crate::table::{FileFingerprint, Progress, ProgressUnit};

/// Progress is reported every this many rows.
const PROGRESS_EVERY: u64 = 4096;

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
pub(crate) struct RunsBuilder {
    runs: Vec<(u32, u32)>,
}

impl RunsBuilder {
    /// Adds the rows `a..=b`.
    pub fn add(&mut self, a: u32, b: u32) {
        match self.runs.last_mut() {
            Some(last) if last.0 <= a && a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => self.runs.push((a, b)),
        }
    }

    /// The set of every row added.
    pub fn build(self) -> RowSet {
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

/// A guess of the number of rows, to size the maps once: exact for
/// workbooks, about one row per 100 bytes of CSV, at most 4 million.
fn rows_hint(p: Progress) -> usize {
    let rows = match p.unit {
        ProgressUnit::Rows => p.total,
        ProgressUnit::Bytes => p.total / 100,
    };
    usize::try_from(rows.min(4_000_000)).unwrap_or(0)
}

/// First pass over a file of kind `K`: parses every row, asks `judge` the
/// kind's question of jurisdiction (once per village or person), runs the
/// cross-row checks, streams every problem (header warnings included) to
/// `sink` and returns what to import. `progress` is called every few
/// thousand rows.
///
/// A file-level problem is returned as `Err` and also pushed to `sink`
/// as a report row (rows already reported stay reported).
pub fn check_file<K: ImportKind>(
    path: &Path,
    opts: &ImportOptions,
    judge: &dyn Judge,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut counting = CountingSink::new(sink);
    let result = run::<K>(path, opts, judge, &mut counting, progress);
    if let Err(e) = &result {
        counting.push(e.to_row_error(&opts.label_for(path)));
    }
    result
}

fn run<K: ImportKind>(
    path: &Path,
    opts: &ImportOptions,
    judge: &dyn Judge,
    sink: &mut CountingSink<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    let mut reader = ImportReader::<K>::open(path, opts)?;
    for w in reader.header_warnings() {
        sink.push(w.clone());
    }
    let file = reader.file().clone();
    let mut check = K::check(file.clone(), rows_hint(reader.progress()));
    let mut answers = Answers::new(judge);
    let mut fields = K::Fields::default();
    let mut rows = 0u64;
    let mut any_valid = false;
    while let Some((row, mut errors)) = reader.next_parts_into(&mut fields)? {
        if let Some(subject) = K::subject(&fields)
            && let Some(e) = answers.problem::<K>(subject, &file, row)
        {
            errors.push(e);
        }
        any_valid |= !errors.iter().any(|e| e.severity == Severity::Error);
        check.feed(row, &fields, errors, sink);
        rows += 1;
        if !any_valid && rows >= opts.limits.hopeless_rows {
            return Err(FileError::Hopeless { rows });
        }
        if rows.is_multiple_of(PROGRESS_EVERY) {
            progress(reader.progress());
        }
    }
    progress(reader.progress());
    let summary = check.finish(sink);
    Ok(CheckOutcome {
        kind: K::KIND,
        header_row: reader.columns().header_row(),
        data_rows: rows,
        rejected: summary.rejected,
        deferred: summary.deferred,
        errors: sink.errors,
        warnings: sink.warnings,
        households: summary.households,
        households_rejected: summary.households_rejected,
        fingerprint: reader.fingerprint(),
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
