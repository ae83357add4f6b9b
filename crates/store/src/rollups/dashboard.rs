//! Reading the rollups: the dashboard of a region and a year, its
//! children's figures beside it.

use std::collections::HashMap;

use jianfu_domain::{RegionCode, Scope};

use super::{ChildFigures, ClaimRow, Dashboard, Figures, VillageRow};
use crate::regions::{RegionRow, region, region_children};
use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// The latest year up to `up_to` with claims in `region`.
pub async fn latest_claim_year(
    tx: &mut Tx,
    region: &RegionCode,
    up_to: i32,
) -> Result<Option<i32>> {
    let (lo, hi) = prefix_range(region.prefix());
    let up_to = i16::try_from(up_to).unwrap_or(i16::MAX);
    let sql = "SELECT MAX(year) FROM village_claim_stats \
               WHERE year <= $1 AND claims > 0 AND village_code >= $2 AND village_code < $3";
    let args = [Value::Int16(up_to), Value::Text(&lo), Value::Text(&hi)];
    let year: Option<i16> = tx.scalar(sql, &args).await?;
    Ok(year.map(i32::from))
}

/// The dashboard of `region` for `year`, when inside `scope`.
pub async fn dashboard(
    tx: &mut Tx,
    scope: &Scope,
    code: &RegionCode,
    year: i32,
) -> Result<Option<Dashboard>> {
    if !scope.contains(code) {
        return Ok(None);
    }
    let Some(row) = region(tx, code.as_str()).await? else {
        return Ok(None);
    };
    let children = region_children(tx, code.as_str()).await?;
    dashboard_of(tx, scope, &row, children, year).await
}

/// The dashboard of the stored region `row` with its `children`, as
/// [`dashboard`] (for callers that keep the region tree at hand).
pub async fn dashboard_of(
    tx: &mut Tx,
    scope: &Scope,
    row: &RegionRow,
    children: Vec<RegionRow>,
    year: i32,
) -> Result<Option<Dashboard>> {
    let Ok(region) = RegionCode::parse(&row.code) else {
        return Ok(None);
    };
    if !scope.contains(&region) {
        return Ok(None);
    }
    let (lo, hi) = prefix_range(region.prefix());
    let villages: Vec<VillageRow> = tx
        .all(
            "SELECT village_code, households, persons, active, formerly_poor, monitored, \
             extreme_poor, subsistence, returned_poor, with_diagnosis FROM village_stats \
             WHERE village_code >= $1 AND village_code < $2",
            &[Value::Text(&lo), Value::Text(&hi)],
        )
        .await?;
    let year16 = i16::try_from(year).unwrap_or(i16::MAX);
    let claims: Vec<ClaimRow> = tx
        .all(
            "SELECT village_code, claims, persons, total, basic, critical, assistance, \
             supplementary, out_of_pocket FROM village_claim_stats \
             WHERE year = $1 AND village_code >= $2 AND village_code < $3",
            &[Value::Int16(year16), Value::Text(&lo), Value::Text(&hi)],
        )
        .await?;
    let (figures, children) = sum_by_child(children, &villages, &claims);
    Ok(Some(Dashboard {
        code: row.code.clone(),
        name: row.name.clone(),
        year,
        figures,
        children,
    }))
}

/// The region's figures and each child's, from the rows of its villages.
fn sum_by_child(
    children: Vec<RegionRow>,
    villages: &[VillageRow],
    claims: &[ClaimRow],
) -> (Figures, Vec<ChildFigures>) {
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
    let index: HashMap<String, usize> = children
        .iter()
        .enumerate()
        .filter_map(|(i, ch)| Some((RegionCode::parse(&ch.code).ok()?.prefix().to_string(), i)))
        .collect();
    let plen = index.keys().next().map_or(0, String::len);
    let child_of = |code: &str| code.get(..plen).and_then(|p| index.get(p).copied());
    let mut figures = Figures::default();
    let mut reg_idx = Vec::with_capacity(villages.len());
    for v in villages {
        figures.add_registry(v);
        reg_idx.push(child_of(&v.village_code));
    }
    let mut claim_idx = Vec::with_capacity(claims.len());
    for c in claims {
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
    (figures, children)
}
