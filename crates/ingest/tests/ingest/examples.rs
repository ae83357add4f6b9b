//! The shared example files of `spec/examples/import`.

use std::collections::{HashMap, HashSet};

use crate::common::*;
use calamine::{Data, Reader, Xlsx, open_workbook};
use jianfu_domain::{Group, HouseholdType, IdCardNo, Money, PersonStatus, Relation};
use jianfu_ingest::columns::{FileKind, PERSON_COLUMNS};
use jianfu_ingest::{DiagnosesReader, MemorySink, PersonsReader, Severity, check_diagnoses_file};

#[test]
fn persons_good_csv_imports_35_persons_in_12_households() {
    let fuping = Fuping::load();
    let path = data("persons-good.csv");
    let (outcome, sink) = check_persons(&path, &opts(), &|c| fuping.check(c));
    let outcome = outcome.unwrap();
    assert!(sink.errors.is_empty(), "{:#?}", sink.errors);
    assert_eq!(outcome.data_rows, 35);
    assert_eq!(outcome.households, 12);
    assert_eq!(outcome.households_rejected, 0);
    assert_eq!(outcome.accepted_rows(), 35);
    assert_eq!(outcome.header_row, 1);
    assert_eq!((outcome.errors, outcome.warnings), (0, 0));

    let records = accepted_persons(&path, &opts(), &outcome);
    assert_eq!(records.len(), 35);
    assert_eq!(records.first().unwrap().0, 2, "first data row is row 2");
    assert_eq!(records.last().unwrap().0, 36);
    let households: HashSet<&str> = records
        .iter()
        .map(|(_, r)| r.household.household_no.as_str())
        .collect();
    assert_eq!(households.len(), 12);
    assert_eq!(records.iter().filter(|(_, r)| r.is_head()).count(), 12);

    let first = &records[0].1;
    assert_eq!(first.household.household_no, "130624100200001");
    assert_eq!(first.household.village.as_str(), "130624102201");
    assert_eq!(first.household.household_type, HouseholdType::Unstable);
    assert_eq!(
        first.household.income_per_capita,
        Some(Money::from_fen(1_023_076))
    );
    assert_eq!(first.name, "孙文华");
    assert_eq!(first.id.as_str(), "130624196603233058");
    assert_eq!(first.relation, Relation::Head);
    assert!(first.groups.contains(Group::ExtremePoor));
    assert_eq!(first.phone.as_deref(), Some("13944633904"));
    assert_eq!(first.status, PersonStatus::Active);
    let second = &records[1].1;
    assert_eq!(second.phone, None);
    assert!(second.groups.is_empty());
    // The X check character and a multi-group cell.
    let x = records.iter().find(|(row, _)| *row == 22).unwrap();
    assert_eq!(x.1.id.as_str(), "13062419750220624X");
    let multi = records.iter().find(|(row, _)| *row == 14).unwrap();
    assert!(multi.1.groups.contains(Group::Subsistence));
    assert!(multi.1.groups.contains(Group::IllnessPoor));
}

#[test]
fn gbk_csv_and_xlsx_give_the_same_records() {
    let baseline = clean_persons(&data("persons-good.csv"));
    assert_eq!(baseline.len(), 35);
    let gbk = std::fs::read(data("persons-good-gbk.csv")).unwrap();
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the fixture really is GBK"
    );
    assert!(
        gbk.windows(2).any(|w| w == b"\r\n"),
        "and has CRLF line ends"
    );
    assert_eq!(clean_persons(&data("persons-good-gbk.csv")), baseline);
    assert_eq!(clean_persons(&data("persons-good.xlsx")), baseline);
}

/// Rows (sheet row numbers) whose 身份证号 cell is stored as a number.
fn numeric_id_rows(path: &std::path::Path) -> Vec<u32> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let start = range.start().unwrap().0;
    let headers: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = headers.iter().position(|h| h == "身份证号").unwrap();
    range
        .rows()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| matches!(r[col], Data::Float(_) | Data::Int(_)))
        .map(|(i, _)| start + i as u32 + 1)
        .collect()
}

#[test]
fn excel_mangled_ids_are_rejected_never_rounded() {
    let path = data("persons-excel-mangled.xlsx");
    let fuping = Fuping::load();
    let (outcome, sink) = check_persons(&path, &opts(), &|c| fuping.check(c));
    let outcome = outcome.unwrap();
    let numeric = numeric_id_rows(&path);
    assert!(numeric.len() >= 30, "fixture has numeric IDs: {numeric:?}");

    let flagged: Vec<u32> = sink
        .with_code("id_as_number")
        .iter()
        .map(|e| e.row)
        .collect();
    assert_eq!(flagged, numeric);
    for e in sink.with_code("id_as_number") {
        assert_eq!(e.column, "身份证号");
        assert!(
            e.problem.contains("文本"),
            "tells to format as text: {}",
            e.problem
        );
        assert!(e.value.contains('*'), "value is masked: {}", e.value);
    }
    for row in &numeric {
        assert!(outcome.rejected.contains(*row));
    }
    let unknown = sink.with_code("unknown_column");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].severity, Severity::Warning);
    assert_eq!(unknown[0].column, "登记日期");
    assert_eq!(unknown[0].row, 1);
    assert_eq!(outcome.warnings, 1);

    // Whatever is accepted carries a real ID of the good file.
    let good: HashSet<IdCardNo> = clean_persons(&data("persons-good.csv"))
        .into_iter()
        .map(|r| r.id)
        .collect();
    for (row, r) in accepted_persons(&path, &opts(), &outcome) {
        assert!(
            good.contains(&r.id),
            "row {row} carries an ID not in the source"
        );
        assert!(!numeric.contains(&row));
    }
}

#[test]
fn persons_bad_reports_the_planted_problems() {
    let path = data("persons-bad.csv");
    let fuping = Fuping::load();
    let (outcome, sink) = check_persons(&path, &opts(), &|c| fuping.check(c));
    let outcome = outcome.unwrap();
    let found = triples(&sink);
    let header_of: HashMap<&str, &str> =
        PERSON_COLUMNS.iter().map(|c| (c.alias, c.header)).collect();
    let expected = std::fs::read_to_string(data("persons-bad.expected.csv")).unwrap();
    let mut n = 0;
    for line in expected.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.trim().split(',').collect();
        let row: u32 = parts[0].parse().unwrap();
        let column = header_of[parts[1]];
        let code = parts[2];
        assert!(
            found
                .iter()
                .any(|(r, c, k)| *r == row && c == column && *k == code),
            "missing ({row}, {column}, {code}) in {found:#?}"
        );
        assert!(outcome.rejected.contains(row), "row {row} rejected");
        n += 1;
    }
    assert_eq!(n, 6);
    // The duplicate names its first occurrence, and the report never
    // shows a full ID number.
    let dup = sink.with_code("duplicate_id");
    assert_eq!(dup.len(), 1);
    assert!(dup[0].problem.contains("第16行"), "{}", dup[0].problem);
    for e in &sink.errors {
        assert!(!e.value.contains("130624196802046589"));
        assert!(!e.problem.contains("130624196802046589"));
    }
    // Row 10's village also disagrees with its household: the whole
    // household 130624100200004 (rows 9-11) is out.
    assert!(found.contains(&(10, "行政区划代码".into(), "household_inconsistent")));
    for row in 9..=11 {
        assert!(outcome.rejected.contains(row));
    }
    // Row 12 is the head of household 130624100200005 and is rejected, so
    // the household (rows 12-14) is too.
    assert!(
        found
            .iter()
            .any(|(r, _, k)| *r == 12 && *k == "household_head_rejected")
    );
    for row in 12..=14 {
        assert!(outcome.rejected.contains(row));
    }
    // Rows with nothing wrong in an intact household are still accepted.
    let accepted: Vec<u32> = accepted_persons(&path, &opts(), &outcome)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert!(accepted.contains(&2) && accepted.contains(&6) && accepted.contains(&17));
    assert!(!accepted.contains(&5) && !accepted.contains(&18));
    assert_eq!(accepted.len() as u64, outcome.accepted_rows());
}

#[test]
fn diagnoses_good_parses_fully_and_checks_persons() {
    let path = data("diagnoses-good.csv");
    let registry: HashSet<IdCardNo> = clean_persons(&data("persons-good.csv"))
        .into_iter()
        .map(|r| r.id)
        .collect();

    let mut reader = DiagnosesReader::open(&path, &opts()).unwrap();
    let mut records = Vec::new();
    while let Some((row, r)) = reader.next_record().unwrap() {
        records.push((row, r.unwrap_or_else(|e| panic!("row {row}: {e:?}"))));
    }
    assert_eq!(records.len(), 18);
    let extended: Vec<_> = records
        .iter()
        .filter(|(_, r)| r.icd10.as_str() == "I10.x00")
        .collect();
    assert_eq!(extended.len(), 2);
    assert_eq!(
        records[0].1.diagnosed_on,
        chrono::NaiveDate::from_ymd_opt(2022, 7, 31).unwrap()
    );
    assert_eq!(records[0].1.facility.as_deref(), Some("阜平县医院"));
    assert_eq!(records[0].1.disease_name, None);

    // Every diagnosed person is in persons-good.csv.
    let mut sink = MemorySink::new();
    let outcome = check_diagnoses_file(
        &path,
        &opts(),
        &|id| listed(registry.contains(id)),
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    assert!(sink.errors.is_empty(), "{:#?}", sink.errors);
    assert_eq!(outcome.data_rows, 18);
    assert_eq!(outcome.kind, FileKind::Diagnoses);

    // With one person missing from the registry, that row is reported.
    let missing = IdCardNo::parse_as_of("130624197104282888", today()).unwrap();
    let mut sink = MemorySink::new();
    let outcome = check_diagnoses_file(
        &path,
        &opts(),
        &|id| listed(registry.contains(id) && *id != missing),
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    let unknown = sink.with_code("unknown_person");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].row, 10);
    assert_eq!(unknown[0].value, "130624********2888");
    assert_eq!(outcome.rejected.iter().collect::<Vec<_>>(), [10]);
}

#[test]
fn second_pass_refuses_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "p.csv", good_csv_text().as_bytes());
    let (outcome, _) = check_persons(&path, &opts(), &any_village);
    let outcome = outcome.unwrap();
    let mut text = good_csv_text();
    text.push_str("130624100200099,130624102201,一般农户,1.00,某人,11010519491231002X,户主,,,\n");
    std::fs::write(&path, text).unwrap();
    assert!(matches!(
        PersonsReader::open_checked(&path, &opts(), &outcome),
        Err(jianfu_ingest::FileError::ChangedSinceCheck)
    ));
}
