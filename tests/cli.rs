//! The `jianfu` command line end to end, on SQLite and PostgreSQL: the
//! example files of the import spec, idempotent re-import, the error
//! report, all-or-nothing (including a kill in the middle), change history
//! and logs free of personal data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use jianfu_store::Db;
use jianfu_store::testing::{self, TestDb};

fn examples() -> PathBuf {
    // The spec's example files, kept once in the ingest crate's fixtures.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/ingest/tests/data")
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

async fn with_regions(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("13"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

type PersonState = Vec<(
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
)>;

async fn persons_state(db: &Db) -> PersonState {
    let sql = "SELECT id_number, household_no, village_code, name, relation, groups, phone, status \
               FROM persons ORDER BY id_number";
    db.read().await.unwrap().all(sql, &[]).await.unwrap()
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

/// Every full ID number and name of the example file: none may appear in logs.
fn personal_data() -> Vec<String> {
    let text = std::fs::read_to_string(examples().join("persons-good.csv")).unwrap();
    text.lines()
        .skip(1)
        .flat_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [f[4].to_string(), f[5].to_string()]
        })
        .collect()
}

fn assert_no_personal_data(output: &str) {
    for secret in personal_data() {
        assert!(
            !output.contains(&secret),
            "personal data in output: {}…",
            &secret[..3.min(secret.len())]
        );
    }
}

#[tokio::test]
async fn good_files_import_identically_and_idempotently() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.csv");
        let report = report.to_str().unwrap();
        let first = jianfu(
            &t.url,
            &[
                "import",
                "persons",
                examples().join("persons-good.csv").to_str().unwrap(),
                "--report",
                report,
            ],
        );
        assert!(first.status.success(), "{}", text(&first));
        // Chinese names and ID numbers never reach stderr (logs), whatever the level.
        assert_no_personal_data(&String::from_utf8_lossy(&first.stderr));
        assert_eq!(count(&t.db, "persons").await, 35, "{:?}", t.engine());
        assert_eq!(count(&t.db, "households").await, 12);
        let state = persons_state(&t.db).await;
        let log_rows = count(&t.db, "change_log").await;

        for file in [
            "persons-good.csv",
            "persons-good-gbk.csv",
            "persons-good.xlsx",
        ] {
            let again = jianfu(
                &t.url,
                &[
                    "import",
                    "persons",
                    examples().join(file).to_str().unwrap(),
                    "--report",
                    report,
                ],
            );
            assert!(again.status.success(), "{file}: {}", text(&again));
            assert!(
                text(&again).contains("未变 35 人"),
                "{file}: {}",
                text(&again)
            );
            assert_eq!(
                persons_state(&t.db).await,
                state,
                "{file} gives a different database state"
            );
            assert_eq!(
                count(&t.db, "change_log").await,
                log_rows,
                "{file} wrote history without a change"
            );
        }

        let diag = jianfu(
            &t.url,
            &[
                "import",
                "diagnoses",
                examples().join("diagnoses-good.csv").to_str().unwrap(),
                "--report",
                report,
            ],
        );
        assert!(diag.status.success(), "{}", text(&diag));
        assert_eq!(count(&t.db, "diagnoses").await, 18);
        let sql = "SELECT COUNT(*) FROM diagnoses WHERE icd10 = 'I10.x00'";
        let ext: i64 = t.db.read().await.unwrap().scalar(sql, &[]).await.unwrap();
        assert_eq!(ext, 2);
    }
}

#[tokio::test]
async fn bad_file_is_rejected_whole_and_reported() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.csv");
        let out = jianfu(
            &t.url,
            &[
                "import",
                "persons",
                examples().join("persons-bad.csv").to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("整个文件未导入"));
        assert_eq!(
            count(&t.db, "persons").await,
            0,
            "all-or-nothing wrote rows"
        );
        let report_text = std::fs::read_to_string(&report).unwrap();
        let expected =
            std::fs::read_to_string(examples().join("persons-bad.expected.csv")).unwrap();
        for line in expected.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (row, code) = (f[0], f[2]);
            assert!(
                report_text
                    .lines()
                    .any(|l| l.contains(&format!(",{row},")) && l.contains(code)),
                "report lacks row {row} {code}:\n{report_text}"
            );
        }
        assert_no_personal_data(&report_text);

        // --skip-invalid writes the good rows, and still says not everything was done.
        let out = jianfu(
            &t.url,
            &[
                "import",
                "persons",
                examples().join("persons-bad.csv").to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
                "--skip-invalid",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let written = count(&t.db, "persons").await;
        assert!(written > 0 && written < 35, "{written}");
    }
}

#[tokio::test]
async fn excel_mangled_ids_are_never_stored() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.xlsx");
        let out = jianfu(
            &t.url,
            &[
                "import",
                "persons",
                examples()
                    .join("persons-excel-mangled.xlsx")
                    .to_str()
                    .unwrap(),
                "--report",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert_eq!(count(&t.db, "persons").await, 0);
        let bytes = std::fs::read(&report).unwrap();
        assert!(bytes.starts_with(b"PK"), "an XLSX report");
        let out = jianfu(
            &t.url,
            &[
                "import",
                "persons",
                examples()
                    .join("persons-excel-mangled.xlsx")
                    .to_str()
                    .unwrap(),
                "--report",
                dir.path().join("r.csv").to_str().unwrap(),
                "--skip-invalid",
            ],
        );
        let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
        assert!(csv.contains("id_as_number"), "{csv}");
        assert!(csv.contains("unknown_column"), "{csv}");
        assert_eq!(out.status.code(), Some(1));
        // Whatever was written carries only ID numbers that were text in the file.
        let good: Vec<String> = personal_data()
            .into_iter()
            .filter(|s| s.len() == 18)
            .collect();
        for (id, ..) in persons_state(&t.db).await {
            assert!(
                good.contains(&id),
                "stored an ID that is not in the original file"
            );
        }
    }
}

#[tokio::test]
async fn changes_are_kept_in_history() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read_to_string(examples().join("persons-good.csv")).unwrap();
        let file = dir.path().join("p.csv");
        std::fs::write(&file, &original).unwrap();
        let report = dir.path().join("r.csv");
        let args = [
            "import",
            "persons",
            file.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--user",
            "县卫健局张科长",
        ];
        assert!(jianfu(&t.url, &args).status.success());
        // The county updates one person's status and one household's income.
        let changed = original
            .replace(
                "130624196306305342,配偶,,,正常",
                "130624196306305342,配偶,,,死亡",
            )
            .replace("10230.76", "11000.00");
        std::fs::write(&file, changed).unwrap();
        let out = jianfu(&t.url, &args);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("更新 1 户、1 人"), "{}", text(&out));
        let out = jianfu(&t.url, &["history", "--person", "130624196306305342"]);
        let shown = text(&out);
        assert!(out.status.success(), "{shown}");
        assert!(
            shown.contains("人员状态\t正常\t死亡\tp.csv\t县卫健局张科长"),
            "{shown}"
        );
        let out = jianfu(
            &t.url,
            &[
                "history",
                "--household",
                "130624100200001",
                "--county",
                "130624",
            ],
        );
        assert!(
            text(&out).contains("家庭年人均纯收入\t10230.76\t11000.00"),
            "{}",
            text(&out)
        );
    }
}

#[tokio::test]
async fn killed_import_leaves_all_or_nothing() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let generated = jianfu(
            &t.url,
            &[
                "generate",
                "--persons",
                "60000",
                "--out",
                dir.path().to_str().unwrap(),
            ],
        );
        assert!(generated.status.success(), "{}", text(&generated));
        let file = dir.path().join("persons.csv");
        let mut child = Command::new(env!("CARGO_BIN_EXE_jianfu"))
            .args(["--db", &t.url, "import", "persons", file.to_str().unwrap()])
            .env("CI", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the write pass has started (the batch row exists), then kill.
        let started = Instant::now();
        loop {
            if count(&t.db, "change_batches").await > 0
                || started.elapsed() > Duration::from_secs(60)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let n = count(&t.db, "persons").await;
        assert!(
            n == 0 || n == 60_000,
            "{:?}: half-written import, {n} persons",
            t.engine()
        );
        // The audit entry commits with the rows or not at all.
        let audited = import_audit(&t.db).await.len();
        assert_eq!(audited, usize::from(n == 60_000), "{:?}", t.engine());
        let out = jianfu(&t.url, &["import", "persons", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(count(&t.db, "persons").await, 60_000);
    }
}

/// The `import` entries of the audit log: (user, role, file, detail),
/// oldest first.
async fn import_audit(db: &Db) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    let sql = "SELECT username, role, target_key, detail FROM audit_log \
               WHERE action = 'import' ORDER BY id";
    db.read().await.unwrap().all(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn cli_imports_are_audited_with_their_actor() {
    for t in testing::all().await {
        with_regions(&t).await;
        let persons = examples().join("persons-good.csv");
        let o = jianfu(&t.url, &["import", "persons", persons.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let logged = import_audit(&t.db).await;
        assert_eq!(logged.len(), 1, "{:?}", t.engine());
        let (user, role, file, detail) = &logged[0];
        assert_eq!(user, "命令行", "the command line acts as itself");
        assert_eq!(role.as_deref(), Some("national_admin"));
        assert_eq!(file.as_deref(), Some("persons-good.csv"));
        let detail = detail.as_deref().unwrap();
        assert!(
            detail.contains("kind=persons") && detail.contains("committed=true"),
            "{detail}"
        );

        // As a stored user with --as: the entry names them.
        for (name, role) in [("xian_zhang", "county_admin"), ("shenji_li", "auditor")] {
            let add = [
                "user",
                "add",
                name,
                "--role",
                role,
                "--region",
                "130624",
                "--password",
                "Jianfu-2026-county",
            ];
            let o = jianfu(&t.url, &add);
            assert!(o.status.success(), "{}", text(&o));
        }
        let diagnoses = examples().join("diagnoses-good.csv");
        let diagnoses = diagnoses.to_str().unwrap();
        let o = jianfu(
            &t.url,
            &["import", "diagnoses", diagnoses, "--as", "xian_zhang"],
        );
        assert!(o.status.success(), "{}", text(&o));
        let logged = import_audit(&t.db).await;
        assert_eq!(logged.len(), 2);
        assert_eq!(logged[1].0, "xian_zhang");
        assert_eq!(logged[1].1.as_deref(), Some("county_admin"));
        assert!(logged[1].3.as_deref().unwrap().contains("kind=diagnoses"));

        // A user who may not import: refused, nothing read, nothing written.
        let batches = count(&t.db, "change_batches").await;
        let o = jianfu(
            &t.url,
            &["import", "diagnoses", diagnoses, "--as", "shenji_li"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("导入台账"), "{}", text(&o));
        assert_eq!(count(&t.db, "change_batches").await, batches);
        assert_eq!(import_audit(&t.db).await.len(), 2);
    }
}

#[test]
fn templates_and_bad_paths() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    for kind in ["persons", "diagnoses"] {
        let out_path = dir.path().join(format!("{kind}.xlsx"));
        let out = jianfu(
            &db,
            &["template", kind, "--out", out_path.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(std::fs::read(&out_path).unwrap().starts_with(b"PK"));
    }
    let out = jianfu("mysql://nowhere", &["regions", "load"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("不支持的数据库地址"), "{}", text(&out));
}

/// `db backup` while the database is in use holds the last import (which
/// is still in SQLite's WAL: a copy of the `.db` file alone would miss it);
/// `db restore` refuses anything but an intact jianfu database and an
/// existing target without `--force`. PostgreSQL is pointed to its tools.
#[tokio::test]
async fn backups_hold_the_last_import_and_restore_checks_the_copy() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let persons = examples().join("persons-good.csv");
        // The report goes to the temporary folder, not beside the example.
        let report = dir.path().join("report.csv");
        let o = jianfu(
            &t.url,
            &[
                "import",
                "persons",
                persons.to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let copy = dir.path().join("copy.db");
        let o = jianfu(&t.url, &["db", "backup", copy.to_str().unwrap()]);
        if t.engine() == jianfu_store::Engine::Postgres {
            assert_eq!(o.status.code(), Some(1), "{}", text(&o));
            assert!(text(&o).contains("pg_dump --format=custom"), "{}", text(&o));
            let o = jianfu(&t.url, &["db", "restore", copy.to_str().unwrap()]);
            assert!(text(&o).contains("pg_restore"), "{}", text(&o));
            continue;
        }
        // `t.db` stays open, so nothing has checkpointed the WAL.
        assert!(o.status.success(), "{}", text(&o));
        let expected = persons_state(&t.db).await;
        let o = jianfu(&t.url, &["db", "backup", copy.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "an existing file is not overwritten"
        );

        let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
        let o = jianfu(&restored, &["db", "restore", copy.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let db = Db::open(&restored).await.unwrap();
        assert_eq!(persons_state(&db).await, expected);
        db.close().await;
        let o = jianfu(&restored, &["db", "restore", copy.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("--force"), "{}", text(&o));
        let o = jianfu(
            &restored,
            &["db", "restore", copy.to_str().unwrap(), "--force"],
        );
        assert!(o.status.success(), "{}", text(&o));

        // Not a jianfu database, or a damaged one: refused, target untouched.
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all, just bytes").unwrap();
        let o = jianfu(
            &restored,
            &["db", "restore", junk.to_str().unwrap(), "--force"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let mut damaged = std::fs::read(&copy).unwrap();
        let len = damaged.len();
        damaged[len / 2..len / 2 + 4096].fill(0xA5);
        let broken = dir.path().join("broken.db");
        std::fs::write(&broken, damaged).unwrap();
        let o = jianfu(
            &restored,
            &["db", "restore", broken.to_str().unwrap(), "--force"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let db = Db::open(&restored).await.unwrap();
        assert_eq!(
            persons_state(&db).await,
            expected,
            "the target is untouched"
        );
    }
}

/// Runs `jianfu batches` until batch `id` no longer reads 进行中 (the
/// database server may take a moment to drop a killed client's
/// transaction); returns its line.
fn batch_line(url: &str, id: i64) -> String {
    let mut line = String::new();
    for _ in 0..20 {
        let out = jianfu(url, &["batches"]);
        assert!(out.status.success(), "{}", text(&out));
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        line = listed
            .lines()
            .find(|l| l.starts_with(&format!("{id}\t")))
            .unwrap_or_else(|| panic!("batch {id} listed: {listed}"))
            .to_string();
        if !line.contains("\t进行中\t") {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    line
}

async fn batch_status(db: &Db, id: i64) -> String {
    let sql = "SELECT status FROM change_batches WHERE id = $1";
    let args = [jianfu_store::Value::Int(id)];
    db.read().await.unwrap().scalar(sql, &args).await.unwrap()
}

#[tokio::test]
async fn a_killed_imports_batch_reads_interrupted_at_the_next_command() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let generated = jianfu(&t.url, &["generate", "--persons", "60000", "--out", out]);
        assert!(generated.status.success(), "{}", text(&generated));
        let file = dir.path().join("persons.csv");
        let mut child = Command::new(env!("CARGO_BIN_EXE_jianfu"))
            .args(["--db", &t.url, "import", "persons", file.to_str().unwrap()])
            .env("CI", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while count(&t.db, "change_batches").await == 0 {
            assert!(started.elapsed() < Duration::from_secs(120), "no batch");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sql = "SELECT MAX(id) FROM change_batches";
        let killed: i64 = t.db.read().await.unwrap().scalar(sql, &[]).await.unwrap();
        // Another process looking while the import lives leaves it alone.
        let marked = jianfu_store::batches::interrupt_orphans(&t.db, chrono::Utc::now())
            .await
            .unwrap();
        assert!(marked.is_empty(), "{:?}: a live import", t.engine());
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(count(&t.db, "persons").await, 0, "killed before its commit");
        assert_eq!(
            batch_status(&t.db, killed).await,
            "running",
            "until the next start"
        );

        let line = batch_line(&t.url, killed);
        assert!(
            line.contains("\t已中断，未写入\t"),
            "{:?}: {line}",
            t.engine()
        );
        assert_eq!(batch_status(&t.db, killed).await, "interrupted");

        let report = dir.path().join("r.csv");
        let good = examples().join("persons-good.csv");
        let args = ["import", "persons", good.to_str().unwrap(), "--report"];
        let imported = jianfu(&t.url, &[&args[..], &[report.to_str().unwrap()]].concat());
        assert!(imported.status.success(), "{}", text(&imported));
        let newest: i64 = t.db.read().await.unwrap().scalar(sql, &[]).await.unwrap();
        assert!(batch_line(&t.url, newest).contains("\t已写入\t"));
        assert!(batch_line(&t.url, killed).contains("\t已中断，未写入\t"));
    }
}

/// Households with more than one active head.
async fn households_with_two_heads(db: &Db) -> i64 {
    let sql = "SELECT COUNT(*) FROM (SELECT county_code, household_no FROM persons \
               WHERE relation = 'head' AND status = 'active' \
               GROUP BY county_code, household_no HAVING COUNT(*) > 1) AS h";
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn a_file_reusing_stored_household_numbers_never_makes_two_heads() {
    for t in testing::all().await {
        with_regions(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for (out, seed) in [(&a, "1"), (&b, "2")] {
            let args = ["generate", "--persons", "600", "--seed", seed, "--out"];
            let g = jianfu(&t.url, &[&args[..], &[out.to_str().unwrap()]].concat());
            assert!(g.status.success(), "{}", text(&g));
        }
        let import = |dir: &Path, extra: &[&str]| {
            let file = dir.join("persons.csv");
            let report = dir.join("report.csv");
            let args = ["import", "persons", file.to_str().unwrap(), "--report"];
            let out = jianfu(
                &t.url,
                &[&args[..], &[report.to_str().unwrap()], extra].concat(),
            );
            (out, std::fs::read_to_string(report).unwrap_or_default())
        };
        let (first, _) = import(&a, &[]);
        assert!(first.status.success(), "{}", text(&first));
        let stored = count(&t.db, "persons").await;

        // Another county's people under the same household numbers.
        let (second, report) = import(&b, &[]);
        assert_eq!(second.status.code(), Some(1), "{}", text(&second));
        assert!(report.contains("two_heads"), "{report}");
        assert!(report.contains("一户只能有一位户主"), "{report}");
        assert_eq!(count(&t.db, "persons").await, stored, "all or nothing");

        let (skipped, report) = import(&b, &["--skip-invalid"]);
        assert_eq!(skipped.status.code(), Some(1), "{}", text(&skipped));
        assert!(report.contains("household_head_rejected"), "{report}");
        assert_eq!(
            households_with_two_heads(&t.db).await,
            0,
            "{:?}",
            t.engine()
        );
        // The stored heads named in the report are masked.
        let heads: Vec<(String,)> =
            t.db.read()
                .await
                .unwrap()
                .all("SELECT id_number FROM persons WHERE relation = 'head'", &[])
                .await
                .unwrap();
        assert!(heads.iter().all(|(id,)| !report.contains(id.as_str())));
    }
}
