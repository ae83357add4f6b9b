//! Adding a parameter set: stored with, in the same transaction, the
//! re-settlement of every stored person-year it now governs.

use super::{AddPolicyError, PolicySet, StoredPolicy, check_policy_source, insert_policy};
use super::{policy_set, policy_with_source};
use crate::Db;
use crate::claims::{Reason, add_settle_stats, governed_years, lock_settlement, resettle};
use crate::registry::RegistryImport;
use crate::rollups::refresh_rollups_under;

/// What adding a policy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAdded {
    /// Id of the stored set.
    pub id: i64,
    /// True when the same text was stored already (nothing was done).
    pub existed: bool,
    /// Stored claims whose amounts changed.
    pub claims_resettled: u64,
    /// Adjustments recorded (reason `policy_change`).
    pub adjustments: u64,
    /// Person-years re-settled.
    pub person_years: u64,
}

/// Stores a parameter set (TOML text) and, in the same transaction,
/// re-settles every stored person-year with a claim it now governs (its
/// region and validity), recording the changed amounts as adjustments
/// with reason `policy_change`; then rebuilds the claim rollups under its
/// region. The same text twice is stored once. It runs its own
/// transactions: the change batch is recorded outside the one that
/// stores, and each county's rollups are rebuilt in one of their own.
pub async fn add_policy(db: &Db, source: &str, user: &str) -> Result<PolicyAdded, AddPolicyError> {
    let policy = check_policy_source(source)?;
    if let Some(id) = policy_with_source(&mut db.read().await?, source).await? {
        return Ok(PolicyAdded {
            id,
            existed: true,
            claims_resettled: 0,
            adjustments: 0,
            person_years: 0,
        });
    }
    let mut imp = RegistryImport::begin(db, "policy", &policy.name, user).await?;
    lock_settlement(imp.tx()).await?;
    // Read after the lock, on a connection of its own.
    let mut policies = policy_set(&mut db.read().await?).await?;
    let batch = imp.batch_id();
    let (id, loaded_at) = insert_policy(imp.tx(), &policy, source, user).await?;
    let (from, to) = (policy.valid_from, policy.valid_to);
    let region = policy.region.clone();
    let mut entries = policies.entries().to_vec();
    entries.push(StoredPolicy {
        id,
        loaded_at,
        policy,
    });
    policies = PolicySet::new(entries);
    let years = governed_years(imp.tx(), &region, from, to).await?;
    let s = resettle(imp.tx(), policies, batch, &years, Reason::PolicyChange).await?;
    add_settle_stats(&mut imp.stats, s);
    imp.commit(0, 0).await?;
    if s.resettled > 0 {
        refresh_rollups_under(db, &region).await?;
    }
    tracing::info!(
        batch,
        policy = id,
        person_years = years.len(),
        resettled = s.resettled,
        "policy added"
    );
    Ok(PolicyAdded {
        id,
        existed: false,
        claims_resettled: s.resettled,
        adjustments: s.adjustments,
        person_years: years.len() as u64,
    })
}
