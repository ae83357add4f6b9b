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
//!
//! `line` is the stored claim, `years` the person-year state, `adjust`
//! the adjustment records.

mod adjust;
mod line;
mod years;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use jianfu_policy::Tiers;
use sqlx::AssertSqlSafe;

use crate::monitoring::Touched;
use crate::policies::PolicySet;
use crate::sql::{Tx, Value};
use crate::{Result, StoreError};

use adjust::{Adjustment, adjustment};
pub(crate) use line::{CLAIM_COLUMNS, ClaimLine, PyKey, Reason};
use years::{MAX_YEARS_IN_MEMORY, PyState, county_text, person_text};

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
    /// Persons with a claim written (new, reversed or re-settled): their
    /// households' monitoring inputs changed.
    pub touched: Touched,
}

/// A chunk being settled: its work and what settling it changes.
struct Chunk {
    work: Work,
    /// The chunk's standing new claims by person-year (indexes into
    /// `work.new_lines`).
    appended: HashMap<PyKey, Vec<usize>>,
    /// The person-years re-settled whole.
    full: HashSet<PyKey>,
    /// Their standing claims as stored, less those this chunk reverses.
    stored: Vec<ClaimLine>,
    /// `stored` by person-year.
    stored_by_py: HashMap<PyKey, Vec<usize>>,
    /// Stored claims (indexes into `stored`) to rewrite.
    rewrite: Vec<usize>,
    adjustments: Vec<Adjustment>,
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
            touched: Touched::default(),
        }
    }

    /// Settles one chunk and writes its claims, rewritten claims and
    /// adjustments (the accumulators wait for [`Settler::flush`]).
    pub async fn process(&mut self, tx: &mut Tx, work: Work) -> Result<()> {
        let mut chunk = self.plan(tx, work).await?;
        let full: Vec<PyKey> = chunk.full.iter().copied().collect();
        for key in &full {
            self.settle_whole(&mut chunk, key)?;
        }
        self.settle_appended(&mut chunk)?;
        self.settle_reversed(&mut chunk);
        self.write(tx, chunk).await
    }

    /// Sorts the chunk's claims into person-years settled from their kept
    /// state (claims that all come after its last one) and person-years
    /// settled whole (late claims, reversals, `work.full`), and reads what
    /// either needs.
    async fn plan(&mut self, tx: &mut Tx, mut work: Work) -> Result<Chunk> {
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
        Ok(Chunk {
            work,
            appended,
            full,
            stored,
            stored_by_py,
            rewrite: Vec::new(),
            adjustments: Vec::new(),
        })
    }

    /// Re-settles person-year `key` from an empty state: its stored and
    /// new standing claims in settlement order.
    fn settle_whole(&mut self, c: &mut Chunk, key: &PyKey) -> Result<()> {
        let batch = self.batch_id;
        let reason = if c.work.reversal_years.contains(key) {
            Reason::Reversal
        } else {
            self.default_reason
        };
        let mut order: Vec<((NaiveDateTime, i64), bool, usize)> = Vec::new();
        for &i in c.stored_by_py.get(key).into_iter().flatten() {
            order.push((c.stored[i].order(), true, i));
        }
        for &i in c.appended.get(key).into_iter().flatten() {
            order.push((c.work.new_lines[i].order(), false, i));
        }
        order.sort_unstable();
        let mut st = PyState {
            in_db: self.years.get(key).is_some_and(|s| s.in_db),
            dirty: true,
            ..PyState::default()
        };
        for &(_, is_stored, i) in &order {
            let line = if is_stored {
                &c.stored[i]
            } else {
                &c.work.new_lines[i]
            };
            let (policy_id, tiers) = self.settle_line(&mut st, line)?;
            if !is_stored {
                c.work.new_lines[i].set_settlement(Some((policy_id, tiers)), batch);
                continue;
            }
            let s = &mut c.stored[i];
            let old = s.tiers();
            if old == Some(tiers) && s.policy_id == Some(policy_id) {
                continue;
            }
            if old != Some(tiers) {
                self.stats.resettled += 1;
                if s.created_batch != batch {
                    c.adjustments.push(adjustment(s, reason, old, tiers));
                }
            }
            s.set_settlement(Some((policy_id, tiers)), batch);
            c.rewrite.push(i);
        }
        self.years.insert(*key, st);
        Ok(())
    }

    /// Settles the new claims of the other person-years from their kept
    /// state.
    fn settle_appended(&mut self, c: &mut Chunk) -> Result<()> {
        let batch = self.batch_id;
        for (key, lines) in &mut c.appended {
            if c.full.contains(key) {
                continue;
            }
            lines.sort_by_key(|&i| c.work.new_lines[i].order());
            let mut st = self.years.remove(key).unwrap_or_default();
            for &i in lines.iter() {
                let settled = self.settle_line(&mut st, &c.work.new_lines[i])?;
                c.work.new_lines[i].set_settlement(Some(settled), batch);
            }
            st.dirty = true;
            self.years.insert(*key, st);
        }
        Ok(())
    }

    /// Clears the amounts of the stored claims this chunk reverses.
    fn settle_reversed(&mut self, c: &mut Chunk) {
        let batch = self.batch_id;
        for r in &mut c.work.reversed {
            let old = r.tiers();
            if let Some(old) = old
                && r.created_batch != batch
            {
                let none = Tiers::default();
                c.adjustments
                    .push(adjustment(r, Reason::Reversal, Some(old), none));
            }
            r.set_settlement(None, batch);
        }
    }

    /// Writes the chunk: rewritten claims are deleted and inserted again
    /// with the new ones, then the adjustments; the accumulators are
    /// flushed when too many have piled up.
    async fn write(&mut self, tx: &mut Tx, c: Chunk) -> Result<()> {
        let mut rewritten: Vec<&ClaimLine> = c.rewrite.iter().map(|&i| &c.stored[i]).collect();
        rewritten.extend(c.work.reversed.iter());
        for line in c.work.new_lines.iter().chain(rewritten.iter().copied()) {
            let (county, person, _) = line.py_key()?;
            self.touched.packed_person(county, person);
        }
        delete_claims(tx, &rewritten).await?;
        let rows: Vec<Vec<Value>> = c
            .work
            .new_lines
            .iter()
            .chain(rewritten.iter().copied())
            .map(ClaimLine::values)
            .collect();
        tx.insert("claims", CLAIM_COLUMNS, &rows).await?;
        self.write_adjustments(tx, c.adjustments).await?;
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
