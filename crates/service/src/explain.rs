//! Explaining a stored claim: its person-year is settled again in stored
//! order under the stored parameter sets, with the trace switched on for
//! the one claim asked about, so the explanation is the calculation that
//! produced the stored amounts.

use jianfu_domain::{ClaimKind, FacilityLevel, GroupSet, Money};
use jianfu_policy::explain::{Lang, explain};
use jianfu_policy::{ClaimInput, Step, Tiers, YearState};
use jianfu_store::{PersonClaim, StoreError, Tx};

/// The steps of one stored claim's settlement, with the tiers they give,
/// or `None` when the claim does not take part in settlement (a reversal
/// or a reversed claim) or is not among `claims`.
pub fn trace_claim(
    policies: &jianfu_store::PolicySet,
    county: &str,
    claims: &[PersonClaim],
    claim_id: &str,
) -> Result<Option<(Vec<Step>, Tiers)>, StoreError> {
    let mut state = YearState::default();
    for c in claims
        .iter()
        .filter(|c| c.reverses.is_none() && c.reversed_by.is_none())
    {
        let input = input_of(c)?;
        let policy = policies
            .choose(county, c.settled_at.date())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("结算单 {} 没有适用的政策参数", c.claim_id))
            })?;
        if c.claim_id == claim_id {
            let mut steps: Vec<Step> = Vec::new();
            let tiers = policy.policy.settle_traced(&mut state, &input, &mut steps);
            return Ok(Some((steps, tiers)));
        }
        policy.policy.settle(&mut state, &input);
    }
    Ok(None)
}

fn input_of(c: &PersonClaim) -> Result<ClaimInput, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("结算单 {} 的{what}", c.claim_id));
    Ok(ClaimInput {
        kind: ClaimKind::from_code(&c.kind).ok_or_else(|| corrupt("就诊类型"))?,
        level: FacilityLevel::from_code(&c.level).ok_or_else(|| corrupt("机构级别"))?,
        county_internal: c.county_internal,
        groups: GroupSet::parse_list(&c.groups).map_err(|_| corrupt("人员类别"))?,
        total: Money::from_fen(c.total),
        policy_scope: Money::from_fen(c.policy_scope),
    })
}

/// The explanation text in `lang` of stored claim `claim_id` among
/// `claims`, its person-year's stored claims, under the stored parameter
/// sets read on `tx`.
pub async fn explain_stored(
    tx: &mut Tx,
    county: &str,
    claims: &[PersonClaim],
    claim_id: &str,
    lang: Lang,
) -> Result<Option<String>, StoreError> {
    let policies = jianfu_store::policies::policy_set(tx).await?;
    Ok(trace_claim(&policies, county, claims, claim_id)?.map(|(steps, _)| explain(&steps, lang)))
}
