//! `jianfu policy`: settlement parameter sets stored in the database.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use jianfu_service::policies::AddError;
use jianfu_service::{Actor, App};

/// What to do with policies.
#[derive(Subcommand)]
pub enum PolicyAction {
    /// Store a parameter file (TOML) and re-settle the stored claims it governs.
    Add {
        /// The parameter file.
        file: PathBuf,
    },
    /// List the stored parameter sets.
    List,
}

/// Runs a `policy` command.
pub async fn run(app: &App, actor: &Actor, action: PolicyAction) -> Result<bool> {
    match action {
        PolicyAction::Add { file } => add(app, actor, &file).await,
        PolicyAction::List => list(app).await,
    }
}

async fn add(app: &App, actor: &Actor, file: &PathBuf) -> Result<bool> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取政策参数文件 {}", file.display()))?;
    let added = match jianfu_service::policies::add(app, actor, &text).await {
        Ok(a) => a,
        Err(AddError::Store(e)) => return Err(e.into()),
        Err(AddError::Invalid(e)) => anyhow::bail!("政策参数文件 {} 无效：{e}", file.display()),
        Err(e) => anyhow::bail!("{e}"),
    };
    if added.existed {
        println!("相同的政策参数已存在（编号 {}），未重复添加。", added.id);
    } else {
        println!(
            "已添加政策参数（编号 {}）；重新结算 {} 个人员年度，{} 条结算记录金额变化，记录调整 {} 条。",
            added.id, added.person_years, added.claims_resettled, added.adjustments
        );
    }
    Ok(true)
}

async fn list(app: &App) -> Result<bool> {
    let rows = jianfu_store::policies::policies(&mut app.db.read().await?).await?;
    println!("编号\t名称\t地区前缀\t生效日期\t失效日期\t添加时间\t添加人");
    for p in rows {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            p.id,
            p.name,
            p.region_prefix,
            p.valid_from,
            p.valid_to,
            p.loaded_at.format("%Y-%m-%d %H:%M:%S"),
            p.loaded_by
        );
    }
    Ok(true)
}
