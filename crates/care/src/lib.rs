//! Pure chronic-care engine of jianfu (健扶): 慢病签约服务管理.
//!
//! This crate owns who is managed for which of the four priority chronic
//! diseases ([`managed`]), what a follow-up visit says and what is due
//! after it ([`visit`], [`schedule`]), the alerts of home readings
//! ([`readings`]), the three-batch classification and the major-illness
//! treatment ledger ([`batches`], [`treatment`]) and the care KPIs
//! ([`kpi`]). It does no I/O: callers pass what they stored and keep what
//! comes back; every decision carries a reason that can [`Explain`] itself.
#![deny(missing_docs)]

pub mod calendar;
pub mod explain;
pub mod managed;
pub mod measure;

pub use explain::Explain;
pub use managed::{
    CareCatalogue, CareDisease, Diagnosis, EndReason, ManagedError, ManagementSpan, PersonEnds,
    RecordedEnd, managed_spans, span_on,
};
pub use measure::{Bp, Glucose, MeasureError};
