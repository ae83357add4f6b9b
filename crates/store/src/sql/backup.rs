//! Copies of a whole database. SQLite's `VACUUM INTO` writes a consistent
//! snapshot of the database as one file, WAL included, while other
//! connections go on reading and writing: a plain copy of the `.db` file
//! would miss what is still only in the `-wal` file (the last import).
//! PostgreSQL is copied with its own tools (`pg_dump` / `pg_restore`),
//! which the operator runs; this module says how instead of guessing at
//! credentials and versions.

use std::path::Path;

use crate::{Db, Result, StoreError};

/// How a backup was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backup {
    /// The snapshot was written to the file.
    Written {
        /// Its size in bytes.
        bytes: u64,
    },
    /// The engine is backed up with its own tools: the commands to run.
    UseEngineTools(String),
}

impl Db {
    /// Writes a consistent snapshot of the database to `file` (which must
    /// not exist), safe while a server uses the database.
    pub async fn backup_into(&self, file: &Path) -> Result<Backup> {
        match self {
            Db::Sqlite(pool) => {
                let target = sqlite_path_literal(file)?;
                let sql = format!("VACUUM INTO {target}");
                // The path is quoted as an SQL string literal above.
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
                let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
                Ok(Backup::Written { bytes })
            }
            Db::Postgres(_) => Ok(Backup::UseEngineTools(format!(
                "pg_dump --format=custom --file={} \"$JIANFU_DB\"",
                file.display()
            ))),
        }
    }
}

/// `path` as an SQL string literal (single quotes doubled).
fn sqlite_path_literal(path: &Path) -> Result<String> {
    let text = path
        .to_str()
        .ok_or_else(|| StoreError::Corrupt(format!("备份文件路径无法使用：{}", path.display())))?;
    Ok(format!("'{}'", text.replace('\'', "''")))
}

impl Db {
    /// SQLite's own check of every page and index (`PRAGMA
    /// integrity_check`): `Ok(())` or what it found. PostgreSQL checks
    /// itself; nothing to do there.
    pub async fn check_integrity(&self) -> Result<()> {
        let Db::Sqlite(pool) = self else {
            return Ok(());
        };
        let found: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(pool)
            .await?;
        if found.len() == 1 && found[0] == "ok" {
            return Ok(());
        }
        Err(StoreError::Corrupt(format!(
            "数据库文件损坏：{}",
            found.into_iter().take(5).collect::<Vec<_>>().join("；")
        )))
    }

    /// True when this database has jianfu's schema (migrations applied,
    /// the registry tables there): a restore refuses any other file.
    pub async fn is_jianfu_database(&self) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations";
        let mut tx = self.read().await?;
        let migrations: Result<i64> = tx.scalar(sql, &[]).await;
        let persons: Result<i64> = tx
            .scalar("SELECT COUNT(*) FROM persons WHERE 1 = 0", &[])
            .await;
        Ok(matches!(migrations, Ok(n) if n > 0) && persons.is_ok())
    }
}

impl Db {
    /// Opens a SQLite copy (a backup) read-only, without the settings of a
    /// working database (which would write to it) and without migrating.
    pub async fn open_copy(file: &Path) -> Result<Db> {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(file)
            .read_only(true)
            .create_if_missing(false);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        Ok(Db::Sqlite(pool))
    }
}
