//! Department push lists (部门推送预警名单, import kind `pushes`) on both
//! engines: a push opens a `department_data` case with its deadline on
//! the stored calendar, a second push of the same household joins it, a
//! re-import adds nothing, and each bad row (outside the jurisdiction, an
//! unknown ID number, a bad department, date or amount) is reported by
//! row and column with nothing written.

use std::path::Path;

use jianfu_domain::{IdCardNo, Role, Scope};
use jianfu_ingest::{FileKind, ImportOptions};
use jianfu_service::monitoring::cases::{self, CaseQuery};
use jianfu_service::{Actor, App, ImportError, ImportOutcome, ImportRequest, import_file};
use jianfu_store::{AuditFilter, Db, audit, testing};

use crate::examples::load_examples;
use crate::{app, day};

const HEADER: &str = "身份证号,推送部门,推送日期,预警原因,金额,推送批次号,备注\n";
/// The head of household 0001 (village v1).
const HEAD_0001: &str = "130624195404140049";

fn member(seq: u16) -> String {
    IdCardNo::from_parts("130624", day(1970, 1, 1), seq)
        .unwrap()
        .as_str()
        .to_string()
}

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("{}-{region}", role.code()),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: None,
    }
}

/// Imports `rows` as a push list named `name` by `actor`, judged as of
/// the App's day.
async fn push(
    app: &App,
    actor: &Actor,
    dir: &Path,
    name: &str,
    rows: &str,
) -> Result<ImportOutcome, ImportError> {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
    let mut req = ImportRequest::new(path, FileKind::Pushes, "tester");
    req.options = ImportOptions::new(app.today());
    import_file(app, actor, &req, |_, _| {}).await
}

/// The report's (行号, 列, code) triples (the problem sentences hold no
/// ASCII comma, so a line splits plainly).
fn reported(o: &ImportOutcome) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(o.report.as_ref().unwrap()).unwrap();
    text.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[2].to_string(), f[5].to_string())
        })
        .collect()
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = match table {
        "department_pushes" => "SELECT COUNT(*) FROM department_pushes",
        "cases" => "SELECT COUNT(*) FROM cases",
        _ => unreachable!("a table of these tests"),
    };
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

async fn logged(db: &Db, action: &str) -> i64 {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    let mut c = db.read().await.unwrap();
    audit::search(&mut c, &Scope::NATIONAL, &filter, 0, 10)
        .await
        .unwrap()
        .1
}

#[tokio::test]
async fn a_push_opens_a_case_a_second_joins_it_and_a_reimport_adds_nothing() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = load_examples(&t.db, dir.path()).await;
        let (app, _) = app(&t.db);
        let county = actor(Role::CountyAdmin, "130624");
        let rows = format!(
            "{HEAD_0001},医保,2023-12-20,年度个人自付医疗费用较高,52300.50,YB-2023-12,\n\
             {},civil_affairs,2023-12-22,申请低保,,,\n\
             {},住建,2024-01-02,住房安全等级C级,,,村里反映\n",
            member(1),
            member(6)
        );
        let o = push(&app, &county, dir.path(), "推送.csv", &rows)
            .await
            .unwrap();
        assert!(o.is_success(), "{:?} {o:?}", t.engine());
        let s = &o.stats;
        assert_eq!((s.pushes_created, s.push_cases_opened), (3, 2));
        let hh = cases::household_monitoring(&app, &county, "130624", &format!("{v1}0001"))
            .await
            .unwrap();
        assert_eq!((hh.cases.len(), hh.pushes.len()), (1, 2));
        let d = cases::case_detail(&app, &county, hh.cases[0].id)
            .await
            .unwrap();
        assert_eq!(
            (d.case.channel.as_str(), d.case.state.as_str()),
            ("department_data", "pre_warning")
        );
        let flags: Vec<(&str, bool)> = d
            .pushes
            .iter()
            .map(|p| (p.source.as_str(), p.opened_case))
            .collect();
        assert_eq!(
            flags,
            [("medical_insurance", true), ("civil_affairs", false)]
        );
        assert_eq!(d.pushes[0].amount, Some(5_230_050));
        assert!(d.pushes[0].id_number.contains('*'), "masked");
        assert_eq!(d.timeline.len(), 1, "a joining push takes no step");
        assert!(
            d.timeline[0].note.contains(
                "医保部门于 2023-12-20 推送预警：年度个人自付医疗费用较高；金额 52300.50 元"
            ),
            "{}",
            d.timeline[0].note
        );
        // Opened 2024-01-05 (Fri): + 5 working days on the calendar.
        assert_eq!(d.deadlines[0].row.due_on, day(2024, 1, 12));
        let other = cases::household_monitoring(&app, &county, "130624", &format!("{v2}0003"))
            .await
            .unwrap();
        assert_eq!(other.cases[0].channel, "department_data");
        assert_eq!(logged(&t.db, "monitoring.case.open").await, 2);
        assert_eq!(logged(&t.db, "monitoring.push.link").await, 1);

        let again = push(&app, &county, dir.path(), "推送2.csv", &rows)
            .await
            .unwrap();
        assert!(again.is_success(), "{again:?}");
        assert_eq!(
            (again.stats.pushes_created, again.stats.pushes_unchanged),
            (0, 3)
        );
        assert_eq!(count(&t.db, "department_pushes").await, 3);
        assert_eq!(count(&t.db, "cases").await, 2);
        let all = cases::list_cases(&app, &county, &CaseQuery::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
    }
}

#[tokio::test]
async fn each_bad_row_is_named_and_nothing_is_written() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, _) = load_examples(&t.db, dir.path()).await;
        let (app, _) = app(&t.db);
        let town = actor(Role::TownshipWorker, &v1[..9]);
        let unknown = IdCardNo::from_parts("130624", day(1980, 1, 1), 99).unwrap();
        let cases_ = [
            (
                &town,
                format!("{},医保,2023-12-20,高费用,,,\n", member(6)),
                "身份证号",
                "outside_jurisdiction",
            ),
            (
                &Actor::command_line(),
                format!("{},医保,2023-12-20,高费用,,,\n", unknown.as_str()),
                "身份证号",
                "unknown_person",
            ),
            (
                &town,
                format!("{HEAD_0001},卫健,2023-12-20,高费用,,,\n"),
                "推送部门",
                "unknown_push_source",
            ),
            (
                &town,
                format!("{HEAD_0001},医保,2023-02-30,高费用,,,\n"),
                "推送日期",
                "bad_date",
            ),
            (
                &town,
                format!("{HEAD_0001},医保,2023-12-20,高费用,-1.00,,\n"),
                "金额",
                "negative_money",
            ),
        ];
        for (i, (who, bad, column, code)) in cases_.iter().enumerate() {
            // A good row first: all-or-nothing writes neither.
            let rows = format!("{},教育,2023-12-21,学生资助,,,\n{bad}", member(1));
            let o = push(&app, who, dir.path(), &format!("bad{i}.csv"), &rows)
                .await
                .unwrap();
            assert!(!o.committed, "{code}: {o:?}");
            assert_eq!(
                reported(&o),
                [("3".to_string(), column.to_string(), code.to_string())],
                "{:?}",
                t.engine()
            );
            assert_eq!(count(&t.db, "department_pushes").await, 0, "{code}");
            assert_eq!(count(&t.db, "cases").await, 0, "{code}");
        }
        // Skipping the bad rows writes the good one.
        let rows = format!(
            "{},教育,2023-12-21,学生资助,,,\n{HEAD_0001},卫健,2023-12-20,高费用,,,\n",
            member(1)
        );
        let mut req = ImportRequest::new(dir.path().join("skip.csv"), FileKind::Pushes, "tester");
        std::fs::write(&req.path, format!("{HEADER}{rows}")).unwrap();
        req.options = ImportOptions::new(app.today());
        req.skip_invalid = true;
        let o = import_file(&app, &town, &req, |_, _| {}).await.unwrap();
        assert!(o.committed && o.rejected_rows == 1, "{o:?}");
        assert_eq!(count(&t.db, "department_pushes").await, 1);
        assert_eq!(count(&t.db, "cases").await, 1);
    }
}

#[tokio::test]
async fn an_auditor_may_not_import_pushes() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, _) = load_examples(&t.db, dir.path()).await;
        let (app, _) = app(&t.db);
        let who = actor(Role::Auditor, &v1);
        let rows = format!("{HEAD_0001},医保,2023-12-20,高费用,,,\n");
        let r = push(&app, &who, dir.path(), "p.csv", &rows).await;
        assert!(matches!(r, Err(ImportError::Denied(_))), "{r:?}");
        assert_eq!(count(&t.db, "department_pushes").await, 0);
    }
}
