//! Rows of the claims file: Chinese or English headers, labels or codes,
//! booleans in several spellings, optional columns, and the cross-row
//! checks of reversals.

use crate::common::*;
use jianfu_domain::{ClaimKind, FacilityLevel, Group, GroupSet, Money};
use jianfu_ingest::{ClaimsReader, MemorySink, PersonCheck, check_claims_file};

fn check(
    text: &str,
) -> (
    jianfu_ingest::CheckOutcome,
    MemorySink,
    tempfile::TempDir,
    std::path::PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "c.csv", text.as_bytes());
    let mut sink = MemorySink::new();
    let outcome = check_claims_file(&path, &opts(), &anyone, &mut sink, &mut |_| {}).unwrap();
    (outcome, sink, dir, path)
}

#[test]
fn the_settlement_example_parses_with_english_headers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/settlement/claims.csv");
    let mut sink = MemorySink::new();
    let outcome = check_claims_file(&path, &opts(), &anyone, &mut sink, &mut |_| {}).unwrap();
    assert!(outcome.is_clean(), "{:?}", sink.errors);
    assert_eq!(outcome.data_rows, 10);
    let mut reader = ClaimsReader::open_checked(&path, &opts(), &outcome).unwrap();
    let (row, first) = reader.next_accepted(&outcome).unwrap().unwrap();
    assert_eq!(row, 2);
    assert_eq!(first.claim_id, "E1");
    assert_eq!(first.groups, None, "empty: the registry decides");
    assert_eq!(first.kind, ClaimKind::Inpatient);
    assert_eq!(first.level, FacilityLevel::Township);
    assert!(first.county_internal);
    assert_eq!(first.settled_at.to_string(), "2023-03-01 10:00:00");
    assert_eq!(first.total, Money::from_fen(300_000));
    assert_eq!(first.pay_later, None, "column absent");
    let (_, fifth) = (0..4)
        .fold(None, |_, _| reader.next_accepted(&outcome).unwrap())
        .unwrap();
    assert_eq!(
        fifth.groups,
        Some(GroupSet::of(&[Group::FormerlyPoor, Group::ReturnedPoor]))
    );
}

#[test]
fn chinese_labels_and_flags() {
    let (outcome, sink, _dir, path) = check(
        "结算单号,身份证号,人员类别,就诊类型,医疗机构级别,是否县域内,结算时间,医疗总费用,政策范围内费用,冲销单号,主诊断编码,医疗机构编码,入院日期,是否先诊疗后付费,是否一站式结算\n\
         C1,130624195101110010,低保、特困,门诊慢特病,乡镇卫生院,否,2023/3/1 9:05,100,80.5,,I10,H01,2023-02-27,Y,0\n\
         C2,130624195101110010,,普通门诊,市级,1,2023年3月2日,20.00,20.00,,,,,,\n",
    );
    assert!(outcome.is_clean(), "{:?}", sink.errors);
    let mut reader = ClaimsReader::open_checked(&path, &opts(), &outcome).unwrap();
    let (_, c1) = reader.next_accepted(&outcome).unwrap().unwrap();
    assert_eq!(
        c1.groups,
        Some(GroupSet::of(&[Group::Subsistence, Group::ExtremePoor]))
    );
    assert_eq!(c1.kind, ClaimKind::OutpatientChronic);
    assert!(!c1.county_internal);
    assert_eq!(c1.settled_at.to_string(), "2023-03-01 09:05:00");
    assert_eq!(c1.policy_scope, Money::from_fen(8050));
    assert_eq!((c1.pay_later, c1.one_stop), (Some(true), Some(false)));
    assert_eq!(
        c1.admitted_on.map(|d| d.to_string()).as_deref(),
        Some("2023-02-27")
    );
    assert_eq!(c1.icd10.as_ref().map(|c| c.as_str()), Some("I10"));
    let (_, c2) = reader.next_accepted(&outcome).unwrap().unwrap();
    assert_eq!(c2.settled_at.to_string(), "2023-03-02 00:00:00");
    assert_eq!((c2.pay_later, c2.admitted_on), (None, None));
}

#[test]
fn reversals_are_judged_within_the_file() {
    let h =
        "claim_id,person_id,kind,level,county_internal,settled_at,total,policy_scope,reverses\n";
    let r = |id: &str, person: &str, reverses: &str| {
        format!("{id},{person},inpatient,county,true,2023-03-01T10:00:00,100.00,90.00,{reverses}\n")
    };
    let (p, q) = ("130624195101110010", "130624195202120023");
    let text = [
        h.to_string(),
        r("R0", p, "C1"), // 2: before its claim: deferred
        r("C1", p, ""),   // 3
        r("R1", p, "C1"), // 4: second reversal of C1
        r("R2", p, "R0"), // 5: reversal of a reversal
        r("C2", p, ""),   // 6
        r("R3", q, "C2"), // 7: another person's claim
        r("R4", p, "C9"), // 8: not in the file: the database decides
    ]
    .concat();
    let (outcome, sink, _dir, _) = check(&text);
    let codes: Vec<(u32, &str)> = sink.errors.iter().map(|e| (e.row, e.code)).collect();
    assert_eq!(
        codes,
        [
            (4, "duplicate_reversal"),
            (5, "reversal_of_reversal"),
            (7, "reversal_person_mismatch")
        ]
    );
    assert_eq!(outcome.deferred.iter().collect::<Vec<_>>(), [2]);
    assert_eq!(outcome.rejected.iter().collect::<Vec<_>>(), [4, 5, 7]);
}

#[test]
fn persons_are_judged_by_the_callers_lookup() {
    let h =
        "claim_id,person_id,kind,level,county_internal,settled_at,total,policy_scope,reverses\n";
    let r = |id: &str, person: &str, reverses: &str| {
        format!("{id},{person},inpatient,county,true,2023-03-01T10:00:00,100.00,90.00,{reverses}\n")
    };
    let (listed, unknown, elsewhere) = (
        "130624195101110010",
        "130624195202120023",
        "130624197001087553",
    );
    let text = [
        h.to_string(),
        r("C1", listed, ""),      // 2
        r("C2", unknown, ""),     // 3
        r("C3", elsewhere, ""),   // 4
        r("R3", elsewhere, "C3"), // 5: its claim was refused
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "c.csv", text.as_bytes());
    let judge = |id: &jianfu_domain::IdCardNo| match id.as_str() {
        s if s == listed => PersonCheck::Listed,
        s if s == unknown => PersonCheck::NotListed,
        _ => PersonCheck::OutsideJurisdiction,
    };
    let mut sink = MemorySink::new();
    let outcome = check_claims_file(&path, &opts(), &judge, &mut sink, &mut |_| {}).unwrap();
    let codes: Vec<(u32, &str, &str)> = sink
        .errors
        .iter()
        .map(|e| (e.row, &*e.column, e.code))
        .collect();
    assert_eq!(
        codes,
        [
            (3, "身份证号", "person_not_in_registry"),
            (4, "身份证号", "outside_jurisdiction"),
            (5, "身份证号", "outside_jurisdiction"),
            (5, "冲销单号", "reversed_claim_rejected"),
        ]
    );
    assert_eq!(sink.errors[1].value, "130624********7553");
    assert_eq!(outcome.rejected.iter().collect::<Vec<_>>(), [3, 4, 5]);
}
