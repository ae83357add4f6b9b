//! Cases through the API: the list, opening by hand, one case, a step,
//! attachments up (multipart) and down.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::response::Response;
use chrono::NaiveDate;
use jianfu_domain::Money;
use jianfu_monitoring::case::Channel;
use jianfu_service::monitoring::cases::{self, CaseQuery, MeasureInput, StepRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::alerts::OpenedOut;
use super::dto::{CaseDetailOut, CaseLineOut};
use crate::AppState;
use crate::api::openapi::{StandardErrors, tags};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, AppError};

/// 案件列表的筛选条件。
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    /// 地区代码前缀（乡镇、村；默认：整个管辖地区）
    pub region: Option<String>,
    /// 只列此状态（如 pre_warning、monitored）
    pub state: Option<String>,
    /// 只列有逾期时限的案件
    pub overdue: Option<bool>,
}

/// `GET /api/v1/monitoring/cases`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/cases",
    operation_id = "list_cases",
    tag = tags::MONITORING,
    summary = "管辖地区内的监测案件（新的在前），附最紧迫的时限及颜色",
    params(CaseFilter),
    responses((status = 200, description = "成功", body = Vec<CaseLineOut>), StandardErrors)
)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(f): ApiQuery<CaseFilter>,
) -> ApiResult<Vec<CaseLineOut>> {
    let q = CaseQuery {
        region: f.region,
        state: f.state,
        overdue: f.overdue.unwrap_or(false),
    };
    let lines = cases::list_cases(&st.app, &user.actor, &q).await?;
    Ok(Json(lines.into_iter().map(CaseLineOut::from).collect()))
}

/// 手工立案。
#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenIn {
    /// 户编号
    pub household: String,
    /// 县级代码（户编号不以县级代码开头时必填）
    pub county: Option<String>,
    /// 发现渠道：self_declaration、cadre_screening、department_data、social_supervision
    pub channel: String,
    /// 办理意见
    pub note: String,
}

/// `POST /api/v1/monitoring/cases`
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/cases",
    operation_id = "open_case",
    tag = tags::MONITORING,
    summary = "按户编号手工立案（农户申报、干部排查、部门筛查、社会监督）",
    request_body = OpenIn,
    responses((status = 200, description = "成功", body = OpenedOut), StandardErrors)
)]
pub async fn open(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<OpenIn>,
) -> ApiResult<OpenedOut> {
    let channel = Channel::from_code(&body.channel)
        .filter(|c| Channel::MANUAL.contains(c))
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "渠道“{}”无效：应为 self_declaration、cadre_screening、department_data 或 social_supervision",
                body.channel
            ))
        })?;
    let o = cases::open_manual(
        &st.app,
        &user.actor,
        body.county.as_deref(),
        &body.household,
        channel,
        &body.note,
    )
    .await?;
    Ok(Json(OpenedOut {
        case_id: o.case_id,
        joined: o.joined,
    }))
}

/// `GET /api/v1/monitoring/cases/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/cases/{id}",
    operation_id = "get_case",
    tag = tags::MONITORING,
    summary = "案件详情：办理记录、时限（含颜色）、帮扶措施、附件、关联预警和调用者可办理的环节",
    params(("id" = i64, Path, description = "案件编号")),
    responses((status = 200, description = "成功", body = CaseDetailOut), StandardErrors)
)]
pub async fn get(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<CaseDetailOut> {
    let d = cases::case_detail(&st.app, &user.actor, id).await?;
    Ok(Json(d.into()))
}

/// 帮扶措施。
#[derive(Debug, Deserialize, ToSchema)]
pub struct MeasureIn {
    /// 类型：family_doctor_contract、major_illness_treatment、triple_settlement、chronic_certification、treat_first_pay_later、temporary_assistance_referral、other
    pub measure_type: String,
    /// 部门：health、medical_insurance、civil_affairs、other
    pub department: String,
    /// 开始日期（默认今天）
    pub start_on: Option<NaiveDate>,
    /// 金额（元，如 "500.00"）
    pub amount: Option<String>,
    /// 责任人
    pub responsible: String,
    /// 措施说明（类型为 other 时必填）
    #[serde(default)]
    pub description: String,
}

/// 办理一个环节。
#[derive(Debug, Deserialize, ToSchema)]
pub struct StepIn {
    /// 环节代码：start_verification、confirm_risk、close_no_risk、green_channel、start_publicity、record_objection、resolve_objection、end_publicity、township_approve、county_approve、reject、record_home_visit、record_measure、propose_elimination、resume_monitoring、end_follow_on
    pub action: String,
    /// 办理意见（必填）
    pub note: String,
    /// 理由（结案、不予纳入、绿色通道、处理异议、恢复监测时必填）
    pub reason: Option<String>,
    /// 处理异议：异议是否成立
    pub upheld: Option<bool>,
    /// 启动风险消除：收入稳定在监测范围以上的月数
    pub stable_months: Option<u32>,
    /// 登记帮扶措施：措施内容
    pub measure: Option<MeasureIn>,
}

/// 办理的结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDoneOut {
    /// 案件编号
    pub case_id: i64,
    /// 办理后的状态代码
    pub state: String,
    /// 办理记录编号
    pub step_id: i64,
}

/// A step of the API as the use case's request.
pub fn step_request(s: StepIn) -> Result<StepRequest, AppError> {
    let measure = match s.measure {
        None => None,
        Some(m) => Some(MeasureInput {
            amount: m
                .amount
                .map(|a| {
                    Money::from_yuan_str_non_negative(&a)
                        .map_err(|_| AppError::BadRequest(format!("金额“{a}”无效")))
                })
                .transpose()?,
            measure_type: m.measure_type,
            department: m.department,
            start_on: m.start_on,
            responsible: m.responsible,
            description: m.description,
        }),
    };
    Ok(StepRequest {
        action: s.action,
        note: s.note,
        reason: s.reason,
        upheld: s.upheld,
        stable_months: s.stable_months,
        measure,
        files: Vec::new(),
    })
}

/// `POST /api/v1/monitoring/cases/{id}/steps`
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/cases/{id}/steps",
    operation_id = "take_step",
    tag = tags::MONITORING,
    summary = "办理一个环节；角色、状态或条件不符时答 400 并说明原因；附件另行上传",
    params(("id" = i64, Path, description = "案件编号")),
    request_body = StepIn,
    responses((status = 200, description = "成功", body = StepDoneOut), StandardErrors)
)]
pub async fn step(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StepIn>,
) -> ApiResult<StepDoneOut> {
    let req = step_request(body)?;
    let d = cases::take_step(&st.app, &user.actor, id, &req).await?;
    Ok(Json(StepDoneOut {
        case_id: d.case_id,
        state: d.state,
        step_id: d.timeline_id,
    }))
}

/// 上传附件（multipart/form-data）。
// Documentation only: the fields are read from the multipart stream.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentForm {
    /// 照片或扫描件（JPEG、PNG、PDF，每个不超过 10 MB；可重复）
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// 上传的附件。
#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    /// 附件编号
    pub ids: Vec<i64>,
}

/// `POST /api/v1/monitoring/cases/{id}/attachments`
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/cases/{id}/attachments",
    operation_id = "upload_attachments",
    tag = tags::MONITORING,
    summary = "为案件上传照片或扫描件（按文件内容判断类型，只收 JPEG、PNG、PDF，每个不超过 10 MB）",
    params(("id" = i64, Path, description = "案件编号")),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "成功", body = Uploaded), StandardErrors)
)]
pub async fn upload(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Uploaded> {
    let form =
        form.map_err(|e| AppError::BadRequest(format!("请以 multipart/form-data 上传文件：{e}")))?;
    let form = super::form::read(form).await?;
    let ids = cases::add_attachments(&st.app, &user.actor, id, &form.files).await?;
    Ok(Json(Uploaded { ids }))
}

/// `GET /api/v1/monitoring/attachments/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/attachments/{id}",
    operation_id = "download_attachment",
    tag = tags::MONITORING,
    summary = "下载附件（原文件）",
    params(("id" = i64, Path, description = "附件编号")),
    responses(
        (status = 200, description = "附件内容（上传时按文件头确定的类型）", content(
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "application/pdf"),
        )),
        StandardErrors
    )
)]
pub async fn download(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    Ok(attachment_response(&st, &user, id).await?)
}

/// The attachment as a download (shared with the case page).
pub async fn attachment_response(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Response, AppError> {
    let (row, content) = cases::attachment(&st.app, &user.actor, id).await?;
    Ok(crate::download::bytes(
        content,
        &row.file_name,
        &row.media_type,
    ))
}
