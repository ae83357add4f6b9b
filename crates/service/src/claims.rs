//! Claims import (医保结算记录导入): the same two passes as the registry
//! import. The check pass reads the whole file (row errors, duplicate
//! claim ids, reversals judged within the file); the write pass streams
//! chunks of accepted rows into one transaction that matches them with
//! the registry, the policies and the stored claims, and settles them
//! (see `jianfu_store::settle`). Reversals that come before the claim
//! they reverse are written last.

use std::path::Path;
use std::sync::Arc;

use jianfu_domain::{ClaimRecord, mask_middle};
use jianfu_ingest::{
    CheckOutcome, ClaimsReader, FileError, ImportOptions, Progress, ReportFile, ReportSink,
    RowError, Severity, check_claims_file,
};
use jianfu_store::{ClaimConflict, ClaimsImport, Db};
use tokio::sync::mpsc;

use crate::import::{
    ImportError, ImportOutcome, ImportPhase, ImportRequest, Jurisdiction, PersonErrors,
    default_report_path,
};

/// Rows written per database round.
const CHUNK_ROWS: usize = 8000;

type SharedProgress = Arc<std::sync::Mutex<dyn FnMut(ImportPhase, Progress) + Send>>;
type Rows = Vec<(u64, ClaimRecord)>;

/// Imports one claims file (called by [`crate::import_file`] for
/// `FileKind::Claims`).
pub(crate) async fn import_claims(
    db: &Db,
    req: &ImportRequest,
    progress: impl FnMut(ImportPhase, Progress) + Send + 'static,
) -> Result<ImportOutcome, ImportError> {
    let report_path = req
        .report
        .clone()
        .unwrap_or_else(|| default_report_path(&req.path));
    let report = ReportFile::create(&report_path).map_err(|source| ImportError::Report {
        path: report_path.clone(),
        source,
    })?;
    let progress: SharedProgress = Arc::new(std::sync::Mutex::new(progress));
    let jurisdiction = Arc::new(Jurisdiction::load(db, req).await?);
    let (req1, prog1, judge) = (req.clone(), progress.clone(), jurisdiction.clone());
    let (mut report, checked, person_errors) = tokio::task::spawn_blocking(move || {
        let mut report = report;
        let mut tally = PersonErrors::new(&mut report);
        let mut on_progress =
            |p: Progress| (prog1.lock().expect("progress lock"))(ImportPhase::Checking, p);
        let checked = check_claims_file(
            &req1.path,
            &req1.options,
            &|id| judge.person_check(id),
            &mut tally,
            &mut on_progress,
        );
        let person_errors = tally.count;
        (report, checked, person_errors)
    })
    .await
    .map_err(|e| ImportError::Task(e.to_string()))?;

    let file_label = req.options.label_for(&req.path);
    let source = file_label.to_string();
    let finish_report = |report: ReportFile| {
        report.finish().map_err(|source| ImportError::Report {
            path: report_path.clone(),
            source,
        })
    };
    let Ok(outcome) = checked else {
        let imp = ClaimsImport::begin(db, &source, &req.user).await?;
        let batch = imp.batch_id();
        imp.rollback(0, 1).await?;
        finish_report(report)?;
        return Ok(ImportOutcome::nothing_written(0, 1, 0, report_path, batch));
    };

    let mut imp = ClaimsImport::begin(db, &source, &req.user).await?;
    let batch = imp.batch_id();
    let mut errors = outcome.errors;
    let (data_rows, warnings) = (outcome.data_rows, outcome.warnings);
    let reject = |errors| {
        ImportOutcome::nothing_written(data_rows, errors, warnings, report_path.clone(), batch)
    };
    if errors > 0 && !req.skip_invalid && !PersonErrors::only(person_errors, errors) {
        imp.rollback(outcome.data_rows, errors).await?;
        finish_report(report)?;
        return Ok(reject(errors));
    }
    let outcome = Arc::new(outcome);
    let refused = match write_pass(
        &mut imp,
        req,
        outcome.clone(),
        progress,
        &file_label,
        &mut report,
        &jurisdiction,
    )
    .await
    {
        Ok(n) => n,
        Err(e) => {
            imp.rollback(outcome.data_rows, errors + 1).await?;
            let _ = finish_report(report);
            return Err(e);
        }
    };
    errors += refused;
    if errors > 0 && !req.skip_invalid {
        imp.rollback(outcome.data_rows, errors).await?;
        finish_report(report)?;
        return Ok(reject(errors));
    }
    let stats = imp.commit(outcome.data_rows, errors).await?;
    finish_report(report)?;
    let rejected_rows = outcome.rejected.len() + refused;
    tracing::info!(
        batch,
        rows = outcome.data_rows,
        rejected = rejected_rows,
        created = stats.claims_created,
        reversals = stats.reversals_created,
        resettled = stats.claims_resettled,
        adjustments = stats.adjustments,
        "claims import committed"
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

/// Streams accepted rows into the import; returns the number of rows the
/// database refused (each reported).
async fn write_pass(
    imp: &mut ClaimsImport,
    req: &ImportRequest,
    outcome: Arc<CheckOutcome>,
    progress: SharedProgress,
    file: &Arc<str>,
    report: &mut ReportFile,
    jurisdiction: &Jurisdiction,
) -> Result<u64, ImportError> {
    let (tx, mut rx) = mpsc::channel::<Result<Rows, FileError>>(4);
    let (path, opts) = (req.path.clone(), req.options.clone());
    let reader = tokio::task::spawn_blocking(move || {
        if let Err(e) = read_chunks(&path, &opts, &outcome, &tx, &progress) {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let mut refused = 0u64;
    while let Some(chunk) = rx.recv().await {
        let (rows, outside) = jurisdiction.split(chunk?, |c| ("", &c.person));
        refused += jurisdiction.report(&outside, file, report, |c| {
            ("身份证号", mask_middle(c.person.as_str()))
        });
        let conflicts = imp.write_claims(&rows).await?;
        refused += conflicts.len() as u64;
        report_conflicts(&conflicts, &rows, file, report);
    }
    reader.await.map_err(|e| ImportError::Task(e.to_string()))?;
    Ok(refused)
}

/// Reads the accepted rows in chunks of [`CHUNK_ROWS`]; deferred rows
/// (reversals before their claim) are held back and sent last.
fn read_chunks(
    path: &Path,
    opts: &ImportOptions,
    outcome: &CheckOutcome,
    tx: &mpsc::Sender<Result<Rows, FileError>>,
    progress: &SharedProgress,
) -> Result<(), FileError> {
    let report_progress =
        |p: Progress| (progress.lock().expect("progress lock"))(ImportPhase::Writing, p);
    let mut reader = ClaimsReader::open_checked(path, opts, outcome)?;
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

fn report_conflicts(
    conflicts: &[ClaimConflict],
    rows: &[(u64, ClaimRecord)],
    file: &Arc<str>,
    report: &mut ReportFile,
) {
    if conflicts.is_empty() {
        return;
    }
    let by_row: std::collections::HashMap<u64, &ClaimRecord> =
        rows.iter().map(|(r, c)| (*r, c)).collect();
    for c in conflicts {
        let Some(rec) = by_row.get(&c.row) else {
            continue;
        };
        let target = rec.reverses.as_deref().unwrap_or("");
        let (column, value, problem) = match c.code {
            "person_not_in_registry" => (
                "身份证号",
                mask_middle(rec.person.as_str()),
                "台账中没有这个身份证号的人员，无法确定参保县和人员类别；请先导入该人员的人员信息，或核对号码".to_string(),
            ),
            "no_policy" => (
                "结算时间",
                rec.settled_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                format!(
                    "参保县 {} 在 {} 没有生效的医保政策参数，无法结算；请先用 jianfu policy add 添加该县当年的政策参数",
                    c.county.as_deref().unwrap_or(""),
                    rec.settled_at.format("%Y-%m-%d")
                ),
            ),
            "duplicate_claim_id" => (
                "结算单号",
                rec.claim_id.clone(),
                "系统中已有该结算单号，但内容与本行不同；同一结算单号不能对应两条不同的结算记录。如需更正，请先冲销原记录，再用新的结算单号导入".to_string(),
            ),
            "reversal_unknown_claim" => (
                "冲销单号",
                target.to_string(),
                "本文件和系统中都没有该人员的这个结算单号，无法冲销；请核对冲销单号".to_string(),
            ),
            "reversal_of_reversal" => (
                "冲销单号",
                target.to_string(),
                "被冲销的记录本身是一条冲销记录，不能再冲销；请核对冲销单号".to_string(),
            ),
            "duplicate_reversal" => (
                "冲销单号",
                target.to_string(),
                "该结算单号已被冲销过，不能再次冲销；请删除重复的冲销记录".to_string(),
            ),
            "reversal_person_mismatch" => (
                "冲销单号",
                target.to_string(),
                "被冲销的结算记录属于另一个人；冲销只能针对本人的结算记录，请核对身份证号和冲销单号".to_string(),
            ),
            _ => ("", String::new(), c.code.to_string()),
        };
        report.push(RowError {
            file: file.clone(),
            row: u32::try_from(c.row).unwrap_or(u32::MAX),
            column: column.into(),
            value,
            problem,
            code: c.code,
            severity: Severity::Error,
        });
    }
}
