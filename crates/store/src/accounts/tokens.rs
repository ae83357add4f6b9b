//! API tokens: stored by their SHA-256, revoked rather than deleted.

use chrono::{DateTime, Utc};

use super::{UserRow, user_by_id};
use crate::Result;
use crate::sql::{Tx, Value};

/// Stores a new API token of a user, issued at `now`.
pub async fn create_api_token(
    tx: &mut Tx,
    token_hash: &str,
    user_id: i64,
    label: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO api_tokens (token_hash, user_id, label, created_at) \
               VALUES ($1, $2, $3, $4)";
    let args = [
        Value::Text(token_hash),
        Value::Int(user_id),
        Value::Text(label),
        Value::Timestamp(now),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// The enabled user of an unrevoked API token.
pub async fn api_token_user(tx: &mut Tx, token_hash: &str) -> Result<Option<UserRow>> {
    let sql = "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
    let id: Option<i64> = tx.scalar_opt(sql, &[Value::Text(token_hash)]).await?;
    let Some(id) = id else { return Ok(None) };
    Ok(user_by_id(tx, id).await?.filter(|u| !u.disabled))
}

/// Revokes every live API token of a user at `now` (disabling, a new
/// password): a token must not outlive the credentials that issued it.
pub async fn revoke_api_tokens(tx: &mut Tx, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
    let sql = "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";
    tx.exec(sql, &[Value::Timestamp(now), Value::Int(user_id)])
        .await
}
