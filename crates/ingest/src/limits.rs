//! The bounds every import file is held to, in one place, so that a file
//! crafted or broken to be huge (a small XLSX that inflates to gigabytes,
//! a CSV of random bytes) is refused while it is streamed instead of
//! costing minutes and a report of gigabytes. Each limit is checked as
//! the file is read, never after loading it; a file over a limit is
//! refused whole with an error naming the limit (and the row and column
//! where one applies). See `docs/IMPORT.md` (*Limits*).

use crate::error::FileError;

/// Decompressed size of all parts of an XLSX workbook together (sheet
/// XML, shared strings, styles…). A million persons written by Excel take
/// about 450 MB of sheet XML; the reported attack inflated 3 MB to 1 GB.
pub const XLSX_MAX_INFLATED_BYTES: u64 = 640 << 20;

/// Rows of a sheet or CSV file (the row number as the user sees it). A
/// county's claims of a year are one to three million rows.
pub const MAX_ROWS: u32 = 5_000_000;

/// Columns up to the last non-blank cell of a row. The widest kind
/// (claims) has 16; templates with notes beside them stay far below.
pub const MAX_COLUMNS: usize = 100;

/// Characters in one cell: Excel's own limit.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Problems listed one by one in an error report; the rest are counted
/// per code in closing lines.
pub const REPORT_MAX_LISTED: u64 = 10_000;

/// When this many data rows from the start all have errors, the check
/// stops: the file is not of the kind, or systematically wrong, and
/// reading it further only makes the report longer.
pub const HOPELESS_ROWS: u64 = 1_000;

/// The limits one import is read under: [`Limits::DEFAULT`], or smaller
/// ones where a test wants to reach them with a small file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// [`XLSX_MAX_INFLATED_BYTES`].
    pub xlsx_inflated_bytes: u64,
    /// [`MAX_ROWS`].
    pub rows: u32,
    /// [`MAX_COLUMNS`].
    pub columns: usize,
    /// [`MAX_CELL_CHARS`].
    pub cell_chars: usize,
    /// [`HOPELESS_ROWS`].
    pub hopeless_rows: u64,
}

impl Limits {
    /// The limits of every real import.
    pub const DEFAULT: Limits = Limits {
        xlsx_inflated_bytes: XLSX_MAX_INFLATED_BYTES,
        rows: MAX_ROWS,
        columns: MAX_COLUMNS,
        cell_chars: MAX_CELL_CHARS,
        hopeless_rows: HOPELESS_ROWS,
    };

    /// Refuses row `row` when it lies past the row limit.
    pub(crate) fn check_row(&self, row: u64) -> Result<(), FileError> {
        if row > u64::from(self.rows) {
            return Err(FileError::TooManyRows {
                limit: u64::from(self.rows),
            });
        }
        Ok(())
    }

    /// Refuses a text cell at `column` (0-based) of `row` that is over
    /// the column limit (when not blank) or the length limit.
    pub(crate) fn check_cell(&self, row: u64, column: usize, text: &str) -> Result<(), FileError> {
        let blank = text.trim().is_empty();
        if column >= self.columns && !blank {
            return Err(FileError::TooManyColumns {
                row: clamp_row(row),
                column: column + 1,
                limit: self.columns,
            });
        }
        // Bytes bound characters from above: count only when it matters.
        if text.len() > self.cell_chars && text.chars().count() > self.cell_chars {
            return Err(FileError::CellTooLarge {
                row: clamp_row(row),
                column: column + 1,
                limit: self.cell_chars,
            });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

fn clamp_row(row: u64) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// Excel's letters for a 1-based column number (1 → A, 27 → AA).
pub fn column_letters(mut column: usize) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rem = (column - 1) % 26;
        letters.push(b'A' + rem as u8);
        column = (column - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_follow_excel() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(101), "CW");
        assert_eq!(column_letters(16_384), "XFD");
    }

    #[test]
    fn cells_over_a_limit_are_refused_with_their_place() {
        let l = Limits {
            columns: 3,
            cell_chars: 4,
            ..Limits::DEFAULT
        };
        assert!(l.check_cell(2, 2, "abcd").is_ok());
        assert!(
            l.check_cell(2, 5, "  ").is_ok(),
            "blank cells past the limit"
        );
        let e = l.check_cell(7, 3, "x").unwrap_err();
        assert_eq!(e.code(), "too_many_columns");
        assert!(e.to_string().contains("第7行第4列（D列）"), "{e}");
        let e = l.check_cell(9, 1, "健扶健扶健").unwrap_err();
        assert_eq!(e.code(), "cell_too_large");
        assert!(e.to_string().contains("第9行第2列（B列）"), "{e}");
        assert!(l.check_row(u64::from(l.rows) + 1).is_err());
    }
}
