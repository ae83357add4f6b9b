//! Failed sign-ins, counted per key (a user name at a client address, a
//! client address) so the use case can slow an attacker down.

use chrono::{DateTime, Utc};

use crate::Result;
use crate::sql::{Tx, Value};

/// Records a failed sign-in under `key` at `at`.
pub async fn record_login_failure(tx: &mut Tx, key: &str, at: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO login_failures (key, failed_at) VALUES ($1, $2)";
    tx.exec(sql, &[Value::Text(key), Value::Timestamp(at)])
        .await?;
    Ok(())
}

/// Failed sign-ins under `key` since `since`.
pub async fn login_failures_since(tx: &mut Tx, key: &str, since: DateTime<Utc>) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND failed_at >= $2";
    tx.scalar(sql, &[Value::Text(key), Value::Timestamp(since)])
        .await
}

/// The time of the latest failed sign-in under `key`, if any.
pub async fn last_login_failure(tx: &mut Tx, key: &str) -> Result<Option<DateTime<Utc>>> {
    let sql = "SELECT failed_at FROM login_failures WHERE key = $1 \
               ORDER BY failed_at DESC LIMIT 1";
    tx.scalar_opt(sql, &[Value::Text(key)]).await
}

/// Forgets the failures under `key` (after a successful sign-in).
pub async fn clear_login_failures(tx: &mut Tx, key: &str) -> Result<()> {
    let sql = "DELETE FROM login_failures WHERE key = $1";
    tx.exec(sql, &[Value::Text(key)]).await?;
    Ok(())
}

/// Forgets the failures under every key starting with `prefix` (an
/// administrator's unlock of a user at every address); how many went.
pub async fn clear_login_failures_from(tx: &mut Tx, prefix: &str) -> Result<u64> {
    // Escape LIKE's wildcards: user names may contain `_`.
    let pattern: String = prefix
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .chain(['%'])
        .collect();
    let sql = "DELETE FROM login_failures WHERE key LIKE $1 ESCAPE '\\'";
    tx.exec(sql, &[Value::Text(&pattern)]).await
}

/// Forgets failures older than `before` (they no longer count).
pub async fn purge_login_failures(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64> {
    let sql = "DELETE FROM login_failures WHERE failed_at < $1";
    tx.exec(sql, &[Value::Timestamp(before)]).await
}
