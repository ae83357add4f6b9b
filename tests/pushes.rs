//! `jianfu import pushes` end to end on SQLite and PostgreSQL: a department
//! push list opens a `department_data` case per household (a second push
//! of the household joins it), `case show` lists the pushes, a re-import
//! adds nothing, a bad row rejects the file with the row and column in
//! the report, and the template is written. No full ID number in output.

use std::path::Path;
use std::process::{Command, Output};

use chrono::Datelike;
use jianfu_store::Db;
use jianfu_store::testing;

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

fn examples(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/ingest/tests/data");
    dir.join(name).to_str().unwrap().to_string()
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

/// Two members of household 130624100200001 and the head of …002 of the
/// spec's persons example.
const IDS: [&str; 3] = [
    "130624196603233058",
    "130624196306305342",
    "130624197001087553",
];

/// The command line opens cases on the real day: past the built-in
/// calendars (2022–2026), a plain calendar of this year and the next is
/// added so the deadlines can be computed.
fn calendars_for_today(url: &str, dir: &Path) {
    let year = chrono::Local::now().year();
    for y in [year, year + 1].into_iter().filter(|y| *y > 2026) {
        let file = dir.join(format!("cn-{y}.toml"));
        let toml = format!("year = {y}\nsource = \"测试\"\ndays_off = [\"{y}-01-01\"]\n");
        std::fs::write(&file, toml).unwrap();
        let o = jianfu(url, &["calendar", "add", file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
    }
}

#[tokio::test]
async fn a_push_list_opens_cases_once_and_a_bad_row_rejects_the_file() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let o = jianfu(&t.url, &["regions", "load", "--prefix", "1306"]);
        assert!(o.status.success(), "{}", text(&o));
        let report = dir.path().join("r.csv");
        let report = report.to_str().unwrap();
        let args = [
            "import",
            "persons",
            &examples("persons-good.csv"),
            "--report",
            report,
        ];
        assert!(jianfu(&t.url, &args).status.success());
        calendars_for_today(&t.url, dir.path());

        let list = dir.path().join("医保推送.csv");
        std::fs::write(
            &list,
            format!(
                "身份证号,推送部门,推送日期,预警原因,金额,推送批次号,备注\n\
                 {},医保,2026-01-15,年度个人自付医疗费用较高,52300.50,YB-1,\n\
                 {},民政,2026-01-20,申请低保,,,\n\
                 {},education,2026-02-01,学生资助,,,\n",
                IDS[0], IDS[1], IDS[2]
            ),
        )
        .unwrap();
        let import = [
            "import",
            "pushes",
            list.to_str().unwrap(),
            "--report",
            report,
        ];
        let o = jianfu(&t.url, &import);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("新增 3 条推送预警（立案 2 件"),
            "{}",
            text(&o)
        );
        assert_eq!(count(&t.db, "department_pushes").await, 3);
        assert_eq!(count(&t.db, "cases").await, 2);
        let show = jianfu(&t.url, &["case", "show", "1"]);
        let shown = text(&show);
        assert!(show.status.success(), "{shown}");
        assert!(shown.contains("部门筛查预警"), "{shown}");
        assert!(
            shown.contains("医保 2026-01-15 推送") && shown.contains("金额 52300.50 元"),
            "{shown}"
        );
        assert!(
            shown.contains("民政 2026-01-20 推送") && shown.contains("并入"),
            "{shown}"
        );

        let again = jianfu(&t.url, &import);
        assert!(again.status.success(), "{}", text(&again));
        assert!(
            text(&again).contains("新增 0 条推送预警（立案 0 件，其余并入在办案件）；已有 3 条")
        );
        assert_eq!(count(&t.db, "department_pushes").await, 3);

        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            format!(
                "身份证号,推送部门,推送日期,预警原因,金额\n{},住建,2026-03-01,危房,\n{},卫健,2026-03-01,高费用,\n",
                IDS[2], IDS[0]
            ),
        )
        .unwrap();
        let o = jianfu(
            &t.url,
            &[
                "import",
                "pushes",
                bad.to_str().unwrap(),
                "--report",
                report,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("整个文件未导入"), "{}", text(&o));
        let r = std::fs::read_to_string(report).unwrap();
        assert!(
            r.lines()
                .any(|l| l.contains(",3,推送部门,") && l.contains("unknown_push_source")),
            "{r}"
        );
        assert_eq!(
            count(&t.db, "department_pushes").await,
            3,
            "nothing written"
        );
        for output in [text(&o), text(&again), shown] {
            assert!(IDS.iter().all(|id| !output.contains(id)), "{output}");
        }
    }
}

#[test]
fn the_template() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = dir.path().join("pushes.xlsx");
    let o = jianfu(&db, &["template", "pushes", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
}
