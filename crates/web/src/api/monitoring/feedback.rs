//! The counties' monthly feedback lists of A1–A3 findings through the
//! API: the lists of the jurisdiction, one list with its findings, and a
//! county's answer to a finding (核查反馈).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use jianfu_service::monitoring::feedback::{self, Month};
use jianfu_store::monitoring::feedback::{FeedbackRow, FindingRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::openapi::{StandardErrors, tags};
use crate::auth::CurrentUser;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};

/// 反馈清单的筛选条件。
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// 只列此月份的清单（YYYY-MM）
    pub month: Option<String>,
    /// 最多条数（1–5000，默认 1000）
    pub limit: Option<i64>,
}

/// 一个县一个月的异常结算反馈清单。
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOut {
    /// 清单编号
    pub id: i64,
    /// 参保县代码
    pub county_code: String,
    /// 所属月份（YYYY-MM）
    pub month: String,
    /// 生成日期
    pub raised_on: NaiveDate,
    /// 反馈期限
    pub due_on: NaiveDate,
    /// 全部反馈完毕之日（无异常的清单为生成之日）
    pub done_on: Option<NaiveDate>,
    /// 异常结算数
    pub findings: i64,
    /// 已反馈数
    pub answered: i64,
    /// 生成时间
    pub raised_at: DateTime<Utc>,
}

impl From<FeedbackRow> for ListOut {
    fn from(l: FeedbackRow) -> Self {
        ListOut {
            id: l.id,
            county_code: l.county_code,
            month: l.month,
            raised_on: l.raised_on,
            due_on: l.due_on,
            done_on: l.done_on,
            findings: l.findings,
            answered: l.answered,
            raised_at: l.raised_at,
        }
    }
}

/// 一条异常结算。
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingOut {
    /// 编号
    pub id: i64,
    /// 结算单号
    pub claim_id: String,
    /// 户编号
    pub household_no: String,
    /// 所在村代码
    pub village_code: String,
    /// 结算日期
    pub settled_on: NaiveDate,
    /// 问题规则，如 ["A1","A3"]
    pub rules: Vec<String>,
    /// 医疗总费用（元，两位小数）
    pub total: String,
    /// 个人自付（元，两位小数）
    pub out_of_pocket: String,
    /// 实际报销比例（如 "84.99%"）
    pub actual_ratio: String,
    /// 说明（中文，身份证号已脱敏）
    pub explanation: String,
    /// 核查反馈
    pub answer: Option<String>,
    /// 反馈人
    pub answered_by: Option<String>,
    /// 反馈日期
    pub answered_on: Option<NaiveDate>,
}

impl From<FindingRow> for FindingOut {
    fn from(f: FindingRow) -> Self {
        FindingOut {
            id: f.id,
            claim_id: f.claim_id,
            household_no: f.household_no,
            village_code: f.village_code,
            settled_on: f.settled_on,
            rules: f.rules.split(',').map(str::to_string).collect(),
            total: jianfu_domain::Money::from_fen(f.total).to_string(),
            out_of_pocket: jianfu_domain::Money::from_fen(f.out_of_pocket).to_string(),
            actual_ratio: format!("{}.{:02}%", f.actual_ratio / 100, f.actual_ratio % 100),
            explanation: f.explanation,
            answer: f.answer,
            answered_by: f.answered_by,
            answered_on: f.answered_on,
        }
    }
}

/// 一个清单及其中管辖范围内的异常结算。
#[derive(Debug, Serialize, ToSchema)]
pub struct ListDetailOut {
    /// 清单
    pub list: ListOut,
    /// 异常结算（按村、户、结算单号）
    pub findings: Vec<FindingOut>,
}

/// 核查反馈。
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerIn {
    /// 核查反馈意见（必填，至多 500 字）
    pub answer: String,
}

/// `GET /api/v1/monitoring/feedback`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/feedback",
    operation_id = "list_feedback",
    tag = tags::MONITORING,
    summary = "管辖范围内各县的异常结算月度反馈清单，新月份在前",
    params(ListFilter),
    responses((status = 200, description = "成功", body = Vec<ListOut>), StandardErrors)
)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(f): ApiQuery<ListFilter>,
) -> ApiResult<Vec<ListOut>> {
    let month = f.month.as_deref().map(Month::parse).transpose()?;
    let limit = f.limit.unwrap_or(1000).clamp(1, 5000);
    let lists = feedback::lists(&st.app, &user.actor, month, limit).await?;
    Ok(Json(lists.into_iter().map(ListOut::from).collect()))
}

/// `GET /api/v1/monitoring/feedback/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/feedback/{id}",
    operation_id = "get_feedback",
    tag = tags::MONITORING,
    summary = "一个反馈清单及其中管辖范围内的异常结算",
    params(("id" = i64, Path, description = "清单编号")),
    responses((status = 200, description = "成功", body = ListDetailOut), StandardErrors)
)]
pub async fn get(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ListDetailOut> {
    let (list, findings) = feedback::list_detail(&st.app, &user.actor, id).await?;
    Ok(Json(ListDetailOut {
        list: list.into(),
        findings: findings.into_iter().map(FindingOut::from).collect(),
    }))
}

/// `POST /api/v1/monitoring/feedback/findings/{id}/answer`
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/feedback/findings/{id}/answer",
    operation_id = "answer_finding",
    tag = tags::MONITORING,
    summary = "对一条异常结算提交核查反馈（每条只能反馈一次）",
    params(("id" = i64, Path, description = "异常结算编号")),
    request_body = AnswerIn,
    responses((status = 200, description = "成功", body = FindingOut), StandardErrors)
)]
pub async fn answer(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AnswerIn>,
) -> ApiResult<FindingOut> {
    let done = feedback::answer(&st.app, &user.actor, id, &body.answer).await?;
    Ok(Json(done.into()))
}
