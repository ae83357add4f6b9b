//! Households and persons through the API, with the same jurisdiction and
//! masking as the pages: ID and phone numbers come masked; unmasking one
//! person takes a reason and is audited.

use axum::Json;
use axum::extract::State;
use jianfu_domain::{GroupSet, HouseholdType, Permission, mask_middle};
use jianfu_store::PersonClaim;
use jianfu_store::queries::{DiagnosisRow, PersonRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError};
use crate::pages::people::{find_household, find_members};

/// A member as the API shows it.
#[derive(Debug, Serialize)]
pub struct Member {
    /// Position in the household (the person's address with the household).
    pub position: usize,
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

fn member(k: usize, p: &PersonRow, household_type: &str, unmask: bool) -> Member {
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
        position: k,
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
    let list: Vec<Member> = members
        .iter()
        .enumerate()
        .map(|(i, m)| member(i + 1, m, &h.household_type, false))
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
    (county, no, k): (&str, &str, usize),
    year: Option<i32>,
    unmask: bool,
) -> Result<Value, AppError> {
    let h = find_household(st, user, county, no).await?;
    let members = find_members(st, &h).await?;
    let p = members.get(k.wrapping_sub(1)).ok_or(AppError::NotFound)?;
    let diagnoses: Vec<DiagnosisRow> = st.db.diagnoses_of(county, &p.id_number).await?;
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
        "person": member(k, p, &h.household_type, unmask),
        "diagnoses": diagnoses,
    });
    if user.may(Permission::ViewClaims) {
        let years = st.db.claim_years_of(county, &p.id_number).await?;
        let year = year
            .filter(|y| years.contains(y))
            .or(years.first().copied());
        let claims: Vec<ClaimOut> = match year {
            Some(y) => st
                .db
                .person_claims(county, &p.id_number, y)
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

/// `GET /api/v1/persons/{county}/{no}/{k}?year=`
pub async fn person(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath((county, no, k)): ApiPath<(String, String, usize)>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Value> {
    user.require(Permission::ViewRegistry)?;
    Ok(Json(
        person_json(&st, &user, (&county, &no, k), q.year, false).await?,
    ))
}

/// Body of the unmask call.
#[derive(Debug, Deserialize)]
pub struct UnmaskBody {
    reason: String,
}

/// `POST /api/v1/persons/{county}/{no}/{k}/unmask`: the person with full
/// ID and phone numbers, after recording who looked and why.
pub async fn unmask(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath((county, no, k)): ApiPath<(String, String, usize)>,
    ApiJson(body): ApiJson<UnmaskBody>,
) -> ApiResult<Value> {
    user.require(Permission::Unmask)?;
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest("请说明查看理由（reason）".into()).into());
    }
    let h = find_household(&st, &user, &county, &no).await?;
    let members = find_members(&st, &h).await?;
    let p = members.get(k.wrapping_sub(1)).ok_or(AppError::NotFound)?;
    let mut entry = user.audit("unmask", &p.village_code);
    entry.target_kind = Some("person".into());
    entry.target_key = Some(p.id_number.clone());
    entry.reason = Some(reason.chars().take(300).collect());
    st.db.audit(&entry).await.map_err(AppError::from)?;
    Ok(Json(
        person_json(&st, &user, (&county, &no, k), None, true).await?,
    ))
}

/// The OpenAPI paths of this module.
pub fn paths() -> Vec<(&'static str, Value)> {
    use super::openapi::{op, path_param, query, with};
    let county = path_param("county", "县级代码（6位）");
    let no = path_param("no", "户编号");
    let k = path_param("k", "户内成员序号（户主为1，其余按出生日期）");
    let object = || json!({ "type": "object" });
    vec![
        (
            "/api/v1/households/{county}/{no}",
            json!({ "get": with(op("家庭及成员（证件号、电话脱敏）", object()),
                json!({ "parameters": [county, no] })) }),
        ),
        (
            "/api/v1/persons/{county}/{no}/{k}",
            json!({ "get": with(op("人员详情：诊断、结算年份及当年各笔结算的分段金额（分）", object()),
                json!({ "parameters": [county, no, k, query("year", "结算年度", "integer")] })) }),
        ),
        (
            "/api/v1/persons/{county}/{no}/{k}/unmask",
            json!({ "post": with(op("查看完整证件号和电话（须说明理由，记入审计日志）", object()),
                json!({ "parameters": [county, no, k], "requestBody": { "required": true, "content": {
                    "application/json": { "schema": { "type": "object", "required": ["reason"],
                        "properties": { "reason": { "type": "string" } } } } } } })) }),
        ),
    ]
}
