//! The audit log is append-only on both engines: raw SQL that edits or
//! deletes entries is refused by the database itself, not only by the
//! absence of such functions in the store.

use jianfu_store::testing;
use jianfu_store::{AuditEntry, AuditFilter, Db, Engine, StoreError, audit};

async fn raw(db: &Db, sql: &'static str) -> Result<u64, StoreError> {
    db.read().await?.exec(sql, &[]).await
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
        let mut c = t.db.read().await.unwrap();
        audit::append(&mut c, &entry).await.unwrap();
        let scope = jianfu_domain::Scope::NATIONAL;
        let (_, before) = audit::search(&mut c, &scope, &AuditFilter::default(), 0, 10)
            .await
            .unwrap();
        drop(c);
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
        if t.engine() == Engine::Postgres {
            let e = raw(&t.db, "TRUNCATE audit_log").await;
            assert!(e.is_err(), "TRUNCATE must be refused");
        }

        let mut c = t.db.read().await.unwrap();
        let (rows, after) = audit::search(&mut c, &scope, &AuditFilter::default(), 0, 10)
            .await
            .unwrap();
        assert_eq!(after, 1, "the entry is still there");
        assert_eq!(rows[0].username, "tester", "and unchanged");
    }
}

#[tokio::test]
async fn audit_search_sorts_and_reads_days_in_china_time() {
    use jianfu_store::AuditSort;
    for t in testing::all().await {
        for (name, action) in [("b", "login"), ("a", "export"), ("c", "unmask")] {
            let entry = AuditEntry {
                username: name.into(),
                action: action.into(),
                region: "130624000000".into(),
                ..AuditEntry::default()
            };
            let mut c = t.db.read().await.unwrap();
            audit::append(&mut c, &entry).await.unwrap();
        }
        let scope = jianfu_domain::Scope::NATIONAL;
        let names = |f: AuditFilter| {
            let db = t.db.clone();
            async move {
                let mut c = db.read().await.unwrap();
                let (rows, total) = audit::search(&mut c, &scope, &f, 0, 10).await.unwrap();
                (
                    rows.into_iter().map(|r| r.username).collect::<Vec<_>>(),
                    total,
                )
            }
        };
        assert_eq!(
            names(AuditFilter::default()).await.0,
            ["c", "a", "b"],
            "newest first"
        );
        let by = |sort, desc| AuditFilter {
            sort: Some((sort, desc)),
            ..AuditFilter::default()
        };
        assert_eq!(names(by(AuditSort::User, false)).await.0, ["a", "b", "c"]);
        assert_eq!(names(by(AuditSort::User, true)).await.0, ["c", "b", "a"]);
        assert_eq!(names(by(AuditSort::Action, false)).await.0, ["a", "b", "c"]);
        assert_eq!(names(by(AuditSort::Time, false)).await.0, ["b", "a", "c"]);
        // Today in China holds the entries just written, whatever the hour
        // in UTC; the day before holds none.
        let today = jianfu_domain::time::china_date(chrono::Utc::now());
        let day = |from, to| AuditFilter {
            from: Some(from),
            to: Some(to),
            ..AuditFilter::default()
        };
        assert_eq!(names(day(today, today)).await.1, 3);
        let yesterday = today.pred_opt().unwrap();
        assert_eq!(names(day(yesterday, yesterday)).await.1, 0);
        assert_eq!(
            names(day(today.succ_opt().unwrap(), today.succ_opt().unwrap()))
                .await
                .1,
            0
        );
    }
}
