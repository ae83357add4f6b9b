//! The audit log (审计日志): every write and every sensitive read, who and
//! when, with old and new values and the stated reason.
//!
//! The log is append-only: this module has no update or delete, and the
//! migrations add triggers that refuse them on both engines. A use case
//! appends the entry of a change in the [`crate::Tx`] that makes it. Entries carry
//! the region they concern so an auditor sees only the log of their own
//! jurisdiction. Personal keys (ID numbers) are stored so a look can be
//! traced to the record; screens show them masked.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::Scope;
use jianfu_domain::time::{china_day_end, china_day_start};
use serde::Serialize;

use sqlx::AssertSqlSafe;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// One entry to append.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    /// The acting user (none for the command line or a failed login).
    pub user_id: Option<i64>,
    /// The acting user's name, or `cli:<os user>` / the name tried.
    pub username: String,
    /// The acting user's role code.
    pub role: Option<String>,
    /// What was done, e.g. `login`, `unmask`, `user.add`, `export`.
    pub action: String,
    /// What kind of thing it was done to (`person`, `household`, `user` …).
    pub target_kind: Option<String>,
    /// Which one (ID number, 户编号, username, file name …).
    pub target_key: Option<String>,
    /// The region it concerns: `national` or a region code.
    pub region: String,
    /// The reason stated by the user (unmasking, exports).
    pub reason: Option<String>,
    /// Value before a change.
    pub old_value: Option<String>,
    /// Value after a change.
    pub new_value: Option<String>,
    /// Anything else worth keeping (counts, filters), no personal data.
    pub detail: Option<String>,
    /// The client's address.
    pub client_ip: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Acting user's id.
    pub user_id: Option<i64>,
    /// Acting user's name.
    pub username: String,
    /// Acting user's role code.
    pub role: Option<String>,
    /// Action code.
    pub action: String,
    /// Target kind.
    pub target_kind: Option<String>,
    /// Target key (may be personal: mask before showing).
    pub target_key: Option<String>,
    /// Region concerned.
    pub region: String,
    /// Stated reason.
    pub reason: Option<String>,
    /// Old value.
    pub old_value: Option<String>,
    /// New value.
    pub new_value: Option<String>,
    /// Detail.
    pub detail: Option<String>,
    /// Client address.
    pub client_ip: Option<String>,
}

/// What an auditor searches for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact user name.
    pub username: Option<String>,
    /// Exact action code.
    pub action: Option<String>,
    /// Exact target key (e.g. one person's ID number).
    pub target_key: Option<String>,
    /// From this day (inclusive), a day of China Standard Time (UTC+8),
    /// as the pages show the times.
    pub from: Option<NaiveDate>,
    /// To this day (inclusive, UTC+8).
    pub to: Option<NaiveDate>,
    /// Order of the list; newest first when `None`.
    pub sort: Option<(AuditSort, bool)>,
}

/// Sort columns of the audit log (`true` with it: descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditSort {
    /// By time.
    Time,
    /// By user name.
    User,
    /// By action code.
    Action,
    /// By region code.
    Region,
}

impl AuditSort {
    /// From a column key of the page.
    pub fn from_key(key: &str) -> Option<AuditSort> {
        Some(match key {
            "at" => AuditSort::Time,
            "user" => AuditSort::User,
            "action" => AuditSort::Action,
            "region" => AuditSort::Region,
            _ => return None,
        })
    }

    fn sql(self, desc: bool) -> String {
        let d = if desc { " DESC" } else { "" };
        let column = match self {
            AuditSort::Time => "at",
            AuditSort::User => "username",
            AuditSort::Action => "action",
            AuditSort::Region => "region",
        };
        format!("{column}{d}, id{d}")
    }
}

const INSERT: &str = "INSERT INTO audit_log (at, user_id, username, role, action, target_kind, \
    target_key, region, reason, old_value, new_value, detail, client_ip) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// Appends one entry, stamped now.
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<()> {
    append_at(tx, entry, Utc::now()).await
}

/// Appends one entry stamped `at` (the time of the change it records,
/// when the same transaction writes that change).
pub async fn append_at(tx: &mut Tx, a: &AuditEntry, at: DateTime<Utc>) -> Result<()> {
    let args = [
        Value::Timestamp(at),
        a.user_id.into(),
        Value::Text(&a.username),
        (&a.role).into(),
        Value::Text(&a.action),
        (&a.target_kind).into(),
        (&a.target_key).into(),
        Value::Text(&a.region),
        (&a.reason).into(),
        (&a.old_value).into(),
        (&a.new_value).into(),
        (&a.detail).into(),
        (&a.client_ip).into(),
    ];
    tx.exec(INSERT, &args).await?;
    Ok(())
}

/// Entries inside `scope` matching `filter`, newest first unless the
/// filter sorts otherwise, with the total count.
pub async fn search(
    tx: &mut Tx,
    scope: &Scope,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditRow>, i64)> {
    let (lo, hi) = prefix_range(scope.prefix());
    // The filter's days are China calendar days, as the pages show times.
    let from = filter.from.map(china_day_start);
    let to = filter.to.map(china_day_end);
    let order = filter
        .sort
        .map_or_else(|| "id DESC".to_string(), |(s, desc)| s.sql(desc));
    // National entries belong to the national scope only.
    let national = scope.bound_region().is_none();
    let cond = "(region >= $1 AND region < $2 OR ($3 AND region = 'national')) \
        AND ($4 IS NULL OR username = $4) AND ($5 IS NULL OR action = $5) \
        AND ($6 IS NULL OR target_key = $6) AND ($7 IS NULL OR at >= $7) \
        AND ($8 IS NULL OR at < $8)";
    // Built from this function's fixed fragments only; values are bound.
    let list = format!(
        "SELECT id, at, user_id, username, role, action, target_kind, target_key, region, \
         reason, old_value, new_value, detail, client_ip FROM audit_log WHERE {cond} \
         ORDER BY {order} LIMIT $9 OFFSET $10"
    );
    let count = format!("SELECT COUNT(*) FROM audit_log WHERE {cond}");
    let args = [
        Value::Text(&lo),
        Value::Text(&hi),
        Value::Bool(national),
        (&filter.username).into(),
        (&filter.action).into(),
        (&filter.target_key).into(),
        from.into(),
        to.into(),
        Value::Int(limit.clamp(1, 100_000)),
        Value::Int(offset.max(0)),
    ];
    let rows: Vec<AuditRow> = tx.all(AssertSqlSafe(list), &args).await?;
    // The count binds the filter's eight values, not the page's two.
    let total: i64 = tx.scalar(AssertSqlSafe(count), &args[..8]).await?;
    Ok((rows, total))
}
