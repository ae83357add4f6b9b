//! One active head per household across a persons import and what is
//! stored.
//!
//! The file checks already allow one head row per household in a file;
//! only the database knows whether the household has a stored active head
//! too. A head row whose household has another active head stored is held
//! back until that stored head appears in the file stepping down (another
//! relation, or a status other than 正常): then it is written. A head row
//! still held when the file ends is refused with `two_heads`, naming the
//! stored head, so the registry never holds two active heads in a
//! household. Holding back (rather than refusing at once) lets a file list
//! the new head before the old one, as files sorted by name do.

use std::collections::{HashMap, HashSet};

use jianfu_domain::{PersonRecord, PersonStatus, Relation};

use super::Conflict;
use super::persons::StoredPerson;

/// A stored active head of a household.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredHead {
    /// The household's 户编号 (the county is the lookup's key).
    pub household_no: String,
    /// 身份证号. Personal data.
    pub id_number: String,
    /// 姓名. Personal data.
    pub name: String,
}

/// Household key: county code and 户编号.
pub(super) type HouseholdKey = (String, String);

/// A head row waiting for its household's stored head to step down, with
/// the household's rows that came after it.
struct Held {
    row: u64,
    record: PersonRecord,
    /// Stored active heads other than the row's person.
    blockers: Vec<StoredHead>,
    /// Later rows of the household: they stand or fall with their head,
    /// so another family's members never join the stored one.
    members: Vec<(u64, PersonRecord)>,
}

/// The state of one import.
#[derive(Default)]
pub(super) struct HeadGuard {
    /// Stored active heads that this import has written as something else.
    stepped_down: HashSet<String>,
    held: HashMap<HouseholdKey, Held>,
}

/// True for a row that makes its person an active head.
fn is_active_head(p: &PersonRecord) -> bool {
    p.relation == Relation::Head && p.status == PersonStatus::Active
}

impl HeadGuard {
    /// Notes a row of a stored person of the same household: a stored
    /// active head written as anything else steps down.
    pub(super) fn note_member(&mut self, stored: &StoredPerson, p: &PersonRecord) {
        let was_head = stored.relation == Relation::Head.code()
            && stored.status == PersonStatus::Active.code();
        if was_head && !is_active_head(p) {
            self.stepped_down.insert(p.id.as_str().to_string());
        }
    }

    /// Holds `p` back when it would be a second active head of its
    /// household; true when held. `stored` lists the household's stored
    /// active heads (as before the import).
    pub(super) fn hold(&mut self, row: u64, p: &PersonRecord, stored: &[StoredHead]) -> bool {
        let h = &p.household;
        let key = (h.county_code().to_string(), h.household_no.clone());
        if let Some(held) = self.held.get_mut(&key) {
            held.members.push((row, p.clone()));
            return true;
        }
        if !is_active_head(p) {
            return false;
        }
        let blockers: Vec<StoredHead> = stored
            .iter()
            .filter(|s| s.id_number != p.id.as_str() && !self.stepped_down.contains(&s.id_number))
            .cloned()
            .collect();
        if blockers.is_empty() {
            return false;
        }
        self.held.insert(
            key,
            Held {
                row,
                record: p.clone(),
                blockers,
                members: Vec::new(),
            },
        );
        true
    }

    /// The held rows whose blockers have all stepped down, now free to be
    /// written.
    pub(super) fn released(&mut self) -> Vec<(u64, PersonRecord)> {
        if self.held.is_empty() || self.stepped_down.is_empty() {
            return Vec::new();
        }
        let down = &self.stepped_down;
        let free: Vec<HouseholdKey> = self
            .held
            .iter()
            .filter(|(_, h)| h.blockers.iter().all(|b| down.contains(&b.id_number)))
            .map(|(k, _)| k.clone())
            .collect();
        let mut rows: Vec<(u64, PersonRecord)> = free
            .iter()
            .filter_map(|k| self.held.remove(k))
            .flat_map(|h| std::iter::once((h.row, h.record)).chain(h.members))
            .collect();
        rows.sort_unstable_by_key(|(row, _)| *row);
        rows
    }

    /// The rows still held at the end of the file, refused. Each held head is refused with `two_heads`; the rows held with it
    /// with `household_head_rejected`.
    pub(super) fn refused(&mut self) -> Vec<Conflict> {
        let down = &self.stepped_down;
        let mut out: Vec<Conflict> = self
            .held
            .drain()
            .flat_map(|(_, h)| {
                let head = h
                    .blockers
                    .into_iter()
                    .find(|b| !down.contains(&b.id_number));
                let conflict = |row, code| Conflict {
                    row,
                    code,
                    other_household: None,
                    stored_head: head.clone(),
                };
                let members: Vec<Conflict> = h
                    .members
                    .iter()
                    .map(|(row, _)| conflict(*row, "household_head_rejected"))
                    .collect();
                std::iter::once(conflict(h.row, "two_heads")).chain(members)
            })
            .collect();
        out.sort_unstable_by_key(|c| c.row);
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use jianfu_domain::{GroupSet, HouseholdRecord, HouseholdType, IdCardNo, RegionCode};

    use super::*;

    fn id(sequence: u16) -> IdCardNo {
        let birth = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
        IdCardNo::from_parts("130624", birth, sequence).unwrap()
    }

    fn stored(id: &IdCardNo) -> StoredHead {
        StoredHead {
            household_no: "H1".into(),
            id_number: id.as_str().into(),
            name: "甲".into(),
        }
    }

    fn record(id: &IdCardNo, relation: Relation, status: PersonStatus) -> PersonRecord {
        PersonRecord {
            household: HouseholdRecord {
                household_no: "H1".into(),
                village: RegionCode::parse("130624100001").unwrap(),
                household_type: HouseholdType::FormerlyPoor,
                income_per_capita: None,
            },
            name: "乙".into(),
            id: *id,
            relation,
            groups: GroupSet::default(),
            phone: None,
            status,
        }
    }

    #[test]
    fn a_second_head_is_held_until_the_stored_one_steps_down() {
        let (old, new) = (id(1), id(2));
        let mut g = HeadGuard::default();
        let head = record(&new, Relation::Head, PersonStatus::Active);
        assert!(g.hold(2, &head, &[stored(&old)]));
        assert!(g.released().is_empty());
        let sp = StoredPerson::for_test(old.as_str(), "head", "active");
        g.note_member(&sp, &record(&old, Relation::Spouse, PersonStatus::Active));
        let free = g.released();
        assert_eq!(free.len(), 1);
        assert_eq!(free[0].0, 2);
        assert!(g.refused().is_empty());
    }

    #[test]
    fn a_head_still_held_at_the_end_is_refused_naming_the_stored_head() {
        let (old, new) = (id(1), id(2));
        let mut g = HeadGuard::default();
        let head = record(&new, Relation::Head, PersonStatus::Active);
        assert!(g.hold(7, &head, &[stored(&old)]));
        let child = record(&id(3), Relation::Child, PersonStatus::Active);
        assert!(
            g.hold(8, &child, &[stored(&old)]),
            "stands or falls with its head"
        );
        let refused = g.refused();
        assert_eq!(refused.len(), 2);
        assert_eq!(
            (refused[1].row, refused[1].code),
            (8, "household_head_rejected")
        );
        assert_eq!(refused[0].code, "two_heads");
        assert_eq!(refused[0].row, 7);
        let named = refused[0].stored_head.as_ref().unwrap();
        assert_eq!(named.id_number, old.as_str());
    }

    #[test]
    fn the_same_person_or_a_head_who_died_is_never_held() {
        let (old, new) = (id(1), id(2));
        let mut g = HeadGuard::default();
        let same = record(&old, Relation::Head, PersonStatus::Active);
        assert!(!g.hold(1, &same, &[stored(&old)]));
        let died = record(&new, Relation::Head, PersonStatus::Deceased);
        assert!(!g.hold(2, &died, &[stored(&old)]));
    }
}
