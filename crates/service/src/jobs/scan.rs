//! The deadline scan (督办) as a durable job, after making last month's
//! feedback lists of A1–A3 findings where missing: the worker enqueues one per
//! hour of China time (the hour is the job's id, so servers sharing a
//! database enqueue it once) and runs it like any job. The scan is
//! idempotent, so an attempt that died is simply run again.

use chrono::{DateTime, Timelike, Utc};
use jianfu_store::{AuditEntry, JobRow, NewJob, jobs};

use super::{Handler, JobContext, JobError, JobFuture, Outcome};
use crate::{Actor, App};

/// The kind's name.
pub const KIND: &str = "monitoring_scan";

/// Runs deadline scans.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanHandler;

impl ScanHandler {
    async fn attempt(&self, ctx: &JobContext) -> Result<Outcome, JobError> {
        let actor = Actor::command_line();
        // Last month's feedback lists first, so a list made now is on the
        // ladder for this scan; counties that have theirs cost one query.
        // A list that cannot be made (say, no calendar for its deadline)
        // must not stop the scan of the cases.
        let made = crate::monitoring::feedback::generate(&ctx.app, &actor, None).await;
        if let Err(crate::UseCaseError::Store(e)) = made {
            return Err(JobError::Store(e));
        }
        let scanned = crate::monitoring::supervision::scan(&ctx.app, &actor).await;
        match (made, scanned) {
            (_, Err(crate::UseCaseError::Store(e))) => Err(JobError::Store(e)),
            (Ok(feedback), Ok(scan)) => Ok(Outcome::Done {
                result: serde_json::json!({ "feedback": feedback, "scan": scan }).to_string(),
                audit: None,
            }),
            (Err(e), Ok(_)) => Ok(Outcome::Failed {
                reason: format!("督办扫描已完成，但月度反馈清单未能生成：{e}"),
                audit: None,
            }),
            (_, Err(e)) => Ok(Outcome::Failed {
                reason: e.to_string(),
                audit: None,
            }),
        }
    }
}

impl Handler for ScanHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> JobFuture<'a> {
        Box::pin(self.attempt(ctx))
    }

    fn give_up<'a>(&'a self, _ctx: &'a JobContext, reason: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            Ok(Outcome::Failed {
                reason: format!("督办扫描未能完成：{reason}"),
                audit: None,
            })
        })
    }

    fn failure_audit(&self, _ctx: &JobContext, _reason: &str) -> Option<AuditEntry> {
        None
    }

    fn ended(&self, _job: &JobRow) {}

    fn forget(&self, _job_id: &str) {}
}

/// The id of the scan of the China-time hour of `now`.
pub fn scan_id(now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&jianfu_domain::time::china());
    format!("{KIND}-{}{:02}", local.format("%Y%m%d"), local.hour())
}

/// Enqueues this hour's scan unless it is already there; true when it
/// was enqueued.
pub async fn enqueue_hourly(app: &App) -> Result<bool, JobError> {
    let now = app.now();
    let id = scan_id(now);
    let mut c = app.db.read().await?;
    if jobs::find(&mut c, &id).await?.is_some() {
        return Ok(false);
    }
    let job = NewJob {
        id: &id,
        kind: KIND,
        payload: "{}",
        due_at: now,
        max_attempts: 3,
        created_by: None,
        region: "",
        file_name: None,
    };
    match jobs::enqueue(&mut c, &job, now).await {
        Ok(()) => Ok(true),
        // Another server enqueued it meanwhile.
        Err(_) if jobs::find(&mut c, &id).await?.is_some() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
