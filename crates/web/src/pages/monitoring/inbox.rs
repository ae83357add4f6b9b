//! `GET /monitoring/inbox`: the user's inbox (我的待办) — supervision
//! items, case steps with a deadline and undecided alerts of their
//! jurisdiction in one list, overdue first, then by due date, each
//! linking to its case or household. On a phone it is one column of
//! cards; exports to XLSX/CSV.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jianfu_service::monitoring::inbox::{self, InboxEntry};
use maud::html;

use super::colour_badge;
use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::page;
use crate::tables::{self, Cell, Column, ListParams};

const COLUMNS: [Column; 6] = [
    Column::plain("类别"),
    Column::plain("户编号"),
    Column::plain("案件"),
    Column::plain("期限"),
    Column::plain("是否逾期"),
    Column::plain("事项"),
];

fn cells(e: &InboxEntry) -> Vec<Cell> {
    vec![
        e.kind.label().into(),
        e.household_no.clone().into(),
        e.case_id.map(|c| c.to_string()).unwrap_or_default().into(),
        e.due_on.map(|d| d.to_string()).unwrap_or_default().into(),
        if e.overdue { "已逾期" } else { "" }.into(),
        e.text.clone().into(),
    ]
}

fn link(e: &InboxEntry) -> String {
    match (e.case_id, e.feedback_id) {
        (Some(id), _) => format!("/monitoring/cases/{id}"),
        (None, Some(id)) => format!("/monitoring/feedback/{id}"),
        (None, None) => format!("/households/{}/{}", e.county_code, encode(&e.household_no)),
    }
}

/// `GET /monitoring/inbox`
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let entries = inbox::inbox(&st.app, &user.actor)
        .await
        .map_err(|e| err(e.into()))?;
    if let Some(format) = p.export().map_err(err)? {
        let rows: Vec<Vec<Cell>> = entries.iter().map(cells).collect();
        return tables::export(lang, format, "我的待办", &COLUMNS, &rows).map_err(err);
    }
    let overdue = entries.iter().filter(|e| e.overdue).count();
    let body = html! {
        h1 { (t(lang, "我的待办")) }
        p {
            (t(lang, "共")) " " strong data-total=(entries.len()) { (entries.len()) } " · "
            (t(lang, "已逾期")) " " strong data-overdue=(overdue) { (overdue) }
            " · " a href="/monitoring/inbox?format=xlsx" { "Excel" }
            " · " a href="/monitoring/inbox?format=csv" { "CSV" }
        }
        @if entries.is_empty() { p.hint { (t(lang, "暂无待办事项")) } }
        ol.inbox {
            @for e in entries.iter().take(500) {
                li.inbox-entry data-kind=(format!("{:?}", e.kind).to_lowercase()) data-overdue=(e.overdue) {
                    a href=(link(e)) {
                        strong { (e.kind.label()) }
                        " " (e.household_no)
                        @if let Some(d) = e.due_on { " · " (t(lang, "期限")) " " (d.to_string()) }
                        @if e.overdue { " " span.dl.dl-red { (t(lang, "已逾期")) } }
                        @else { " " (colour_badge(e.colour)) }
                    }
                    div.inbox-text { (e.text) }
                }
            }
        }
    };
    Ok(page(&user, "/monitoring/inbox", t(lang, "我的待办"), body).into_response())
}
