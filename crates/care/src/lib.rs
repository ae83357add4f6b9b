//! Pure chronic-care engine of jianfu (健扶): 慢病签约服务管理.
//!
//! This crate owns who is managed for which of the four priority chronic
//! diseases ([`managed`]), what a follow-up visit says and what is due
//! after it ([`visit`], [`schedule`], [`tasks`]), the alerts of home
//! readings ([`readings`]), the three-batch classification and the
//! major-illness treatment ledger ([`batches`], [`treatment`]) and the care
//! KPIs ([`kpi`]). It does no I/O: callers pass what they stored and keep
//! what comes back; every decision carries a reason that can [`Explain`]
//! itself in Chinese and English.
#![deny(missing_docs)]

mod codes;

pub mod batches;
pub mod calendar;
pub mod explain;
pub mod kpi;
pub mod managed;
pub mod measure;
pub mod reading_row;
pub mod readings;
pub mod schedule;
pub mod tasks;
pub mod treatment;
pub mod visit;

pub use batches::{
    Batch, BatchFacts, BatchRules, BatchSet, Burden, ListMatch, batches, default_poor_groups,
    income_after_medical,
};
pub use explain::Explain;
pub use kpi::{
    ContractFacts, ContractGroup, ManagementFacts, ManagementRates, Rate, TreatmentRate,
    contract_rates, management_facts, management_rates, treatment_rate,
};
pub use managed::{
    CareCatalogue, CareDisease, CareMatch, Diagnosis, EndReason, ManagedError, ManagementSpan,
    PersonEnds, RecordedEnd, judging_version, managed_spans, span_on,
};
pub use measure::{Bp, Glucose, MeasureError};
pub use reading_row::{ReadingRow, parse_reading_row};
pub use readings::{
    Alert, AlertRule, AlertUpdate, Reading, ReadingError, ReadingKind, ReadingValue,
    alerts_after_reading, alerts_for,
};
pub use schedule::{
    NextRule, Task, TaskKind, TaskReason, TbPhase, first_task, next_after_visit, open_tasks_on,
    schedule_task, tb_phase,
};
pub use tasks::{
    FaceToFaceGap, PlacedTask, Placement, TaskRow, Window, face_to_face_gap, task_rows,
    tasks_in_window,
};
pub use treatment::{
    TreatmentChange, TreatmentError, TreatmentRef, TreatmentStatus, UnsuitableReason,
};
pub use visit::{
    Adherence, ClassReason, Classification, MentalGrade, Stability, Visit, VisitClass, VisitDraft,
    VisitError, VisitField, Way, classify,
};
