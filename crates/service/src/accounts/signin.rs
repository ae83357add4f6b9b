//! Signing in, and slowing down whoever guesses passwords without locking
//! the owner out.
//!
//! Failures are counted per user name *at one client address* and per
//! address. Past a few free failures each further attempt from there must
//! wait twice as long as the last (one minute, two, four… up to a cap)
//! after the latest failure. So a script guessing one account from one
//! machine is slowed to a handful of tries an hour while the owner, from
//! their own computer, signs in as usual; a script spraying many names
//! from one address is slowed too, more gently, since an office shares its
//! address. An administrator's unlock forgets a user's failures at every
//! address. Every attempt lands in the audit log.

use chrono::{DateTime, Duration, Utc};
use jianfu_store::{AuditEntry, StoreError, UserRow, accounts, audit};
use thiserror::Error;

use super::{AccountError, Actor, hash_password, managed_user, verify_password};
use crate::App;

/// Failures of one user name from one address that cost nothing.
pub const FREE_FAILURES_PER_USER_AT_CLIENT: i64 = 5;
/// How long a user name's failures at an address are remembered.
const USER_WINDOW: Duration = Duration::hours(24);
/// The longest wait for one user name at one address.
const USER_CAP: Duration = Duration::minutes(60);
/// Failures from one address (whatever the names) that cost nothing.
pub const FREE_FAILURES_PER_CLIENT: i64 = 30;
/// How long an address's failures are remembered.
const CLIENT_WINDOW: Duration = Duration::hours(1);
/// The longest wait for an address.
const CLIENT_CAP: Duration = Duration::minutes(15);

/// Why a sign-in failed. The messages never say whether the name exists.
#[derive(Debug, Error)]
pub enum LoginError {
    /// Wrong name or password, or a disabled user.
    #[error("用户名或密码错误")]
    Invalid,
    /// Too many failures from here recently: try again after `minutes`.
    #[error("登录失败次数过多，请{minutes}分钟后再试")]
    Throttled {
        /// Whole minutes to wait (at least one).
        minutes: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The wait imposed after `failures` recent failures: nothing within
/// `free`, then one minute doubling with each further failure, at most
/// `cap`.
pub fn wait_after(failures: i64, free: i64, cap: Duration) -> Duration {
    if failures < free {
        return Duration::zero();
    }
    let doublings = (failures - free).min(20) as i32;
    (Duration::minutes(1) * 2i32.pow(doublings as u32)).min(cap)
}

/// The throttling keys of a sign-in.
struct Keys {
    user: String,
    client: String,
}

impl Keys {
    fn new(username: &str, client_ip: &str) -> Keys {
        Keys {
            user: format!("{}{client_ip}", user_prefix(username)),
            client: format!("ip:{client_ip}"),
        }
    }
}

/// The key prefix of a user name's failures at every address.
fn user_prefix(username: &str) -> String {
    format!("user:{}@", username.to_lowercase())
}

/// How long this attempt must still wait under one key, if at all.
async fn remaining(
    c: &mut jianfu_store::Tx,
    key: &str,
    now: DateTime<Utc>,
    (window, free, cap): (Duration, i64, Duration),
) -> Result<Option<Duration>, StoreError> {
    let failures = accounts::login_failures_since(c, key, now - window).await?;
    let wait = wait_after(failures, free, cap);
    if wait.is_zero() {
        return Ok(None);
    }
    let last = accounts::last_login_failure(c, key).await?.unwrap_or(now);
    let left = last + wait - now;
    Ok((left > Duration::zero()).then_some(left))
}

/// The wait still due from this name at this address, if any.
async fn throttled(app: &App, keys: &Keys) -> Result<Option<Duration>, StoreError> {
    let now = app.now();
    let mut c = app.db.read().await?;
    let user = (USER_WINDOW, FREE_FAILURES_PER_USER_AT_CLIENT, USER_CAP);
    let client = (CLIENT_WINDOW, FREE_FAILURES_PER_CLIENT, CLIENT_CAP);
    let a = remaining(&mut c, &keys.user, now, user).await?;
    let b = remaining(&mut c, &keys.client, now, client).await?;
    Ok(a.max(b))
}

/// A stored hash to verify against when the name is unknown, so a wrong
/// name costs as much time as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-password-0"))
}

/// Checks a sign-in from `client_ip`, refusing it while that address owes
/// a wait for this name (or for itself), whether the password is right or
/// not.
pub async fn authenticate(
    app: &App,
    username: &str,
    password: &str,
    client_ip: &str,
) -> Result<UserRow, LoginError> {
    let keys = Keys::new(username, client_ip);
    if let Some(left) = throttled(app, &keys).await? {
        audit_login(app, None, username, client_ip, "login.throttled").await?;
        let minutes = (left.num_seconds() + 59) / 60;
        return Err(LoginError::Throttled {
            minutes: minutes.max(1),
        });
    }
    // The connection is not held while the password is checked (tens of
    // milliseconds of argon2).
    let user = accounts::user_by_name(&mut app.db.read().await?, username).await?;
    let hash = user
        .as_ref()
        .map_or(dummy_hash(), |u| u.password_hash.as_str());
    let password_ok = verify_password(password, hash);
    match user {
        Some(u) if password_ok && !u.disabled => {
            signed_in(app, &keys).await?;
            audit_login(app, Some(&u), username, client_ip, "login").await?;
            Ok(u)
        }
        u => {
            let now = app.now();
            let mut c = app.db.read().await?;
            accounts::record_login_failure(&mut c, &keys.user, now).await?;
            accounts::record_login_failure(&mut c, &keys.client, now).await?;
            drop(c);
            audit_login(app, u.as_ref(), username, client_ip, "login.failed").await?;
            Err(LoginError::Invalid)
        }
    }
}

/// After a success: this name's failures here are forgotten, and so is
/// every failure too old to count anywhere.
async fn signed_in(app: &App, keys: &Keys) -> Result<(), StoreError> {
    let mut c = app.db.read().await?;
    accounts::clear_login_failures(&mut c, &keys.user).await?;
    let oldest = USER_WINDOW.max(CLIENT_WINDOW);
    accounts::purge_login_failures(&mut c, app.now() - oldest).await?;
    Ok(())
}

async fn audit_login(
    app: &App,
    user: Option<&UserRow>,
    username: &str,
    client_ip: &str,
    action: &str,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        user_id: user.map(|u| u.id),
        username: username.chars().take(64).collect(),
        role: user.map(|u| u.role.clone()),
        action: action.into(),
        region: user.map_or("national".into(), |u| u.region.clone()),
        client_ip: Some(client_ip.into()),
        ..AuditEntry::default()
    };
    audit::append_at(&mut app.db.read().await?, &entry, app.now()).await
}

/// An administrator forgets a user's failed sign-ins at every address, so
/// the owner need not wait; how many failures went. The audit entry
/// commits with the change.
pub async fn unlock(app: &App, actor: &Actor, username: &str) -> Result<u64, AccountError> {
    let user = managed_user(app, actor, username).await?;
    let mut entry = actor.entry("user.unlock", &user.region);
    entry.target_kind = Some("user".into());
    entry.target_key = Some(user.username.clone());
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let n = accounts::clear_login_failures_from(&mut tx, &user_prefix(&user.username)).await?;
    entry.detail = Some(format!("清除登录失败记录 {n} 条"));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures_up_to_the_cap() {
        let cap = Duration::minutes(60);
        assert_eq!(wait_after(4, 5, cap), Duration::zero());
        assert_eq!(wait_after(5, 5, cap), Duration::minutes(1));
        assert_eq!(wait_after(6, 5, cap), Duration::minutes(2));
        assert_eq!(wait_after(8, 5, cap), Duration::minutes(8));
        assert_eq!(wait_after(12, 5, cap), cap);
        assert_eq!(wait_after(10_000, 5, cap), cap);
    }
}
