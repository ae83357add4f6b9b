//! Change batches (`change_batches`): one per import, edit, policy or
//! upgrade, recorded when it starts and when it ends, and listed for the
//! import pages.
//!
//! An import's batch reads `committed` exactly when its rows are: the
//! status is written in the import's own transaction ([`commit_in`]). A
//! batch started by a job names the job and attempt, so a worker taking
//! the job over finds a committed batch (and does not import again) or
//! one left `running` by a dead attempt (and marks it `interrupted`).
//! Every batch names its owner, the process running it: one whose owner
//! is gone is marked `interrupted` at the next start ([`owner`]).

mod owner;

pub use owner::{AtWork, Owner, interrupt_orphans, process_name};

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use sqlx::AssertSqlSafe;

use crate::jobs::{self, Lease};
use crate::sql::{Tx, Value};
use crate::{Result, StoreError, prefix_range};

/// One import (change batch).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BatchRow {
    /// Batch id.
    pub id: i64,
    /// `persons`, `diagnoses` or `claims`.
    pub kind: String,
    /// File name as the user knows it.
    pub source_file: Option<String>,
    /// Who imported.
    pub user_name: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `committed`, `rejected` (`rolled_back` before jobs),
    /// `interrupted` (its process died before it committed).
    pub status: String,
    /// Data rows of the file.
    pub rows_total: i64,
    /// Rows written.
    pub rows_written: i64,
    /// Errors found.
    pub errors: i64,
}

/// Sort columns of [`import_batches`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSort {
    /// By start time.
    Started,
    /// By kind.
    Kind,
    /// By file name.
    File,
    /// By user.
    User,
    /// By rows in the file.
    Rows,
    /// By errors.
    Errors,
}

impl BatchSort {
    fn column(self) -> &'static str {
        match self {
            BatchSort::Started => "b.id",
            BatchSort::Kind => "b.kind",
            BatchSort::File => "b.source_file",
            BatchSort::User => "b.user_name",
            BatchSort::Rows => "b.rows_total",
            BatchSort::Errors => "b.errors",
        }
    }
}

/// Imports started by `user_name`, plus, when `admin_prefix` is given,
/// those of users whose bound region lies under it (`""` for the whole
/// country); with the total count.
pub async fn import_batches(
    tx: &mut Tx,
    user_name: &str,
    admin_prefix: Option<&str>,
    sort: BatchSort,
    desc: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<BatchRow>, i64)> {
    let (lo, hi) = prefix_range(admin_prefix.unwrap_or(""));
    let admin = admin_prefix.is_some();
    let cond = "(b.user_name = $1 OR ($2 AND EXISTS (SELECT 1 FROM users u \
                WHERE u.username = b.user_name AND u.region >= $3 AND u.region < $4)))";
    let dir = if desc { "DESC" } else { "ASC" };
    // Built from this function's fixed fragments only; values are bound.
    let list = format!(
        "SELECT b.id, b.kind, b.source_file, b.user_name, b.started_at, b.finished_at, \
         b.status, b.rows_total, b.rows_written, b.errors FROM change_batches b \
         WHERE {cond} ORDER BY {} {dir}, b.id DESC LIMIT $5 OFFSET $6",
        sort.column()
    );
    let count = format!("SELECT COUNT(*) FROM change_batches b WHERE {cond}");
    let args = [
        Value::Text(user_name),
        Value::Bool(admin),
        Value::Text(&lo),
        Value::Text(&hi),
        Value::Int(limit),
        Value::Int(offset),
    ];
    let rows: Vec<BatchRow> = tx.all(AssertSqlSafe(list), &args).await?;
    // The count binds the filter's four values, not the page's two.
    let total: i64 = tx.scalar(AssertSqlSafe(count), &args[..4]).await?;
    Ok((rows, total))
}

/// The latest `limit` change batches of every kind and user, newest
/// first (the command line's listing).
pub async fn recent(tx: &mut Tx, limit: i64) -> Result<Vec<BatchRow>> {
    let sql = "SELECT id, kind, source_file, user_name, started_at, finished_at, status, \
               rows_total, rows_written, errors FROM change_batches ORDER BY id DESC LIMIT $1";
    tx.all(sql, &[Value::Int(limit)]).await
}

/// What a change batch records when it starts.
#[derive(Debug, Clone, Copy)]
pub struct NewBatch<'a> {
    /// `persons`, `diagnoses`, `claims`, `policy`, `upgrade`.
    pub kind: &'a str,
    /// The file or set it comes from.
    pub source_file: &'a str,
    /// Who started it.
    pub user: &'a str,
    /// The job attempt running it, if any.
    pub job: Option<&'a Lease>,
    /// The process running it ([`Owner::stored`]).
    pub owner: &'a str,
}

/// Records the start of change batch `new` at `now`, status `running`;
/// returns its id. Imports record it outside their own transaction, so a
/// rejected import keeps its batch.
pub async fn start(tx: &mut Tx, new: &NewBatch<'_>, now: DateTime<Utc>) -> Result<i64> {
    let mut args = vec![
        Value::Text(new.kind),
        Value::Text(new.source_file),
        Value::Text(new.user),
        Value::Timestamp(now),
        Value::Text(new.owner),
    ];
    // Outside a job the statement leaves the job's columns out.
    let sql = match new.job {
        None => {
            "INSERT INTO change_batches (kind, source_file, user_name, started_at, status, \
             rows_total, rows_written, errors, owner) \
             VALUES ($1, $2, $3, $4, 'running', 0, 0, 0, $5) RETURNING id"
        }
        Some(j) => {
            args.extend([Value::Text(&j.job_id), Value::Int(j.attempt)]);
            "INSERT INTO change_batches (kind, source_file, user_name, started_at, status, \
             rows_total, rows_written, errors, owner, job_id, job_attempt) \
             VALUES ($1, $2, $3, $4, 'running', 0, 0, 0, $5, $6, $7) RETURNING id"
        }
    };
    tx.scalar(sql, &args).await
}

/// Rows of a batch: in the file, written, errors.
pub type Counts = (u64, u64, u64);

/// Records how batch `id` ended (`rejected`, after its transaction rolled
/// back) and its counts, unless it ended already (a worker taking over
/// its job marked it `interrupted`).
pub async fn finish(
    tx: &mut Tx,
    id: i64,
    status: &str,
    (rows_total, written, errors): Counts,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE change_batches SET status = $1, finished_at = $2, rows_total = $3, \
               rows_written = $4, errors = $5 WHERE id = $6 AND status = 'running'";
    let args = [
        Value::Text(status),
        Value::Timestamp(now),
        Value::Int(rows_total as i64),
        Value::Int(written as i64),
        Value::Int(errors as i64),
        Value::Int(id),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// Marks batch `id` `committed` with its counts, inside the import's own
/// transaction just before its commit: the batch reads committed exactly
/// when its rows are. A batch run as a job attempt also records the
/// counties it wrote to (a worker taking the job over refreshes their
/// dashboards), and that attempt must still hold its job
/// ([`jobs::hold`]). Either way the batch must still be `running` (not
/// marked `interrupted` by a worker that took its job over). Otherwise
/// [`StoreError::Superseded`], and the caller rolls back: a job never
/// commits twice.
pub async fn commit_in(
    tx: &mut Tx,
    id: i64,
    job: Option<&Lease>,
    (rows_total, written, errors): Counts,
    counties: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let counties = counties
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(",");
    let mut args = vec![
        Value::Int(id),
        Value::Timestamp(now),
        Value::Int(rows_total as i64),
        Value::Int(written as i64),
        Value::Int(errors as i64),
    ];
    let sql = match job {
        None => {
            "UPDATE change_batches SET status = 'committed', finished_at = $2, \
             rows_total = $3, rows_written = $4, errors = $5 WHERE id = $1 AND status = 'running'"
        }
        Some(_) => {
            args.push(Value::Text(&counties));
            "UPDATE change_batches SET status = 'committed', finished_at = $2, \
             rows_total = $3, rows_written = $4, errors = $5, counties = $6 \
             WHERE id = $1 AND status = 'running'"
        }
    };
    if tx.exec(sql, &args).await? != 1 {
        return Err(StoreError::Superseded);
    }
    // Last, right before the commit: on PostgreSQL it locks the job's row
    // until then.
    if let Some(lease) = job
        && !jobs::hold(tx, lease).await?
    {
        return Err(StoreError::Superseded);
    }
    Ok(())
}

/// A change batch started by a job.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobBatch {
    /// Batch id.
    pub id: i64,
    /// `persons`, `diagnoses` or `claims`.
    pub kind: String,
    /// `running`, `committed`, `rejected` or `interrupted`.
    pub status: String,
    /// The attempt that started it.
    pub job_attempt: Option<i64>,
    /// Data rows of the file.
    pub rows_total: i64,
    /// Rows written.
    pub rows_written: i64,
    /// Errors found.
    pub errors: i64,
    /// Counties written to, comma-separated (committed batches).
    pub counties: Option<String>,
}

/// The change batches the attempts of job `job_id` started, oldest first.
pub async fn of_job(tx: &mut Tx, job_id: &str) -> Result<Vec<JobBatch>> {
    let sql = "SELECT id, kind, status, job_attempt, rows_total, rows_written, errors, counties \
               FROM change_batches WHERE job_id = $1 ORDER BY id";
    tx.all(sql, &[Value::Text(job_id)]).await
}

/// Marks the batches of job `job_id` still `running` as `interrupted` at
/// `now`: their attempt died uncommitted (its transaction rolled back with
/// its process), and an import of theirs still alive can no longer commit
/// ([`commit_in`]). Returns how many.
pub async fn interrupt_running(tx: &mut Tx, job_id: &str, now: DateTime<Utc>) -> Result<u64> {
    let sql = "UPDATE change_batches SET status = 'interrupted', finished_at = $1 \
               WHERE job_id = $2 AND status = 'running'";
    tx.exec(sql, &[Value::Timestamp(now), Value::Text(job_id)])
        .await
}
