//! Imports running in the background, as durable jobs
//! ([`jianfu_service::jobs`]): an upload is stored in its job's directory
//! and enqueued, and the worker of this server, or of another sharing the
//! database and the directory, imports it. The pages read jobs from the
//! database, so a job and its outcome outlive the server that took the
//! upload; the progress of a job this server runs is read from memory,
//! fresher than the database's.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jianfu_domain::{Permission, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::ImportPhase;
use jianfu_service::jobs::import::{ImportPayload, KIND, REPORT};
use jianfu_service::jobs::{
    ImportResult, JobError, LocalJobs, NewUpload, Registry, Uploads, Worker, WorkerConfig,
};
use jianfu_service::{App, jobs::enqueue_import};
use jianfu_store::jobs::{self as stored, Visible, state};
use jianfu_store::{Db, JobRow};

use crate::auth::CurrentUser;
use crate::error::AppError;

/// Jobs listed on the imports page.
const LISTED: i64 = 20;

/// Where a job is.
#[derive(Debug, Clone)]
pub enum JobState {
    /// Waiting for, or in, the import.
    Running,
    /// The import ended (whether it wrote anything is in the result).
    Done(ImportResult),
    /// The import failed (message in Chinese, no personal data).
    Failed(String),
}

/// One import job, as the pages show it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Random id (the URL's).
    pub id: String,
    /// The starter's user id.
    pub owner: Option<i64>,
    /// The starter's jurisdiction.
    pub owner_scope: Scope,
    /// Persons, diagnoses or claims.
    pub kind: FileKind,
    /// The uploaded file's name.
    pub file_name: String,
    /// Whether good rows are written when some are bad.
    pub skip_invalid: bool,
    /// When it was uploaded.
    pub started: DateTime<Utc>,
    /// Current pass.
    pub phase: Option<ImportPhase>,
    /// Fraction of the current pass done.
    pub fraction: f64,
    /// State.
    pub state: JobState,
    /// Where its error report is written.
    report_path: PathBuf,
}

impl Job {
    /// The error report (CSV), once the import has ended.
    pub fn report(&self) -> Option<PathBuf> {
        match &self.state {
            JobState::Done(_) => Some(self.report_path.clone()).filter(|p| p.exists()),
            _ => None,
        }
    }

    /// Percent done, over both passes.
    pub fn percent(&self) -> u32 {
        match (&self.state, self.phase) {
            (JobState::Running, None) => 0,
            (JobState::Running, Some(ImportPhase::Checking)) => (self.fraction * 50.0) as u32,
            (JobState::Running, Some(ImportPhase::Writing)) => {
                50 + (self.fraction * 50.0).min(49.0) as u32
            }
            _ => 100,
        }
    }

    /// True when `user` may see this job: its starter, or an
    /// administrator whose jurisdiction covers the starter's.
    pub fn visible_to(&self, user: &CurrentUser) -> bool {
        self.owner == Some(user.user.id)
            || (user.may(Permission::ManageUsers) && user.scope().covers(&self.owner_scope))
    }
}

/// The import jobs as this server sees them.
#[derive(Debug)]
pub struct ImportJobs {
    uploads: Uploads,
    local: Arc<LocalJobs>,
}

impl Default for ImportJobs {
    /// Files under the system's temporary directory (tests; `jianfu
    /// serve` names a directory every server of the database shares).
    fn default() -> Self {
        let dir = std::env::temp_dir().join(format!("jianfu-uploads-{}", std::process::id()));
        ImportJobs::new(Uploads::new(dir))
    }
}

impl ImportJobs {
    /// Jobs with their files under `uploads`.
    pub fn new(uploads: Uploads) -> Self {
        ImportJobs {
            uploads,
            local: Arc::default(),
        }
    }

    /// Where the jobs' files are.
    pub fn uploads(&self) -> &Uploads {
        &self.uploads
    }

    /// A worker running this server's jobs (and any other due ones).
    pub fn worker(&self, app: &App, config: WorkerConfig) -> Result<Worker, JobError> {
        let registry = Registry::standard(self.uploads.clone());
        Worker::new(app.clone(), registry, config, self.local.clone())
    }

    /// The job `id`, if `user` may see it.
    pub async fn get(
        &self,
        db: &Db,
        id: &str,
        user: &CurrentUser,
    ) -> Result<Option<Job>, AppError> {
        let row = stored::find(&mut db.read().await?, id).await?;
        Ok(row
            .filter(|r| r.kind == KIND)
            .and_then(|r| self.job(r))
            .filter(|j| j.visible_to(user)))
    }

    /// The recent jobs `user` may see, newest first.
    pub async fn visible(&self, db: &Db, user: &CurrentUser) -> Result<Vec<Job>, AppError> {
        let admin_prefix = user
            .may(Permission::ManageUsers)
            .then(|| user.scope().prefix());
        let visible = Visible::To {
            user: user.user.id,
            admin_prefix,
        };
        let rows = stored::recent(&mut db.read().await?, visible, Some(KIND), LISTED).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| self.job(r))
            .filter(|j| j.visible_to(user))
            .collect())
    }

    /// Stores the upload and enqueues its import as `user`; wakes this
    /// server's worker. Returns the job id.
    pub async fn start(
        &self,
        app: &App,
        user: &CurrentUser,
        new: NewUpload,
    ) -> Result<String, JobError> {
        let id = enqueue_import(app, &user.actor, &self.uploads, new).await?;
        self.local.wake();
        Ok(id)
    }

    /// The page's view of a stored job (`None` if it cannot be read: a
    /// job of another version).
    fn job(&self, row: JobRow) -> Option<Job> {
        let payload = ImportPayload::of(&row).ok()?;
        let report_path = self.uploads.dir(&row.id).ok()?.join(REPORT);
        let (phase, fraction) = match self.local.progress(&row.id) {
            Some(p) => (phase_of(p.phase), p.fraction),
            None => (
                row.phase.as_deref().and_then(phase_of),
                row.progress as f64 / 1000.0,
            ),
        };
        let state = match row.state.as_str() {
            state::DONE => JobState::Done(serde_json::from_str(row.result.as_deref()?).ok()?),
            state::FAILED => JobState::Failed(row.last_error.clone().unwrap_or_default()),
            _ => JobState::Running,
        };
        Some(Job {
            owner: row.created_by,
            owner_scope: Scope::parse(&row.region)?,
            kind: payload.kind().ok()?,
            file_name: row.file_name.clone().unwrap_or_default(),
            skip_invalid: payload.skip_invalid,
            started: row.created_at,
            phase,
            fraction,
            state,
            report_path,
            id: row.id,
        })
    }
}

fn phase_of(code: &str) -> Option<ImportPhase> {
    [ImportPhase::Checking, ImportPhase::Writing]
        .into_iter()
        .find(|p| jianfu_service::jobs::import::phase_code(*p) == code)
}
