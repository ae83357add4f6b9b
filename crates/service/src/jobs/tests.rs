//! The worker on SQLite and PostgreSQL, with a clock the tests move: an
//! upload imported once, a lease running out and the job taken over, a
//! job whose batch an earlier attempt committed finished without a
//! second import, a dead attempt's batch interrupted, attempts used up,
//! and old jobs cleaned up with their files.

use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use jianfu_domain::{Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_store::jobs::{self, Lease};
use jianfu_store::testing::{self, TestDb};
use jianfu_store::{Db, JobRow, RegistryImport, batches};

use super::import::ImportPayload;
use super::*;
use crate::actor::Actor;
use crate::clock::SettableClock;

const PERSONS: u64 = 300;

struct Setup {
    t: TestDb,
    clock: Arc<SettableClock>,
    app: App,
    uploads: Uploads,
    worker: Worker,
    _files: tempfile::TempDir,
    csv: Vec<u8>,
}

async fn setup(t: TestDb) -> Setup {
    let mut tx = t.db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        persons: PERSONS,
        ..Default::default()
    };
    jianfu_synth::generate(&opts, files.path(), &mut |_| {}).unwrap();
    let csv = std::fs::read(files.path().join("persons.csv")).unwrap();
    let clock = SettableClock::at(Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap());
    let app = App::with_clock(t.db.clone(), clock.clone());
    let uploads = Uploads::new(files.path().join("uploads"));
    let registry = Registry::standard(uploads.clone());
    let local = Arc::new(LocalJobs::default());
    let worker = Worker::new(app.clone(), registry, WorkerConfig::default(), local).unwrap();
    Setup {
        t,
        clock,
        app,
        uploads,
        worker,
        _files: files,
        csv,
    }
}

fn officer() -> Actor {
    Actor {
        user_id: Some(11),
        username: "county".into(),
        role: Role::CountyAdmin,
        scope: Scope::parse("130624").unwrap(),
        client_ip: None,
    }
}

impl Setup {
    async fn upload(&self) -> String {
        let new = NewUpload {
            kind: FileKind::Persons,
            file_name: "人员.csv".into(),
            bytes: self.csv.clone(),
            skip_invalid: false,
        };
        enqueue_import(&self.app, &officer(), &self.uploads, new)
            .await
            .unwrap()
    }

    /// Claims the job as a worker that then dies (never beats, never
    /// finishes).
    async fn claim_and_die(&self, owner: &str) -> Lease {
        let now = self.app.now();
        let mut c = self.t.db.read().await.unwrap();
        let claimed = jobs::claim_next(&mut c, "import", owner, now, now + TimeDelta::seconds(60))
            .await
            .unwrap()
            .expect("a due job");
        claimed.lease()
    }

    fn after_the_lease(&self) {
        self.clock.advance(TimeDelta::seconds(61));
    }

    async fn job(&self, id: &str) -> JobRow {
        let mut c = self.t.db.read().await.unwrap();
        jobs::find(&mut c, id).await.unwrap().unwrap()
    }

    fn upload_path(&self, job: &JobRow) -> std::path::PathBuf {
        let p = ImportPayload::of(job).unwrap();
        self.uploads.dir(&job.id).unwrap().join(p.upload)
    }
}

async fn persons(db: &Db) -> i64 {
    let sql = "SELECT COUNT(*) FROM persons";
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

async fn statuses(db: &Db, job: &str) -> Vec<String> {
    let mut c = db.read().await.unwrap();
    let found = batches::of_job(&mut c, job).await.unwrap();
    found.into_iter().map(|b| b.status).collect()
}

fn result(job: &JobRow) -> ImportResult {
    serde_json::from_str(job.result.as_deref().expect("a result")).unwrap()
}

#[tokio::test]
async fn an_upload_is_imported_once_and_its_upload_removed() {
    for t in testing::all().await {
        let s = setup(t).await;
        let id = s.upload().await;
        let queued = s.job(&id).await;
        assert_eq!((queued.state.as_str(), queued.attempts), ("queued", 0));
        assert_eq!(queued.region, "130624000000");
        assert!(s.upload_path(&queued).is_file());

        let done = s.worker.run_next().await.unwrap().expect("a job ran");
        assert_eq!(
            done.state,
            "done",
            "{:?}: {:?}",
            s.t.engine(),
            done.last_error
        );
        let r = result(&done);
        assert!(r.is_success() && !r.recovered, "{r:?}");
        assert_eq!(r.data_rows, PERSONS);
        assert_eq!(persons(&s.t.db).await, PERSONS as i64);
        assert_eq!(statuses(&s.t.db, &id).await, ["committed"]);
        assert!(
            !s.upload_path(&done).exists(),
            "the upload goes with the job"
        );
        assert!(s.uploads.dir(&id).unwrap().join(import::REPORT).exists());
        assert!(s.worker.run_next().await.unwrap().is_none(), "nothing left");
        let mut c = s.t.db.read().await.unwrap();
        let sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'import'";
        let audited: i64 = c.scalar(sql, &[]).await.unwrap();
        assert_eq!(audited, 1);
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_after_its_lease() {
    for t in testing::all().await {
        let s = setup(t).await;
        let id = s.upload().await;
        s.claim_and_die("dead").await;
        assert!(s.worker.run_next().await.unwrap().is_none(), "still leased");

        s.after_the_lease();
        let done = s.worker.run_next().await.unwrap().unwrap();
        assert_eq!(
            (done.state.as_str(), done.attempts),
            ("done", 2),
            "{:?}",
            s.t.engine()
        );
        assert!(!result(&done).recovered);
        assert_eq!(persons(&s.t.db).await, PERSONS as i64);
        assert_eq!(statuses(&s.t.db, &id).await, ["committed"]);
    }
}

#[tokio::test]
async fn a_batch_committed_by_a_dead_attempt_is_not_imported_again() {
    for t in testing::all().await {
        let s = setup(t).await;
        let id = s.upload().await;
        let lease = s.claim_and_die("dead").await;
        // The dead attempt got as far as committing its import, then its
        // server was killed before it could finish the job.
        let job = s.job(&id).await;
        let ctx = JobContext {
            app: s.app.clone(),
            job,
            lease,
            took_over: false,
            progress: ProgressSink {
                job: id.clone(),
                local: s.worker.local().clone(),
            },
        };
        let handler = ImportHandler::new(s.uploads.clone());
        let Ok(Outcome::Done { .. }) = handler.run(&ctx).await else {
            panic!("the dead attempt's import ran");
        };
        assert_eq!(persons(&s.t.db).await, PERSONS as i64);
        let before = s.job(&id).await;
        assert_eq!(before.state, "running");

        s.after_the_lease();
        let done = s.worker.run_next().await.unwrap().unwrap();
        assert_eq!(done.state, "done", "{:?}", s.t.engine());
        let r = result(&done);
        assert!(r.recovered && r.committed, "{r:?}");
        assert_eq!((r.data_rows, r.rejected_rows, r.errors), (PERSONS, 0, 0));
        assert_eq!(statuses(&s.t.db, &id).await, ["committed"], "imported once");
        let mut c = s.t.db.read().await.unwrap();
        let all: i64 = c
            .scalar("SELECT COUNT(*) FROM change_batches", &[])
            .await
            .unwrap();
        assert_eq!(all, 1, "no second batch");
        assert_eq!(persons(&s.t.db).await, PERSONS as i64);
    }
}

#[tokio::test]
async fn a_dead_attempts_batch_is_interrupted_and_the_job_imported() {
    for t in testing::all().await {
        let s = setup(t).await;
        let id = s.upload().await;
        let lease = s.claim_and_die("dead").await;
        // It had begun writing when it died: its transaction is gone, its
        // batch still says running.
        let begin = RegistryImport::begin(&s.t.db, "persons", "人员.csv", "county");
        drop(jobs::within(lease, begin).await.unwrap());
        assert_eq!(statuses(&s.t.db, &id).await, ["running"]);

        s.after_the_lease();
        let done = s.worker.run_next().await.unwrap().unwrap();
        assert_eq!(done.state, "done", "{:?}", s.t.engine());
        assert_eq!(statuses(&s.t.db, &id).await, ["interrupted", "committed"]);
        assert_eq!(persons(&s.t.db).await, PERSONS as i64);
    }
}

#[tokio::test]
async fn a_job_fails_with_its_reason_once_its_attempts_are_used_up() {
    for t in testing::all().await {
        let s = setup(t).await;
        let id = s.upload().await;
        for owner in ["dead1", "dead2", "dead3"] {
            s.claim_and_die(owner).await;
            s.after_the_lease();
        }
        let failed = s.worker.run_next().await.unwrap().unwrap();
        assert_eq!(
            (failed.id.as_str(), failed.state.as_str()),
            (id.as_str(), "failed")
        );
        assert_eq!(failed.attempts, 4);
        let why = failed.last_error.clone().unwrap();
        assert!(why.contains("服务中断") && why.contains("3 次"), "{why}");
        assert!(!s.upload_path(&failed).exists());
        assert_eq!(persons(&s.t.db).await, 0);
        assert!(s.worker.run_next().await.unwrap().is_none());
        // No import was done, so no `import` entry; the job's failure is
        // on record as such.
        let mut c = s.t.db.read().await.unwrap();
        let sql = "SELECT action FROM audit_log ORDER BY id";
        let actions: Vec<String> = c.scalars(sql, &[]).await.unwrap();
        assert_eq!(actions, ["import.failed"], "{:?}", s.t.engine());
    }
}

#[tokio::test]
async fn old_finished_jobs_go_with_their_files() {
    for t in testing::all().await {
        let s = setup(t).await;
        let id = s.upload().await;
        s.worker.run_next().await.unwrap().unwrap();
        assert_eq!(s.worker.clean_up().await.unwrap(), 0, "kept 30 days");
        s.clock.advance(TimeDelta::days(31));
        assert_eq!(s.worker.clean_up().await.unwrap(), 1);
        let mut c = s.t.db.read().await.unwrap();
        assert!(jobs::find(&mut c, &id).await.unwrap().is_none());
        assert!(!s.uploads.dir(&id).unwrap().exists());
    }
}

#[tokio::test]
async fn only_importers_may_upload() {
    for t in testing::all().await {
        let s = setup(t).await;
        let auditor = Actor {
            role: Role::Auditor,
            ..officer()
        };
        let new = NewUpload {
            kind: FileKind::Persons,
            file_name: "人员.csv".into(),
            bytes: s.csv.clone(),
            skip_invalid: false,
        };
        let refused = enqueue_import(&s.app, &auditor, &s.uploads, new).await;
        assert!(matches!(refused, Err(JobError::Denied(_))), "{refused:?}");
        let mut c = s.t.db.read().await.unwrap();
        let n: i64 = c.scalar("SELECT COUNT(*) FROM jobs", &[]).await.unwrap();
        assert_eq!(n, 0);
    }
}
