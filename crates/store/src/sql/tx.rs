//! The unit of work: [`Tx`], one connection of either engine, inside a
//! transaction ([`Db::begin`]) or in autocommit ([`Db::read`]), and the
//! generic statements every area runs through it.

use futures::TryStreamExt;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, SqlSafeStr, SqlStr, Sqlite, SqliteConnection, Transaction};

use super::value::{Row, Scalar, Value, pg_args, sqlite_args};
use crate::{Db, Engine, Result};

/// A unit of work: every store function takes one, so a use case can run
/// several of them, reads and writes of any area, and commit them
/// together.
///
/// [`Db::begin`] opens a transaction: nothing is visible to others until
/// [`Tx::commit`], and dropping it uncommitted rolls it back.
/// [`Db::read`] lends one pooled connection in autocommit: each statement
/// stands alone, as when it ran on the pool (for reads, and for writes of
/// a single statement); `commit` and `rollback` do nothing there. Either
/// holds its connection until dropped.
pub struct Tx {
    conn: Conn,
}

enum Conn {
    SqliteTx(Transaction<'static, Sqlite>),
    PgTx(Transaction<'static, Postgres>),
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

/// The connection under a [`Tx`].
pub(super) enum Raw<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

impl Db {
    /// Opens a transaction on a pooled connection. Transactions are for
    /// writing, so on SQLite it takes the writer lock at once (`BEGIN
    /// IMMEDIATE`, waiting for another writer as any write does): a plain
    /// `BEGIN` takes it at its first write and fails outright if another
    /// connection committed since the transaction's first read (a job's
    /// heartbeat, a session). PostgreSQL locks rows, not the database.
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match self {
            Db::Sqlite(p) => Conn::SqliteTx(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Conn::PgTx(p.begin().await?),
        };
        Ok(Tx { conn })
    }

    /// Opens a transaction that reads first and then writes what it read
    /// (an audited read: the rows, then the entry that records the look).
    /// The same as [`Db::begin`], which already takes SQLite's write lock
    /// at the start: a plain transaction that has read cannot write once
    /// another connection has committed since its read began
    /// (`SQLITE_BUSY_SNAPSHOT`, no retry helps). The name says why the
    /// caller needs it.
    pub async fn begin_write(&self) -> Result<Tx> {
        self.begin().await
    }

    /// Lends a pooled connection in autocommit, for reads and
    /// single-statement writes that need no transaction.
    pub async fn read(&self) -> Result<Tx> {
        let conn = match self {
            Db::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Db::Postgres(p) => Conn::Pg(p.acquire().await?),
        };
        Ok(Tx { conn })
    }
}

/// A statement and whether it may be kept prepared.
pub struct Stmt {
    sql: SqlStr,
    planned_per_call: bool,
}

impl<S: SqlSafeStr> From<S> for Stmt {
    fn from(sql: S) -> Self {
        Stmt {
            sql: sql.into_sql_str(),
            planned_per_call: false,
        }
    }
}

impl Stmt {
    /// A statement whose best plan depends on its values (a search by one
    /// ID number or by a whole county's range): PostgreSQL plans it with
    /// the values each time instead of keeping it prepared, because a
    /// generic plan cannot tell the two apart (175 ms instead of 0.2 ms).
    /// SQLite's plans never look at values, so it keeps it.
    pub fn planned_per_call(sql: impl SqlSafeStr) -> Stmt {
        Stmt {
            sql: sql.into_sql_str(),
            planned_per_call: true,
        }
    }

    fn persistent(&self, engine: Engine) -> bool {
        !(self.planned_per_call && engine == Engine::Postgres)
    }
}

impl Tx {
    /// The engine of the connection.
    pub fn engine(&self) -> Engine {
        match self.conn {
            Conn::SqliteTx(_) | Conn::Sqlite(_) => Engine::Sqlite,
            Conn::PgTx(_) | Conn::Pg(_) => Engine::Postgres,
        }
    }

    /// True inside a transaction ([`Db::begin`]), false in autocommit.
    pub fn is_transaction(&self) -> bool {
        matches!(self.conn, Conn::SqliteTx(_) | Conn::PgTx(_))
    }

    /// Commits the transaction (nothing to do in autocommit).
    pub async fn commit(self) -> Result<()> {
        match self.conn {
            Conn::SqliteTx(tx) => tx.commit().await?,
            Conn::PgTx(tx) => tx.commit().await?,
            Conn::Sqlite(_) | Conn::Pg(_) => {}
        }
        Ok(())
    }

    /// Rolls the transaction back (nothing to do in autocommit).
    pub async fn rollback(self) -> Result<()> {
        match self.conn {
            Conn::SqliteTx(tx) => tx.rollback().await?,
            Conn::PgTx(tx) => tx.rollback().await?,
            Conn::Sqlite(_) | Conn::Pg(_) => {}
        }
        Ok(())
    }

    pub(super) fn raw(&mut self) -> Raw<'_> {
        match &mut self.conn {
            Conn::SqliteTx(tx) => Raw::Sqlite(tx),
            Conn::Sqlite(c) => Raw::Sqlite(c),
            Conn::PgTx(tx) => Raw::Pg(tx),
            Conn::Pg(c) => Raw::Pg(c),
        }
    }

    /// Every row.
    pub async fn all<T: Row>(
        &mut self,
        stmt: impl Into<Stmt>,
        args: &[Value<'_>],
    ) -> Result<Vec<T>> {
        let s = stmt.into();
        let keep = s.persistent(self.engine());
        Ok(match self.raw() {
            Raw::Sqlite(c) => {
                let q = sqlx::query_as_with(s.sql, sqlite_args(args)?);
                q.persistent(keep).fetch_all(c).await?
            }
            Raw::Pg(c) => {
                let q = sqlx::query_as_with(s.sql, pg_args(args)?);
                q.persistent(keep).fetch_all(c).await?
            }
        })
    }

    /// The first row, if any.
    pub async fn opt<T: Row>(
        &mut self,
        stmt: impl Into<Stmt>,
        args: &[Value<'_>],
    ) -> Result<Option<T>> {
        let s = stmt.into();
        let keep = s.persistent(self.engine());
        Ok(match self.raw() {
            Raw::Sqlite(c) => {
                let q = sqlx::query_as_with(s.sql, sqlite_args(args)?);
                q.persistent(keep).fetch_optional(c).await?
            }
            Raw::Pg(c) => {
                let q = sqlx::query_as_with(s.sql, pg_args(args)?);
                q.persistent(keep).fetch_optional(c).await?
            }
        })
    }

    /// The first row; none is an error ([`sqlx::Error::RowNotFound`]).
    pub async fn one<T: Row>(&mut self, stmt: impl Into<Stmt>, args: &[Value<'_>]) -> Result<T> {
        self.opt(stmt, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound.into())
    }

    /// The first column of every row.
    pub async fn scalars<T: Scalar>(
        &mut self,
        stmt: impl Into<Stmt>,
        args: &[Value<'_>],
    ) -> Result<Vec<T>> {
        let s = stmt.into();
        let keep = s.persistent(self.engine());
        Ok(match self.raw() {
            Raw::Sqlite(c) => {
                let q = sqlx::query_scalar_with(s.sql, sqlite_args(args)?);
                q.persistent(keep).fetch_all(c).await?
            }
            Raw::Pg(c) => {
                let q = sqlx::query_scalar_with(s.sql, pg_args(args)?);
                q.persistent(keep).fetch_all(c).await?
            }
        })
    }

    /// The first column of the first row, if any.
    pub async fn scalar_opt<T: Scalar>(
        &mut self,
        stmt: impl Into<Stmt>,
        args: &[Value<'_>],
    ) -> Result<Option<T>> {
        let s = stmt.into();
        let keep = s.persistent(self.engine());
        Ok(match self.raw() {
            Raw::Sqlite(c) => {
                let q = sqlx::query_scalar_with(s.sql, sqlite_args(args)?);
                q.persistent(keep).fetch_optional(c).await?
            }
            Raw::Pg(c) => {
                let q = sqlx::query_scalar_with(s.sql, pg_args(args)?);
                q.persistent(keep).fetch_optional(c).await?
            }
        })
    }

    /// The first column of the first row; none is an error.
    pub async fn scalar<T: Scalar>(
        &mut self,
        stmt: impl Into<Stmt>,
        args: &[Value<'_>],
    ) -> Result<T> {
        self.scalar_opt(stmt, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound.into())
    }

    /// Runs a statement; returns the rows it affected.
    pub async fn exec(&mut self, stmt: impl Into<Stmt>, args: &[Value<'_>]) -> Result<u64> {
        let s = stmt.into();
        let keep = s.persistent(self.engine());
        Ok(match self.raw() {
            Raw::Sqlite(c) => {
                let q = sqlx::query_with(s.sql, sqlite_args(args)?);
                q.persistent(keep).execute(c).await?.rows_affected()
            }
            Raw::Pg(c) => {
                let q = sqlx::query_with(s.sql, pg_args(args)?);
                q.persistent(keep).execute(c).await?.rows_affected()
            }
        })
    }

    /// Streams the rows into `f` (memory stays flat however many there
    /// are); returns how many there were. An error of `f` stops the read.
    pub async fn each<T: Row>(
        &mut self,
        stmt: impl Into<Stmt>,
        args: &[Value<'_>],
        mut f: impl FnMut(T) -> Result<()>,
    ) -> Result<u64> {
        let s = stmt.into();
        let keep = s.persistent(self.engine());
        let mut n = 0;
        match self.raw() {
            Raw::Sqlite(c) => {
                let q = sqlx::query_as_with(s.sql, sqlite_args(args)?);
                let mut rows = q.persistent(keep).fetch(c);
                while let Some(row) = rows.try_next().await? {
                    n += 1;
                    f(row)?;
                }
            }
            Raw::Pg(c) => {
                let q = sqlx::query_as_with(s.sql, pg_args(args)?);
                let mut rows = q.persistent(keep).fetch(c);
                while let Some(row) = rows.try_next().await? {
                    n += 1;
                    f(row)?;
                }
            }
        }
        Ok(n)
    }
}
