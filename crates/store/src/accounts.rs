//! User accounts, sessions, API tokens and login throttling records.
//!
//! Secrets are never stored: passwords as argon2 hashes (made by the
//! caller), session cookies and API tokens as their SHA-256. Every change
//! to an account appends its audit entry in the same transaction.

use chrono::{DateTime, Utc};
use jianfu_domain::Scope;
use serde::Serialize;

use crate::audit::{AuditEntry, INSERT_SQL, bind_entry};
use crate::{Db, Result, prefix_range};

/// A stored user.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Bound region: `national` or a 12-digit code.
    pub region: String,
    /// argon2 PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// Set by an administrator's reset: the user must choose a new one.
    pub must_change_password: bool,
    /// A disabled user cannot sign in; their sessions are gone.
    pub disabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last password change.
    pub password_changed_at: DateTime<Utc>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Bound region (`national` or a 12-digit code).
    pub region: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Whether the first sign-in must change the password.
    pub must_change_password: bool,
}

/// A live session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// SHA-256 of the cookie value, hex.
    pub token_hash: String,
    /// Its user.
    pub user_id: i64,
    /// The session's anti-forgery token.
    pub csrf_token: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expires.
    pub expires_at: DateTime<Utc>,
    /// Last request seen.
    pub last_seen_at: DateTime<Utc>,
}

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

const USER_COLS: &str = "id, username, display_name, role, region, password_hash, \
    must_change_password, disabled, created_at, password_changed_at";

impl Db {
    /// Creates a user and appends `audit`, in one transaction. Returns
    /// `None` when the name is taken.
    pub async fn add_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<Option<i64>> {
        let now = Utc::now();
        let sql = "INSERT INTO users (username, display_name, role, region, password_hash, \
            must_change_password, disabled, created_at, password_changed_at) \
            VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $7) RETURNING id";
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                let id: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(sql)
                    .bind(&user.username)
                    .bind(&user.display_name)
                    .bind(&user.role)
                    .bind(&user.region)
                    .bind(&user.password_hash)
                    .bind(user.must_change_password)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await;
                match id {
                    Err(sqlx::Error::Database(d)) if d.is_unique_violation() => return Ok(None),
                    Err(e) => return Err(e.into()),
                    Ok(id) => {
                        bind_entry!(sqlx::query(INSERT_SQL), audit, now)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok(Some(id))
                    }
                }
            }};
        }
        on_pool!(self, p => run!(p))
    }

    /// The user with this login name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1");
        Ok(
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(p).await?),
        )
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        Ok(
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?),
        )
    }

    /// Users bound inside `scope`, by name.
    pub async fn users_in(&self, scope: &Scope) -> Result<Vec<UserRow>> {
        let (lo, hi) = prefix_range(scope.prefix());
        let national = scope.bound_region().is_none();
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE (region >= $1 AND region < $2) \
             OR ($3 AND region = 'national') ORDER BY username"
        );
        Ok(on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&lo).bind(&hi).bind(national).fetch_all(p).await?))
    }

    /// Number of users (the demo and `serve` create a first administrator
    /// only on an empty table).
    pub async fn user_count(&self) -> Result<i64> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?),
        )
    }

    /// Disables or enables a user; disabling ends their sessions and API
    /// tokens. Appends `audit` in the same transaction.
    pub async fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<()> {
        let now = Utc::now();
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(disabled)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                bind_entry!(sqlx::query(INSERT_SQL), audit, now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }};
        }
        on_pool!(self, p => run!(p));
        Ok(())
    }

    /// Stores a new password hash and ends every session of the user (a
    /// changed password revokes what the old one opened). Appends `audit`
    /// in the same transaction.
    pub async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        audit: &AuditEntry,
    ) -> Result<()> {
        let now = Utc::now();
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                sqlx::query(
                    "UPDATE users SET password_hash = $1, must_change_password = $2, \
                     password_changed_at = $3 WHERE id = $4",
                )
                .bind(password_hash)
                .bind(must_change)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                bind_entry!(sqlx::query(INSERT_SQL), audit, now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }};
        }
        on_pool!(self, p => run!(p));
        Ok(())
    }

    /// Stores a new session.
    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        let sql = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, \
            last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, p => sqlx::query(sql)
            .bind(&s.token_hash).bind(s.user_id).bind(&s.csrf_token)
            .bind(s.created_at).bind(s.expires_at).bind(s.last_seen_at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The unexpired session with this hash and its enabled user.
    pub async fn session(
        &self,
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
        let found: Option<SessionUser> = on_pool!(self, p => sqlx::query_as(sql)
            .bind(token_hash).bind(now).fetch_optional(p).await?);
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
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
            .bind(now).bind(expires_at).bind(token_hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Ends one session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Removes sessions past their expiry.
    pub async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(
            on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now).execute(p).await?.rows_affected()),
        )
    }

    /// Stores a new API token of a user, appending `audit`.
    pub async fn create_api_token(
        &self,
        token_hash: &str,
        user_id: i64,
        label: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        let now = Utc::now();
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                sqlx::query(
                    "INSERT INTO api_tokens (token_hash, user_id, label, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(label)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                bind_entry!(sqlx::query(INSERT_SQL), audit, now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }};
        }
        on_pool!(self, p => run!(p));
        Ok(())
    }

    /// The enabled user of an unrevoked API token.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<UserRow>> {
        let id: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash).fetch_optional(p).await?);
        let Some(id) = id else { return Ok(None) };
        Ok(self.user_by_id(id).await?.filter(|u| !u.disabled))
    }

    /// Records a failed sign-in under `key` (user name, client address).
    pub async fn record_login_failure(&self, key: &str, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => sqlx::query("INSERT INTO login_failures (key, failed_at) VALUES ($1, $2)")
            .bind(key).bind(at).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Failed sign-ins under `key` since `since`.
    pub async fn login_failures_since(&self, key: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND failed_at >= $2")
            .bind(key).bind(since).fetch_one(p).await?))
    }

    /// Forgets the failures under `key` (after a successful sign-in).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The application key `name`: the one stored, or `fresh` stored now
    /// when there is none. Every server sharing the database gets the
    /// same key, whichever of them asked first.
    pub async fn app_key(&self, name: &str, fresh: &str) -> Result<String> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO app_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name).bind(fresh).execute(p).await.map(|_| ())?);
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT value FROM app_keys WHERE name = $1")
            .bind(name).fetch_one(p).await?),
        )
    }
}
