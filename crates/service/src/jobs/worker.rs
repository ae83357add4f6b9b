//! The worker: claims due jobs of the kinds it runs, runs each with its
//! kind's handler while a heartbeat extends the lease and records the
//! progress, and finishes it (done or failed with its audit entry in one
//! transaction; retried later after a database failure). A worker
//! stopping gives its running jobs back to the queue; a worker dying
//! leaves them to be taken over when their lease runs out.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use jianfu_store::jobs::{self, Claimed, Finish, JobProgress, Lease};
use jianfu_store::{JobRow, StoreError, audit};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use super::{
    Handler, JobContext, JobError, LiveProgress, LocalJobs, Outcome, ProgressSink, Registry,
};
use crate::app::App;

/// How a worker works.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The name its leases carry: host, process id and a random part, so
    /// a restarted process never passes for its predecessor.
    pub owner: String,
    /// Kinds it claims; every kind it has a handler for when empty.
    pub kinds: Vec<String>,
    /// How long a claim or a heartbeat holds a job: a job whose worker
    /// died is taken over this long after its last heartbeat.
    pub lease: TimeDelta,
    /// Jobs run at once.
    pub slots: usize,
    /// How often an idle worker looks for due jobs (a job enqueued by
    /// this process wakes it at once).
    pub poll: Duration,
    /// Wait before retrying after a database failure, times the attempt.
    pub retry_after: TimeDelta,
    /// Finished jobs are deleted, with their files, this long after they
    /// were enqueued.
    pub keep: TimeDelta,
    /// On shutdown, how long running jobs may still finish before they
    /// are stopped and given back to the queue.
    pub grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            owner: owner_name(),
            kinds: Vec::new(),
            lease: TimeDelta::seconds(60),
            slots: 1,
            poll: Duration::from_secs(2),
            retry_after: TimeDelta::seconds(30),
            keep: TimeDelta::days(30),
            grace: Duration::from_secs(10),
        }
    }
}

/// `host:pid:random`.
fn owner_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let nonce = &crate::accounts::new_secret()[..8];
    format!("{host}:{}:{nonce}", std::process::id())
}

/// How one claimed job ended for this worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Done,
    Failed,
    Retried,
    /// Given back on shutdown.
    Released,
    /// Another worker holds it now, or the finish could not be written.
    Left,
}

/// What [`Worker::run_until_idle`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Jobs claimed.
    pub claimed: u64,
    /// Of them, done.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// Put back to be retried later.
    pub retried: u64,
    /// Finished jobs cleaned up.
    pub cleaned: u64,
}

impl RunSummary {
    fn count(&mut self, e: Ended) {
        self.claimed += 1;
        match e {
            Ended::Done => self.done += 1,
            Ended::Failed => self.failed += 1,
            Ended::Retried => self.retried += 1,
            Ended::Released | Ended::Left => {}
        }
    }
}

/// A worker over the jobs table.
#[derive(Debug, Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    app: App,
    registry: Registry,
    config: WorkerConfig,
    kinds: Vec<&'static str>,
    local: Arc<LocalJobs>,
}

impl Worker {
    /// A worker running `registry`'s handlers (those of `config.kinds`),
    /// sharing `local` with the rest of its process.
    pub fn new(
        app: App,
        registry: Registry,
        config: WorkerConfig,
        local: Arc<LocalJobs>,
    ) -> Result<Worker, JobError> {
        let mut kinds = registry.kinds();
        if !config.kinds.is_empty() {
            if let Some(k) = config.kinds.iter().find(|k| registry.get(k).is_none()) {
                return Err(JobError::UnknownKind(k.clone()));
            }
            kinds.retain(|k| config.kinds.iter().any(|c| c == k));
        }
        Ok(Worker {
            inner: Arc::new(Inner {
                app,
                registry,
                config,
                kinds,
                local,
            }),
        })
    }

    /// What this worker shares with its process.
    pub fn local(&self) -> &Arc<LocalJobs> {
        &self.inner.local
    }

    /// Claims the next due job of a kind this worker runs.
    async fn claim(&self) -> Result<Option<Claimed>, JobError> {
        let i = &self.inner;
        let now = i.app.now();
        let until = now + i.config.lease;
        let mut c = i.app.db.read().await?;
        for kind in &i.kinds {
            if let Some(claimed) =
                jobs::claim_next(&mut c, kind, &i.config.owner, now, until).await?
            {
                return Ok(Some(claimed));
            }
        }
        Ok(None)
    }

    /// Claims one due job and runs it to its end; the job as stored
    /// afterwards, `None` when nothing was due.
    pub async fn run_next(&self) -> Result<Option<JobRow>, JobError> {
        let Some(claimed) = self.claim().await? else {
            return Ok(None);
        };
        let id = claimed.job.id.clone();
        self.run_claimed(claimed, never()).await;
        let mut c = self.inner.app.db.read().await?;
        Ok(jobs::find(&mut c, &id).await?)
    }

    /// Runs due jobs one after another until none is due, then cleans up
    /// old finished jobs (`jianfu jobs run --once`).
    pub async fn run_until_idle(&self) -> Result<RunSummary, JobError> {
        let mut summary = RunSummary::default();
        while let Some(claimed) = self.claim().await? {
            summary.count(self.run_claimed(claimed, never()).await);
        }
        summary.cleaned = self.clean_up().await?;
        Ok(summary)
    }

    /// Works until `shutdown` completes (`jianfu serve`, `jianfu jobs
    /// run`): up to `slots` jobs at once, looking for due jobs every
    /// `poll` or when woken, doing its chores when due. On shutdown
    /// running jobs get `grace` to finish; the rest are stopped and given
    /// back.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let (stop, stopped) = watch::channel(false);
        let mut running = JoinSet::new();
        let mut chores = [Instant::now(); 2];
        tokio::pin!(shutdown);
        loop {
            self.chores(&mut chores).await;
            self.fill(&mut running, &stopped).await;
            tokio::select! {
                () = &mut shutdown => break,
                () = self.inner.local.wake.notified() => {}
                () = tokio::time::sleep(self.inner.config.poll) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        let grace = self.inner.config.grace;
        let drained = tokio::time::timeout(grace, async {
            while running.join_next().await.is_some() {}
        });
        if drained.await.is_err() {
            let _ = stop.send(true);
            while running.join_next().await.is_some() {}
        }
        tracing::info!("job worker stopped");
    }

    /// Does what is due at `next`: looking for change batches of dead
    /// processes and enqueueing the hour's deadline scan (every minute),
    /// cleaning up (hourly).
    async fn chores(&self, next: &mut [Instant; 2]) {
        let now = Instant::now();
        if now >= next[0] {
            next[0] = now + Duration::from_secs(60);
            if let Err(e) = crate::batches::interrupt_orphans(&self.inner.app).await {
                tracing::warn!(error = %e, "cannot look for batches of dead processes");
            }
            if self.inner.kinds.contains(&super::scan::KIND)
                && let Err(e) = super::scan::enqueue_hourly(&self.inner.app).await
            {
                tracing::warn!(error = %e, "cannot enqueue the deadline scan");
            }
        }
        if now >= next[1] {
            next[1] = now + Duration::from_secs(3600);
            if let Err(e) = self.clean_up().await {
                tracing::warn!(error = %e, "job cleanup failed");
            }
        }
    }

    /// Claims jobs until every slot is busy or none is due.
    async fn fill(&self, running: &mut JoinSet<Ended>, stopped: &watch::Receiver<bool>) {
        while running.len() < self.inner.config.slots.max(1) {
            match self.claim().await {
                Ok(Some(claimed)) => {
                    let (me, stopped) = (self.clone(), stopped.clone());
                    running.spawn(async move { me.run_claimed(claimed, stopped).await });
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim jobs");
                    break;
                }
            }
        }
    }

    /// Deletes finished jobs older than `keep`, with their files; returns
    /// how many went.
    pub async fn clean_up(&self) -> Result<u64, JobError> {
        let i = &self.inner;
        let cutoff = i.app.now() - i.config.keep;
        let mut total = 0;
        loop {
            let mut c = i.app.db.read().await?;
            let old = jobs::finished_before(&mut c, cutoff, 500).await?;
            if old.is_empty() {
                break;
            }
            let ids: Vec<String> = old.iter().map(|(id, _)| id.clone()).collect();
            total += jobs::delete_finished(&mut c, &ids).await?;
            drop(c);
            for (id, kind) in &old {
                if let Some(h) = i.registry.get(kind) {
                    h.forget(id);
                }
            }
        }
        if total > 0 {
            tracing::info!(jobs = total, "old finished jobs cleaned up");
        }
        Ok(total)
    }

    /// Runs one claimed job to its end under a heartbeat; stops it when
    /// `stopped` turns true or its lease is lost.
    async fn run_claimed(&self, claimed: Claimed, stopped: watch::Receiver<bool>) -> Ended {
        let lease = claimed.lease();
        let (job, took_over) = (claimed.job, claimed.took_over);
        let Some(handler) = self.inner.registry.get(&job.kind).cloned() else {
            unreachable!("a worker claims only the kinds it has handlers for")
        };
        tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, took_over, "job claimed");
        let ctx = JobContext {
            app: self.inner.app.clone(),
            progress: ProgressSink {
                job: job.id.clone(),
                local: self.inner.local.clone(),
            },
            job,
            lease,
            took_over,
        };
        let (lost, lease_lost) = oneshot::channel();
        let beat = tokio::spawn(self.clone().heartbeat(ctx.clone(), lost));
        let ran = self.attempt(&ctx, &*handler, lease_lost, stopped).await;
        beat.abort();
        self.inner.local.forget(&ctx.job.id);
        match ran {
            Ran::Work(r) => self.conclude(&ctx, &*handler, *r).await,
            Ran::LeaseLost => {
                tracing::warn!(job = %ctx.job.id, "lease lost: the job was taken over");
                Ended::Left
            }
            Ran::Stopped => self.give_back(&ctx.lease).await,
        }
    }

    /// Runs the handler until it ends, the lease is lost or the worker
    /// stops (dropping the work rolls back whatever it had begun).
    async fn attempt(
        &self,
        ctx: &JobContext,
        handler: &dyn Handler,
        lease_lost: oneshot::Receiver<()>,
        stopped: watch::Receiver<bool>,
    ) -> Ran {
        let died = format!("服务中断，任务未完成（已尝试 {} 次）", ctx.job.max_attempts);
        let work = async {
            if ctx.job.attempts > ctx.job.max_attempts {
                handler.give_up(ctx, &died).await
            } else {
                handler.run(ctx).await
            }
        };
        tokio::select! {
            r = work => Ran::Work(Box::new(r)),
            Ok(()) = lease_lost => Ran::LeaseLost,
            () = until_true(stopped) => Ran::Stopped,
        }
    }

    /// Records how an attempt ended.
    async fn conclude(
        &self,
        ctx: &JobContext,
        handler: &dyn Handler,
        r: Result<Outcome, JobError>,
    ) -> Ended {
        match r {
            Ok(outcome) => self.finish(ctx, handler, outcome).await,
            Err(e) if e.is_superseded() => {
                tracing::warn!(job = %ctx.job.id, "work rolled back: the job was taken over");
                Ended::Left
            }
            Err(JobError::Store(e)) => self.retry_or_give_up(ctx, handler, e).await,
            Err(e) => {
                let reason = e.to_string();
                let audit = handler.failure_audit(ctx, &reason);
                self.finish(ctx, handler, Outcome::Failed { reason, audit })
                    .await
            }
        }
    }

    /// After a database failure: the job goes back to the queue for a
    /// later attempt, or, its attempts used up, to the handler to end.
    async fn retry_or_give_up(
        &self,
        ctx: &JobContext,
        handler: &dyn Handler,
        e: StoreError,
    ) -> Ended {
        tracing::warn!(job = %ctx.job.id, attempt = ctx.job.attempts, error = %e, "job attempt failed");
        let job = &ctx.job;
        if job.attempts < job.max_attempts {
            let now = ctx.app.now();
            let due = now + self.inner.config.retry_after * job.attempts as i32;
            let why = "数据库出错，稍后自动重试";
            let retried = async {
                let mut c = ctx.app.db.read().await?;
                jobs::retry(&mut c, &ctx.lease, why, due, now).await
            };
            return match retried.await {
                Ok(true) => Ended::Retried,
                Ok(false) => Ended::Left,
                Err(e) => {
                    tracing::error!(job = %job.id, error = %e, "cannot queue the job again");
                    Ended::Left
                }
            };
        }
        let reason = format!("数据库出错，任务未完成（已尝试 {} 次）", job.attempts);
        match handler.give_up(ctx, &reason).await {
            Ok(outcome) => self.finish(ctx, handler, outcome).await,
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "cannot end the job");
                Ended::Left
            }
        }
    }

    /// Ends the job with `outcome` and its audit entry, in one
    /// transaction, if this worker still holds it; then the handler lets
    /// go of the job's working files.
    async fn finish(&self, ctx: &JobContext, handler: &dyn Handler, outcome: Outcome) -> Ended {
        let now = ctx.app.now();
        let (how, ended) = match &outcome {
            Outcome::Done { result, .. } => (Finish::Done { result }, Ended::Done),
            Outcome::Failed { reason, .. } => (Finish::Failed { error: reason }, Ended::Failed),
        };
        let written = async {
            let mut tx = ctx.app.db.begin().await?;
            let held = jobs::finish(&mut tx, &ctx.lease, how, now).await?;
            if let (true, Some(entry)) = (held, outcome.audit()) {
                audit::append_at(&mut tx, entry, now).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(held)
        };
        match written.await {
            Ok(true) => {
                handler.ended(&ctx.job);
                tracing::info!(job = %ctx.job.id, state = ?ended, "job finished");
                ended
            }
            Ok(false) => {
                tracing::warn!(job = %ctx.job.id, "job taken over before it could be finished");
                Ended::Left
            }
            Err(e) => {
                // The lease runs out and the next attempt settles it.
                tracing::error!(job = %ctx.job.id, error = %e, "cannot finish the job");
                Ended::Left
            }
        }
    }

    /// Gives a stopped job back to the queue.
    async fn give_back(&self, lease: &Lease) -> Ended {
        let now = self.inner.app.now();
        let released = async {
            let mut c = self.inner.app.db.read().await?;
            jobs::release(&mut c, lease, now).await
        };
        match released.await {
            Ok(_) => {
                tracing::info!(job = %lease.job_id, "job given back on shutdown");
                Ended::Released
            }
            Err(e) => {
                tracing::warn!(job = %lease.job_id, error = %e, "cannot give the job back");
                Ended::Left
            }
        }
    }

    /// Extends the lease of `ctx`'s job and records its progress until
    /// aborted; says so on `lost` if the lease is no longer held. Progress
    /// is written at most once a second, the lease renewed every quarter
    /// of its length. (On SQLite a write waits while an import holds the
    /// writer; the lease must outlast that.)
    async fn heartbeat(self, ctx: JobContext, lost: oneshot::Sender<()>) {
        let lease = self.inner.config.lease;
        let renew_every = lease.to_std().unwrap_or_default() / 4;
        let mut written: Option<LiveProgress> = None;
        let mut renewed = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let progress = ctx.progress.get();
            if progress == written && renewed.elapsed() < renew_every {
                continue;
            }
            let p = progress.as_ref().map(|p| JobProgress {
                phase: p.phase,
                thousandths: (p.fraction.clamp(0.0, 1.0) * 1000.0) as i64,
            });
            let now = ctx.app.now();
            let beat = async {
                let mut c = ctx.app.db.read().await?;
                jobs::heartbeat(&mut c, &ctx.lease, p, now + lease, now).await
            };
            match beat.await {
                Ok(true) => (written, renewed) = (progress, Instant::now()),
                Ok(false) => {
                    let _ = lost.send(());
                    return;
                }
                Err(e) => tracing::debug!(job = %ctx.job.id, error = %e, "heartbeat not written"),
            }
        }
    }
}

/// How an attempt's run ended.
enum Ran {
    // Boxed: an outcome carries its audit entry; the other cases nothing.
    Work(Box<Result<Outcome, JobError>>),
    LeaseLost,
    Stopped,
}

/// A stop signal that never fires (its sender is gone: [`until_true`]
/// then waits forever).
fn never() -> watch::Receiver<bool> {
    watch::channel(false).1
}

/// Completes when `rx` turns true; never when its sender is gone.
async fn until_true(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
