//! Between the engine's values and the store's rows: a stored case and
//! its open deadlines become a `Case`, a `Transition` becomes the writes
//! of a step, and the engine's refusals become use-case errors.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::RegionCode;
use jianfu_monitoring::case::Channel;
use jianfu_monitoring::{
    Case, CaseState, Deadline, DeadlineKind, MonitoringParams, Transition, TransitionError, select,
};
use jianfu_store::Tx;
use jianfu_store::monitoring::{self as store, CaseRow, DeadlineRow, TimelineRow};

use crate::Actor;
use crate::error::{UseCaseError, UseCaseResult};

/// The parameter set in force for `village` on `today`.
pub(super) async fn params_for(
    tx: &mut Tx,
    village: &str,
    today: NaiveDate,
) -> UseCaseResult<MonitoringParams> {
    let sets = store::params_sets(tx).await?;
    select(&sets, village, today).cloned().ok_or_else(|| {
        UseCaseError::Invalid(format!(
            "没有适用于地区 {village}、日期 {today} 的监测参数，请先添加监测参数"
        ))
    })
}

/// The engine's actor for a use-case actor.
pub(super) fn engine_actor(actor: &Actor) -> jianfu_monitoring::Actor {
    jianfu_monitoring::Actor {
        role: actor.role,
        scope: actor.scope,
    }
}

/// An engine refusal as a use-case error: outside the jurisdiction reads
/// as not found (like everywhere), every other refusal keeps the
/// engine's Chinese message.
pub(super) fn refused(e: TransitionError) -> UseCaseError {
    match e {
        TransitionError::OutsideJurisdiction { .. } => UseCaseError::NotFound,
        other => UseCaseError::Invalid(other.to_string()),
    }
}

fn corrupt(what: &str, value: &str, id: i64) -> UseCaseError {
    UseCaseError::Store(jianfu_store::StoreError::Corrupt(format!(
        "案件 {id} 的{what}“{value}”无法识别"
    )))
}

/// The stored case with its open deadlines as the engine's value.
pub(super) fn to_case(row: &CaseRow, open: &[DeadlineRow]) -> UseCaseResult<Case> {
    let region = RegionCode::parse(&row.village_code)
        .map_err(|_| corrupt("村代码", &row.village_code, row.id))?;
    let state =
        CaseState::from_code(&row.state).ok_or_else(|| corrupt("状态", &row.state, row.id))?;
    let channel =
        Channel::from_code(&row.channel).ok_or_else(|| corrupt("来源", &row.channel, row.id))?;
    let deadlines = open
        .iter()
        .filter(|d| d.done_on.is_none())
        .map(|d| {
            let kind = DeadlineKind::from_code(&d.kind)
                .ok_or_else(|| corrupt("时限类别", &d.kind, row.id))?;
            Ok(Deadline {
                kind,
                opened_on: d.opened_on,
                due_on: d.due_on,
            })
        })
        .collect::<UseCaseResult<Vec<_>>>()?;
    Ok(Case {
        region,
        state,
        channel,
        green_channel: row.green_channel,
        opened_on: row.opened_on,
        last_step_on: row.last_step_on,
        publicity_earliest_end: row.publicity_earliest_end,
        open_objections: count(row.open_objections),
        home_visits: count(row.home_visits),
        measures: count(row.measures),
        approved_on: row.approved_on,
        eliminated_on: row.eliminated_on,
        follow_on_until: row.follow_on_until,
        deadlines,
    })
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// The row of `case` after a step on `base` at `now`.
pub(super) fn to_row(case: &Case, base: &CaseRow, now: DateTime<Utc>) -> CaseRow {
    CaseRow {
        state: case.state.code().to_string(),
        green_channel: case.green_channel,
        last_step_on: case.last_step_on,
        publicity_earliest_end: case.publicity_earliest_end,
        open_objections: i64::from(case.open_objections),
        home_visits: i64::from(case.home_visits),
        measures: i64::from(case.measures),
        approved_on: case.approved_on,
        eliminated_on: case.eliminated_on,
        follow_on_until: case.follow_on_until,
        steps: base.steps + 1,
        updated_at: now,
        ..base.clone()
    }
}

/// Writes what a step produced on case `case_id`: the deadlines it closed
/// and opened and its timeline line; returns the line's number.
pub(super) async fn write_transition(
    tx: &mut Tx,
    case_id: i64,
    t: &Transition,
    actor: &Actor,
    now: DateTime<Utc>,
) -> UseCaseResult<i64> {
    for c in &t.closed {
        let d = c.deadline;
        store::close_deadline(tx, case_id, d.kind.code(), d.opened_on, c.closed_on).await?;
    }
    for d in &t.opened {
        let row = DeadlineRow {
            case_id,
            kind: d.kind.code().to_string(),
            owner_code: d.owner(&t.case.region).as_str().to_string(),
            opened_on: d.opened_on,
            due_on: d.due_on,
            done_on: None,
        };
        store::open_deadline(tx, &row).await?;
    }
    let e = &t.entry;
    let line = TimelineRow {
        id: 0,
        case_id,
        at: now,
        step_on: e.on,
        action: e.action.code().to_string(),
        from_state: e.from.map(|s| s.code().to_string()),
        to_state: e.to.code().to_string(),
        role: e.role.code().to_string(),
        username: actor.username.clone(),
        note: e.note.clone(),
        reason: e.reason.clone(),
        text: e.text.clone(),
    };
    Ok(store::insert_timeline(tx, &line).await?)
}
