//! Imports running in the background: each upload becomes a job whose
//! progress the import's callback writes and whose outcome and error
//! report the pages read. Jobs live in memory (the change batch in the
//! database is the lasting record); the uploaded file and the report sit
//! in a directory of their own under the system's temporary directory.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jianfu_domain::{Permission, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::{Actor, App, ImportOutcome, ImportPhase, ImportRequest, import_file};

use crate::auth::CurrentUser;

/// Jobs kept in memory; the oldest finished ones (and their files) go.
const KEEP: usize = 200;

/// Where a job is.
#[derive(Debug, Clone)]
pub enum JobState {
    /// Waiting for, or in, the import.
    Running,
    /// The import ended (whether it wrote anything is in the outcome).
    Done(ImportOutcome),
    /// The import failed (message in Chinese, no personal data).
    Failed(String),
}

/// One import job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Random id (the URL's).
    pub id: String,
    /// The starter's user id.
    pub owner: i64,
    /// The starter's jurisdiction.
    pub owner_scope: Scope,
    /// Persons, diagnoses or claims.
    pub kind: FileKind,
    /// The uploaded file's name.
    pub file_name: String,
    /// Whether good rows are written when some are bad.
    pub skip_invalid: bool,
    /// When it started.
    pub started: DateTime<Utc>,
    /// Current pass.
    pub phase: Option<ImportPhase>,
    /// Fraction of the current pass done.
    pub fraction: f64,
    /// State.
    pub state: JobState,
    /// Working directory (upload and report).
    pub dir: PathBuf,
}

impl Job {
    /// The error report (CSV), once the import has ended.
    pub fn report(&self) -> Option<PathBuf> {
        match &self.state {
            JobState::Done(o) => o.report.clone().filter(|p| p.exists()),
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
        self.owner == user.user.id
            || (user.may(Permission::ManageUsers) && user.scope().covers(&self.owner_scope))
    }
}

/// The registry of import jobs.
#[derive(Debug)]
pub struct ImportJobs {
    root: PathBuf,
    jobs: Mutex<Vec<Arc<Mutex<Job>>>>,
}

impl Default for ImportJobs {
    fn default() -> Self {
        ImportJobs::new(std::env::temp_dir().join(format!("jianfu-imports-{}", std::process::id())))
    }
}

/// A new upload to run.
pub struct NewImport {
    /// Kind.
    pub kind: FileKind,
    /// The uploaded file's name as the user knows it.
    pub file_name: String,
    /// The file's content.
    pub bytes: Vec<u8>,
    /// Write good rows when some are bad.
    pub skip_invalid: bool,
}

impl ImportJobs {
    /// A registry keeping its files under `root`.
    pub fn new(root: PathBuf) -> Self {
        ImportJobs {
            root,
            jobs: Mutex::new(Vec::new()),
        }
    }

    /// A job by id, if `user` may see it.
    pub fn get(&self, id: &str, user: &CurrentUser) -> Option<Job> {
        let jobs = self.jobs.lock().expect("jobs lock");
        jobs.iter()
            .map(|j| j.lock().expect("job lock").clone())
            .find(|j| j.id == id && j.visible_to(user))
    }

    /// The jobs `user` may see, newest first.
    pub fn visible(&self, user: &CurrentUser) -> Vec<Job> {
        let jobs = self.jobs.lock().expect("jobs lock");
        jobs.iter()
            .rev()
            .map(|j| j.lock().expect("job lock").clone())
            .filter(|j| j.visible_to(user))
            .collect()
    }

    /// Saves the upload and starts its import as `user` in the
    /// background (the import use case checks the permission and writes
    /// the audit entry); returns the job id.
    pub fn start(&self, app: &App, user: &CurrentUser, new: NewImport) -> std::io::Result<String> {
        let id = jianfu_service::accounts::new_secret()[..24].to_string();
        let dir = self.root.join(&id);
        std::fs::create_dir_all(&dir)?;
        let ext = std::path::Path::new(&new.file_name)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .filter(|e| matches!(e.as_str(), "csv" | "xlsx" | "xls" | "txt"))
            .unwrap_or_else(|| "csv".into());
        let path = dir.join(format!("upload.{ext}"));
        std::fs::write(&path, &new.bytes)?;
        let mut req = ImportRequest::new(path, new.kind, user.user.username.clone());
        req.options.file_label = Some(new.file_name.clone());
        req.skip_invalid = new.skip_invalid;
        req.report = Some(dir.join("report.csv"));
        let job = Arc::new(Mutex::new(Job {
            id: id.clone(),
            owner: user.user.id,
            owner_scope: *user.scope(),
            kind: new.kind,
            file_name: new.file_name.clone(),
            skip_invalid: new.skip_invalid,
            started: Utc::now(),
            phase: None,
            fraction: 0.0,
            state: JobState::Running,
            dir,
        }));
        self.push(job.clone());
        tokio::spawn(run(app.clone(), user.actor.clone(), req, job));
        Ok(id)
    }

    fn push(&self, job: Arc<Mutex<Job>>) {
        let mut jobs = self.jobs.lock().expect("jobs lock");
        jobs.push(job);
        while jobs.len() > KEEP {
            let Some(at) = jobs
                .iter()
                .position(|j| !matches!(j.lock().expect("job lock").state, JobState::Running))
            else {
                break;
            };
            let old = jobs.remove(at);
            let _ = std::fs::remove_dir_all(&old.lock().expect("job lock").dir);
        }
    }
}

async fn run(app: App, actor: Actor, req: ImportRequest, job: Arc<Mutex<Job>>) {
    let progress_job = job.clone();
    let result = import_file(&app, &actor, &req, move |phase, p| {
        let mut j = progress_job.lock().expect("job lock");
        j.phase = Some(phase);
        j.fraction = p.fraction();
    })
    .await;
    let kind = req.kind.name();
    let state = match result {
        Ok(outcome) => {
            tracing::info!(
                kind,
                batch = outcome.batch_id,
                rows = outcome.data_rows,
                rejected = outcome.rejected_rows,
                errors = outcome.errors,
                committed = outcome.committed,
                "web import finished"
            );
            JobState::Done(outcome)
        }
        Err(e) => {
            tracing::error!(kind, error = %e, "web import failed");
            JobState::Failed(match e {
                jianfu_service::ImportError::Store(_) => {
                    "数据库出错，未写入任何数据；请稍后重试".into()
                }
                other => other.to_string(),
            })
        }
    };
    // The upload is not kept once imported; the report stays for download.
    let _ = std::fs::remove_file(&req.path);
    job.lock().expect("job lock").state = state;
}
