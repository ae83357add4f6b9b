//! `jianfu monitor`: return-to-poverty monitoring (防止因病返贫动态监测)
//! from the command line — evaluate a region and update its alerts, export
//! them (`monitoring.md` §5), scan deadlines and list supervision items
//! (督办), the monthly feedback lists of A1–A3 findings (`feedback_cli`),
//! and the parameter sets. Each subcommand maps
//! its arguments to a use case of `jianfu_service::monitoring` and its
//! answer to text; a refusal (permission, jurisdiction) exits 1, input
//! that cannot be used exits 2.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use jianfu_service::monitoring::{self, RunSummary, params::AddError};
use jianfu_service::{Actor, App, UseCaseError};

/// What to do with monitoring.
#[derive(Subcommand)]
pub enum MonitorAction {
    /// Evaluate the rules R1–R5 over a region and update its alerts.
    Run {
        /// Region code prefix (default: your whole jurisdiction).
        #[arg(long)]
        region: Option<String>,
        /// Evaluation date, YYYY-MM-DD (default: today, China time).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Only this year (default: the year of the evaluation date and the year before).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Write the alerts (all statuses) as CSV.
    Export {
        /// Region code prefix (default: your whole jurisdiction).
        #[arg(long)]
        region: Option<String>,
        /// Only this year (default: the year of the date and the year before).
        #[arg(long)]
        year: Option<i32>,
        /// The date whose year and the year before are exported (default: today).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare the sets in force with an alternative parameter file:
    /// households flagged per rule, township and village, and those that
    /// change. Writes no alerts.
    Simulate {
        /// The alternative parameter file (TOML), checked like `params add`.
        #[arg(long)]
        alternative: PathBuf,
        /// Region code prefix (default: your whole jurisdiction).
        #[arg(long)]
        region: Option<String>,
        /// Only this year (default: the year of the evaluation date and the year before).
        #[arg(long)]
        year: Option<i32>,
        /// Evaluation date, YYYY-MM-DD (default: today, China time).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// The report: FILE.xlsx (summary and changes sheets) or FILE.csv
        /// (the summary; the changes go to FILE-changes.csv).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Scan every case deadline now: raise, climb and close supervision
    /// items (督办). `jianfu serve` and `jianfu jobs run` do it hourly.
    Scan,
    /// List the supervision items addressed to your jurisdiction and below.
    Supervision {
        /// Closed items too (with how late their step was).
        #[arg(long)]
        all: bool,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// The counties' monthly feedback lists of A1–A3 findings
    /// (异常结算月度反馈清单).
    Feedback {
        #[command(subcommand)]
        action: crate::feedback_cli::FeedbackAction,
    },
    /// Monitoring parameter sets (监测参数).
    Params {
        #[command(subcommand)]
        action: ParamsAction,
    },
}

/// What to do with parameter sets.
#[derive(Subcommand)]
pub enum ParamsAction {
    /// Store a parameter file (TOML); it applies from the next `monitor run`.
    Add {
        /// The parameter file.
        file: PathBuf,
    },
    /// List the stored parameter sets.
    List,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期“{s}”无效：应为 YYYY-MM-DD，如 2024-12-31"))
}

/// Runs a `monitor` command; `Ok(false)` when it was refused.
pub async fn run(app: &App, actor: &Actor, action: MonitorAction) -> Result<bool> {
    match action {
        MonitorAction::Run {
            region,
            as_of,
            year,
        } => {
            let summary = monitoring::run(app, actor, region.as_deref(), as_of, year).await;
            answer(summary.map(|s| print_summary(&s)))
        }
        MonitorAction::Export {
            region,
            year,
            as_of,
            out,
        } => export(app, actor, region.as_deref(), year, as_of, &out).await,
        MonitorAction::Simulate {
            alternative,
            region,
            year,
            as_of,
            out,
        } => {
            let asked = SimulateArgs {
                region: region.as_deref(),
                year,
                as_of,
            };
            simulate(app, actor, &alternative, asked, out.as_deref()).await
        }
        MonitorAction::Scan => answer(monitoring::supervision::scan(app, actor).await.map(|s| {
            println!(
                "督办扫描完成：检查 {} 个环节，新督办 {}，升级督办 {}，办结 {}；未办结督办 {}。",
                s.steps, s.raised, s.climbed, s.closed, s.open
            );
        })),
        MonitorAction::Supervision { all, limit } => {
            let items = monitoring::supervision::list(app, actor, all, limit).await;
            answer(items.map(|items| print_items(&items, app.now())))
        }
        MonitorAction::Feedback { action } => {
            answer(crate::feedback_cli::run(app, actor, action).await)
        }
        MonitorAction::Params {
            action: ParamsAction::Add { file },
        } => add_params(app, actor, &file).await,
        MonitorAction::Params {
            action: ParamsAction::List,
        } => answer(monitoring::params::list(app, actor).await.map(|rows| {
            println!("编号\t名称\t地区前缀\t生效日期\t失效日期\t添加时间\t添加人");
            for p in rows {
                let to = p
                    .valid_to
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into());
                let at = p.loaded_at.format("%Y-%m-%d %H:%M:%S");
                let (id, name, region, from, by) =
                    (p.id, p.name, p.region_prefix, p.valid_from, p.loaded_by);
                println!("{id}\t{name}\t{region}\t{from}\t{to}\t{at}\t{by}");
            }
        })),
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

fn print_items(
    items: &[jianfu_store::monitoring::supervision::ItemRow],
    now: chrono::DateTime<chrono::Utc>,
) {
    println!("编号\t督办单位\t案件\t户编号\t环节\t环节期限\t督办日期\t督办期限\t状态");
    for i in items {
        let step = monitoring::supervision::step_label(&i.step_kind);
        let state = monitoring::supervision::item_state(i, now);
        println!(
            "{}\t{}\t{}\t{}\t{step}\t{}\t{}\t{}\t{state}",
            i.id, i.region_code, i.case_id, i.household_no, i.step_due_on, i.raised_on, i.due_on
        );
    }
}

fn print_summary(s: &RunSummary) {
    let as_of = s.as_of.map(|d| d.to_string()).unwrap_or_default();
    let region = if s.region.is_empty() {
        "全国"
    } else {
        &s.region
    };
    println!(
        "监测评估完成：地区 {region}，截至 {as_of}，年度 {}–{}；{} 户，{} 条结算记录。",
        s.years.0, s.years.1, s.households, s.claims
    );
    println!("规则\t新增\t重新预警\t数据更新\t无变化\t不再满足\t当前满足");
    for (rule, c) in &s.rules {
        println!(
            "{rule}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.raised,
            c.reopened,
            c.updated,
            c.unchanged,
            c.lapsed,
            c.holding()
        );
    }
    let statuses: Vec<String> = s
        .statuses
        .iter()
        .map(|(status, n)| {
            let label = jianfu_monitoring::AlertStatus::from_code(status)
                .map_or(status.as_str(), |s| s.label());
            format!("{label}（{status}）{n}")
        })
        .collect();
    println!("预警状态：{}", statuses.join("，"));
}

async fn export(
    app: &App,
    actor: &Actor,
    region: Option<&str>,
    year: Option<i32>,
    as_of: Option<NaiveDate>,
    out: &Path,
) -> Result<bool> {
    let file = std::fs::File::create(out)
        .with_context(|| format!("无法创建导出文件 {}", out.display()))?;
    let written = monitoring::export(
        app,
        actor,
        region,
        year,
        as_of,
        std::io::BufWriter::new(file),
    )
    .await;
    let refused = written.is_err();
    let done = answer(written.map(|n| {
        println!("已导出 {n} 条预警到 {}。", out.display());
    }));
    if refused {
        // Nothing was exported: leave no half-written file behind.
        let _ = std::fs::remove_file(out);
    }
    done
}

async fn add_params(app: &App, actor: &Actor, file: &Path) -> Result<bool> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取监测参数文件 {}", file.display()))?;
    let added = match monitoring::params::add(app, actor, &text).await {
        Ok(a) => a,
        Err(AddError::Store(e)) => return Err(e.into()),
        Err(AddError::Invalid(e)) => anyhow::bail!("监测参数文件 {} 无效：{e}", file.display()),
        Err(e @ AddError::Denied(_)) => {
            eprintln!("错误：{e}");
            return Ok(false);
        }
        Err(e) => anyhow::bail!("{e}"),
    };
    if added.existed {
        println!("相同的监测参数已存在（编号 {}），未重复添加。", added.id);
    } else {
        println!(
            "已添加监测参数（编号 {}），下次运行 jianfu monitor run 时生效。",
            added.id
        );
    }
    Ok(true)
}

/// The region, year and date a simulation was asked for.
struct SimulateArgs<'a> {
    region: Option<&'a str>,
    year: Option<i32>,
    as_of: Option<NaiveDate>,
}

async fn simulate(
    app: &App,
    actor: &Actor,
    file: &Path,
    asked: SimulateArgs<'_>,
    out: Option<&Path>,
) -> Result<bool> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取监测参数文件 {}", file.display()))?;
    let sim = monitoring::simulate(app, actor, asked.region, asked.as_of, asked.year, &text).await;
    let sim = match sim {
        Ok(s) => s,
        Err(UseCaseError::Invalid(e)) => {
            anyhow::bail!("备选监测参数文件 {}：{e}", file.display())
        }
        Err(e) => return answer(Err(e)),
    };
    print_simulation(&sim);
    if let Some(out) = out {
        monitoring::simulate_report::write_report(&sim, out)
            .with_context(|| format!("无法写入测算报告 {}", out.display()))?;
        println!("测算报告已写入 {}。", out.display());
    }
    Ok(true)
}

fn print_simulation(s: &monitoring::ThresholdSimulation) {
    use monitoring::simulate::{MEASURES, measure_label};
    let region = if s.region.is_empty() {
        "全国"
    } else {
        &s.region
    };
    let as_of = s.as_of.map(|d| d.to_string()).unwrap_or_default();
    println!(
        "阈值测算：地区 {region}，截至 {as_of}，年度 {}–{}；{} 户，其中 {} 户适用备选参数“{}”。",
        s.years.0, s.years.1, s.households, s.households_alternative, s.alternative
    );
    println!("年度\t指标\t现行\t备选\t差额\t新增\t移除");
    for t in s.totals() {
        for (i, m) in MEASURES.iter().enumerate() {
            let (cur, alt) = (t.current[i], t.alternative[i]);
            let moved = |added: bool| {
                s.changes
                    .iter()
                    .filter(|c| c.year == t.year && c.measure == *m && c.added == added)
                    .count()
            };
            println!(
                "{}\t{}\t{cur}\t{alt}\t{:+}\t{}\t{}",
                t.year,
                measure_label(m),
                alt as i64 - cur as i64,
                moved(true),
                moved(false)
            );
        }
    }
    println!("变化户次：{}", s.changes.len());
}
