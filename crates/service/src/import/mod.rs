//! The import use case (导入): a persons, diagnoses or claims file or a
//! department push list (`pushes`, whose rows open or join cases) from
//! CSV/XLSX, imported by an [`Actor`] who must hold the kind's permission;
//! rows outside the actor's jurisdiction are refused and reported.
//!
//! Every kind goes through one pipeline ([`pipeline`]): the check pass
//! reads the whole file (`jianfu_ingest::check_file`), the write pass
//! streams the accepted rows into the kind's [`writer::KindWriter`] in one
//! transaction, and the `import` audit entry commits in that transaction.
//! A kind of file is one module here (`persons`, `diagnoses`, `claims`,
//! `pushes`)
//! beside its module in `jianfu-ingest`.
//!
//! All-or-nothing by default: one bad row rejects the file and nothing is
//! written. With `skip_invalid`, the good rows are written. Either way the
//! report lists every problem, and [`ImportOutcome::is_success`] is true
//! only when everything asked for was done.

mod claims;
mod diagnoses;
mod jurisdiction;
mod persons;
mod pipeline;
mod pushes;
#[cfg(test)]
mod tests;
mod writer;

use std::path::{Path, PathBuf};

use jianfu_domain::Permission;
use jianfu_ingest::{FileError, FileKind, ImportOptions, Progress};
use jianfu_store::rollups::{self, RollupParts};
use jianfu_store::{ImportStats, StoreError};
use serde::Serialize;
use thiserror::Error;

use crate::{Actor, App, Denied};
use writer::KindWriter;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file.
    pub path: PathBuf,
    /// Persons, diagnoses, claims or department pushes.
    pub kind: FileKind,
    /// Reader options (reference date, sheet, file label).
    pub options: ImportOptions,
    /// Write the good rows even when some are bad.
    pub skip_invalid: bool,
    /// Who is importing, as the change history names them.
    pub user: String,
    /// Where the error report goes; next to the input when `None`.
    pub report: Option<PathBuf>,
}

impl ImportRequest {
    /// An all-or-nothing import of `path` by `user`, judging dates against
    /// today, first sheet, report next to the file.
    pub fn new(path: PathBuf, kind: FileKind, user: impl Into<String>) -> Self {
        ImportRequest {
            path,
            kind,
            options: ImportOptions::new(chrono::Local::now().date_naive()),
            skip_invalid: false,
            user: user.into(),
            report: None,
        }
    }
}

/// Which pass an import is in, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportPhase {
    /// Reading and checking the whole file.
    Checking,
    /// Writing accepted rows.
    Writing,
}

impl ImportPhase {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            ImportPhase::Checking => "检查",
            ImportPhase::Writing => "写入",
        }
    }
}

/// How an import ended.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// True when the transaction was committed.
    pub committed: bool,
    /// What was written (zeros when nothing was).
    pub stats: ImportStats,
    /// Data rows in the file.
    pub data_rows: u64,
    /// Rows not written because of a problem.
    pub rejected_rows: u64,
    /// Problems of severity error, from both passes.
    pub errors: u64,
    /// Warnings.
    pub warnings: u64,
    /// The error report, when one was written.
    pub report: Option<PathBuf>,
    /// The change batch recording this import.
    pub batch_id: Option<i64>,
}

impl ImportOutcome {
    /// True when every row was written and nothing was wrong.
    pub fn is_success(&self) -> bool {
        self.committed && self.errors == 0
    }
}

/// A failure that stops an import (row problems are not failures: they
/// are in the report). Nothing is written and no audit entry either.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The actor may not import this kind of file.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The database failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The report could not be written.
    #[error("无法写入错误报告 {path}：{source}")]
    Report {
        /// Report path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file changed between the two passes, or a reader thread failed.
    #[error("{0}")]
    File(#[from] FileError),
    /// A background task died.
    #[error("导入任务异常中止：{0}")]
    Task(String),
    /// The monitoring evaluation of the households written failed;
    /// nothing was written.
    #[error("导入后的监测评估失败：{0}")]
    Monitoring(String),
}

/// The default report path: `NAME.错误报告.csv` next to the input.
pub fn default_report_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    input.with_file_name(format!("{stem}.错误报告.csv"))
}

/// What an actor must be allowed to import a file of `kind`.
pub fn permission(kind: FileKind) -> Permission {
    match kind {
        FileKind::Persons => persons::PersonsWriter::PERMISSION,
        FileKind::Diagnoses => diagnoses::DiagnosesWriter::PERMISSION,
        FileKind::Claims => claims::ClaimsWriter::PERMISSION,
        FileKind::Pushes => pushes::PushesWriter::PERMISSION,
    }
}

/// Imports of at least this many rows refresh the planner's statistics.
const STATISTICS_AFTER_ROWS: u64 = 10_000;

/// Imports one file as `actor`, who must hold the permission of its kind;
/// rows outside the actor's jurisdiction are refused and reported. The
/// `import` audit entry commits with the rows (a file rejected whole is
/// audited with its rejection; a failed import leaves nothing).
/// `progress` is called from the importing task with the phase and how
/// far it has got. A committed import then refreshes the dashboard's
/// rollups of the counties it wrote to and, when large, the planner's
/// statistics.
pub async fn import_file(
    app: &App,
    actor: &Actor,
    req: &ImportRequest,
    progress: impl FnMut(ImportPhase, Progress) + Send + 'static,
) -> Result<ImportOutcome, ImportError> {
    use pipeline::run;
    // Each kind's import is boxed: its future is large (the pushes writer
    // opens cases), and a debug build would otherwise lay every kind's
    // out on the caller's stack.
    let outcome = match req.kind {
        FileKind::Persons => {
            Box::pin(run::<persons::PersonsWriter>(app, actor, req, progress)).await?
        }
        FileKind::Diagnoses => {
            Box::pin(run::<diagnoses::DiagnosesWriter>(app, actor, req, progress)).await?
        }
        FileKind::Claims => {
            Box::pin(run::<claims::ClaimsWriter>(app, actor, req, progress)).await?
        }
        FileKind::Pushes => {
            Box::pin(run::<pushes::PushesWriter>(app, actor, req, progress)).await?
        }
    };
    if outcome.committed {
        refresh(app, req.kind, &outcome).await?;
    }
    Ok(outcome)
}

/// The dashboard's rollups of every county the file wrote to (only the
/// parts its kind can change) and, after a large import, the statistics.
async fn refresh(app: &App, kind: FileKind, outcome: &ImportOutcome) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let parts = RollupParts::after_import(kind.name());
    for county in &outcome.stats.counties {
        // One transaction per county: readers see its old figures or its
        // new ones.
        let mut tx = app.db.begin().await?;
        rollups::refresh_rollup_parts(&mut tx, county, parts).await?;
        tx.commit().await?;
    }
    if outcome.data_rows >= STATISTICS_AFTER_ROWS {
        rollups::refresh_statistics(&mut app.db.read().await?, kind.name()).await?;
    }
    tracing::info!(
        counties = outcome.stats.counties.len(),
        ms = started.elapsed().as_millis() as u64,
        "dashboard rollups refreshed"
    );
    Ok(())
}
