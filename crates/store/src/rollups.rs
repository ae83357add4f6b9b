//! Per-village rollups behind the dashboard: counts of households and
//! persons by group, and each year's claims and fund payments.
//!
//! A page view sums the village rows under a region code (a few hundred
//! for a county, tens of thousands for a province), never the persons or
//! claims themselves. The rows of a county are rebuilt in one transaction
//! after each import that wrote to it, so readers see the old or the new
//! figures, never a mixture.

use jianfu_domain::{RegionCode, Scope};
use serde::Serialize;

use crate::{Db, Result, prefix_range};

/// Persons of a county (its villages' code range) by village, group list,
/// status and (for those with groups of their own) household type. One
/// pass over the persons in village order; only the few with groups look
/// their household up.
const BY_GROUPS: &str = "SELECT p.village_code, p.groups, p.status, \
    CASE WHEN p.groups = '' THEN NULL ELSE (SELECT h.household_type FROM households h \
        WHERE h.county_code = p.county_code AND h.household_no = p.household_no) END, \
    COUNT(*) FROM persons p WHERE p.village_code >= $1 AND p.village_code < $2 \
    GROUP BY 1, 2, 3, 4";

/// Households of a county and their persons by village and household
/// type: households in key order, each one's persons from the index on
/// 户编号 (never reading the persons table).
const BY_HOUSEHOLD_TYPE: &str = "SELECT v, t, COUNT(*), CAST(SUM(n) AS BIGINT) FROM \
    (SELECT h.village_code AS v, h.household_type AS t, COUNT(*) AS n \
     FROM households h CROSS JOIN persons p \
     WHERE h.county_code = $1 AND p.county_code = h.county_code AND p.household_no = h.household_no \
     GROUP BY h.county_code, h.household_no, h.village_code, h.household_type) x GROUP BY v, t";

/// Persons with at least one diagnosis, by village.
const WITH_DIAGNOSIS: &str = "SELECT p.village_code, COUNT(*) FROM \
    (SELECT DISTINCT county_code, id_number FROM diagnoses WHERE county_code = $1) d \
    JOIN persons p ON p.county_code = d.county_code AND p.id_number = d.id_number \
    GROUP BY p.village_code";

/// The registry figures of each village from the three aggregates. A
/// person counts as 脱贫人口 or 监测对象 by the household type or by a group
/// of their own, once either way.
fn village_sums(
    by_groups: Vec<(String, String, String, Option<String>, i64)>,
    by_type: Vec<(String, String, i64, i64)>,
    with_diagnosis: Vec<(String, i64)>,
) -> std::collections::BTreeMap<String, VillageRow> {
    use jianfu_domain::{Group, GroupSet, HouseholdType};
    let implied = |t: Option<&str>| {
        t.and_then(HouseholdType::from_code)
            .map_or(GroupSet::EMPTY, HouseholdType::implied_groups)
    };
    let mut out: std::collections::BTreeMap<String, VillageRow> = Default::default();
    fn row(
        out: &mut std::collections::BTreeMap<String, VillageRow>,
        village: String,
    ) -> &mut VillageRow {
        out.entry(village.clone()).or_insert_with(|| VillageRow {
            village_code: village,
            ..VillageRow::default()
        })
    }
    for (village, groups, status, household_type, n) in by_groups {
        let v = row(&mut out, village);
        let own = GroupSet::parse_list(&groups).unwrap_or_default();
        let by_type = implied(household_type.as_deref());
        let count = |g: Group| if own.contains(g) { n } else { 0 };
        let beyond_type = |g: Group| {
            if own.contains(g) && !by_type.contains(g) {
                n
            } else {
                0
            }
        };
        v.persons += n;
        v.active += if status == "active" { n } else { 0 };
        v.extreme_poor += count(Group::ExtremePoor);
        v.subsistence += count(Group::Subsistence);
        v.returned_poor += count(Group::ReturnedPoor);
        v.formerly_poor += beyond_type(Group::FormerlyPoor);
        v.monitored += beyond_type(Group::Monitored);
    }
    for (village, household_type, households, persons) in by_type {
        let v = row(&mut out, village);
        let by_type = implied(Some(&household_type));
        v.households += households;
        if by_type.contains(Group::FormerlyPoor) {
            v.formerly_poor += persons;
        }
        if by_type.contains(Group::Monitored) {
            v.monitored += persons;
        }
    }
    for (village, n) in with_diagnosis {
        row(&mut out, village).with_diagnosis += n;
    }
    out
}

const CLAIMS: &str = "INSERT INTO village_claim_stats (county_code, village_code, year, claims, \
    persons, total, basic, critical, assistance, supplementary, out_of_pocket) \
    SELECT c.county_code, COALESCE(p.village_code, c.county_code || '000000'), c.year, COUNT(*), \
    COUNT(DISTINCT c.person_id), SUM(c.total), SUM(COALESCE(c.basic, 0)), \
    SUM(COALESCE(c.critical, 0)), SUM(COALESCE(c.assistance, 0)), \
    SUM(COALESCE(c.supplementary, 0)), SUM(COALESCE(c.out_of_pocket, 0)) \
    FROM claims c LEFT JOIN persons p ON p.county_code = c.county_code AND p.id_number = c.person_id \
    WHERE c.county_code = $1 AND c.reverses IS NULL AND c.reversed_by IS NULL \
    GROUP BY c.county_code, COALESCE(p.village_code, c.county_code || '000000'), c.year";

/// The figures of one region (or the sum over several).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Figures {
    /// Households.
    pub households: i64,
    /// Persons registered.
    pub persons: i64,
    /// Persons with status 正常.
    pub active: i64,
    /// 脱贫人口.
    pub formerly_poor: i64,
    /// 监测对象.
    pub monitored: i64,
    /// 特困人员.
    pub extreme_poor: i64,
    /// 低保对象.
    pub subsistence: i64,
    /// 返贫致贫人口.
    pub returned_poor: i64,
    /// Persons with at least one diagnosis.
    pub with_diagnosis: i64,
    /// Standing claims of the year.
    pub claims: i64,
    /// Persons with claims in the year.
    pub claimants: i64,
    /// Total cost, fen.
    pub total: i64,
    /// Basic insurance, fen.
    pub basic: i64,
    /// Critical-illness insurance, fen.
    pub critical: i64,
    /// Medical assistance, fen.
    pub assistance: i64,
    /// Supplementary cover, fen.
    pub supplementary: i64,
    /// Out of pocket, fen.
    pub out_of_pocket: i64,
}

/// A child region's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ChildFigures {
    /// Region code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its figures.
    pub figures: Figures,
}

/// The dashboard of one region and one year.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The region.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The year of the claim figures.
    pub year: i32,
    /// The region's figures.
    pub figures: Figures,
    /// Each child region's (one level down), with zero rows included.
    pub children: Vec<ChildFigures>,
}

#[derive(Default, sqlx::FromRow)]
struct VillageRow {
    village_code: String,
    households: i64,
    persons: i64,
    active: i64,
    formerly_poor: i64,
    monitored: i64,
    extreme_poor: i64,
    subsistence: i64,
    returned_poor: i64,
    with_diagnosis: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    village_code: String,
    claims: i64,
    persons: i64,
    total: i64,
    basic: i64,
    critical: i64,
    assistance: i64,
    supplementary: i64,
    out_of_pocket: i64,
}

impl Figures {
    fn add_registry(&mut self, r: &VillageRow) {
        self.households += r.households;
        self.persons += r.persons;
        self.active += r.active;
        self.formerly_poor += r.formerly_poor;
        self.monitored += r.monitored;
        self.extreme_poor += r.extreme_poor;
        self.subsistence += r.subsistence;
        self.returned_poor += r.returned_poor;
        self.with_diagnosis += r.with_diagnosis;
    }

    fn add_claims(&mut self, r: &ClaimRow) {
        self.claims += r.claims;
        self.claimants += r.persons;
        self.total += r.total;
        self.basic += r.basic;
        self.critical += r.critical;
        self.assistance += r.assistance;
        self.supplementary += r.supplementary;
        self.out_of_pocket += r.out_of_pocket;
    }
}

/// Which of a county's rollups to rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupParts {
    /// Everything: household and person counts, persons with a
    /// diagnosis, claims and fund payments.
    All,
    /// Only the persons with a diagnosis.
    Diagnosed,
    /// Only the claims and fund payments by village.
    Claims,
}

impl RollupParts {
    /// The rollups an import of `kind` (`persons`, `diagnoses`, `claims`)
    /// can change. Persons move claims too: a claim counts in its
    /// person's village.
    pub fn after_import(kind: &str) -> RollupParts {
        match kind {
            "diagnoses" => RollupParts::Diagnosed,
            "claims" => RollupParts::Claims,
            _ => RollupParts::All,
        }
    }
}

impl Db {
    /// Rebuilds the rollups of `county` from persons and claims.
    pub async fn refresh_rollups(&self, county: &str) -> Result<()> {
        self.refresh_rollup_parts(county, RollupParts::All).await
    }

    /// Rebuilds some of the rollups of `county`, in one transaction.
    pub async fn refresh_rollup_parts(&self, county: &str, parts: RollupParts) -> Result<()> {
        let (lo, hi) = prefix_range(county);
        let insert = "INSERT INTO village_stats (county_code, village_code, households, persons, \
            active, formerly_poor, monitored, extreme_poor, subsistence, returned_poor, \
            with_diagnosis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let set_diagnosed = "UPDATE village_stats SET with_diagnosis = $1 \
            WHERE county_code = $2 AND village_code = $3";
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                if parts == RollupParts::All {
                    let by_groups = sqlx::query_as(BY_GROUPS)
                        .bind(&lo)
                        .bind(&hi)
                        .fetch_all(&mut *tx)
                        .await?;
                    let by_type = sqlx::query_as(BY_HOUSEHOLD_TYPE)
                        .bind(county)
                        .fetch_all(&mut *tx)
                        .await?;
                    let diagnosed = sqlx::query_as(WITH_DIAGNOSIS)
                        .bind(county)
                        .fetch_all(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM village_stats WHERE county_code = $1")
                        .bind(county)
                        .execute(&mut *tx)
                        .await?;
                    for (village, v) in village_sums(by_groups, by_type, diagnosed) {
                        sqlx::query(insert)
                            .bind(county)
                            .bind(village)
                            .bind(v.households)
                            .bind(v.persons)
                            .bind(v.active)
                            .bind(v.formerly_poor)
                            .bind(v.monitored)
                            .bind(v.extreme_poor)
                            .bind(v.subsistence)
                            .bind(v.returned_poor)
                            .bind(v.with_diagnosis)
                            .execute(&mut *tx)
                            .await?;
                    }
                } else if parts == RollupParts::Diagnosed {
                    // Every village of the county has its row already: a
                    // diagnosis belongs to a registered person.
                    let diagnosed: Vec<(String, i64)> = sqlx::query_as(WITH_DIAGNOSIS)
                        .bind(county)
                        .fetch_all(&mut *tx)
                        .await?;
                    sqlx::query(
                        "UPDATE village_stats SET with_diagnosis = 0 WHERE county_code = $1",
                    )
                    .bind(county)
                    .execute(&mut *tx)
                    .await?;
                    for (village, n) in diagnosed {
                        sqlx::query(set_diagnosed)
                            .bind(n)
                            .bind(county)
                            .bind(village)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                if matches!(parts, RollupParts::All | RollupParts::Claims) {
                    for sql in [
                        "DELETE FROM village_claim_stats WHERE county_code = $1",
                        CLAIMS,
                    ] {
                        sqlx::query(sql).bind(county).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
            }};
        }
        on_pool!(self, p => run!(p));
        Ok(())
    }

    /// Rebuilds the claim rollups of every county with persons or claims
    /// under `prefix` (after a parameter set re-settled the claims it
    /// governs: the registry figures do not change).
    pub async fn refresh_rollups_under(&self, prefix: &str) -> Result<()> {
        let (lo, hi) = prefix_range(prefix);
        let sql = "SELECT county_code FROM village_stats WHERE county_code >= $1 AND county_code < $2 \
                   UNION SELECT county_code FROM village_claim_stats WHERE county_code >= $1 AND county_code < $2";
        let counties: Vec<String> =
            on_pool!(self, p => sqlx::query_scalar(sql).bind(&lo).bind(&hi).fetch_all(p).await?);
        for c in counties {
            self.refresh_rollup_parts(&c, RollupParts::Claims).await?;
        }
        Ok(())
    }

    /// Readies the tables for queries after a large import. PostgreSQL's
    /// autovacuum never analyzes partitioned tables as a whole, so joins
    /// of persons, households and claims would be planned on guesses; and
    /// until a vacuum marks the new pages all-visible, every count read
    /// from an index also visits the table (measured: 490 requests/s on a
    /// freshly imported million persons, 570 after). SQLite's queries are
    /// written not to depend on statistics, so there is nothing to do.
    /// Only the tables an import of `kind` writes are visited: a persons
    /// import must not pay for vacuuming tens of millions of claims.
    pub async fn refresh_statistics(&self, kind: &str) -> Result<()> {
        let tables = match kind {
            "persons" => "persons, households",
            "diagnoses" => "diagnoses",
            "claims" => "claims, person_years, claim_adjustments",
            _ => return Ok(()),
        };
        self.read().await?.refresh_statistics(tables).await
    }

    /// The latest year up to `up_to` with claims in `region`.
    pub async fn latest_claim_year(&self, region: &RegionCode, up_to: i32) -> Result<Option<i32>> {
        let (lo, hi) = prefix_range(region.prefix());
        let up_to = i16::try_from(up_to).unwrap_or(i16::MAX);
        let year: Option<i16> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT MAX(year) FROM village_claim_stats \
             WHERE year <= $1 AND claims > 0 AND village_code >= $2 AND village_code < $3")
            .bind(up_to).bind(&lo).bind(&hi).fetch_one(p).await?);
        Ok(year.map(i32::from))
    }

    /// The dashboard of `region` for `year`, when inside `scope`.
    pub async fn dashboard(
        &self,
        scope: &Scope,
        region: &RegionCode,
        year: i32,
    ) -> Result<Option<Dashboard>> {
        if !scope.contains(region) {
            return Ok(None);
        }
        let Some(row) = self.region(region.as_str()).await? else {
            return Ok(None);
        };
        let children = self.region_children(region.as_str()).await?;
        self.dashboard_of(scope, &row, children, year).await
    }

    /// The dashboard of the stored region `row` with its `children`, as
    /// [`Db::dashboard`] (for callers that keep the region tree at hand).
    pub async fn dashboard_of(
        &self,
        scope: &Scope,
        row: &crate::regions::RegionRow,
        children: Vec<crate::regions::RegionRow>,
        year: i32,
    ) -> Result<Option<Dashboard>> {
        let Ok(region) = RegionCode::parse(&row.code) else {
            return Ok(None);
        };
        if !scope.contains(&region) {
            return Ok(None);
        }
        let (lo, hi) = prefix_range(region.prefix());
        let villages: Vec<VillageRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT village_code, households, persons, active, formerly_poor, monitored, extreme_poor, \
             subsistence, returned_poor, with_diagnosis FROM village_stats \
             WHERE village_code >= $1 AND village_code < $2")
            .bind(&lo).bind(&hi).fetch_all(p).await?);
        let year16 = i16::try_from(year).unwrap_or(i16::MAX);
        let claims: Vec<ClaimRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT village_code, claims, persons, total, basic, critical, assistance, supplementary, \
             out_of_pocket FROM village_claim_stats WHERE year = $1 AND village_code >= $2 AND village_code < $3")
            .bind(year16).bind(&lo).bind(&hi).fetch_all(p).await?);
        let mut children: Vec<ChildFigures> = children
            .into_iter()
            .map(|r| ChildFigures {
                code: r.code,
                name: r.name,
                figures: Figures::default(),
            })
            .collect();
        // Children of one parent share a level, so a village belongs to the
        // child whose significant digits start its code.
        let index: std::collections::HashMap<String, usize> = children
            .iter()
            .enumerate()
            .filter_map(|(i, ch)| Some((RegionCode::parse(&ch.code).ok()?.prefix().to_string(), i)))
            .collect();
        let plen = index.keys().next().map_or(0, String::len);
        let child_of = |code: &str| code.get(..plen).and_then(|p| index.get(p).copied());
        let mut figures = Figures::default();
        let mut reg_idx = Vec::with_capacity(villages.len());
        for v in &villages {
            figures.add_registry(v);
            reg_idx.push(child_of(&v.village_code));
        }
        let mut claim_idx = Vec::with_capacity(claims.len());
        for c in &claims {
            figures.add_claims(c);
            claim_idx.push(child_of(&c.village_code));
        }
        for (v, i) in villages.iter().zip(reg_idx) {
            if let Some(i) = i {
                children[i].figures.add_registry(v);
            }
        }
        for (c, i) in claims.iter().zip(claim_idx) {
            if let Some(i) = i {
                children[i].figures.add_claims(c);
            }
        }
        Ok(Some(Dashboard {
            code: row.code.clone(),
            name: row.name.clone(),
            year,
            figures,
            children,
        }))
    }
}
