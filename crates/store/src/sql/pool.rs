//! Pools and connections of each engine: connection settings, pool
//! sizes, migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::{Db, Engine, Result};

/// A pool on the SQLite file (or in-memory database) of `url`, created
/// if missing, in WAL mode.
pub(crate) async fn sqlite_pool(url: &str) -> Result<SqlitePool> {
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true)
        .pragma("cache_size", "-32768")
        // Sorts and temporary B-trees larger than the cache spill
        // to a file rather than growing the heap: an index build or
        // a county's rollup would otherwise add tens of MB at the
        // peak. (It cannot be switched inside a transaction once
        // the connection has used temporary storage.)
        .pragma("temp_store", "file");
    let in_memory = url.contains(":memory:");
    Ok(SqlitePoolOptions::new()
        // An in-memory database exists once per connection.
        .max_connections(if in_memory { 1 } else { 4 })
        .connect_with(opts)
        .await?)
}

/// A pool on the PostgreSQL server of `url`.
pub(crate) async fn pg_pool(url: &str) -> Result<PgPool> {
    let opts = PgConnectOptions::from_str(url)?;
    // Four connections per core: enough to keep the server busy while
    // some wait on the network, few enough that 32 clients on two
    // cores do not thrash it (16 connections there served 560
    // requests/s, 8 served 760).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    Ok(PgPoolOptions::new()
        .max_connections((4 * cores).clamp(8, 32))
        .connect_with(opts)
        .await?)
}

impl Db {
    /// Applies pending migrations of this engine.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// The engine behind this pool.
    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// The most connections the pool opens. With one (an in-memory SQLite
    /// database, which exists once per connection) nothing can run on a
    /// second connection while a [`crate::Tx`] holds the first.
    pub fn max_connections(&self) -> u32 {
        match self {
            Db::Sqlite(p) => p.options().get_max_connections(),
            Db::Postgres(p) => p.options().get_max_connections(),
        }
    }
}
