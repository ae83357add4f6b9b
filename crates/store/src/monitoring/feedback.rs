//! A1–A3 findings (异常结算) and the counties' monthly feedback lists
//! (月度反馈清单) in the database: writing a month's lists, reading them
//! and their findings, recording a county's answer, and the lists a
//! deadline scan puts on the supervision ladder.
//!
//! A list is a step of the ladder owned by its county; its supervision
//! items are rows of `supervision_items` with `step_kind` =
//! [`FEEDBACK_STEP`] and `case_id` = the list's id, so the scan, the
//! lists of items and the inbox treat it like a late case step.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::supervision::StepRow;
use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// The step kind of a feedback list on the supervision ladder.
pub const FEEDBACK_STEP: &str = "anomaly_feedback";

/// A county's feedback list for a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FeedbackRow {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The insured county that must answer.
    pub county_code: String,
    /// The month it covers, `YYYY-MM`.
    pub month: String,
    /// The day it was made.
    pub raised_on: NaiveDate,
    /// The day every finding must be answered by.
    pub due_on: NaiveDate,
    /// The day the last finding was answered (at once for an empty list).
    pub done_on: Option<NaiveDate>,
    /// How many findings it holds.
    pub findings: i64,
    /// How many are answered.
    pub answered: i64,
    /// When it was made.
    pub raised_at: DateTime<Utc>,
}

/// One claim found by A1–A3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FindingRow {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The list it is on.
    pub feedback_id: i64,
    /// The insured county.
    pub county_code: String,
    /// 结算单号.
    pub claim_id: String,
    /// The patient's household: 户编号.
    pub household_no: String,
    /// The patient's household: village.
    pub village_code: String,
    /// The claim's settlement day.
    pub settled_on: NaiveDate,
    /// The rules broken, e.g. `A1,A3`.
    pub rules: String,
    /// 医疗总费用, in fen.
    pub total: i64,
    /// 个人自付, in fen.
    pub out_of_pocket: i64,
    /// The funds' share of the total, in ten-thousandths.
    pub actual_ratio: i64,
    /// One line of Chinese (the ID number masked).
    pub explanation: String,
    /// The county's answer (核查反馈).
    pub answer: Option<String>,
    /// The day it was answered.
    pub answered_on: Option<NaiveDate>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
}

const LIST: &str = "SELECT f.id, f.county_code, f.month, f.raised_on, f.due_on, f.done_on, \
     f.findings, (SELECT COUNT(*) FROM anomaly_findings a WHERE a.feedback_id = f.id \
     AND a.answered_on IS NOT NULL) AS answered, f.raised_at FROM anomaly_feedback f";

const FINDING: &str = "SELECT id, feedback_id, county_code, claim_id, household_no, \
     village_code, settled_on, rules, total, out_of_pocket, actual_ratio, explanation, answer, \
     answered_on, answered_by, answered_at FROM anomaly_findings";

/// The counties under `region` that hold households and have no list for
/// `month` yet.
pub async fn counties_without_list(tx: &mut Tx, region: &str, month: &str) -> Result<Vec<String>> {
    let (lo, hi) = prefix_range(&region[..region.len().min(6)]);
    let sql = "SELECT DISTINCT h.county_code FROM households h \
        WHERE h.county_code >= $1 AND h.county_code < $2 AND NOT EXISTS \
        (SELECT 1 FROM anomaly_feedback f WHERE f.county_code = h.county_code AND f.month = $3) \
        ORDER BY h.county_code";
    tx.scalars(
        sql,
        &[Value::Text(&lo), Value::Text(&hi), Value::Text(month)],
    )
    .await
}

/// The claims of `county` settled on or after `since` already on a list.
pub async fn listed_claims(tx: &mut Tx, county: &str, since: NaiveDate) -> Result<Vec<String>> {
    let sql = "SELECT claim_id FROM anomaly_findings WHERE county_code = $1 AND settled_on >= $2";
    tx.scalars(sql, &[Value::Text(county), Value::Date(since)])
        .await
}

/// Stores a list; returns its id.
pub async fn insert_list(tx: &mut Tx, row: &FeedbackRow) -> Result<i64> {
    let sql = "INSERT INTO anomaly_feedback (county_code, month, raised_on, due_on, done_on, \
        findings, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let args = [
        Value::Text(&row.county_code),
        Value::Text(&row.month),
        Value::Date(row.raised_on),
        Value::Date(row.due_on),
        row.done_on.into(),
        Value::Int(row.findings),
        Value::Timestamp(row.raised_at),
    ];
    tx.scalar(sql, &args).await
}

/// Stores the findings of a list.
pub async fn insert_findings(tx: &mut Tx, rows: &[FindingRow]) -> Result<()> {
    const COLUMNS: &[&str] = &[
        "feedback_id",
        "county_code",
        "claim_id",
        "household_no",
        "village_code",
        "settled_on",
        "rules",
        "total",
        "out_of_pocket",
        "actual_ratio",
        "explanation",
    ];
    let rows: Vec<Vec<Value>> = rows
        .iter()
        .map(|f| {
            vec![
                Value::Int(f.feedback_id),
                Value::Text(&f.county_code),
                Value::Text(&f.claim_id),
                Value::Text(&f.household_no),
                Value::Text(&f.village_code),
                Value::Date(f.settled_on),
                Value::Text(&f.rules),
                Value::Int(f.total),
                Value::Int(f.out_of_pocket),
                Value::Int(f.actual_ratio),
                Value::Text(&f.explanation),
            ]
        })
        .collect();
    tx.insert("anomaly_findings", COLUMNS, &rows).await?;
    Ok(())
}

/// The lists of the counties under `prefix` (a county or above; a
/// township's or village's jurisdiction sees its county's lists), newest
/// month first, then by county; only `month`'s when given.
pub async fn lists_under(
    tx: &mut Tx,
    prefix: &str,
    month: Option<&str>,
    limit: i64,
) -> Result<Vec<FeedbackRow>> {
    let (lo, hi) = prefix_range(&prefix[..prefix.len().min(6)]);
    let sql = format!(
        "{LIST} WHERE f.county_code >= $1 AND f.county_code < $2 \
         AND ($3 = '' OR f.month = $3) ORDER BY f.month DESC, f.county_code LIMIT $4"
    );
    let args = [
        Value::Text(&lo),
        Value::Text(&hi),
        Value::Text(month.unwrap_or("")),
        Value::Int(limit),
    ];
    tx.all(sqlx::AssertSqlSafe(sql), &args).await
}

/// List `id`.
pub async fn list_by_id(tx: &mut Tx, id: i64) -> Result<Option<FeedbackRow>> {
    let sql = format!("{LIST} WHERE f.id = $1");
    tx.opt(sqlx::AssertSqlSafe(sql), &[Value::Int(id)]).await
}

/// The findings of list `id` in villages under `village_prefix`, by
/// village, household and claim.
pub async fn findings_of(tx: &mut Tx, id: i64, village_prefix: &str) -> Result<Vec<FindingRow>> {
    let (lo, hi) = prefix_range(village_prefix);
    let sql = format!(
        "{FINDING} WHERE feedback_id = $1 AND village_code >= $2 AND village_code < $3 \
         ORDER BY village_code, household_no, claim_id"
    );
    let args = [Value::Int(id), Value::Text(&lo), Value::Text(&hi)];
    tx.all(sqlx::AssertSqlSafe(sql), &args).await
}

/// Finding `id`.
pub async fn finding_by_id(tx: &mut Tx, id: i64) -> Result<Option<FindingRow>> {
    let sql = format!("{FINDING} WHERE id = $1");
    tx.opt(sqlx::AssertSqlSafe(sql), &[Value::Int(id)]).await
}

/// Records the answer of finding `id` unless it has one; false then.
pub async fn answer_finding(
    tx: &mut Tx,
    id: i64,
    answer: &str,
    by: &str,
    at: DateTime<Utc>,
    on: NaiveDate,
) -> Result<bool> {
    let sql = "UPDATE anomaly_findings SET answer = $1, answered_by = $2, answered_at = $3, \
        answered_on = $4 WHERE id = $5 AND answered_on IS NULL";
    let args = [
        Value::Text(answer),
        Value::Text(by),
        Value::Timestamp(at),
        Value::Date(on),
        Value::Int(id),
    ];
    Ok(tx.exec(sql, &args).await? == 1)
}

/// Marks list `id` done on `on` when none of its findings is unanswered;
/// true when it did.
pub async fn finish_if_answered(tx: &mut Tx, id: i64, on: NaiveDate) -> Result<bool> {
    let sql = "UPDATE anomaly_feedback SET done_on = $1 WHERE id = $2 AND done_on IS NULL \
        AND NOT EXISTS (SELECT 1 FROM anomaly_findings a WHERE a.feedback_id = $2 \
        AND a.answered_on IS NULL)";
    Ok(tx.exec(sql, &[Value::Date(on), Value::Int(id)]).await? == 1)
}

/// The lists a scan looks at, as steps owned by their county (its
/// twelve-digit code, as the ladder names levels): those not done, due
/// before `today` and with no item still in hand (see
/// `supervision::steps_to_scan`), and done ones whose items are still open.
pub async fn steps_to_scan(tx: &mut Tx, today: NaiveDate) -> Result<Vec<StepRow>> {
    let sql = format!(
        "SELECT f.id AS case_id, '{FEEDBACK_STEP}' AS kind, f.raised_on AS opened_on, \
         f.county_code || '000000' AS owner_code, f.due_on, f.done_on, f.county_code, \
         '' AS household_no, f.county_code || '000000' AS village_code FROM anomaly_feedback f \
         WHERE (f.done_on IS NULL AND f.due_on < $1 AND NOT EXISTS (SELECT 1 FROM \
         supervision_items s WHERE s.closed_on IS NULL AND s.case_id = f.id \
         AND s.step_kind = '{FEEDBACK_STEP}' AND s.due_on >= $1)) \
         OR (f.done_on IS NOT NULL AND EXISTS \
         (SELECT 1 FROM supervision_items s WHERE s.closed_on IS NULL AND s.case_id = f.id \
         AND s.step_kind = '{FEEDBACK_STEP}'))"
    );
    tx.all(sqlx::AssertSqlSafe(sql), &[Value::Date(today)])
        .await
}
