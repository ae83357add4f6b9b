//! The audited people use cases on both engines: a refused use case writes
//! nothing, and an unmasking's entry commits with its read or not at all.

use chrono::{TimeZone, Utc};
use jianfu_domain::{Permission, Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_store::{AuditFilter, AuditRow, Db, testing};

use super::*;
use crate::clock::SettableClock;
use crate::{Denied, ImportRequest, import_file};

const HEADER: &str = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n";
const HEAD: &str = "H1,130624100200,脱贫户,10230.76,孙文华,130624196603233058,户主,,,正常\n";
const HEAD_ID: &str = "130624196603233058";

/// A county's region tree and one household of one person.
async fn registry(db: &Db, dir: &std::path::Path) {
    let mut tx = db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let path = dir.join("persons.csv");
    std::fs::write(&path, format!("{HEADER}{HEAD}")).unwrap();
    let req = ImportRequest::new(path, FileKind::Persons, "tester");
    let (app, cli) = (crate::App::new(db.clone()), Actor::command_line());
    let imported = import_file(&app, &cli, &req, |_, _| {}).await;
    assert!(imported.unwrap().is_success());
}

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: None,
        username: role.code().into(),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: None,
    }
}

async fn entries(db: &Db, action: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..AuditFilter::default()
    };
    let mut tx = db.read().await.unwrap();
    let (rows, _) = audit::search(&mut tx, &Scope::NATIONAL, &filter, 0, 100)
        .await
        .unwrap();
    rows
}

async fn head_at(app: &App) -> String {
    app.person_refs().await.unwrap().of(HEAD_ID)
}

#[tokio::test]
async fn refused_use_cases_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        registry(&t.db, dir.path()).await;
        let app = App::new(t.db.clone());
        let r = head_at(&app).await;
        let at = PersonAt {
            county: "130624",
            household_no: "H1",
            reference: &r,
        };
        let auditor = actor(Role::Auditor, "130624");
        let refused = unmask(&app, &auditor, at, "入户核实", Extent::Rows).await;
        assert!(matches!(
            refused,
            Err(UseCaseError::Denied(Denied(Permission::Unmask)))
        ));
        assert!(unmask_subject(&app, &auditor, at).await.is_err());
        let doctor = actor(Role::VillageDoctor, "130624100200");
        let q = PersonSearch {
            name: Some("孙".into()),
            ..PersonSearch::default()
        };
        let refused = export_search(&app, &doctor, &q, None).await;
        assert!(matches!(
            refused,
            Err(UseCaseError::Denied(Denied(Permission::ExportPersonal)))
        ));
        // The doctor may search, one page at a time, and that is not audited.
        assert_eq!(
            search(&app, &doctor, &q, None, 0, 10).await.unwrap().total,
            1
        );
        assert!(entries(&t.db, "unmask").await.is_empty());
        assert!(entries(&t.db, "export").await.is_empty());
    }
}

#[tokio::test]
async fn an_unmasking_and_its_entry_commit_together() {
    let dir = tempfile::tempdir().unwrap();
    for t in testing::all().await {
        registry(&t.db, dir.path()).await;
        let at_time = Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).unwrap();
        let app = App::with_clock(t.db.clone(), SettableClock::at(at_time));
        let r = head_at(&app).await;
        let at = PersonAt {
            county: "130624",
            household_no: "H1",
            reference: &r,
        };
        let county = actor(Role::CountyAdmin, "130624");
        // Refused input and a person outside the jurisdiction: no entry.
        let empty = unmask(&app, &county, at, "  ", Extent::Rows).await;
        assert!(matches!(empty, Err(UseCaseError::Invalid(_))));
        let other = actor(Role::VillageDoctor, "130624100201");
        let outside = unmask(&app, &other, at, "电话随访", Extent::Rows).await;
        assert!(matches!(outside, Err(UseCaseError::NotFound)));
        assert!(entries(&t.db, "unmask").await.is_empty());

        let v = unmask(&app, &county, at, " 入户核实 ", Extent::Record)
            .await
            .unwrap();
        assert_eq!(v.person.id_number, HEAD_ID, "the rows come whole");
        let logged = entries(&t.db, "unmask").await;
        assert_eq!(logged.len(), 1);
        let e = &logged[0];
        assert_eq!(e.target_key.as_deref(), Some(HEAD_ID));
        assert_eq!(e.reason.as_deref(), Some("入户核实"));
        assert_eq!(e.region, "130624100200");
        assert_eq!(e.at, at_time, "stamped by the use cases' clock");

        // A read that fails after the person was found leaves no entry.
        let mut tx = t.db.read().await.unwrap();
        tx.exec("DROP TABLE diagnoses", &[]).await.unwrap();
        drop(tx);
        let failed = unmask(&app, &county, at, "结算核对", Extent::Rows).await;
        assert!(matches!(failed, Err(UseCaseError::Store(_))));
        assert_eq!(entries(&t.db, "unmask").await.len(), 1);
    }
}
