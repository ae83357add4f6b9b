//! Stored settlement: keeps every stored claim's tier amounts equal to a
//! fresh batch settlement (`jianfu_policy::settle_batch`) of the claims
//! that stand, as claims, reversals and policy versions arrive.
//!
//! Each person-year keeps the engine's accumulators after its last
//! standing claim (`person_years`). A new claim that settles after that
//! claim is settled from the kept accumulators alone ("append"). A claim
//! that settles earlier (a late claim), a reversal, or a new policy
//! version re-settles the whole person-year from its first claim
//! ("full"): its standing claims are read back, merged with the new ones,
//! ordered by (`settled_at`, `input_seq`) and run through the engine; each
//! stored claim whose amounts change is rewritten and, when it was
//! committed by an earlier batch, gets a `claim_adjustments` row.
//!
//! Reads and writes are per chunk: one keyed query per (county, year) for
//! the accumulators and for the claims of re-settled person-years, bulk
//! deletes and inserts for the results. The accumulators stay in memory
//! during a batch and are written once at its end (or when many have
//! piled up).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{ClaimKind, FacilityLevel, GroupSet, IdCardNo, Money};
use jianfu_policy::{ClaimInput, Tiers, YearState};
use sqlx::AssertSqlSafe;

use crate::policies::PolicySet;
use crate::sql::{Tx, Value};
use crate::{Result, StoreError};

/// Person-year accumulators kept in memory before they are written.
const MAX_YEARS_IN_MEMORY: usize = 200_000;

/// A person-year: county code (as a number), packed ID number, year.
pub(crate) type PyKey = (u32, u64, i16);

/// Why a stored claim's amounts changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A claim settled earlier than claims already stored arrived.
    LateClaim,
    /// A claim of the person-year was reversed.
    Reversal,
    /// A new policy version governs the claim.
    PolicyChange,
    /// A settlement rule of the engine changed (a one-off upgrade).
    RuleChange,
}

impl Reason {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Reason::LateClaim => "late_claim",
            Reason::Reversal => "reversal",
            Reason::PolicyChange => "policy_change",
            Reason::RuleChange => "rule_change",
        }
    }
}

/// Columns of `claims`, in [`ClaimLine`] order.
pub(crate) const CLAIM_COLUMNS: &[&str] = &[
    "county_code",
    "claim_id",
    "person_id",
    "year",
    "groups",
    "groups_from_registry",
    "kind",
    "level",
    "county_internal",
    "settled_at",
    "input_seq",
    "total",
    "policy_scope",
    "reverses",
    "reversed_by",
    "icd10",
    "facility_code",
    "admitted_on",
    "pay_later",
    "one_stop",
    "policy_id",
    "basic",
    "critical",
    "assistance",
    "supplementary",
    "out_of_pocket",
    "created_batch",
    "settled_batch",
];

/// A whole row of `claims`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ClaimLine {
    pub county_code: String,
    pub claim_id: String,
    pub person_id: String,
    pub year: i16,
    pub groups: String,
    pub groups_from_registry: bool,
    pub kind: String,
    pub level: String,
    pub county_internal: bool,
    pub settled_at: NaiveDateTime,
    pub input_seq: i64,
    pub total: i64,
    pub policy_scope: i64,
    pub reverses: Option<String>,
    pub reversed_by: Option<String>,
    pub icd10: Option<String>,
    pub facility_code: Option<String>,
    pub admitted_on: Option<NaiveDate>,
    pub pay_later: Option<bool>,
    pub one_stop: Option<bool>,
    pub policy_id: Option<i64>,
    pub basic: Option<i64>,
    pub critical: Option<i64>,
    pub assistance: Option<i64>,
    pub supplementary: Option<i64>,
    pub out_of_pocket: Option<i64>,
    pub created_batch: i64,
    pub settled_batch: i64,
}

impl ClaimLine {
    /// Takes part in settlement: neither a reversal nor reversed.
    pub fn is_standing(&self) -> bool {
        self.reverses.is_none() && self.reversed_by.is_none()
    }

    /// Settlement order within the person-year.
    pub fn order(&self) -> (NaiveDateTime, i64) {
        (self.settled_at, self.input_seq)
    }

    pub fn py_key(&self) -> Result<PyKey> {
        let county = self
            .county_code
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("县级代码“{}”", self.county_code)))?;
        let person = IdCardNo::parse(&self.person_id)
            .map_err(|_| StoreError::Corrupt(format!("结算单 {} 的身份证号", self.claim_id)))?;
        Ok((county, person.packed(), self.year))
    }

    pub fn input(&self) -> Result<ClaimInput> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("结算单 {} 的{what}", self.claim_id));
        Ok(ClaimInput {
            kind: ClaimKind::from_code(&self.kind).ok_or_else(|| corrupt("就诊类型"))?,
            level: FacilityLevel::from_code(&self.level).ok_or_else(|| corrupt("机构级别"))?,
            county_internal: self.county_internal,
            groups: GroupSet::parse_list(&self.groups).map_err(|_| corrupt("人员类别"))?,
            total: Money::from_fen(self.total),
            policy_scope: Money::from_fen(self.policy_scope),
        })
    }

    pub fn tiers(&self) -> Option<Tiers> {
        Some(Tiers {
            basic: Money::from_fen(self.basic?),
            critical: Money::from_fen(self.critical?),
            assistance: Money::from_fen(self.assistance?),
            supplementary: Money::from_fen(self.supplementary?),
            out_of_pocket: Money::from_fen(self.out_of_pocket?),
        })
    }

    /// Records a settlement (`Some`) or its absence (`None`).
    pub fn set_settlement(&mut self, settled: Option<(i64, Tiers)>, batch: i64) {
        let (policy, t) = match settled {
            Some((p, t)) => (Some(p), Some(t)),
            None => (None, None),
        };
        self.policy_id = policy;
        self.basic = t.map(|t| t.basic.fen());
        self.critical = t.map(|t| t.critical.fen());
        self.assistance = t.map(|t| t.assistance.fen());
        self.supplementary = t.map(|t| t.supplementary.fen());
        self.out_of_pocket = t.map(|t| t.out_of_pocket.fen());
        self.settled_batch = batch;
    }

    pub fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(&self.county_code),
            Value::Text(&self.claim_id),
            Value::Text(&self.person_id),
            Value::Int(i64::from(self.year)),
            Value::Text(&self.groups),
            Value::Bool(self.groups_from_registry),
            Value::Text(&self.kind),
            Value::Text(&self.level),
            Value::Bool(self.county_internal),
            Value::LocalTime(self.settled_at),
            Value::Int(self.input_seq),
            Value::Int(self.total),
            Value::Int(self.policy_scope),
            self.reverses.as_deref().into(),
            self.reversed_by.as_deref().into(),
            self.icd10.as_deref().into(),
            self.facility_code.as_deref().into(),
            self.admitted_on.into(),
            self.pay_later.into(),
            self.one_stop.into(),
            self.policy_id.into(),
            self.basic.into(),
            self.critical.into(),
            self.assistance.into(),
            self.supplementary.into(),
            self.out_of_pocket.into(),
            Value::Int(self.created_batch),
            Value::Int(self.settled_batch),
        ]
    }
}

/// Year sums of the standing claims of a person-year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub claims: i64,
    pub total: i64,
    pub policy_scope: i64,
    pub basic: i64,
    pub critical: i64,
    pub assistance: i64,
    pub supplementary: i64,
    pub out_of_pocket: i64,
}

impl Sums {
    fn add(&mut self, line: &ClaimLine, t: &Tiers) {
        self.claims += 1;
        self.total += line.total;
        self.policy_scope += line.policy_scope;
        self.basic += t.basic.fen();
        self.critical += t.critical.fen();
        self.assistance += t.assistance.fen();
        self.supplementary += t.supplementary.fen();
        self.out_of_pocket += t.out_of_pocket.fen();
    }
}

/// A person-year's accumulators and sums.
#[derive(Debug, Clone, Default)]
pub(crate) struct PyState {
    pub state: YearState,
    /// Order key of the last standing claim.
    pub last: Option<(NaiveDateTime, i64)>,
    pub sums: Sums,
    /// A row exists in `person_years` (it must be replaced, not added).
    pub in_db: bool,
    /// Changed since read or written.
    pub dirty: bool,
}

#[derive(sqlx::FromRow)]
struct PyRow {
    person_id: String,
    admissions: i64,
    basic_used_inpatient: i64,
    basic_used_chronic: i64,
    basic_used_outpatient: i64,
    critical_base: i64,
    assistance_base: i64,
    supplementary_base: i64,
    last_settled_at: Option<NaiveDateTime>,
    last_input_seq: Option<i64>,
    claims: i64,
    total: i64,
    policy_scope: i64,
    basic: i64,
    critical: i64,
    assistance: i64,
    supplementary: i64,
    out_of_pocket: i64,
}

impl PyRow {
    fn state(self) -> PyState {
        let m = Money::from_fen;
        PyState {
            state: YearState {
                admissions: u32::try_from(self.admissions).unwrap_or(u32::MAX),
                basic_used: [
                    m(self.basic_used_inpatient),
                    m(self.basic_used_chronic),
                    m(self.basic_used_outpatient),
                ],
                critical_base: m(self.critical_base),
                assistance_base: m(self.assistance_base),
                supplementary_base: m(self.supplementary_base),
            },
            last: self.last_settled_at.zip(self.last_input_seq),
            sums: Sums {
                claims: self.claims,
                total: self.total,
                policy_scope: self.policy_scope,
                basic: self.basic,
                critical: self.critical,
                assistance: self.assistance,
                supplementary: self.supplementary,
                out_of_pocket: self.out_of_pocket,
            },
            in_db: true,
            dirty: false,
        }
    }
}

const PY_COLUMNS: &[&str] = &[
    "county_code",
    "person_id",
    "year",
    "admissions",
    "basic_used_inpatient",
    "basic_used_chronic",
    "basic_used_outpatient",
    "critical_base",
    "assistance_base",
    "supplementary_base",
    "last_settled_at",
    "last_input_seq",
    "claims",
    "total",
    "policy_scope",
    "basic",
    "critical",
    "assistance",
    "supplementary",
    "out_of_pocket",
    "updated_batch",
];

const ADJUSTMENT_COLUMNS: &[&str] = &[
    "county_code",
    "batch_id",
    "seq",
    "claim_id",
    "person_id",
    "year",
    "reason",
    "old_basic",
    "old_critical",
    "old_assistance",
    "old_supplementary",
    "old_out_of_pocket",
    "new_basic",
    "new_critical",
    "new_assistance",
    "new_supplementary",
    "new_out_of_pocket",
];

struct Adjustment {
    county_code: String,
    claim_id: String,
    person_id: String,
    year: i16,
    reason: Reason,
    old: Tiers,
    new: Tiers,
}

/// What one chunk brings to settle.
#[derive(Default)]
pub(crate) struct Work {
    /// Rows to insert: new claims (settled here unless reversed) and new
    /// reversals.
    pub new_lines: Vec<ClaimLine>,
    /// Stored claims reversed by this chunk, `reversed_by` already set.
    pub reversed: Vec<ClaimLine>,
    /// Person-years to re-settle whole whatever arrives.
    pub full: HashSet<PyKey>,
    /// Person-years re-settled because of a reversal (the others that
    /// change are late claims or policy changes).
    pub reversal_years: HashSet<PyKey>,
}

/// What settling has changed so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SettleStats {
    pub resettled: u64,
    pub adjustments: u64,
    pub person_years: u64,
}

/// The settlement side of a batch: policies, accumulators in memory,
/// adjustment numbering.
pub(crate) struct Settler {
    pub policies: PolicySet,
    years: HashMap<PyKey, PyState>,
    batch_id: i64,
    adjustment_seq: i64,
    /// The reason for changes outside reversal person-years.
    default_reason: Reason,
    pub stats: SettleStats,
}

fn county_text(county: u32) -> String {
    format!("{county:06}")
}

fn person_text(packed: u64) -> Result<String> {
    IdCardNo::from_packed(packed)
        .map(|id| id.as_str().to_string())
        .ok_or_else(|| StoreError::Corrupt("身份证号".into()))
}

impl Settler {
    pub fn new(policies: PolicySet, batch_id: i64, default_reason: Reason) -> Self {
        Settler {
            policies,
            years: HashMap::new(),
            batch_id,
            adjustment_seq: 0,
            default_reason,
            stats: SettleStats::default(),
        }
    }

    /// Settles one chunk and writes its claims, rewritten claims and
    /// adjustments (the accumulators wait for [`Settler::flush`]).
    pub async fn process(&mut self, tx: &mut Tx, mut work: Work) -> Result<()> {
        let batch = self.batch_id;
        let mut appended: HashMap<PyKey, Vec<usize>> = HashMap::new();
        for (i, line) in work.new_lines.iter().enumerate() {
            if line.is_standing() {
                appended.entry(line.py_key()?).or_default().push(i);
            }
        }
        let mut full = std::mem::take(&mut work.full);
        for r in &work.reversed {
            full.insert(r.py_key()?);
        }
        let touched: HashSet<PyKey> = appended.keys().chain(full.iter()).copied().collect();
        self.load_states(tx, &touched).await?;
        for (key, lines) in &appended {
            let last = self.years.get(key).and_then(|s| s.last);
            if lines
                .iter()
                .any(|&i| last.is_some_and(|l| work.new_lines[i].order() <= l))
            {
                full.insert(*key);
            }
        }

        let skip: HashSet<(&str, &str)> = work
            .reversed
            .iter()
            .map(|r| (r.county_code.as_str(), r.claim_id.as_str()))
            .collect();
        let mut stored = load_standing(tx, &full).await?;
        stored.retain(|l| !skip.contains(&(l.county_code.as_str(), l.claim_id.as_str())));
        let mut stored_by_py: HashMap<PyKey, Vec<usize>> = HashMap::new();
        for (i, l) in stored.iter().enumerate() {
            stored_by_py.entry(l.py_key()?).or_default().push(i);
        }

        let mut rewrite: Vec<usize> = Vec::new();
        let mut adjustments = Vec::new();
        for key in &full {
            let reason = if work.reversal_years.contains(key) {
                Reason::Reversal
            } else {
                self.default_reason
            };
            let mut order: Vec<((NaiveDateTime, i64), bool, usize)> = Vec::new();
            for &i in stored_by_py.get(key).into_iter().flatten() {
                order.push((stored[i].order(), true, i));
            }
            for &i in appended.get(key).into_iter().flatten() {
                order.push((work.new_lines[i].order(), false, i));
            }
            order.sort_unstable();
            let mut st = PyState {
                in_db: self.years.get(key).is_some_and(|s| s.in_db),
                dirty: true,
                ..PyState::default()
            };
            for &(_, is_stored, i) in &order {
                let line = if is_stored {
                    &stored[i]
                } else {
                    &work.new_lines[i]
                };
                let (policy_id, tiers) = self.settle_line(&mut st, line)?;
                if !is_stored {
                    work.new_lines[i].set_settlement(Some((policy_id, tiers)), batch);
                    continue;
                }
                let old = stored[i].tiers();
                if old == Some(tiers) && stored[i].policy_id == Some(policy_id) {
                    continue;
                }
                if old != Some(tiers) {
                    self.stats.resettled += 1;
                    if stored[i].created_batch != batch {
                        adjustments.push(adjustment(&stored[i], reason, old, tiers));
                    }
                }
                stored[i].set_settlement(Some((policy_id, tiers)), batch);
                rewrite.push(i);
            }
            self.years.insert(*key, st);
        }
        for (key, lines) in &mut appended {
            if full.contains(key) {
                continue;
            }
            lines.sort_by_key(|&i| work.new_lines[i].order());
            let mut st = self.years.remove(key).unwrap_or_default();
            for &i in lines.iter() {
                let settled = self.settle_line(&mut st, &work.new_lines[i])?;
                work.new_lines[i].set_settlement(Some(settled), batch);
            }
            st.dirty = true;
            self.years.insert(*key, st);
        }
        for r in &mut work.reversed {
            let old = r.tiers();
            if let Some(old) = old
                && r.created_batch != batch
            {
                adjustments.push(adjustment(r, Reason::Reversal, Some(old), Tiers::default()));
            }
            r.set_settlement(None, batch);
        }

        let mut rewritten: Vec<&ClaimLine> = rewrite.iter().map(|&i| &stored[i]).collect();
        rewritten.extend(work.reversed.iter());
        delete_claims(tx, &rewritten).await?;
        let rows: Vec<Vec<Value>> = work
            .new_lines
            .iter()
            .chain(rewritten.iter().copied())
            .map(ClaimLine::values)
            .collect();
        tx.insert("claims", CLAIM_COLUMNS, &rows).await?;
        self.write_adjustments(tx, adjustments).await?;
        if self.years.len() > MAX_YEARS_IN_MEMORY {
            self.flush(tx).await?;
            self.years.clear();
        }
        Ok(())
    }

    /// Settles one standing claim on a person-year's accumulators.
    fn settle_line(&self, st: &mut PyState, line: &ClaimLine) -> Result<(i64, Tiers)> {
        let policy = self
            .policies
            .choose(&line.county_code, line.settled_at.date())
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "结算单 {} 没有适用的政策参数（县 {}，{}）",
                    line.claim_id,
                    line.county_code,
                    line.settled_at.date()
                ))
            })?;
        let tiers = policy.policy.settle(&mut st.state, &line.input()?);
        st.sums.add(line, &tiers);
        st.last = Some(line.order());
        Ok((policy.id, tiers))
    }

    async fn load_states(&mut self, tx: &mut Tx, keys: &HashSet<PyKey>) -> Result<()> {
        let mut groups: HashMap<(u32, i16), Vec<(u64, String)>> = HashMap::new();
        for &(county, person, year) in keys {
            if !self.years.contains_key(&(county, person, year)) {
                groups
                    .entry((county, year))
                    .or_default()
                    .push((person, person_text(person)?));
            }
        }
        for ((county, year), persons) in groups {
            let county_code = county_text(county);
            let ids: Vec<String> = persons.iter().map(|p| p.1.clone()).collect();
            let rows: Vec<PyRow> = tx
                .all_in(
                    "SELECT person_id, admissions, basic_used_inpatient, basic_used_chronic, \
                 basic_used_outpatient, critical_base, assistance_base, supplementary_base, \
                 last_settled_at, last_input_seq, claims, total, policy_scope, basic, critical, \
                 assistance, supplementary, out_of_pocket FROM person_years \
                 WHERE county_code = $1 AND year = $2 AND person_id",
                    &[Value::Text(&county_code), Value::Int(i64::from(year))],
                    &ids,
                )
                .await?;
            let mut found: HashMap<String, PyRow> =
                rows.into_iter().map(|r| (r.person_id.clone(), r)).collect();
            for (packed, id) in persons {
                let st = found.remove(&id).map(PyRow::state).unwrap_or_default();
                self.years.insert((county, packed, year), st);
            }
        }
        Ok(())
    }

    /// Writes the changed accumulators and sums to `person_years`.
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let batch = self.batch_id;
        let mut stale: HashMap<(u32, i16), Vec<String>> = HashMap::new();
        let mut rows_owned: Vec<(String, String, i16, PyState)> = Vec::new();
        for (&(county, person, year), st) in self.years.iter_mut() {
            if !st.dirty {
                continue;
            }
            let person = person_text(person)?;
            if st.in_db {
                stale
                    .entry((county, year))
                    .or_default()
                    .push(person.clone());
            }
            st.in_db = true;
            st.dirty = false;
            rows_owned.push((county_text(county), person, year, st.clone()));
        }
        for ((county, year), persons) in stale {
            let county_code = county_text(county);
            tx.exec_in(
                "DELETE FROM person_years WHERE county_code = $1 AND year = $2 AND person_id",
                &[Value::Text(&county_code), Value::Int(i64::from(year))],
                &persons,
            )
            .await?;
        }
        rows_owned.sort_unstable_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        let rows: Vec<Vec<Value>> = rows_owned
            .iter()
            .map(|(county, person, year, st)| {
                let s = &st.state;
                let m = &st.sums;
                vec![
                    Value::Text(county),
                    Value::Text(person),
                    Value::Int(i64::from(*year)),
                    Value::Int(i64::from(s.admissions)),
                    Value::Int(s.basic_used[0].fen()),
                    Value::Int(s.basic_used[1].fen()),
                    Value::Int(s.basic_used[2].fen()),
                    Value::Int(s.critical_base.fen()),
                    Value::Int(s.assistance_base.fen()),
                    Value::Int(s.supplementary_base.fen()),
                    st.last.map(|l| l.0).into(),
                    st.last.map(|l| l.1).into(),
                    Value::Int(m.claims),
                    Value::Int(m.total),
                    Value::Int(m.policy_scope),
                    Value::Int(m.basic),
                    Value::Int(m.critical),
                    Value::Int(m.assistance),
                    Value::Int(m.supplementary),
                    Value::Int(m.out_of_pocket),
                    Value::Int(batch),
                ]
            })
            .collect();
        tx.insert("person_years", PY_COLUMNS, &rows).await?;
        self.stats.person_years += rows.len() as u64;
        Ok(())
    }

    async fn write_adjustments(&mut self, tx: &mut Tx, list: Vec<Adjustment>) -> Result<()> {
        let batch = self.batch_id;
        let first = self.adjustment_seq;
        self.adjustment_seq += list.len() as i64;
        self.stats.adjustments += list.len() as u64;
        let rows: Vec<Vec<Value>> = list
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut row = vec![
                    Value::Text(&a.county_code),
                    Value::Int(batch),
                    Value::Int(first + i as i64 + 1),
                    Value::Text(&a.claim_id),
                    Value::Text(&a.person_id),
                    Value::Int(i64::from(a.year)),
                    Value::Text(a.reason.code()),
                ];
                for t in [&a.old, &a.new] {
                    row.extend(
                        [
                            t.basic,
                            t.critical,
                            t.assistance,
                            t.supplementary,
                            t.out_of_pocket,
                        ]
                        .map(|m| Value::Int(m.fen())),
                    );
                }
                row
            })
            .collect();
        tx.insert("claim_adjustments", ADJUSTMENT_COLUMNS, &rows)
            .await
    }
}

fn adjustment(line: &ClaimLine, reason: Reason, old: Option<Tiers>, new: Tiers) -> Adjustment {
    Adjustment {
        county_code: line.county_code.clone(),
        claim_id: line.claim_id.clone(),
        person_id: line.person_id.clone(),
        year: line.year,
        reason,
        old: old.unwrap_or_default(),
        new,
    }
}

/// The standing claims of the given person-years, as stored.
async fn load_standing(tx: &mut Tx, keys: &HashSet<PyKey>) -> Result<Vec<ClaimLine>> {
    let mut groups: HashMap<(u32, i16), Vec<String>> = HashMap::new();
    for &(county, person, year) in keys {
        groups
            .entry((county, year))
            .or_default()
            .push(person_text(person)?);
    }
    let mut out = Vec::new();
    for ((county, year), persons) in groups {
        let county_code = county_text(county);
        let sql = format!(
            "SELECT {} FROM claims WHERE county_code = $1 AND year = $2 \
             AND reverses IS NULL AND reversed_by IS NULL AND person_id",
            CLAIM_COLUMNS.join(", ")
        );
        let mut found: Vec<ClaimLine> = tx
            .all_in(
                AssertSqlSafe(sql),
                &[Value::Text(&county_code), Value::Int(i64::from(year))],
                &persons,
            )
            .await?;
        out.append(&mut found);
    }
    Ok(out)
}

/// Deletes the given claims (to insert them again rewritten).
async fn delete_claims(tx: &mut Tx, lines: &[&ClaimLine]) -> Result<()> {
    let mut by_county: HashMap<&str, Vec<String>> = HashMap::new();
    for l in lines {
        by_county
            .entry(&l.county_code)
            .or_default()
            .push(l.claim_id.clone());
    }
    for (county, ids) in by_county {
        tx.exec_in(
            "DELETE FROM claims WHERE county_code = $1 AND claim_id",
            &[Value::Text(county)],
            &ids,
        )
        .await?;
    }
    Ok(())
}
