//! Stored cases of the monitoring procedure (migration `0014`): the case
//! row (the pure engine's `Case` value field by field), its timeline, its
//! deadlines (open while `done_on` is `NULL`) and its measures. The
//! engine decides every move; these functions only keep what it returned.
//! Attachments and the alert links are in `case_files` and `case_alerts`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// States in which a case is over (`CaseState::is_final`).
pub const FINAL_STATES: [&str; 2] = ["rejected", "closed"];

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CaseRow {
    /// Its number.
    pub id: i64,
    /// Six-digit county code.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// The household's village when the case was opened (jurisdiction).
    pub village_code: String,
    /// `CaseState::code`.
    pub state: String,
    /// `alert:R2`, `self_declaration`, `cadre_screening`,
    /// `department_data` or `social_supervision`.
    pub channel: String,
    /// Taken into the green channel.
    pub green_channel: bool,
    /// The day it was opened.
    pub opened_on: NaiveDate,
    /// The day of the latest step.
    pub last_step_on: NaiveDate,
    /// The earliest day the current publicity may end.
    pub publicity_earliest_end: Option<NaiveDate>,
    /// Objections not yet decided.
    pub open_objections: i64,
    /// Home visits recorded.
    pub home_visits: i64,
    /// Measures recorded.
    pub measures: i64,
    /// The county's approval of inclusion.
    pub approved_on: Option<NaiveDate>,
    /// The county's approval of risk elimination.
    pub eliminated_on: Option<NaiveDate>,
    /// Tracking after elimination lasts until this day.
    pub follow_on_until: Option<NaiveDate>,
    /// Steps taken (timeline rows), the opening included.
    pub steps: i64,
    /// Who opened it.
    pub opened_by: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

const CASE_COLUMNS: &str = "id, county_code, household_no, village_code, state, channel, \
    green_channel, opened_on, last_step_on, publicity_earliest_end, open_objections, \
    home_visits, measures, approved_on, eliminated_on, follow_on_until, steps, opened_by, \
    opened_at, updated_at";

impl CaseRow {
    /// The values of every column but `id`, in `CASE_COLUMNS` order.
    fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(&self.county_code),
            Value::Text(&self.household_no),
            Value::Text(&self.village_code),
            Value::Text(&self.state),
            Value::Text(&self.channel),
            Value::Bool(self.green_channel),
            Value::Date(self.opened_on),
            Value::Date(self.last_step_on),
            self.publicity_earliest_end.into(),
            Value::Int(self.open_objections),
            Value::Int(self.home_visits),
            Value::Int(self.measures),
            self.approved_on.into(),
            self.eliminated_on.into(),
            self.follow_on_until.into(),
            Value::Int(self.steps),
            Value::Text(&self.opened_by),
            Value::Timestamp(self.opened_at),
            Value::Timestamp(self.updated_at),
        ]
    }

    /// True when nothing more can happen to the case.
    pub fn is_final(&self) -> bool {
        FINAL_STATES.contains(&self.state.as_str())
    }
}

/// Stores a new case; returns its number (`row.id` is ignored).
pub async fn insert_case(tx: &mut Tx, row: &CaseRow) -> Result<i64> {
    let sql = "INSERT INTO cases (county_code, household_no, village_code, state, channel, \
        green_channel, opened_on, last_step_on, publicity_earliest_end, open_objections, \
        home_visits, measures, approved_on, eliminated_on, follow_on_until, steps, opened_by, \
        opened_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
        $14, $15, $16, $17, $18, $19) RETURNING id";
    tx.scalar(sql, &row.values()).await
}

/// Rewrites the case's state and counters (not its household or opening)
/// unless another step was stored since it was read (`row.steps` is one
/// more than what was read); returns false then, writing nothing.
pub async fn update_case(tx: &mut Tx, row: &CaseRow) -> Result<bool> {
    let sql = "UPDATE cases SET state = $1, green_channel = $2, last_step_on = $3, \
        publicity_earliest_end = $4, open_objections = $5, home_visits = $6, measures = $7, \
        approved_on = $8, eliminated_on = $9, follow_on_until = $10, updated_at = $11, \
        steps = $13 WHERE id = $12 AND steps = $13 - 1";
    let args = [
        Value::Text(&row.state),
        Value::Bool(row.green_channel),
        Value::Date(row.last_step_on),
        row.publicity_earliest_end.into(),
        Value::Int(row.open_objections),
        Value::Int(row.home_visits),
        Value::Int(row.measures),
        row.approved_on.into(),
        row.eliminated_on.into(),
        row.follow_on_until.into(),
        Value::Timestamp(row.updated_at),
        Value::Int(row.id),
        Value::Int(row.steps),
    ];
    Ok(tx.exec(sql, &args).await? == 1)
}

/// Case `id`.
pub async fn case_by_id(tx: &mut Tx, id: i64) -> Result<Option<CaseRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"));
    tx.opt(sql, &[Value::Int(id)]).await
}

/// Every case of a household, newest first.
pub async fn cases_of_household(
    tx: &mut Tx,
    county: &str,
    household_no: &str,
) -> Result<Vec<CaseRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE county_code = $1 AND household_no = $2 \
         ORDER BY id DESC"
    ));
    tx.all(sql, &[Value::Text(county), Value::Text(household_no)])
        .await
}

/// The household's case that is not over, if any.
pub async fn open_case_of_household(
    tx: &mut Tx,
    county: &str,
    household_no: &str,
) -> Result<Option<CaseRow>> {
    let rows = cases_of_household(tx, county, household_no).await?;
    Ok(rows.into_iter().find(|c| !c.is_final()))
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Village code prefix (the jurisdiction, or narrower).
    pub region: String,
    /// Only this state (`CaseState::code`).
    pub state: Option<String>,
    /// Only cases with an open deadline due before this day (overdue).
    pub due_before: Option<NaiveDate>,
}

/// The cases under `filter.region`, newest first.
pub async fn cases_under(tx: &mut Tx, filter: &CaseFilter) -> Result<Vec<CaseRow>> {
    let (lo, hi) = prefix_range(&filter.region);
    let mut sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c WHERE village_code >= $1 AND village_code < $2"
    );
    let mut args = vec![Value::Text(&lo), Value::Text(&hi)];
    if let Some(state) = &filter.state {
        args.push(Value::Text(state));
        sql.push_str(&format!(" AND state = ${}", args.len()));
    }
    if let Some(day) = filter.due_before {
        args.push(Value::Date(day));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.id \
             AND d.done_on IS NULL AND d.due_on < ${})",
            args.len()
        ));
    }
    sql.push_str(" ORDER BY id DESC");
    // Only this crate's identifiers and numbered placeholders.
    tx.all(sqlx::AssertSqlSafe(sql), &args).await
}

/// A deadline as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DeadlineRow {
    /// The case.
    pub case_id: i64,
    /// `DeadlineKind::code`.
    pub kind: String,
    /// The region that owns the step.
    pub owner_code: String,
    /// The day it was opened.
    pub opened_on: NaiveDate,
    /// The day it falls due.
    pub due_on: NaiveDate,
    /// The day a step closed it; `None` while open.
    pub done_on: Option<NaiveDate>,
}

const DEADLINE_COLUMNS: &str = "case_id, kind, owner_code, opened_on, due_on, done_on";

/// Opens a deadline; one of the same kind opened the same day (closed
/// since) is replaced.
pub async fn open_deadline(tx: &mut Tx, d: &DeadlineRow) -> Result<()> {
    let sql = "INSERT INTO case_deadlines (case_id, kind, owner_code, opened_on, due_on, done_on) \
        VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (case_id, kind, opened_on) \
        DO UPDATE SET owner_code = excluded.owner_code, due_on = excluded.due_on, done_on = NULL";
    let args = [
        Value::Int(d.case_id),
        Value::Text(&d.kind),
        Value::Text(&d.owner_code),
        Value::Date(d.opened_on),
        Value::Date(d.due_on),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// Marks a deadline done on `done_on`.
pub async fn close_deadline(
    tx: &mut Tx,
    case_id: i64,
    kind: &str,
    opened_on: NaiveDate,
    done_on: NaiveDate,
) -> Result<()> {
    let sql = "UPDATE case_deadlines SET done_on = $1 \
        WHERE case_id = $2 AND kind = $3 AND opened_on = $4";
    let args = [
        Value::Date(done_on),
        Value::Int(case_id),
        Value::Text(kind),
        Value::Date(opened_on),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// Every deadline of a case, open and done, by the day opened.
pub async fn deadlines_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<DeadlineRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {DEADLINE_COLUMNS} FROM case_deadlines WHERE case_id = $1 \
         ORDER BY opened_on, kind"
    ));
    tx.all(sql, &[Value::Int(case_id)]).await
}

/// The open deadlines of the cases under `region`, by case.
pub async fn open_deadlines_under(tx: &mut Tx, region: &str) -> Result<Vec<DeadlineRow>> {
    let (lo, hi) = prefix_range(region);
    let sql = "SELECT d.case_id, d.kind, d.owner_code, d.opened_on, d.due_on, d.done_on \
        FROM case_deadlines d JOIN cases c ON c.id = d.case_id \
        WHERE d.done_on IS NULL AND c.village_code >= $1 AND c.village_code < $2 \
        ORDER BY d.case_id, d.due_on";
    tx.all(sql, &[Value::Text(&lo), Value::Text(&hi)]).await
}

/// A timeline line as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TimelineRow {
    /// Its number (ignored on insert).
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The step's day.
    pub step_on: NaiveDate,
    /// `ActionKind::code`.
    pub action: String,
    /// State before; `None` for the opening.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// The actor's role code.
    pub role: String,
    /// The actor's user name.
    pub username: String,
    /// 办理意见.
    pub note: String,
    /// The reason, for actions that need one.
    pub reason: Option<String>,
    /// One line of Chinese.
    pub text: String,
}

/// Stores a timeline line; returns its number.
pub async fn insert_timeline(tx: &mut Tx, t: &TimelineRow) -> Result<i64> {
    let sql = "INSERT INTO case_timeline (case_id, at, step_on, action, from_state, to_state, \
        role, username, note, reason, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
        $11) RETURNING id";
    let args = [
        Value::Int(t.case_id),
        Value::Timestamp(t.at),
        Value::Date(t.step_on),
        Value::Text(&t.action),
        t.from_state.as_deref().into(),
        Value::Text(&t.to_state),
        Value::Text(&t.role),
        Value::Text(&t.username),
        Value::Text(&t.note),
        t.reason.as_deref().into(),
        Value::Text(&t.text),
    ];
    tx.scalar(sql, &args).await
}

/// A case's timeline, oldest first.
pub async fn timeline_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<TimelineRow>> {
    let sql = "SELECT id, case_id, at, step_on, action, from_state, to_state, role, username, \
        note, reason, text FROM case_timeline WHERE case_id = $1 ORDER BY id";
    tx.all(sql, &[Value::Int(case_id)]).await
}

/// A measure as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MeasureRow {
    /// Its number (ignored on insert).
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The step that recorded it.
    pub timeline_id: i64,
    /// `MeasureType::code`.
    pub measure_type: String,
    /// `Department::code`.
    pub department: String,
    /// Start date.
    pub start_on: NaiveDate,
    /// Amount in fen, where money is involved.
    pub amount: Option<i64>,
    /// The person responsible.
    pub responsible: String,
    /// What was done (may be empty).
    pub description: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Stores a measure; returns its number.
pub async fn insert_measure(tx: &mut Tx, m: &MeasureRow) -> Result<i64> {
    let sql = "INSERT INTO case_measures (case_id, timeline_id, measure_type, department, \
        start_on, amount, responsible, description, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let args = [
        Value::Int(m.case_id),
        Value::Int(m.timeline_id),
        Value::Text(&m.measure_type),
        Value::Text(&m.department),
        Value::Date(m.start_on),
        m.amount.into(),
        Value::Text(&m.responsible),
        Value::Text(&m.description),
        Value::Text(&m.recorded_by),
        Value::Timestamp(m.recorded_at),
    ];
    tx.scalar(sql, &args).await
}

/// A case's measures, oldest first.
pub async fn measures_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<MeasureRow>> {
    let sql = "SELECT id, case_id, timeline_id, measure_type, department, start_on, amount, \
        responsible, description, recorded_by, recorded_at FROM case_measures \
        WHERE case_id = $1 ORDER BY id";
    tx.all(sql, &[Value::Int(case_id)]).await
}
