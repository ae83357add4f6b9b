//! The audit log page (审计日志): search by user, action, target and date,
//! newest first, with export; the export is itself audited.
//!
//! The log is append-only: there is no route that edits or deletes an
//! entry, and the database refuses it too. The search and the export are
//! use cases (`jianfu_service::audit_log`): only entries whose region lies
//! inside the viewer's jurisdiction are found, and the export's own entry
//! commits with its read. Target keys that look like ID or phone numbers
//! are shown masked, on screen and in exports; times in China time.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jianfu_domain::time::china;
use jianfu_domain::{Role, mask_middle, mask_numbers_in_text, mask_phone};
use jianfu_service::UseCaseError;
use jianfu_service::audit_log::{self, LogQuery};
use jianfu_store::{AuditRow, AuditSort};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::layout::page;
use crate::tables::{self, Cell, Column, ListParams, Table};

/// Action codes and their Chinese labels: the one table of them.
pub const ACTIONS: [(&str, &str); 34] = [
    ("login", "登录"),
    ("login.failed", "登录失败"),
    ("login.throttled", "登录被限制"),
    ("user.add", "新增用户"),
    ("user.disable", "停用用户"),
    ("user.enable", "启用用户"),
    ("user.reset_password", "重置密码"),
    ("user.unlock", "解除登录限制"),
    ("user.change_password", "修改密码"),
    ("api_token.issue", "生成接口令牌"),
    ("unmask", "查看完整信息"),
    ("search.id_number", "按身份证号查询"),
    ("export", "导出"),
    ("import", "导入"),
    ("import.failed", "导入任务失败"),
    ("policy.add", "新增政策参数"),
    ("simulate", "政策模拟"),
    ("audit.export", "导出审计日志"),
    ("monitoring.run", "运行防返贫监测"),
    ("monitoring.export", "导出监测预警"),
    ("monitoring.params.add", "新增监测参数"),
    ("monitoring.simulate", "监测阈值测算"),
    ("monitoring.scan", "督办扫描"),
    ("monitoring.alert.dismiss", "忽略预警"),
    ("monitoring.alert.link", "预警并入案件"),
    ("monitoring.push.link", "部门推送预警并入案件"),
    ("monitoring.case.open", "监测立案"),
    ("monitoring.case.step", "办理监测案件"),
    ("monitoring.case.attach", "上传案件附件"),
    ("monitoring.case.attachment.download", "下载案件附件"),
    ("monitoring.feedback.generate", "生成异常结算月度反馈清单"),
    ("monitoring.feedback.answer", "异常结算核查反馈"),
    ("calendar.add", "新增工作日历"),
    ("calendar.replace", "替换工作日历"),
];

/// The label of an action code in `lang`; unknown codes are shown raw.
pub fn action_label(lang: Lang, code: &str) -> String {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_string(), |(_, zh)| t(lang, zh).to_string())
}

/// A stored key as shown: ID numbers (18 characters) and phone numbers
/// masked, anything else as stored.
pub fn shown_key(key: &str) -> String {
    let b = key.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let id_like = b.len() == 18 && digits(&b[..17]) && matches!(b[17], b'0'..=b'9' | b'X' | b'x');
    let phone_like = b.len() == 11 && b[0] == b'1' && digits(b);
    if id_like {
        mask_middle(key)
    } else if phone_like {
        mask_phone(key)
    } else {
        key.to_string()
    }
}

/// The search of the audit log, as typed (here and in `GET
/// /api/v1/audit`, whose document describes the parameters with the
/// Chinese comments below).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 用户名（完全匹配）
    pub user: Option<String>,
    /// 操作代码（完全匹配），如 login、user.add
    pub action: Option<String>,
    /// 对象（完全匹配），如完整身份证号
    pub target: Option<String>,
    /// 起始日期 YYYY-MM-DD（北京时间）
    pub from: Option<String>,
    /// 截止日期 YYYY-MM-DD（含）
    pub to: Option<String>,
}

impl AuditQuery {
    /// The search for the use case, sorted as `p` asks; `lenient` drops a
    /// sort key that is not a column's (the page), else it is refused (the
    /// API).
    pub fn search(&self, p: &ListParams, lenient: bool) -> LogQuery {
        let sort = p.sort.clone();
        LogQuery {
            user: self.user.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            sort: sort.filter(|k| !lenient || AuditSort::from_key(k).is_some()),
            desc: p.desc(),
        }
    }

    /// The query string of the filters (for links that keep them).
    pub fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("user", &self.user),
            ("action", &self.action),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_deref()?.trim())).filter(|(_, v)| !v.is_empty()))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

const COLUMNS: [Column; 8] = [
    Column::text("at", "时间"),
    Column::text("user", "用户"),
    Column::plain("角色"),
    Column::text("action", "操作"),
    Column::plain("对象"),
    Column::text("region", "地区"),
    Column::plain("说明"),
    Column::plain("来源地址"),
];

fn cells(lang: Lang, r: &AuditRow) -> Vec<Cell> {
    let role = r.role.as_deref().and_then(Role::from_code).map_or(
        r.role.clone().unwrap_or_default(),
        |role| match lang {
            Lang::Zh => role.label().to_string(),
            Lang::En => role.label_en().to_string(),
        },
    );
    let target = match (&r.target_kind, &r.target_key) {
        (_, Some(k)) => shown_key(k),
        (Some(kind), None) => kind.clone(),
        _ => String::new(),
    };
    let mut note = Vec::new();
    if let (Some(old), Some(new)) = (&r.old_value, &r.new_value) {
        note.push(format!("{} → {}", shown_key(old), shown_key(new)));
    } else if let Some(new) = &r.new_value {
        note.push(shown_key(new));
    }
    // Free text may hold an ID or phone number typed by hand.
    if let Some(reason) = &r.reason {
        note.push(mask_numbers_in_text(reason));
    }
    if let Some(d) = &r.detail {
        note.push(mask_numbers_in_text(d));
    }
    vec![
        r.at.with_timezone(&china())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
            .into(),
        r.username.clone().into(),
        role.into(),
        action_label(lang, &r.action).into(),
        target.into(),
        r.region.clone().into(),
        note.join("；").into(),
        r.client_ip.clone().unwrap_or_default().into(),
    ]
}

/// The rows of an audit table, as shown and exported.
pub fn rows(lang: Lang, list: &[AuditRow]) -> Vec<Vec<Cell>> {
    list.iter().map(|r| cells(lang, r)).collect()
}

/// A table of entries (also used on a user's page).
pub fn entries_table(
    lang: Lang,
    list: &[AuditRow],
    params: &ListParams,
    base: String,
) -> maud::Markup {
    tables::render(
        lang,
        &Table {
            columns: &COLUMNS,
            rows: rows(lang, list),
            total: list.len() as i64,
            params,
            base,
            more: false,
            exportable: false,
        },
    )
}

/// `GET /audit`
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    let search = match audit_log::check(&user.actor, &q.search(&p, true)) {
        Ok(s) => s,
        Err(UseCaseError::Invalid(message)) => {
            let body = audit_page(&user, &q, html! { p.err role="alert" { (message) } });
            return Ok((StatusCode::BAD_REQUEST, body).into_response());
        }
        Err(e) => return Err(err(e.into())),
    };
    if let Some(format) = p.export().map_err(err)? {
        let list = audit_log::export(&st.app, &user.actor, &search, format.file_format())
            .await
            .map_err(|e| err(e.into()))?;
        return tables::export(lang, format, "审计日志", &COLUMNS, &rows(lang, &list)).map_err(err);
    }
    let (list, total) = audit_log::search(&st.app, &user.actor, &search, p.offset(), p.limit())
        .await
        .map_err(|e| err(e.into()))?;
    let qs = q.query_string();
    let base = if qs.is_empty() {
        "/audit".to_string()
    } else {
        format!("/audit?{qs}")
    };
    let table = tables::render(
        lang,
        &Table {
            columns: &COLUMNS,
            rows: rows(lang, &list),
            total,
            params: &p,
            base,
            more: false,
            exportable: true,
        },
    );
    Ok(audit_page(&user, &q, table).into_response())
}

fn audit_page(user: &CurrentUser, q: &AuditQuery, results: maud::Markup) -> maud::Markup {
    let lang = user.lang;
    let v = |s: &Option<String>| s.clone().unwrap_or_default();
    let chosen = v(&q.action);
    page(
        user,
        "/audit",
        t(lang, "审计日志"),
        html! {
            h1 { (t(lang, "审计日志")) }
            p.muted {
                (t(lang, "审计日志只能追加，任何人都不能修改或删除。")) " "
                (t(lang, "只显示您管辖地区内的记录，最新的在前；时间为北京时间。"))
            }
            form.inline method="get" action="/audit" {
                label { (t(lang, "用户名")) input name="user" value=(v(&q.user)) maxlength="64"; }
                label { (t(lang, "操作"))
                    select name="action" {
                        option value="" { (t(lang, "全部")) }
                        @for (code, _) in ACTIONS {
                            option value=(code) selected[chosen == code] { (action_label(lang, code)) }
                        }
                    }
                }
                label { (t(lang, "对象（如完整身份证号）")) input name="target" value=(v(&q.target)) maxlength="64"; }
                label { (t(lang, "起始日期")) input type="date" name="from" value=(v(&q.from)); }
                label { (t(lang, "截止日期")) input type="date" name="to" value=(v(&q.to)); }
                button type="submit" { (t(lang, "查询")) }
                a.button.secondary href="/audit" { (t(lang, "清除条件")) }
            }
            (results)
        },
    )
}

/// A link to the audit log filtered by user name.
pub fn user_link(username: &str) -> String {
    format!("/audit?user={}", encode(username))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_keys_are_masked() {
        assert_eq!(
            shown_key("130624197001020011"),
            mask_middle("130624197001020011")
        );
        assert_eq!(shown_key("13912345678"), "139****5678");
        assert_eq!(shown_key("county_admin"), "county_admin");
        assert_eq!(shown_key("130624000000"), "130624000000");
    }

    #[test]
    fn unknown_actions_show_raw() {
        assert_eq!(action_label(Lang::Zh, "user.add"), "新增用户");
        assert_eq!(action_label(Lang::Zh, "something.new"), "something.new");
    }
}
