//! A household and a person: members, diagnoses, claims with their tier
//! breakdown and explanation, and the change history as a timeline; and
//! unmasking one person's ID and phone number with a stated reason.
//!
//! Every lookup goes through the caller's `Scope`: a household or person
//! outside it answers 404, the same as one that does not exist.

use axum::Form;
use axum::extract::{Path, Query, State};
use jianfu_domain::registry::{change_field_label, change_value_display};
use jianfu_domain::{
    ClaimKind, FacilityLevel, GroupSet, HouseholdType, Money, Permission, PersonStatus, Relation,
    mask_middle,
};
use jianfu_store::claims;
use jianfu_store::registry::{self, ChangeRow, HouseholdRow, PersonRow};
use jianfu_store::{PersonClaim, PersonYearRow};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::layout::{csrf_field, page};

type PageResult = Result<Markup, PageError>;

fn fail(lang: Lang) -> impl Fn(jianfu_store::StoreError) -> PageError {
    move |e| PageError(e.into(), lang)
}

fn money(fen: i64) -> String {
    Money::from_fen(fen).to_string()
}

/// The household `no` of `county`, when inside the caller's scope.
pub(crate) async fn find_household(
    st: &AppState,
    user: &CurrentUser,
    county: &str,
    no: &str,
) -> Result<HouseholdRow, AppError> {
    let h = registry::household(&mut st.db.read().await?, user.scope(), county, no)
        .await?
        .filter(|h| user.scope().contains_str(&h.village_code));
    h.ok_or(AppError::NotFound)
}

async fn household_in(
    st: &AppState,
    user: &CurrentUser,
    county: &str,
    no: &str,
) -> Result<HouseholdRow, PageError> {
    find_household(st, user, county, no)
        .await
        .map_err(|e| PageError(e, user.lang))
}

/// The members of a household in a stable order: head first, then by
/// birth date and ID number. A person's address is the household and the
/// person's reference (`jianfu_service::person_ref`), so no ID number
/// ever appears in a URL.
pub(crate) async fn find_members(
    st: &AppState,
    h: &HouseholdRow,
) -> Result<Vec<PersonRow>, AppError> {
    let mut m =
        registry::household_members(&mut st.db.read().await?, &h.county_code, &h.household_no)
            .await?;
    m.sort_by(|a, b| {
        (a.relation != "head", a.birth_date, &a.id_number).cmp(&(
            b.relation != "head",
            b.birth_date,
            &b.id_number,
        ))
    });
    Ok(m)
}

async fn members_of(
    st: &AppState,
    lang: Lang,
    h: &HouseholdRow,
) -> Result<Vec<PersonRow>, PageError> {
    find_members(st, h).await.map_err(|e| PageError(e, lang))
}

/// The member of household `no` of `county` whose reference is `r`, when
/// inside the caller's scope.
pub(crate) async fn find_person(
    st: &AppState,
    user: &CurrentUser,
    county: &str,
    no: &str,
    r: &str,
) -> Result<(HouseholdRow, PersonRow), AppError> {
    let h = find_household(st, user, county, no).await?;
    let refs = st.person_refs().await?;
    let p = find_members(st, &h)
        .await?
        .into_iter()
        .find(|p| refs.of(&p.id_number) == r)
        .filter(|p| user.scope().contains_str(&p.village_code));
    p.map(|p| (h, p)).ok_or(AppError::NotFound)
}

async fn person_in(
    st: &AppState,
    user: &CurrentUser,
    county: &str,
    no: &str,
    r: &str,
) -> Result<(HouseholdRow, PersonRow), PageError> {
    find_person(st, user, county, no, r)
        .await
        .map_err(|e| PageError(e, user.lang))
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
    user.require(Permission::ViewRegistry)
        .map_err(|e| PageError(e, lang))?;
    let h = household_in(&st, &user, &county, &no).await?;
    let members = members_of(&st, lang, &h).await?;
    let refs = st.person_refs().await.map_err(|e| PageError(e, lang))?;
    let mut c = st.db.read().await.map_err(fail(lang))?;
    let mut found = registry::diagnoses_of_household(&mut c, &h.county_code, &h.household_no)
        .await
        .map_err(fail(lang))?;
    // In the order of the members, each one's newest first.
    let mut diagnoses = Vec::with_capacity(found.len());
    for m in &members {
        diagnoses.extend(
            found
                .extract_if(.., |d| d.id_number == m.id_number)
                .map(|d| (m.name.clone(), d)),
        );
    }
    let history = registry::history(&mut c, &h.county_code, Some(&h.household_no), None)
        .await
        .map_err(fail(lang))?;
    drop(c);
    let htype = HouseholdType::from_code(&h.household_type).map_or("", |t| t.label());
    let title = format!("{} {}", t(lang, "家庭"), h.household_no);
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
                th { (t(lang, "性别")) } th { (t(lang, "出生日期")) } th { (t(lang, "人员类别")) }
                th { (t(lang, "联系电话")) } th { (t(lang, "状态")) }
            } }
            tbody { @for m in &members {
                tr {
                    td data-label=(t(lang, "姓名")) { a href=(person_href(&m.county_code, &h.household_no, &refs.of(&m.id_number))) { (m.name) } }
                    td data-label=(t(lang, "与户主关系")) { (Relation::from_code(&m.relation).map_or("", |r| r.label())) }
                    td data-label=(t(lang, "身份证号")) { (mask_middle(&m.id_number)) }
                    td data-label=(t(lang, "性别")) { (sex_label(lang, &m.sex)) }
                    td data-label=(t(lang, "出生日期")) { (m.birth_date) }
                    td data-label=(t(lang, "人员类别")) { (groups_of(m, &h.household_type).labels()) }
                    td data-label=(t(lang, "联系电话")) { (m.phone.as_deref().map(mask_middle).unwrap_or_default()) }
                    td data-label=(t(lang, "状态")) { (PersonStatus::from_code(&m.status).map_or("", |s| s.label())) }
                }
            } }
        } }
        h2 { (t(lang, "疾病诊断")) }
        @if diagnoses.is_empty() { p.muted { (t(lang, "无诊断记录")) } } @else {
            div.tablewrap { table.cards-sm {
                thead { tr { th { (t(lang, "姓名")) } th { (t(lang, "疾病编码")) } th { (t(lang, "疾病名称")) } th { (t(lang, "确诊日期")) } th { (t(lang, "确诊机构")) } } }
                tbody { @for (name, d) in &diagnoses {
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
        h2 { (t(lang, "变更记录")) }
        (timeline(lang, &history))
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
    person_page(&st, &user, (&county, &no, &r), q.year, None).await
}

async fn person_page(
    st: &AppState,
    user: &CurrentUser,
    (county, no, r): (&str, &str, &str),
    year: Option<i32>,
    unmasked: Option<&str>,
) -> PageResult {
    let lang = user.lang;
    user.require(Permission::ViewRegistry)
        .map_err(|e| PageError(e, lang))?;
    let (h, p) = person_in(st, user, county, no, r).await?;
    let id = p.id_number.as_str();
    let mut c = st.db.read().await.map_err(fail(lang))?;
    let diagnoses = registry::diagnoses_of(&mut c, county, id)
        .await
        .map_err(fail(lang))?;
    let history = registry::history(&mut c, county, None, Some(id))
        .await
        .map_err(fail(lang))?;
    drop(c);
    let mut c = st.db.read().await.map_err(fail(lang))?;
    let years = if user.may(Permission::ViewClaims) {
        claims::claim_years_of(&mut c, county, id)
            .await
            .map_err(fail(lang))?
    } else {
        Vec::new()
    };
    let year = year
        .filter(|y| years.contains(y))
        .or(years.first().copied());
    let (claims, py) = match year {
        Some(y) => (
            claims::person_claims(&mut c, county, id, y)
                .await
                .map_err(fail(lang))?,
            claims::person_year(&mut c, county, id, y)
                .await
                .map_err(fail(lang))?,
        ),
        None => (Vec::new(), None),
    };
    drop(c);
    let (id_shown, phone_shown) = match unmasked {
        Some(_) => (p.id_number.clone(), p.phone.clone().unwrap_or_default()),
        None => (
            mask_middle(&p.id_number),
            p.phone.as_deref().map(mask_middle).unwrap_or_default(),
        ),
    };
    let href = person_href(county, no, r);
    let body = html! {
        nav.crumbs.muted {
            a href="/" { (t(lang, "首页")) } " › "
            a href=(household_href(county, &h.household_no)) { (t(lang, "家庭")) " " (h.household_no) } " › " (p.name)
        }
        h1 { (p.name) }
        @if let Some(reason) = unmasked { p.warn { (t(lang, "已显示完整信息，本次查看已记入审计日志。理由：")) (reason) } }
        dl.kv {
            dt { (t(lang, "身份证号")) } dd #id-number { (id_shown) }
            dt { (t(lang, "联系电话")) } dd #phone { (phone_shown) }
            dt { (t(lang, "性别")) } dd { (sex_label(lang, &p.sex)) }
            dt { (t(lang, "出生日期")) } dd { (p.birth_date) }
            dt { (t(lang, "与户主关系")) } dd { (Relation::from_code(&p.relation).map_or("", |r| r.label())) }
            dt { (t(lang, "人员类别")) } dd { (groups_of(&p, &h.household_type).labels()) }
            dt { (t(lang, "状态")) } dd { (PersonStatus::from_code(&p.status).map_or("", |s| s.label())) }
            dt { (t(lang, "所在村")) } dd { (h.village_name.as_deref().unwrap_or(&h.village_code)) }
        }
        @if unmasked.is_none() && user.may(Permission::Unmask) {
            p { a.button.secondary #unmask href={ (href) "/unmask" } { (t(lang, "查看完整证件号和电话")) } }
        }
        h2 { (t(lang, "疾病诊断")) }
        @if diagnoses.is_empty() { p.muted { (t(lang, "无诊断记录")) } } @else {
            ul { @for d in &diagnoses { li { (d.icd10) " " (d.disease_name.as_deref().unwrap_or("")) " · " (d.diagnosed_on) " · " (d.facility.as_deref().unwrap_or("")) } } }
        }
        @if user.may(Permission::ViewClaims) {
            h2 { (t(lang, "医疗费用结算")) }
            @if years.is_empty() { p.muted { (t(lang, "无结算记录")) } } @else {
                p.pager { @for y in &years {
                    @if Some(*y) == year { strong { (y) } } @else { a href={ (href) "?year=" (y) } { (y) } }
                } }
                @if let Some(py) = &py { (year_cards(lang, py)) }
                (claims_table(lang, &href, year.unwrap_or_default(), &claims))
            }
        }
        h2 { (t(lang, "变更记录")) }
        (timeline(lang, &history))
    };
    Ok(page(user, "/search", &p.name, body))
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
    user.require(Permission::ViewClaims)
        .map_err(|e| PageError(e, lang))?;
    let (_, p) = person_in(&st, &user, &county, &no, &r).await?;
    let id = p.id_number.clone();
    let mut conn = st.db.read().await.map_err(fail(lang))?;
    let years = claims::claim_years_of(&mut conn, &county, &id)
        .await
        .map_err(fail(lang))?;
    let mut found = None;
    for y in q.year.into_iter().chain(years) {
        let claims = claims::person_claims(&mut conn, &county, &id, y)
            .await
            .map_err(fail(lang))?;
        if let Some(c) = claims.iter().find(|c| c.claim_id == claim_id) {
            found = Some((y, c.clone()));
            break;
        }
    }
    drop(conn);
    let Some((year, c)) = found else {
        return Err(PageError(AppError::NotFound, lang));
    };
    let plang = match lang {
        Lang::Zh => jianfu_policy::Lang::Zh,
        Lang::En => jianfu_policy::Lang::En,
    };
    let text =
        jianfu_service::explain::explain_stored(&st.db, &county, &id, year, &claim_id, plang)
            .await
            .map_err(fail(lang))?;
    let title = format!("{} {}", t(lang, "结算单"), c.claim_id);
    let body = html! {
        nav.crumbs.muted { a href=(person_href(&county, &no, &r)) { (p.name) } " › " (c.claim_id) }
        h1 { (title) }
        (claims_table(lang, &person_href(&county, &no, &r), year, std::slice::from_ref(&c)))
        h2 { (t(lang, "计算过程")) }
        @match text {
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
    user.require(Permission::Unmask)
        .map_err(|e| PageError(e, lang))?;
    let (_, p) = person_in(&st, &user, &county, &no, &r).await?;
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
    user.require(Permission::Unmask)
        .map_err(|e| PageError(e, lang))?;
    let reason = format!("{} {}", f.reason.trim(), f.note.trim())
        .trim()
        .to_string();
    if reason.is_empty() {
        return Err(PageError(
            AppError::BadRequest(t(lang, "请说明查看理由").into()),
            lang,
        ));
    }
    let (_, p) = person_in(&st, &user, &county, &no, &r).await?;
    let mut entry = user.audit("unmask", &p.village_code);
    entry.target_kind = Some("person".into());
    entry.target_key = Some(p.id_number.clone());
    entry.reason = Some(reason.chars().take(300).collect());
    let mut c = st.db.read().await.map_err(fail(lang))?;
    jianfu_store::audit::append(&mut c, &entry)
        .await
        .map_err(fail(lang))?;
    drop(c);
    person_page(&st, &user, (&county, &no, &r), None, Some(&reason)).await
}
