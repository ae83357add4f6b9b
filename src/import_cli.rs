//! `jianfu import KIND FILE`: the import use case as the command line
//! (`命令行`) or, with `--as USER`, as a stored user, whose permission and
//! jurisdiction then apply; the use case writes the audit entry. Prints
//! what was written and where the report is.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use jianfu_ingest::{FileKind, Progress};
use jianfu_service::{Actor, App, ImportOutcome, ImportPhase, ImportRequest, import_file};

use crate::{Kind, actor_cli, claims_cli};

/// What `jianfu import` takes.
#[derive(Args)]
pub struct ImportArgs {
    /// What the file holds.
    kind: Kind,
    /// The file.
    file: PathBuf,
    /// Where to write the error report (.csv or .xlsx); next to the file by default.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Write the good rows even when some rows are bad.
    #[arg(long)]
    skip_invalid: bool,
    /// Worksheet to read (XLSX); the first by default.
    #[arg(long)]
    sheet: Option<String>,
    /// Who is importing, for the change history (with --as, that user).
    #[arg(long, env = "USER", default_value = "cli")]
    user: String,
}

/// Runs `jianfu import` as `as_user` (the command line when `None`);
/// `Ok(false)` when not everything was written.
pub async fn run(app: &App, as_user: Option<&str>, args: ImportArgs) -> Result<bool> {
    crate::ensure_regions(&app.db).await?;
    let actor = actor_cli::actor(app, as_user).await?;
    // A stored user acting through the command line is the one the change
    // history names too.
    let user = match as_user {
        Some(_) => actor.username.clone(),
        None => args.user,
    };
    let mut req = ImportRequest::new(args.file, args.kind.into(), user);
    req.options.sheet = args.sheet;
    req.skip_invalid = args.skip_invalid;
    req.report = args.report;
    import(app, &actor, &req).await
}

/// Imports one file as `actor`, with a progress bar; `Ok(false)` when not
/// everything was written.
pub async fn import(app: &App, actor: &Actor, req: &ImportRequest) -> Result<bool> {
    let started = Instant::now();
    let pb = crate::bar(100, "导入");
    let pb2 = pb.clone();
    let progress = move |phase: ImportPhase, p: Progress| {
        pb2.set_message(phase.label());
        pb2.set_position((p.fraction() * 100.0) as u64);
    };
    let outcome = import_file(app, actor, req, progress).await?;
    pb.finish_and_clear();
    println!(
        "文件：{}，数据行 {} 行，用时 {:.1} 秒",
        req.path.display(),
        outcome.data_rows,
        started.elapsed().as_secs_f64()
    );
    print_written(req.kind, &outcome);
    print_problems(req, &outcome);
    Ok(outcome.is_success())
}

/// What was written, by kind.
fn print_written(kind: FileKind, outcome: &ImportOutcome) {
    let s = &outcome.stats;
    if !outcome.committed {
        println!("未写入任何数据。");
        return;
    }
    match kind {
        FileKind::Persons => println!(
            "已写入：新增 {} 户、{} 人；更新 {} 户、{} 人；未变 {} 人；变更记录 {} 条",
            s.households_created,
            s.persons_created,
            s.households_updated,
            s.persons_updated,
            s.persons_unchanged,
            s.changes
        ),
        FileKind::Diagnoses => println!(
            "已写入：新增 {} 条诊断；更新 {} 条；未变 {} 条；变更记录 {} 条",
            s.diagnoses_created, s.diagnoses_updated, s.diagnoses_unchanged, s.changes
        ),
        FileKind::Claims => claims_cli::print_written(s),
        FileKind::Pushes => println!(
            "已写入：新增 {} 条推送预警（立案 {} 件，其余并入在办案件）；已有 {} 条",
            s.pushes_created, s.push_cases_opened, s.pushes_unchanged
        ),
    }
}

/// The counts of problems and where the report is; an empty report is
/// removed.
fn print_problems(req: &ImportRequest, outcome: &ImportOutcome) {
    if outcome.errors > 0 || outcome.warnings > 0 {
        let skipped = if outcome.committed && outcome.rejected_rows > 0 {
            format!("，跳过 {} 行", outcome.rejected_rows)
        } else {
            String::new()
        };
        println!(
            "发现 {} 个错误、{} 个警告{skipped}",
            outcome.errors, outcome.warnings
        );
        if !outcome.committed && !req.skip_invalid && outcome.errors > 0 {
            println!("整个文件未导入。修正后重新导入，或使用 --skip-invalid 只导入正确的行。");
        }
    }
    let Some(r) = &outcome.report else {
        return;
    };
    if outcome.errors > 0 || outcome.warnings > 0 || req.report.is_some() {
        println!("错误报告：{}", r.display());
    } else {
        // Nothing to report: don't leave an empty file behind.
        let _ = std::fs::remove_file(r);
    }
}
