//! Durable jobs: work that must survive the request that asked for it and
//! the server that runs it: imports, and the hourly deadline scan that
//! raises and climbs supervision items (督办).
//!
//! A use case enqueues a job in the store's `jobs` table; a [`Worker`]
//! (inside `jianfu serve`, or `jianfu jobs run` from cron) claims due
//! jobs under a lease, runs each with the [`Handler`] of its kind while a
//! heartbeat extends the lease and records progress, and finishes it. A
//! job whose worker died is taken over once its lease runs out, up to its
//! attempts; then it fails with its reason.
//!
//! **No double effect.** A handler finds out, before doing anything, what
//! earlier attempts committed. An import's change batch names the job
//! attempt that started it and turns `committed` inside the import's own
//! transaction, which also checks that the attempt still holds the job
//! (`jianfu_store::batches::commit_in`): a new attempt that finds a
//! committed batch finishes the job with that batch's outcome instead of
//! importing again, and marks a batch left `running` `interrupted`, after
//! which the old attempt, were it still alive, can no longer commit.
//!
//! Time comes from the [`App`]'s clock, so tests move it to expire leases.

pub mod import;
pub mod scan;
#[cfg(test)]
mod tests;
mod uploads;
mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use jianfu_store::{AuditEntry, JobRow, Lease, StoreError};
use thiserror::Error;
use tokio::sync::Notify;

use crate::actor::Denied;
use crate::app::App;

pub use import::{ImportHandler, ImportResult, NewUpload, enqueue_import};
pub use uploads::Uploads;
pub use worker::{RunSummary, Worker, WorkerConfig};

/// A boxed future of a handler.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome, JobError>> + Send + 'a>>;

/// Why a job could not be enqueued or an attempt did not end normally.
#[derive(Debug, Error)]
pub enum JobError {
    /// The database failed: the attempt is retried later.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The actor may not start this job.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A file of the job could not be written or read.
    #[error("无法保存上传的文件：{0}")]
    Io(#[from] std::io::Error),
    /// The stored payload or result does not parse (a job of a newer or
    /// broken version).
    #[error("任务内容无法识别：{0}")]
    Payload(#[from] serde_json::Error),
    /// The worker runs no handler of this kind.
    #[error("未知的任务类型“{0}”")]
    UnknownKind(String),
    /// The request is not acceptable (shown to the user).
    #[error("{0}")]
    Invalid(String),
}

impl JobError {
    /// True when another worker took the job over meanwhile: this
    /// attempt's work was rolled back and the job is not this worker's
    /// to finish.
    pub fn is_superseded(&self) -> bool {
        matches!(self, JobError::Store(StoreError::Superseded))
    }
}

/// How an attempt ended, when it ended on its own terms.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The job is done: its result (JSON) and the audit entry to append
    /// with it.
    Done {
        /// The kind's result.
        result: String,
        /// Appended in the transaction that finishes the job.
        audit: Option<AuditEntry>,
    },
    /// The job failed for good: why (shown to the user, no personal
    /// data), and the audit entry.
    Failed {
        /// Why.
        reason: String,
        /// Appended in the transaction that finishes the job.
        audit: Option<AuditEntry>,
    },
}

impl Outcome {
    /// The audit entry that goes with it.
    pub fn audit(&self) -> Option<&AuditEntry> {
        match self {
            Outcome::Done { audit, .. } | Outcome::Failed { audit, .. } => audit.as_ref(),
        }
    }
}

/// What a handler runs an attempt with.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// Database and clock.
    pub app: App,
    /// The job as claimed.
    pub job: JobRow,
    /// The lease of this attempt.
    pub lease: Lease,
    /// True when an earlier attempt's worker died holding the job.
    pub took_over: bool,
    /// Where progress goes (the heartbeat writes it to the job).
    pub progress: ProgressSink,
}

/// The work of one kind of job.
pub trait Handler: Send + Sync + std::fmt::Debug {
    /// The kind it runs (`import`).
    fn kind(&self) -> &'static str;

    /// Runs one attempt. It first settles what earlier attempts left (see
    /// the module documentation), then works. `Err` with a store error
    /// retries the job later; other errors fail it.
    fn run<'a>(&'a self, ctx: &'a JobContext) -> JobFuture<'a>;

    /// The job's attempts are used up (the last one died, or failed on the
    /// database for `reason`): ends it, done when the work was in fact
    /// committed, else failed.
    fn give_up<'a>(&'a self, ctx: &'a JobContext, reason: &'a str) -> JobFuture<'a>;

    /// The audit entry of a job that failed for `reason` outside the
    /// handler's own outcome (a database error on its last attempt).
    fn failure_audit(&self, ctx: &JobContext, reason: &str) -> Option<AuditEntry>;

    /// The job has ended (done or failed): let go of what only its
    /// attempts needed (an import's upload; its report stays).
    fn ended(&self, job: &JobRow);

    /// The finished job was deleted: remove everything kept for it.
    fn forget(&self, job_id: &str);
}

/// The handlers a worker runs, by kind.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    handlers: Vec<Arc<dyn Handler>>,
}

impl Registry {
    /// Handlers of every kind this version knows, with imports' files
    /// under `uploads`.
    pub fn standard(uploads: Uploads) -> Registry {
        Registry::default()
            .with(ImportHandler::new(uploads))
            .with(scan::ScanHandler)
    }

    /// Adds `handler` (replacing one of the same kind).
    pub fn with(mut self, handler: impl Handler + 'static) -> Registry {
        self.handlers.retain(|h| h.kind() != handler.kind());
        self.handlers.push(Arc::new(handler));
        self
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Handler>> {
        self.handlers.iter().find(|h| h.kind() == kind)
    }

    /// The kinds handled.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.iter().map(|h| h.kind()).collect()
    }
}

/// How far a running job has got: its phase and the fraction of it done.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveProgress {
    /// Phase code (`checking`, `writing` …).
    pub phase: &'static str,
    /// Fraction of the phase done, 0.0–1.0.
    pub fraction: f64,
}

/// The jobs of this process: the progress of those its worker runs (a
/// page served here shows it at once, even while SQLite's writer lock
/// holds the heartbeat back), and a wake-up for the worker when a job is
/// enqueued here.
#[derive(Debug, Default)]
pub struct LocalJobs {
    progress: Mutex<HashMap<String, LiveProgress>>,
    wake: Notify,
}

impl LocalJobs {
    /// The progress of job `id` if this process runs it.
    pub fn progress(&self, id: &str) -> Option<LiveProgress> {
        self.progress
            .lock()
            .expect("progress lock")
            .get(id)
            .cloned()
    }

    /// Tells the worker a job is waiting (a wake-up is kept if the worker
    /// is busy, so none is lost).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn set(&self, id: &str, p: LiveProgress) {
        self.progress
            .lock()
            .expect("progress lock")
            .insert(id.to_string(), p);
    }

    fn forget(&self, id: &str) {
        self.progress.lock().expect("progress lock").remove(id);
    }
}

/// Where one attempt reports its progress.
#[derive(Debug, Clone)]
pub struct ProgressSink {
    job: String,
    local: Arc<LocalJobs>,
}

impl ProgressSink {
    /// Records that the job is in `phase`, `fraction` of it done.
    pub fn set(&self, phase: &'static str, fraction: f64) {
        self.local.set(&self.job, LiveProgress { phase, fraction });
    }

    fn get(&self) -> Option<LiveProgress> {
        self.local.progress(&self.job)
    }
}
