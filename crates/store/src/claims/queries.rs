//! Read queries over stored claims: the standing claims of a year under a
//! region (for policy simulation, streamed), a person's claims, years and
//! person-year, and the adjustments of a claim.

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{ClaimKind, FacilityLevel, GroupSet, Money};
use jianfu_policy::{BatchClaim, ClaimInput, Tiers};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// A standing claim (neither reversed nor a reversal) with where its
/// person lives, as policy simulation reads it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredClaim {
    /// Insured county.
    pub county_code: String,
    /// 结算单号.
    pub claim_id: String,
    /// ID number. Personal data: never log it.
    pub person_id: String,
    /// 户编号 of the person's household.
    pub household_no: String,
    /// The household's village.
    pub village_code: String,
    /// The household's type code (户类别).
    pub household_type: String,
    /// Year of settlement.
    pub year: i16,
    /// Group codes joined by `|`, as settled.
    pub groups: String,
    /// Claim kind code.
    pub kind: String,
    /// Facility level code.
    pub level: String,
    /// 是否县域内.
    pub county_internal: bool,
    /// 结算时间 (Beijing local time).
    pub settled_at: NaiveDateTime,
    /// Tie-break of equal `settled_at`: import order.
    pub input_seq: i64,
    /// Total cost, fen.
    pub total: i64,
    /// Policy-scope cost, fen.
    pub policy_scope: i64,
    /// The policy that settled it.
    pub policy_id: i64,
    /// Tier 1, fen.
    pub basic: i64,
    /// Tier 2, fen.
    pub critical: i64,
    /// Tier 3, fen.
    pub assistance: i64,
    /// Tier 4, fen.
    pub supplementary: i64,
    /// Left to the family, fen.
    pub out_of_pocket: i64,
    /// 先诊疗后付费, when known.
    pub pay_later: Option<bool>,
    /// 一站式结算, when known.
    pub one_stop: Option<bool>,
}

impl StoredClaim {
    /// What the settlement engine needs of it (`None` if a stored code is
    /// not one this version knows).
    pub fn input(&self) -> Option<ClaimInput> {
        Some(ClaimInput {
            kind: ClaimKind::from_code(&self.kind)?,
            level: FacilityLevel::from_code(&self.level)?,
            county_internal: self.county_internal,
            groups: GroupSet::parse_list(&self.groups).ok()?,
            total: Money::from_fen(self.total),
            policy_scope: Money::from_fen(self.policy_scope),
        })
    }

    /// As [`StoredClaim::input`], for `jianfu_policy::settle_batch`: the
    /// person key is the packed ID number and the instant is local
    /// seconds. Feed claims in the order [`claims_of_year`] returns
    /// them (import order breaks ties of `settled_at` as stored).
    pub fn batch_claim(&self) -> Option<BatchClaim> {
        Some(BatchClaim {
            person: jianfu_domain::IdCardNo::parse(&self.person_id)
                .ok()?
                .packed(),
            settled_at: self.settled_at.and_utc().timestamp(),
            year: i32::from(self.year),
            input: self.input()?,
        })
    }

    /// The stored split.
    pub fn tiers(&self) -> Tiers {
        Tiers {
            basic: Money::from_fen(self.basic),
            critical: Money::from_fen(self.critical),
            assistance: Money::from_fen(self.assistance),
            supplementary: Money::from_fen(self.supplementary),
            out_of_pocket: Money::from_fen(self.out_of_pocket),
        }
    }
}

/// A claim of one person as the web shows it: reversals and reversed
/// claims included (their tiers are `None`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonClaim {
    /// 结算单号.
    pub claim_id: String,
    /// Group codes as settled.
    pub groups: String,
    /// True when the groups came from the registry.
    pub groups_from_registry: bool,
    /// Claim kind code.
    pub kind: String,
    /// Facility level code.
    pub level: String,
    /// 是否县域内.
    pub county_internal: bool,
    /// 结算时间.
    pub settled_at: NaiveDateTime,
    /// Total cost, fen.
    pub total: i64,
    /// Policy-scope cost, fen.
    pub policy_scope: i64,
    /// The claim this one reverses.
    pub reverses: Option<String>,
    /// The reversal that cancelled this claim.
    pub reversed_by: Option<String>,
    /// Main diagnosis. Health data: never log it.
    pub icd10: Option<String>,
    /// Facility code.
    pub facility_code: Option<String>,
    /// 入院日期.
    pub admitted_on: Option<NaiveDate>,
    /// 先诊疗后付费.
    pub pay_later: Option<bool>,
    /// 一站式结算.
    pub one_stop: Option<bool>,
    /// The policy that settled it.
    pub policy_id: Option<i64>,
    /// Tier 1, fen.
    pub basic: Option<i64>,
    /// Tier 2, fen.
    pub critical: Option<i64>,
    /// Tier 3, fen.
    pub assistance: Option<i64>,
    /// Tier 4, fen.
    pub supplementary: Option<i64>,
    /// Left to the family, fen.
    pub out_of_pocket: Option<i64>,
    /// The batch that stored it.
    pub created_batch: i64,
    /// The batch that last set its amounts.
    pub settled_batch: i64,
}

/// A person-year's accumulators and sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PersonYearRow {
    /// Insured county.
    pub county_code: String,
    /// ID number.
    pub person_id: String,
    /// Year.
    pub year: i16,
    /// Inpatient admissions.
    pub admissions: i64,
    /// Tier-1 payments: inpatient.
    pub basic_used_inpatient: i64,
    /// Tier-1 payments: 门诊慢特病.
    pub basic_used_chronic: i64,
    /// Tier-1 payments: 普通门诊.
    pub basic_used_outpatient: i64,
    /// Cumulative Tier-2 base.
    pub critical_base: i64,
    /// Cumulative Tier-3 base.
    pub assistance_base: i64,
    /// Cumulative banded Tier-4 base.
    pub supplementary_base: i64,
    /// Standing claims.
    pub claims: i64,
    /// Sum of totals.
    pub total: i64,
    /// Sum of policy-scope costs.
    pub policy_scope: i64,
    /// Sum of Tier 1.
    pub basic: i64,
    /// Sum of Tier 2.
    pub critical: i64,
    /// Sum of Tier 3.
    pub assistance: i64,
    /// Sum of Tier 4.
    pub supplementary: i64,
    /// Sum left to the family.
    pub out_of_pocket: i64,
}

/// A change of a stored claim's amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AdjustmentRow {
    /// The batch that made it.
    pub batch_id: i64,
    /// Order within the batch.
    pub seq: i64,
    /// The claim.
    pub claim_id: String,
    /// `late_claim`, `reversal` or `policy_change`.
    pub reason: String,
    /// Tier 1 before, fen.
    pub old_basic: i64,
    /// Tier 2 before.
    pub old_critical: i64,
    /// Tier 3 before.
    pub old_assistance: i64,
    /// Tier 4 before.
    pub old_supplementary: i64,
    /// Out of pocket before.
    pub old_out_of_pocket: i64,
    /// Tier 1 after.
    pub new_basic: i64,
    /// Tier 2 after.
    pub new_critical: i64,
    /// Tier 3 after.
    pub new_assistance: i64,
    /// Tier 4 after.
    pub new_supplementary: i64,
    /// Out of pocket after.
    pub new_out_of_pocket: i64,
}

const YEAR_SELECT: &str = "SELECT c.county_code, c.claim_id, c.person_id, p.household_no, \
    p.village_code, h.household_type, c.year, c.groups, c.kind, c.level, c.county_internal, c.settled_at, \
    c.input_seq, c.total, c.policy_scope, c.policy_id, c.basic, c.critical, c.assistance, \
    c.supplementary, c.out_of_pocket, c.pay_later, c.one_stop \
    FROM claims c JOIN persons p ON p.county_code = c.county_code AND p.id_number = c.person_id \
    JOIN households h ON h.county_code = p.county_code AND h.household_no = p.household_no \
    WHERE c.county_code >= $1 AND c.county_code < $2 AND c.year = $3 \
    AND p.village_code >= $4 AND p.village_code < $5 \
    AND c.reverses IS NULL AND c.reversed_by IS NULL \
    ORDER BY c.county_code, c.person_id, c.settled_at, c.input_seq";

/// Streams the standing claims of `year` whose insured person lives under
/// `region_prefix` (any length: province to village), ordered by county,
/// person, `settled_at` and import order — the settlement order, so a
/// caller can run each person-year through the engine as it comes. Memory
/// stays flat however many claims there are. Returns how many there were.
pub async fn for_each_claim_of_year(
    tx: &mut Tx,
    region_prefix: &str,
    year: i32,
    mut f: impl FnMut(StoredClaim),
) -> Result<u64> {
    let county_prefix = &region_prefix[..region_prefix.len().min(6)];
    let (clo, chi) = prefix_range(county_prefix);
    let (vlo, vhi) = prefix_range(region_prefix);
    let year = i16::try_from(year).unwrap_or(i16::MAX);
    let args = [
        Value::Text(&clo),
        Value::Text(&chi),
        Value::Int16(year),
        Value::Text(&vlo),
        Value::Text(&vhi),
    ];
    tx.each(YEAR_SELECT, &args, |c| {
        f(c);
        Ok(())
    })
    .await
}

/// [`for_each_claim_of_year`] collected.
pub async fn claims_of_year(
    tx: &mut Tx,
    region_prefix: &str,
    year: i32,
) -> Result<Vec<StoredClaim>> {
    let mut out = Vec::new();
    for_each_claim_of_year(tx, region_prefix, year, |c| out.push(c)).await?;
    Ok(out)
}

/// Every claim of a person in a year (reversals and reversed claims
/// included), in settlement order.
pub async fn person_claims(
    tx: &mut Tx,
    county: &str,
    person_id: &str,
    year: i32,
) -> Result<Vec<PersonClaim>> {
    let sql = "SELECT claim_id, groups, groups_from_registry, kind, level, county_internal, \
               settled_at, total, policy_scope, reverses, reversed_by, icd10, facility_code, \
               admitted_on, pay_later, one_stop, policy_id, basic, critical, assistance, \
               supplementary, out_of_pocket, created_batch, settled_batch FROM claims \
               WHERE county_code = $1 AND year = $2 AND person_id = $3 \
               ORDER BY settled_at, input_seq";
    let year = i16::try_from(year).unwrap_or(i16::MAX);
    let args = [
        Value::Text(county),
        Value::Int16(year),
        Value::Text(person_id),
    ];
    tx.all(sql, &args).await
}

/// Years in which the person has stored claims, newest first.
pub async fn claim_years_of(tx: &mut Tx, county: &str, person_id: &str) -> Result<Vec<i32>> {
    let sql = "SELECT DISTINCT year FROM claims WHERE county_code = $1 AND person_id = $2 \
               ORDER BY year DESC";
    let years: Vec<i16> = tx
        .scalars(sql, &[Value::Text(county), Value::Text(person_id)])
        .await?;
    Ok(years.into_iter().map(i32::from).collect())
}

const PERSON_YEAR_SELECT: &str = "SELECT county_code, person_id, year, admissions, \
    basic_used_inpatient, basic_used_chronic, basic_used_outpatient, critical_base, \
    assistance_base, supplementary_base, claims, total, policy_scope, basic, critical, \
    assistance, supplementary, out_of_pocket FROM person_years";

/// A person-year's accumulators and sums, if the person has claims that
/// year.
pub async fn person_year(
    tx: &mut Tx,
    county: &str,
    person_id: &str,
    year: i32,
) -> Result<Option<PersonYearRow>> {
    let sql =
        format!("{PERSON_YEAR_SELECT} WHERE county_code = $1 AND person_id = $2 AND year = $3");
    let year = i16::try_from(year).unwrap_or(i16::MAX);
    let args = [
        Value::Text(county),
        Value::Text(person_id),
        Value::Int16(year),
    ];
    tx.opt(AssertSqlSafe(sql), &args).await
}

/// The person-years of a county and year (for statistics and checks).
pub async fn person_years_of(tx: &mut Tx, county: &str, year: i32) -> Result<Vec<PersonYearRow>> {
    let sql =
        format!("{PERSON_YEAR_SELECT} WHERE county_code = $1 AND year = $2 ORDER BY person_id");
    let year = i16::try_from(year).unwrap_or(i16::MAX);
    tx.all(
        AssertSqlSafe(sql),
        &[Value::Text(county), Value::Int16(year)],
    )
    .await
}

/// The amount changes of a claim, oldest first.
pub async fn claim_adjustments(
    tx: &mut Tx,
    county: &str,
    claim_id: &str,
) -> Result<Vec<AdjustmentRow>> {
    let sql = "SELECT batch_id, seq, claim_id, reason, old_basic, old_critical, old_assistance, \
               old_supplementary, old_out_of_pocket, new_basic, new_critical, new_assistance, \
               new_supplementary, new_out_of_pocket FROM claim_adjustments \
               WHERE county_code = $1 AND claim_id = $2 ORDER BY batch_id, seq";
    tx.all(sql, &[Value::Text(county), Value::Text(claim_id)])
        .await
}
