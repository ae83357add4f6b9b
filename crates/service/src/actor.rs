//! Who acts: every use case that reads people data or changes anything
//! takes an [`Actor`], checks its permission with [`Actor::require`] and
//! writes its audit entry, made by [`Actor::entry`], in the transaction of
//! its change. The web builds the actor from the signed-in user; the
//! command line acts as the named system actor `命令行`, or as a stored
//! user with `--as USER` (then that user's role and jurisdiction apply).

use jianfu_domain::{Permission, Role, Scope};
use jianfu_store::{AuditEntry, UserRow};
use thiserror::Error;

/// Name under which the command line acts unless told `--as USER`.
pub const COMMAND_LINE: &str = "命令行";

/// Who is acting: a signed-in user, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user's id; `None` for the command line.
    pub user_id: Option<i64>,
    /// User name (or `命令行`).
    pub username: String,
    /// Role; the command line acts as a national administrator.
    pub role: Role,
    /// Jurisdiction.
    pub scope: Scope,
    /// Client address, when over the network.
    pub client_ip: Option<String>,
}

/// A use case refused for want of a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("您没有“{}”的权限", .0.label())]
pub struct Denied(pub Permission);

impl Actor {
    /// The command line, run by whoever may run the binary on the server.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            username: COMMAND_LINE.into(),
            role: Role::NationalAdmin,
            scope: Scope::NATIONAL,
            client_ip: None,
        }
    }

    /// The actor of a stored user (`None` when the stored role or region
    /// does not parse).
    pub fn of(user: &UserRow, client_ip: Option<String>) -> Option<Actor> {
        Some(Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
            role: Role::from_code(&user.role)?,
            scope: Scope::parse(&user.region)?,
            client_ip,
        })
    }

    /// An audit entry of this actor doing `action` in `region`.
    pub fn entry(&self, action: &str, region: &str) -> AuditEntry {
        AuditEntry {
            user_id: self.user_id,
            username: self.username.clone(),
            role: Some(self.role.code().to_string()),
            action: action.to_string(),
            region: region.to_string(),
            client_ip: self.client_ip.clone(),
            ..AuditEntry::default()
        }
    }

    /// True when this actor's role has `p`.
    pub fn may(&self, p: Permission) -> bool {
        self.role.may(p)
    }

    /// `Ok` when this actor's role has `p`.
    pub fn require(&self, p: Permission) -> Result<(), Denied> {
        if self.may(p) { Ok(()) } else { Err(Denied(p)) }
    }

    /// The region code audit entries of this actor name when a use case
    /// concerns the whole jurisdiction.
    pub fn region(&self) -> String {
        self.scope.to_string()
    }
}
