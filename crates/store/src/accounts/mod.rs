//! User accounts, sessions, API tokens, login throttling records and the
//! application keys.
//!
//! Secrets are never stored: passwords as argon2 hashes (made by the
//! caller), session cookies and API tokens as their SHA-256. A change to
//! an account is one function here; the use case appends its audit entry
//! ([`crate::audit::append_at`]) in the same [`crate::Tx`].

mod keys;
mod sessions;
mod throttle;
mod tokens;
mod users;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use keys::app_key;
pub use sessions::{
    create_session, delete_session, purge_expired_sessions, session, touch_session,
};
pub use throttle::{
    clear_login_failures, clear_login_failures_from, last_login_failure, login_failures_since,
    purge_login_failures, record_login_failure,
};
pub use tokens::revoke_api_tokens;
pub use tokens::{api_token_user, create_api_token};
pub use users::{
    add_user, set_password, set_user_disabled, user_by_id, user_by_name, user_count, users_in,
};

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

/// The columns of a [`UserRow`].
const USER_COLS: &str = "id, username, display_name, role, region, password_hash, \
    must_change_password, disabled, created_at, password_changed_at";
