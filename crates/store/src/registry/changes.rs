//! The change log: one entry per changed field (old value, new value)
//! under the import's batch, numbered within it.

use jianfu_domain::{HouseholdRecord, PersonRecord};

use super::RegistryImport;
use super::persons::{StoredHousehold, StoredPerson};
use crate::Result;
use crate::sql::Value;

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
pub(super) struct LogEntry {
    county: String,
    entity: &'static str,
    key: String,
    household_no: Option<String>,
    field: &'static str,
    old: Option<String>,
    new: Option<String>,
}

/// Adds one change-log entry per changed field of the record identified
/// by (county, entity, key, household).
pub(super) fn log_changes(
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

impl RegistryImport {
    /// Writes the entries of a chunk, numbered after those of the chunks
    /// before.
    pub(super) async fn write_log(&mut self, entries: Vec<LogEntry>) -> Result<()> {
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
        self.tx.insert("change_log", LOG_COLUMNS, &rows).await
    }
}

/// A changed field: name, old value, new value.
pub(super) type Change = (&'static str, Option<String>, Option<String>);

pub(super) fn diff(
    out: &mut Vec<Change>,
    field: &'static str,
    old: Option<String>,
    new: Option<String>,
) {
    if old != new {
        out.push((field, old, new));
    }
}

pub(super) fn household_changes(s: &StoredHousehold, h: &HouseholdRecord) -> Vec<Change> {
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

pub(super) fn person_changes(s: &StoredPerson, p: &PersonRecord) -> Vec<Change> {
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
