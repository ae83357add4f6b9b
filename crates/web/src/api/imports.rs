//! Imports through the API: upload (multipart), status, error report.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::response::Response;
use serde::Serialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, AppError};
use crate::jobs::JobState;
use crate::pages::imports::{
    PREVIEW_PROBLEMS, Problem, download, report_csv, report_preview, start_upload,
};

/// A started import.
#[derive(Debug, Serialize)]
pub struct Started {
    /// Job id, for `GET /api/v1/imports/{job}`.
    pub job: String,
}

/// An import's status.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Job id.
    pub job: String,
    /// `persons`, `diagnoses` or `claims`.
    pub kind: &'static str,
    /// The uploaded file's name.
    pub file: String,
    /// `running`, `done` or `failed`.
    pub status: &'static str,
    /// `checking` or `writing` while running.
    pub phase: Option<&'static str>,
    /// Percent done.
    pub percent: u32,
    /// True when the rows were written.
    pub committed: bool,
    /// Data rows in the file.
    pub rows_read: u64,
    /// Rows written.
    pub rows_written: u64,
    /// Rows not written.
    pub rows_rejected: u64,
    /// Errors found.
    pub errors: u64,
    /// Warnings.
    pub warnings: u64,
    /// The change batch.
    pub batch: Option<i64>,
    /// Why it failed, when it did.
    pub message: Option<String>,
    /// Whether an error report can be downloaded.
    pub has_report: bool,
    /// The report's first problems (at most 20), when done.
    pub problems: Vec<Problem>,
}

/// `POST /api/v1/imports` (multipart: `kind`, `mode`, `file`).
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
pub async fn status(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> ApiResult<Status> {
    let j = st.jobs.get(&id, &user).ok_or(AppError::NotFound)?;
    let mut s = Status {
        job: j.id.clone(),
        kind: j.kind.name(),
        file: j.file_name.clone(),
        status: "running",
        phase: j.phase.map(|p| match p {
            jianfu_service::ImportPhase::Checking => "checking",
            jianfu_service::ImportPhase::Writing => "writing",
        }),
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
            s.status = "failed";
            s.message = Some(m.clone());
        }
        JobState::Done(o) => {
            s.status = "done";
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
pub async fn report(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> Result<Response, ApiError> {
    let j = st.jobs.get(&id, &user).ok_or(AppError::NotFound)?;
    let bytes = report_csv(&j)?;
    Ok(download(bytes, "report.csv", "text/csv; charset=utf-8"))
}
