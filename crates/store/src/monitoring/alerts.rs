//! Stored alerts (预警): one row per household, year and rule, with the
//! figures and explanation of the evaluation that last found it holding,
//! its lifecycle status and whether its condition still holds.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AlertRow {
    /// Six-digit county code.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// The year evaluated.
    pub year: i16,
    /// `R2`, `R3` or `R5`.
    pub rule: String,
    /// The household's village (jurisdiction).
    pub village_code: String,
    /// `open`, `linked`, `dismissed` or `lapsed`.
    pub status: String,
    /// The rule held at the last evaluation.
    pub holds: bool,
    /// `oop(h, y)`, fen.
    pub out_of_pocket: i64,
    /// R2/R3 threshold, fen; `None` for R5.
    pub threshold: Option<i64>,
    /// Per-capita income, fen; `None` when unknown.
    pub income_per_capita: Option<i64>,
    /// Active members, at least 1.
    pub size: i64,
    /// A candidate recommendation (R1 or R4).
    pub candidate: bool,
    /// `UNSTABLE`, `EDGE` or `SUDDEN` for a candidate.
    pub category: Option<String>,
    /// The parameter set's name.
    pub params_name: String,
    /// The evaluation date of these figures.
    pub as_of: NaiveDate,
    /// When it was first raised (or raised again after lapsing).
    pub raised_at: DateTime<Utc>,
    /// When its status, figures or explanation last changed.
    pub updated_at: DateTime<Utc>,
    /// One line of Chinese.
    pub explanation: String,
    /// The structured explanation (JSON).
    pub explanation_json: String,
}

impl AlertRow {
    /// The key: (county, 户编号, year, rule).
    pub fn key(&self) -> (&str, &str, i16, &str) {
        (&self.county_code, &self.household_no, self.year, &self.rule)
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(&self.county_code),
            Value::Text(&self.household_no),
            Value::Int16(self.year),
            Value::Text(&self.rule),
            Value::Text(&self.village_code),
            Value::Text(&self.status),
            Value::Bool(self.holds),
            Value::Int(self.out_of_pocket),
            self.threshold.into(),
            self.income_per_capita.into(),
            Value::Int(self.size),
            Value::Bool(self.candidate),
            self.category.as_deref().into(),
            Value::Text(&self.params_name),
            Value::Date(self.as_of),
            Value::Timestamp(self.raised_at),
            Value::Timestamp(self.updated_at),
            Value::Text(&self.explanation),
            Value::Text(&self.explanation_json),
        ]
    }
}

const COLUMNS: [&str; 19] = [
    "county_code",
    "household_no",
    "year",
    "rule",
    "village_code",
    "status",
    "holds",
    "out_of_pocket",
    "threshold",
    "income_per_capita",
    "size",
    "candidate",
    "category",
    "params_name",
    "as_of",
    "raised_at",
    "updated_at",
    "explanation",
    "explanation_json",
];

pub(super) const SELECT: &str = "SELECT county_code, household_no, year, rule, village_code, status, holds, \
    out_of_pocket, threshold, income_per_capita, size, candidate, category, params_name, as_of, \
    raised_at, updated_at, explanation, explanation_json FROM monitoring_alerts";

/// The stored alerts of `county` whose village starts with `region` (the
/// county code or longer), of the years `first..=last`, in key order.
pub async fn alerts_of_county(
    tx: &mut Tx,
    county: &str,
    region: &str,
    (first, last): (i32, i32),
) -> Result<Vec<AlertRow>> {
    let (lo, hi) = prefix_range(region);
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE county_code = $1 AND village_code >= $2 AND village_code < $3 \
         AND year >= $4 AND year <= $5 ORDER BY household_no, year, rule"
    ));
    let args = [
        Value::Text(county),
        Value::Text(&lo),
        Value::Text(&hi),
        Value::Int16(year16(first)),
        Value::Int16(year16(last)),
    ];
    tx.all(sql, &args).await
}

/// The stored alerts under `region` (any prefix) of the years
/// `first..=last`, in the export's order: county, 户编号, year, rule.
pub async fn alerts_under(
    tx: &mut Tx,
    region: &str,
    (first, last): (i32, i32),
) -> Result<Vec<AlertRow>> {
    let county = &region[..region.len().min(6)];
    let (clo, chi) = prefix_range(county);
    let (vlo, vhi) = prefix_range(region);
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE county_code >= $1 AND county_code < $2 \
         AND village_code >= $3 AND village_code < $4 AND year >= $5 AND year <= $6"
    ));
    let args = [
        Value::Text(&clo),
        Value::Text(&chi),
        Value::Text(&vlo),
        Value::Text(&vhi),
        Value::Int16(year16(first)),
        Value::Int16(year16(last)),
    ];
    let mut rows: Vec<AlertRow> = tx.all(sql, &args).await?;
    // Byte order of the codes, whatever the engine's collation.
    rows.sort_by(|a, b| a.key().cmp(&b.key()));
    Ok(rows)
}

/// How many stored alerts under `region` of the years `first..=last`
/// have each status.
pub async fn status_counts(
    tx: &mut Tx,
    region: &str,
    (first, last): (i32, i32),
) -> Result<Vec<(String, i64)>> {
    let county = &region[..region.len().min(6)];
    let (clo, chi) = prefix_range(county);
    let (vlo, vhi) = prefix_range(region);
    let sql = "SELECT status, COUNT(*) FROM monitoring_alerts \
        WHERE county_code >= $1 AND county_code < $2 AND village_code >= $3 \
        AND village_code < $4 AND year >= $5 AND year <= $6 GROUP BY status ORDER BY status";
    let args = [
        Value::Text(&clo),
        Value::Text(&chi),
        Value::Text(&vlo),
        Value::Text(&vhi),
        Value::Int16(year16(first)),
        Value::Int16(year16(last)),
    ];
    tx.all(sql, &args).await
}

/// Inserts new alerts in bulk.
pub async fn insert_alerts(tx: &mut Tx, rows: &[AlertRow]) -> Result<()> {
    for chunk in rows.chunks(4096) {
        let values: Vec<Vec<Value<'_>>> = chunk.iter().map(AlertRow::values).collect();
        tx.insert("monitoring_alerts", &COLUMNS, &values).await?;
    }
    Ok(())
}

/// Rewrites everything but the key of a stored alert.
pub async fn update_alert(tx: &mut Tx, row: &AlertRow) -> Result<()> {
    let sql = "UPDATE monitoring_alerts SET village_code = $5, status = $6, holds = $7, \
        out_of_pocket = $8, threshold = $9, income_per_capita = $10, size = $11, \
        candidate = $12, category = $13, params_name = $14, as_of = $15, raised_at = $16, \
        updated_at = $17, explanation = $18, explanation_json = $19 \
        WHERE county_code = $1 AND household_no = $2 AND year = $3 AND rule = $4";
    tx.exec(sql, &row.values()).await?;
    Ok(())
}

/// The counties that have households under `region` (any prefix).
pub async fn counties_under(tx: &mut Tx, region: &str) -> Result<Vec<String>> {
    let county = &region[..region.len().min(6)];
    let (lo, hi) = prefix_range(county);
    let sql = "SELECT DISTINCT county_code FROM households \
        WHERE county_code >= $1 AND county_code < $2 ORDER BY county_code";
    tx.scalars(sql, &[Value::Text(&lo), Value::Text(&hi)]).await
}

fn year16(y: i32) -> i16 {
    y.clamp(0, 9999) as i16
}
