//! Writing a diagnoses file through the store's registry import; the
//! database refuses a diagnosis of a person it does not list (the first
//! pass finds these already for a small file).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use jianfu_domain::{DiagnosisRecord, Permission, mask_middle};
use jianfu_ingest::{Diagnoses, RowError, Severity};
use jianfu_store::monitoring::Touched;
use jianfu_store::{AuditEntry, Conflict, ImportStats, RegistryImport, StoreError, Tx};

use super::ImportError;
use super::writer::{KindWriter, Rows};
use crate::{Actor, App};

/// The diagnoses writer.
pub(super) struct DiagnosesWriter {
    imp: RegistryImport,
}

impl KindWriter for DiagnosesWriter {
    type Kind = Diagnoses;
    const PERMISSION: Permission = Permission::ImportRegistry;

    async fn begin(app: &App, _: &Actor, source: &str, user: &str) -> Result<Self, StoreError> {
        Ok(DiagnosesWriter {
            imp: RegistryImport::begin(&app.db, "diagnoses", source, user).await?,
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
        rows: Rows<DiagnosisRecord>,
        file: &Arc<str>,
    ) -> Result<Vec<RowError>, ImportError> {
        let conflicts = self.imp.write_diagnoses(&rows).await?;
        Ok(refusals(&conflicts, &rows, file))
    }

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

/// The report rows of diagnoses the database refused: their person is
/// not in the registry.
fn refusals(
    conflicts: &[Conflict],
    rows: &[(u64, DiagnosisRecord)],
    file: &Arc<str>,
) -> Vec<RowError> {
    conflicts
        .iter()
        .map(|c| RowError {
            file: file.clone(),
            row: u32::try_from(c.row).unwrap_or(u32::MAX),
            column: "身份证号".into(),
            value: rows
                .iter()
                .find(|(r, _)| *r == c.row)
                .map(|(_, d)| mask_middle(d.id.as_str()))
                .unwrap_or_default(),
            problem: "系统中没有该身份证号对应的人员，请先导入人员信息".to_string(),
            code: c.code,
            severity: Severity::Error,
        })
        .collect()
}
