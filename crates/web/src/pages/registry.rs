//! The pages: registry overview by region and household lookup.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jianfu_domain::registry::{change_field_label, change_value_display};
use jianfu_domain::{
    GroupSet, HouseholdType, IdCardNo, Money, PersonStatus, RegionCode, Relation, mask_middle,
};
use jianfu_store::queries::{ChangeRow, PersonRow};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::AppState;

const STYLE: &str = "
body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header{background:#b71c1c;color:#fff;padding:.8rem 1rem}header a{color:#fff;text-decoration:none}
main{padding:1rem;max-width:1100px;margin:auto}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.45rem .6rem;border-bottom:1px solid #e4e7eb;text-align:left}
th{background:#eef1f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
form{margin:1rem 0;display:flex;gap:.5rem;flex-wrap:wrap}input{flex:1;min-width:12rem;padding:.5rem;font-size:1rem}
button{padding:.5rem 1rem;font-size:1rem;background:#b71c1c;color:#fff;border:0;border-radius:3px}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#fff;padding:.8rem 1rem;border-radius:4px;min-width:9rem}
.card b{display:block;font-size:1.6rem}.muted{color:#616e7c}.err{background:#fdecea;padding:.8rem;border-radius:4px}
nav.crumbs a{margin-right:.3rem}
@media(max-width:600px){th,td{padding:.35rem .3rem;font-size:.9rem}}
";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 健扶" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header { a href="/" { strong { "健扶" } " 健康帮扶动态管理" } }
                main { (body) }
            }
        }
    }
}

/// A page-level failure: logged without personal data, shown in Chinese.
pub(crate) struct PageError(StatusCode, &'static str);

impl From<jianfu_store::StoreError> for PageError {
    fn from(e: jianfu_store::StoreError) -> Self {
        tracing::error!(error = %e, "database error");
        PageError(StatusCode::INTERNAL_SERVER_ERROR, "系统繁忙，请稍后再试")
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (self.0, layout("出错了", html! { p.err { (self.1) } })).into_response()
    }
}

#[derive(Deserialize)]
pub(crate) struct RegionQuery {
    region: Option<String>,
}

/// Counts of households and persons under a region, by child region.
pub(crate) async fn overview(
    State(st): State<AppState>,
    user: crate::auth::CurrentUser,
    Query(q): Query<RegionQuery>,
) -> Result<Markup, PageError> {
    let code = match q.region.as_deref().map(RegionCode::parse) {
        None => user
            .scope()
            .bound_region()
            .unwrap_or(RegionCode::parse_prefix("11").expect("Beijing")),
        Some(Ok(c)) if user.scope().contains(&c) => c,
        Some(_) => {
            return Err(PageError(
                StatusCode::NOT_FOUND,
                "没有找到该地区，或不在您的管辖范围内",
            ));
        }
    };
    let region = st.db.region(code.as_str()).await?.ok_or(PageError(
        StatusCode::NOT_FOUND,
        "区划代码库中没有该地区，请先加载区划",
    ))?;
    let (households, persons) = st.db.totals(code.prefix()).await?;
    let children = st.db.counts_by_child(code.as_str()).await?;
    let mut crumbs = Vec::new();
    for a in code
        .ancestors()
        .into_iter()
        .filter(|a| user.scope().contains(a))
    {
        if let Some(r) = st.db.region(a.as_str()).await? {
            crumbs.push(r);
        }
    }
    Ok(layout(
        &region.name,
        html! {
            nav.crumbs.muted {
                @for c in &crumbs { a href={ "/?region=" (c.code) } { (c.name) } " › " }
                (region.name)
            }
            h1 { (region.name) " 建档立卡台账" }
            div.cards {
                div.card { span.muted { "户数" } b { (households) } }
                div.card { span.muted { "人数" } b { (persons) } }
            }
            (search_form(""))
            @if !children.is_empty() {
                table {
                    thead { tr { th { "下级地区" } th { "代码" } th { "户数" } th { "人数" } } }
                    tbody {
                        @for c in &children {
                            tr {
                                td { a href={ "/?region=" (c.code) } { (c.name) } }
                                td.muted { (c.code) }
                                td.n { (c.households) }
                                td.n { (c.persons) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn search_form(value: &str) -> Markup {
    html! {
        form action="/household" method="get" {
            input name="q" value=(value) placeholder="户编号或身份证号" aria-label="户编号或身份证号";
            button type="submit" { "查询家庭" }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct HouseholdQuery {
    q: Option<String>,
}

/// A household with members, diagnoses and change history, found by
/// 户编号 or by a member's ID number, inside the jurisdiction only.
pub(crate) async fn household(
    State(st): State<AppState>,
    user: crate::auth::CurrentUser,
    Query(q): Query<HouseholdQuery>,
) -> Result<Response, PageError> {
    let term = q.q.unwrap_or_default().trim().to_string();
    if term.is_empty() {
        return Ok(layout("查询家庭", search_form("")).into_response());
    }
    let scope = user.scope().prefix();
    let household_no = match IdCardNo::parse(&term) {
        Ok(id) => st
            .db
            .person(scope, id.as_str())
            .await?
            .map(|p| p.household_no),
        Err(_) => Some(term.clone()),
    };
    let found = match household_no {
        Some(no) => st.db.household(scope, &no).await?,
        None => None,
    };
    let Some(h) = found else {
        let body = html! {
            (search_form(&term))
            p.err { "在您的管辖范围内没有找到该家庭。请核对户编号或身份证号。" }
        };
        return Ok((StatusCode::NOT_FOUND, layout("未找到", body)).into_response());
    };
    let members = st
        .db
        .household_members(&h.county_code, &h.household_no)
        .await?;
    let mut diagnoses = Vec::new();
    for m in &members {
        for d in st.db.diagnoses_of(&h.county_code, &m.id_number).await? {
            diagnoses.push((m.name.clone(), d));
        }
    }
    let history = st
        .db
        .history(&h.county_code, Some(&h.household_no), None)
        .await?;
    let htype = HouseholdType::from_code(&h.household_type).map_or("未知", |t| t.label());
    let body = html! {
        (search_form(""))
        h1 { "家庭 " (h.household_no) }
        p {
            (h.village_name.as_deref().unwrap_or(&h.village_code)) " · " (htype)
            @if let Some(i) = h.income_per_capita { " · 人均纯收入 " (Money::from_fen(i)) " 元" }
        }
        h2 { "家庭成员" }
        table {
            thead { tr { th { "姓名" } th { "与户主关系" } th { "身份证号" } th { "性别" } th { "出生日期" } th { "人员类别" } th { "联系电话" } th { "状态" } } }
            tbody { @for m in &members { (member_row(m, &h.household_type)) } }
        }
        h2 { "疾病诊断" }
        @if diagnoses.is_empty() { p.muted { "无诊断记录" } } @else {
            table {
                thead { tr { th { "姓名" } th { "疾病编码" } th { "疾病名称" } th { "确诊日期" } th { "确诊机构" } } }
                tbody {
                    @for (name, d) in &diagnoses {
                        tr { td { (name) } td { (d.icd10) } td { (d.disease_name.as_deref().unwrap_or("")) } td { (d.diagnosed_on) } td { (d.facility.as_deref().unwrap_or("")) } }
                    }
                }
            }
        }
        h2 { "变更记录" }
        table {
            thead { tr { th { "时间" } th { "对象" } th { "字段" } th { "原值" } th { "新值" } th { "来源" } th { "操作人" } } }
            tbody { @for c in &history { (change_row(c)) } }
        }
    };
    Ok(layout("家庭详情", body).into_response())
}

fn member_row(m: &PersonRow, household_type: &str) -> Markup {
    let groups = GroupSet::parse_list(&m.groups.replace('|', ","))
        .unwrap_or_default()
        .union(
            HouseholdType::from_code(household_type)
                .map_or(GroupSet::EMPTY, |t| t.implied_groups()),
        );
    html! {
        tr {
            td { (m.name) }
            td { (Relation::from_code(&m.relation).map_or("", |r| r.label())) }
            td { (mask_middle(&m.id_number)) }
            td { (if m.sex == "male" { "男" } else { "女" }) }
            td { (m.birth_date) }
            td { (groups.labels()) }
            td { (m.phone.as_deref().map(mask_middle).unwrap_or_default()) }
            td { (PersonStatus::from_code(&m.status).map_or("", |s| s.label())) }
        }
    }
}

fn change_row(c: &ChangeRow) -> Markup {
    let who = if c.entity == "household" {
        "家庭".to_string()
    } else {
        mask_middle(&c.entity_key)
    };
    html! {
        tr {
            td { (c.started_at.format("%Y-%m-%d %H:%M")) }
            td { (who) }
            td { (change_field_label(&c.field)) }
            td { (change_value_display(&c.field, c.old_value.as_deref())) }
            td { (change_value_display(&c.field, c.new_value.as_deref())) }
            td { (c.source_file.as_deref().unwrap_or("")) }
            td { (c.user_name) }
        }
    }
}
