//! `jianfu bench settle`: the settlement engine alone (claims/s on one
//! core) and `jianfu settle` end to end (CSV to CSV: wall time, claims/s,
//! peak memory) on generated claims. Figures are printed, never asserted.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use jianfu_policy::{BatchClaim, Policy, settle_batch, settle_in_order};
use jianfu_service::Claims;

/// Claims per generated person over the two generated years (about 3.1).
const CLAIMS_PER_PERSON: f64 = 3.0;

pub fn run(counts: &[u64], file: Option<&Path>) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let source = match file {
        Some(f) => f.to_path_buf(),
        None => {
            let most = counts.iter().copied().max().unwrap_or(1_000_000);
            let persons = (most as f64 / CLAIMS_PER_PERSON) as u64 + 1_000;
            let t = Instant::now();
            let summary = crate::generate("130624", persons, 1, dir.path())?;
            println!(
                "generate: {persons} persons, {} claims in {:.1} s",
                summary.claims,
                t.elapsed().as_secs_f64()
            );
            dir.path().join(jianfu_synth::CLAIMS_FILE)
        }
    };
    let policy = Policy::built_in("reference-2023")?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("policy reference-2023, {threads} cores");
    for &n in counts {
        let path = dir.path().join(format!("claims-{n}.csv"));
        let rows = cut(&source, &path, n)?;
        if rows < n {
            bail!(
                "{} has only {rows} claims, fewer than {n}",
                source.display()
            );
        }
        engine_alone(&path, &policy, n)?;
        end_to_end(&path, n)?;
    }
    Ok(true)
}

/// Copies the header and the first `n` rows.
fn cut(source: &Path, to: &Path, n: u64) -> Result<u64> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(source)?);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(to)?);
    let mut line = Vec::new();
    let mut rows = 0;
    while rows <= n {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        out.write_all(&line)?;
        rows += 1;
    }
    out.flush()?;
    Ok(rows.saturating_sub(1))
}

fn engine_alone(path: &Path, policy: &Policy, n: u64) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let today = jianfu_service::clock::system().today();
    let claims = Claims::read(path, threads, today)?;
    let mut sorted: Vec<BatchClaim> = claims.standing().copied().collect();
    sorted.sort_by_key(|c| (c.person, c.settled_at));
    let settled = sorted.len() as f64;
    let mut best = f64::INFINITY;
    let mut check = 0i64;
    for _ in 0..3 {
        let t = Instant::now();
        let mut oop = 0i64;
        settle_in_order(policy, &sorted, |_, tiers| oop += tiers.out_of_pocket.fen());
        best = best.min(t.elapsed().as_secs_f64());
        check = oop;
    }
    println!(
        "{n:>9} claims  engine alone, 1 core:        {:>12.0} claims/s ({:.3} s; out-of-pocket total {:.2} yuan)",
        settled / best,
        best,
        check as f64 / 100.0
    );
    let t = Instant::now();
    let with_sort = settle_batch(&sorted, 1, |_, _| policy);
    let one = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let parallel = settle_batch(&sorted, threads, |_, _| policy);
    let all = t.elapsed().as_secs_f64();
    if with_sort != parallel {
        bail!("threaded settlement differs from single-threaded");
    }
    println!(
        "{n:>9} claims  batch with sort, 1 core:     {:>12.0} claims/s; {threads} cores: {:>12.0} claims/s",
        settled / one,
        settled / all
    );
    Ok(())
}

fn end_to_end(path: &Path, n: u64) -> Result<()> {
    let exe = std::env::current_exe()?;
    let out = path.with_extension("settled.csv");
    let mut best = f64::INFINITY;
    let mut peak = String::new();
    for _ in 0..2 {
        let t = Instant::now();
        let run = Command::new(&exe)
            .arg("settle")
            .arg("--claims")
            .arg(path)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--stats"])
            .output()
            .context("cannot run jianfu settle")?;
        let secs = t.elapsed().as_secs_f64();
        if !run.status.success() {
            bail!(
                "jianfu settle failed: {}",
                String::from_utf8_lossy(&run.stderr)
            );
        }
        if secs < best {
            best = secs;
            peak = String::from_utf8_lossy(&run.stderr)
                .lines()
                .find_map(|l| l.strip_prefix("peak_rss_mib="))
                .unwrap_or("?")
                .to_string();
        }
    }
    println!(
        "{n:>9} claims  jianfu settle CSV to CSV:    {best:.2} s wall = {:>10.0} claims/s, peak RSS {peak} MiB",
        n as f64 / best
    );
    Ok(())
}
