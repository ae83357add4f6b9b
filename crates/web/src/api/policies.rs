//! Policy parameter sets through the API.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use jianfu_store::PolicyRow;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::pages::policies::{add, one, visible};

/// 一套政策参数。
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    /// 政策参数编号（结算记录以此编号指明所用的参数）
    pub id: i64,
    /// 名称
    pub name: String,
    /// 适用的行政区划代码前缀
    pub region_prefix: String,
    /// 生效日期
    pub valid_from: NaiveDate,
    /// 失效日期（含）
    pub valid_to: NaiveDate,
    /// 添加时间
    pub loaded_at: DateTime<Utc>,
    /// 添加人
    pub loaded_by: String,
}

impl From<PolicyRow> for PolicyOut {
    fn from(row: PolicyRow) -> Self {
        // Taken apart whole, so a field added to the stored row does not
        // build until the API decides whether to show it.
        let PolicyRow {
            id,
            name,
            region_prefix,
            valid_from,
            valid_to,
            loaded_at,
            loaded_by,
        } = row;
        PolicyOut {
            id,
            name,
            region_prefix,
            valid_from,
            valid_to,
            loaded_at,
            loaded_by,
        }
    }
}

/// 一套政策参数及其原文。
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDetail {
    // The listed fields, inline.
    #[serde(flatten)]
    pub row: PolicyOut,
    /// TOML 原文
    pub source: String,
}

/// 添加政策参数的结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    /// 政策参数编号
    pub id: i64,
    /// 相同原文此前已添加过时为 true（什么也没有改变）
    pub existed: bool,
    /// 重新结算的人年数
    pub person_years: u64,
    /// 金额发生变化的结算记录数
    pub claims_resettled: u64,
    /// 记录的调整数
    pub adjustments: u64,
}

/// `GET /api/v1/policies`
#[utoipa::path(
    get,
    path = "/api/v1/policies",
    operation_id = "list_policies",
    tag = tags::POLICIES,
    summary = "与管辖地区相关的政策参数",
    responses((status = 200, description = "成功", body = Vec<PolicyOut>), StandardErrors)
)]
pub async fn list(State(st): State<AppState>, user: CurrentUser) -> ApiResult<Vec<PolicyOut>> {
    let rows = visible(&st, &user).await?;
    Ok(Json(rows.into_iter().map(PolicyOut::from).collect()))
}

/// `GET /api/v1/policies/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/policies/{id}",
    operation_id = "get_policy",
    tag = tags::POLICIES,
    summary = "一套政策参数及其原文",
    params(("id" = i64, Path, description = "政策参数编号")),
    responses((status = 200, description = "成功", body = PolicyDetail), StandardErrors)
)]
pub async fn get(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::error::ApiPath(id): crate::error::ApiPath<i64>,
) -> ApiResult<PolicyDetail> {
    let (row, source) = one(&st, &user, id).await?;
    Ok(Json(PolicyDetail {
        row: row.into(),
        source,
    }))
}

/// `POST /api/v1/policies` (TOML body).
#[utoipa::path(
    post,
    path = "/api/v1/policies",
    operation_id = "add_policy",
    tag = tags::POLICIES,
    summary = "添加政策参数（TOML 原文作请求体）；校验失败时 details 给出键路径；保存后重新结算相关结算记录",
    request_body(content = String, content_type = "application/toml"),
    responses((status = 200, description = "成功", body = Added), StandardErrors)
)]
pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    body: String,
) -> ApiResult<Added> {
    let a = add(&st, &user, &body).await?;
    Ok(Json(Added {
        id: a.id,
        existed: a.existed,
        person_years: a.person_years,
        claims_resettled: a.claims_resettled,
        adjustments: a.adjustments,
    }))
}
