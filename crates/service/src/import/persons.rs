//! Writing a persons file: households and persons through the store's
//! registry import, with a large first load's search indexes deferred to
//! the commit. Chunks are pipelined: while chunk N is written in the
//! import's transaction, chunk N+1's stored rows are looked up on another
//! connection, so the refusals of a chunk come back with the next one.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use jianfu_domain::{Permission, PersonRecord, mask_middle};
use jianfu_ingest::{Persons, RowError, Severity};
use jianfu_store::monitoring::Touched;
use jianfu_store::{
    AuditEntry, Conflict, Db, ImportStats, PersonsLookup, RegistryImport, StoreError, Tx, registry,
};

use super::ImportError;
use super::writer::{KindWriter, Rows};
use crate::{Actor, App};

type Shared = Arc<Rows<PersonRecord>>;
type LookupTask = tokio::task::JoinHandle<Result<PersonsLookup, StoreError>>;

/// The persons writer.
pub(super) struct PersonsWriter {
    imp: RegistryImport,
    db: Db,
    /// False when the database has one connection (in-memory SQLite):
    /// then each chunk is looked up inside the transaction.
    pipelined: bool,
    /// The chunk whose stored rows are being looked up.
    pending: Option<(Shared, LookupTask)>,
}

impl PersonsWriter {
    /// Writes a chunk whose lookup has been started; its refusals.
    async fn apply(
        &mut self,
        rows: Shared,
        lookup: LookupTask,
        file: &Arc<str>,
    ) -> Result<Vec<RowError>, ImportError> {
        let lookup = lookup
            .await
            .map_err(|e| ImportError::Task(e.to_string()))??;
        let conflicts = self.imp.apply_persons(&rows, lookup).await?;
        Ok(refusals(&conflicts, &rows, file))
    }
}

impl KindWriter for PersonsWriter {
    type Kind = Persons;
    const PERMISSION: Permission = Permission::ImportRegistry;

    async fn begin(app: &App, _: &Actor, source: &str, user: &str) -> Result<Self, StoreError> {
        Ok(PersonsWriter {
            imp: RegistryImport::begin(&app.db, "persons", source, user).await?,
            db: app.db.clone(),
            pipelined: registry::can_look_up_alongside(&app.db),
            pending: None,
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

    async fn prepare(&mut self, accepted: u64) -> Result<(), StoreError> {
        if self.imp.defer_search_indexes(accepted).await? {
            tracing::info!(rows = accepted, "search indexes deferred to the commit");
        }
        Ok(())
    }

    async fn write(
        &mut self,
        rows: Rows<PersonRecord>,
        file: &Arc<str>,
    ) -> Result<Vec<RowError>, ImportError> {
        if !self.pipelined {
            let conflicts = self.imp.write_persons(&rows).await?;
            return Ok(refusals(&conflicts, &rows, file));
        }
        let rows = Arc::new(rows);
        let (db, looked_up) = (self.db.clone(), rows.clone());
        let task = tokio::spawn(async move {
            // A second connection: it sees what was committed before the
            // import.
            let mut c = db.read().await?;
            registry::lookup_persons(&mut c, &looked_up).await
        });
        match self.pending.replace((rows, task)) {
            Some((prev, task)) => self.apply(prev, task, file).await,
            None => Ok(Vec::new()),
        }
    }

    async fn flush(&mut self, file: &Arc<str>) -> Result<Vec<RowError>, ImportError> {
        let mut errors = match self.pending.take() {
            Some((rows, task)) => self.apply(rows, task, file).await?,
            None => Vec::new(),
        };
        // Only now is it known that no later row steps a stored head down.
        let held: Vec<RowError> = self
            .imp
            .refused_heads()
            .iter()
            .map(|c| two_heads(c, file))
            .collect();
        errors.extend(held);
        Ok(errors)
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

/// The report row of a head row refused because its household has
/// another active head stored (and of the household rows held with it):
/// names that head (masked) and what to do.
fn two_heads(c: &Conflict, file: &Arc<str>) -> RowError {
    let (no, head) = c
        .stored_head
        .as_ref()
        .map(|h| {
            let name: String = h.name.chars().take(1).chain("*".chars()).collect();
            (
                h.household_no.as_str(),
                format!("{}（{name}）", mask_middle(&h.id_number)),
            )
        })
        .unwrap_or_default();
    let problem = if c.code == "two_heads" {
        format!(
            "户编号为 {no} 的家庭已登记户主 {head}，一户只能有一位户主；\
             如更换户主，请在同一文件中把原户主的“与户主关系”或“人员状态”一并改正；\
             如这是另一户，请使用其自己的户编号"
        )
    } else {
        format!(
            "本户户主行因户编号为 {no} 的家庭已登记户主 {head} 未导入，\
             其后的本户成员也未导入，请先处理户主行"
        )
    };
    RowError {
        file: file.clone(),
        row: u32::try_from(c.row).unwrap_or(u32::MAX),
        column: "与户主关系".into(),
        value: if c.code == "two_heads" { "户主" } else { "" }.into(),
        problem,
        code: c.code,
        severity: Severity::Error,
    }
}

/// The report rows of persons the database refused: an ID number
/// registered in another household.
fn refusals(
    conflicts: &[Conflict],
    rows: &[(u64, PersonRecord)],
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
                .map(|(_, p)| mask_middle(p.id.as_str()))
                .unwrap_or_default(),
            problem: format!(
                "该身份证号已登记在户编号为 {} 的家庭中；一人只能属于一个家庭，请核实后先在原家庭中处理",
                c.other_household.as_deref().unwrap_or("")
            ),
            code: c.code,
            severity: Severity::Error,
        })
        .collect()
}
