//! Settlement parameter sets (政策参数) stored in `policies`, versioned by
//! region prefix and validity dates.
//!
//! A claim is settled under the set in force for its insured county on
//! the day of `settled_at`: among the stored sets whose prefix starts the
//! county code and whose validity contains the day, the longest prefix
//! wins, and among equals the one loaded last. Sets are never changed or
//! removed; adding one re-settles the stored claims it now governs (see
//! [`add_policy`]).

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_policy::{Policy, PolicyError};
use serde::Serialize;
use thiserror::Error;

use crate::sql::{Tx, Value};
use crate::{Result, StoreError};

/// Who loaded the sets shipped in the binary.
pub const BUILT_IN_USER: &str = "built-in";

/// A stored parameter set, as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PolicyRow {
    /// Stored id (claims name the set that settled them by this id).
    pub id: i64,
    /// The set's name.
    pub name: String,
    /// Region code prefix it applies to.
    pub region_prefix: String,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force.
    pub valid_to: NaiveDate,
    /// When it was stored.
    pub loaded_at: DateTime<Utc>,
    /// Who stored it.
    pub loaded_by: String,
}

/// A stored set, parsed.
#[derive(Debug, Clone)]
pub struct StoredPolicy {
    /// Stored id.
    pub id: i64,
    /// When it was stored.
    pub loaded_at: DateTime<Utc>,
    /// The rules.
    pub policy: Policy,
}

/// Every stored set, parsed once, to choose from claim by claim.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    entries: Vec<StoredPolicy>,
}

impl PolicySet {
    /// A set of the given policies (for tests and simulations).
    pub fn new(entries: Vec<StoredPolicy>) -> Self {
        PolicySet { entries }
    }

    /// The set in force for `county_code` on `day`: longest matching
    /// prefix, then latest loaded, then highest id.
    pub fn choose(&self, county_code: &str, day: NaiveDate) -> Option<&StoredPolicy> {
        self.entries
            .iter()
            .filter(|e| e.policy.applies_to(county_code, day))
            .max_by_key(|e| (e.policy.region.len(), e.loaded_at, e.id))
    }

    /// The stored set with this id.
    pub fn by_id(&self, id: i64) -> Option<&StoredPolicy> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Every set.
    pub fn entries(&self) -> &[StoredPolicy] {
        &self.entries
    }
}

/// Why a parameter file was not stored.
#[derive(Debug, Error)]
pub enum AddPolicyError {
    /// The file is not a valid parameter set.
    #[error(transparent)]
    Invalid(#[from] PolicyError),
    /// Policies are made per county or wider.
    #[error("region = “{0}”：医保政策按省、市或县（区）制定，地区代码前缀应为2、4或6位数字")]
    RegionTooNarrow(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AddPolicyError {
    fn from(e: sqlx::Error) -> Self {
        AddPolicyError::Store(e.into())
    }
}

mod add;

pub use add::{Adding, OpenPolicy, PolicyAdded, add_policy, begin_add_policy};

const INSERT: &str = "INSERT INTO policies \
    (name, region_prefix, valid_from, valid_to, source, loaded_at, loaded_by) \
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

/// Stores each parameter set shipped in the binary unless a set with the
/// same text is there already. Returns how many were added.
pub async fn seed_policies(tx: &mut Tx) -> Result<u64> {
    let mut added = 0;
    for (_, text) in jianfu_policy::params::BUILT_IN {
        if policy_with_source(tx, text).await?.is_some() {
            continue;
        }
        let policy = Policy::from_toml(text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        insert_row(tx, &policy, text, Utc::now(), BUILT_IN_USER).await?;
        added += 1;
    }
    Ok(added)
}

/// The id of a stored set with exactly this text, if any: adding the same
/// file twice stores it once.
pub async fn policy_with_source(tx: &mut Tx, source: &str) -> Result<Option<i64>> {
    let sql = "SELECT id FROM policies WHERE source = $1 ORDER BY id LIMIT 1";
    tx.scalar_opt(sql, &[Value::Text(source)]).await
}

/// The stored sets, oldest first (without their source text).
pub async fn policies(tx: &mut Tx) -> Result<Vec<PolicyRow>> {
    let sql = "SELECT id, name, region_prefix, valid_from, valid_to, loaded_at, loaded_by \
               FROM policies ORDER BY id";
    tx.all(sql, &[]).await
}

/// The TOML text of a stored set.
pub async fn policy_source(tx: &mut Tx, id: i64) -> Result<Option<String>> {
    let sql = "SELECT source FROM policies WHERE id = $1";
    tx.scalar_opt(sql, &[Value::Int(id)]).await
}

/// Every stored set, parsed, to choose from.
pub async fn policy_set(tx: &mut Tx) -> Result<PolicySet> {
    let sql = "SELECT id, loaded_at, source FROM policies ORDER BY id";
    let rows: Vec<(i64, DateTime<Utc>, String)> = tx.all(sql, &[]).await?;
    let entries = rows
        .into_iter()
        .map(|(id, loaded_at, source)| {
            let policy = Policy::from_toml(&source)
                .map_err(|e| StoreError::Corrupt(format!("政策参数 {id}：{e}")))?;
            Ok(StoredPolicy {
                id,
                loaded_at,
                policy,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PolicySet { entries })
}

/// Checks a parameter file for storing: valid, and made for a province,
/// prefecture or county (claims are matched by their county code).
pub fn check_policy_source(source: &str) -> Result<Policy, AddPolicyError> {
    let policy = Policy::from_toml(source)?;
    if policy.region.len() > 6 {
        return Err(AddPolicyError::RegionTooNarrow(policy.region.clone()));
    }
    Ok(policy)
}

/// Inserts a checked set; returns its id and time.
pub(crate) async fn insert_policy(
    tx: &mut Tx,
    policy: &Policy,
    source: &str,
    user: &str,
) -> Result<(i64, DateTime<Utc>)> {
    // Microseconds, the finest time every engine keeps: the time read
    // back orders policies exactly as the one kept in memory.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let id = insert_row(tx, policy, source, now, user).await?;
    Ok((id, now))
}

async fn insert_row(
    tx: &mut Tx,
    policy: &Policy,
    source: &str,
    now: DateTime<Utc>,
    user: &str,
) -> Result<i64> {
    let args = [
        Value::Text(&policy.name),
        Value::Text(&policy.region),
        Value::Date(policy.valid_from),
        Value::Date(policy.valid_to),
        Value::Text(source),
        Value::Timestamp(now),
        Value::Text(user),
    ];
    tx.scalar(INSERT, &args).await
}
