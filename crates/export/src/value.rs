//! One cell's value, typed, and how it reads as text (CSV, masking and
//! the width of a column fitted to its content).

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::Money;

/// A cell's value. Numbers typed as numbers are written as numbers (and
/// are never taken for formulas); text is text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Nothing.
    Empty,
    /// Text.
    Text(Cow<'a, str>),
    /// A whole number.
    Int(i64),
    /// Money in fen, written as yuan with two decimals.
    Money(Money),
    /// A ratio as a fraction: 0.8523 is 85.23 %. Not-a-number and
    /// infinities are left empty.
    Percent(f64),
    /// A date.
    Date(NaiveDate),
    /// A date with time.
    DateTime(NaiveDateTime),
}

impl Value<'_> {
    /// The same value borrowing this one's text.
    pub fn reborrow(&self) -> Value<'_> {
        match self {
            Value::Text(s) => Value::Text(Cow::Borrowed(s)),
            Value::Empty => Value::Empty,
            Value::Int(i) => Value::Int(*i),
            Value::Money(m) => Value::Money(*m),
            Value::Percent(p) => Value::Percent(*p),
            Value::Date(d) => Value::Date(*d),
            Value::DateTime(t) => Value::DateTime(*t),
        }
    }

    /// The value as CSV writes it: money as `-1234.05`, ratios as
    /// `85.23%`, dates as `2024-03-01` and `2024-03-01 10:00:00`.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Value::Empty => Cow::Borrowed(""),
            Value::Text(s) => Cow::Borrowed(s),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::Money(m) => Cow::Owned(m.to_string()),
            Value::Percent(p) if p.is_finite() => Cow::Owned(format!("{:.2}%", p * 100.0)),
            Value::Percent(_) => Cow::Borrowed(""),
            Value::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Value::DateTime(t) => Cow::Owned(t.format("%Y-%m-%d %H:%M:%S").to_string()),
        }
    }

    /// The value as an XLSX cell shows it (money with thousands
    /// separators), to fit a column's width.
    pub(crate) fn shown_in_xlsx(&self) -> Cow<'_, str> {
        match self {
            Value::Money(m) => Cow::Owned(grouped(*m)),
            other => other.to_text(),
        }
    }
}

/// `-1,234,567.05`.
fn grouped(m: Money) -> String {
    let plain = m.to_string();
    let (sign, rest) = plain.split_at(usize::from(plain.starts_with('-')));
    let (whole, decimals) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut out = String::with_capacity(plain.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, d) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    let _ = write!(out, ".{decimals}");
    out
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(s: &'a String) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value<'_> {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<u32> for Value<'_> {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<u64> for Value<'_> {
    /// Saturates at `i64::MAX` (no count gets there).
    fn from(i: u64) -> Self {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl From<Money> for Value<'_> {
    fn from(m: Money) -> Self {
        Value::Money(m)
    }
}

impl From<NaiveDate> for Value<'_> {
    fn from(d: NaiveDate) -> Self {
        Value::Date(d)
    }
}

impl From<NaiveDateTime> for Value<'_> {
    fn from(t: NaiveDateTime) -> Self {
        Value::DateTime(t)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Empty, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        let g = |fen| grouped(Money::from_fen(fen));
        assert_eq!(g(0), "0.00");
        assert_eq!(g(-5), "-0.05");
        assert_eq!(g(123_456), "1,234.56");
        assert_eq!(g(-12_345_678_901), "-123,456,789.01");
        assert_eq!(g(100_000), "1,000.00");
    }

    #[test]
    fn text_forms() {
        assert_eq!(Value::Percent(0.85234).to_text(), "85.23%");
        assert_eq!(Value::Percent(f64::NAN).to_text(), "");
        assert_eq!(Value::Money(Money::from_fen(-1205)).to_text(), "-12.05");
        let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        assert_eq!(Value::Date(d).to_text(), "2024-03-01");
        let t = d.and_hms_opt(10, 0, 5).unwrap();
        assert_eq!(Value::DateTime(t).to_text(), "2024-03-01 10:00:05");
    }
}
