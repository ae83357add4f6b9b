//! The monitoring rules of one household-year: R2, R3 and R5 raise alerts;
//! R1 and R4 decide whether an alerted household is a candidate for
//! inclusion (拟纳入建议) and the suggested category.
//!
//! Money is exact fen throughout; the only rounding is R2's threshold.
//! R4 is compared without division (`income_pc × size − oop < line ×
//! size`, in 128 bits), so no per-capita amount is ever rounded.
//!
//! Readings of the contract where it leaves room, each documented in
//! `docs/MONITORING.md`:
//! - "a member holds a group" (vulnerable households) looks at every
//!   member registered now, whatever the status, like `oop` does;
//! - R5 picks, when several diagnoses qualify, the earliest one (then the
//!   first stored); "no earlier diagnosis" is strict, so two diagnoses of
//!   the same entry on the same day do not hide each other and the pair
//!   still counts as new;
//! - an earlier diagnosis "falls under the same entry's codes" by code
//!   alone: the entry's age limits and the catalogue's validity dates do
//!   not apply to the earlier record, because a relapse is a relapse
//!   whatever list was in force back then.

use chrono::{Datelike, NaiveDate};
use jianfu_domain::disease::Disease;
use jianfu_domain::{DiseaseCatalogue, HouseholdType, Icd10, Money, PersonStatus};
use serde::Serialize;

use crate::input::{HouseholdRow, Households, age_on};
use crate::params::MonitoringParams;

/// A rule that raises an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Rule {
    /// Relative medical burden.
    R2,
    /// Absolute medical burden.
    R3,
    /// New major illness.
    R5,
}

impl Rule {
    /// Every alert rule, in export order.
    pub const ALL: [Rule; 3] = [Rule::R2, Rule::R3, Rule::R5];

    /// `R2`, `R3` or `R5`.
    pub const fn code(self) -> &'static str {
        match self {
            Rule::R2 => "R2",
            Rule::R3 => "R3",
            Rule::R5 => "R5",
        }
    }

    /// Chinese name.
    pub const fn label(self) -> &'static str {
        match self {
            Rule::R2 => "相对医疗负担",
            Rule::R3 => "绝对医疗负担",
            Rule::R5 => "新发重大疾病",
        }
    }

    /// English name.
    pub const fn label_en(self) -> &'static str {
        match self {
            Rule::R2 => "relative medical burden",
            Rule::R3 => "absolute medical burden",
            Rule::R5 => "new major illness",
        }
    }
}

/// Suggested monitoring category of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    /// 脱贫不稳定户.
    Unstable,
    /// 边缘易致贫户.
    Edge,
    /// 突发严重困难户.
    Sudden,
}

impl Category {
    /// `UNSTABLE`, `EDGE` or `SUDDEN`.
    pub const fn code(self) -> &'static str {
        match self {
            Category::Unstable => "UNSTABLE",
            Category::Edge => "EDGE",
            Category::Sudden => "SUDDEN",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Category::Unstable => "脱贫不稳定户",
            Category::Edge => "边缘易致贫户",
            Category::Sudden => "突发严重困难户",
        }
    }

    /// English label.
    pub const fn label_en(self) -> &'static str {
        match self {
            Category::Unstable => "unstable formerly-poor household",
            Category::Edge => "edge household at risk of poverty",
            Category::Sudden => "household in sudden serious difficulty",
        }
    }
}

/// The year and cut-off date of an evaluation, and the disease catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Calendar year `y`.
    pub year: i32,
    /// Evaluation date `d`: claims and diagnoses after it do not count.
    pub as_of: NaiveDate,
    /// The versioned disease lists.
    pub catalogue: &'a DiseaseCatalogue,
}

impl Context<'_> {
    /// The days of year `y` up to `d`, inclusive; `None` when `d` falls
    /// before the year starts.
    pub fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = NaiveDate::from_ymd_opt(self.year, 1, 1)?;
        let last = NaiveDate::from_ymd_opt(self.year, 12, 31)?.min(self.as_of);
        (first <= last).then_some((first, last))
    }
}

/// One alert: a household, a year and a rule whose condition holds, with
/// the figures of the household-year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Index of the household in the batch.
    pub household: u32,
    /// The rule.
    pub rule: Rule,
    /// The year.
    pub year: i32,
    /// `oop(h, y)`.
    pub out_of_pocket: Money,
    /// R2's or R3's threshold; `None` for R5.
    pub threshold: Option<Money>,
    /// Active members, at least 1.
    pub size: u32,
    /// Per-capita income; `None` when unknown.
    pub income_per_capita: Option<Money>,
    /// The household is vulnerable (R3's lower line).
    pub vulnerable: bool,
    /// R1 holds (false when income is unknown).
    pub r1: bool,
    /// R4 holds (false when income is unknown).
    pub r4: bool,
    /// R1 or R4: a candidate for inclusion.
    pub candidate: bool,
    /// Suggested category of a candidate.
    pub category: Option<Category>,
    /// R5: the diagnosis (batch index) that fired.
    pub diagnosis: Option<u32>,
}

impl Alert {
    /// The identity of an alert: at most one per household, year and rule.
    pub fn key(&self) -> (u32, i32, Rule) {
        (self.household, self.year, self.rule)
    }
}

/// The figures every alert of a household-year shares.
#[derive(Debug, Clone, Copy)]
struct Figures {
    oop: Money,
    size: u32,
    vulnerable: bool,
}

/// Sums `oop(h, y)` and counts `size(h)`, and checks the members' groups.
#[inline]
fn figures(
    input: &Households,
    h: usize,
    window: Option<(NaiveDate, NaiveDate)>,
    p: &MonitoringParams,
) -> Figures {
    let mut oop = 0i64;
    let mut active = 0u32;
    let mut group_vulnerable = false;
    for person in input.persons_of(h) {
        let row = input.person(person);
        active += u32::from(row.status == PersonStatus::Active);
        group_vulnerable |= row.groups.contains_any(p.burden.vulnerable_groups);
        if let Some((first, last)) = window {
            for c in input.claims(person) {
                let day = c.settled_at.date();
                if first <= day && day <= last {
                    oop += c.out_of_pocket.fen();
                }
            }
        }
    }
    let household_type = input.household(h).household_type;
    Figures {
        oop: Money::from_fen(oop),
        size: active.max(1),
        vulnerable: group_vulnerable
            || p.burden.vulnerable_household_types.contains(household_type),
    }
}

/// R1: per-capita income below the line; false when unknown.
pub fn r1(income_per_capita: Option<Money>, p: &MonitoringParams) -> bool {
    income_per_capita.is_some_and(|i| i < p.income.line)
}

/// R4: `income_pc × size − oop < line × size`; false when income is unknown.
pub fn r4(income_per_capita: Option<Money>, size: u32, oop: Money, p: &MonitoringParams) -> bool {
    income_per_capita.is_some_and(|i| {
        let n = i128::from(size);
        i128::from(i.fen()) * n - i128::from(oop.fen()) < i128::from(p.income.line.fen()) * n
    })
}

/// The suggested category of a candidate.
pub fn category(household_type: HouseholdType, r1: bool) -> Category {
    match household_type {
        HouseholdType::FormerlyPoor | HouseholdType::Unstable => Category::Unstable,
        _ if r1 => Category::Edge,
        _ => Category::Sudden,
    }
}

/// True when `code` falls under one of a disease entry's code patterns
/// (`C16`, `C91.0` or a category range such as `C81-C86`). The domain
/// crate keeps its expanded patterns private, so this reads the patterns
/// as written.
pub fn entry_covers(entry: &Disease, code: &Icd10) -> bool {
    entry.codes.iter().any(|p| pattern_covers(p, code))
}

fn pattern_covers(pattern: &str, code: &Icd10) -> bool {
    let p = pattern.trim();
    match p.split_once(['-', '–']) {
        Some((from, to)) => {
            let (from, to, cat) = (from.trim(), to.trim(), code.category());
            from.len() == 3
                && to.len() == 3
                && cat[..1].eq_ignore_ascii_case(&from[..1])
                && from[1..] <= cat[1..]
                && cat[1..] <= to[1..]
        }
        None => code.starts_with(p),
    }
}

/// What makes a diagnosis fire R5: the list version and entry it matched.
#[derive(Debug, Clone, Copy)]
pub struct Match<'c> {
    /// The list version in force on the diagnosis date.
    pub list: &'c jianfu_domain::DiseaseList,
    /// The entry matched.
    pub entry: &'c Disease,
    /// The person's age on the diagnosis date.
    pub age: u32,
}

/// The catalogue entry diagnosis `d` of person `person` matches, with age
/// limits applied on its date, if the diagnosis is new: the person has no
/// diagnosis on a strictly earlier date under the same entry's codes.
pub fn new_major_illness<'c>(
    input: &Households,
    person: usize,
    d: usize,
    catalogue: &'c DiseaseCatalogue,
    list_id: &str,
) -> Option<Match<'c>> {
    let dx = input.diagnosis(d);
    let list = catalogue.list(list_id, dx.diagnosed_on)?;
    let age = age_on(input.person(person).birth_date, dx.diagnosed_on);
    let entry = list.matching(&dx.icd10, Some(age))?;
    let relapse = input.diagnoses_of(person).any(|o| {
        let other = input.diagnosis(o);
        other.diagnosed_on < dx.diagnosed_on && entry_covers(entry, &other.icd10)
    });
    (!relapse).then_some(Match { list, entry, age })
}

/// R5 for household `h`: the earliest new major illness in the window.
fn r5(
    input: &Households,
    h: usize,
    (first, last): (NaiveDate, NaiveDate),
    ctx: &Context,
    p: &MonitoringParams,
) -> Option<u32> {
    let mut best: Option<(NaiveDate, usize)> = None;
    for person in input.persons_of(h) {
        for d in input.diagnoses_of(person) {
            let on = input.diagnosis(d).diagnosed_on;
            let earlier = best.is_none_or(|(b, _)| on < b);
            if first <= on
                && on <= last
                && earlier
                && new_major_illness(input, person, d, ctx.catalogue, &p.diagnosis.list).is_some()
            {
                best = Some((on, d));
            }
        }
    }
    best.map(|(_, d)| d as u32)
}

/// R1, R4 and what follows from them, for a household-year with an alert.
fn base_alert(
    h: usize,
    ctx: &Context,
    f: &Figures,
    row: &HouseholdRow,
    p: &MonitoringParams,
) -> Alert {
    let income = row.income_per_capita;
    let (r1, r4) = (r1(income, p), r4(income, f.size, f.oop, p));
    let candidate = r1 || r4;
    Alert {
        household: h as u32,
        rule: Rule::R2,
        year: ctx.year,
        out_of_pocket: f.oop,
        threshold: None,
        size: f.size,
        income_per_capita: income,
        vulnerable: f.vulnerable,
        r1,
        r4,
        candidate,
        category: candidate.then(|| category(row.household_type, r1)),
        diagnosis: None,
    }
}

/// Evaluates household `h` for the context's year and appends its alerts
/// (R2, R3, R5 in that order) to `out`.
pub fn evaluate_into(
    input: &Households,
    h: usize,
    ctx: &Context,
    p: &MonitoringParams,
    out: &mut Vec<Alert>,
) {
    let window = ctx.window();
    let f = figures(input, h, window, p);
    let row = input.household(h);
    let r2_line = p.relative_threshold();
    let r3_line = if f.vulnerable {
        p.burden.absolute_vulnerable
    } else {
        p.burden.absolute_other
    };
    let fires_r5 = p.diagnosis.household_types.contains(row.household_type);
    let diagnosis = window
        .filter(|_| fires_r5)
        .and_then(|w| r5(input, h, w, ctx, p));
    let (r2, r3) = (f.oop >= r2_line, f.oop >= r3_line);
    if !(r2 || r3 || diagnosis.is_some()) {
        return;
    }
    let base = base_alert(h, ctx, &f, row, p);
    let fired = [
        (r2, Rule::R2, Some(r2_line), None),
        (r3, Rule::R3, Some(r3_line), None),
        (diagnosis.is_some(), Rule::R5, None, diagnosis),
    ];
    for (_, rule, threshold, diagnosis) in fired.into_iter().filter(|f| f.0) {
        out.push(Alert {
            rule,
            threshold,
            diagnosis,
            ..base
        });
    }
}

/// The alerts of one household-year.
pub fn evaluate(input: &Households, h: usize, ctx: &Context, p: &MonitoringParams) -> Vec<Alert> {
    let mut out = Vec::new();
    evaluate_into(input, h, ctx, p, &mut out);
    out
}

/// The years evaluated by default as of `d`: the year of `d` and the year
/// before (a December bill is acted on in January).
pub fn default_years(as_of: NaiveDate) -> [i32; 2] {
    [as_of.year() - 1, as_of.year()]
}
