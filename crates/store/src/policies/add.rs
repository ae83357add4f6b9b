//! Adding a parameter set: stored with, in the same transaction, the
//! re-settlement of every stored person-year it now governs.

use super::{AddPolicyError, PolicySet, StoredPolicy, check_policy_source, insert_policy};
use super::{policy_set, policy_with_source};
use crate::Db;
use crate::claims::{Reason, add_settle_stats, governed_years, lock_settlement, resettle};
use crate::monitoring::Touched;
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
/// A use case that writes more in the same transaction (its audit entry)
/// uses [`begin_add_policy`] instead.
pub async fn add_policy(db: &Db, source: &str, user: &str) -> Result<PolicyAdded, AddPolicyError> {
    match begin_add_policy(db, source, user).await? {
        Adding::Existed(added) => Ok(added),
        Adding::Open(open) => Ok(open.commit(db).await?),
    }
}

/// A parameter set being added: stored and re-settled inside a
/// transaction that is not committed yet.
pub struct OpenPolicy {
    imp: RegistryImport,
    added: PolicyAdded,
    region: String,
    person_years: usize,
}

/// What [`begin_add_policy`] found.
pub enum Adding {
    /// The same text is stored already: nothing to do.
    Existed(PolicyAdded),
    /// Stored and re-settled, waiting for the commit.
    Open(Box<OpenPolicy>),
}

/// The first half of [`add_policy`]: checks the text, stores it and
/// re-settles what it governs, and leaves the transaction open so the
/// caller may add to it (through [`OpenPolicy::tx`]) before
/// [`OpenPolicy::commit`].
pub async fn begin_add_policy(db: &Db, source: &str, user: &str) -> Result<Adding, AddPolicyError> {
    let policy = check_policy_source(source)?;
    if let Some(id) = policy_with_source(&mut db.read().await?, source).await? {
        return Ok(Adding::Existed(PolicyAdded {
            id,
            existed: true,
            claims_resettled: 0,
            adjustments: 0,
            person_years: 0,
        }));
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
    let mut touched = Touched::default();
    let s = resettle(
        imp.tx(),
        policies,
        batch,
        &years,
        Reason::PolicyChange,
        &mut touched,
    )
    .await?;
    imp.monitored.extend(touched);
    add_settle_stats(&mut imp.stats, s);
    let added = PolicyAdded {
        id,
        existed: false,
        claims_resettled: s.resettled,
        adjustments: s.adjustments,
        person_years: years.len() as u64,
    };
    Ok(Adding::Open(Box::new(OpenPolicy {
        imp,
        added,
        region,
        person_years: years.len(),
    })))
}

impl OpenPolicy {
    /// What the addition did (committed or not yet).
    pub fn added(&self) -> &PolicyAdded {
        &self.added
    }

    /// The open transaction, for writes that must commit with the set.
    pub fn tx(&mut self) -> &mut crate::Tx {
        self.imp.tx()
    }

    /// The households whose claims were re-settled (handed over once).
    pub fn take_touched(&mut self) -> Touched {
        self.imp.take_touched()
    }

    /// Commits, then rebuilds the claim rollups under the set's region.
    pub async fn commit(self, db: &Db) -> Result<PolicyAdded, crate::StoreError> {
        let batch = self.imp.batch_id();
        self.imp.commit(0, 0).await?;
        if self.added.claims_resettled > 0 {
            refresh_rollups_under(db, &self.region).await?;
        }
        tracing::info!(
            batch,
            policy = self.added.id,
            person_years = self.person_years,
            resettled = self.added.claims_resettled,
            "policy added"
        );
        Ok(self.added)
    }
}
