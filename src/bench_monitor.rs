//! `jianfu bench monitor`: a generated county loaded into two fresh
//! databases of each engine, then:
//!
//! - the claims import twice, in this process with a clock the bench
//!   sets: into the first database on a day when no monitoring parameter
//!   set is in force (the import evaluates nothing), into the second on
//!   the evaluation date (the import evaluates every household it
//!   touched) — what monitoring adds to a claims import;
//! - `jianfu monitor run` as its own process, as a user runs it: on the
//!   first database the first run (every alert new) and a second one
//!   over the same data (every alert compared, nothing written); on the
//!   second, a run after the imports' own evaluation (nothing to change);
//! - one new claim at a time on the second database: the import of a
//!   one-claim file end to end (a few), and the evaluation of a random
//!   person's household alone (`evaluate_touched`, in a transaction
//!   rolled back; many), p50 and p99.
//!
//! Figures are printed, never asserted.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use jianfu_domain::IdCardNo;
use jianfu_ingest::FileKind;
use jianfu_service::clock::SettableClock;
use jianfu_service::{Actor, App, ImportRequest, import_file};
use jianfu_store::Db;
use jianfu_store::monitoring::Touched;

use crate::bench::{Engines, peak_rss_mib, reset_peak_rss, run_child, scratch_pg_named};

/// The evaluation date: the end of the generated claim years.
const AS_OF: &str = "2024-12-31";

/// One-claim imports timed end to end (each also rebuilds the county's
/// dashboard rollups after its commit, seconds at this size).
const SINGLE_IMPORTS: usize = 10;

/// Evaluations of one household timed.
const SINGLE_EVALUATIONS: usize = 500;

pub async fn run(persons: u64, engines: Engines, pg: Option<String>) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let summary = crate::generate("130624", persons, 1, dir.path())?;
    println!(
        "generate: {persons} persons, {} claims in {:.1} s",
        summary.claims,
        started.elapsed().as_secs_f64()
    );
    for (engine, plain, monitored) in targets(dir.path(), engines, pg).await? {
        load(dir.path(), &plain, engine)?;
        if engine == "sqlite" {
            copy_sqlite(&plain, &monitored)?;
        } else {
            load(dir.path(), &monitored, engine)?;
        }
        claims_import(dir.path(), &plain, &monitored, engine, summary.claims).await?;
        batch_runs(
            dir.path(),
            &plain,
            &monitored,
            engine,
            persons,
            summary.claims,
        )?;
        single_claims(dir.path(), &monitored, engine).await?;
    }
    Ok(true)
}

/// Two fresh databases per engine: (engine, without, with monitoring).
async fn targets(
    dir: &Path,
    engines: Engines,
    pg: Option<String>,
) -> Result<Vec<(&'static str, String, String)>> {
    let mut out = Vec::new();
    if engines != Engines::Postgres {
        let a = format!("sqlite://{}", dir.join("plain.db").display());
        let b = format!("sqlite://{}", dir.join("monitored.db").display());
        out.push(("sqlite", a, b));
    }
    if engines != Engines::Sqlite {
        let Some(base) = pg else {
            bail!("PostgreSQL benchmark needs --pg URL or JIANFU_TEST_PG")
        };
        let a = scratch_pg_named(&base, "plain").await?;
        let b = scratch_pg_named(&base, "monitored").await?;
        out.push(("postgres", a, b));
    }
    Ok(out)
}

/// Policies, regions, persons and diagnoses, each step a child process.
fn load(dir: &Path, url: &str, engine: &str) -> Result<()> {
    for (i, text) in crate::demo_policy_texts("130624")?.iter().enumerate() {
        let path = dir.join(format!("policy-{i}.toml"));
        std::fs::write(&path, text)?;
        run_child(
            dir,
            url,
            &[OsStr::new("policy"), OsStr::new("add"), path.as_os_str()],
        )?;
    }
    run_child(
        dir,
        url,
        &["regions", "load", "--prefix", "13"].map(OsStr::new),
    )?;
    for kind in ["persons", "diagnoses"] {
        let file = dir.join(format!("{kind}.csv"));
        let args = [OsStr::new("import"), OsStr::new(kind), file.as_os_str()];
        let (secs, _) = run_child(dir, url, &args)?;
        println!("{engine:8} import {kind}: {secs:.1} s");
    }
    Ok(())
}

/// A copy of a closed SQLite database file (with its write-ahead log).
fn copy_sqlite(from: &str, to: &str) -> Result<()> {
    let (from, to) = (sqlite_path(from), sqlite_path(to));
    for suffix in ["", "-wal", "-shm"] {
        let src = format!("{from}{suffix}");
        if Path::new(&src).exists() {
            std::fs::copy(&src, format!("{to}{suffix}"))?;
        }
    }
    Ok(())
}

fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
}

/// 10:00 China time on `day`.
fn morning(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).expect("a time"))
}

fn as_of() -> NaiveDate {
    AS_OF.parse().expect("a date")
}

/// An app over `url` whose clock stands at 10:00 on `day`.
async fn app_on(url: &str, day: NaiveDate) -> Result<App> {
    let db = Db::open(url).await?;
    Ok(App::with_clock(db, SettableClock::at(morning(day))))
}

/// Imports `file` through `app` as the command line; its wall time.
async fn import_timed(app: &App, file: &Path, kind: FileKind) -> Result<f64> {
    let mut req = ImportRequest::new(file.to_path_buf(), kind, "bench");
    req.report = Some(file.with_extension("report.csv"));
    let started = Instant::now();
    let outcome = import_file(app, &Actor::command_line(), &req, |_, _| {}).await?;
    let secs = started.elapsed().as_secs_f64();
    if !outcome.is_success() {
        bail!("import of {} failed: {outcome:?}", file.display());
    }
    Ok(secs)
}

/// The claims file into both databases: without monitoring (2022-06-30,
/// before any monitoring set is in force) and with it (`AS_OF`).
async fn claims_import(
    dir: &Path,
    plain: &str,
    monitored: &str,
    engine: &str,
    claims: u64,
) -> Result<()> {
    let file = dir.join("claims.csv");
    let mut secs = [0.0; 2];
    for (i, (url, day)) in [(plain, "2022-06-30"), (monitored, AS_OF)]
        .into_iter()
        .enumerate()
    {
        let app = app_on(url, day.parse()?).await?;
        reset_peak_rss();
        secs[i] = import_timed(&app, &file, FileKind::Claims).await?;
        let label = ["without monitoring", "with monitoring"][i];
        println!(
            "{engine:8} import claims {label}: {claims} claims in {:.2} s = {:.0} claims/s, peak RSS of the bench process {:.0} MiB",
            secs[i],
            claims as f64 / secs[i],
            peak_rss_mib()
        );
        app.db.close().await;
    }
    println!(
        "{engine:8} monitoring adds {:.2} s to the claims import (+{:.1}%)",
        secs[1] - secs[0],
        (secs[1] / secs[0] - 1.0) * 100.0
    );
    Ok(())
}

/// `jianfu monitor run --as-of AS_OF` as its own process.
fn batch_runs(
    dir: &Path,
    plain: &str,
    monitored: &str,
    engine: &str,
    persons: u64,
    claims: u64,
) -> Result<()> {
    let runs = [
        (plain, "monitor run (first)"),
        (plain, "monitor run (again)"),
        (monitored, "monitor run (after the imports' evaluation)"),
    ];
    for (url, label) in runs {
        let args: [&OsStr; 4] = ["monitor", "run", "--as-of", AS_OF].map(OsStr::new);
        let (secs, peak) = run_child(dir, url, &args)?;
        println!(
            "{engine:8} {label}: {persons} persons, {claims} claims in {secs:.2} s = {:.0} persons/s, {:.0} claims/s, peak RSS {peak:.0} MiB",
            persons as f64 / secs,
            claims as f64 / secs,
        );
    }
    Ok(())
}

/// One new claim at a time: the import end to end, and the evaluation of
/// the claimant's household alone.
async fn single_claims(dir: &Path, url: &str, engine: &str) -> Result<()> {
    let app = app_on(url, as_of()).await?;
    let persons: Vec<String> = app
        .db
        .read()
        .await?
        .scalars("SELECT id_number FROM persons ORDER BY id_number", &[])
        .await?;
    if persons.is_empty() {
        bail!("no persons stored");
    }
    let (mut imports, mut evaluations) = (Vec::new(), Vec::new());
    let mut pick = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..SINGLE_EVALUATIONS {
        pick = pick.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let id = &persons[(pick >> 33) as usize % persons.len()];
        if i < SINGLE_IMPORTS {
            let file = dir.join("one-claim.csv");
            let text = format!(
                "claim_id,person_id,groups,kind,level,county_internal,settled_at,total,policy_scope,reverses\n\
                 ONE{i},{id},,inpatient,county,true,{AS_OF}T09:{i:02}:00,3000.00,2500.00,\n"
            );
            std::fs::write(&file, text)?;
            imports.push(Duration::from_secs_f64(
                import_timed(&app, &file, FileKind::Claims).await?,
            ));
        }
        evaluations.push(evaluate_alone(&app, id).await?);
    }
    report(engine, "one-claim import, end to end", &mut imports);
    report(
        engine,
        "evaluation of its household alone",
        &mut evaluations,
    );
    app.db.close().await;
    Ok(())
}

/// `evaluate_touched` for the household of `id`, rolled back.
async fn evaluate_alone(app: &App, id: &str) -> Result<Duration> {
    let mut touched = Touched::default();
    touched.person("130624", &IdCardNo::parse(id)?);
    let mut tx = app.db.begin().await?;
    let started = Instant::now();
    jianfu_service::monitoring::evaluate_touched(&mut tx, touched, as_of(), app.now()).await?;
    let took = started.elapsed();
    tx.rollback().await?;
    Ok(took)
}

fn report(engine: &str, label: &str, times: &mut [Duration]) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{engine:8} {label}: {} times, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        times.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}
