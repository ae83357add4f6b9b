//! Bulk inserts: multi-row `INSERT` statements on SQLite, `COPY … FROM
//! STDIN` on PostgreSQL. Both take the same rows of [`Value`]s, so the
//! areas stay engine-neutral.

use std::fmt::Write as _;

use sqlx::{AssertSqlSafe, PgConnection, SqliteConnection};

use super::tx::{Raw, Tx};
use super::value::{Value, sqlite_args};
use crate::Result;

/// Rows per multi-row `INSERT` on SQLite. Only these shapes are ever
/// prepared, so the statement cache holds at most four statements per
/// table instead of one per chunk size: preparing a statement for every
/// size seen doubled the peak memory of a 1M-row import (273 → 133 MB).
const SQLITE_BATCH_SHAPES: [usize; 4] = [1024, 128, 16, 1];

impl Tx {
    /// Inserts `rows` into `table (columns)`. `table` and `columns` are
    /// this crate's identifiers, never input.
    pub async fn insert(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        rows: &[Vec<Value<'_>>],
    ) -> Result<()> {
        match self.raw() {
            Raw::Sqlite(c) => insert_sqlite(c, table, columns, rows).await,
            Raw::Pg(c) => copy_postgres(c, table, columns, rows).await,
        }
    }
}

/// Inserts `rows` into `table (columns)` on SQLite.
async fn insert_sqlite(
    c: &mut SqliteConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value<'_>>],
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
        sqlx::query_with(AssertSqlSafe(sql), sqlite_args(chunk.iter().flatten())?)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Inserts `rows` into `table (columns)` on PostgreSQL with `COPY`.
async fn copy_postgres(
    c: &mut PgConnection,
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
            copy_value(&mut buf, v);
        }
        buf.push('\n');
    }
    let stmt = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = c.copy_in_raw(&stmt).await?;
    copy.send(buf.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// Writes a value in COPY's text format.
fn copy_value(buf: &mut String, v: &Value<'_>) {
    match *v {
        Value::Text(s) => escape_copy(buf, s),
        Value::Int(n) => {
            let _ = write!(buf, "{n}");
        }
        Value::Int32(n) => {
            let _ = write!(buf, "{n}");
        }
        Value::Int16(n) => {
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
        // bytea's hex form, its backslash escaped for COPY's text format.
        Value::Bytes(b) => {
            buf.push_str("\\\\x");
            for byte in b {
                let _ = write!(buf, "{byte:02x}");
            }
        }
        Value::Null(_) => buf.push_str("\\N"),
    }
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
