//! The dashboard's trends: each year's claims and out-of-pocket of a
//! region summed from the per-village claim rollups (a row per village and
//! year, so a county's years are a few thousand small rows), and each
//! year's standing monitoring alerts (those whose rule held at the last
//! run) from `monitoring_alerts` by its village index.

use jianfu_domain::RegionCode;
use serde::Serialize;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// One year of a region's claims.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct YearClaims {
    /// The year.
    pub year: i32,
    /// Standing claims.
    pub claims: i64,
    /// Total cost, fen.
    pub total: i64,
    /// Out of pocket, fen.
    pub out_of_pocket: i64,
}

/// One year of a region's monitoring alerts whose rule holds.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct YearAlerts {
    /// The year evaluated.
    pub year: i32,
    /// Alerts (household, rule) whose rule held at the last run.
    pub alerts: i64,
    /// Of these, those of candidate households.
    pub candidates: i64,
}

/// The claims of `region` for each year in `first..=last` that has any,
/// ascending.
pub async fn claim_years(
    tx: &mut Tx,
    region: &RegionCode,
    (first, last): (i32, i32),
) -> Result<Vec<YearClaims>> {
    let (lo, hi) = prefix_range(region.prefix());
    let sql = "SELECT year, CAST(SUM(claims) AS BIGINT), CAST(SUM(total) AS BIGINT), \
               CAST(SUM(out_of_pocket) AS BIGINT) FROM village_claim_stats \
               WHERE year >= $1 AND year <= $2 AND village_code >= $3 AND village_code < $4 \
               GROUP BY year ORDER BY year";
    let rows: Vec<(i16, i64, i64, i64)> = tx
        .all(
            sql,
            &[year(first), year(last), Value::Text(&lo), Value::Text(&hi)],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(year, claims, total, out_of_pocket)| YearClaims {
            year: i32::from(year),
            claims,
            total,
            out_of_pocket,
        })
        .collect())
}

/// The alerts whose rule holds under `region` for each year in
/// `first..=last` that has any, ascending.
pub async fn alert_years(
    tx: &mut Tx,
    region: &RegionCode,
    (first, last): (i32, i32),
) -> Result<Vec<YearAlerts>> {
    let (lo, hi) = prefix_range(region.prefix());
    let sql = "SELECT year, COUNT(*), \
               CAST(SUM(CASE WHEN candidate THEN 1 ELSE 0 END) AS BIGINT) \
               FROM monitoring_alerts \
               WHERE holds AND village_code >= $1 AND village_code < $2 \
               AND year >= $3 AND year <= $4 GROUP BY year ORDER BY year";
    let rows: Vec<(i16, i64, i64)> = tx
        .all(
            sql,
            &[Value::Text(&lo), Value::Text(&hi), year(first), year(last)],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(year, alerts, candidates)| YearAlerts {
            year: i32::from(year),
            alerts,
            candidates,
        })
        .collect())
}

fn year(y: i32) -> Value<'static> {
    Value::Int16(i16::try_from(y).unwrap_or(if y < 0 { i16::MIN } else { i16::MAX }))
}
