//! The write pass, for any kind of file: a reader thread re-reads the
//! file and sends the rows the check accepted in chunks over a bounded
//! channel; this task keeps the rows inside the jurisdiction and hands
//! each chunk to the kind's [`KindWriter`], whose refusals go to the
//! report. What differs between kinds (which store writer, pipelined
//! lookups, the words for a refusal) is the writer's; a new kind of file
//! is one module implementing it.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jianfu_domain::Permission;
use jianfu_ingest::{
    CheckOutcome, FileError, ImportKind, ImportOptions, ImportReader, Progress, ReportFile,
    ReportSink, RowError,
};
use jianfu_store::monitoring::Touched;
use jianfu_store::{AuditEntry, ImportStats, StoreError, Tx};
use tokio::sync::mpsc;

use super::jurisdiction::Jurisdiction;
use super::{ImportError, ImportPhase, ImportRequest};
use crate::{Actor, App};

/// Rows written per database round.
const CHUNK_ROWS: usize = 8000;

/// Rows with their row numbers in the file.
pub(super) type Rows<R> = Vec<(u64, R)>;

/// The record a row of `W`'s kind becomes.
pub(super) type Record<W> = <<W as KindWriter>::Kind as ImportKind>::Record;

/// The caller's progress callback, shared with the reader threads.
pub(super) type SharedProgress = Arc<Mutex<dyn FnMut(ImportPhase, Progress) + Send>>;

/// Writes the rows of one kind of file in the import's transaction.
pub(super) trait KindWriter: Sized + Send {
    /// The kind of file.
    type Kind: ImportKind;
    /// What the actor must be allowed to import it.
    const PERMISSION: Permission;

    /// Records the change batch (kept even when the import is rejected)
    /// and opens the import's transaction; `actor` is the importer (a
    /// kind whose rows open cases acts as them).
    fn begin(
        app: &App,
        actor: &Actor,
        source: &str,
        user: &str,
    ) -> impl Future<Output = Result<Self, StoreError>> + Send;
    /// The change batch of this import.
    fn batch_id(&self) -> i64;
    /// The import's transaction, for what commits with it (the audit entry).
    fn tx(&mut self) -> &mut Tx;
    /// The households whose monitoring inputs the rows written so far
    /// changed (handed over once), evaluated before the commit.
    fn take_touched(&mut self) -> Touched;
    /// Before the first chunk, knowing how many rows the check accepted.
    fn prepare(&mut self, _accepted: u64) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }
    /// Writes a chunk; the rows the database refused, as report rows
    /// (rows of an earlier chunk too, when the writer runs a chunk behind).
    fn write(
        &mut self,
        rows: Rows<Record<Self>>,
        file: &Arc<str>,
    ) -> impl Future<Output = Result<Vec<RowError>, ImportError>> + Send;
    /// After the last chunk: the refusals still held back.
    fn flush(
        &mut self,
        _file: &Arc<str>,
    ) -> impl Future<Output = Result<Vec<RowError>, ImportError>> + Send {
        async { Ok(Vec::new()) }
    }
    /// Records the outcome in the batch and commits everything written.
    fn commit(
        self,
        rows_total: u64,
        errors: u64,
    ) -> impl Future<Output = Result<ImportStats, StoreError>> + Send;
    /// Discards everything written and records why (a failed import).
    fn rollback(
        self,
        rows_total: u64,
        errors: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Discards everything written and records the rejection with the
    /// audit entry `entry`, stamped `at`, in one transaction.
    fn reject(
        self,
        rows_total: u64,
        errors: u64,
        entry: &AuditEntry,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What the write pass needs besides the writer.
pub(super) struct WritePass<'a> {
    pub req: &'a ImportRequest,
    pub outcome: Arc<CheckOutcome>,
    pub progress: SharedProgress,
    pub file: &'a Arc<str>,
    pub jurisdiction: &'a Jurisdiction,
}

/// Streams the accepted rows into `writer`; returns the number of rows
/// the database refused or the jurisdiction kept out (each reported).
pub(super) async fn write_pass<W: KindWriter>(
    writer: &mut W,
    pass: WritePass<'_>,
    report: &mut ReportFile,
) -> Result<u64, ImportError> {
    writer.prepare(pass.outcome.accepted_rows()).await?;
    let (tx, mut rx) = mpsc::channel::<Result<Rows<Record<W>>, FileError>>(4);
    let (path, opts) = (pass.req.path.clone(), pass.req.options.clone());
    let (outcome, progress) = (pass.outcome.clone(), pass.progress.clone());
    let reader = tokio::task::spawn_blocking(move || {
        if let Err(e) = read_chunks::<W::Kind>(&path, &opts, &outcome, &tx, &progress) {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let mut refused = 0u64;
    while let Some(chunk) = rx.recv().await {
        let (rows, outside) = pass
            .jurisdiction
            .keep_inside::<W::Kind>(chunk?, pass.file, report);
        // The refusals come back before the report is borrowed again: a
        // borrow held across the write would make the future not `Send`.
        let refusals = writer.write(rows, pass.file).await?;
        refused += outside + push_all(report, refusals);
    }
    let refusals = writer.flush(pass.file).await?;
    refused += push_all(report, refusals);
    reader.await.map_err(|e| ImportError::Task(e.to_string()))?;
    Ok(refused)
}

/// Reports `errors`; their number.
fn push_all(report: &mut dyn ReportSink, errors: Vec<RowError>) -> u64 {
    let n = errors.len() as u64;
    for e in errors {
        report.push(e);
    }
    n
}

/// Reads the accepted rows in chunks of [`CHUNK_ROWS`]; deferred rows
/// (reversals before their claim) are held back and sent last. Stops
/// quietly when the writer has gone away.
fn read_chunks<K: ImportKind>(
    path: &Path,
    opts: &ImportOptions,
    outcome: &CheckOutcome,
    tx: &mpsc::Sender<Result<Rows<K::Record>, FileError>>,
    progress: &SharedProgress,
) -> Result<(), FileError> {
    let report_progress =
        |p: Progress| (progress.lock().expect("progress lock"))(ImportPhase::Writing, p);
    let mut reader = ImportReader::<K>::open_checked(path, opts, outcome)?;
    let mut buf = Vec::with_capacity(CHUNK_ROWS);
    let mut deferred = Vec::new();
    while let Some((row, record)) = reader.next_accepted(outcome)? {
        if outcome.deferred.contains(row) {
            deferred.push((u64::from(row), record));
            continue;
        }
        buf.push((u64::from(row), record));
        if buf.len() == CHUNK_ROWS {
            report_progress(reader.progress());
            if tx.blocking_send(Ok(std::mem::take(&mut buf))).is_err() {
                return Ok(());
            }
        }
    }
    report_progress(reader.progress());
    buf.append(&mut deferred);
    let _ = tx.blocking_send(Ok(buf));
    Ok(())
}
