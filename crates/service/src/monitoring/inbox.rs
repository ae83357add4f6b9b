//! A user's inbox (我的待办): everything in their jurisdiction that waits
//! for someone — open supervision items (督办), cases with an open
//! deadline, and alerts no one has decided on — in one list, overdue
//! first, then by due date; alerts (which have no deadline) last, newest
//! year first. A village doctor's inbox is their village's: the home
//! checks and visits due there.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::Permission;
use jianfu_monitoring::Colour;
use jianfu_monitoring::deadline::is_overdue;
use jianfu_store::monitoring::feedback::FEEDBACK_STEP;
use serde::Serialize;

use super::cases::{self, AlertQuery, CaseQuery};
use super::supervision;
use crate::error::UseCaseResult;
use crate::{Actor, App};

/// What an inbox entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A supervision item addressed to the user's level or below.
    Supervision,
    /// A case step with a deadline.
    CaseStep,
    /// An alert awaiting a case or a dismissal.
    Alert,
}

impl EntryKind {
    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            EntryKind::Supervision => "督办",
            EntryKind::CaseStep => "案件时限",
            EntryKind::Alert => "待处理预警",
        }
    }
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxEntry {
    /// What it is.
    pub kind: EntryKind,
    /// Its due date, if it has one.
    pub due_on: Option<NaiveDate>,
    /// Past its due date.
    pub overdue: bool,
    /// Green, amber or red for a case step.
    pub colour: Option<Colour>,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// The monthly feedback list concerned, if any.
    pub feedback_id: Option<i64>,
    /// The household's county.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// One line of Chinese: what is due.
    pub text: String,
}

/// The inbox of `actor` at the App's clock.
pub async fn inbox(app: &App, actor: &Actor) -> UseCaseResult<Vec<InboxEntry>> {
    actor.require(Permission::ViewMonitoring)?;
    let now = app.now();
    let mut out = supervision_entries(app, actor, now).await?;
    out.extend(case_entries(app, actor).await?);
    out.extend(alert_entries(app, actor).await?);
    out.sort_by(|a, b| {
        (!a.overdue, a.due_on.is_none(), a.due_on, a.kind).cmp(&(
            !b.overdue,
            b.due_on.is_none(),
            b.due_on,
            b.kind,
        ))
    });
    Ok(out)
}

async fn supervision_entries(
    app: &App,
    actor: &Actor,
    now: DateTime<Utc>,
) -> UseCaseResult<Vec<InboxEntry>> {
    let items = supervision::list(app, actor, false, 5_000).await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let step = supervision::step_label(&i.step_kind);
            let feedback = i.step_kind == FEEDBACK_STEP;
            let text = if feedback && i.region_code == i.step_owner {
                format!("{step}：异常结算待核查反馈，应于 {} 前完成", i.step_due_on)
            } else {
                format!("上级督办：{step}原定 {} 完成，已逾期", i.step_due_on)
            };
            InboxEntry {
                kind: EntryKind::Supervision,
                due_on: Some(i.due_on),
                overdue: is_overdue(i.due_on, now),
                colour: None,
                case_id: (!feedback).then_some(i.case_id),
                feedback_id: feedback.then_some(i.case_id),
                text,
                county_code: i.county_code,
                household_no: i.household_no,
            }
        })
        .collect())
}

async fn case_entries(app: &App, actor: &Actor) -> UseCaseResult<Vec<InboxEntry>> {
    let lines = cases::list_cases(app, actor, &CaseQuery::default()).await?;
    Ok(lines
        .into_iter()
        .filter_map(|l| {
            let next = l.next?;
            let overdue = next.colour == Some(Colour::Red);
            Some(InboxEntry {
                kind: EntryKind::CaseStep,
                due_on: Some(next.row.due_on),
                overdue,
                colour: next.colour,
                case_id: Some(l.case.id),
                feedback_id: None,
                text: format!("{}：应于 {} 前完成", next.label, next.row.due_on),
                county_code: l.case.county_code,
                household_no: l.case.household_no,
            })
        })
        .collect())
}

async fn alert_entries(app: &App, actor: &Actor) -> UseCaseResult<Vec<InboxEntry>> {
    let query = AlertQuery {
        status: Some("open".into()),
        ..AlertQuery::default()
    };
    let mut lines = cases::list_alerts(app, actor, &query).await?;
    lines.sort_by_key(|l| std::cmp::Reverse(l.alert.year));
    Ok(lines
        .into_iter()
        .map(|l| InboxEntry {
            kind: EntryKind::Alert,
            due_on: None,
            overdue: false,
            colour: None,
            case_id: None,
            feedback_id: None,
            text: format!(
                "{}年{}预警：{}",
                l.alert.year,
                jianfu_monitoring::Rule::from_code(&l.alert.rule).map_or("", |r| r.label()),
                l.alert.explanation
            ),
            county_code: l.alert.county_code,
            household_no: l.alert.household_no,
        })
        .collect())
}
