//! The audit log is append-only on both engines: raw SQL that edits or
//! deletes entries is refused by the database itself, not only by the
//! absence of such functions in the store.

use jianfu_store::testing;
use jianfu_store::{AuditEntry, AuditFilter, Db};

async fn raw(db: &Db, sql: &'static str) -> Result<u64, sqlx::Error> {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

#[tokio::test]
async fn audit_log_refuses_update_and_delete() {
    for t in testing::all().await {
        let entry = AuditEntry {
            username: "tester".into(),
            action: "login".into(),
            region: "130624000000".into(),
            ..AuditEntry::default()
        };
        t.db.audit(&entry).await.unwrap();
        let scope = jianfu_domain::Scope::NATIONAL;
        let (_, before) =
            t.db.audit_search(&scope, &AuditFilter::default(), 0, 10)
                .await
                .unwrap();
        assert_eq!(before, 1);

        let update = raw(&t.db, "UPDATE audit_log SET username = 'someone else'").await;
        let e = update.expect_err("UPDATE must be refused");
        assert!(
            e.to_string().contains("append-only"),
            "{:?}: {e}",
            t.engine()
        );
        let delete = raw(&t.db, "DELETE FROM audit_log").await;
        let e = delete.expect_err("DELETE must be refused");
        assert!(
            e.to_string().contains("append-only"),
            "{:?}: {e}",
            t.engine()
        );
        if matches!(t.db, Db::Postgres(_)) {
            let e = raw(&t.db, "TRUNCATE audit_log").await;
            assert!(e.is_err(), "TRUNCATE must be refused");
        }

        let (rows, after) =
            t.db.audit_search(&scope, &AuditFilter::default(), 0, 10)
                .await
                .unwrap();
        assert_eq!(after, 1, "the entry is still there");
        assert_eq!(rows[0].username, "tester", "and unchanged");
    }
}
