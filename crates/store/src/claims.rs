//! Writing claims: one import is one transaction and one change batch
//! (kind `claims`). Each chunk of parsed rows is matched with the
//! registry (the insured county and, when the file leaves them empty, the
//! person's groups on the day of settlement), with the stored policies
//! and with the stored claims (re-imports, reversed claims); rows the
//! database refuses come back as [`ClaimConflict`]s for the error report.
//! The rows that pass are settled by [`crate::settle`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use jianfu_domain::{ClaimRecord, GroupSet, HouseholdType, IdCardNo};
use sqlx::AssertSqlSafe;

use crate::policies::{AddPolicyError, PolicySet, check_policy_source, insert_policy};
use crate::registry::RegistryImport;
use crate::settle::{CLAIM_COLUMNS, ClaimLine, PyKey, Reason, SettleStats, Settler, Work};
use crate::sql::{Tx, Value};
use crate::{Db, ImportStats, Result, prefix_range};

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

/// Persons kept between chunks: a person's claims are spread over the
/// whole file, and one lookup per person instead of per chunk saves a
/// fifth of the write pass.
const MAX_INSURED_CACHED: usize = 300_000;

/// A registered person as a claim needs them.
#[derive(sqlx::FromRow)]
struct Insured {
    id_number: String,
    county_code: String,
    household_no: String,
    groups: String,
    household_type: String,
}

/// A logged change of groups (person) or household type (household).
#[derive(sqlx::FromRow)]
struct GroupChange {
    entity: String,
    entity_key: String,
    old_value: Option<String>,
    started_at: DateTime<Utc>,
}

/// Logged changes of one field: (time of the change, old value).
type Changes = Vec<(DateTime<Utc>, Option<String>)>;

/// Group history of the persons of one chunk, oldest change first.
#[derive(Default)]
struct History {
    persons: HashMap<String, Changes>,
    households: HashMap<(String, String), Changes>,
}

/// Beijing time, in which the platform writes `settled_at`.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The value a logged field had at `at`: the old value of the first change
/// after `at`, else the current value.
fn value_at<'a>(changes: Option<&'a Changes>, at: DateTime<Utc>, current: &'a str) -> &'a str {
    changes
        .and_then(|c| c.iter().find(|(t, _)| *t > at))
        .map_or(current, |(_, old)| old.as_deref().unwrap_or(""))
}

impl History {
    /// The person's settlement groups at `settled_at`: own groups plus
    /// those of the household type, each as the change log says it was.
    fn groups_at(&self, p: &Insured, settled_at: NaiveDateTime) -> GroupSet {
        let at = settled_at
            .and_local_timezone(beijing())
            .single()
            .map_or_else(|| settled_at.and_utc(), |t| t.with_timezone(&Utc));
        let own = value_at(self.persons.get(&p.id_number), at, &p.groups);
        let key = (p.county_code.clone(), p.household_no.clone());
        let htype = value_at(self.households.get(&key), at, &p.household_type);
        let own = GroupSet::parse_list(own).unwrap_or_default();
        let implied =
            HouseholdType::from_code(htype).map_or(GroupSet::EMPTY, |t| t.implied_groups());
        own.union(implied)
    }
}

impl Db {
    /// Starts an import of claims from `source_file` by `user`: records
    /// the change batch, opens the transaction, reads the policies.
    pub async fn begin_claims_import(&self, source_file: &str, user: &str) -> Result<ClaimsImport> {
        let mut inner = RegistryImport::begin(self, "claims", source_file, user).await?;
        lock_settlement(inner.tx()).await?;
        // Read after the lock: a policy added meanwhile has committed.
        let policies = self.policy_set().await?;
        let settler = Settler::new(policies, inner.batch_id(), Reason::LateClaim);
        Ok(ClaimsImport {
            inner,
            settler,
            insured: HashMap::new(),
        })
    }
}

impl ClaimsImport {
    /// The change batch of this import.
    pub fn batch_id(&self) -> i64 {
        self.inner.batch_id()
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
        let insured = &self.insured;
        let history = lookup_history(tx, rows, insured).await?;
        let stored = lookup_stored(tx, rows, insured).await?;
        let looked_up = started.elapsed();

        let mut conflicts = Vec::new();
        let mut work = Work::default();
        let mut new_index: HashMap<(String, String), usize> = HashMap::new();
        let mut reversed_now: HashSet<(String, String)> = HashSet::new();
        let conflict = |row: u64, code, county: Option<&str>| ClaimConflict {
            row,
            code,
            county: county.map(str::to_string),
        };
        for (row, rec) in rows {
            let Some(p) = insured.get(rec.person.as_str()) else {
                conflicts.push(conflict(*row, "person_not_in_registry", None));
                continue;
            };
            let county = &p.county_code;
            let key = (county.clone(), rec.claim_id.clone());
            if let Some(s) = stored.get(&key) {
                if same_claim(s, rec) {
                    self.inner.stats.claims_unchanged += 1;
                } else {
                    conflicts.push(conflict(*row, "duplicate_claim_id", Some(county)));
                }
                continue;
            }
            if new_index.contains_key(&key) {
                conflicts.push(conflict(*row, "duplicate_claim_id", Some(county)));
                continue;
            }
            let (groups, from_registry) = match rec.groups {
                Some(g) => (g, false),
                None => (history.groups_at(p, rec.settled_at), true),
            };
            let seq = (batch << 32) | (*row as i64 & 0xffff_ffff);
            let line = new_line(county, rec, groups, from_registry, seq, batch);
            if let Some(target) = &rec.reverses {
                let tkey = (county.clone(), target.clone());
                let judged = if let Some(&i) = new_index.get(&tkey) {
                    judge_reversal(&work.new_lines[i], rec, reversed_now.contains(&tkey))
                } else if let Some(t) = stored.get(&tkey) {
                    judge_reversal(t, rec, reversed_now.contains(&tkey))
                } else {
                    Err("reversal_unknown_claim")
                };
                if let Err(code) = judged {
                    conflicts.push(conflict(*row, code, Some(county)));
                    continue;
                }
                reversed_now.insert(tkey.clone());
                if let Some(&i) = new_index.get(&tkey) {
                    work.new_lines[i].reversed_by = Some(rec.claim_id.clone());
                } else if let Some(t) = stored.get(&tkey) {
                    let mut t = t.clone();
                    t.reversed_by = Some(rec.claim_id.clone());
                    work.reversal_years.insert(t.py_key()?);
                    work.reversed.push(t);
                }
                self.inner.stats.reversals_created += 1;
                self.inner.stats.touched(county);
            } else {
                let day = rec.settled_at.date();
                if self.settler.policies.choose(county, day).is_none() {
                    conflicts.push(conflict(*row, "no_policy", Some(county)));
                    continue;
                }
                self.inner.stats.claims_created += 1;
                self.inner.stats.touched(county);
            }
            new_index.insert(key, work.new_lines.len());
            work.new_lines.push(line);
        }
        self.settler.process(self.inner.tx(), work).await?;
        tracing::debug!(
            batch,
            rows = rows.len(),
            lookup_ms = looked_up.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "claims chunk written"
        );
        Ok(conflicts)
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
}

fn add_settle_stats(stats: &mut ImportStats, s: SettleStats) {
    stats.claims_resettled += s.resettled;
    stats.adjustments += s.adjustments;
    stats.person_years += s.person_years;
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

/// Adds the registered persons of `rows` that `cache` lacks.
async fn lookup_insured(
    tx: &mut Tx,
    rows: &[(u64, ClaimRecord)],
    cache: &mut HashMap<String, Insured>,
) -> Result<()> {
    if cache.len() > MAX_INSURED_CACHED {
        cache.clear();
    }
    let mut seen = HashSet::new();
    let ids: Vec<String> = rows
        .iter()
        .filter(|(_, r)| !cache.contains_key(r.person.as_str()) && seen.insert(r.person.packed()))
        .map(|(_, r)| r.person.as_str().to_string())
        .collect();
    let found: Vec<Insured> = tx
        .all_in(
            "SELECT p.id_number, p.county_code, p.household_no, p.groups, h.household_type \
         FROM persons p JOIN households h \
         ON h.county_code = p.county_code AND h.household_no = p.household_no \
         WHERE p.id_number",
            &[],
            &ids,
        )
        .await?;
    cache.extend(found.into_iter().map(|p| (p.id_number.clone(), p)));
    Ok(())
}

/// The logged group and household-type changes of the persons whose rows
/// leave the groups empty.
async fn lookup_history(
    tx: &mut Tx,
    rows: &[(u64, ClaimRecord)],
    insured: &HashMap<String, Insured>,
) -> Result<History> {
    let mut keys: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (_, r) in rows {
        if r.groups.is_some() {
            continue;
        }
        if let Some(p) = insured.get(r.person.as_str()) {
            let k = keys.entry(p.county_code.as_str()).or_default();
            k.insert(&p.id_number);
            k.insert(&p.household_no);
        }
    }
    let mut history = History::default();
    for (county, keys) in keys {
        let keys: Vec<String> = keys.into_iter().map(str::to_string).collect();
        let mut changes: Vec<GroupChange> = tx
            .all_in(
                "SELECT c.entity, c.entity_key, c.old_value, b.started_at \
             FROM change_log c JOIN change_batches b ON b.id = c.batch_id \
             WHERE c.county_code = $1 \
             AND ((c.entity = 'person' AND c.field = 'groups') \
               OR (c.entity = 'household' AND c.field = 'household_type')) \
             AND c.entity_key",
                &[Value::Text(county)],
                &keys,
            )
            .await?;
        changes.sort_by_key(|c| c.started_at);
        for c in changes {
            let entry = (c.started_at, c.old_value);
            if c.entity == "person" {
                history.persons.entry(c.entity_key).or_default().push(entry);
            } else {
                history
                    .households
                    .entry((county.to_string(), c.entity_key))
                    .or_default()
                    .push(entry);
            }
        }
    }
    Ok(history)
}

/// The stored claims a chunk names (its claim ids and reversed ids),
/// keyed by (county, claim id).
async fn lookup_stored(
    tx: &mut Tx,
    rows: &[(u64, ClaimRecord)],
    insured: &HashMap<String, Insured>,
) -> Result<HashMap<(String, String), ClaimLine>> {
    let mut by_county: HashMap<&str, Vec<String>> = HashMap::new();
    for (_, r) in rows {
        if let Some(p) = insured.get(r.person.as_str()) {
            let ids = by_county.entry(&p.county_code).or_default();
            ids.push(r.claim_id.clone());
            ids.extend(r.reverses.iter().cloned());
        }
    }
    let sql = format!(
        "SELECT {} FROM claims WHERE county_code = $1 AND claim_id",
        CLAIM_COLUMNS.join(", ")
    );
    let mut out = HashMap::new();
    for (county, ids) in by_county {
        let found: Vec<ClaimLine> = tx
            .all_in(AssertSqlSafe(sql.as_str()), &[Value::Text(county)], &ids)
            .await?;
        out.extend(
            found
                .into_iter()
                .map(|c| ((c.county_code.clone(), c.claim_id.clone()), c)),
        );
    }
    Ok(out)
}

/// What adding a policy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAdded {
    /// Id of the stored set.
    pub id: i64,
    /// True when the same text was stored already (nothing was done).
    pub existed: bool,
    /// Stored claims whose amounts changed.
    pub claims_resettled: u64,
    /// Adjustments recorded (reason `policy_change`).
    pub adjustments: u64,
    /// Person-years re-settled.
    pub person_years: u64,
}

/// Serialises the transactions that settle claims (claims imports,
/// policy additions) until they end. On PostgreSQL two of them would
/// otherwise each settle from what the other has not committed yet (a
/// claim settled under a policy list that misses the policy being added);
/// SQLite has a single writer anyway.
pub(crate) async fn lock_settlement(tx: &mut Tx) -> Result<()> {
    // An arbitrary application-wide key: "jianfu settle".
    tx.lock(7_202_300_001).await
}

/// Person-years re-settled per round when a policy is added.
const RESETTLE_CHUNK: usize = 4000;

impl Db {
    /// Stores a parameter set (TOML text) and, in the same transaction,
    /// re-settles every stored person-year with a claim it now governs
    /// (its region and validity), recording the changed amounts as
    /// adjustments with reason `policy_change`. The same text twice is
    /// stored once.
    pub async fn add_policy(
        &self,
        source: &str,
        user: &str,
    ) -> Result<PolicyAdded, AddPolicyError> {
        let policy = check_policy_source(source)?;
        if let Some(id) = self.policy_with_source(source).await? {
            return Ok(PolicyAdded {
                id,
                existed: true,
                claims_resettled: 0,
                adjustments: 0,
                person_years: 0,
            });
        }
        let mut imp = RegistryImport::begin(self, "policy", &policy.name, user).await?;
        lock_settlement(imp.tx()).await?;
        let mut policies = self.policy_set().await?;
        let batch = imp.batch_id();
        let (id, loaded_at) = insert_policy(imp.tx(), &policy, source, user).await?;
        let (from, to) = (policy.valid_from, policy.valid_to);
        let region = policy.region.clone();
        let mut entries = policies.entries().to_vec();
        entries.push(crate::policies::StoredPolicy {
            id,
            loaded_at,
            policy,
        });
        policies = crate::policies::PolicySet::new(entries);
        let years = governed_years(imp.tx(), &region, from, to).await?;
        let s = resettle(imp.tx(), policies, batch, &years, Reason::PolicyChange).await?;
        add_settle_stats(&mut imp.stats, s);
        imp.commit(0, 0).await?;
        if s.resettled > 0 {
            crate::rollups::refresh_rollups_under(self, &region).await?;
        }
        tracing::info!(
            batch,
            policy = id,
            person_years = years.len(),
            resettled = s.resettled,
            "policy added"
        );
        Ok(PolicyAdded {
            id,
            existed: false,
            claims_resettled: s.resettled,
            adjustments: s.adjustments,
            person_years: years.len() as u64,
        })
    }
}

/// Re-settles `years` whole under `policies` in rounds of
/// [`RESETTLE_CHUNK`], rewriting the claims whose amounts change (with
/// adjustments for `reason`) and every year's accumulators.
pub(crate) async fn resettle(
    tx: &mut Tx,
    policies: PolicySet,
    batch: i64,
    years: &[PyKey],
    reason: Reason,
) -> Result<SettleStats> {
    let mut settler = Settler::new(policies, batch, reason);
    for chunk in years.chunks(RESETTLE_CHUNK) {
        let work = Work {
            full: chunk.iter().copied().collect(),
            ..Work::default()
        };
        settler.process(tx, work).await?;
    }
    settler.flush(tx).await?;
    Ok(settler.stats)
}

/// The person-years with a standing claim in `region` settled between
/// `from` and `to` (inclusive days).
async fn governed_years(
    tx: &mut Tx,
    region: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<PyKey>> {
    let (lo, hi) = prefix_range(region);
    let start = from.and_hms_opt(0, 0, 0).expect("midnight");
    let end = to
        .succ_opt()
        .unwrap_or(to)
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let sql = "SELECT DISTINCT county_code, person_id, year FROM claims \
               WHERE county_code >= $1 AND county_code < $2 \
               AND settled_at >= $3 AND settled_at < $4 \
               AND reverses IS NULL AND reversed_by IS NULL";
    let rows: Vec<(String, String, i16)> = tx
        .all(
            sql,
            &[
                Value::Text(&lo),
                Value::Text(&hi),
                Value::LocalTime(start),
                Value::LocalTime(end),
            ],
        )
        .await?;
    rows.into_iter()
        .map(|(county, person, year)| {
            let county = county
                .parse()
                .map_err(|_| crate::StoreError::Corrupt(format!("县级代码“{county}”")))?;
            let person = IdCardNo::parse(&person)
                .map_err(|_| crate::StoreError::Corrupt("身份证号".into()))?
                .packed();
            Ok((county, person, year))
        })
        .collect()
}
