//! `GET /monitoring/supervision`: the supervision items (督办) addressed
//! to the user's level and the levels below it — open ones first, the
//! overdue before the others, then by due date — with the late step, its
//! case and household; closed items (with how late their step was) on
//! request; exports to XLSX/CSV.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jianfu_domain::{Permission, RegionCode};
use jianfu_monitoring::deadline::is_overdue;
use jianfu_service::monitoring::supervision;
use jianfu_store::monitoring::feedback::FEEDBACK_STEP;
use jianfu_store::monitoring::supervision::ItemRow;
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::page;
use crate::tables::{self, Cell, Column, ListParams, Table};

/// The list's filter.
#[derive(Debug, Default, Deserialize)]
pub struct ItemFilter {
    /// `1` to show closed items too.
    pub all: Option<String>,
}

const COLUMNS: [Column; 10] = [
    Column::plain("督办编号"),
    Column::plain("督办单位"),
    Column::plain("层级"),
    Column::plain("案件/清单"),
    Column::plain("户编号"),
    Column::plain("逾期环节"),
    Column::plain("环节期限"),
    Column::plain("督办日期"),
    Column::plain("督办期限"),
    Column::plain("办理状态"),
];

/// The most items one list reads.
const MOST: i64 = 5_000;

fn level_label(code: &str) -> String {
    RegionCode::parse(code).map_or_else(|_| String::new(), |r| r.level().label().to_string())
}

/// The case an item supervises, or the monthly feedback list.
fn subject(i: &ItemRow) -> Cell {
    if i.step_kind == FEEDBACK_STEP {
        Cell::link(
            format!("反馈清单 {}", i.case_id),
            format!("/monitoring/feedback/{}", i.case_id),
        )
    } else {
        Cell::link(
            i.case_id.to_string(),
            format!("/monitoring/cases/{}", i.case_id),
        )
    }
}

fn cells(i: &ItemRow, now: DateTime<Utc>) -> Vec<Cell> {
    vec![
        i.id.to_string().into(),
        i.region_code.clone().into(),
        level_label(&i.region_code).into(),
        subject(i),
        if i.household_no.is_empty() {
            Cell::default()
        } else {
            Cell::link(
                i.household_no.clone(),
                format!("/households/{}/{}", i.county_code, encode(&i.household_no)),
            )
        },
        supervision::step_label(&i.step_kind).to_string().into(),
        i.step_due_on.to_string().into(),
        i.raised_on.to_string().into(),
        i.due_on.to_string().into(),
        supervision::item_state(i, now).into(),
    ]
}

/// `GET /monitoring/supervision`
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<ItemFilter>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let all = f.all.as_deref() == Some("1");
    let items = supervision::list(&st.app, &user.actor, all, MOST)
        .await
        .map_err(|e| err(e.into()))?;
    let now = st.app.now();
    if let Some(format) = p.export().map_err(err)? {
        let rows: Vec<Vec<Cell>> = items.iter().map(|i| cells(i, now)).collect();
        return tables::export(lang, format, "督办事项", &COLUMNS, &rows).map_err(err);
    }
    let overdue = items
        .iter()
        .filter(|i| i.closed_on.is_none() && is_overdue(i.due_on, now))
        .count();
    let shown: Vec<Vec<Cell>> = items
        .iter()
        .skip(p.offset() as usize)
        .take(p.limit() as usize)
        .map(|i| cells(i, now))
        .collect();
    let base = if all {
        "/monitoring/supervision?all=1"
    } else {
        "/monitoring/supervision"
    };
    let table = tables::render(
        lang,
        &Table {
            columns: &COLUMNS,
            rows: shown,
            total: items.len() as i64,
            params: &p,
            base: base.to_string(),
            more: false,
            exportable: user.may(Permission::ViewMonitoring),
        },
    );
    let body = html! {
        h1 { (t(lang, "督办事项")) }
        p.hint { (t(lang, "环节逾期后，由上一级督办；督办到期仍未办结的，再上报一级，直至省级。环节办结后，各级督办随之办结。")) }
        p { (t(lang, "督办逾期")) "：" strong data-overdue=(overdue) { (overdue) } }
        form.inline method="get" action="/monitoring/supervision" {
            label { input type="checkbox" name="all" value="1" checked[all]; (t(lang, "含已办结")) }
            button type="submit" { (t(lang, "查询")) }
        }
        (table)
    };
    Ok(page(&user, "/monitoring/supervision", t(lang, "督办事项"), body).into_response())
}
