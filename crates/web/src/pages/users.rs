//! User management (用户管理): the users bound inside the administrator's
//! region, creating one, and per user disabling, enabling and resetting
//! the password.
//!
//! Every rule (who may manage whom, which role binds to which region, the
//! password policy, the audit entries) is the service's
//! (`jianfu_service::accounts`); this module only shows and asks. A user
//! outside the administrator's region is not found (404), whether listed,
//! opened or acted on.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::region::RegionLevel;
use jianfu_domain::time::china;
use jianfu_domain::{Permission, Role, Scope};
use jianfu_service::accounts::{self, NewAccount};
use jianfu_service::audit_log;
use jianfu_store::UserRow;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::layout::{csrf_field, page};
use crate::pages::account::account_error;
use crate::pages::audit;
use crate::tables::{self, Cell, Column, ListParams, Table};

/// Columns of the user list; the keys are the only sort keys accepted.
pub const COLUMNS: [Column; 7] = [
    Column::text("username", "用户名"),
    Column::text("name", "姓名"),
    Column::text("role", "角色"),
    Column::text("region", "管辖地区"),
    Column::text("status", "状态"),
    Column::text("created", "创建时间"),
    Column::plain("须改密码"),
];

/// True when a user of `role` can be bound somewhere inside `scope`.
pub fn bindable(role: Role, scope: &Scope) -> bool {
    let at = scope.level();
    let deeper = |want: RegionLevel| at.is_none_or(|a| a <= want);
    match role {
        Role::NationalAdmin => at.is_none(),
        Role::ProvinceAdmin => deeper(RegionLevel::Province),
        Role::CityAdmin => deeper(RegionLevel::City),
        Role::CountyAdmin => deeper(RegionLevel::County),
        Role::TownshipWorker => deeper(RegionLevel::Township),
        Role::VillageDoctor => deeper(RegionLevel::Village),
        Role::InsuranceOfficer | Role::Auditor => deeper(RegionLevel::County),
    }
}

/// A role's label in `lang`.
pub fn role_label(lang: Lang, code: &str) -> String {
    Role::from_code(code).map_or(code.to_string(), |r| match lang {
        Lang::Zh => r.label().to_string(),
        Lang::En => r.label_en().to_string(),
    })
}

/// The users inside the caller's region, sorted by a whitelisted key (an
/// unknown key sorts by user name), with the total before paging.
pub async fn sorted_users(
    st: &AppState,
    user: &CurrentUser,
    p: &ListParams,
) -> Result<Vec<UserRow>, AppError> {
    let mut list = accounts::users(&st.app, &user.actor)
        .await
        .map_err(account_error)?;
    // Stable sorts: the store's order (by name) breaks ties.
    match p.sort.as_deref() {
        Some("name") => list.sort_by(|a, b| a.display_name.cmp(&b.display_name)),
        Some("role") => list.sort_by_key(|u| {
            Role::ALL
                .iter()
                .position(|r| r.code() == u.role)
                .unwrap_or(usize::MAX)
        }),
        Some("region") => list.sort_by(|a, b| a.region.cmp(&b.region)),
        Some("status") => list.sort_by_key(|u| u.disabled),
        Some("created") => list.sort_by_key(|u| u.created_at),
        _ => {}
    }
    if p.desc() {
        list.reverse();
    }
    Ok(list)
}

fn status_label(lang: Lang, u: &UserRow) -> &'static str {
    if u.disabled {
        t(lang, "已停用")
    } else {
        t(lang, "正常")
    }
}

fn cells(lang: Lang, u: &UserRow) -> Vec<Cell> {
    vec![
        Cell::link(&u.username, format!("/users/{}", encode(&u.username))),
        u.display_name.clone().into(),
        role_label(lang, &u.role).into(),
        region_label(lang, &u.region).into(),
        status_label(lang, u).into(),
        u.created_at
            .with_timezone(&china())
            .format("%Y-%m-%d %H:%M")
            .to_string()
            .into(),
        if u.must_change_password {
            t(lang, "是")
        } else {
            t(lang, "否")
        }
        .into(),
    ]
}

fn region_label(lang: Lang, region: &str) -> String {
    if region == "national" {
        t(lang, "全国").to_string()
    } else {
        region.to_string()
    }
}

/// What the create form holds (kept on refusal, except the password);
/// also the body of `POST /api/v1/users`.
//
// The OpenAPI document takes the field descriptions from the Chinese
// comments below. A missing field reads as empty and is refused by
// `create` with its own message, so the document calls every field
// required.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(description = "新用户")]
pub struct NewUserForm {
    /// 用户名
    #[serde(default)]
    #[schema(required = true)]
    pub username: String,
    /// 显示名
    #[serde(default)]
    #[schema(required = true)]
    pub display_name: String,
    /// 角色代码，如 village_doctor
    #[serde(default)]
    #[schema(required = true)]
    pub role: String,
    /// national 或行政区划代码
    #[serde(default)]
    #[schema(required = true)]
    pub region: String,
    /// 初始密码：至少10个字符，含字母和数字，不含用户名
    #[serde(default)]
    #[schema(required = true)]
    pub password: String,
}

/// Creates a user from a form or API request: the new user must change
/// the password at first sign-in.
pub async fn create(st: &AppState, user: &CurrentUser, f: &NewUserForm) -> Result<(), AppError> {
    user.require(Permission::ManageUsers)?;
    let role =
        Role::from_code(f.role.trim()).ok_or_else(|| AppError::BadRequest("请选择角色".into()))?;
    let scope = Scope::parse(f.region.trim()).ok_or_else(|| {
        AppError::BadRequest("地区代码无效：应为 national 或 2 至 12 位行政区划代码".into())
    })?;
    if f.display_name.trim().is_empty() || f.display_name.chars().count() > 64 {
        return Err(AppError::BadRequest("请填写姓名（不超过64个字）".into()));
    }
    if !user.scope().covers(&scope) {
        return Err(AppError::BadRequest(
            "只能在您自己的管辖地区内创建用户".into(),
        ));
    }
    let new = NewAccount {
        username: f.username.trim().to_string(),
        display_name: f.display_name.trim().to_string(),
        role,
        scope,
        password: f.password.clone(),
        must_change_password: true,
    };
    accounts::add_user(&st.app, &user.actor, &new)
        .await
        .map(|_| ())
        .map_err(account_error)
}

/// A temporary password that satisfies the policy for `username`.
pub fn temporary_password(username: &str) -> String {
    loop {
        let s = accounts::new_secret();
        let candidate = format!("Jf{}-{}", &s[..6], &s[6..12]);
        let has_digit = candidate.bytes().any(|b| b.is_ascii_digit());
        let pw = if has_digit {
            candidate
        } else {
            format!("{candidate}7")
        };
        if accounts::check_password(&pw, username).is_ok() {
            return pw;
        }
    }
}

/// `GET /users`
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    user.require(Permission::ManageUsers).map_err(err)?;
    let all = sorted_users(&st, &user, &p).await.map_err(err)?;
    if let Some(format) = p.export().map_err(err)? {
        let rows: Vec<_> = all.iter().map(|u| cells(lang, u)).collect();
        return tables::export(lang, format, "用户", &COLUMNS, &rows).map_err(err);
    }
    let blank = NewUserForm {
        region: user.scope().code().to_string(),
        ..NewUserForm::default()
    };
    Ok(users_page(&user, &all, &p, &blank, None).into_response())
}

/// `POST /users`
pub async fn add(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<NewUserForm>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    user.require(Permission::ManageUsers).map_err(err)?;
    match create(&st, &user, &f).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/users/{}?done=added", encode(f.username.trim())))
                .into_response(),
        ),
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_))) => {
            let p = ListParams::default();
            let all = sorted_users(&st, &user, &p).await.map_err(err)?;
            let msg = e.message(lang);
            let kept = NewUserForm {
                password: String::new(),
                ..f
            };
            let body = users_page(&user, &all, &p, &kept, Some(&msg));
            Ok((e.status(), body).into_response())
        }
        Err(e) => Err(err(e)),
    }
}

fn users_page(
    user: &CurrentUser,
    all: &[UserRow],
    p: &ListParams,
    form: &NewUserForm,
    error: Option<&str>,
) -> Markup {
    let lang = user.lang;
    let shown: Vec<Vec<Cell>> = all
        .iter()
        .skip(p.offset() as usize)
        .take(p.limit() as usize)
        .map(|u| cells(lang, u))
        .collect();
    let table = tables::render(
        lang,
        &Table {
            columns: &COLUMNS,
            rows: shown,
            total: all.len() as i64,
            params: p,
            base: "/users".into(),
            more: false,
            exportable: true,
        },
    );
    page(
        user,
        "/users",
        t(lang, "用户管理"),
        html! {
            h1 { (t(lang, "用户管理")) }
            p.muted { (t(lang, "只列出绑定在您管辖地区内的用户。")) }
            (table)
            h2 #new { (t(lang, "新增用户")) }
            @if let Some(e) = error { p.err role="alert" id="form-error" { (e) } }
            form.stack method="post" action="/users" {
                (csrf_field(user))
                label { (t(lang, "用户名"))
                    input name="username" value=(form.username) required minlength="3" maxlength="32" autocomplete="off";
                }
                label { (t(lang, "姓名")) input name="display_name" value=(form.display_name) required maxlength="64"; }
                label { (t(lang, "角色"))
                    select name="role" required {
                        @for r in Role::ALL {
                            @if bindable(r, user.scope()) {
                                option value=(r.code()) selected[form.role == r.code()] { (role_label(lang, r.code())) }
                            }
                        }
                    }
                }
                label { (t(lang, "地区代码"))
                    input name="region" value=(form.region) required maxlength="12" inputmode="numeric";
                }
                p.muted.small { (t(lang, "管理员绑定本级地区，乡镇工作人员绑定乡镇（9位），村医绑定村（12位），医保经办和审计人员绑定县级或以上。")) }
                label { (t(lang, "初始密码"))
                    input type="password" name="password" required minlength="10" autocomplete="new-password";
                }
                p.muted.small { (t(lang, "至少10个字符，须同时包含字母和数字，不能包含用户名。新用户首次登录时必须修改密码。")) }
                button type="submit" id="add-user" { (t(lang, "创建用户")) }
            }
        },
    )
}

/// Query of a user's page.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /users/{username}`
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let lang = user.lang;
    let done = match q.done.as_deref() {
        Some("added") => Some(t(lang, "用户已创建。首次登录时须修改初始密码。")),
        Some("disabled") => Some(t(lang, "用户已停用，其登录会话和接口令牌已失效。")),
        Some("enabled") => Some(t(lang, "用户已启用。")),
        Some("unlocked") => Some(t(lang, "已解除登录限制：该用户的登录失败记录已清除。")),
        _ => None,
    };
    user_page(&st, &user, &name, done, None).await
}

async fn user_page(
    st: &AppState,
    user: &CurrentUser,
    name: &str,
    done: Option<&str>,
    temp_password: Option<&str>,
) -> Result<Markup, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    user.require(Permission::ManageUsers).map_err(err)?;
    let target = accounts::managed_user(&st.app, &user.actor, name)
        .await
        .map_err(|e| err(account_error(e)))?;
    let entries = audit_log::about_user(&st.app, &user.actor, &target.username)
        .await
        .map_err(|e| err(e.into()))?;
    let path = format!("/users/{}", encode(&target.username));
    let itself = user.user.id == target.id;
    Ok(page(
        user,
        "/users",
        &target.username,
        html! {
            p { a href="/users" { "← " (t(lang, "用户管理")) } }
            h1 { (target.display_name) " (" (target.username) ")" }
            @if let Some(d) = done { p.ok role="status" { (d) } }
            @if let Some(pw) = temp_password {
                p.ok role="status" {
                    (t(lang, "密码已重置，该用户的所有会话已结束。临时密码（只显示一次，请当面或电话告知本人）：")) " "
                    code #temp-password { (pw) }
                }
            }
            dl.kv {
                dt { (t(lang, "用户名")) } dd { (target.username) }
                dt { (t(lang, "姓名")) } dd { (target.display_name) }
                dt { (t(lang, "角色")) } dd { (role_label(lang, &target.role)) }
                dt { (t(lang, "管辖地区")) } dd { (region_label(lang, &target.region)) }
                dt { (t(lang, "状态")) } dd #status { (status_label(lang, &target)) }
                dt { (t(lang, "须改密码")) } dd { (if target.must_change_password { t(lang, "是") } else { t(lang, "否") }) }
                dt { (t(lang, "创建时间")) } dd { (target.created_at.with_timezone(&china()).format("%Y-%m-%d %H:%M")) }
            }
            @if !itself {
                div.cards {
                    @if target.disabled {
                        form.inline method="post" action={ (path) "/enable" } {
                            (csrf_field(user))
                            button type="submit" id="enable" { (t(lang, "启用")) }
                        }
                    } @else {
                        form.inline method="post" action={ (path) "/disable" } {
                            (csrf_field(user))
                            button type="submit" id="disable" { (t(lang, "停用")) }
                        }
                    }
                    form.inline method="post" action={ (path) "/unlock" } {
                        (csrf_field(user))
                        button.secondary type="submit" id="unlock" { (t(lang, "解除登录限制")) }
                    }
                    form.inline method="post" action={ (path) "/reset-password" } {
                        (csrf_field(user))
                        button.secondary type="submit" id="reset-password" { (t(lang, "重置密码")) }
                    }
                }
                p.muted.small { (t(lang, "停用会立即结束该用户的所有会话并吊销其接口令牌；重置密码会生成临时密码并同样吊销其会话和接口令牌，该用户下次登录时必须修改；多次输错密码后，解除登录限制可让本人不必等待。")) }
            }
            h2 { (t(lang, "最近的审计记录")) }
            @if user.may(Permission::ViewAudit) {
                p { a href=(audit::user_link(&target.username)) { (t(lang, "在审计日志中查看全部")) } }
            }
            (audit::entries_table(lang, &entries, &ListParams::default(), path.clone()))
        },
    ))
}

async fn set_disabled(
    st: &AppState,
    user: &CurrentUser,
    name: &str,
    disabled: bool,
) -> Result<Response, PageError> {
    let lang = user.lang;
    accounts::set_disabled(&st.app, &user.actor, name, disabled)
        .await
        .map_err(|e| PageError(account_error(e), lang))?;
    let done = if disabled { "disabled" } else { "enabled" };
    Ok(Redirect::to(&format!("/users/{}?done={done}", encode(name))).into_response())
}

/// `POST /users/{username}/disable`
pub async fn disable(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Permission::ManageUsers)
        .map_err(|e| PageError(e, user.lang))?;
    set_disabled(&st, &user, &name, true).await
}

/// `POST /users/{username}/enable`
pub async fn enable(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Permission::ManageUsers)
        .map_err(|e| PageError(e, user.lang))?;
    set_disabled(&st, &user, &name, false).await
}

/// `POST /users/{username}/unlock`: the user's failed sign-ins are
/// forgotten, so the owner need not wait out the delay.
pub async fn unlock(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    user.require(Permission::ManageUsers)
        .map_err(|e| PageError(e, lang))?;
    accounts::unlock(&st.app, &user.actor, &name)
        .await
        .map_err(|e| PageError(account_error(e), lang))?;
    Ok(Redirect::to(&format!("/users/{}?done=unlocked", encode(&name))).into_response())
}

/// `POST /users/{username}/reset-password`: a temporary password is made,
/// shown once on the answer page (never in a URL), and must be changed at
/// the next sign-in.
pub async fn reset_password(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    user.require(Permission::ManageUsers)
        .map_err(|e| PageError(e, lang))?;
    let pw = temporary_password(&name);
    accounts::reset_password(&st.app, &user.actor, &name, &pw)
        .await
        .map_err(|e| PageError(account_error(e), lang))?;
    let body = user_page(&st, &user, &name, None, Some(&pw)).await?;
    Ok((StatusCode::OK, body).into_response())
}
