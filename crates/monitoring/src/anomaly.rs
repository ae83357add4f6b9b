//! A1–A3: the supervision findings on claims of poor patients (the Gansu
//! rules). They concern how a claim was settled, not a household's risk,
//! so they become supervision items for the insured county (see
//! [`crate::escalation::finding_drafts`]) instead of household alerts.
//!
//! A claim is looked at when it is a standing inpatient claim of a person
//! who held one of `anomaly.poor_groups` on `settled_at`. A1 needs the
//! file to say the claim was not one-stop (`one_stop = false`); an unknown
//! flag is not a finding. A2 compares `(total − out_of_pocket) × 10000`
//! with `min_actual_ratio × total` in integers, so 85% is exact.

use chrono::NaiveDate;
use jianfu_domain::{ClaimKind, Money, Ratio};
use serde::Serialize;

use crate::input::{ClaimFacts, Households};
use crate::params::{Anomaly, MonitoringParams};

/// One of the three anomaly rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AnomalyRule {
    /// Not settled one-stop.
    A1,
    /// Actual reimbursement ratio below the minimum.
    A2,
    /// Out-of-pocket above the maximum.
    A3,
}

impl AnomalyRule {
    /// The three rules in order.
    pub const ALL: [AnomalyRule; 3] = [AnomalyRule::A1, AnomalyRule::A2, AnomalyRule::A3];

    /// `A1`, `A2` or `A3`.
    pub const fn code(self) -> &'static str {
        match self {
            AnomalyRule::A1 => "A1",
            AnomalyRule::A2 => "A2",
            AnomalyRule::A3 => "A3",
        }
    }

    /// Chinese name.
    pub const fn label(self) -> &'static str {
        match self {
            AnomalyRule::A1 => "未实行“一站式”结算",
            AnomalyRule::A2 => "实际报销比例偏低",
            AnomalyRule::A3 => "个人自付偏高",
        }
    }
}

/// A set of anomaly rules, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AnomalyRules(u8);

impl AnomalyRules {
    /// Adds a rule.
    pub fn insert(&mut self, r: AnomalyRule) {
        self.0 |= 1 << (r as u8);
    }

    /// True when `r` is in the set.
    pub fn contains(self, r: AnomalyRule) -> bool {
        self.0 & (1 << (r as u8)) != 0
    }

    /// True for no rule.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rules in order.
    pub fn iter(self) -> impl Iterator<Item = AnomalyRule> {
        AnomalyRule::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }
}

impl Serialize for AnomalyRules {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The rules a claim breaks; empty when it is not looked at.
pub fn check_claim(c: &ClaimFacts, p: &Anomaly) -> AnomalyRules {
    let mut found = AnomalyRules::default();
    if c.kind != ClaimKind::Inpatient || !c.groups.contains_any(p.poor_groups) {
        return found;
    }
    if c.one_stop == Some(false) {
        found.insert(AnomalyRule::A1);
    }
    let funds = i128::from((c.total - c.out_of_pocket).fen());
    let scaled_total = i128::from(c.total.fen()) * i128::from(p.min_actual_ratio.ten_thousandths());
    if funds * i128::from(Ratio::SCALE) < scaled_total {
        found.insert(AnomalyRule::A2);
    }
    if c.out_of_pocket > p.max_out_of_pocket {
        found.insert(AnomalyRule::A3);
    }
    found
}

/// A claim with at least one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Household index in the batch (its village gives the insured county).
    pub household: u32,
    /// Claim index in the batch.
    pub claim: u32,
    /// The rules broken.
    pub rules: AnomalyRules,
    /// 医疗总费用.
    pub total: Money,
    /// 个人自付.
    pub out_of_pocket: Money,
    /// The funds' share of the total, rounded half-up to 0.01%.
    pub actual_ratio: Ratio,
}

/// The actual reimbursement ratio of a claim, rounded half-up to four
/// decimals; 1 for a claim of no cost.
pub fn actual_ratio(total: Money, out_of_pocket: Money) -> Ratio {
    if total.fen() <= 0 {
        return Ratio::ONE;
    }
    let funds = i128::from((total - out_of_pocket).fen()).max(0);
    let t = i128::from(total.fen());
    let r = (funds * 2 * i128::from(Ratio::SCALE) + t) / (2 * t);
    Ratio::from_ten_thousandths(u32::try_from(r).unwrap_or(u32::MAX))
}

/// Every claim settled between `from` and `to` (inclusive) with a finding,
/// under the parameter set `params_of` chooses for its household.
pub fn find_anomalies<'p, F>(
    input: &Households,
    from: NaiveDate,
    to: NaiveDate,
    params_of: F,
) -> Vec<Finding>
where
    F: Fn(usize) -> &'p MonitoringParams,
{
    let mut out = Vec::new();
    for h in 0..input.len() {
        let p = &params_of(h).anomaly;
        for person in input.persons_of(h) {
            for c in input.claims_of(person) {
                let facts = input.claim(c);
                let day = facts.settled_at.date();
                if day < from || to < day {
                    continue;
                }
                let rules = check_claim(facts, p);
                if !rules.is_empty() {
                    out.push(Finding {
                        household: h as u32,
                        claim: c as u32,
                        rules,
                        total: facts.total,
                        out_of_pocket: facts.out_of_pocket,
                        actual_ratio: actual_ratio(facts.total, facts.out_of_pocket),
                    });
                }
            }
        }
    }
    out
}

/// One line of Chinese describing a finding.
pub fn describe(input: &Households, f: &Finding, p: &Anomaly) -> String {
    let claim = input.claim(f.claim as usize);
    let person = input.person(input.person_of_claim(f.claim as usize));
    let parts: Vec<String> = f
        .rules
        .iter()
        .map(|r| match r {
            AnomalyRule::A1 => "A1 未实行“一站式”结算".to_string(),
            AnomalyRule::A2 => format!(
                "A2 实际报销比例 {} 低于 {}",
                percent(f.actual_ratio),
                percent(p.min_actual_ratio)
            ),
            AnomalyRule::A3 => format!(
                "A3 个人自付 {} 元高于 {} 元",
                f.out_of_pocket, p.max_out_of_pocket
            ),
        })
        .collect();
    format!(
        "结算单 {}（{}，{} 住院，总费用 {} 元，个人自付 {} 元）：{}",
        input.claim_id(f.claim as usize),
        person.id.masked(),
        claim.settled_at.date(),
        f.total,
        f.out_of_pocket,
        parts.join("；")
    )
}

/// A ratio as a percentage with two decimals, e.g. `84.99%`.
pub fn percent(r: Ratio) -> String {
    let t = r.ten_thousandths();
    format!("{}.{:02}%", t / 100, t % 100)
}
