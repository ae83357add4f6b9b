//! The counties' monthly feedback lists of A1–A3 findings (异常结算月度
//! 反馈清单): `GET /monitoring/feedback` lists them (one per county and
//! month, with how many findings are answered), `GET
//! /monitoring/feedback/{id}` shows one list's findings with a form to
//! answer each (核查反馈), and `POST
//! /monitoring/feedback/findings/{id}/answer` records an answer. Both
//! lists export to XLSX/CSV; the exported list is the sheet a county
//! works through.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use jianfu_domain::{Money, Permission};
use jianfu_monitoring::deadline::is_overdue;
use jianfu_service::monitoring::feedback::{self, Month};
use jianfu_store::monitoring::feedback::{FeedbackRow, FindingRow};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::{csrf_field, page};
use crate::tables::{self, Cell, Column, ListParams, Table};

/// The lists' filter.
#[derive(Debug, Default, Deserialize)]
pub struct ListFilter {
    /// `YYYY-MM`: that month's lists only.
    pub month: Option<String>,
}

const LIST_COLUMNS: [Column; 8] = [
    Column::plain("清单编号"),
    Column::plain("县（区）"),
    Column::plain("月份"),
    Column::plain("生成日期"),
    Column::plain("反馈期限"),
    Column::num("", "异常结算数"),
    Column::num("", "已反馈"),
    Column::plain("状态"),
];

/// The most lists a page reads.
const MOST: i64 = 5_000;

/// A list's state in words at `now`.
fn list_state(l: &FeedbackRow, now: DateTime<Utc>) -> String {
    match l.done_on {
        Some(on) if l.findings == 0 => format!("无异常（{on}）"),
        Some(on) => format!("已反馈完毕（{on}）"),
        None if is_overdue(l.due_on, now) => "逾期未反馈".into(),
        None => "待反馈".into(),
    }
}

fn list_cells(l: &FeedbackRow, now: DateTime<Utc>) -> Vec<Cell> {
    vec![
        Cell::link(l.id.to_string(), format!("/monitoring/feedback/{}", l.id)),
        l.county_code.clone().into(),
        l.month.clone().into(),
        l.raised_on.to_string().into(),
        l.due_on.to_string().into(),
        l.findings.to_string().into(),
        l.answered.to_string().into(),
        list_state(l, now).into(),
    ]
}

/// `GET /monitoring/feedback`
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<ListFilter>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let month = match f.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(Month::parse(m).map_err(|e| err(e.into()))?),
        None => None,
    };
    let lists = feedback::lists(&st.app, &user.actor, month, MOST)
        .await
        .map_err(|e| err(e.into()))?;
    let now = st.app.now();
    if let Some(format) = p.export().map_err(err)? {
        let rows: Vec<Vec<Cell>> = lists.iter().map(|l| list_cells(l, now)).collect();
        return tables::export(lang, format, "异常结算月度反馈清单", &LIST_COLUMNS, &rows)
            .map_err(err);
    }
    let shown = lists
        .iter()
        .skip(p.offset() as usize)
        .take(p.limit() as usize)
        .map(|l| list_cells(l, now))
        .collect();
    let base = match month {
        Some(m) => format!("/monitoring/feedback?month={m}"),
        None => "/monitoring/feedback".to_string(),
    };
    let table = tables::render(
        lang,
        &Table {
            columns: &LIST_COLUMNS,
            rows: shown,
            total: lists.len() as i64,
            params: &p,
            base,
            more: false,
            exportable: true,
        },
    );
    let body = html! {
        h1 { (t(lang, "异常结算月度反馈清单")) }
        p.hint { (t(lang, "每月初，上月及此前十二个月内结算、尚未列入清单的贫困人口住院结算中，未实行“一站式”结算（A1）、实际报销比例偏低（A2）或个人自付偏高（A3）的，列入参保县的清单。县级逐条核查反馈；逾期未反馈的，由市级、省级逐级督办。")) }
        form.inline method="get" action="/monitoring/feedback" {
            label { (t(lang, "月份")) input type="month" name="month" value=[month.map(|m| m.to_string())]; }
            button type="submit" { (t(lang, "查询")) }
        }
        (table)
    };
    Ok(page(&user, "/monitoring/feedback", t(lang, "异常结算反馈"), body).into_response())
}

const FINDING_COLUMNS: [Column; 12] = [
    Column::plain("结算单号"),
    Column::plain("户编号"),
    Column::plain("所在村"),
    Column::plain("结算日期"),
    Column::plain("问题"),
    Column::money("", "医疗总费用（元）"),
    Column::money("", "个人自付（元）"),
    Column::plain("实际报销比例"),
    Column::plain("说明"),
    Column::plain("核查反馈"),
    Column::plain("反馈人"),
    Column::plain("反馈日期"),
];

/// A ratio in ten-thousandths as a percentage, e.g. `84.99%`.
fn percent(ten_thousandths: i64) -> String {
    format!("{}.{:02}%", ten_thousandths / 100, ten_thousandths % 100)
}

fn finding_cells(f: &FindingRow) -> Vec<Cell> {
    vec![
        f.claim_id.clone().into(),
        Cell::link(
            f.household_no.clone(),
            format!("/households/{}/{}", f.county_code, encode(&f.household_no)),
        ),
        f.village_code.clone().into(),
        f.settled_on.to_string().into(),
        f.rules.clone().into(),
        Money::from_fen(f.total).to_string().into(),
        Money::from_fen(f.out_of_pocket).to_string().into(),
        percent(f.actual_ratio).into(),
        f.explanation.clone().into(),
        f.answer.clone().unwrap_or_default().into(),
        f.answered_by.clone().unwrap_or_default().into(),
        f.answered_on
            .map(|d| d.to_string())
            .unwrap_or_default()
            .into(),
    ]
}

/// `GET /monitoring/feedback/{id}`
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let (list, findings) = feedback::list_detail(&st.app, &user.actor, id)
        .await
        .map_err(|e| err(e.into()))?;
    if let Some(format) = p.export().map_err(err)? {
        let rows: Vec<Vec<Cell>> = findings.iter().map(finding_cells).collect();
        let title = format!("异常结算反馈清单_{}_{}", list.county_code, list.month);
        return tables::export(lang, format, &title, &FINDING_COLUMNS, &rows).map_err(err);
    }
    let now = st.app.now();
    let title = format!(
        "{} {} {}",
        list.county_code,
        list.month,
        t(lang, "异常结算反馈清单")
    );
    let base = format!("/monitoring/feedback/{id}");
    let body = html! {
        h1 { (title) }
        p {
            (t(lang, "反馈期限")) "：" (list.due_on) " · "
            (t(lang, "已反馈")) " " strong data-answered=(list.answered) { (list.answered) } " / " (list.findings) " · "
            span data-state=(list_state(&list, now)) { (list_state(&list, now)) }
        }
        p {
            a href={ (base) "?format=xlsx" } { (t(lang, "导出 Excel")) } " · "
            a href={ (base) "?format=csv" } { (t(lang, "导出 CSV")) } " · "
            a href="/monitoring/feedback" { (t(lang, "返回清单列表")) }
        }
        ul.cards {
            @for f in &findings { (finding_card(&user, f)) }
        }
    };
    Ok(page(&user, "/monitoring/feedback", &title, body).into_response())
}

fn finding_card(user: &CurrentUser, f: &FindingRow) -> Markup {
    let lang = user.lang;
    html! {
        li.card.finding data-claim=(f.claim_id) data-rules=(f.rules) {
            p { b { (f.rules) } " · " (f.settled_on) " · "
                a href=(format!("/households/{}/{}", f.county_code, encode(&f.household_no))) { (f.household_no) } }
            p { (f.explanation) }
            @match (&f.answer, f.answered_on) {
                (Some(a), Some(on)) => {
                    p.muted { (t(lang, "核查反馈")) "：" (a) "（" (f.answered_by.as_deref().unwrap_or("")) "，" (on) "）" }
                }
                _ => @if user.may(Permission::ActOnCases) {
                    form.stack method="post" action=(format!("/monitoring/feedback/findings/{}/answer", f.id)) {
                        (csrf_field(user))
                        label { (t(lang, "核查反馈")) textarea name="answer" required maxlength="500" rows="2" {} }
                        button type="submit" { (t(lang, "提交反馈")) }
                    }
                } @else {
                    p.muted { (t(lang, "待县级核查反馈")) }
                }
            }
        }
    }
}

/// The answer form.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    answer: String,
}

/// `POST /monitoring/feedback/findings/{id}/answer`: back to its list.
pub async fn answer(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let done = feedback::answer(&st.app, &user.actor, id, &f.answer)
        .await
        .map_err(|e| PageError(e.into(), user.lang))?;
    Ok(Redirect::to(&format!("/monitoring/feedback/{}", done.feedback_id)).into_response())
}
