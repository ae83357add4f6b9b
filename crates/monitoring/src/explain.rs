//! How an alert explains itself: a structured [`Explanation`] (serialised
//! as is by the API) and its one-line rendering in Chinese (the export's
//! `explanation` column, the pages) or English.
//!
//! The structure carries every claim behind a burden alert; the line lists
//! the largest few and counts the rest, so a CSV cell stays readable.

use std::fmt::Write;

use chrono::NaiveDate;
use jianfu_domain::{Group, HouseholdType, Money, Ratio};
use serde::Serialize;

use crate::input::Households;
use crate::params::MonitoringParams;
use crate::rules::{Alert, Category, Context, Rule, new_major_illness};

/// Claims named in the one-line text; the structure holds them all.
const CLAIMS_IN_LINE: usize = 5;

/// Language of a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文.
    #[default]
    Zh,
    /// English.
    En,
}

/// Everything an alert rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The rule.
    pub rule: Rule,
    /// Six-digit county code.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// The household type now.
    pub household_type: HouseholdType,
    /// Year evaluated.
    pub year: i32,
    /// Evaluation date.
    pub as_of: NaiveDate,
    /// Name of the parameter set.
    pub params: String,
    /// `oop(h, y)`.
    pub out_of_pocket: Money,
    /// R2/R3 threshold; `None` for R5.
    pub threshold: Option<Money>,
    /// `oop − threshold` for R2/R3.
    pub margin: Option<Money>,
    /// Where the threshold comes from.
    pub basis: Basis,
    /// Per-capita income; `None` when unknown.
    pub income_per_capita: Option<Money>,
    /// The income line.
    pub line: Money,
    /// Active members, at least 1.
    pub size: u32,
    /// R1 holds.
    pub r1: bool,
    /// R4 holds.
    pub r4: bool,
    /// R4's three totals, when income is known.
    pub r4_figures: Option<R4Figures>,
    /// R1 or R4.
    pub candidate: bool,
    /// Suggested category of a candidate.
    pub category: Option<Category>,
    /// The claims of the year up to the evaluation date, largest first
    /// (empty for R5).
    pub claims: Vec<ClaimLine>,
    /// The diagnosis behind an R5 alert.
    pub diagnosis: Option<NewIllness>,
}

/// Where a threshold comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// R2: a share of the county's disposable income.
    Relative {
        /// `burden.relative_share`.
        share: Ratio,
        /// `income.county_disposable_income`.
        county_disposable_income: Money,
    },
    /// R3: the line for vulnerable or other households.
    Absolute {
        /// The household is vulnerable.
        vulnerable: bool,
        /// Because of its type.
        by_type: bool,
        /// Because members hold these groups.
        groups: Vec<Group>,
    },
    /// R5: a new diagnosis, no threshold.
    Diagnosis,
}

/// R4 without division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct R4Figures {
    /// `income_pc × size`.
    pub income_total: Money,
    /// `income_pc × size − oop`.
    pub after_medical: Money,
    /// `line × size`.
    pub line_total: Money,
}

/// One claim counted in `oop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimLine {
    /// 结算单号.
    pub claim_id: String,
    /// Day of settlement.
    pub settled_on: NaiveDate,
    /// Its out-of-pocket amount.
    pub out_of_pocket: Money,
}

/// The diagnosis behind R5 and why it counts as new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewIllness {
    /// The person's ID number, masked.
    pub person: String,
    /// 疾病编码.
    pub icd10: String,
    /// 确诊日期.
    pub diagnosed_on: NaiveDate,
    /// Age on that date.
    pub age: u32,
    /// Disease list id, e.g. `major30`.
    pub list: String,
    /// The list's Chinese title.
    pub list_name: String,
    /// Version of the list in force on that date.
    pub list_version: String,
    /// The entry's Chinese name.
    pub entry: String,
    /// The entry's code patterns.
    pub entry_codes: Vec<String>,
    /// The person's other diagnoses checked for an earlier one.
    pub other_diagnoses: u32,
}

fn saturating(v: i128) -> Money {
    Money::from_fen(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// R4's totals, when the income is known.
fn r4_figures(alert: &Alert, params: &MonitoringParams) -> Option<R4Figures> {
    let income = alert.income_per_capita?;
    let n = i128::from(alert.size);
    let income_total = i128::from(income.fen()) * n;
    Some(R4Figures {
        income_total: saturating(income_total),
        after_medical: saturating(income_total - i128::from(alert.out_of_pocket.fen())),
        line_total: saturating(i128::from(params.income.line.fen()) * n),
    })
}

/// The explanation of `alert`, which came from evaluating `input` under
/// `ctx` and `params`.
pub fn explain(
    input: &Households,
    alert: &Alert,
    ctx: &Context,
    params: &MonitoringParams,
) -> Explanation {
    let h = alert.household as usize;
    let row = input.household(h);
    let margin = alert.threshold.map(|t| alert.out_of_pocket - t);
    let r4_figures = r4_figures(alert, params);
    let (claims, diagnosis) = match alert.rule {
        Rule::R5 => (
            Vec::new(),
            alert
                .diagnosis
                .and_then(|d| illness(input, d as usize, ctx, params)),
        ),
        _ => (claim_lines(input, h, ctx), None),
    };
    Explanation {
        rule: alert.rule,
        county_code: row.village.county_code().to_string(),
        household_no: input.household_no(h).to_string(),
        household_type: row.household_type,
        year: alert.year,
        as_of: ctx.as_of,
        params: params.name.clone(),
        out_of_pocket: alert.out_of_pocket,
        threshold: alert.threshold,
        margin,
        basis: basis(input, alert, params),
        income_per_capita: alert.income_per_capita,
        line: params.income.line,
        size: alert.size,
        r1: alert.r1,
        r4: alert.r4,
        r4_figures,
        candidate: alert.candidate,
        category: alert.category,
        claims,
        diagnosis,
    }
}

fn basis(input: &Households, alert: &Alert, p: &MonitoringParams) -> Basis {
    match alert.rule {
        Rule::R2 => Basis::Relative {
            share: p.burden.relative_share,
            county_disposable_income: p.income.county_disposable_income,
        },
        Rule::R3 => {
            let h = alert.household as usize;
            let held = input
                .persons_of(h)
                .fold(jianfu_domain::GroupSet::EMPTY, |acc, i| {
                    acc.union(input.person(i).groups)
                });
            let vulnerable_groups = p.burden.vulnerable_groups;
            Basis::Absolute {
                vulnerable: alert.vulnerable,
                by_type: p
                    .burden
                    .vulnerable_household_types
                    .contains(input.household(h).household_type),
                groups: held
                    .iter()
                    .filter(|g| vulnerable_groups.contains(*g))
                    .collect(),
            }
        }
        Rule::R5 => Basis::Diagnosis,
    }
}

/// The claims counted in `oop`, largest first (ties: by number).
fn claim_lines(input: &Households, h: usize, ctx: &Context) -> Vec<ClaimLine> {
    let Some((first, last)) = ctx.window() else {
        return Vec::new();
    };
    let mut lines: Vec<ClaimLine> = input
        .persons_of(h)
        .flat_map(|p| input.claims_of(p))
        .filter_map(|c| {
            let facts = input.claim(c);
            let day = facts.settled_at.date();
            (first <= day && day <= last).then(|| ClaimLine {
                claim_id: input.claim_id(c).to_string(),
                settled_on: day,
                out_of_pocket: facts.out_of_pocket,
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        b.out_of_pocket
            .cmp(&a.out_of_pocket)
            .then_with(|| a.claim_id.cmp(&b.claim_id))
    });
    lines
}

fn illness(
    input: &Households,
    d: usize,
    ctx: &Context,
    p: &MonitoringParams,
) -> Option<NewIllness> {
    let person = input.person_of_diagnosis(d);
    let m = new_major_illness(input, person, d, ctx.catalogue, &p.diagnosis.list)?;
    let dx = input.diagnosis(d);
    Some(NewIllness {
        person: input.person(person).id.masked(),
        icd10: dx.icd10.to_string(),
        diagnosed_on: dx.diagnosed_on,
        age: m.age,
        list: m.list.id.clone(),
        list_name: m.list.name.clone(),
        list_version: m.list.version.clone(),
        entry: m.entry.name.clone(),
        entry_codes: m.entry.codes.clone(),
        other_diagnoses: (input.diagnoses_of(person).len() - 1) as u32,
    })
}

fn pct(r: Ratio) -> String {
    let t = r.ten_thousandths();
    let s = format!("{}.{:02}", t / 100, t % 100);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// One line of text, in `lang`.
pub fn render(e: &Explanation, lang: Lang) -> String {
    match lang {
        Lang::Zh => zh(e),
        Lang::En => en(e),
    }
}

fn zh(e: &Explanation) -> String {
    let mut parts = vec![subject_zh(e), income_zh(e), outcome_zh(e)];
    if !e.claims.is_empty() {
        let claims = claims_text(&e.claims, "元", "等共", "笔");
        parts.push(format!("依据结算单：{claims}"));
    }
    parts.push(format!("参数：{}", e.params));
    format!("{} {}：{}", e.rule.code(), e.rule.label(), parts.join("；"))
}

/// What fired: the new diagnosis, or the burden against its threshold.
fn subject_zh(e: &Explanation) -> String {
    let burden = format!(
        "{}年截至 {} 家庭个人自付合计 {} 元",
        e.year, e.as_of, e.out_of_pocket
    );
    match (&e.diagnosis, e.threshold) {
        (Some(d), _) => format!(
            "成员 {} 于 {} 确诊 {}（时年{}岁），属{}（{}版）“{}”（编码 {}），此前无同一病种编码下的诊断（已核对其另外 {} 条诊断记录）；{burden}",
            d.person,
            d.diagnosed_on,
            d.icd10,
            d.age,
            d.list_name,
            d.list_version,
            d.entry,
            d.entry_codes.join("、"),
            d.other_diagnoses,
        ),
        (None, Some(t)) => format!(
            "{burden}，达到阈值 {t} 元（{}），超出 {} 元",
            basis_zh(&e.basis),
            e.margin.unwrap_or(Money::ZERO)
        ),
        (None, None) => burden,
    }
}

fn basis_zh(b: &Basis) -> String {
    match b {
        Basis::Relative {
            share,
            county_disposable_income,
        } => format!(
            "县农村居民人均可支配收入 {county_disposable_income} 元 × {}",
            pct(*share)
        ),
        Basis::Absolute {
            vulnerable: false, ..
        } => "一般农户标准".into(),
        Basis::Absolute {
            by_type, groups, ..
        } => {
            let mut why = Vec::new();
            if *by_type {
                why.push("户类别".to_string());
            }
            if !groups.is_empty() {
                let labels: Vec<&str> = groups.iter().map(|g| g.label()).collect();
                why.push(format!("成员属{}", labels.join("、")));
            }
            format!("脆弱户标准：{}", why.join("，"))
        }
        Basis::Diagnosis => String::new(),
    }
}

fn income_zh(e: &Explanation) -> String {
    let (Some(income), Some(r4)) = (e.income_per_capita, e.r4_figures) else {
        return format!(
            "家庭人均纯收入未填报，R1、R4 按不成立处理；家庭人口 {} 人",
            e.size
        );
    };
    let yes = |b: bool| if b { "成立" } else { "不成立" };
    let (n, line) = (e.size, e.line);
    format!(
        "家庭人均纯收入 {income} 元，家庭人口 {n} 人；R1（低于监测范围 {line} 元）{}；R4（{income}×{n} − {} = {}，{} {line}×{n} = {}）{}",
        yes(e.r1),
        e.out_of_pocket,
        r4.after_medical,
        if e.r4 { "<" } else { "≥" },
        r4.line_total,
        yes(e.r4)
    )
}

fn outcome_zh(e: &Explanation) -> String {
    match e.category {
        Some(c) if e.candidate => format!("拟纳入建议：是，建议类别：{}", c.label()),
        _ => "拟纳入建议：否".into(),
    }
}

fn claims_text(claims: &[ClaimLine], unit: &str, more: &str, count: &str) -> String {
    let shown: Vec<String> = claims
        .iter()
        .take(CLAIMS_IN_LINE)
        .map(|c| format!("{} {}{unit}", c.claim_id, c.out_of_pocket))
        .collect();
    let mut s = shown.join("，");
    if claims.len() > CLAIMS_IN_LINE {
        let _ = write!(s, " {more} {} {count}", claims.len());
    }
    s
}

fn en(e: &Explanation) -> String {
    let mut parts = vec![subject_en(e), income_en(e), outcome_en(e)];
    if !e.claims.is_empty() {
        let claims = claims_text(&e.claims, "", "of", "in all");
        parts.push(format!("claims: {claims}"));
    }
    parts.push(format!("parameters: {}", e.params));
    format!(
        "{} {}: {}",
        e.rule.code(),
        e.rule.label_en(),
        parts.join("; ")
    )
}

fn subject_en(e: &Explanation) -> String {
    let burden = format!(
        "household out-of-pocket in {} up to {}: {}",
        e.year, e.as_of, e.out_of_pocket
    );
    match (&e.diagnosis, e.threshold) {
        (Some(d), _) => format!(
            "member {} diagnosed {} on {} (aged {}), entry \"{}\" ({}) of list {} version {}, with no earlier diagnosis under that entry's codes ({} other diagnoses checked); {burden}",
            d.person,
            d.icd10,
            d.diagnosed_on,
            d.age,
            d.entry,
            d.entry_codes.join(", "),
            d.list,
            d.list_version,
            d.other_diagnoses,
        ),
        (None, Some(t)) => format!(
            "{burden} ≥ threshold {t} ({}), margin {}",
            basis_en(&e.basis),
            e.margin.unwrap_or(Money::ZERO)
        ),
        (None, None) => burden,
    }
}

fn income_en(e: &Explanation) -> String {
    let (Some(income), Some(r4)) = (e.income_per_capita, e.r4_figures) else {
        return format!(
            "income per capita unknown, so R1 and R4 are false; {} members",
            e.size
        );
    };
    let (n, line) = (e.size, e.line);
    format!(
        "income per capita {income}, {n} members; R1 (below the line {line}) {}; R4 ({income}×{n} − {} = {} {} {line}×{n} = {}) {}",
        e.r1,
        e.out_of_pocket,
        r4.after_medical,
        if e.r4 { "<" } else { "≥" },
        r4.line_total,
        e.r4
    )
}

fn outcome_en(e: &Explanation) -> String {
    match e.category {
        Some(c) if e.candidate => format!(
            "candidate for inclusion, suggested category {} ({})",
            c.code(),
            c.label_en()
        ),
        _ => "not a candidate".into(),
    }
}

fn basis_en(b: &Basis) -> String {
    match b {
        Basis::Relative {
            share,
            county_disposable_income,
        } => format!(
            "{} of the county's disposable income {county_disposable_income}",
            pct(*share)
        ),
        Basis::Absolute {
            vulnerable: false, ..
        } => "line of ordinary households".into(),
        Basis::Absolute {
            by_type, groups, ..
        } => {
            let mut why = Vec::new();
            if *by_type {
                why.push("household type".to_string());
            }
            if !groups.is_empty() {
                let codes: Vec<&str> = groups.iter().map(|g| g.code()).collect();
                why.push(format!("members in {}", codes.join(", ")));
            }
            format!("line of vulnerable households: {}", why.join(", "))
        }
        Basis::Diagnosis => String::new(),
    }
}
