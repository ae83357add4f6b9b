//! Users: creating them, finding them, disabling them, their passwords.

use chrono::{DateTime, Utc};
use jianfu_domain::Scope;
use sqlx::AssertSqlSafe;

use super::{NewUser, USER_COLS, UserRow};
use crate::sql::{Tx, Value};
use crate::{Result, StoreError, prefix_range};

/// Creates a user at `now`. Returns `None` when the name is taken (the
/// transaction may then be unusable: drop it).
pub async fn add_user(tx: &mut Tx, user: &NewUser, now: DateTime<Utc>) -> Result<Option<i64>> {
    let sql = "INSERT INTO users (username, display_name, role, region, password_hash, \
        must_change_password, disabled, created_at, password_changed_at) \
        VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $7) RETURNING id";
    let id = tx
        .scalar(
            sql,
            &[
                Value::Text(&user.username),
                Value::Text(&user.display_name),
                Value::Text(&user.role),
                Value::Text(&user.region),
                Value::Text(&user.password_hash),
                Value::Bool(user.must_change_password),
                Value::Timestamp(now),
            ],
        )
        .await;
    match id {
        Err(StoreError::Sqlx(sqlx::Error::Database(d))) if d.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
        Ok(id) => Ok(Some(id)),
    }
}

/// The user with this login name.
pub async fn user_by_name(tx: &mut Tx, username: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1");
    tx.opt(AssertSqlSafe(sql), &[Value::Text(username)]).await
}

/// The user with this id.
pub async fn user_by_id(tx: &mut Tx, id: i64) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    tx.opt(AssertSqlSafe(sql), &[Value::Int(id)]).await
}

/// Users bound inside `scope`, by name.
pub async fn users_in(tx: &mut Tx, scope: &Scope) -> Result<Vec<UserRow>> {
    let (lo, hi) = prefix_range(scope.prefix());
    let national = scope.bound_region().is_none();
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE (region >= $1 AND region < $2) \
         OR ($3 AND region = 'national') ORDER BY username"
    );
    let args = [Value::Text(&lo), Value::Text(&hi), Value::Bool(national)];
    tx.all(AssertSqlSafe(sql), &args).await
}

/// Number of users (the demo and `serve` create a first administrator
/// only on an empty table).
pub async fn user_count(tx: &mut Tx) -> Result<i64> {
    tx.scalar("SELECT COUNT(*) FROM users", &[]).await
}

/// Disables or enables a user; disabling ends their sessions and revokes
/// their API tokens (at `now`).
pub async fn set_user_disabled(
    tx: &mut Tx,
    id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE users SET disabled = $1 WHERE id = $2";
    tx.exec(sql, &[Value::Bool(disabled), Value::Int(id)])
        .await?;
    if disabled {
        tx.exec("DELETE FROM sessions WHERE user_id = $1", &[Value::Int(id)])
            .await?;
        super::revoke_api_tokens(tx, id, now).await?;
    }
    Ok(())
}

/// Stores a new password hash (changed at `now`), ends every session of
/// the user and revokes their API tokens: a changed password (an
/// administrator's reset above all) revokes what the old one opened.
pub async fn set_password(
    tx: &mut Tx,
    id: i64,
    password_hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE users SET password_hash = $1, must_change_password = $2, \
               password_changed_at = $3 WHERE id = $4";
    let args = [
        Value::Text(password_hash),
        Value::Bool(must_change),
        Value::Timestamp(now),
        Value::Int(id),
    ];
    tx.exec(sql, &args).await?;
    tx.exec("DELETE FROM sessions WHERE user_id = $1", &[Value::Int(id)])
        .await?;
    super::revoke_api_tokens(tx, id, now).await?;
    Ok(())
}
