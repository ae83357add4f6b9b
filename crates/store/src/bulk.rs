//! Bulk inserts inside a transaction: multi-row `INSERT` statements on
//! SQLite, `COPY … FROM STDIN` on PostgreSQL. Both take the same rows of
//! [`Value`]s, so callers stay engine-neutral.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::{AssertSqlSafe, Postgres, Sqlite, Transaction};

use crate::{Db, Result};

/// A cell of a bulk row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Int(i64),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    /// A local time without zone (`TIMESTAMP`).
    LocalTime(NaiveDateTime),
    Bool(bool),
    Null,
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null, Value::Text)
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

impl From<Option<bool>> for Value<'_> {
    fn from(v: Option<bool>) -> Self {
        v.map_or(Value::Null, Value::Bool)
    }
}

impl From<Option<NaiveDate>> for Value<'_> {
    fn from(v: Option<NaiveDate>) -> Self {
        v.map_or(Value::Null, Value::Date)
    }
}

impl From<Option<NaiveDateTime>> for Value<'_> {
    fn from(v: Option<NaiveDateTime>) -> Self {
        v.map_or(Value::Null, Value::LocalTime)
    }
}

/// Rows per multi-row `INSERT` on SQLite. Only these shapes are ever
/// prepared, so the statement cache holds at most four statements per
/// table instead of one per chunk size: preparing a statement for every
/// size seen doubled the peak memory of a 1M-row import (273 → 133 MB).
const SQLITE_BATCH_SHAPES: [usize; 4] = [1024, 128, 16, 1];

/// Inserts `rows` into `table (columns)` on SQLite.
pub(crate) async fn insert_sqlite<'a>(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
    columns: &[&str],
    rows: &'a [Vec<Value<'a>>],
) -> Result<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        let n = SQLITE_BATCH_SHAPES
            .into_iter()
            .find(|&n| n <= rest.len())
            .expect("1 is a shape");
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let one = format!("({})", vec!["?"; columns.len()].join(","));
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            vec![one; n].join(",")
        );
        // The statement holds only identifiers of this crate and placeholders.
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match *v {
                    Value::Text(s) => q.bind(s),
                    Value::Int(i) => q.bind(i),
                    Value::Date(d) => q.bind(d),
                    Value::Timestamp(t) => q.bind(t),
                    Value::LocalTime(t) => q.bind(t),
                    Value::Bool(b) => q.bind(b),
                    Value::Null => q.bind(Option::<String>::None),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts `rows` into `table (columns)` on PostgreSQL with `COPY`.
pub(crate) async fn copy_postgres(
    tx: &mut Transaction<'static, Postgres>,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value<'_>>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut buf = String::with_capacity(rows.len() * 128);
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                buf.push('\t');
            }
            match *v {
                Value::Text(s) => escape_copy(&mut buf, s),
                Value::Int(n) => {
                    let _ = write!(buf, "{n}");
                }
                Value::Date(d) => {
                    let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
                }
                Value::Timestamp(t) => {
                    let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
                }
                Value::LocalTime(t) => {
                    let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.f"));
                }
                Value::Bool(b) => buf.push(if b { 't' } else { 'f' }),
                Value::Null => buf.push_str("\\N"),
            }
        }
        buf.push('\n');
    }
    let stmt = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = tx.copy_in_raw(&stmt).await?;
    copy.send(buf.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// Escapes a value for COPY's text format.
fn escape_copy(buf: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => buf.push_str("\\\\"),
            '\t' => buf.push_str("\\t"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            _ => buf.push(c),
        }
    }
}

/// A transaction on either engine.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }
}

impl Tx {
    pub(crate) async fn execute_static(&mut self, sql: &'static str) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query(sql).execute(&mut **tx).await?.rows_affected(),
            Tx::Postgres(tx) => sqlx::query(sql).execute(&mut **tx).await?.rows_affected(),
        })
    }

    pub(crate) async fn insert<'a>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &'a [Vec<Value<'a>>],
    ) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => insert_sqlite(tx, table, columns, rows).await,
            Tx::Postgres(tx) => copy_postgres(tx, table, columns, rows).await,
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escaping() {
        let mut b = String::new();
        escape_copy(&mut b, "a\tb\\c\nd");
        assert_eq!(b, "a\\tb\\\\c\\nd");
    }
}
