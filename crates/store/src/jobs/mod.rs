//! Durable jobs (`jobs`): work that outlives the request that asked for it
//! and the process that runs it (imports now, monitoring scans later).
//!
//! A job is enqueued `queued` with a due time; a worker claims the next
//! due job of a kind it runs ([`claim_next`]), which makes it `running`
//! under a lease (owner, until when, attempt number) that the worker
//! extends while it works ([`heartbeat`]). A running job whose lease ran
//! out belongs to a worker that died: the next claim takes it over, as a
//! new attempt. The job ends `done` with a result or `failed` with its
//! reason ([`finish`]). Every write of a worker names its [`Lease`], so a
//! worker whose job was taken over changes nothing any more.
//!
//! Times are always the caller's (the service's clock), never read here.

mod lease;

pub use lease::{
    Claimed, Finish, JobProgress, Lease, claim_next, current_lease, finish, heartbeat, hold,
    release, retry, within,
};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// Columns of [`JobRow`], in its order.
const COLUMNS: &str = "id, kind, payload, state, due_at, lease_owner, lease_until, attempts, \
                       max_attempts, last_error, result, created_by, region, file_name, phase, \
                       progress, created_at, updated_at, finished_at";

/// States of a job.
pub mod state {
    /// Waiting for its due time and a worker.
    pub const QUEUED: &str = "queued";
    /// Leased to a worker (or to a dead one until the lease runs out).
    pub const RUNNING: &str = "running";
    /// Finished; the result says how.
    pub const DONE: &str = "done";
    /// Given up; `last_error` says why.
    pub const FAILED: &str = "failed";
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct JobRow {
    /// Random id, used in URLs.
    pub id: String,
    /// What to do: `import`, later `monitoring_scan` …
    pub kind: String,
    /// The kind's parameters, JSON (paths and ids, never personal data).
    pub payload: String,
    /// `queued`, `running`, `done` or `failed` (see [`state`]).
    pub state: String,
    /// When it may run (queued), or when it was enqueued or retried.
    pub due_at: DateTime<Utc>,
    /// The worker holding it, while running.
    pub lease_owner: Option<String>,
    /// Until when that worker holds it.
    pub lease_until: Option<DateTime<Utc>>,
    /// Claims so far (the current attempt's number while running).
    pub attempts: i64,
    /// Claims allowed before it fails.
    pub max_attempts: i64,
    /// Why the last attempt failed, or why the job did.
    pub last_error: Option<String>,
    /// The kind's result, JSON, once done (or failed with one).
    pub result: Option<String>,
    /// The user who asked for it; `None` for the command line.
    pub created_by: Option<i64>,
    /// That user's jurisdiction (`national` or a region code), for who
    /// may see the job.
    pub region: String,
    /// The file it works on, as the user named it (imports).
    pub file_name: Option<String>,
    /// The current phase, for progress display (`checking`, `writing` …).
    pub phase: Option<String>,
    /// Thousandths of the current phase done.
    pub progress: i64,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Last written.
    pub updated_at: DateTime<Utc>,
    /// Ended (done or failed).
    pub finished_at: Option<DateTime<Utc>>,
}

impl JobRow {
    /// True once done or failed.
    pub fn is_finished(&self) -> bool {
        self.state == state::DONE || self.state == state::FAILED
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// Random id (the caller's, so it can name files after it first).
    pub id: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Parameters, JSON.
    pub payload: &'a str,
    /// When it may run.
    pub due_at: DateTime<Utc>,
    /// Claims allowed.
    pub max_attempts: i64,
    /// Who asked.
    pub created_by: Option<i64>,
    /// Their jurisdiction's stored form.
    pub region: &'a str,
    /// The file worked on, as the user named it.
    pub file_name: Option<&'a str>,
}

/// Adds `job` to the queue at `now`.
pub async fn enqueue(tx: &mut Tx, job: &NewJob<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO jobs (id, kind, payload, state, due_at, attempts, max_attempts, \
               created_by, region, file_name, progress, created_at, updated_at) \
               VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $7, $8, 0, $9, $9)";
    let args = [
        Value::Text(job.id),
        Value::Text(job.kind),
        Value::Text(job.payload),
        Value::Timestamp(job.due_at),
        Value::Int(job.max_attempts),
        job.created_by.into(),
        Value::Text(job.region),
        job.file_name.into(),
        Value::Timestamp(now),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// The job `id`, if stored.
pub async fn find(tx: &mut Tx, id: &str) -> Result<Option<JobRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"));
    tx.opt(sql, &[Value::Text(id)]).await
}

/// Whose jobs a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum Visible<'a> {
    /// Everyone's (the command line).
    All,
    /// Those `user` started, plus, when `admin_prefix` is given, those of
    /// starters whose jurisdiction lies under it (`""`: the whole country).
    To {
        /// The user's id.
        user: i64,
        /// The administrator's region prefix.
        admin_prefix: Option<&'a str>,
    },
}

/// The most recent `limit` jobs (of `kind`, when given) that `visible`
/// lets through, newest first.
pub async fn recent(
    tx: &mut Tx,
    visible: Visible<'_>,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<JobRow>> {
    let (all, user, admin) = match visible {
        Visible::All => (true, None, None),
        Visible::To { user, admin_prefix } => (false, Some(user), admin_prefix),
    };
    let (lo, hi) = prefix_range(admin.unwrap_or(""));
    // Only this module's column list is joined; values are bound.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE ($1 OR created_by = $2 \
         OR ($3 AND region >= $4 AND region < $5)) AND ($6 IS NULL OR kind = $6) \
         ORDER BY created_at DESC, id DESC LIMIT $7"
    ));
    let args = [
        Value::Bool(all),
        user.into(),
        Value::Bool(admin.is_some()),
        Value::Text(&lo),
        Value::Text(&hi),
        kind.into(),
        Value::Int(limit),
    ];
    tx.all(sql, &args).await
}

/// Up to `limit` finished jobs enqueued before `cutoff`, oldest first, as
/// (id, kind): what a cleanup removes (with their files, which the
/// kind's handler knows).
pub async fn finished_before(
    tx: &mut Tx,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let sql = "SELECT id, kind FROM jobs WHERE created_at < $1 AND state IN ('done', 'failed') \
               ORDER BY created_at LIMIT $2";
    tx.all(sql, &[Value::Timestamp(cutoff), Value::Int(limit)])
        .await
}

/// Deletes the finished jobs among `ids`; returns how many went.
pub async fn delete_finished(tx: &mut Tx, ids: &[String]) -> Result<u64> {
    tx.exec_in(
        "DELETE FROM jobs WHERE state IN ('done', 'failed') AND id",
        &[],
        ids,
    )
    .await
}
