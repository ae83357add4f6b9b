//! Writing persons and their households: each chunk is compared with
//! what is stored (one keyed lookup per county for the households, one
//! for the persons), new rows are inserted in bulk, changed ones updated
//! and logged field by field.

use std::collections::{HashMap, HashSet};

use jianfu_domain::{HouseholdRecord, PersonRecord, RegionLevel};

use super::changes::{LogEntry, household_changes, log_changes, person_changes};
use super::heads::{HouseholdKey, StoredHead};
use super::{Conflict, RegistryImport};
use crate::sql::{Tx, Value};
use crate::{Db, Result};

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

/// Stored household fields compared on re-import.
#[derive(sqlx::FromRow)]
pub(super) struct StoredHousehold {
    household_no: String,
    pub(super) village_code: String,
    pub(super) household_type: String,
    pub(super) income_per_capita: Option<i64>,
}

/// Stored person fields compared on re-import.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredPerson {
    county_code: String,
    id_number: String,
    household_no: String,
    pub(super) name: String,
    pub(super) relation: String,
    pub(super) groups: String,
    pub(super) phone: Option<String>,
    pub(super) status: String,
}

#[cfg(test)]
impl StoredPerson {
    /// A stored person of household `H1` in county 130624.
    pub(super) fn for_test(id: &str, relation: &str, status: &str) -> Self {
        StoredPerson {
            county_code: "130624".into(),
            id_number: id.into(),
            household_no: "H1".into(),
            name: "甲".into(),
            relation: relation.into(),
            groups: String::new(),
            phone: None,
            status: status.into(),
        }
    }
}

/// What is stored for the households and persons of one chunk, looked up
/// before the chunk is written (see [`lookup_persons`]).
pub struct PersonsLookup {
    households: HashMap<(String, String), StoredHousehold>,
    persons: HashMap<String, StoredPerson>,
    /// Active heads of the stored households among them.
    heads: HashMap<HouseholdKey, Vec<StoredHead>>,
}

/// Looks up what is stored for a chunk of persons rows. On the import's
/// own transaction, or on a second connection ([`crate::Db::read`]) so
/// that it runs on another core while the import writes the previous
/// chunk (another server backend, or a reader of the snapshot before the
/// import, which a WAL-mode file keeps apart from the writer). A second
/// connection sees data committed before the import;
/// the import itself remembers the households it has already handled, and
/// the file checks guarantee each ID number comes once.
pub async fn lookup_persons(tx: &mut Tx, rows: &[(u64, PersonRecord)]) -> Result<PersonsLookup> {
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
    let heads = stored_heads(tx, &households).await?;
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
        heads,
    })
}

/// The active heads of the stored households of a chunk (new households
/// have none, so a first import asks nothing).
async fn stored_heads(
    tx: &mut Tx,
    households: &HashMap<(String, String), StoredHousehold>,
) -> Result<HashMap<HouseholdKey, Vec<StoredHead>>> {
    let mut by_county: HashMap<&str, Vec<String>> = HashMap::new();
    for (county, no) in households.keys() {
        by_county.entry(county).or_default().push(no.clone());
    }
    let mut heads: HashMap<HouseholdKey, Vec<StoredHead>> = HashMap::new();
    for (county, numbers) in by_county {
        let found = tx
            .all_in::<StoredHead>(
                "SELECT household_no, id_number, name FROM persons \
                 WHERE county_code = $1 AND relation = 'head' AND status = 'active' \
                 AND household_no",
                &[Value::Text(county)],
                &numbers,
            )
            .await?;
        for h in found {
            let key = (county.to_string(), h.household_no.clone());
            heads.entry(key).or_default().push(h);
        }
    }
    Ok(heads)
}

/// True when [`lookup_persons`] can run on a second connection beside an
/// import: the pool has one (an in-memory database has a single
/// connection, and a second would be another database).
pub fn can_look_up_alongside(db: &Db) -> bool {
    db.max_connections() > 1
}

impl RegistryImport {
    /// Writes a chunk of persons rows (file row, record) and their
    /// households. Rows must have passed the file checks (no duplicate ID
    /// numbers, consistent households).
    pub async fn write_persons(&mut self, rows: &[(u64, PersonRecord)]) -> Result<Vec<Conflict>> {
        let lookup = lookup_persons(&mut self.tx, rows).await?;
        self.apply_persons(rows, lookup).await
    }

    /// Writes a chunk of persons rows given what was stored for them
    /// ([`lookup_persons`]).
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
        let mut kept: Vec<(&StoredPerson, &PersonRecord)> = Vec::new();
        for (row, p) in rows {
            let h = &p.household;
            let stored_heads = lookup
                .heads
                .get(&(h.county_code().to_string(), h.household_no.clone()))
                .map_or(&[][..], Vec::as_slice);
            match stored.get(p.id.as_str()) {
                Some(s) if s.county_code != h.county_code() || s.household_no != h.household_no => {
                    conflicts.push(Conflict {
                        row: *row,
                        code: "id_in_other_household",
                        other_household: Some(s.household_no.clone()),
                        stored_head: None,
                    });
                }
                found => {
                    if let Some(s) = found {
                        self.heads.note_member(s, p);
                    }
                    if self.heads.hold(*row, p, stored_heads) {
                        continue;
                    }
                    match found {
                        None => new_rows.push(p),
                        Some(s) => kept.push((s, p)),
                    }
                }
            }
        }
        for (s, p) in kept {
            self.compare_person(s, p, &mut log).await?;
        }
        self.insert_new(new_rows).await?;
        self.write_log(log).await?;
        let released = self.heads.released();
        if !released.is_empty() {
            self.write_released(&released).await?;
        }
        Ok(conflicts)
    }

    /// Inserts new persons, in key order so that consecutive inserts land
    /// on neighbouring index pages.
    async fn insert_new(&mut self, mut new_rows: Vec<&PersonRecord>) -> Result<()> {
        for p in &new_rows {
            let h = &p.household;
            self.stats.touched(h.county_code());
            self.monitored.household(h.county_code(), &h.household_no);
        }
        new_rows
            .sort_unstable_by_key(|p| (p.household.village.at_level(RegionLevel::County), p.id));
        self.insert_persons(&new_rows).await
    }

    /// Writes head rows that were held back until the household's stored
    /// head stepped down (which this import has now written).
    async fn write_released(&mut self, rows: &[(u64, PersonRecord)]) -> Result<()> {
        let lookup = lookup_persons(&mut self.tx, rows).await?;
        let mut log = Vec::new();
        let mut new_rows = Vec::new();
        for (_, p) in rows {
            match lookup.persons.get(p.id.as_str()) {
                None => new_rows.push(p),
                Some(s) => self.compare_person(s, p, &mut log).await?,
            }
        }
        self.insert_new(new_rows).await?;
        self.write_log(log).await
    }

    /// The head rows still held back when the file has been read: each
    /// would make a second active head of its household, so each is
    /// refused.
    pub fn refused_heads(&mut self) -> Vec<Conflict> {
        self.heads.refused()
    }

    /// Updates a stored person of the same household where the record
    /// differs, logging each changed field.
    async fn compare_person(
        &mut self,
        s: &StoredPerson,
        p: &PersonRecord,
        log: &mut Vec<LogEntry>,
    ) -> Result<()> {
        let h = &p.household;
        let changes = person_changes(s, p);
        if changes.is_empty() {
            self.stats.persons_unchanged += 1;
            return Ok(());
        }
        self.stats.persons_updated += 1;
        self.stats.touched(h.county_code());
        self.monitored.household(h.county_code(), &h.household_no);
        self.update_person(p).await?;
        let key = (
            h.county_code(),
            "person",
            p.id.as_str(),
            Some(h.household_no.as_str()),
        );
        log_changes(log, key, changes);
        Ok(())
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
                    self.monitored.household(h.county_code(), &h.household_no);
                    new_rows.push(*h);
                }
                Some(s) => {
                    let changes = household_changes(s, h);
                    if changes.is_empty() {
                        continue;
                    }
                    self.stats.households_updated += 1;
                    self.stats.touched(h.county_code());
                    self.monitored.household(h.county_code(), &h.household_no);
                    self.update_household(h).await?;
                    let no = h.household_no.as_str();
                    log_changes(log, (h.county_code(), "household", no, Some(no)), changes);
                }
            }
        }
        self.insert_households(&new_rows).await
    }

    async fn insert_households(&mut self, households: &[&HouseholdRecord]) -> Result<()> {
        let (batch, now) = (self.batch_id, self.now);
        let rows: Vec<Vec<Value>> = households
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
        self.tx
            .insert("households", HOUSEHOLD_COLUMNS, &rows)
            .await?;
        // Creation is recorded by `created_batch` on the row itself, not
        // in the change log: a first import of a county writes no history.
        self.stats.households_created += households.len() as u64;
        Ok(())
    }

    async fn insert_persons(&mut self, persons: &[&PersonRecord]) -> Result<()> {
        let (batch, now) = (self.batch_id, self.now);
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
        self.tx.insert("persons", PERSON_COLUMNS, &rows).await?;
        self.stats.persons_created += persons.len() as u64;
        Ok(())
    }

    async fn update_household(&mut self, h: &HouseholdRecord) -> Result<()> {
        let sql = "UPDATE households SET village_code = $1, household_type = $2, \
                   income_per_capita = $3, updated_at = $4 \
                   WHERE county_code = $5 AND household_no = $6";
        let members =
            "UPDATE persons SET village_code = $1 WHERE county_code = $2 AND household_no = $3";
        self.ensure_index("persons_household").await?;
        let village = h.village.as_str();
        let args = [
            Value::Text(village),
            Value::Text(h.household_type.code()),
            h.income_per_capita.map(|m| m.fen()).into(),
            Value::Timestamp(self.now),
            Value::Text(h.county_code()),
            Value::Text(&h.household_no),
        ];
        self.tx.exec(sql, &args).await?;
        // Members follow their household's village.
        let args = [
            Value::Text(village),
            Value::Text(h.county_code()),
            Value::Text(&h.household_no),
        ];
        self.tx.exec(members, &args).await?;
        Ok(())
    }

    async fn update_person(&mut self, p: &PersonRecord) -> Result<()> {
        let sql = "UPDATE persons SET name = $1, relation = $2, groups = $3, phone = $4, \
                   status = $5, updated_at = $6 WHERE county_code = $7 AND id_number = $8";
        let groups = p.groups.codes();
        let args = [
            Value::Text(&p.name),
            Value::Text(p.relation.code()),
            Value::Text(&groups),
            p.phone.as_deref().into(),
            Value::Text(p.status.code()),
            Value::Timestamp(self.now),
            Value::Text(p.household.county_code()),
            Value::Text(p.id.as_str()),
        ];
        self.tx.exec(sql, &args).await?;
        Ok(())
    }
}

fn sex_code(p: &PersonRecord) -> &'static str {
    match p.id.sex() {
        jianfu_domain::Sex::Male => "male",
        jianfu_domain::Sex::Female => "female",
    }
}
