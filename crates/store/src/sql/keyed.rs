//! Statements restricted to a list of keys (`… WHERE key IN (list)`).
//!
//! The list is one bound value, so each statement is prepared once
//! whatever the length of the list: a JSON array read by `json_each` on
//! SQLite, a text array compared with `= ANY` on PostgreSQL.

use sqlx::{Arguments, AssertSqlSafe, SqlSafeStr};

use super::tx::{Raw, Tx};
use super::value::{Row, Value, pg_args, sqlite_args};
use crate::Result;

/// `head` ended by "its key column is in the list bound as `$n`".
fn in_list(raw: &Raw<'_>, head: &str, n: usize) -> String {
    match raw {
        Raw::Sqlite(_) => format!("{head} IN (SELECT value FROM json_each(${n}))"),
        Raw::Pg(_) => format!("{head} = ANY(${n})"),
    }
}

fn json(keys: &[String]) -> String {
    serde_json::to_string(keys).expect("strings serialise")
}

impl Tx {
    /// Runs `head` (`SELECT … WHERE … <key column>`, its placeholders
    /// bound to `leading`) restricted to the rows whose key column is one
    /// of `keys`.
    pub async fn all_in<T: Row>(
        &mut self,
        head: impl SqlSafeStr,
        leading: &[Value<'_>],
        keys: &[String],
    ) -> Result<Vec<T>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let head = head.into_sql_str();
        let raw = self.raw();
        // Only `head`, audited by its caller, and a placeholder are joined.
        let sql = AssertSqlSafe(in_list(&raw, head.as_str(), leading.len() + 1));
        Ok(match raw {
            Raw::Sqlite(c) => {
                let mut args = sqlite_args(leading)?;
                args.add(json(keys)).map_err(sqlx::Error::Encode)?;
                sqlx::query_as_with(sql, args).fetch_all(c).await?
            }
            Raw::Pg(c) => {
                let mut args = pg_args(leading)?;
                args.add(keys).map_err(sqlx::Error::Encode)?;
                sqlx::query_as_with(sql, args).fetch_all(c).await?
            }
        })
    }

    /// As [`Tx::all_in`] for a statement without result rows (`DELETE …
    /// WHERE … <key column>`); returns the rows it affected.
    pub async fn exec_in(
        &mut self,
        head: impl SqlSafeStr,
        leading: &[Value<'_>],
        keys: &[String],
    ) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        let head = head.into_sql_str();
        let raw = self.raw();
        let sql = AssertSqlSafe(in_list(&raw, head.as_str(), leading.len() + 1));
        Ok(match raw {
            Raw::Sqlite(c) => {
                let mut args = sqlite_args(leading)?;
                args.add(json(keys)).map_err(sqlx::Error::Encode)?;
                sqlx::query_with(sql, args)
                    .execute(c)
                    .await?
                    .rows_affected()
            }
            Raw::Pg(c) => {
                let mut args = pg_args(leading)?;
                args.add(keys).map_err(sqlx::Error::Encode)?;
                sqlx::query_with(sql, args)
                    .execute(c)
                    .await?
                    .rows_affected()
            }
        })
    }
}
