//! Alerts through the API: the list, opening a case from one, dismissing.

use axum::Json;
use axum::extract::State;
use jianfu_service::monitoring::cases::{self, AlertQuery};
use jianfu_store::monitoring::AlertKey;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::AlertOut;
use crate::AppState;
use crate::api::openapi::{StandardErrors, tags};
use crate::auth::CurrentUser;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};

/// 预警列表的筛选条件。
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    /// 地区代码前缀（默认：整个管辖地区）
    pub region: Option<String>,
    /// 只列此状态：open、linked、dismissed、lapsed
    pub status: Option<String>,
    /// 只列此年度（默认：今年和上一年）
    pub year: Option<i32>,
}

/// `GET /api/v1/monitoring/alerts`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/alerts",
    operation_id = "list_alerts",
    tag = tags::MONITORING,
    summary = "管辖地区内的防返贫监测预警及其处理情况",
    params(AlertFilter),
    responses((status = 200, description = "成功", body = Vec<AlertOut>), StandardErrors)
)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(f): ApiQuery<AlertFilter>,
) -> ApiResult<Vec<AlertOut>> {
    let q = AlertQuery {
        region: f.region,
        status: f.status,
        year: f.year,
    };
    let lines = cases::list_alerts(&st.app, &user.actor, &q).await?;
    Ok(Json(lines.into_iter().map(AlertOut::from).collect()))
}

/// 办理意见。
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteIn {
    /// 办理意见（必填）
    pub note: String,
}

/// 忽略理由。
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonIn {
    /// 忽略理由（必填）
    pub reason: String,
}

/// 立案的结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedOut {
    /// 案件编号
    pub case_id: i64,
    /// 该户已有在办案件、预警并入该案件时为 true
    pub joined: bool,
}

/// An alert's key in the path.
type KeyPath = (String, String, i16, String);

fn key_of((county_code, household_no, year, rule): KeyPath) -> AlertKey {
    AlertKey {
        county_code,
        household_no,
        year,
        rule,
    }
}

/// `POST /api/v1/monitoring/alerts/{county}/{household}/{year}/{rule}/case`
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/alerts/{county}/{household}/{year}/{rule}/case",
    operation_id = "open_case_from_alert",
    tag = tags::MONITORING,
    summary = "由预警立案（预警转为“已关联案件”）；该户已有在办案件时预警并入该案件",
    params(
        ("county" = String, Path, description = "县级代码"),
        ("household" = String, Path, description = "户编号"),
        ("year" = i16, Path, description = "年度"),
        ("rule" = String, Path, description = "规则：R2、R3 或 R5")
    ),
    request_body = NoteIn,
    responses((status = 200, description = "成功", body = OpenedOut), StandardErrors)
)]
pub async fn open_case(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(path): ApiPath<KeyPath>,
    ApiJson(body): ApiJson<NoteIn>,
) -> ApiResult<OpenedOut> {
    let o = cases::open_from_alert(&st.app, &user.actor, &key_of(path), &body.note).await?;
    Ok(Json(OpenedOut {
        case_id: o.case_id,
        joined: o.joined,
    }))
}

/// 操作完成。
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// 总为 true
    pub ok: bool,
}

/// `POST /api/v1/monitoring/alerts/{county}/{household}/{year}/{rule}/dismiss`
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/alerts/{county}/{household}/{year}/{rule}/dismiss",
    operation_id = "dismiss_alert",
    tag = tags::MONITORING,
    summary = "忽略预警（须填写理由；乡镇工作人员或县级以上管理员办理）",
    params(
        ("county" = String, Path, description = "县级代码"),
        ("household" = String, Path, description = "户编号"),
        ("year" = i16, Path, description = "年度"),
        ("rule" = String, Path, description = "规则：R2、R3 或 R5")
    ),
    request_body = ReasonIn,
    responses((status = 200, description = "成功", body = Done), StandardErrors)
)]
pub async fn dismiss(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(path): ApiPath<KeyPath>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> ApiResult<Done> {
    cases::dismiss_alert(&st.app, &user.actor, &key_of(path), &body.reason).await?;
    Ok(Json(Done { ok: true }))
}
