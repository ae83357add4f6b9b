//! Persistence of jianfu on SQLite (the embedded default) and PostgreSQL
//! (production), behind one interface.
//!
//! [`Db`] is an enum over the two typed pools rather than sqlx's `Any`
//! driver, so each engine keeps its own types and bulk path. Everything
//! that differs between the engines lives in [`sql`]; the areas
//! ([`registry`], [`claims`], [`policies`], [`accounts`], [`audit`],
//! [`rollups`], [`regions`], [`batches`], [`jobs`],
//! [`monitoring`]) are free functions over a unit of
//! work, [`Tx`], from [`Db::begin`] (a transaction) or [`Db::read`] (a
//! pooled connection in autocommit), so a use case composes several of
//! them in one commit. Each engine has its own migration folder; a test
//! keeps the two schemas in step. Money is stored as `BIGINT` fen; large
//! tables carry `county_code` in every key (see `docs/STORAGE.md`).

pub mod accounts;
pub mod audit;
pub mod batches;
pub mod claims;
pub mod jobs;
pub mod monitoring;
pub mod policies;
pub mod regions;
pub mod registry;
pub mod rollups;
pub mod sql;
#[cfg(feature = "testing")]
pub mod testing;

use sqlx::{PgPool, SqlitePool};
use thiserror::Error;

pub use accounts::{NewUser, SessionRow, UserRow};
pub use audit::{AuditEntry, AuditFilter, AuditRow, AuditSort};
pub use batches::{BatchRow, BatchSort, JobBatch};
pub use claims::{
    AdjustmentRow, ClaimConflict, ClaimsImport, PersonClaim, PersonYearRow, StoredClaim,
};
pub use jobs::{Claimed, JobRow, Lease, NewJob};
pub use policies::{AddPolicyError, PolicyAdded, PolicyRow, PolicySet, StoredPolicy};
pub use registry::{
    ChangeRow, Conflict, DEFER_FROM_ROWS, DEFERRABLE_INDEXES, DiagnosisRow, HouseholdRow,
    ImportStats, PersonHit, PersonPage, PersonRow, PersonSearch, PersonSort, PersonsLookup,
    RegionCount, RegistryImport,
};
pub use rollups::{Dashboard, Figures, RollupParts};
pub use sql::{Backup, Kind, Row, Scalar, Stmt, Tx, Value};

/// A storage failure.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("不支持的数据库地址“{0}”：应以 sqlite:// 或 postgres:// 开头")]
    UnsupportedUrl(String),
    /// The driver reported an error.
    #[error("数据库错误：{0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("数据库结构升级失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that this version cannot read.
    #[error("数据库中的数据无法识别：{0}")]
    Corrupt(String),
    /// A job's work was about to commit after another worker had taken
    /// the job over (its lease ran out): rolled back, so it never takes
    /// effect twice.
    #[error("该任务已由其他进程接手，本次执行未写入任何数据")]
    Superseded,
}

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection pool to one of the two engines.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite pool.
    Sqlite(SqlitePool),
    /// PostgreSQL pool.
    Postgres(PgPool),
}

impl Db {
    /// Connects to `url` (`sqlite://FILE`, `sqlite::memory:`, or
    /// `postgres://…`), creating a SQLite file if missing, in WAL mode.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("sqlite:") {
            Ok(Db::Sqlite(sql::sqlite_pool(url).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Db::Postgres(sql::pg_pool(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// Connects, brings the schema up to date, stores the shipped
    /// reference data (disease lists, the built-in policy) that is not
    /// there yet and runs the one-off data upgrades the migrations left
    /// pending (`claims/upgrades.rs`).
    pub async fn open(url: &str) -> Result<Db> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        // Autocommit, as each seed is a statement that stands alone; the
        // connection goes back before the upgrades open transactions.
        let mut c = db.read().await?;
        regions::seed_disease_lists(&mut c).await?;
        policies::seed_policies(&mut c).await?;
        monitoring::seed_params(&mut c).await?;
        drop(c);
        claims::run_pending_upgrades(&db).await?;
        Ok(db)
    }
}

/// The half-open range `[prefix, next)` of codes starting with `prefix`,
/// for index-friendly prefix queries on both engines.
pub(crate) fn prefix_range(prefix: &str) -> (String, String) {
    let mut upper = prefix.as_bytes().to_vec();
    // Codes are ASCII digits: bumping the last byte gives the next prefix.
    match upper.last_mut() {
        Some(b) => *b += 1,
        None => return (String::new(), "\u{10FFFF}".to_string()),
    }
    (
        prefix.to_string(),
        String::from_utf8(upper).expect("ASCII prefix"),
    )
}
