//! Monitoring parameter sets (监测参数) stored in `monitoring_params`,
//! versioned by region prefix and validity dates like settlement policies.
//!
//! Sets are never changed or removed; the one in force for a household on
//! the evaluation date is chosen by `jianfu_monitoring::select` among all
//! stored sets in the order they were added (longest prefix, then the one
//! added last). The built-in `reference-2023` is seeded by `Db::open`.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_monitoring::{MonitoringParams, ParamsError};
use serde::Serialize;

use crate::sql::{Tx, Value};
use crate::{Result, StoreError};

/// Who loaded the sets shipped in the binary.
pub const BUILT_IN_USER: &str = "built-in";

/// A stored set, as listed (without its source).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ParamsRow {
    /// Stored id: the order sets were added in.
    pub id: i64,
    /// The set's name.
    pub name: String,
    /// Region code prefix; empty for everywhere.
    pub region_prefix: String,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force; `None` when open-ended.
    pub valid_to: Option<NaiveDate>,
    /// When it was stored.
    pub loaded_at: DateTime<Utc>,
    /// Who stored it.
    pub loaded_by: String,
}

/// A set stored by [`add_params`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsAdded {
    /// Its id.
    pub id: i64,
    /// True when the same text was stored already (nothing was added).
    pub existed: bool,
}

/// Stores each built-in set unless a set with the same text is there.
/// Returns how many were added.
pub async fn seed_params(tx: &mut Tx) -> Result<u64> {
    let mut added = 0;
    for (_, text) in jianfu_monitoring::params::BUILT_IN {
        let params =
            MonitoringParams::from_toml(text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let stored = add_params(tx, &params, text, BUILT_IN_USER, Utc::now()).await?;
        added += u64::from(!stored.existed);
    }
    Ok(added)
}

/// Checks a parameter file: the engine's strict reading.
pub fn check_params_source(source: &str) -> Result<MonitoringParams, ParamsError> {
    MonitoringParams::from_toml(source)
}

/// Stores a checked set with its source text, unless the same text is
/// stored already (adding a file twice stores it once).
pub async fn add_params(
    tx: &mut Tx,
    params: &MonitoringParams,
    source: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<ParamsAdded> {
    let same = "SELECT id FROM monitoring_params WHERE source = $1 ORDER BY id LIMIT 1";
    if let Some(id) = tx.scalar_opt(same, &[Value::Text(source)]).await? {
        return Ok(ParamsAdded { id, existed: true });
    }
    let sql = "INSERT INTO monitoring_params \
        (name, region_prefix, valid_from, valid_to, source, loaded_at, loaded_by) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let args = [
        Value::Text(&params.name),
        Value::Text(&params.region),
        Value::Date(params.valid_from),
        params.valid_to.into(),
        Value::Text(source),
        Value::Timestamp(chrono::SubsecRound::trunc_subsecs(now, 6)),
        Value::Text(user),
    ];
    let id = tx.scalar(sql, &args).await?;
    Ok(ParamsAdded { id, existed: false })
}

/// The stored sets, in the order they were added.
pub async fn params_list(tx: &mut Tx) -> Result<Vec<ParamsRow>> {
    let sql = "SELECT id, name, region_prefix, valid_from, valid_to, loaded_at, loaded_by \
               FROM monitoring_params ORDER BY id";
    tx.all(sql, &[]).await
}

/// The TOML source of set `id`.
pub async fn params_source(tx: &mut Tx, id: i64) -> Result<Option<String>> {
    let sql = "SELECT source FROM monitoring_params WHERE id = $1";
    tx.scalar_opt(sql, &[Value::Int(id)]).await
}

/// Every stored set, parsed, in the order they were added: what
/// `jianfu_monitoring::select` chooses from.
pub async fn params_sets(tx: &mut Tx) -> Result<Vec<MonitoringParams>> {
    let sql = "SELECT id, source FROM monitoring_params ORDER BY id";
    let rows: Vec<(i64, String)> = tx.all(sql, &[]).await?;
    rows.into_iter()
        .map(|(id, source)| {
            MonitoringParams::from_toml(&source)
                .map_err(|e| StoreError::Corrupt(format!("监测参数 {id}：{e}")))
        })
        .collect()
}
