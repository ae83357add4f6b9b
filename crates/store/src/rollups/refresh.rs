//! Rebuilding the rollups of a county from its persons, diagnoses and
//! claims, and readying the tables for queries after a large import.

use std::collections::BTreeMap;

use super::{RollupParts, VillageRow};
use crate::sql::{Tx, Value};
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
) -> BTreeMap<String, VillageRow> {
    use jianfu_domain::{Group, GroupSet, HouseholdType};
    let implied = |t: Option<&str>| {
        t.and_then(HouseholdType::from_code)
            .map_or(GroupSet::EMPTY, HouseholdType::implied_groups)
    };
    let mut out: BTreeMap<String, VillageRow> = Default::default();
    fn row(out: &mut BTreeMap<String, VillageRow>, village: String) -> &mut VillageRow {
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

/// Rebuilds the rollups of `county` from persons and claims; run it in a
/// transaction ([`Db::begin`]) so readers never see a mixture.
pub async fn refresh_rollups(tx: &mut Tx, county: &str) -> Result<()> {
    refresh_rollup_parts(tx, county, RollupParts::All).await
}

/// Rebuilds some of the rollups of `county`; run it in a transaction.
pub async fn refresh_rollup_parts(tx: &mut Tx, county: &str, parts: RollupParts) -> Result<()> {
    match parts {
        RollupParts::All => refresh_registry(tx, county).await?,
        RollupParts::Diagnosed => refresh_diagnosed(tx, county).await?,
        RollupParts::Claims => {}
    }
    if matches!(parts, RollupParts::All | RollupParts::Claims) {
        for sql in [
            "DELETE FROM village_claim_stats WHERE county_code = $1",
            CLAIMS,
        ] {
            tx.exec(sql, &[Value::Text(county)]).await?;
        }
    }
    Ok(())
}

/// The registry figures of every village of `county`, replaced whole.
async fn refresh_registry(tx: &mut Tx, county: &str) -> Result<()> {
    let (lo, hi) = prefix_range(county);
    let by_groups = tx
        .all(BY_GROUPS, &[Value::Text(&lo), Value::Text(&hi)])
        .await?;
    let by_type = tx.all(BY_HOUSEHOLD_TYPE, &[Value::Text(county)]).await?;
    let diagnosed = tx.all(WITH_DIAGNOSIS, &[Value::Text(county)]).await?;
    let delete = "DELETE FROM village_stats WHERE county_code = $1";
    tx.exec(delete, &[Value::Text(county)]).await?;
    let insert = "INSERT INTO village_stats (county_code, village_code, households, persons, \
        active, formerly_poor, monitored, extreme_poor, subsistence, returned_poor, \
        with_diagnosis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    for (village, v) in village_sums(by_groups, by_type, diagnosed) {
        let args = [
            Value::Text(county),
            Value::Text(&village),
            Value::Int(v.households),
            Value::Int(v.persons),
            Value::Int(v.active),
            Value::Int(v.formerly_poor),
            Value::Int(v.monitored),
            Value::Int(v.extreme_poor),
            Value::Int(v.subsistence),
            Value::Int(v.returned_poor),
            Value::Int(v.with_diagnosis),
        ];
        tx.exec(insert, &args).await?;
    }
    Ok(())
}

/// The persons with a diagnosis of every village of `county`. Every
/// village of the county has its row already: a diagnosis belongs to a
/// registered person.
async fn refresh_diagnosed(tx: &mut Tx, county: &str) -> Result<()> {
    let diagnosed: Vec<(String, i64)> = tx.all(WITH_DIAGNOSIS, &[Value::Text(county)]).await?;
    let clear = "UPDATE village_stats SET with_diagnosis = 0 WHERE county_code = $1";
    tx.exec(clear, &[Value::Text(county)]).await?;
    let set = "UPDATE village_stats SET with_diagnosis = $1 \
        WHERE county_code = $2 AND village_code = $3";
    for (village, n) in diagnosed {
        let args = [Value::Int(n), Value::Text(county), Value::Text(&village)];
        tx.exec(set, &args).await?;
    }
    Ok(())
}

/// Rebuilds the claim rollups of every county with persons or claims
/// under `prefix` (after a parameter set re-settled the claims it
/// governs: the registry figures do not change), one transaction per
/// county.
pub async fn refresh_rollups_under(db: &Db, prefix: &str) -> Result<()> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT county_code FROM village_stats WHERE county_code >= $1 AND county_code < $2 \
               UNION SELECT county_code FROM village_claim_stats \
               WHERE county_code >= $1 AND county_code < $2";
    let counties: Vec<String> = db
        .read()
        .await?
        .scalars(sql, &[Value::Text(&lo), Value::Text(&hi)])
        .await?;
    for c in counties {
        let mut tx = db.begin().await?;
        refresh_rollup_parts(&mut tx, &c, RollupParts::Claims).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Readies the tables an import of `kind` writes for queries after a
/// large import, where the engine needs it (the dialect's
/// `refresh_statistics` says why and how; it cannot run inside a
/// transaction, so pass [`Db::read`]). Only those tables are visited: a
/// persons import must not pay for vacuuming tens of millions of claims.
pub async fn refresh_statistics(tx: &mut Tx, kind: &str) -> Result<()> {
    let tables = match kind {
        "persons" => "persons, households",
        "diagnoses" => "diagnoses",
        "claims" => "claims, person_years, claim_adjustments",
        _ => return Ok(()),
    };
    tx.refresh_statistics(tables).await
}
