//! What the rules read: households with their members, each member's
//! diagnoses and standing claims.
//!
//! Two shapes hold the same facts. [`Household`] is one household as owned
//! values, convenient for a page or a test. [`Households`] is the batch
//! form: flat arrays sorted by household, where a household names its
//! persons and a person its claims and diagnoses by index range, and every
//! text (户编号, 结算单号) lives in one shared buffer. The rules run on the
//! batch form only, so a single household is pushed into a batch of one;
//! a whole province's year fits in a few hundred megabytes and is walked
//! without allocating.
//!
//! Claims must be standing ones (neither reversed nor a reversal): the
//! caller filters them, as for settlement.

use std::ops::Range;

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{
    ClaimKind, GroupSet, HouseholdType, Icd10, IdCardNo, Money, PersonStatus, RegionCode,
};

/// The facts of one standing claim the rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimFacts {
    /// 结算时间 (Beijing local time): decides the year and the as-of cut.
    pub settled_at: NaiveDateTime,
    /// 就诊类型.
    pub kind: ClaimKind,
    /// 医疗总费用.
    pub total: Money,
    /// 个人自付 after every tier, as stored after settlement.
    pub out_of_pocket: Money,
    /// 是否一站式结算, when known.
    pub one_stop: Option<bool>,
    /// The person's groups on `settled_at`, including those implied by
    /// the household type.
    pub groups: GroupSet,
}

/// A claim with its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// 结算单号.
    pub claim_id: String,
    /// The facts.
    pub facts: ClaimFacts,
}

/// A diagnosis of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// 疾病编码.
    pub icd10: Icd10,
    /// 确诊日期.
    pub diagnosed_on: NaiveDate,
}

/// A member of a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// 身份证号. Shown masked in explanations.
    pub id: IdCardNo,
    /// 人员状态 now.
    pub status: PersonStatus,
    /// Groups on the evaluation date, including those implied by the
    /// household type.
    pub groups: GroupSet,
    /// Date of birth (age limits of disease entries).
    pub birth_date: NaiveDate,
    /// Every diagnosis recorded, of any date.
    pub diagnoses: Vec<Diagnosis>,
    /// Standing claims.
    pub claims: Vec<Claim>,
}

/// One household as owned values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// The village it is registered in (the county code is its prefix).
    pub village: RegionCode,
    /// 户编号.
    pub household_no: String,
    /// 户类别 now.
    pub household_type: HouseholdType,
    /// 家庭年人均纯收入; `None` when unknown.
    pub income_per_capita: Option<Money>,
    /// The persons registered in it now, of any status.
    pub members: Vec<Member>,
}

/// A half-open index range stored in 8 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A household row of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdRow {
    /// The village.
    pub village: RegionCode,
    /// 户类别.
    pub household_type: HouseholdType,
    /// 家庭年人均纯收入; `None` when unknown.
    pub income_per_capita: Option<Money>,
    household_no: u32,
    persons: Span,
}

/// A person row of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonRow {
    /// 身份证号.
    pub id: IdCardNo,
    /// 人员状态.
    pub status: PersonStatus,
    /// Groups on the evaluation date.
    pub groups: GroupSet,
    /// Date of birth.
    pub birth_date: NaiveDate,
    claims: Span,
    diagnoses: Span,
}

/// Strings stored end to end, addressed by position.
#[derive(Debug, Clone, Default)]
struct Texts {
    buf: String,
    ends: Vec<u32>,
}

impl Texts {
    fn push(&mut self, s: &str) -> u32 {
        self.buf.push_str(s);
        let end = u32::try_from(self.buf.len()).expect("batch text under 4 GiB");
        self.ends.push(end);
        (self.ends.len() - 1) as u32
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
}

/// Many households in flat arrays, sorted by household.
///
/// Build it with the `push_*` methods in order: a household, then its
/// persons, each followed by its claims and diagnoses.
#[derive(Debug, Clone, Default)]
pub struct Households {
    households: Vec<HouseholdRow>,
    persons: Vec<PersonRow>,
    claims: Vec<ClaimFacts>,
    diagnoses: Vec<Diagnosis>,
    household_nos: Texts,
    claim_ids: Texts,
}

fn index(len: usize) -> u32 {
    u32::try_from(len).expect("a batch holds fewer than 4 billion rows")
}

impl Households {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for the given numbers of rows.
    pub fn with_capacity(households: usize, persons: usize, claims: usize) -> Self {
        Households {
            households: Vec::with_capacity(households),
            persons: Vec::with_capacity(persons),
            claims: Vec::with_capacity(claims),
            ..Self::default()
        }
    }

    /// Starts a household; returns its index.
    pub fn push_household(
        &mut self,
        village: RegionCode,
        household_no: &str,
        household_type: HouseholdType,
        income_per_capita: Option<Money>,
    ) -> usize {
        let at = index(self.persons.len());
        self.households.push(HouseholdRow {
            village,
            household_type,
            income_per_capita,
            household_no: self.household_nos.push(household_no),
            persons: Span { start: at, end: at },
        });
        self.households.len() - 1
    }

    /// Adds a person to the last household; returns its index.
    ///
    /// # Panics
    /// When no household has been pushed.
    pub fn push_person(
        &mut self,
        id: IdCardNo,
        status: PersonStatus,
        groups: GroupSet,
        birth_date: NaiveDate,
    ) -> usize {
        let (claims, diagnoses) = (index(self.claims.len()), index(self.diagnoses.len()));
        self.persons.push(PersonRow {
            id,
            status,
            groups,
            birth_date,
            claims: Span {
                start: claims,
                end: claims,
            },
            diagnoses: Span {
                start: diagnoses,
                end: diagnoses,
            },
        });
        let h = self.households.last_mut().expect("push_household first");
        h.persons.end = index(self.persons.len());
        self.persons.len() - 1
    }

    /// Adds a claim to the last person; returns its index.
    ///
    /// # Panics
    /// When no person has been pushed.
    pub fn push_claim(&mut self, claim_id: &str, facts: ClaimFacts) -> usize {
        self.claims.push(facts);
        self.claim_ids.push(claim_id);
        let p = self.persons.last_mut().expect("push_person first");
        p.claims.end = index(self.claims.len());
        self.claims.len() - 1
    }

    /// Adds a diagnosis to the last person; returns its index.
    ///
    /// # Panics
    /// When no person has been pushed.
    pub fn push_diagnosis(&mut self, diagnosis: Diagnosis) -> usize {
        self.diagnoses.push(diagnosis);
        let p = self.persons.last_mut().expect("push_person first");
        p.diagnoses.end = index(self.diagnoses.len());
        self.diagnoses.len() - 1
    }

    /// Adds an owned household with everything in it; returns its index.
    pub fn push(&mut self, h: &Household) -> usize {
        let at = self.push_household(
            h.village,
            &h.household_no,
            h.household_type,
            h.income_per_capita,
        );
        for m in &h.members {
            self.push_person(m.id, m.status, m.groups, m.birth_date);
            for c in &m.claims {
                self.push_claim(&c.claim_id, c.facts);
            }
            for d in &m.diagnoses {
                self.push_diagnosis(d.clone());
            }
        }
        at
    }

    /// A batch of one household.
    pub fn of(h: &Household) -> Self {
        let mut b = Self::new();
        b.push(h);
        b
    }

    /// Number of households.
    pub fn len(&self) -> usize {
        self.households.len()
    }

    /// True when there is no household.
    pub fn is_empty(&self) -> bool {
        self.households.is_empty()
    }

    /// Number of claims.
    pub fn claim_count(&self) -> usize {
        self.claims.len()
    }

    /// Household `h`.
    #[inline]
    pub fn household(&self, h: usize) -> &HouseholdRow {
        &self.households[h]
    }

    /// 户编号 of household `h`.
    pub fn household_no(&self, h: usize) -> &str {
        self.household_nos
            .get(self.households[h].household_no as usize)
    }

    /// Indices of the persons of household `h`.
    #[inline]
    pub fn persons_of(&self, h: usize) -> Range<usize> {
        self.households[h].persons.range()
    }

    /// Person `p`.
    #[inline]
    pub fn person(&self, p: usize) -> &PersonRow {
        &self.persons[p]
    }

    /// Indices of the claims of person `p`.
    #[inline]
    pub fn claims_of(&self, p: usize) -> Range<usize> {
        self.persons[p].claims.range()
    }

    /// Claim `c`.
    #[inline]
    pub fn claim(&self, c: usize) -> &ClaimFacts {
        &self.claims[c]
    }

    /// The claims of person `p`.
    #[inline]
    pub fn claims(&self, p: usize) -> &[ClaimFacts] {
        &self.claims[self.claims_of(p)]
    }

    /// 结算单号 of claim `c`.
    pub fn claim_id(&self, c: usize) -> &str {
        self.claim_ids.get(c)
    }

    /// Indices of the diagnoses of person `p`.
    #[inline]
    pub fn diagnoses_of(&self, p: usize) -> Range<usize> {
        self.persons[p].diagnoses.range()
    }

    /// Diagnosis `d`.
    #[inline]
    pub fn diagnosis(&self, d: usize) -> &Diagnosis {
        &self.diagnoses[d]
    }

    /// The person a diagnosis belongs to (binary search on the ranges).
    pub fn person_of_diagnosis(&self, d: usize) -> usize {
        let d = index(d);
        self.persons.partition_point(|p| p.diagnoses.end <= d)
    }

    /// The person a claim belongs to (binary search on the ranges).
    pub fn person_of_claim(&self, c: usize) -> usize {
        let c = index(c);
        self.persons.partition_point(|p| p.claims.end <= c)
    }

    /// The household a person belongs to (binary search on the ranges).
    pub fn household_of_person(&self, p: usize) -> usize {
        let p = index(p);
        self.households.partition_point(|h| h.persons.end <= p)
    }

    /// Index of the first claim of household `h` (claims are stored in
    /// household order, so households split the claims into runs).
    pub fn first_claim(&self, h: usize) -> usize {
        match self.households.get(h) {
            Some(row) => match self.persons.get(row.persons.start as usize) {
                Some(p) => p.claims.start as usize,
                None => self.claims.len(),
            },
            None => self.claims.len(),
        }
    }
}

/// Age in whole years on `on` of a person born on `birth`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn rows_stay_small() {
        // A province's year is millions of claims: 32 bytes each is the budget.
        assert!(std::mem::size_of::<ClaimFacts>() <= 32);
        assert!(std::mem::size_of::<PersonRow>() <= 40);
    }

    #[test]
    fn ranges_and_lookups() {
        let village = RegionCode::parse("130624100200").unwrap();
        let id = IdCardNo::from_parts("130624", day(1980, 1, 1), 11).unwrap();
        let facts = ClaimFacts {
            settled_at: day(2023, 1, 1).and_hms_opt(8, 0, 0).unwrap(),
            kind: ClaimKind::Outpatient,
            total: Money::from_yuan(10),
            out_of_pocket: Money::from_yuan(5),
            one_stop: None,
            groups: GroupSet::EMPTY,
        };
        let mut b = Households::new();
        b.push_household(village, "A", HouseholdType::Ordinary, None);
        b.push_person(id, PersonStatus::Active, GroupSet::EMPTY, day(1980, 1, 1));
        b.push_claim("c0", facts);
        b.push_person(id, PersonStatus::Active, GroupSet::EMPTY, day(1980, 1, 1));
        b.push_household(village, "empty", HouseholdType::Edge, None);
        b.push_household(village, "C", HouseholdType::Edge, Some(Money::from_yuan(1)));
        b.push_person(id, PersonStatus::Deceased, GroupSet::EMPTY, day(1980, 1, 1));
        b.push_claim("c1", facts);
        b.push_claim("c2", facts);
        assert_eq!((b.len(), b.claim_count()), (3, 3));
        assert_eq!(b.persons_of(0), 0..2);
        assert_eq!(b.persons_of(1), 2..2);
        assert_eq!(b.claims_of(2), 1..3);
        assert_eq!((b.claim_id(0), b.claim_id(2)), ("c0", "c2"));
        assert_eq!((b.household_no(1), b.household_no(2)), ("empty", "C"));
        assert_eq!(b.person_of_claim(2), 2);
        assert_eq!(b.household_of_person(2), 2);
        assert_eq!(
            (b.first_claim(1), b.first_claim(2), b.first_claim(3)),
            (1, 1, 3)
        );
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(day(2006, 5, 11), day(2023, 5, 10)), 16);
        assert_eq!(age_on(day(2006, 5, 10), day(2023, 5, 10)), 17);
        assert_eq!(age_on(day(2024, 2, 29), day(2025, 2, 28)), 0);
    }
}
