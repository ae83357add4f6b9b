//! `simulate`: what an alternative monitoring parameter set would change
//! (阈值测算) — the households each rule (R2, R3, R5) and the candidate
//! recommendation flag under the sets in force and under the alternative,
//! per township and village, and the households that change.
//!
//! The alternative is applied as if it were added with `monitor params
//! add`: it is checked the same way (strict reading, region inside the
//! jurisdiction) and appended to the stored sets, so each household gets
//! the set `select` would choose then. The inputs and the evaluation are
//! `run`'s own (`household_inputs`, `run::evaluate`); nothing is written
//! but the audit entry. The report is written by `simulate_report`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use jianfu_domain::{DiseaseCatalogue, Permission};
use jianfu_monitoring::{MonitoringParams, select};
use jianfu_store::monitoring::{self as store, AlertRow, InputQuery};
use jianfu_store::{Tx, audit};

use super::run::{Setting as RunSetting, evaluate};
use super::{region_of, years_of};
use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// What is counted, in this order: the three alerting rules and the
/// candidate recommendation (拟纳入建议).
pub const MEASURES: [&str; 4] = ["R2", "R3", "R5", "candidate"];

/// The Chinese label of a measure of [`MEASURES`].
pub fn measure_label(measure: &str) -> &'static str {
    match measure {
        "R2" => "R2 相对负担",
        "R3" => "R3 绝对负担",
        "R5" => "R5 新发重大疾病",
        _ => "拟纳入建议",
    }
}

/// Flagged households of one year in one village (or township, or the
/// whole region): under the sets in force and under the alternative, by
/// measure in the order of [`MEASURES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaCounts {
    /// The year evaluated.
    pub year: i32,
    /// Nine-digit township code.
    pub township: String,
    /// Twelve-digit village code; empty on a township's total.
    pub village: String,
    /// Households flagged under the sets in force.
    pub current: [u64; 4],
    /// Households flagged under the alternative.
    pub alternative: [u64; 4],
}

/// A household-year that one measure flags under one side only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The year.
    pub year: i32,
    /// One of [`MEASURES`].
    pub measure: &'static str,
    /// True when the alternative adds it; false when it removes it.
    pub added: bool,
    /// Six-digit county code.
    pub county_code: String,
    /// 户编号, whole: callers mask it (`jianfu_domain::mask_middle`).
    pub household_no: String,
    /// The household's village.
    pub village_code: String,
    /// The year's out-of-pocket total (fen), as evaluated where it holds.
    pub out_of_pocket: i64,
    /// The threshold (fen) where it holds (R2/R3), else `None`.
    pub threshold: Option<i64>,
    /// Per-capita income (fen), when known.
    pub income_per_capita: Option<i64>,
    /// The explanation (one line, Chinese) of the side where it holds.
    pub explanation: String,
}

/// What a simulation found.
#[derive(Debug, Clone, Default)]
pub struct ThresholdSimulation {
    /// The region simulated (a code prefix).
    pub region: String,
    /// The evaluation date.
    pub as_of: Option<NaiveDate>,
    /// First and last year evaluated.
    pub years: (i32, i32),
    /// The alternative set's name.
    pub alternative: String,
    /// Households evaluated.
    pub households: u64,
    /// Households to which the alternative applies (the others keep the
    /// set in force, e.g. under a longer regional prefix).
    pub households_alternative: u64,
    /// Per year and village, sorted by year, township, village.
    pub villages: Vec<AreaCounts>,
    /// The household-years that change, sorted by year, measure, added
    /// first, county, household.
    pub changes: Vec<Change>,
}

impl ThresholdSimulation {
    /// Per year and township (`village` empty), sorted.
    pub fn townships(&self) -> Vec<AreaCounts> {
        let mut by: BTreeMap<(i32, String), AreaCounts> = BTreeMap::new();
        for v in &self.villages {
            let t = by
                .entry((v.year, v.township.clone()))
                .or_insert_with(|| AreaCounts {
                    year: v.year,
                    township: v.township.clone(),
                    ..AreaCounts::default()
                });
            add_counts(t, v);
        }
        by.into_values().collect()
    }

    /// Per year over the whole region (`township` and `village` empty).
    pub fn totals(&self) -> Vec<AreaCounts> {
        let mut by: BTreeMap<i32, AreaCounts> = BTreeMap::new();
        for v in &self.villages {
            let t = by.entry(v.year).or_insert_with(|| AreaCounts {
                year: v.year,
                ..AreaCounts::default()
            });
            add_counts(t, v);
        }
        by.into_values().collect()
    }
}

fn add_counts(total: &mut AreaCounts, v: &AreaCounts) {
    for i in 0..MEASURES.len() {
        total.current[i] += v.current[i];
        total.alternative[i] += v.alternative[i];
    }
}

/// Evaluates `region` (default: the actor's jurisdiction) as of `as_of`
/// (default: today) for `year` (default: the year of `as_of` and the year
/// before) under the sets in force and under `alternative` (a parameter
/// file's text). Needs `RunSimulation` and `ViewMonitoring`; writes only
/// its audit entry (`monitoring.simulate`), in the transaction that read.
pub async fn simulate(
    app: &App,
    actor: &Actor,
    region: Option<&str>,
    as_of: Option<NaiveDate>,
    year: Option<i32>,
    alternative: &str,
) -> UseCaseResult<ThresholdSimulation> {
    actor.require(Permission::RunSimulation)?;
    actor.require(Permission::ViewMonitoring)?;
    let region = region_of(actor, region)?;
    let as_of = as_of.unwrap_or_else(|| app.today());
    let years = years_of(as_of, year)?;
    let alt = checked_alternative(actor, alternative, as_of)?;
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    let current = store::params_sets(&mut tx).await?;
    let mut with_alt = current.clone();
    with_alt.push(alt.clone());
    let setting = Setting {
        sides: Arc::new([current, with_alt]),
        catalogue: Arc::new(DiseaseCatalogue::built_in()),
        as_of,
        years,
        now,
    };
    let mut tally = Tally::default();
    let mut sim = ThresholdSimulation {
        region: region.clone(),
        as_of: Some(as_of),
        years,
        alternative: alt.name.clone(),
        ..ThresholdSimulation::default()
    };
    for county in store::counties_under(&mut tx, &region).await? {
        let scope = if region.len() > 6 { &region } else { &county };
        simulate_county(&mut tx, &county, scope, &setting, &mut sim, &mut tally).await?;
    }
    tally.finish(&mut sim);
    audit::append_at(&mut tx, &entry(actor, &sim), now).await?;
    tx.commit().await?;
    Ok(sim)
}

/// The alternative read strictly, inside the jurisdiction, in force on
/// the evaluation date (else it would change nothing, silently).
fn checked_alternative(
    actor: &Actor,
    text: &str,
    as_of: NaiveDate,
) -> UseCaseResult<MonitoringParams> {
    let alt = store::check_params_source(text).map_err(|e| UseCaseError::Invalid(e.to_string()))?;
    if !actor.scope.contains_str(&alt.region) {
        return Err(UseCaseError::Invalid(format!(
            "备选监测参数的地区“{}”不在您的管辖范围 {} 内",
            alt.region, actor.scope
        )));
    }
    let to = alt.valid_to.unwrap_or(NaiveDate::MAX);
    if as_of < alt.valid_from || as_of > to {
        return Err(UseCaseError::Invalid(format!(
            "备选监测参数“{}”在评估日期 {as_of} 不生效（valid_from = {}）",
            alt.name, alt.valid_from
        )));
    }
    Ok(alt)
}

/// Both sides' parameter sets and what else an evaluation needs.
struct Setting {
    /// The stored sets, and the stored sets with the alternative last.
    sides: Arc<[Vec<MonitoringParams>; 2]>,
    catalogue: Arc<DiseaseCatalogue>,
    as_of: NaiveDate,
    years: (i32, i32),
    now: chrono::DateTime<chrono::Utc>,
}

async fn simulate_county(
    tx: &mut Tx,
    county: &str,
    region: &str,
    s: &Setting,
    sim: &mut ThresholdSimulation,
    tally: &mut Tally,
) -> UseCaseResult<()> {
    let query = InputQuery {
        county,
        region,
        years: s.years,
        as_of: s.as_of,
    };
    let input = store::household_inputs(tx, &query).await?;
    sim.households += input.len() as u64;
    let (sides, catalogue) = (Arc::clone(&s.sides), Arc::clone(&s.catalogue));
    let (as_of, years, now) = (s.as_of, s.years, s.now);
    let (rows, applied) = tokio::task::spawn_blocking(move || {
        let alt = sides[1].last().expect("the alternative is pushed");
        let applied = (0..input.len())
            .filter(|&h| {
                let village = input.household(h).village;
                select(&sides[1], village.as_str(), as_of).is_some_and(|p| std::ptr::eq(p, alt))
            })
            .count() as u64;
        let side = |i: usize| RunSetting {
            sets: Arc::new(sides[i].clone()),
            catalogue: Arc::clone(&catalogue),
            as_of,
            years,
            now,
        };
        // Every household kept: one without a set refuses, as a run does.
        let current = evaluate(&input, &side(0), None)?;
        let alternative = evaluate(&input, &side(1), None)?;
        Ok::<_, UseCaseError>(([current, alternative], applied))
    })
    .await
    .map_err(|e| UseCaseError::Invalid(format!("监测测算中断：{e}")))??;
    sim.households_alternative += applied;
    let [current, alternative] = rows;
    tally.add(current, 0);
    tally.add(alternative, 1);
    Ok(())
}

/// The rows of one household-year on one side, by rule.
#[derive(Default)]
struct Flags {
    village: String,
    rows: [[Option<AlertRow>; 3]; 2],
}

impl Flags {
    /// The row that makes `measure` hold on `side`, if it holds.
    fn holding(&self, side: usize, measure: usize) -> Option<&AlertRow> {
        let rows = &self.rows[side];
        match measure {
            3 => rows.iter().flatten().find(|r| r.candidate),
            m => rows[m].as_ref(),
        }
    }
}

/// Household-years seen so far, by (year, county, household).
#[derive(Default)]
struct Tally {
    seen: BTreeMap<(i32, String, String), Flags>,
}

impl Tally {
    fn add(&mut self, rows: Vec<AlertRow>, side: usize) {
        for row in rows {
            let Some(rule) = MEASURES[..3].iter().position(|m| *m == row.rule) else {
                continue;
            };
            let key = (
                i32::from(row.year),
                row.county_code.clone(),
                row.household_no.clone(),
            );
            let flags = self.seen.entry(key).or_default();
            flags.village.clone_from(&row.village_code);
            flags.rows[side][rule] = Some(row);
        }
    }

    /// Counts per village and the changes, into `sim`.
    fn finish(self, sim: &mut ThresholdSimulation) {
        let mut villages: BTreeMap<(i32, String), AreaCounts> = BTreeMap::new();
        for ((year, _, _), flags) in &self.seen {
            let v = villages
                .entry((*year, flags.village.clone()))
                .or_insert_with(|| AreaCounts {
                    year: *year,
                    township: flags.village.get(..9).unwrap_or_default().to_string(),
                    village: flags.village.clone(),
                    ..AreaCounts::default()
                });
            for m in 0..MEASURES.len() {
                v.current[m] += u64::from(flags.holding(0, m).is_some());
                v.alternative[m] += u64::from(flags.holding(1, m).is_some());
            }
        }
        sim.villages = villages.into_values().collect();
        for ((year, _, _), flags) in &self.seen {
            for (m, measure) in MEASURES.iter().enumerate() {
                let (cur, alt) = (flags.holding(0, m), flags.holding(1, m));
                if let Some((row, added)) = match (cur, alt) {
                    (None, Some(r)) => Some((r, true)),
                    (Some(r), None) => Some((r, false)),
                    _ => None,
                } {
                    sim.changes.push(change(*year, measure, added, row));
                }
            }
        }
        sim.changes.sort_by(|a, b| {
            (a.year, a.measure, !a.added, &a.county_code, &a.household_no).cmp(&(
                b.year,
                b.measure,
                !b.added,
                &b.county_code,
                &b.household_no,
            ))
        });
    }
}

fn change(year: i32, measure: &'static str, added: bool, row: &AlertRow) -> Change {
    Change {
        year,
        measure,
        added,
        county_code: row.county_code.clone(),
        household_no: row.household_no.clone(),
        village_code: row.village_code.clone(),
        out_of_pocket: row.out_of_pocket,
        threshold: row.threshold,
        income_per_capita: row.income_per_capita,
        explanation: row.explanation.clone(),
    }
}

fn entry(actor: &Actor, s: &ThresholdSimulation) -> jianfu_store::AuditEntry {
    let mut e = actor.entry("monitoring.simulate", &s.region);
    e.target_kind = Some("monitoring_params".into());
    e.target_key = Some(s.alternative.clone());
    let totals: Vec<String> = s
        .totals()
        .iter()
        .map(|t| {
            let pairs: Vec<String> = MEASURES
                .iter()
                .enumerate()
                .map(|(i, m)| format!("{m}={}→{}", t.current[i], t.alternative[i]))
                .collect();
            format!("{}: {}", t.year, pairs.join(" "))
        })
        .collect();
    e.detail = Some(format!(
        "as_of={} households={} alternative_applies={} changes={} {}",
        s.as_of.map(|d| d.to_string()).unwrap_or_default(),
        s.households,
        s.households_alternative,
        s.changes.len(),
        totals.join("; ")
    ));
    e
}
