//! Writing claims: one import is one transaction and one change batch
//! (kind `claims`). Each chunk of parsed rows is matched with the
//! registry (the insured county and, when the file leaves them empty, the
//! person's groups on the day of settlement), with the stored policies
//! and with the stored claims (re-imports, reversed claims); rows the
//! database refuses come back as [`ClaimConflict`]s for the error report.
//! The rows that pass are settled (`settle`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use jianfu_domain::{ClaimRecord, GroupSet};

use super::lookups::{History, Insured, lookup_history, lookup_insured, lookup_stored};
use super::resettle::{add_settle_stats, lock_settlement};
use super::settle::{ClaimLine, Reason, Settler, Work};
use crate::monitoring::Touched;
use crate::policies::{PolicySet, policy_set};
use crate::registry::RegistryImport;
use crate::sql::Tx;
use crate::{AuditEntry, Db, ImportStats, Result};

/// A claims row the database refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimConflict {
    /// The file row.
    pub row: u64,
    /// Stable code: `person_not_in_registry`, `no_policy`,
    /// `duplicate_claim_id`, `reversal_unknown_claim`,
    /// `reversal_of_reversal`, `duplicate_reversal` or
    /// `reversal_person_mismatch`.
    pub code: &'static str,
    /// The insured county, when known (for `no_policy`).
    pub county: Option<String>,
}

/// A claims import under way.
pub struct ClaimsImport {
    inner: RegistryImport,
    settler: Settler,
    /// Registered persons already looked up by this import (the registry
    /// does not change during it), at most [`MAX_INSURED_CACHED`].
    insured: HashMap<String, Insured>,
}

impl ClaimsImport {
    /// Starts an import of claims from `source_file` by `user`: records
    /// the change batch, opens the transaction, takes the settlement lock
    /// and reads the policies.
    pub async fn begin(db: &Db, source_file: &str, user: &str) -> Result<ClaimsImport> {
        let mut inner = RegistryImport::begin(db, "claims", source_file, user).await?;
        lock_settlement(inner.tx()).await?;
        // Read after the lock (a policy added meanwhile has committed), on
        // a connection of its own as before the import wrote anything.
        let policies = policy_set(&mut db.read().await?).await?;
        let settler = Settler::new(policies, inner.batch_id(), Reason::LateClaim);
        Ok(ClaimsImport {
            inner,
            settler,
            insured: HashMap::new(),
        })
    }

    /// The change batch of this import.
    pub fn batch_id(&self) -> i64 {
        self.inner.batch_id()
    }

    /// The import's transaction, for writes the caller commits with it.
    pub fn tx(&mut self) -> &mut Tx {
        self.inner.tx()
    }

    /// The persons whose claims this import has written or re-settled so
    /// far (handed over once), for the evaluation that commits with it.
    pub fn take_touched(&mut self) -> Touched {
        let mut touched = self.inner.take_touched();
        touched.extend(std::mem::take(&mut self.settler.touched));
        touched
    }

    /// Writes and settles a chunk of claims rows (file row, record). Rows
    /// must have passed the file checks; reversals must come after the
    /// claims they reverse (or in a later chunk).
    pub async fn write_claims(
        &mut self,
        rows: &[(u64, ClaimRecord)],
    ) -> Result<Vec<ClaimConflict>> {
        let batch = self.inner.batch_id();
        let started = std::time::Instant::now();
        let tx = self.inner.tx();
        lookup_insured(tx, rows, &mut self.insured).await?;
        let history = lookup_history(tx, rows, &self.insured).await?;
        let stored = lookup_stored(tx, rows, &self.insured).await?;
        let looked_up = started.elapsed();
        let known = Known {
            insured: &self.insured,
            history,
            stored,
            policies: &self.settler.policies,
            batch,
        };
        let mut judged = Judged::default();
        for (row, rec) in rows {
            judge(&known, &mut judged, &mut self.inner.stats, *row, rec)?;
        }
        drop(known);
        self.settler.process(self.inner.tx(), judged.work).await?;
        tracing::debug!(
            batch,
            rows = rows.len(),
            lookup_ms = looked_up.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "claims chunk written"
        );
        Ok(judged.conflicts)
    }

    /// Writes the person-year accumulators, records the outcome and
    /// commits everything written.
    pub async fn commit(mut self, rows_total: u64, errors: u64) -> Result<ImportStats> {
        self.settler.flush(self.inner.tx()).await?;
        add_settle_stats(&mut self.inner.stats, self.settler.stats);
        self.inner.commit(rows_total, errors).await
    }

    /// Discards everything written and records why.
    pub async fn rollback(self, rows_total: u64, errors: u64) -> Result<()> {
        self.inner.rollback(rows_total, errors).await
    }

    /// Discards everything written and records why, with `entry` (see
    /// [`RegistryImport::reject_audited`]).
    pub async fn reject_audited(
        self,
        rows_total: u64,
        errors: u64,
        entry: &AuditEntry,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.inner
            .reject_audited(rows_total, errors, entry, at)
            .await
    }
}

/// What the database holds for a chunk's rows.
struct Known<'a> {
    insured: &'a HashMap<String, Insured>,
    history: History,
    stored: HashMap<(String, String), ClaimLine>,
    policies: &'a PolicySet,
    batch: i64,
}

/// What the chunk's rows have decided so far.
#[derive(Default)]
struct Judged {
    conflicts: Vec<ClaimConflict>,
    work: Work,
    /// Index in `work.new_lines` of each (county, claim id) of the chunk.
    new_index: HashMap<(String, String), usize>,
    /// (county, claim id) reversed by an earlier row of the chunk.
    reversed_now: HashSet<(String, String)>,
}

/// Judges one row against what is stored and what the chunk's earlier
/// rows did: refused (a conflict), unchanged, or a new claim or reversal
/// for the settler.
fn judge(
    k: &Known,
    j: &mut Judged,
    stats: &mut ImportStats,
    row: u64,
    rec: &ClaimRecord,
) -> Result<()> {
    let conflict = |code, county: Option<&str>| ClaimConflict {
        row,
        code,
        county: county.map(str::to_string),
    };
    let Some(p) = k.insured.get(rec.person.as_str()) else {
        j.conflicts.push(conflict("person_not_in_registry", None));
        return Ok(());
    };
    let county = &p.county_code;
    let key = (county.clone(), rec.claim_id.clone());
    if let Some(s) = k.stored.get(&key) {
        if same_claim(s, rec) {
            stats.claims_unchanged += 1;
        } else {
            j.conflicts
                .push(conflict("duplicate_claim_id", Some(county)));
        }
        return Ok(());
    }
    if j.new_index.contains_key(&key) {
        j.conflicts
            .push(conflict("duplicate_claim_id", Some(county)));
        return Ok(());
    }
    let (groups, from_registry) = match rec.groups {
        Some(g) => (g, false),
        None => (k.history.groups_at(p, rec.settled_at), true),
    };
    let seq = (k.batch << 32) | (row as i64 & 0xffff_ffff);
    let line = new_line(county, rec, groups, from_registry, seq, k.batch);
    if let Some(target) = &rec.reverses {
        if let Err(code) = reverse(k, j, county, target, rec)? {
            j.conflicts.push(conflict(code, Some(county)));
            return Ok(());
        }
        stats.reversals_created += 1;
    } else {
        if k.policies.choose(county, rec.settled_at.date()).is_none() {
            j.conflicts.push(conflict("no_policy", Some(county)));
            return Ok(());
        }
        stats.claims_created += 1;
    }
    stats.touched(county);
    j.new_index.insert(key, j.work.new_lines.len());
    j.work.new_lines.push(line);
    Ok(())
}

/// Judges a reversal of `target` (a claim of this chunk or a stored one)
/// by `rec` and, when it stands, marks the target reversed.
fn reverse(
    k: &Known,
    j: &mut Judged,
    county: &str,
    target: &str,
    rec: &ClaimRecord,
) -> Result<std::result::Result<(), &'static str>> {
    let tkey = (county.to_string(), target.to_string());
    let reversed_now = j.reversed_now.contains(&tkey);
    let judged = if let Some(&i) = j.new_index.get(&tkey) {
        judge_reversal(&j.work.new_lines[i], rec, reversed_now)
    } else if let Some(t) = k.stored.get(&tkey) {
        judge_reversal(t, rec, reversed_now)
    } else {
        Err("reversal_unknown_claim")
    };
    if let Err(code) = judged {
        return Ok(Err(code));
    }
    j.reversed_now.insert(tkey.clone());
    if let Some(&i) = j.new_index.get(&tkey) {
        j.work.new_lines[i].reversed_by = Some(rec.claim_id.clone());
    } else if let Some(t) = k.stored.get(&tkey) {
        let mut t = t.clone();
        t.reversed_by = Some(rec.claim_id.clone());
        j.work.reversal_years.insert(t.py_key()?);
        j.work.reversed.push(t);
    }
    Ok(Ok(()))
}

/// Checks a reversal of `target` by `rec`.
fn judge_reversal(
    target: &ClaimLine,
    rec: &ClaimRecord,
    reversed_now: bool,
) -> std::result::Result<(), &'static str> {
    if target.reverses.is_some() {
        Err("reversal_of_reversal")
    } else if target.reversed_by.is_some() || reversed_now {
        Err("duplicate_reversal")
    } else if target.person_id != rec.person.as_str() {
        Err("reversal_person_mismatch")
    } else {
        Ok(())
    }
}

/// True when a stored claim is the record imported again unchanged.
fn same_claim(s: &ClaimLine, r: &ClaimRecord) -> bool {
    let groups_same = match r.groups {
        None => s.groups_from_registry,
        Some(g) => !s.groups_from_registry && s.groups == g.codes(),
    };
    groups_same
        && s.person_id == r.person.as_str()
        && s.kind == r.kind.code()
        && s.level == r.level.code()
        && s.county_internal == r.county_internal
        && s.settled_at == r.settled_at
        && s.total == r.total.fen()
        && s.policy_scope == r.policy_scope.fen()
        && s.reverses == r.reverses
        && s.icd10.as_deref() == r.icd10.as_ref().map(|c| c.as_str())
        && s.facility_code == r.facility_code
        && s.admitted_on == r.admitted_on
        && s.pay_later == r.pay_later
        && s.one_stop == r.one_stop
}

fn new_line(
    county: &str,
    r: &ClaimRecord,
    groups: GroupSet,
    from_registry: bool,
    seq: i64,
    batch: i64,
) -> ClaimLine {
    ClaimLine {
        county_code: county.to_string(),
        claim_id: r.claim_id.clone(),
        person_id: r.person.as_str().to_string(),
        year: i16::try_from(r.year()).unwrap_or(i16::MAX),
        groups: groups.codes(),
        groups_from_registry: from_registry,
        kind: r.kind.code().to_string(),
        level: r.level.code().to_string(),
        county_internal: r.county_internal,
        settled_at: r.settled_at,
        input_seq: seq,
        total: r.total.fen(),
        policy_scope: r.policy_scope.fen(),
        reverses: r.reverses.clone(),
        reversed_by: None,
        icd10: r.icd10.as_ref().map(|c| c.as_str().to_string()),
        facility_code: r.facility_code.clone(),
        admitted_on: r.admitted_on,
        pay_later: r.pay_later,
        one_stop: r.one_stop,
        policy_id: None,
        basic: None,
        critical: None,
        assistance: None,
        supplementary: None,
        out_of_pocket: None,
        created_batch: batch,
        settled_batch: batch,
    }
}
