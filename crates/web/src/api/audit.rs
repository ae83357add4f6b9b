//! The audit log through the API: the same search as the page, read only.
//! Personal target keys come masked.

use axum::Json;
use axum::extract::{Query, State};
use jianfu_domain::Permission;
use serde::Serialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::pages::audit::{AuditQuery, action_label, shown_key};
use crate::tables::ListParams;

/// One entry as the API shows it.
#[derive(Debug, Serialize)]
pub struct AuditOut {
    /// Sequence number.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Acting user's name.
    pub username: String,
    /// Acting user's role code.
    pub role: Option<String>,
    /// Action code.
    pub action: String,
    /// Action in Chinese.
    pub action_label: String,
    /// Target kind.
    pub target_kind: Option<String>,
    /// Target key, masked when an ID or phone number.
    pub target_key: Option<String>,
    /// Region concerned.
    pub region: String,
    /// Stated reason.
    pub reason: Option<String>,
    /// Detail.
    pub detail: Option<String>,
    /// Client address.
    pub client_ip: Option<String>,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    /// Entries matching.
    pub total: i64,
    /// This page.
    pub items: Vec<AuditOut>,
}

/// `GET /api/v1/audit`
pub async fn search(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
    Query(p): Query<ListParams>,
) -> ApiResult<AuditPage> {
    user.require(Permission::ViewAudit)?;
    let sort = match p.sort.as_deref() {
        None | Some("") => None,
        Some(key) => Some((
            jianfu_store::AuditSort::from_key(key).ok_or_else(|| {
                crate::error::AppError::BadRequest(format!(
                    "无法按 {key} 排序：可用 at、user、action、region"
                ))
            })?,
            p.desc(),
        )),
    };
    let filter = jianfu_store::AuditFilter {
        sort,
        ..q.filter()?
    };
    let mut c = st.db.read().await?;
    let (rows, total) =
        jianfu_store::audit::search(&mut c, user.scope(), &filter, p.offset(), p.limit()).await?;
    drop(c);
    let items = rows
        .into_iter()
        .map(|r| AuditOut {
            id: r.id,
            at: r.at.to_rfc3339(),
            action_label: action_label(Lang::Zh, &r.action),
            username: r.username,
            role: r.role,
            action: r.action,
            target_kind: r.target_kind,
            target_key: r.target_key.as_deref().map(shown_key),
            region: r.region,
            reason: r.reason,
            detail: r.detail,
            client_ip: r.client_ip,
        })
        .collect();
    Ok(Json(AuditPage { total, items }))
}
