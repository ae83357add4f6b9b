//! Monitoring pages (防返贫监测): the alerts awaiting a decision with
//! their explanation and the buttons to open a case or dismiss
//! (`alerts`), the case list with its filters and the form to open a case
//! by hand (`cases`), one case with its timeline, coloured deadlines,
//! measures, attachments and a form for each step this user may take
//! (`case_page`), the household page's part (`household`), the user's
//! inbox of all of it (`inbox`), the supervision items (督办) of the
//! user's level and below (`supervision`), and the counties' monthly
//! feedback lists of A1–A3 findings with their answers (`feedback`). Every
//! list exports to XLSX and CSV through `tables::export`.

pub mod alerts;
pub mod case_page;
pub mod cases;
pub mod feedback;
pub mod household;
pub mod inbox;
pub mod supervision;

use jianfu_monitoring::case::Channel;
use jianfu_monitoring::{CaseState, Colour};
use maud::{Markup, html};

/// The Chinese label of a stored state code.
pub fn state_label(code: &str) -> String {
    CaseState::from_code(code).map_or_else(|| code.to_string(), |s| s.label().to_string())
}

/// The Chinese label of a stored channel code.
pub fn channel_label(code: &str) -> String {
    Channel::from_code(code).map_or_else(|| code.to_string(), Channel::label)
}

/// A deadline's colour as a badge.
pub fn colour_badge(colour: Option<Colour>) -> Markup {
    match colour {
        None => html! {},
        Some(c) => {
            let class = match c {
                Colour::Green => "dl dl-green",
                Colour::Amber => "dl dl-amber",
                Colour::Red => "dl dl-red",
            };
            html! { span class=(class) data-colour=(format!("{c:?}").to_lowercase()) { (c.label()) } }
        }
    }
}

/// The label of an alert status code.
pub fn alert_status_label(code: &str) -> String {
    jianfu_monitoring::AlertStatus::from_code(code)
        .map_or_else(|| code.to_string(), |s| s.label().to_string())
}
