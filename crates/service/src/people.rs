//! Households and persons as use cases: a household with its members, a
//! person with diagnoses, claims and history, a claim's explanation, the
//! person search and its export, and unmasking one person.
//!
//! Every read goes through the actor's jurisdiction: a household or person
//! outside it answers [`UseCaseError::NotFound`], exactly like one that
//! does not exist. The two audited actions, unmasking and exporting a
//! search, write their entry in the transaction of their read, so a read
//! that fails leaves no entry. The rows come back whole (ID and phone
//! numbers unmasked): masking is how a page or an answer shows them.
//!
//! Each use case reads on one connection, so a page costs one connection
//! whatever it shows.

use jianfu_domain::Permission;
use jianfu_policy::explain::Lang;
use jianfu_store::registry::{
    self, ChangeRow, DiagnosisRow, HouseholdRow, PersonHit, PersonPage, PersonRow, PersonSearch,
    PersonSort,
};
use jianfu_store::{PersonClaim, PersonYearRow, StoreError, Tx, audit, claims};

use crate::error::{UseCaseError, UseCaseResult};
use crate::person_ref::PersonRefs;
use crate::{Actor, App, explain};

/// Most rows one export of personal data writes.
pub const EXPORT_LIMIT: i64 = 100_000;

/// How much of a household's or person's record a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// The rows themselves: a household and its members; a person, their
    /// diagnoses and one year's claims.
    Rows,
    /// Also what a record page shows around them: the change history, a
    /// household's diagnoses, a person's totals of the year.
    Record,
}

/// Where a person is: their household and their reference in it
/// ([`PersonRefs`]), never the ID number.
#[derive(Debug, Clone, Copy)]
pub struct PersonAt<'a> {
    /// County code (6 digits).
    pub county: &'a str,
    /// 户编号.
    pub household_no: &'a str,
    /// The person's reference.
    pub reference: &'a str,
}

/// A member of a household with their reference.
#[derive(Debug, Clone)]
pub struct Member {
    /// The stored person.
    pub person: PersonRow,
    /// Their reference, for their address.
    pub reference: String,
}

/// A household as read for an actor.
#[derive(Debug, Clone)]
pub struct HouseholdView {
    /// The household.
    pub household: HouseholdRow,
    /// The members: head first, then by birth date and ID number.
    pub members: Vec<Member>,
    /// Each member's diagnoses with the member's name, in the order of the
    /// members, each one's newest first ([`Extent::Record`]).
    pub diagnoses: Vec<(String, DiagnosisRow)>,
    /// The household's change history, oldest first ([`Extent::Record`]).
    pub history: Vec<ChangeRow>,
}

/// A person's claims of one year.
#[derive(Debug, Clone)]
pub struct ClaimsOfYear {
    /// The years with claims, latest first.
    pub years: Vec<i32>,
    /// The year listed: the one asked for when it has claims, else the
    /// latest; `None` when there are none.
    pub year: Option<i32>,
    /// That year's claims.
    pub claims: Vec<PersonClaim>,
    /// That year's totals ([`Extent::Record`]).
    pub totals: Option<PersonYearRow>,
}

/// A person as read for an actor.
#[derive(Debug, Clone)]
pub struct PersonView {
    /// Their household.
    pub household: HouseholdRow,
    /// The stored person.
    pub person: PersonRow,
    /// Their reference.
    pub reference: String,
    /// Their diagnoses, newest first.
    pub diagnoses: Vec<DiagnosisRow>,
    /// Their change history, oldest first ([`Extent::Record`]).
    pub history: Vec<ChangeRow>,
    /// Their claims; `None` when the actor may not view claims.
    pub claims: Option<ClaimsOfYear>,
}

/// A claim and how its tiers were computed.
#[derive(Debug, Clone)]
pub struct ClaimView {
    /// The insured person.
    pub person: PersonRow,
    /// The claim's year.
    pub year: i32,
    /// The claim.
    pub claim: PersonClaim,
    /// The calculation; `None` for a reversal or a reversed claim, which
    /// take no part in settlement.
    pub explanation: Option<String>,
}

/// A person found by a search, with their reference.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The row found.
    pub person: PersonHit,
    /// Their reference.
    pub reference: String,
}

/// A page of a person search.
#[derive(Debug, Clone)]
pub struct Found {
    /// The persons of the page.
    pub hits: Vec<Hit>,
    /// Matches, counted up to the store's cap.
    pub total: i64,
    /// True when there are more matches than the cap.
    pub more: bool,
    /// The order of the page (`true`: descending).
    pub sort: (PersonSort, bool),
}

/// Household `no` of `county` for `actor`.
pub async fn household(
    app: &App,
    actor: &Actor,
    county: &str,
    no: &str,
    extent: Extent,
) -> UseCaseResult<HouseholdView> {
    actor.require(Permission::ViewRegistry)?;
    let refs = app.person_refs().await?;
    let mut tx = app.db.read().await?;
    let household = household_in(&mut tx, actor, county, no).await?;
    let members = members_of(&mut tx, &household).await?;
    let (diagnoses, history) = match extent {
        Extent::Rows => (Vec::new(), Vec::new()),
        Extent::Record => {
            let (county, no) = (&household.county_code, &household.household_no);
            let found = registry::diagnoses_of_household(&mut tx, county, no).await?;
            let history = registry::history(&mut tx, county, Some(no), None).await?;
            (by_member(found, &members), history)
        }
    };
    let members = members
        .into_iter()
        .map(|person| Member {
            reference: refs.of(&person.id_number),
            person,
        })
        .collect();
    Ok(HouseholdView {
        household,
        members,
        diagnoses,
        history,
    })
}

/// The person at `at` for `actor`, with the claims of `year` (the latest
/// year with claims when `year` has none).
pub async fn person(
    app: &App,
    actor: &Actor,
    at: PersonAt<'_>,
    year: Option<i32>,
    extent: Extent,
) -> UseCaseResult<PersonView> {
    actor.require(Permission::ViewRegistry)?;
    let refs = app.person_refs().await?;
    let mut tx = app.db.read().await?;
    let found = person_in(&mut tx, refs, actor, at).await?;
    Ok(read_person(&mut tx, actor, found, at.reference, year, extent).await?)
}

/// The person at `at`, to ask `actor` why they want to unmask them: only
/// actors who may unmask get this far, and nothing is recorded yet.
pub async fn unmask_subject(
    app: &App,
    actor: &Actor,
    at: PersonAt<'_>,
) -> UseCaseResult<PersonRow> {
    actor.require(Permission::Unmask)?;
    actor.require(Permission::ViewRegistry)?;
    let refs = app.person_refs().await?;
    let mut tx = app.db.read().await?;
    Ok(person_in(&mut tx, refs, actor, at).await?.1)
}

/// Unmasks the person at `at` for `actor`, who states `reason`: the person
/// is read (latest year's claims) and the entry `unmask` naming them and
/// the reason is committed in one transaction.
pub async fn unmask(
    app: &App,
    actor: &Actor,
    at: PersonAt<'_>,
    reason: &str,
    extent: Extent,
) -> UseCaseResult<PersonView> {
    actor.require(Permission::Unmask)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(UseCaseError::Invalid("请说明查看理由".into()));
    }
    actor.require(Permission::ViewRegistry)?;
    let refs = app.person_refs().await?;
    let mut tx = app.db.begin_write().await?;
    let (household, person) = person_in(&mut tx, refs, actor, at).await?;
    let mut entry = actor.entry("unmask", &person.village_code);
    entry.target_kind = Some("person".into());
    entry.target_key = Some(person.id_number.clone());
    entry.reason = Some(reason.chars().take(300).collect());
    let found = (household, person);
    let view = read_person(&mut tx, actor, found, at.reference, None, extent).await?;
    audit::append_at(&mut tx, &entry, app.now()).await?;
    tx.commit().await?;
    Ok(view)
}

/// Claim `claim_id` of the person at `at` (looked for in `year` first,
/// then in every year with claims) and its calculation in `lang`.
pub async fn claim(
    app: &App,
    actor: &Actor,
    at: PersonAt<'_>,
    claim_id: &str,
    year: Option<i32>,
    lang: Lang,
) -> UseCaseResult<ClaimView> {
    actor.require(Permission::ViewClaims)?;
    let refs = app.person_refs().await?;
    let mut tx = app.db.read().await?;
    let (household, person) = person_in(&mut tx, refs, actor, at).await?;
    let county = household.county_code.as_str();
    let id = person.id_number.as_str();
    let years = claims::claim_years_of(&mut tx, county, id).await?;
    let mut found = None;
    for y in year.into_iter().chain(years) {
        let of_year = claims::person_claims(&mut tx, county, id, y).await?;
        if let Some(c) = of_year.iter().find(|c| c.claim_id == claim_id) {
            found = Some((y, c.clone(), of_year));
            break;
        }
    }
    let (year, claim, of_year) = found.ok_or(UseCaseError::NotFound)?;
    let explanation = explain::explain_stored(&mut tx, county, &of_year, claim_id, lang).await?;
    Ok(ClaimView {
        person,
        year,
        claim,
        explanation,
    })
}

/// A page of the persons inside `actor`'s jurisdiction matching `q`.
pub async fn search(
    app: &App,
    actor: &Actor,
    q: &PersonSearch,
    sort: Option<(PersonSort, bool)>,
    offset: i64,
    limit: i64,
) -> UseCaseResult<Found> {
    actor.require(Permission::ViewRegistry)?;
    refuse_empty(q)?;
    let refs = app.person_refs().await?;
    let Some(id_number) = &q.id_number else {
        let mut tx = app.db.read().await?;
        let page = registry::search_persons(&mut tx, &actor.scope, q, sort, offset, limit).await?;
        return Ok(found(page, refs));
    };
    // A search by a whole ID number answers whether that person exists,
    // which a script could use to try the numbers a masked one leaves
    // open: each such look-up is in the audit log, with what it found.
    let mut tx = app.db.begin_write().await?;
    let page = registry::search_persons(&mut tx, &actor.scope, q, sort, offset, limit).await?;
    let mut entry = actor.entry("search.id_number", actor.scope.code());
    entry.target_kind = Some("person".into());
    entry.target_key = Some(id_number.clone());
    entry.detail = Some(format!("找到 {} 人", page.total));
    audit::append_at(&mut tx, &entry, app.now()).await?;
    tx.commit().await?;
    Ok(found(page, refs))
}

/// Every person matching `q` (up to [`EXPORT_LIMIT`]) for an export: the
/// read and the entry `export` with its count commit together.
pub async fn export_search(
    app: &App,
    actor: &Actor,
    q: &PersonSearch,
    sort: Option<(PersonSort, bool)>,
) -> UseCaseResult<Found> {
    actor.require(Permission::ViewRegistry)?;
    actor.require(Permission::ExportPersonal)?;
    refuse_empty(q)?;
    let refs = app.person_refs().await?;
    let mut tx = app.db.begin_write().await?;
    let page = registry::search_persons(&mut tx, &actor.scope, q, sort, 0, EXPORT_LIMIT).await?;
    let mut entry = actor.entry("export", actor.scope.code());
    entry.target_kind = Some("persons".into());
    entry.detail = Some(format!("人员查询结果 {} 条", page.hits.len()));
    audit::append_at(&mut tx, &entry, app.now()).await?;
    tx.commit().await?;
    Ok(found(page, refs))
}

/// Refuses a search without a criterion, which would list the whole
/// jurisdiction.
pub fn refuse_empty(q: &PersonSearch) -> UseCaseResult<()> {
    if q.is_empty() {
        return Err(UseCaseError::Invalid(
            "请给出身份证号、姓名、户编号或地区代码中的至少一项".into(),
        ));
    }
    Ok(())
}

fn found(page: PersonPage, refs: &PersonRefs) -> Found {
    let PersonPage {
        hits,
        total,
        more,
        sort,
    } = page;
    let hits = hits
        .into_iter()
        .map(|person| Hit {
            reference: refs.of(&person.id_number),
            person,
        })
        .collect();
    Found {
        hits,
        total,
        more,
        sort,
    }
}

/// The household `no` of `county`, when inside `actor`'s jurisdiction.
async fn household_in(
    tx: &mut Tx,
    actor: &Actor,
    county: &str,
    no: &str,
) -> UseCaseResult<HouseholdRow> {
    let h = registry::household(tx, &actor.scope, county, no)
        .await?
        .filter(|h| actor.scope.contains_str(&h.village_code));
    h.ok_or(UseCaseError::NotFound)
}

/// The members of a household in a stable order: head first, then by
/// birth date and ID number (a person's reference, not a position, is
/// their address, but lists should not shuffle).
async fn members_of(tx: &mut Tx, h: &HouseholdRow) -> Result<Vec<PersonRow>, StoreError> {
    let mut m = registry::household_members(tx, &h.county_code, &h.household_no).await?;
    m.sort_by(|a, b| {
        (a.relation != "head", a.birth_date, &a.id_number).cmp(&(
            b.relation != "head",
            b.birth_date,
            &b.id_number,
        ))
    });
    Ok(m)
}

/// The member of the household at `at` whose reference it names, when
/// inside `actor`'s jurisdiction.
async fn person_in(
    tx: &mut Tx,
    refs: &PersonRefs,
    actor: &Actor,
    at: PersonAt<'_>,
) -> UseCaseResult<(HouseholdRow, PersonRow)> {
    let h = household_in(tx, actor, at.county, at.household_no).await?;
    let p = members_of(tx, &h)
        .await?
        .into_iter()
        .find(|p| refs.of(&p.id_number) == at.reference)
        .filter(|p| actor.scope.contains_str(&p.village_code));
    p.map(|p| (h, p)).ok_or(UseCaseError::NotFound)
}

/// The household's diagnoses in the order of its members, each with the
/// member's name.
fn by_member(mut found: Vec<DiagnosisRow>, members: &[PersonRow]) -> Vec<(String, DiagnosisRow)> {
    let mut out = Vec::with_capacity(found.len());
    for m in members {
        out.extend(
            found
                .extract_if(.., |d| d.id_number == m.id_number)
                .map(|d| (m.name.clone(), d)),
        );
    }
    out
}

/// What is shown of a person found: diagnoses, history and, for actors
/// who may view claims, the claims of `year`.
async fn read_person(
    tx: &mut Tx,
    actor: &Actor,
    (household, person): (HouseholdRow, PersonRow),
    reference: &str,
    year: Option<i32>,
    extent: Extent,
) -> Result<PersonView, StoreError> {
    let county = household.county_code.as_str();
    let id = person.id_number.as_str();
    let diagnoses = registry::diagnoses_of(tx, county, id).await?;
    let history = match extent {
        Extent::Rows => Vec::new(),
        Extent::Record => registry::history(tx, county, None, Some(id)).await?,
    };
    let claims = if actor.may(Permission::ViewClaims) {
        Some(claims_of(tx, county, id, year, extent).await?)
    } else {
        None
    };
    Ok(PersonView {
        reference: reference.to_string(),
        household,
        person,
        diagnoses,
        history,
        claims,
    })
}

async fn claims_of(
    tx: &mut Tx,
    county: &str,
    id: &str,
    year: Option<i32>,
    extent: Extent,
) -> Result<ClaimsOfYear, StoreError> {
    let years = claims::claim_years_of(tx, county, id).await?;
    let year = year
        .filter(|y| years.contains(y))
        .or(years.first().copied());
    let (claims, totals) = match year {
        None => (Vec::new(), None),
        Some(y) => {
            let claims = claims::person_claims(tx, county, id, y).await?;
            let totals = match extent {
                Extent::Rows => None,
                Extent::Record => claims::person_year(tx, county, id, y).await?,
            };
            (claims, totals)
        }
    };
    Ok(ClaimsOfYear {
        years,
        year,
        claims,
        totals,
    })
}

#[cfg(test)]
mod tests;
