//! Re-settling stored claims whole: after a policy is added (the
//! person-years it now governs) or a settlement rule changed (a one-off
//! upgrade), under the lock that keeps two settling transactions apart.

use jianfu_domain::IdCardNo;

use super::settle::{PyKey, Reason, SettleStats, Settler, Work};
use crate::monitoring::Touched;
use crate::policies::PolicySet;
use crate::sql::{Tx, Value};
use crate::{ImportStats, Result, StoreError, prefix_range};

/// The key of the settlement lock: an arbitrary application-wide number
/// ("jianfu settle").
const SETTLEMENT_LOCK: i64 = 7_202_300_001;

/// Person-years re-settled per round.
const RESETTLE_CHUNK: usize = 4000;

/// Serialises the transactions that settle claims (claims imports, policy
/// additions, upgrades) until they end ([`Tx::lock`]). Two of them would
/// otherwise each settle from what the other has not committed yet (a
/// claim settled under a policy list that misses the policy being added).
pub(crate) async fn lock_settlement(tx: &mut Tx) -> Result<()> {
    tx.lock(SETTLEMENT_LOCK).await
}

/// Adds what settling changed to an import's figures.
pub(crate) fn add_settle_stats(stats: &mut ImportStats, s: SettleStats) {
    stats.claims_resettled += s.resettled;
    stats.adjustments += s.adjustments;
    stats.person_years += s.person_years;
}

/// Re-settles `years` whole under `policies` in rounds of
/// [`RESETTLE_CHUNK`], rewriting the claims whose amounts change (with
/// adjustments for `reason`) and every year's accumulators; the persons
/// whose claims were rewritten are added to `touched`.
pub(crate) async fn resettle(
    tx: &mut Tx,
    policies: PolicySet,
    batch: i64,
    years: &[PyKey],
    reason: Reason,
    touched: &mut Touched,
) -> Result<SettleStats> {
    let mut settler = Settler::new(policies, batch, reason);
    for chunk in years.chunks(RESETTLE_CHUNK) {
        let work = Work {
            full: chunk.iter().copied().collect(),
            ..Work::default()
        };
        settler.process(tx, work).await?;
    }
    settler.flush(tx).await?;
    touched.extend(settler.touched);
    Ok(settler.stats)
}

/// The person-years with a standing claim in `region` settled between
/// `from` and `to` (inclusive days).
pub(crate) async fn governed_years(
    tx: &mut Tx,
    region: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<PyKey>> {
    let (lo, hi) = prefix_range(region);
    let start = from.and_hms_opt(0, 0, 0).expect("midnight");
    let end = to
        .succ_opt()
        .unwrap_or(to)
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let sql = "SELECT DISTINCT county_code, person_id, year FROM claims \
               WHERE county_code >= $1 AND county_code < $2 \
               AND settled_at >= $3 AND settled_at < $4 \
               AND reverses IS NULL AND reversed_by IS NULL";
    let rows: Vec<(String, String, i16)> = tx
        .all(
            sql,
            &[
                Value::Text(&lo),
                Value::Text(&hi),
                Value::LocalTime(start),
                Value::LocalTime(end),
            ],
        )
        .await?;
    py_keys(rows)
}

/// Person-year keys from (county, ID number, year) rows as stored.
pub(crate) fn py_keys(rows: Vec<(String, String, i16)>) -> Result<Vec<PyKey>> {
    rows.into_iter()
        .map(|(county, person, year)| {
            let county = county
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("县级代码“{county}”")))?;
            let person = IdCardNo::parse(&person)
                .map_err(|_| StoreError::Corrupt("身份证号".into()))?
                .packed();
            Ok((county, person, year))
        })
        .collect()
}
