//! Cases of the monitoring procedure (识别程序, `domain.md` §3.4–3.6) as
//! use cases. The pure engine (`jianfu_monitoring::procedure`) decides
//! every move; these use cases load the case, hand the engine the
//! actor's role and jurisdiction, the App's day, the working-day calendar
//! and the parameter set in force, and store what it returned with the
//! audit entry in the same transaction.
//!
//! - `open`: a case from an alert (the alert becomes `linked`, or joins
//!   the household's open case), by hand through another channel, and
//!   dismissing an alert with a reason;
//! - `step`: taking a step, with its measure and attachments;
//! - `files`: attachments (type by first bytes, size) and their download;
//! - `read`: lists and details;
//! - `convert`: between the engine's values and the store's rows.

mod convert;
mod files;
mod open;
mod read;
mod step;

pub use files::{MAX_ATTACHMENT, MAX_FILES, Upload, add_attachments, attachment, sniff};
pub(crate) use open::{NewCase, open_or_join};
pub use open::{Opened, dismiss_alert, open_from_alert, open_manual};
pub use read::{
    AlertLine, AlertQuery, CaseDetail, CaseLine, CaseQuery, DeadlineView, HouseholdMonitoring,
    case_detail, household_monitoring, list_alerts, list_cases,
};
pub use step::{MeasureInput, StepDone, StepRequest, take_step};
