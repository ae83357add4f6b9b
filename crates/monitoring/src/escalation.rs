//! Supervision (督办): late steps climb the region tree.
//!
//! A step owned by a region (a village's home verification, a township's
//! procedure) that is overdue raises a supervision item at the owner's
//! parent — village → township → county → city → province — due
//! `supervision_working_days` working days later. When an item's own
//! deadline passes and the step is still not done, a new item is raised
//! one level higher; the lower items stay open, since the lower levels
//! still have the work to do. Nothing climbs above the province. When the
//! step is done, every open item of it closes, recording how late the step
//! was in calendar days and in working days.
//!
//! The scan is pure and idempotent: it reads the steps, the items and the
//! instant, and returns the actions; after applying them, a scan at the
//! same instant returns nothing. A step that has been late for weeks when
//! first scanned gets one item, not a jump to the top: each level is given
//! its own time.
//!
//! A1–A3 findings enter the same ladder: [`finding_drafts`] turns them into
//! items addressed to the insured county, which climb to the city and the
//! province when the county does not act.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::{RegionCode, RegionLevel};
use serde::Serialize;

use crate::anomaly::{AnomalyRules, Finding, describe};
use crate::calendar::{CalendarError, WorkCalendar};
use crate::deadline::{china_date, is_overdue};
use crate::input::Households;
use crate::params::MonitoringParams;

/// A step that can be late: open, or done (with its items still open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<K> {
    /// The caller's key of the step (e.g. case and deadline kind).
    pub key: K,
    /// The region that owns the step.
    pub owner: RegionCode,
    /// The step's due date.
    pub due_on: NaiveDate,
    /// The day it was done, if it was.
    pub done_on: Option<NaiveDate>,
}

/// How a supervision item was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// The day the step was done.
    pub closed_on: NaiveDate,
    /// Calendar days after the step's due date.
    pub late_days: u32,
    /// Working days after the step's due date (in the owner's calendar).
    pub late_working_days: u32,
}

/// A supervision item: one level's order to get a step done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisionItem<K> {
    /// The step supervised.
    pub step: K,
    /// The supervising region (its level is the item's level).
    pub region: RegionCode,
    /// The day it was raised.
    pub raised_on: NaiveDate,
    /// Its own deadline.
    pub due_on: NaiveDate,
    /// Set once the step is done.
    pub closed: Option<Closure>,
}

impl<K> SupervisionItem<K> {
    /// The supervising level.
    pub fn level(&self) -> RegionLevel {
        self.region.level()
    }

    /// True until closed.
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// What a scan asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalationAction<K> {
    /// A first item for an overdue step, at the owner's parent.
    Raise {
        /// The new item.
        item: SupervisionItem<K>,
    },
    /// The item at `from` (an index into the items scanned) is overdue:
    /// a new item one level up.
    Climb {
        /// Index of the overdue item.
        from: usize,
        /// The new item.
        item: SupervisionItem<K>,
    },
    /// The step is done: close the item at `index`.
    Close {
        /// Index into the items scanned.
        index: usize,
        /// How late the step was.
        closure: Closure,
    },
}

/// The supervision actions due at `now`.
pub fn scan<K: Clone + Eq + std::hash::Hash>(
    steps: &[Step<K>],
    items: &[SupervisionItem<K>],
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
    params: &MonitoringParams,
) -> Result<Vec<EscalationAction<K>>, CalendarError> {
    let today = china_date(now);
    // Items by step, so a scan is linear in steps and items (a county
    // with 100,000 late steps has as many items).
    let mut by_step: std::collections::HashMap<&K, Vec<usize>> = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        by_step.entry(&item.step).or_default().push(i);
    }
    let mut out = Vec::new();
    for step in steps {
        let of_step = by_step.get(&step.key).map_or(&[][..], Vec::as_slice);
        let open: Vec<usize> = of_step
            .iter()
            .copied()
            .filter(|&i| items[i].is_open())
            .collect();
        if let Some(done) = step.done_on {
            let closure = closure(step, done, calendar)?;
            out.extend(
                open.into_iter()
                    .map(|index| EscalationAction::Close { index, closure }),
            );
            continue;
        }
        let any = !of_step.is_empty();
        let top = open.iter().copied().min_by_key(|&i| items[i].level());
        match top {
            None if !any && is_overdue(step.due_on, now) => {
                if let Some(region) = step.owner.parent() {
                    let item = new_item(step, region, today, calendar, params)?;
                    out.push(EscalationAction::Raise { item });
                }
            }
            Some(from) if is_overdue(items[from].due_on, now) => {
                if let Some(region) = items[from].region.parent() {
                    let item = new_item(step, region, today, calendar, params)?;
                    out.push(EscalationAction::Climb { from, item });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn new_item<K: Clone>(
    step: &Step<K>,
    region: RegionCode,
    today: NaiveDate,
    calendar: &WorkCalendar,
    params: &MonitoringParams,
) -> Result<SupervisionItem<K>, CalendarError> {
    let n = params.timers.supervision_working_days;
    Ok(SupervisionItem {
        step: step.key.clone(),
        region,
        raised_on: today,
        due_on: calendar.add_working_days(today, n, Some(&region))?,
        closed: None,
    })
}

fn closure<K>(
    step: &Step<K>,
    done: NaiveDate,
    calendar: &WorkCalendar,
) -> Result<Closure, CalendarError> {
    let late_days = (done - step.due_on).num_days().max(0) as u32;
    let late_working_days = calendar.working_days_between(step.due_on, done, Some(&step.owner))?;
    Ok(Closure {
        closed_on: done,
        late_days,
        late_working_days,
    })
}

/// Applies a scan's actions to the items it scanned: new items are
/// appended, closed ones marked.
pub fn apply_actions<K: Clone>(
    items: &mut Vec<SupervisionItem<K>>,
    actions: &[EscalationAction<K>],
) {
    for a in actions {
        match a {
            EscalationAction::Raise { item } | EscalationAction::Climb { item, .. } => {
                items.push(item.clone());
            }
            EscalationAction::Close { index, closure } => items[*index].closed = Some(*closure),
        }
    }
}

/// A supervision item to raise for an A1–A3 finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisionDraft {
    /// The insured county, which must act.
    pub county: RegionCode,
    /// Household index in the batch.
    pub household: u32,
    /// Claim index in the batch.
    pub claim: u32,
    /// The rules broken.
    pub rules: AnomalyRules,
    /// The day raised.
    pub raised_on: NaiveDate,
    /// Due `supervision_working_days` working days later.
    pub due_on: NaiveDate,
    /// One line of Chinese.
    pub text: String,
}

impl SupervisionDraft {
    /// The draft as a step of the ladder (owned by the county) and its
    /// first item (at the county), under the caller's key.
    pub fn into_item<K: Clone>(&self, key: K) -> (Step<K>, SupervisionItem<K>) {
        let step = Step {
            key: key.clone(),
            owner: self.county,
            due_on: self.due_on,
            done_on: None,
        };
        let item = SupervisionItem {
            step: key,
            region: self.county,
            raised_on: self.raised_on,
            due_on: self.due_on,
            closed: None,
        };
        (step, item)
    }
}

/// One draft per finding (a claim with all its rules), addressed to the
/// insured county of the claim's household.
pub fn finding_drafts<'p, F>(
    input: &Households,
    findings: &[Finding],
    raised_on: NaiveDate,
    calendar: &WorkCalendar,
    params_of: F,
) -> Result<Vec<SupervisionDraft>, CalendarError>
where
    F: Fn(usize) -> &'p MonitoringParams,
{
    findings
        .iter()
        .map(|f| {
            let h = f.household as usize;
            let p = params_of(h);
            let county = input.household(h).village.at_level(RegionLevel::County);
            let n = p.timers.supervision_working_days;
            Ok(SupervisionDraft {
                county,
                household: f.household,
                claim: f.claim,
                rules: f.rules,
                raised_on,
                due_on: calendar.add_working_days(raised_on, n, Some(&county))?,
                text: describe(input, f, &p.anomaly),
            })
        })
        .collect()
}
