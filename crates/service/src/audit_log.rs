//! The audit log as use cases: searching it (those who may view it, inside
//! their jurisdiction: the store's search takes the scope), exporting a
//! search, which is itself audited in the transaction of its read, and the
//! latest entries by or about one user (on that user's page).
//!
//! A search is checked before it runs ([`check`]): the permission first,
//! then the sort key and the dates, so the refusal a caller sees does not
//! depend on which of its inputs it gets wrong.

use chrono::NaiveDate;
use jianfu_domain::Permission;
use jianfu_export::FileFormat;
use jianfu_store::{AuditFilter, AuditRow, AuditSort, audit};

use crate::error::{UseCaseError, UseCaseResult};
use crate::people::EXPORT_LIMIT;
use crate::{Actor, App};

/// A search of the log as typed: every filter narrows (exact matches;
/// dates are China calendar days, `to` included).
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// User name.
    pub user: Option<String>,
    /// Action code.
    pub action: Option<String>,
    /// Target key, e.g. a whole ID number.
    pub target: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Sort column: `at`, `user`, `action` or `region`; newest first when
    /// absent.
    pub sort: Option<String>,
    /// Descending.
    pub desc: bool,
}

/// A checked search of the log.
#[derive(Debug, Clone)]
pub struct LogSearch {
    filter: AuditFilter,
    used: String,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn day(s: &Option<String>) -> UseCaseResult<Option<NaiveDate>> {
    some(s)
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| UseCaseError::Invalid("日期格式应为 年-月-日，如 2026-01-31".into()))
        })
        .transpose()
}

/// Checks `q` for `actor`: the permission, the sort key, the dates.
pub fn check(actor: &Actor, q: &LogQuery) -> UseCaseResult<LogSearch> {
    actor.require(Permission::ViewAudit)?;
    let sort = match q.sort.as_deref() {
        None | Some("") => None,
        Some(key) => Some((
            AuditSort::from_key(key).ok_or_else(|| {
                UseCaseError::Invalid(format!("无法按 {key} 排序：可用 at、user、action、region"))
            })?,
            q.desc,
        )),
    };
    let filter = AuditFilter {
        username: some(&q.user),
        action: some(&q.action),
        target_key: some(&q.target),
        from: day(&q.from)?,
        to: day(&q.to)?,
        sort,
    };
    // Names only: the values may be personal (a target's ID number).
    let used = [
        ("user", &q.user),
        ("action", &q.action),
        ("target", &q.target),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter(|(_, v)| some(v).is_some())
    .map(|(k, _)| k)
    .collect::<Vec<_>>()
    .join(",");
    Ok(LogSearch { filter, used })
}

/// A page of the entries `search` finds inside `actor`'s jurisdiction,
/// with their count.
pub async fn search(
    app: &App,
    actor: &Actor,
    search: &LogSearch,
    offset: i64,
    limit: i64,
) -> UseCaseResult<(Vec<AuditRow>, i64)> {
    actor.require(Permission::ViewAudit)?;
    let mut tx = app.db.read().await?;
    Ok(audit::search(&mut tx, &actor.scope, &search.filter, offset, limit).await?)
}

/// Every entry `search` finds (up to [`EXPORT_LIMIT`]) for an export to
/// `format`: the read and the entry `audit.export` (counts, format, names
/// of the filters used) commit together.
pub async fn export(
    app: &App,
    actor: &Actor,
    search: &LogSearch,
    format: FileFormat,
) -> UseCaseResult<Vec<AuditRow>> {
    actor.require(Permission::ViewAudit)?;
    let mut tx = app.db.begin_write().await?;
    let (list, total) =
        audit::search(&mut tx, &actor.scope, &search.filter, 0, EXPORT_LIMIT).await?;
    let mut entry = actor.entry("audit.export", actor.scope.code());
    entry.target_kind = Some("audit_log".into());
    entry.detail = Some(format!(
        "rows={} of {total}; format={}; filters={}",
        list.len(),
        format.extension(),
        search.used
    ));
    audit::append_at(&mut tx, &entry, app.now()).await?;
    tx.commit().await?;
    Ok(list)
}

/// The latest 20 entries by or about user `username`, inside `actor`'s
/// jurisdiction, newest first: what an administrator sees on the user's
/// page.
pub async fn about_user(app: &App, actor: &Actor, username: &str) -> UseCaseResult<Vec<AuditRow>> {
    actor.require(Permission::ManageUsers)?;
    let by = AuditFilter {
        username: Some(username.to_string()),
        ..AuditFilter::default()
    };
    let about = AuditFilter {
        target_key: Some(username.to_string()),
        ..AuditFilter::default()
    };
    let mut tx = app.db.read().await?;
    let (mut list, _) = audit::search(&mut tx, &actor.scope, &by, 0, 20).await?;
    let (more, _) = audit::search(&mut tx, &actor.scope, &about, 0, 20).await?;
    drop(tx);
    list.extend(more);
    list.sort_by_key(|r| std::cmp::Reverse(r.id));
    list.dedup_by_key(|r| r.id);
    list.truncate(20);
    Ok(list)
}
