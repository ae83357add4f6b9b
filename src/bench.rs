//! `jianfu bench`: throughput and peak-memory benchmarks on generated
//! data, for SQLite and PostgreSQL. Figures are printed, never asserted.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use jianfu_ingest::FileKind;
use jianfu_service::{Actor, App, ImportRequest, import_file};
use jianfu_store::Db;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Import generated persons, their diagnoses and claims into fresh
    /// databases.
    Import {
        /// Persons to generate and import.
        #[arg(long, default_value_t = 1_000_000)]
        persons: u64,
        /// Engines to measure.
        #[arg(long, value_enum, default_value = "both")]
        engine: Engines,
        /// PostgreSQL server to create a scratch database on.
        #[arg(long, env = "JIANFU_TEST_PG")]
        pg: Option<String>,
    },
    /// Settle generated claims: the engine alone and `jianfu settle` end to end.
    Settle {
        /// Claim counts to measure.
        #[arg(long, value_delimiter = ',', default_value = "1000000,5000000")]
        claims: Vec<u64>,
        /// Use this claims CSV (cut to each count) instead of generating one.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Load the web application: 32 clients on dashboard, search and household pages.
    Web(crate::bench_web::WebBenchArgs),
    /// Import a generated county, then time what monitoring adds to the
    /// claims import, `jianfu monitor run` over it and one new claim.
    Monitor {
        /// Persons to generate and import.
        #[arg(long, default_value_t = 1_000_000)]
        persons: u64,
        /// Engines to measure.
        #[arg(long, value_enum, default_value = "sqlite")]
        engine: Engines,
        /// PostgreSQL server to create a scratch database on.
        #[arg(long, env = "JIANFU_TEST_PG")]
        pg: Option<String>,
    },
    /// Time the deadline scan (督办) over many open cases with late steps.
    Scan {
        /// Open cases to scan.
        #[arg(long, default_value_t = 100_000)]
        cases: u64,
        /// Engines to measure.
        #[arg(long, value_enum, default_value = "sqlite")]
        engine: Engines,
        /// PostgreSQL server to create a scratch database on.
        #[arg(long, env = "JIANFU_TEST_PG")]
        pg: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engines {
    /// SQLite only.
    Sqlite,
    /// PostgreSQL only.
    Postgres,
    /// Both.
    Both,
}

pub async fn run(cmd: BenchCommand) -> Result<bool> {
    match cmd {
        BenchCommand::Import {
            persons,
            engine,
            pg,
        } => bench_import(persons, engine, pg).await,
        BenchCommand::Settle { claims, file } => {
            tokio::task::spawn_blocking(move || crate::bench_settle::run(&claims, file.as_deref()))
                .await?
        }
        BenchCommand::Web(args) => crate::bench_web::run(args).await,
        BenchCommand::Monitor {
            persons,
            engine,
            pg,
        } => crate::bench_monitor::run(persons, engine, pg).await,
        BenchCommand::Scan { cases, engine, pg } => crate::bench_scan::run(cases, engine, pg).await,
    }
}

/// Peak resident memory of this process since the last reset, in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the kernel's peak-RSS mark so each phase is measured alone.
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Environment variable naming a file to which the `jianfu` process writes
/// its peak resident memory (MiB) as it exits.
pub const PEAK_RSS_ENV: &str = "JIANFU_PEAK_RSS_TO";

/// Imports into fresh databases, each step a `jianfu` child process as a
/// user would run it, so that the figures are the commands' own: wall time
/// (dashboard rollups and statistics included) and peak memory.
async fn bench_import(persons: u64, engines: Engines, pg: Option<String>) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let summary = crate::generate("130624", persons, 1, dir.path())?;
    println!(
        "generate: {persons} persons in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let targets = bench_targets(dir.path(), engines, pg).await?;
    let persons_csv = dir.path().join("persons.csv");
    let diagnoses_csv = dir.path().join("diagnoses.csv");
    let claims_csv = dir.path().join("claims.csv");
    let policies = policy_files(dir.path())?;
    let regions = jianfu_regions::regions("").count() as u64;
    // (label, command, rows, note)
    let steps: [(&str, Vec<&std::ffi::OsStr>, u64, &str); 5] = [
        (
            "regions",
            vec!["regions".as_ref(), "load".as_ref()],
            regions,
            "",
        ),
        (
            "persons",
            vec![
                "import".as_ref(),
                "persons".as_ref(),
                persons_csv.as_os_str(),
            ],
            summary.persons,
            "",
        ),
        (
            "diagnoses",
            vec![
                "import".as_ref(),
                "diagnoses".as_ref(),
                diagnoses_csv.as_os_str(),
            ],
            summary.diagnoses,
            "",
        ),
        (
            "claims",
            vec!["import".as_ref(), "claims".as_ref(), claims_csv.as_os_str()],
            summary.claims,
            " (stored and settled)",
        ),
        (
            "re-import",
            vec![
                "import".as_ref(),
                "persons".as_ref(),
                persons_csv.as_os_str(),
            ],
            summary.persons,
            " (no changes)",
        ),
    ];
    for (engine, url) in targets {
        for p in &policies {
            run_child(
                dir.path(),
                &url,
                &["policy".as_ref(), "add".as_ref(), p.as_os_str()],
            )?;
        }
        for (label, args, rows, note) in &steps {
            let (secs, peak) = run_child(dir.path(), &url, args)?;
            println!(
                "{engine:8} {:10} {rows} rows in {secs:.2} s = {:.0} rows/s{note}, peak RSS {peak:.0} MiB",
                format!("{label}:"),
                *rows as f64 / secs,
            );
        }
    }
    Ok(true)
}

/// The fresh databases to import into: a SQLite file in `dir` and a
/// scratch PostgreSQL database, as asked.
async fn bench_targets(
    dir: &Path,
    engines: Engines,
    pg: Option<String>,
) -> Result<Vec<(&'static str, String)>> {
    let mut targets = Vec::new();
    if engines != Engines::Postgres {
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        targets.push(("sqlite", url));
    }
    if engines != Engines::Sqlite {
        let Some(base) = pg else {
            bail!("PostgreSQL benchmark needs --pg URL or JIANFU_TEST_PG")
        };
        targets.push(("postgres", scratch_pg(&base).await?));
    }
    Ok(targets)
}

/// The claim years' parameter sets as files in `dir`, added to each fresh
/// database first (untimed; with no claims stored yet they re-settle
/// nothing).
fn policy_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut policies = Vec::new();
    for (i, text) in crate::demo_policy_texts("130624")?.iter().enumerate() {
        let path = dir.join(format!("policy-{i}.toml"));
        std::fs::write(&path, text)?;
        policies.push(path);
    }
    Ok(policies)
}

/// Runs `jianfu --db URL ARGS…` to completion; its wall time and peak RSS.
pub(crate) fn run_child(dir: &Path, url: &str, args: &[&std::ffi::OsStr]) -> Result<(f64, f64)> {
    let peak_file = dir.join("peak-rss.txt");
    let started = Instant::now();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("--db").arg(url).args(args);
    if args.first() == Some(&std::ffi::OsStr::new("import")) {
        cmd.arg("--report").arg(dir.join("report.csv"));
    }
    let out = cmd
        .env(PEAK_RSS_ENV, &peak_file)
        .output()
        .context("cannot run jianfu")?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "jianfu {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let peak = std::fs::read_to_string(&peak_file)?.trim().parse::<f64>()?;
    Ok((secs, peak))
}

/// Imports one file in this process as the command line.
pub(crate) async fn import(db: &Db, path: &Path, kind: FileKind) -> Result<bool> {
    let mut req = ImportRequest::new(path.to_path_buf(), kind, "bench");
    req.report = Some(path.with_extension("report.csv"));
    let (app, actor) = (App::new(db.clone()), Actor::command_line());
    Ok(import_file(&app, &actor, &req, |_, _| {})
        .await?
        .is_success())
}

/// Creates a fresh database on the server `base` points at.
pub(crate) async fn scratch_pg(base: &str) -> Result<String> {
    scratch_pg_named(base, "db").await
}

/// Creates a fresh database on the server `base` points at, its name
/// ending in `tag` (an identifier of this program).
pub(crate) async fn scratch_pg_named(base: &str, tag: &'static str) -> Result<String> {
    let name = format!("jianfu_bench_{}_{tag}", std::process::id());
    let admin = Db::connect(base).await?;
    let mut c = admin.read().await?;
    // The name is made here from the process id, never taken from input.
    let drop_old = format!("DROP DATABASE IF EXISTS {name}");
    c.exec(sqlx::AssertSqlSafe(drop_old), &[]).await?;
    c.exec(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")), &[])
        .await?;
    drop(c);
    admin.close().await;
    let head = base.rsplit_once('/').map_or(base, |(h, _)| h);
    Ok(format!("{head}/{name}"))
}
