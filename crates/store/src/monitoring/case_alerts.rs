//! Alerts and cases: which case an alert was linked to, why an alert was
//! dismissed, an alert's status, and a household's alerts. The statuses
//! are those of `monitoring.md` §4 (`open`, `linked`, `dismissed`,
//! `lapsed`); the run (`reconcile`) never undoes `linked` or `dismissed`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::alerts::{AlertRow, SELECT};
use crate::Result;
use crate::sql::{Tx, Value};

/// An alert's key: county, 户编号, year, rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AlertKey {
    /// Six-digit county code.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// The year evaluated.
    pub year: i16,
    /// `R2`, `R3` or `R5`.
    pub rule: String,
}

impl AlertKey {
    /// The key of a stored alert.
    pub fn of(a: &AlertRow) -> AlertKey {
        AlertKey {
            county_code: a.county_code.clone(),
            household_no: a.household_no.clone(),
            year: a.year,
            rule: a.rule.clone(),
        }
    }

    fn values(&self) -> [Value<'_>; 4] {
        [
            Value::Text(&self.county_code),
            Value::Text(&self.household_no),
            Value::Int16(self.year),
            Value::Text(&self.rule),
        ]
    }
}

const WHERE_KEY: &str = "county_code = $1 AND household_no = $2 AND year = $3 AND rule = $4";

/// The stored alert of `key`.
pub async fn alert_by_key(tx: &mut Tx, key: &AlertKey) -> Result<Option<AlertRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE {WHERE_KEY}"));
    tx.opt(sql, &key.values()).await
}

/// Every stored alert of a household, newest year first.
pub async fn alerts_of_household(
    tx: &mut Tx,
    county: &str,
    household_no: &str,
) -> Result<Vec<AlertRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE county_code = $1 AND household_no = $2 ORDER BY year DESC, rule"
    ));
    tx.all(sql, &[Value::Text(county), Value::Text(household_no)])
        .await
}

/// Sets an alert's status.
pub async fn set_alert_status(
    tx: &mut Tx,
    key: &AlertKey,
    status: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE monitoring_alerts SET status = $5, updated_at = $6 WHERE {WHERE_KEY}"
    ));
    let [a, b, c, d] = key.values();
    tx.exec(
        sql,
        &[a, b, c, d, Value::Text(status), Value::Timestamp(now)],
    )
    .await?;
    Ok(())
}

/// Records that the alert of `key` belongs to case `case_id`.
pub async fn link_alert(
    tx: &mut Tx,
    key: &AlertKey,
    case_id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO case_alerts (county_code, household_no, year, rule, case_id, \
        linked_by, linked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let [a, b, c, d] = key.values();
    let args = [
        a,
        b,
        c,
        d,
        Value::Int(case_id),
        Value::Text(by),
        Value::Timestamp(now),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// The alerts linked to a case.
pub async fn alerts_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<AlertRow>> {
    let sql = "SELECT a.county_code, a.household_no, a.year, a.rule, a.village_code, a.status, \
        a.holds, a.out_of_pocket, a.threshold, a.income_per_capita, a.size, a.candidate, \
        a.category, a.params_name, a.as_of, a.raised_at, a.updated_at, a.explanation, \
        a.explanation_json FROM case_alerts l JOIN monitoring_alerts a \
        ON a.county_code = l.county_code AND a.household_no = l.household_no \
        AND a.year = l.year AND a.rule = l.rule WHERE l.case_id = $1 ORDER BY a.year, a.rule";
    tx.all(sql, &[Value::Int(case_id)]).await
}

/// The case an alert is linked to, if any.
pub async fn case_of_alert(tx: &mut Tx, key: &AlertKey) -> Result<Option<i64>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT case_id FROM case_alerts WHERE {WHERE_KEY}"));
    tx.scalar_opt(sql, &key.values()).await
}

/// Why and by whom an alert was dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DismissalRow {
    /// The reason given.
    pub reason: String,
    /// Who.
    pub dismissed_by: String,
    /// When.
    pub dismissed_at: DateTime<Utc>,
}

/// Records a dismissal of the alert of `key`.
pub async fn insert_dismissal(tx: &mut Tx, key: &AlertKey, d: &DismissalRow) -> Result<()> {
    let sql = "INSERT INTO alert_dismissals (county_code, household_no, year, rule, reason, \
        dismissed_by, dismissed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let [a, b, c, e] = key.values();
    let args = [
        a,
        b,
        c,
        e,
        Value::Text(&d.reason),
        Value::Text(&d.dismissed_by),
        Value::Timestamp(d.dismissed_at),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// The dismissal of the alert of `key`, if it was dismissed.
pub async fn dismissal(tx: &mut Tx, key: &AlertKey) -> Result<Option<DismissalRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT reason, dismissed_by, dismissed_at FROM alert_dismissals WHERE {WHERE_KEY}"
    ));
    tx.opt(sql, &key.values()).await
}
