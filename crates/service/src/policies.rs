//! Settlement parameter sets as use cases: the sets that concern the
//! actor's jurisdiction and one set's source, and adding one (checked,
//! inside the actor's jurisdiction, the stored claims it governs
//! re-settled, and the audit entry committed with the set).

use jianfu_domain::{Permission, Scope};
use jianfu_store::policies::{self, Adding, begin_add_policy, check_policy_source};
use jianfu_store::{AddPolicyError, AuditEntry, PolicyAdded, PolicyRow, StoreError, Tx, audit};
use thiserror::Error;

use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App, Denied, monitoring};

/// True when the set concerns `scope`: it lies inside, or the
/// jurisdiction lies inside its region (a province's set governs a
/// county's claims).
pub fn concerns(scope: &Scope, p: &PolicyRow) -> bool {
    scope.contains_str(&p.region_prefix)
        || p.region_prefix.starts_with(scope.prefix())
        || scope.prefix().starts_with(&p.region_prefix)
}

/// The stored sets that concern `actor`'s jurisdiction, oldest first.
pub async fn list(app: &App, actor: &Actor) -> UseCaseResult<Vec<PolicyRow>> {
    actor.require(Permission::ViewClaims)?;
    Ok(visible(&mut app.db.read().await?, actor).await?)
}

/// Set `id` and its TOML source, when it concerns `actor`'s jurisdiction.
pub async fn get(app: &App, actor: &Actor, id: i64) -> UseCaseResult<(PolicyRow, String)> {
    actor.require(Permission::ViewClaims)?;
    let mut tx = app.db.read().await?;
    let row = visible(&mut tx, actor)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(UseCaseError::NotFound)?;
    let source = policies::policy_source(&mut tx, id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    Ok((row, source))
}

async fn visible(tx: &mut Tx, actor: &Actor) -> Result<Vec<PolicyRow>, StoreError> {
    let mut rows = policies::policies(tx).await?;
    rows.retain(|p| concerns(&actor.scope, p));
    Ok(rows)
}

/// Why a parameter set was not added.
#[derive(Debug, Error)]
pub enum AddError {
    /// The actor may not manage policies.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The text is not a valid set (the message names the key).
    #[error("{0}")]
    Invalid(AddPolicyError),
    /// The set's region lies outside the actor's jurisdiction.
    #[error("政策参数的地区“{region}”不在您的管辖范围 {scope} 内")]
    OutsideJurisdiction {
        /// The set's region prefix.
        region: String,
        /// The actor's jurisdiction.
        scope: String,
    },
    /// The database failed; nothing was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The monitoring evaluation of the households whose claims were
    /// re-settled failed; nothing was stored.
    #[error("重新结算后的监测评估失败：{0}")]
    Monitoring(String),
}

impl From<AddPolicyError> for AddError {
    fn from(e: AddPolicyError) -> Self {
        match e {
            AddPolicyError::Store(e) => AddError::Store(e),
            other => AddError::Invalid(other),
        }
    }
}

/// Adds a parameter set for `actor`: the set, the re-settlement of the
/// claims it governs and the audit entry `policy.add` commit together.
/// The same text twice is stored once (the second call is audited too).
pub async fn add(app: &App, actor: &Actor, source: &str) -> Result<PolicyAdded, AddError> {
    actor.require(Permission::ManagePolicies)?;
    let policy = check_policy_source(source)?;
    if !actor.scope.contains_str(&policy.region) {
        return Err(AddError::OutsideJurisdiction {
            region: policy.region.clone(),
            scope: actor.scope.to_string(),
        });
    }
    let describe = |added: &PolicyAdded| {
        let mut entry = actor.entry("policy.add", &policy.region);
        entry.target_kind = Some("policy".into());
        entry.target_key = Some(added.id.to_string());
        entry.new_value = Some(format!(
            "{} {}–{}",
            policy.name, policy.valid_from, policy.valid_to
        ));
        entry.detail = Some(format!(
            "existed={} person_years={} claims_resettled={} adjustments={}",
            added.existed, added.person_years, added.claims_resettled, added.adjustments
        ));
        entry
    };
    match begin_add_policy(&app.db, source, &actor.username).await? {
        Adding::Existed(added) => {
            append_alone(app, &describe(&added)).await?;
            Ok(added)
        }
        Adding::Open(mut open) => {
            let entry = describe(open.added());
            // The households whose claims changed amounts are evaluated
            // again as of today, committing with the set.
            let touched = open.take_touched();
            match monitoring::evaluate_touched(open.tx(), touched, app.today(), app.now()).await {
                Ok(_) => {}
                Err(UseCaseError::Store(e)) => return Err(AddError::Store(e)),
                Err(e) => return Err(AddError::Monitoring(e.to_string())),
            }
            audit::append_at(open.tx(), &entry, app.now()).await?;
            Ok(open.commit(&app.db).await?)
        }
    }
}

/// An audit entry with no change to commit with.
async fn append_alone(app: &App, entry: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = app.db.begin().await?;
    audit::append_at(&mut tx, entry, app.now()).await?;
    tx.commit().await
}
