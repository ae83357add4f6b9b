//! `GET /monitoring/cases/{id}`: one case — its state, deadlines coloured
//! green, amber or red at the App's clock, the timeline with the files of
//! each step, measures, attachments, linked alerts and department
//! pushes (部门推送预警) — and one form for each
//! step this user may take now (`procedure::available`: only what
//! `procedure::may` allows and the state fits), with the note, the reason
//! or data the step needs and photos or scans. `POST
//! /monitoring/cases/{id}/step` (multipart) takes the step; a refusal
//! shows the page again with the procedure's message.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_domain::{Money, time::china};
use jianfu_monitoring::case::ActionKind;
use jianfu_monitoring::{Department, MeasureType};
use jianfu_service::UseCaseError;
use jianfu_service::monitoring::cases::{self, CaseDetail, MeasureInput, StepRequest};
use maud::{Markup, html};
use serde::Deserialize;

use super::{alert_status_label, channel_label, colour_badge, push_line, state_label};
use crate::AppState;
use crate::api::monitoring::form::{self, Form};
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::page;

/// What the page says after a step.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// The step's label.
    pub done: Option<String>,
}

/// `GET /monitoring/cases/{id}`
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::extract::Query(d): axum::extract::Query<Done>,
) -> Result<Response, PageError> {
    let detail = cases::case_detail(&st.app, &user.actor, id)
        .await
        .map_err(|e| PageError(e.into(), user.lang))?;
    let notice = d.done.map(|m| html! { p.ok role="status" { (m) } });
    Ok(render(&user, &detail, notice).into_response())
}

fn render(user: &CurrentUser, d: &CaseDetail, notice: Option<Markup>) -> Markup {
    let lang = user.lang;
    let c = &d.case;
    let title = format!("{} {}", t(lang, "监测案件"), c.id);
    let body = html! {
        h1 { (title) }
        @if let Some(n) = notice { (n) }
        div.card {
            p { (t(lang, "户编号")) "："
                a href=(format!("/households/{}/{}", c.county_code, encode(&c.household_no))) { (c.household_no) }
                " · " (t(lang, "所在村")) "：" (c.village_code) }
            p { (t(lang, "状态")) "：" b #case-state data-state=(c.state) { (state_label(&c.state)) }
                @if c.green_channel { " " span.dl.dl-amber { (t(lang, "绿色通道")) } } }
            p { (t(lang, "发现渠道")) "：" (channel_label(&c.channel)) " · "
                (t(lang, "立案")) "：" (c.opened_on) "（" (c.opened_by) "）" }
            @if let Some(e) = c.publicity_earliest_end { p { (t(lang, "公示最早结束日期")) "：" (e) } }
            @if c.open_objections > 0 { p.warn { (t(lang, "待处理的公示异议")) "：" (c.open_objections) } }
            @if let Some(u) = c.follow_on_until { p { (t(lang, "跟踪监测至")) "：" (u) } }
        }
        (deadlines(user, d))
        (steps(user, d))
        (timeline(user, d))
        (measures(user, d))
        @if !d.pushes.is_empty() {
            h2 { (t(lang, "部门推送预警")) }
            ul.pushes { @for p in &d.pushes { (push_line(lang, p)) } }
        }
        @if !d.alerts.is_empty() {
            h2 { (t(lang, "关联预警")) }
            ul { @for a in &d.alerts { li { b { (a.rule) } " " (a.year) " · " (alert_status_label(&a.status)) "：" (a.explanation) } } }
        }
    };
    page(user, "/monitoring/cases", &title, body)
}

fn deadlines(user: &CurrentUser, d: &CaseDetail) -> Markup {
    let lang = user.lang;
    html! {
        h2 { (t(lang, "办理时限")) }
        @if d.deadlines.is_empty() { p.muted { (t(lang, "暂无时限")) } }
        ul.deadlines {
            @for dl in &d.deadlines {
                li data-kind=(dl.row.kind) {
                    (dl.label) "：" (dl.row.opened_on) " → " (dl.row.due_on) " "
                    @match dl.row.done_on {
                        Some(done) => {
                            span.muted { (done) " " (t(lang, "完成")) @if dl.late { "（" (t(lang, "逾期")) "）" } }
                        }
                        None => { (colour_badge(dl.colour)) }
                    }
                }
            }
        }
    }
}

fn timeline(user: &CurrentUser, d: &CaseDetail) -> Markup {
    let lang = user.lang;
    html! {
        h2 { (t(lang, "办理记录")) }
        ol.timeline {
            @for s in &d.timeline {
                li data-action=(s.action) {
                    (s.text)
                    span.muted { "（" (s.username) "，" (s.at.with_timezone(&china()).format("%Y-%m-%d %H:%M")) "）" }
                    @for a in d.attachments.iter().filter(|a| a.timeline_id == Some(s.id)) {
                        br; a.attachment href=(format!("/monitoring/attachments/{}", a.id)) { "📎 " (a.file_name) }
                    }
                }
            }
        }
        @let loose: Vec<_> = d.attachments.iter().filter(|a| a.timeline_id.is_none()).collect();
        @if !loose.is_empty() {
            h2 { (t(lang, "其他附件")) }
            ul { @for a in loose { li { a.attachment href=(format!("/monitoring/attachments/{}", a.id)) { (a.file_name) } " " (a.uploaded_by) } } }
        }
    }
}

fn measures(user: &CurrentUser, d: &CaseDetail) -> Markup {
    let lang = user.lang;
    let label =
        |code: &str| MeasureType::from_code(code).map_or(code.to_string(), |m| m.label().into());
    let dept =
        |code: &str| Department::from_code(code).map_or(code.to_string(), |m| m.label().into());
    html! {
        @if !d.measures.is_empty() {
            h2 { (t(lang, "帮扶措施")) }
            ul {
                @for m in &d.measures {
                    li { (label(&m.measure_type)) "（" (dept(&m.department)) "）" (m.start_on) " " (t(lang, "起")) "，"
                        (t(lang, "责任人")) " " (m.responsible)
                        @if let Some(a) = m.amount { "，" (Money::from_fen(a)) " " (t(lang, "元")) }
                        @if !m.description.is_empty() { "，" (m.description) } }
                }
            }
        }
    }
}

fn steps(user: &CurrentUser, d: &CaseDetail) -> Markup {
    let lang = user.lang;
    html! {
        @if !d.allowed.is_empty() {
            h2 { (t(lang, "可办理的环节")) }
            @for a in &d.allowed {
                details.step {
                    summary { (a.label()) }
                    form.stack method="post" enctype="multipart/form-data" data-action=(a.code())
                        action={ "/monitoring/cases/" (d.case.id) "/step?_csrf=" (user.csrf) } {
                        input type="hidden" name="action" value=(a.code());
                        (step_fields(user, *a))
                        label { (t(lang, "办理意见")) textarea name="note" required maxlength="500" rows="2" {} }
                        label { (t(lang, "照片或扫描件（JPEG、PNG、PDF，每个不超过 10 MB）"))
                            input type="file" name="file" multiple accept="image/jpeg,image/png,application/pdf"; }
                        button type="submit" { (a.label()) }
                    }
                }
            }
        }
    }
}

fn step_fields(user: &CurrentUser, a: ActionKind) -> Markup {
    let lang = user.lang;
    html! {
        @if a.needs_reason() {
            label { (t(lang, "理由")) textarea name="reason" required maxlength="500" rows="2" {} }
        }
        @if a == ActionKind::ResolveObjection {
            label { (t(lang, "异议是否成立"))
                select name="upheld" { option value="false" { (t(lang, "不成立")) } option value="true" { (t(lang, "成立")) } } }
        }
        @if a == ActionKind::ProposeElimination {
            label { (t(lang, "收入稳定在监测范围以上的月数")) input type="number" name="stable_months" min="0" max="120" required; }
        }
        @if a == ActionKind::RecordMeasure {
            label { (t(lang, "措施类型"))
                select name="measure_type" { @for m in MeasureType::ALL { option value=(m.code()) { (m.label()) } } } }
            label { (t(lang, "实施部门"))
                select name="department" { @for dp in Department::ALL { option value=(dp.code()) { (dp.label()) } } } }
            label { (t(lang, "开始日期")) input type="date" name="start_on"; }
            label { (t(lang, "金额（元，可不填）")) input name="amount" inputmode="decimal" maxlength="16"; }
            label { (t(lang, "责任人")) input name="responsible" required maxlength="100"; }
            label { (t(lang, "措施说明")) input name="description" maxlength="100"; }
        }
    }
}

/// The step of a submitted form.
fn step_request(f: Form) -> Result<StepRequest, AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    let stable_months = match f.text("stable_months") {
        None => None,
        Some(v) => Some(v.parse().map_err(|_| bad(format!("月数“{v}”无效")))?),
    };
    let measure = match f.text("measure_type") {
        None => None,
        Some(measure_type) => Some(MeasureInput {
            measure_type,
            department: f.text("department").unwrap_or_default(),
            start_on: match f.text("start_on") {
                None => None,
                Some(v) => Some(
                    NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                        .map_err(|_| bad(format!("日期“{v}”无效")))?,
                ),
            },
            amount: match f.text("amount") {
                None => None,
                Some(v) => Some(
                    Money::from_yuan_str_non_negative(&v)
                        .map_err(|_| bad(format!("金额“{v}”无效")))?,
                ),
            },
            responsible: f.text("responsible").unwrap_or_default(),
            description: f.text("description").unwrap_or_default(),
        }),
    };
    Ok(StepRequest {
        action: f.text("action").unwrap_or_default(),
        note: f.text("note").unwrap_or_default(),
        reason: f.text("reason"),
        upheld: f.text("upheld").map(|v| v == "true"),
        stable_months,
        measure,
        files: f.files,
    })
}

/// `POST /monitoring/cases/{id}/step`
pub async fn step(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let form = form.map_err(|e| err(AppError::BadRequest(format!("表单无法读取：{e}"))))?;
    let req = step_request(form::read(form).await.map_err(err)?).map_err(err)?;
    match cases::take_step(&st.app, &user.actor, id, &req).await {
        Ok(_) => {
            let label = ActionKind::from_code(&req.action).map_or("", |a| a.label());
            let done = encode(&format!("已办理：{label}"));
            Ok(Redirect::to(&format!("/monitoring/cases/{id}?done={done}")).into_response())
        }
        Err(UseCaseError::Invalid(message)) => {
            let detail = cases::case_detail(&st.app, &user.actor, id)
                .await
                .map_err(|e| err(e.into()))?;
            let notice = html! { p.err role="alert" { (message) } };
            Ok((
                StatusCode::BAD_REQUEST,
                render(&user, &detail, Some(notice)),
            )
                .into_response())
        }
        Err(e) => Err(err(e.into())),
    }
}

/// `GET /monitoring/attachments/{id}`
pub async fn attachment(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, PageError> {
    crate::api::monitoring::cases::attachment_response(&st, &user, id)
        .await
        .map_err(|e| PageError(e, user.lang))
}
