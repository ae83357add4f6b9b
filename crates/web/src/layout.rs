//! The page shell: header with the menu the user's role allows, the
//! language switch, sign-out, and the embedded static assets.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jianfu_domain::Permission;
use maud::{DOCTYPE, Markup, html};

use crate::auth::CurrentUser;
use crate::i18n::{Lang, t};

const CSS: &str = include_str!("../static/app.css");
const FAVICON: &str = include_str!("../static/favicon.svg");

/// Serves `/static/app.css` and `/static/favicon.svg` from the binary.
pub async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, ty) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (t(lang, "健扶")) }
            link rel="stylesheet" href="/static/app.css";
            link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
        }
    }
}

/// A page without the menu (sign-in, errors before sign-in).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body {
                header.top { a.brand href="/" { (t(lang, "健扶")) " · " (t(lang, "健康帮扶动态管理")) } }
                main { (body) }
            }
        }
    }
}

/// Menu entries: path, label, and the permission that shows it.
const MENU: [(&str, &str, Option<Permission>); 13] = [
    ("/", "首页", None),
    ("/search", "查询", Some(Permission::ViewRegistry)),
    ("/imports", "导入", None),
    (
        "/monitoring/inbox",
        "我的待办",
        Some(Permission::ViewMonitoring),
    ),
    (
        "/monitoring/alerts",
        "监测预警",
        Some(Permission::ViewMonitoring),
    ),
    (
        "/monitoring/cases",
        "监测案件",
        Some(Permission::ViewMonitoring),
    ),
    (
        "/monitoring/supervision",
        "督办事项",
        Some(Permission::ViewMonitoring),
    ),
    (
        "/monitoring/feedback",
        "异常结算反馈",
        Some(Permission::ViewMonitoring),
    ),
    ("/policies", "政策参数", Some(Permission::ViewClaims)),
    ("/simulate", "政策模拟", Some(Permission::RunSimulation)),
    ("/users", "用户管理", Some(Permission::ManageUsers)),
    ("/audit", "审计日志", Some(Permission::ViewAudit)),
    ("/account", "我的账户", None),
];

fn shows(user: &CurrentUser, path: &str, needs: Option<Permission>) -> bool {
    match (path, needs) {
        ("/imports", _) => !crate::pages::imports::kinds_for(user).is_empty(),
        (_, Some(p)) => user.may(p),
        (_, None) => true,
    }
}

/// A page of the signed-in application. `current` is the menu entry to
/// mark.
pub fn page(user: &CurrentUser, current: &str, title: &str, body: Markup) -> Markup {
    let lang = user.lang;
    let other = match lang {
        Lang::Zh => ("en", "English"),
        Lang::En => ("zh", "中文"),
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body {
                header.top {
                    a.brand href="/" { (t(lang, "健扶")) }
                    nav aria-label=(t(lang, "主菜单")) {
                        @for (path, label, needs) in MENU {
                            @if shows(user, path, needs) {
                                @if path == current {
                                    a href=(path) aria-current="page" { (t(lang, label)) }
                                } @else {
                                    a href=(path) { (t(lang, label)) }
                                }
                            }
                        }
                    }
                    span.who {
                        (user.user.display_name) " · " (role_label(user)) " · " (user.region_name)
                    }
                    a href={ "/lang?to=" (other.0) } { (other.1) }
                    form method="post" action="/logout" {
                        input type="hidden" name="_csrf" value=(user.csrf);
                        button.linkbtn type="submit" id="logout" { (t(lang, "退出")) }
                    }
                }
                main { (body) }
                footer { (t(lang, "健扶 · 防止因病返贫动态监测")) }
            }
        }
    }
}

fn role_label(user: &CurrentUser) -> &'static str {
    match user.lang {
        Lang::Zh => user.role().label(),
        Lang::En => user.role().label_en(),
    }
}

/// The hidden anti-forgery field of a form.
pub fn csrf_field(user: &CurrentUser) -> Markup {
    html! { input type="hidden" name="_csrf" value=(user.csrf); }
}
