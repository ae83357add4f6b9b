//! `jianfu simulate`: a year of stored claims under a baseline and an
//! alternative policy, compared by region (政策效果评估).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use jianfu_domain::{Money, RegionCode, RegionLevel};
use jianfu_service::simulate::{
    BUCKET_LABELS, BurdenLines, ReportContext, Totals, load_year, simulate, write_xlsx,
};
use jianfu_store::Db;

use crate::settle_cli::load_policy;

/// Arguments of `jianfu simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// The policy in force: a built-in name (reference-2023) or a .toml file.
    #[arg(long, default_value = "reference-2023")]
    baseline: String,
    /// The policy to evaluate: a built-in name or a .toml file.
    #[arg(long)]
    alternative: String,
    /// Calendar year of the claims.
    #[arg(long)]
    year: i32,
    /// Region code (or prefix) to simulate; everything by default.
    #[arg(long, default_value = "")]
    region: String,
    /// Write the full report (totals, distribution, townships, villages) to this .xlsx.
    #[arg(long)]
    out: Option<PathBuf>,
    /// R2 line: household annual out-of-pocket (yuan).
    #[arg(long, default_value = "8000")]
    relative_line: String,
    /// R3 line for 脱贫户/监测户/低保 families (yuan).
    #[arg(long, default_value = "5000")]
    vulnerable_line: String,
    /// R3 line for other households (yuan).
    #[arg(long, default_value = "10000")]
    ordinary_line: String,
}

fn line(name: &str, value: &str) -> Result<Money> {
    Money::from_yuan_str_non_negative(value).with_context(|| format!("--{name} 应为金额（元）"))
}

/// Runs the command.
pub async fn run(db: &Db, args: SimulateArgs) -> Result<bool> {
    let started = Instant::now();
    let baseline = load_policy(&args.baseline)?;
    let alternative = load_policy(&args.alternative)?;
    let lines = BurdenLines {
        relative: line("relative-line", &args.relative_line)?,
        vulnerable: line("vulnerable-line", &args.vulnerable_line)?,
        ordinary: line("ordinary-line", &args.ordinary_line)?,
    };
    let prefix = if args.region.is_empty() {
        String::new()
    } else {
        RegionCode::parse_prefix(&args.region)
            .with_context(|| format!("--region “{}”不是有效的区划代码", args.region))?
            .prefix()
            .to_string()
    };
    let input = load_year(db, &prefix, args.year).await?;
    if input.claims.is_empty() {
        bail!(
            "{} 年在该地区没有已入库的结算记录（先运行 jianfu import claims）",
            args.year
        );
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sim = tokio::task::spawn_blocking(move || {
        simulate(&input, &baseline, &alternative, &lines, threads)
    })
    .await?;
    print_overall(&sim.overall.baseline, &sim.overall.alternative);
    if let Some(out) = &args.out {
        let mut names = HashMap::new();
        for level in [RegionLevel::Township, RegionLevel::Village] {
            for r in jianfu_store::regions::regions_at_level(&mut db.read().await?, &prefix, level)
                .await?
            {
                if let Ok(code) = RegionCode::parse(&r.code) {
                    names.insert(code, r.name);
                }
            }
        }
        let region_name = match prefix.len() {
            0 => "全部".to_string(),
            _ => jianfu_store::regions::region(&mut db.read().await?, &format!("{prefix:0<12}"))
                .await?
                .map_or_else(String::new, |r| r.name),
        };
        let ctx = ReportContext {
            region: (&prefix, &region_name),
            year: args.year,
            baseline: &args.baseline,
            alternative: &args.alternative,
            lines,
            names: &names,
        };
        write_xlsx(&sim, &ctx, out).with_context(|| format!("无法写入 {}", out.display()))?;
        println!("报告已写入 {}", out.display());
    }
    eprintln!("用时 {:.2} 秒", started.elapsed().as_secs_f64());
    Ok(true)
}

/// The overall comparison as a table on stdout (a closed pipe is not an error).
fn print_overall(b: &Totals, a: &Totals) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24}{:>18}{:>18}{:>18}",
        "指标", "基准政策", "备选政策", "差额"
    );
    let money = |out: &mut String, label: &str, x: Money, y: Money| {
        let _ = writeln!(
            out,
            "{label:<24}{:>18}{:>18}{:>18}",
            x.to_string(),
            y.to_string(),
            (y - x).to_string()
        );
    };
    let count = |out: &mut String, label: &str, x: u64, y: u64| {
        let _ = writeln!(out, "{label:<24}{x:>18}{y:>18}{:>18}", y as i64 - x as i64);
    };
    count(&mut out, "结算笔数", b.claims, a.claims);
    count(&mut out, "有结算的户数", b.households, a.households);
    money(&mut out, "医疗总费用", b.total, a.total);
    money(&mut out, "基本医保", b.basic, a.basic);
    money(&mut out, "大病保险", b.critical, a.critical);
    money(&mut out, "医疗救助", b.assistance, a.assistance);
    money(&mut out, "补充保障", b.supplementary, a.supplementary);
    money(&mut out, "个人自付", b.out_of_pocket, a.out_of_pocket);
    let (rb, ra) = (
        b.actual_ratio().unwrap_or(0.0),
        a.actual_ratio().unwrap_or(0.0),
    );
    let _ = writeln!(
        out,
        "{:<24}{:>17.2}%{:>17.2}%{:>17.2}%",
        "实际报销比例",
        rb,
        ra,
        ra - rb
    );
    count(
        &mut out,
        "年自付达到相对负担线（R2）的户数",
        b.over_relative,
        a.over_relative,
    );
    count(
        &mut out,
        "年自付达到绝对负担线（R3）的户数",
        b.over_absolute,
        a.over_absolute,
    );
    for (k, label) in BUCKET_LABELS.iter().enumerate() {
        count(
            &mut out,
            &format!("家庭年自付 {label} 元的户数"),
            b.buckets[k],
            a.buckets[k],
        );
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
}
