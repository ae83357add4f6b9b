//! Three-batch classification (domain §1.5) and the care KPIs (§6) on
//! small hand-checked cases.

use chrono::NaiveDate;
use jianfu_care::*;
use jianfu_domain::{DiseaseCatalogue, Group, GroupSet, HouseholdType, Icd10, Money};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn dx(code: &str, on: NaiveDate) -> Diagnosis {
    Diagnosis::confirmed(Icd10::parse(code).unwrap(), on)
}

fn yuan(y: i64) -> Money {
    Money::from_yuan(y)
}

fn rules() -> BatchRules {
    // R3 for 脱贫/监测 households (5,000) and the example line of 7,000.
    BatchRules::new(yuan(5_000), yuan(7_000))
}

fn facts(household_type: HouseholdType, diagnoses: &[Diagnosis]) -> BatchFacts<'_> {
    BatchFacts {
        birth: day(1970, 4, 1),
        groups: GroupSet::EMPTY,
        household_type,
        diagnoses,
        out_of_pocket: Money::ZERO,
        income_after_medical: None,
    }
}

#[test]
fn batch_a_needs_a_major_diagnosis_in_the_year_and_a_poor_group() {
    let cat = DiseaseCatalogue::built_in();
    // M3: a 脱贫户 member diagnosed with gastric cancer.
    let dxs = [dx("C16.9", day(2023, 5, 10))];
    let set = batches(
        &cat,
        &facts(HouseholdType::FormerlyPoor, &dxs),
        2023,
        &rules(),
    );
    assert_eq!(set.codes(), "A");
    let (m, g) = set.a.as_ref().unwrap();
    assert_eq!((m.entry.as_str(), *g), ("胃癌", Group::FormerlyPoor));
    assert_eq!(
        set.zh(),
        "A：脱贫人口2023-05-10 确诊 C16.9，属大病专项救治病种（2020版）“胃癌”"
    );
    // Not in the year, or not poor: no A.
    assert!(
        batches(
            &cat,
            &facts(HouseholdType::FormerlyPoor, &dxs),
            2024,
            &rules()
        )
        .a
        .is_none()
    );
    assert!(
        batches(&cat, &facts(HouseholdType::Ordinary, &dxs), 2023, &rules())
            .a
            .is_none()
    );
    // A person's own group counts as well as the household's.
    let own = BatchFacts {
        groups: GroupSet::of(&[Group::Subsistence]),
        ..facts(HouseholdType::Ordinary, &dxs)
    };
    assert_eq!(
        batches(&cat, &own, 2023, &rules()).a.unwrap().1,
        Group::Subsistence
    );
    // 低保边缘 counts only when a region adds it.
    let edge = BatchFacts {
        groups: GroupSet::of(&[Group::SubsistenceEdge]),
        ..own
    };
    assert!(batches(&cat, &edge, 2023, &rules()).a.is_none());
    let mut wider = rules();
    wider.poor_groups.insert(Group::SubsistenceEdge);
    assert!(batches(&cat, &edge, 2023, &wider).a.is_some());
    // Monitored households count through their implied group.
    assert!(
        batches(&cat, &facts(HouseholdType::Edge, &dxs), 2023, &rules())
            .a
            .is_some()
    );
}

#[test]
fn list_versions_and_age_limits_apply_on_the_diagnosis_date() {
    let cat = DiseaseCatalogue::built_in();
    let child = |on| {
        let d = [dx("C83.3", on)];
        let f = BatchFacts {
            birth: day(2010, 6, 1),
            ..facts(HouseholdType::FormerlyPoor, &d)
        };
        batches(
            &cat,
            &f,
            on.format("%Y").to_string().parse().unwrap(),
            &rules(),
        )
        .a
        .is_some()
    };
    assert!(child(day(2023, 3, 1)), "childhood lymphoma at 12");
    assert!(!child(day(2028, 6, 1)), "18 on the diagnosis date");
    // Before the 2020 list came into force nothing matches.
    let old = [dx("C16.9", day(2019, 5, 10))];
    assert!(
        batches(
            &cat,
            &facts(HouseholdType::FormerlyPoor, &old),
            2019,
            &rules()
        )
        .a
        .is_none()
    );
}

#[test]
fn batch_b_carries_a_chronic_diagnosis_across_years() {
    let cat = DiseaseCatalogue::built_in();
    let dxs = [
        dx("I10.x00", day(2019, 5, 10)),
        dx("E11.9", day(2024, 1, 3)),
    ];
    let set = batches(&cat, &facts(HouseholdType::Ordinary, &dxs), 2023, &rules());
    assert_eq!(
        set.codes(),
        "B",
        "any group; the diabetes of 2024 is not yet known in 2023"
    );
    assert_eq!(set.b.as_ref().unwrap().icd10.as_str(), "I10.x00");
    let suspected = [Diagnosis {
        confirmed: false,
        ..dx("I10", day(2019, 5, 10))
    }];
    assert!(
        batches(
            &cat,
            &facts(HouseholdType::Ordinary, &suspected),
            2023,
            &rules()
        )
        .b
        .is_none()
    );
    assert_eq!(
        batches(&cat, &facts(HouseholdType::Ordinary, &[]), 2023, &rules()).en(),
        "in none of the three batches"
    );
}

#[test]
fn batch_c_needs_a_or_b_and_a_burden() {
    let cat = DiseaseCatalogue::built_in();
    let dxs = [dx("C16.9", day(2023, 5, 10)), dx("I10", day(2020, 1, 1))];
    let base = facts(HouseholdType::FormerlyPoor, &dxs);
    let with = |oop: Money, income: Option<Money>| {
        let f = BatchFacts {
            out_of_pocket: oop,
            income_after_medical: income,
            ..base
        };
        batches(&cat, &f, 2023, &rules())
    };
    assert_eq!(with(yuan(5_000), None).codes(), "A|B|C");
    assert_eq!(
        with(yuan(5_000), None).c,
        Some(Burden::OutOfPocket {
            amount: yuan(5_000),
            threshold: yuan(5_000)
        })
    );
    assert_eq!(with(Money::from_fen(499_999), None).codes(), "A|B");
    assert_eq!(
        with(Money::ZERO, Some(Money::from_fen(699_999))).codes(),
        "A|B|C"
    );
    assert_eq!(with(Money::ZERO, Some(yuan(7_000))).codes(), "A|B");
    let set = with(yuan(1_200), Some(Money::from_fen(418_500)));
    assert!(
        set.zh()
            .ends_with("C：扣除医疗支出后人均收入 4185.00 元 < 监测线 7000.00 元"),
        "{}",
        set.zh()
    );
    // Neither A nor B: a heavy burden alone is not batch C.
    let none = BatchFacts {
        out_of_pocket: yuan(50_000),
        ..facts(HouseholdType::FormerlyPoor, &[])
    };
    assert!(batches(&cat, &none, 2023, &rules()).c.is_none());
}

#[test]
fn income_after_medical_spending_rounds_half_up() {
    // M1 and M2 of the monitoring examples.
    assert_eq!(
        income_after_medical(yuan(60_000), yuan(43_260), 4),
        Some(Money::from_fen(418_500))
    );
    assert_eq!(
        income_after_medical(yuan(27_000), yuan(1_200), 3),
        Some(yuan(8_600))
    );
    assert_eq!(
        income_after_medical(yuan(100), Money::ZERO, 3),
        Some(Money::from_fen(3_333))
    );
    assert_eq!(
        income_after_medical(Money::from_fen(2), Money::ZERO, 3),
        Some(Money::from_fen(1))
    );
    assert_eq!(
        income_after_medical(Money::from_fen(1), Money::ZERO, 2),
        Some(Money::from_fen(1))
    );
    assert_eq!(
        income_after_medical(Money::ZERO, Money::from_fen(5), 2),
        Some(Money::from_fen(-3))
    );
    assert_eq!(income_after_medical(yuan(1), Money::ZERO, 0), None);
}

#[test]
fn rates_round_half_up_for_display() {
    assert_eq!(
        Rate::new(11_640, 12_000).to_string(),
        "11640/12000 = 97.00%"
    );
    assert_eq!(Rate::new(1, 3).percent_text(), "33.33%");
    assert_eq!(Rate::new(2, 3).percent_text(), "66.67%");
    assert_eq!(
        Rate::new(1, 1_600).percent_text(),
        "0.06%",
        "0.0625% rounds down"
    );
    assert_eq!(
        Rate::new(1, 800).percent_text(),
        "0.13%",
        "0.125% rounds up"
    );
    assert_eq!(Rate::new(0, 0).percent_text(), "—");
    assert_eq!(Rate::new(3, 3).percent_hundredths(), Some(10_000));
    assert_eq!(Rate::new(1, 4).merge(Rate::new(2, 4)), Rate::new(3, 8));
}

#[test]
fn contract_rates_per_group() {
    // 12,000 脱贫人口, the first 11,640 signed: the first 300 are managed
    // chronic patients, the last 400 are 65+ (40 of them signed); 500
    // monitored others, 450 signed.
    let poor = GroupSet::of(&[Group::FormerlyPoor]);
    let mut people = Vec::new();
    for i in 0..12_000u32 {
        people.push(ContractFacts {
            groups: poor,
            chronic4: i < 300,
            age: if i >= 11_600 { 70 } else { 40 },
            signed: i < 11_640,
        });
    }
    for i in 0..500u32 {
        people.push(ContractFacts {
            groups: GroupSet::of(&[Group::Monitored]),
            chronic4: false,
            age: 30,
            signed: i < 450,
        });
    }
    let rates = contract_rates(&people);
    let text: Vec<String> = rates
        .iter()
        .map(|(g, r)| format!("{} {r}", g.code()))
        .collect();
    assert_eq!(
        text,
        [
            "formerly_poor 11640/12000 = 97.00%",
            "monitored 450/500 = 90.00%",
            "chronic4 300/300 = 100.00%",
            "aged_65 40/400 = 10.00%",
        ]
    );
}

fn span(code: &str, since: NaiveDate) -> ManagementSpan {
    managed_spans(
        &CareCatalogue::built_in(),
        day(1950, 1, 1),
        &[dx(code, since)],
        &PersonEnds::default(),
    )
    .remove(0)
}

fn ht(on: NaiveDate, way: Way, sbp: u32) -> Visit {
    VisitDraft {
        systolic: Some(sbp),
        diastolic: Some(80),
        ..VisitDraft::new(CareDisease::Hypertension, on, way, "医生")
    }
    .validate()
    .unwrap()
}

#[test]
fn management_and_control_rates() {
    let birth = day(1950, 1, 1); // 74 in 2024: target below 150/90.
    let s = span("I10", day(2020, 1, 1));
    let f2f = Way::FaceToFace;
    let four = [
        ht(day(2024, 1, 5), f2f, 160),
        ht(day(2024, 4, 5), f2f, 150),
        ht(day(2024, 7, 5), f2f, 145),
        ht(day(2024, 10, 5), f2f, 149),
        ht(day(2023, 12, 30), f2f, 120),
    ];
    let a = management_facts(&s, &four, birth, 2024).unwrap();
    assert_eq!(
        a,
        ManagementFacts {
            disease: CareDisease::Hypertension,
            face_to_face_visits: 4,
            last_at_target: Some(true)
        }
    );
    let with_phone = [
        ht(day(2024, 1, 5), f2f, 130),
        ht(day(2024, 4, 5), Way::Phone, 130),
        ht(day(2024, 7, 5), f2f, 130),
        ht(day(2024, 10, 5), f2f, 130),
        ht(day(2024, 12, 5), Way::Phone, 155),
    ];
    let b = management_facts(&s, &with_phone, birth, 2024).unwrap();
    assert_eq!((b.face_to_face_visits, b.last_at_target), (3, Some(false)));
    let c = management_facts(&s, &[], birth, 2024).unwrap();
    assert_eq!(c.last_at_target, None);
    let d = ManagementFacts {
        disease: CareDisease::Diabetes,
        face_to_face_visits: 5,
        last_at_target: Some(true),
    };
    let [(_, h), (_, g)] = management_rates([&a, &b, &c, &d]);
    assert_eq!(
        (h.standardised.to_string(), h.controlled.to_string()),
        ("1/3 = 33.33%".into(), "1/3 = 33.33%".into())
    );
    assert_eq!(g.controlled.percent_text(), "100.00%");
    // Not managed in the year, or not HT/DM: no facts.
    let later = span("I10", day(2025, 2, 1));
    assert!(management_facts(&later, &four, birth, 2024).is_none());
    assert!(management_facts(&span("A15.0", day(2020, 1, 1)), &four, birth, 2024).is_none());
}

#[test]
fn the_treatment_rate_excludes_documented_cases() {
    let mut statuses = Vec::new();
    statuses
        .extend((0..95).map(|i| TreatmentStatus::Treated(TreatmentRef::Claim(format!("C{i}")))));
    statuses.extend((0..3).map(|_| TreatmentStatus::InTreatment));
    statuses.extend((0..2).map(|_| TreatmentStatus::Pending));
    statuses.push(TreatmentStatus::Unsuitable(UnsuitableReason::Died));
    statuses.push(TreatmentStatus::Unsuitable(UnsuitableReason::Refused));
    statuses.push(TreatmentStatus::Unsuitable(
        UnsuitableReason::MedicallyUnsuitable,
    ));
    let r = treatment_rate(&statuses);
    assert_eq!((r.patients, r.excluded), (103, 3));
    assert_eq!(r.rate.to_string(), "98/100 = 98.00%");
}
