//! `jianfu bench`: throughput and peak-memory benchmarks on generated
//! data, for SQLite and PostgreSQL. Figures are printed, never asserted.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use jianfu_ingest::FileKind;
use jianfu_service::{ImportRequest, import_file};
use jianfu_store::Db;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Import generated persons (and their diagnoses) into fresh databases.
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

async fn bench_import(persons: u64, engines: Engines, pg: Option<String>) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let summary = crate::generate("130624", persons, 1, dir.path())?;
    println!(
        "generate: {persons} persons in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut targets: Vec<(&str, String)> = Vec::new();
    if engines != Engines::Postgres {
        targets.push((
            "sqlite",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        ));
    }
    if engines != Engines::Sqlite {
        let Some(base) = pg else {
            bail!("PostgreSQL benchmark needs --pg URL or JIANFU_TEST_PG")
        };
        targets.push(("postgres", scratch_pg(&base).await?));
    }
    for (engine, url) in targets {
        let db = Db::open(&url)
            .await
            .with_context(|| format!("open {engine}"))?;
        reset_peak_rss();
        let t = Instant::now();
        let n = db
            .load_regions(jianfu_regions::EDITION, jianfu_regions::regions(""), |_| {})
            .await?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{engine:8} regions:   {n} rows in {secs:.2} s = {:.0} rows/s, peak RSS {:.0} MiB",
            n as f64 / secs,
            peak_rss_mib()
        );
        for (kind, file, rows) in [
            (FileKind::Persons, "persons.csv", summary.persons),
            (FileKind::Diagnoses, "diagnoses.csv", summary.diagnoses),
        ] {
            reset_peak_rss();
            let t = Instant::now();
            let outcome = import(&db, &dir.path().join(file), kind).await?;
            let secs = t.elapsed().as_secs_f64();
            if !outcome {
                bail!("{engine}: import of {file} reported errors");
            }
            println!(
                "{engine:8} {:9} {rows} rows in {secs:.2} s = {:.0} rows/s, peak RSS {:.0} MiB",
                format!("{}:", kind.name()),
                rows as f64 / secs,
                peak_rss_mib()
            );
        }
        // Re-import of the unchanged persons file: the idempotent path.
        reset_peak_rss();
        let t = Instant::now();
        import(&db, &dir.path().join("persons.csv"), FileKind::Persons).await?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{engine:8} re-import: {} rows in {secs:.2} s = {:.0} rows/s (no changes), peak RSS {:.0} MiB",
            summary.persons,
            summary.persons as f64 / secs,
            peak_rss_mib()
        );
        db.close().await;
    }
    Ok(true)
}

pub(crate) async fn import(db: &Db, path: &Path, kind: FileKind) -> Result<bool> {
    let mut req = ImportRequest::new(path.to_path_buf(), kind, "bench");
    req.report = Some(path.with_extension("report.csv"));
    Ok(import_file(db, &req, |_, _| {}).await?.is_success())
}

/// Creates a fresh database on the server `base` points at.
async fn scratch_pg(base: &str) -> Result<String> {
    let name = format!("jianfu_bench_{}", std::process::id());
    let admin = Db::connect(base).await?;
    if let Db::Postgres(p) = &admin {
        sqlx_exec(p, &format!("DROP DATABASE IF EXISTS {name}")).await?;
        sqlx_exec(p, &format!("CREATE DATABASE {name}")).await?;
    }
    admin.close().await;
    let head = base.rsplit_once('/').map_or(base, |(h, _)| h);
    Ok(format!("{head}/{name}"))
}

async fn sqlx_exec(pool: &sqlx::PgPool, sql: &str) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await?;
    Ok(())
}
