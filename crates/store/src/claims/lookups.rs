//! What a chunk of claims needs from the database before it is judged:
//! the insured persons (kept between chunks), the logged changes of
//! their groups and household types, and the stored claims it names.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use jianfu_domain::time::china;
use jianfu_domain::{ClaimRecord, GroupSet, HouseholdType};
use sqlx::AssertSqlSafe;

use super::settle::{CLAIM_COLUMNS, ClaimLine};
use crate::Result;
use crate::sql::{Tx, Value};

/// Persons kept between chunks: a person's claims are spread over the
/// whole file, and one lookup per person instead of per chunk saves a
/// fifth of the write pass.
pub(super) const MAX_INSURED_CACHED: usize = 300_000;

/// A registered person as a claim needs them.
#[derive(sqlx::FromRow)]
pub(super) struct Insured {
    id_number: String,
    pub(super) county_code: String,
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
pub(super) struct History {
    persons: HashMap<String, Changes>,
    households: HashMap<(String, String), Changes>,
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
    pub(super) fn groups_at(&self, p: &Insured, settled_at: NaiveDateTime) -> GroupSet {
        let at = settled_at
            // The platform writes `settled_at` in China time.
            .and_local_timezone(china())
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

/// Adds the registered persons of `rows` that `cache` lacks.
pub(super) async fn lookup_insured(
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
pub(super) async fn lookup_history(
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
pub(super) async fn lookup_stored(
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
