//! File-level errors: problems that stop a file from being read at all.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

use thiserror::Error;

use crate::limits::column_letters;
use crate::report::{RowError, Severity};

/// Why a file cannot be read. Each variant becomes one row of the error
/// report (see [`FileError::to_row_error`]); none carries personal data.
#[derive(Debug, Error)]
pub enum FileError {
    /// The path does not exist.
    #[error("找不到文件“{path}”，请检查文件名和所在文件夹")]
    NotFound {
        /// The path as given.
        path: String,
    },
    /// The operating system refused to read it.
    #[error("无法读取文件“{path}”（{source}），请确认文件没有被其他程序（如 Excel）占用")]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Zero bytes, or only blank lines.
    #[error("文件是空的，没有任何内容，请检查是否选错了文件")]
    Empty,
    /// Not a readable CSV or Excel workbook (truncated, damaged, binary).
    #[error(
        "文件不是有效的 CSV 或 Excel 文件（{detail}），请确认文件完整未损坏，在 Excel 中另存为 .xlsx 或 CSV 后重新导入"
    )]
    Corrupt {
        /// What was found, in Chinese, without cell contents.
        detail: String,
    },
    /// A CSV file that is neither UTF-8, UTF-16 with BOM nor GB18030/GBK.
    #[error(
        "文件编码无法识别（不是 UTF-8、UTF-16 或 GBK/GB18030），请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重新导入"
    )]
    Encoding,
    /// Required columns are not in the header row.
    #[error("第{header_row}行（表头）缺少必填列：{}。请使用系统模板的列名（中文或英文均可）", .missing.join("、"))]
    MissingColumns {
        /// The Chinese headers of the missing columns.
        missing: Vec<String>,
        /// The row the header was read from.
        header_row: u32,
    },
    /// Two header cells name the same column.
    #[error(
        "第{header_row}行（表头）中列“{header}”出现了两次（第{first}列和第{second}列），请删除其中一列"
    )]
    DuplicateColumn {
        /// The column's Chinese header.
        header: String,
        /// 1-based position of the first occurrence.
        first: usize,
        /// 1-based position of the second occurrence.
        second: usize,
        /// The row the header was read from.
        header_row: u32,
    },
    /// `--sheet NAME` names no sheet of the workbook.
    #[error("工作簿中没有名为“{name}”的工作表，现有工作表：{}", .available.join("、"))]
    SheetNotFound {
        /// The name asked for.
        name: String,
        /// The sheets the workbook has.
        available: Vec<String>,
    },
    /// More rows than an import takes ([`crate::limits::MAX_ROWS`]).
    #[error("文件行数超过上限（{limit}行），请拆分为多个文件后分别导入")]
    TooManyRows {
        /// The limit.
        limit: u64,
    },
    /// A non-blank cell past the column limit ([`crate::limits::MAX_COLUMNS`]).
    #[error(
        "第{row}行第{column}列（{}列）有内容，超过列数上限（{limit}列）；请删除表格右侧多余的列后重新导入", column_letters(*.column)
    )]
    TooManyColumns {
        /// The row, as the user sees it.
        row: u32,
        /// The 1-based column.
        column: usize,
        /// The limit.
        limit: usize,
    },
    /// A cell longer than [`crate::limits::MAX_CELL_CHARS`] characters.
    #[error(
        "第{row}行第{column}列（{}列）的内容超过单元格长度上限（{limit}个字符），文件可能已损坏或不是导入文件；请检查该单元格", column_letters(*.column)
    )]
    CellTooLarge {
        /// The row, as the user sees it.
        row: u32,
        /// The 1-based column.
        column: usize,
        /// The limit.
        limit: usize,
    },
    /// An XLSX workbook whose parts decompress past
    /// [`crate::limits::XLSX_MAX_INFLATED_BYTES`] (as declared, or as
    /// counted while inflating).
    #[error(
        "Excel 文件解压后超过大小上限（{} MB），文件可能已损坏或被构造成“压缩炸弹”；请拆分为多个文件，或另存为 CSV 后重新导入", .limit >> 20
    )]
    XlsxTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The first rows of the file all have errors: checking stopped.
    #[error(
        "文件开头的{rows}行数据全部有错误，已停止检查；请确认选择了正确的文件和导入类型，按报告改正前面几行的问题后重新导入"
    )]
    Hopeless {
        /// The data rows read.
        rows: u64,
    },
    /// The file changed between the check and the import pass.
    #[error("文件在检查之后被修改过，请重新检查后再导入")]
    ChangedSinceCheck,
}

impl FileError {
    /// Stable English code for the report.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::NotFound { .. } => "file_not_found",
            FileError::Io { .. } => "file_io",
            FileError::Empty => "file_empty",
            FileError::Corrupt { .. } => "file_corrupt",
            FileError::Encoding => "file_encoding",
            FileError::MissingColumns { .. } => "missing_column",
            FileError::DuplicateColumn { .. } => "duplicate_column",
            FileError::SheetNotFound { .. } => "sheet_not_found",
            FileError::TooManyRows { .. } => "too_many_rows",
            FileError::TooManyColumns { .. } => "too_many_columns",
            FileError::CellTooLarge { .. } => "cell_too_large",
            FileError::XlsxTooLarge { .. } => "xlsx_too_large",
            FileError::Hopeless { .. } => "hopeless_file",
            FileError::ChangedSinceCheck => "file_changed",
        }
    }

    /// The report row: the header row for header problems, 0 otherwise.
    pub fn row(&self) -> u32 {
        match self {
            FileError::MissingColumns { header_row, .. }
            | FileError::DuplicateColumn { header_row, .. } => *header_row,
            FileError::TooManyColumns { row, .. } | FileError::CellTooLarge { row, .. } => *row,
            _ => 0,
        }
    }

    /// This error as a row of the error report.
    pub fn to_row_error(&self, file: &Arc<str>) -> RowError {
        let (column, value): (Cow<'static, str>, String) = match self {
            FileError::MissingColumns { missing, .. } => ("表头".into(), missing.join("、")),
            FileError::DuplicateColumn { header, .. } => ("表头".into(), header.clone()),
            FileError::SheetNotFound { name, .. } => ("工作表".into(), name.clone()),
            FileError::TooManyColumns { column, .. } | FileError::CellTooLarge { column, .. } => {
                (column_letters(*column).into(), String::new())
            }
            _ => ("".into(), String::new()),
        };
        RowError {
            file: file.clone(),
            row: self.row(),
            column,
            value,
            problem: self.to_string(),
            code: self.code(),
            severity: Severity::Error,
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: io::Error) -> Self {
        let path = path.display().to_string();
        match source.kind() {
            io::ErrorKind::NotFound => FileError::NotFound { path },
            io::ErrorKind::InvalidData => FileError::Encoding,
            _ => FileError::Io { path, source },
        }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        FileError::Corrupt {
            detail: detail.into(),
        }
    }
}
