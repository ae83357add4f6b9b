//! `GET /monitoring/cases`: the cases of the jurisdiction, newest first,
//! filtered by state, village (a code prefix) and overdue, each with its
//! most urgent deadline coloured; exports to XLSX/CSV; and the form that
//! opens a case by hand (`POST /monitoring/cases`).

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::Permission;
use jianfu_monitoring::CaseState;
use jianfu_monitoring::case::Channel;
use jianfu_service::monitoring::cases::{self, CaseLine, CaseQuery};
use maud::{Markup, html};
use serde::Deserialize;

use super::{channel_label, state_label};
use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::{csrf_field, page};
use crate::tables::{self, Cell, Column, ListParams, Table};

/// The filters of the case list.
#[derive(Debug, Default, Deserialize)]
pub struct CaseFilter {
    /// A state code.
    pub state: Option<String>,
    /// A region code prefix (village, township).
    pub region: Option<String>,
    /// `1` for overdue only.
    pub overdue: Option<String>,
}

impl CaseFilter {
    fn query(&self) -> CaseQuery {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        CaseQuery {
            region: some(&self.region),
            state: some(&self.state),
            overdue: self.overdue.as_deref() == Some("1"),
        }
    }

    fn query_string(&self) -> String {
        let q = self.query();
        let mut pairs = Vec::new();
        if let Some(s) = &q.state {
            pairs.push(("state", s.as_str()));
        }
        if let Some(r) = &q.region {
            pairs.push(("region", r.as_str()));
        }
        if q.overdue {
            pairs.push(("overdue", "1"));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

const COLUMNS: [Column; 9] = [
    Column::plain("案件"),
    Column::plain("户编号"),
    Column::plain("所在村"),
    Column::plain("状态"),
    Column::plain("发现渠道"),
    Column::plain("立案日期"),
    Column::plain("最近时限"),
    Column::plain("到期日期"),
    Column::plain("时限状态"),
];

fn cells(l: &CaseLine) -> Vec<Cell> {
    let c = &l.case;
    let (kind, due, colour) =
        l.next
            .as_ref()
            .map_or((String::new(), String::new(), String::new()), |d| {
                (
                    d.label.to_string(),
                    d.row.due_on.to_string(),
                    d.colour.map_or("", |c| c.label()).to_string(),
                )
            });
    let mut state = state_label(&c.state);
    if c.green_channel {
        state.push_str("（绿色通道）");
    }
    vec![
        Cell::link(c.id.to_string(), format!("/monitoring/cases/{}", c.id)),
        Cell::link(
            c.household_no.clone(),
            format!("/households/{}/{}", c.county_code, encode(&c.household_no)),
        ),
        c.village_code.clone().into(),
        state.into(),
        channel_label(&c.channel).into(),
        c.opened_on.to_string().into(),
        kind.into(),
        due.into(),
        colour.into(),
    ]
}

/// `GET /monitoring/cases`
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<CaseFilter>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let lines = cases::list_cases(&st.app, &user.actor, &f.query())
        .await
        .map_err(|e| err(e.into()))?;
    if let Some(format) = p.export().map_err(err)? {
        user.actor
            .require(Permission::ExportPersonal)
            .map_err(|e| err(e.into()))?;
        let rows: Vec<Vec<Cell>> = lines.iter().map(cells).collect();
        return tables::export(lang, format, "监测案件", &COLUMNS, &rows).map_err(err);
    }
    let qs = f.query_string();
    let base = if qs.is_empty() {
        "/monitoring/cases".to_string()
    } else {
        format!("/monitoring/cases?{qs}")
    };
    let total = lines.len() as i64;
    let shown: Vec<Vec<Cell>> = lines
        .iter()
        .skip(p.offset() as usize)
        .take(p.limit() as usize)
        .map(cells)
        .collect();
    let table = tables::render(
        lang,
        &Table {
            columns: &COLUMNS,
            rows: shown,
            total,
            params: &p,
            base,
            more: false,
            exportable: user.may(Permission::ExportPersonal),
        },
    );
    let body = html! {
        h1 { (t(lang, "监测案件")) }
        (filters(&user, &f))
        (table)
        @if user.may(Permission::ActOnCases) { (open_form(&user)) }
    };
    Ok(page(&user, "/monitoring/cases", t(lang, "监测案件"), body).into_response())
}

fn filters(user: &CurrentUser, f: &CaseFilter) -> Markup {
    let lang = user.lang;
    let state = f.state.clone().unwrap_or_default();
    html! {
        form.inline method="get" action="/monitoring/cases" {
            label { (t(lang, "状态"))
                select name="state" {
                    option value="" { (t(lang, "全部")) }
                    @for s in CaseState::ALL {
                        option value=(s.code()) selected[state == s.code()] { (s.label()) }
                    }
                }
            }
            label { (t(lang, "地区代码（乡镇或村）"))
                input name="region" value=(f.region.clone().unwrap_or_default()) inputmode="numeric" maxlength="12";
            }
            label { input type="checkbox" name="overdue" value="1" checked[f.overdue.as_deref() == Some("1")]; (t(lang, "只看逾期")) }
            button type="submit" { (t(lang, "查询")) }
        }
    }
}

fn open_form(user: &CurrentUser) -> Markup {
    let lang = user.lang;
    html! {
        h2 { (t(lang, "手工立案")) }
        form.stack method="post" action="/monitoring/cases" {
            (csrf_field(user))
            label { (t(lang, "户编号")) input name="household" required maxlength="32"; }
            label { (t(lang, "发现渠道"))
                select name="channel" {
                    @for c in Channel::MANUAL { option value=(c.code()) { (c.label()) } }
                }
            }
            label { (t(lang, "办理意见")) textarea name="note" required maxlength="500" rows="2" {} }
            button type="submit" { (t(lang, "立案")) }
        }
    }
}

/// The form of a manual opening.
#[derive(Debug, Deserialize)]
pub struct OpenForm {
    household: String,
    channel: String,
    note: String,
}

/// `POST /monitoring/cases`: to the new case.
pub async fn open(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<OpenForm>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let channel = Channel::from_code(&f.channel)
        .filter(|c| Channel::MANUAL.contains(c))
        .ok_or_else(|| PageError(AppError::BadRequest("请选择发现渠道".into()), lang))?;
    let o = cases::open_manual(&st.app, &user.actor, None, &f.household, channel, &f.note)
        .await
        .map_err(|e| PageError(e.into(), lang))?;
    Ok(Redirect::to(&format!("/monitoring/cases/{}", o.case_id)).into_response())
}
