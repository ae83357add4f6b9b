//! The region tree (province → city → county → township → village) in the
//! database: loading an edition of the division codes and reading it
//! back; and the disease lists shipped with the binary (`diseases`).
//!
//! Every region row records its parent, the nearest ancestor code that
//! exists (a township of 东莞市 hangs directly under the prefecture).
//! Subtree queries go by code prefix.

mod diseases;

use std::collections::{HashMap, HashSet};

use jianfu_domain::{RegionCode, RegionLevel};
use jianfu_regions::Region;
use serde::Serialize;

use crate::sql::{Tx, Value};
use crate::{Result, StoreError, prefix_range};

pub use diseases::{disease_lists, seed_disease_lists};

const COLUMNS: &[&str] = &["code", "level", "name", "parent_code", "edition"];
const CHUNK: usize = 20_000;

/// A region as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RegionRow {
    /// 12-digit code.
    pub code: String,
    /// Level 1–5.
    pub level: i16,
    /// Name.
    pub name: String,
    /// Parent code, none for a province.
    pub parent_code: Option<String>,
}

/// Replaces the region tree with `regions` (in code order, parents first)
/// of `edition`; run it in a transaction ([`crate::Db::begin`]) so
/// readers see the old tree or the new one. Returns the count loaded.
pub async fn load_regions(
    tx: &mut Tx,
    edition: u16,
    regions: impl Iterator<Item = Region>,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let mut seen: HashSet<RegionCode> = HashSet::new();
    let mut batch: Vec<(Region, Option<RegionCode>)> = Vec::with_capacity(CHUNK);
    let mut total = 0u64;
    tx.exec("DELETE FROM regions", &[]).await?;
    let mut regions = regions.peekable();
    while regions.peek().is_some() {
        batch.clear();
        for r in regions.by_ref().take(CHUNK) {
            // The nearest ancestor loaded before it.
            let parent = r
                .code
                .ancestors()
                .into_iter()
                .rev()
                .find(|a| seen.contains(a));
            seen.insert(r.code);
            batch.push((r, parent));
        }
        total += insert_chunk(tx, edition, &batch).await?;
        progress(total);
    }
    Ok(total)
}

async fn insert_chunk(
    tx: &mut Tx,
    edition: u16,
    batch: &[(Region, Option<RegionCode>)],
) -> Result<u64> {
    let parents: Vec<Option<String>> = batch
        .iter()
        .map(|(_, p)| p.map(|c| c.to_string()))
        .collect();
    let rows: Vec<Vec<Value>> = batch
        .iter()
        .zip(&parents)
        .map(|((r, _), p)| {
            vec![
                Value::Text(r.code.as_str()),
                Value::Int(r.level as i64),
                Value::Text(&r.name),
                p.as_deref().into(),
                Value::Int(i64::from(edition)),
            ]
        })
        .collect();
    tx.insert("regions", COLUMNS, &rows).await?;
    Ok(rows.len() as u64)
}

/// Number of regions loaded.
pub async fn region_count(tx: &mut Tx) -> Result<i64> {
    tx.scalar("SELECT COUNT(*) FROM regions", &[]).await
}

/// The level of every loaded region whose code starts with `prefix`
/// (digits; empty for all), keyed by numeric code, for fast validation of
/// import files.
pub async fn region_levels_under(tx: &mut Tx, prefix: &str) -> Result<HashMap<u64, RegionLevel>> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT code, level FROM regions WHERE code >= $1 AND code < $2";
    let mut out = HashMap::new();
    // Streamed: the rows (665,000 for the whole tree) never sit in memory
    // as strings.
    let add = |(code, level): (String, i16)| -> Result<()> {
        let n = code
            .parse::<u64>()
            .map_err(|_| StoreError::Corrupt(code.clone()))?;
        let l = u8::try_from(level)
            .ok()
            .and_then(RegionLevel::from_number)
            .ok_or_else(|| StoreError::Corrupt(format!("region level {level}")))?;
        out.insert(n, l);
        Ok(())
    };
    tx.each(sql, &[Value::Text(&lo), Value::Text(&hi)], add)
        .await?;
    Ok(out)
}

/// One region by code.
pub async fn region(tx: &mut Tx, code: &str) -> Result<Option<RegionRow>> {
    let sql = "SELECT code, level, name, parent_code FROM regions WHERE code = $1";
    tx.opt(sql, &[Value::Text(code)]).await
}

/// The direct children of a region, in code order.
pub async fn region_children(tx: &mut Tx, code: &str) -> Result<Vec<RegionRow>> {
    let sql = "SELECT code, level, name, parent_code FROM regions WHERE parent_code = $1 \
               ORDER BY code";
    tx.all(sql, &[Value::Text(code)]).await
}

/// The provinces.
pub async fn region_children_of_root(tx: &mut Tx) -> Result<Vec<RegionRow>> {
    let sql = "SELECT code, level, name, parent_code FROM regions WHERE level = 1 ORDER BY code";
    tx.all(sql, &[]).await
}

/// Every region in the subtree of `prefix` at `level`, in code order.
pub async fn regions_at_level(
    tx: &mut Tx,
    prefix: &str,
    level: RegionLevel,
) -> Result<Vec<RegionRow>> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT code, level, name, parent_code FROM regions \
               WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code";
    let args = [
        Value::Text(&lo),
        Value::Text(&hi),
        Value::Int16(level as i16),
    ];
    tx.all(sql, &args).await
}
