//! The audit log through the API: the same search as the page (the use
//! case `jianfu_service::audit_log::search`), read only.
//! Personal target keys come masked.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::State;
use jianfu_service::audit_log;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiQuery, ApiResult};
use crate::i18n::Lang;
use crate::pages::audit::{AuditQuery, action_label, shown_key};
use crate::tables::ListParams;
use jianfu_domain::mask_numbers_in_text;

/// 一条审计记录。
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    /// 序号
    pub id: i64,
    /// 时间（RFC 3339，UTC）
    #[schema(format = DateTime)]
    pub at: String,
    /// 操作用户名
    pub username: String,
    /// 操作用户的角色代码
    pub role: Option<String>,
    /// 操作代码
    pub action: String,
    /// 操作的中文名称
    pub action_label: String,
    /// 对象类别
    pub target_kind: Option<String>,
    /// 对象；身份证号和电话已脱敏
    pub target_key: Option<String>,
    /// 涉及的地区
    pub region: String,
    /// 说明的理由；其中手工填写的身份证号和电话已脱敏
    pub reason: Option<String>,
    /// 详情；其中的身份证号和电话已脱敏
    pub detail: Option<String>,
    /// 客户端地址
    pub client_ip: Option<String>,
}

/// 一页审计记录，最新在前。
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// 符合条件的记录数
    pub total: i64,
    /// 本页
    pub items: Vec<AuditOut>,
}

/// `GET /api/v1/audit`
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "search_audit",
    tag = tags::AUDIT,
    summary = "查询审计日志（只读，最新在前，只含管辖地区内的记录）",
    params(
        AuditQuery,
        ("sort" = Option<String>, Query, description = "排序列：at、user、action、region（默认最新在前）"),
        ListParams,
    ),
    responses((status = 200, description = "成功", body = AuditPage), StandardErrors)
)]
pub async fn search(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<AuditPage> {
    let search = audit_log::check(&user.actor, &q.search(&p, false))?;
    let (rows, total) =
        audit_log::search(&st.app, &user.actor, &search, p.offset(), p.limit()).await?;
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
            reason: r.reason.as_deref().map(mask_numbers_in_text),
            detail: r.detail.as_deref().map(mask_numbers_in_text),
            client_ip: r.client_ip,
        })
        .collect();
    Ok(Json(AuditPage { total, items }))
}
