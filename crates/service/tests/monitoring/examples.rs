//! `domain.md` §3.8 M1–M3 and `monitoring.md` §7 M4–M5 through import,
//! `run` and export; then the lifecycle: running again changes nothing, a
//! reversal lapses, a new claim updates an open alert (and raises another
//! rule), a lapsed alert that holds again is open again.

use std::path::Path;

use jianfu_domain::IdCardNo;
use jianfu_ingest::FileKind;
use jianfu_service::Actor;
use jianfu_service::monitoring;
use jianfu_store::monitoring::{AlertRow, alerts_under};
use jianfu_store::testing;

use crate::{app, csv_lines, day, import};

/// Two villages of 阜平县 in different townships.
pub async fn two_villages(db: &jianfu_store::Db) -> (String, String) {
    let villages = testing::villages_of(db, "1306", &["130624"], 400).await;
    let first = villages[0][0].clone();
    let other = villages[0]
        .iter()
        .find(|v| v[..9] != first[..9])
        .expect("a second township")
        .clone();
    (first, other)
}

fn id(seq: u16) -> String {
    IdCardNo::from_parts("130624", day(1970, 1, 1), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// Persons: (household, village, type, income, [ID numbers]).
pub fn examples_files(dir: &Path, v1: &str, v2: &str) {
    let households: [(&str, &str, &str, &str, Vec<String>); 5] = [
        (
            "0001",
            v1,
            "一般农户",
            "15000.00",
            vec!["130624195404140049".into(), id(1), id(2), id(3)],
        ),
        (
            "0002",
            v1,
            "脱贫户",
            "9000.00",
            vec!["130624195303130036".into(), id(4), id(5)],
        ),
        ("0003", v2, "脱贫户", "8000.00", vec![id(6), id(7)]),
        ("0004", v2, "脱贫户", "9000.00", vec![id(8), id(9)]),
        ("0005", v2, "一般农户", "", vec![id(10), id(11), id(12)]),
    ];
    let mut persons = String::from(
        "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n",
    );
    for (no, village, kind, income, ids) in &households {
        for (i, pid) in ids.iter().enumerate() {
            let relation = if i == 0 { "户主" } else { "子女" };
            persons.push_str(&format!(
                "{village}{no},{village},{kind},{income},成员{no}{i},{pid},{relation},,,正常\n"
            ));
        }
    }
    std::fs::write(dir.join("persons.csv"), persons).unwrap();
    let diagnoses = format!(
        "身份证号,疾病编码,疾病名称,确诊日期,确诊机构\n{},C16.9,胃癌,2023-05-10,阜平县医院\n",
        id(7)
    );
    std::fs::write(dir.join("diagnoses.csv"), diagnoses).unwrap();
    let claims = format!(
        "{HEADER}\
         E4,130624195404140049,,inpatient,city,false,2023-03-01T10:00:00,120000.00,100000.00,\n\
         E3,130624195303130036,formerly_poor,inpatient,county,true,2023-03-01T10:00:00,12000.00,10800.00,\n\
         M4,{},,inpatient,county,true,2023-04-01T10:00:00,5000.00,0.00,\n\
         M5,{},,inpatient,county,true,2023-04-01T10:00:00,9999.99,0.00,\n",
        id(9),
        id(11)
    );
    std::fs::write(dir.join("claims.csv"), claims).unwrap();
}

pub const HEADER: &str =
    "claim_id,person_id,groups,kind,level,county_internal,settled_at,total,policy_scope,reverses\n";

/// Loads the examples into `db`.
pub async fn load_examples(db: &jianfu_store::Db, dir: &Path) -> (String, String) {
    let (v1, v2) = two_villages(db).await;
    examples_files(dir, &v1, &v2);
    import(db, &dir.join("persons.csv"), FileKind::Persons).await;
    import(db, &dir.join("diagnoses.csv"), FileKind::Diagnoses).await;
    import(db, &dir.join("claims.csv"), FileKind::Claims).await;
    (v1, v2)
}

async fn stored(db: &jianfu_store::Db) -> Vec<AlertRow> {
    let mut tx = db.read().await.unwrap();
    alerts_under(&mut tx, "130624", (2022, 2023)).await.unwrap()
}

fn find<'a>(rows: &'a [AlertRow], no: &str, rule: &str) -> &'a AlertRow {
    rows.iter()
        .find(|r| r.household_no.ends_with(no) && r.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} alert for household …{no}"))
}

#[tokio::test]
async fn worked_examples_end_to_end() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = load_examples(&t.db, dir.path()).await;
        let (app, _) = app(&t.db);
        let actor = Actor::command_line();
        let s = monitoring::run(&app, &actor, None, Some(day(2023, 12, 31)), None)
            .await
            .unwrap();
        assert_eq!(
            (s.years, s.households),
            ((2022, 2023), 5),
            "{:?}",
            t.engine()
        );
        for (rule, raised) in [("R2", 2), ("R3", 2), ("R5", 1)] {
            assert_eq!(s.rules[rule].raised, raised, "{rule}");
        }
        let mut out = Vec::new();
        let n = monitoring::export(&app, &actor, None, None, Some(day(2023, 12, 31)), &mut out)
            .await
            .unwrap();
        assert_eq!(n, 5);
        let lines = csv_lines(&out);
        assert_eq!(
            lines[0],
            "rule,county_code,household_no,year,out_of_pocket,threshold,income_per_capita,size,candidate,category,status,raised_at,explanation"
        );
        // M1: R2 and R3 on 43,260.00; R4 holds ((60,000 − 43,260) < 28,000): SUDDEN.
        // M3: R5 on a new C16 diagnosis. M4: R3 at exactly 5,000.00, R4
        // holds: UNSTABLE. M5: R2 at 9,999.99 only, income unknown.
        let at = "2024-01-05T10:00:00+08:00";
        let expected = [
            format!("R2,130624,{v1}0001,2023,43260.00,8000.00,15000.00,4,true,SUDDEN,open,{at},"),
            format!("R3,130624,{v1}0001,2023,43260.00,10000.00,15000.00,4,true,SUDDEN,open,{at},"),
            format!("R5,130624,{v2}0003,2023,0.00,,8000.00,2,false,,open,{at},"),
            format!("R3,130624,{v2}0004,2023,5000.00,5000.00,9000.00,2,true,UNSTABLE,open,{at},"),
            format!("R2,130624,{v2}0005,2023,9999.99,8000.00,,3,false,,open,{at},"),
        ];
        for (line, want) in lines[1..].iter().zip(&expected) {
            assert!(line.starts_with(want.as_str()), "{line}\n≠ {want}");
            assert!(!line.contains('\n'));
        }
        assert!(lines[1].contains("43260.00") && lines[3].contains("C16.9"));
        // M2 (脱贫户, OOP 1,200.00) raises nothing.
        assert!(
            stored(&t.db)
                .await
                .iter()
                .all(|r| !r.household_no.ends_with("0002"))
        );
        lifecycle(&t.db, dir.path(), &app).await;
    }
}

/// Continues from the examples.
async fn lifecycle(db: &jianfu_store::Db, dir: &Path, app: &jianfu_service::App) {
    let actor = Actor::command_line();
    let as_of = Some(day(2023, 12, 31));
    let before = stored(db).await;
    let again = monitoring::run(app, &actor, None, as_of, None)
        .await
        .unwrap();
    assert!(
        again
            .rules
            .values()
            .all(|c| c.raised + c.updated + c.lapsed == 0)
    );
    assert_eq!(stored(db).await, before, "a second run changes nothing");

    // A reversal of E4 and a further claim of M5's household.
    let later = format!(
        "{}E4R,130624195404140049,,inpatient,city,false,2023-06-01T10:00:00,120000.00,100000.00,E4\n\
         M5b,{},,outpatient,county,true,2023-06-01T10:00:00,100.00,0.00,\n",
        HEADER,
        IdCardNo::from_parts("130624", day(1970, 1, 1), 12)
            .unwrap()
            .as_str()
    );
    std::fs::write(dir.join("claims-2.csv"), later).unwrap();
    import(db, &dir.join("claims-2.csv"), FileKind::Claims).await;
    let s = monitoring::run(app, &actor, None, as_of, None)
        .await
        .unwrap();
    let rows = stored(db).await;
    for rule in ["R2", "R3"] {
        let m1 = find(&rows, "0001", rule);
        assert_eq!((m1.status.as_str(), m1.holds), ("lapsed", false));
        // Figures stay those that raised it.
        assert_eq!(m1.out_of_pocket, 4_326_000);
    }
    let m5 = find(&rows, "0005", "R2");
    assert_eq!((m5.status.as_str(), m5.out_of_pocket), ("open", 1_009_999));
    assert_eq!(
        m5.raised_at,
        before
            .iter()
            .find(|r| r.key() == m5.key())
            .unwrap()
            .raised_at
    );
    assert_eq!(find(&rows, "0005", "R3").threshold, Some(1_000_000));
    assert_eq!((s.rules["R2"].updated, s.rules["R2"].lapsed), (1, 1));
    assert_eq!((s.rules["R3"].raised, s.rules["R3"].lapsed), (1, 1));
    assert_eq!(rows.len(), 6, "an update adds no row");

    // M1's household spends 9,000.00 more: R2 holds again and is open again.
    let more = format!(
        "{HEADER}M1b,130624195404140049,,inpatient,county,true,2023-07-01T10:00:00,9000.00,0.00,\n"
    );
    std::fs::write(dir.join("claims-3.csv"), more).unwrap();
    import(db, &dir.join("claims-3.csv"), FileKind::Claims).await;
    let s = monitoring::run(app, &actor, None, as_of, None)
        .await
        .unwrap();
    assert_eq!(s.rules["R2"].reopened, 1);
    let rows = stored(db).await;
    let m1 = find(&rows, "0001", "R2");
    assert_eq!(
        (m1.status.as_str(), m1.holds, m1.out_of_pocket),
        ("open", true, 900_000)
    );
    assert_eq!(find(&rows, "0001", "R3").status, "lapsed");
}
