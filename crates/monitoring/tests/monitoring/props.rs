//! Invariants on random household-years: an alert holds iff its condition
//! does, order of claims does not matter, a new claim never removes a
//! burden alert, and money is exact end to end.

use chrono::{NaiveDate, TimeZone};
use jianfu_domain::time::china;
use jianfu_domain::{GroupSet, HouseholdType, Money, PersonStatus};
use jianfu_monitoring::batch::evaluate_household;
use jianfu_monitoring::export::{AlertStatus, export_row};
use jianfu_monitoring::input::{Claim, Household};
use jianfu_monitoring::rules::{Alert, Category, Context, Rule};
use proptest::prelude::*;

use crate::support::*;

/// A claim: (days after 2022-12-01, out-of-pocket fen, extra fen).
type RawClaim = (u32, i64, i64);

fn claim_from(i: usize, (days, oop, extra): RawClaim, groups: GroupSet) -> Claim {
    let on = day(2022, 12, 1) + chrono::Days::new(u64::from(days));
    let mut c = claim(&format!("C{i:03}"), on, "0", "0", groups);
    c.facts.out_of_pocket = Money::from_fen(oop);
    c.facts.total = Money::from_fen(oop + extra);
    c
}

fn arb_household() -> impl Strategy<Value = Household> {
    let member = (
        0u8..3,
        0u8..128,
        prop::collection::vec((0u32..430, 0i64..1_500_000, 0i64..5_000_000), 0..5),
    );
    (
        0usize..5,
        prop::option::weighted(0.8, 0i64..3_000_000),
        prop::collection::vec(member, 1..5),
    )
        .prop_map(|(t, income, members)| {
            let t = HouseholdType::ALL[t];
            let mut h = household("P", t, None, members.len());
            h.income_per_capita = income.map(Money::from_fen);
            let mut n = 0;
            for (m, (status, bits, claims)) in h.members.iter_mut().zip(members) {
                m.status = PersonStatus::ALL[status as usize];
                m.groups = GroupSet::from_bits(bits).union(t.implied_groups());
                for raw in claims {
                    m.claims.push(claim_from(n, raw, m.groups));
                    n += 1;
                }
            }
            h
        })
}

fn arb_as_of() -> impl Strategy<Value = NaiveDate> {
    (0u32..400).prop_map(|d| day(2023, 1, 1) + chrono::Days::new(u64::from(d)))
}

/// The conditions, computed the slow and obvious way.
fn expected(h: &Household, as_of: NaiveDate) -> Vec<(Rule, Money, bool, Option<Category>)> {
    let p = reference();
    let oop: i64 = h
        .members
        .iter()
        .flat_map(|m| &m.claims)
        .filter(|c| {
            let d = c.facts.settled_at.date();
            d.format("%Y").to_string() == "2023" && d <= as_of
        })
        .map(|c| c.facts.out_of_pocket.fen())
        .sum();
    let size = h
        .members
        .iter()
        .filter(|m| m.status == PersonStatus::Active)
        .count()
        .max(1) as i128;
    let vulnerable = p
        .burden
        .vulnerable_household_types
        .contains(h.household_type)
        || h.members
            .iter()
            .any(|m| m.groups.contains_any(p.burden.vulnerable_groups));
    // 16,000.00 × 0.50, half-up, by hand.
    let r2_line = (1_600_000i64 * 5000 * 2 + 10_000) / 20_000;
    let r3_line = if vulnerable { 500_000 } else { 1_000_000 };
    let r1 = h.income_per_capita.is_some_and(|i| i.fen() < 700_000);
    let r4 = h
        .income_per_capita
        .is_some_and(|i| i128::from(i.fen()) * size - i128::from(oop) < 700_000 * size);
    let candidate = r1 || r4;
    let category = candidate.then_some(match h.household_type {
        HouseholdType::FormerlyPoor | HouseholdType::Unstable => Category::Unstable,
        _ if r1 => Category::Edge,
        _ => Category::Sudden,
    });
    let mut out = Vec::new();
    if oop >= r2_line {
        out.push((Rule::R2, Money::from_fen(oop), candidate, category));
    }
    if oop >= r3_line {
        out.push((Rule::R3, Money::from_fen(oop), candidate, category));
    }
    out
}

fn ctx(as_of: NaiveDate) -> Context<'static> {
    Context {
        as_of,
        ..ctx_2023()
    }
}

fn alerts(h: &Household, as_of: NaiveDate) -> Vec<Alert> {
    evaluate_household(h, &ctx(as_of), &reference())
        .into_iter()
        .map(|(a, _)| a)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn alerts_hold_iff_their_condition(h in arb_household(), as_of in arb_as_of()) {
        let got: Vec<_> = alerts(&h, as_of)
            .iter()
            .map(|a| (a.rule, a.out_of_pocket, a.candidate, a.category))
            .collect();
        prop_assert_eq!(got, expected(&h, as_of));
    }

    #[test]
    fn claim_order_does_not_matter(h in arb_household(), as_of in arb_as_of(), seed in any::<u64>()) {
        let mut shuffled = h.clone();
        let mut s = seed | 1;
        let mut next = move || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s };
        for m in &mut shuffled.members {
            for i in (1..m.claims.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                m.claims.swap(i, j);
            }
        }
        shuffled.members.reverse();
        prop_assert_eq!(alerts(&h, as_of), alerts(&shuffled, as_of));
    }

    #[test]
    fn a_new_claim_never_removes_a_burden_alert(
        h in arb_household(),
        as_of in arb_as_of(),
        raw in (0u32..430, 0i64..1_500_000, 0i64..5_000_000),
        who in 0usize..4,
    ) {
        let before: Vec<Rule> = alerts(&h, as_of).iter().map(|a| a.rule).collect();
        let mut more = h.clone();
        let m = who % more.members.len();
        let groups = more.members[m].groups;
        more.members[m].claims.push(claim_from(999, raw, groups));
        let after: Vec<Rule> = alerts(&more, as_of).iter().map(|a| a.rule).collect();
        for r in before.iter().filter(|r| **r != Rule::R5) {
            prop_assert!(after.contains(r), "{:?} lost: {:?}", r, after);
        }
    }

    #[test]
    fn money_is_exact(h in arb_household(), as_of in arb_as_of()) {
        let raised = china().with_ymd_and_hms(2024, 1, 5, 9, 0, 0).unwrap();
        for (a, e) in evaluate_household(&h, &ctx(as_of), &reference()) {
            let sum: Money = e.claims.iter().map(|c| c.out_of_pocket).sum();
            prop_assert_eq!(sum, a.out_of_pocket);
            let t = a.threshold.unwrap();
            prop_assert_eq!(e.margin, Some(a.out_of_pocket - t));
            prop_assert!(e.margin.unwrap() >= Money::ZERO);
            let row = export_row(&e, AlertStatus::Open, raised);
            prop_assert_eq!(Money::from_yuan_str(&row.out_of_pocket).unwrap(), a.out_of_pocket);
            prop_assert_eq!(Money::from_yuan_str(&row.threshold).unwrap(), t);
            if let Some(i) = a.income_per_capita {
                prop_assert_eq!(Money::from_yuan_str(&row.income_per_capita).unwrap(), i);
                let r4 = e.r4_figures.unwrap();
                prop_assert_eq!(r4.after_medical, r4.income_total - a.out_of_pocket);
            }
            let windows = e.claims.windows(2).all(|w| w[0].out_of_pocket >= w[1].out_of_pocket);
            prop_assert!(windows, "claims sorted by amount");
        }
    }
}
