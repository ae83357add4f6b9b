//! Households and persons through the API: the use cases of the pages
//! (`jianfu_service::people`), so the same jurisdiction and audit entries,
//! and the same masking: ID and phone numbers come masked; unmasking one
//! person takes a reason and is audited.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::State;
use jianfu_domain::{GroupSet, HouseholdType, age_on, mask_middle, mask_phone};
use jianfu_service::UseCaseError;
use jianfu_service::people::{self, ClaimsOfYear, Extent, PersonAt, PersonView};
use jianfu_store::PersonClaim;
use jianfu_store::registry::{self, DiagnosisRow, HouseholdRow, PersonHit, PersonRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError};
use crate::pages::search::SearchForm;
use crate::tables::ListParams;

/// The address of a household.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct HouseholdPath {
    /// 县级代码（6位）
    county: String,
    /// 户编号
    no: String,
}

/// The address of a person.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PersonPath {
    /// 县级代码（6位）
    county: String,
    /// 户编号
    no: String,
    /// 人员在户内的标识（家庭接口 members 中的 ref；人员留在本户期间不变）
    person: String,
}

impl PersonPath {
    fn at(&self) -> PersonAt<'_> {
        PersonAt {
            county: &self.county,
            household_no: &self.no,
            reference: &self.person,
        }
    }
}

/// 家庭成员（证件号和电话默认脱敏）。
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// 人员在户内的标识：与家庭一起构成人员的接口地址
    /// /api/v1/persons/{county}/{no}/{person}；人员留在本户期间不变
    #[serde(rename = "ref")]
    pub reference: String,
    /// 姓名
    pub name: String,
    /// 与户主关系代码
    pub relation: String,
    /// 身份证号（未申请查看完整信息时已脱敏）
    pub id_number: String,
    /// 性别：male 或 female
    pub sex: String,
    /// 出生日期：仅在申请查看完整信息时给出，否则为 null（脱敏的身份证号隐去的正是出生日期）
    pub birth_date: Option<chrono::NaiveDate>,
    /// 周岁年龄（按当日北京时间）
    pub age: u32,
    /// 人员类别代码，含户类别隐含的类别
    pub groups: Vec<String>,
    /// 电话（未申请查看完整信息时已脱敏，如 183****0117）
    pub phone: Option<String>,
    /// 人员状态代码
    pub status: String,
}

/// The group codes of a person: their own and those implied by the
/// household type.
fn group_codes(groups: &str, household_type: &str) -> Vec<String> {
    GroupSet::parse_list(&groups.replace('|', ","))
        .unwrap_or_default()
        .union(
            HouseholdType::from_code(household_type)
                .map_or(GroupSet::EMPTY, |t| t.implied_groups()),
        )
        .iter()
        .map(|g| g.code().to_string())
        .collect()
}

fn member(
    reference: String,
    p: &PersonRow,
    household_type: &str,
    unmask: bool,
    today: chrono::NaiveDate,
) -> Member {
    let (id_number, phone) = if unmask {
        (p.id_number.clone(), p.phone.clone())
    } else {
        (
            mask_middle(&p.id_number),
            p.phone.as_deref().map(mask_phone),
        )
    };
    Member {
        reference,
        name: p.name.clone(),
        relation: p.relation.clone(),
        id_number,
        sex: p.sex.clone(),
        birth_date: unmask.then_some(p.birth_date),
        age: age_on(p.birth_date, today),
        groups: group_codes(&p.groups, household_type),
        phone,
        status: p.status.clone(),
    }
}

/// 家庭。
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdOut {
    /// 县级代码
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// 村代码
    pub village_code: String,
    /// 村名称
    pub village_name: Option<String>,
    /// 户类别代码
    pub household_type: String,
    /// 家庭人均收入（分）
    pub income_per_capita: Option<i64>,
}

impl From<HouseholdRow> for HouseholdOut {
    fn from(row: HouseholdRow) -> Self {
        // Taken apart whole, so a field added to the stored row does not
        // build until the API decides whether to show it.
        let HouseholdRow {
            county_code,
            household_no,
            village_code,
            village_name,
            household_type,
            income_per_capita,
        } = row;
        HouseholdOut {
            county_code,
            household_no,
            village_code,
            village_name,
            household_type,
            income_per_capita,
        }
    }
}

/// 家庭及其成员。
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdPage {
    /// 家庭
    pub household: HouseholdOut,
    /// 成员（证件号、电话脱敏）
    pub members: Vec<Member>,
}

/// `GET /api/v1/households/{county}/{no}`
#[utoipa::path(
    get,
    path = "/api/v1/households/{county}/{no}",
    operation_id = "household",
    tag = tags::REGISTRY,
    summary = "家庭及成员（证件号、电话脱敏）",
    params(HouseholdPath),
    responses((status = 200, description = "成功", body = HouseholdPage), StandardErrors)
)]
pub async fn household(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(at): ApiPath<HouseholdPath>,
) -> ApiResult<HouseholdPage> {
    let v = people::household(&st.app, &user.actor, &at.county, &at.no, Extent::Rows).await?;
    let (htype, today) = (&v.household.household_type, st.app.today());
    let members = v
        .members
        .iter()
        .map(|m| member(m.reference.clone(), &m.person, htype, false, today))
        .collect();
    Ok(Json(HouseholdPage {
        household: v.household.into(),
        members,
    }))
}

/// Query of the person endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// 结算年度
    year: Option<i32>,
}

/// 一笔结算（金额单位：分）。
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimOut {
    /// 结算单号
    pub claim_id: String,
    /// 结算时间（北京时间，不带时区，如 2025-03-01T10:30:00）
    #[schema(value_type = String)]
    pub settled_at: chrono::NaiveDateTime,
    /// 就诊类别代码
    pub kind: String,
    /// 医疗机构级别代码
    pub level: String,
    /// 医疗总费用
    pub total: i64,
    /// 政策范围内费用
    pub policy_scope: i64,
    /// 被本笔冲销的结算单号
    pub reverses: Option<String>,
    /// 冲销本笔的结算单号
    pub reversed_by: Option<String>,
    /// 基本医保
    pub basic: Option<i64>,
    /// 大病保险
    pub critical: Option<i64>,
    /// 医疗救助
    pub assistance: Option<i64>,
    /// 补充保障
    pub supplementary: Option<i64>,
    /// 个人自付
    pub out_of_pocket: Option<i64>,
}

fn claim_out(c: &PersonClaim) -> ClaimOut {
    ClaimOut {
        claim_id: c.claim_id.clone(),
        settled_at: c.settled_at,
        kind: c.kind.clone(),
        level: c.level.clone(),
        total: c.total,
        policy_scope: c.policy_scope,
        reverses: c.reverses.clone(),
        reversed_by: c.reversed_by.clone(),
        basic: c.basic,
        critical: c.critical,
        assistance: c.assistance,
        supplementary: c.supplementary,
        out_of_pocket: c.out_of_pocket,
    }
}

/// 人员所在的家庭。
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdBrief {
    /// 县级代码
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// 村代码
    pub village_code: String,
    /// 村名称
    pub village_name: Option<String>,
}

/// 一条疾病诊断。
#[derive(Debug, Serialize, ToSchema)]
pub struct DiagnosisOut {
    /// ICD-10 编码
    pub icd10: String,
    /// 诊断日期
    pub diagnosed_on: chrono::NaiveDate,
    /// 疾病名称（按导入）
    pub disease_name: Option<String>,
    /// 诊断机构（按导入）
    pub facility: Option<String>,
}

impl From<&DiagnosisRow> for DiagnosisOut {
    fn from(d: &DiagnosisRow) -> Self {
        DiagnosisOut {
            icd10: d.icd10.clone(),
            diagnosed_on: d.diagnosed_on,
            disease_name: d.disease_name.clone(),
            facility: d.facility.clone(),
        }
    }
}

/// 人员详情：诊断，以及（可查看结算的角色）结算年份和一年的结算。
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDetail {
    /// 所在家庭
    pub household: HouseholdBrief,
    /// 人员
    pub person: Member,
    /// 疾病诊断
    pub diagnoses: Vec<DiagnosisOut>,
    // The claim fields come all three or not at all (roles that may not
    // read claims); `year` is null when there are none.
    /// 有结算的年份，最近的在前（仅对可查看结算的角色返回）
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_years: Option<Vec<i32>>,
    /// 所列结算的年度：请求的年度（有结算时），否则为最近有结算的一年；没有结算时为 null（仅对可查看结算的角色返回）
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<Option<i32>>,
    /// 该年度的各笔结算及分段金额（分）（仅对可查看结算的角色返回）
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimOut>>,
}

/// The answer of a person read (`unmask`: numbers shown whole).
fn person_detail(v: PersonView, unmask: bool, today: chrono::NaiveDate) -> PersonDetail {
    let PersonView {
        household: h,
        person: p,
        reference,
        diagnoses,
        claims,
        ..
    } = v;
    let (claim_years, year, claims) = match claims {
        Some(ClaimsOfYear {
            years,
            year,
            claims,
            ..
        }) => (
            Some(years),
            Some(year),
            Some(claims.iter().map(claim_out).collect()),
        ),
        None => (None, None, None),
    };
    PersonDetail {
        person: member(reference, &p, &h.household_type, unmask, today),
        household: HouseholdBrief {
            county_code: h.county_code,
            household_no: h.household_no,
            village_code: h.village_code,
            village_name: h.village_name,
        },
        diagnoses: diagnoses.iter().map(DiagnosisOut::from).collect(),
        claim_years,
        year,
        claims,
    }
}

/// `GET /api/v1/persons/{county}/{no}/{person}?year=`
#[utoipa::path(
    get,
    path = "/api/v1/persons/{county}/{no}/{person}",
    operation_id = "person",
    tag = tags::REGISTRY,
    summary = "人员详情：诊断、结算年份及当年各笔结算的分段金额（分）",
    params(PersonPath, YearQuery),
    responses((status = 200, description = "成功", body = PersonDetail), StandardErrors)
)]
pub async fn person(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(at): ApiPath<PersonPath>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<PersonDetail> {
    let v = people::person(&st.app, &user.actor, at.at(), q.year, Extent::Rows).await?;
    Ok(Json(person_detail(v, false, st.app.today())))
}

/// 查看完整证件号和电话的理由。
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnmaskBody {
    /// 查看理由（记入审计日志，最多300字）
    reason: String,
}

/// `POST /api/v1/persons/{county}/{no}/{person}/unmask`: the person with full
/// ID and phone numbers, after recording who looked and why.
#[utoipa::path(
    post,
    path = "/api/v1/persons/{county}/{no}/{person}/unmask",
    operation_id = "unmask_person",
    tag = tags::REGISTRY,
    summary = "查看完整证件号和电话（须说明理由，记入审计日志）",
    params(PersonPath),
    request_body = UnmaskBody,
    responses((status = 200, description = "成功", body = PersonDetail), StandardErrors)
)]
pub async fn unmask(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(at): ApiPath<PersonPath>,
    ApiJson(body): ApiJson<UnmaskBody>,
) -> ApiResult<PersonDetail> {
    let v = people::unmask(&st.app, &user.actor, at.at(), &body.reason, Extent::Rows)
        .await
        .map_err(|e| match e {
            // The one refused input: no reason (the API names the field).
            UseCaseError::Invalid(_) => AppError::BadRequest("请说明查看理由（reason）".into()),
            e => e.into(),
        })?;
    Ok(Json(person_detail(v, true, st.app.today())))
}

/// 查询到的人员（证件号已脱敏）。
#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    /// 姓名
    pub name: String,
    /// 身份证号（已脱敏）
    pub id_number: String,
    /// 与户主关系代码
    pub relation: String,
    /// 性别：male 或 female
    pub sex: String,
    /// 周岁年龄（按当日北京时间；脱敏的身份证号隐去的正是出生日期，故不给出出生日期）
    pub age: u32,
    /// 人员类别代码，含户类别隐含的类别
    pub groups: Vec<String>,
    /// 人员状态代码
    pub status: String,
    /// 县级代码
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// 户类别代码
    pub household_type: String,
    /// 村代码
    pub village_code: String,
    /// 村名称
    pub village_name: Option<String>,
    /// 该家庭的接口地址
    pub household: String,
    /// 该人员的接口地址
    pub person: String,
}

/// 排序方向。
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    /// 升序
    Asc,
    /// 降序
    Desc,
}

/// 一页查询结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage {
    /// 符合条件的人数，最多计到 10000
    pub total: i64,
    /// 多于 10000 人时为 true，此时只按默认顺序列出
    pub more: bool,
    /// 页码
    pub page: i64,
    /// 每页条数
    pub per: i64,
    /// 本页所按的排序列
    pub sort: String,
    /// 排序方向
    pub dir: SortDir,
    /// 本页人员
    pub items: Vec<Hit>,
}

fn hit(h: &PersonHit, person_ref: String, today: chrono::NaiveDate) -> Hit {
    let household_api = format!(
        "/api/v1/households/{}/{}",
        h.county_code,
        crate::auth::encode(&h.household_no)
    );
    Hit {
        name: h.name.clone(),
        id_number: mask_middle(&h.id_number),
        relation: h.relation.clone(),
        sex: h.sex.clone(),
        age: age_on(h.birth_date, today),
        groups: group_codes(&h.groups, &h.household_type),
        status: h.status.clone(),
        county_code: h.county_code.clone(),
        household_no: h.household_no.clone(),
        household_type: h.household_type.clone(),
        village_code: h.village_code.clone(),
        village_name: h.village_name.clone(),
        person: format!(
            "/api/v1/persons/{}/{}/{person_ref}",
            h.county_code,
            crate::auth::encode(&h.household_no),
        ),
        household: household_api,
    }
}

/// The sort asked for, refused when the key is not one of the search's.
fn person_sort(list: &ListParams) -> Result<Option<(registry::PersonSort, bool)>, AppError> {
    match list.sort.as_deref() {
        None | Some("") => Ok(None),
        Some(key) => registry::PersonSort::from_key(key)
            .map(|s| Some((s, list.desc())))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "无法按 {key} 排序：可用 village、name、household、birth"
                ))
            }),
    }
}

/// `GET /api/v1/persons`: the search of the search page, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/persons",
    operation_id = "search_persons",
    tag = tags::REGISTRY,
    summary = "在管辖地区内查询人员（至少给出一个条件；证件号脱敏）",
    params(
        SearchForm,
        ("sort" = Option<String>, Query,
            description = "排序列：village（默认）、name（按姓名查询时默认）、household、birth"),
        ListParams,
    ),
    responses((status = 200, description = "成功", body = PersonPage), StandardErrors)
)]
pub async fn search(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(form): ApiQuery<SearchForm>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> ApiResult<PersonPage> {
    let q = form
        .query()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    // Refused before the sort key, as the parameters read.
    people::refuse_empty(&q)?;
    let sort = person_sort(&list)?;
    let (offset, limit) = (list.offset(), list.limit());
    let found = people::search(&st.app, &user.actor, &q, sort, offset, limit).await?;
    let today = st.app.today();
    let items = found
        .hits
        .iter()
        .map(|h| hit(&h.person, h.reference.clone(), today))
        .collect();
    Ok(Json(PersonPage {
        total: found.total,
        more: found.more,
        page: list.page.unwrap_or(1).max(1),
        per: list.limit(),
        sort: found.sort.0.key().to_string(),
        dir: if found.sort.1 {
            SortDir::Desc
        } else {
            SortDir::Asc
        },
        items,
    }))
}
