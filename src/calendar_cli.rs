//! `jianfu calendar`: the working-day calendar (工作日历, `monitoring.md`
//! §6) — add a year's State Council notice or a region's own days, list
//! the files loaded, and compute a due date. Each subcommand maps to a use
//! case of `jianfu_service::monitoring::calendar`; a refusal (permission)
//! exits 1, a file or date that cannot be used exits 2.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{ArgGroup, Subcommand};
use jianfu_service::monitoring::calendar::{self, Replaced, Span};
use jianfu_service::{Actor, App, UseCaseError};

/// What to do with the working-day calendar.
#[derive(Subcommand)]
pub enum CalendarAction {
    /// Store a calendar file (TOML): a year's national notice, or a
    /// region's own days (its `region` prefix).
    Add {
        /// The calendar file.
        file: PathBuf,
        /// Replace the file already loaded for the same region and year.
        #[arg(long)]
        replace: bool,
    },
    /// List the calendar files: built-in and added.
    List,
    /// Print the due date (YYYY-MM-DD) a span after a date.
    #[command(group(ArgGroup::new("span").required(true).args(["working_days", "days"])))]
    Due {
        /// The start date, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        from: NaiveDate,
        /// The N-th working day strictly after the start.
        #[arg(long)]
        working_days: Option<u32>,
        /// The start plus N calendar days.
        #[arg(long)]
        days: Option<u32>,
        /// Region code or prefix whose own days apply (default: national).
        #[arg(long)]
        region: Option<String>,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期“{s}”无效：应为 YYYY-MM-DD，如 2024-12-31"))
}

/// Runs a `calendar` command; `Ok(false)` when it was refused.
pub async fn run(app: &App, actor: &Actor, action: CalendarAction) -> Result<bool> {
    match action {
        CalendarAction::Add { file, replace } => add(app, actor, &file, replace).await,
        CalendarAction::List => answer(calendar::list(app, actor).await.map(|rows| {
            println!("编号\t年度\t地区前缀\t依据\t文件\t添加时间\t添加人\t状态");
            for r in rows {
                let id = r.id.map_or("内置".to_string(), |id| id.to_string());
                let region = if r.region.is_empty() {
                    "全国"
                } else {
                    &r.region
                };
                let at = r.loaded_at.map_or("—".to_string(), |t| {
                    t.with_timezone(&jianfu_domain::time::china())
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                });
                let state = if r.replaced { "已替换" } else { "在用" };
                let (year, source, file, by) = (r.year, r.source, r.file, r.loaded_by);
                println!("{id}\t{year}\t{region}\t{source}\t{file}\t{at}\t{by}\t{state}");
            }
        })),
        CalendarAction::Due {
            from,
            working_days,
            days,
            region,
        } => {
            let span = match (working_days, days) {
                (Some(n), _) => Span::WorkingDays(n),
                (None, Some(n)) => Span::Days(n),
                (None, None) => unreachable!("clap requires one of the two"),
            };
            let due = calendar::due(app, actor, from, span, region.as_deref()).await;
            answer(due.map(|d| println!("{}", d.format("%Y-%m-%d"))))
        }
    }
}

/// A refusal prints and exits 1; invalid input and failures exit 2.
fn answer(outcome: Result<(), UseCaseError>) -> Result<bool> {
    match outcome {
        Ok(()) => Ok(true),
        Err(e @ (UseCaseError::Denied(_) | UseCaseError::NotFound)) => {
            eprintln!("错误：{e}");
            Ok(false)
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

async fn add(app: &App, actor: &Actor, file: &Path, replace: bool) -> Result<bool> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取工作日历文件 {}", file.display()))?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let added = calendar::add(app, actor, &name, &text, replace).await;
    answer(added.map(|a| {
        let region = if a.region.is_empty() {
            "全国".to_string()
        } else {
            format!("地区 {}", a.region)
        };
        if a.existed {
            println!(
                "{region}{}年的相同工作日历已在用（编号 {}），未重复添加。",
                a.year, a.id
            );
            return;
        }
        match a.replaced {
            Some(Replaced::BuiltIn(f)) => println!(
                "已添加{region}{}年的工作日历（编号 {}），替换内置文件 {f}。",
                a.year, a.id
            ),
            Some(Replaced::Stored(old)) => println!(
                "已添加{region}{}年的工作日历（编号 {}），替换编号 {old}。",
                a.year, a.id
            ),
            None => println!("已添加{region}{}年的工作日历（编号 {}）。", a.year, a.id),
        }
        if !a.national_loaded {
            println!(
                "注意：{}年的全国工作日历尚未载入，该年仍无法按工作日计算。",
                a.year
            );
        }
    }))
}
