//! Monitoring pages (防返贫监测): the alerts awaiting a decision with
//! their explanation and the buttons to open a case or dismiss
//! (`alerts`), the case list with its filters and the form to open a case
//! by hand (`cases`), one case with its timeline, coloured deadlines,
//! measures, attachments and a form for each step this user may take
//! (`case_page`, with the department pushes of [`push_line`]), the
//! household page's part (`household`), the user's inbox of all of it
//! (`inbox`), the supervision items (督办) of the user's level and below
//! (`supervision`), and the counties' monthly feedback lists of A1–A3
//! findings with their answers (`feedback`). Every
//! list exports to XLSX and CSV through `tables::export`.

pub mod alerts;
pub mod case_page;
pub mod cases;
pub mod feedback;
pub mod household;
pub mod inbox;
pub mod supervision;

use jianfu_domain::{Money, PushSource};
use jianfu_monitoring::case::Channel;
use jianfu_monitoring::{CaseState, Colour};
use jianfu_store::monitoring::PushRow;
use maud::{Markup, html};

use crate::i18n::{Lang, t};

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

/// One department push (部门推送预警): department, day, reason, amount,
/// the department's batch number and remark, and whether it opened its
/// case or joined it. The ID number is shown masked.
pub fn push_line(lang: Lang, p: &PushRow) -> Markup {
    let source = PushSource::from_code(&p.source).map_or(p.source.as_str(), |s| s.label());
    html! {
        li.push data-source=(p.source) {
            b { (t(lang, "推送部门")) "：" (source) } " · "
            (t(lang, "推送日期")) "：" (p.pushed_on) " · "
            (t(lang, "身份证号")) "：" (p.id_number)
            br;
            (t(lang, "预警原因")) "：" (p.reason)
            @if let Some(fen) = p.amount {
                " · " (t(lang, "金额")) "：" (Money::from_fen(fen)) " " (t(lang, "元"))
            }
            @if let Some(r) = &p.push_ref { " · " (t(lang, "推送批次号")) "：" (r) }
            @if let Some(r) = &p.remark { " · " (t(lang, "备注")) "：" (r) }
            " · "
            @if p.opened_case { (t(lang, "立案")) } @else { (t(lang, "并入在办案件")) }
            " "
            a href=(format!("/monitoring/cases/{}", p.case_id)) { (t(lang, "监测案件")) " " (p.case_id) }
        }
    }
}
