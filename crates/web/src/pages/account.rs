//! The signed-in user's own account: who they are and what they may do,
//! changing the password, and issuing an API token.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::Permission;
use jianfu_service::accounts::{self, AccountError};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::{csrf_field, page};
use crate::pages::login::start_session;

/// `GET /account`
pub async fn show(user: CurrentUser) -> Markup {
    account_page(&user, None)
}

fn account_page(user: &CurrentUser, token: Option<&str>) -> Markup {
    let lang = user.lang;
    page(
        user,
        "/account",
        t(lang, "我的账户"),
        html! {
            h1 { (t(lang, "我的账户")) }
            dl.kv {
                dt { (t(lang, "用户名")) } dd { (user.user.username) }
                dt { (t(lang, "姓名")) } dd { (user.user.display_name) }
                dt { (t(lang, "角色")) } dd { (user.role().label()) }
                dt { (t(lang, "管辖地区")) } dd { (user.region_name) " (" (user.scope().to_string()) ")" }
                dt { (t(lang, "权限")) } dd {
                    @for p in Permission::ALL { @if user.may(p) { (p.label()) "； " } }
                }
            }
            p { a.button href="/account/password" { (t(lang, "修改密码")) } }
            h2 { (t(lang, "接口令牌")) }
            p.muted { (t(lang, "接口令牌用于程序调用 JSON 接口（请求头 Authorization: Bearer 令牌），只显示一次，请妥善保存。")) }
            @if let Some(tok) = token { p.ok { code #api-token { (tok) } } }
            form.inline method="post" action="/account/tokens" {
                (csrf_field(user))
                label { (t(lang, "用途")) input name="label" required maxlength="64"; }
                button type="submit" { (t(lang, "生成令牌")) }
            }
        },
    )
}

/// The token form.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    label: String,
}

/// `POST /account/tokens`
pub async fn issue_token(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TokenForm>,
) -> Result<Markup, PageError> {
    let token = accounts::issue_api_token(&st.app, &user.actor, f.label.trim())
        .await
        .map_err(|e| PageError(account_error(e), user.lang))?;
    Ok(account_page(&user, Some(&token)))
}

fn password_page(user: &CurrentUser, error: Option<&str>) -> Markup {
    let lang = user.lang;
    page(
        user,
        "/account",
        t(lang, "修改密码"),
        html! {
            h1 { (t(lang, "修改密码")) }
            @if user.user.must_change_password { p.warn { (t(lang, "管理员重置了您的密码，请先设置新密码。")) } }
            @if let Some(e) = error { p.err role="alert" { (e) } }
            form.stack method="post" action="/account/password" {
                (csrf_field(user))
                label { (t(lang, "原密码")) input type="password" name="old" autocomplete="current-password" required; }
                label { (t(lang, "新密码")) input type="password" name="new" autocomplete="new-password" required minlength="10"; }
                label { (t(lang, "再次输入新密码")) input type="password" name="again" autocomplete="new-password" required; }
                p.muted.small { (t(lang, "至少10个字符，须同时包含字母和数字，不能包含用户名。")) }
                button type="submit" { (t(lang, "保存")) }
            }
        },
    )
}

/// `GET /account/password`
pub async fn password_form(user: CurrentUser) -> Markup {
    password_page(&user, None)
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    old: String,
    new: String,
    again: String,
}

/// `POST /account/password`: every session ends; this browser gets a new one.
pub async fn change_password(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    if f.new != f.again {
        let body = password_page(&user, Some(t(lang, "两次输入的新密码不一致")));
        return Ok((StatusCode::BAD_REQUEST, body).into_response());
    }
    if let Err(e) = accounts::change_own_password(&st.app, &user.actor, &f.old, &f.new).await {
        return match e {
            AccountError::Store(e) => Err(PageError(e.into(), lang)),
            e => Ok((
                StatusCode::BAD_REQUEST,
                password_page(&user, Some(&e.to_string())),
            )
                .into_response()),
        };
    }
    let mut c = st.db.read().await.map_err(|e| PageError(e.into(), lang))?;
    let fresh = jianfu_store::accounts::user_by_id(&mut c, user.user.id)
        .await
        .map_err(|e| PageError(e.into(), lang))?
        .ok_or(PageError(AppError::Unauthorized, lang))?;
    drop(c);
    let (cookie, _) = start_session(&st, &headers, &fresh)
        .await
        .map_err(|e| PageError(e, lang))?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/account")).into_response())
}

/// Maps an account refusal to an HTTP error.
pub fn account_error(e: AccountError) -> AppError {
    match e {
        AccountError::Store(e) => e.into(),
        AccountError::Forbidden => AppError::Forbidden,
        AccountError::NoSuchUser => AppError::NotFound,
        AccountError::UsernameTaken(_) => AppError::Conflict(e.to_string()),
        e => AppError::BadRequest(e.to_string()),
    }
}
