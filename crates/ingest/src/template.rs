//! Blank import templates: an XLSX workbook whose first sheet has the
//! Chinese headers (identifier columns formatted as text so Excel keeps
//! every digit of an ID number, dropdowns for the code lists, required
//! headers in red, frozen header) and whose second sheet "填写说明"
//! explains each column. This module says what the template holds;
//! `jianfu-export` writes it.

use std::path::Path;

use jianfu_export::{Column, Dropdown, ExportError, Kind, OnOther, Sheet, XlsxWriter};

use crate::columns::{ColumnDef, FileKind, ValueKind};

/// Notes under the column list of "填写说明".
const NOTES: [&str; 5] = [
    "说明：",
    "1. 表头可使用中文列名或英文别名，列的顺序不限；红色列名为必填列。",
    "2. 身份证号、联系电话、区划代码等列已设置为“文本”格式，请勿改为数字格式，否则 Excel 会丢失号码的末尾数字。",
    "3. 选择类的列可填写中文，也可填写英文代码。",
    "4. 可以保存为 .xlsx，也可以另存为 CSV（UTF-8 或 GBK 编码均可）。",
];

/// Writes the template for `kind` to `path` (an `.xlsx` file).
pub fn write_template(kind: FileKind, path: &Path) -> Result<(), ExportError> {
    let mut book = XlsxWriter::new();
    let columns = kind.columns().iter().map(template_column).collect();
    book.sheet(&Sheet::new(kind.label(), columns).without_autofilter())?;
    book.sheet(&help_sheet())?;
    for col in kind.columns() {
        book.row(&[
            col.header.into(),
            col.alias.into(),
            (if col.required { "必填" } else { "选填" }).into(),
            col.description.into(),
            col.allowed_values().into(),
            col.example.into(),
        ])?;
    }
    book.row(&[])?;
    for note in NOTES {
        book.row(&[note.into()])?;
    }
    if let Some(note) = kind.spec().template_note {
        book.row(&[note.into()])?;
    }
    book.save(path)
}

/// A column of the template's first sheet.
fn template_column(col: &ColumnDef) -> Column {
    // Text: Excel then keeps ID numbers, codes and typed dates as written
    // instead of turning them into floats.
    let as_text =
        col.kind.is_identifier() || matches!(col.kind, ValueKind::Date | ValueKind::DateTime);
    let kind = if as_text { Kind::Code } else { Kind::Text };
    let mut column = Column::new(col.header, kind).width(col.width);
    if col.required {
        column = column.emphasised();
    }
    let choices = col.kind.choices();
    if !choices.is_empty() {
        column = column.dropdown(dropdown(col, choices));
    }
    column
}

fn dropdown(col: &ColumnDef, choices: Vec<&str>) -> Dropdown {
    let multiple = col.kind == ValueKind::Groups;
    Dropdown {
        choices: choices.into_iter().map(String::from).collect(),
        title: col.header.to_string(),
        message: if multiple {
            "可从列表选择一项；有多个类别时直接输入，用“、”或“|”分隔".to_string()
        } else {
            format!("请从列表中选择{}", col.header)
        },
        on_other: if multiple {
            OnOther::Inform
        } else {
            OnOther::Refuse {
                title: "输入值无效".to_string(),
                message: format!("请从下拉列表中选择{}", col.header),
            }
        },
    }
}

/// "填写说明": one row per column, then the notes.
fn help_sheet() -> Sheet {
    let columns = vec![
        Column::text("列名").width(18.0),
        Column::text("英文别名").width(18.0),
        Column::text("是否必填").width(10.0),
        Column::text("说明").width(50.0).wrap(),
        Column::text("可填写的值").width(60.0).wrap(),
        Column::text("示例").width(24.0),
    ];
    Sheet::new("填写说明", columns).without_autofilter()
}
