//! Signing in and out, and the language switch.
//!
//! The sign-in form carries its own anti-forgery token (a cookie and a
//! hidden field that must match), because there is no session yet. A
//! successful sign-in always opens a new session with a new cookie value
//! and ends any session the browser presented, so a session id planted
//! before sign-in is worth nothing after it.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use jianfu_service::accounts::{self, LoginError};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{client_ip, lang_of, same_secret};
use crate::cookies::{self, LOGIN_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::i18n::{Lang, t};
use crate::layout::bare;

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if ok { next } else { "/" }
}

fn form(lang: Lang, token: &str, next: &str, username: &str, error: Option<&str>) -> maud::Markup {
    bare(
        lang,
        t(lang, "登录"),
        html! {
            div.login {
                h1 { (t(lang, "登录")) }
                @if let Some(e) = error { p.err role="alert" id="login-error" { (e) } }
                form.stack method="post" action="/login" {
                    input type="hidden" name="_csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    label { (t(lang, "用户名"))
                        input #username name="username" value=(username) autocomplete="username" required autofocus[username.is_empty()];
                    }
                    label { (t(lang, "密码"))
                        input #password type="password" name="password" autocomplete="current-password" required;
                    }
                    button #login type="submit" { (t(lang, "登录")) }
                }
                p.muted.small { a href={ "/lang?to=" (if lang == Lang::Zh { "en" } else { "zh" }) "&next=/login" } { (t(lang, "English")) } }
            }
        },
    )
}

fn login_page(
    st: &AppState,
    lang: Lang,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<&str>,
) -> Response {
    let token = accounts::new_secret();
    let cookie = cookies::strict(LOGIN_COOKIE, &token, 3600, st.secure_cookies);
    (
        status,
        [(header::SET_COOKIE, cookie)],
        form(lang, &token, next, username, error),
    )
        .into_response()
}

/// `GET /login`
pub async fn show(State(st): State<AppState>, lang: Lang, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref().unwrap_or("/")).to_string();
    login_page(&st, lang, StatusCode::OK, &next, "", None)
}

/// `POST /login`
pub async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let next = safe_next(&f.next).to_string();
    let expected = cookies::get(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, &f._csrf) {
        let msg = t(lang, "页面已过期，请重新登录");
        return login_page(
            &st,
            lang,
            StatusCode::FORBIDDEN,
            &next,
            &f.username,
            Some(msg),
        );
    }
    let ip = client_ip(&st, &ext, &headers);
    let user = match accounts::authenticate(&st.app, f.username.trim(), &f.password, &ip).await {
        Ok(u) => u,
        Err(e) => {
            let status = match e {
                LoginError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                LoginError::Invalid => StatusCode::UNAUTHORIZED,
                LoginError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let msg = match e {
                LoginError::Throttled { minutes } => match lang {
                    crate::i18n::Lang::Zh => format!("登录失败次数过多，请{minutes}分钟后再试"),
                    crate::i18n::Lang::En => {
                        format!("Too many failed sign-ins; try again in {minutes} min")
                    }
                },
                LoginError::Invalid => t(lang, "用户名或密码错误").to_string(),
                LoginError::Store(_) => t(lang, "系统繁忙，请稍后再试").to_string(),
            };
            return login_page(&st, lang, status, &next, &f.username, Some(&msg));
        }
    };
    match start_session(&st, &headers, &user).await {
        Ok((cookie, _)) => {
            let to = if user.must_change_password {
                "/account/password"
            } else {
                &next
            };
            // Two cookies: `AppendHeaders`, since a plain array replaces.
            (
                AppendHeaders([
                    (header::SET_COOKIE, cookie),
                    (
                        header::SET_COOKIE,
                        cookies::removal(LOGIN_COOKIE, st.secure_cookies),
                    ),
                ]),
                Redirect::to(to),
            )
                .into_response()
        }
        Err(e) => crate::error::PageError(e, lang).into_response(),
    }
}

/// Ends any session the browser presented and opens a new one; returns
/// the `Set-Cookie` value and the session's anti-forgery token.
pub async fn start_session(
    st: &AppState,
    headers: &HeaderMap,
    user: &jianfu_store::UserRow,
) -> Result<(String, String), AppError> {
    if let Some(old) = cookies::get(headers, SESSION_COOKIE) {
        accounts::end_session(&st.app, old).await?;
    }
    let (token, row) = accounts::open_session(&st.app, user).await?;
    let max_age = accounts::SESSION_IDLE.num_seconds();
    let cookie = cookies::strict(SESSION_COOKIE, &token, max_age, st.secure_cookies);
    Ok((cookie, row.csrf_token))
}

/// `POST /logout` (behind the anti-forgery check).
pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = cookies::get(&headers, SESSION_COOKIE) {
        accounts::end_session(&st.app, token).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            cookies::removal(SESSION_COOKIE, st.secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

/// Query of the language switch.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    to: String,
    next: Option<String>,
}

/// `GET /lang?to=en|zh`: remembers the language and goes back.
pub async fn switch_lang(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = Lang::from_code(&q.to).unwrap_or_default();
    let back = q.next.as_deref().map(safe_next).or_else(|| {
        // Back to the page the switch was pressed on, when it is ours.
        headers
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
            .and_then(|r| r.find('/').map(|i| &r[i..]))
            .map(safe_next)
    });
    let cookie = cookies::language(lang, st.secure_cookies);
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(back.unwrap_or("/")),
    )
        .into_response()
}
