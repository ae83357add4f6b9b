//! Lists: every table of the application pages, sorts by its column
//! headers and exports to XLSX and CSV through the same query parameters.
//!
//! Conventions of the query string: `sort=<column key>`, `dir=asc|desc`,
//! `page=<1-based>`, `per=<rows, at most 200>` and `format=csv|xlsx` for
//! the export of the whole filtered list (up to [`EXPORT_LIMIT`] rows).
//! Handlers turn `sort` into one of their own whitelisted columns; user
//! text never reaches SQL as text. Exports are written by `jianfu-export`
//! (formula neutralisation, masking of ID columns, Excel's limits).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use jianfu_domain::Money;
use jianfu_export::{self as export, FileFormat, Kind, Sheet, Value};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::encode;
use crate::error::AppError;
use crate::i18n::{Lang, t};

/// Most rows one export writes (the use cases' limit of personal data,
/// for every list alike).
pub const EXPORT_LIMIT: i64 = jianfu_service::people::EXPORT_LIMIT;

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
        // Saturating: a page number near i64::MAX is a request for nothing,
        // not an overflow.
        (self.page.unwrap_or(1).max(1) - 1).saturating_mul(self.limit())
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

impl ExportFormat {
    /// The format as `jianfu-export` (and audit entries) name it.
    pub fn file_format(self) -> FileFormat {
        match self {
            ExportFormat::Csv => FileFormat::Csv,
            ExportFormat::Xlsx => FileFormat::Xlsx,
        }
    }
}

/// A column of a list.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Key used in `sort=`; empty when the column does not sort.
    pub key: &'static str,
    /// Chinese header (translated through the catalogue).
    pub label: &'static str,
    /// What the column holds: numbers are right-aligned on screen and
    /// exported as numbers; ID numbers are masked in exports.
    pub kind: Kind,
}

impl Column {
    /// A sortable text column.
    pub const fn text(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: Kind::Text,
        }
    }

    /// A sortable column of whole numbers.
    pub const fn num(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: Kind::Integer,
        }
    }

    /// A sortable column of money, shown as yuan (`1234.56`).
    pub const fn money(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: Kind::Money,
        }
    }

    /// A column that does not sort.
    pub const fn plain(label: &'static str) -> Column {
        Column {
            key: "",
            label,
            kind: Kind::Text,
        }
    }

    /// A column of ID numbers that does not sort; exports mask them even
    /// if a page forgot to.
    pub const fn id_number(label: &'static str) -> Column {
        Column {
            key: "",
            label,
            kind: Kind::IdNumber,
        }
    }

    /// True for the right-aligned number columns.
    pub fn numeric(&self) -> bool {
        matches!(self.kind, Kind::Integer | Kind::Money)
    }

    /// A cell's exported value: numbers as numbers when the text reads as
    /// one (thousands separators allowed), anything else as text.
    fn value<'a>(&self, text: &'a str) -> Value<'a> {
        let number = || text.replace(',', "");
        let parsed = match self.kind {
            Kind::Integer => number().parse().ok().map(Value::Int),
            Kind::Money => Money::from_yuan_str(&number()).ok().map(Value::Money),
            _ => None,
        };
        parsed.unwrap_or_else(|| Value::from(text))
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
                        th class=[c.numeric().then_some("n")] scope="col" {
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
                                td class=[c.numeric().then_some("n")] data-label=(t(lang, c.label)) {
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

/// Writes rows as a CSV or XLSX download named `name` (without
/// extension), through `jianfu-export`: the sheet is titled `name`, the
/// headers are the columns' labels in `lang`.
pub fn export(
    lang: Lang,
    format: ExportFormat,
    name: &str,
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> Result<Response, AppError> {
    let format = format.file_format();
    let headers = columns
        .iter()
        .map(|c| export::Column::new(t(lang, c.label), c.kind));
    let sheet = Sheet::new(name.to_string(), headers.collect());
    let values = rows.iter().map(|row| {
        row.iter()
            .zip(columns)
            .map(|(cell, c)| c.value(&cell.text))
            .collect::<Vec<_>>()
    });
    let bytes = export::to_bytes(format, &sheet, values).map_err(|e| {
        tracing::error!(error = %e, "export failed");
        AppError::Internal
    })?;
    let ext = format.extension();
    let file = format!("{name}.{ext}");
    let disposition = format!(
        "attachment; filename=\"export.{ext}\"; filename*=UTF-8''{}",
        encode(&file)
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_export_as_their_columns_kind() {
        let num = Column::num("n", "人数");
        assert_eq!(num.value("1,234"), Value::Int(1234));
        assert_eq!(num.value("—"), Value::from("—"));
        let money = Column::money("m", "医疗总费用");
        assert_eq!(money.value("-12.05"), Value::Money(Money::from_fen(-1205)));
        assert_eq!(
            money.value("1,234.56"),
            Value::Money(Money::from_fen(123_456))
        );
        let text = Column::text("t", "说明");
        assert_eq!(text.value("-5"), Value::from("-5"), "text stays text");
        assert!(num.numeric() && money.numeric() && !text.numeric());
    }

    #[test]
    fn csv_export_neutralises_text_and_masks_ids() {
        let columns = [
            Column::plain("说明"),
            Column::id_number("身份证号"),
            Column::num("n", "人数"),
        ];
        let rows = vec![vec![
            Cell::from("=1+1"),
            Cell::from("130624197001020011"),
            Cell::from("-3"),
        ]];
        let response = export(Lang::Zh, ExportFormat::Csv, "名单", &columns, &rows).unwrap();
        let ty = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert_eq!(ty, "text/csv; charset=utf-8");
        let body = response.into_body();
        let bytes = block_on(axum::body::to_bytes(body, usize::MAX)).unwrap();
        assert_eq!(
            &bytes[..],
            "\u{FEFF}说明,身份证号,人数\r\n'=1+1,130624********0011,-3\r\n".as_bytes()
        );
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
