//! Where the engines' behaviour, not just their syntax, differs: locks
//! between transactions, whether an import's owner is known by a lock,
//! claiming a row two workers may race for,
//! collation and planner hints of searches, secondary indexes deferred
//! during a large load, and statistics after one.

use sqlx::AssertSqlSafe;

use super::tx::{Raw, Tx};
use crate::{Db, Engine, Result};

/// The first key of the owner locks (PostgreSQL's two-key advisory locks,
/// apart from the one-key settlement lock).
const OWNER_LOCKS: i32 = 0x6a66_6201;

impl Db {
    /// True when an import's owner is known alive by a lock its
    /// transaction holds ([`Tx::hold_owner`], [`Tx::owner_released`]):
    /// PostgreSQL, whose clients may be on other hosts. On SQLite, whose
    /// processes share one host, the owner's process is looked up instead
    /// (`batches::owner`); and the import's transaction holds the one
    /// writer, so its batch is recorded before the transaction opens.
    pub fn owner_locks(&self) -> bool {
        self.engine() == Engine::Postgres
    }
}

impl Tx {
    /// Serialises the transactions that take the same `key` until they
    /// end: a PostgreSQL advisory transaction lock. SQLite has a single
    /// writer anyway, so there it does nothing. (In autocommit the lock
    /// would end with its own statement: take it inside [`crate::Db::begin`].)
    pub async fn lock(&mut self, key: i64) -> Result<()> {
        if let Raw::Pg(c) = self.raw() {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(key)
                .execute(c)
                .await?;
        }
        Ok(())
    }

    /// Holds the owner lock `key` until this transaction ends, shared (an
    /// import takes it before its batch is visible). Only where
    /// [`Db::owner_locks`]; elsewhere it does nothing.
    pub async fn hold_owner(&mut self, key: i32) -> Result<()> {
        if let Raw::Pg(c) = self.raw() {
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1, $2)")
                .bind(OWNER_LOCKS)
                .bind(key)
                .execute(c)
                .await?;
        }
        Ok(())
    }

    /// True when no transaction holds the owner lock `key`: its owner's
    /// transaction has ended, committed, rolled back or dropped with its
    /// client. Taken exclusively until this transaction ends, so no owner
    /// takes it meanwhile. Only where [`Db::owner_locks`]; elsewhere false.
    pub async fn owner_released(&mut self, key: i32) -> Result<bool> {
        let Raw::Pg(c) = self.raw() else {
            return Ok(false);
        };
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2)")
            .bind(OWNER_LOCKS)
            .bind(key)
            .fetch_one(c)
            .await?;
        Ok(free)
    }

    /// The clause that ends the `SELECT` picking a row to claim (`UPDATE …
    /// WHERE id = (SELECT … LIMIT 1<here>)`), so that two workers claiming
    /// at once take different rows: PostgreSQL locks the row it picks and
    /// skips rows locked by another claim (`FOR UPDATE SKIP LOCKED`);
    /// SQLite's single writer runs the whole statement alone, so it needs
    /// nothing.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The collation clause under which names compare in byte order, as
    /// the name index sorts them: PostgreSQL's index is on `name COLLATE
    /// "C"` (names otherwise keep the database's collation, which its
    /// planner would not match with the index); SQLite compares bytes
    /// already.
    pub(crate) fn byte_order(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => "",
            Engine::Postgres => " COLLATE \"C\"",
        }
    }

    /// `column` written so that the planner does not pick its index when
    /// another criterion should lead: a unary `+` on SQLite, whose
    /// planner has no statistics to know better; PostgreSQL's has them.
    pub(crate) fn not_leading(&self, column: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("+{column}"),
            Engine::Postgres => column.to_string(),
        }
    }

    /// True when naming the county of a county-bound query lets the
    /// planner skip the other partitions (PostgreSQL's tables are
    /// partitioned by county; SQLite's are not).
    pub(crate) fn prunes_by_county(&self) -> bool {
        self.engine() == Engine::Postgres
    }

    /// True when a large load may drop secondary indexes inside its
    /// transaction and build them at the end: SQLite. On PostgreSQL
    /// `DROP INDEX` locks the table against every reader until the commit
    /// (searches, and the import's own lookups on a second connection).
    pub(crate) fn defers_indexes(&self) -> bool {
        self.is_transaction() && self.engine() == Engine::Sqlite
    }

    /// Builds indexes inside this transaction, sorting on as many threads
    /// as there are cores (at most 4; SQLite's `PRAGMA threads`, reset
    /// afterwards). Only where [`Tx::defers_indexes`].
    pub(crate) async fn build_indexes(&mut self, creates: &[&'static str]) -> Result<()> {
        let Raw::Sqlite(c) = self.raw() else {
            return Ok(());
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        // The sort spills to a temporary file (`temp_store`, set when the
        // connection opens).
        sqlx::query(AssertSqlSafe(format!("PRAGMA threads = {threads}")))
            .execute(&mut *c)
            .await?;
        let built: Result<()> = async {
            for create in creates {
                sqlx::query(*create).execute(&mut *c).await?;
            }
            Ok(())
        }
        .await;
        sqlx::query("PRAGMA threads = 0").execute(&mut *c).await?;
        built
    }

    /// Readies `tables` (this crate's names, comma-separated) for queries
    /// after a large write. PostgreSQL's autovacuum never analyzes
    /// partitioned tables as a whole, so joins would be planned on
    /// guesses, and until a vacuum marks the new pages all-visible every
    /// count read from an index also visits the table (measured: 490
    /// requests/s on a freshly imported million persons, 570 after):
    /// `VACUUM (ANALYZE)`, which cannot run inside a transaction, so call
    /// it on [`crate::Db::read`]. SQLite's queries are written not to
    /// depend on statistics: nothing to do.
    pub(crate) async fn refresh_statistics(&mut self, tables: &'static str) -> Result<()> {
        if let Raw::Pg(c) = self.raw() {
            sqlx::query(AssertSqlSafe(format!("VACUUM (ANALYZE) {tables}")))
                .execute(c)
                .await?;
        }
        Ok(())
    }
}
