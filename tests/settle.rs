//! `jianfu settle` (file to file) and `jianfu simulate` (stored claims)
//! end to end: the worked examples byte for byte, explanations, reversals,
//! bad rows and bad policies, and a simulation whose differences can be
//! computed by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jianfu_store::testing::{self, TestDb};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/settlement")
}

fn jianfu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .args(args)
        .env("JIANFU_LOG", "debug")
        .output()
        .expect("run jianfu")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn settle(claims: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "settle",
        "--claims",
        claims.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    jianfu(&args)
}

#[test]
fn worked_examples_reproduce_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("settled.csv");
    for threads in ["1", "2"] {
        let o = settle(
            &fixtures().join("claims.csv"),
            &out,
            &["--threads", threads],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(fixtures().join("expected.csv")).unwrap()
        );
    }
    // The reference policy given as a file settles the same.
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/policies/reference-2023.toml");
    let o = settle(
        &fixtures().join("claims.csv"),
        &out,
        &["--policy", policy.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(fixtures().join("expected.csv")).unwrap()
    );
    // No ID number in the logs.
    assert!(!stderr(&o).contains("130624195707170077"));
}

#[test]
fn a_claim_explains_itself_in_chinese_and_english() {
    let claims = fixtures().join("claims.csv");
    let claims = claims.to_str().unwrap();
    let o = jianfu(&["settle", "--claims", claims, "--explain", "E7B"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let zh = stdout(&o);
    assert!(zh.contains("第 2/3 笔结算"), "{zh}");
    assert!(
        zh.contains("省级医疗机构 1500.00，本年第2次住院 × 50% = 750.00"),
        "{zh}"
    );
    assert!(
        zh.contains("F(71300.00) − F(18850.00) = 43600.00 − 7377.50 = 36222.50"),
        "{zh}"
    );
    assert!(
        zh.contains("G(27700.00) − G(11472.50) = 20775.00 − 8604.38 = 12170.62"),
        "{zh}"
    );
    assert!(zh.contains("个人自付 24056.88"), "{zh}");
    assert!(zh.contains("130624********0077"), "masked ID: {zh}");
    assert!(!zh.contains("130624195707170077"));
    let o = jianfu(&[
        "settle",
        "--claims",
        claims,
        "--explain",
        "E8",
        "--lang",
        "en",
    ]);
    let en = stdout(&o);
    assert!(
        en.contains("target 27000.00, tiers 1–3 paid 23800.00, gap 3200.00"),
        "{en}"
    );
    let o = jianfu(&["settle", "--claims", claims, "--explain", "NOPE"]);
    assert_eq!(o.status.code(), Some(2));
}

const HEADER: &str =
    "claim_id,person_id,groups,kind,level,county_internal,settled_at,total,policy_scope,reverses";

fn write(dir: &Path, name: &str, rows: &[&str]) -> PathBuf {
    let p = dir.join(name);
    let mut text = String::from(HEADER);
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_reversal_removes_its_claim_from_the_person_year() {
    let dir = tempfile::tempdir().unwrap();
    let a = "E7A,130624195707170077,subsistence,inpatient,city,false,2023-03-01T10:00:00,60000.00,52000.00,";
    let b = "E7B,130624195707170077,subsistence,inpatient,province,false,2023-06-01T10:00:00,150000.00,130000.00,";
    let c = "E7C,130624195707170077,subsistence,inpatient,county,true,2023-10-01T10:00:00,80000.00,76000.00,";
    // The reversal comes first in the file and still applies.
    let r = "R7B,130624195707170077,subsistence,inpatient,province,false,2023-06-02T10:00:00,150000.00,130000.00,E7B";
    let with = write(dir.path(), "with.csv", &[r, a, b, c]);
    let without = write(dir.path(), "without.csv", &[a, c]);
    let (o1, o2) = (dir.path().join("o1.csv"), dir.path().join("o2.csv"));
    assert!(settle(&with, &o1, &[]).status.success());
    assert!(settle(&without, &o2, &[]).status.success());
    let got = std::fs::read_to_string(&o1).unwrap();
    assert_eq!(got, std::fs::read_to_string(&o2).unwrap());
    // E7C is now the second admission: deductible 250, no cap.
    assert!(got.contains("E7C,60600.00,"), "{got}");
    assert!(!got.contains("E7B") && !got.contains("R7B"));
}

/// A person recognised as 低保 in June after a large March bill gets the
/// whole Tier-3 limit from June on: the March claim, settled without an
/// assistance group, does not count toward the assistance base.
#[test]
fn assistance_starts_when_the_person_becomes_an_assistance_object() {
    let dir = tempfile::tempdir().unwrap();
    let march =
        "M1,130624195707170077,,inpatient,province,false,2023-03-01T10:00:00,300000.00,300000.00,";
    let june = "J1,130624195707170077,subsistence,inpatient,province,false,2023-06-01T10:00:00,600000.00,600000.00,";
    let file = write(dir.path(), "recognised.csv", &[march, june]);
    let out = dir.path().join("out.csv");
    let o = settle(&file, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = std::fs::read_to_string(&out).unwrap();
    assert!(
        got.contains("M1,150000.00,96000.00,0.00,0.00,54000.00"),
        "{got}"
    );
    assert!(
        got.contains("J1,0.00,510000.00,60000.00,0.00,30000.00"),
        "{got}"
    );
    let o = settle(&file, &out, &["--explain", "M1"]);
    assert!(stdout(&o).contains("不计入救助累计基数"), "{}", stdout(&o));
    let o = settle(&file, &out, &["--explain", "M1", "--lang", "en"]);
    assert!(
        stdout(&o).contains("does not count toward the assistance base"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_rows_are_reported_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        "G1,130624195101110010,,inpatient,township,true,2023-03-01T10:00:00,3000.00,2850.00,";
    let rows = [
        good,
        "G1,130624195101110010,,inpatient,township,true,2023-03-02T10:00:00,3000.00,2850.00,",
        "B1,130624195101110011,,inpatient,township,true,2023-03-01T10:00:00,3000.00,2850.00,",
        "B2,130624195101110010,very_poor,inpatient,township,true,2023-03-01T10:00:00,3000.00,2850.00,",
        "B3,130624195101110010,,surgery,township,true,2023-03-01T10:00:00,3000.00,2850.00,",
        "B4,130624195101110010,,inpatient,village,true,2023-03-01T10:00:00,3000.00,2850.00,",
        "B5,130624195101110010,,inpatient,township,true,2023-03-01T10:00:00,3000.00,3850.00,",
        "B6,130624195101110010,,inpatient,township,true,2023-02-30T10:00:00,3000.00,2850.00,",
        "B7,130624195101110010,,inpatient,township,true,2023-03-01T10:00:00,3000.001,2850.00,",
        "B8,130624195101110010,,inpatient,township,true,2023-03-01T10:00:00,3000.00,2850.00,NOPE",
        "B9,130624195202120023,,inpatient,township,true,2023-03-01T10:00:00,3000.00,2850.00,G1",
        "",
        "B10,130624195101110010,,inpatient,township,maybe,2023-03-01T10:00:00,3000.00,2850.00,",
    ];
    let file = write(dir.path(), "claims.csv", &rows);
    let out = dir.path().join("out.csv");
    let report = dir.path().join("errors.csv");
    let o = settle(&file, &out, &["--errors", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let expected = [
        (3, "duplicate_claim_id"),
        (4, "id_checksum"),
        (5, "unknown_group"),
        (6, "unknown_code"),
        (7, "unknown_code"),
        (8, "policy_scope_above_total"),
        (9, "bad_datetime"),
        (10, "bad_money"),
        (11, "unknown_reversed_claim"),
        (12, "reversal_person_mismatch"),
        (14, "bad_bool"),
    ];
    let report = std::fs::read_to_string(&report).unwrap();
    let err = stderr(&o);
    for (line, code) in expected {
        let needle = format!("claims.csv,{line},");
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&needle) && l.contains(code)),
            "row {line} {code} missing from\n{report}"
        );
        assert!(err.contains(&format!("第{line}行")), "{err}");
    }
    assert_eq!(report.lines().count(), expected.len() + 1, "{report}");
    assert!(!report.contains("130624195101110011"), "masked: {report}");
    let settled = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        settled.lines().collect::<Vec<_>>(),
        [
            "claim_id,basic,critical,assistance,supplementary,out_of_pocket",
            "G1,2385.00,0.00,0.00,0.00,615.00"
        ]
    );
}

#[test]
fn unusable_files_and_policies_stop_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let no_total = dir.path().join("no_total.csv");
    std::fs::write(
        &no_total,
        "claim_id,person_id,kind,level,county_internal,settled_at,policy_scope\n",
    )
    .unwrap();
    let o = settle(&no_total, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("total（医疗总费用）"), "{}", stderr(&o));
    assert!(!out.exists(), "no output for a refused file");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(settle(&empty, &out, &[]).status.code(), Some(2));

    let policy = dir.path().join("p.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/policies/reference-2023.toml"),
    )
    .unwrap()
    .replace(
        "ratio = \"0.60\"\n\n[basic.outpatient_chronic]",
        "ratio = \"1.60\"\n\n[basic.outpatient_chronic]",
    );
    std::fs::write(&policy, text).unwrap();
    let o = settle(
        &fixtures().join("claims.csv"),
        &out,
        &["--policy", policy.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("basic.levels.province.ratio"),
        "{}",
        stderr(&o)
    );
    let o = settle(
        &fixtures().join("claims.csv"),
        &out,
        &["--policy", "reference-1999"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn quoted_fields_crlf_bom_and_chinese_headers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}结算单号,身份证号,人员类别,就诊类型,医疗机构级别,是否县域内,结算时间,医疗总费用,政策范围内费用,冲销单号,备注\r\n\
                \"E,1\",130624195101110010,,住院,乡镇,是,2023-03-01 10:00,3000.00,2850.00,,\"多行\r\n备注\"\r\n";
    let file = dir.path().join("zh.csv");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out.csv");
    let o = settle(&file, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "claim_id,basic,critical,assistance,supplementary,out_of_pocket\n\"E,1\",2385.00,0.00,0.00,0.00,615.00\n"
    );
}

/// Stored examples simulated under the reference and under a richer city
/// ratio: only the three city admissions change Tier 1, by hand-computed
/// amounts, and the result is the same on both engines.
#[tokio::test]
async fn simulation_compares_two_policies_on_stored_claims() {
    for t in testing::all().await {
        simulate_on(&t).await;
    }
}

async fn simulate_on(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let url = t.url.as_str();
    let persons = fixtures().join("persons.csv");
    let o = jianfu(&["--db", url, "import", "persons", persons.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let claims = fixtures().join("claims.csv");
    let o = jianfu(&["--db", url, "import", "claims", claims.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let alt = dir.path().join("alt.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/policies/reference-2023.toml"),
    )
    .unwrap()
    .replace(
        "deductible = \"1000.00\"\nratio = \"0.65\"",
        "deductible = \"1000.00\"\nratio = \"0.75\"",
    );
    std::fs::write(&alt, text).unwrap();
    let xlsx = dir.path().join("sim.xlsx");
    let o = jianfu(&[
        "--db",
        url,
        "simulate",
        "--alternative",
        alt.to_str().unwrap(),
        "--year",
        "2023",
        "--region",
        "130624",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let row = |label: &str| -> Vec<String> {
        out.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} missing in {out}"))
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(row("结算笔数"), ["10", "10", "0"]);
    // Baseline Tier 1 is the sum of expected.csv. E4, E5 and E7A gain
    // (policy − 1000) × 10 %: 9900 + 9900 + 5100; E7C then meets the
    // annual cap 5100 earlier.
    let basic_base =
        2385.0 + 8240.0 * 2.0 + 64350.0 * 2.0 + 14800.0 + 33150.0 + 77550.0 + 39300.0 + 22000.0;
    assert_eq!(row("基本医保")[0], format!("{basic_base:.2}"));
    assert_eq!(row("基本医保")[2], "19800.00");
    let oop: f64 = [
        615.0, 3760.0, 1200.0, 43260.0, 25205.75, 1000.0, 10868.12, 24056.88, 6093.75, 3000.0,
    ]
    .iter()
    .sum();
    assert_eq!(row("个人自付")[0], format!("{oop:.2}"));
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);
    // A year without stored claims is refused clearly.
    let o = jianfu(&[
        "--db",
        url,
        "simulate",
        "--alternative",
        alt.to_str().unwrap(),
        "--year",
        "2022",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// The demo database has claims of both generated years, each settled
/// under a labelled demo policy, so simulation works on it at once.
#[test]
fn demo_database_has_settled_claims_of_both_years() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let o = jianfu(&["--db", &url, "demo", "--persons", "400", "--no-serve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = jianfu(&["--db", &url, "policy", "list"]);
    assert!(stdout(&o).contains("演示：130624 2024"), "{}", stdout(&o));
    for year in ["2023", "2024"] {
        let o = jianfu(&[
            "--db",
            &url,
            "simulate",
            "--alternative",
            "reference-2023",
            "--year",
            year,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let claims = stdout(&o)
            .lines()
            .find(|l| l.starts_with("结算笔数"))
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .unwrap();
        assert!(claims[1].parse::<u64>().unwrap() > 100, "{claims:?}");
        assert_eq!(claims[3], "0");
    }
}
