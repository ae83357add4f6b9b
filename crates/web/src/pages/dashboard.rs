//! The home page: the jurisdiction's figures (households, persons by group,
//! the year's claims and out-of-pocket) with a drill-down along the region
//! tree, read from the per-village rollups (the use case
//! `jianfu_service::dashboard`, which the API answers from too).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jianfu_domain::RegionCode;
use jianfu_service::dashboard;
use jianfu_store::rollups::{ChildFigures, Dashboard, Figures};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::chart::{BarChart, Series, bar_chart};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::layout::page;
use crate::money;
use crate::tables::{self, Cell, Column, ListParams, Table};

/// Query of the home page and of `GET /api/v1/dashboard` (whose document
/// describes the parameters with the Chinese comments below).
///
/// `region` is a region code (12 digits or its significant prefix), the
/// caller's own region when absent; `year` is, when absent, the current
/// one, or the latest of the three before it with claims when the
/// current one has none yet.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// 地区代码；默认为本人管辖地区（全国用户必填）
    pub region: Option<String>,
    /// 年度；默认为当年，当年尚无结算时为此前三年内最近有结算的一年
    pub year: Option<i32>,
}

/// The dashboard `q` asks for, inside the caller's jurisdiction; `None`
/// for a national user who named no region.
pub(crate) async fn dashboard_of(
    st: &AppState,
    user: &CurrentUser,
    q: &DashboardQuery,
) -> Result<Option<Dashboard>, AppError> {
    let region = q.region.as_deref();
    Ok(dashboard::dashboard(&st.app, &user.actor, region, q.year).await?)
}

/// A table cell's amount: whole, with thousands separators (the export
/// reads it back as a number).
fn yuan(fen: i64) -> String {
    money::grouped(fen)
}

/// A card's amount: short (万/亿) with the whole amount as its tooltip.
fn amount(fen: i64) -> Markup {
    html! {
        b.money title=(format!("{} 元", money::grouped(fen))) {
            @let (number, unit) = money::compact_parts(fen);
            (number) small { (unit) "元" }
        }
    }
}

fn ratio(f: &Figures) -> String {
    if f.total > 0 {
        format!(
            "{:.1}%",
            (f.total - f.out_of_pocket) as f64 * 100.0 / f.total as f64
        )
    } else {
        "—".into()
    }
}

const COLUMNS: [Column; 9] = [
    Column::text("name", "地区"),
    Column::num("households", "户数"),
    Column::num("persons", "人数"),
    Column::num("formerly_poor", "脱贫人口"),
    Column::num("monitored", "监测对象"),
    Column::num("claims", "结算笔数"),
    Column::money("total", "医疗总费用"),
    Column::money("oop", "个人自付"),
    Column::plain("实际报销比例"),
];

fn sort_children(children: &mut [ChildFigures], key: &str, desc: bool) {
    children.sort_by(|a, b| {
        let (x, y) = (&a.figures, &b.figures);
        let o = match key {
            "households" => x.households.cmp(&y.households),
            "persons" => x.persons.cmp(&y.persons),
            "formerly_poor" => x.formerly_poor.cmp(&y.formerly_poor),
            "monitored" => x.monitored.cmp(&y.monitored),
            "claims" => x.claims.cmp(&y.claims),
            "total" => x.total.cmp(&y.total),
            "oop" => x.out_of_pocket.cmp(&y.out_of_pocket),
            "name" => a.name.cmp(&b.name),
            _ => a.code.cmp(&b.code),
        };
        if desc { o.reverse() } else { o }
    });
}

fn row(c: &ChildFigures, year: i32, drill: bool) -> Vec<Cell> {
    let f = &c.figures;
    let name = if drill {
        Cell::link(&c.name, format!("/?region={}&year={year}", c.code))
    } else {
        c.name.clone().into()
    };
    vec![
        name,
        f.households.to_string().into(),
        f.persons.to_string().into(),
        f.formerly_poor.to_string().into(),
        f.monitored.to_string().into(),
        f.claims.to_string().into(),
        yuan(f.total).into(),
        yuan(f.out_of_pocket).into(),
        ratio(f).into(),
    ]
}

fn cards(lang: Lang, f: &Figures, year: i32) -> Markup {
    html! {
        div.cards #registry-cards {
            div.card { span.muted { (t(lang, "户数")) } b #households { (f.households) } }
            div.card { span.muted { (t(lang, "人数")) } b #persons { (f.persons) } }
            div.card { span.muted { (t(lang, "脱贫人口")) } b { (f.formerly_poor) } }
            div.card { span.muted { (t(lang, "监测对象")) } b { (f.monitored) } }
            div.card { span.muted { (t(lang, "特困人员")) } b { (f.extreme_poor) } }
            div.card { span.muted { (t(lang, "低保对象")) } b { (f.subsistence) } }
            div.card { span.muted { (t(lang, "返贫致贫人口")) } b { (f.returned_poor) } }
            div.card { span.muted { (t(lang, "有疾病诊断")) } b { (f.with_diagnosis) } }
        }
        h2 { (year) " " (t(lang, "年医疗费用结算")) }
        div.cards #claim-cards {
            div.card { span.muted { (t(lang, "结算笔数")) } b { (f.claims) } }
            div.card { span.muted { (t(lang, "就医人数")) } b { (f.claimants) } }
            div.card { span.muted { (t(lang, "医疗总费用")) } (amount(f.total)) }
            div.card { span.muted { (t(lang, "基本医保")) } (amount(f.basic)) }
            div.card { span.muted { (t(lang, "大病保险")) } (amount(f.critical)) }
            div.card { span.muted { (t(lang, "医疗救助")) } (amount(f.assistance)) }
            div.card { span.muted { (t(lang, "补充保障")) } (amount(f.supplementary)) }
            div.card { span.muted { (t(lang, "个人自付")) } (amount(f.out_of_pocket)) }
            div.card { span.muted { (t(lang, "实际报销比例")) } b { (ratio(f)) } }
        }
    }
}

fn count(n: i64) -> String {
    n.to_string()
}

/// The trend charts: claims cost and out-of-pocket by year, and standing
/// alerts by year when the user may see them.
fn trends(lang: Lang, tr: &dashboard::Trend) -> Markup {
    let years = |ys: Vec<i32>| ys.iter().map(i32::to_string).collect::<Vec<_>>();
    let money_chart = BarChart {
        lang,
        id: "trend-claims",
        title: t(lang, "历年医疗总费用与个人自付"),
        labels: years(tr.claims.iter().map(|y| y.year).collect()),
        series: vec![
            Series {
                name: t(lang, "医疗总费用"),
                values: tr.claims.iter().map(|y| y.total).collect(),
            },
            Series {
                name: t(lang, "个人自付"),
                values: tr.claims.iter().map(|y| y.out_of_pocket).collect(),
            },
        ],
        short: money::compact,
        full: money::grouped,
        unit: "元",
    };
    let alert_chart = BarChart {
        lang,
        id: "trend-alerts",
        title: t(lang, "历年防返贫监测预警"),
        labels: years(tr.alerts.iter().map(|y| y.year).collect()),
        series: vec![
            Series {
                name: t(lang, "预警"),
                values: tr.alerts.iter().map(|y| y.alerts).collect(),
            },
            Series {
                name: t(lang, "拟纳入建议"),
                values: tr.alerts.iter().map(|y| y.candidates).collect(),
            },
        ],
        short: count,
        full: count,
        unit: "条",
    };
    html! {
        section.trends #trends {
            h2 { (t(lang, "历年趋势")) }
            @if tr.claims.is_empty() {
                p.muted { (t(lang, "暂无结算数据。")) }
            } @else {
                (bar_chart(&money_chart))
            }
            @if !tr.alerts.is_empty() { (bar_chart(&alert_chart)) }
        }
    }
}

/// `GET /`
pub async fn dashboard(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DashboardQuery>,
    Query(list): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    // National users start from the province list.
    let Some(mut d) = dashboard_of(&st, &user, &q).await.map_err(err)? else {
        return national(&st, &user).await;
    };
    let region = RegionCode::parse(&d.code).map_err(|_| err(AppError::NotFound))?;
    let year = d.year;
    let drill = region.level() < jianfu_domain::RegionLevel::Village;
    sort_children(
        &mut d.children,
        list.sort.as_deref().unwrap_or(""),
        list.desc(),
    );
    let rows: Vec<Vec<Cell>> = d.children.iter().map(|c| row(c, year, drill)).collect();
    if let Some(format) = list.export().map_err(err)? {
        let name = format!("{}{}{}", d.name, year, t(lang, "年统计"));
        return tables::export(lang, format, &name, &COLUMNS, &rows).map_err(err);
    }
    let mut crumbs = Vec::new();
    for a in region
        .ancestors()
        .into_iter()
        .filter(|a| user.scope().contains(a))
    {
        if let Some(r) = st
            .regions
            .region(&st.db, a.as_str())
            .await
            .map_err(|e| err(e.into()))?
        {
            crumbs.push(r);
        }
    }
    let trend = dashboard::trend(&st.app, &user.actor, &d.code, year)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let total = rows.len() as i64;
    let all = ListParams {
        per: Some(200),
        ..list.clone()
    };
    let body = html! {
        nav.crumbs.muted {
            @for c in &crumbs { a href={ "/?region=" (c.code) "&year=" (year) } { (c.name) } " › " }
            (d.name)
        }
        h1 { (d.name) }
        form.inline method="get" action="/search" {
            input name="name" placeholder=(t(lang, "姓名")) aria-label=(t(lang, "姓名"));
            input name="id_number" placeholder=(t(lang, "身份证号")) aria-label=(t(lang, "身份证号"));
            button type="submit" { (t(lang, "查询")) }
        }
        (cards(lang, &d.figures, year))
        p.pager {
            (t(lang, "年度")) ":"
            @for y in (year - 2)..=(year + 1) {
                @if y == year { strong { (y) } } @else { a href={ "/?region=" (region.as_str()) "&year=" (y) } { (y) } }
            }
        }
        (trends(lang, &trend))
        @if !d.children.is_empty() {
            h2 { (t(lang, "下级地区")) }
            (tables::render(lang, &Table {
                columns: &COLUMNS,
                rows,
                total,
                params: &all,
                base: format!("/?region={}&year={year}", region.as_str()),
                more: false,
                exportable: true,
            }))
        }
    };
    Ok(page(&user, "/", &d.name, body).into_response())
}

async fn national(st: &AppState, user: &CurrentUser) -> Result<Response, PageError> {
    let lang = user.lang;
    let provinces = dashboard::provinces(&st.app, &user.actor)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let body = html! {
        h1 { (t(lang, "全国")) }
        p.muted { (t(lang, "请选择省份查看统计。")) }
        ul { @for p in &provinces { li { a href={ "/?region=" (p.code) } { (p.name) } } } }
    };
    Ok(page(user, "/", t(lang, "全国"), body).into_response())
}
