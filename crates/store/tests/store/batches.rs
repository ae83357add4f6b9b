//! Change batches whose process died, on SQLite and PostgreSQL: a batch
//! still `running` is marked `interrupted` only once its owner is gone; a
//! live import's batch, a rejected one and a committed one keep theirs.

use chrono::{DateTime, TimeZone, Utc};
use jianfu_store::batches::{self, NewBatch, Owner};
use jianfu_store::testing;
use jianfu_store::{Db, RegistryImport, Value};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

async fn status(db: &Db, id: i64) -> (String, Option<DateTime<Utc>>) {
    let sql = "SELECT status, finished_at FROM change_batches WHERE id = $1";
    db.read()
        .await
        .unwrap()
        .one(sql, &[Value::Int(id)])
        .await
        .unwrap()
}

/// A batch as a process that has ended left it: on this host, under a
/// process id no process has, with an owner key no transaction holds.
async fn left_by_a_dead_process(db: &Db) -> i64 {
    let this = batches::process_name();
    let host = this.split(':').next().unwrap();
    let owner = Owner::parse(&format!("{host}:4294967295:dead:7")).unwrap();
    let new = NewBatch {
        kind: "persons",
        source_file: "p.csv",
        user: "u",
        job: None,
        owner: &owner.stored(),
    };
    let mut c = db.read().await.unwrap();
    batches::start(&mut c, &new, t0()).await.unwrap()
}

#[tokio::test]
async fn only_batches_of_dead_owners_are_interrupted() {
    for t in testing::all().await {
        let db = &t.db;
        // Looked at while its import runs (SQLite: from a reader; the
        // import holds the writer), a batch stays running.
        let live = RegistryImport::begin(db, "persons", "live.csv", "u")
            .await
            .unwrap();
        let live_id = live.batch_id();
        let none = batches::interrupt_orphans(db, t0()).await.unwrap();
        assert_eq!(none, Vec::<i64>::new(), "{:?}", t.engine());
        assert_eq!(status(db, live_id).await, ("running".into(), None));
        live.rollback(3, 1).await.unwrap();
        let committed = RegistryImport::begin(db, "persons", "good.csv", "u")
            .await
            .unwrap();
        let committed_id = committed.batch_id();
        committed.commit(0, 0).await.unwrap();

        let dead = left_by_a_dead_process(db).await;
        let marked = batches::interrupt_orphans(db, t0()).await.unwrap();
        assert_eq!(marked, vec![dead], "{:?}", t.engine());
        assert_eq!(status(db, dead).await, ("interrupted".into(), Some(t0())));
        assert_eq!(
            status(db, live_id).await.0,
            "rejected",
            "rejected in its transaction"
        );
        assert_eq!(status(db, committed_id).await.0, "committed");
        let again = batches::interrupt_orphans(db, t0()).await.unwrap();
        assert_eq!(again, Vec::<i64>::new());
    }
}
