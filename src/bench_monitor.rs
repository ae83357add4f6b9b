//! `jianfu bench monitor`: a generated county imported into a fresh
//! database, then `jianfu monitor run` timed as its own process, as a
//! user runs it: the first run (every alert new) and a second one over
//! the same data (every alert compared, nothing written). Figures are
//! printed, never asserted.

use std::ffi::OsStr;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::bench::{Engines, run_child, scratch_pg};

/// The evaluation date: the end of the generated claim years.
const AS_OF: &str = "2024-12-31";

pub async fn run(persons: u64, engines: Engines, pg: Option<String>) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let summary = crate::generate("130624", persons, 1, dir.path())?;
    println!(
        "generate: {persons} persons, {} claims in {:.1} s",
        summary.claims,
        started.elapsed().as_secs_f64()
    );
    let mut targets: Vec<(&str, String)> = Vec::new();
    if engines != Engines::Postgres {
        let file = dir.path().join("bench.db");
        targets.push(("sqlite", format!("sqlite://{}", file.display())));
    }
    if engines != Engines::Sqlite {
        let Some(base) = pg else {
            bail!("PostgreSQL benchmark needs --pg URL or JIANFU_TEST_PG")
        };
        targets.push(("postgres", scratch_pg(&base).await?));
    }
    for (engine, url) in targets {
        load(dir.path(), &url, engine)?;
        for label in ["monitor run (first)", "monitor run (again)"] {
            let args: [&OsStr; 4] = ["monitor", "run", "--as-of", AS_OF].map(OsStr::new);
            let (secs, peak) = run_child(dir.path(), &url, &args)?;
            println!(
                "{engine:8} {label}: {persons} persons, {} claims in {secs:.2} s = {:.0} persons/s, {:.0} claims/s, peak RSS {peak:.0} MiB",
                summary.claims,
                persons as f64 / secs,
                summary.claims as f64 / secs,
            );
        }
    }
    Ok(true)
}

/// Policies, regions and the three files, each step a child process.
fn load(dir: &std::path::Path, url: &str, engine: &str) -> Result<()> {
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
    for kind in ["persons", "diagnoses", "claims"] {
        let file = dir.join(format!("{kind}.csv"));
        let args = [OsStr::new("import"), OsStr::new(kind), file.as_os_str()];
        let (secs, _) = run_child(dir, url, &args)?;
        println!("{engine:8} import {kind}: {secs:.1} s");
    }
    Ok(())
}
