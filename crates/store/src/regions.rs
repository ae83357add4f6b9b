//! The region tree (province → city → county → township → village) in the
//! database: loading an edition of the division codes and reading it back.
//!
//! Every region row records its parent, the nearest ancestor code that
//! exists (a township of 东莞市 hangs directly under the prefecture).
//! Subtree queries go by code prefix.

use std::collections::{HashMap, HashSet};

use jianfu_domain::{RegionCode, RegionLevel};
use jianfu_regions::Region;
use serde::Serialize;

use crate::sql::Value;
use crate::{Db, Result, StoreError, prefix_range};

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

impl Db {
    /// Replaces the region tree with `regions` (in code order, parents
    /// first) of `edition`, in one transaction. Returns the count loaded.
    pub async fn load_regions(
        &self,
        edition: u16,
        regions: impl Iterator<Item = Region>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64> {
        let mut seen: HashSet<RegionCode> = HashSet::new();
        let mut batch: Vec<(Region, Option<RegionCode>)> = Vec::with_capacity(CHUNK);
        let mut total = 0u64;
        let mut tx = self.begin().await?;
        tx.exec("DELETE FROM regions", &[]).await?;
        let mut regions = regions.peekable();
        while regions.peek().is_some() {
            batch.clear();
            for r in regions.by_ref().take(CHUNK) {
                let parent = r
                    .code
                    .ancestors()
                    .into_iter()
                    .rev()
                    .find(|a| seen.contains(a));
                seen.insert(r.code);
                batch.push((r, parent));
            }
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
            total += rows.len() as u64;
            progress(total);
        }
        tx.commit().await?;
        Ok(total)
    }

    /// Number of regions loaded.
    pub async fn region_count(&self) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM regions";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        })
    }

    /// The level of every loaded region whose code starts with `prefix`
    /// (digits; empty for all), keyed by numeric code, for fast
    /// validation of import files.
    pub async fn region_levels_under(&self, prefix: &str) -> Result<HashMap<u64, RegionLevel>> {
        use futures::TryStreamExt;
        let (lo, hi) = crate::prefix_range(prefix);
        let sql = "SELECT code, level FROM regions WHERE code >= $1 AND code < $2";
        let mut out = HashMap::new();
        let mut add = |(code, level): (String, i16)| -> Result<()> {
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
        // Streamed: the rows (665,000 for the whole tree) never sit in
        // memory as strings.
        match self {
            Db::Sqlite(p) => {
                let mut rows = sqlx::query_as::<_, (String, i16)>(sql)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch(p);
                while let Some(r) = rows.try_next().await? {
                    add(r)?;
                }
            }
            Db::Postgres(p) => {
                let mut rows = sqlx::query_as::<_, (String, i16)>(sql)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch(p);
                while let Some(r) = rows.try_next().await? {
                    add(r)?;
                }
            }
        }
        Ok(out)
    }

    /// One region by code.
    pub async fn region(&self, code: &str) -> Result<Option<RegionRow>> {
        let sql = "SELECT code, level, name, parent_code FROM regions WHERE code = $1";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_as(sql).bind(code).fetch_optional(p).await?,
            Db::Postgres(p) => sqlx::query_as(sql).bind(code).fetch_optional(p).await?,
        })
    }

    /// The direct children of a region, in code order.
    pub async fn region_children(&self, code: &str) -> Result<Vec<RegionRow>> {
        let sql = "SELECT code, level, name, parent_code FROM regions WHERE parent_code = $1 ORDER BY code";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_as(sql).bind(code).fetch_all(p).await?,
            Db::Postgres(p) => sqlx::query_as(sql).bind(code).fetch_all(p).await?,
        })
    }

    /// Every region in the subtree of `prefix` at `level`, in code order.
    pub async fn regions_at_level(
        &self,
        prefix: &str,
        level: RegionLevel,
    ) -> Result<Vec<RegionRow>> {
        let (lo, hi) = prefix_range(prefix);
        let sql = "SELECT code, level, name, parent_code FROM regions \
                   WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code";
        let lv = level as i16;
        Ok(match self {
            Db::Sqlite(p) => {
                sqlx::query_as(sql)
                    .bind(lo)
                    .bind(hi)
                    .bind(lv)
                    .fetch_all(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as(sql)
                    .bind(lo)
                    .bind(hi)
                    .bind(lv)
                    .fetch_all(p)
                    .await?
            }
        })
    }
}

impl Db {
    /// Stores each shipped disease list version (id, version, validity and
    /// its TOML source) unless that version is already there, so the
    /// database records which lists were in force.
    pub async fn seed_disease_lists(&self) -> Result<u64> {
        let sql = "INSERT INTO disease_lists (list_id, version, name, valid_from, valid_to, source) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (list_id, version) DO NOTHING";
        let mut added = 0;
        for (file, text) in jianfu_domain::disease::BUILT_IN_LISTS {
            let list = jianfu_domain::DiseaseList::from_toml(file, text)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            macro_rules! run {
                ($p:expr) => {
                    sqlx::query(sql)
                        .bind(&list.id)
                        .bind(&list.version)
                        .bind(&list.name)
                        .bind(list.valid_from)
                        .bind(list.valid_to)
                        .bind(*text)
                        .execute($p)
                        .await?
                        .rows_affected()
                };
            }
            added += match self {
                Db::Sqlite(p) => run!(p),
                Db::Postgres(p) => run!(p),
            };
        }
        Ok(added)
    }

    /// The disease lists stored: (id, version, name).
    pub async fn disease_lists(&self) -> Result<Vec<(String, String, String)>> {
        let sql = "SELECT list_id, version, name FROM disease_lists ORDER BY list_id, version";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await?,
            Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await?,
        })
    }
}

impl Db {
    /// The lowest-coded village of `county` that has households (the
    /// demo binds its village doctor there).
    pub async fn first_village_with_households(&self, county: &str) -> Result<Option<String>> {
        let sql = "SELECT MIN(village_code) FROM households WHERE county_code = $1";
        let v: Option<String> =
            on_pool!(self, p => sqlx::query_scalar(sql).bind(county).fetch_one(p).await?);
        Ok(v)
    }
}

impl Db {
    /// The provinces.
    pub async fn region_children_of_root(&self) -> Result<Vec<RegionRow>> {
        let sql =
            "SELECT code, level, name, parent_code FROM regions WHERE level = 1 ORDER BY code";
        Ok(on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?))
    }
}
