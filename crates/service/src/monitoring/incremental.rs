//! Incremental evaluation: the households a write touched (an import of
//! persons, diagnoses or claims, a parameter set of settlement that
//! re-settled claims) are evaluated again inside the write's own
//! transaction, before it commits, and reconciled with their stored
//! alerts through the same code as the batch run (`run::evaluate`,
//! `run::write_changes`, hence `reconcile`). So after every committed
//! write the stored alerts that hold are what `monitor run` as of the
//! same day would leave (`monitoring.md` §4).
//!
//! The evaluation date is the App's today in China time, and the years
//! are those a run on that day evaluates by default (that year and the
//! one before). A write with nothing to evaluate, or when no monitoring
//! parameter set is in force on that day, does nothing; a household
//! without a set in force is passed over (its stored alerts stay as they
//! are), where the batch run would refuse the whole run.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_monitoring::Households;
use jianfu_store::Tx;
use jianfu_store::monitoring::{self as store, AlertRow, CountyTouched, InputQuery, Touched};

use super::run::{RunSummary, Setting, evaluate_off_thread, explained, write_changes};
use super::years_of;
use crate::error::UseCaseResult;

/// Up to this many touched households and persons of a county are read
/// by key; more are read with the whole county (one range query per
/// table), which is cheaper than long key lists past this size.
const BY_KEY_AT_MOST: usize = 2_000;

/// Evaluates the households `touched` names as of `today` in `tx`, and
/// reconciles their stored alerts; `None` when there was nothing to do.
pub async fn evaluate_touched(
    tx: &mut Tx,
    touched: Touched,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> UseCaseResult<Option<RunSummary>> {
    if touched.is_empty() {
        return Ok(None);
    }
    let sets = store::params_sets(tx).await?;
    let in_force = |p: &&jianfu_monitoring::MonitoringParams| {
        p.valid_from <= today && p.valid_to.is_none_or(|to| today <= to)
    };
    if !sets.iter().any(|p| in_force(&p)) {
        return Ok(None);
    }
    // Two writers over the same alerts would insert the same keys.
    tx.lock(store::MONITORING_LOCK).await?;
    let years = years_of(today, None)?;
    let setting = Setting {
        sets: Arc::new(sets),
        catalogue: super::catalogue(),
        as_of: today,
        years,
        now,
    };
    let mut summary = RunSummary {
        as_of: Some(today),
        years,
        ..RunSummary::default()
    };
    for (county, part) in touched.by_county() {
        evaluate_part(tx, &county, part, &setting, &mut summary).await?;
    }
    Ok(Some(summary))
}

/// Evaluates the touched households of one county and reconciles them.
async fn evaluate_part(
    tx: &mut Tx,
    county: &str,
    part: CountyTouched,
    s: &Setting,
    summary: &mut RunSummary,
) -> UseCaseResult<()> {
    let part_len = part.len();
    let (input, wanted) = if part_len <= BY_KEY_AT_MOST {
        let numbers = numbers_of(tx, county, part).await?;
        let input = store::household_inputs_of(tx, county, &numbers, s.years, s.as_of).await?;
        let wanted = vec![true; input.len()];
        (input, wanted)
    } else {
        let query = InputQuery {
            county,
            region: county,
            years: s.years,
            as_of: s.as_of,
        };
        // Summed by the database; the alerted households are read again
        // claim by claim below, for their explanations.
        let (input, _) = store::household_claim_sums(tx, &query).await?;
        let wanted = touched_in(&input, &part);
        (input, wanted)
    };
    if !wanted.contains(&true) {
        return Ok(());
    }
    let summed = part_len > BY_KEY_AT_MOST;
    let (evaluated, input, wanted) = evaluate_off_thread(input, s, Some(wanted)).await?;
    let evaluated = if summed {
        let query = InputQuery {
            county,
            region: county,
            years: s.years,
            as_of: s.as_of,
        };
        explained(tx, &query, &input, evaluated, s).await?
    } else {
        evaluated
    };
    // `evaluate` cleared the flags of households without a set in force:
    // their stored alerts are left as they are.
    let numbers = wanted_numbers(&input, &wanted.unwrap_or_default());
    summary.households += numbers.len() as u64;
    summary.claims += input.claim_count() as u64;
    let stored: Vec<AlertRow> = store::alerts_of_households(tx, county, &numbers, s.years)
        .await?
        .into_iter()
        .filter(|r| numbers.binary_search(&r.household_no).is_ok())
        .collect();
    write_changes(tx, evaluated, stored, s.now, summary).await
}

/// The 户编号 of the households named, and of those of the persons named.
async fn numbers_of(tx: &mut Tx, county: &str, part: CountyTouched) -> UseCaseResult<Vec<String>> {
    let mut numbers = store::households_of_persons(tx, county, &part.persons).await?;
    numbers.extend(part.households);
    numbers.sort_unstable();
    numbers.dedup();
    Ok(numbers)
}

/// One flag per household of a whole county's batch: named, or with a
/// member named.
fn touched_in(input: &Households, part: &CountyTouched) -> Vec<bool> {
    (0..input.len())
        .map(|h| {
            part.households.contains(input.household_no(h))
                || input
                    .persons_of(h)
                    .any(|p| part.persons.contains(&input.person(p).id.packed()))
        })
        .collect()
}

/// The 户编号 of the households flagged, in byte order.
fn wanted_numbers(input: &Households, wanted: &[bool]) -> Vec<String> {
    let mut numbers: Vec<String> = (0..input.len())
        .filter(|&h| wanted.get(h).copied().unwrap_or(false))
        .map(|h| input.household_no(h).to_string())
        .collect();
    numbers.sort_unstable();
    numbers
}
