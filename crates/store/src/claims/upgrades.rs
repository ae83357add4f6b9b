//! One-off data upgrades that need the application's own code, not just
//! SQL: a schema migration records the step in `pending_upgrades` when the
//! data needs it, and [`crate::Db::open`] runs it once, deleting the
//! record in the transaction that does the work.

use std::collections::BTreeSet;

use super::resettle::{lock_settlement, py_keys, resettle};
use super::settle::{PyKey, Reason};
use crate::policies::policy_set;
use crate::registry::RegistryImport;
use crate::rollups::{self, RollupParts};
use crate::sql::{Tx, Value};
use crate::{Db, Result, StoreError};

/// Tier 3 counts only claims settled while the person holds an
/// assistance group (settlement.md §3 step 4).
const ASSISTANCE_BASE_RULE: &str = "assistance_base_rule";

/// Runs the upgrade steps recorded as pending, oldest first, each in a
/// transaction of its own.
pub(crate) async fn run_pending_upgrades(db: &Db) -> Result<()> {
    let sql = "SELECT name FROM pending_upgrades ORDER BY created_at, name";
    let names: Vec<String> = db.read().await?.scalars(sql, &[]).await?;
    for name in names {
        match name.as_str() {
            ASSISTANCE_BASE_RULE => upgrade_assistance_base(db).await?,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "未知的数据升级步骤“{other}”：请使用更新版本的程序"
                )));
            }
        }
    }
    Ok(())
}

/// Re-settles the person-years whose Tier-3 base grew under the old rule.
/// Only the claims whose amounts change are rewritten (with an
/// adjustment, reason `rule_change`); every such year's kept state is
/// rewritten, because a base that counted claims without a group would
/// give the next claim settled from it the wrong amount.
async fn upgrade_assistance_base(db: &Db) -> Result<()> {
    let started = std::time::Instant::now();
    let mut imp = RegistryImport::begin(db, "upgrade", ASSISTANCE_BASE_RULE, "system").await?;
    lock_settlement(imp.tx()).await?;
    let policies = policy_set(&mut db.read().await?).await?;
    let years = years_with_assistance_base(imp.tx()).await?;
    let batch = imp.batch_id();
    // A rule upgrade runs when the database opens, before any monitoring
    // evaluation; the next run reconciles what it changed.
    let mut touched = crate::monitoring::Touched::default();
    let s = resettle(
        imp.tx(),
        policies,
        batch,
        &years,
        Reason::RuleChange,
        &mut touched,
    )
    .await?;
    let done = "DELETE FROM pending_upgrades WHERE name = $1";
    imp.tx()
        .exec(done, &[Value::Text(ASSISTANCE_BASE_RULE)])
        .await?;
    imp.commit(0, 0).await?;
    if s.resettled > 0 {
        let counties: BTreeSet<u32> = years.iter().map(|k| k.0).collect();
        for county in counties {
            // One transaction per county, as after an import.
            let mut tx = db.begin().await?;
            let county = format!("{county:06}");
            rollups::refresh_rollup_parts(&mut tx, &county, RollupParts::Claims).await?;
            tx.commit().await?;
        }
    }
    tracing::info!(
        batch,
        person_years = years.len(),
        resettled = s.resettled,
        adjustments = s.adjustments,
        ms = started.elapsed().as_millis() as u64,
        "upgrade {ASSISTANCE_BASE_RULE} done"
    );
    Ok(())
}

/// The person-years whose kept Tier-3 base is not zero: under the old rule
/// every year with a residual after Tier 2; under the new one only years
/// with a claim settled under an assistance group.
async fn years_with_assistance_base(tx: &mut Tx) -> Result<Vec<PyKey>> {
    let sql = "SELECT county_code, person_id, year FROM person_years WHERE assistance_base > 0";
    let rows: Vec<(String, String, i16)> = tx.all(sql, &[]).await?;
    py_keys(rows)
}
