//! Writing the registry: one import is one transaction and one change
//! batch. Rows arrive in chunks of parsed records; each chunk is compared
//! with what is stored, and only real differences are written, each kept
//! in the change log (field, old value, new value) under the batch that
//! records source file, user and time.
//!
//! Conflicts only the database can see (an ID number registered in
//! another household, a diagnosis of an unknown person) come back as
//! [`Conflict`]s for the caller's error report; the rows concerned are not
//! written.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use jianfu_domain::{DiagnosisRecord, HouseholdRecord, PersonRecord, RegionLevel};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::sql::{Tx, Value};
use crate::{Db, Result, batches, prefix_range};

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    /// Households created.
    pub households_created: u64,
    /// Households with at least one changed field.
    pub households_updated: u64,
    /// Persons created.
    pub persons_created: u64,
    /// Persons with at least one changed field.
    pub persons_updated: u64,
    /// Persons present and identical.
    pub persons_unchanged: u64,
    /// Diagnoses created.
    pub diagnoses_created: u64,
    /// Diagnoses with a changed name or facility.
    pub diagnoses_updated: u64,
    /// Diagnoses present and identical.
    pub diagnoses_unchanged: u64,
    /// Change-log entries written.
    pub changes: u64,
    /// Claims stored and settled.
    pub claims_created: u64,
    /// Reversals (冲销) stored.
    pub reversals_created: u64,
    /// Claims present and identical (a re-import).
    pub claims_unchanged: u64,
    /// Stored claims whose amounts changed (late claims, reversals, policies).
    pub claims_resettled: u64,
    /// Adjustment records written for claims of earlier batches.
    pub adjustments: u64,
    /// Person-year accumulators written.
    pub person_years: u64,
    /// Counties where rows were created or changed (their dashboards need
    /// refreshing).
    #[serde(skip)]
    pub counties: std::collections::BTreeSet<String>,
}

impl ImportStats {
    /// Notes that a row of `county` was written.
    pub(crate) fn touched(&mut self, county: &str) {
        if !self.counties.contains(county) {
            self.counties.insert(county.to_string());
        }
    }
}

/// A row the database refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The file row.
    pub row: u64,
    /// Stable code: `id_in_other_household` or `unknown_person`.
    pub code: &'static str,
    /// The household the ID number is already registered in, if any.
    pub other_household: Option<String>,
}

/// An import under way: a transaction plus its change batch.
pub struct RegistryImport {
    tx: Option<Tx>,
    db: Db,
    batch_id: i64,
    seq: i64,
    now: DateTime<Utc>,
    /// Households already created or compared in this import.
    handled_households: HashSet<(String, String)>,
    /// What has been written so far.
    pub stats: ImportStats,
    /// Indexes dropped by [`RegistryImport::defer_search_indexes`] and not
    /// built again yet.
    deferred_indexes: Vec<(&'static str, &'static str)>,
}

/// Secondary indexes of `persons` that a persons import does not read,
/// with their definitions as the latest migration leaves them (a test
/// compares the two). A large load into SQLite builds them once at the end
/// instead of row by row. (The import reads `persons_household` only to
/// move the members of a stored household to its new village; it builds
/// that index first when it needs it.)
pub const DEFERRABLE_INDEXES: [(&str, &str); 3] = [
    (
        "persons_household",
        "CREATE INDEX persons_household ON persons (household_no, county_code)",
    ),
    (
        "persons_name",
        "CREATE INDEX persons_name ON persons (name, id_number, village_code)",
    ),
    (
        "persons_village",
        "CREATE INDEX persons_village ON persons (village_code, household_no, id_number)",
    ),
];

/// Loads of fewer rows keep their indexes up to date row by row.
pub const DEFER_FROM_ROWS: u64 = 100_000;

const HOUSEHOLD_COLUMNS: &[&str] = &[
    "county_code",
    "household_no",
    "village_code",
    "household_type",
    "income_per_capita",
    "created_batch",
    "updated_at",
];
const PERSON_COLUMNS: &[&str] = &[
    "county_code",
    "id_number",
    "household_no",
    "village_code",
    "name",
    "relation",
    "groups",
    "phone",
    "status",
    "sex",
    "birth_date",
    "created_batch",
    "updated_at",
];
const DIAGNOSIS_COLUMNS: &[&str] = &[
    "county_code",
    "id_number",
    "icd10",
    "diagnosed_on",
    "disease_name",
    "facility",
    "created_batch",
];
const LOG_COLUMNS: &[&str] = &[
    "county_code",
    "batch_id",
    "seq",
    "entity",
    "entity_key",
    "household_no",
    "field",
    "old_value",
    "new_value",
];

/// One change-log entry before it is written.
struct LogEntry {
    county: String,
    entity: &'static str,
    key: String,
    household_no: Option<String>,
    field: &'static str,
    old: Option<String>,
    new: Option<String>,
}

/// Stored household fields compared on re-import.
#[derive(sqlx::FromRow)]
struct StoredHousehold {
    household_no: String,
    village_code: String,
    household_type: String,
    income_per_capita: Option<i64>,
}

/// Stored person fields compared on re-import.
#[derive(sqlx::FromRow)]
struct StoredPerson {
    county_code: String,
    id_number: String,
    household_no: String,
    name: String,
    relation: String,
    groups: String,
    phone: Option<String>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct StoredDiagnosis {
    id_number: String,
    icd10: String,
    diagnosed_on: chrono::NaiveDate,
    disease_name: Option<String>,
    facility: Option<String>,
}

impl Db {
    /// Starts an import of `kind` (`persons`, `diagnoses`, `claims`, `policy`) from
    /// `source_file` by `user`: records the batch, opens the transaction.
    pub async fn begin_import(
        &self,
        kind: &str,
        source_file: &str,
        user: &str,
    ) -> Result<RegistryImport> {
        let now = Utc::now();
        let batch_id =
            batches::start(&mut self.read().await?, kind, source_file, user, now).await?;
        Ok(RegistryImport {
            tx: Some(self.begin().await?),
            db: self.clone(),
            batch_id,
            seq: 0,
            now,
            handled_households: HashSet::new(),
            stats: ImportStats::default(),
            deferred_indexes: Vec::new(),
        })
    }
}

impl RegistryImport {
    /// The change batch of this import.
    pub fn batch_id(&self) -> i64 {
        self.batch_id
    }

    pub(crate) fn tx(&mut self) -> &mut Tx {
        self.tx
            .as_mut()
            .expect("transaction open until commit or rollback")
    }

    /// Writes a chunk of persons rows (file row, record) and their
    /// households. Rows must have passed the file checks (no duplicate ID
    /// numbers, consistent households).
    pub async fn write_persons(&mut self, rows: &[(u64, PersonRecord)]) -> Result<Vec<Conflict>> {
        let tx = self
            .tx
            .as_mut()
            .expect("transaction open until commit or rollback");
        let lookup = lookup_persons(tx, rows).await?;
        self.apply_persons(rows, lookup).await
    }

    /// Writes a chunk of persons rows given what was stored for them
    /// ([`Db::lookup_persons`]).
    pub async fn apply_persons(
        &mut self,
        rows: &[(u64, PersonRecord)],
        lookup: PersonsLookup,
    ) -> Result<Vec<Conflict>> {
        let mut log = Vec::new();
        self.write_households(
            rows.iter().map(|(_, p)| &p.household),
            &lookup.households,
            &mut log,
        )
        .await?;
        let stored = &lookup.persons;
        let mut conflicts = Vec::new();
        let mut new_rows: Vec<&PersonRecord> = Vec::new();
        for (row, p) in rows {
            let h = &p.household;
            match stored.get(p.id.as_str()) {
                None => {
                    self.stats.touched(h.county_code());
                    new_rows.push(p);
                }
                Some(s) if s.county_code != h.county_code() || s.household_no != h.household_no => {
                    conflicts.push(Conflict {
                        row: *row,
                        code: "id_in_other_household",
                        other_household: Some(s.household_no.clone()),
                    });
                }
                Some(s) => {
                    let changes = person_changes(s, p);
                    if changes.is_empty() {
                        self.stats.persons_unchanged += 1;
                        continue;
                    }
                    self.stats.persons_updated += 1;
                    self.stats.touched(h.county_code());
                    self.update_person(p).await?;
                    log_changes(
                        &mut log,
                        (
                            h.county_code(),
                            "person",
                            p.id.as_str(),
                            Some(&h.household_no),
                        ),
                        changes,
                    );
                }
            }
        }
        // Key order makes consecutive inserts land on neighbouring index pages.
        new_rows
            .sort_unstable_by_key(|p| (p.household.village.at_level(RegionLevel::County), p.id));
        self.insert_persons(&new_rows).await?;
        self.write_log(log).await?;
        Ok(conflicts)
    }

    async fn write_households(
        &mut self,
        households: impl Iterator<Item = &HouseholdRecord>,
        stored: &HashMap<(String, String), StoredHousehold>,
        log: &mut Vec<LogEntry>,
    ) -> Result<()> {
        // One entry per household, handled once per import: the file checks
        // made the repeated household columns agree, and a household that
        // spans chunks must not be created or logged twice.
        let mut unique: Vec<&HouseholdRecord> = Vec::new();
        for h in households {
            if self
                .handled_households
                .insert((h.county_code().to_string(), h.household_no.clone()))
            {
                unique.push(h);
            }
        }
        let mut new_rows = Vec::new();
        for h in &unique {
            match stored.get(&(h.county_code().to_string(), h.household_no.clone())) {
                None => {
                    self.stats.touched(h.county_code());
                    new_rows.push(*h);
                }
                Some(s) => {
                    let changes = household_changes(s, h);
                    if changes.is_empty() {
                        continue;
                    }
                    self.stats.households_updated += 1;
                    self.stats.touched(h.county_code());
                    self.update_household(h).await?;
                    log_changes(
                        log,
                        (
                            h.county_code(),
                            "household",
                            &h.household_no,
                            Some(&h.household_no),
                        ),
                        changes,
                    );
                }
            }
        }
        let batch = self.batch_id;
        let now = self.now;
        let rows: Vec<Vec<Value>> = new_rows
            .iter()
            .map(|h| {
                vec![
                    Value::Text(h.county_code()),
                    Value::Text(&h.household_no),
                    Value::Text(h.village.as_str()),
                    Value::Text(h.household_type.code()),
                    h.income_per_capita.map(|m| m.fen()).into(),
                    Value::Int(batch),
                    Value::Timestamp(now),
                ]
            })
            .collect();
        self.tx()
            .insert("households", HOUSEHOLD_COLUMNS, &rows)
            .await?;
        // Creation is recorded by `created_batch` on the row itself, not
        // in the change log: a first import of a county writes no history.
        self.stats.households_created += new_rows.len() as u64;
        Ok(())
    }

    async fn insert_persons(&mut self, persons: &[&PersonRecord]) -> Result<()> {
        let batch = self.batch_id;
        let now = self.now;
        let groups: Vec<String> = persons.iter().map(|p| p.groups.codes()).collect();
        let rows: Vec<Vec<Value>> = persons
            .iter()
            .zip(&groups)
            .map(|(p, g)| {
                let h = &p.household;
                vec![
                    Value::Text(h.county_code()),
                    Value::Text(p.id.as_str()),
                    Value::Text(&h.household_no),
                    Value::Text(h.village.as_str()),
                    Value::Text(&p.name),
                    Value::Text(p.relation.code()),
                    Value::Text(g),
                    p.phone.as_deref().into(),
                    Value::Text(p.status.code()),
                    Value::Text(sex_code(p)),
                    Value::Date(p.id.birth_date()),
                    Value::Int(batch),
                    Value::Timestamp(now),
                ]
            })
            .collect();
        self.tx().insert("persons", PERSON_COLUMNS, &rows).await?;
        self.stats.persons_created += persons.len() as u64;
        Ok(())
    }

    async fn update_household(&mut self, h: &HouseholdRecord) -> Result<()> {
        let sql = "UPDATE households SET village_code = $1, household_type = $2, \
                   income_per_capita = $3, updated_at = $4 \
                   WHERE county_code = $5 AND household_no = $6";
        let now = self.now;
        let income = h.income_per_capita.map(|m| m.fen());
        let members =
            "UPDATE persons SET village_code = $1 WHERE county_code = $2 AND household_no = $3";
        self.ensure_index("persons_household").await?;
        let village = h.village.as_str();
        let tx = self.tx();
        tx.exec(
            sql,
            &[
                Value::Text(village),
                Value::Text(h.household_type.code()),
                income.into(),
                Value::Timestamp(now),
                Value::Text(h.county_code()),
                Value::Text(&h.household_no),
            ],
        )
        .await?;
        // Members follow their household's village.
        tx.exec(
            members,
            &[
                Value::Text(village),
                Value::Text(h.county_code()),
                Value::Text(&h.household_no),
            ],
        )
        .await?;
        Ok(())
    }

    async fn update_person(&mut self, p: &PersonRecord) -> Result<()> {
        let sql = "UPDATE persons SET name = $1, relation = $2, groups = $3, phone = $4, \
                   status = $5, updated_at = $6 WHERE county_code = $7 AND id_number = $8";
        let now = self.now;
        let groups = p.groups.codes();
        self.tx()
            .exec(
                sql,
                &[
                    Value::Text(&p.name),
                    Value::Text(p.relation.code()),
                    Value::Text(&groups),
                    p.phone.as_deref().into(),
                    Value::Text(p.status.code()),
                    Value::Timestamp(now),
                    Value::Text(p.household.county_code()),
                    Value::Text(p.id.as_str()),
                ],
            )
            .await?;
        Ok(())
    }

    /// Writes a chunk of diagnoses rows. Diagnoses are keyed by person,
    /// code and date; a changed name or facility is an update.
    pub async fn write_diagnoses(
        &mut self,
        rows: &[(u64, DiagnosisRecord)],
    ) -> Result<Vec<Conflict>> {
        let ids: Vec<String> = rows
            .iter()
            .map(|(_, d)| d.id.as_str().to_string())
            .collect();
        let tx = self.tx();
        let counties: HashMap<String, String> = tx
            .all_in::<(String, String)>(
                "SELECT id_number, county_code FROM persons WHERE id_number",
                &[],
                &ids,
            )
            .await?
            .into_iter()
            .collect();
        let mut by_county: HashMap<&str, Vec<String>> = HashMap::new();
        for (id, county) in &counties {
            by_county
                .entry(county.as_str())
                .or_default()
                .push(id.clone());
        }
        let mut stored: HashMap<(String, String, chrono::NaiveDate), StoredDiagnosis> =
            HashMap::new();
        for (county, ids) in by_county {
            let found = tx
                .all_in::<StoredDiagnosis>(
                    "SELECT id_number, icd10, diagnosed_on, disease_name, facility FROM diagnoses \
                     WHERE county_code = $1 AND id_number",
                    &[Value::Text(county)],
                    &ids,
                )
                .await?;
            stored.extend(
                found
                    .into_iter()
                    .map(|d| ((d.id_number.clone(), d.icd10.clone(), d.diagnosed_on), d)),
            );
        }
        let mut conflicts = Vec::new();
        let mut log = Vec::new();
        let mut new_rows: Vec<(&str, &DiagnosisRecord)> = Vec::new();
        for (row, d) in rows {
            let Some(county) = counties.get(d.id.as_str()) else {
                conflicts.push(Conflict {
                    row: *row,
                    code: "unknown_person",
                    other_household: None,
                });
                continue;
            };
            let key = (
                d.id.as_str().to_string(),
                d.icd10.as_str().to_string(),
                d.diagnosed_on,
            );
            let Some(s) = stored.get(&key) else {
                self.stats.touched(county);
                new_rows.push((county, d));
                continue;
            };
            let mut changes = Vec::new();
            diff(
                &mut changes,
                "disease_name",
                s.disease_name.clone(),
                d.disease_name.clone(),
            );
            diff(
                &mut changes,
                "facility",
                s.facility.clone(),
                d.facility.clone(),
            );
            if changes.is_empty() {
                self.stats.diagnoses_unchanged += 1;
                continue;
            }
            self.stats.diagnoses_updated += 1;
            self.stats.touched(county);
            self.update_diagnosis(county, d).await?;
            log_changes(
                &mut log,
                (county, "diagnosis", d.id.as_str(), None),
                changes,
            );
        }
        let batch = self.batch_id;
        let db_rows: Vec<Vec<Value>> = new_rows
            .iter()
            .map(|(county, d)| {
                vec![
                    Value::Text(county),
                    Value::Text(d.id.as_str()),
                    Value::Text(d.icd10.as_str()),
                    Value::Date(d.diagnosed_on),
                    d.disease_name.as_deref().into(),
                    d.facility.as_deref().into(),
                    Value::Int(batch),
                ]
            })
            .collect();
        self.tx()
            .insert("diagnoses", DIAGNOSIS_COLUMNS, &db_rows)
            .await?;
        self.stats.diagnoses_created += new_rows.len() as u64;
        self.write_log(log).await?;
        Ok(conflicts)
    }

    async fn update_diagnosis(&mut self, county: &str, d: &DiagnosisRecord) -> Result<()> {
        let sql = "UPDATE diagnoses SET disease_name = $1, facility = $2 \
                   WHERE county_code = $3 AND id_number = $4 AND icd10 = $5 AND diagnosed_on = $6";
        self.tx()
            .exec(
                sql,
                &[
                    d.disease_name.as_deref().into(),
                    d.facility.as_deref().into(),
                    Value::Text(county),
                    Value::Text(d.id.as_str()),
                    Value::Text(d.icd10.as_str()),
                    Value::Date(d.diagnosed_on),
                ],
            )
            .await?;
        Ok(())
    }

    async fn write_log(&mut self, entries: Vec<LogEntry>) -> Result<()> {
        let batch = self.batch_id;
        let first = self.seq;
        self.seq += entries.len() as i64;
        self.stats.changes += entries.len() as u64;
        let rows: Vec<Vec<Value>> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                vec![
                    Value::Text(&e.county),
                    Value::Int(batch),
                    Value::Int(first + i as i64 + 1),
                    Value::Text(e.entity),
                    Value::Text(&e.key),
                    e.household_no.as_deref().into(),
                    Value::Text(e.field),
                    e.old.as_deref().into(),
                    e.new.as_deref().into(),
                ]
            })
            .collect();
        self.tx().insert("change_log", LOG_COLUMNS, &rows).await
    }

    /// Prepares a load of `incoming` persons rows into SQLite: when it is
    /// large (100,000 rows or more, and at least twice as many as are
    /// stored, so mostly new persons), drops the [`DEFERRABLE_INDEXES`]
    /// inside this import's transaction; [`RegistryImport::commit`] builds
    /// them again before committing, and a rollback restores them with
    /// everything else. Sorting once is several times faster than keeping
    /// more B-trees in step row by row. The primary keys, which the import
    /// reads, stay. True when deferred.
    pub async fn defer_search_indexes(&mut self, incoming: u64) -> Result<bool> {
        let tx = self.tx();
        if !tx.defers_indexes() || incoming < DEFER_FROM_ROWS {
            return Ok(false);
        }
        let stored: i64 = tx.scalar("SELECT COUNT(*) FROM persons", &[]).await?;
        if (incoming as i64) < 2 * stored {
            return Ok(false);
        }
        for (name, _) in DEFERRABLE_INDEXES {
            // An identifier of this crate.
            tx.exec(AssertSqlSafe(format!("DROP INDEX {name}")), &[])
                .await?;
        }
        self.deferred_indexes = DEFERRABLE_INDEXES.to_vec();
        Ok(true)
    }

    /// Builds the deferred index `name` now if it was dropped.
    async fn ensure_index(&mut self, name: &str) -> Result<()> {
        let Some(at) = self.deferred_indexes.iter().position(|(n, _)| *n == name) else {
            return Ok(());
        };
        let (_, create) = self.deferred_indexes.remove(at);
        self.build_indexes(&[create]).await
    }

    /// Builds indexes inside the import's transaction.
    async fn build_indexes(&mut self, creates: &[&'static str]) -> Result<()> {
        let started = std::time::Instant::now();
        self.tx().build_indexes(creates).await?;
        tracing::info!(
            indexes = creates.len(),
            ms = started.elapsed().as_millis() as u64,
            "deferred indexes built"
        );
        Ok(())
    }

    /// Records the outcome and commits everything written.
    pub async fn commit(mut self, rows_total: u64, errors: u64) -> Result<ImportStats> {
        let deferred: Vec<&'static str> = std::mem::take(&mut self.deferred_indexes)
            .into_iter()
            .map(|(_, create)| create)
            .collect();
        if !deferred.is_empty() {
            self.build_indexes(&deferred).await?;
        }
        let written = self.stats.persons_created
            + self.stats.persons_updated
            + self.stats.persons_unchanged
            + self.stats.diagnoses_created
            + self.stats.diagnoses_updated
            + self.stats.diagnoses_unchanged
            + self.stats.claims_created
            + self.stats.reversals_created
            + self.stats.claims_unchanged;
        self.tx.take().expect("open").commit().await?;
        self.finish("committed", rows_total, written, errors)
            .await?;
        Ok(self.stats)
    }

    /// Discards everything written and records why.
    pub async fn rollback(mut self, rows_total: u64, errors: u64) -> Result<()> {
        self.tx.take().expect("open").rollback().await?;
        self.finish("rejected", rows_total, 0, errors).await
    }

    async fn finish(&self, status: &str, rows_total: u64, written: u64, errors: u64) -> Result<()> {
        let mut c = self.db.read().await?;
        batches::finish(&mut c, self.batch_id, status, rows_total, written, errors).await
    }
}

/// Adds one change-log entry per changed field of the record identified
/// by (county, entity, key, household).
fn log_changes(
    log: &mut Vec<LogEntry>,
    (county, entity, key, household_no): (&str, &'static str, &str, Option<&str>),
    changes: Vec<Change>,
) {
    log.extend(changes.into_iter().map(|(field, old, new)| LogEntry {
        county: county.to_string(),
        entity,
        key: key.to_string(),
        household_no: household_no.map(str::to_string),
        field,
        old,
        new,
    }));
}

fn sex_code(p: &PersonRecord) -> &'static str {
    match p.id.sex() {
        jianfu_domain::Sex::Male => "male",
        jianfu_domain::Sex::Female => "female",
    }
}

type Change = (&'static str, Option<String>, Option<String>);

fn diff(out: &mut Vec<Change>, field: &'static str, old: Option<String>, new: Option<String>) {
    if old != new {
        out.push((field, old, new));
    }
}

fn household_changes(s: &StoredHousehold, h: &HouseholdRecord) -> Vec<Change> {
    let mut out = Vec::new();
    diff(
        &mut out,
        "village_code",
        Some(s.village_code.clone()),
        Some(h.village.to_string()),
    );
    diff(
        &mut out,
        "household_type",
        Some(s.household_type.clone()),
        Some(h.household_type.code().to_string()),
    );
    diff(
        &mut out,
        "income_per_capita",
        s.income_per_capita
            .map(|f| jianfu_domain::Money::from_fen(f).to_string()),
        h.income_per_capita.map(|m| m.to_string()),
    );
    out
}

fn person_changes(s: &StoredPerson, p: &PersonRecord) -> Vec<Change> {
    let mut out = Vec::new();
    diff(&mut out, "name", Some(s.name.clone()), Some(p.name.clone()));
    diff(
        &mut out,
        "relation",
        Some(s.relation.clone()),
        Some(p.relation.code().to_string()),
    );
    diff(
        &mut out,
        "groups",
        Some(s.groups.clone()),
        Some(p.groups.codes()),
    );
    diff(&mut out, "phone", s.phone.clone(), p.phone.clone());
    diff(
        &mut out,
        "status",
        Some(s.status.clone()),
        Some(p.status.code().to_string()),
    );
    out
}

/// What is stored for the households and persons of one chunk, looked up
/// before the chunk is written (see [`Db::lookup_persons`]).
pub struct PersonsLookup {
    households: HashMap<(String, String), StoredHousehold>,
    persons: HashMap<String, StoredPerson>,
}

async fn lookup_persons(tx: &mut Tx, rows: &[(u64, PersonRecord)]) -> Result<PersonsLookup> {
    let mut by_county: HashMap<&str, Vec<String>> = HashMap::new();
    let mut seen = HashSet::new();
    for (_, p) in rows {
        let h = &p.household;
        if seen.insert((h.county_code(), h.household_no.as_str())) {
            by_county
                .entry(h.county_code())
                .or_default()
                .push(h.household_no.clone());
        }
    }
    let mut households = HashMap::new();
    for (county, numbers) in by_county {
        let found = tx
            .all_in::<StoredHousehold>(
                "SELECT household_no, village_code, household_type, income_per_capita \
                 FROM households WHERE county_code = $1 AND household_no",
                &[Value::Text(county)],
                &numbers,
            )
            .await?;
        households.extend(
            found
                .into_iter()
                .map(|h| ((county.to_string(), h.household_no.clone()), h)),
        );
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|(_, p)| p.id.as_str().to_string())
        .collect();
    let persons = tx
        .all_in::<StoredPerson>(
            "SELECT county_code, id_number, household_no, name, relation, groups, phone, status \
             FROM persons WHERE id_number",
            &[],
            &ids,
        )
        .await?
        .into_iter()
        .map(|p| (p.id_number.clone(), p))
        .collect();
    Ok(PersonsLookup {
        households,
        persons,
    })
}

impl Db {
    /// Looks up what is stored for a chunk of persons rows on a pooled
    /// connection, so that it can run on another core while an import
    /// writes the previous chunk (on PostgreSQL another backend; on SQLite
    /// a reader of the snapshot before the import, which WAL mode keeps
    /// apart from the writer). It sees data committed before the import;
    /// the import itself remembers the households it has already handled,
    /// and the file checks guarantee each ID number comes once.
    pub async fn lookup_persons(&self, rows: &[(u64, PersonRecord)]) -> Result<PersonsLookup> {
        lookup_persons(&mut self.read().await?, rows).await
    }

    /// True when [`Db::lookup_persons`] can run beside an import: the pool
    /// has a second connection to the same data (an in-memory SQLite
    /// database has one connection, and a second would be another
    /// database).
    pub fn can_look_up_alongside(&self) -> bool {
        self.max_connections() > 1
    }
}

/// The persons whose village lies under `prefix`, as sorted packed ID
/// numbers ([`jianfu_domain::IdCardNo::packed`]): 8 bytes a person, read
/// as a stream.
pub async fn person_keys_in(tx: &mut Tx, prefix: &str) -> Result<Vec<u64>> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT id_number FROM persons WHERE village_code >= $1 AND village_code < $2";
    let mut keys: Vec<u64> = Vec::new();
    let pack = |(id,): (String,)| {
        keys.extend(jianfu_domain::IdCardNo::parse(&id).ok().map(|i| i.packed()));
        Ok(())
    };
    tx.each(sql, &[Value::Text(&lo), Value::Text(&hi)], pack)
        .await?;
    keys.sort_unstable();
    Ok(keys)
}

/// True when the person with `id_number` lives in a village under
/// `prefix` (one primary-key lookup).
pub async fn person_is_in(tx: &mut Tx, id_number: &str, prefix: &str) -> Result<bool> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT COUNT(*) FROM persons WHERE id_number = $1 \
               AND village_code >= $2 AND village_code < $3";
    let args = [Value::Text(id_number), Value::Text(&lo), Value::Text(&hi)];
    let n: i64 = tx.scalar(sql, &args).await?;
    Ok(n > 0)
}

/// The lowest-coded village of `county` that has households (the demo
/// binds its village doctor there).
pub async fn first_village_with_households(tx: &mut Tx, county: &str) -> Result<Option<String>> {
    let sql = "SELECT MIN(village_code) FROM households WHERE county_code = $1";
    tx.scalar(sql, &[Value::Text(county)]).await
}
