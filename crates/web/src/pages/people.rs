//! A household and a person: members, diagnoses, claims with their tier
//! breakdown and explanation, and the change history as a timeline; and
//! unmasking one person's ID and phone number with a stated reason.
//!
//! Every read and the unmasking are use cases of `jianfu_service::people`
//! with the caller as actor (permission, jurisdiction, audit entry): a
//! household or person outside the jurisdiction answers 404, the same as
//! one that does not exist. This module only shows what they return.

use axum::Form;
use axum::extract::{Path, Query, State};
use jianfu_domain::registry::{change_field_label, change_value_display};
use jianfu_domain::{
    ClaimKind, FacilityLevel, GroupSet, HouseholdType, Money, Permission, PersonStatus, Relation,
    age_on, mask_middle, mask_phone,
};
use jianfu_service::UseCaseError;
use jianfu_service::people::{self, ClaimsOfYear, Extent, PersonAt, PersonView};
use jianfu_store::registry::{ChangeRow, PersonRow};
use jianfu_store::{PersonClaim, PersonYearRow};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::layout::{csrf_field, page};

type PageResult = Result<Markup, PageError>;

fn fail<E: Into<AppError>>(lang: Lang) -> impl Fn(E) -> PageError {
    move |e| PageError::new(e, lang)
}

fn money(fen: i64) -> String {
    Money::from_fen(fen).to_string()
}

pub(crate) fn person_href(county: &str, no: &str, r: &str) -> String {
    format!("/persons/{county}/{}/{r}", encode(no))
}

pub(crate) fn household_href(county: &str, no: &str) -> String {
    format!("/households/{county}/{}", encode(no))
}

fn groups_of(p: &PersonRow, household_type: &str) -> GroupSet {
    GroupSet::parse_list(&p.groups.replace('|', ","))
        .unwrap_or_default()
        .union(
            HouseholdType::from_code(household_type)
                .map_or(GroupSet::EMPTY, |t| t.implied_groups()),
        )
}

/// `GET /households/{county}/{no}`
pub async fn household(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((county, no)): Path<(String, String)>,
) -> PageResult {
    let lang = user.lang;
    let v = people::household(&st.app, &user.actor, &county, &no, Extent::Record)
        .await
        .map_err(fail(lang))?;
    let (h, members, diagnoses, history) = (&v.household, &v.members, &v.diagnoses, &v.history);
    let htype = HouseholdType::from_code(&h.household_type).map_or("", |t| t.label());
    let title = format!("{} {}", t(lang, "家庭"), h.household_no);
    // A masked ID hides exactly the birth date: the page shows an age.
    let today = st.app.today();
    let monitoring = super::monitoring::household::section(&st, &user, &county, &no).await;
    let body = html! {
        nav.crumbs.muted { a href="/" { (t(lang, "首页")) } " › " a href="/search" { (t(lang, "查询")) } " › " (h.household_no) }
        h1 { (title) }
        dl.kv {
            dt { (t(lang, "所在村")) } dd { (h.village_name.as_deref().unwrap_or(&h.village_code)) }
            dt { (t(lang, "户类别")) } dd { (htype) }
            @if let Some(i) = h.income_per_capita { dt { (t(lang, "人均纯收入")) } dd { (money(i)) " " (t(lang, "元")) } }
            dt { (t(lang, "人数")) } dd { (members.len()) }
        }
        h2 { (t(lang, "家庭成员")) }
        div.tablewrap { table.cards-sm {
            thead { tr {
                th { (t(lang, "姓名")) } th { (t(lang, "与户主关系")) } th { (t(lang, "身份证号")) }
                th { (t(lang, "性别")) } th { (t(lang, "年龄")) } th { (t(lang, "人员类别")) }
                th { (t(lang, "联系电话")) } th { (t(lang, "状态")) }
            } }
            tbody { @for m in members {
                @let (r, m) = (&m.reference, &m.person);
                tr {
                    td data-label=(t(lang, "姓名")) { a href=(person_href(&m.county_code, &h.household_no, r)) { (m.name) } }
                    td data-label=(t(lang, "与户主关系")) { (Relation::from_code(&m.relation).map_or("", |r| r.label())) }
                    td data-label=(t(lang, "身份证号")) { (mask_middle(&m.id_number)) }
                    td data-label=(t(lang, "性别")) { (sex_label(lang, &m.sex)) }
                    td data-label=(t(lang, "年龄")) { (age_on(m.birth_date, today)) }
                    td data-label=(t(lang, "人员类别")) { (groups_of(m, &h.household_type).labels()) }
                    td data-label=(t(lang, "联系电话")) { (m.phone.as_deref().map(mask_phone).unwrap_or_default()) }
                    td data-label=(t(lang, "状态")) { (PersonStatus::from_code(&m.status).map_or("", |s| s.label())) }
                }
            } }
        } }
        h2 { (t(lang, "疾病诊断")) }
        @if diagnoses.is_empty() { p.muted { (t(lang, "无诊断记录")) } } @else {
            div.tablewrap { table.cards-sm {
                thead { tr { th { (t(lang, "姓名")) } th { (t(lang, "疾病编码")) } th { (t(lang, "疾病名称")) } th { (t(lang, "确诊日期")) } th { (t(lang, "确诊机构")) } } }
                tbody { @for (name, d) in diagnoses {
                    tr {
                        td data-label=(t(lang, "姓名")) { (name) }
                        td data-label=(t(lang, "疾病编码")) { (d.icd10) }
                        td data-label=(t(lang, "疾病名称")) { (d.disease_name.as_deref().unwrap_or("")) }
                        td data-label=(t(lang, "确诊日期")) { (d.diagnosed_on) }
                        td data-label=(t(lang, "确诊机构")) { (d.facility.as_deref().unwrap_or("")) }
                    }
                } }
            } }
        }
        (monitoring)
        h2 { (t(lang, "变更记录")) }
        (timeline(lang, history))
    };
    Ok(page(&user, "/search", &title, body))
}

fn sex_label(lang: Lang, sex: &str) -> &'static str {
    if sex == "male" {
        t(lang, "男")
    } else {
        t(lang, "女")
    }
}

/// The change history, newest first, as a timeline.
fn timeline(lang: Lang, history: &[ChangeRow]) -> Markup {
    html! {
        @if history.is_empty() { p.muted { (t(lang, "无变更记录")) } } @else {
            ol.timeline {
                @for c in history.iter().rev() {
                    li {
                        strong { (c.started_at.format("%Y-%m-%d %H:%M")) }
                        " · " (if c.entity == "household" { t(lang, "家庭").to_string() } else { mask_middle(&c.entity_key) })
                        " · " (change_field_label(&c.field))
                        @if c.field != "*" {
                            "：" (change_value_display(&c.field, c.old_value.as_deref())) " → "
                            (change_value_display(&c.field, c.new_value.as_deref()))
                        }
                        br;
                        span.muted.small { (c.source_file.as_deref().unwrap_or("")) " · " (c.user_name) }
                    }
                }
            }
        }
    }
}

/// Query of the person page.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

/// `GET /persons/{county}/{no}/{person}`
pub async fn person(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((county, no, r)): Path<(String, String, String)>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let at = PersonAt {
        county: &county,
        household_no: &no,
        reference: &r,
    };
    let v = people::person(&st.app, &user.actor, at, q.year, Extent::Record)
        .await
        .map_err(fail(user.lang))?;
    Ok(person_page(&user, &v, None, st.app.today()))
}

/// A person's page; `unmasked` is the reason stated when the ID and
/// phone numbers are shown whole.
fn person_page(
    user: &CurrentUser,
    v: &PersonView,
    unmasked: Option<&str>,
    today: chrono::NaiveDate,
) -> Markup {
    let lang = user.lang;
    let (h, p) = (&v.household, &v.person);
    let (id_shown, phone_shown) = match unmasked {
        Some(_) => (p.id_number.clone(), p.phone.clone().unwrap_or_default()),
        None => (
            mask_middle(&p.id_number),
            p.phone.as_deref().map(mask_phone).unwrap_or_default(),
        ),
    };
    let href = person_href(&h.county_code, &h.household_no, &v.reference);
    let body = html! {
        nav.crumbs.muted {
            a href="/" { (t(lang, "首页")) } " › "
            a href=(household_href(&h.county_code, &h.household_no)) { (t(lang, "家庭")) " " (h.household_no) } " › " (p.name)
        }
        h1 { (p.name) }
        @if let Some(reason) = unmasked { p.warn { (t(lang, "已显示完整信息，本次查看已记入审计日志。理由：")) (reason) } }
        dl.kv {
            dt { (t(lang, "身份证号")) } dd #id-number { (id_shown) }
            dt { (t(lang, "联系电话")) } dd #phone { (phone_shown) }
            dt { (t(lang, "性别")) } dd { (sex_label(lang, &p.sex)) }
            @if unmasked.is_some() {
                dt { (t(lang, "出生日期")) } dd #birth-date { (p.birth_date) }
            } @else {
                dt { (t(lang, "年龄")) } dd #age { (age_on(p.birth_date, today)) }
            }
            dt { (t(lang, "与户主关系")) } dd { (Relation::from_code(&p.relation).map_or("", |r| r.label())) }
            dt { (t(lang, "人员类别")) } dd { (groups_of(p, &h.household_type).labels()) }
            dt { (t(lang, "状态")) } dd { (PersonStatus::from_code(&p.status).map_or("", |s| s.label())) }
            dt { (t(lang, "所在村")) } dd { (h.village_name.as_deref().unwrap_or(&h.village_code)) }
        }
        @if unmasked.is_none() && user.may(Permission::Unmask) {
            p { a.button.secondary #unmask href={ (href) "/unmask" } { (t(lang, "查看完整证件号和电话")) } }
        }
        h2 { (t(lang, "疾病诊断")) }
        @if v.diagnoses.is_empty() { p.muted { (t(lang, "无诊断记录")) } } @else {
            ul { @for d in &v.diagnoses { li { (d.icd10) " " (d.disease_name.as_deref().unwrap_or("")) " · " (d.diagnosed_on) " · " (d.facility.as_deref().unwrap_or("")) } } }
        }
        @if let Some(c) = &v.claims { (claims_section(lang, &href, c)) }
        h2 { (t(lang, "变更记录")) }
        (timeline(lang, &v.history))
    };
    page(user, "/search", &p.name, body)
}

/// The claims of a person's page: the years, the year's totals and claims.
fn claims_section(lang: Lang, href: &str, c: &ClaimsOfYear) -> Markup {
    html! {
        h2 { (t(lang, "医疗费用结算")) }
        @if c.years.is_empty() { p.muted { (t(lang, "无结算记录")) } } @else {
            p.pager { @for y in &c.years {
                @if Some(*y) == c.year { strong { (y) } } @else { a href={ (href) "?year=" (y) } { (y) } }
            } }
            @if let Some(py) = &c.totals { (year_cards(lang, py)) }
            (claims_table(lang, href, c.year.unwrap_or_default(), &c.claims))
        }
    }
}

fn year_cards(lang: Lang, py: &PersonYearRow) -> Markup {
    let ratio = if py.total > 0 {
        format!(
            "{:.1}%",
            (py.total - py.out_of_pocket) as f64 * 100.0 / py.total as f64
        )
    } else {
        "—".into()
    };
    html! {
        div.cards {
            div.card { span.muted { (t(lang, "结算笔数")) } b { (py.claims) } }
            div.card { span.muted { (t(lang, "医疗总费用")) } b { (money(py.total)) } }
            div.card { span.muted { (t(lang, "基本医保")) } b { (money(py.basic)) } }
            div.card { span.muted { (t(lang, "大病保险")) } b { (money(py.critical)) } }
            div.card { span.muted { (t(lang, "医疗救助")) } b { (money(py.assistance)) } }
            div.card { span.muted { (t(lang, "补充保障")) } b { (money(py.supplementary)) } }
            div.card { span.muted { (t(lang, "个人自付")) } b { (money(py.out_of_pocket)) } }
            div.card { span.muted { (t(lang, "实际报销比例")) } b { (ratio) } }
        }
    }
}

fn claims_table(lang: Lang, href: &str, year: i32, claims: &[PersonClaim]) -> Markup {
    let opt = |v: Option<i64>| v.map(money).unwrap_or_else(|| "—".into());
    html! {
        div.tablewrap { table.cards-sm {
            thead { tr {
                th { (t(lang, "结算时间")) } th { (t(lang, "类型")) } th { (t(lang, "机构级别")) }
                th.n { (t(lang, "总费用")) } th.n { (t(lang, "政策范围内")) } th.n { (t(lang, "基本医保")) }
                th.n { (t(lang, "大病保险")) } th.n { (t(lang, "医疗救助")) } th.n { (t(lang, "补充保障")) }
                th.n { (t(lang, "个人自付")) } th { (t(lang, "说明")) }
            } }
            tbody { @for c in claims {
                tr {
                    td data-label=(t(lang, "结算时间")) { (c.settled_at.format("%Y-%m-%d %H:%M")) }
                    td data-label=(t(lang, "类型")) { (ClaimKind::from_code(&c.kind).map_or(c.kind.as_str(), |k| k.label())) }
                    td data-label=(t(lang, "机构级别")) { (FacilityLevel::from_code(&c.level).map_or(c.level.as_str(), |l| l.label())) }
                    td.n data-label=(t(lang, "总费用")) { (money(c.total)) }
                    td.n data-label=(t(lang, "政策范围内")) { (money(c.policy_scope)) }
                    td.n data-label=(t(lang, "基本医保")) { (opt(c.basic)) }
                    td.n data-label=(t(lang, "大病保险")) { (opt(c.critical)) }
                    td.n data-label=(t(lang, "医疗救助")) { (opt(c.assistance)) }
                    td.n data-label=(t(lang, "补充保障")) { (opt(c.supplementary)) }
                    td.n data-label=(t(lang, "个人自付")) { (opt(c.out_of_pocket)) }
                    td data-label=(t(lang, "说明")) {
                        @if c.reverses.is_some() { (t(lang, "冲销单")) }
                        @else if c.reversed_by.is_some() { (t(lang, "已被冲销")) }
                        @else { a href={ (href) "/claims/" (encode(&c.claim_id)) "?year=" (year) } { (t(lang, "计算过程")) } }
                    }
                }
            } }
        } }
    }
}

/// `GET /persons/{county}/{no}/{person}/claims/{claim}`: the tiers and how
/// they were computed.
pub async fn claim(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((county, no, r, claim_id)): Path<(String, String, String, String)>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let lang = user.lang;
    let at = PersonAt {
        county: &county,
        household_no: &no,
        reference: &r,
    };
    let plang = match lang {
        Lang::Zh => jianfu_policy::Lang::Zh,
        Lang::En => jianfu_policy::Lang::En,
    };
    let v = people::claim(&st.app, &user.actor, at, &claim_id, q.year, plang)
        .await
        .map_err(fail(lang))?;
    let (p, c) = (&v.person, &v.claim);
    let href = person_href(&county, &no, &r);
    let title = format!("{} {}", t(lang, "结算单"), c.claim_id);
    let body = html! {
        nav.crumbs.muted { a href=(href) { (p.name) } " › " (c.claim_id) }
        h1 { (title) }
        (claims_table(lang, &href, v.year, std::slice::from_ref(c)))
        h2 { (t(lang, "计算过程")) }
        @match &v.explanation {
            Some(text) => pre.explain #explanation { (text) },
            None => p.muted { (t(lang, "冲销单和已被冲销的结算单不参与计算。")) },
        }
    };
    Ok(page(&user, "/search", &title, body))
}

/// `GET /persons/{county}/{no}/{person}/unmask`: asks for the reason.
pub async fn unmask_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((county, no, r)): Path<(String, String, String)>,
) -> PageResult {
    let lang = user.lang;
    let at = PersonAt {
        county: &county,
        household_no: &no,
        reference: &r,
    };
    let p = people::unmask_subject(&st.app, &user.actor, at)
        .await
        .map_err(fail(lang))?;
    let body = html! {
        h1 { (t(lang, "查看完整信息")) }
        p { (p.name) " · " (mask_middle(&p.id_number)) }
        p.muted { (t(lang, "完整的身份证号和电话属于敏感个人信息。请说明查看理由，本次查看将记入审计日志。")) }
        form.stack method="post" action={ (person_href(&county, &no, &r)) "/unmask" } {
            (csrf_field(&user))
            label { (t(lang, "查看理由"))
                select name="reason" #reason {
                    option { (t(lang, "入户核实")) }
                    option { (t(lang, "电话随访")) }
                    option { (t(lang, "结算核对")) }
                    option { (t(lang, "部门比对")) }
                }
            }
            label { (t(lang, "补充说明")) input name="note" maxlength="200"; }
            button #confirm-unmask type="submit" { (t(lang, "确认查看")) }
        }
    };
    Ok(page(&user, "/search", t(lang, "查看完整信息"), body))
}

/// The reason form.
#[derive(Debug, Deserialize)]
pub struct UnmaskForm {
    reason: String,
    #[serde(default)]
    note: String,
}

/// `POST /persons/{county}/{no}/{person}/unmask`: records the look, then shows
/// the person unmasked in this one answer.
pub async fn unmask(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((county, no, r)): Path<(String, String, String)>,
    Form(f): Form<UnmaskForm>,
) -> PageResult {
    let lang = user.lang;
    let reason = format!("{} {}", f.reason.trim(), f.note.trim())
        .trim()
        .to_string();
    let at = PersonAt {
        county: &county,
        household_no: &no,
        reference: &r,
    };
    let v = people::unmask(&st.app, &user.actor, at, &reason, Extent::Record)
        .await
        .map_err(|e| match e {
            // The one refused input: no reason (the page says it in its language).
            UseCaseError::Invalid(_) => {
                PageError(AppError::BadRequest(t(lang, "请说明查看理由").into()), lang)
            }
            e => PageError::new(e, lang),
        })?;
    Ok(person_page(&user, &v, Some(&reason), st.app.today()))
}
