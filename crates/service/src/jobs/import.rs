//! The import job: a file of persons, diagnoses or claims uploaded through
//! the web or the API, kept in the job's directory until the job ends and
//! imported by the import use case as the uploader, in their
//! jurisdiction. The error report stays in the directory until the job
//! is cleaned up.
//!
//! Each attempt first settles what earlier ones left: a change batch of
//! the job that committed ends the job with that batch's outcome (no
//! second import); one left `running` by a dead attempt is marked
//! `interrupted`.

use std::path::{Path, PathBuf};

use jianfu_domain::{Role, Scope};
use jianfu_ingest::{FileKind, ImportOptions, Progress};
use jianfu_store::rollups::{self, RollupParts};
use jianfu_store::{AuditEntry, JobBatch, JobRow, NewJob, batches, jobs};
use serde::{Deserialize, Serialize};

use super::{Handler, JobContext, JobError, JobFuture, Outcome, Uploads};
use crate::actor::Actor;
use crate::app::App;
use crate::import::{ImportError, ImportOutcome, ImportPhase, ImportRequest};

/// The kind of import jobs.
pub const KIND: &str = "import";
/// The error report's file in the job's directory.
pub const REPORT: &str = "report.csv";
/// Attempts an import job gets (a worker dying or the database failing
/// counts; rows the file gets wrong do not: they are in the report).
const MAX_ATTEMPTS: i64 = 3;

/// What an import job stores: the upload and who sent it (user id, name,
/// role and jurisdiction: the import runs as that user did). Paths and
/// ids only, never a row of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPayload {
    /// `persons`, `diagnoses` or `claims`.
    pub file_kind: String,
    /// The uploaded file's name in the job's directory.
    pub upload: String,
    /// Write the good rows even when some are bad.
    pub skip_invalid: bool,
    /// The uploader's user id.
    pub user_id: Option<i64>,
    /// The uploader's user name (kept in the change history).
    pub username: String,
    /// The uploader's role code.
    pub role: String,
    /// The uploader's jurisdiction, stored form.
    pub scope: String,
    /// The uploader's address, for the audit entry.
    pub client_ip: Option<String>,
}

impl ImportPayload {
    /// The payload of an import job.
    pub fn of(job: &JobRow) -> Result<ImportPayload, JobError> {
        Ok(serde_json::from_str(&job.payload)?)
    }

    /// The file's kind.
    pub fn kind(&self) -> Result<FileKind, JobError> {
        FileKind::from_name(&self.file_kind)
            .ok_or_else(|| JobError::Invalid(format!("未知的导入类型“{}”", self.file_kind)))
    }

    /// The uploader, as they were when they uploaded.
    fn actor(&self) -> Result<Actor, JobError> {
        let bad = || JobError::Invalid("任务中的上传人信息无法识别".into());
        Ok(Actor {
            user_id: self.user_id,
            username: self.username.clone(),
            role: Role::from_code(&self.role).ok_or_else(bad)?,
            scope: Scope::parse(&self.scope).ok_or_else(bad)?,
            client_ip: self.client_ip.clone(),
        })
    }
}

/// How an import job ended (its stored result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    /// True when the rows were written.
    pub committed: bool,
    /// Data rows in the file.
    pub data_rows: u64,
    /// Rows not written because of a problem.
    pub rejected_rows: u64,
    /// Problems of severity error.
    pub errors: u64,
    /// Warnings.
    pub warnings: u64,
    /// The change batch recording the import.
    pub batch_id: Option<i64>,
    /// True when the attempt that committed died before it could finish
    /// the job: the counts are the change batch's (warnings unknown) and
    /// the report may be incomplete.
    #[serde(default)]
    pub recovered: bool,
}

impl ImportResult {
    /// True when every row was written and nothing was wrong.
    pub fn is_success(&self) -> bool {
        self.committed && self.errors == 0
    }

    fn of(o: &ImportOutcome) -> ImportResult {
        ImportResult {
            committed: o.committed,
            data_rows: o.data_rows,
            rejected_rows: o.rejected_rows,
            errors: o.errors,
            warnings: o.warnings,
            batch_id: o.batch_id,
            recovered: false,
        }
    }

    fn of_batch(b: &JobBatch) -> ImportResult {
        let total = b.rows_total.max(0) as u64;
        ImportResult {
            committed: true,
            data_rows: total,
            rejected_rows: total.saturating_sub(b.rows_written.max(0) as u64),
            errors: b.errors.max(0) as u64,
            warnings: 0,
            batch_id: Some(b.id),
            recovered: true,
        }
    }
}

/// An upload to import.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// Persons, diagnoses or claims.
    pub kind: FileKind,
    /// The file's name as the user knows it.
    pub file_name: String,
    /// The file's content.
    pub bytes: Vec<u8>,
    /// Write the good rows when some are bad.
    pub skip_invalid: bool,
}

/// Stores `new` in a directory of its own under `uploads` and enqueues
/// its import as `actor`; returns the job id. The file is on disk before
/// the job exists, so no worker ever finds a job without its file.
pub async fn enqueue_import(
    app: &App,
    actor: &Actor,
    uploads: &Uploads,
    new: NewUpload,
) -> Result<String, JobError> {
    actor.require(crate::import::permission(new.kind))?;
    let id = crate::accounts::new_secret()[..24].to_string();
    let dir = uploads.dir(&id)?;
    let upload = format!("upload.{}", extension(&new.file_name));
    let payload = serde_json::to_string(&ImportPayload {
        file_kind: new.kind.name().to_string(),
        upload: upload.clone(),
        skip_invalid: new.skip_invalid,
        user_id: actor.user_id,
        username: actor.username.clone(),
        role: actor.role.code().to_string(),
        scope: actor.scope.code().to_string(),
        client_ip: actor.client_ip.clone(),
    })?;
    let stored = async {
        write_durably(dir.join(&upload), new.bytes).await?;
        let now = app.now();
        let job = NewJob {
            id: &id,
            kind: KIND,
            payload: &payload,
            due_at: now,
            max_attempts: MAX_ATTEMPTS,
            created_by: actor.user_id,
            region: actor.scope.code(),
            file_name: Some(&new.file_name),
        };
        jobs::enqueue(&mut app.db.read().await?, &job, now).await?;
        Ok::<_, JobError>(())
    };
    if let Err(e) = stored.await {
        uploads.remove_dir(&id);
        return Err(e);
    }
    Ok(id)
}

/// The upload's extension as the reader expects it (`csv` unless known).
fn extension(file_name: &str) -> String {
    Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| matches!(e.as_str(), "csv" | "xlsx" | "xls" | "txt"))
        .unwrap_or_else(|| "csv".into())
}

/// Writes `bytes` to `path` and flushes them to the disk, creating the
/// directory: a job must never outlive its file.
async fn write_durably(path: PathBuf, bytes: Vec<u8>) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::File::create(&path)?;
        std::io::Write::write_all(&mut f, &bytes)?;
        f.sync_all()
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The phase codes import jobs record.
pub fn phase_code(phase: ImportPhase) -> &'static str {
    match phase {
        ImportPhase::Checking => "checking",
        ImportPhase::Writing => "writing",
    }
}

/// Runs import jobs; their files live under its [`Uploads`].
#[derive(Debug, Clone)]
pub struct ImportHandler {
    uploads: Uploads,
}

impl ImportHandler {
    /// Import jobs with their files under `uploads`.
    pub fn new(uploads: Uploads) -> ImportHandler {
        ImportHandler { uploads }
    }

    async fn attempt(&self, ctx: &JobContext) -> Result<Outcome, JobError> {
        let p = ImportPayload::of(&ctx.job)?;
        if let Some(result) = earlier_commit(ctx).await? {
            return Ok(done(ctx, &p, &result));
        }
        let dir = self.uploads.dir(&ctx.job.id)?;
        let path = dir.join(&p.upload);
        if !path.is_file() {
            return Ok(failed(
                ctx,
                &p,
                "上传的文件已不在服务器上，未导入；请重新上传",
            ));
        }
        let req = request(ctx, &p, path, dir.join(REPORT))?;
        let sink = ctx.progress.clone();
        let progress =
            move |phase: ImportPhase, pr: Progress| sink.set(phase_code(phase), pr.fraction());
        let actor = p.actor()?;
        let work = crate::import_file(&ctx.app, &actor, &req, progress);
        match jobs::within(ctx.lease.clone(), work).await {
            Ok(o) => Ok(done(ctx, &p, &ImportResult::of(&o))),
            // Retried (or superseded): nothing of this attempt was written.
            Err(ImportError::Store(e)) => Err(e.into()),
            Err(e) => Ok(failed(ctx, &p, &e.to_string())),
        }
    }

    async fn last_attempt_died(&self, ctx: &JobContext, reason: &str) -> Result<Outcome, JobError> {
        let p = ImportPayload::of(&ctx.job)?;
        if let Some(result) = earlier_commit(ctx).await? {
            return Ok(done(ctx, &p, &result));
        }
        let reason = format!("{reason}，未写入任何数据；请重新上传");
        Ok(failed(ctx, &p, &reason))
    }
}

impl Handler for ImportHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> JobFuture<'a> {
        Box::pin(self.attempt(ctx))
    }

    fn give_up<'a>(&'a self, ctx: &'a JobContext, reason: &'a str) -> JobFuture<'a> {
        Box::pin(self.last_attempt_died(ctx, reason))
    }

    fn failure_audit(&self, ctx: &JobContext, _reason: &str) -> Option<AuditEntry> {
        let p = ImportPayload::of(&ctx.job).ok()?;
        failed(ctx, &p, "").audit().cloned()
    }

    fn ended(&self, job: &JobRow) {
        if let Ok(p) = ImportPayload::of(job) {
            self.uploads.remove_file(&job.id, &p.upload);
        }
    }

    fn forget(&self, job_id: &str) {
        self.uploads.remove_dir(job_id);
    }
}

/// The request of job `ctx` as its uploader would have made it, dates
/// judged against the clock's today.
fn request(
    ctx: &JobContext,
    p: &ImportPayload,
    path: PathBuf,
    report: PathBuf,
) -> Result<ImportRequest, JobError> {
    let mut req = ImportRequest::new(path, p.kind()?, p.username.clone());
    req.options = ImportOptions::new(ctx.app.today());
    req.options.file_label = ctx.job.file_name.clone();
    req.skip_invalid = p.skip_invalid;
    req.report = Some(report);
    Ok(req)
}

/// What earlier attempts of the job committed, if anything. Batches they
/// left `running` died with their attempt: marked `interrupted` first,
/// so that an attempt still alive somewhere can no longer commit. A
/// committed batch's counties get their dashboard figures refreshed (the
/// attempt may have died before it did).
async fn earlier_commit(ctx: &JobContext) -> Result<Option<ImportResult>, JobError> {
    let id = &ctx.job.id;
    let mut c = ctx.app.db.read().await?;
    let mut found = batches::of_job(&mut c, id).await?;
    // Reads first: a first attempt, the usual case, writes nothing here.
    if found.iter().any(|b| b.status == "running") {
        let n = batches::interrupt_running(&mut c, id, ctx.app.now()).await?;
        tracing::info!(job = %id, batches = n, "batches of a dead attempt interrupted");
        found = batches::of_job(&mut c, id).await?;
    }
    drop(c);
    let Some(batch) = found.into_iter().rev().find(|b| b.status == "committed") else {
        return Ok(None);
    };
    tracing::info!(job = %id, batch = batch.id, "import committed by an earlier attempt");
    let parts = RollupParts::after_import(&batch.kind);
    for county in batch.counties.as_deref().unwrap_or("").split(',') {
        if county.is_empty() {
            continue;
        }
        let mut tx = ctx.app.db.begin().await?;
        rollups::refresh_rollup_parts(&mut tx, county, parts).await?;
        tx.commit().await?;
    }
    Ok(Some(ImportResult::of_batch(&batch)))
}

/// The audit entry of job `ctx` failing: `import.failed`, not `import`,
/// which only the import use case writes, with what it did.
fn failure_entry(ctx: &JobContext, p: &ImportPayload, detail: String) -> Option<AuditEntry> {
    let actor = p.actor().ok()?;
    let mut e = actor.entry("import.failed", actor.scope.code());
    e.target_kind = Some("file".into());
    e.target_key = ctx.job.file_name.clone();
    e.detail = Some(detail);
    Some(e)
}

fn done(ctx: &JobContext, p: &ImportPayload, r: &ImportResult) -> Outcome {
    tracing::info!(
        job = %ctx.job.id,
        kind = %p.file_kind,
        batch = r.batch_id,
        rows = r.data_rows,
        rejected = r.rejected_rows,
        errors = r.errors,
        committed = r.committed,
        recovered = r.recovered,
        "import job done"
    );
    // The import's own entry was written by the use case: with its rows,
    // or beside its rejection (by an earlier attempt, when recovered).
    Outcome::Done {
        result: serde_json::to_string(r).expect("a result serialises"),
        audit: None,
    }
}

fn failed(ctx: &JobContext, p: &ImportPayload, reason: &str) -> Outcome {
    let detail = format!("kind={} failed job={}", p.file_kind, ctx.job.id);
    Outcome::Failed {
        reason: reason.to_string(),
        audit: failure_entry(ctx, p, detail),
    }
}
