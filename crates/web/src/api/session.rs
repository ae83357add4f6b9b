//! Signing in and out through the API, and who the caller is.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jianfu_domain::Permission;
use jianfu_service::accounts::{self, LoginError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_COOKIE, client_ip, cookie, set_cookie};
use crate::error::{ApiError, ApiResult, AppError};
use crate::pages::login::start_session;

/// Credentials.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    username: String,
    password: String,
}

/// The caller, as the API describes it.
#[derive(Debug, Serialize)]
pub struct Me {
    /// User name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Bound region: `national` or a 12-digit code.
    pub region: String,
    /// Permission codes of the role.
    pub permissions: Vec<Permission>,
    /// Token to send as `X-CSRF-Token` with state-changing requests made
    /// with the session cookie (empty for API-token callers).
    pub csrf_token: String,
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
        csrf_token: csrf,
    }
}

/// `POST /api/v1/session`: JSON only, so a cross-site form cannot post it.
pub async fn sign_in(
    State(st): State<AppState>,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    crate::error::ApiJson(req): crate::error::ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let ip = client_ip(&ext);
    let user = accounts::authenticate(&st.db, req.username.trim(), &req.password, &ip)
        .await
        .map_err(|e| match e {
            LoginError::Throttled => AppError::Throttled(e.to_string()),
            LoginError::Invalid => AppError::BadRequest(e.to_string()),
            LoginError::Store(e) => e.into(),
        })?;
    let (set, csrf) = start_session(&st, &headers, &user).await?;
    Ok(([(header::SET_COOKIE, set)], Json(me_of(&user, csrf))).into_response())
}

/// `GET /api/v1/me`
pub async fn me(user: CurrentUser) -> ApiResult<Me> {
    Ok(Json(me_of(&user.user, user.csrf.clone())))
}

/// `POST /api/v1/session/end`: ends the session of the cookie.
pub async fn sign_out(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let mut c = st.db.read().await?;
        jianfu_store::accounts::delete_session(&mut c, &accounts::secret_hash(token)).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", 0, st.secure_cookies),
        )],
        Json(serde_json::json!({ "ok": true })),
    )
        .into_response())
}
