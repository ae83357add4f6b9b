//! Sessions: stored by the SHA-256 of their cookie value.

use chrono::{DateTime, Utc};

use super::{SessionRow, UserRow};
use crate::Result;
use crate::sql::{Tx, Value};

/// A session with its user, as one row.
#[derive(sqlx::FromRow)]
struct SessionUser {
    #[sqlx(flatten)]
    user: UserRow,
    s_token_hash: String,
    s_csrf_token: String,
    s_created_at: DateTime<Utc>,
    s_expires_at: DateTime<Utc>,
    s_last_seen_at: DateTime<Utc>,
}

/// Stores a new session.
pub async fn create_session(tx: &mut Tx, s: &SessionRow) -> Result<()> {
    let sql = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, \
        last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)";
    let args = [
        Value::Text(&s.token_hash),
        Value::Int(s.user_id),
        Value::Text(&s.csrf_token),
        Value::Timestamp(s.created_at),
        Value::Timestamp(s.expires_at),
        Value::Timestamp(s.last_seen_at),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// The unexpired session with this hash and its enabled user.
pub async fn session(
    tx: &mut Tx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(SessionRow, UserRow)>> {
    // One statement: every request of a signed-in user runs it.
    let sql = "SELECT u.id, u.username, u.display_name, u.role, u.region, u.password_hash, \
         u.must_change_password, u.disabled, u.created_at, u.password_changed_at, \
         s.token_hash AS s_token_hash, s.csrf_token AS s_csrf_token, \
         s.created_at AS s_created_at, s.expires_at AS s_expires_at, \
         s.last_seen_at AS s_last_seen_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE";
    let found: Option<SessionUser> = tx
        .opt(sql, &[Value::Text(token_hash), Value::Timestamp(now)])
        .await?;
    Ok(found.map(|f| {
        let s = SessionRow {
            token_hash: f.s_token_hash,
            user_id: f.user.id,
            csrf_token: f.s_csrf_token,
            created_at: f.s_created_at,
            expires_at: f.s_expires_at,
            last_seen_at: f.s_last_seen_at,
        };
        (s, f.user)
    }))
}

/// Slides a session's expiry forward.
pub async fn touch_session(
    tx: &mut Tx,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3";
    let args = [
        Value::Timestamp(now),
        Value::Timestamp(expires_at),
        Value::Text(token_hash),
    ];
    tx.exec(sql, &args).await?;
    Ok(())
}

/// Ends one session.
pub async fn delete_session(tx: &mut Tx, token_hash: &str) -> Result<()> {
    let sql = "DELETE FROM sessions WHERE token_hash = $1";
    tx.exec(sql, &[Value::Text(token_hash)]).await?;
    Ok(())
}

/// Removes sessions past their expiry.
pub async fn purge_expired_sessions(tx: &mut Tx, now: DateTime<Utc>) -> Result<u64> {
    let sql = "DELETE FROM sessions WHERE expires_at <= $1";
    tx.exec(sql, &[Value::Timestamp(now)]).await
}
