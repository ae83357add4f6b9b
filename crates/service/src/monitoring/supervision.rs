//! Supervision (督办) as use cases: the deadline scan that raises, climbs
//! and closes supervision items for late case steps and unanswered
//! monthly feedback lists (`feedback`), and a level's list.
//!
//! The ladder is the pure engine's (`jianfu_monitoring::escalation`):
//! the scan reads every step that can still raise or close an item and
//! every open item, asks the engine what is due now, and writes that in
//! one transaction with its audit entry. The engine answers nothing at the
//! same instant after its answer is applied, so a second scan (another
//! server, a retried job) changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::{Permission, RegionCode};
use jianfu_monitoring::{
    EscalationAction, MonitoringParams, Step, SupervisionItem, escalation, select,
};
use jianfu_store::monitoring::feedback::{self, FEEDBACK_STEP};
use jianfu_store::monitoring::supervision::{self as store, ItemFilter, ItemRow, StepRow};
use jianfu_store::monitoring::{MONITORING_LOCK, params_sets};
use jianfu_store::{Tx, audit};
use serde::Serialize;

use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// A step's key: case, deadline kind, opening day.
type Key = (i64, String, NaiveDate);

/// What a scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    /// The instant scanned.
    pub at: Option<DateTime<Utc>>,
    /// Steps looked at: those due before today, not done and with no
    /// supervision item still in hand, and done ones with open items.
    pub steps: u64,
    /// First items raised for newly late steps.
    pub raised: u64,
    /// Items raised one level higher.
    pub climbed: u64,
    /// Items closed because their step was done.
    pub closed: u64,
    /// Open items after the scan.
    pub open: u64,
}

/// Scans every case deadline at the App's clock: raises, climbs and
/// closes supervision items, in one transaction with its audit entry.
/// The ladder spans the whole country, so the actor must be national
/// (the command line, the job worker or a national administrator).
pub async fn scan(app: &App, actor: &Actor) -> UseCaseResult<ScanSummary> {
    actor.require(Permission::RunMonitoring)?;
    if !actor.scope.prefix().is_empty() {
        return Err(UseCaseError::Invalid(
            "督办扫描覆盖全部地区，只能由命令行、后台任务或全国范围的账户运行".into(),
        ));
    }
    let now = app.now();
    let calendar = super::calendar::work_calendar_everywhere(app).await?;
    let mut tx = app.db.begin().await?;
    // Two scans at once would raise the same item twice.
    tx.lock(MONITORING_LOCK).await?;
    let sets = params_sets(&mut tx).await?;
    let mut steps = store::steps_to_scan(&mut tx, china_today(now)).await?;
    // The counties' monthly feedback lists climb the same ladder.
    steps.extend(feedback::steps_to_scan(&mut tx, china_today(now)).await?);
    let items = store::open_items(&mut tx, china_today(now)).await?;
    let mut summary = ScanSummary {
        at: Some(now),
        steps: steps.len() as u64,
        ..ScanSummary::default()
    };
    for (set, group) in by_params(&steps, &sets, china_today(now))? {
        let work = Work::new(group, &items);
        let actions = escalation::scan(&work.steps, &work.items, now, &calendar, set)
            .map_err(|e| UseCaseError::Invalid(format!("督办期限无法计算：{e}")))?;
        apply(&mut tx, &work, &actions, now, &mut summary).await?;
    }
    summary.open = u64::try_from(store::open_count(&mut tx).await?).unwrap_or_default();
    let mut entry = actor.entry("monitoring.scan", "");
    entry.detail = Some(format!(
        "steps={} raised={} climbed={} closed={} open={}",
        summary.steps, summary.raised, summary.climbed, summary.closed, summary.open
    ));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(summary)
}

fn china_today(now: DateTime<Utc>) -> NaiveDate {
    jianfu_domain::time::china_date(now)
}

/// The steps grouped by the parameter set in force for their owner today
/// (its timers give the items' deadlines).
fn by_params<'a>(
    steps: &'a [StepRow],
    sets: &'a [MonitoringParams],
    today: NaiveDate,
) -> UseCaseResult<Vec<(&'a MonitoringParams, Vec<&'a StepRow>)>> {
    let mut groups: BTreeMap<usize, Vec<&StepRow>> = BTreeMap::new();
    for s in steps {
        let set = select(sets, &s.owner_code, today).ok_or_else(|| {
            UseCaseError::Invalid(format!(
                "地区 {} 在 {today} 没有适用的监测参数，无法计算督办期限",
                s.owner_code
            ))
        })?;
        let index = sets
            .iter()
            .position(|p| std::ptr::eq(p, set))
            .unwrap_or_default();
        groups.entry(index).or_default().push(s);
    }
    Ok(groups
        .into_iter()
        .map(|(i, group)| (&sets[i], group))
        .collect())
}

/// One group's steps and open items in the engine's form, with the rows
/// they came from.
struct Work<'a> {
    rows: HashMap<Key, &'a StepRow>,
    steps: Vec<Step<Key>>,
    stored: Vec<&'a ItemRow>,
    items: Vec<SupervisionItem<Key>>,
}

impl<'a> Work<'a> {
    fn new(rows: Vec<&'a StepRow>, all_items: &'a [ItemRow]) -> Self {
        let steps: Vec<Step<Key>> = rows.iter().filter_map(|r| step(r)).collect();
        let keys: HashSet<&Key> = steps.iter().map(|s| &s.key).collect();
        let stored: Vec<&ItemRow> = all_items
            .iter()
            .filter(|i| keys.contains(&item_key(i)))
            .collect();
        let items = stored.iter().filter_map(|i| item(i)).collect();
        let rows = rows
            .into_iter()
            .map(|r| ((r.case_id, r.kind.clone(), r.opened_on), r))
            .collect();
        Work {
            rows,
            steps,
            stored,
            items,
        }
    }

    fn row_of(&self, key: &Key) -> Option<&StepRow> {
        self.rows.get(key).copied()
    }
}

fn item_key(i: &ItemRow) -> Key {
    (i.case_id, i.step_kind.clone(), i.step_opened_on)
}

fn step(r: &StepRow) -> Option<Step<Key>> {
    Some(Step {
        key: (r.case_id, r.kind.clone(), r.opened_on),
        owner: RegionCode::parse(&r.owner_code).ok()?,
        due_on: r.due_on,
        done_on: r.done_on,
    })
}

fn item(i: &ItemRow) -> Option<SupervisionItem<Key>> {
    Some(SupervisionItem {
        step: item_key(i),
        region: RegionCode::parse(&i.region_code).ok()?,
        raised_on: i.raised_on,
        due_on: i.due_on,
        closed: None,
    })
}

/// Writes a group's actions.
async fn apply(
    tx: &mut Tx,
    work: &Work<'_>,
    actions: &[EscalationAction<Key>],
    now: DateTime<Utc>,
    summary: &mut ScanSummary,
) -> UseCaseResult<()> {
    let mut new_items = Vec::new();
    for a in actions {
        match a {
            EscalationAction::Raise { item } => {
                summary.raised += 1;
                new_items.extend(new_row(work, item, now));
            }
            EscalationAction::Climb { item, .. } => {
                summary.climbed += 1;
                new_items.extend(new_row(work, item, now));
            }
            EscalationAction::Close { index, closure } => {
                summary.closed += 1;
                let late = (
                    i64::from(closure.late_days),
                    i64::from(closure.late_working_days),
                );
                let id = work.stored[*index].id;
                store::close_item(tx, id, closure.closed_on, late).await?;
            }
        }
    }
    store::insert_items(tx, &new_items).await?;
    Ok(())
}

fn new_row(work: &Work<'_>, item: &SupervisionItem<Key>, now: DateTime<Utc>) -> Option<ItemRow> {
    let step = work.row_of(&item.step)?;
    Some(ItemRow {
        id: 0,
        case_id: step.case_id,
        step_kind: step.kind.clone(),
        step_opened_on: step.opened_on,
        step_owner: step.owner_code.clone(),
        step_due_on: step.due_on,
        county_code: step.county_code.clone(),
        household_no: step.household_no.clone(),
        village_code: step.village_code.clone(),
        region_code: item.region.as_str().to_string(),
        level: item.level() as i16,
        raised_on: item.raised_on,
        due_on: item.due_on,
        closed_on: None,
        late_days: None,
        late_working_days: None,
        raised_at: now,
    })
}

/// The Chinese label of a stored step kind (the code itself if unknown).
pub fn step_label(code: &str) -> &str {
    if code == FEEDBACK_STEP {
        return "异常结算月度反馈";
    }
    jianfu_monitoring::DeadlineKind::from_code(code).map_or(code, |k| k.label())
}

/// An item's state in words at `now`: closed (with how late its step
/// was), overdue, or in hand.
pub fn item_state(i: &ItemRow, now: DateTime<Utc>) -> String {
    match (i.closed_on, i.late_days, i.late_working_days) {
        (Some(on), Some(d), Some(w)) => {
            format!("已办结（{on}，环节逾期 {d} 天，其中 {w} 个工作日）")
        }
        (Some(on), _, _) => format!("已办结（{on}）"),
        (None, _, _) if jianfu_monitoring::deadline::is_overdue(i.due_on, now) => "督办逾期".into(),
        (None, _, _) => "办理中".into(),
    }
}

/// The supervision items a user's list shows: those addressed to their
/// jurisdiction and the levels below it, open ones first (overdue first,
/// then by due date); every item with `all`.
pub async fn list(app: &App, actor: &Actor, all: bool, limit: i64) -> UseCaseResult<Vec<ItemRow>> {
    actor.require(Permission::ViewMonitoring)?;
    let filter = if all {
        ItemFilter::All
    } else {
        ItemFilter::Open
    };
    let mut c = app.db.read().await?;
    Ok(store::items_under(&mut c, actor.scope.prefix(), filter, limit.clamp(1, 10_000)).await?)
}
