//! Households and persons through the API, with the same jurisdiction and
//! masking as the pages: ID and phone numbers come masked; unmasking one
//! person takes a reason and is audited.

use axum::Json;
use axum::extract::State;
use jianfu_domain::{GroupSet, HouseholdType, Permission, mask_middle};
use jianfu_store::registry::{self, DiagnosisRow, PersonRow};
use jianfu_store::{PersonClaim, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError};
use crate::pages::people::{find_household, find_members, find_person};

/// A member as the API shows it.
#[derive(Debug, Serialize)]
pub struct Member {
    /// The person's reference: with the household, the person's address
    /// (`/api/v1/persons/{county}/{no}/{person}`). It stays the same while
    /// the person stays in the household.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Name.
    pub name: String,
    /// Relation code.
    pub relation: String,
    /// ID number, masked unless unmasked.
    pub id_number: String,
    /// `male` / `female`.
    pub sex: String,
    /// Date of birth.
    pub birth_date: chrono::NaiveDate,
    /// Group codes, including those implied by the household type.
    pub groups: Vec<String>,
    /// Phone, masked unless unmasked.
    pub phone: Option<String>,
    /// Status code.
    pub status: String,
}

fn member(reference: String, p: &PersonRow, household_type: &str, unmask: bool) -> Member {
    let groups = GroupSet::parse_list(&p.groups.replace('|', ","))
        .unwrap_or_default()
        .union(
            HouseholdType::from_code(household_type)
                .map_or(GroupSet::EMPTY, |t| t.implied_groups()),
        );
    let show = |v: &str| {
        if unmask {
            v.to_string()
        } else {
            mask_middle(v)
        }
    };
    Member {
        reference,
        name: p.name.clone(),
        relation: p.relation.clone(),
        id_number: show(&p.id_number),
        sex: p.sex.clone(),
        birth_date: p.birth_date,
        groups: groups.iter().map(|g| g.code().to_string()).collect(),
        phone: p.phone.as_deref().map(show),
        status: p.status.clone(),
    }
}

/// `GET /api/v1/households/{county}/{no}`
pub async fn household(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath((county, no)): ApiPath<(String, String)>,
) -> ApiResult<Value> {
    user.require(Permission::ViewRegistry)?;
    let h = find_household(&st, &user, &county, &no).await?;
    let members = find_members(&st, &h).await?;
    let refs = st.person_refs().await?;
    let list: Vec<Member> = members
        .iter()
        .map(|m| member(refs.of(&m.id_number), m, &h.household_type, false))
        .collect();
    Ok(Json(json!({ "household": h, "members": list })))
}

/// Query of the person endpoint.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

/// A claim as the API shows it (money in fen).
#[derive(Debug, Serialize)]
pub struct ClaimOut {
    /// Claim id.
    pub claim_id: String,
    /// Settled at.
    pub settled_at: chrono::NaiveDateTime,
    /// Kind code.
    pub kind: String,
    /// Facility level code.
    pub level: String,
    /// Total cost, fen.
    pub total: i64,
    /// Policy-scope cost, fen.
    pub policy_scope: i64,
    /// The claim it reverses.
    pub reverses: Option<String>,
    /// The claim reversing it.
    pub reversed_by: Option<String>,
    /// Tier 1, fen.
    pub basic: Option<i64>,
    /// Tier 2, fen.
    pub critical: Option<i64>,
    /// Tier 3, fen.
    pub assistance: Option<i64>,
    /// Tier 4, fen.
    pub supplementary: Option<i64>,
    /// Out of pocket, fen.
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

async fn person_json(
    st: &AppState,
    user: &CurrentUser,
    (county, no, r): (&str, &str, &str),
    year: Option<i32>,
    unmask: bool,
) -> Result<Value, AppError> {
    let (h, p) = find_person(st, user, county, no, r).await?;
    let p = &p;
    let diagnoses: Vec<DiagnosisRow> =
        registry::diagnoses_of(&mut st.db.read().await?, county, &p.id_number).await?;
    let diagnoses: Vec<Value> = diagnoses
        .iter()
        .map(|d| {
            json!({ "icd10": d.icd10, "diagnosed_on": d.diagnosed_on,
                         "disease_name": d.disease_name, "facility": d.facility })
        })
        .collect();
    let mut out = json!({
        "household": { "county_code": h.county_code, "household_no": h.household_no,
                       "village_code": h.village_code, "village_name": h.village_name },
        "person": member(r.to_string(), p, &h.household_type, unmask),
        "diagnoses": diagnoses,
    });
    if user.may(Permission::ViewClaims) {
        let mut c = st.db.read().await?;
        let years = claims::claim_years_of(&mut c, county, &p.id_number).await?;
        let year = year
            .filter(|y| years.contains(y))
            .or(years.first().copied());
        let claims: Vec<ClaimOut> = match year {
            Some(y) => claims::person_claims(&mut c, county, &p.id_number, y)
                .await?
                .iter()
                .map(claim_out)
                .collect(),
            None => Vec::new(),
        };
        out["claim_years"] = json!(years);
        out["year"] = json!(year);
        out["claims"] = json!(claims);
    }
    Ok(out)
}

/// `GET /api/v1/persons/{county}/{no}/{person}?year=`
pub async fn person(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath((county, no, r)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Value> {
    user.require(Permission::ViewRegistry)?;
    Ok(Json(
        person_json(&st, &user, (&county, &no, &r), q.year, false).await?,
    ))
}

/// Body of the unmask call.
#[derive(Debug, Deserialize)]
pub struct UnmaskBody {
    reason: String,
}

/// `POST /api/v1/persons/{county}/{no}/{person}/unmask`: the person with full
/// ID and phone numbers, after recording who looked and why.
pub async fn unmask(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath((county, no, r)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<UnmaskBody>,
) -> ApiResult<Value> {
    user.require(Permission::Unmask)?;
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest("请说明查看理由（reason）".into()).into());
    }
    let (_, p) = find_person(&st, &user, &county, &no, &r).await?;
    let mut entry = user.audit("unmask", &p.village_code);
    entry.target_kind = Some("person".into());
    entry.target_key = Some(p.id_number.clone());
    entry.reason = Some(reason.chars().take(300).collect());
    let mut c = st.db.read().await.map_err(AppError::from)?;
    jianfu_store::audit::append(&mut c, &entry)
        .await
        .map_err(AppError::from)?;
    drop(c);
    Ok(Json(
        person_json(&st, &user, (&county, &no, &r), None, true).await?,
    ))
}

/// The OpenAPI paths of this module.
pub fn paths() -> Vec<(&'static str, Value)> {
    use super::openapi::{op, path_param, query, with};
    let county = path_param("county", "县级代码（6位）");
    let no = path_param("no", "户编号");
    let person = path_param(
        "person",
        "人员在户内的标识（家庭接口 members 中的 ref；人员留在本户期间不变）",
    );
    let object = || json!({ "type": "object" });
    let hit = json!({ "type": "object", "properties": {
        "name": { "type": "string" }, "id_number": { "type": "string", "description": "已脱敏" },
        "relation": { "type": "string" }, "sex": { "type": "string" },
        "birth_date": { "type": "string", "format": "date" },
        "groups": { "type": "array", "items": { "type": "string" } }, "status": { "type": "string" },
        "county_code": { "type": "string" }, "household_no": { "type": "string" },
        "household_type": { "type": "string" }, "village_code": { "type": "string" },
        "village_name": { "type": ["string", "null"] },
        "household": { "type": "string", "description": "该家庭的接口地址" },
        "person": { "type": "string", "description": "该人员的接口地址" } } });
    let found = json!({ "type": "object", "properties": {
        "total": { "type": "integer", "description": "符合条件的人数，最多计到 10000" },
        "more": { "type": "boolean", "description": "多于 10000 人时为 true，此时只按默认顺序列出" },
        "page": { "type": "integer" }, "per": { "type": "integer" },
        "sort": { "type": "string" }, "dir": { "type": "string", "enum": ["asc", "desc"] },
        "items": { "type": "array", "items": hit } } });
    vec![
        (
            "/api/v1/persons",
            json!({ "get": with(op("在管辖地区内查询人员（至少给出一个条件；证件号脱敏）", found),
                json!({ "parameters": [
                    query("id_number", "身份证号（18位，或15位旧号）", "string"),
                    query("name", "姓名或姓名开头", "string"),
                    query("household_no", "户编号", "string"),
                    query("village", "乡镇（9位）或村（12位）代码", "string"),
                    query("sort", "排序列：village（默认）、name（按姓名查询时默认）、household、birth", "string"),
                    query("dir", "asc 或 desc", "string"),
                    query("page", "页码，从1开始", "integer"),
                    query("per", "每页条数（默认50，最多200）", "integer"),
                ] })) }),
        ),
        (
            "/api/v1/dashboard",
            json!({ "get": with(op("地区统计：户数、各类人员数、当年结算与个人自付，及下级地区", object()),
                json!({ "parameters": [
                    query("region", "地区代码；默认为本人管辖地区（全国用户必填）", "string"),
                    query("year", "年度；默认为当年，当年尚无结算时为此前三年内最近有结算的一年", "integer"),
                ] })) }),
        ),
        (
            "/api/v1/households/{county}/{no}",
            json!({ "get": with(op("家庭及成员（证件号、电话脱敏）", object()),
                json!({ "parameters": [county, no] })) }),
        ),
        (
            "/api/v1/persons/{county}/{no}/{person}",
            json!({ "get": with(op("人员详情：诊断、结算年份及当年各笔结算的分段金额（分）", object()),
                json!({ "parameters": [county, no, person, query("year", "结算年度", "integer")] })) }),
        ),
        (
            "/api/v1/persons/{county}/{no}/{person}/unmask",
            json!({ "post": with(op("查看完整证件号和电话（须说明理由，记入审计日志）", object()),
                json!({ "parameters": [county, no, person], "requestBody": { "required": true, "content": {
                    "application/json": { "schema": { "type": "object", "required": ["reason"],
                        "properties": { "reason": { "type": "string" } } } } } } })) }),
        ),
    ]
}

/// A person found by a search, as the API shows it.
#[derive(Debug, Serialize)]
pub struct Hit {
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub id_number: String,
    /// Relation code.
    pub relation: String,
    /// `male` / `female`.
    pub sex: String,
    /// Date of birth.
    pub birth_date: chrono::NaiveDate,
    /// Group codes, including those implied by the household type.
    pub groups: Vec<String>,
    /// Status code.
    pub status: String,
    /// County of the household.
    pub county_code: String,
    /// 户编号.
    pub household_no: String,
    /// Household type code.
    pub household_type: String,
    /// Village code.
    pub village_code: String,
    /// Village name.
    pub village_name: Option<String>,
    /// The household in the API.
    pub household: String,
    /// The person in the API.
    pub person: String,
}

/// `GET /api/v1/persons`: the search of the search page, a page at a time.
pub async fn search(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(form): ApiQuery<crate::pages::search::SearchForm>,
    ApiQuery(list): ApiQuery<crate::tables::ListParams>,
) -> ApiResult<Value> {
    user.require(Permission::ViewRegistry)?;
    let q = form
        .query()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    if q.is_empty() {
        return Err(AppError::BadRequest(
            "请给出身份证号、姓名、户编号或地区代码中的至少一项".into(),
        )
        .into());
    }
    let sort = match list.sort.as_deref() {
        None | Some("") => None,
        Some(key) => Some((
            registry::PersonSort::from_key(key).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "无法按 {key} 排序：可用 village、name、household、birth"
                ))
            })?,
            list.desc(),
        )),
    };
    let mut c = st.db.read().await?;
    let found =
        registry::search_persons(&mut c, user.scope(), &q, sort, list.offset(), list.limit())
            .await?;
    drop(c);
    let refs = st.person_refs().await?;
    let items: Vec<Hit> = found
        .hits
        .iter()
        .map(|h| Hit {
            name: h.name.clone(),
            id_number: mask_middle(&h.id_number),
            relation: h.relation.clone(),
            sex: h.sex.clone(),
            birth_date: h.birth_date,
            groups: GroupSet::parse_list(&h.groups.replace('|', ","))
                .unwrap_or_default()
                .union(
                    HouseholdType::from_code(&h.household_type)
                        .map_or(GroupSet::EMPTY, |t| t.implied_groups()),
                )
                .iter()
                .map(|g| g.code().to_string())
                .collect(),
            status: h.status.clone(),
            county_code: h.county_code.clone(),
            household_no: h.household_no.clone(),
            household_type: h.household_type.clone(),
            village_code: h.village_code.clone(),
            village_name: h.village_name.clone(),
            household: format!(
                "/api/v1/households/{}/{}",
                h.county_code,
                crate::auth::encode(&h.household_no)
            ),
            person: format!(
                "/api/v1/persons/{}/{}/{}",
                h.county_code,
                crate::auth::encode(&h.household_no),
                refs.of(&h.id_number)
            ),
        })
        .collect();
    Ok(Json(json!({
        "total": found.total,
        "more": found.more,
        "page": list.page.unwrap_or(1).max(1),
        "per": list.limit(),
        "sort": found.sort.0.key(),
        "dir": if found.sort.1 { "desc" } else { "asc" },
        "items": items,
    })))
}

/// `GET /api/v1/dashboard`: the figures of the home page.
pub async fn dashboard(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<crate::pages::dashboard::DashboardQuery>,
) -> ApiResult<Value> {
    match crate::pages::dashboard::dashboard_of(&st, &user, &q).await? {
        Some(d) => Ok(Json(
            serde_json::to_value(d).map_err(|_| AppError::Internal)?,
        )),
        None => Err(AppError::BadRequest("全国用户请指定地区代码 region".into()).into()),
    }
}
