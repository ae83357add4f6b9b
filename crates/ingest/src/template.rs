//! Blank import templates: an XLSX workbook whose first sheet has the
//! Chinese headers (identifier columns formatted as text so Excel keeps
//! every digit of an ID number, dropdowns for the code lists, frozen
//! header) and whose second sheet "填写说明" explains each column.

use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatAlign, Workbook, XlsxError,
};

use crate::columns::{FileKind, ValueKind};

/// Last row a dropdown or text format is applied to.
const LAST_ROW: u32 = 1_048_575;

/// Writes the template for `kind` to `path` (an `.xlsx` file).
pub fn write_template(kind: FileKind, path: &Path) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_align(FormatAlign::Center);
    let text = Format::new().set_num_format_index(49);
    let required_header = header.clone().set_font_color("#C00000");

    let sheet = workbook.add_worksheet();
    sheet.set_name(kind.label())?;
    for (i, col) in kind.columns().iter().enumerate() {
        let c = i as u16;
        sheet.set_column_width(c, col.width)?;
        if col.kind.is_identifier() || matches!(col.kind, ValueKind::Date | ValueKind::DateTime) {
            // Text: Excel then keeps ID numbers, codes and typed dates as
            // written instead of turning them into floats.
            sheet.set_column_format(c, &text)?;
        }
        let fmt = if col.required {
            &required_header
        } else {
            &header
        };
        sheet.write_string_with_format(0, c, col.header, fmt)?;
        let choices = col.kind.choices();
        if !choices.is_empty() {
            let multiple = col.kind == ValueKind::Groups;
            let mut v = DataValidation::new()
                .allow_list_strings(&choices)?
                .set_input_title(col.header)?
                .set_input_message(if multiple {
                    "可从列表选择一项；有多个类别时直接输入，用“、”或“|”分隔".to_string()
                } else {
                    format!("请从列表中选择{}", col.header)
                })?;
            if multiple {
                v = v.set_error_style(DataValidationErrorStyle::Information);
            } else {
                v = v
                    .set_error_title("输入值无效")?
                    .set_error_message(format!("请从下拉列表中选择{}", col.header))?;
            }
            sheet.add_data_validation(1, c, LAST_ROW, c, &v)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;

    let help = workbook.add_worksheet();
    help.set_name("填写说明")?;
    let titles = ["列名", "英文别名", "是否必填", "说明", "可填写的值", "示例"];
    let widths = [18.0, 18.0, 10.0, 50.0, 60.0, 24.0];
    let wrap = Format::new().set_text_wrap();
    for (i, (t, w)) in titles.iter().zip(widths).enumerate() {
        help.set_column_width(i as u16, w)?;
        help.write_string_with_format(0, i as u16, *t, &header)?;
    }
    for (i, col) in kind.columns().iter().enumerate() {
        let r = i as u32 + 1;
        help.write_string(r, 0, col.header)?;
        help.write_string(r, 1, col.alias)?;
        help.write_string(r, 2, if col.required { "必填" } else { "选填" })?;
        help.write_string_with_format(r, 3, col.description, &wrap)?;
        help.write_string_with_format(r, 4, col.allowed_values(), &wrap)?;
        help.write_string(r, 5, col.example)?;
    }
    let notes_row = kind.columns().len() as u32 + 2;
    let notes = [
        "说明：",
        "1. 表头可使用中文列名或英文别名，列的顺序不限；红色列名为必填列。",
        "2. 身份证号、联系电话、区划代码等列已设置为“文本”格式，请勿改为数字格式，否则 Excel 会丢失号码的末尾数字。",
        "3. 选择类的列可填写中文，也可填写英文代码。",
        "4. 可以保存为 .xlsx，也可以另存为 CSV（UTF-8 或 GBK 编码均可）。",
    ];
    if kind == FileKind::Persons {
        help.write_string(
            notes_row + notes.len() as u32,
            0,
            "5. 每人一行；同一户的成员户编号、行政区划代码、户类别和家庭年人均纯收入应相同，且每户有且只有一个户主。",
        )?;
    }
    for (i, n) in notes.iter().enumerate() {
        help.write_string(notes_row + i as u32, 0, *n)?;
    }
    workbook.save(path)
}
