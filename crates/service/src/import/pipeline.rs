//! One import, for any kind of file: the permission, the check pass on a
//! blocking thread (the readers are synchronous), the decision, the write
//! pass into the kind's writer, and the end: committed with the `import`
//! audit entry in the import's own transaction, or rolled back to its
//! start with the entry (`committed=false`) in the transaction that
//! records the rejection. A failure (the database, the file changed, a
//! task died) rolls back and audits nothing.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jianfu_ingest::{CheckOutcome, FileError, ImportKind, Progress, ReportFile, check_file};
use jianfu_store::{AuditEntry, Db, ImportStats, audit};

use super::jurisdiction::{CheckJudge, Jurisdiction, PersonErrors};
use super::writer::{KindWriter, SharedProgress, WritePass, write_pass};
use super::{ImportError, ImportOutcome, ImportPhase, ImportRequest, default_report_path};
use crate::{Actor, App};

/// Imports `req` as `actor` through the writer `W` of its kind.
pub(super) async fn run<W: KindWriter>(
    app: &App,
    actor: &Actor,
    req: &ImportRequest,
    progress: impl FnMut(ImportPhase, Progress) + Send + 'static,
) -> Result<ImportOutcome, ImportError> {
    actor.require(W::PERMISSION)?;
    let run = Run::new(app, actor, req);
    let report = ReportFile::create(&run.report_path).map_err(|e| run.report_error(e))?;
    let progress: SharedProgress = Arc::new(Mutex::new(progress));
    let jurisdiction = Jurisdiction::load::<W::Kind>(&app.db, &actor.scope, &req.path).await?;
    let jurisdiction = Arc::new(jurisdiction);
    let checked =
        check_pass::<W::Kind>(&app.db, req, report, progress.clone(), jurisdiction.clone()).await?;
    let writer = W::begin(app, actor, &run.file, &req.user).await?;
    let Ok(outcome) = checked.outcome else {
        // A whole-file problem (already in the report): nothing to write.
        return run
            .reject(writer, checked.report, Tally::unreadable())
            .await;
    };
    let errors = outcome.errors;
    if errors > 0 && !req.skip_invalid && !PersonErrors::only(checked.person_errors, errors) {
        let tally = Tally::of(&outcome, 0);
        return run.reject(writer, checked.report, tally).await;
    }
    let pass = WritePass {
        req,
        outcome: Arc::new(outcome),
        progress,
        file: &run.file,
        jurisdiction: &jurisdiction,
    };
    run.write(writer, checked.report, pass).await
}

/// What the check pass leaves.
struct Checked {
    report: ReportFile,
    outcome: Result<CheckOutcome, FileError>,
    /// Errors about whom rows name (see [`PersonErrors`]).
    person_errors: u64,
}

/// The check pass, on a blocking thread that waits for the judge's reads.
async fn check_pass<K: ImportKind>(
    db: &Db,
    req: &ImportRequest,
    report: ReportFile,
    progress: SharedProgress,
    jurisdiction: Arc<Jurisdiction>,
) -> Result<Checked, ImportError> {
    let started = std::time::Instant::now();
    let (req, db, runtime) = (req.clone(), db.clone(), tokio::runtime::Handle::current());
    let (checked, failed_read) = tokio::task::spawn_blocking(move || {
        let judge = CheckJudge::new(&jurisdiction, db, runtime);
        let mut report = report;
        let mut tally = PersonErrors::new(&mut report);
        let mut on_progress =
            |p: Progress| (progress.lock().expect("progress lock"))(ImportPhase::Checking, p);
        let outcome = check_file::<K>(
            &req.path,
            &req.options,
            &judge,
            &mut tally,
            &mut on_progress,
        );
        let person_errors = tally.count;
        let checked = Checked {
            report,
            outcome,
            person_errors,
        };
        (checked, judge.into_error())
    })
    .await
    .map_err(|e| ImportError::Task(e.to_string()))?;
    if let Some(e) = failed_read {
        return Err(e.into());
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::debug!(elapsed_ms, "check pass done");
    Ok(checked)
}

/// The counts of an import's outcome.
#[derive(Debug, Clone, Copy)]
struct Tally {
    data_rows: u64,
    /// Rows not written (all of them when the file is rejected whole).
    rejected_rows: u64,
    errors: u64,
    warnings: u64,
}

impl Tally {
    /// A file that could not be read as a table of its kind.
    fn unreadable() -> Self {
        Tally {
            data_rows: 0,
            rejected_rows: 0,
            errors: 1,
            warnings: 0,
        }
    }

    /// The check's counts and `refused` rows more, each an error.
    fn of(outcome: &CheckOutcome, refused: u64) -> Self {
        Tally {
            data_rows: outcome.data_rows,
            rejected_rows: outcome.rejected.len() + refused,
            errors: outcome.errors + refused,
            warnings: outcome.warnings,
        }
    }
}

/// One import under way: who asked for what, and where its report goes.
struct Run<'a> {
    app: &'a App,
    actor: &'a Actor,
    req: &'a ImportRequest,
    report_path: PathBuf,
    /// The file's name in the report, the change batch and the audit log.
    file: Arc<str>,
}

impl<'a> Run<'a> {
    fn new(app: &'a App, actor: &'a Actor, req: &'a ImportRequest) -> Self {
        let report_path = req
            .report
            .clone()
            .unwrap_or_else(|| default_report_path(&req.path));
        Run {
            app,
            actor,
            req,
            report_path,
            file: req.options.label_for(&req.path),
        }
    }

    fn report_error(&self, source: std::io::Error) -> ImportError {
        ImportError::Report {
            path: self.report_path.clone(),
            source,
        }
    }

    fn finish_report(&self, report: ReportFile) -> Result<(), ImportError> {
        report.finish().map_err(|e| self.report_error(e))
    }

    /// The write pass, then the commit, or the rollback when the
    /// database refused rows of an all-or-nothing import.
    async fn write<W: KindWriter>(
        &self,
        mut writer: W,
        mut report: ReportFile,
        pass: WritePass<'_>,
    ) -> Result<ImportOutcome, ImportError> {
        let outcome = pass.outcome.clone();
        let refused = match write_pass(&mut writer, pass, &mut report).await {
            Ok(n) => n,
            Err(e) => {
                writer
                    .rollback(outcome.data_rows, outcome.errors + 1)
                    .await?;
                let _ = self.finish_report(report);
                return Err(e);
            }
        };
        let tally = Tally::of(&outcome, refused);
        if tally.errors > 0 && !self.req.skip_invalid {
            return self.reject(writer, report, tally).await;
        }
        self.commit(writer, report, tally).await
    }

    /// Commits the rows with the audit entry in the import's transaction.
    async fn commit<W: KindWriter>(
        &self,
        mut writer: W,
        report: ReportFile,
        tally: Tally,
    ) -> Result<ImportOutcome, ImportError> {
        let mut outcome = self.outcome(tally, writer.batch_id(), true);
        let entry = self.entry(&outcome);
        let written = match self.monitor(&mut writer).await {
            Ok(()) => audit::append_at(writer.tx(), &entry, self.app.now())
                .await
                .map_err(ImportError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            writer.rollback(tally.data_rows, tally.errors + 1).await?;
            let _ = self.finish_report(report);
            return Err(e);
        }
        outcome.stats = writer.commit(tally.data_rows, tally.errors).await?;
        self.finish_report(report)?;
        let s = &outcome.stats;
        tracing::info!(
            batch = outcome.batch_id,
            kind = self.req.kind.name(),
            rows = tally.data_rows,
            rejected = tally.rejected_rows,
            created = s.persons_created + s.diagnoses_created + s.claims_created,
            changes = s.changes,
            resettled = s.claims_resettled,
            "import committed"
        );
        Ok(outcome)
    }

    /// Evaluates the households the import touched, as of today, in its
    /// transaction (`monitoring::evaluate_touched`).
    async fn monitor<W: KindWriter>(&self, writer: &mut W) -> Result<(), ImportError> {
        let touched = writer.take_touched();
        let (today, now) = (self.app.today(), self.app.now());
        match crate::monitoring::evaluate_touched(writer.tx(), touched, today, now).await {
            Ok(Some(s)) => {
                tracing::debug!(households = s.households, "monitoring evaluated");
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(crate::UseCaseError::Store(e)) => Err(e.into()),
            Err(e) => Err(ImportError::Monitoring(e.to_string())),
        }
    }

    /// Rolls back whatever was written and records the rejection with
    /// the attempt's audit entry: the file was read, nothing of it kept.
    async fn reject<W: KindWriter>(
        &self,
        writer: W,
        report: ReportFile,
        tally: Tally,
    ) -> Result<ImportOutcome, ImportError> {
        let whole = Tally {
            rejected_rows: tally.data_rows,
            ..tally
        };
        let outcome = self.outcome(whole, writer.batch_id(), false);
        let entry = self.entry(&outcome);
        writer
            .reject(whole.data_rows, whole.errors, &entry, self.app.now())
            .await?;
        self.finish_report(report)?;
        Ok(outcome)
    }

    fn outcome(&self, tally: Tally, batch: i64, committed: bool) -> ImportOutcome {
        ImportOutcome {
            committed,
            stats: ImportStats::default(),
            data_rows: tally.data_rows,
            rejected_rows: tally.rejected_rows,
            errors: tally.errors,
            warnings: tally.warnings,
            report: Some(self.report_path.clone()),
            batch_id: Some(batch),
        }
    }

    /// The `import` entry: the file, its kind and counts (no row content).
    fn entry(&self, o: &ImportOutcome) -> AuditEntry {
        let mut e = self.actor.entry("import", self.actor.scope.code());
        e.target_kind = Some("file".into());
        e.target_key = Some(self.file.to_string());
        e.detail = Some(format!(
            "kind={} rows={} rejected={} errors={} warnings={} committed={} batch={}",
            self.req.kind.name(),
            o.data_rows,
            o.rejected_rows,
            o.errors,
            o.warnings,
            o.committed,
            o.batch_id.map(|b| b.to_string()).unwrap_or_default()
        ));
        e
    }
}
