//! Signing in and out through the API, and who the caller is.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jianfu_domain::Permission;
use jianfu_service::accounts::{self, LoginError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::{CurrentUser, client_ip};
use crate::cookies::{self, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult, AppError};
use crate::pages::login::start_session;

/// 用户名和密码。
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    username: String,
    password: String,
}

/// 当前用户、角色、管辖地区与权限。
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// 用户名
    pub username: String,
    /// 显示名
    pub display_name: String,
    /// 角色代码，如 village_doctor
    pub role: String,
    /// 管辖地区：national 或12位行政区划代码
    pub region: String,
    /// 角色的权限代码
    #[schema(schema_with = permission_codes)]
    pub permissions: Vec<Permission>,
    /// 为 true 时密码已被管理员重置：修改密码（POST /api/v1/me/password）之前，除本接口和退出登录外的请求都以 password_change_required 拒绝
    pub must_change_password: bool,
    /// 以会话 Cookie 发出修改类请求时，须放在 X-CSRF-Token 请求头中的防伪令牌（使用接口令牌时为空）
    pub csrf_token: String,
}

/// 退出登录的结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOut {
    /// 总为 true
    pub ok: bool,
}

/// The schema of permission codes: the domain's list, as serialised.
fn permission_codes() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let codes = Permission::ALL.map(|p| serde_json::to_value(p).unwrap_or_default());
    ArrayBuilder::new()
        .description(Some("角色的权限代码"))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes)),
        )
        .build()
}

fn me_of(user: &jianfu_store::UserRow, csrf: String) -> Me {
    let role = jianfu_domain::Role::from_code(&user.role);
    Me {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role.clone(),
        region: user.region.clone(),
        permissions: Permission::ALL
            .into_iter()
            .filter(|p| role.is_some_and(|r| r.may(*p)))
            .collect(),
        must_change_password: user.must_change_password,
        csrf_token: csrf,
    }
}

/// `POST /api/v1/session`: JSON only, so a cross-site form cannot post it.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    operation_id = "sign_in",
    tag = tags::SESSION,
    summary = "登录，返回当前用户和 csrf_token，并设置会话 Cookie",
    security(),
    request_body = SignIn,
    responses(
        (status = 200, description = "成功", body = Me),
        (status = 400, response = crate::error::Envelope),
        (status = 429, response = crate::error::Envelope),
    )
)]
pub async fn sign_in(
    State(st): State<AppState>,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    crate::error::ApiJson(req): crate::error::ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let ip = client_ip(&st, &ext, &headers);
    let user = accounts::authenticate(&st.app, req.username.trim(), &req.password, &ip)
        .await
        .map_err(|e| match e {
            LoginError::Throttled { .. } => AppError::Throttled(e.to_string()),
            LoginError::Invalid => AppError::BadRequest(e.to_string()),
            LoginError::Store(e) => e.into(),
        })?;
    let (set, csrf) = start_session(&st, &headers, &user).await?;
    Ok(([(header::SET_COOKIE, set)], Json(me_of(&user, csrf))).into_response())
}

/// `GET /api/v1/me`
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = tags::SESSION,
    summary = "当前用户、角色、管辖地区与权限",
    responses((status = 200, description = "成功", body = Me), StandardErrors)
)]
pub async fn me(user: CurrentUser) -> ApiResult<Me> {
    Ok(Json(me_of(&user.user, user.csrf.clone())))
}

/// `POST /api/v1/session/end`: ends the session of the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/session/end",
    operation_id = "sign_out",
    tag = tags::SESSION,
    summary = "退出登录",
    responses((status = 200, description = "成功", body = SignedOut), StandardErrors)
)]
pub async fn sign_out(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookies::get(&headers, SESSION_COOKIE) {
        accounts::end_session(&st.app, token).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            cookies::removal(SESSION_COOKIE, st.secure_cookies),
        )],
        Json(SignedOut { ok: true }),
    )
        .into_response())
}

/// 修改本人密码：原密码与新密码。
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// 原密码（或管理员给出的临时密码）
    old: String,
    /// 新密码：10至128位，含字母和数字，不含用户名
    new: String,
}

/// `POST /api/v1/me/password`: every session and API token of the user
/// ends; a caller with a session cookie gets a new session.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    operation_id = "change_password",
    tag = tags::SESSION,
    summary = "修改本人密码：其他会话和全部接口令牌随即失效，以会话 Cookie 调用时返回新会话",
    request_body = PasswordChange,
    responses((status = 200, description = "成功", body = Me), StandardErrors)
)]
pub async fn change_password(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    crate::error::ApiJson(req): crate::error::ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    accounts::change_own_password(&st.app, &user.actor, &req.old, &req.new)
        .await
        .map_err(crate::pages::account::account_error)?;
    let fresh = jianfu_store::accounts::user_by_id(&mut st.db.read().await?, user.user.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if cookies::get(&headers, SESSION_COOKIE).is_none() {
        return Ok(Json(me_of(&fresh, String::new())).into_response());
    }
    let (set, csrf) = start_session(&st, &headers, &fresh).await?;
    Ok(([(header::SET_COOKIE, set)], Json(me_of(&fresh, csrf))).into_response())
}
