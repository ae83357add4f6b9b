//! Leases: claiming the next due job, keeping it, giving it back and
//! ending it, each fenced by the [`Lease`] that claimed it.
//!
//! A claim is one statement that picks and takes a row, so two workers
//! never get the same job: on PostgreSQL the pick skips rows another
//! claim has locked (the dialect's `skip_locked`), on SQLite the single
//! writer runs the statement whole. The attempt number grows with every
//! claim and is never reused by the same owner, so `(job, owner,
//! attempt)` names one run of a job: a worker whose lease ran out and
//! was taken over matches no row any more, whatever it tries to write.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{COLUMNS, JobRow, state};
use crate::Result;
use crate::sql::{Tx, Value};

/// One run of a job: who holds it and which attempt it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job_id: String,
    /// The worker (host, process and a random part).
    pub owner: String,
    /// The attempt number.
    pub attempt: i64,
}

impl JobRow {
    /// The lease of a running job.
    pub fn lease(&self) -> Option<Lease> {
        let owner = self.lease_owner.clone()?;
        (self.state == state::RUNNING).then(|| Lease {
            job_id: self.id.clone(),
            owner,
            attempt: self.attempts,
        })
    }
}

/// A job a worker has just claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The job, running under the worker's lease.
    pub job: JobRow,
    /// True when it was running under a lease that ran out (its worker
    /// died): an earlier attempt may have done part of the work.
    pub took_over: bool,
}

impl Claimed {
    /// The lease the claim took.
    pub fn lease(&self) -> Lease {
        self.job.lease().expect("a claimed job is running")
    }
}

/// Claims the next job of `kind` for `owner` until `lease_until`: first a
/// running job whose lease ran out before `now` (taken over), else the
/// queued job due longest. `None` when there is none.
pub async fn claim_next(
    tx: &mut Tx,
    kind: &str,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<Claimed>> {
    // Only this module's fragments are joined; values are bound.
    let pick = |cond: &str, order: &str| {
        sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE kind = $4 AND {cond} \
             ORDER BY {order} LIMIT 1{}) RETURNING {COLUMNS}",
            tx.skip_locked()
        ))
    };
    let expired = pick("state = 'running' AND lease_until < $3", "lease_until, id");
    let due = pick(
        "state = 'queued' AND due_at <= $3",
        "due_at, created_at, id",
    );
    // An idle worker looks often: a read first, so that looking takes no
    // lock (on SQLite a claim waits for the one writer even when nothing
    // is due).
    let peek = "SELECT id FROM jobs WHERE state = 'running' AND kind = $1 AND lease_until < $2 \
                UNION ALL SELECT id FROM jobs WHERE state = 'queued' AND kind = $1 AND due_at <= $2";
    let due_now = [Value::Text(kind), Value::Timestamp(now)];
    if tx.scalar_opt::<String>(peek, &due_now).await?.is_none() {
        return Ok(None);
    }
    let args = [
        Value::Text(owner),
        Value::Timestamp(lease_until),
        Value::Timestamp(now),
        Value::Text(kind),
    ];
    if let Some(job) = tx.opt::<JobRow>(expired, &args).await? {
        return Ok(Some(Claimed {
            job,
            took_over: true,
        }));
    }
    let job = tx.opt::<JobRow>(due, &args).await?;
    Ok(job.map(|job| Claimed {
        job,
        took_over: false,
    }))
}

/// How far a running job has got.
#[derive(Debug, Clone, Copy)]
pub struct JobProgress<'a> {
    /// The phase (`checking`, `writing` …).
    pub phase: &'a str,
    /// Thousandths of it done.
    pub thousandths: i64,
}

/// The fence every write of a lease holder ends with.
const FENCE: &str = "id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'";

fn fence_args(lease: &Lease) -> [Value<'_>; 3] {
    [
        Value::Text(&lease.job_id),
        Value::Text(&lease.owner),
        Value::Int(lease.attempt),
    ]
}

/// Extends `lease` to `until` and, when given, records `progress`.
/// False when the lease is no longer held (taken over, or the job ended):
/// the worker must stop.
pub async fn heartbeat(
    tx: &mut Tx,
    lease: &Lease,
    progress: Option<JobProgress<'_>>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET lease_until = $4, updated_at = $5, phase = COALESCE($6, phase), \
         progress = COALESCE($7, progress) WHERE {FENCE}"
    ));
    let [a, b, c] = fence_args(lease);
    let args = [
        a,
        b,
        c,
        Value::Timestamp(until),
        Value::Timestamp(now),
        progress.map(|p| p.phase).into(),
        progress.map(|p| p.thousandths).into(),
    ];
    Ok(tx.exec(sql, &args).await? == 1)
}

/// How a job ends.
#[derive(Debug, Clone, Copy)]
pub enum Finish<'a> {
    /// Done, with the kind's result (JSON).
    Done {
        /// The result.
        result: &'a str,
    },
    /// Failed for `error` (shown to the user: no personal data).
    Failed {
        /// Why.
        error: &'a str,
    },
}

/// Ends the job of `lease` at `now`. False when the lease is no longer
/// held (another worker has the job): nothing is written.
pub async fn finish(
    tx: &mut Tx,
    lease: &Lease,
    how: Finish<'_>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (to, result, error) = match how {
        Finish::Done { result } => (state::DONE, Some(result), None),
        Finish::Failed { error } => (state::FAILED, None, Some(error)),
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = $4, result = $5, last_error = COALESCE($6, last_error), \
         lease_owner = NULL, lease_until = NULL, updated_at = $7, finished_at = $7 WHERE {FENCE}"
    ));
    let [a, b, c] = fence_args(lease);
    let args = [
        a,
        b,
        c,
        Value::Text(to),
        result.into(),
        error.into(),
        Value::Timestamp(now),
    ];
    Ok(tx.exec(sql, &args).await? == 1)
}

/// Puts the job of `lease` back in the queue, due at `due_at`, after an
/// attempt that failed for `error` but may succeed later. False when the
/// lease is no longer held.
pub async fn retry(
    tx: &mut Tx,
    lease: &Lease,
    error: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'queued', due_at = $4, last_error = $5, lease_owner = NULL, \
         lease_until = NULL, updated_at = $6 WHERE {FENCE}"
    ));
    let [a, b, c] = fence_args(lease);
    let args = [
        a,
        b,
        c,
        Value::Timestamp(due_at),
        Value::Text(error),
        Value::Timestamp(now),
    ];
    Ok(tx.exec(sql, &args).await? == 1)
}

/// Gives the job of `lease` back to the queue, due now, without counting
/// the attempt: its worker is shutting down and stopped it (whatever it
/// had begun rolled back), so it did not fail. The attempt number goes
/// back one, so only another owner can hold it again. False when the
/// lease is no longer held.
pub async fn release(tx: &mut Tx, lease: &Lease, now: DateTime<Utc>) -> Result<bool> {
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'queued', due_at = $4, attempts = attempts - 1, \
         lease_owner = NULL, lease_until = NULL, updated_at = $4 WHERE {FENCE}"
    ));
    let [a, b, c] = fence_args(lease);
    Ok(tx.exec(sql, &[a, b, c, Value::Timestamp(now)]).await? == 1)
}

/// Inside a transaction that commits a job's effect: true while `lease`
/// still holds the job, and the job's row then stays as it is until the
/// transaction ends (a claim taking it over waits for the commit and
/// then sees what was committed). False when the job was taken over:
/// the caller must roll back.
pub async fn hold(tx: &mut Tx, lease: &Lease) -> Result<bool> {
    // A write that changes nothing: it takes the row's lock on PostgreSQL
    // (SQLite's writer holds every row already).
    let sql = sqlx::AssertSqlSafe(format!("UPDATE jobs SET attempts = attempts WHERE {FENCE}"));
    Ok(tx.exec(sql, &fence_args(lease)).await? == 1)
}

tokio::task_local! {
    /// The lease of the job the current task runs, if any.
    static CURRENT: Lease;
}

/// Runs `work` as the job of `lease`: the change batches it starts name
/// the job and attempt (`batches::start`), and an import commits only
/// while the lease holds ([`hold`]). The job's work (an import) takes no
/// job parameter of its own, so the lease travels with the task.
pub async fn within<F: Future>(lease: Lease, work: F) -> F::Output {
    CURRENT.scope(lease, work).await
}

/// The lease of the job the current task runs ([`within`]), if any.
pub fn current_lease() -> Option<Lease> {
    CURRENT.try_with(Lease::clone).ok()
}
