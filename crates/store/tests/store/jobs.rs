//! The job queue on SQLite and PostgreSQL: claims (one worker per job,
//! also when claiming at once), leases that fence every write, takeover
//! after a lease runs out, retries, release, finishing, listing and
//! cleanup; and an import's batch committed with its rows only while its
//! job attempt holds the job.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use jianfu_store::batches;
use jianfu_store::jobs::{self, Finish, JobProgress, Visible};
use jianfu_store::testing::{self, TestDb};
use jianfu_store::{Db, Lease, NewJob, RegistryImport, StoreError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

async fn enqueue(db: &Db, id: &str, kind: &str, due: DateTime<Utc>, by: Option<i64>, region: &str) {
    let job = NewJob {
        id,
        kind,
        payload: "{}",
        due_at: due,
        max_attempts: 3,
        created_by: by,
        region,
        file_name: Some("人员.csv"),
    };
    jobs::enqueue(&mut db.read().await.unwrap(), &job, t0())
        .await
        .unwrap();
}

async fn claim(db: &Db, owner: &str, at: DateTime<Utc>) -> Option<jobs::Claimed> {
    let mut c = db.read().await.unwrap();
    jobs::claim_next(&mut c, "import", owner, at, at + secs(60))
        .await
        .unwrap()
}

async fn find(db: &Db, id: &str) -> jianfu_store::JobRow {
    jobs::find(&mut db.read().await.unwrap(), id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn claims_take_due_jobs_in_order_and_leases_fence_writes() {
    for t in testing::all().await {
        let db = &t.db;
        enqueue(db, "j1", "import", t0(), Some(7), "130624000000").await;
        enqueue(db, "j2", "import", t0() + secs(1), Some(7), "130624000000").await;
        enqueue(db, "later", "import", t0() + secs(3600), None, "national").await;
        enqueue(db, "scan", "monitoring_scan", t0(), None, "national").await;

        let now = t0() + secs(5);
        let a = claim(db, "a", now).await.unwrap();
        assert_eq!(
            (a.job.id.as_str(), a.took_over),
            ("j1", false),
            "{:?}",
            t.engine()
        );
        assert_eq!((a.job.state.as_str(), a.job.attempts), ("running", 1));
        let b = claim(db, "b", now).await.unwrap();
        assert_eq!(b.job.id, "j2");
        assert!(
            claim(db, "c", now).await.is_none(),
            "not due, or another kind"
        );

        let (la, lb) = (a.lease(), b.lease());
        let mut c = db.read().await.unwrap();
        let p = JobProgress {
            phase: "checking",
            thousandths: 250,
        };
        assert!(
            jobs::heartbeat(&mut c, &la, Some(p), now + secs(90), now)
                .await
                .unwrap()
        );
        for stale in [
            Lease {
                owner: "b".into(),
                ..la.clone()
            },
            Lease {
                attempt: 2,
                ..la.clone()
            },
        ] {
            assert!(
                !jobs::heartbeat(&mut c, &stale, None, now, now)
                    .await
                    .unwrap()
            );
            let how = Finish::Failed { error: "x" };
            assert!(!jobs::finish(&mut c, &stale, how, now).await.unwrap());
        }
        let how = Finish::Done {
            result: "{\"ok\":true}",
        };
        assert!(jobs::finish(&mut c, &lb, how, now).await.unwrap());
        assert!(!jobs::finish(&mut c, &lb, how, now).await.unwrap(), "once");
        drop(c);

        let j1 = find(db, "j1").await;
        assert_eq!(j1.phase.as_deref(), Some("checking"));
        assert_eq!((j1.progress, j1.lease_until), (250, Some(now + secs(90))));
        let j2 = find(db, "j2").await;
        assert_eq!(j2.state, "done");
        assert_eq!(j2.result.as_deref(), Some("{\"ok\":true}"));
        assert_eq!(
            (j2.lease_owner.as_deref(), j2.finished_at),
            (None, Some(now))
        );
        assert!(j2.is_finished() && !j1.is_finished());
    }
}

#[tokio::test]
async fn a_lease_that_runs_out_is_taken_over_and_fences_its_old_holder() {
    for t in testing::all().await {
        let db = &t.db;
        enqueue(db, "j", "import", t0(), None, "national").await;
        let dead = claim(db, "dead", t0()).await.unwrap().lease();
        assert!(
            claim(db, "b", t0() + secs(59)).await.is_none(),
            "lease still held"
        );

        let later = t0() + secs(61);
        let b = claim(db, "b", later).await.unwrap();
        assert!(b.took_over, "{:?}", t.engine());
        assert_eq!(
            (b.job.attempts, b.job.lease_owner.as_deref()),
            (2, Some("b"))
        );
        let mut c = db.read().await.unwrap();
        assert!(
            !jobs::heartbeat(&mut c, &dead, None, later, later)
                .await
                .unwrap()
        );
        let mut tx = db.begin().await.unwrap();
        assert!(!jobs::hold(&mut tx, &dead).await.unwrap());
        assert!(jobs::hold(&mut tx, &b.lease()).await.unwrap());
        tx.commit().await.unwrap();

        // A retry waits for its due time and counts as an attempt.
        let lb = b.lease();
        assert!(
            jobs::retry(&mut c, &lb, "数据库出错", later + secs(30), later)
                .await
                .unwrap()
        );
        drop(c);
        assert!(claim(db, "b", later + secs(29)).await.is_none());
        let again = claim(db, "b", later + secs(30)).await.unwrap();
        assert!(!again.took_over);
        assert_eq!(again.job.attempts, 3);
        assert_eq!(again.job.last_error.as_deref(), Some("数据库出错"));

        // A release on shutdown does not count, and is due at once.
        let mut c = db.read().await.unwrap();
        assert!(
            jobs::release(&mut c, &again.lease(), later + secs(31))
                .await
                .unwrap()
        );
        drop(c);
        let next = claim(db, "c", later + secs(31)).await.unwrap();
        assert_eq!((next.job.attempts, next.took_over), (3, false));
    }
}

#[tokio::test]
async fn workers_claiming_at_once_get_different_jobs() {
    for t in testing::all().await {
        for i in 0..8 {
            enqueue(&t.db, &format!("j{i}"), "import", t0(), None, "national").await;
        }
        let tasks: Vec<_> = (0..8)
            .map(|w| {
                let db = t.db.clone();
                tokio::spawn(async move {
                    let owner = format!("w{w}");
                    claim(&db, &owner, t0() + secs(1)).await.map(|c| c.job.id)
                })
            })
            .collect();
        let mut got = Vec::new();
        for task in tasks {
            got.extend(task.await.unwrap());
        }
        got.sort();
        let before = got.len();
        got.dedup();
        assert_eq!(got.len(), before, "a job claimed twice on {:?}", t.engine());
        // Claims that found their pick taken may come back empty; what is
        // left is claimed one by one.
        while let Some(c) = claim(&t.db, "late", t0() + secs(2)).await {
            assert!(!got.contains(&c.job.id));
            got.push(c.job.id);
        }
        assert_eq!(got.len(), 8);
    }
}

#[tokio::test]
async fn listing_shows_a_users_jobs_and_an_administrators_region() {
    for t in testing::all().await {
        let db = &t.db;
        enqueue(db, "mine", "import", t0(), Some(1), "130624100000").await;
        enqueue(db, "town", "import", t0(), Some(2), "130624100000").await;
        enqueue(db, "elsewhere", "import", t0(), Some(3), "130626000000").await;
        enqueue(db, "scan", "monitoring_scan", t0(), None, "national").await;
        let mut c = db.read().await.unwrap();
        let ids = |rows: Vec<jianfu_store::JobRow>| {
            let mut v: Vec<String> = rows.into_iter().map(|r| r.id).collect();
            v.sort();
            v
        };
        let own = Visible::To {
            user: 1,
            admin_prefix: None,
        };
        let rows = jobs::recent(&mut c, own, Some("import"), 10).await.unwrap();
        assert_eq!(ids(rows), ["mine"], "{:?}", t.engine());
        let admin = Visible::To {
            user: 9,
            admin_prefix: Some("130624"),
        };
        let rows = jobs::recent(&mut c, admin, Some("import"), 10)
            .await
            .unwrap();
        assert_eq!(ids(rows), ["mine", "town"]);
        let rows = jobs::recent(&mut c, Visible::All, None, 10).await.unwrap();
        assert_eq!(rows.len(), 4);
    }
}

#[tokio::test]
async fn cleanup_takes_old_finished_jobs_only() {
    for t in testing::all().await {
        let db = &t.db;
        enqueue(db, "done", "import", t0(), None, "national").await;
        enqueue(db, "waiting", "import", t0() + secs(600), None, "national").await;
        let c = claim(db, "a", t0()).await.unwrap();
        let mut tx = db.read().await.unwrap();
        let how = Finish::Done { result: "{}" };
        assert!(jobs::finish(&mut tx, &c.lease(), how, t0()).await.unwrap());
        let old = jobs::finished_before(&mut tx, t0() + secs(1), 10)
            .await
            .unwrap();
        assert_eq!(old, [("done".to_string(), "import".to_string())]);
        let ids: Vec<String> = vec!["done".into(), "waiting".into()];
        assert_eq!(jobs::delete_finished(&mut tx, &ids).await.unwrap(), 1);
        assert!(jobs::find(&mut tx, "done").await.unwrap().is_none());
        assert!(jobs::find(&mut tx, "waiting").await.unwrap().is_some());
    }
}

/// Six persons of 阜平县, ready to import.
async fn persons(t: &TestDb) -> Vec<(u64, jianfu_domain::PersonRecord)> {
    let [villages]: [Vec<String>; 1] = testing::villages_of(&t.db, "1306", &["130624"], 2)
        .await
        .try_into()
        .unwrap();
    let birth = NaiveDate::from_ymd_opt(1980, 5, 1).unwrap();
    (0..6)
        .map(|i| testing::member(i, &villages, format!("测试{i}"), birth))
        .collect()
}

async fn person_count(db: &Db) -> i64 {
    let sql = "SELECT COUNT(*) FROM persons";
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn a_batch_commits_with_its_rows_and_only_while_its_attempt_holds_the_job() {
    for t in testing::all().await {
        let db = &t.db;
        let rows = persons(&t).await;
        enqueue(db, "j", "import", t0(), None, "national").await;
        let stalled = claim(db, "stalled", t0()).await.unwrap().lease();
        // Its lease ran out (the worker stalled); another takes the job
        // over. Then the stalled attempt's import goes on: it starts a
        // batch and writes, but its commit is refused.
        let b = claim(db, "b", t0() + secs(61)).await.unwrap();
        let begin = RegistryImport::begin(db, "persons", "p.csv", "u");
        let mut imp = jobs::within(stalled, begin).await.unwrap();
        imp.write_persons(&rows).await.unwrap();
        let refused = imp.commit(6, 0).await;
        assert!(
            matches!(refused, Err(StoreError::Superseded)),
            "{refused:?}"
        );
        assert_eq!(person_count(db).await, 0, "nothing of the stalled attempt");
        let mut c = db.read().await.unwrap();
        let found = batches::of_job(&mut c, "j").await.unwrap();
        assert_eq!(found.len(), 1, "{:?}", t.engine());
        assert_eq!(
            (found[0].status.as_str(), found[0].job_attempt),
            ("running", Some(1))
        );
        assert_eq!(
            batches::interrupt_running(&mut c, "j", t0()).await.unwrap(),
            1
        );
        drop(c);

        // The new attempt commits: its batch reads committed, with its
        // counts and counties, in the same transaction as the rows.
        let begin = RegistryImport::begin(db, "persons", "p.csv", "u");
        let mut imp = jobs::within(b.lease(), begin).await.unwrap();
        imp.write_persons(&rows).await.unwrap();
        imp.commit(6, 0).await.unwrap();
        assert_eq!(person_count(db).await, 6);
        let mut c = db.read().await.unwrap();
        let found = batches::of_job(&mut c, "j").await.unwrap();
        let statuses: Vec<&str> = found.iter().map(|b| b.status.as_str()).collect();
        assert_eq!(statuses, ["interrupted", "committed"]);
        let last = &found[1];
        assert_eq!(
            (last.job_attempt, last.rows_total, last.rows_written),
            (Some(2), 6, 6)
        );
        assert_eq!(last.counties.as_deref(), Some("130624"));
    }
}

#[tokio::test]
async fn a_batch_that_ended_keeps_its_status() {
    for t in testing::all().await {
        let db = &t.db;
        let rows = persons(&t).await;
        // An import killed mid-write: rolled back, its batch left running.
        let mut imp = RegistryImport::begin(db, "persons", "p.csv", "u")
            .await
            .unwrap();
        imp.write_persons(&rows).await.unwrap();
        let batch = imp.batch_id();
        drop(imp);
        let mut c = db.read().await.unwrap();
        let sql = "UPDATE change_batches SET status = 'interrupted' WHERE id = $1";
        c.exec(sql, &[jianfu_store::Value::Int(batch)])
            .await
            .unwrap();
        batches::finish(&mut c, batch, "rejected", (6, 0, 1), t0())
            .await
            .unwrap();
        let sql = "SELECT status FROM change_batches WHERE id = $1";
        let status: String = c
            .scalar(sql, &[jianfu_store::Value::Int(batch)])
            .await
            .unwrap();
        assert_eq!(status, "interrupted", "{:?}", t.engine());
    }
}

/// PostgreSQL lets another connection mark a batch while its import is
/// open (SQLite's import holds the one writer until it ends): the import
/// then cannot commit.
#[tokio::test]
async fn an_import_whose_batch_was_interrupted_cannot_commit() {
    let Some(t) = testing::postgres().await else {
        return;
    };
    let rows = persons(&t).await;
    let mut imp = RegistryImport::begin(&t.db, "persons", "p.csv", "u")
        .await
        .unwrap();
    imp.write_persons(&rows).await.unwrap();
    let mut c = t.db.read().await.unwrap();
    let sql = "UPDATE change_batches SET status = 'interrupted' WHERE id = $1";
    c.exec(sql, &[jianfu_store::Value::Int(imp.batch_id())])
        .await
        .unwrap();
    drop(c);
    let refused = imp.commit(6, 0).await;
    assert!(
        matches!(refused, Err(StoreError::Superseded)),
        "{refused:?}"
    );
    assert_eq!(person_count(&t.db).await, 0);
}
