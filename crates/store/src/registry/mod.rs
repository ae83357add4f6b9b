//! The registry: households, persons and diagnoses with their change
//! history.
//!
//! Writing (`import`, `persons`, `diagnoses`, `changes`): one import is
//! one transaction and one change batch. Rows arrive in chunks of parsed
//! records; each chunk is compared with what is stored, and only real
//! differences are written, each kept in the change log (field, old
//! value, new value) under the batch that records source file, user and
//! time. Conflicts only the database can see (an ID number registered in
//! another household, a second active head of a household, a diagnosis
//! of an unknown person) come back as
//! [`Conflict`]s for the caller's error report; the rows concerned are not
//! written.
//!
//! Reading (`views`, `history`, `search`): a household with its members,
//! a person, counts under a region, the history of a record, and the
//! person search, each inside the caller's jurisdiction.

mod changes;
mod diagnoses;
mod heads;
mod history;
mod import;
mod persons;
mod search;
mod views;

use serde::Serialize;

pub use heads::StoredHead;
pub use history::{ChangeRow, history};
pub use import::{DEFER_FROM_ROWS, DEFERRABLE_INDEXES, RegistryImport};
pub use persons::{PersonsLookup, can_look_up_alongside, lookup_persons};
pub use search::{COUNT_CAP, PersonHit, PersonPage, PersonSearch, PersonSort, search_persons};
pub use views::{
    DiagnosisRow, HouseholdRow, PersonRow, RegionCount, counts_by_child, diagnoses_of,
    diagnoses_of_household, first_village_with_households, household, household_members, person,
    person_is_in, person_keys_in, totals,
};

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
    /// Department pushes stored (each opened or joined a case).
    pub pushes_created: u64,
    /// Department pushes already stored (a re-import).
    pub pushes_unchanged: u64,
    /// Cases opened by department pushes.
    pub push_cases_opened: u64,
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
    /// Stable code: `id_in_other_household`, `two_heads` or
    /// `unknown_person`.
    pub code: &'static str,
    /// The household the ID number is already registered in, if any.
    pub other_household: Option<String>,
    /// For `two_heads`: the household's stored active head.
    pub stored_head: Option<StoredHead>,
}
