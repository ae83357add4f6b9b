//! The region tree as the use cases and pages read it: names, ancestors
//! and children, kept in memory for a while (one cache per [`App`](crate::App)).
//!
//! Every page names the caller's region, the search form lists the
//! townships and villages of a county, the dashboard walks its ancestors.
//! The tree is reference data that changes with a new statistical edition
//! at most, so lookups are cached for [`TTL`]; a miss is not cached, so a
//! region loaded after start shows at once.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jianfu_store::regions::{self, RegionRow};
use jianfu_store::{Db, Result};

/// How long a looked-up region is trusted.
pub const TTL: Duration = Duration::from_secs(600);
/// Entries kept before the cache starts afresh (a province's townships
/// and villages fit many times over).
const MAX_ENTRIES: usize = 50_000;

/// Cached region lookups.
#[derive(Debug, Default)]
pub struct RegionCache {
    regions: RwLock<HashMap<String, (Instant, RegionRow)>>,
    children: RwLock<HashMap<String, (Instant, Vec<RegionRow>)>>,
}

fn fresh<T: Clone>(map: &RwLock<HashMap<String, (Instant, T)>>, code: &str) -> Option<T> {
    let map = map.read().unwrap_or_else(|e| e.into_inner());
    map.get(code)
        .filter(|(at, _)| at.elapsed() < TTL)
        .map(|(_, v)| v.clone())
}

fn keep<T>(map: &RwLock<HashMap<String, (Instant, T)>>, code: &str, value: T) {
    let mut map = map.write().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(code.to_string(), (Instant::now(), value));
}

impl RegionCache {
    /// The region of 12-digit `code`.
    pub async fn region(&self, db: &Db, code: &str) -> Result<Option<RegionRow>> {
        if let Some(r) = fresh(&self.regions, code) {
            return Ok(Some(r));
        }
        let found = regions::region(&mut db.read().await?, code).await?;
        if let Some(r) = &found {
            keep(&self.regions, code, r.clone());
        }
        Ok(found)
    }

    /// The children of `code`, in code order.
    pub async fn children(&self, db: &Db, code: &str) -> Result<Vec<RegionRow>> {
        if let Some(c) = fresh(&self.children, code) {
            return Ok(c);
        }
        let found = regions::region_children(&mut db.read().await?, code).await?;
        if !found.is_empty() {
            keep(&self.children, code, found.clone());
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn looks_up_once_and_never_caches_a_miss() {
        let db = Db::open("sqlite::memory:").await.unwrap();
        let cache = RegionCache::default();
        assert!(cache.region(&db, "130624000000").await.unwrap().is_none());
        let mut tx = db.begin().await.unwrap();
        regions::load_regions(&mut tx, 2023, jianfu_regions::regions("130624"), |_| {})
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let r = cache.region(&db, "130624000000").await.unwrap().unwrap();
        assert_eq!(r.name, "阜平县");
        let kids = cache.children(&db, "130624000000").await.unwrap();
        assert!(kids.len() > 5, "the townships of 阜平县");
        // Served from memory: gone from the database, still known here.
        let mut c = db.read().await.unwrap();
        c.exec("DELETE FROM regions", &[]).await.unwrap();
        drop(c);
        assert_eq!(
            cache
                .region(&db, "130624000000")
                .await
                .unwrap()
                .unwrap()
                .name,
            "阜平县"
        );
        assert_eq!(
            cache.children(&db, "130624000000").await.unwrap().len(),
            kids.len()
        );
    }
}
