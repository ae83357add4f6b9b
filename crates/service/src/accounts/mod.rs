//! Accounts (用户): creating, disabling and resetting users, signing in
//! with throttling, sessions and API tokens.
//!
//! The rules live here so the web pages, the JSON API and the command line
//! apply the same ones: the password policy, who may manage whom (only
//! users bound inside the manager's own region), which region each role may
//! be bound to, and an audit entry for every change and every sign-in.
//! Every time (sessions, tokens, the throttling window, the entries) is the
//! [`App`]'s clock, so a test can move it past an expiry.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Duration;
use jianfu_domain::{AccessError, Permission, Role, Scope};
use jianfu_store::{AuditEntry, NewUser, SessionRow, StoreError, UserRow, accounts, audit};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// How long a session lives without a request.
pub const SESSION_IDLE: Duration = Duration::hours(8);

mod signin;
pub use signin::{
    FREE_FAILURES_PER_CLIENT, FREE_FAILURES_PER_USER_AT_CLIENT, LoginError, authenticate, unlock,
    wait_after,
};

use crate::App;
pub use crate::actor::Actor;

/// Why an account operation was refused.
#[derive(Debug, Error)]
pub enum AccountError {
    /// The password breaks the policy.
    #[error("密码不符合要求：{0}")]
    WeakPassword(&'static str),
    /// The user name has characters outside the allowed set.
    #[error("用户名须为3至32位字母、数字、下划线、点或连字符")]
    BadUsername,
    /// The name is taken.
    #[error("用户名“{0}”已存在")]
    UsernameTaken(String),
    /// No such user (or outside the actor's region).
    #[error("没有找到该用户，或该用户不在您的管辖范围内")]
    NoSuchUser,
    /// The actor may not manage users, or not this one.
    #[error("您没有管理该用户的权限")]
    Forbidden,
    /// Role and region do not fit.
    #[error(transparent)]
    RoleRegion(#[from] AccessError),
    /// The old password given for a change is wrong.
    #[error("原密码不正确")]
    WrongPassword,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the password policy: 10–128 characters, with letters and digits,
/// not containing the user name.
pub fn check_password(password: &str, username: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(AccountError::WeakPassword("至少10个字符"));
    }
    if n > 128 {
        return Err(AccountError::WeakPassword("不超过128个字符"));
    }
    let letters = password.chars().any(|c| c.is_ascii_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !letters || !digits {
        return Err(AccountError::WeakPassword("须同时包含字母和数字"));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(AccountError::WeakPassword("不能包含用户名"));
    }
    Ok(())
}

fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = (3..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadUsername)
    }
}

/// An argon2id hash of `password` in PHC form.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// True when `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random secret: 32 bytes as 64 hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The SHA-256 of a secret, as stored.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Bound region.
    pub scope: Scope,
    /// Initial password.
    pub password: String,
    /// Whether the first sign-in must change it.
    pub must_change_password: bool,
}

/// Creates a user bound inside the actor's region.
pub async fn add_user(app: &App, actor: &Actor, new: &NewAccount) -> Result<i64, AccountError> {
    if !actor.may(Permission::ManageUsers) || !actor.scope.covers(&new.scope) {
        return Err(AccountError::Forbidden);
    }
    check_username(&new.username)?;
    new.role.check_scope(&new.scope)?;
    check_password(&new.password, &new.username)?;
    let mut audit = actor.entry("user.add", new.scope.code());
    audit.target_kind = Some("user".into());
    audit.target_key = Some(new.username.clone());
    audit.new_value = Some(format!("{} {}", new.role.code(), new.scope.code()));
    let row = NewUser {
        username: new.username.clone(),
        display_name: new.display_name.trim().to_string(),
        role: new.role.code().to_string(),
        region: new.scope.code().to_string(),
        password_hash: hash_password(&new.password),
        must_change_password: new.must_change_password,
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // A taken name leaves the transaction to roll back as it drops.
    let id = accounts::add_user(&mut tx, &row, now)
        .await?
        .ok_or_else(|| AccountError::UsernameTaken(new.username.clone()))?;
    audit::append_at(&mut tx, &audit, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// The user named `username` when the actor may manage them.
pub async fn managed_user(
    app: &App,
    actor: &Actor,
    username: &str,
) -> Result<UserRow, AccountError> {
    if !actor.may(Permission::ManageUsers) {
        return Err(AccountError::Forbidden);
    }
    let user = accounts::user_by_name(&mut app.db.read().await?, username)
        .await?
        .ok_or(AccountError::NoSuchUser)?;
    let scope = Scope::parse(&user.region).ok_or(AccountError::NoSuchUser)?;
    if !actor.scope.covers(&scope) {
        return Err(AccountError::NoSuchUser);
    }
    Ok(user)
}

/// The users bound inside `actor`'s region, by user name.
pub async fn users(app: &App, actor: &Actor) -> Result<Vec<UserRow>, AccountError> {
    if !actor.may(Permission::ManageUsers) {
        return Err(AccountError::Forbidden);
    }
    Ok(accounts::users_in(&mut app.db.read().await?, &actor.scope).await?)
}

/// The user behind an API token (a bearer token), if it is live.
pub async fn token_user(app: &App, token: &str) -> Result<Option<UserRow>, StoreError> {
    accounts::api_token_user(&mut app.db.read().await?, &secret_hash(token.trim())).await
}

/// Disables (or enables again) a user; disabling ends their sessions and
/// revokes their API tokens.
pub async fn set_disabled(
    app: &App,
    actor: &Actor,
    username: &str,
    disabled: bool,
) -> Result<(), AccountError> {
    let user = managed_user(app, actor, username).await?;
    if actor.user_id == Some(user.id) {
        return Err(AccountError::Forbidden);
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let mut audit = actor.entry(action, &user.region);
    audit.target_kind = Some("user".into());
    audit.target_key = Some(user.username.clone());
    audit.old_value = Some(if user.disabled { "停用" } else { "启用" }.into());
    audit.new_value = Some(if disabled { "停用" } else { "启用" }.into());
    let now = app.now();
    let mut tx = app.db.begin().await?;
    accounts::set_user_disabled(&mut tx, user.id, disabled, now).await?;
    audit::append_at(&mut tx, &audit, now).await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator sets a new password; the user must change it at the
/// next sign-in and every session of theirs ends.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    username: &str,
    new_password: &str,
) -> Result<(), AccountError> {
    let user = managed_user(app, actor, username).await?;
    check_password(new_password, &user.username)?;
    let mut audit = actor.entry("user.reset_password", &user.region);
    audit.target_kind = Some("user".into());
    audit.target_key = Some(user.username.clone());
    set_password(app, user.id, &hash_password(new_password), true, &audit).await?;
    Ok(())
}

/// A user changes their own password; every session ends (the caller
/// opens a new one).
pub async fn change_own_password(
    app: &App,
    actor: &Actor,
    old: &str,
    new: &str,
) -> Result<(), AccountError> {
    let id = actor.user_id.ok_or(AccountError::NoSuchUser)?;
    let user = accounts::user_by_id(&mut app.db.read().await?, id)
        .await?
        .ok_or(AccountError::NoSuchUser)?;
    if !verify_password(old, &user.password_hash) {
        return Err(AccountError::WrongPassword);
    }
    check_password(new, &user.username)?;
    if old == new {
        return Err(AccountError::WeakPassword("新密码不能与原密码相同"));
    }
    let mut audit = actor.entry("user.change_password", &user.region);
    audit.target_kind = Some("user".into());
    audit.target_key = Some(user.username.clone());
    set_password(app, id, &hash_password(new), false, &audit).await?;
    Ok(())
}

/// Stores a password hash (ending the user's sessions) and its audit
/// entry, in one transaction.
async fn set_password(
    app: &App,
    id: i64,
    hash: &str,
    must_change: bool,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    accounts::set_password(&mut tx, id, hash, must_change, now).await?;
    audit::append_at(&mut tx, audit, now).await?;
    tx.commit().await
}

/// A new session: the cookie value to hand out (never stored) and the
/// stored row.
pub async fn open_session(app: &App, user: &UserRow) -> Result<(String, SessionRow), StoreError> {
    let token = new_secret();
    let now = app.now();
    let row = SessionRow {
        token_hash: secret_hash(&token),
        user_id: user.id,
        csrf_token: new_secret(),
        created_at: now,
        expires_at: now + SESSION_IDLE,
        last_seen_at: now,
    };
    accounts::create_session(&mut app.db.read().await?, &row).await?;
    Ok((token, row))
}

/// The session and user behind a cookie value, unless it expired by the
/// clock's now; sliding its expiry.
pub async fn resume_session(
    app: &App,
    token: &str,
) -> Result<Option<(SessionRow, UserRow)>, StoreError> {
    let now = app.now();
    let hash = secret_hash(token);
    let mut c = app.db.read().await?;
    let Some((s, u)) = accounts::session(&mut c, &hash, now).await? else {
        return Ok(None);
    };
    // Touch at most once a minute: a page of many requests writes once.
    if now - s.last_seen_at > Duration::minutes(1) {
        accounts::touch_session(&mut c, &hash, now, now + SESSION_IDLE).await?;
    }
    Ok(Some((s, u)))
}

/// Ends the session behind a cookie value, if there is one.
pub async fn end_session(app: &App, token: &str) -> Result<(), StoreError> {
    accounts::delete_session(&mut app.db.read().await?, &secret_hash(token)).await
}

/// Issues an API token for the actor's own account; the token is shown
/// once and only its hash is kept.
pub async fn issue_api_token(
    app: &App,
    actor: &Actor,
    label: &str,
) -> Result<String, AccountError> {
    let id = actor.user_id.ok_or(AccountError::NoSuchUser)?;
    let token = new_secret();
    let mut audit = actor.entry("api_token.issue", actor.scope.code());
    audit.target_kind = Some("user".into());
    audit.target_key = Some(actor.username.clone());
    audit.detail = Some(label.chars().take(64).collect());
    let now = app.now();
    let mut tx = app.db.begin().await?;
    accounts::create_api_token(&mut tx, &secret_hash(&token), id, label, now).await?;
    audit::append_at(&mut tx, &audit, now).await?;
    tx.commit().await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(check_password("short1", "u").is_err());
        assert!(check_password("onlyletterslong", "u").is_err());
        assert!(check_password("1234567890123", "u").is_err());
        assert!(check_password("zhangsan2024abc", "zhangsan").is_err());
        assert!(check_password("Jianfu-2026-ok", "zhangsan").is_ok());
    }

    #[test]
    fn hashes_verify_and_secrets_differ() {
        let h = hash_password("Jianfu-2026-ok");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Jianfu-2026-ok", &h));
        assert!(!verify_password("Jianfu-2026-no", &h));
        assert!(!verify_password("x", "not a hash"));
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
