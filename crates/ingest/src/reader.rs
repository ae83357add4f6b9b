//! Reading a file of any kind row by row: the table, its header matched
//! against the kind's columns, and each row parsed by the kind's parser
//! into fields, a record or its problems.

use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::ImportOptions;
use crate::check::CheckOutcome;
use crate::columns::ColumnMap;
use crate::error::FileError;
use crate::fields::Cells;
use crate::kind::ImportKind;
use crate::report::{RowError, Severity};
use crate::table::{FileFingerprint, Progress, Row, TableReader};

/// A row as a record, or all its problems.
pub type RowResult<R> = Result<R, Vec<RowError>>;

/// A row's number and its record or problems.
pub type ReadRow<R> = (u32, RowResult<R>);

/// Reads a file of kind `K` row by row (the first pass, the second pass
/// of an import, or any caller that wants the records).
pub struct ImportReader<K: ImportKind> {
    table: TableReader,
    map: ColumnMap,
    file: Arc<str>,
    today: NaiveDate,
    warnings: Vec<RowError>,
    // `fn() -> K`: the reader holds no `K`, so it is `Send` whatever `K` is.
    kind: PhantomData<fn() -> K>,
}

impl<K: ImportKind> ImportReader<K> {
    /// Opens a file and reads its header.
    pub fn open(path: &Path, opts: &ImportOptions) -> Result<Self, FileError> {
        let known = |h: &str| K::KIND.knows_header(h);
        let table = TableReader::open_limited(path, opts.sheet.as_deref(), &known, opts.limits)?;
        let file = opts.label_for(path);
        let (map, warnings) =
            ColumnMap::from_headers(K::KIND, table.headers(), table.header_row(), &file)?;
        Ok(ImportReader {
            table,
            map,
            file,
            today: opts.today,
            warnings,
            kind: PhantomData,
        })
    }

    /// Opens the file checked by `outcome`, refusing it if it has changed
    /// since (size or modification time).
    pub fn open_checked(
        path: &Path,
        opts: &ImportOptions,
        outcome: &CheckOutcome,
    ) -> Result<Self, FileError> {
        let reader = Self::open(path, opts)?;
        let (now, then) = (reader.fingerprint(), outcome.fingerprint);
        if now.len != then.len
            || (now.modified.is_some() && then.modified.is_some() && now.modified != then.modified)
        {
            return Err(FileError::ChangedSinceCheck);
        }
        Ok(reader)
    }

    /// Warnings about the header (unknown columns).
    pub fn header_warnings(&self) -> &[RowError] {
        &self.warnings
    }

    /// Where the columns are.
    pub fn columns(&self) -> &ColumnMap {
        &self.map
    }

    /// The file's name in the report.
    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    /// How far reading has got.
    pub fn progress(&self) -> Progress {
        self.table.progress()
    }

    /// Size and modification time of the file when it was opened.
    pub fn fingerprint(&self) -> FileFingerprint {
        self.table.fingerprint()
    }

    /// Parses the next row into `fields` (reusing what it holds); returns
    /// the row number and the row's problems.
    pub fn next_parts_into(
        &mut self,
        fields: &mut K::Fields,
    ) -> Result<Option<(u32, Vec<RowError>)>, FileError> {
        let Some(row) = self.table.next_row()? else {
            return Ok(None);
        };
        let mut cells = Cells::new(row, &self.map, &self.file, self.today);
        K::parse(&mut cells, fields);
        Ok(Some((row.number(), cells.into_errors())))
    }

    /// The next row as a record or its problems.
    pub fn next_record(&mut self) -> Result<Option<ReadRow<K::Record>>, FileError> {
        let Some(row) = self.table.next_row()? else {
            return Ok(None);
        };
        let record = parse_record::<K>(row, &self.map, &self.file, self.today);
        Ok(Some((row.number(), record)))
    }

    /// The next row that `outcome` accepted, as a record; rejected rows
    /// are skipped unparsed. A row the check accepted that no longer
    /// parses means the file has changed.
    pub fn next_accepted(
        &mut self,
        outcome: &CheckOutcome,
    ) -> Result<Option<(u32, K::Record)>, FileError> {
        while let Some(row) = self.table.next_row()? {
            let number = row.number();
            if outcome.rejected.contains(number) {
                continue;
            }
            return match parse_record::<K>(row, &self.map, &self.file, self.today) {
                Ok(record) => Ok(Some((number, record))),
                Err(_) => Err(FileError::ChangedSinceCheck),
            };
        }
        Ok(None)
    }
}

impl<K: ImportKind> Iterator for ImportReader<K> {
    type Item = Result<ReadRow<K::Record>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// Parses one row into a record or all its problems. Warnings (such as
/// `id_maybe_rounded`) do not make the row fail.
fn parse_record<K: ImportKind>(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
) -> RowResult<K::Record> {
    let mut fields = K::Fields::default();
    let mut cells = Cells::new(row, map, file, today);
    K::parse(&mut cells, &mut fields);
    let errors = cells.into_errors();
    if errors.iter().any(|e| e.severity == Severity::Error) {
        return Err(errors);
    }
    K::record(fields).ok_or_else(|| {
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
