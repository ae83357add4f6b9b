//! The three-batch classification (三个一批) of a person in a year.
//!
//! A person may sit in several batches at once, so the result is a set of
//! optional members, each with its reason:
//! - A (大病集中救治一批): a confirmed diagnosis dated in the year falls
//!   under the `major30` version in force on its date, age limits applied,
//!   and the person holds a group that counts as poor or monitored;
//! - B (慢病签约服务管理一批): a confirmed diagnosis dated on or before
//!   the year's end falls under the `chronic4` version in force on its
//!   date (any row, a region's extra rows included; a diagnosis older than
//!   the list is judged by its first version), whatever the groups;
//! - C (重病兜底保障一批): A or B, and the year's out-of-pocket reaches the
//!   burden threshold or income after medical spending falls below the
//!   line. The thresholds come from the caller (monitoring rules R2–R4),
//!   never from here.

use chrono::{Datelike, NaiveDate};
use jianfu_domain::{DiseaseCatalogue, Group, GroupSet, HouseholdType, Icd10, Money};

use crate::calendar::age_on;
use crate::codes::care_code_enum;
use crate::explain::{Explain, ymd};
use crate::managed::{Diagnosis, judging_version};

care_code_enum! {
    /// One of the three batches.
    Batch, "三个一批" {
        /// 大病集中救治一批.
        A => "A", "大病集中救治一批";
        /// 慢病签约服务管理一批.
        B => "B", "慢病签约服务管理一批";
        /// 重病兜底保障一批.
        C => "C", "重病兜底保障一批";
    }
}

/// The groups that count as poor or monitored for batch A by default:
/// 脱贫人口, 监测对象, 特困, 低保, 返贫致贫 and 因病致贫重病患者.
/// 低保边缘 is left out: it is a medical-assistance category, not a
/// poverty one; a region adds it through [`BatchRules::poor_groups`].
pub fn default_poor_groups() -> GroupSet {
    GroupSet::of(&[
        Group::FormerlyPoor,
        Group::Monitored,
        Group::ExtremePoor,
        Group::Subsistence,
        Group::ReturnedPoor,
        Group::IllnessPoor,
    ])
}

/// What decides the batches besides the person's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRules {
    /// Groups that make a major-list diagnosis batch A.
    pub poor_groups: GroupSet,
    /// C: the year's out-of-pocket at or above this (R2/R3).
    pub burden_threshold: Money,
    /// C: per-capita income after medical spending below this (R4).
    pub income_line: Money,
}

impl BatchRules {
    /// The default groups with the caller's thresholds.
    pub fn new(burden_threshold: Money, income_line: Money) -> Self {
        BatchRules {
            poor_groups: default_poor_groups(),
            burden_threshold,
            income_line,
        }
    }
}

/// One person's facts for one year.
#[derive(Debug, Clone, Copy)]
pub struct BatchFacts<'a> {
    /// Date of birth (ages for the lists' age limits).
    pub birth: NaiveDate,
    /// The person's own groups.
    pub groups: GroupSet,
    /// The household's type (its implied groups are added).
    pub household_type: HouseholdType,
    /// Every diagnosis of the person.
    pub diagnoses: &'a [Diagnosis],
    /// The year's out-of-pocket after all tiers (person or household,
    /// as the threshold is meant).
    pub out_of_pocket: Money,
    /// Household per-capita income after medical spending, when known.
    pub income_after_medical: Option<Money>,
}

/// The diagnosis that put a person in A or B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMatch {
    /// The diagnosis code.
    pub icd10: Icd10,
    /// Its date.
    pub diagnosed_on: NaiveDate,
    /// The list row's Chinese name.
    pub entry: String,
    /// The list version in force then.
    pub version: String,
}

/// Why C applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Burden {
    /// Out-of-pocket at or above the threshold.
    OutOfPocket {
        /// The year's out-of-pocket.
        amount: Money,
        /// The threshold.
        threshold: Money,
    },
    /// Income after medical spending below the line.
    Income {
        /// Per-capita income after medical spending.
        amount: Money,
        /// The line.
        line: Money,
    },
}

/// The batches of a person in a year, each with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSet {
    /// A: the major-list diagnosis and the group that made it count.
    pub a: Option<(ListMatch, Group)>,
    /// B: the chronic-list diagnosis.
    pub b: Option<ListMatch>,
    /// C: the burden test that held.
    pub c: Option<Burden>,
}

impl BatchSet {
    /// True when `batch` is in the set.
    pub fn contains(&self, batch: Batch) -> bool {
        match batch {
            Batch::A => self.a.is_some(),
            Batch::B => self.b.is_some(),
            Batch::C => self.c.is_some(),
        }
    }

    /// The batches in the set, in order.
    pub fn iter(&self) -> impl Iterator<Item = Batch> + '_ {
        Batch::ALL.iter().copied().filter(|b| self.contains(*b))
    }

    /// `A|B` style codes (empty for none).
    pub fn codes(&self) -> String {
        self.iter().map(Batch::code).collect::<Vec<_>>().join("|")
    }
}

/// Classifies a person's `year`.
pub fn batches(
    catalogue: &DiseaseCatalogue,
    facts: &BatchFacts<'_>,
    year: i32,
    rules: &BatchRules,
) -> BatchSet {
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).expect("a calendar year");
    let groups = facts.groups.union(facts.household_type.implied_groups());
    let poor = groups.iter().find(|g| rules.poor_groups.contains(*g));
    let a = poor.and_then(|g| {
        first_match(catalogue, "major30", false, facts, |d| d.year() == year).map(|m| (m, g))
    });
    let b = first_match(catalogue, "chronic4", true, facts, |d| d <= year_end);
    let c = if a.is_some() || b.is_some() {
        burden(facts, rules)
    } else {
        None
    };
    BatchSet { a, b, c }
}

/// The earliest confirmed diagnosis on a day `when` accepts that falls
/// under list `id` as in force on its date; with `older`, a diagnosis
/// older than the list is judged by its first version.
fn first_match(
    catalogue: &DiseaseCatalogue,
    id: &str,
    older: bool,
    facts: &BatchFacts<'_>,
    when: impl Fn(NaiveDate) -> bool,
) -> Option<ListMatch> {
    let mut found: Vec<ListMatch> = facts
        .diagnoses
        .iter()
        .filter(|d| d.confirmed && when(d.diagnosed_on))
        .filter_map(|d| {
            let lists = catalogue.lists.iter().filter(|l| l.id == id);
            let list = if older {
                judging_version(lists, |l| l, d.diagnosed_on)?.0
            } else {
                catalogue.list(id, d.diagnosed_on)?
            };
            let entry = list.matching(&d.icd10, Some(age_on(facts.birth, d.diagnosed_on)))?;
            Some(ListMatch {
                icd10: d.icd10.clone(),
                diagnosed_on: d.diagnosed_on,
                entry: entry.name.clone(),
                version: list.version.clone(),
            })
        })
        .collect();
    found.sort_by(|x, y| (x.diagnosed_on, &x.icd10).cmp(&(y.diagnosed_on, &y.icd10)));
    found.into_iter().next()
}

fn burden(facts: &BatchFacts<'_>, rules: &BatchRules) -> Option<Burden> {
    if facts.out_of_pocket >= rules.burden_threshold {
        return Some(Burden::OutOfPocket {
            amount: facts.out_of_pocket,
            threshold: rules.burden_threshold,
        });
    }
    facts
        .income_after_medical
        .filter(|i| *i < rules.income_line)
        .map(|amount| Burden::Income {
            amount,
            line: rules.income_line,
        })
}

/// Household per-capita income after medical spending (rule R4):
/// (net income − medical out-of-pocket) ÷ members, rounded half-up to the
/// fen (away from zero when negative). `None` for a household of none.
pub fn income_after_medical(
    net_income: Money,
    out_of_pocket: Money,
    members: u32,
) -> Option<Money> {
    if members == 0 {
        return None;
    }
    let x = (net_income - out_of_pocket).fen();
    let d = i64::from(members);
    let q = (2 * x.abs() + d) / (2 * d);
    Some(Money::from_fen(if x < 0 { -q } else { q }))
}

impl Explain for BatchSet {
    fn zh(&self) -> String {
        let mut parts = Vec::new();
        if let Some((m, g)) = &self.a {
            parts.push(format!(
                "A：{}{} 确诊 {}，属大病专项救治病种（{}版）“{}”",
                g.label(),
                ymd(m.diagnosed_on),
                m.icd10,
                m.version,
                m.entry
            ));
        }
        if let Some(m) = &self.b {
            parts.push(format!(
                "B：{} 确诊 {}，属重点慢病（{}版）“{}”",
                ymd(m.diagnosed_on),
                m.icd10,
                m.version,
                m.entry
            ));
        }
        match self.c {
            Some(Burden::OutOfPocket { amount, threshold }) => parts.push(format!(
                "C：年度个人自付 {amount} 元 ≥ 负担线 {threshold} 元"
            )),
            Some(Burden::Income { amount, line }) => parts.push(format!(
                "C：扣除医疗支出后人均收入 {amount} 元 < 监测线 {line} 元"
            )),
            None => {}
        }
        if parts.is_empty() {
            return "不属于三个一批".into();
        }
        parts.join("；")
    }

    fn en(&self) -> String {
        let mut parts = Vec::new();
        if let Some((m, g)) = &self.a {
            parts.push(format!(
                "A: {} diagnosed {} on {}, row “{}” of major30 version {}",
                g.code(),
                m.icd10,
                ymd(m.diagnosed_on),
                m.entry,
                m.version
            ));
        }
        if let Some(m) = &self.b {
            parts.push(format!(
                "B: {} diagnosed on {}, row “{}” of chronic4 version {}",
                m.icd10,
                ymd(m.diagnosed_on),
                m.entry,
                m.version
            ));
        }
        match self.c {
            Some(Burden::OutOfPocket { amount, threshold }) => parts.push(format!(
                "C: out-of-pocket {amount} ≥ burden threshold {threshold}"
            )),
            Some(Burden::Income { amount, line }) => parts.push(format!(
                "C: per-capita income after medical spending {amount} < line {line}"
            )),
            None => {}
        }
        if parts.is_empty() {
            return "in none of the three batches".into();
        }
        parts.join("; ")
    }
}
