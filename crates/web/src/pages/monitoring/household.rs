//! The household page's monitoring part: its alerts (with what was
//! decided), its cases and the department pushes about it, for those who may see monitoring.

use jianfu_domain::Permission;
use jianfu_service::monitoring::cases;
use maud::{Markup, html};

use super::{alert_status_label, push_line, state_label};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::i18n::t;

/// The section, or nothing without `ViewMonitoring` (a failure to read
/// shows as a line, not as a broken household page).
pub async fn section(st: &AppState, user: &CurrentUser, county: &str, no: &str) -> Markup {
    let lang = user.lang;
    if !user.may(Permission::ViewMonitoring) {
        return html! {};
    }
    let m = match cases::household_monitoring(&st.app, &user.actor, county, no).await {
        Ok(m) => m,
        Err(e) => return html! { p.muted { (e) } },
    };
    html! {
        h2 { (t(lang, "防返贫监测")) }
        @if m.alerts.is_empty() && m.cases.is_empty() && m.pushes.is_empty() { p.muted { (t(lang, "无预警和案件")) } }
        @if !m.cases.is_empty() {
            ul.household-cases {
                @for c in &m.cases {
                    li { a href=(format!("/monitoring/cases/{}", c.id)) { (t(lang, "监测案件")) " " (c.id) }
                        " · " (state_label(&c.state)) " · " (c.opened_on) }
                }
            }
        }
        @if !m.alerts.is_empty() {
            ul.household-alerts {
                @for l in &m.alerts {
                    li { b { (l.alert.rule) } " " (l.alert.year) " · " (alert_status_label(&l.alert.status)) "：" (l.alert.explanation)
                        @if let Some(c) = l.case_id { " " a href=(format!("/monitoring/cases/{c}")) { (t(lang, "查看案件")) } } }
                }
            }
            @if m.alerts.iter().any(|l| l.alert.status == "open") {
                p { a href="/monitoring/alerts" { (t(lang, "去处理预警")) } }
            }
        }
        @if !m.pushes.is_empty() {
            h3 { (t(lang, "部门推送预警")) }
            ul.household-pushes { @for p in &m.pushes { (push_line(lang, p)) } }
        }
    }
}
