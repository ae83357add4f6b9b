//! Pure policy engines of jianfu (健扶).
//!
//! This crate owns the settlement parameter sets ([`Policy`], read from
//! TOML and validated) and the settlement engine that splits a medical
//! claim into the four tiers (基本医保, 大病保险, 医疗救助, 补充保障) within
//! a person-year. It does no I/O: callers feed claims in settlement order
//! and keep the [`YearState`] of each person-year; an optional [`Trace`]
//! sink receives every step so a settled claim can explain itself.
#![deny(missing_docs)]

pub mod batch;
pub mod engine;
pub mod explain;
pub mod params;

pub use batch::{BatchClaim, settle_batch, settle_batch_where, settle_in_order};
pub use engine::{ClaimInput, NoTrace, Step, Tiers, Trace, YearState};
pub use explain::{Lang, explain};
pub use params::{
    Assistance, AssistanceRule, Band, Bands, Basic, Critical, KindRule, LevelRule, Policy,
    PolicyError, Supplementary, SupplementaryDesign,
};
