//! Lists: every table of the application pages, sorts by its column
//! headers and exports to XLSX and CSV through the same query parameters.
//!
//! Conventions of the query string: `sort=<column key>`, `dir=asc|desc`,
//! `page=<1-based>`, `per=<rows, at most 200>` and `format=csv|xlsx` for
//! the export of the whole filtered list (up to [`EXPORT_LIMIT`] rows).
//! Handlers turn `sort` into one of their own whitelisted columns; user
//! text never reaches SQL as text.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::encode;
use crate::error::AppError;
use crate::i18n::{Lang, t};

/// Most rows one export writes.
pub const EXPORT_LIMIT: i64 = 100_000;

/// Paging, sorting and export parameters of a list.
///
/// The JSON API takes them too; its document describes the parameters
/// with the Chinese comments below.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    // Column key to sort by. Left out of the document here: each list
    // has its own keys, so each operation describes `sort` itself.
    #[param(ignore)]
    pub sort: Option<String>,
    /// asc 或 desc
    pub dir: Option<String>,
    /// 页码，从1开始
    pub page: Option<i64>,
    /// 每页条数（默认50，最多200）
    pub per: Option<i64>,
    // `csv` or `xlsx` to export instead of showing: pages only, the API
    // does not export, so the document leaves it out.
    #[param(ignore)]
    pub format: Option<String>,
}

impl ListParams {
    /// Rows per page (default 50, at most 200).
    pub fn limit(&self) -> i64 {
        self.per.unwrap_or(50).clamp(1, 200)
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.page.unwrap_or(1).max(1) - 1) * self.limit()
    }

    /// True when sorting descending.
    pub fn desc(&self) -> bool {
        self.dir.as_deref() == Some("desc")
    }

    /// The export asked for, if any.
    pub fn export(&self) -> Result<Option<ExportFormat>, AppError> {
        match self.format.as_deref() {
            None | Some("") | Some("html") => Ok(None),
            Some("csv") => Ok(Some(ExportFormat::Csv)),
            Some("xlsx") => Ok(Some(ExportFormat::Xlsx)),
            Some(_) => Err(AppError::BadRequest("format 只能是 csv 或 xlsx".into())),
        }
    }
}

/// An export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// UTF-8 CSV with a BOM (so Excel opens it in Chinese).
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// A column of a list.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Key used in `sort=`; empty when the column does not sort.
    pub key: &'static str,
    /// Chinese header (translated through the catalogue).
    pub label: &'static str,
    /// Right-aligned numbers.
    pub numeric: bool,
}

impl Column {
    /// A sortable text column.
    pub const fn text(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            numeric: false,
        }
    }

    /// A sortable numeric column.
    pub const fn num(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            numeric: true,
        }
    }

    /// A column that does not sort.
    pub const fn plain(label: &'static str) -> Column {
        Column {
            key: "",
            label,
            numeric: false,
        }
    }
}

/// One cell: its text (as exported) and an optional link (on screen).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// Text shown and exported.
    pub text: String,
    /// Link target on screen.
    pub href: Option<String>,
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Self {
        Cell {
            text: text.into(),
            href: None,
        }
    }
}

impl Cell {
    /// A linked cell.
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: Some(href.into()),
        }
    }
}

/// A page of a list, ready to show.
pub struct Table<'a> {
    /// The columns.
    pub columns: &'a [Column],
    /// This page's rows.
    pub rows: Vec<Vec<Cell>>,
    /// Rows in the whole filtered list.
    pub total: i64,
    /// True when the list has more rows than `total` (a capped count).
    pub more: bool,
    /// The list's parameters.
    pub params: &'a ListParams,
    /// The page's path and its filter parameters (without the list ones),
    /// e.g. `/search?name=…`.
    pub base: String,
    /// Whether to offer the export links.
    pub exportable: bool,
}

fn with(base: &str, extra: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{extra}")
}

/// Renders a table with sort links, pager and export links.
pub fn render(lang: Lang, table: &Table<'_>) -> Markup {
    let p = table.params;
    let sort = p.sort.as_deref().unwrap_or("");
    let keep_sort = if sort.is_empty() {
        String::new()
    } else {
        format!(
            "&sort={}&dir={}",
            encode(sort),
            if p.desc() { "desc" } else { "asc" }
        )
    };
    let page = p.page.unwrap_or(1).max(1);
    let last = ((table.total + p.limit() - 1) / p.limit()).max(1);
    let per = p.limit();
    html! {
        @if table.exportable {
            div.exports {
                a.button.secondary href=(with(&table.base, &format!("format=xlsx{}", keep_sort))) { (t(lang, "导出 Excel")) }
                a.button.secondary href=(with(&table.base, &format!("format=csv{}", keep_sort))) { (t(lang, "导出 CSV")) }
            }
        }
        div.tablewrap {
            table.cards-sm {
                thead { tr {
                    @for c in table.columns {
                        @let label = t(lang, c.label);
                        th class=[c.numeric.then_some("n")] scope="col" {
                            @if c.key.is_empty() { (label) } @else {
                                @let desc = sort == c.key && !p.desc();
                                a href=(with(&table.base, &format!("sort={}&dir={}&per={per}", c.key, if desc { "desc" } else { "asc" }))) {
                                    (label)
                                    @if sort == c.key { (if p.desc() { " ▼" } else { " ▲" }) }
                                }
                            }
                        }
                    }
                } }
                tbody {
                    @for row in &table.rows {
                        tr {
                            @for (c, cell) in table.columns.iter().zip(row) {
                                td class=[c.numeric.then_some("n")] data-label=(t(lang, c.label)) {
                                    @if let Some(h) = &cell.href { a href=(h) { (cell.text) } } @else { (cell.text) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if table.rows.is_empty() { p.muted { (t(lang, "没有符合条件的记录")) } }
        div.pager {
            span.muted {
                (t(lang, "共")) " " (table.total) @if table.more { "+" } " " (t(lang, "条")) " · " (page) "/" (last)
                @if table.more { "（" (t(lang, "结果过多，只列出前面部分，请缩小查询范围")) "）" }
            }
            @if page > 1 {
                a href=(with(&table.base, &format!("page={}&per={per}{}", page - 1, keep_sort))) { (t(lang, "上一页")) }
            }
            @if page < last {
                a href=(with(&table.base, &format!("page={}&per={per}{}", page + 1, keep_sort))) { (t(lang, "下一页")) }
            }
        }
    }
}

/// Writes rows as a CSV or XLSX download named `name` (without extension).
pub fn export(
    lang: Lang,
    format: ExportFormat,
    name: &str,
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> Result<Response, AppError> {
    let headers: Vec<&str> = columns.iter().map(|c| t(lang, c.label)).collect();
    let (bytes, ext, ty) = match format {
        ExportFormat::Csv => (csv_bytes(&headers, rows)?, "csv", "text/csv; charset=utf-8"),
        ExportFormat::Xlsx => (
            xlsx_bytes(&headers, columns, rows)?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let file = format!("{name}.{ext}");
    let disposition = format!(
        "attachment; filename=\"export.{ext}\"; filename*=UTF-8''{}",
        encode(&file)
    );
    Ok((
        [
            (header::CONTENT_TYPE, ty.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn csv_bytes(headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let internal = |_| AppError::Internal;
        w.write_record(headers).map_err(internal)?;
        for r in rows {
            // A leading = + - @ would run as a formula in Excel.
            w.write_record(r.iter().map(|c| defuse(&c.text)))
                .map_err(internal)?;
        }
        w.flush().map_err(|_| AppError::Internal)?;
    }
    Ok(out)
}

fn defuse(s: &str) -> String {
    if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn xlsx_bytes(
    headers: &[&str],
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let internal = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "xlsx export failed");
        AppError::Internal
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let numeric = columns.get(c).is_some_and(|col| col.numeric);
            let (r, c) = (r as u32 + 1, c as u16);
            match cell.text.replace(',', "").parse::<f64>() {
                Ok(v) if numeric => ws.write_number(r, c, v).map_err(internal)?,
                _ => ws.write_string(r, c, &cell.text).map_err(internal)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0).map_err(internal)?;
    ws.autofit();
    wb.save_to_buffer().map_err(internal)
}
