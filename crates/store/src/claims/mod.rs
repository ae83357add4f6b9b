//! Claims (结算记录) and their settlement kept exact.
//!
//! Writing (`import`, `lookups`): one claims import is one transaction;
//! each chunk is judged against the registry, the policies and the stored
//! claims, then settled (`settle`), so every stored amount equals a fresh
//! batch settlement of the standing claims. Re-settling whole
//! (`resettle`) serves a new policy and the one-off upgrades
//! (`upgrades`). Reading (`queries`): the claims of a year under a
//! region, a person's claims and person-years, adjustments.

mod import;
mod lookups;
mod queries;
mod resettle;
mod settle;
mod upgrades;

pub use import::{ClaimConflict, ClaimsImport};
pub use queries::{
    AdjustmentRow, PersonClaim, PersonYearRow, StoredClaim, claim_adjustments, claim_years_of,
    claims_of_year, for_each_claim_of_year, person_claims, person_year, person_years_of,
};
pub(crate) use resettle::{add_settle_stats, governed_years, lock_settlement, resettle};
pub(crate) use settle::Reason;
pub(crate) use upgrades::run_pending_upgrades;
