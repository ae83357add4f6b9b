//! Every sheet jianfu writes for people — list exports, import error
//! reports, import templates and the simulation report — goes through this
//! crate, so the rules that protect the reader hold everywhere alike:
//!
//! * **formula injection** is neutralised: a text cell starting with `=`,
//!   `+`, `-`, `@`, a tab or a carriage return is written as text (XLSX: a
//!   string with Excel's quote prefix, never a formula; CSV: prefixed with
//!   `'`, as OWASP recommends). Values typed as numbers are not touched.
//! * **ID and phone numbers** in columns of kind [`Kind::IdNumber`] and
//!   [`Kind::Phone`] are masked with the domain's rule
//!   ([`jianfu_domain::mask_middle`]) unless the column is marked
//!   [`Column::unmasked`].
//! * **Excel's limits**: an XLSX sheet holds at most [`Limits::EXCEL`]
//!   rows (header included); the rows after that continue on a new sheet
//!   named `<title> (2)`, `(3)`…, each with the header again, so nothing is
//!   lost. A cell longer than 32,767 characters is cut and ends with
//!   [`CUT_MARKER`]. More than 16,384 columns is an error.
//!
//! A [`Sheet`] describes a table (title, columns with Chinese header,
//! width and [`Kind`]); rows of [`Value`]s are streamed to a [`CsvWriter`]
//! (UTF-8 with BOM, CRLF, one sheet per file) or an [`XlsxWriter`]
//! (several sheets per workbook; styled, frozen and filtered header).
//! Neither keeps the rows: the CSV writer writes through, and the XLSX
//! writer uses rust_xlsxwriter's constant-memory mode (see [`XlsxWriter`]
//! for what that costs).

mod csv_out;
mod rules;
mod sheet;
mod value;
mod xlsx_out;

pub use csv_out::CsvWriter;
pub use rules::{CUT_MARKER, csv_guard, needs_guard, strip_csv_guard};
pub use sheet::{Column, Dropdown, Kind, OnOther, Sheet};
pub use value::Value;
pub use xlsx_out::XlsxWriter;

use thiserror::Error;

/// Why a sheet could not be written.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The XLSX library refused a write.
    #[error("无法写入 Excel 文件：{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer failed (usually the output underneath it).
    #[error("无法写入 CSV 文件：{0}")]
    Csv(#[from] csv::Error),
    /// The output failed.
    #[error("无法写入导出文件：{0}")]
    Io(#[from] std::io::Error),
    /// More columns than a worksheet can hold; rows roll over to a new
    /// sheet, columns cannot.
    #[error("工作表“{title}”有 {columns} 列，超过 Excel 的上限 {max} 列")]
    TooManyColumns {
        /// The sheet's title.
        title: String,
        /// Its number of columns.
        columns: usize,
        /// The limit.
        max: u16,
    },
    /// A row with more values than the sheet has columns.
    #[error("工作表“{title}”有 {columns} 列，但一行给了 {values} 个值")]
    RowTooLong {
        /// The sheet's title.
        title: String,
        /// Its number of columns.
        columns: usize,
        /// The values given.
        values: usize,
    },
    /// [`XlsxWriter::row`] before any [`XlsxWriter::sheet`].
    #[error("尚未开始任何工作表")]
    NoSheet,
}

/// The two file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// UTF-8 CSV with a byte-order mark (so Excel opens Chinese text).
    Csv,
    /// Excel workbook.
    Xlsx,
}

impl FileFormat {
    /// File name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }

    /// MIME type of a download.
    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Excel's limits, or smaller ones (tests use a few rows to see the
/// rollover without writing a million).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rows of a worksheet, the header included.
    pub rows: u32,
    /// Columns of a worksheet.
    pub columns: u16,
    /// Characters (UTF-16 code units, as Excel counts) of a cell.
    pub cell_chars: usize,
}

impl Limits {
    /// The limits of Excel 2007 and later.
    pub const EXCEL: Limits = Limits {
        rows: 1_048_576,
        columns: 16_384,
        cell_chars: 32_767,
    };

    /// These limits, never above Excel's, and with room for the header
    /// and one row and for the cut marker.
    pub fn clamped(self) -> Limits {
        let marker = CUT_MARKER.encode_utf16().count();
        Limits {
            rows: self.rows.clamp(2, Self::EXCEL.rows),
            columns: self.columns.clamp(1, Self::EXCEL.columns),
            cell_chars: self.cell_chars.clamp(marker + 1, Self::EXCEL.cell_chars),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::EXCEL
    }
}

/// Writes one sheet in `format` to memory (for downloads of bounded size,
/// such as the web lists' exports).
pub fn to_bytes<'a, R>(
    format: FileFormat,
    sheet: &Sheet,
    rows: impl IntoIterator<Item = R>,
) -> Result<Vec<u8>, ExportError>
where
    R: AsRef<[Value<'a>]>,
{
    match format {
        FileFormat::Csv => {
            let mut out = CsvWriter::new(Vec::new(), sheet)?;
            for row in rows {
                out.row(row.as_ref())?;
            }
            out.finish()
        }
        FileFormat::Xlsx => {
            let mut out = XlsxWriter::new();
            out.sheet(sheet)?;
            for row in rows {
                out.row(row.as_ref())?;
            }
            out.into_bytes()
        }
    }
}
