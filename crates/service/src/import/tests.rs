//! The import use case on both engines: the actor's permission, the
//! `import` audit entry committed with the rows (stamped by the App's
//! clock, naming the actor), a file rejected whole audited as such, and a
//! failed import leaving neither rows nor entry.

use chrono::{TimeZone, Utc};
use jianfu_domain::{Permission, Role, Scope};
use jianfu_ingest::{FileKind, ImportOptions};
use jianfu_store::{AuditFilter, AuditRow, Db, audit, testing};

use super::*;
use crate::clock::SettableClock;

const HEADER: &str = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n";
const HEAD: &str = "H1,130624100200,脱贫户,10230.76,孙文华,130624196603233058,户主,,,正常\n";
const SPOUSE: &str = "H1,130624100200,脱贫户,10230.76,孙德明,130624196306305342,配偶,,,正常\n";
const BAD_ID: &str = "H2,130624100200,脱贫户,,某,130624197308076024,户主,,,正常\n";

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: Some(7),
        username: format!("{}_zhang", role.code()),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: Some("10.0.0.9".into()),
    }
}

/// A county's region tree.
async fn regions(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A persons file of `rows` in `dir`, imported as of 2025-06-30.
fn request(dir: &std::path::Path, name: &str, rows: &[&str]) -> ImportRequest {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}{}", rows.concat())).unwrap();
    let mut req = ImportRequest::new(path, FileKind::Persons, "zhang");
    req.options = ImportOptions::new(chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
    req
}

async fn imports_logged(db: &Db) -> Vec<AuditRow> {
    let filter = AuditFilter {
        action: Some("import".into()),
        ..AuditFilter::default()
    };
    let mut tx = db.read().await.unwrap();
    let (rows, _) = audit::search(&mut tx, &Scope::NATIONAL, &filter, 0, 100)
        .await
        .unwrap();
    rows
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = match table {
        "persons" => "SELECT COUNT(*) FROM persons",
        "households" => "SELECT COUNT(*) FROM households",
        "change_batches" => "SELECT COUNT(*) FROM change_batches",
        _ => unreachable!("a table of these tests"),
    };
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn an_import_and_its_entry_commit_together() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        regions(&t.db).await;
        let at = Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).unwrap();
        let app = App::with_clock(t.db.clone(), SettableClock::at(at));
        let county = actor(Role::CountyAdmin, "130624");
        let req = request(dir.path(), "人员.csv", &[HEAD, SPOUSE]);
        let outcome = import_file(&app, &county, &req, |_, _| {}).await.unwrap();
        assert!(outcome.is_success(), "{outcome:?}");
        assert_eq!(count(&t.db, "persons").await, 2);
        let logged = imports_logged(&t.db).await;
        assert_eq!(logged.len(), 1, "{:?}", t.engine());
        let e = &logged[0];
        assert_eq!(
            (e.user_id, e.username.as_str(), e.role.as_deref()),
            (Some(7), "county_admin_zhang", Some("county_admin"))
        );
        assert_eq!(e.target_key.as_deref(), Some("人员.csv"));
        assert_eq!(e.region, "130624000000", "the jurisdiction imported into");
        assert_eq!(e.at, at, "stamped by the use cases' clock");
        let batch = outcome.batch_id.unwrap();
        assert_eq!(
            e.detail.as_deref(),
            Some(
                format!(
                    "kind=persons rows=2 rejected=0 errors=0 warnings=0 committed=true batch={batch}"
                )
                .as_str()
            )
        );
    }
}

#[tokio::test]
async fn an_actor_without_the_permission_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        regions(&t.db).await;
        let app = App::new(t.db.clone());
        let req = request(dir.path(), "人员.csv", &[HEAD]);
        for role in [Role::Auditor, Role::InsuranceOfficer, Role::VillageDoctor] {
            let refused = import_file(&app, &actor(role, "130624"), &req, |_, _| {}).await;
            assert!(
                matches!(
                    refused,
                    Err(ImportError::Denied(Denied(Permission::ImportRegistry)))
                ),
                "{role:?}: {refused:?}"
            );
        }
        // Not even a change batch or a report: the file was not read.
        assert_eq!(count(&t.db, "change_batches").await, 0);
        assert!(!default_report_path(&req.path).exists());
        assert_eq!(count(&t.db, "persons").await, 0);
        assert!(imports_logged(&t.db).await.is_empty());
    }
}

#[tokio::test]
async fn a_file_rejected_whole_is_audited_as_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        regions(&t.db).await;
        let app = App::new(t.db.clone());
        let county = actor(Role::CountyAdmin, "130624");
        let req = request(dir.path(), "坏.csv", &[HEAD, SPOUSE, BAD_ID]);
        let outcome = import_file(&app, &county, &req, |_, _| {}).await.unwrap();
        assert!(!outcome.committed);
        assert_eq!((outcome.data_rows, outcome.rejected_rows), (3, 3));
        assert_eq!(count(&t.db, "persons").await, 0);
        let logged = imports_logged(&t.db).await;
        assert_eq!(logged.len(), 1, "{:?}", t.engine());
        let detail = logged[0].detail.as_deref().unwrap();
        assert!(
            detail.contains("rows=3 rejected=3 errors=1") && detail.contains("committed=false"),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn a_failed_import_leaves_neither_rows_nor_entry() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        regions(&t.db).await;
        let app = App::new(t.db.clone());
        let county = actor(Role::CountyAdmin, "130624");

        // The file changes between the passes (as the check pass reports
        // its end): the write pass refuses it.
        let req = request(dir.path(), "changed.csv", &[HEAD, SPOUSE]);
        let path = req.path.clone();
        let touch = move |phase: ImportPhase, _| {
            if phase == ImportPhase::Checking {
                std::fs::write(&path, format!("{HEADER}{HEAD}{SPOUSE}{SPOUSE}")).unwrap();
            }
        };
        let failed = import_file(&app, &county, &req, touch).await;
        assert!(
            matches!(failed, Err(ImportError::File(FileError::ChangedSinceCheck))),
            "{failed:?}"
        );
        assert_eq!(count(&t.db, "persons").await, 0);
        assert!(imports_logged(&t.db).await.is_empty());

        // The entry cannot be written: the rows written before it go too.
        let mut tx = t.db.read().await.unwrap();
        tx.exec("DROP TABLE audit_log", &[]).await.unwrap();
        drop(tx);
        let req = request(dir.path(), "ok.csv", &[HEAD, SPOUSE]);
        let failed = import_file(&app, &county, &req, |_, _| {}).await;
        assert!(matches!(failed, Err(ImportError::Store(_))), "{failed:?}");
        assert_eq!(count(&t.db, "persons").await, 0, "{:?}", t.engine());
        assert_eq!(count(&t.db, "households").await, 0);
    }
}

#[tokio::test]
async fn a_file_over_a_limit_writes_nothing_and_says_which_limit() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        regions(&t.db).await;
        let app = App::new(t.db.clone());
        let county = actor(Role::CountyAdmin, "130624");
        // The first rows are good; the third is wider than the limit.
        let wide = format!("{}{}x\n", SPOUSE.trim_end(), ",".repeat(4));
        let mut req = request(dir.path(), "宽.csv", &[HEAD, SPOUSE, &wide]);
        req.options.limits.columns = 12;
        let outcome = import_file(&app, &county, &req, |_, _| {}).await.unwrap();
        assert!(!outcome.committed);
        assert_eq!(count(&t.db, "persons").await, 0, "{:?}", t.engine());
        assert_eq!(count(&t.db, "households").await, 0);
        let report = std::fs::read_to_string(outcome.report.unwrap()).unwrap();
        assert!(report.contains("too_many_columns"), "{report}");
        assert!(report.contains("第4行第14列（N列）"), "{report}");
    }
}
