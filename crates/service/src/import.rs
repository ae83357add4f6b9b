//! Registry import (建档立卡台账导入): persons or diagnoses from CSV/XLSX
//! (claims files are handed to [`crate::claims`]).
//!
//! All-or-nothing by default: one bad row rejects the file and nothing is
//! written. With `skip_invalid`, the good rows are written. Either way the
//! report lists every problem, and [`ImportOutcome::is_success`] is true
//! only when everything asked for was done.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jianfu_domain::{IdCardNo, RegionCode, RegionLevel, Scope, mask_middle};
use jianfu_ingest::{
    CheckOutcome, DiagnosesReader, FileError, FileKind, ImportKind, ImportOptions, ImportReader,
    OUTSIDE_JURISDICTION_PERSON, OUTSIDE_JURISDICTION_VILLAGE, PersonCheck, PersonsReader,
    Progress, ReportFile, ReportSink, RowError, Severity, VillageCheck, check_diagnoses_file,
    check_persons_file,
};
use jianfu_store::rollups::{self, RollupParts};
use jianfu_store::{Conflict, Db, ImportStats, RegistryImport, StoreError, regions, registry};
use serde::Serialize;
use thiserror::Error;
use tokio::sync::mpsc;

/// Rows written per database round.
const CHUNK_ROWS: usize = 8000;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file.
    pub path: PathBuf,
    /// Persons or diagnoses.
    pub kind: FileKind,
    /// Reader options (reference date, sheet, file label).
    pub options: ImportOptions,
    /// Write the good rows even when some are bad.
    pub skip_invalid: bool,
    /// Who is importing (kept in the change history).
    pub user: String,
    /// Where the error report goes; next to the input when `None`.
    pub report: Option<PathBuf>,
    /// The importer's jurisdiction: rows of persons (for diagnoses and
    /// claims, of the person named) outside it are reported as row errors
    /// and never written. `None` (the command line) imports anywhere.
    pub scope: Option<Scope>,
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
            scope: None,
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
    /// An import rejected whole: every row counts as rejected.
    pub(crate) fn nothing_written(
        data_rows: u64,
        errors: u64,
        warnings: u64,
        report: PathBuf,
        batch: i64,
    ) -> Self {
        ImportOutcome {
            committed: false,
            stats: ImportStats::default(),
            data_rows,
            rejected_rows: data_rows,
            errors,
            warnings,
            report: Some(report),
            batch_id: Some(batch),
        }
    }

    /// True when every row was written and nothing was wrong.
    pub fn is_success(&self) -> bool {
        self.committed && self.errors == 0
    }
}

/// A failure that stops an import (row problems are not failures: they
/// are in the report).
#[derive(Debug, Error)]
pub enum ImportError {
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
}

/// The default report path: `NAME.错误报告.csv` next to the input.
pub fn default_report_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    input.with_file_name(format!("{stem}.错误报告.csv"))
}

/// Rows with their row numbers in the file.
pub(crate) type Numbered<T> = Vec<(u64, T)>;

/// Imports of at least this many rows refresh the planner's statistics.
const STATISTICS_AFTER_ROWS: u64 = 10_000;

/// Imports one file. `progress` is called from the importing task with
/// the phase and how far it has got. A committed import refreshes the
/// dashboard's rollups of the counties it wrote to and, when large, the
/// planner's statistics.
pub async fn import_file(
    db: &Db,
    req: &ImportRequest,
    progress: impl FnMut(ImportPhase, Progress) + Send + 'static,
) -> Result<ImportOutcome, ImportError> {
    let outcome = import_unrefreshed(db, req, progress).await?;
    // The dashboard's rollups of every county the file wrote to.
    if outcome.committed {
        let started = std::time::Instant::now();
        let parts = RollupParts::after_import(req.kind.name());
        for county in &outcome.stats.counties {
            // One transaction per county: readers see its old figures or
            // its new ones.
            let mut tx = db.begin().await?;
            rollups::refresh_rollup_parts(&mut tx, county, parts).await?;
            tx.commit().await?;
        }
        if outcome.data_rows >= STATISTICS_AFTER_ROWS {
            rollups::refresh_statistics(&mut db.read().await?, req.kind.name()).await?;
        }
        tracing::info!(
            counties = outcome.stats.counties.len(),
            ms = started.elapsed().as_millis() as u64,
            "dashboard rollups refreshed"
        );
    }
    Ok(outcome)
}

async fn import_unrefreshed(
    db: &Db,
    req: &ImportRequest,
    progress: impl FnMut(ImportPhase, Progress) + Send + 'static,
) -> Result<ImportOutcome, ImportError> {
    if req.kind == FileKind::Claims {
        return crate::claims::import_claims(db, req, progress).await;
    }
    let report_path = req
        .report
        .clone()
        .unwrap_or_else(|| default_report_path(&req.path));
    let report = ReportFile::create(&report_path).map_err(|source| ImportError::Report {
        path: report_path.clone(),
        source,
    })?;
    let progress = Arc::new(std::sync::Mutex::new(progress));
    let jurisdiction = Arc::new(Jurisdiction::load(db, req).await?);
    let levels = match req.kind {
        FileKind::Persons => Some(CountyLevels::new(db, jurisdiction.scope)),
        FileKind::Diagnoses | FileKind::Claims => None,
    };
    let judge = jurisdiction.clone();

    // Pass 1 on a blocking thread: the readers are synchronous.
    let started = std::time::Instant::now();
    let (req1, prog1) = (req.clone(), progress.clone());
    let (mut report, (checked, person_errors), lookup_failed) =
        tokio::task::spawn_blocking(move || {
            let mut report = report;
            let mut tally = PersonErrors::new(&mut report);
            let mut on_progress =
                |p: Progress| (prog1.lock().expect("progress lock"))(ImportPhase::Checking, p);
            let checked = match &levels {
                Some(levels) => {
                    let village_check = |c: &RegionCode| levels.village_status(c);
                    check_persons_file(
                        &req1.path,
                        &req1.options,
                        &village_check,
                        &mut tally,
                        &mut on_progress,
                    )
                }
                None => check_diagnoses_file(
                    &req1.path,
                    &req1.options,
                    &|id| judge.person_check(id),
                    &mut tally,
                    &mut on_progress,
                ),
            };
            let person_errors = tally.count;
            let lookup_failed = levels.and_then(CountyLevels::into_error);
            (report, (checked, person_errors), lookup_failed)
        })
        .await
        .map_err(|e| ImportError::Task(e.to_string()))?;
    if let Some(e) = lookup_failed {
        return Err(e.into());
    }

    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "check pass done"
    );
    let file_label = req.options.label_for(&req.path);
    let kind_code = req.kind.name();
    let source = file_label.to_string();
    let finish_report = |report: ReportFile| {
        report.finish().map_err(|source| ImportError::Report {
            path: report_path.clone(),
            source,
        })
    };
    let outcome = match checked {
        Err(_) => {
            // A whole-file problem (already in the report): nothing to write.
            let imp = RegistryImport::begin(db, kind_code, &source, &req.user).await?;
            let batch = imp.batch_id();
            imp.rollback(0, 1).await?;
            finish_report(report)?;
            return Ok(ImportOutcome::nothing_written(0, 1, 0, report_path, batch));
        }
        Ok(outcome) => outcome,
    };

    let mut imp = RegistryImport::begin(db, kind_code, &source, &req.user).await?;
    let batch = imp.batch_id();
    let mut errors = outcome.errors;
    if errors > 0 && !req.skip_invalid && !PersonErrors::only(person_errors, errors) {
        imp.rollback(outcome.data_rows, errors).await?;
        finish_report(report)?;
        return Ok(ImportOutcome::nothing_written(
            outcome.data_rows,
            errors,
            outcome.warnings,
            report_path,
            batch,
        ));
    }

    if req.kind == FileKind::Persons {
        let accepted = outcome.data_rows - outcome.rejected.len() as u64;
        if imp.defer_search_indexes(accepted).await? {
            tracing::info!(rows = accepted, "search indexes deferred to the commit");
        }
    }

    // Pass 2: a reader thread parses accepted rows into chunks while this
    // task writes them.
    let outcome = Arc::new(outcome);
    let written = write_pass(
        db,
        &mut imp,
        req,
        outcome.clone(),
        progress,
        &file_label,
        &mut report,
        &jurisdiction,
    )
    .await;
    let conflicts = match written {
        Ok(n) => n,
        Err(e) => {
            imp.rollback(outcome.data_rows, errors + 1).await?;
            let _ = finish_report(report);
            return Err(e);
        }
    };
    errors += conflicts;
    let rejected_rows = outcome.rejected.len() + conflicts;
    if errors > 0 && !req.skip_invalid {
        imp.rollback(outcome.data_rows, errors).await?;
        finish_report(report)?;
        return Ok(ImportOutcome::nothing_written(
            outcome.data_rows,
            errors,
            outcome.warnings,
            report_path,
            batch,
        ));
    }
    let stats = imp.commit(outcome.data_rows, errors).await?;
    finish_report(report)?;
    tracing::info!(
        batch,
        rows = outcome.data_rows,
        rejected = rejected_rows,
        created = stats.persons_created + stats.diagnoses_created,
        changes = stats.changes,
        "import committed"
    );
    Ok(ImportOutcome {
        committed: true,
        stats,
        data_rows: outcome.data_rows,
        rejected_rows,
        errors,
        warnings: outcome.warnings,
        report: Some(report_path),
        batch_id: Some(batch),
    })
}

/// Counts the first pass's errors about whom a row names (outside the
/// jurisdiction, not in the registry) on their way to the report. The
/// write pass finds those rows too, so a file whose only errors are these
/// still goes through the write pass, rows refused, before an
/// all-or-nothing import rolls back: one report then also holds what only
/// the database can see (a claim id stored with other content, a missing
/// policy), instead of a second round for the user.
pub(crate) struct PersonErrors<'a> {
    inner: &'a mut dyn ReportSink,
    /// Errors counted.
    pub(crate) count: u64,
}

impl<'a> PersonErrors<'a> {
    pub(crate) fn new(inner: &'a mut dyn ReportSink) -> Self {
        PersonErrors { inner, count: 0 }
    }

    /// True when all of the file's `errors` were about persons.
    pub(crate) fn only(person_errors: u64, errors: u64) -> bool {
        errors > 0 && person_errors == errors
    }
}

impl ReportSink for PersonErrors<'_> {
    fn push(&mut self, error: RowError) {
        if error.severity == Severity::Error
            && matches!(
                error.code,
                "outside_jurisdiction" | "unknown_person" | "person_not_in_registry"
            )
        {
            self.count += 1;
        }
        self.inner.push(error);
    }
}

/// The importer's jurisdiction: persons by the village in the row,
/// diagnoses and claims by the stored village of the person named. The
/// first pass judges rows by it, so one report lists every problem; the
/// write pass applies it again to the rows it writes.
pub(crate) struct Jurisdiction {
    scope: Option<Scope>,
    /// Who is inside, for diagnoses and claims (for an unscoped import:
    /// who is listed, asked only for a small file); `None` when the first
    /// pass does not look persons up.
    persons: Option<PersonsInside>,
}

/// Files up to this size judge their persons one lookup at a time; larger
/// ones read the jurisdiction's persons once. A province officer's file
/// of a few rows then does not read millions of ID numbers.
const LOOKUP_FILES_UP_TO_BYTES: u64 = 512 * 1024;

/// The persons inside a jurisdiction, as far as an import needs them.
enum PersonsInside {
    /// All of them, as sorted packed ID numbers (8 bytes a person).
    All(Vec<u64>),
    /// Asked one at a time from the check pass's blocking thread; every
    /// answer is kept, so the write pass asks nothing.
    Asked {
        db: Db,
        runtime: tokio::runtime::Handle,
        answers: std::sync::Mutex<HashMap<u64, bool>>,
    },
}

impl Jurisdiction {
    /// The jurisdiction of `req` (nothing to check for a national or
    /// unscoped import).
    pub(crate) async fn load(db: &Db, req: &ImportRequest) -> Result<Self, StoreError> {
        let scope = req.scope.filter(|s| !s.prefix().is_empty());
        let small = std::fs::metadata(&req.path).is_ok_and(|m| m.len() <= LOOKUP_FILES_UP_TO_BYTES);
        let asked = || PersonsInside::Asked {
            db: db.clone(),
            runtime: tokio::runtime::Handle::current(),
            answers: Default::default(),
        };
        let persons = match (&scope, req.kind) {
            (_, FileKind::Persons) => None,
            (Some(_), _) if small => Some(asked()),
            (Some(s), _) => {
                let keys = registry::person_keys_in(&mut db.read().await?, s.prefix()).await?;
                Some(PersonsInside::All(keys))
            }
            // Unscoped: the whole registry is too large to read, so a
            // large file leaves unknown persons to the write pass.
            (None, _) if small => Some(asked()),
            (None, _) => None,
        };
        Ok(Jurisdiction { scope, persons })
    }

    /// True when the person is inside (unscoped: listed at all). A failed
    /// lookup counts as outside: the row is refused and reported, never
    /// written unchecked. Only the first pass, on its blocking thread, may
    /// ask (`may_ask`); the write pass runs on the async runtime and reads
    /// the kept answers, which cover every row the first pass accepted.
    fn is_inside(&self, id: &IdCardNo, may_ask: bool) -> bool {
        let Some(persons) = &self.persons else {
            return true;
        };
        let key = id.packed();
        match persons {
            PersonsInside::All(keys) => keys.binary_search(&key).is_ok(),
            PersonsInside::Asked {
                db,
                runtime,
                answers,
            } => {
                if let Some(&inside) = answers.lock().expect("answers lock").get(&key) {
                    return inside;
                }
                if !may_ask {
                    return false;
                }
                let inside = runtime
                    .block_on(async {
                        let mut c = db.read().await?;
                        registry::person_is_in(&mut c, id.as_str(), self.prefix()).await
                    })
                    .unwrap_or_else(|e| {
                        tracing::error!(error = %e, "jurisdiction lookup failed");
                        false
                    });
                answers.lock().expect("answers lock").insert(key, inside);
                inside
            }
        }
    }

    /// The region code prefix of the jurisdiction (`""`: anywhere).
    fn prefix(&self) -> &str {
        self.scope.as_ref().map_or("", Scope::prefix)
    }

    /// The first pass's verdict on a person named by a diagnosis or claim
    /// (called on a blocking thread). In a jurisdiction only the persons
    /// inside are known, so a person the registry lacks and one listed
    /// elsewhere get the same answer; an unscoped import is told a person
    /// is not listed (for a large file, by the write pass).
    pub(crate) fn person_check(&self, id: &IdCardNo) -> PersonCheck {
        if self.is_inside(id, true) {
            PersonCheck::Listed
        } else if self.scope.is_some() {
            PersonCheck::OutsideJurisdiction
        } else {
            PersonCheck::NotListed
        }
    }

    /// Splits rows into those inside and those outside; `keys` gives a
    /// row's village (empty when the file has none) and ID number.
    pub(crate) fn split<T>(
        &self,
        rows: Vec<(u64, T)>,
        keys: impl Fn(&T) -> (&str, &IdCardNo),
    ) -> (Numbered<T>, Numbered<T>) {
        let Some(scope) = &self.scope else {
            return (rows, Vec::new());
        };
        rows.into_iter().partition(|(_, r)| {
            let (village, id) = keys(r);
            if village.is_empty() {
                self.is_inside(id, false)
            } else {
                scope.contains_str(village)
            }
        })
    }

    /// Reports the rows kept out; returns how many.
    pub(crate) fn report<T>(
        &self,
        outside: &[(u64, T)],
        file: &Arc<str>,
        report: &mut ReportFile,
        cell: impl Fn(&T) -> (&'static str, String),
    ) -> u64 {
        for (row, r) in outside {
            let (column, value) = cell(r);
            let problem = if column == "行政区划代码" {
                OUTSIDE_JURISDICTION_VILLAGE
            } else {
                OUTSIDE_JURISDICTION_PERSON
            };
            report.push(RowError {
                file: file.clone(),
                row: u32::try_from(*row).unwrap_or(u32::MAX),
                column: column.into(),
                value,
                problem: problem.to_string(),
                code: "outside_jurisdiction",
                severity: Severity::Error,
            });
        }
        outside.len() as u64
    }
}

/// The region tree's levels for the persons check, read a county at a
/// time as the file names them (a county file reads a few hundred codes,
/// not the 665,000 of the whole tree), after the importer's jurisdiction.
/// Used on the check pass's blocking thread, which waits for each read.
struct CountyLevels {
    db: Db,
    scope: Option<Scope>,
    runtime: tokio::runtime::Handle,
    counties: std::cell::RefCell<HashMap<String, HashMap<u64, RegionLevel>>>,
    error: std::cell::RefCell<Option<StoreError>>,
}

impl CountyLevels {
    fn new(db: &Db, scope: Option<Scope>) -> Self {
        CountyLevels {
            db: db.clone(),
            scope,
            runtime: tokio::runtime::Handle::current(),
            counties: Default::default(),
            error: Default::default(),
        }
    }

    /// Judges a village code: outside the jurisdiction, or as the tree
    /// says. A failed read judges it unknown and is kept for
    /// [`CountyLevels::into_error`].
    fn village_status(&self, code: &RegionCode) -> VillageCheck {
        if self.scope.is_some_and(|s| !s.contains(code)) {
            return VillageCheck::OutsideJurisdiction;
        }
        let mut counties = self.counties.borrow_mut();
        let levels = counties
            .entry(code.county_code().to_string())
            .or_insert_with_key(|county| {
                self.runtime
                    .block_on(async {
                        let mut c = self.db.read().await?;
                        regions::region_levels_under(&mut c, county).await
                    })
                    .unwrap_or_else(|e| {
                        self.error.borrow_mut().get_or_insert(e);
                        HashMap::new()
                    })
            });
        village_status(levels, code)
    }

    /// The first failed read, if any: the check's verdicts are then void.
    fn into_error(self) -> Option<StoreError> {
        self.error.into_inner()
    }
}

/// Judges a village code against the loaded region tree. A code missing
/// from the edition is still accepted (with a warning) when its township
/// exists and its village segment is in the statistical ranges (001–199
/// 居委会, 200–399 村委会): registry lists often carry codes of villages
/// merged since.
fn village_status(levels: &HashMap<u64, RegionLevel>, code: &RegionCode) -> VillageCheck {
    let level_of = |c: &RegionCode| c.as_str().parse::<u64>().ok().and_then(|n| levels.get(&n));
    match level_of(code) {
        Some(RegionLevel::Village) => VillageCheck::Ok,
        Some(_) => VillageCheck::NotAVillage,
        None => {
            let segment: u32 = code.as_str()[9..].parse().unwrap_or(0);
            let township = code.at_level(RegionLevel::Township);
            if code.level() == RegionLevel::Village
                && (1..=399).contains(&segment)
                && level_of(&township) == Some(&RegionLevel::Township)
            {
                VillageCheck::Unlisted
            } else {
                VillageCheck::NotFound
            }
        }
    }
}

enum Chunk {
    Persons(Vec<(u64, jianfu_domain::PersonRecord)>),
    Diagnoses(Vec<(u64, jianfu_domain::DiagnosisRecord)>),
}

type SharedProgress = Arc<std::sync::Mutex<dyn FnMut(ImportPhase, Progress) + Send>>;

/// Streams accepted rows into the writer; returns the number of rows the
/// database refused or the jurisdiction kept out (each reported).
#[allow(clippy::too_many_arguments)]
async fn write_pass(
    db: &Db,
    imp: &mut jianfu_store::RegistryImport,
    req: &ImportRequest,
    outcome: Arc<CheckOutcome>,
    progress: SharedProgress,
    file: &Arc<str>,
    report: &mut ReportFile,
    jurisdiction: &Jurisdiction,
) -> Result<u64, ImportError> {
    let (tx, mut rx) = mpsc::channel::<Result<Chunk, FileError>>(4);
    let (path, opts, kind) = (req.path.clone(), req.options.clone(), req.kind);
    let reader = tokio::task::spawn_blocking(move || {
        read_chunks(&path, &opts, kind, &outcome, &tx, &progress)
    });
    // Persons chunks are pipelined: while chunk N is written in the
    // import's transaction, chunk N+1's stored rows are looked up on
    // another connection.
    let pipelined = registry::can_look_up_alongside(db);
    let mut pending: Option<(PersonRows, LookupTask)> = None;
    let mut refused = 0u64;
    while let Some(chunk) = rx.recv().await {
        let chunk = match chunk? {
            Chunk::Persons(rows) => {
                let (rows, outside) =
                    jurisdiction.split(rows, |p| (p.household.village.as_str(), &p.id));
                refused += jurisdiction.report(&outside, file, report, |p| {
                    ("行政区划代码", p.household.village.as_str().to_string())
                });
                Chunk::Persons(rows)
            }
            Chunk::Diagnoses(rows) => {
                let (rows, outside) = jurisdiction.split(rows, |d| ("", &d.id));
                refused += jurisdiction.report(&outside, file, report, |d| {
                    ("身份证号", mask_middle(d.id.as_str()))
                });
                Chunk::Diagnoses(rows)
            }
        };
        match chunk {
            Chunk::Persons(rows) if pipelined => {
                let rows = Arc::new(rows);
                let (db2, rows2) = (db.clone(), rows.clone());
                let task = tokio::spawn(async move {
                    // A second connection: it sees what was committed
                    // before the import.
                    let mut c = db2.read().await?;
                    registry::lookup_persons(&mut c, &rows2).await
                });
                if let Some((prev, prev_task)) = pending.replace((rows, task)) {
                    refused += apply_persons(imp, &prev, prev_task, file, report).await?;
                }
            }
            Chunk::Persons(rows) => {
                let c = imp.write_persons(&rows).await?;
                refused += report_persons(&c, &rows, file, report);
            }
            Chunk::Diagnoses(rows) => {
                let c = imp.write_diagnoses(&rows).await?;
                report_conflicts(&c, file, report, |row| {
                    rows.iter().find(|(r, _)| *r == row).map(|(_, d)| d.id)
                });
                refused += c.len() as u64;
            }
        }
    }
    if let Some((prev, prev_task)) = pending.take() {
        refused += apply_persons(imp, &prev, prev_task, file, report).await?;
    }
    reader.await.map_err(|e| ImportError::Task(e.to_string()))?;
    Ok(refused)
}

type PersonRows = Arc<Vec<(u64, jianfu_domain::PersonRecord)>>;
type LookupTask = tokio::task::JoinHandle<Result<jianfu_store::PersonsLookup, StoreError>>;

async fn apply_persons(
    imp: &mut jianfu_store::RegistryImport,
    rows: &PersonRows,
    lookup: LookupTask,
    file: &Arc<str>,
    report: &mut ReportFile,
) -> Result<u64, ImportError> {
    let lookup = lookup
        .await
        .map_err(|e| ImportError::Task(e.to_string()))??;
    let c = imp.apply_persons(rows, lookup).await?;
    Ok(report_persons(&c, rows, file, report))
}

fn report_persons(
    conflicts: &[Conflict],
    rows: &[(u64, jianfu_domain::PersonRecord)],
    file: &Arc<str>,
    report: &mut ReportFile,
) -> u64 {
    report_conflicts(conflicts, file, report, |row| {
        rows.iter().find(|(r, _)| *r == row).map(|(_, p)| p.id)
    });
    conflicts.len() as u64
}

fn read_chunks(
    path: &Path,
    opts: &ImportOptions,
    kind: FileKind,
    outcome: &CheckOutcome,
    tx: &mpsc::Sender<Result<Chunk, FileError>>,
    progress: &SharedProgress,
) {
    let report_progress =
        |p: Progress| (progress.lock().expect("progress lock"))(ImportPhase::Writing, p);
    let result = match kind {
        FileKind::Persons => PersonsReader::open_checked(path, opts, outcome)
            .and_then(|mut r| send_chunks(&mut r, outcome, Chunk::Persons, tx, &report_progress)),
        FileKind::Diagnoses => DiagnosesReader::open_checked(path, opts, outcome)
            .and_then(|mut r| send_chunks(&mut r, outcome, Chunk::Diagnoses, tx, &report_progress)),
        FileKind::Claims => unreachable!("claims files are imported by crate::claims"),
    };
    if let Err(e) = result {
        let _ = tx.blocking_send(Err(e));
    }
}

/// Reads the accepted rows and sends them in chunks of [`CHUNK_ROWS`];
/// stops quietly when the writer has gone away.
fn send_chunks<K: ImportKind>(
    reader: &mut ImportReader<K>,
    outcome: &CheckOutcome,
    wrap: fn(Vec<(u64, K::Record)>) -> Chunk,
    tx: &mpsc::Sender<Result<Chunk, FileError>>,
    report_progress: &dyn Fn(Progress),
) -> Result<(), FileError> {
    let mut buf = Vec::with_capacity(CHUNK_ROWS);
    while let Some((row, record)) = reader.next_accepted(outcome)? {
        buf.push((u64::from(row), record));
        if buf.len() == CHUNK_ROWS {
            report_progress(reader.progress());
            if tx
                .blocking_send(Ok(wrap(std::mem::take(&mut buf))))
                .is_err()
            {
                return Ok(());
            }
        }
    }
    report_progress(reader.progress());
    let _ = tx.blocking_send(Ok(wrap(buf)));
    Ok(())
}

fn report_conflicts(
    conflicts: &[Conflict],
    file: &Arc<str>,
    report: &mut ReportFile,
    id_of_row: impl Fn(u64) -> Option<IdCardNo>,
) {
    for c in conflicts {
        let problem = match c.code {
            "id_in_other_household" => format!(
                "该身份证号已登记在户编号为 {} 的家庭中；一人只能属于一个家庭，请核实后先在原家庭中处理",
                c.other_household.as_deref().unwrap_or("")
            ),
            _ => "系统中没有该身份证号对应的人员，请先导入人员信息".to_string(),
        };
        report.push(RowError {
            file: file.clone(),
            row: u32::try_from(c.row).unwrap_or(u32::MAX),
            column: "身份证号".into(),
            value: id_of_row(c.row)
                .map(|id| mask_middle(id.as_str()))
                .unwrap_or_default(),
            problem,
            code: c.code,
            severity: Severity::Error,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_codes_missing_from_the_edition() {
        let levels: HashMap<u64, RegionLevel> = [
            (130624100000, RegionLevel::Township),
            (130624100200, RegionLevel::Village),
        ]
        .into_iter()
        .collect();
        let check = |c: &str| village_status(&levels, &RegionCode::parse(c).unwrap());
        assert_eq!(check("130624100200"), VillageCheck::Ok);
        assert_eq!(check("130624100000"), VillageCheck::NotAVillage);
        assert_eq!(
            check("130624100201"),
            VillageCheck::Unlisted,
            "merged village, township known"
        );
        assert_eq!(
            check("130624100999"),
            VillageCheck::NotFound,
            "segment out of range"
        );
        assert_eq!(
            check("130624109201"),
            VillageCheck::NotFound,
            "township unknown"
        );
    }
}
