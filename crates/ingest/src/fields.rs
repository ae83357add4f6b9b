//! Turning the cells of one row into checked values of their columns,
//! recording row-level errors: the vocabulary every kind's row parser is
//! written in ([`Cells`]).

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use jianfu_domain::{GroupSet, Icd10, IdCardError, IdCardNo, Money, MoneyError, mask_middle};

use crate::columns::{ColumnDef, ColumnMap, ValueKind};
use crate::normalize::{
    MAX_CELL_CHARS, compact, excel_serial_to_date, excel_serial_to_datetime, float_to_decimal_text,
    float_to_integer_text, looks_scientific, normalize_text, parse_date_text, parse_datetime_text,
    parse_flag, truncate_chars, within_length,
};
use crate::report::{RowError, Severity};
use crate::table::{CellRef, Row};

/// What a cell gave: a value, nothing, or something unusable (an error
/// has then been recorded).
pub(crate) enum Got<T> {
    /// A value.
    Value(T),
    /// Nothing there (a `required` error has been recorded if needed).
    Empty,
    /// Unusable; an error has been recorded.
    Bad,
}

impl<T> Got<T> {
    /// The value of a required column.
    pub fn value(self) -> Option<T> {
        match self {
            Got::Value(v) => Some(v),
            Got::Empty | Got::Bad => None,
        }
    }

    /// The value of an optional column: `Some(None)` when left empty.
    pub fn optional(self) -> Option<Option<T>> {
        self.or_empty(None, Some)
    }

    /// The value, `default` when left empty, `None` when unusable.
    pub fn or_default(self, default: T) -> Option<T> {
        self.or_empty(default, |v| v)
    }

    fn or_empty<U>(self, empty: U, wrap: impl FnOnce(T) -> U) -> Option<U> {
        match self {
            Got::Value(v) => Some(wrap(v)),
            Got::Empty => Some(empty),
            Got::Bad => None,
        }
    }
}

/// The normalised text of a cell.
pub(crate) type Field<'r> = Got<Cow<'r, str>>;

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

/// One row being parsed: its cells by column (an index into the kind's
/// columns) and the problems found so far. A kind's parser reads each of
/// its columns through one of these methods, which record what is wrong.
pub struct Cells<'a> {
    row: &'a Row,
    map: &'a ColumnMap,
    columns: &'static [ColumnDef],
    file: &'a Arc<str>,
    today: NaiveDate,
    errors: Vec<RowError>,
}

impl<'a> Cells<'a> {
    pub(crate) fn new(
        row: &'a Row,
        map: &'a ColumnMap,
        file: &'a Arc<str>,
        today: NaiveDate,
    ) -> Self {
        Cells {
            row,
            map,
            columns: map.kind().columns(),
            file,
            today,
            errors: Vec::new(),
        }
    }

    /// The problems recorded.
    pub(crate) fn into_errors(self) -> Vec<RowError> {
        self.errors
    }

    /// The raw cell of column `i`.
    pub(crate) fn cell(&self, i: usize) -> CellRef<'a> {
        self.row.get(self.map.position(i))
    }

    fn def(&self, i: usize) -> &'static ColumnDef {
        &self.columns[i]
    }

    fn make(&self, def: &ColumnDef, value: &str, problem: String, code: &'static str) -> RowError {
        RowError {
            file: self.file.clone(),
            row: self.row.number(),
            column: Cow::Borrowed(def.header),
            value: report_value(def.kind, value),
            problem,
            code,
            severity: Severity::Error,
        }
    }

    /// Records an error in column `i` about `value`.
    pub(crate) fn error(&mut self, i: usize, value: &str, problem: String, code: &'static str) {
        self.push(self.def(i), value, problem, code);
    }

    fn push(&mut self, def: &ColumnDef, value: &str, problem: String, code: &'static str) {
        let e = self.make(def, value, problem, code);
        self.errors.push(e);
    }

    fn empty<T>(&mut self, def: &ColumnDef) -> Got<T> {
        if def.required {
            self.push(
                def,
                "",
                format!("“{}”是必填项，本行为空，请填写", def.header),
                "required",
            );
        }
        Got::Empty
    }

    fn id_as_number(&mut self, def: &ColumnDef, shown: &str) {
        self.push(
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

    /// The normalised text of column `i`.
    pub(crate) fn text(&mut self, i: usize) -> Field<'a> {
        let def = self.def(i);
        match self.cell(i) {
            CellRef::Empty => self.empty(def),
            CellRef::Text(s) => self.text_of(def, s),
            CellRef::Number(f) | CellRef::DateTime(f) => self.number_text(def, f),
            CellRef::Bool(b) => Got::Value(Cow::Borrowed(if b { "TRUE" } else { "FALSE" })),
            CellRef::Error(e) => {
                self.push(
                    def,
                    e,
                    format!(
                        "“{}”单元格是错误值“{}”（公式计算出错），请改为直接填写正确的内容",
                        def.header,
                        short(e)
                    ),
                    "cell_error",
                );
                Got::Bad
            }
        }
    }

    /// A text cell, normalised; identifiers lose their inner spaces.
    fn text_of(&mut self, def: &ColumnDef, s: &'a str) -> Field<'a> {
        let mut t = normalize_text(s);
        if def.kind.is_identifier() {
            t = compact(t);
        }
        if t.is_empty() {
            return self.empty(def);
        }
        if !within_length(&t) {
            self.push(
                def,
                &t,
                format!(
                    "“{}”的内容超过{MAX_CELL_CHARS}个字符，请检查是否把多个单元格的内容粘贴到了一起",
                    def.header
                ),
                "cell_too_long",
            );
            return Got::Bad;
        }
        if def.kind == ValueKind::IdNumber && looks_scientific(&t) {
            self.id_as_number(def, &t);
            return Got::Bad;
        }
        Got::Value(t)
    }

    /// A number cell as text: identifiers only when Excel kept every digit.
    fn number_text(&mut self, def: &ColumnDef, f: f64) -> Field<'a> {
        match def.kind {
            ValueKind::IdNumber => {
                let shown = float_to_decimal_text(f).unwrap_or_default();
                self.id_as_number(def, &shown);
                Got::Bad
            }
            ValueKind::HouseholdNo
            | ValueKind::VillageCode
            | ValueKind::Phone
            | ValueKind::Identifier => match float_to_integer_text(f) {
                Some(s) => Got::Value(Cow::Owned(s)),
                None => {
                    let shown = float_to_decimal_text(f).unwrap_or_default();
                    self.push(
                        def,
                        &shown,
                        format!(
                            "“{}”被 Excel 当作数字保存，数字过长或带小数，可能已经丢失了末尾的数字。\
                             请把该列的单元格格式设置为“文本”后重新录入",
                            def.header
                        ),
                        "precision_lost",
                    );
                    Got::Bad
                }
            },
            _ => match float_to_decimal_text(f) {
                Some(s) => Got::Value(Cow::Owned(s)),
                None => Got::Bad,
            },
        }
    }

    /// Column `i` as owned text.
    pub(crate) fn owned_text(&mut self, i: usize) -> Got<String> {
        match self.text(i) {
            Got::Value(v) => Got::Value(v.into_owned()),
            Got::Empty => Got::Empty,
            Got::Bad => Got::Bad,
        }
    }

    /// Column `i` read by `parse`; a value it refuses is reported under
    /// `code` as not one of the column's values, listing `allowed`.
    pub(crate) fn code<T, E>(
        &mut self,
        i: usize,
        parse: impl Fn(&str) -> Result<T, E>,
        allowed: impl Fn(&E) -> String,
        code: &'static str,
    ) -> Got<T> {
        let def = self.def(i);
        let v = match self.text(i) {
            Got::Value(v) => v,
            Got::Empty => return Got::Empty,
            Got::Bad => return Got::Bad,
        };
        match parse(&v) {
            Ok(t) => Got::Value(t),
            Err(e) => {
                let problem = format!(
                    "“{}”不是有效的{}，请填写：{}",
                    short(&v),
                    def.header,
                    allowed(&e)
                );
                self.push(def, &v, problem, code);
                Got::Bad
            }
        }
    }

    /// A 人员类别 cell: several groups; `choices` lists them (asked only
    /// for a bad cell: building the list on every row costs a join),
    /// `note` ends the separator hint.
    pub(crate) fn groups(
        &mut self,
        i: usize,
        choices: impl FnOnce() -> String,
        note: &str,
    ) -> Got<GroupSet> {
        let v = match self.text(i) {
            Got::Value(v) => v,
            Got::Empty => return Got::Empty,
            Got::Bad => return Got::Bad,
        };
        match GroupSet::parse_list(&v) {
            Ok(g) => Got::Value(g),
            Err(e) => {
                let problem = format!(
                    "人员类别“{}”不是有效的类别，可填：{}（多个用“、”或“|”分隔{note}）",
                    short(&e.value),
                    choices()
                );
                self.error(i, &v, problem, "unknown_group");
                Got::Bad
            }
        }
    }

    /// An ICD-10 cell; `examples` ends the hint.
    pub(crate) fn icd10(&mut self, i: usize, examples: &str) -> Got<Icd10> {
        let def = self.def(i);
        let v = match self.text(i) {
            Got::Value(v) => v,
            Got::Empty => return Got::Empty,
            Got::Bad => return Got::Bad,
        };
        match Icd10::parse(&v) {
            Ok(code) => Got::Value(code),
            Err(_) => {
                let problem = format!(
                    "{}“{}”不是有效的 ICD-10 编码；应为1个字母加2位数字，可带小数点后的细分码，如 {examples}",
                    def.header,
                    short(&v)
                );
                self.push(def, &v, problem, "bad_icd10");
                Got::Bad
            }
        }
    }

    /// A date cell: an Excel date (serial) or text in one of the accepted
    /// forms, not after today.
    pub(crate) fn date(&mut self, i: usize) -> Option<NaiveDate> {
        let def = self.def(i);
        let (date, shown) = self.date_cell(def, i)?;
        if date > self.today {
            let problem = format!(
                "“{}”{}晚于今天（{}），请核对日期",
                def.header,
                date.format("%Y-%m-%d"),
                self.today.format("%Y-%m-%d")
            );
            self.push(def, &shown, problem, "date_in_future");
            return None;
        }
        if date.year() < 1900 {
            let problem = format!(
                "“{}”{}早于1900年，请核对日期",
                def.header,
                date.format("%Y-%m-%d")
            );
            self.push(def, &shown, problem, "bad_date");
            return None;
        }
        Some(date)
    }

    /// The date of a date cell and the text shown for it, before the
    /// range checks.
    fn date_cell(&mut self, def: &ColumnDef, i: usize) -> Option<(NaiveDate, String)> {
        match self.cell(i) {
            CellRef::Number(f) | CellRef::DateTime(f) => {
                let shown = float_to_decimal_text(f).unwrap_or_default();
                if let Some(d) = excel_serial_to_date(f) {
                    return Some((d, shown));
                }
                let problem = format!(
                    "“{}”的数值{}不是有效的 Excel 日期，请填写如 2023-04-30 的日期",
                    def.header,
                    short(&shown)
                );
                self.push(def, &shown, problem, "bad_date");
                None
            }
            _ => {
                let t = self.text(i).value()?;
                if let Some(d) = parse_date_text(&t) {
                    return Some((d, t.into_owned()));
                }
                let problem = format!(
                    "“{}”的“{}”不是有效日期，请按 2023-04-30、2023/4/30、20230430 或 2023年4月30日 的格式填写",
                    def.header,
                    short(&t)
                );
                self.push(def, &t, problem, "bad_date");
                None
            }
        }
    }

    /// A date-time cell: an Excel date-time (serial) or text in one of the
    /// accepted forms, on a day not after today.
    pub(crate) fn datetime(&mut self, i: usize) -> Option<NaiveDateTime> {
        let def = self.def(i);
        let (at, shown) = match self.cell(i) {
            CellRef::Number(f) | CellRef::DateTime(f) => {
                let shown = float_to_decimal_text(f).unwrap_or_default();
                (excel_serial_to_datetime(f), shown)
            }
            _ => {
                let t = self.text(i).value()?;
                (parse_datetime_text(&t), t.into_owned())
            }
        };
        let Some(at) = at.filter(|t| t.year() >= 1900) else {
            let problem = format!(
                "“{}”的“{}”不是有效的日期时间，请按 2023-03-01 10:00:00 或 2023-03-01T10:00:00 的格式填写",
                def.header,
                short(&shown)
            );
            self.push(def, &shown, problem, "bad_datetime");
            return None;
        };
        if at.date() > self.today {
            let problem = format!(
                "“{}”{}晚于今天（{}），请核对",
                def.header,
                at.format("%Y-%m-%d %H:%M:%S"),
                self.today.format("%Y-%m-%d")
            );
            self.push(def, &shown, problem, "date_in_future");
            return None;
        }
        Some(at)
    }

    /// A yes/no cell; `Some(None)` when empty (and not required).
    pub(crate) fn flag(&mut self, i: usize) -> Option<Option<bool>> {
        let def = self.def(i);
        let v = match self.text(i) {
            Got::Value(v) => v,
            Got::Empty => return Some(None),
            Got::Bad => return None,
        };
        if let Some(b) = parse_flag(&v) {
            return Some(Some(b));
        }
        let problem = format!(
            "“{}”应填“是”或“否”（也可填 true/false、1/0、Y/N），这里是“{}”",
            def.header,
            short(&v)
        );
        self.push(def, &v, problem, "bad_flag");
        None
    }

    /// An amount of money in yuan, not negative; `Some(None)` when empty
    /// (and not required).
    pub(crate) fn money(&mut self, i: usize) -> Option<Option<Money>> {
        let def = self.def(i);
        let v = match self.text(i) {
            Got::Value(v) => v,
            Got::Empty => return Some(None),
            Got::Bad => return None,
        };
        let e = match Money::from_yuan_str_non_negative(&v) {
            Ok(m) => return Some(Some(m)),
            Err(e) => e,
        };
        let (problem, code) = match e {
            MoneyError::Negative(_) => (
                format!("“{}”不能为负数，这里是“{}”", def.header, short(&v)),
                "negative_money",
            ),
            e => {
                let why = match e {
                    MoneyError::TooManyDecimals { .. } => "小数超过2位",
                    MoneyError::OutOfRange(_) => "数额超出范围",
                    _ => "不是数字",
                };
                let problem = format!(
                    "“{}”的“{}”{}；请填写以元为单位的金额，最多2位小数，不带千分位逗号和“元”字",
                    def.header,
                    short(&v),
                    why
                );
                (problem, "bad_money")
            }
        };
        self.push(def, &v, problem, code);
        None
    }

    /// An ID number cell.
    pub(crate) fn id_number(&mut self, i: usize) -> Option<IdCardNo> {
        let def = self.def(i);
        let v = self.text(i).value()?;
        match IdCardNo::parse_as_of(&v, self.today) {
            Ok(id) => {
                if v.len() == 18 && v.ends_with("000") {
                    self.maybe_rounded(def, &v);
                }
                Some(id)
            }
            Err(e) => {
                self.push(def, &v, id_problem(&e), e.code());
                None
            }
        }
    }

    /// What Excel writes for an ID it kept as a number and saved with a
    /// plain number format: 15 significant digits, then zeros. One such
    /// number in eleven passes the check digit; a real number ends so once
    /// in a thousand, so this is only a warning.
    fn maybe_rounded(&mut self, def: &ColumnDef, v: &str) {
        let mut w = self.make(
            def,
            v,
            format!(
                "{}末三位为000，可能是 Excel 把号码当作数字保存后丢失了末尾数字；请对照身份证原件核对（核对无误可忽略本提示）",
                def.header
            ),
            "id_maybe_rounded",
        );
        w.severity = Severity::Warning;
        self.errors.push(w);
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
