//! Imports through the API: upload (multipart), status, error report.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::response::Response;
use jianfu_ingest::FileKind;
use jianfu_service::ImportPhase;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, AppError};
use crate::jobs::JobState;
use crate::pages::imports::{PREVIEW_PROBLEMS, Problem, report_csv, report_preview, start_upload};

/// 导入类型。
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// 人员
    Persons,
    /// 诊断
    Diagnoses,
    /// 医保结算记录
    Claims,
    /// 部门推送预警名单：每行一条其他部门（医保、民政、教育、住建等）推送的预警，该户无在办案件时以“部门筛查预警”渠道立案，否则并入在办案件
    Pushes,
}

impl From<FileKind> for ImportKind {
    fn from(k: FileKind) -> Self {
        match k {
            FileKind::Persons => ImportKind::Persons,
            FileKind::Diagnoses => ImportKind::Diagnoses,
            FileKind::Claims => ImportKind::Claims,
            FileKind::Pushes => ImportKind::Pushes,
        }
    }
}

/// 导入任务的状态。
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// 进行中
    Running,
    /// 已完成
    Done,
    /// 失败
    Failed,
}

/// 进行中的导入所处阶段。
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// 读取并检查整个文件
    Checking,
    /// 写入通过检查的行
    Writing,
}

impl From<ImportPhase> for Phase {
    fn from(p: ImportPhase) -> Self {
        match p {
            ImportPhase::Checking => Phase::Checking,
            ImportPhase::Writing => Phase::Writing,
        }
    }
}

/// 导入方式。
// Documentation only, like [`UploadForm`]: the upload reads the field as
// text (anything but `skip` is `all`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Mode {
    /// 全部正确才导入（默认）
    All,
    /// 跳过错误行
    Skip,
}

/// 上传表单（multipart/form-data）。
// The form as `start_upload` reads it; documentation only, since the
// fields are read one by one from the multipart stream.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// 导入类型
    kind: ImportKind,
    /// all：全部正确才导入（默认）；skip：跳过错误行
    // Optional, but never null: a form field is absent or has a value.
    #[schema(required = false)]
    mode: Mode,
    /// CSV 或 XLSX 文件
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// 已开始的导入。
#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// 导入任务编号，用于 GET /api/v1/imports/{job}
    pub job: String,
}

/// 导入任务的状态和行数。
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// 导入任务编号
    pub job: String,
    /// 导入类型
    pub kind: ImportKind,
    /// 上传的文件名
    pub file: String,
    /// 状态
    pub status: JobStatus,
    /// 进行中时的阶段
    pub phase: Option<Phase>,
    /// 完成百分比
    pub percent: u32,
    /// 已写入数据时为 true
    pub committed: bool,
    /// 文件中的数据行数
    pub rows_read: u64,
    /// 写入的行数
    pub rows_written: u64,
    /// 未写入的行数
    pub rows_rejected: u64,
    /// 错误数
    pub errors: u64,
    /// 警告数
    pub warnings: u64,
    /// 变更批次编号
    pub batch: Option<i64>,
    /// 失败原因
    pub message: Option<String>,
    /// 是否可下载错误报告
    pub has_report: bool,
    /// 错误报告的前20条（证件号已脱敏）；完整内容见错误报告
    pub problems: Vec<Problem>,
}

/// `POST /api/v1/imports` (multipart: `kind`, `mode`, `file`).
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    operation_id = "start_import",
    tag = tags::IMPORTS,
    summary = "上传 CSV/XLSX 文件并在后台导入；只能导入调用者管辖范围内的行，范围外的行作为错误行报告",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "成功", body = Started), StandardErrors)
)]
pub async fn start(
    State(st): State<AppState>,
    user: CurrentUser,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Started> {
    let form =
        form.map_err(|e| AppError::BadRequest(format!("请以 multipart/form-data 上传文件：{e}")))?;
    let job = start_upload(&st, &user, form).await?;
    Ok(Json(Started { job }))
}

/// `GET /api/v1/imports/{job}`
#[utoipa::path(
    get,
    path = "/api/v1/imports/{job}",
    operation_id = "import_status",
    tag = tags::IMPORTS,
    summary = "导入任务的状态和行数",
    params(("job" = String, Path, description = "导入任务编号")),
    responses((status = 200, description = "成功", body = Status), StandardErrors)
)]
pub async fn status(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> ApiResult<Status> {
    let j = st
        .jobs
        .get(&st.db, &id, &user)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut s = Status {
        job: j.id.clone(),
        kind: j.kind.into(),
        file: j.file_name.clone(),
        status: JobStatus::Running,
        phase: j.phase.map(Phase::from),
        percent: j.percent(),
        committed: false,
        rows_read: 0,
        rows_written: 0,
        rows_rejected: 0,
        errors: 0,
        warnings: 0,
        batch: None,
        message: None,
        has_report: false,
        problems: Vec::new(),
    };
    match &j.state {
        JobState::Running => {}
        JobState::Failed(m) => {
            s.status = JobStatus::Failed;
            s.message = Some(m.clone());
        }
        JobState::Done(o) => {
            s.status = JobStatus::Done;
            s.committed = o.committed;
            s.rows_read = o.data_rows;
            s.rows_rejected = if o.committed {
                o.rejected_rows
            } else {
                o.data_rows
            };
            s.rows_written = o.data_rows - s.rows_rejected.min(o.data_rows);
            s.errors = o.errors;
            s.warnings = o.warnings;
            s.batch = o.batch_id;
            s.has_report = (o.errors > 0 || o.warnings > 0) && j.report().is_some();
            if s.has_report {
                s.problems = report_preview(&j, PREVIEW_PROBLEMS);
            }
        }
    }
    Ok(Json(s))
}

/// `GET /api/v1/imports/{job}/report`: the error report as CSV.
#[utoipa::path(
    get,
    path = "/api/v1/imports/{job}/report",
    operation_id = "import_report",
    tag = tags::IMPORTS,
    summary = "错误报告（CSV，UTF-8 带 BOM）",
    params(("job" = String, Path, description = "导入任务编号")),
    responses(
        (status = 200, description = "错误报告", body = String, content_type = "text/csv"),
        StandardErrors
    )
)]
pub async fn report(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> Result<Response, ApiError> {
    let j = st
        .jobs
        .get(&st.db, &id, &user)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(report_csv(&j, "report.csv").await?)
}
