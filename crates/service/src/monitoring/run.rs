//! `run`: evaluate every household-year of a region as of a date and
//! reconcile the stored alerts with the result, in one transaction with
//! its audit entry.
//!
//! The region is read a county at a time (one query per table for the
//! county, `jianfu_store::monitoring::household_inputs`), evaluated on
//! every core by the pure engine off the async threads, explained, and
//! reconciled with that county's stored alerts (`reconcile`).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::{DiseaseCatalogue, Permission};
use jianfu_monitoring::{
    Alert, AlertStatus, Context, Households, MonitoringParams, evaluate_batch, explain, render,
    select,
};
use jianfu_store::monitoring::{self as store, AlertRow, InputQuery};
use jianfu_store::{Tx, audit};
use serde::Serialize;

use super::reconcile::{RuleCounts, reconcile};
use super::{region_of, years_of};
use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    /// The region evaluated (a code prefix).
    pub region: String,
    /// The evaluation date.
    pub as_of: Option<NaiveDate>,
    /// First and last year evaluated.
    pub years: (i32, i32),
    /// Households evaluated.
    pub households: u64,
    /// Standing claims read.
    pub claims: u64,
    /// Transitions by rule (`R2`, `R3`, `R5`).
    pub rules: BTreeMap<String, RuleCounts>,
    /// Stored alerts of the region and years by status, after the run.
    pub statuses: BTreeMap<String, u64>,
}

/// Everything one county's evaluation needs besides its data.
#[derive(Clone)]
pub(crate) struct Setting {
    pub sets: Arc<Vec<MonitoringParams>>,
    pub catalogue: Arc<DiseaseCatalogue>,
    pub as_of: NaiveDate,
    pub years: (i32, i32),
    pub now: DateTime<Utc>,
}

/// Evaluates `region` (default: the actor's jurisdiction) as of `as_of`
/// (default: today in China) for `year` (default: the year of `as_of` and
/// the year before) and reconciles its stored alerts, in one transaction.
pub async fn run(
    app: &App,
    actor: &Actor,
    region: Option<&str>,
    as_of: Option<NaiveDate>,
    year: Option<i32>,
) -> UseCaseResult<RunSummary> {
    actor.require(Permission::RunMonitoring)?;
    let region = region_of(actor, region)?;
    let as_of = as_of.unwrap_or_else(|| app.today());
    let years = years_of(as_of, year)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // Two runs over the same alerts would insert the same keys.
    tx.lock(store::MONITORING_LOCK).await?;
    let setting = Setting {
        sets: Arc::new(store::params_sets(&mut tx).await?),
        catalogue: super::catalogue(),
        as_of,
        years,
        now,
    };
    let mut summary = RunSummary {
        region: region.clone(),
        as_of: Some(as_of),
        years,
        ..RunSummary::default()
    };
    for county in store::counties_under(&mut tx, &region).await? {
        let scope = if region.len() > 6 {
            region.as_str()
        } else {
            county.as_str()
        };
        run_county(&mut tx, &county, scope, &setting, &mut summary).await?;
    }
    summary.statuses = statuses(&mut tx, &region, years).await?;
    audit::append_at(&mut tx, &entry(actor, &summary), now).await?;
    tx.commit().await?;
    Ok(summary)
}

async fn run_county(
    tx: &mut Tx,
    county: &str,
    region: &str,
    s: &Setting,
    summary: &mut RunSummary,
) -> UseCaseResult<()> {
    let query = InputQuery {
        county,
        region,
        years: s.years,
        as_of: s.as_of,
    };
    let started = std::time::Instant::now();
    // The rules decide on each person-year's sums, so the county is read
    // summed; only the alerted households are read again claim by claim,
    // for the explanations (which name the claims).
    let (input, claims) = store::household_sums(tx, &query).await?;
    summary.households += input.len() as u64;
    summary.claims += claims;
    let read = started.elapsed();
    let (summed, input, _) = evaluate_off_thread(input, s, None).await?;
    let evaluated = explained(tx, &query, &input, summed, s).await?;
    let evaluated_at = started.elapsed();
    let stored = in_scope(
        store::alerts_of_county(tx, county, county, s.years).await?,
        region,
        &evaluated,
    );
    let stored_at = started.elapsed();
    write_changes(tx, evaluated, stored, s.now, summary).await?;
    // Where the time goes, per phase (counts only, no personal data).
    tracing::info!(
        county,
        read_ms = read.as_millis() as u64,
        evaluate_ms = (evaluated_at - read).as_millis() as u64,
        stored_ms = (stored_at - evaluated_at).as_millis() as u64,
        write_ms = (started.elapsed() - stored_at).as_millis() as u64,
        "monitoring county evaluated"
    );
    Ok(())
}

/// The alerts of the households alerted on the sums, evaluated again on
/// their claims so that each explanation names its claims.
pub(crate) async fn explained(
    tx: &mut Tx,
    query: &InputQuery<'_>,
    input: &Households,
    summed: Vec<AlertRow>,
    s: &Setting,
) -> UseCaseResult<Vec<AlertRow>> {
    let wanted: std::collections::HashSet<&str> =
        summed.iter().map(|r| r.household_no.as_str()).collect();
    // Ascending, as the batch's households are.
    let alerted: Vec<usize> = (0..input.len())
        .filter(|&h| wanted.contains(input.household_no(h)))
        .collect();
    if alerted.is_empty() {
        return Ok(Vec::new());
    }
    let exact = store::with_claims(tx, query, input, &alerted).await?;
    Ok(evaluate_off_thread(exact, s, None).await?.0)
}

/// Evaluates `input` on a blocking thread (see [`evaluate`]); gives the
/// input and the flags back.
pub(crate) async fn evaluate_off_thread(
    input: Households,
    s: &Setting,
    mut wanted: Option<Vec<bool>>,
) -> UseCaseResult<(Vec<AlertRow>, Households, Option<Vec<bool>>)> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || {
        let rows = evaluate(&input, &s, wanted.as_mut())?;
        Ok((rows, input, wanted))
    })
    .await
    .map_err(|e| UseCaseError::Invalid(format!("监测评估中断：{e}")))?
}

/// Reconciles the alerts evaluated now with the stored ones of the same
/// household-years (`reconcile`, the §4 lifecycle) and writes the
/// result, adding its transitions to `summary`. The batch run and the
/// evaluation of an import's households both end here.
pub(crate) async fn write_changes(
    tx: &mut Tx,
    evaluated: Vec<AlertRow>,
    stored: Vec<AlertRow>,
    now: DateTime<Utc>,
    summary: &mut RunSummary,
) -> UseCaseResult<()> {
    let changes = reconcile(evaluated, stored, now);
    store::insert_alerts(tx, &changes.inserts).await?;
    for row in &changes.updates {
        store::update_alert(tx, row).await?;
    }
    for (rule, c) in changes.counts {
        let total = summary.rules.entry(rule).or_default();
        total.raised += c.raised;
        total.reopened += c.reopened;
        total.updated += c.updated;
        total.unchanged += c.unchanged;
        total.lapsed += c.lapsed;
    }
    Ok(())
}

/// The stored alerts a run over `region` answers for: those of its
/// villages, and those of the households it evaluated wherever they were
/// stored (a household that moved in keeps its key, so its alert is
/// updated, not inserted twice).
fn in_scope(stored: Vec<AlertRow>, region: &str, evaluated: &[AlertRow]) -> Vec<AlertRow> {
    if region.len() <= 6 {
        return stored;
    }
    let households: std::collections::HashSet<&str> =
        evaluated.iter().map(|r| r.household_no.as_str()).collect();
    stored
        .into_iter()
        .filter(|r| {
            r.village_code.starts_with(region) || households.contains(r.household_no.as_str())
        })
        .collect()
}

/// The alerts of a county's batch for each year, as rows to store.
/// With `wanted` (one flag per household), only the households flagged
/// are kept, and the flag of one without a parameter set in force is
/// cleared (it is passed over); without it, every household is kept and
/// one without a set refuses the whole evaluation (choice 33).
pub(crate) fn evaluate(
    input: &Households,
    s: &Setting,
    mut wanted: Option<&mut Vec<bool>>,
) -> UseCaseResult<Vec<AlertRow>> {
    let params = params_of(input, &s.sets, s.as_of, wanted.as_deref_mut())?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut rows = Vec::new();
    for year in s.years.0..=s.years.1 {
        let ctx = Context {
            year,
            as_of: s.as_of,
            catalogue: &s.catalogue,
        };
        for alert in evaluate_batch(input, &ctx, threads, |h| params[h]) {
            let h = alert.household as usize;
            if wanted.as_deref().is_some_and(|w| !w[h]) {
                continue;
            }
            rows.push(alert_row(input, &alert, &ctx, params[h], s.now)?);
        }
    }
    Ok(rows)
}

/// The set in force for each household on `as_of`, by its village code.
/// A household without one refuses the evaluation, unless `wanted` is
/// given: then it is no longer wanted (and evaluated under any set, its
/// alerts dropped).
fn params_of<'a>(
    input: &Households,
    sets: &'a [MonitoringParams],
    as_of: NaiveDate,
    mut wanted: Option<&mut Vec<bool>>,
) -> UseCaseResult<Vec<&'a MonitoringParams>> {
    let mut out: Vec<&MonitoringParams> = Vec::with_capacity(input.len());
    for h in 0..input.len() {
        let village = input.household(h).village;
        let code = village.as_str();
        match (
            select(sets, code, as_of),
            wanted.as_deref_mut(),
            sets.first(),
        ) {
            (Some(p), _, _) => out.push(p),
            (None, Some(w), Some(any)) => {
                w[h] = false;
                out.push(any);
            }
            _ => {
                return Err(UseCaseError::Invalid(format!(
                    "没有对地区 {code} 在 {as_of} 生效的监测参数：请先用 jianfu monitor params add 添加"
                )));
            }
        }
    }
    Ok(out)
}

/// One evaluated alert as a stored row: open, holding, raised now.
fn alert_row(
    input: &Households,
    a: &Alert,
    ctx: &Context,
    p: &MonitoringParams,
    now: DateTime<Utc>,
) -> UseCaseResult<AlertRow> {
    let e = explain(input, a, ctx, p);
    let mut json = serde_json::to_value(&e)
        .map_err(|err| UseCaseError::Invalid(format!("预警说明无法序列化：{err}")))?;
    // The date is a column of its own: the structure compares equal
    // between runs on different days when nothing else changed.
    if let Some(obj) = json.as_object_mut() {
        obj.remove("as_of");
    }
    Ok(AlertRow {
        county_code: e.county_code.clone(),
        household_no: e.household_no.clone(),
        year: i16::try_from(a.year).unwrap_or(i16::MAX),
        rule: a.rule.code().to_string(),
        village_code: input
            .household(a.household as usize)
            .village
            .as_str()
            .to_string(),
        status: AlertStatus::Open.code().to_string(),
        holds: true,
        out_of_pocket: a.out_of_pocket.fen(),
        threshold: a.threshold.map(|m| m.fen()),
        income_per_capita: a.income_per_capita.map(|m| m.fen()),
        size: i64::from(a.size),
        candidate: a.candidate,
        category: a.category.map(|c| c.code().to_string()),
        params_name: p.name.clone(),
        as_of: ctx.as_of,
        raised_at: now,
        updated_at: now,
        // One line: a claim number with a line break must not split it.
        explanation: render(&e, jianfu_monitoring::Lang::Zh).replace(['\n', '\r'], " "),
        explanation_json: json.to_string(),
    })
}

async fn statuses(
    tx: &mut Tx,
    region: &str,
    years: (i32, i32),
) -> UseCaseResult<BTreeMap<String, u64>> {
    let counts = store::status_counts(tx, region, years).await?;
    Ok(counts
        .into_iter()
        .map(|(status, n)| (status, u64::try_from(n).unwrap_or(0)))
        .collect())
}

fn entry(actor: &Actor, s: &RunSummary) -> jianfu_store::AuditEntry {
    let mut e = actor.entry("monitoring.run", &s.region);
    let rules: Vec<String> = s
        .rules
        .iter()
        .map(|(r, c)| {
            format!(
                "{r}: raised={} reopened={} updated={} unchanged={} lapsed={}",
                c.raised, c.reopened, c.updated, c.unchanged, c.lapsed
            )
        })
        .collect();
    e.detail = Some(format!(
        "as_of={} years={}-{} households={} claims={} {}",
        s.as_of.map(|d| d.to_string()).unwrap_or_default(),
        s.years.0,
        s.years.1,
        s.households,
        s.claims,
        rules.join("; ")
    ));
    e
}
