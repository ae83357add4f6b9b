//! Writing a department push list (部门推送预警名单): each new push becomes
//! a pre-warning of the case procedure in the import's transaction. The
//! person's household opens a case through the `department_data` channel
//! when it has none that is not over, or the push joins its open case
//! (the shared `open_or_join` of the cases' use cases); either way the
//! push is stored with its case and audited. A push already stored (same
//! person, department, day and reason) is counted as unchanged.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use jianfu_domain::{Money, Permission, mask_middle};
use jianfu_ingest::{PushRecord, Pushes, RowError, Severity};
use jianfu_monitoring::case::Channel;
use jianfu_store::monitoring::{self as store, PushRow, Touched};
use jianfu_store::{
    AuditEntry, ImportStats, PersonRow, RegistryImport, StoreError, Tx, audit, registry,
};

use super::ImportError;
use super::writer::{KindWriter, Rows};
use crate::monitoring::cases::{NewCase, Opened, open_or_join};
use crate::{Actor, App, UseCaseError};

/// The department push writer.
pub(super) struct PushesWriter {
    imp: RegistryImport,
    app: App,
    actor: Actor,
}

impl KindWriter for PushesWriter {
    type Kind = Pushes;
    const PERMISSION: Permission = Permission::ActOnCases;

    async fn begin(app: &App, actor: &Actor, source: &str, user: &str) -> Result<Self, StoreError> {
        Ok(PushesWriter {
            imp: RegistryImport::begin(&app.db, "pushes", source, user).await?,
            app: app.clone(),
            actor: actor.clone(),
        })
    }

    fn batch_id(&self) -> i64 {
        self.imp.batch_id()
    }

    fn tx(&mut self) -> &mut Tx {
        self.imp.tx()
    }

    /// Pushes change none of the monitoring rules' inputs.
    fn take_touched(&mut self) -> Touched {
        self.imp.take_touched()
    }

    async fn write(
        &mut self,
        rows: Rows<PushRecord>,
        file: &Arc<str>,
    ) -> Result<Vec<RowError>, ImportError> {
        let mut refused = Vec::new();
        for (row, push) in &rows {
            if let Some(problem) = self.write_one(push).await? {
                refused.push(refusal(file, *row, push, problem));
            }
        }
        Ok(refused)
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

/// Why a row was refused: the code and the sentence for the report.
type Problem = (&'static str, String);

impl PushesWriter {
    /// Stores one push and registers its pre-warning; the problem when
    /// the row is refused (nothing of it written then).
    async fn write_one(&mut self, push: &PushRecord) -> Result<Option<Problem>, ImportError> {
        let (app, actor) = (&self.app, &self.actor);
        let batch_id = self.imp.batch_id();
        let tx = self.imp.tx();
        let source = push.source.code();
        let id = push.id.as_str();
        if store::push_exists(tx, id, source, push.pushed_on, &push.reason).await? {
            self.imp.stats.pushes_unchanged += 1;
            return Ok(None);
        }
        let Some(person) = registry::person(tx, actor.scope.prefix(), id).await? else {
            let why = "台账中（您的管辖范围内）没有这个身份证号的人员；请先导入该人员的人员信息，或核对号码";
            return Ok(Some(("unknown_person", why.into())));
        };
        let note = note(push);
        let now = app.now().trunc_subsecs(6);
        let new = NewCase {
            county: &person.county_code,
            household_no: &person.household_no,
            village: &person.village_code,
            channel: Channel::DepartmentData,
            note: &note,
        };
        let opened = match open_or_join(app, tx, actor, &new, now).await {
            Ok(o) => o,
            Err(UseCaseError::Store(e)) => return Err(e.into()),
            Err(e) => return Ok(Some(("case_not_opened", format!("无法登记预警：{e}")))),
        };
        let row = PushRow {
            case_id: opened.case_id,
            opened_case: !opened.joined,
            batch_id,
            imported_by: actor.username.clone(),
            imported_at: now,
            ..push_row(push, person)
        };
        let push_id = store::insert_push(tx, &row).await?;
        audit_push(tx, actor, &row.village_code, opened, push_id, now).await?;
        let stats = &mut self.imp.stats;
        stats.pushes_created += 1;
        stats.push_cases_opened += u64::from(!opened.joined);
        Ok(None)
    }
}

/// The stored row of a push about `person`, before its case and import
/// are known.
fn push_row(push: &PushRecord, person: PersonRow) -> PushRow {
    PushRow {
        id: 0,
        id_number: push.id.as_str().to_string(),
        source: push.source.code().to_string(),
        pushed_on: push.pushed_on,
        reason: push.reason.clone(),
        amount: push.amount.map(Money::fen),
        push_ref: push.push_ref.clone(),
        remark: push.remark.clone(),
        county_code: person.county_code,
        household_no: person.household_no,
        village_code: person.village_code,
        case_id: 0,
        opened_case: false,
        batch_id: 0,
        imported_by: String::new(),
        imported_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// The note of the case a push opens (and of the push in the log), in
/// Chinese: department, day, reason, amount.
pub(crate) fn note(push: &PushRecord) -> String {
    let amount = push
        .amount
        .map(|m| format!("；金额 {m} 元"))
        .unwrap_or_default();
    format!(
        "{}部门于 {} 推送预警：{}{amount}",
        push.source.label(),
        push.pushed_on.format("%Y-%m-%d"),
        push.reason
    )
}

/// The audit entry of a push: the case it opened, or the case it joined.
async fn audit_push(
    tx: &mut Tx,
    actor: &Actor,
    village: &str,
    opened: Opened,
    push_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let action = if opened.joined {
        "monitoring.push.link"
    } else {
        "monitoring.case.open"
    };
    let mut entry = actor.entry(action, village);
    entry.target_kind = Some("monitoring_case".into());
    entry.target_key = Some(opened.case_id.to_string());
    entry.detail = Some(format!(
        "channel={} push={push_id}",
        Channel::DepartmentData.code()
    ));
    audit::append_at(tx, &entry, now).await
}

/// The report row of a push the write pass refused.
fn refusal(file: &Arc<str>, row: u64, push: &PushRecord, (code, problem): Problem) -> RowError {
    RowError {
        file: file.clone(),
        row: u32::try_from(row).unwrap_or(u32::MAX),
        column: "身份证号".into(),
        value: mask_middle(push.id.as_str()),
        problem,
        code,
        severity: Severity::Error,
    }
}
