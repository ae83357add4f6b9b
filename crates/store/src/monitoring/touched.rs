//! The households a write touched, for the incremental evaluation that
//! commits with it (`monitoring.md` §4: stored alerts stay equal to a
//! batch evaluation after every import, reversal, registry change and
//! policy change).
//!
//! Writers note what they changed as they change it: the registry names
//! households (a household row, or a member of it, created or changed),
//! diagnoses and claims name persons (a new diagnosis; a new claim, a
//! reversal, a claim whose amounts were re-settled). Persons are kept
//! packed (12 bytes and the set's overhead, not two strings), because a
//! claims import of millions of rows touches nearly every person of a
//! county; their households are found when the evaluation runs.

use std::collections::{BTreeMap, HashSet};

use jianfu_domain::IdCardNo;

use crate::Result;
use crate::sql::{Tx, Value};

/// Households and persons whose monitoring inputs a write changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// (county code, 户编号).
    households: HashSet<(String, String)>,
    /// (county code as a number, packed ID number).
    persons: HashSet<(u32, u64)>,
}

/// What one county's part of a [`Touched`] names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountyTouched {
    /// 户编号 of the households named.
    pub households: HashSet<String>,
    /// Packed ID numbers of the persons named.
    pub persons: HashSet<u64>,
}

impl CountyTouched {
    /// Households and persons named.
    pub fn len(&self) -> usize {
        self.households.len() + self.persons.len()
    }

    /// True when nothing is named.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Touched {
    /// Notes a household.
    pub fn household(&mut self, county: &str, household_no: &str) {
        let key = (county.to_string(), household_no.to_string());
        if !self.households.contains(&key) {
            self.households.insert(key);
        }
    }

    /// Notes a person; a county code that is not six digits is ignored
    /// (nothing stored can have it).
    pub fn person(&mut self, county: &str, id: &IdCardNo) {
        if let Ok(county) = county.parse::<u32>() {
            self.persons.insert((county, id.packed()));
        }
    }

    /// Notes a person given packed (a settlement key).
    pub(crate) fn packed_person(&mut self, county: u32, person: u64) {
        self.persons.insert((county, person));
    }

    /// Adds everything `other` names.
    pub fn extend(&mut self, other: Touched) {
        self.households.extend(other.households);
        self.persons.extend(other.persons);
    }

    /// True when nothing is named.
    pub fn is_empty(&self) -> bool {
        self.households.is_empty() && self.persons.is_empty()
    }

    /// What is named, by county code, in code order.
    pub fn by_county(self) -> BTreeMap<String, CountyTouched> {
        let mut out: BTreeMap<String, CountyTouched> = BTreeMap::new();
        for (county, no) in self.households {
            out.entry(county).or_default().households.insert(no);
        }
        for (county, person) in self.persons {
            out.entry(format!("{county:06}"))
                .or_default()
                .persons
                .insert(person);
        }
        out
    }
}

/// The 户编号 of the households of `county` whose members include one
/// of `persons` (packed ID numbers), in byte order.
pub async fn households_of_persons(
    tx: &mut Tx,
    county: &str,
    persons: &HashSet<u64>,
) -> Result<Vec<String>> {
    let ids: Vec<String> = persons
        .iter()
        .filter_map(|&p| IdCardNo::from_packed(p))
        .map(|id| id.as_str().to_string())
        .collect();
    let mut found: Vec<String> = tx
        .all_in::<(String,)>(
            "SELECT household_no FROM persons WHERE county_code = $1 AND id_number",
            &[Value::Text(county)],
            &ids,
        )
        .await?
        .into_iter()
        .map(|(no,)| no)
        .collect();
    found.sort_unstable();
    found.dedup();
    Ok(found)
}
