//! One-off data upgrades that need the application's own code, not just
//! SQL: a schema migration records the step in `pending_upgrades` when the
//! data needs it, and [`Db::open`] runs it once, deleting the record in
//! the transaction that does the work.

use std::collections::BTreeSet;

use jianfu_domain::IdCardNo;

use crate::claims::{lock_settlement, resettle};
use crate::registry::RegistryImport;
use crate::rollups::{self, RollupParts};
use crate::settle::{PyKey, Reason};
use crate::sql::{Tx, Value};
use crate::{Db, Result, StoreError};

/// Tier 3 counts only claims settled while the person holds an
/// assistance group (settlement.md §3 step 4).
const ASSISTANCE_BASE_RULE: &str = "assistance_base_rule";

impl Db {
    /// Runs the upgrade steps recorded as pending, oldest first.
    pub(crate) async fn run_pending_upgrades(&self) -> Result<()> {
        let sql = "SELECT name FROM pending_upgrades ORDER BY created_at, name";
        let names: Vec<String> = on_pool!(self, p => sqlx::query_scalar(sql).fetch_all(p).await?);
        for name in names {
            match name.as_str() {
                ASSISTANCE_BASE_RULE => self.upgrade_assistance_base().await?,
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "未知的数据升级步骤“{other}”：请使用更新版本的程序"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Re-settles the person-years whose Tier-3 base grew under the old
    /// rule. Only the claims whose amounts change are rewritten (with an
    /// adjustment, reason `rule_change`); every such year's kept state is
    /// rewritten, because a base that counted claims without a group would
    /// give the next claim settled from it the wrong amount.
    async fn upgrade_assistance_base(&self) -> Result<()> {
        let started = std::time::Instant::now();
        let mut imp =
            RegistryImport::begin(self, "upgrade", ASSISTANCE_BASE_RULE, "system").await?;
        lock_settlement(imp.tx()).await?;
        let policies = self.policy_set().await?;
        let years = years_with_assistance_base(imp.tx()).await?;
        let batch = imp.batch_id();
        let s = resettle(imp.tx(), policies, batch, &years, Reason::RuleChange).await?;
        let done = "DELETE FROM pending_upgrades WHERE name = $1";
        imp.tx()
            .exec(done, &[Value::Text(ASSISTANCE_BASE_RULE)])
            .await?;
        imp.commit(0, 0).await?;
        if s.resettled > 0 {
            let counties: BTreeSet<u32> = years.iter().map(|k| k.0).collect();
            for county in counties {
                let mut tx = self.begin().await?;
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
}

/// The person-years whose kept Tier-3 base is not zero: under the old rule
/// every year with a residual after Tier 2; under the new one only years
/// with a claim settled under an assistance group.
async fn years_with_assistance_base(tx: &mut Tx) -> Result<Vec<PyKey>> {
    let sql = "SELECT county_code, person_id, year FROM person_years WHERE assistance_base > 0";
    let rows: Vec<(String, String, i16)> = tx.all(sql, &[]).await?;
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
