//! The dialect: everything that differs between SQLite and PostgreSQL,
//! and nothing else. Pools and connection settings (`pool`), the unit of
//! work and its statements (`tx`: [`Tx`], [`Stmt`]), bound values and
//! decoded rows (`value`: [`Value`], [`Row`], [`Scalar`]), key lists
//! (`keyed`: `json_each` or `= ANY`), bulk inserts (`bulk`: multi-row
//! `INSERT` or `COPY`) and the engines' behaviour (`dialect`: locks,
//! collation, planner hints, deferred indexes, statistics) and whole-database
//! copies (`backup`).
//!
//! The area modules (`registry`, `claims`, …) write SQL both engines
//! accept, with `$n` placeholders, and never name an engine.

mod backup;
mod bulk;
mod dialect;
mod keyed;
mod pool;
mod tx;
mod value;

pub use backup::Backup;
pub(crate) use pool::{pg_pool, sqlite_pool};
pub use tx::{Stmt, Tx};
pub use value::{Kind, Row, Scalar, Value};
