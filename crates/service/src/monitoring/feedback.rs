//! The A1–A3 findings (异常结算) as use cases: making each county's
//! monthly feedback list (月度反馈清单) once a month is over, reading the
//! lists and their findings, and the county's answer to a finding
//! (核查反馈).
//!
//! A month's list of a county holds every standing inpatient claim of a
//! poor patient settled in the twelve months up to that month's end that
//! breaks A1, A2 or A3 (the pure `jianfu_monitoring::anomaly` rules, under
//! the parameter set in force for the household's village at the month's
//! end) and was on no earlier list. So a claim imported late goes on the
//! next month's list instead of being lost, and no claim is listed twice.
//! A list with findings is a step of the supervision ladder owned by the
//! county, with its first item at the county itself; the deadline scan
//! climbs it to the city and the province while findings stay unanswered.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use jianfu_domain::{Permission, RegionLevel};
use jianfu_monitoring::anomaly::{Finding, describe, find_anomalies};
use jianfu_monitoring::{MonitoringParams, WorkCalendar, select};
use jianfu_store::monitoring::feedback::{self as store, FEEDBACK_STEP, FeedbackRow, FindingRow};
use jianfu_store::monitoring::supervision::{ItemRow, insert_items};
use jianfu_store::monitoring::{InputQuery, MONITORING_LOCK, household_inputs, params_sets};
use jianfu_store::{Tx, audit};
use serde::Serialize;

use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// Longest answer, in characters.
const MAX_ANSWER: usize = 500;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> UseCaseResult<Month> {
        let bad = || UseCaseError::Invalid(format!("月份“{s}”无效：应为 YYYY-MM，如 2024-03"));
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) || m.len() != 2 {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month before the one holding `day`.
    pub fn before(day: NaiveDate) -> Month {
        let d = day - Months::new(1);
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// Its first day.
    pub fn first(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    /// Its last day.
    pub fn last(self) -> NaiveDate {
        (self.first() + Months::new(1))
            .pred_opt()
            .unwrap_or_default()
    }

    /// The first day of the twelve months ending with this one.
    pub fn window_start(self) -> NaiveDate {
        self.first() - Months::new(11)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

/// What making a month's lists did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Generated {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Lists made (one per county that had none).
    pub lists: u64,
    /// Findings on them.
    pub findings: u64,
}

/// Makes `month`'s feedback list (default: last month) for every county
/// of the actor's jurisdiction that has none, in one transaction with its
/// audit entry. A month not yet over is refused; a county that already
/// has its list is left as it is, so running twice adds nothing.
pub async fn generate(app: &App, actor: &Actor, month: Option<Month>) -> UseCaseResult<Generated> {
    actor.require(Permission::RunMonitoring)?;
    let now = app.now();
    let today = app.today();
    let month = month.unwrap_or_else(|| Month::before(today));
    if month.last() >= today {
        return Err(UseCaseError::Invalid(format!(
            "{month} 尚未结束，月度反馈清单只能在次月生成"
        )));
    }
    let calendar = super::calendar::work_calendar_everywhere(app).await?;
    let mut tx = app.db.begin().await?;
    tx.lock(MONITORING_LOCK).await?;
    let sets = params_sets(&mut tx).await?;
    let label = month.to_string();
    let mut done = Generated {
        month: label.clone(),
        ..Generated::default()
    };
    let region = actor.scope.prefix().to_string();
    for county in store::counties_without_list(&mut tx, &region, &label).await? {
        let list = CountyList {
            county: &county,
            month,
            today,
            now,
        };
        done.findings += list.make(&mut tx, &sets, &calendar).await?;
        done.lists += 1;
    }
    let mut entry = actor.entry("monitoring.feedback.generate", &actor.region());
    entry.target_kind = Some("feedback_month".into());
    entry.target_key = Some(label.clone());
    entry.detail = Some(format!("lists={} findings={}", done.lists, done.findings));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(done)
}

/// One county's list being made.
struct CountyList<'a> {
    county: &'a str,
    month: Month,
    today: NaiveDate,
    now: DateTime<Utc>,
}

impl CountyList<'_> {
    /// Finds, stores and puts on the ladder; returns how many findings.
    async fn make(
        &self,
        tx: &mut Tx,
        sets: &[MonitoringParams],
        calendar: &WorkCalendar,
    ) -> UseCaseResult<u64> {
        let from = self.month.window_start();
        let to = self.month.last();
        let query = InputQuery {
            county: self.county,
            region: self.county,
            years: (from.year(), to.year()),
            as_of: to,
        };
        let input = household_inputs(tx, &query).await?;
        let listed: HashSet<String> = store::listed_claims(tx, self.county, from)
            .await?
            .into_iter()
            .collect();
        let params = self.params(sets, to)?;
        let found: Vec<Finding> = find_anomalies(&input, from, to, |_| params)
            .into_iter()
            .filter(|f| !listed.contains(input.claim_id(f.claim as usize)))
            .collect();
        let due_on = self.due_on(params, calendar)?;
        let id = store::insert_list(tx, &self.row(due_on, found.len())).await?;
        let rows: Vec<FindingRow> = found
            .iter()
            .map(|f| finding_row(&input, f, id, self.county, params))
            .collect();
        store::insert_findings(tx, &rows).await?;
        if !rows.is_empty() {
            insert_items(tx, &[self.first_item(id, due_on)]).await?;
        }
        Ok(rows.len() as u64)
    }

    /// The county's parameter set at the month's end. The A1–A3 thresholds
    /// are the county's, so one set serves all its villages.
    fn params<'s>(
        &self,
        sets: &'s [MonitoringParams],
        on: NaiveDate,
    ) -> UseCaseResult<&'s MonitoringParams> {
        select(sets, self.county, on).ok_or_else(|| {
            UseCaseError::Invalid(format!(
                "地区 {} 在 {on} 没有适用的监测参数，无法生成月度反馈清单",
                self.county
            ))
        })
    }

    fn due_on(&self, p: &MonitoringParams, calendar: &WorkCalendar) -> UseCaseResult<NaiveDate> {
        let county = jianfu_domain::RegionCode::parse(&self.region())
            .map_err(|e| UseCaseError::Invalid(format!("县代码“{}”无效：{e}", self.county)))?;
        let n = p.timers.supervision_working_days;
        calendar
            .add_working_days(self.today, n, Some(&county))
            .map_err(|e| UseCaseError::Invalid(format!("反馈期限无法计算：{e}")))
    }

    fn row(&self, due_on: NaiveDate, findings: usize) -> FeedbackRow {
        FeedbackRow {
            id: 0,
            county_code: self.county.to_string(),
            month: self.month.to_string(),
            raised_on: self.today,
            due_on,
            // A list with nothing to answer is done when made.
            done_on: (findings == 0).then_some(self.today),
            findings: findings as i64,
            answered: 0,
            raised_at: self.now,
        }
    }

    /// The county's twelve-digit region code, as the ladder names levels.
    fn region(&self) -> String {
        format!("{}000000", self.county)
    }

    /// The list's first supervision item: at the county, due with it.
    fn first_item(&self, id: i64, due_on: NaiveDate) -> ItemRow {
        ItemRow {
            id: 0,
            case_id: id,
            step_kind: FEEDBACK_STEP.to_string(),
            step_opened_on: self.today,
            step_owner: self.region(),
            step_due_on: due_on,
            county_code: self.county.to_string(),
            household_no: String::new(),
            village_code: self.region(),
            region_code: self.region(),
            level: RegionLevel::County as i16,
            raised_on: self.today,
            due_on,
            closed_on: None,
            late_days: None,
            late_working_days: None,
            raised_at: self.now,
        }
    }
}

fn finding_row(
    input: &jianfu_monitoring::Households,
    f: &Finding,
    list: i64,
    county: &str,
    p: &MonitoringParams,
) -> FindingRow {
    let h = input.household(f.household as usize);
    let claim = input.claim(f.claim as usize);
    FindingRow {
        id: 0,
        feedback_id: list,
        county_code: county.to_string(),
        claim_id: input.claim_id(f.claim as usize).to_string(),
        household_no: input.household_no(f.household as usize).to_string(),
        village_code: h.village.as_str().to_string(),
        settled_on: claim.settled_at.date(),
        rules: f
            .rules
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(","),
        total: f.total.fen(),
        out_of_pocket: f.out_of_pocket.fen(),
        actual_ratio: i64::from(f.actual_ratio.ten_thousandths()),
        explanation: describe(input, f, &p.anomaly),
        answer: None,
        answered_on: None,
        answered_by: None,
        answered_at: None,
    }
}

/// The lists a user sees: their county's or those of the counties under
/// their jurisdiction, newest month first; only `month`'s when given.
pub async fn lists(
    app: &App,
    actor: &Actor,
    month: Option<Month>,
    limit: i64,
) -> UseCaseResult<Vec<FeedbackRow>> {
    actor.require(Permission::ViewMonitoring)?;
    let month = month.map(|m| m.to_string());
    let mut c = app.db.read().await?;
    let prefix = actor.scope.prefix();
    Ok(store::lists_under(&mut c, prefix, month.as_deref(), limit.clamp(1, 10_000)).await?)
}

/// List `id` and its findings in the user's jurisdiction (a township sees
/// its own villages' findings on its county's list).
pub async fn list_detail(
    app: &App,
    actor: &Actor,
    id: i64,
) -> UseCaseResult<(FeedbackRow, Vec<FindingRow>)> {
    actor.require(Permission::ViewMonitoring)?;
    let mut c = app.db.read().await?;
    let list = store::list_by_id(&mut c, id)
        .await?
        .filter(|l| visible(actor, &l.county_code))
        .ok_or(UseCaseError::NotFound)?;
    let findings = store::findings_of(&mut c, id, actor.scope.prefix()).await?;
    Ok((list, findings))
}

/// A list of `county` is the user's when the county is inside their
/// jurisdiction or their jurisdiction is inside the county.
fn visible(actor: &Actor, county: &str) -> bool {
    let prefix = actor.scope.prefix();
    county.starts_with(prefix) || prefix.starts_with(county)
}

/// Records the county's answer to finding `id` (核查反馈: what was found
/// and done); when it was the list's last unanswered finding the list is
/// done, and the next deadline scan closes its supervision items. One
/// transaction with its audit entry.
pub async fn answer(app: &App, actor: &Actor, id: i64, text: &str) -> UseCaseResult<FindingRow> {
    actor.require(Permission::ActOnCases)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(UseCaseError::Invalid("请填写核查反馈意见".into()));
    }
    if text.chars().count() > MAX_ANSWER {
        return Err(UseCaseError::Invalid(format!(
            "核查反馈意见不能超过 {MAX_ANSWER} 字"
        )));
    }
    let now = app.now();
    let today = app.today();
    let mut tx = app.db.begin_write().await?;
    let finding = store::finding_by_id(&mut tx, id)
        .await?
        .filter(|f| actor.scope.contains_str(&f.village_code))
        .ok_or(UseCaseError::NotFound)?;
    if !store::answer_finding(&mut tx, id, text, &actor.username, now, today).await? {
        return Err(UseCaseError::Invalid(format!(
            "异常结算 {id} 已于 {} 反馈，不能重复反馈",
            finding
                .answered_on
                .map(|d| d.to_string())
                .unwrap_or_default()
        )));
    }
    store::finish_if_answered(&mut tx, finding.feedback_id, today).await?;
    let mut entry = actor.entry("monitoring.feedback.answer", &finding.village_code);
    entry.target_kind = Some("anomaly_finding".into());
    entry.target_key = Some(id.to_string());
    audit::append_at(&mut tx, &entry, now).await?;
    let stored = store::finding_by_id(&mut tx, id).await?;
    tx.commit().await?;
    stored.ok_or(UseCaseError::NotFound)
}
