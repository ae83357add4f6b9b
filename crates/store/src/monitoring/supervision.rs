//! Supervision items (督办) of late case steps: what a deadline scan reads
//! (the steps that can still raise or close an item, and the open items)
//! and writes (new items, closures), and a level's list.
//!
//! A step is a row of `case_deadlines`; its key is (case, kind, opened
//! on). Items of a step that is not done are all open (items close only
//! when their step is done, and a reopened step is a new row), so a scan
//! needs the open items only — and of those only the ones past their own
//! deadline or of a done step, since an item still in hand means nothing
//! is due for its step.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::feedback::FEEDBACK_STEP;
use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// A case deadline as a scan sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StepRow {
    /// The case.
    pub case_id: i64,
    /// The deadline's kind code.
    pub kind: String,
    /// The day the deadline was opened (with case and kind, the key).
    pub opened_on: NaiveDate,
    /// Region code that owns the step.
    pub owner_code: String,
    /// Due date.
    pub due_on: NaiveDate,
    /// When it was done, if it was.
    pub done_on: Option<NaiveDate>,
    /// The case's household: county.
    pub county_code: String,
    /// The case's household: 户编号.
    pub household_no: String,
    /// The case's household: village.
    pub village_code: String,
}

/// A supervision item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ItemRow {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The late step's deadline kind.
    pub step_kind: String,
    /// The late step's opening day.
    pub step_opened_on: NaiveDate,
    /// Region that owns the late step.
    pub step_owner: String,
    /// The late step's due date.
    pub step_due_on: NaiveDate,
    /// The case's household: county.
    pub county_code: String,
    /// The case's household: 户编号.
    pub household_no: String,
    /// The case's household: village.
    pub village_code: String,
    /// The level that must act.
    pub region_code: String,
    /// Its level (1 province … 5 village).
    pub level: i16,
    /// The day it was raised.
    pub raised_on: NaiveDate,
    /// Its own deadline.
    pub due_on: NaiveDate,
    /// The day the step was done, closing it.
    pub closed_on: Option<NaiveDate>,
    /// How late the step was, in calendar days.
    pub late_days: Option<i64>,
    /// How late the step was, in working days.
    pub late_working_days: Option<i64>,
    /// When the scan raised it.
    pub raised_at: DateTime<Utc>,
}

const STEP: &str = "SELECT d.case_id, d.kind, d.opened_on, d.owner_code, d.due_on, d.done_on, \
     c.county_code, c.household_no, c.village_code \
     FROM case_deadlines d JOIN cases c ON c.id = d.case_id";

const ITEM: &str = "SELECT id, case_id, step_kind, step_opened_on, step_owner, step_due_on, \
     county_code, household_no, village_code, region_code, level, raised_on, due_on, \
     closed_on, late_days, late_working_days, raised_at FROM supervision_items";

/// A step has an open item whose own deadline has not passed: nothing is
/// due for it (that item is its highest, the latest raised, so the step
/// cannot climb yet). `$1` is today; `d` the step's `case_deadlines` row.
const IN_HAND: &str = "EXISTS (SELECT 1 FROM supervision_items s WHERE s.closed_on IS NULL \
     AND s.case_id = d.case_id AND s.step_kind = d.kind AND s.step_opened_on = d.opened_on \
     AND s.due_on >= $1)";

/// The steps a scan looks at: every deadline not done that was due before
/// `today` (only those can be late; an item exists only for a late step)
/// and has no item still in hand, and the done ones whose items are still
/// open. In a county whose late steps are being supervised, a scan reads
/// only the few that must raise or climb today.
pub async fn steps_to_scan(tx: &mut Tx, today: NaiveDate) -> Result<Vec<StepRow>> {
    let open = format!("{STEP} WHERE d.done_on IS NULL AND d.due_on < $1 AND NOT {IN_HAND}");
    let mut rows: Vec<StepRow> = tx
        .all(sqlx::AssertSqlSafe(open), &[Value::Date(today)])
        .await?;
    let done = format!(
        "{STEP} WHERE d.done_on IS NOT NULL AND EXISTS (SELECT 1 FROM supervision_items s \
         WHERE s.closed_on IS NULL AND s.case_id = d.case_id AND s.step_kind = d.kind \
         AND s.step_opened_on = d.opened_on)"
    );
    rows.extend(tx.all::<StepRow>(sqlx::AssertSqlSafe(done), &[]).await?);
    rows.sort_by(|a, b| (a.case_id, &a.kind, a.opened_on).cmp(&(b.case_id, &b.kind, b.opened_on)));
    Ok(rows)
}

/// The open items a scan can act on, oldest first: those past their own
/// deadline on `today` (their step may climb) and those whose step is
/// done (they close). The steps [`steps_to_scan`] reads have no others.
pub async fn open_items(tx: &mut Tx, today: NaiveDate) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "{ITEM} WHERE closed_on IS NULL AND (due_on < $1 OR EXISTS (SELECT 1 FROM \
         case_deadlines d WHERE d.case_id = supervision_items.case_id \
         AND d.kind = supervision_items.step_kind AND d.opened_on = supervision_items.step_opened_on \
         AND d.done_on IS NOT NULL) OR EXISTS (SELECT 1 FROM anomaly_feedback f \
         WHERE supervision_items.step_kind = '{FEEDBACK_STEP}' \
         AND f.id = supervision_items.case_id AND f.done_on IS NOT NULL)) ORDER BY id"
    );
    tx.all(sqlx::AssertSqlSafe(sql), &[Value::Date(today)])
        .await
}

/// How many items are open.
pub async fn open_count(tx: &mut Tx) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM supervision_items WHERE closed_on IS NULL";
    tx.scalar(sql, &[]).await
}

/// Stores new items.
pub async fn insert_items(tx: &mut Tx, items: &[ItemRow]) -> Result<()> {
    const COLUMNS: &[&str] = &[
        "case_id",
        "step_kind",
        "step_opened_on",
        "step_owner",
        "step_due_on",
        "county_code",
        "household_no",
        "village_code",
        "region_code",
        "level",
        "raised_on",
        "due_on",
        "raised_at",
    ];
    let rows: Vec<Vec<Value>> = items
        .iter()
        .map(|i| {
            vec![
                Value::Int(i.case_id),
                Value::Text(&i.step_kind),
                Value::Date(i.step_opened_on),
                Value::Text(&i.step_owner),
                Value::Date(i.step_due_on),
                Value::Text(&i.county_code),
                Value::Text(&i.household_no),
                Value::Text(&i.village_code),
                Value::Text(&i.region_code),
                Value::Int16(i.level),
                Value::Date(i.raised_on),
                Value::Date(i.due_on),
                Value::Timestamp(i.raised_at),
            ]
        })
        .collect();
    tx.insert("supervision_items", COLUMNS, &rows).await?;
    Ok(())
}

/// Closes item `id`: its step was done on `closed_on`, so late.
pub async fn close_item(
    tx: &mut Tx,
    id: i64,
    closed_on: NaiveDate,
    late: (i64, i64),
) -> Result<()> {
    let sql = "UPDATE supervision_items SET closed_on = $1, late_days = $2, \
               late_working_days = $3 WHERE id = $4 AND closed_on IS NULL";
    let args = [
        Value::Date(closed_on),
        Value::Int(late.0),
        Value::Int(late.1),
        Value::Int(id),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// Which items a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemFilter {
    /// Open items only.
    Open,
    /// Every item.
    All,
}

/// The items addressed to regions under `prefix` (a level's own list:
/// the items it must act on, and those of the levels below it), open and
/// overdue first, then by due date; at most `limit`.
pub async fn items_under(
    tx: &mut Tx,
    prefix: &str,
    filter: ItemFilter,
    limit: i64,
) -> Result<Vec<ItemRow>> {
    let (lo, hi) = prefix_range(prefix);
    let open = match filter {
        ItemFilter::Open => " AND closed_on IS NULL",
        ItemFilter::All => "",
    };
    let sql = format!(
        "{ITEM} WHERE region_code >= $1 AND region_code < $2{open} \
         ORDER BY CASE WHEN closed_on IS NULL THEN 0 ELSE 1 END, due_on, id LIMIT $3"
    );
    let args = [Value::Text(&lo), Value::Text(&hi), Value::Int(limit)];
    tx.all(sqlx::AssertSqlSafe(sql), &args).await
}

/// The items of one case, oldest first.
pub async fn items_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<ItemRow>> {
    let sql = format!("{ITEM} WHERE case_id = $1 ORDER BY id");
    tx.all(sqlx::AssertSqlSafe(sql), &[Value::Int(case_id)])
        .await
}
