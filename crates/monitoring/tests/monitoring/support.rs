//! Builders for households, members and claims in tests.

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{
    ClaimKind, DiseaseCatalogue, Group, GroupSet, HouseholdType, Icd10, IdCardNo, Money,
    PersonStatus, RegionCode,
};
use jianfu_monitoring::input::{Claim, ClaimFacts, Diagnosis, Household, Member};
use jianfu_monitoring::params::MonitoringParams;
use jianfu_monitoring::rules::Context;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn noon(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(12, 0, 0).unwrap()
}

pub fn yuan(s: &str) -> Money {
    Money::from_yuan_str(s).unwrap()
}

pub fn reference() -> MonitoringParams {
    MonitoringParams::built_in("reference-2023").unwrap()
}

pub fn catalogue() -> &'static DiseaseCatalogue {
    static CAT: std::sync::OnceLock<DiseaseCatalogue> = std::sync::OnceLock::new();
    CAT.get_or_init(DiseaseCatalogue::built_in)
}

/// Year 2023 as of its last day.
pub fn ctx_2023() -> Context<'static> {
    Context {
        year: 2023,
        as_of: day(2023, 12, 31),
        catalogue: catalogue(),
    }
}

pub fn village() -> RegionCode {
    RegionCode::parse("130624100200").unwrap()
}

/// A member born on `birth`, active, with the groups the household type
/// implies plus `groups`.
pub fn member(seq: u16, birth: NaiveDate, t: HouseholdType, groups: &[Group]) -> Member {
    Member {
        id: IdCardNo::from_parts("130624", birth, seq).unwrap(),
        status: PersonStatus::Active,
        groups: GroupSet::of(groups).union(t.implied_groups()),
        birth_date: birth,
        diagnoses: Vec::new(),
        claims: Vec::new(),
    }
}

pub fn household(no: &str, t: HouseholdType, income: Option<&str>, members: usize) -> Household {
    Household {
        village: village(),
        household_no: no.to_string(),
        household_type: t,
        income_per_capita: income.map(yuan),
        members: (0..members)
            .map(|i| member(100 + i as u16, day(1970 + i as i32 * 7, 3, 4), t, &[]))
            .collect(),
    }
}

pub fn claim(id: &str, on: NaiveDate, total: &str, oop: &str, groups: GroupSet) -> Claim {
    Claim {
        claim_id: id.to_string(),
        facts: ClaimFacts {
            settled_at: noon(on),
            kind: ClaimKind::Inpatient,
            total: yuan(total),
            out_of_pocket: yuan(oop),
            one_stop: Some(true),
            groups,
        },
    }
}

pub fn diagnosis(code: &str, on: NaiveDate) -> Diagnosis {
    Diagnosis {
        icd10: Icd10::parse(code).unwrap(),
        diagnosed_on: on,
    }
}
