//! Pre-warnings pushed by another department (部门推送预警): one row per
//! pushed row of a `pushes` import, keyed by person, department, day and
//! reason (a second import of the same list finds its rows stored), with
//! the case each became a pre-warning of.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::Result;
use crate::sql::{Tx, Value};

/// A stored push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PushRow {
    /// Row number (0 before it is stored).
    pub id: i64,
    /// 身份证号. Personal data.
    pub id_number: String,
    /// `PushSource` code.
    pub source: String,
    /// 推送日期.
    pub pushed_on: NaiveDate,
    /// 预警原因.
    pub reason: String,
    /// 金额 in fen, when given.
    pub amount: Option<i64>,
    /// 推送批次号.
    pub push_ref: Option<String>,
    /// 备注.
    pub remark: Option<String>,
    /// The person's county when pushed.
    pub county_code: String,
    /// 户编号 of the person's household when pushed.
    pub household_no: String,
    /// The household's village when pushed.
    pub village_code: String,
    /// The case it opened or joined.
    pub case_id: i64,
    /// True when it opened the case.
    pub opened_case: bool,
    /// The change batch of the import.
    pub batch_id: i64,
    /// Who imported it.
    pub imported_by: String,
    /// When.
    pub imported_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, id_number, source, pushed_on, reason, amount, push_ref, remark, \
    county_code, household_no, village_code, case_id, opened_case, batch_id, imported_by, \
    imported_at";

/// True when the push of this natural key is stored.
pub async fn push_exists(
    tx: &mut Tx,
    id_number: &str,
    source: &str,
    pushed_on: NaiveDate,
    reason: &str,
) -> Result<bool> {
    let sql = "SELECT COUNT(*) FROM department_pushes WHERE id_number = $1 AND source = $2 \
        AND pushed_on = $3 AND reason = $4";
    let args = [
        Value::Text(id_number),
        Value::Text(source),
        Value::Date(pushed_on),
        Value::Text(reason),
    ];
    let n: i64 = tx.scalar(sql, &args).await?;
    Ok(n > 0)
}

/// Stores a push; returns its number.
pub async fn insert_push(tx: &mut Tx, p: &PushRow) -> Result<i64> {
    let sql = "INSERT INTO department_pushes (id_number, source, pushed_on, reason, amount, \
        push_ref, remark, county_code, household_no, village_code, case_id, opened_case, \
        batch_id, imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
        $11, $12, $13, $14, $15) RETURNING id";
    let args = [
        Value::Text(&p.id_number),
        Value::Text(&p.source),
        Value::Date(p.pushed_on),
        Value::Text(&p.reason),
        p.amount.into(),
        (&p.push_ref).into(),
        (&p.remark).into(),
        Value::Text(&p.county_code),
        Value::Text(&p.household_no),
        Value::Text(&p.village_code),
        Value::Int(p.case_id),
        Value::Bool(p.opened_case),
        Value::Int(p.batch_id),
        Value::Text(&p.imported_by),
        Value::Timestamp(p.imported_at),
    ];
    tx.scalar(sql, &args).await
}

/// The pushes of a case, in the order stored.
pub async fn pushes_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<PushRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM department_pushes WHERE case_id = $1 ORDER BY id"
    ));
    tx.all(sql, &[Value::Int(case_id)]).await
}

/// The pushes about a household, newest first.
pub async fn pushes_of_household(
    tx: &mut Tx,
    county: &str,
    household_no: &str,
) -> Result<Vec<PushRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM department_pushes WHERE county_code = $1 AND household_no = $2 \
         ORDER BY pushed_on DESC, id DESC"
    ));
    tx.all(sql, &[Value::Text(county), Value::Text(household_no)])
        .await
}
