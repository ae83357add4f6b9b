//! Reading rows as they come from the API or an import file: text cells
//! parsed strictly into a [`Reading`], each refusal naming its column.
//! A time without an offset is China time; `fasting` left empty is true.

use std::sync::Arc;

use chrono::NaiveDate;
use jianfu_domain::IdCardNo;

use crate::calendar::parse_instant;
use crate::measure::{Bp, Glucose};
use crate::readings::{Reading, ReadingError, ReadingKind, ReadingValue};

/// The text cells of one reading row (API item or import row).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadingRow<'a> {
    /// 身份证号.
    pub id_number: &'a str,
    /// 测量时间.
    pub measured_at: &'a str,
    /// 类型.
    pub kind: &'a str,
    /// 收缩压.
    pub systolic: &'a str,
    /// 舒张压.
    pub diastolic: &'a str,
    /// 血糖, mmol/L.
    pub glucose: &'a str,
    /// 空腹; empty means true.
    pub fasting: &'a str,
    /// 设备号.
    pub device_id: &'a str,
}

/// Parses one reading row strictly; `today` judges the ID's birth date.
pub fn parse_reading_row(row: &ReadingRow<'_>, today: NaiveDate) -> Result<Reading, ReadingError> {
    let person = IdCardNo::parse_as_of(row.id_number.trim(), today)?;
    let at = parse_instant(row.measured_at)?;
    let kind = ReadingKind::parse(row.kind)?;
    let value = parse_value(kind, row)?;
    Reading::new(person, at, value, Arc::from(row.device_id.trim()))
}

/// The value columns of a kind: those it needs filled, the others empty.
fn parse_value(kind: ReadingKind, row: &ReadingRow<'_>) -> Result<ReadingValue, ReadingError> {
    let filled = |s: &str| !s.trim().is_empty();
    let need = |column, s: &str| match filled(s) {
        true => Ok(()),
        false => Err(ReadingError::Missing { kind, column }),
    };
    let refuse = |column, s: &str| match filled(s) {
        true => Err(ReadingError::Unexpected { kind, column }),
        false => Ok(()),
    };
    Ok(match kind {
        ReadingKind::Bp => {
            need("systolic", row.systolic)?;
            need("diastolic", row.diastolic)?;
            refuse("glucose", row.glucose)?;
            refuse("fasting", row.fasting)?;
            let systolic = pressure("systolic", row.systolic)?;
            ReadingValue::Bp(Bp::new(systolic, pressure("diastolic", row.diastolic)?)?)
        }
        ReadingKind::Glucose => {
            need("glucose", row.glucose)?;
            refuse("systolic", row.systolic)?;
            refuse("diastolic", row.diastolic)?;
            ReadingValue::Glucose {
                value: Glucose::parse(row.glucose)?,
                fasting: parse_fasting(row.fasting)?,
            }
        }
    })
}

/// A whole number of mmHg.
fn pressure(column: &'static str, text: &str) -> Result<u32, ReadingError> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| ReadingError::NotWhole {
            column,
            value: text.to_string(),
        })
}

fn parse_fasting(text: &str) -> Result<bool, ReadingError> {
    match text.trim() {
        "" | "true" | "TRUE" | "True" | "是" | "1" => Ok(true),
        "false" | "FALSE" | "False" | "否" | "0" => Ok(false),
        other => Err(ReadingError::Fasting {
            value: other.to_string(),
        }),
    }
}
