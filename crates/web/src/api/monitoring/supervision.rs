//! Supervision items (督办) through the API: those addressed to the
//! user's level and the levels below, open ones first (overdue before
//! the others, then by due date).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use jianfu_monitoring::deadline::is_overdue;
use jianfu_service::monitoring::supervision;
use jianfu_store::monitoring::supervision::ItemRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::openapi::{StandardErrors, tags};
use crate::auth::CurrentUser;
use crate::error::{ApiQuery, ApiResult};

/// 督办事项列表的筛选条件。
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemFilter {
    /// 含已办结的督办（默认只列未办结）
    pub all: Option<bool>,
    /// 最多条数（1–5000，默认 1000）
    pub limit: Option<i64>,
}

/// 一条督办事项。
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOut {
    /// 督办编号
    pub id: i64,
    /// 案件编号；step_kind 为 anomaly_feedback 时为异常结算月度反馈清单编号
    pub case_id: i64,
    /// 逾期环节（时限类型代码，如 pre_warning；anomaly_feedback 为月度反馈清单）
    pub step_kind: String,
    /// 环节期限
    pub step_due_on: NaiveDate,
    /// 负责该环节的地区代码
    pub step_owner: String,
    /// 县级代码
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// 督办单位（地区代码）
    pub region_code: String,
    /// 督办单位层级（1 省级 … 5 村级）
    pub level: i16,
    /// 督办日期
    pub raised_on: NaiveDate,
    /// 督办期限
    pub due_on: NaiveDate,
    /// 督办已逾期（未办结且已过督办期限）
    pub overdue: bool,
    /// 办结日期（环节完成之日）
    pub closed_on: Option<NaiveDate>,
    /// 环节逾期天数（办结后）
    pub late_days: Option<i64>,
    /// 环节逾期工作日数（办结后）
    pub late_working_days: Option<i64>,
}

impl ItemOut {
    fn of(i: ItemRow, now: DateTime<Utc>) -> Self {
        ItemOut {
            overdue: i.closed_on.is_none() && is_overdue(i.due_on, now),
            id: i.id,
            case_id: i.case_id,
            step_kind: i.step_kind,
            step_due_on: i.step_due_on,
            step_owner: i.step_owner,
            county_code: i.county_code,
            household_no: i.household_no,
            region_code: i.region_code,
            level: i.level,
            raised_on: i.raised_on,
            due_on: i.due_on,
            closed_on: i.closed_on,
            late_days: i.late_days,
            late_working_days: i.late_working_days,
        }
    }
}

/// `GET /api/v1/monitoring/supervision`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/supervision",
    operation_id = "list_supervision",
    tag = tags::MONITORING,
    summary = "本级及下级的督办事项：未办结的在前，督办逾期的最前，再按督办期限",
    params(ItemFilter),
    responses((status = 200, description = "成功", body = Vec<ItemOut>), StandardErrors)
)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(f): ApiQuery<ItemFilter>,
) -> ApiResult<Vec<ItemOut>> {
    let limit = f.limit.unwrap_or(1000).clamp(1, 5000);
    let items = supervision::list(&st.app, &user.actor, f.all.unwrap_or(false), limit).await?;
    let now = st.app.now();
    Ok(Json(
        items.into_iter().map(|i| ItemOut::of(i, now)).collect(),
    ))
}

/// 待办中的一项。
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxEntryOut {
    /// 类别：supervision（督办）、case_step（案件时限）、alert（待处理预警）
    pub kind: String,
    /// 期限（预警无期限）
    pub due_on: Option<NaiveDate>,
    /// 已逾期
    pub overdue: bool,
    /// 时限颜色：green、amber、red（案件时限）
    pub colour: Option<String>,
    /// 案件编号
    pub case_id: Option<i64>,
    /// 异常结算月度反馈清单编号
    pub feedback_id: Option<i64>,
    /// 县级代码
    pub county_code: String,
    /// 户编号（反馈清单为空）
    pub household_no: String,
    /// 事项说明（中文）
    pub text: String,
}

/// `GET /api/v1/monitoring/inbox`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/inbox",
    operation_id = "inbox",
    tag = tags::MONITORING,
    summary = "我的待办：督办、案件时限和待处理预警，逾期的在前，再按期限",
    responses((status = 200, description = "成功", body = Vec<InboxEntryOut>), StandardErrors)
)]
pub async fn inbox(State(st): State<AppState>, user: CurrentUser) -> ApiResult<Vec<InboxEntryOut>> {
    let entries = jianfu_service::monitoring::inbox::inbox(&st.app, &user.actor).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| InboxEntryOut {
                kind: serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                due_on: e.due_on,
                overdue: e.overdue,
                colour: e.colour.map(|c| format!("{c:?}").to_lowercase()),
                case_id: e.case_id,
                feedback_id: e.feedback_id,
                county_code: e.county_code,
                household_no: e.household_no,
                text: e.text,
            })
            .collect(),
    ))
}
