//! Failed sign-ins, counted per key (user name, client address) so the
//! use case can throttle them.

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

/// Forgets the failures under `key` (after a successful sign-in).
pub async fn clear_login_failures(tx: &mut Tx, key: &str) -> Result<()> {
    let sql = "DELETE FROM login_failures WHERE key = $1";
    tx.exec(sql, &[Value::Text(key)]).await?;
    Ok(())
}
