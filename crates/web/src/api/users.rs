//! User management through the API: the same rules as the pages (the
//! service's), the same 404 for users outside the caller's region.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jianfu_domain::Permission;
use jianfu_service::accounts;
use jianfu_store::UserRow;
use serde::Serialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, AppError};
use crate::pages::account::account_error;
use crate::pages::users::{NewUserForm, create, sorted_users, temporary_password};
use crate::tables::ListParams;

/// A user as the API shows them.
#[derive(Debug, Serialize)]
pub struct UserOut {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Bound region: `national` or a 12-digit code.
    pub region: String,
    /// Disabled users cannot sign in.
    pub disabled: bool,
    /// The next sign-in must change the password.
    pub must_change_password: bool,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<&UserRow> for UserOut {
    fn from(u: &UserRow) -> Self {
        UserOut {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.clone(),
            region: u.region.clone(),
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize)]
pub struct UserPage {
    /// Users in the whole list.
    pub total: i64,
    /// This page.
    pub items: Vec<UserOut>,
}

/// A temporary password, shown once.
#[derive(Debug, Serialize)]
pub struct Reset {
    /// The user.
    pub username: String,
    /// The temporary password to hand over; it must be changed at the
    /// next sign-in.
    pub temporary_password: String,
}

/// `GET /api/v1/users`
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ListParams>,
) -> ApiResult<UserPage> {
    user.require(Permission::ManageUsers)?;
    let all = sorted_users(&st, &user, &p).await?;
    let items = all
        .iter()
        .skip(p.offset() as usize)
        .take(p.limit() as usize)
        .map(UserOut::from)
        .collect();
    Ok(Json(UserPage {
        total: all.len() as i64,
        items,
    }))
}

/// `POST /api/v1/users`: answers 201 with the new user.
pub async fn add(
    State(st): State<AppState>,
    user: CurrentUser,
    body: Result<Json<NewUserForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    user.require(Permission::ManageUsers)?;
    let Json(f) = body.map_err(|e| AppError::BadRequest(format!("请求体应为 JSON：{e}")))?;
    create(&st, &user, &f).await?;
    let row = accounts::managed_user(&st.db, &user.actor, f.username.trim())
        .await
        .map_err(account_error)?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&row))).into_response())
}

/// `GET /api/v1/users/{username}`
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> ApiResult<UserOut> {
    user.require(Permission::ManageUsers)?;
    let row = accounts::managed_user(&st.db, &user.actor, &name)
        .await
        .map_err(account_error)?;
    Ok(Json(UserOut::from(&row)))
}

async fn set_disabled(
    st: &AppState,
    user: &CurrentUser,
    name: &str,
    disabled: bool,
) -> ApiResult<UserOut> {
    user.require(Permission::ManageUsers)?;
    accounts::set_disabled(&st.db, &user.actor, name, disabled)
        .await
        .map_err(account_error)?;
    let row = accounts::managed_user(&st.db, &user.actor, name)
        .await
        .map_err(account_error)?;
    Ok(Json(UserOut::from(&row)))
}

/// `POST /api/v1/users/{username}/disable`
pub async fn disable(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> ApiResult<UserOut> {
    set_disabled(&st, &user, &name, true).await
}

/// `POST /api/v1/users/{username}/enable`
pub async fn enable(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> ApiResult<UserOut> {
    set_disabled(&st, &user, &name, false).await
}

/// `POST /api/v1/users/{username}/reset-password`
pub async fn reset_password(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> ApiResult<Reset> {
    user.require(Permission::ManageUsers)?;
    let pw = temporary_password(&name);
    accounts::reset_password(&st.db, &user.actor, &name, &pw)
        .await
        .map_err(account_error)?;
    Ok(Json(Reset {
        username: name,
        temporary_password: pw,
    }))
}
