//! User management through the API: the same rules as the pages (the
//! service's), the same 404 for users outside the caller's region.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jianfu_domain::Permission;
use jianfu_service::accounts;
use jianfu_store::UserRow;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, AppError};
use crate::pages::account::account_error;
use crate::pages::users::{NewUserForm, create, sorted_users, temporary_password};
use crate::tables::ListParams;

/// 用户。
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    /// 用户名
    pub username: String,
    /// 显示名
    pub display_name: String,
    /// 角色代码
    pub role: String,
    /// 管辖地区：national 或12位行政区划代码
    pub region: String,
    /// 已停用的用户不能登录
    pub disabled: bool,
    /// 下次登录须修改密码
    pub must_change_password: bool,
    /// 创建时间（RFC 3339）
    #[schema(format = DateTime)]
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

/// 一页用户。
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    /// 符合条件的用户总数
    pub total: i64,
    /// 本页
    pub items: Vec<UserOut>,
}

/// 临时密码（只返回一次）。
#[derive(Debug, Serialize, ToSchema)]
pub struct Reset {
    /// 用户名
    pub username: String,
    /// 交给用户的临时密码；下次登录须修改
    pub temporary_password: String,
}

/// Description of the `{username}` path parameter.
const USERNAME: &str = "用户名";

/// `GET /api/v1/users`
#[utoipa::path(
    get,
    path = "/api/v1/users",
    operation_id = "list_users",
    tag = tags::USERS,
    summary = "管辖地区内的用户（分页、排序）",
    params(
        ("sort" = Option<String>, Query,
            description = "排序列：username、name、role、region、status、created；其他值按用户名"),
        ListParams,
    ),
    responses((status = 200, description = "成功", body = UserPage), StandardErrors)
)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
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
#[utoipa::path(
    post,
    path = "/api/v1/users",
    operation_id = "add_user",
    tag = tags::USERS,
    summary = "在管辖地区内新增用户（首次登录须改密码）",
    request_body = NewUserForm,
    responses(
        (status = 201, description = "成功", body = UserOut),
        StandardErrors,
        (status = 409, response = crate::error::Envelope),
    )
)]
pub async fn add(
    State(st): State<AppState>,
    user: CurrentUser,
    body: Result<Json<NewUserForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    user.require(Permission::ManageUsers)?;
    let Json(f) = body.map_err(|e| AppError::BadRequest(format!("请求体应为 JSON：{e}")))?;
    create(&st, &user, &f).await?;
    let row = accounts::managed_user(&st.app, &user.actor, f.username.trim())
        .await
        .map_err(account_error)?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&row))).into_response())
}

/// `GET /api/v1/users/{username}`
#[utoipa::path(
    get,
    path = "/api/v1/users/{username}",
    operation_id = "get_user",
    tag = tags::USERS,
    summary = "一个用户（管辖地区外的用户为 404）",
    params(("username" = String, Path, description = USERNAME)),
    responses((status = 200, description = "成功", body = UserOut), StandardErrors)
)]
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<UserOut> {
    user.require(Permission::ManageUsers)?;
    let row = accounts::managed_user(&st.app, &user.actor, &name)
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
    accounts::set_disabled(&st.app, &user.actor, name, disabled)
        .await
        .map_err(account_error)?;
    let row = accounts::managed_user(&st.app, &user.actor, name)
        .await
        .map_err(account_error)?;
    Ok(Json(UserOut::from(&row)))
}

/// `POST /api/v1/users/{username}/disable`
#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/disable",
    operation_id = "disable_user",
    tag = tags::USERS,
    summary = "停用用户：结束其所有会话并吊销接口令牌",
    params(("username" = String, Path, description = USERNAME)),
    responses((status = 200, description = "成功", body = UserOut), StandardErrors)
)]
pub async fn disable(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<UserOut> {
    set_disabled(&st, &user, &name, true).await
}

/// `POST /api/v1/users/{username}/enable`
#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/enable",
    operation_id = "enable_user",
    tag = tags::USERS,
    summary = "启用用户",
    params(("username" = String, Path, description = USERNAME)),
    responses((status = 200, description = "成功", body = UserOut), StandardErrors)
)]
pub async fn enable(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<UserOut> {
    set_disabled(&st, &user, &name, false).await
}

/// `POST /api/v1/users/{username}/unlock`
#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/unlock",
    operation_id = "unlock_user",
    tag = tags::USERS,
    summary = "解除登录限制：清除该用户在所有地址的登录失败记录",
    params(("username" = String, Path, description = USERNAME)),
    responses((status = 200, description = "成功", body = UserOut), StandardErrors)
)]
pub async fn unlock(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<UserOut> {
    user.require(Permission::ManageUsers)?;
    accounts::unlock(&st.app, &user.actor, &name)
        .await
        .map_err(account_error)?;
    let row = accounts::managed_user(&st.app, &user.actor, &name)
        .await
        .map_err(account_error)?;
    Ok(Json(UserOut::from(&row)))
}

/// `POST /api/v1/users/{username}/reset-password`
#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/reset-password",
    operation_id = "reset_password",
    tag = tags::USERS,
    summary = "重置密码：返回临时密码（只返回一次），下次登录须修改",
    params(("username" = String, Path, description = USERNAME)),
    responses((status = 200, description = "成功", body = Reset), StandardErrors)
)]
pub async fn reset_password(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Reset> {
    user.require(Permission::ManageUsers)?;
    let pw = temporary_password(&name);
    accounts::reset_password(&st.app, &user.actor, &name, &pw)
        .await
        .map_err(account_error)?;
    Ok(Json(Reset {
        username: name,
        temporary_password: pw,
    }))
}
