//! Turning one cell into a checked value of its column, recording
//! row-level errors. Shared by the persons and diagnoses parsers.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use jianfu_domain::{IdCardError, IdCardNo, Money, MoneyError, mask_middle};

use crate::ImportOptions;
use crate::check::CheckOutcome;
use crate::columns::{ColumnDef, ColumnMap, FileKind, ValueKind};
use crate::error::FileError;
use crate::normalize::{
    MAX_CELL_CHARS, compact, excel_serial_to_date, excel_serial_to_datetime, float_to_decimal_text,
    float_to_integer_text, looks_scientific, normalize_text, parse_date_text, parse_datetime_text,
    parse_flag, truncate_chars, within_length,
};
use crate::report::{RowError, Severity};
use crate::table::{CellRef, FileFingerprint, Progress, TableReader};

/// The text of a cell after normalisation.
pub(crate) enum Field<'r> {
    /// A non-empty value.
    Value(Cow<'r, str>),
    /// Nothing there (a `required` error has been recorded if needed).
    Empty,
    /// Unusable; an error has been recorded.
    Bad,
}

/// What the report shows of a value: personal data masked, long text cut.
pub fn report_value(kind: ValueKind, value: &str) -> String {
    match kind {
        ValueKind::IdNumber | ValueKind::Phone => mask_middle(&truncate_chars(value, 40)),
        ValueKind::Name => {
            let mut chars = value.chars();
            match chars.next() {
                None => String::new(),
                Some(first) => {
                    let rest = chars.count().min(10);
                    let mut s = String::with_capacity(4 + rest);
                    s.push(first);
                    s.extend(std::iter::repeat_n('*', rest.max(1)));
                    s
                }
            }
        }
        _ => truncate_chars(value, 100).into_owned(),
    }
}

/// A value quoted inside a problem sentence (never personal data).
pub(crate) fn short(v: &str) -> Cow<'_, str> {
    truncate_chars(v, 30)
}

/// The errors of one row being parsed.
pub(crate) struct RowCtx<'a> {
    pub file: &'a Arc<str>,
    pub row: u32,
    pub errors: Vec<RowError>,
}

impl<'a> RowCtx<'a> {
    pub fn new(file: &'a Arc<str>, row: u32) -> Self {
        RowCtx {
            file,
            row,
            errors: Vec::new(),
        }
    }

    fn make(&self, def: &ColumnDef, value: &str, problem: String, code: &'static str) -> RowError {
        RowError {
            file: self.file.clone(),
            row: self.row,
            column: Cow::Borrowed(def.header),
            value: report_value(def.kind, value),
            problem,
            code,
            severity: Severity::Error,
        }
    }

    pub fn error(&mut self, def: &ColumnDef, value: &str, problem: String, code: &'static str) {
        let e = self.make(def, value, problem, code);
        self.errors.push(e);
    }

    fn empty<'r>(&mut self, def: &ColumnDef) -> Field<'r> {
        if def.required {
            self.error(
                def,
                "",
                format!("“{}”是必填项，本行为空，请填写", def.header),
                "required",
            );
        }
        Field::Empty
    }

    fn id_as_number(&mut self, def: &ColumnDef, shown: &str) {
        self.error(
            def,
            shown,
            format!(
                "“{}”被 Excel 当作数字保存（显示为 1.30624E+17 这样的形式），末尾几位已经丢失，无法还原。\
                 请把“{}”整列的单元格格式设置为“文本”，再按身份证原件重新录入这些号码",
                def.header, def.header
            ),
            "id_as_number",
        );
    }

    /// The normalised text of `cell` for column `def`.
    pub fn text<'r>(&mut self, def: &ColumnDef, cell: CellRef<'r>) -> Field<'r> {
        match cell {
            CellRef::Empty => self.empty(def),
            CellRef::Text(s) => {
                let mut t = normalize_text(s);
                if def.kind.is_identifier() {
                    t = compact(t);
                }
                if t.is_empty() {
                    return self.empty(def);
                }
                if !within_length(&t) {
                    self.error(
                        def,
                        &t,
                        format!(
                            "“{}”的内容超过{MAX_CELL_CHARS}个字符，请检查是否把多个单元格的内容粘贴到了一起",
                            def.header
                        ),
                        "cell_too_long",
                    );
                    return Field::Bad;
                }
                if def.kind == ValueKind::IdNumber && looks_scientific(&t) {
                    self.id_as_number(def, &t);
                    return Field::Bad;
                }
                Field::Value(t)
            }
            CellRef::Number(f) | CellRef::DateTime(f) => match def.kind {
                ValueKind::IdNumber => {
                    let shown = float_to_decimal_text(f).unwrap_or_default();
                    self.id_as_number(def, &shown);
                    Field::Bad
                }
                ValueKind::HouseholdNo
                | ValueKind::VillageCode
                | ValueKind::Phone
                | ValueKind::Identifier => match float_to_integer_text(f) {
                    Some(s) => Field::Value(Cow::Owned(s)),
                    None => {
                        let shown = float_to_decimal_text(f).unwrap_or_default();
                        self.error(
                                def,
                                &shown,
                                format!(
                                    "“{}”被 Excel 当作数字保存，数字过长或带小数，可能已经丢失了末尾的数字。\
                                     请把该列的单元格格式设置为“文本”后重新录入",
                                    def.header
                                ),
                                "precision_lost",
                            );
                        Field::Bad
                    }
                },
                _ => match float_to_decimal_text(f) {
                    Some(s) => Field::Value(Cow::Owned(s)),
                    None => Field::Bad,
                },
            },
            CellRef::Bool(b) => Field::Value(Cow::Borrowed(if b { "TRUE" } else { "FALSE" })),
            CellRef::Error(e) => {
                self.error(
                    def,
                    e,
                    format!(
                        "“{}”单元格是错误值“{}”（公式计算出错），请改为直接填写正确的内容",
                        def.header,
                        short(e)
                    ),
                    "cell_error",
                );
                Field::Bad
            }
        }
    }

    /// A date cell: an Excel date (serial) or text in one of the accepted
    /// forms, not after `today`.
    pub fn date(
        &mut self,
        def: &ColumnDef,
        cell: CellRef<'_>,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let (date, shown) = match cell {
            CellRef::Number(f) | CellRef::DateTime(f) => {
                let shown = float_to_decimal_text(f).unwrap_or_default();
                match excel_serial_to_date(f) {
                    Some(d) => (d, shown),
                    None => {
                        self.error(
                            def,
                            &shown,
                            format!(
                                "“{}”的数值{}不是有效的 Excel 日期，请填写如 2023-04-30 的日期",
                                def.header,
                                short(&shown)
                            ),
                            "bad_date",
                        );
                        return None;
                    }
                }
            }
            _ => match self.text(def, cell) {
                Field::Value(t) => match parse_date_text(&t) {
                    Some(d) => (d, t.into_owned()),
                    None => {
                        self.error(
                            def,
                            &t,
                            format!(
                                "“{}”的“{}”不是有效日期，请按 2023-04-30、2023/4/30、20230430 或 2023年4月30日 的格式填写",
                                def.header,
                                short(&t)
                            ),
                            "bad_date",
                        );
                        return None;
                    }
                },
                Field::Empty | Field::Bad => return None,
            },
        };
        if date > today {
            self.error(
                def,
                &shown,
                format!(
                    "“{}”{}晚于今天（{}），请核对日期",
                    def.header,
                    date.format("%Y-%m-%d"),
                    today.format("%Y-%m-%d")
                ),
                "date_in_future",
            );
            return None;
        }
        if date.year() < 1900 {
            self.error(
                def,
                &shown,
                format!(
                    "“{}”{}早于1900年，请核对日期",
                    def.header,
                    date.format("%Y-%m-%d")
                ),
                "bad_date",
            );
            return None;
        }
        Some(date)
    }

    /// A date-time cell: an Excel date-time (serial) or text in one of the
    /// accepted forms, on a day not after `today`.
    pub fn datetime(
        &mut self,
        def: &ColumnDef,
        cell: CellRef<'_>,
        today: NaiveDate,
    ) -> Option<NaiveDateTime> {
        let (at, shown) = match cell {
            CellRef::Number(f) | CellRef::DateTime(f) => {
                let shown = float_to_decimal_text(f).unwrap_or_default();
                (excel_serial_to_datetime(f), shown)
            }
            _ => match self.text(def, cell) {
                Field::Value(t) => (parse_datetime_text(&t), t.into_owned()),
                Field::Empty | Field::Bad => return None,
            },
        };
        let Some(at) = at.filter(|t| t.year() >= 1900) else {
            self.error(
                def,
                &shown,
                format!(
                    "“{}”的“{}”不是有效的日期时间，请按 2023-03-01 10:00:00 或 2023-03-01T10:00:00 的格式填写",
                    def.header,
                    short(&shown)
                ),
                "bad_datetime",
            );
            return None;
        };
        if at.date() > today {
            self.error(
                def,
                &shown,
                format!(
                    "“{}”{}晚于今天（{}），请核对",
                    def.header,
                    at.format("%Y-%m-%d %H:%M:%S"),
                    today.format("%Y-%m-%d")
                ),
                "date_in_future",
            );
            return None;
        }
        Some(at)
    }

    /// A yes/no cell; `Some(None)` when empty (and not required).
    pub fn flag(&mut self, def: &ColumnDef, cell: CellRef<'_>) -> Option<Option<bool>> {
        match self.text(def, cell) {
            Field::Value(v) => match parse_flag(&v) {
                Some(b) => Some(Some(b)),
                None => {
                    self.error(
                        def,
                        &v,
                        format!(
                            "“{}”应填“是”或“否”（也可填 true/false、1/0、Y/N），这里是“{}”",
                            def.header,
                            short(&v)
                        ),
                        "bad_flag",
                    );
                    None
                }
            },
            Field::Empty => Some(None),
            Field::Bad => None,
        }
    }

    /// An amount of money in yuan, not negative; `Some(None)` when empty
    /// (and not required).
    pub fn money(&mut self, def: &ColumnDef, cell: CellRef<'_>) -> Option<Option<Money>> {
        let v = match self.text(def, cell) {
            Field::Value(v) => v,
            Field::Empty => return Some(None),
            Field::Bad => return None,
        };
        match Money::from_yuan_str_non_negative(&v) {
            Ok(m) => Some(Some(m)),
            Err(MoneyError::Negative(_)) => {
                self.error(
                    def,
                    &v,
                    format!("“{}”不能为负数，这里是“{}”", def.header, short(&v)),
                    "negative_money",
                );
                None
            }
            Err(e) => {
                let why = match e {
                    MoneyError::TooManyDecimals { .. } => "小数超过2位",
                    MoneyError::OutOfRange(_) => "数额超出范围",
                    _ => "不是数字",
                };
                self.error(
                    def,
                    &v,
                    format!(
                        "“{}”的“{}”{}；请填写以元为单位的金额，最多2位小数，不带千分位逗号和“元”字",
                        def.header,
                        short(&v),
                        why
                    ),
                    "bad_money",
                );
                None
            }
        }
    }

    /// An ID number cell.
    pub fn id_number(
        &mut self,
        def: &ColumnDef,
        cell: CellRef<'_>,
        today: NaiveDate,
    ) -> Option<IdCardNo> {
        let Field::Value(v) = self.text(def, cell) else {
            return None;
        };
        match IdCardNo::parse_as_of(&v, today) {
            Ok(id) => {
                if v.len() == 18 && v.ends_with("000") {
                    // What Excel writes for an ID it kept as a number and
                    // saved with a plain number format: 15 significant
                    // digits, then zeros. One such number in eleven passes
                    // the check digit; a real number ends so once in a
                    // thousand, so this is only a warning.
                    let mut w = self.make(
                        def,
                        &v,
                        format!(
                            "{}末三位为000，可能是 Excel 把号码当作数字保存后丢失了末尾数字；请对照身份证原件核对（核对无误可忽略本提示）",
                            def.header
                        ),
                        "id_maybe_rounded",
                    );
                    w.severity = Severity::Warning;
                    self.errors.push(w);
                }
                Some(id)
            }
            Err(e) => {
                self.error(def, &v, id_problem(&e), e.code());
                None
            }
        }
    }
}

/// A sentence about a bad ID number that does not repeat its digits.
pub(crate) fn id_problem(e: &IdCardError) -> String {
    match e {
        IdCardError::Length { len } => {
            format!("身份证号应为18位（或15位旧号），这里是{len}位；请对照身份证原件核对后重新填写")
        }
        IdCardError::NotDigit { position } => format!(
            "身份证号第{position}位不是数字（只有最后一位可以是X）；请检查是否混入了空格、字母或标点"
        ),
        IdCardError::Checksum { .. } => {
            "身份证号的校验位（最后一位）与前17位不符，号码中可能有数字录错；请对照身份证原件核对"
                .into()
        }
        IdCardError::BirthDateInvalid { .. } => {
            "身份证号第7-14位的出生日期不是真实存在的日期（如2月30日）；请对照身份证原件核对".into()
        }
        IdCardError::BirthDateInFuture { .. } => {
            "身份证号中的出生日期晚于今天；请对照身份证原件核对".into()
        }
        IdCardError::BirthDateTooEarly { year } => {
            format!("身份证号中的出生年份{year}早于1850年；请对照身份证原件核对")
        }
    }
}

/// A reader of one kind of import file: the table, its column map and
/// the header warnings.
pub(crate) struct ImportReader {
    pub table: TableReader,
    pub map: ColumnMap,
    pub file: Arc<str>,
    pub today: NaiveDate,
    pub warnings: Vec<RowError>,
}

impl ImportReader {
    pub fn open(path: &Path, opts: &ImportOptions, kind: FileKind) -> Result<Self, FileError> {
        let table = TableReader::open(path, opts.sheet.as_deref(), &|h| kind.knows_header(h))?;
        let file = opts.label_for(path);
        let (map, warnings) =
            ColumnMap::from_headers(kind, table.headers(), table.header_row(), &file)?;
        Ok(ImportReader {
            table,
            map,
            file,
            today: opts.today,
            warnings,
        })
    }

    pub fn open_checked(
        path: &Path,
        opts: &ImportOptions,
        kind: FileKind,
        fingerprint: FileFingerprint,
    ) -> Result<Self, FileError> {
        let reader = Self::open(path, opts, kind)?;
        let now = reader.table.fingerprint();
        if now.len != fingerprint.len
            || (now.modified.is_some()
                && fingerprint.modified.is_some()
                && now.modified != fingerprint.modified)
        {
            return Err(FileError::ChangedSinceCheck);
        }
        Ok(reader)
    }

    pub fn progress(&self) -> Progress {
        self.table.progress()
    }

    /// The next row the check accepted, parsed by `parse`. Rejected rows
    /// are skipped without being parsed; an accepted row that no longer
    /// parses means the file changed since the check.
    pub fn next_accepted<T>(
        &mut self,
        outcome: &CheckOutcome,
        parse: ParseFn<T>,
    ) -> Result<Option<(u32, T)>, FileError> {
        while let Some(row) = self.table.next_row()? {
            let number = row.number();
            if outcome.rejected.contains(number) {
                continue;
            }
            return match parse(row, &self.map, &self.file, self.today) {
                Ok(record) => Ok(Some((number, record))),
                Err(_) => Err(FileError::ChangedSinceCheck),
            };
        }
        Ok(None)
    }
}

/// A row parser of one file kind.
pub(crate) type ParseFn<T> =
    fn(&crate::table::Row, &ColumnMap, &Arc<str>, NaiveDate) -> Result<T, Vec<RowError>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_values_are_masked() {
        assert_eq!(
            report_value(ValueKind::IdNumber, "130624196603233058"),
            "130624********3058"
        );
        assert_eq!(report_value(ValueKind::Phone, "13944633904"), "139446*3904");
        assert_eq!(report_value(ValueKind::Name, "孙文华"), "孙**");
        assert_eq!(report_value(ValueKind::Name, "王"), "王*");
        assert_eq!(
            report_value(ValueKind::HouseholdNo, "130624100200001"),
            "130624100200001"
        );
        let long = "x".repeat(500);
        assert_eq!(report_value(ValueKind::Text, &long).chars().count(), 101);
        assert_eq!(
            report_value(ValueKind::IdNumber, &"1".repeat(500))
                .chars()
                .count(),
            41
        );
    }
}
