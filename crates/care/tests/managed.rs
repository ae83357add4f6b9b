//! Managed patients (care.md §1): mapping chronic4 rows by their codes,
//! versions by date, and the spans death, moving out and recorded ends close.

use chrono::NaiveDate;
use jianfu_care::*;
use jianfu_domain::{DiseaseCatalogue, DiseaseList, Icd10};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn dx(code: &str, on: NaiveDate) -> Diagnosis {
    Diagnosis::confirmed(Icd10::parse(code).unwrap(), on)
}

const BIRTH: NaiveDate = NaiveDate::from_ymd_opt(1960, 5, 1).unwrap();

#[test]
fn shipped_list_maps_by_codes() {
    let cat = CareCatalogue::built_in();
    let on = day(2023, 1, 1);
    let of = |c: &str| {
        cat.classify(&Icd10::parse(c).unwrap(), on, None)
            .map(|m| m.disease)
    };
    assert_eq!(of("I10.x00"), Some(CareDisease::Hypertension));
    assert_eq!(of("I15.0"), Some(CareDisease::Hypertension));
    assert_eq!(of("E11.9"), Some(CareDisease::Diabetes));
    assert_eq!(of("A16.2"), Some(CareDisease::Tb));
    assert_eq!(of("F20.0"), Some(CareDisease::Mental));
    assert_eq!(of("F72"), Some(CareDisease::Mental));
    assert_eq!(of("E10.9"), None);
    assert_eq!(of("A17.0"), None);
    // A diagnosis older than the list counts from the list's first day.
    let old = cat
        .classify(&Icd10::parse("I10").unwrap(), day(2012, 12, 31), None)
        .unwrap();
    assert_eq!((old.version, old.counts_from), ("2017", day(2017, 1, 1)));
}

const REGIONAL: &str = r#"
id = "chronic4"
name = "重点慢病（本省）"
version = "2025"
valid_from = "2025-01-01"
[[diseases]]
name = "慢阻肺"
codes = ["J44"]
[[diseases]]
name = "高血压病"
codes = ["I10-I15"]
[[diseases]]
name = "糖尿病（2型）"
codes = ["E11"]
[[diseases]]
name = "结核"
codes = ["A15-A19"]
"#;

fn with_regional(extra: &str) -> Result<CareCatalogue, ManagedError> {
    let mut c = DiseaseCatalogue::built_in();
    c.lists
        .push(DiseaseList::from_toml("regional.toml", extra).unwrap());
    CareCatalogue::new(&c)
}

#[test]
fn renamed_and_extra_rows_map_by_codes_and_versions_by_date() {
    let cat = with_regional(REGIONAL).unwrap();
    let code = |c: &str| Icd10::parse(c).unwrap();
    let m = cat.classify(&code("I10"), day(2025, 3, 1), None).unwrap();
    assert_eq!(
        (m.disease, m.entry.name.as_str(), m.version),
        (CareDisease::Hypertension, "高血压病", "2025")
    );
    assert!(
        cat.classify(&code("J44.1"), day(2025, 3, 1), None)
            .is_none(),
        "COPD is not scheduled"
    );
    // The regional version has no mental row: F20 is managed only under 2017.
    assert!(cat.classify(&code("F20"), day(2025, 3, 1), None).is_none());
    assert_eq!(
        cat.classify(&code("F20"), day(2024, 3, 1), None)
            .unwrap()
            .version,
        "2017"
    );
}

#[test]
fn an_entry_covering_two_diseases_is_refused() {
    let text = REGIONAL.replace(r#"codes = ["E11"]"#, r#"codes = ["E11", "I10"]"#);
    // The hypertension row comes first, so I10 maps there: fine.
    assert!(with_regional(&text).is_ok());
    let text = REGIONAL.replace(r#"codes = ["J44"]"#, r#"codes = ["J44", "I10", "E11"]"#);
    let err = with_regional(&text).unwrap_err();
    assert!(
        matches!(err, ManagedError::AmbiguousEntry { ref entry, .. } if entry == "慢阻肺"),
        "{err}"
    );
}

#[test]
fn spans_start_at_the_first_matching_diagnosis() {
    let cat = CareCatalogue::built_in();
    let dxs = [
        dx("I10.x00", day(2021, 3, 5)),
        dx("I11.9", day(2019, 7, 1)),
        dx("E11.9", day(2022, 1, 10)),
        Diagnosis {
            confirmed: false,
            ..dx("A15.0", day(2022, 2, 1))
        },
        dx("K29.7", day(2020, 1, 1)),
    ];
    let spans = managed_spans(&cat, BIRTH, &dxs, &PersonEnds::default());
    assert_eq!(spans.len(), 2, "suspected TB and gastritis start nothing");
    assert_eq!(
        (spans[0].disease, spans[0].since),
        (CareDisease::Hypertension, day(2019, 7, 1))
    );
    assert_eq!(spans[0].start.icd10.as_str(), "I11.9");
    assert_eq!(spans[1].disease, CareDisease::Diabetes);
    assert!(spans[0].covers(day(2030, 1, 1)));
    assert!(spans[0].zh().contains("自2019-07-01起纳入高血压管理"));
    assert!(
        spans[0]
            .en()
            .contains("Managed for hypertension since 2019-07-01")
    );
}

#[test]
fn a_diagnosis_older_than_the_list_counts_from_its_first_day() {
    let cat = CareCatalogue::built_in();
    let spans = managed_spans(
        &cat,
        BIRTH,
        &[dx("I10", day(2012, 4, 1))],
        &PersonEnds::default(),
    );
    assert_eq!(spans[0].since, day(2017, 1, 1));
    assert_eq!(spans[0].start.diagnosed_on, day(2012, 4, 1));
    assert!(
        spans[0]
            .zh()
            .starts_with("自2017-01-01起纳入高血压管理：2012-04-01 确诊 I10")
    );
}

#[test]
fn death_moving_out_and_recorded_ends_close_spans() {
    let cat = CareCatalogue::built_in();
    let dxs = [
        dx("A15.0", day(2022, 1, 10)),
        dx("A15.0", day(2022, 3, 1)),
        dx("A16.2", day(2023, 5, 2)),
        dx("I10", day(2022, 6, 1)),
        dx("E11", day(2024, 8, 1)),
    ];
    let ends = PersonEnds {
        died_on: Some(day(2024, 7, 31)),
        moved_out_on: None,
        ended: vec![RecordedEnd {
            disease: CareDisease::Tb,
            on: day(2022, 7, 10),
        }],
    };
    let spans = managed_spans(&cat, BIRTH, &dxs, &ends);
    let tb: Vec<_> = spans
        .iter()
        .filter(|s| s.disease == CareDisease::Tb)
        .collect();
    assert_eq!(tb.len(), 2, "the second TB episode opens a new span");
    assert_eq!(
        (tb[0].since, tb[0].until, tb[0].end),
        (
            day(2022, 1, 10),
            Some(day(2022, 7, 10)),
            Some(EndReason::Recorded)
        )
    );
    assert_eq!(
        (tb[1].since, tb[1].until, tb[1].end),
        (
            day(2023, 5, 2),
            Some(day(2024, 7, 31)),
            Some(EndReason::Died)
        )
    );
    assert!(!tb[0].covers(day(2022, 7, 10)) && tb[0].covers(day(2022, 7, 9)));
    assert!(
        spans.iter().all(|s| s.disease != CareDisease::Diabetes),
        "diagnosed after death"
    );
    let moved = PersonEnds {
        moved_out_on: Some(day(2023, 1, 1)),
        ..ends.clone()
    };
    let spans = managed_spans(&cat, BIRTH, &dxs, &moved);
    let ht = span_on(&spans, CareDisease::Hypertension, day(2022, 12, 31)).unwrap();
    assert_eq!(ht.end, Some(EndReason::MovedOut));
    assert!(ht.zh().ends_with("2023-01-01迁出，管理终止"));
    assert!(span_on(&spans, CareDisease::Hypertension, day(2023, 1, 1)).is_none());
}

#[test]
fn disease_codes_parse_both_ways() {
    for d in CareDisease::ALL {
        assert_eq!(CareDisease::parse(d.code()), Some(d));
        assert_eq!(CareDisease::parse(d.label()), Some(d));
    }
    assert_eq!(CareDisease::parse("糖尿病"), Some(CareDisease::Diabetes));
    assert_eq!(CareDisease::parse("copd"), None);
}
