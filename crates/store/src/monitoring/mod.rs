//! Return-to-poverty monitoring (防止因病返贫动态监测) in the database:
//! parameter sets (`params`), the household-year inputs of the rules read
//! set-wise for a county (`inputs`), and the stored alerts with their
//! lifecycle status (`alerts`), the batch's fast read of summed claims
//! (`sums`), the cases of the procedure with their
//! timeline, deadlines and measures (`cases`), attachments (`case_files`)
//! and the alerts linked to them or dismissed (`case_alerts`), the
//! households an import touched (`touched`), the working-day calendar
//! files added after release (`calendars`), the pre-warnings other
//! departments pushed (`pushes`), the supervision items (督办) of late
//! case steps (`supervision`), and the A1–A3 findings on the counties'
//! monthly feedback lists (`feedback`). The rules themselves are the pure
//! `jianfu-monitoring` crate's; reconciling evaluated alerts with stored
//! ones is the service's `monitoring::run`.

mod alerts;
mod calendars;
mod case_alerts;
mod case_files;
mod cases;
pub mod feedback;
mod inputs;
mod params;
mod pushes;
mod sums;
pub mod supervision;
mod touched;

pub use alerts::{
    AlertRow, alerts_of_county, alerts_of_households, alerts_under, counties_under, insert_alerts,
    status_counts, update_alert,
};
pub use calendars::{CalendarRow, NewCalendar, add_calendar, calendar_files, calendar_in_force};
pub use case_alerts::{
    AlertKey, DismissalRow, alert_by_key, alerts_of_case, alerts_of_household, case_of_alert,
    dismissal, insert_dismissal, link_alert, set_alert_status,
};
pub use case_files::{AttachmentRow, attachment, attachments_of_case, insert_attachment};
pub use cases::{
    CaseFilter, CaseRow, DeadlineRow, FINAL_STATES, MeasureRow, TimelineRow, case_by_id,
    cases_of_household, cases_under, close_deadline, deadlines_of_case, insert_case,
    insert_measure, insert_timeline, measures_of_case, open_case_of_household, open_deadline,
    open_deadlines_under, timeline_of_case, update_case,
};
pub use inputs::{InputQuery, household_inputs, household_inputs_of};
pub use params::{
    BUILT_IN_USER, ParamsAdded, ParamsRow, add_params, check_params_source, params_list,
    params_sets, params_source, seed_params,
};
pub use pushes::{PushRow, insert_push, push_exists, pushes_of_case, pushes_of_household};
pub use sums::{household_claim_sums, household_sums, with_claims};
pub use touched::{CountyTouched, Touched, households_of_persons};

/// Key of the lock a monitoring run holds on PostgreSQL (`Tx::lock`), so
/// two runs over the same alerts do not insert the same key twice.
pub const MONITORING_LOCK: i64 = 7_202_300_014;
