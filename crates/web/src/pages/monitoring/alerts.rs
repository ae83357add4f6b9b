//! `GET /monitoring/alerts`: the alerts of the jurisdiction with their
//! explanation, filtered by status (open by default) and year; an open
//! alert offers “立案/核查” (a note, then the case) and, to those who may
//! close a pre-warning, “忽略” (a reason). The list exports to XLSX/CSV.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::{Money, Permission};
use jianfu_monitoring::case::{ActionKind, CaseState};
use jianfu_monitoring::procedure;
use jianfu_service::monitoring::cases::{self, AlertLine, AlertQuery};
use jianfu_store::monitoring::AlertKey;
use maud::{Markup, html};
use serde::Deserialize;

use super::alert_status_label;
use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::{csrf_field, page};
use crate::tables::{self, Cell, Column, ListParams};

/// The filters of the alert list.
#[derive(Debug, Default, Deserialize)]
pub struct AlertFilter {
    /// `open` (default), `linked`, `dismissed`, `lapsed` or `all`.
    pub status: Option<String>,
    /// A year; default this year and the last.
    pub year: Option<String>,
    /// A message to show (after dismissing).
    pub done: Option<String>,
}

const COLUMNS: [Column; 9] = [
    Column::plain("户编号"),
    Column::plain("所在村"),
    Column::plain("年度"),
    Column::plain("规则"),
    Column::plain("状态"),
    Column::money("", "自付费用（元）"),
    Column::plain("说明"),
    Column::plain("关联案件"),
    Column::plain("忽略理由"),
];

fn cells(l: &AlertLine) -> Vec<Cell> {
    let a = &l.alert;
    vec![
        Cell::link(
            a.household_no.clone(),
            format!("/households/{}/{}", a.county_code, encode(&a.household_no)),
        ),
        a.village_code.clone().into(),
        a.year.to_string().into(),
        a.rule.clone().into(),
        alert_status_label(&a.status).into(),
        Money::from_fen(a.out_of_pocket).to_string().into(),
        a.explanation.clone().into(),
        l.case_id.map(|c| c.to_string()).unwrap_or_default().into(),
        l.dismissal
            .as_ref()
            .map(|d| d.reason.clone())
            .unwrap_or_default()
            .into(),
    ]
}

/// `GET /monitoring/alerts`
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<AlertFilter>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let status = f.status.clone().unwrap_or_else(|| "open".into());
    let year = match f.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => Some(
            y.parse()
                .map_err(|_| err(AppError::BadRequest(format!("年度“{y}”无效"))))?,
        ),
    };
    let q = AlertQuery {
        region: None,
        status: (status != "all").then(|| status.clone()),
        year,
    };
    let lines = cases::list_alerts(&st.app, &user.actor, &q)
        .await
        .map_err(|e| err(e.into()))?;
    if let Some(format) = p.export().map_err(err)? {
        user.actor
            .require(Permission::ExportPersonal)
            .map_err(|e| err(e.into()))?;
        let rows: Vec<Vec<Cell>> = lines.iter().map(cells).collect();
        return tables::export(lang, format, "防返贫监测预警", &COLUMNS, &rows).map_err(err);
    }
    let body = html! {
        h1 { (t(lang, "防返贫监测预警")) }
        @if let Some(done) = &f.done { p.ok role="status" { (done) } }
        (filters(&user, &status, f.year.as_deref().unwrap_or("")))
        @if user.may(Permission::ExportPersonal) {
            div.exports {
                a.button.secondary href=(format!("/monitoring/alerts?status={status}&format=xlsx")) { (t(lang, "导出 Excel")) }
                a.button.secondary href=(format!("/monitoring/alerts?status={status}&format=csv")) { (t(lang, "导出 CSV")) }
            }
        }
        @if lines.is_empty() { p.muted { (t(lang, "没有符合条件的记录")) } }
        ul.alerts {
            @for l in &lines { (alert_item(&user, l)) }
        }
    };
    Ok(page(&user, "/monitoring/alerts", t(lang, "防返贫监测预警"), body).into_response())
}

fn filters(user: &CurrentUser, status: &str, year: &str) -> Markup {
    let lang = user.lang;
    use jianfu_monitoring::AlertStatus as S;
    let statuses = [S::Open, S::Linked, S::Dismissed, S::Lapsed];
    html! {
        form.inline method="get" action="/monitoring/alerts" {
            label { (t(lang, "状态"))
                select name="status" {
                    @for st in statuses {
                        option value=(st.code()) selected[status == st.code()] { (st.label()) }
                    }
                    option value="all" selected[status == "all"] { (t(lang, "全部")) }
                }
            }
            label { (t(lang, "年度")) input name="year" value=(year) inputmode="numeric" maxlength="4" size="5"; }
            button type="submit" { (t(lang, "查询")) }
        }
    }
}

fn may_dismiss(user: &CurrentUser) -> bool {
    user.may(Permission::ActOnCases)
        && procedure::may(user.role(), ActionKind::CloseNoRisk, CaseState::PreWarning)
}

fn key_fields(l: &AlertLine) -> Markup {
    let a = &l.alert;
    html! {
        input type="hidden" name="county" value=(a.county_code);
        input type="hidden" name="household" value=(a.household_no);
        input type="hidden" name="year" value=(a.year);
        input type="hidden" name="rule" value=(a.rule);
    }
}

fn alert_item(user: &CurrentUser, l: &AlertLine) -> Markup {
    let lang = user.lang;
    let a = &l.alert;
    html! {
        li.card.alert data-household=(a.household_no) data-rule=(a.rule) {
            p {
                b { (a.rule) } " · "
                a href=(format!("/households/{}/{}", a.county_code, encode(&a.household_no))) { (a.household_no) }
                " · " (t(lang, "年度")) " " (a.year) " · " (alert_status_label(&a.status))
            }
            p { (a.explanation) }
            @if let Some(c) = l.case_id {
                p { a href=(format!("/monitoring/cases/{c}")) { (t(lang, "查看案件")) " " (c) } }
            }
            @if let Some(d) = &l.dismissal {
                p.muted { (t(lang, "忽略理由")) "：" (d.reason) "（" (d.dismissed_by) "）" }
            }
            @if a.status == "open" && user.may(Permission::ActOnCases) {
                form.stack method="post" action="/monitoring/alerts/open" {
                    (csrf_field(user)) (key_fields(l))
                    label { (t(lang, "办理意见")) textarea name="note" required maxlength="500" rows="2" {} }
                    button type="submit" name="go" value="open" { (t(lang, "立案/核查")) }
                }
                @if may_dismiss(user) {
                    form.stack method="post" action="/monitoring/alerts/dismiss" {
                        (csrf_field(user)) (key_fields(l))
                        label { (t(lang, "忽略理由")) textarea name="reason" required maxlength="500" rows="2" {} }
                        button.secondary type="submit" name="go" value="dismiss" { (t(lang, "忽略")) }
                    }
                }
            }
        }
    }
}

/// The form of an alert's buttons.
#[derive(Debug, Deserialize)]
pub struct AlertForm {
    county: String,
    household: String,
    year: i16,
    rule: String,
    note: Option<String>,
    reason: Option<String>,
}

impl AlertForm {
    fn key(&self) -> AlertKey {
        AlertKey {
            county_code: self.county.clone(),
            household_no: self.household.clone(),
            year: self.year,
            rule: self.rule.clone(),
        }
    }
}

/// `POST /monitoring/alerts/open`: to the case opened or joined.
pub async fn open(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<AlertForm>,
) -> Result<Response, PageError> {
    let note = f.note.clone().unwrap_or_default();
    let o = cases::open_from_alert(&st.app, &user.actor, &f.key(), &note)
        .await
        .map_err(|e| PageError(e.into(), user.lang))?;
    Ok(Redirect::to(&format!("/monitoring/cases/{}", o.case_id)).into_response())
}

/// `POST /monitoring/alerts/dismiss`: back to the list.
pub async fn dismiss(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<AlertForm>,
) -> Result<Response, PageError> {
    let reason = f.reason.clone().unwrap_or_default();
    cases::dismiss_alert(&st.app, &user.actor, &f.key(), &reason)
        .await
        .map_err(|e| PageError(e.into(), user.lang))?;
    let done = encode(&format!("已忽略预警：{} {}", f.household, f.rule));
    Ok(Redirect::to(&format!("/monitoring/alerts?done={done}")).into_response())
}
