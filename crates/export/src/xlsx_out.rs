//! XLSX output: one or more sheets per workbook, each with a bold, filled,
//! frozen header row, a filter on it, set or fitted column widths and a
//! number format per kind of value. Rows past the sheet's row limit
//! continue on `<title> (2)`, `(3)`…, each repeating the header.

use std::path::Path;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, ExcelDateTime, Format, FormatAlign, Workbook,
    Worksheet, XlsxError, utility::cell_autofit_width,
};

use crate::rules::{cut, masked, needs_guard, sheet_name};
use crate::sheet::{Column, Dropdown, Kind, OnOther, Sheet};
use crate::value::Value;
use crate::{ExportError, Limits};

/// Pixels Excel adds to a header cell for the filter's arrow.
const FILTER_ARROW: u32 = 16;

/// Streams sheets into an XLSX workbook.
///
/// Every sheet is written in rust_xlsxwriter's constant-memory mode: a
/// row goes to a temporary file as soon as the next one starts, so a
/// million-row export holds one row, not a million. What it costs:
///
/// * one temporary file per sheet until the workbook is saved (in the
///   system's temporary directory; if that is a RAM disk nothing is saved);
/// * strings are stored inline instead of in the shared-string table, so
///   a file with much repeated text is larger;
/// * rows can only be written in order — which is how this writer works
///   anyway; the filter range and fitted widths are sheet settings, set
///   when the sheet is finished, and Excel's own `autofit` (which needs
///   every row in memory) is replaced by widths measured as rows pass.
pub struct XlsxWriter {
    workbook: Workbook,
    styles: Styles,
    limits: Limits,
    part: Option<Part>,
}

/// The sheet being written: one part of a [`Sheet`].
struct Part {
    sheet: Worksheet,
    spec: Sheet,
    /// 1 for the first part, 2 for `<title> (2)`…
    number: u32,
    next_row: u32,
    /// Widest cell so far, in pixels, of each column without a set width.
    fitted: Vec<u32>,
}

/// The formats, made once per workbook.
struct Styles {
    header: Format,
    header_emphasised: Format,
    code: Format,
    wrap: Format,
    guarded: Format,
    guarded_wrap: Format,
    money: Format,
    percent: Format,
    date: Format,
    date_time: Format,
}

impl Styles {
    fn new() -> Styles {
        let header = Format::new()
            .set_bold()
            .set_background_color("#DDEBF7")
            .set_align(FormatAlign::Center);
        let wrap = Format::new().set_text_wrap();
        Styles {
            header_emphasised: header.clone().set_font_color("#C00000"),
            header,
            // Built-in format 49 is "@", text.
            code: Format::new().set_num_format_index(49),
            guarded: Format::new().set_quote_prefix(),
            guarded_wrap: wrap.clone().set_quote_prefix(),
            wrap,
            money: Format::new().set_num_format("#,##0.00"),
            percent: Format::new().set_num_format("0.00%"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        }
    }

    /// The format of a column's empty cells, which Excel gives what is
    /// typed there.
    fn column(&self, kind: Kind) -> Option<&Format> {
        match kind {
            Kind::Code | Kind::IdNumber | Kind::Phone => Some(&self.code),
            Kind::Money => Some(&self.money),
            Kind::Percent => Some(&self.percent),
            Kind::Date => Some(&self.date),
            Kind::DateTime => Some(&self.date_time),
            Kind::Text | Kind::Integer => None,
        }
    }

    /// The format of a text cell: a string starting like a formula gets
    /// Excel's quote prefix, so it stays text even when edited.
    fn text(&self, column: &Column, guarded: bool) -> Option<&Format> {
        match (guarded, column.wrap) {
            (true, true) => Some(&self.guarded_wrap),
            (true, false) => Some(&self.guarded),
            (false, true) => Some(&self.wrap),
            (false, false) => None,
        }
    }
}

impl Default for XlsxWriter {
    fn default() -> Self {
        XlsxWriter::new()
    }
}

impl XlsxWriter {
    /// A workbook with Excel's limits.
    pub fn new() -> XlsxWriter {
        XlsxWriter::with_limits(Limits::EXCEL)
    }

    /// A workbook with smaller limits (never above Excel's).
    pub fn with_limits(limits: Limits) -> XlsxWriter {
        XlsxWriter {
            workbook: Workbook::new(),
            styles: Styles::new(),
            limits: limits.clamped(),
            part: None,
        }
    }

    /// Finishes the current sheet, if any, and starts `sheet`.
    pub fn sheet(&mut self, sheet: &Sheet) -> Result<(), ExportError> {
        self.close()?;
        if sheet.columns.len() > usize::from(self.limits.columns) {
            return Err(ExportError::TooManyColumns {
                title: sheet.title.to_string(),
                columns: sheet.columns.len(),
                max: self.limits.columns,
            });
        }
        self.part = Some(self.open(sheet.clone(), 1)?);
        Ok(())
    }

    /// Writes one row of the current sheet; missing values at the end are
    /// empty. A row past the limit starts the sheet's next part.
    pub fn row(&mut self, values: &[Value<'_>]) -> Result<(), ExportError> {
        let part = self.part.as_ref().ok_or(ExportError::NoSheet)?;
        if values.len() > part.spec.columns.len() {
            return Err(ExportError::RowTooLong {
                title: part.spec.title.to_string(),
                columns: part.spec.columns.len(),
                values: values.len(),
            });
        }
        if part.next_row >= self.limits.rows {
            self.roll_over()?;
        }
        let XlsxWriter {
            styles,
            limits,
            part,
            ..
        } = self;
        let part = part.as_mut().ok_or(ExportError::NoSheet)?;
        let row = part.next_row;
        for (i, value) in values.iter().enumerate() {
            let column = &part.spec.columns[i];
            let value = masked(column, value);
            let (at, fit) = ((row, i as u16), column.width.is_none());
            let width = write_value(&mut part.sheet, styles, at, column, &value, limits, fit)?;
            part.fitted[i] = part.fitted[i].max(width);
        }
        part.next_row += 1;
        Ok(())
    }

    /// Saves the workbook to `path`.
    pub fn save(mut self, path: &Path) -> Result<(), ExportError> {
        self.close()?;
        self.workbook.save(path)?;
        Ok(())
    }

    /// The workbook's bytes.
    pub fn into_bytes(mut self) -> Result<Vec<u8>, ExportError> {
        self.close()?;
        Ok(self.workbook.save_to_buffer()?)
    }

    /// Finishes the full part and starts the next one.
    fn roll_over(&mut self) -> Result<(), ExportError> {
        let Some(part) = self.part.take() else {
            return Err(ExportError::NoSheet);
        };
        let (spec, number) = (part.spec.clone(), part.number);
        self.finish(part)?;
        self.part = Some(self.open(spec, number + 1)?);
        Ok(())
    }

    fn close(&mut self) -> Result<(), ExportError> {
        match self.part.take() {
            Some(part) => self.finish(part),
            None => Ok(()),
        }
    }

    /// A new sheet with its columns set up and the header written.
    fn open(&mut self, spec: Sheet, number: u32) -> Result<Part, ExportError> {
        let mut sheet = self.workbook.new_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name(&spec.title, number))?;
        let arrow = if spec.autofilter { FILTER_ARROW } else { 0 };
        let mut fitted = Vec::with_capacity(spec.columns.len());
        for (i, column) in spec.columns.iter().enumerate() {
            let c = i as u16;
            self.set_up_column(&mut sheet, c, column)?;
            let header = cut(&column.header, self.limits.cell_chars);
            let format = if column.emphasised {
                &self.styles.header_emphasised
            } else {
                &self.styles.header
            };
            sheet.write_string_with_format(0, c, header.as_ref(), format)?;
            fitted.push(cell_autofit_width(&header) + arrow);
        }
        if !spec.columns.is_empty() {
            sheet.set_freeze_panes(1, 0)?;
        }
        Ok(Part {
            sheet,
            spec,
            number,
            next_row: 1,
            fitted,
        })
    }

    fn set_up_column(
        &self,
        sheet: &mut Worksheet,
        c: u16,
        column: &Column,
    ) -> Result<(), XlsxError> {
        if let Some(width) = column.width {
            sheet.set_column_width(c, width)?;
        }
        if let Some(format) = self.styles.column(column.kind) {
            sheet.set_column_format(c, format)?;
        }
        if let Some(dropdown) = &column.dropdown {
            let last = self.limits.rows - 1;
            sheet.add_data_validation(1, c, last, c, &validation(dropdown)?)?;
        }
        Ok(())
    }

    /// Sets the filter and the fitted widths and adds the sheet to the
    /// workbook.
    fn finish(&mut self, mut part: Part) -> Result<(), ExportError> {
        let columns = part.spec.columns.len();
        if part.spec.autofilter && columns > 0 {
            let last_col = (columns - 1) as u16;
            part.sheet.autofilter(0, 0, part.next_row - 1, last_col)?;
        }
        for (i, column) in part.spec.columns.iter().enumerate() {
            if column.width.is_none() {
                part.sheet
                    .set_column_autofit_width(i as u16, part.fitted[i])?;
            }
        }
        self.workbook.push_worksheet(part.sheet);
        Ok(())
    }
}

fn validation(d: &Dropdown) -> Result<DataValidation, XlsxError> {
    let v = DataValidation::new()
        .allow_list_strings(&d.choices)?
        .set_input_title(d.title.as_str())?
        .set_input_message(d.message.as_str())?;
    Ok(match &d.on_other {
        OnOther::Inform => v.set_error_style(DataValidationErrorStyle::Information),
        OnOther::Refuse { title, message } => v
            .set_error_title(title.as_str())?
            .set_error_message(message.as_str())?,
    })
}

/// Writes one (already masked) value; returns its width in pixels when
/// `fit` asks for it (0 otherwise, and for an empty cell).
fn write_value(
    sheet: &mut Worksheet,
    styles: &Styles,
    (r, c): (u32, u16),
    column: &Column,
    value: &Value<'_>,
    limits: &Limits,
    fit: bool,
) -> Result<u32, XlsxError> {
    let as_text = |sheet: &mut Worksheet| {
        write_text(sheet, styles, (r, c), column, &value.to_text(), limits, fit)
    };
    match value {
        Value::Empty => return Ok(0),
        Value::Text(s) => return write_text(sheet, styles, (r, c), column, s, limits, fit),
        Value::Int(i) => {
            sheet.write_number(r, c, *i as f64)?;
        }
        Value::Money(m) => {
            sheet.write_number_with_format(r, c, m.fen() as f64 / 100.0, &styles.money)?;
        }
        Value::Percent(p) if p.is_finite() => {
            sheet.write_number_with_format(r, c, *p, &styles.percent)?;
        }
        Value::Percent(_) => return Ok(0),
        Value::Date(d) => match excel_date(*d) {
            Some(x) => {
                sheet.write_datetime_with_format(r, c, x, &styles.date)?;
            }
            None => return as_text(sheet),
        },
        Value::DateTime(t) => match excel_date_time(*t) {
            Some(x) => {
                sheet.write_datetime_with_format(r, c, x, &styles.date_time)?;
            }
            None => return as_text(sheet),
        },
    }
    Ok(if fit {
        cell_autofit_width(&value.shown_in_xlsx())
    } else {
        0
    })
}

/// Writes text as a string (never a formula), cut to the cell limit.
fn write_text(
    sheet: &mut Worksheet,
    styles: &Styles,
    (r, c): (u32, u16),
    column: &Column,
    text: &str,
    limits: &Limits,
    fit: bool,
) -> Result<u32, XlsxError> {
    if text.is_empty() {
        return Ok(0);
    }
    let text = cut(text, limits.cell_chars);
    match styles.text(column, needs_guard(&text)) {
        Some(format) => sheet.write_string_with_format(r, c, text.as_ref(), format)?,
        None => sheet.write_string(r, c, text.as_ref())?,
    };
    Ok(if fit { cell_autofit_width(&text) } else { 0 })
}

/// Excel's date, for the years Excel can show (1900–9999).
fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok()?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

fn excel_date_time(t: NaiveDateTime) -> Option<ExcelDateTime> {
    excel_date(t.date())?
        .and_hms(t.hour() as u16, t.minute() as u8, t.second())
        .ok()
}
