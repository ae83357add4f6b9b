//! Change batches (`change_batches`): one per import, edit, policy or
//! upgrade, recorded when it starts and when it ends, and listed for the
//! import pages.

use chrono::{DateTime, Utc};
use serde::Serialize;

use sqlx::AssertSqlSafe;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

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
    /// `committed`, `rolled_back` …
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

/// Records the start of a change batch of `kind` (`persons`,
/// `diagnoses`, `claims`, `policy`, `upgrade`) from `source_file` by
/// `user` at `now`, status `running`; returns its id. Imports record it
/// outside their own transaction, so a rejected import keeps its batch.
pub async fn start(
    tx: &mut Tx,
    kind: &str,
    source_file: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let sql = "INSERT INTO change_batches \
               (kind, source_file, user_name, started_at, status, rows_total, rows_written, errors) \
               VALUES ($1, $2, $3, $4, 'running', 0, 0, 0) RETURNING id";
    let args = [
        Value::Text(kind),
        Value::Text(source_file),
        Value::Text(user),
        Value::Timestamp(now),
    ];
    tx.scalar(sql, &args).await
}

/// Records how batch `id` ended (`committed`, `rejected`) and its counts.
pub async fn finish(
    tx: &mut Tx,
    id: i64,
    status: &str,
    rows_total: u64,
    written: u64,
    errors: u64,
) -> Result<()> {
    let sql = "UPDATE change_batches SET status = $1, finished_at = $2, rows_total = $3, \
               rows_written = $4, errors = $5 WHERE id = $6";
    let args = [
        Value::Text(status),
        Value::Timestamp(Utc::now()),
        Value::Int(rows_total as i64),
        Value::Int(written as i64),
        Value::Int(errors as i64),
        Value::Int(id),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}
