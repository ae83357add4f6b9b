//! Monitoring parameter sets as use cases: the sets that concern the
//! actor's jurisdiction, and adding one (checked strictly, inside the
//! actor's jurisdiction, stored with its audit entry in one commit).
//! A new set takes effect at the next `run`: stored alerts are
//! re-evaluated then, not when the set is added.

use jianfu_domain::{Permission, Scope};
use jianfu_monitoring::ParamsError;
use jianfu_store::monitoring::{self as store, ParamsAdded, ParamsRow};
use jianfu_store::{StoreError, audit};
use thiserror::Error;

use crate::error::UseCaseResult;
use crate::{Actor, App, Denied};

/// True when the set concerns `scope`: it lies inside, or the
/// jurisdiction lies inside its region.
pub fn concerns(scope: &Scope, p: &ParamsRow) -> bool {
    scope.contains_str(&p.region_prefix) || scope.prefix().starts_with(&p.region_prefix)
}

/// The stored sets that concern `actor`'s jurisdiction, in the order
/// they were added.
pub async fn list(app: &App, actor: &Actor) -> UseCaseResult<Vec<ParamsRow>> {
    actor.require(Permission::ViewMonitoring)?;
    let mut rows = store::params_list(&mut app.db.read().await?).await?;
    rows.retain(|p| concerns(&actor.scope, p));
    Ok(rows)
}

/// Why a parameter set was not added.
#[derive(Debug, Error)]
pub enum AddError {
    /// The actor may not manage monitoring parameters.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The text is not a valid set (the message names the key or line).
    #[error("{0}")]
    Invalid(#[from] ParamsError),
    /// The set's region lies outside the actor's jurisdiction.
    #[error("监测参数的地区“{region}”不在您的管辖范围 {scope} 内")]
    OutsideJurisdiction {
        /// The set's region prefix.
        region: String,
        /// The actor's jurisdiction.
        scope: String,
    },
    /// The database failed; nothing was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a parameter set for `actor`, with its audit entry
/// (`monitoring.params.add`). The same text twice is stored once.
pub async fn add(app: &App, actor: &Actor, source: &str) -> Result<ParamsAdded, AddError> {
    actor.require(Permission::ManageMonitoringParams)?;
    let params = store::check_params_source(source)?;
    if !actor.scope.contains_str(&params.region) {
        return Err(AddError::OutsideJurisdiction {
            region: params.region.clone(),
            scope: actor.scope.to_string(),
        });
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let added = store::add_params(&mut tx, &params, source, &actor.username, now).await?;
    let mut entry = actor.entry("monitoring.params.add", &params.region);
    entry.target_kind = Some("monitoring_params".into());
    entry.target_key = Some(added.id.to_string());
    entry.new_value = Some(format!(
        "{} {}–{}",
        params.name,
        params.valid_from,
        params.valid_to.map(|d| d.to_string()).unwrap_or_default()
    ));
    entry.detail = Some(format!("existed={}", added.existed));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(added)
}
