//! `jianfu jobs`: run the durable job queue from cron or by hand, and list
//! recent jobs; and the worker settings `jianfu serve` shares with it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use jianfu_service::App;
use jianfu_service::jobs::{LocalJobs, Registry, Uploads, Worker, WorkerConfig};
use jianfu_store::Db;
use jianfu_store::jobs::{self, Visible};

/// Where the queue's files are and how a worker holds its jobs.
#[derive(Args, Clone, Debug)]
pub struct QueueArgs {
    /// Directory for uploaded files while their job runs (under
    /// `DIR/uploads`); every server and `jianfu jobs run` of one
    /// database must share it. Default: next to a SQLite file
    /// (`FILE-uploads`), else `./jianfu-data`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seconds a worker holds a job between heartbeats: a job whose
    /// server died is taken over after this.
    #[arg(long, default_value_t = 60)]
    pub job_lease: u32,
    /// Jobs a worker runs at once (default: 1 on SQLite, whose single
    /// writer runs one import at a time anyway; 2 on PostgreSQL).
    #[arg(long)]
    pub job_slots: Option<usize>,
}

impl QueueArgs {
    /// The uploads directory for the database at `url`.
    pub fn uploads(&self, url: &str) -> Uploads {
        Uploads::new(uploads_root(url, self.data_dir.as_deref()))
    }

    /// A worker configuration with these settings.
    pub fn config(&self, db: &Db, kinds: Vec<String>) -> WorkerConfig {
        let slots = self.job_slots.unwrap_or(match db.engine() {
            jianfu_store::Engine::Sqlite => 1,
            jianfu_store::Engine::Postgres => 2,
        });
        WorkerConfig {
            kinds,
            lease: chrono::TimeDelta::seconds(i64::from(self.job_lease.max(5))),
            slots,
            ..WorkerConfig::default()
        }
    }
}

/// `DIR/uploads` with `--data-dir DIR`; else next to a SQLite file
/// (`FILE-uploads`); else `./jianfu-data/uploads` (PostgreSQL, or an
/// in-memory SQLite database).
pub fn uploads_root(url: &str, data_dir: Option<&Path>) -> PathBuf {
    if let Some(dir) = data_dir {
        return dir.join("uploads");
    }
    match sqlite_file(url) {
        Some(file) => {
            let name = file.file_name().map_or_else(
                || "jianfu".to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            file.with_file_name(format!("{name}-uploads"))
        }
        None => Path::new("jianfu-data").join("uploads"),
    }
}

/// The file of a SQLite URL (`None` for an in-memory database or
/// another engine).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path.contains(":memory:") || query.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// `jianfu jobs …`.
#[derive(Subcommand)]
pub enum JobsAction {
    /// Run due jobs: until stopped (Ctrl-C, SIGTERM), or with --once until
    /// none is due, then exit 0.
    Run {
        /// Stop when no job is due.
        #[arg(long)]
        once: bool,
        /// Only these kinds (comma-separated, e.g. `import`); all by default.
        #[arg(long, value_delimiter = ',')]
        kinds: Vec<String>,
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// Recent jobs, newest first.
    List {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

/// Runs `jianfu jobs ACTION` on `db` (at `url`).
pub async fn run(db: &Db, url: &str, action: JobsAction) -> Result<bool> {
    match action {
        JobsAction::Run { once, kinds, queue } => {
            let worker = worker(db, url, &queue, kinds)?;
            if once {
                let s = worker.run_until_idle().await?;
                println!(
                    "已处理 {} 个任务：完成 {}，失败 {}，待重试 {}；清理旧任务 {} 个",
                    s.claimed, s.done, s.failed, s.retried, s.cleaned
                );
            } else {
                worker.run(crate::serve_cli::stop_signal()).await;
            }
            Ok(true)
        }
        JobsAction::List { limit } => {
            list(db, limit).await?;
            Ok(true)
        }
    }
}

fn worker(db: &Db, url: &str, queue: &QueueArgs, kinds: Vec<String>) -> Result<Worker> {
    let registry = Registry::standard(queue.uploads(url));
    let config = queue.config(db, kinds);
    let local = std::sync::Arc::new(LocalJobs::default());
    Ok(Worker::new(App::new(db.clone()), registry, config, local)?)
}

async fn list(db: &Db, limit: i64) -> Result<()> {
    let rows = jobs::recent(&mut db.read().await?, Visible::All, None, limit).await?;
    if rows.is_empty() {
        println!("没有任务。");
        return Ok(());
    }
    println!("编号\t类型\t状态\t尝试\t创建（北京时间）\t更新\t文件\t原因");
    for j in rows {
        println!(
            "{}\t{}\t{}\t{}/{}\t{}\t{}\t{}\t{}",
            j.id,
            j.kind,
            j.state,
            j.attempts,
            j.max_attempts,
            crate::batches_cli::china_time(j.created_at),
            crate::batches_cli::china_time(j.updated_at),
            j.file_name.as_deref().unwrap_or(""),
            j.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_live_next_to_a_sqlite_file_or_in_the_data_dir() {
        assert_eq!(
            uploads_root("sqlite:///srv/jianfu/jianfu.db", None),
            Path::new("/srv/jianfu/jianfu.db-uploads")
        );
        assert_eq!(
            uploads_root("sqlite://jianfu.db?mode=rwc", None),
            Path::new("jianfu.db-uploads")
        );
        assert_eq!(
            uploads_root("sqlite::memory:", None),
            Path::new("jianfu-data/uploads")
        );
        assert_eq!(
            uploads_root("postgres://u@h/db", None),
            Path::new("jianfu-data/uploads")
        );
        assert_eq!(
            uploads_root("postgres://u@h/db", Some(Path::new("/shared"))),
            Path::new("/shared/uploads")
        );
    }
}
