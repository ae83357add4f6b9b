//! The unit of work: writes of two areas made through one `Tx` are
//! committed together or not at all, on SQLite and PostgreSQL; an import
//! lends its transaction to the caller; `Db::read` is autocommit.

use chrono::NaiveDate;
use jianfu_domain::Scope;
use jianfu_store::testing::{self, TestDb};
use jianfu_store::{AuditEntry, AuditFilter, NewUser, RegistryImport, accounts, audit, registry};

fn entry(action: &str) -> AuditEntry {
    AuditEntry {
        username: "tester".into(),
        action: action.into(),
        region: "130624000000".into(),
        ..AuditEntry::default()
    }
}

/// The audit entries with `action`.
async fn logged(t: &TestDb, action: &str) -> i64 {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..AuditFilter::default()
    };
    let mut c = t.db.read().await.unwrap();
    let (_, n) = audit::search(&mut c, &Scope::NATIONAL, &filter, 0, 10)
        .await
        .unwrap();
    n
}

async fn persons_under(t: &TestDb, prefix: &str) -> usize {
    let mut c = t.db.read().await.unwrap();
    registry::person_keys_in(&mut c, prefix)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_import_and_an_audit_entry_commit_or_roll_back_together() {
    for t in testing::all().await {
        let [villages]: [Vec<String>; 1] = testing::villages_of(&t.db, "1306", &["130624"], 3)
            .await
            .try_into()
            .unwrap();
        let birth = NaiveDate::from_ymd_opt(1980, 5, 1).unwrap();
        let rows: Vec<_> = (0..6)
            .map(|i| testing::member(i, &villages, format!("测试{i}"), birth))
            .collect();

        // Rolled back: neither the persons nor the entry remain.
        let mut imp = RegistryImport::begin(&t.db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        assert!(imp.write_persons(&rows).await.unwrap().is_empty());
        audit::append(imp.tx(), &entry("import")).await.unwrap();
        imp.rollback(6, 0).await.unwrap();
        assert_eq!(persons_under(&t, "130624").await, 0, "{:?}", t.engine());
        assert_eq!(logged(&t, "import").await, 0, "{:?}", t.engine());

        // Committed: both.
        let mut imp = RegistryImport::begin(&t.db, "persons", "p.csv", "tester")
            .await
            .unwrap();
        assert!(imp.write_persons(&rows).await.unwrap().is_empty());
        audit::append(imp.tx(), &entry("import")).await.unwrap();
        imp.commit(6, 0).await.unwrap();
        assert_eq!(persons_under(&t, "130624").await, 6, "{:?}", t.engine());
        assert_eq!(logged(&t, "import").await, 1, "{:?}", t.engine());
    }
}

#[tokio::test]
async fn two_areas_in_one_transaction() {
    for t in testing::all().await {
        let user = NewUser {
            username: "uow".into(),
            display_name: "单元".into(),
            role: "village_doctor".into(),
            region: "130624100200".into(),
            password_hash: "$argon2id$not-checked-here".into(),
            must_change_password: false,
        };
        let now = chrono::Utc::now();
        let exists = |t: &TestDb| {
            let db = t.db.clone();
            async move {
                let mut c = db.read().await.unwrap();
                accounts::user_by_name(&mut c, "uow")
                    .await
                    .unwrap()
                    .is_some()
            }
        };

        // Dropped without a commit: rolled back, both writes.
        let mut tx = t.db.begin().await.unwrap();
        assert!(tx.is_transaction());
        let id = accounts::add_user(&mut tx, &user, now).await.unwrap();
        assert!(id.is_some());
        audit::append_at(&mut tx, &entry("user.add"), now)
            .await
            .unwrap();
        drop(tx);
        assert!(!exists(&t).await, "{:?}", t.engine());
        assert_eq!(logged(&t, "user.add").await, 0, "{:?}", t.engine());

        // An explicit rollback, then a commit.
        let mut tx = t.db.begin().await.unwrap();
        accounts::add_user(&mut tx, &user, now).await.unwrap();
        audit::append_at(&mut tx, &entry("user.add"), now)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(!exists(&t).await);
        let mut tx = t.db.begin().await.unwrap();
        accounts::add_user(&mut tx, &user, now).await.unwrap();
        audit::append_at(&mut tx, &entry("user.add"), now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(exists(&t).await, "{:?}", t.engine());
        assert_eq!(logged(&t, "user.add").await, 1, "{:?}", t.engine());

        // `read` is autocommit: each statement stands alone, and its
        // rollback has nothing to undo.
        let mut c = t.db.read().await.unwrap();
        assert!(!c.is_transaction());
        audit::append(&mut c, &entry("login")).await.unwrap();
        c.rollback().await.unwrap();
        assert_eq!(logged(&t, "login").await, 1, "{:?}", t.engine());
    }
}
