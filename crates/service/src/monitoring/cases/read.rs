//! Reading cases: the list of a jurisdiction (by state, village, overdue),
//! one case with its timeline, deadlines coloured at the App's clock
//! (`Deadline::colour` with the parameter set's `amber_share`), measures,
//! attachments, linked alerts and the steps this actor may take, a
//! household's alerts and cases, and the alerts awaiting a decision.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::Permission;
use jianfu_monitoring::case::ActionKind;
use jianfu_monitoring::{Colour, DeadlineKind, deadline, procedure};
use jianfu_store::monitoring::{
    self as store, AlertKey, AlertRow, AttachmentRow, CaseFilter, CaseRow, DeadlineRow,
    DismissalRow, MeasureRow, PushRow, TimelineRow,
};
use jianfu_store::{Tx, registry};
use serde::Serialize;

use super::convert::{params_for, to_case};
use super::step::case_in_scope;
use crate::error::{UseCaseError, UseCaseResult};
use crate::monitoring::region_of;
use crate::{Actor, App};

/// A deadline as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineView {
    /// The stored row.
    pub row: DeadlineRow,
    /// Chinese label of its kind.
    pub label: &'static str,
    /// Its colour now; `None` once done.
    pub colour: Option<Colour>,
    /// Done after its due date.
    pub late: bool,
}

/// A deadline's view at `now` with `amber_share`.
fn deadline_view(
    row: DeadlineRow,
    now: DateTime<Utc>,
    amber: jianfu_domain::Ratio,
) -> DeadlineView {
    let label = DeadlineKind::from_code(&row.kind).map_or("", DeadlineKind::label);
    let colour = match row.done_on {
        Some(_) => None,
        None => Some(deadline::colour(row.opened_on, row.due_on, now, amber)),
    };
    let late = row.done_on.is_some_and(|d| d > row.due_on);
    DeadlineView {
        row,
        label,
        colour,
        late,
    }
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// A region code prefix inside the jurisdiction (a village, a
    /// township); the whole jurisdiction when `None`.
    pub region: Option<String>,
    /// Only this state (`CaseState::code`).
    pub state: Option<String>,
    /// Only cases with an overdue open deadline.
    pub overdue: bool,
}

/// A line of the case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseLine {
    /// The case.
    pub case: CaseRow,
    /// The most urgent open deadline, if any.
    pub next: Option<DeadlineView>,
}

/// The cases of `query` for `actor`, newest first.
pub async fn list_cases(
    app: &App,
    actor: &Actor,
    query: &CaseQuery,
) -> UseCaseResult<Vec<CaseLine>> {
    actor.require(Permission::ViewMonitoring)?;
    let region = region_of(actor, query.region.as_deref())?;
    if let Some(s) = &query.state
        && jianfu_monitoring::CaseState::from_code(s).is_none()
    {
        return Err(UseCaseError::Invalid(format!("未知的案件状态“{s}”")));
    }
    let (now, today) = (app.now(), app.today());
    let filter = CaseFilter {
        region: region.clone(),
        state: query.state.clone(),
        due_before: query.overdue.then_some(today),
    };
    let mut tx = app.db.read().await?;
    let cases = store::cases_under(&mut tx, &filter).await?;
    let mut open: HashMap<i64, Vec<DeadlineRow>> = HashMap::new();
    for d in store::open_deadlines_under(&mut tx, &region).await? {
        open.entry(d.case_id).or_default().push(d);
    }
    let amber = amber_share(&mut tx, &region, today).await;
    Ok(cases
        .into_iter()
        .map(|case| {
            let next = open
                .remove(&case.id)
                .and_then(|ds| ds.into_iter().min_by_key(|d| d.due_on))
                .map(|d| deadline_view(d, now, amber));
            CaseLine { case, next }
        })
        .collect())
}

/// The amber share of the set in force for `region` today; the reference
/// set's 25 % when none is (a list still shows, its colours by the
/// reference).
async fn amber_share(tx: &mut Tx, region: &str, today: NaiveDate) -> jianfu_domain::Ratio {
    match params_for(tx, region, today).await {
        Ok(p) => p.timers.amber_share,
        Err(_) => jianfu_domain::Ratio::from_ten_thousandths(2500),
    }
}

/// One case with everything about it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    /// The case.
    pub case: CaseRow,
    /// Its steps, oldest first.
    pub timeline: Vec<TimelineRow>,
    /// Every deadline it opened, open ones coloured.
    pub deadlines: Vec<DeadlineView>,
    /// Measures recorded.
    pub measures: Vec<MeasureRow>,
    /// Attachments (without content).
    pub attachments: Vec<AttachmentRow>,
    /// The alerts linked to it.
    pub alerts: Vec<AlertRow>,
    /// The department pushes (部门推送预警) that opened or joined it,
    /// ID numbers masked.
    pub pushes: Vec<PushRow>,
    /// The steps this actor may take now (empty without `ActOnCases`).
    pub allowed: Vec<ActionKind>,
}

/// Case `id` for `actor`.
pub async fn case_detail(app: &App, actor: &Actor, id: i64) -> UseCaseResult<CaseDetail> {
    actor.require(Permission::ViewMonitoring)?;
    let (now, today) = (app.now(), app.today());
    let mut tx = app.db.read().await?;
    let case = case_in_scope(&mut tx, actor, id).await?;
    let deadlines = store::deadlines_of_case(&mut tx, id).await?;
    let value = to_case(&case, &deadlines)?;
    let allowed = if actor.may(Permission::ActOnCases) {
        procedure::available(actor.role, &value)
    } else {
        Vec::new()
    };
    let amber = amber_share(&mut tx, &case.village_code, today).await;
    Ok(CaseDetail {
        timeline: store::timeline_of_case(&mut tx, id).await?,
        deadlines: deadlines
            .into_iter()
            .map(|d| deadline_view(d, now, amber))
            .collect(),
        measures: store::measures_of_case(&mut tx, id).await?,
        attachments: store::attachments_of_case(&mut tx, id).await?,
        alerts: store::alerts_of_case(&mut tx, id).await?,
        pushes: masked(store::pushes_of_case(&mut tx, id).await?),
        allowed,
        case,
    })
}

/// An alert with what was decided about it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertLine {
    /// The alert.
    pub alert: AlertRow,
    /// The case it is linked to.
    pub case_id: Option<i64>,
    /// Its dismissal.
    pub dismissal: Option<DismissalRow>,
}

/// A household's alerts and cases.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdMonitoring {
    /// Its alerts, newest year first.
    pub alerts: Vec<AlertLine>,
    /// Its cases, newest first.
    pub cases: Vec<CaseRow>,
    /// The department pushes about it, newest first, ID numbers masked.
    pub pushes: Vec<PushRow>,
}

/// The alerts and cases of household `no` of `county` for `actor`.
pub async fn household_monitoring(
    app: &App,
    actor: &Actor,
    county: &str,
    no: &str,
) -> UseCaseResult<HouseholdMonitoring> {
    actor.require(Permission::ViewMonitoring)?;
    let mut tx = app.db.read().await?;
    registry::household(&mut tx, &actor.scope, county, no)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let mut alerts = Vec::new();
    for alert in store::alerts_of_household(&mut tx, county, no).await? {
        alerts.push(alert_line(&mut tx, alert).await?);
    }
    let mut cases = store::cases_of_household(&mut tx, county, no).await?;
    cases.retain(|c| actor.scope.contains_str(&c.village_code));
    let pushes = masked(store::pushes_of_household(&mut tx, county, no).await?);
    Ok(HouseholdMonitoring {
        alerts,
        cases,
        pushes,
    })
}

/// Pushes with their ID numbers masked: pages and the API show whose
/// push it was without the full number.
fn masked(mut pushes: Vec<PushRow>) -> Vec<PushRow> {
    for p in &mut pushes {
        p.id_number = jianfu_domain::mask_middle(&p.id_number);
    }
    pushes
}

async fn alert_line(tx: &mut Tx, alert: AlertRow) -> UseCaseResult<AlertLine> {
    let key = AlertKey::of(&alert);
    let (case_id, dismissal) = match alert.status.as_str() {
        "linked" => (store::case_of_alert(tx, &key).await?, None),
        "dismissed" => (None, store::dismissal(tx, &key).await?),
        _ => (None, None),
    };
    Ok(AlertLine {
        alert,
        case_id,
        dismissal,
    })
}

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// A region code prefix inside the jurisdiction.
    pub region: Option<String>,
    /// Only this status (`open`, `linked`, `dismissed`, `lapsed`).
    pub status: Option<String>,
    /// Only this year; else the year of today and the year before.
    pub year: Option<i32>,
}

/// The alerts of `query` for `actor`, in key order.
pub async fn list_alerts(
    app: &App,
    actor: &Actor,
    query: &AlertQuery,
) -> UseCaseResult<Vec<AlertLine>> {
    actor.require(Permission::ViewMonitoring)?;
    let region = region_of(actor, query.region.as_deref())?;
    let years = crate::monitoring::years_of(app.today(), query.year)?;
    let mut tx = app.db.read().await?;
    let mut rows = store::alerts_under(&mut tx, &region, years).await?;
    if let Some(s) = &query.status {
        rows.retain(|a| &a.status == s);
    }
    let mut out = Vec::with_capacity(rows.len());
    for alert in rows {
        out.push(alert_line(&mut tx, alert).await?);
    }
    Ok(out)
}
