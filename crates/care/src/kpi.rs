//! Care KPIs (domain §6) as exact integer fractions: the contract rate per
//! group, the standardised-management rate, the BP and glucose control
//! rates and the major-illness treatment rate.
//!
//! Aggregations take per-person facts and count; a [`Rate`] keeps its
//! numerator and denominator and rounds only for display (half-up to two
//! decimals of a percent), so county sums add up from village sums.

use std::fmt;

use chrono::NaiveDate;
use jianfu_domain::{Group, GroupSet};

use crate::codes::care_code_enum;
use crate::managed::{CareDisease, ManagementSpan};
use crate::measure::ELDERLY_AGE;
use crate::treatment::TreatmentStatus;
use crate::visit::Visit;

/// Face-to-face visits a year that make management standard.
pub const STANDARD_VISITS: u32 = 4;

/// An exact fraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Numerator.
    pub numerator: u64,
    /// Denominator.
    pub denominator: u64,
}

impl Rate {
    /// `numerator / denominator`.
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Rate {
            numerator,
            denominator,
        }
    }

    /// The percent in hundredths (9700 is 97.00%), rounded half-up;
    /// `None` when the denominator is zero.
    pub fn percent_hundredths(&self) -> Option<u64> {
        if self.denominator == 0 {
            return None;
        }
        let (n, d) = (u128::from(self.numerator), u128::from(self.denominator));
        Some(((n * 20_000 + d) / (2 * d)) as u64)
    }

    /// `97.00%`, or `—` when the denominator is zero.
    pub fn percent_text(&self) -> String {
        match self.percent_hundredths() {
            Some(h) => format!("{}.{:02}%", h / 100, h % 100),
            None => "—".into(),
        }
    }

    /// Adds another fraction's counts (village rows into a county).
    pub fn merge(self, other: Rate) -> Rate {
        Rate::new(
            self.numerator + other.numerator,
            self.denominator + other.denominator,
        )
    }

    fn count(&mut self, hit: bool) {
        self.denominator += 1;
        self.numerator += u64::from(hit);
    }
}

impl fmt::Display for Rate {
    /// `11640/12000 = 97.00%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} = {}",
            self.numerator,
            self.denominator,
            self.percent_text()
        )
    }
}

care_code_enum! {
    /// The groups the contract rate is reported for.
    ContractGroup, "签约统计人群" {
        /// 脱贫人口.
        FormerlyPoor => "formerly_poor", "脱贫人口";
        /// 监测对象.
        Monitored => "monitored", "监测对象";
        /// 重点慢病患者 (managed for any of the four).
        Chronic4 => "chronic4", "重点慢病患者";
        /// 65岁及以上老年人.
        Aged65 => "aged_65", "65岁及以上";
    }
}

/// One person's facts for the contract rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractFacts {
    /// Groups, household-implied ones included.
    pub groups: GroupSet,
    /// Managed for one of the four chronic diseases on the reference day.
    pub chronic4: bool,
    /// Age on the reference day.
    pub age: u32,
    /// Holds a family-doctor contract in force on the reference day.
    pub signed: bool,
}

impl ContractFacts {
    /// True when the person belongs to `group`.
    pub fn in_group(&self, group: ContractGroup) -> bool {
        match group {
            ContractGroup::FormerlyPoor => self.groups.contains(Group::FormerlyPoor),
            ContractGroup::Monitored => self.groups.contains(Group::Monitored),
            ContractGroup::Chronic4 => self.chronic4,
            ContractGroup::Aged65 => self.age >= ELDERLY_AGE,
        }
    }
}

/// The contract rate (signed ÷ in group) of each group, in
/// [`ContractGroup::ALL`] order.
pub fn contract_rates<'a>(
    people: impl IntoIterator<Item = &'a ContractFacts>,
) -> Vec<(ContractGroup, Rate)> {
    let mut rates = [Rate::default(); 4];
    for p in people {
        for (i, g) in ContractGroup::ALL.iter().enumerate() {
            if p.in_group(*g) {
                rates[i].count(p.signed);
            }
        }
    }
    ContractGroup::ALL.iter().copied().zip(rates).collect()
}

/// One managed hypertension or diabetes patient's facts for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagementFacts {
    /// The disease.
    pub disease: CareDisease,
    /// Face-to-face visits in the year (phone visits do not count).
    pub face_to_face_visits: u32,
    /// Whether the last visit of the year met the target; `None` without a visit.
    pub last_at_target: Option<bool>,
}

/// The facts of a hypertension or diabetes span that overlaps `year`
/// (a patient managed at any time in the year counts), from the span's
/// visits dated in the year.
pub fn management_facts(
    span: &ManagementSpan,
    visits: &[Visit],
    birth: NaiveDate,
    year: i32,
) -> Option<ManagementFacts> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31)?;
    if !matches!(
        span.disease,
        CareDisease::Hypertension | CareDisease::Diabetes
    ) || !span.overlaps(from, to)
    {
        return None;
    }
    let in_year = visits.iter().filter(|v| {
        v.disease() == span.disease && (from..=to).contains(&v.date()) && span.covers(v.date())
    });
    let mut face_to_face = 0;
    let mut last: Option<&Visit> = None;
    for v in in_year {
        face_to_face += u32::from(v.is_face_to_face());
        if last.is_none_or(|l| v.date() >= l.date()) {
            last = Some(v);
        }
    }
    Some(ManagementFacts {
        disease: span.disease,
        face_to_face_visits: face_to_face,
        last_at_target: last.and_then(|v| v.at_target(birth)),
    })
}

/// The management KPIs of one disease.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ManagementRates {
    /// 规范管理率: ≥ 4 face-to-face visits ÷ managed.
    pub standardised: Rate,
    /// 血压/血糖控制率: last visit at target ÷ managed.
    pub controlled: Rate,
}

/// The management KPIs of hypertension and diabetes, in that order.
pub fn management_rates<'a>(
    facts: impl IntoIterator<Item = &'a ManagementFacts>,
) -> [(CareDisease, ManagementRates); 2] {
    let mut out = [
        (CareDisease::Hypertension, ManagementRates::default()),
        (CareDisease::Diabetes, ManagementRates::default()),
    ];
    for f in facts {
        let Some(slot) = out.iter_mut().find(|(d, _)| *d == f.disease) else {
            continue;
        };
        slot.1
            .standardised
            .count(f.face_to_face_visits >= STANDARD_VISITS);
        slot.1.controlled.count(f.last_at_target == Some(true));
    }
    out
}

/// The major-illness treatment rate and its parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreatmentRate {
    /// (已救治 + 正在救治) ÷ (patients − exclusions).
    pub rate: Rate,
    /// All batch-A patients counted.
    pub patients: u64,
    /// Documented exclusions (不宜救治: died, refused, medically unsuitable).
    pub excluded: u64,
}

/// The treatment rate over the ledger statuses of the verified patients.
pub fn treatment_rate<'a>(
    statuses: impl IntoIterator<Item = &'a TreatmentStatus>,
) -> TreatmentRate {
    let mut out = TreatmentRate::default();
    for s in statuses {
        out.patients += 1;
        if s.is_excluded() {
            out.excluded += 1;
        } else {
            out.rate.count(s.counts_as_treated());
        }
    }
    out
}
