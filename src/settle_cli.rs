//! `jianfu settle`: batch settlement of a claims CSV under one policy,
//! file to file, without a database (settlement.md §2).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use jianfu_ingest::{ReportFile, ReportSink};
use jianfu_policy::{Lang, Policy};
use jianfu_service::Claims;

/// Arguments of `jianfu settle`.
#[derive(Args)]
pub struct SettleArgs {
    /// A built-in policy (reference-2023) or a policy file (.toml).
    #[arg(long, default_value = "reference-2023")]
    policy: String,
    /// Claims CSV (settlement.md §2 columns, header row required).
    #[arg(long)]
    claims: PathBuf,
    /// Where to write the settled claims (CSV).
    #[arg(long, required_unless_present = "explain")]
    out: Option<PathBuf>,
    /// Also write every rejected row to this report (.csv or .xlsx).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Print how this claim was settled, step by step.
    #[arg(long, value_name = "CLAIM_ID")]
    explain: Option<String>,
    /// Language of the explanation: zh or en.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Do not print the summary line.
    #[arg(long)]
    quiet: bool,
    /// Print the peak memory of the run (Linux) after the summary.
    #[arg(long)]
    stats: bool,
}

/// Reads a policy: a built-in name, or a TOML file.
pub fn load_policy(spec: &str) -> Result<Policy> {
    if Policy::built_in_text(spec).is_some() {
        return Ok(Policy::built_in(spec)?);
    }
    let path = Path::new(spec);
    if !path.exists() {
        bail!("没有名为“{spec}”的内置政策参数（可用：reference-2023），也没有这个文件");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取政策参数文件 {}", path.display()))?;
    Policy::from_toml(&text).with_context(|| format!("政策参数文件 {} 有误", path.display()))
}

/// Runs the command; `Ok(false)` when some rows were rejected.
pub fn run(args: SettleArgs) -> Result<bool> {
    let started = Instant::now();
    let lang = Lang::parse(&args.lang)
        .with_context(|| format!("--lang 应为 zh 或 en，而不是“{}”", args.lang))?;
    let policy = load_policy(&args.policy)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Today in China, from the one clock (no database to hold an `App`).
    let today = jianfu_service::clock::system().today();
    let claims = Claims::read(&args.claims, threads, today)?;
    tracing::info!(elapsed = ?started.elapsed(), "claims read");
    let mut report = match &args.errors {
        Some(p) => {
            Some(ReportFile::create(p).with_context(|| format!("无法写入 {}", p.display()))?)
        }
        None => None,
    };
    for e in claims.problems() {
        eprintln!("{e}");
        if let Some(r) = report.as_mut() {
            r.push(e);
        }
    }
    if let Some(r) = report {
        r.finish().context("无法写入错误报告")?;
    }
    if let Some(out) = &args.out {
        let tiers = claims.settle(&policy, threads);
        tracing::info!(elapsed = ?started.elapsed(), "claims settled");
        claims.write_settled(&tiers, out, threads)?;
        tracing::info!(elapsed = ?started.elapsed(), "settlements written");
    }
    if let Some(id) = &args.explain {
        match claims.explain(&policy, id, lang) {
            Some(text) => print!("{text}"),
            None => bail!("文件中没有结算单号“{id}”"),
        }
    }
    let s = claims.summary();
    if !args.quiet {
        eprintln!(
            "结算完成：读入 {} 行，结算 {} 笔，冲销 {} 笔（被冲销 {} 笔），拒绝 {} 行；用时 {:.2} 秒",
            s.rows,
            s.settled,
            s.reversals,
            s.reversed,
            s.rejected,
            started.elapsed().as_secs_f64()
        );
    }
    if args.stats {
        eprintln!("peak_rss_mib={:.0}", crate::bench::peak_rss_mib());
    }
    Ok(s.rejected == 0)
}
