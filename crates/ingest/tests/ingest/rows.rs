//! Row-level parsing and the cross-row checks.

use crate::common::*;
use jianfu_domain::{Group, HouseholdType, PersonStatus, RegionCode, Relation};
use jianfu_ingest::{MemorySink, PersonCheck, Severity, VillageCheck, check_diagnoses_file};

fn run(
    rows: &[&str],
) -> (
    jianfu_ingest::CheckOutcome,
    MemorySink,
    std::path::PathBuf,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "p.csv", persons_csv(rows).as_bytes());
    let (outcome, sink) = check_persons(&path, &opts(), &any_village);
    (outcome.unwrap(), sink, path, dir)
}

fn codes_of(sink: &MemorySink, row: u32) -> Vec<(&str, &'static str)> {
    sink.errors
        .iter()
        .filter(|e| e.row == row)
        .map(|e| (&*e.column, e.code))
        .collect()
}

#[test]
fn every_problem_of_a_row_is_reported() {
    let (outcome, sink, _, _dir) =
        run(&["H1,13062410220,穷户,12.345,,1306241966032330,家长,五保,123,走了"]);
    assert_eq!(
        codes_of(&sink, 2),
        [
            ("行政区划代码", "bad_region_code"),
            ("户类别", "unknown_household_type"),
            ("家庭年人均纯收入", "bad_money"),
            ("姓名", "required"),
            ("身份证号", "id_format"),
            ("与户主关系", "unknown_relation"),
            ("人员类别", "unknown_group"),
            ("联系电话", "bad_phone"),
            ("人员状态", "unknown_status"),
            // The only row's relation is unreadable: the household has no head.
            ("与户主关系", "no_head"),
        ]
    );
    assert!(outcome.rejected.contains(2));
    for e in &sink.errors {
        assert_eq!(e.severity, Severity::Error);
        assert!(!e.problem.is_empty());
        assert!(!e.problem.contains("1306241966032330"), "{}", e.problem);
    }
    let phone = sink.with_code("bad_phone");
    assert_eq!(phone[0].value, "***", "short values are masked whole");
}

#[test]
fn required_cells_and_codes_in_english() {
    let (outcome, sink, path, _dir) = run(&[
        ",,,,,,,,,",
        ",130624102201,,,张三,,,,,",
        "H2,130624102201,EDGE,100,李四,11010519491231002x,head,subsistence|illness_poor,,moved_out",
        "H3,130624102201,sudden,,王五,130624660323305,本人,,,",
    ]);
    // Row 2 is blank and skipped; row 3 lacks the required cells.
    assert!(codes_of(&sink, 2).is_empty());
    assert_eq!(
        codes_of(&sink, 3),
        [
            ("户编号", "required"),
            ("户类别", "required"),
            ("身份证号", "required"),
            ("与户主关系", "required"),
        ]
    );
    assert_eq!(outcome.data_rows, 3);
    let records = accepted_persons(&path, &opts(), &outcome);
    assert_eq!(records.len(), 2);
    let r = &records[0].1;
    assert_eq!(r.household.household_type, HouseholdType::Edge);
    assert_eq!(r.id.as_str(), "11010519491231002X");
    assert_eq!(r.relation, Relation::Head);
    assert!(r.groups.contains(Group::Subsistence) && r.groups.contains(Group::IllnessPoor));
    assert_eq!(r.status, PersonStatus::MovedOut);
    assert!(r.all_groups().contains(Group::Monitored));
    // A 15-digit number is upgraded.
    let upgraded = jianfu_domain::IdCardNo::from_parts(
        "130624",
        chrono::NaiveDate::from_ymd_opt(1966, 3, 23).unwrap(),
        305,
    )
    .unwrap();
    assert_eq!(records[1].1.id, upgraded);
}

#[test]
fn id_problems_have_their_codes() {
    let (_, sink, _, _dir) = run(&[
        "H1,130624102201,脱贫户,,甲,130624196603233059,户主,,,",
        "H2,130624102201,脱贫户,,乙,130624199902301237,户主,,,",
        "H3,130624102201,脱贫户,,丙,1.30624E+17,户主,,,",
        "H4,130624102201,脱贫户,,丁,13062419660323305A,户主,,,",
        "H5,130624102201,脱贫户,,戊,１３０６２４１９６６０３２３３０５８,户主,,,",
        "H6,130624102201,脱贫户,,己,1306 2419 6306 3053 42,户主,,,",
    ]);
    let t: Vec<(u32, &str)> = sink.errors.iter().map(|e| (e.row, e.code)).collect();
    assert_eq!(
        t,
        [
            (2, "id_checksum"),
            (3, "id_birth_date"),
            (4, "id_as_number"),
            (5, "id_format")
        ]
    );
    assert!(sink.errors[2].problem.contains("文本"));
}

#[test]
fn birth_dates_in_the_future_are_refused() {
    // Born after "today" (2025-06-01) but a valid number otherwise.
    let id = jianfu_domain::IdCardNo::from_parts(
        "130624",
        chrono::NaiveDate::from_ymd_opt(2025, 8, 1).unwrap(),
        12,
    )
    .unwrap();
    let line = format!("H1,130624102201,脱贫户,,甲,{},户主,,,", id.as_str());
    let (_, sink, _, _dir) = run(&[&line]);
    assert_eq!(
        sink.errors.iter().map(|e| e.code).collect::<Vec<_>>(),
        ["id_birth_date"]
    );
}

#[test]
fn household_rules() {
    let (outcome, sink, path, _dir) = run(&[
        // H1: two heads.
        "H1,130624102201,脱贫户,100,甲,130624196603233058,户主,,,",
        "H1,130624102201,脱贫户,100,乙,130624196306305342,户主,,,",
        // H2: no head.
        "H2,130624102201,脱贫户,100,丙,130624197001087553,配偶,,,",
        "H2,130624102201,脱贫户,100,丁,130624199709022711,子女,,,",
        // H3: type and income disagree on its second row.
        "H3,130624103204,边缘易致贫户,200,戊,130624195002275055,户主,,,",
        "H3,130624103204,脱贫户,,己,130624195302185713,配偶,,,",
        // H4: fine, spread over the file.
        "H4,130624100201,一般农户,,庚,130624195606285086,户主,,,",
        "H5,130624100201,一般农户,,辛,130624198008230564,户主,,,",
        "H4,130624100201,一般农户,,壬,130624196606121895,子女,,,",
    ]);
    let t = triples(&sink);
    assert!(t.contains(&(3, "与户主关系".into(), "two_heads")), "{t:?}");
    assert!(t.contains(&(4, "与户主关系".into(), "no_head")), "{t:?}");
    assert!(
        t.contains(&(7, "户类别".into(), "household_inconsistent")),
        "{t:?}"
    );
    assert!(
        t.contains(&(7, "家庭年人均纯收入".into(), "household_inconsistent")),
        "{t:?}"
    );
    assert_eq!(t.len(), 4, "{t:?}");
    let two = sink.with_code("two_heads");
    assert!(two[0].problem.contains("第2行"));
    let inc = sink
        .errors
        .iter()
        .find(|e| e.column == "家庭年人均纯收入")
        .unwrap();
    assert!(
        inc.problem.contains("第6行为“200.00”") && inc.problem.contains("本行为“空”"),
        "{}",
        inc.problem
    );
    assert_eq!(
        outcome.rejected.iter().collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 7]
    );
    assert_eq!((outcome.households, outcome.households_rejected), (5, 3));
    let rows: Vec<u32> = accepted_persons(&path, &opts(), &outcome)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(rows, [8, 9, 10]);
}

#[test]
fn a_rejected_head_takes_the_household_with_it() {
    let (outcome, sink, _, _dir) = run(&[
        "H1,130624102201,脱贫户,,甲,130624196603233059,户主,,,",
        "H1,130624102201,脱贫户,,乙,130624196306305342,配偶,,,",
        "H2,130624102201,脱贫户,,丙,130624197001087553,户主,,,",
        "H2,130624102201,脱贫户,,丁,130624197001087553,子女,,,",
    ]);
    let t: Vec<(u32, &str)> = sink.errors.iter().map(|e| (e.row, e.code)).collect();
    assert_eq!(
        t,
        [
            (2, "id_checksum"),
            (5, "duplicate_id"),
            (2, "household_head_rejected")
        ]
    );
    // The duplicate of a member only rejects that row.
    assert_eq!(outcome.rejected.iter().collect::<Vec<_>>(), [2, 3, 5]);
}

#[test]
fn village_codes_are_checked_against_the_tree() {
    let fuping = Fuping::load();
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "v.csv",
        persons_csv(&[
            "H1,130624100200,脱贫户,,甲,130624196603233058,户主,,,",
            "H2,130624100999,脱贫户,,乙,130624196306305342,户主,,,",
            "H3,130624100000,脱贫户,,丙,130624197001087553,户主,,,",
            "H4,1306241002,脱贫户,,丁,130624199709022711,户主,,,",
            "H5,130624100200,脱贫户,,戊,130624195002275055,户主,,,",
        ])
        .as_bytes(),
    );
    let asked = std::cell::Cell::new(0);
    let check = |c: &RegionCode| {
        asked.set(asked.get() + 1);
        fuping.check(c)
    };
    let (outcome, sink) = check_persons(&path, &opts(), &check);
    let t: Vec<(u32, &str)> = sink.errors.iter().map(|e| (e.row, e.code)).collect();
    assert_eq!(
        t,
        [
            (3, "unknown_village"),
            (4, "not_a_village"),
            (5, "bad_region_code")
        ]
    );
    assert_eq!(asked.get(), 2, "each code is looked up once");
    assert_eq!(
        outcome.unwrap().rejected.iter().collect::<Vec<_>>(),
        [3, 4, 5]
    );
    // The tree can also say a well-formed code is not a village.
    let (_, sink) = check_persons(&path, &opts(), &|_| VillageCheck::NotAVillage);
    assert_eq!(sink.with_code("not_a_village").len(), 4);
}

#[test]
fn households_outside_the_jurisdiction_are_refused_in_the_first_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "j.csv",
        persons_csv(&[
            "H1,130624100200,脱贫户,,甲,130624196603233058,户主,,,",
            "H1,130624100200,脱贫户,,乙,130624196306305342,配偶,,,",
            "H2,130626100200,脱贫户,,丙,130624197001087553,户主,,,",
            "H2,130626100200,脱贫户,,丁,130624199709022711,子女,,,",
        ])
        .as_bytes(),
    );
    let inside = |c: &RegionCode| {
        if c.as_str().starts_with("130624") {
            VillageCheck::Ok
        } else {
            VillageCheck::OutsideJurisdiction
        }
    };
    let (outcome, sink) = check_persons(&path, &opts(), &inside);
    let outside = sink.with_code("outside_jurisdiction");
    assert_eq!(
        outside.iter().map(|e| e.row).collect::<Vec<_>>(),
        [4, 5],
        "{:#?}",
        sink.errors
    );
    assert_eq!(outside[0].column, "行政区划代码");
    assert_eq!(outside[0].value, "130626100200");
    assert!(outside[0].problem.contains("不在您的管辖范围内"));
    assert_eq!(outcome.unwrap().rejected.iter().collect::<Vec<_>>(), [4, 5]);
}

#[test]
fn long_cells_are_cut_in_the_report() {
    let long = "长".repeat(1500);
    let line = format!("{long},130624102201,脱贫户,,甲,130624196603233058,户主,,,");
    let (_, sink, _, _dir) = run(&[&line]);
    let e = &sink.with_code("cell_too_long")[0];
    assert_eq!(e.column, "户编号");
    assert_eq!(e.value.chars().count(), 101);
    assert!(e.value.ends_with('…'));
    // A long name is masked, not shown.
    let line = format!("H1,130624102201,脱贫户,,{long},130624196603233058,户主,,,");
    let (_, sink, _, _dir) = run(&[&line]);
    let e = &sink.with_code("cell_too_long")[0];
    assert_eq!(e.value, "长**********");
}

#[test]
fn diagnoses_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = "身份证号,疾病编码,疾病名称,确诊日期,确诊机构\n\
        130624196603233058,i10,高血压,2023/1/5,\n\
        130624196603233058,I10,,2023.01.05,阜平县医院\n\
        130624196603233058,I10.x00,,20230105,\n\
        130624196603233058,高血压,,2023-13-01,\n\
        1.30624E+17,C16.9,,2026-01-01,\n\
        ,,,,\n\
        130624196306305342,E11.9,,2023年1月5日,\n";
    let path = write(&dir, "d.csv", text.as_bytes());
    let known = jianfu_domain::IdCardNo::parse_as_of("130624196603233058", today()).unwrap();
    let mut sink = MemorySink::new();
    let outcome = check_diagnoses_file(
        &path,
        &opts(),
        &|id| listed(*id == known),
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    let t = triples(&sink);
    assert_eq!(
        t,
        [
            (3, "疾病编码".to_string(), "duplicate_diagnosis"),
            (5, "疾病编码".to_string(), "bad_icd10"),
            (5, "确诊日期".to_string(), "bad_date"),
            (6, "身份证号".to_string(), "id_as_number"),
            (6, "确诊日期".to_string(), "date_in_future"),
            (8, "身份证号".to_string(), "unknown_person"),
        ]
    );
    assert_eq!(outcome.data_rows, 6);
    assert_eq!(outcome.rejected.iter().collect::<Vec<_>>(), [3, 5, 6, 8]);

    // A person not found inside the importer's jurisdiction has its own
    // code, which does not tell whether the person is listed elsewhere.
    let mut sink = MemorySink::new();
    let judge = |id: &jianfu_domain::IdCardNo| {
        if *id == known {
            PersonCheck::Listed
        } else {
            PersonCheck::OutsideJurisdiction
        }
    };
    check_diagnoses_file(&path, &opts(), &judge, &mut sink, &mut |_| {}).unwrap();
    let outside = sink.with_code("outside_jurisdiction");
    assert_eq!(outside.len(), 1);
    assert_eq!((outside[0].row, &*outside[0].column), (8, "身份证号"));
    assert_eq!(outside[0].value, "130624********5342");
    assert!(outside[0].problem.contains("您的管辖范围内没有"));
    assert!(sink.with_code("unknown_person").is_empty());

    let mut reader =
        jianfu_ingest::DiagnosesReader::open_checked(&path, &opts(), &outcome).unwrap();
    let (row, first) = reader.next_accepted(&outcome).unwrap().unwrap();
    assert_eq!(row, 2);
    assert_eq!(first.icd10.as_str(), "I10");
    assert_eq!(first.disease_name.as_deref(), Some("高血压"));
    assert_eq!(first.facility, None);
    let (row, third) = reader.next_accepted(&outcome).unwrap().unwrap();
    assert_eq!((row, third.icd10.as_str()), (4, "I10.x00"));
    assert!(reader.next_accepted(&outcome).unwrap().is_none());
}

#[test]
fn ids_ending_in_000_are_accepted_with_a_warning() {
    // A valid number that looks like what Excel leaves of a rounded one.
    let id = (0..2000u64)
        .flat_map(|d| {
            let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(d);
            (0..10u16).map(move |k| {
                jianfu_domain::IdCardNo::from_parts("130624", birth, k * 100).unwrap()
            })
        })
        .find(|id| id.as_str().ends_with("000"))
        .unwrap();
    let line = format!("H1,130624102201,脱贫户,,甲,{},户主,,,", id.as_str());
    let (outcome, sink, path, _dir) = run(&[&line]);
    assert_eq!(sink.errors.len(), 1);
    let w = &sink.errors[0];
    assert_eq!(
        (w.code, w.severity),
        ("id_maybe_rounded", Severity::Warning)
    );
    assert_eq!((outcome.errors, outcome.warnings), (0, 1));
    assert!(outcome.rejected.is_empty());
    let records = accepted_persons(&path, &opts(), &outcome);
    assert_eq!(records[0].1.id, id);
}
