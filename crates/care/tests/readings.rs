//! Home-reading alerts of care.md §3: the worked example, each rule's
//! edges, row parsing, and properties (order independence, repeats,
//! incremental = full).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use jianfu_care::calendar::china_offset;
use jianfu_care::*;
use jianfu_domain::{Icd10, IdCardNo};
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn person() -> IdCardNo {
    IdCardNo::from_parts("522701", day(1958, 3, 2), 17).unwrap()
}

/// China time on 2024-06-`d` at `h`:00.
fn at(d: u32, h: u32) -> DateTime<Utc> {
    china_offset()
        .with_ymd_and_hms(2024, 6, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn bp(d: u32, h: u32, s: u32, p: u32) -> Reading {
    let value = ReadingValue::Bp(Bp::new(s, p).unwrap());
    Reading::new(person(), at(d, h), value, Arc::from("BPM-001")).unwrap()
}

fn glu(d: u32, h: u32, tenths: u32, fasting: bool) -> Reading {
    let value = ReadingValue::Glucose {
        value: Glucose::from_tenths(tenths).unwrap(),
        fasting,
    };
    Reading::new(person(), at(d, h), value, Arc::from("GLU-9")).unwrap()
}

fn managed_ht() -> Vec<ManagementSpan> {
    let dx = Diagnosis::confirmed(Icd10::parse("I10").unwrap(), day(2020, 1, 1));
    managed_spans(
        &CareCatalogue::built_in(),
        day(1958, 3, 2),
        &[dx],
        &PersonEnds::default(),
    )
}

fn summary(alerts: &[Alert]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {}",
                a.rule.code(),
                a.day.format("%m-%d"),
                a.due.format("%m-%d"),
                a.value_text()
            )
        })
        .collect()
}

#[test]
fn the_worked_example() {
    let spans = managed_ht();
    let mut rs = vec![
        bp(1, 8, 138, 88),
        bp(2, 8, 146, 92),
        bp(3, 8, 142, 86),
        bp(4, 8, 151, 95),
    ];
    let alerts = alerts_for(&rs, ReadingKind::Bp, &spans);
    assert_eq!(summary(&alerts), ["H-BP-3D 06-04 06-18 151/95"]);
    assert_eq!(alerts[0].run_from, Some(day(2024, 6, 2)));
    assert!(alerts[0].under_management);
    assert_eq!(
        alerts[0].zh(),
        "H-BP-3D：2024-06-02至2024-06-04连续3天偏高，第3天读数 151/95，两周内复查（2024-06-18前）"
    );
    rs.push(bp(5, 8, 182, 96));
    let alerts = alerts_for(&rs, ReadingKind::Bp, &spans);
    assert_eq!(
        summary(&alerts),
        ["H-BP-3D 06-04 06-18 151/95", "H-BP-CRIT 06-05 06-05 182/96"]
    );
    let task = alerts[1].task();
    assert_eq!(
        (task.disease, task.kind, task.due),
        (
            CareDisease::Hypertension,
            TaskKind::UrgentReferral,
            day(2024, 6, 5)
        )
    );
    assert_eq!(
        alerts[1].cells().join(","),
        format!(
            "H-BP-CRIT,{},2024-06-05,2024-06-05,2024-06-05T08:00:00+08:00,182/96",
            person().as_str()
        )
    );
}

#[test]
fn critical_alerts_once_a_day_from_the_first_critical_reading() {
    let rs = [
        bp(5, 20, 190, 100),
        bp(5, 7, 185, 112),
        bp(5, 9, 120, 80),
        bp(6, 7, 150, 110),
    ];
    let alerts = alerts_for(&rs, ReadingKind::Bp, &[]);
    assert_eq!(
        summary(&alerts),
        [
            "H-BP-CRIT 06-05 06-05 185/112",
            "H-BP-CRIT 06-06 06-06 150/110"
        ]
    );
    assert!(!alerts[0].under_management);
    assert!(
        alerts[0]
            .zh()
            .ends_with("该居民当日未纳入高血压管理，可由医生评估纳入")
    );
    assert!(alerts[0].en().contains("not under hypertension management"));
}

#[test]
fn runs_are_consecutive_calendar_days_of_high_readings() {
    // A day without any reading ends the run.
    let gap = [
        bp(1, 8, 150, 90),
        bp(2, 8, 150, 90),
        bp(4, 8, 150, 90),
        bp(5, 8, 150, 90),
    ];
    assert!(alerts_for(&gap, ReadingKind::Bp, &[]).is_empty());
    // A day whose readings are all normal ends it too; a high day needs one high reading.
    let normal = [
        bp(1, 8, 150, 90),
        bp(2, 8, 150, 90),
        bp(3, 8, 130, 80),
        bp(4, 8, 150, 90),
        bp(5, 8, 150, 90),
    ];
    assert!(alerts_for(&normal, ReadingKind::Bp, &[]).is_empty());
    let mixed = [
        bp(1, 8, 150, 90),
        bp(2, 8, 130, 80),
        bp(2, 20, 141, 80),
        bp(3, 8, 120, 90),
    ];
    assert_eq!(
        summary(&alerts_for(&mixed, ReadingKind::Bp, &[])),
        ["H-BP-3D 06-03 06-17 120/90"]
    );
    // One alert per run; a new run fires again.
    let long: Vec<Reading> = (1..=9)
        .filter(|d| *d != 6)
        .map(|d| bp(d, 8, 145, 85))
        .collect();
    assert_eq!(
        summary(&alerts_for(&long, ReadingKind::Bp, &[])),
        ["H-BP-3D 06-03 06-17 145/85", "H-BP-3D 06-09 06-23 145/85"]
    );
}

#[test]
fn the_day_is_the_china_calendar_date() {
    let late = |utc_h| {
        let at = Utc.with_ymd_and_hms(2024, 6, 3, utc_h, 30, 0).unwrap();
        Reading::new(
            person(),
            at,
            ReadingValue::Bp(Bp::new(150, 90).unwrap()),
            Arc::from("d"),
        )
        .unwrap()
    };
    assert_eq!(late(15).day(), day(2024, 6, 3));
    assert_eq!(late(16).day(), day(2024, 6, 4));
    let rs = [bp(2, 8, 150, 90), bp(3, 8, 150, 90), late(16)];
    assert_eq!(
        alerts_for(&rs, ReadingKind::Bp, &[])[0].day,
        day(2024, 6, 4)
    );
}

#[test]
fn glucose_rules_read_fasting_values_only() {
    let rs = [
        glu(1, 7, 72, true),
        glu(2, 7, 75, true),
        glu(3, 19, 120, false),
        glu(4, 7, 70, true),
    ];
    assert!(
        alerts_for(&rs, ReadingKind::Glucose, &[]).is_empty(),
        "an after-meal reading ends the run"
    );
    let rs = [
        glu(1, 7, 72, true),
        glu(2, 7, 75, true),
        glu(3, 19, 120, false),
        glu(3, 7, 70, true),
    ];
    assert_eq!(
        summary(&alerts_for(&rs, ReadingKind::Glucose, &[])),
        ["H-GLU-3D 06-03 06-17 7.0"]
    );
    let rs = [
        glu(5, 12, 200, false),
        glu(5, 7, 39, true),
        glu(6, 7, 167, true),
        glu(7, 7, 40, true),
    ];
    assert_eq!(
        summary(&alerts_for(&rs, ReadingKind::Glucose, &[])),
        ["H-GLU-CRIT 06-05 06-05 3.9", "H-GLU-CRIT 06-06 06-06 16.7"]
    );
    // Readings of the other kind are ignored.
    assert!(alerts_for(&rs, ReadingKind::Bp, &[]).is_empty());
}

#[test]
fn rows_parse_strictly() {
    let today = day(2025, 1, 1);
    let id = person();
    let row = ReadingRow {
        id_number: id.as_str(),
        measured_at: "2024-06-04 08:00",
        kind: "血压",
        systolic: "146",
        diastolic: "92",
        device_id: "BPM-001",
        ..ReadingRow::default()
    };
    let r = parse_reading_row(&row, today).unwrap();
    assert_eq!(
        (r.day(), r.value().text()),
        (day(2024, 6, 4), "146/92".to_string())
    );
    let g = ReadingRow {
        kind: "glucose",
        systolic: "",
        diastolic: "",
        glucose: "16.9",
        ..row
    };
    let r = parse_reading_row(&g, today).unwrap();
    assert_eq!(
        r.value(),
        ReadingValue::Glucose {
            value: Glucose::from_tenths(169).unwrap(),
            fasting: true
        }
    );
    let col = |r: ReadingRow| parse_reading_row(&r, today).unwrap_err().column();
    assert_eq!(
        col(ReadingRow {
            id_number: "110105194912310021",
            ..row
        }),
        "id_number"
    );
    assert_eq!(
        col(ReadingRow {
            measured_at: "昨天",
            ..row
        }),
        "measured_at"
    );
    assert_eq!(
        col(ReadingRow {
            kind: "体温",
            ..row
        }),
        "kind"
    );
    assert_eq!(
        col(ReadingRow {
            systolic: "14x",
            ..row
        }),
        "systolic"
    );
    assert_eq!(
        col(ReadingRow {
            diastolic: "",
            ..row
        }),
        "diastolic"
    );
    assert_eq!(
        col(ReadingRow {
            diastolic: "250",
            ..row
        }),
        "diastolic"
    );
    assert_eq!(
        col(ReadingRow {
            glucose: "5.0",
            ..row
        }),
        "glucose"
    );
    assert_eq!(
        col(ReadingRow {
            fasting: "maybe",
            ..g
        }),
        "fasting"
    );
    assert_eq!(
        col(ReadingRow {
            glucose: "6.85",
            ..g
        }),
        "glucose"
    );
    assert_eq!(
        col(ReadingRow {
            device_id: " ",
            ..row
        }),
        "device_id"
    );
    let same = parse_reading_row(
        &ReadingRow {
            measured_at: "2024-06-04T00:00:00Z",
            ..row
        },
        today,
    )
    .unwrap();
    assert_eq!(same.key(), parse_reading_row(&row, today).unwrap().key());
}

/// Readings of one person: (day 1–20, hour, device, value index).
fn readings_strategy(glucose: bool) -> impl Strategy<Value = Vec<Reading>> {
    let one = (
        1u32..=20,
        0u32..24,
        0usize..2,
        40u32..=125,
        10u32..=90,
        any::<bool>(),
    );
    prop::collection::vec(one, 0..40).prop_map(move |cells| {
        cells
            .into_iter()
            .map(|(d, h, dev, a, b, fasting)| {
                let value = if glucose {
                    ReadingValue::Glucose {
                        value: Glucose::from_tenths(a + b - 20).unwrap(),
                        fasting: fasting || a % 3 > 0,
                    }
                } else {
                    ReadingValue::Bp(Bp::new(a + b + 30, a).unwrap())
                };
                Reading::new(person(), at(d, h), value, Arc::from(["A", "B"][dev])).unwrap()
            })
            .collect()
    })
}

fn kind_of(glucose: bool) -> ReadingKind {
    if glucose {
        ReadingKind::Glucose
    } else {
        ReadingKind::Bp
    }
}

proptest! {
    #[test]
    fn order_does_not_matter(rs in readings_strategy(false), seed in any::<u64>()) {
        let mut shuffled = rs.clone();
        let n = shuffled.len().max(1) as u64;
        for i in 0..shuffled.len() {
            let j = ((seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64)) % n) as usize;
            shuffled.swap(i, j);
        }
        shuffled.reverse();
        prop_assert_eq!(alerts_for(&rs, ReadingKind::Bp, &[]), alerts_for(&shuffled, ReadingKind::Bp, &[]));
    }

    #[test]
    fn repeats_change_nothing(rs in readings_strategy(true), take in 0usize..40) {
        let mut twice = rs.clone();
        twice.extend(rs.iter().take(take).cloned());
        twice.extend(rs.iter().rev().take(take / 2).cloned());
        prop_assert_eq!(alerts_for(&rs, ReadingKind::Glucose, &[]), alerts_for(&twice, ReadingKind::Glucose, &[]));
    }

    #[test]
    fn incremental_equals_full(glucose in any::<bool>(), rs in readings_strategy(false), gs in readings_strategy(true)) {
        let (rs, kind) = if glucose { (gs, kind_of(true)) } else { (rs, kind_of(false)) };
        let spans = managed_ht();
        let mut stored: Vec<Reading> = Vec::new();
        let mut alerts: BTreeMap<(NaiveDate, &'static str), Alert> = BTreeMap::new();
        // Each reading arrives alone, in arbitrary order, some twice.
        for r in rs.iter().chain(rs.iter().step_by(3)) {
            let update = alerts_after_reading(r, &stored, &spans);
            prop_assert_eq!(update.to - update.from, chrono::TimeDelta::days(3));
            alerts.retain(|(d, _), _| *d < update.from || *d > update.to);
            for a in update.alerts {
                alerts.insert((a.day, a.rule.code()), a);
            }
            stored.push(r.clone());
            let full = alerts_for(&stored, kind, &spans);
            let incremental: Vec<Alert> = alerts.values().cloned().collect();
            prop_assert_eq!(full, incremental);
        }
    }
}
