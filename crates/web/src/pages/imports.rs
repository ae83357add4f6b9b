//! Imports (数据导入): upload a file of persons, diagnoses or claims or a
//! department push list, follow
//! the import in the background, download the error report and the
//! templates, and list the recent imports.

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::Permission;
use jianfu_ingest::FileKind;
use jianfu_store::BatchSort;
use maud::{Markup, html};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::jobs::{Job, JobState};
use crate::layout::page;
use crate::tables::{self, Cell, Column, ListParams, Table};
use jianfu_service::jobs::{ImportResult, JobError, NewUpload};

/// The kinds the caller may import.
pub(crate) fn kinds_for(user: &CurrentUser) -> Vec<FileKind> {
    let may = |k: &FileKind| user.may(jianfu_service::import::permission(*k));
    FileKind::ALL.into_iter().filter(may).collect()
}

fn require_any(user: &CurrentUser) -> Result<(), AppError> {
    if kinds_for(user).is_empty() {
        Err(AppError::Forbidden)
    } else {
        Ok(())
    }
}

fn kind_of(code: &str) -> Option<FileKind> {
    match code {
        "persons" => Some(FileKind::Persons),
        "diagnoses" => Some(FileKind::Diagnoses),
        "claims" => Some(FileKind::Claims),
        "pushes" => Some(FileKind::Pushes),
        _ => None,
    }
}

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "persons" => t(lang, "人员"),
        "diagnoses" => t(lang, "诊断"),
        "claims" => t(lang, "医保结算"),
        "pushes" => t(lang, "部门推送预警名单"),
        _ => t(lang, "其他"),
    }
}

/// Reads an upload (`kind`, `mode`, `file`) and starts its job; the job
/// id comes back.
pub(crate) async fn start_upload(
    st: &AppState,
    user: &CurrentUser,
    mut form: Multipart,
) -> Result<String, AppError> {
    require_any(user)?;
    let bad = |m: &str| AppError::BadRequest(m.to_string());
    let (mut kind, mut skip, mut file) = (None, false, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("上传内容无法读取：{e}")))?
    {
        match field.name().unwrap_or("") {
            "kind" => kind = kind_of(field.text().await.unwrap_or_default().trim()),
            "mode" => skip = field.text().await.unwrap_or_default().trim() == "skip",
            "file" => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                    .unwrap_or_default();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(format!("上传内容无法读取：{e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let kind = kind.ok_or_else(|| bad("请选择导入类型（persons、diagnoses、claims 或 pushes）"))?;
    if !kinds_for(user).contains(&kind) {
        return Err(AppError::Forbidden);
    }
    let Some((file_name, bytes)) = file.filter(|(n, b)| !n.is_empty() && !b.is_empty()) else {
        return Err(bad("请选择要导入的文件（CSV 或 XLSX）"));
    };
    let lower = file_name.to_ascii_lowercase();
    if !(lower.ends_with(".csv") || lower.ends_with(".xlsx")) {
        return Err(bad("只能导入 CSV 或 XLSX 文件"));
    }
    let size = bytes.len();
    let upload = NewUpload {
        kind,
        file_name,
        bytes,
        skip_invalid: skip,
    };
    let id = st
        .jobs
        .start(&st.app, user, upload)
        .await
        .map_err(|e| match e {
            JobError::Denied(_) => AppError::Forbidden,
            e => {
                tracing::error!(error = %e, "cannot enqueue the import");
                AppError::Internal
            }
        })?;
    tracing::info!(job = %id, kind = kind.name(), bytes = size, "import enqueued");
    Ok(id)
}

const BATCH_COLUMNS: [Column; 8] = [
    Column::num("id", "批次"),
    Column::text("started", "开始时间"),
    Column::text("kind", "类型"),
    Column::text("file", "文件"),
    Column::text("user", "导入人"),
    Column::plain("状态"),
    Column::num("rows", "数据行"),
    Column::num("errors", "错误数"),
];

fn batch_sort(key: Option<&str>) -> BatchSort {
    match key {
        Some("kind") => BatchSort::Kind,
        Some("file") => BatchSort::File,
        Some("user") => BatchSort::User,
        Some("rows") => BatchSort::Rows,
        Some("errors") => BatchSort::Errors,
        _ => BatchSort::Started,
    }
}

fn status_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "committed" => t(lang, "已写入"),
        "rolled_back" => t(lang, "未写入"),
        "rejected" => t(lang, "未写入"),
        "running" => t(lang, "进行中"),
        "interrupted" => t(lang, "已中断，未写入"),
        _ => t(lang, "其他"),
    }
}

/// `GET /imports`: the upload form, this session's jobs and the recent
/// imports.
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    require_any(&user).map_err(|e| PageError(e, lang))?;
    let admin = user
        .may(Permission::ManageUsers)
        .then(|| user.scope().prefix().to_string());
    let export = params.export().map_err(|e| PageError(e, lang))?;
    let (offset, limit) = match export {
        Some(_) => (0, tables::EXPORT_LIMIT),
        None => (params.offset(), params.limit()),
    };
    let sort = batch_sort(params.sort.as_deref());
    let desc = params.sort.is_none() || params.desc();
    let (batches, total) = async {
        let mut c = st.db.read().await?;
        jianfu_store::batches::import_batches(
            &mut c,
            &user.user.username,
            admin.as_deref(),
            sort,
            desc,
            offset,
            limit,
        )
        .await
    }
    .await
    .map_err(|e| PageError::new(e, lang))?;
    let rows: Vec<Vec<Cell>> = batches.iter().map(|b| batch_row(lang, b)).collect();
    if let Some(f) = export {
        return tables::export(lang, f, "imports", &BATCH_COLUMNS, &rows)
            .map_err(|e| PageError(e, lang));
    }
    let jobs = st
        .jobs
        .visible(&st.db, &user)
        .await
        .map_err(|e| PageError(e, lang))?;
    let kinds = kinds_for(&user);
    let table = Table {
        columns: &BATCH_COLUMNS,
        rows,
        total,
        params: &params,
        base: "/imports".into(),
        more: false,
        exportable: true,
    };
    let body = html! {
        h1 { (t(lang, "数据导入")) }
        (upload_form(&user, &kinds))
        @if !jobs.is_empty() {
            h2 { (t(lang, "最近的导入任务")) }
            (jobs_table(lang, &jobs))
        }
        h2 { (t(lang, "最近的导入")) }
        (tables::render(lang, &table))
    };
    Ok(page(&user, "/imports", t(lang, "数据导入"), body).into_response())
}

/// A row of the recent imports table.
fn batch_row(lang: Lang, b: &jianfu_store::batches::BatchRow) -> Vec<Cell> {
    vec![
        Cell::from(b.id.to_string()),
        Cell::from(b.started_at.format("%Y-%m-%d %H:%M").to_string()),
        Cell::from(kind_label(lang, &b.kind)),
        Cell::from(b.source_file.clone().unwrap_or_default()),
        Cell::from(b.user_name.clone()),
        Cell::from(status_label(lang, &b.status)),
        Cell::from(b.rows_total.to_string()),
        Cell::from(b.errors.to_string()),
    ]
}

/// The upload form and the templates of the kinds the user may import.
fn upload_form(user: &CurrentUser, kinds: &[FileKind]) -> Markup {
    let lang = user.lang;
    html! {
        form.stack method="post" enctype="multipart/form-data" action={"/imports?_csrf=" (user.csrf)} {
            label { (t(lang, "导入类型"))
                select name="kind" required {
                    @for k in kinds { option value=(k.name()) { (kind_label(lang, k.name())) } }
                }
            }
            label { (t(lang, "导入方式"))
                select name="mode" {
                    option value="all" selected { (t(lang, "全部正确才导入（默认）")) }
                    option value="skip" { (t(lang, "跳过错误行，只导入正确的行")) }
                }
            }
            label { (t(lang, "文件（CSV 或 XLSX）"))
                input type="file" name="file" required accept=".csv,.xlsx";
            }
            button type="submit" { (t(lang, "开始导入")) }
        }
        p.muted {
            (t(lang, "下载模板：")) " "
            @for k in kinds {
                a href={ "/imports/template/" (k.name()) ".xlsx" } { (kind_label(lang, k.name())) } " "
            }
        }
    }
}

/// This user's recent import jobs with their progress.
fn jobs_table(lang: Lang, jobs: &[Job]) -> Markup {
    html! {
        div.tablewrap { table.cards-sm {
            thead { tr { th { (t(lang, "文件")) } th { (t(lang, "类型")) } th { (t(lang, "进度")) } } }
            tbody { @for j in jobs {
                tr {
                    td data-label=(t(lang, "文件")) { a href={ "/imports/" (j.id) } { (j.file_name) } }
                    td data-label=(t(lang, "类型")) { (kind_label(lang, j.kind.name())) }
                    td data-label=(t(lang, "进度")) { (state_text(lang, j)) }
                }
            } }
        } }
    }
}

fn state_text(lang: Lang, j: &Job) -> String {
    match &j.state {
        JobState::Running => format!("{}%", j.percent()),
        JobState::Done(o) if o.committed => t(lang, "已写入").to_string(),
        JobState::Done(_) => t(lang, "未写入").to_string(),
        JobState::Failed(_) => t(lang, "失败").to_string(),
    }
}

/// `POST /imports` (multipart): starts the import, then shows its progress.
pub async fn upload(
    State(st): State<AppState>,
    user: CurrentUser,
    form: Multipart,
) -> Result<Response, PageError> {
    let id = start_upload(&st, &user, form)
        .await
        .map_err(|e| PageError(e, user.lang))?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

/// `GET /imports/{job}`: progress, then the result.
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let job = st
        .jobs
        .get(&st.db, &id, &user)
        .await
        .map_err(|e| PageError(e, lang))?
        .ok_or(PageError(AppError::NotFound, lang))?;
    let running = matches!(job.state, JobState::Running);
    let phase = match job.phase {
        Some(jianfu_service::ImportPhase::Checking) => t(lang, "检查"),
        Some(jianfu_service::ImportPhase::Writing) => t(lang, "写入"),
        None => t(lang, "排队"),
    };
    let body = html! {
        @if running { meta http-equiv="refresh" content="2"; }
        h1 { (t(lang, "导入")) " · " (job.file_name) }
        dl.kv {
            dt { (t(lang, "类型")) } dd { (kind_label(lang, job.kind.name())) }
            dt { (t(lang, "导入方式")) } dd {
                (if job.skip_invalid { t(lang, "跳过错误行，只导入正确的行") } else { t(lang, "全部正确才导入（默认）") })
            }
            dt { (t(lang, "开始时间")) } dd { (job.started.format("%Y-%m-%d %H:%M:%S")) }
        }
        @match &job.state {
            JobState::Running => {
                p { (t(lang, "正在")) (phase) " · " (job.percent()) "%" }
                progress max="100" value=(job.percent()) { (job.percent()) "%" }
                p.muted { (t(lang, "页面每两秒自动刷新。")) }
            }
            JobState::Failed(msg) => { p.err role="alert" { (t(lang, "导入失败：")) (msg) } }
            JobState::Done(o) if o.recovered => {
                p.muted { (t(lang, "处理该导入的服务曾中断；数据已完整写入，以下行数来自变更批次记录。")) }
                (result(lang, &job, o))
            }
            JobState::Done(o) => { (result(lang, &job, o)) }
        }
        p { a href="/imports" { (t(lang, "返回导入")) } }
    };
    Ok(page(&user, "/imports", t(lang, "导入"), body).into_response())
}

/// The outcome of a finished import: counts, the first problems and the
/// report's downloads.
fn result(lang: Lang, job: &Job, o: &ImportResult) -> Markup {
    html! {
        @if o.is_success() {
            p.ok id="result" { (t(lang, "导入完成，全部写入。")) }
        } @else if o.committed {
            p.warn id="result" { (t(lang, "已写入正确的行；有问题的行未写入，详见错误报告。")) }
        } @else {
            p.err id="result" { (t(lang, "整个文件未导入：发现错误。请修正后重新导入，或选择跳过错误行。")) }
        }
        div.cards {
            div.card { span.muted { (t(lang, "数据行")) } b #rows { (o.data_rows) } }
            div.card { span.muted { (t(lang, "写入行")) } b #written {
                (if o.committed { o.data_rows.saturating_sub(o.rejected_rows) } else { 0 })
            } }
            div.card { span.muted { (t(lang, "未写入行")) } b #rejected { (if o.committed { o.rejected_rows } else { o.data_rows }) } }
            div.card { span.muted { (t(lang, "错误")) } b { (o.errors) } }
            div.card { span.muted { (t(lang, "警告")) } b { (o.warnings) } }
        }
        @if (o.errors > 0 || o.warnings > 0) && job.report().is_some() {
            @let problems = report_preview(job, PREVIEW_PROBLEMS);
            @if !problems.is_empty() {
                h2 { (t(lang, "问题")) }
                @if o.errors + o.warnings > problems.len() as u64 {
                    p.muted { (t(lang, "下面列出前")) " " (problems.len()) " " (t(lang, "条，完整内容请下载错误报告。")) }
                }
                div.tablewrap { table.cards-sm #problems {
                    thead { tr {
                        th { (t(lang, "行号")) } th { (t(lang, "列")) } th { (t(lang, "值")) }
                        th { (t(lang, "问题")) } th { (t(lang, "级别")) }
                    } }
                    tbody { @for p in &problems {
                        tr {
                            td data-label=(t(lang, "行号")) { @if let Some(r) = p.row { (r) } }
                            td data-label=(t(lang, "列")) { (p.column) }
                            td data-label=(t(lang, "值")) { (p.value) }
                            td data-label=(t(lang, "问题")) { (p.problem) }
                            td data-label=(t(lang, "级别")) { (p.level) }
                        }
                    } }
                } }
            }
            div.exports {
                a.button href={ "/imports/" (job.id) "/report.xlsx" } { (t(lang, "下载错误报告 Excel")) }
                a.button.secondary href={ "/imports/" (job.id) "/report.csv" } { (t(lang, "下载错误报告 CSV")) }
            }
        }
    }
}

/// Problems shown on the result page and in the API's status; the rest
/// are in the report.
pub(crate) const PREVIEW_PROBLEMS: usize = 20;

/// One line of the error report (values are masked in the report
/// already), as the result page and the API's import status show it.
//
// The fields' documentation comments are descriptions in the OpenAPI
// document, hence in Chinese.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(description = "错误报告中的一条（值已脱敏）")]
pub(crate) struct Problem {
    /// 文件中的行号（表头为第1行）；整个文件的问题为 null
    row: Option<u32>,
    /// 列名
    column: String,
    /// 值（证件号已脱敏）
    value: String,
    /// 问题说明
    problem: String,
    /// 稳定的问题代码，如 id_checksum、outside_jurisdiction
    code: String,
    /// 错误或警告
    #[schema(schema_with = level_schema)]
    level: String,
}

/// The levels a report line can have: the labels the report writes.
fn level_schema() -> utoipa::openapi::schema::Object {
    use jianfu_ingest::Severity;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("错误或警告"))
        .enum_values(Some(
            [Severity::Error, Severity::Warning].map(Severity::label),
        ))
        .build()
}

/// The first `n` problems of a finished job's report, read from the top
/// of the file only; empty when it cannot be read.
pub(crate) fn report_preview(job: &Job, n: usize) -> Vec<Problem> {
    let Some(path) = job.report() else {
        return Vec::new();
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "cannot read import report");
            return Vec::new();
        }
    };
    let mut input = std::io::BufReader::new(file);
    // The report starts with a byte-order mark for Excel.
    if std::io::BufRead::fill_buf(&mut input).is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF")) {
        std::io::BufRead::consume(&mut input, 3);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    reader
        .records()
        .map_while(Result::ok)
        .take(n)
        .map(|r| {
            let cell = |i: usize| r.get(i).unwrap_or("").to_string();
            Problem {
                row: cell(1).parse().ok(),
                column: cell(2),
                value: cell(3),
                problem: cell(4),
                code: cell(5),
                level: cell(6),
            }
        })
        .collect()
}

/// The error report of a finished job as a streamed CSV download.
pub(crate) async fn report_csv(job: &Job, name: &str) -> Result<Response, AppError> {
    let path = job.report().ok_or(AppError::NotFound)?;
    crate::download::file(&path, name, "text/csv; charset=utf-8").await
}

/// The same report as an XLSX workbook (what `jianfu import --report
/// x.xlsx` writes: the same columns and rows), converted from the CSV
/// file row by row into a temporary workbook that is then streamed.
async fn report_xlsx(job: &Job, name: &str) -> Result<Response, AppError> {
    let csv = job.report().ok_or(AppError::NotFound)?;
    let out = crate::download::TempPath::new("xlsx");
    let target = out.0.clone();
    let converted =
        tokio::task::spawn_blocking(move || jianfu_ingest::csv_file_to_xlsx(&csv, &target))
            .await
            .map_err(|_| AppError::Internal)?;
    converted.map_err(|e| {
        tracing::error!(error = %e, "xlsx report failed");
        AppError::Internal
    })?;
    // Opened before `out` is dropped (and the name removed).
    crate::download::file(&out.0, name, XLSX).await
}

/// A download answer.
pub(crate) fn download(bytes: Vec<u8>, file: &str, ty: &str) -> Response {
    crate::download::bytes(bytes, file, ty)
}

/// MIME type of XLSX.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /imports/{job}/report.csv` and `…/report.xlsx`.
pub async fn report(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let nf = || PageError(AppError::NotFound, lang);
    let job = st
        .jobs
        .get(&st.db, &id, &user)
        .await
        .map_err(|e| PageError(e, lang))?
        .ok_or_else(nf)?;
    let stem = job
        .file_name
        .rsplit_once('.')
        .map_or(job.file_name.as_str(), |(s, _)| s);
    let answer = match file.as_str() {
        "report.csv" => report_csv(&job, &format!("{stem}.错误报告.csv")).await,
        "report.xlsx" => report_xlsx(&job, &format!("{stem}.错误报告.xlsx")).await,
        _ => return Err(nf()),
    };
    answer.map_err(|e| PageError(e, lang))
}

/// `GET /imports/template/{persons|diagnoses|claims}.xlsx`
pub async fn template(user: CurrentUser, Path(file): Path<String>) -> Result<Response, PageError> {
    let lang = user.lang;
    require_any(&user).map_err(|e| PageError(e, lang))?;
    let kind = file
        .strip_suffix(".xlsx")
        .and_then(kind_of)
        .ok_or(PageError(AppError::NotFound, lang))?;
    let dir = std::env::temp_dir().join(format!(
        "jianfu-template-{}",
        &jianfu_service::accounts::new_secret()[..16]
    ));
    let made = std::fs::create_dir_all(&dir).and_then(|()| {
        let path = dir.join("template.xlsx");
        jianfu_ingest::write_template(kind, &path).map_err(std::io::Error::other)?;
        std::fs::read(&path)
    });
    let _ = std::fs::remove_dir_all(&dir);
    let bytes = made.map_err(|e| {
        tracing::error!(error = %e, "template failed");
        PageError(AppError::Internal, lang)
    })?;
    Ok(download(
        bytes,
        &format!("{}导入模板.xlsx", kind.label()),
        XLSX,
    ))
}
