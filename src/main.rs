//! `jianfu`: the command line of 健扶. Every command takes the database as
//! `--db URL` (default `sqlite://jianfu.db`, or `JIANFU_DB`) and exits 0
//! only when everything asked for was done.

mod actor_cli;
mod batches_cli;
mod bench;
mod bench_monitor;
mod bench_scan;
mod bench_settle;
mod bench_web;
mod calendar_cli;
mod case_cli;
mod claims_cli;
mod db_cli;
mod demo_monitoring;
mod feedback_cli;
mod import_cli;
mod jobs_cli;
mod monitor_cli;
mod policy_cli;
mod serve_cli;
mod settle_cli;
mod simulate_cli;
mod user_cli;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use jianfu_domain::IdCardNo;
use jianfu_domain::registry::{change_field_label, change_value_display};
use jianfu_ingest::{FileKind, write_template};
use jianfu_service::{Actor, App, ImportRequest};
use jianfu_store::Db;

#[derive(Parser)]
#[command(
    name = "jianfu",
    version,
    about = "健扶：健康帮扶动态管理与防止因病返贫监测"
)]
struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "JIANFU_DB",
        default_value = "sqlite://jianfu.db"
    )]
    db: String,
    /// Act as this stored user (their role and jurisdiction, named in the
    /// audit log) instead of the command line's own system actor.
    #[arg(long = "as", global = true, value_name = "USER")]
    as_user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The region tree (统计用区划代码).
    Regions {
        #[command(subcommand)]
        action: RegionsAction,
    },
    /// Import a registry or claims file or a department push list (CSV or XLSX).
    Import(import_cli::ImportArgs),
    /// Write an empty import template (XLSX) with a sheet explaining each column.
    Template {
        /// Which template.
        kind: Kind,
        /// Output file (.xlsx).
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate a synthetic county: persons.csv, diagnoses.csv, claims.csv.
    Generate {
        /// Six-digit county code of a real county.
        #[arg(long, default_value = "130624")]
        county: String,
        /// Number of persons.
        #[arg(long, default_value_t = 100_000)]
        persons: u64,
        /// Random seed: the same seed gives the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// The latest change batches (imports, parameter sets) and how each
    /// ended: written, not written, interrupted (its process died).
    Batches {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Change history of a person (ID number) or a household (户编号).
    History {
        /// ID number of a person.
        #[arg(long, conflicts_with = "household")]
        person: Option<String>,
        /// 户编号 of a household.
        #[arg(long)]
        household: Option<String>,
        /// County code of the household (six digits).
        #[arg(long, required_unless_present = "person")]
        county: Option<String>,
    },
    /// Serve the web application, with a job worker beside it.
    Serve(serve_cli::ServeArgs),
    /// The durable job queue (imports from the web): run it, list it.
    Jobs {
        #[command(subcommand)]
        action: jobs_cli::JobsAction,
    },
    /// User accounts: add, disable, enable, reset-password, list.
    User {
        #[command(subcommand)]
        action: user_cli::UserAction,
    },
    /// Build a demo database (regions + a generated county) and serve it.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// County to generate.
        #[arg(long, default_value = "130624")]
        county: String,
        /// Persons to generate.
        #[arg(long, default_value_t = 20_000)]
        persons: u64,
        /// Build the database and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Settle a claims CSV under a policy: tiers per claim, to the cent.
    Settle(settle_cli::SettleArgs),
    /// Re-settle a year of stored claims under two policies and compare them by region.
    Simulate(simulate_cli::SimulateArgs),
    /// Settlement parameter sets (政策参数) stored in the database.
    Policy {
        #[command(subcommand)]
        action: policy_cli::PolicyAction,
    },
    /// Return-to-poverty monitoring (防止因病返贫动态监测): run, export, parameters.
    Monitor {
        #[command(subcommand)]
        action: monitor_cli::MonitorAction,
    },
    /// The working-day calendar (工作日历): add a year or a region's days, list, due dates.
    Calendar {
        #[command(subcommand)]
        action: calendar_cli::CalendarAction,
    },
    /// Cases of the monitoring procedure (识别程序): open, act, dismiss an alert, list, show.
    Case {
        #[command(subcommand)]
        action: case_cli::CaseAction,
    },
    /// Back up or restore the whole database.
    Db {
        #[command(subcommand)]
        action: db_cli::DbAction,
    },
    /// Benchmarks that print throughput and peak memory.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum RegionsAction {
    /// Load the 2023 division codes shipped in the binary (all, or some provinces).
    Load {
        /// Only codes starting with this prefix (e.g. 13 for 河北省).
        #[arg(long, default_value = "")]
        prefix: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// 人员 (persons)
    Persons,
    /// 诊断 (diagnoses)
    Diagnoses,
    /// 医保结算记录 (claims)
    Claims,
    /// 部门推送预警名单 (pushes): pre-warnings pushed by another department
    Pushes,
}

impl From<Kind> for FileKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Persons => FileKind::Persons,
            Kind::Diagnoses => FileKind::Diagnoses,
            Kind::Claims => FileKind::Claims,
            Kind::Pushes => FileKind::Pushes,
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JIANFU_LOG")
                .unwrap_or_else(|_| "warn,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let outcome = runtime.block_on(run(cli));
    drop(runtime);
    // `jianfu bench import` runs each import as a child process and reads
    // its peak memory from here.
    if let Some(path) = std::env::var_os(bench::PEAK_RSS_ENV) {
        let _ = std::fs::write(path, format!("{:.1}", bench::peak_rss_mib()));
    }
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command; `Ok(false)` means it ran but not everything was done.
async fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::Regions {
            action: RegionsAction::Load { prefix },
        } => {
            let db = open(&cli.db).await?;
            load_regions(&db, &prefix).await?;
            Ok(true)
        }
        Command::Import(args) => {
            let app = App::new(open(&cli.db).await?);
            import_cli::run(&app, cli.as_user.as_deref(), args).await
        }
        Command::Template { kind, out } => {
            write_template(kind.into(), &out)
                .with_context(|| format!("无法写入模板 {}", out.display()))?;
            println!("已生成模板：{}", out.display());
            Ok(true)
        }
        Command::Generate {
            county,
            persons,
            seed,
            out,
        } => {
            generate(&county, persons, seed, &out)?;
            Ok(true)
        }
        Command::Batches { limit } => batches_cli::list(&open(&cli.db).await?, limit).await,
        Command::History {
            person,
            household,
            county,
        } => {
            let db = open(&cli.db).await?;
            history(&db, person, household, county).await
        }
        Command::Serve(args) => serve_cli::run(open(&cli.db).await?, &cli.db, args).await,
        Command::Jobs { action } => jobs_cli::run(&open(&cli.db).await?, &cli.db, action).await,
        Command::User { action } => user_cli::run(&open(&cli.db).await?, action).await,
        Command::Demo {
            addr,
            county,
            persons,
            no_serve,
        } => demo(&cli.db, &addr, &county, persons, no_serve).await,
        Command::Settle(args) => tokio::task::spawn_blocking(move || settle_cli::run(args)).await?,
        Command::Simulate(args) => {
            let db = open(&cli.db).await?;
            simulate_cli::run(&db, args).await
        }
        Command::Policy { action } => {
            let app = App::new(open(&cli.db).await?);
            let actor = actor_cli::actor(&app, cli.as_user.as_deref()).await?;
            policy_cli::run(&app, &actor, action).await
        }
        Command::Monitor { action } => {
            let app = App::new(open(&cli.db).await?);
            let actor = actor_cli::actor(&app, cli.as_user.as_deref()).await?;
            monitor_cli::run(&app, &actor, action).await
        }
        Command::Calendar { action } => {
            let app = App::new(open(&cli.db).await?);
            let actor = actor_cli::actor(&app, cli.as_user.as_deref()).await?;
            calendar_cli::run(&app, &actor, action).await
        }
        Command::Case { action } => {
            let app = App::new(open(&cli.db).await?);
            let actor = actor_cli::actor(&app, cli.as_user.as_deref()).await?;
            case_cli::run(&app, &actor, action).await
        }
        Command::Db { action } => db_cli::run(&cli.db, action).await,
        Command::Bench { what } => bench::run(what).await,
    }
}

/// Opens the database at `url`, migrated, and marks the change batches
/// of processes that died `interrupted` (every command does, so the next
/// one after a killed import finds its batch marked; a failure there is
/// only logged: it stops no command).
async fn open(url: &str) -> Result<Db> {
    let db = Db::open(url)
        .await
        .with_context(|| format!("无法打开数据库 {}", redact_url(url)))?;
    let app = jianfu_service::App::new(db.clone());
    if let Err(e) = jianfu_service::batches::interrupt_orphans(&app).await {
        tracing::warn!(error = %e, "cannot look for batches of dead processes");
    }
    Ok(db)
}

/// Hides a password in a database URL before it is shown.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix} [{bar:40}] {percent:>3}% {msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    if std::env::var_os("CI").is_some() {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    pb
}

async fn load_regions(db: &Db, prefix: &str) -> Result<u64> {
    let started = Instant::now();
    let pb = bar(665_271, "加载区划");
    // One transaction: readers see the old tree or the new one.
    let mut tx = db.begin().await?;
    let n = jianfu_store::regions::load_regions(
        &mut tx,
        jianfu_regions::EDITION,
        jianfu_regions::regions(prefix),
        |n| pb.set_position(n),
    )
    .await?;
    tx.commit().await?;
    pb.finish_and_clear();
    println!(
        "已加载 {n} 个区划（{} 版），用时 {:.1} 秒",
        jianfu_regions::EDITION,
        started.elapsed().as_secs_f64()
    );
    Ok(n)
}

pub(crate) async fn ensure_regions(db: &Db) -> Result<()> {
    if jianfu_store::regions::region_count(&mut db.read().await?).await? == 0 {
        println!("数据库中还没有区划代码，先加载全国 2023 年区划……");
        load_regions(db, "").await?;
    }
    Ok(())
}

fn generate(county: &str, persons: u64, seed: u64, out: &Path) -> Result<jianfu_synth::Summary> {
    let opts = jianfu_synth::GenerateOptions {
        county: county.to_string(),
        persons,
        seed,
        ..Default::default()
    };
    let pb = bar(persons, "生成");
    let summary = jianfu_synth::generate(&opts, out, &mut |p| {
        pb.set_length(p.total.max(1));
        pb.set_position(p.done);
        pb.set_message(match p.phase {
            jianfu_synth::Phase::Registry => "人员",
            jianfu_synth::Phase::Claims => "结算记录",
        });
    })?;
    pb.finish_and_clear();
    println!(
        "已生成 {} 户 {} 人、{} 条诊断、{} 条结算记录（含 {} 条冲销），写入 {}",
        summary.households,
        summary.persons,
        summary.diagnoses,
        summary.claims,
        summary.reversals,
        out.display()
    );
    Ok(summary)
}

async fn history(
    db: &Db,
    person: Option<String>,
    household: Option<String>,
    county: Option<String>,
) -> Result<bool> {
    let (county, rows) = match (person, household) {
        (Some(p), _) => {
            let id = IdCardNo::parse(p.trim()).map_err(|e| anyhow::anyhow!("身份证号无效：{e}"))?;
            let Some(found) =
                jianfu_store::registry::person(&mut db.read().await?, "", id.as_str()).await?
            else {
                bail!("没有找到身份证号为 {} 的人员", id.masked());
            };
            let rows = jianfu_store::registry::history(
                &mut db.read().await?,
                &found.county_code,
                None,
                Some(id.as_str()),
            )
            .await?;
            (found.county_code, rows)
        }
        (None, Some(h)) => {
            let county = county.unwrap_or_default();
            let rows = jianfu_store::registry::history(
                &mut db.read().await?,
                &county,
                Some(h.trim()),
                None,
            )
            .await?;
            (county, rows)
        }
        (None, None) => bail!("请指定 --person 身份证号 或 --household 户编号"),
    };
    if rows.is_empty() {
        println!("没有变更记录。");
        return Ok(false);
    }
    println!("时间\t对象\t字段\t原值\t新值\t来源文件\t操作人\t（县 {county}）");
    for r in rows {
        let who = if r.entity == "household" {
            format!("户 {}", r.entity_key)
        } else {
            jianfu_domain::mask_middle(&r.entity_key)
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            who,
            change_field_label(&r.field),
            change_value_display(&r.field, r.old_value.as_deref()),
            change_value_display(&r.field, r.new_value.as_deref()),
            r.source_file.as_deref().unwrap_or(""),
            r.user_name
        );
    }
    Ok(true)
}

/// Demo-only parameter sets: the reference values, labelled as such, for
/// the demo county and each generated claim year, so every generated claim
/// has a policy in force. Real counties load their own (`jianfu policy add`).
async fn demo_policies(db: &Db, county: &str) -> Result<()> {
    for text in demo_policy_texts(county)? {
        jianfu_store::policies::add_policy(db, &text, "demo")
            .await
            .map_err(|e| anyhow::anyhow!("演示政策参数无法保存：{e}"))?;
    }
    Ok(())
}

/// The TOML texts of [`demo_policies`], one per generated claim year.
pub(crate) fn demo_policy_texts(county: &str) -> Result<Vec<String>> {
    let reference =
        jianfu_policy::Policy::built_in_text("reference-2023").context("built-in policy")?;
    let [first, last] = jianfu_synth::GenerateOptions::default().claim_years;
    Ok((first..=last)
        .map(|year| {
            reference
                .lines()
                .map(|l| {
                    let key = l.split('=').next().unwrap_or("").trim();
                    match key {
                        "name" => {
                            format!("name = \"演示：{county} {year}（沿用 reference-2023 数值）\"")
                        }
                        "region" => format!("region = \"{county}\""),
                        "valid_from" => format!("valid_from = \"{year}-01-01\""),
                        "valid_to" => format!("valid_to = \"{year}-12-31\""),
                        _ => l.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect())
}

async fn demo(url: &str, addr: &str, county: &str, persons: u64, no_serve: bool) -> Result<bool> {
    let db = open(url).await?;
    ensure_regions(&db).await?;
    let (households, _) = jianfu_store::registry::totals(&mut db.read().await?, county).await?;
    if households == 0 {
        let dir = tempfile::tempdir()?;
        generate(county, persons, 1, dir.path())?;
        demo_policies(&db, county).await?;
        let app = App::new(db.clone());
        for (kind, file) in [
            (FileKind::Persons, "persons.csv"),
            (FileKind::Diagnoses, "diagnoses.csv"),
            (FileKind::Claims, "claims.csv"),
        ] {
            let req = ImportRequest::new(dir.path().join(file), kind, "demo");
            if !import_cli::import(&app, &Actor::command_line(), &req).await? {
                bail!("演示数据导入失败，请查看上面的错误");
            }
        }
    } else {
        println!("数据库中已有 {households} 户，直接使用。");
    }
    let village =
        jianfu_store::registry::first_village_with_households(&mut db.read().await?, county)
            .await?;
    demo_monitoring::seed(&db, county, village.as_deref()).await?;
    let users = user_cli::demo_users(&db, county).await?;
    if !users.is_empty() {
        println!("演示账户（密码均为 {}）：", user_cli::DEMO_PASSWORD);
        for (name, role, scope) in &users {
            println!("  {name:<9} {}，{scope}", role.label());
        }
    }
    if no_serve {
        return Ok(true);
    }
    let queue = jobs_cli::QueueArgs {
        data_dir: None,
        job_lease: 60,
        job_slots: None,
    };
    serve_cli::serve(jianfu_web::AppState::new(db, true), url, addr, &queue).await?;
    Ok(true)
}
