//! Pure monitoring engine of jianfu (健扶): 防止因病返贫动态监测.
//!
//! This crate owns the monitoring contract (`monitoring.md`): the
//! parameter sets ([`MonitoringParams`], strict TOML, built-in
//! `reference-2023`), the rules of a household-year (R2, R3 and R5 raise
//! alerts; R1 and R4 make an alerted household a candidate) with their
//! explanations and the export row, the A1–A3 findings on claims of poor
//! patients, the working-day calendar, the identification procedure as a
//! state machine ([`procedure::apply`]), deadline colours and the
//! supervision ladder ([`escalation::scan`]).
//!
//! It does no I/O and keeps no clock: callers pass the data, the date or
//! instant, the calendar and the parameters, and store what comes back.
//! The only files are the shipped data, compiled in with `include_str!`:
//! `data/monitoring/reference-2023.toml` and the national working-day
//! calendar `data/calendar/cn-2022.toml` … `cn-2026.toml`. 2027 is not
//! shipped: no State Council notice for 2027 could be found, so a deadline
//! that reaches into 2027 is an error until that year's file is loaded.
#![deny(missing_docs)]

pub mod anomaly;
pub mod batch;
pub mod calendar;
pub mod case;
pub mod codes;
pub mod deadline;
pub mod escalation;
pub mod explain;
pub mod export;
pub mod input;
pub mod measure;
pub mod params;
pub mod procedure;
pub mod rules;

pub use anomaly::{AnomalyRule, Finding, find_anomalies};
pub use batch::{evaluate_batch, evaluate_household};
pub use calendar::{CalendarError, WorkCalendar, add_days, add_months};
pub use case::{Action, Actor, Case, CaseState, Command, Transition, TransitionError};
pub use deadline::{Colour, Deadline, DeadlineKind};
pub use escalation::{EscalationAction, Step, SupervisionItem, scan};
pub use explain::{Explanation, Lang, explain, render};
pub use export::{AlertStatus, ExportRow, export_row};
pub use input::{Claim, ClaimFacts, Diagnosis, Household, Households, Member};
pub use measure::{Department, Measure, MeasureType};
pub use params::{MonitoringParams, ParamsError, select};
pub use procedure::{apply, available, open_case};
pub use rules::{Alert, Category, Context, Rule};
