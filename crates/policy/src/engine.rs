//! The four-tier settlement of one claim within its person-year.
//!
//! Claims of a person-year must be fed in settlement order (ties: input
//! order). Tier 2, Tier 3 and banded Tier 4 are computed on cumulative
//! annual bases as `F(new base) − F(old base)`, so a year's total does not
//! depend on how its costs were split into claims; Tier 1 carries the
//! per-admission deductible and the annual caps. Money is integer fen and
//! every rounding is half-up to the fen, exactly where the contract says.

use jianfu_domain::{ClaimKind, FacilityLevel, Group, GroupSet, Money, Ratio};

use crate::params::{AssistanceRule, Policy, SupplementaryDesign};

/// What the engine needs to know about one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimInput {
    /// 就诊类型.
    pub kind: ClaimKind,
    /// 医疗机构级别.
    pub level: FacilityLevel,
    /// The facility lies in the insured person's county.
    pub county_internal: bool,
    /// The person's groups when the claim was settled.
    pub groups: GroupSet,
    /// 医疗总费用.
    pub total: Money,
    /// 政策范围内费用 (0 ≤ policy_scope ≤ total).
    pub policy_scope: Money,
}

/// Accumulators of one person in one calendar year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearState {
    /// Inpatient admissions so far.
    pub admissions: u32,
    /// Tier-1 payments so far, per [`ClaimKind`] (by index).
    pub basic_used: [Money; 3],
    /// Cumulative Tier-2 base: policy-scope cost left after Tier 1.
    pub critical_base: Money,
    /// Cumulative Tier-3 base: policy-scope cost left after Tiers 1–2 of
    /// the claims settled while the person held an assistance group.
    pub assistance_base: Money,
    /// Cumulative banded Tier-4 base: cost left after Tiers 1–3 on eligible claims.
    pub supplementary_base: Money,
}

/// The split of one claim, in fen. The five amounts add up to its total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tiers {
    /// Tier 1: 基本医保.
    pub basic: Money,
    /// Tier 2: 大病保险.
    pub critical: Money,
    /// Tier 3: 医疗救助.
    pub assistance: Money,
    /// Tier 4: 补充保障.
    pub supplementary: Money,
    /// 个人自付: what the family still pays.
    pub out_of_pocket: Money,
}

impl Tiers {
    /// What the funds paid together (Tiers 1–4).
    pub fn fund_total(&self) -> Money {
        self.basic + self.critical + self.assistance + self.supplementary
    }
}

/// Why Tier 4 paid nothing without being computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplementarySkip {
    /// The policy has no Tier 4.
    NoTier,
    /// Only inpatient claims qualify.
    NotInpatient,
    /// Only admissions inside the insured county qualify.
    NotCountyInternal,
    /// The person holds none of the eligible groups.
    NotEligible,
}

/// One step of a settlement, with its numbers, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The inpatient deductible of this admission.
    Deductible {
        /// Facility level.
        level: FacilityLevel,
        /// Admission number within the year (1 = first).
        admission: u32,
        /// The level's deductible.
        base: Money,
        /// Repeat-admission factor, when it applied.
        factor: Option<Ratio>,
        /// The deductible applied.
        deductible: Money,
    },
    /// Tier 1.
    Basic {
        /// Kind of claim.
        kind: ClaimKind,
        /// Policy-scope cost.
        policy_scope: Money,
        /// Deductible taken off first (zero for outpatient kinds).
        deductible: Money,
        /// Ratio applied.
        ratio: Ratio,
        /// Amount before the annual cap.
        raw: Money,
        /// The annual cap of this kind.
        cap: Money,
        /// Paid under this cap earlier in the year.
        used_before: Money,
        /// Amount paid.
        paid: Money,
    },
    /// Ordinary outpatient claims stop after Tier 1.
    OutpatientStops,
    /// Tier 2.
    Critical {
        /// The tilted schedule applied.
        tilted: bool,
        /// Deductible of the schedule.
        deductible: Money,
        /// Annual base before this claim.
        old_base: Money,
        /// Annual base after this claim.
        new_base: Money,
        /// `F(old_base)`.
        before: Money,
        /// `F(new_base)`.
        after: Money,
        /// The schedule's cap binds.
        cap_reached: bool,
        /// Amount paid.
        paid: Money,
    },
    /// Tier 3.
    Assistance {
        /// The group whose rule applied and the rule; `None` = no group.
        rule: Option<(Group, AssistanceRule)>,
        /// Annual base before this claim.
        old_base: Money,
        /// Annual base after this claim.
        new_base: Money,
        /// `G(old_base)`.
        before: Money,
        /// `G(new_base)`.
        after: Money,
        /// Amount paid.
        paid: Money,
    },
    /// Tier 4 not computed.
    SupplementarySkipped(SupplementarySkip),
    /// Tier 4, target-ratio design.
    SupplementaryTarget {
        /// Target share of the total.
        ratio: Ratio,
        /// `round(total × ratio)`.
        target: Money,
        /// Tiers 1–3 of this claim.
        paid_so_far: Money,
        /// Policy-scope cost left after Tier 3 (the most Tier 4 may pay).
        residual: Money,
        /// Amount paid.
        paid: Money,
    },
    /// Tier 4, banded design.
    SupplementaryBanded {
        /// Annual base before this claim.
        old_base: Money,
        /// Annual base after this claim.
        new_base: Money,
        /// `H(old_base)`.
        before: Money,
        /// `H(new_base)`.
        after: Money,
        /// Policy-scope cost left after Tier 3 (the most Tier 4 may pay).
        residual: Money,
        /// Amount paid.
        paid: Money,
    },
    /// The family's share.
    OutOfPocket {
        /// Total cost.
        total: Money,
        /// Funds together.
        funds: Money,
        /// What is left.
        out_of_pocket: Money,
    },
}

/// A sink for settlement steps. The engine only builds steps when
/// `ENABLED`, so [`NoTrace`] costs nothing in batch runs.
pub trait Trace {
    /// Whether steps are wanted.
    const ENABLED: bool;
    /// Receives one step.
    fn step(&mut self, step: Step);
}

/// The trace of batch runs: nothing is kept.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl Trace for NoTrace {
    const ENABLED: bool = false;
    #[inline(always)]
    fn step(&mut self, _: Step) {}
}

impl Trace for Vec<Step> {
    const ENABLED: bool = true;
    fn step(&mut self, step: Step) {
        self.push(step);
    }
}

impl Policy {
    /// Settles one claim of a person-year and updates its accumulators.
    #[inline]
    pub fn settle(&self, state: &mut YearState, claim: &ClaimInput) -> Tiers {
        self.settle_traced(state, claim, &mut NoTrace)
    }

    /// [`Policy::settle`], reporting every step to `trace`.
    #[inline]
    pub fn settle_traced<T: Trace>(
        &self,
        state: &mut YearState,
        claim: &ClaimInput,
        trace: &mut T,
    ) -> Tiers {
        let basic = self.tier_basic(state, claim, trace);
        let res1 = claim.policy_scope - basic;
        if claim.kind == ClaimKind::Outpatient {
            if T::ENABLED {
                trace.step(Step::OutpatientStops);
            }
            return finish(
                claim.total,
                basic,
                Money::ZERO,
                Money::ZERO,
                Money::ZERO,
                trace,
            );
        }
        let critical = self.tier_critical(state, claim.groups, res1, trace);
        let res2 = res1 - critical;
        let assistance = self.tier_assistance(state, claim.groups, res2, trace);
        let res3 = res2 - assistance;
        let supplementary =
            self.tier_supplementary(state, claim, basic + critical + assistance, res3, trace);
        finish(
            claim.total,
            basic,
            critical,
            assistance,
            supplementary,
            trace,
        )
    }

    fn tier_basic<T: Trace>(&self, state: &mut YearState, c: &ClaimInput, trace: &mut T) -> Money {
        let (deductible, ratio, cap) = match self.kind_rule(c.kind) {
            None => {
                state.admissions += 1;
                let rule = self.level(c.level);
                let factor = (state.admissions > 1).then_some(self.basic.repeat_deductible_factor);
                let deductible = factor.map_or(rule.deductible, |f| rule.deductible.mul_ratio(f));
                if T::ENABLED {
                    trace.step(Step::Deductible {
                        level: c.level,
                        admission: state.admissions,
                        base: rule.deductible,
                        factor,
                        deductible,
                    });
                }
                (deductible, rule.ratio, self.basic.annual_cap)
            }
            Some(rule) => (Money::ZERO, rule.ratio, rule.annual_cap),
        };
        let used = &mut state.basic_used[c.kind.index()];
        let raw = (c.policy_scope - deductible.min(c.policy_scope)).mul_ratio(ratio);
        let paid = raw.min((cap - *used).max(Money::ZERO));
        if T::ENABLED {
            trace.step(Step::Basic {
                kind: c.kind,
                policy_scope: c.policy_scope,
                deductible: deductible.min(c.policy_scope),
                ratio,
                raw,
                cap,
                used_before: *used,
                paid,
            });
        }
        *used += paid;
        paid
    }

    fn tier_critical<T: Trace>(
        &self,
        state: &mut YearState,
        groups: GroupSet,
        res1: Money,
        trace: &mut T,
    ) -> Money {
        let tilted = groups.contains_any(self.critical.tilted_groups);
        let schedule = if tilted {
            &self.critical.tilted
        } else {
            &self.critical.ordinary
        };
        let old_base = state.critical_base;
        state.critical_base += res1;
        let before = schedule.amount(old_base);
        let after = schedule.amount(state.critical_base);
        let paid = after - before;
        if T::ENABLED {
            trace.step(Step::Critical {
                tilted,
                deductible: schedule.deductible,
                old_base,
                new_base: state.critical_base,
                before,
                after,
                cap_reached: schedule.cap_reached(state.critical_base),
                paid,
            });
        }
        paid
    }

    fn tier_assistance<T: Trace>(
        &self,
        state: &mut YearState,
        groups: GroupSet,
        res2: Money,
        trace: &mut T,
    ) -> Money {
        // The base is what the person bore while an assistance object: a
        // claim settled before the person held a group neither pays nor
        // uses up the deductible and annual limit that start with the group.
        let old_base = state.assistance_base;
        let rule = self.assistance.rule_for(groups);
        let (before, after) = match rule {
            Some((_, r)) => {
                state.assistance_base += res2;
                (r.amount(old_base), r.amount(state.assistance_base))
            }
            None => (Money::ZERO, Money::ZERO),
        };
        let paid = after - before;
        if T::ENABLED {
            trace.step(Step::Assistance {
                rule: rule.map(|(g, r)| (g, *r)),
                old_base,
                new_base: state.assistance_base,
                before,
                after,
                paid,
            });
        }
        paid
    }

    fn tier_supplementary<T: Trace>(
        &self,
        state: &mut YearState,
        c: &ClaimInput,
        paid_so_far: Money,
        res3: Money,
        trace: &mut T,
    ) -> Money {
        let skip = match &self.supplementary {
            None => Some(SupplementarySkip::NoTier),
            Some(_) if c.kind != ClaimKind::Inpatient => Some(SupplementarySkip::NotInpatient),
            Some(_) if !c.county_internal => Some(SupplementarySkip::NotCountyInternal),
            Some(s) if !c.groups.contains_any(s.groups) => Some(SupplementarySkip::NotEligible),
            Some(_) => None,
        };
        let (Some(s), None) = (&self.supplementary, skip) else {
            if T::ENABLED {
                trace.step(Step::SupplementarySkipped(
                    skip.unwrap_or(SupplementarySkip::NoTier),
                ));
            }
            return Money::ZERO;
        };
        match &s.design {
            SupplementaryDesign::TargetRatio(ratio) => {
                let target = c.total.mul_ratio(*ratio);
                let paid = (target - paid_so_far).max(Money::ZERO).min(res3);
                if T::ENABLED {
                    trace.step(Step::SupplementaryTarget {
                        ratio: *ratio,
                        target,
                        paid_so_far,
                        residual: res3,
                        paid,
                    });
                }
                paid
            }
            SupplementaryDesign::Banded(schedule) => {
                let old_base = state.supplementary_base;
                state.supplementary_base += res3;
                let before = schedule.amount(old_base);
                let after = schedule.amount(state.supplementary_base);
                let paid = (after - before).min(res3);
                if T::ENABLED {
                    trace.step(Step::SupplementaryBanded {
                        old_base,
                        new_base: state.supplementary_base,
                        before,
                        after,
                        residual: res3,
                        paid,
                    });
                }
                paid
            }
        }
    }
}

#[inline]
fn finish<T: Trace>(
    total: Money,
    basic: Money,
    critical: Money,
    assistance: Money,
    supplementary: Money,
    trace: &mut T,
) -> Tiers {
    let funds = basic + critical + assistance + supplementary;
    let out_of_pocket = total - funds;
    if T::ENABLED {
        trace.step(Step::OutOfPocket {
            total,
            funds,
            out_of_pocket,
        });
    }
    Tiers {
        basic,
        critical,
        assistance,
        supplementary,
        out_of_pocket,
    }
}
