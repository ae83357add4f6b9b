//! Writing a claims file: each chunk is matched with the registry, the
//! policies and the stored claims, and settled, in the import's
//! transaction (see `jianfu_store::claims`). Reversals that come before
//! the claim they reverse are sent last by the write pass.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use jianfu_domain::{ClaimRecord, Permission, mask_middle};
use jianfu_ingest::{Claims, RowError, Severity};
use jianfu_store::monitoring::Touched;
use jianfu_store::{AuditEntry, ClaimConflict, ClaimsImport, ImportStats, StoreError, Tx};

use super::ImportError;
use super::writer::{KindWriter, Rows};
use crate::{Actor, App};

/// The claims writer.
pub(super) struct ClaimsWriter {
    imp: ClaimsImport,
}

impl KindWriter for ClaimsWriter {
    type Kind = Claims;
    const PERMISSION: Permission = Permission::ImportClaims;

    /// Also takes the settlement lock and reads the policies.
    async fn begin(app: &App, _: &Actor, source: &str, user: &str) -> Result<Self, StoreError> {
        Ok(ClaimsWriter {
            imp: ClaimsImport::begin(&app.db, source, user).await?,
        })
    }

    fn batch_id(&self) -> i64 {
        self.imp.batch_id()
    }

    fn tx(&mut self) -> &mut Tx {
        self.imp.tx()
    }

    fn take_touched(&mut self) -> Touched {
        self.imp.take_touched()
    }

    async fn write(
        &mut self,
        rows: Rows<ClaimRecord>,
        file: &Arc<str>,
    ) -> Result<Vec<RowError>, ImportError> {
        let conflicts = self.imp.write_claims(&rows).await?;
        Ok(refusals(&conflicts, &rows, file))
    }

    /// Also writes the person-years' settlement state.
    async fn commit(self, rows_total: u64, errors: u64) -> Result<ImportStats, StoreError> {
        self.imp.commit(rows_total, errors).await
    }

    async fn rollback(self, rows_total: u64, errors: u64) -> Result<(), StoreError> {
        self.imp.rollback(rows_total, errors).await
    }

    async fn reject(
        self,
        rows_total: u64,
        errors: u64,
        entry: &AuditEntry,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.imp.reject_audited(rows_total, errors, entry, at).await
    }
}

/// The report rows of claims the database refused.
fn refusals(
    conflicts: &[ClaimConflict],
    rows: &[(u64, ClaimRecord)],
    file: &Arc<str>,
) -> Vec<RowError> {
    if conflicts.is_empty() {
        return Vec::new();
    }
    let by_row: HashMap<u64, &ClaimRecord> = rows.iter().map(|(r, c)| (*r, c)).collect();
    conflicts
        .iter()
        .map(|c| {
            let (column, value, problem) = match by_row.get(&c.row) {
                Some(rec) => refusal(c, rec),
                None => ("", String::new(), c.code.to_string()),
            };
            RowError {
                file: file.clone(),
                row: u32::try_from(c.row).unwrap_or(u32::MAX),
                column: column.into(),
                value,
                problem,
                code: c.code,
                severity: Severity::Error,
            }
        })
        .collect()
}

/// The column, value and problem of a refused claim.
fn refusal(c: &ClaimConflict, rec: &ClaimRecord) -> (&'static str, String, String) {
    let target = rec.reverses.as_deref().unwrap_or("");
    match c.code {
        "person_not_in_registry" => (
            "身份证号",
            mask_middle(rec.person.as_str()),
            "台账中没有这个身份证号的人员，无法确定参保县和人员类别；请先导入该人员的人员信息，或核对号码".to_string(),
        ),
        "no_policy" => (
            "结算时间",
            rec.settled_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            format!(
                "参保县 {} 在 {} 没有生效的医保政策参数，无法结算；请先用 jianfu policy add 添加该县当年的政策参数",
                c.county.as_deref().unwrap_or(""),
                rec.settled_at.format("%Y-%m-%d")
            ),
        ),
        "duplicate_claim_id" => (
            "结算单号",
            rec.claim_id.clone(),
            "系统中已有该结算单号，但内容与本行不同；同一结算单号不能对应两条不同的结算记录。如需更正，请先冲销原记录，再用新的结算单号导入".to_string(),
        ),
        "reversal_unknown_claim" => (
            "冲销单号",
            target.to_string(),
            "本文件和系统中都没有该人员的这个结算单号，无法冲销；请核对冲销单号".to_string(),
        ),
        "reversal_of_reversal" => (
            "冲销单号",
            target.to_string(),
            "被冲销的记录本身是一条冲销记录，不能再冲销；请核对冲销单号".to_string(),
        ),
        "duplicate_reversal" => (
            "冲销单号",
            target.to_string(),
            "该结算单号已被冲销过，不能再次冲销；请删除重复的冲销记录".to_string(),
        ),
        "reversal_person_mismatch" => (
            "冲销单号",
            target.to_string(),
            "被冲销的结算记录属于另一个人；冲销只能针对本人的结算记录，请核对身份证号和冲销单号".to_string(),
        ),
        _ => ("", String::new(), c.code.to_string()),
    }
}
