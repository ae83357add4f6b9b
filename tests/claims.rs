//! `jianfu import claims` and `jianfu policy` end to end, on SQLite and
//! PostgreSQL: the settlement examples stored with the expected tiers,
//! idempotent re-import, row errors with their codes (all-or-nothing and
//! `--skip-invalid`), reversals before their claim, policy files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jianfu_domain::Money;
use jianfu_store::Db;
use jianfu_store::testing::{self, TestDb};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/settlement")
}

fn jianfu(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("CI", "1")
        .env("JIANFU_LOG", "debug")
        .output()
        .expect("run jianfu")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

type Tiers = (String, i64, i64, i64, i64, i64);

async fn tiers(db: &Db) -> Vec<Tiers> {
    let sql = "SELECT claim_id, basic, critical, assistance, supplementary, out_of_pocket \
               FROM claims WHERE basic IS NOT NULL ORDER BY claim_id";
    db.read().await.unwrap().all(sql, &[]).await.unwrap()
}

/// A database with the region tree of 阜平县 and the example persons.
async fn with_persons(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let p = fixtures().join("persons.csv");
    let o = jianfu(&t.url, &["import", "persons", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
}

fn expected() -> Vec<Tiers> {
    let csv = std::fs::read_to_string(fixtures().join("expected.csv")).unwrap();
    let mut rows: Vec<Tiers> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let m = |s: &str| Money::from_yuan_str(s).unwrap().fen();
            (
                f[0].to_string(),
                m(f[1]),
                m(f[2]),
                m(f[3]),
                m(f[4]),
                m(f[5]),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Every ID number of the example claims: none may appear in the logs.
fn example_ids() -> Vec<String> {
    let csv = std::fs::read_to_string(fixtures().join("claims.csv")).unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn example_claims_are_stored_with_the_expected_tiers_once() {
    for t in testing::all().await {
        with_persons(&t).await;
        let claims = fixtures().join("claims.csv");
        let o = jianfu(&t.url, &["import", "claims", claims.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("新增 10 条结算记录"), "{}", text(&o));
        let log = String::from_utf8_lossy(&o.stderr);
        for id in example_ids() {
            assert!(!log.contains(&id), "an ID number in the log");
        }
        assert_eq!(tiers(&t.db).await, expected(), "{:?}", t.engine());

        let again = jianfu(&t.url, &["import", "claims", claims.to_str().unwrap()]);
        assert!(again.status.success(), "{}", text(&again));
        assert!(text(&again).contains("未变 10 条"), "{}", text(&again));
        assert_eq!(tiers(&t.db).await, expected());
        assert_eq!(count(&t.db, "claim_adjustments").await, 0);
        assert_eq!(count(&t.db, "person_years").await, 8);
    }
}

const HEADER: &str = "结算单号,身份证号,人员类别,就诊类型,医疗机构级别,是否县域内,结算时间,医疗总费用,政策范围内费用,冲销单号,是否先诊疗后付费,是否一站式结算";
const P1: &str = "130624195101110010";
const P2: &str = "130624195202120023";

fn write(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::from(HEADER);
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    path
}

fn row(id: &str, person: &str, settled: &str, total: &str, scope: &str, reverses: &str) -> String {
    format!("{id},{person},低保,住院,县级,是,{settled},{total},{scope},{reverses},是,否")
}

/// Imports `file` and returns (exit code, report text).
fn import_with_report(t: &TestDb, file: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let report = file.with_extension("report.csv");
    let mut args = vec![
        "import",
        "claims",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = jianfu(&t.url, &args);
    let r = std::fs::read_to_string(&report).unwrap_or_default();
    (o.status.code(), r, text(&o))
}

fn assert_reported(report: &str, row: u32, code: &str) {
    assert!(
        report
            .lines()
            .any(|l| l.contains(&format!(",{row},")) && l.contains(code)),
        "report lacks row {row} {code}:\n{report}"
    );
}

#[tokio::test]
async fn bad_rows_reject_the_file_with_their_codes() {
    for t in testing::all().await {
        with_persons(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let at = "2023-03-01 10:00:00";
        let rows = vec![
            row("A1", P1, at, "1000.00", "900.00", ""),
            "A2,130624195101110010,低保,看病,县级,是,2023-03-01 10:00:00,10.00,5.00,,,".to_string(),
            "A3,130624195101110010,低保,住院,部级,是,2023-03-01 10:00:00,10.00,5.00,,,".to_string(),
            "A4,130624195101110010,富人,住院,县级,是,2023-03-01 10:00:00,10.00,5.00,,,".to_string(),
            row("A5", P1, at, "10.00", "11.00", ""),
            row("A6", P1, at, "-10.00", "5.00", ""),
            row("A7", P1, "2023-13-01 10:00", "10.00", "5.00", ""),
            "A8,130624195101110010,低保,住院,县级,也许,2023-03-01 10:00:00,10.00,5.00,,,"
                .to_string(),
            row("A1", P1, at, "1000.00", "900.00", ""),
            row("R1", P1, at, "1000.00", "900.00", "A1"),
            row("R2", P1, at, "1000.00", "900.00", "R1"),
            row("R3", P1, at, "1000.00", "900.00", "A1"),
            row("R4", P2, at, "1000.00", "900.00", "G1"),
            row("R5", P1, at, "1000.00", "900.00", "R5"),
            row("R6", P1, at, "1000.00", "900.00", "A5"),
            row("A9", P1, "2023-03-01 10:00:00", "abc", "5.00", ""),
            row("G1", P1, "2023-03-02 10:00:00", "100.00", "90.00", ""),
        ];
        let file = write(dir.path(), "bad.csv", &rows);
        let (code, report, out) = import_with_report(&t, &file, &[]);
        assert_eq!(code, Some(1), "{out}");
        for (row, code) in [
            (3, "unknown_claim_kind"),
            (4, "unknown_facility_level"),
            (5, "unknown_group"),
            (6, "scope_exceeds_total"),
            (7, "negative_money"),
            (8, "bad_datetime"),
            (9, "bad_flag"),
            (10, "duplicate_claim_id"),
            (12, "reversal_of_reversal"),
            (13, "duplicate_reversal"),
            (14, "reversal_person_mismatch"),
            (15, "reverses_itself"),
            (16, "reversed_claim_rejected"),
            (17, "bad_money"),
        ] {
            assert_reported(&report, row, code);
        }
        assert!(!report.contains(P1), "ID numbers are masked in the report");
        assert_eq!(count(&t.db, "claims").await, 0, "{:?}", t.engine());

        // With --skip-invalid the good rows are written (A1, its reversal R1, G1).
        let (code, _, out) = import_with_report(&t, &file, &["--skip-invalid"]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("新增 2 条结算记录、1 条冲销"), "{out}");
        assert_eq!(count(&t.db, "claims").await, 3);
    }
}

#[tokio::test]
async fn rows_only_the_database_can_refuse_reject_the_file() {
    for t in testing::all().await {
        with_persons(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let at = "2023-03-01 10:00:00";
        let first = write(
            dir.path(),
            "first.csv",
            &[
                row("B0", P1, at, "500.00", "400.00", ""),
                row("B1", P1, at, "500.00", "400.00", ""),
            ],
        );
        let (code, _, out) = import_with_report(&t, &first, &[]);
        assert_eq!(code, Some(0), "{out}");
        let rows = vec![
            row("B2", P1, at, "500.00", "400.00", ""),
            row("B3", "11010519491231002X", at, "500.00", "400.00", ""),
            row("B4", P1, "2022-03-01 10:00:00", "500.00", "400.00", ""),
            row("B1", P1, at, "600.00", "400.00", ""),
            row("R1", P1, at, "500.00", "400.00", "NOPE"),
            row("R2", P2, at, "500.00", "400.00", "B0"),
        ];
        let file = write(dir.path(), "second.csv", &rows);
        let (code, report, out) = import_with_report(&t, &file, &[]);
        assert_eq!(code, Some(1), "{out}");
        for (row, code) in [
            (3, "person_not_in_registry"),
            (4, "no_policy"),
            (5, "duplicate_claim_id"),
            (6, "reversal_unknown_claim"),
            (7, "reversal_person_mismatch"),
        ] {
            assert_reported(&report, row, code);
        }
        assert!(!report.contains("11010519491231002X"));
        assert_eq!(
            count(&t.db, "claims").await,
            2,
            "nothing of the second file"
        );
    }
}

#[tokio::test]
async fn a_reversal_before_its_claim_is_applied_after_it() {
    for t in testing::all().await {
        with_persons(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            row("R1", P1, "2023-04-01 10:00:00", "500.00", "400.00", "C1"),
            row("C2", P1, "2023-05-01 10:00:00", "20000.00", "18000.00", ""),
            row("C1", P1, "2023-03-01 10:00:00", "500.00", "400.00", ""),
        ];
        let file = write(dir.path(), "forward.csv", &rows);
        let (code, report, out) = import_with_report(&t, &file, &[]);
        assert_eq!(code, Some(0), "{out}\n{report}");
        let stored = tiers(&t.db).await;
        assert_eq!(stored.len(), 1, "only C2 stands");
        // C2 is the year's first admission: (18,000 − 500) × 0.80.
        assert_eq!(stored[0].1, 1_400_000);
    }
}

/// The stored settlement follows the Tier-3 rule of the batch: after a
/// March bill as an ordinary resident, a June claim as 低保 gets the whole
/// limit, and the kept base counts only the June residual.
#[tokio::test]
async fn assistance_starts_when_the_person_becomes_an_assistance_object() {
    for t in testing::all().await {
        with_persons(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            format!("M1,{P1},,住院,省级,否,2023-03-01 10:00:00,300000.00,300000.00,,否,是"),
            format!("J1,{P1},低保,住院,省级,否,2023-06-01 10:00:00,600000.00,600000.00,,否,是"),
        ];
        let file = write(dir.path(), "recognised.csv", &rows);
        let (code, report, out) = import_with_report(&t, &file, &[]);
        assert_eq!(code, Some(0), "{out}\n{report}");
        let stored = tiers(&t.db).await;
        assert_eq!(
            stored,
            [
                ("J1".to_string(), 0, 51_000_000, 6_000_000, 0, 3_000_000),
                ("M1".to_string(), 15_000_000, 9_600_000, 0, 0, 5_400_000),
            ],
            "{:?}",
            t.engine()
        );
        let year =
            jianfu_store::claims::person_year(&mut t.db.read().await.unwrap(), "130624", P1, 2023)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(year.assistance_base, 9_000_000);
        assert_eq!(year.assistance, 6_000_000);
    }
}

#[tokio::test]
async fn policy_files_are_checked_and_versions_chosen() {
    for t in testing::all().await {
        with_persons(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.toml");
        let reference = jianfu_policy_text();
        std::fs::write(&bad, county_ratio(&reference, "1.80")).unwrap();
        let o = jianfu(&t.url, &["policy", "add", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains("basic.levels.county.ratio"),
            "{}",
            text(&o)
        );

        let at = "2023-09-01 10:00:00";
        let file = write(
            dir.path(),
            "c.csv",
            &[row("D1", P1, at, "10000.00", "9000.00", "")],
        );
        let (code, _, out) = import_with_report(&t, &file, &[]);
        assert_eq!(code, Some(0), "{out}");
        assert_eq!(tiers(&t.db).await[0].1, 680_000, "(9,000 − 500) × 0.80");

        let v2 = dir.path().join("v2.toml");
        std::fs::write(
            &v2,
            county_ratio(&reference, "0.90")
                .replace("valid_from = \"2023-01-01\"", "valid_from = \"2023-07-01\""),
        )
        .unwrap();
        // An insurance officer of the county adds it through the command
        // line: the set, its re-settlement and the audit entry name them.
        let add_user = [
            "user",
            "add",
            "ybj_wang",
            "--role",
            "insurance_officer",
            "--region",
            "130624",
            "--password",
            "Yibao-2026-county",
        ];
        let o = jianfu(&t.url, &add_user);
        assert!(o.status.success(), "{}", text(&o));
        let o = jianfu(
            &t.url,
            &["policy", "add", v2.to_str().unwrap(), "--as", "ybj_wang"],
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("1 条结算记录金额变化"), "{}", text(&o));
        assert_eq!(tiers(&t.db).await[0].1, 765_000, "(9,000 − 500) × 0.90");
        let list = jianfu(&t.url, &["policy", "list"]);
        assert!(text(&list).contains("ybj_wang"), "{}", text(&list));
        assert!(text(&list).contains("2023-07-01"), "{}", text(&list));
        let entries = policy_audit(&t.db).await;
        assert_eq!(
            entries,
            [("policy.add".to_string(), "ybj_wang".to_string())]
        );
        // Without --as the command line acts as itself; an unknown user stops.
        let o = jianfu(
            &t.url,
            &["policy", "add", v2.to_str().unwrap(), "--as", "nobody"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("用户“nobody”不存在"), "{}", text(&o));
        let o = jianfu(&t.url, &["policy", "add", v2.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(
            policy_audit(&t.db).await.len(),
            2,
            "the repeat is audited too"
        );
        assert_eq!(policy_audit(&t.db).await[1].1, "命令行");
    }
}

/// The `policy.add` entries of the audit log: (action, user), oldest first.
async fn policy_audit(db: &Db) -> Vec<(String, String)> {
    let sql = "SELECT action, username FROM audit_log WHERE action = 'policy.add' ORDER BY id";
    let mut tx = db.read().await.unwrap();
    tx.all(sql, &[]).await.unwrap()
}

fn county_ratio(policy: &str, ratio: &str) -> String {
    policy.replace(
        "[basic.levels.county]\ndeductible = \"500.00\"\nratio = \"0.80\"",
        &format!("[basic.levels.county]\ndeductible = \"500.00\"\nratio = \"{ratio}\""),
    )
}

fn jianfu_policy_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/policies/reference-2023.toml"),
    )
    .unwrap()
}
