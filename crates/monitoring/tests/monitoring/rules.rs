//! The worked examples M1–M5 under `reference-2023`, R5's readings, the
//! explanation, the export row and A1–A3.

use chrono::TimeZone;
use jianfu_domain::time::china;
use jianfu_domain::{ClaimKind, Group, GroupSet, HouseholdType, Money, PersonStatus};
use jianfu_monitoring::anomaly::{AnomalyRule, check_claim, describe, find_anomalies};
use jianfu_monitoring::batch::{evaluate_batch, evaluate_household};
use jianfu_monitoring::explain::{Basis, Lang, render};
use jianfu_monitoring::export::{AlertStatus, HEADER, export_row, sort_rows};
use jianfu_monitoring::input::{Household, Households};
use jianfu_monitoring::rules::{Category, Context, Rule};

use crate::support::*;

fn rules_of(h: &Household, ctx: &Context) -> Vec<Rule> {
    evaluate_household(h, ctx, &reference())
        .iter()
        .map(|(a, _)| a.rule)
        .collect()
}

/// M1: ordinary household of 4, 15,000 per capita, the E4 patient's
/// out-of-pocket 43,260.00.
fn m1() -> Household {
    let mut h = household("M1", HouseholdType::Ordinary, Some("15000.00"), 4);
    h.members[1].claims.push(claim(
        "E4",
        day(2023, 5, 20),
        "120000.00",
        "43260.00",
        GroupSet::EMPTY,
    ));
    h
}

#[test]
fn m1_sudden_candidate() {
    let alerts = evaluate_household(&m1(), &ctx_2023(), &reference());
    assert_eq!(
        alerts.iter().map(|(a, _)| a.rule).collect::<Vec<_>>(),
        [Rule::R2, Rule::R3]
    );
    for (a, e) in &alerts {
        assert_eq!(a.out_of_pocket, yuan("43260.00"));
        assert!(!a.r1 && a.r4 && a.candidate);
        assert_eq!(a.category, Some(Category::Sudden));
        let r4 = e.r4_figures.unwrap();
        assert_eq!(r4.income_total, yuan("60000.00"));
        assert_eq!(r4.after_medical, yuan("16740.00"));
        assert_eq!(r4.line_total, yuan("28000.00"));
        assert_eq!(e.claims.len(), 1);
        assert_eq!(e.params, "reference-2023");
    }
    let (r2, e2) = &alerts[0];
    assert_eq!(r2.threshold, Some(yuan("8000.00")));
    assert_eq!(e2.margin, Some(yuan("35260.00")));
    let (r3, e3) = &alerts[1];
    assert_eq!(r3.threshold, Some(yuan("10000.00")));
    assert!(matches!(
        &e3.basis,
        Basis::Absolute {
            vulnerable: false,
            ..
        }
    ));
    let line = render(e2, Lang::Zh);
    assert!(line.starts_with("R2 相对医疗负担："), "{line}");
    assert!(line.contains("43260.00") && line.contains("8000.00") && line.contains("35260.00"));
    assert!(line.contains("16740.00") && line.contains("突发严重困难户") && line.contains("E4"));
    assert!(!line.contains('\n'));
    let en = render(e2, Lang::En);
    assert!(
        en.contains("SUDDEN") && en.contains("margin 35260.00"),
        "{en}"
    );
}

#[test]
fn m2_no_action() {
    let mut h = household("M2", HouseholdType::FormerlyPoor, Some("9000.00"), 3);
    let g = h.members[0].groups;
    h.members[0]
        .claims
        .push(claim("E3", day(2023, 3, 1), "12000.00", "1200.00", g));
    assert!(rules_of(&h, &ctx_2023()).is_empty());
}

#[test]
fn m3_new_gastric_cancer() {
    let mut h = household("M3", HouseholdType::FormerlyPoor, Some("9000.00"), 3);
    h.members[2]
        .diagnoses
        .push(diagnosis("C16.9", day(2023, 5, 10)));
    let alerts = evaluate_household(&h, &ctx_2023(), &reference());
    assert_eq!(alerts.len(), 1);
    let (a, e) = &alerts[0];
    assert_eq!(a.rule, Rule::R5);
    assert_eq!(a.threshold, None);
    assert!(!a.candidate && a.category.is_none());
    let d = e.diagnosis.as_ref().unwrap();
    assert_eq!(
        (
            d.icd10.as_str(),
            d.entry.as_str(),
            d.list.as_str(),
            d.list_version.as_str()
        ),
        ("C16.9", "胃癌", "major30", "2020")
    );
    assert_eq!(d.entry_codes, ["C16"]);
    assert!(d.person.contains('*'), "masked");
    let line = render(e, Lang::Zh);
    assert!(
        line.contains("胃癌") && line.contains("此前无同一病种"),
        "{line}"
    );
}

#[test]
fn r5_relapse_ties_age_and_window() {
    let base = || {
        let mut h = household("R5", HouseholdType::Edge, None, 2);
        h.members[0]
            .diagnoses
            .push(diagnosis("C16.9", day(2023, 5, 10)));
        h
    };
    // A relapse of a disease known before is not new, whatever its date.
    let mut h = base();
    h.members[0]
        .diagnoses
        .push(diagnosis("C16.0", day(2015, 1, 1)));
    assert!(rules_of(&h, &ctx_2023()).is_empty());
    // Another member's earlier diagnosis does not matter.
    let mut h = base();
    h.members[1]
        .diagnoses
        .push(diagnosis("C16.0", day(2015, 1, 1)));
    assert_eq!(rules_of(&h, &ctx_2023()), [Rule::R5]);
    // Same day under the same entry: neither is earlier, so still new.
    let mut h = base();
    h.members[0]
        .diagnoses
        .push(diagnosis("C16.0", day(2023, 5, 10)));
    assert_eq!(rules_of(&h, &ctx_2023()), [Rule::R5]);
    // An earlier diagnosis under a range entry (lymphoma C81-C86, children).
    let mut h = household("R5", HouseholdType::Unstable, None, 1);
    h.members[0].birth_date = day(2015, 1, 1);
    h.members[0]
        .diagnoses
        .push(diagnosis("C83.3", day(2023, 5, 10)));
    assert_eq!(rules_of(&h, &ctx_2023()), [Rule::R5]);
    h.members[0]
        .diagnoses
        .push(diagnosis("C81.1", day(2022, 2, 2)));
    assert!(rules_of(&h, &ctx_2023()).is_empty());
    // Age limits apply on the diagnosis date: an adult's C91.0 is not on
    // the childhood list.
    let mut h = household("R5", HouseholdType::Edge, None, 1);
    h.members[0]
        .diagnoses
        .push(diagnosis("C91.0", day(2023, 5, 10)));
    assert!(rules_of(&h, &ctx_2023()).is_empty());
    h.members[0].birth_date = day(2006, 5, 11); // 16 on 2023-05-10
    assert_eq!(rules_of(&h, &ctx_2023()), [Rule::R5]);
    // Not a household type of R5; after the evaluation date; the year before.
    let mut h = base();
    h.household_type = HouseholdType::Sudden;
    assert!(rules_of(&h, &ctx_2023()).is_empty());
    let early = Context {
        as_of: day(2023, 5, 9),
        ..ctx_2023()
    };
    assert!(rules_of(&base(), &early).is_empty());
    let next = Context {
        year: 2024,
        as_of: day(2024, 2, 1),
        ..ctx_2023()
    };
    assert!(rules_of(&base(), &next).is_empty());
}

#[test]
fn m4_unstable_candidate() {
    let mut h = household("M4", HouseholdType::FormerlyPoor, Some("9000.00"), 2);
    let g = h.members[0].groups;
    h.members[0]
        .claims
        .push(claim("A", day(2023, 2, 1), "20000.00", "3000.00", g));
    h.members[1]
        .claims
        .push(claim("B", day(2023, 9, 1), "9000.00", "2000.00", g));
    let alerts = evaluate_household(&h, &ctx_2023(), &reference());
    assert_eq!(alerts.len(), 1);
    let (a, e) = &alerts[0];
    assert_eq!(a.rule, Rule::R3);
    assert_eq!(a.out_of_pocket, yuan("5000.00"));
    assert_eq!(e.margin, Some(Money::ZERO));
    assert!(a.vulnerable && !a.r1 && a.r4 && a.candidate);
    assert_eq!(a.category, Some(Category::Unstable));
    assert_eq!(e.r4_figures.unwrap().after_medical, yuan("13000.00"));
    let ids: Vec<&str> = e.claims.iter().map(|c| c.claim_id.as_str()).collect();
    assert_eq!(ids, ["A", "B"], "largest first");
}

#[test]
fn m5_income_unknown() {
    let mut h = household("M5", HouseholdType::Ordinary, None, 3);
    h.members[0].claims.push(claim(
        "X",
        day(2023, 11, 30),
        "30000.00",
        "9999.99",
        GroupSet::EMPTY,
    ));
    let alerts = evaluate_household(&h, &ctx_2023(), &reference());
    assert_eq!(alerts.len(), 1);
    let (a, e) = &alerts[0];
    assert_eq!(a.rule, Rule::R2);
    assert!(!a.r1 && !a.r4 && !a.candidate && a.category.is_none());
    assert!(e.r4_figures.is_none());
    assert!(render(e, Lang::Zh).contains("家庭人均纯收入未填报"));
    assert!(render(e, Lang::En).contains("income per capita unknown"));
}

#[test]
fn counting_rules() {
    let mut h = household("C", HouseholdType::Ordinary, Some("9000.00"), 3);
    let none = GroupSet::EMPTY;
    h.members[0].status = PersonStatus::Deceased;
    h.members[1].status = PersonStatus::MovedOut;
    // A deceased member's claim counts; ones after d or in another year do not.
    h.members[0]
        .claims
        .push(claim("in", day(2023, 12, 31), "9000.00", "8000.00", none));
    h.members[2]
        .claims
        .push(claim("late", day(2024, 1, 1), "9000.00", "5000.00", none));
    h.members[2]
        .claims
        .push(claim("old", day(2022, 12, 31), "9000.00", "5000.00", none));
    let alerts = evaluate_household(&h, &ctx_2023(), &reference());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].0.out_of_pocket, yuan("8000.00"));
    assert_eq!(alerts[0].0.size, 1, "only active members; at least 1");
    let cut = Context {
        as_of: day(2023, 12, 30),
        ..ctx_2023()
    };
    assert!(rules_of(&h, &cut).is_empty());
    // Every member gone: size is still 1.
    h.members[2].status = PersonStatus::Deceased;
    assert_eq!(
        evaluate_household(&h, &ctx_2023(), &reference())[0].0.size,
        1
    );
    // A member in a vulnerable group lowers R3's line.
    h.members[2].groups.insert(Group::SubsistenceEdge);
    let rules: Vec<Rule> = rules_of(&h, &ctx_2023());
    assert_eq!(rules, [Rule::R2, Rule::R3]);
}

#[test]
fn export_rows() {
    let tz = china();
    let raised = tz.with_ymd_and_hms(2024, 1, 5, 9, 0, 0).unwrap();
    let alerts = evaluate_household(&m1(), &ctx_2023(), &reference());
    let row = export_row(&alerts[0].1, AlertStatus::Open, raised);
    assert_eq!(
        &row.fields()[..12],
        [
            "R2",
            "130624",
            "M1",
            "2023",
            "43260.00",
            "8000.00",
            "15000.00",
            "4",
            "true",
            "SUDDEN",
            "open",
            "2024-01-05T09:00:00+08:00"
        ]
    );
    assert_eq!(HEADER.len(), row.fields().len());
    let mut h = household("M5", HouseholdType::Ordinary, None, 3);
    h.members[0].claims.push(claim(
        "X",
        day(2023, 11, 30),
        "30000.00",
        "9999.99",
        GroupSet::EMPTY,
    ));
    let m5 = evaluate_household(&h, &ctx_2023(), &reference());
    let r = export_row(&m5[0].1, AlertStatus::Dismissed, raised);
    assert_eq!(
        (r.income_per_capita.as_str(), r.category.as_str()),
        ("", "")
    );
    assert_eq!(
        (r.candidate.as_str(), r.status.as_str()),
        ("false", "dismissed")
    );
    let mut h3 = household("M3", HouseholdType::FormerlyPoor, Some("9000.00"), 1);
    h3.members[0]
        .diagnoses
        .push(diagnosis("C16.9", day(2023, 5, 10)));
    let m3 = evaluate_household(&h3, &ctx_2023(), &reference());
    let r5 = export_row(&m3[0].1, AlertStatus::Linked, raised);
    assert_eq!(
        (r5.threshold.as_str(), r5.out_of_pocket.as_str()),
        ("", "0.00")
    );
    let mut rows = vec![r5, r, row];
    rows.push(export_row(&alerts[1].1, AlertStatus::Lapsed, raised));
    sort_rows(&mut rows);
    let order: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.household_no.as_str(), r.rule.as_str()))
        .collect();
    assert_eq!(
        order,
        [("M1", "R2"), ("M1", "R3"), ("M3", "R5"), ("M5", "R2")]
    );
    assert_eq!(AlertStatus::from_code("lapsed"), Some(AlertStatus::Lapsed));
}

#[test]
fn explanation_serialises() {
    let alerts = evaluate_household(&m1(), &ctx_2023(), &reference());
    let v = toml::Value::try_from(&alerts[0].1).unwrap();
    assert_eq!(v["rule"].as_str(), Some("R2"));
    assert_eq!(v["category"].as_str(), Some("SUDDEN"));
    assert_eq!(v["out_of_pocket"].as_str(), Some("43260.00"));
    assert_eq!(v["basis"]["kind"].as_str(), Some("relative"));
}

#[test]
fn anomalies_a1_a3() {
    let p = reference();
    let poor = HouseholdType::FormerlyPoor.implied_groups();
    let facts = |total: &str, oop: &str, one_stop| {
        let mut c = claim("c", day(2023, 3, 3), total, oop, poor).facts;
        c.one_stop = one_stop;
        c
    };
    let rules = |c| check_claim(&c, &p.anomaly).iter().collect::<Vec<_>>();
    assert!(
        rules(facts("10000.00", "1500.00", Some(true))).is_empty(),
        "exactly 85%"
    );
    assert_eq!(rules(facts("10000.00", "1500.01", None)), [AnomalyRule::A2]);
    assert_eq!(
        rules(facts("10000.00", "1500.00", Some(false))),
        [AnomalyRule::A1]
    );
    assert_eq!(rules(facts("100000.00", "3000.00", Some(true))), []);
    assert_eq!(
        rules(facts("100000.00", "3000.01", Some(true))),
        [AnomalyRule::A3]
    );
    assert_eq!(
        rules(facts("10000.00", "9000.00", Some(false))),
        [AnomalyRule::A1, AnomalyRule::A2, AnomalyRule::A3]
    );
    let mut outpatient = facts("10000.00", "9000.00", Some(false));
    outpatient.kind = ClaimKind::OutpatientChronic;
    assert!(rules(outpatient).is_empty());
    let mut ordinary = facts("10000.00", "9000.00", Some(false));
    ordinary.groups = GroupSet::of(&[Group::IllnessPoor]);
    assert!(rules(ordinary).is_empty());

    let mut h = household("A", HouseholdType::FormerlyPoor, Some("9000.00"), 1);
    h.members[0]
        .claims
        .push(claim("Z1", day(2023, 3, 3), "10000.00", "4000.00", poor));
    h.members[0]
        .claims
        .push(claim("Z2", day(2023, 4, 3), "10000.00", "1000.00", poor));
    let input = Households::of(&h);
    let found = find_anomalies(&input, day(2023, 1, 1), day(2023, 12, 31), |_| &p);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].actual_ratio.ten_thousandths(), 6000);
    let text = describe(&input, &found[0], &p.anomaly);
    assert!(
        text.contains("Z1") && text.contains("60.00%") && text.contains("A3"),
        "{text}"
    );
    assert!(find_anomalies(&input, day(2023, 4, 1), day(2023, 12, 31), |_| &p).is_empty());
}

#[test]
fn batch_threads_agree() {
    let p = reference();
    let mut input = Households::new();
    for i in 0..5000 {
        let mut h = household(
            &format!("H{i:05}"),
            HouseholdType::ALL[i % 5],
            Some("6000.00"),
            1 + i % 4,
        );
        let g = h.members[0].groups;
        for k in 0..(i % 7) {
            let oop = format!("{}.{:02}", (i * 37 + k * 911) % 6000, k * 13 % 100);
            let n = h.members.len();
            h.members[k % n].claims.push(claim(
                &format!("C{i}-{k}"),
                day(2023, 1 + (k as u32 % 12), 3),
                "9000.00",
                &oop,
                g,
            ));
        }
        input.push(&h);
    }
    let ctx = ctx_2023();
    let one = evaluate_batch(&input, &ctx, 1, |_| &p);
    let two = evaluate_batch(&input, &ctx, 2, |_| &p);
    let five = evaluate_batch(&input, &ctx, 5, |_| &p);
    assert!(!one.is_empty());
    assert_eq!(one, two);
    assert_eq!(one, five);
}
