//! `jianfu db backup|restore`: copies of a whole database.
//!
//! SQLite: `backup` writes a consistent snapshot (WAL included) while the
//! server keeps running; `restore` checks that a file is an intact jianfu
//! database and puts it in place of the `--db` file (the server stopped
//! first), then brings it up to this version's schema. PostgreSQL: both
//! print the commands of PostgreSQL's own tools, which know the server's
//! version, roles and credentials better than we could.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use jianfu_store::{Backup, Db};

/// What to do with the database as a whole.
#[derive(Subcommand)]
pub enum DbAction {
    /// Write a consistent copy of the database to FILE (safe while `serve` runs).
    Backup {
        /// The copy to write (must not exist).
        file: PathBuf,
    },
    /// Replace the --db database by a copy made with `db backup` (stop `serve` first).
    Restore {
        /// The copy to restore.
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `db` command.
pub async fn run(url: &str, action: DbAction) -> Result<bool> {
    match action {
        DbAction::Backup { file } => backup(url, &file).await,
        DbAction::Restore { file, force } => restore(url, &file, force).await,
    }
}

async fn backup(url: &str, file: &Path) -> Result<bool> {
    if file.exists() {
        bail!(
            "备份文件 {} 已存在，不会覆盖；请换一个文件名",
            file.display()
        );
    }
    let db = Db::open(url).await.context("无法打开数据库")?;
    match db.backup_into(file).await? {
        Backup::Written { bytes } => {
            println!(
                "已备份到 {}（{:.1} MB）",
                file.display(),
                bytes as f64 / 1e6
            );
            Ok(true)
        }
        Backup::UseEngineTools(cmd) => {
            println!("PostgreSQL 数据库请用其自带工具备份（可在服务运行时进行）：\n  {cmd}");
            Ok(false)
        }
    }
}

/// The file of a `sqlite://` URL, without its options.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

async fn restore(url: &str, file: &Path, force: bool) -> Result<bool> {
    let Some(target) = sqlite_file(url) else {
        println!(
            "PostgreSQL 数据库请用其自带工具恢复（先停止服务）：\n  pg_restore --clean --if-exists --dbname=\"$JIANFU_DB\" {}",
            file.display()
        );
        return Ok(false);
    };
    check_copy(file).await?;
    if target.exists() && !force {
        bail!(
            "数据库 {} 已存在；确认要用备份替换它时加 --force（请先停止服务）",
            target.display()
        );
    }
    let staging = target.with_extension("restoring");
    let _ = std::fs::remove_file(&staging);
    let copy = Db::open_copy(file).await?;
    copy.backup_into(&staging).await?;
    copy.close().await;
    // The old database's WAL and shared-memory files belong to it, not to
    // the restored copy: left in place they would be replayed into it.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    std::fs::rename(&staging, &target).with_context(|| format!("无法写入 {}", target.display()))?;
    let db = Db::open(url).await.context("恢复后无法打开数据库")?;
    db.close().await;
    println!("已从 {} 恢复数据库 {}", file.display(), target.display());
    Ok(true)
}

/// Refuses a file that is not an intact jianfu database.
async fn check_copy(file: &Path) -> Result<()> {
    if !file.is_file() {
        bail!("备份文件 {} 不存在", file.display());
    }
    let copy = Db::open_copy(file)
        .await
        .with_context(|| format!("{} 不是 SQLite 数据库文件", file.display()))?;
    let ok = copy.is_jianfu_database().await.unwrap_or(false);
    let intact = copy.check_integrity().await;
    copy.close().await;
    if !ok {
        bail!("{} 不是健扶的数据库备份", file.display());
    }
    intact.with_context(|| format!("{} 已损坏，不能用于恢复", file.display()))
}
