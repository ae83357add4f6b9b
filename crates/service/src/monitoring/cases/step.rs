//! Taking a step of a case: the request read into the engine's `Action`,
//! `procedure::apply` with the actor's role and jurisdiction, and what it
//! produced written with the step's measure and attachments and the audit
//! entry, all in one transaction. A step that another user's step
//! overtook is refused, not merged.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use jianfu_domain::{Money, Permission};
use jianfu_monitoring::case::{Action, ActionKind, Command};
use jianfu_monitoring::{Department, Measure, MeasureType, procedure};
use jianfu_store::monitoring::{self as store, CaseRow, MeasureRow};
use jianfu_store::{Tx, audit};
use serde::Serialize;

use super::convert::{engine_actor, params_for, refused, to_case, to_row, write_transition};
use super::files::{Upload, check_uploads, store_uploads};
use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// A measure as a form or the command line gives it.
#[derive(Debug, Clone, Default)]
pub struct MeasureInput {
    /// `MeasureType::code`.
    pub measure_type: String,
    /// `Department::code`.
    pub department: String,
    /// Start date.
    pub start_on: Option<NaiveDate>,
    /// Amount, where money is involved.
    pub amount: Option<Money>,
    /// The person responsible.
    pub responsible: String,
    /// What was done (required for `other`).
    pub description: String,
}

/// A step as a form, the API or the command line gives it.
#[derive(Debug, Clone, Default)]
pub struct StepRequest {
    /// `ActionKind::code` of the step.
    pub action: String,
    /// 办理意见.
    pub note: String,
    /// The reason, for steps that need one.
    pub reason: Option<String>,
    /// Deciding an objection: it holds.
    pub upheld: Option<bool>,
    /// Proposing elimination: months the income stayed at or above the line.
    pub stable_months: Option<u32>,
    /// Recording a measure: the measure.
    pub measure: Option<MeasureInput>,
    /// Photos and scans that come with the step.
    pub files: Vec<Upload>,
}

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepDone {
    /// The case.
    pub case_id: i64,
    /// Its state after the step (`CaseState::code`).
    pub state: String,
    /// The timeline line of the step.
    pub timeline_id: i64,
    /// The attachments stored with it.
    pub attachments: Vec<i64>,
}

/// The engine's action of a request.
fn action_of(req: &StepRequest, today: NaiveDate) -> UseCaseResult<Action> {
    let kind = ActionKind::from_code(req.action.trim())
        .filter(|k| *k != ActionKind::Open)
        .ok_or_else(|| UseCaseError::Invalid(format!("未知的办理环节“{}”", req.action)))?;
    let reason = req.reason.clone().unwrap_or_default();
    Ok(match kind {
        ActionKind::StartVerification => Action::StartVerification,
        ActionKind::ConfirmRisk => Action::ConfirmRisk,
        ActionKind::CloseNoRisk => Action::CloseNoRisk { reason },
        ActionKind::GreenChannel => Action::GreenChannel { reason },
        ActionKind::StartPublicity => Action::StartPublicity,
        ActionKind::RecordObjection => Action::RecordObjection,
        ActionKind::ResolveObjection => Action::ResolveObjection {
            upheld: req
                .upheld
                .ok_or_else(|| UseCaseError::Invalid("处理公示异议须说明异议是否成立".into()))?,
            reason,
        },
        ActionKind::EndPublicity => Action::EndPublicity,
        ActionKind::TownshipApprove => Action::TownshipApprove,
        ActionKind::CountyApprove => Action::CountyApprove,
        ActionKind::Reject => Action::Reject { reason },
        ActionKind::RecordHomeVisit => Action::RecordHomeVisit,
        ActionKind::RecordMeasure => Action::RecordMeasure(measure_of(req, today)?),
        ActionKind::ProposeElimination => Action::ProposeElimination {
            stable_months: req.stable_months.ok_or_else(|| {
                UseCaseError::Invalid("启动风险消除须填写收入稳定在监测范围以上的月数".into())
            })?,
        },
        ActionKind::ResumeMonitoring => Action::ResumeMonitoring { reason },
        ActionKind::EndFollowOn => Action::EndFollowOn,
        ActionKind::Open => unreachable!("filtered above"),
    })
}

fn measure_of(req: &StepRequest, today: NaiveDate) -> UseCaseResult<Measure> {
    let m = req
        .measure
        .as_ref()
        .ok_or_else(|| UseCaseError::Invalid("登记帮扶措施须填写措施内容".into()))?;
    let t = MeasureType::from_code(m.measure_type.trim())
        .ok_or_else(|| UseCaseError::Invalid(format!("未知的帮扶措施类型“{}”", m.measure_type)))?;
    let d = Department::from_code(m.department.trim())
        .ok_or_else(|| UseCaseError::Invalid(format!("未知的部门“{}”", m.department)))?;
    let start = m.start_on.unwrap_or(today);
    Measure::new(t, d, start, m.amount, &m.responsible, &m.description, today)
        .map_err(|e| UseCaseError::Invalid(e.to_string()))
}

/// Takes a step of case `case_id` for `actor`.
pub async fn take_step(
    app: &App,
    actor: &Actor,
    case_id: i64,
    req: &StepRequest,
) -> UseCaseResult<StepDone> {
    actor.require(Permission::ActOnCases)?;
    let checked = check_uploads(&req.files)?;
    let (today, now) = (app.today(), app.now().trunc_subsecs(6));
    let action = action_of(req, today)?;
    let mut tx = app.db.begin_write().await?;
    let row = case_in_scope(&mut tx, actor, case_id).await?;
    let open = store::deadlines_of_case(&mut tx, case_id).await?;
    let case = to_case(&row, &open)?;
    let params = params_for(&mut tx, &row.village_code, today).await?;
    let calendar =
        crate::monitoring::calendar::work_calendar_in(&mut tx, &row.village_code).await?;
    let cmd = Command {
        action,
        note: req.note.clone(),
    };
    let t = procedure::apply(&case, &cmd, &engine_actor(actor), today, &calendar, &params)
        .map_err(refused)?;
    let new_row = to_row(&t.case, &row, now);
    if !store::update_case(&mut tx, &new_row).await? {
        return Err(UseCaseError::Invalid(
            "案件刚被他人办理过，请刷新后重试".into(),
        ));
    }
    let timeline_id = write_transition(&mut tx, case_id, &t, actor, now).await?;
    if let Action::RecordMeasure(m) = &cmd.action {
        store::insert_measure(&mut tx, &measure_row(m, case_id, timeline_id, actor, now)).await?;
    }
    let attachments =
        store_uploads(&mut tx, case_id, Some(timeline_id), &checked, actor, now).await?;
    step_entry(&mut tx, actor, &row, &new_row, &cmd, now).await?;
    tx.commit().await?;
    Ok(StepDone {
        case_id,
        state: new_row.state,
        timeline_id,
        attachments,
    })
}

/// Case `id` when it lies inside the actor's jurisdiction.
pub(super) async fn case_in_scope(tx: &mut Tx, actor: &Actor, id: i64) -> UseCaseResult<CaseRow> {
    store::case_by_id(tx, id)
        .await?
        .filter(|c| actor.scope.contains_str(&c.village_code))
        .ok_or(UseCaseError::NotFound)
}

fn measure_row(
    m: &Measure,
    case_id: i64,
    timeline_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> MeasureRow {
    MeasureRow {
        id: 0,
        case_id,
        timeline_id,
        measure_type: m.measure_type().code().to_string(),
        department: m.department().code().to_string(),
        start_on: m.start_on(),
        amount: m.amount().map(Money::fen),
        responsible: m.responsible().to_string(),
        description: m.description().to_string(),
        recorded_by: actor.username.clone(),
        recorded_at: now,
    }
}

async fn step_entry(
    tx: &mut Tx,
    actor: &Actor,
    before: &CaseRow,
    after: &CaseRow,
    cmd: &Command,
    now: DateTime<Utc>,
) -> UseCaseResult<()> {
    let mut entry = actor.entry("monitoring.case.step", &before.village_code);
    entry.target_kind = Some("monitoring_case".into());
    entry.target_key = Some(before.id.to_string());
    entry.old_value = Some(before.state.clone());
    entry.new_value = Some(after.state.clone());
    entry.detail = Some(format!("action={}", cmd.action.kind().code()));
    audit::append_at(tx, &entry, now).await?;
    Ok(())
}
