//! Queries for the web pages of imports: the recent change batches a user
//! may see, and the ID numbers inside a jurisdiction (to keep an import
//! to its importer's region).

use chrono::{DateTime, Utc};
use serde::Serialize;

use jianfu_domain::IdCardNo;

use crate::{Db, Result, prefix_range};

/// One import (change batch).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BatchRow {
    /// Batch id.
    pub id: i64,
    /// `persons`, `diagnoses` or `claims`.
    pub kind: String,
    /// File name as the user knows it.
    pub source_file: Option<String>,
    /// Who imported.
    pub user_name: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `committed`, `rolled_back` …
    pub status: String,
    /// Data rows of the file.
    pub rows_total: i64,
    /// Rows written.
    pub rows_written: i64,
    /// Errors found.
    pub errors: i64,
}

/// Sort columns of [`Db::import_batches`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSort {
    /// By start time.
    Started,
    /// By kind.
    Kind,
    /// By file name.
    File,
    /// By user.
    User,
    /// By rows in the file.
    Rows,
    /// By errors.
    Errors,
}

impl BatchSort {
    fn column(self) -> &'static str {
        match self {
            BatchSort::Started => "b.id",
            BatchSort::Kind => "b.kind",
            BatchSort::File => "b.source_file",
            BatchSort::User => "b.user_name",
            BatchSort::Rows => "b.rows_total",
            BatchSort::Errors => "b.errors",
        }
    }
}

impl Db {
    /// Imports started by `user_name`, plus, when `admin_prefix` is given,
    /// those of users whose bound region lies under it (`""` for the whole
    /// country); with the total count.
    pub async fn import_batches(
        &self,
        user_name: &str,
        admin_prefix: Option<&str>,
        sort: BatchSort,
        desc: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<BatchRow>, i64)> {
        let (lo, hi) = prefix_range(admin_prefix.unwrap_or(""));
        let admin = admin_prefix.is_some();
        let cond = "(b.user_name = $1 OR ($2 AND EXISTS (SELECT 1 FROM users u \
                    WHERE u.username = b.user_name AND u.region >= $3 AND u.region < $4)))";
        let dir = if desc { "DESC" } else { "ASC" };
        let list = format!(
            "SELECT b.id, b.kind, b.source_file, b.user_name, b.started_at, b.finished_at, \
             b.status, b.rows_total, b.rows_written, b.errors FROM change_batches b \
             WHERE {cond} ORDER BY {} {dir}, b.id DESC LIMIT $5 OFFSET $6",
            sort.column()
        );
        let count = format!("SELECT COUNT(*) FROM change_batches b WHERE {cond}");
        macro_rules! binds {
            ($q:expr) => {
                $q.bind(user_name).bind(admin).bind(&lo).bind(&hi)
            };
        }
        let rows: Vec<BatchRow> = on_pool!(self, p => binds!(sqlx::query_as(sqlx::AssertSqlSafe(list.clone())))
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await?);
        let total: i64 = on_pool!(self, p => binds!(sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))).fetch_one(p).await?);
        Ok((rows, total))
    }

    /// The persons whose village lies under `prefix`, as sorted packed ID
    /// numbers ([`jianfu_domain::IdCardNo::packed`]): 8 bytes a person,
    /// read as a stream.
    pub async fn person_keys_in(&self, prefix: &str) -> Result<Vec<u64>> {
        use futures::TryStreamExt;
        let (lo, hi) = prefix_range(prefix);
        let sql = "SELECT id_number FROM persons WHERE village_code >= $1 AND village_code < $2";
        let pack = |id: String| IdCardNo::parse(&id).ok().map(|i| i.packed());
        let mut keys: Vec<u64> = on_pool!(self, p => sqlx::query_scalar::<_, String>(sql)
            .bind(&lo).bind(&hi).fetch(p)
            .try_fold(Vec::new(), |mut v, id| async move {
                v.extend(pack(id));
                Ok(v)
            }).await?);
        keys.sort_unstable();
        Ok(keys)
    }

    /// True when the person with `id_number` lives in a village under
    /// `prefix` (one primary-key lookup).
    pub async fn person_is_in(&self, id_number: &str, prefix: &str) -> Result<bool> {
        let (lo, hi) = prefix_range(prefix);
        let sql = "SELECT COUNT(*) FROM persons WHERE id_number = $1 \
                   AND village_code >= $2 AND village_code < $3";
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(id_number).bind(&lo).bind(&hi).fetch_one(p).await?);
        Ok(n > 0)
    }
}
