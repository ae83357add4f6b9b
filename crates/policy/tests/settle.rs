//! The engine against the worked examples of the settlement contract and
//! its invariants on random person-years.

use jianfu_domain::{ClaimKind, FacilityLevel, Group, GroupSet, Money, Ratio};
use jianfu_policy::{ClaimInput, Lang, Policy, Step, Tiers, YearState, explain};
use proptest::prelude::*;

fn reference() -> Policy {
    Policy::built_in("reference-2023").unwrap()
}

fn claim(
    kind: ClaimKind,
    level: FacilityLevel,
    internal: bool,
    groups: &[Group],
    total: i64,
    policy: i64,
) -> ClaimInput {
    ClaimInput {
        kind,
        level,
        county_internal: internal,
        groups: GroupSet::of(groups),
        total: Money::from_fen(total),
        policy_scope: Money::from_fen(policy),
    }
}

/// The repository's copy of the contract's worked examples, settled person
/// by person in file order (the file is in settlement order).
#[test]
fn worked_examples_to_the_cent() {
    let policy = reference();
    let claims = include_str!("../../../tests/data/settlement/claims.csv");
    let expected = include_str!("../../../tests/data/settlement/expected.csv");
    let mut years: std::collections::HashMap<String, YearState> = Default::default();
    let mut got =
        vec!["claim_id,basic,critical,assistance,supplementary,out_of_pocket".to_string()];
    for line in claims.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let input = ClaimInput {
            kind: ClaimKind::from_code(f[3]).unwrap(),
            level: FacilityLevel::from_code(f[4]).unwrap(),
            county_internal: f[5] == "true",
            groups: GroupSet::parse_list(f[2]).unwrap(),
            total: Money::from_yuan_str(f[7]).unwrap(),
            policy_scope: Money::from_yuan_str(f[8]).unwrap(),
        };
        let state = years.entry(f[1].to_string()).or_default();
        let t = policy.settle(state, &input);
        got.push(format!(
            "{},{},{},{},{},{}",
            f[0], t.basic, t.critical, t.assistance, t.supplementary, t.out_of_pocket
        ));
    }
    assert_eq!(got, expected.lines().collect::<Vec<_>>());
}

#[test]
fn explanation_of_a_capped_third_admission() {
    let policy = reference();
    let mut state = YearState::default();
    let g = [Group::Subsistence];
    let city = claim(
        ClaimKind::Inpatient,
        FacilityLevel::City,
        false,
        &g,
        6_000_000,
        5_200_000,
    );
    let province = claim(
        ClaimKind::Inpatient,
        FacilityLevel::Province,
        false,
        &g,
        15_000_000,
        13_000_000,
    );
    policy.settle(&mut state, &city);
    policy.settle(&mut state, &province);
    let mut steps: Vec<Step> = Vec::new();
    let county = claim(
        ClaimKind::Inpatient,
        FacilityLevel::County,
        true,
        &g,
        8_000_000,
        7_600_000,
    );
    let t = policy.settle_traced(&mut state, &county, &mut steps);
    assert_eq!(t.out_of_pocket, Money::from_fen(609_375));
    let zh = explain(&steps, Lang::Zh);
    assert!(zh.contains("本年第3次住院 × 50% = 250.00"), "{zh}");
    assert!(
        zh.contains("达到年度封顶线 150000.00（本年已付 110700.00），只付 39300.00"),
        "{zh}"
    );
    assert!(
        zh.contains("F(108000.00) − F(71300.00) = 71925.00 − 43600.00 = 28325.00"),
        "{zh}"
    );
    assert!(zh.contains("医疗救助（低保"), "{zh}");
    assert!(zh.contains("不属于补充保障人群"), "{zh}");
    let en = explain(&steps, Lang::En);
    assert!(en.contains("annual cap 150000.00 reached"), "{en}");
    assert!(
        en.contains("Out of pocket: 80000.00 − 73906.25 = 6093.75"),
        "{en}"
    );
}

#[test]
fn ordinary_outpatient_stops_after_basic_and_caps_per_kind() {
    let policy = reference();
    let mut state = YearState::default();
    let poor = [Group::ExtremePoor];
    let c = claim(
        ClaimKind::Outpatient,
        FacilityLevel::Township,
        true,
        &poor,
        80_000,
        60_000,
    );
    let t = policy.settle(&mut state, &c);
    let expected = Tiers {
        basic: Money::from_fen(30_000),
        out_of_pocket: Money::from_fen(50_000),
        ..Tiers::default()
    };
    assert_eq!(t, expected);
    let t = policy.settle(&mut state, &c);
    assert_eq!(
        t.basic,
        Money::from_fen(20_000),
        "500.00 annual outpatient cap"
    );
    let t = policy.settle(&mut state, &c);
    assert_eq!(t.basic, Money::ZERO);
    assert_eq!(state.admissions, 0);
    // The chronic-outpatient cap is separate, and Tiers 2–3 follow.
    let chronic = claim(
        ClaimKind::OutpatientChronic,
        FacilityLevel::County,
        true,
        &poor,
        100_000,
        100_000,
    );
    let t = policy.settle(&mut state, &chronic);
    assert_eq!(t.basic, Money::from_fen(65_000));
    assert_eq!(
        t.assistance,
        Money::from_fen(35_000),
        "特困: 100% of the rest"
    );
    assert_eq!(t.out_of_pocket, Money::ZERO);
}

#[test]
fn banded_supplementary_pays_on_the_annual_burden() {
    let text = Policy::built_in_text("reference-2023")
        .unwrap()
        .replacen(
            "design = \"target_ratio\"",
            "design = \"banded\"\ndeductible = \"5000.00\"\nbands = [ { upto = \"10000.00\", ratio = \"0.40\" }, { ratio = \"0.60\" } ]",
            1,
        )
        .replace("target_ratio = \"0.90\"", "");
    let policy = Policy::from_toml(&text).unwrap();
    let mut state = YearState::default();
    // 脱贫人口: no assistance group, ordinary Tier 2.
    let c = claim(
        ClaimKind::Inpatient,
        FacilityLevel::County,
        true,
        &[Group::FormerlyPoor],
        3_000_000,
        2_800_000,
    );
    let t = policy.settle(&mut state, &c);
    // T1 (28000 − 500) × 80% = 22000; the rest 6000 is under the T2 deductible;
    // T4 base 6000: (6000 − 5000) × 40% = 400.
    assert_eq!(
        (t.basic, t.critical, t.supplementary),
        (Money::from_yuan(22_000), Money::ZERO, Money::from_yuan(400))
    );
    let t = policy.settle(&mut state, &c);
    // 2nd admission: deductible 250, T1 22200, rest 5800; T4 base 11800:
    // 5000 × 40% + 1800 × 60% = 3080, minus the 400 already paid.
    assert_eq!(t.basic, Money::from_yuan(22_200));
    assert_eq!(state.supplementary_base, Money::from_yuan(11_800));
    assert_eq!(t.supplementary, Money::from_yuan(2_680));
}

/// A household recognised as 低保 in June after a large bill in March gets
/// the whole Tier-3 limit from June on: the March bill, settled while the
/// person held no assistance group, neither paid nor used up the base.
#[test]
fn assistance_starts_afresh_when_the_person_becomes_an_assistance_object() {
    let policy = reference();
    let mut state = YearState::default();
    let bill = |groups: &[Group], yuan: i64| {
        claim(
            ClaimKind::Inpatient,
            FacilityLevel::Province,
            false,
            groups,
            yuan * 100,
            yuan * 100,
        )
    };
    // March, ordinary: T1 (300,000 − 1,500) × 60% capped at 150,000.00.
    let march = policy.settle(&mut state, &bill(&[], 300_000));
    assert_eq!(march.basic, Money::from_yuan(150_000));
    assert_eq!(march.assistance, Money::ZERO);
    assert_eq!(state.assistance_base, Money::ZERO, "no group, no base");
    assert_eq!(
        state.critical_base,
        Money::from_yuan(150_000),
        "Tier 2 counts every claim"
    );
    let mut steps: Vec<Step> = Vec::new();
    let june = policy.settle_traced(
        &mut state,
        &bill(&[Group::Subsistence], 600_000),
        &mut steps,
    );
    // June, 低保: T1 has no room left; tilted T2 pays 85% above 100,000 of
    // its base, F(750,000) − F(150,000) = 510,000.00; res2 = 90,000.00.
    // 低保's G (no deductible, 75%, limit 60,000.00) starts from zero, so
    // the whole limit is paid. Under the old rule the March residual
    // (54,000.00) would have counted and June would get 19,500.00.
    assert_eq!(june.basic, Money::ZERO);
    assert_eq!(june.critical, Money::from_yuan(510_000));
    assert_eq!(june.assistance, Money::from_yuan(60_000));
    assert_eq!(state.assistance_base, Money::from_yuan(90_000));
    let zh = explain(&steps, Lang::Zh);
    assert!(zh.contains("医疗救助（低保"), "{zh}");
    // The explanation of the March claim says why it did not count.
    let mut steps: Vec<Step> = Vec::new();
    policy.settle_traced(&mut YearState::default(), &bill(&[], 300_000), &mut steps);
    let zh = explain(&steps, Lang::Zh);
    assert!(zh.contains("不计入救助累计基数"), "{zh}");
    let en = explain(&steps, Lang::En);
    assert!(
        en.contains("does not count toward the assistance base"),
        "{en}"
    );
}

/// The deductible starts afresh too: 监测对象 (deductible 3,000.00) after
/// an ordinary bill whose residual would have covered it.
#[test]
fn the_assistance_deductible_is_met_only_by_costs_borne_as_an_assistance_object() {
    let policy = reference();
    let mut state = YearState::default();
    // T1 (10,500 − 500) × 80% = 8,000; residual 2,500 < the T2 deductible.
    let county = |groups: &[Group]| {
        claim(
            ClaimKind::Inpatient,
            FacilityLevel::County,
            false,
            groups,
            1_050_000,
            1_050_000,
        )
    };
    policy.settle(&mut state, &county(&[]));
    // 2nd admission: deductible 250, T1 8,200, residual 2,300 < 3,000.
    let t = policy.settle(&mut state, &county(&[Group::Monitored]));
    assert_eq!(
        t.assistance,
        Money::ZERO,
        "the 3,000.00 deductible is not met yet"
    );
    assert_eq!(state.assistance_base, Money::from_yuan(2_300));
}

fn claim_strategy() -> impl Strategy<Value = ClaimInput> {
    (
        0usize..3,
        0usize..4,
        any::<bool>(),
        0i64..30_000_000,
        0u32..=10_000,
    )
        .prop_map(|(k, l, internal, total, share)| {
            let total = Money::from_fen(total);
            ClaimInput {
                kind: ClaimKind::ALL[k],
                level: FacilityLevel::ALL[l],
                county_internal: internal,
                groups: GroupSet::EMPTY,
                total,
                policy_scope: total.mul_ratio(Ratio::from_ten_thousandths(share)),
            }
        })
}

proptest! {
    /// The person's groups change at a random claim of the year (from
    /// `before` to `after`), as when a household is recognised mid-year.
    #[test]
    fn invariants_hold_over_a_year(
        before in 0u8..128,
        after in 0u8..128,
        change_at in 0usize..40,
        claims in prop::collection::vec(claim_strategy(), 1..40),
    ) {
        let policy = reference();
        let mut state = YearState::default();
        let mut sum_critical = Money::ZERO;
        let mut sum_assistance = Money::ZERO;
        let mut basic_inpatient = Money::ZERO;
        let mut assistance_base = Money::ZERO;
        let mut critical_base = Money::ZERO;
        for (i, mut c) in claims.into_iter().enumerate() {
            c.groups = GroupSet::from_bits(if i < change_at { before } else { after });
            let t = policy.settle(&mut state, &c);
            let res1 = c.policy_scope - t.basic;
            let res2 = res1 - t.critical;
            let res3 = res2 - t.assistance;
            for m in [t.basic, t.critical, t.assistance, t.supplementary, t.out_of_pocket] {
                prop_assert!(m >= Money::ZERO);
            }
            prop_assert!(t.basic <= c.policy_scope);
            prop_assert!(t.critical <= res1);
            prop_assert!(t.assistance <= res2);
            prop_assert!(t.supplementary <= res3);
            prop_assert_eq!(t.fund_total() + t.out_of_pocket, c.total);
            if c.kind != ClaimKind::Outpatient {
                critical_base += res1;
                // Tier 3 grows only with what the person bore while holding
                // an assistance group; without one it pays nothing.
                if policy.assistance.rule_for(c.groups).is_some() {
                    assistance_base += res2;
                } else {
                    prop_assert_eq!(t.assistance, Money::ZERO);
                }
            }
            sum_critical += t.critical;
            sum_assistance += t.assistance;
            if c.kind == ClaimKind::Inpatient {
                basic_inpatient += t.basic;
            }
        }
        prop_assert!(basic_inpatient <= policy.basic.annual_cap);
        prop_assert_eq!(state.critical_base, critical_base);
        prop_assert_eq!(state.assistance_base, assistance_base);
        // With one schedule all year the year's sums are F/G of the final bases.
        if before == after {
            let groups = GroupSet::from_bits(after);
            let schedule = if groups.contains_any(policy.critical.tilted_groups) {
                &policy.critical.tilted
            } else {
                &policy.critical.ordinary
            };
            prop_assert_eq!(sum_critical, schedule.amount(state.critical_base));
            let g = policy
                .assistance
                .rule_for(groups)
                .map_or(Money::ZERO, |(_, r)| r.amount(state.assistance_base));
            prop_assert_eq!(sum_assistance, g);
        } else if policy.assistance.rule_for(GroupSet::from_bits(before)).is_none() {
            // Recognised mid-year: Tier 3 is G of what was borne since.
            let g = policy
                .assistance
                .rule_for(GroupSet::from_bits(after))
                .map_or(Money::ZERO, |(_, r)| r.amount(state.assistance_base));
            prop_assert_eq!(sum_assistance, g);
        }
    }

    /// Tiers 2 and 3 work on annual bases: splitting a chronic-outpatient bill
    /// in two moves Tier 2 and Tier 3 only by what Tier 1's per-claim
    /// rounding moved.
    #[test]
    fn split_bills_differ_only_by_tier_one_rounding(
        bits in 0u8..128,
        fen in 0i64..2_000_000,
        cut in 0u32..=10_000,
    ) {
        let policy = reference();
        let whole = ClaimInput {
            kind: ClaimKind::OutpatientChronic,
            level: FacilityLevel::County,
            county_internal: true,
            groups: GroupSet::from_bits(bits),
            total: Money::from_fen(fen),
            policy_scope: Money::from_fen(fen),
        };
        let a = whole.total.mul_ratio(Ratio::from_ten_thousandths(cut));
        let b = whole.total - a;
        let mut one = YearState::default();
        let t = policy.settle(&mut one, &whole);
        let mut two = YearState::default();
        let ta = policy.settle(&mut two, &ClaimInput { total: a, policy_scope: a, ..whole });
        let tb = policy.settle(&mut two, &ClaimInput { total: b, policy_scope: b, ..whole });
        prop_assert!((t.basic - ta.basic - tb.basic).fen().abs() <= 1);
        if t.basic == ta.basic + tb.basic {
            prop_assert_eq!(t.critical, ta.critical + tb.critical);
            prop_assert_eq!(t.assistance, ta.assistance + tb.assistance);
            prop_assert_eq!(t.out_of_pocket, ta.out_of_pocket + tb.out_of_pocket);
        }
    }
}
