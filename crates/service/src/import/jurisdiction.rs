//! The importer's jurisdiction, asked by both passes: a household by its
//! village (against the region tree, read a county at a time), a diagnosis
//! or claim by the stored village of the person it names. The first pass
//! judges every row by it, so one report lists every problem; the write
//! pass applies it again to the rows it writes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use jianfu_domain::{IdCardNo, RegionCode, RegionLevel, Scope};
use jianfu_ingest::{
    ImportKind, Judge, PersonCheck, Question, ReportSink, RowError, Severity, Subject,
    VillageCheck, outside_jurisdiction,
};
use jianfu_store::{Db, StoreError, regions, registry};

use super::writer::Rows;

/// Files up to this size judge their persons one lookup at a time; larger
/// ones read the jurisdiction's persons once. A province officer's file
/// of a few rows then does not read millions of ID numbers.
const LOOKUP_FILES_UP_TO_BYTES: u64 = 512 * 1024;

/// Who is inside, shared by the two passes.
pub(super) struct Jurisdiction {
    /// `None` for a national importer: nothing is outside.
    scope: Option<Scope>,
    /// Who is inside, for kinds whose rows name persons (for a national
    /// importer: who is listed, asked only for a small file); `None` when
    /// the first pass does not look persons up.
    persons: Option<PersonsInside>,
}

/// The persons inside a jurisdiction, as far as an import needs them.
enum PersonsInside {
    /// All of them, as sorted packed ID numbers (8 bytes a person).
    All(Vec<u64>),
    /// Asked one at a time from the check pass's blocking thread; every
    /// answer is kept, so the write pass asks nothing.
    Asked {
        db: Db,
        runtime: tokio::runtime::Handle,
        answers: Mutex<HashMap<u64, bool>>,
    },
}

impl Jurisdiction {
    /// The jurisdiction `scope` for a file of kind `K` at `path`.
    pub(super) async fn load<K: ImportKind>(
        db: &Db,
        scope: &Scope,
        path: &Path,
    ) -> Result<Self, StoreError> {
        let scope = Some(*scope).filter(|s| !s.prefix().is_empty());
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= LOOKUP_FILES_UP_TO_BYTES);
        let asked = || PersonsInside::Asked {
            db: db.clone(),
            runtime: tokio::runtime::Handle::current(),
            answers: Default::default(),
        };
        let persons = match (&scope, K::QUESTION) {
            (_, Question::Village) => None,
            (_, Question::Person) if small => Some(asked()),
            (Some(s), Question::Person) => {
                let keys = registry::person_keys_in(&mut db.read().await?, s.prefix()).await?;
                Some(PersonsInside::All(keys))
            }
            // National: the whole registry is too large to read, so a
            // large file leaves unknown persons to the write pass.
            (None, Question::Person) => None,
        };
        Ok(Jurisdiction { scope, persons })
    }

    /// True when the person is inside (national: listed at all). A failed
    /// lookup counts as outside: the row is refused and reported, never
    /// written unchecked. Only the first pass, on its blocking thread, may
    /// ask (`may_ask`); the write pass runs on the async runtime and reads
    /// the kept answers, which cover every row the first pass accepted.
    fn is_inside(&self, id: &IdCardNo, may_ask: bool) -> bool {
        let key = id.packed();
        match &self.persons {
            None => true,
            Some(PersonsInside::All(keys)) => keys.binary_search(&key).is_ok(),
            Some(PersonsInside::Asked {
                db,
                runtime,
                answers,
            }) => {
                if let Some(&inside) = answers.lock().expect("answers lock").get(&key) {
                    return inside;
                }
                if !may_ask {
                    return false;
                }
                let inside = runtime
                    .block_on(async {
                        let mut c = db.read().await?;
                        registry::person_is_in(&mut c, id.as_str(), self.prefix()).await
                    })
                    .unwrap_or_else(|e| {
                        tracing::error!(error = %e, "jurisdiction lookup failed");
                        false
                    });
                answers.lock().expect("answers lock").insert(key, inside);
                inside
            }
        }
    }

    /// The region code prefix of the jurisdiction (`""`: anywhere).
    fn prefix(&self) -> &str {
        self.scope.as_ref().map_or("", Scope::prefix)
    }

    /// The first pass's verdict on a person a row names (called on a
    /// blocking thread). In a jurisdiction only the persons inside are
    /// known, so a person the registry lacks and one listed elsewhere get
    /// the same answer; a national importer is told a person is not listed
    /// (for a large file, by the write pass).
    fn person_check(&self, id: &IdCardNo) -> PersonCheck {
        if self.is_inside(id, true) {
            PersonCheck::Listed
        } else if self.scope.is_some() {
            PersonCheck::OutsideJurisdiction
        } else {
            PersonCheck::NotListed
        }
    }

    /// The rows of a chunk inside the jurisdiction; the others go to
    /// `report`, and their number is returned too.
    pub(super) fn keep_inside<K: ImportKind>(
        &self,
        rows: Rows<K::Record>,
        file: &Arc<str>,
        report: &mut dyn ReportSink,
    ) -> (Rows<K::Record>, u64) {
        let Some(scope) = &self.scope else {
            return (rows, 0);
        };
        let (inside, outside): (Rows<K::Record>, Rows<K::Record>) =
            rows.into_iter()
                .partition(|(_, r)| match K::record_subject(r) {
                    Subject::Village(v) => scope.contains_str(v.as_str()),
                    Subject::Person(id) => self.is_inside(&id, false),
                });
        for (row, r) in &outside {
            let row = u32::try_from(*row).unwrap_or(u32::MAX);
            report.push(outside_jurisdiction::<K>(file, row, K::record_subject(r)));
        }
        (inside, outside.len() as u64)
    }
}

/// The first pass's judge: the jurisdiction, and the region tree's levels
/// read a county at a time as the file names its villages (a county file
/// reads a few hundred codes, not the 665,000 of the whole tree). Lives
/// on the check pass's blocking thread, which waits for each read.
pub(super) struct CheckJudge<'a> {
    jurisdiction: &'a Jurisdiction,
    db: Db,
    runtime: tokio::runtime::Handle,
    counties: RefCell<HashMap<String, HashMap<u64, RegionLevel>>>,
    error: RefCell<Option<StoreError>>,
}

impl<'a> CheckJudge<'a> {
    pub(super) fn new(
        jurisdiction: &'a Jurisdiction,
        db: Db,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        CheckJudge {
            jurisdiction,
            db,
            runtime,
            counties: Default::default(),
            error: Default::default(),
        }
    }

    /// The first failed read of the region tree, if any: the check's
    /// verdicts are then void.
    pub(super) fn into_error(self) -> Option<StoreError> {
        self.error.into_inner()
    }

    /// The levels of the region tree under `county`, read once.
    fn levels_of(&self, county: &str) -> HashMap<u64, RegionLevel> {
        self.runtime
            .block_on(async {
                let mut c = self.db.read().await?;
                regions::region_levels_under(&mut c, county).await
            })
            .unwrap_or_else(|e| {
                self.error.borrow_mut().get_or_insert(e);
                HashMap::new()
            })
    }
}

impl Judge for CheckJudge<'_> {
    /// Outside the jurisdiction, or as the tree says. A failed read
    /// judges the code unknown and is kept for [`CheckJudge::into_error`].
    fn village(&self, code: &RegionCode) -> VillageCheck {
        if self.jurisdiction.scope.is_some_and(|s| !s.contains(code)) {
            return VillageCheck::OutsideJurisdiction;
        }
        let mut counties = self.counties.borrow_mut();
        let levels = counties
            .entry(code.county_code().to_string())
            .or_insert_with_key(|county| self.levels_of(county));
        village_status(levels, code)
    }

    fn person(&self, id: &IdCardNo) -> PersonCheck {
        self.jurisdiction.person_check(id)
    }
}

/// Judges a village code against the loaded region tree. A code missing
/// from the edition is still accepted (with a warning) when its township
/// exists and its village segment is in the statistical ranges (001–199
/// 居委会, 200–399 村委会): registry lists often carry codes of villages
/// merged since.
fn village_status(levels: &HashMap<u64, RegionLevel>, code: &RegionCode) -> VillageCheck {
    let level_of = |c: &RegionCode| c.as_str().parse::<u64>().ok().and_then(|n| levels.get(&n));
    match level_of(code) {
        Some(RegionLevel::Village) => VillageCheck::Ok,
        Some(_) => VillageCheck::NotAVillage,
        None => {
            let segment: u32 = code.as_str()[9..].parse().unwrap_or(0);
            let township = code.at_level(RegionLevel::Township);
            if code.level() == RegionLevel::Village
                && (1..=399).contains(&segment)
                && level_of(&township) == Some(&RegionLevel::Township)
            {
                VillageCheck::Unlisted
            } else {
                VillageCheck::NotFound
            }
        }
    }
}

/// Counts the first pass's errors about whom a row names (outside the
/// jurisdiction, not in the registry) on their way to the report. The
/// write pass finds those rows too, so a file whose only errors are these
/// still goes through the write pass, rows refused, before an
/// all-or-nothing import rolls back: one report then also holds what only
/// the database can see (a claim id stored with other content, a missing
/// policy), instead of a second round for the user.
pub(super) struct PersonErrors<'a> {
    inner: &'a mut dyn ReportSink,
    /// Errors counted.
    pub(super) count: u64,
}

impl<'a> PersonErrors<'a> {
    pub(super) fn new(inner: &'a mut dyn ReportSink) -> Self {
        PersonErrors { inner, count: 0 }
    }

    /// True when all of the file's `errors` were about persons.
    pub(super) fn only(person_errors: u64, errors: u64) -> bool {
        errors > 0 && person_errors == errors
    }
}

impl ReportSink for PersonErrors<'_> {
    fn push(&mut self, error: RowError) {
        if error.severity == Severity::Error
            && matches!(
                error.code,
                "outside_jurisdiction" | "unknown_person" | "person_not_in_registry"
            )
        {
            self.count += 1;
        }
        self.inner.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_codes_missing_from_the_edition() {
        let levels: HashMap<u64, RegionLevel> = [
            (130624100000, RegionLevel::Township),
            (130624100200, RegionLevel::Village),
        ]
        .into_iter()
        .collect();
        let check = |c: &str| village_status(&levels, &RegionCode::parse(c).unwrap());
        assert_eq!(check("130624100200"), VillageCheck::Ok);
        assert_eq!(check("130624100000"), VillageCheck::NotAVillage);
        assert_eq!(
            check("130624100201"),
            VillageCheck::Unlisted,
            "merged village, township known"
        );
        assert_eq!(
            check("130624100999"),
            VillageCheck::NotFound,
            "segment out of range"
        );
        assert_eq!(
            check("130624109201"),
            VillageCheck::NotFound,
            "township unknown"
        );
    }
}
