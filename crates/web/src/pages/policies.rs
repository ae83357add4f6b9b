//! Policy parameter sets (医保政策参数): the stored sets, one set's source
//! and tiers, and storing a new version (which re-settles the claims it
//! governs, as `jianfu policy add` does).

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use jianfu_domain::Permission;
use jianfu_policy::Policy;
use jianfu_service::policies;
use jianfu_store::{AddPolicyError, PolicyRow};
use maud::{Markup, html};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::i18n::t;
use crate::layout::page;
use crate::tables::{self, Cell, Column, ListParams, Table};

const COLUMNS: [Column; 6] = [
    Column::num("id", "编号"),
    Column::text("name", "名称"),
    Column::text("region", "地区前缀"),
    Column::text("from", "生效日期"),
    Column::text("to", "失效日期"),
    Column::text("loaded", "添加时间"),
];

/// The stored sets the caller may read.
pub(crate) async fn visible(st: &AppState, user: &CurrentUser) -> Result<Vec<PolicyRow>, AppError> {
    Ok(policies::list(&st.app, &user.actor).await?)
}

/// `GET /policies`
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let mut rows = visible(&st, &user).await.map_err(|e| PageError(e, lang))?;
    match params.sort.as_deref() {
        Some("name") => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("region") => rows.sort_by(|a, b| a.region_prefix.cmp(&b.region_prefix)),
        Some("from") => rows.sort_by_key(|p| p.valid_from),
        Some("to") => rows.sort_by_key(|p| p.valid_to),
        Some("loaded") => rows.sort_by_key(|p| p.loaded_at),
        _ => rows.sort_by_key(|p| p.id),
    }
    if params.desc() || params.sort.is_none() {
        rows.reverse();
    }
    let total = rows.len() as i64;
    let cells = |p: &PolicyRow| {
        vec![
            Cell::link(p.id.to_string(), format!("/policies/{}", p.id)),
            Cell::link(p.name.clone(), format!("/policies/{}", p.id)),
            Cell::from(p.region_prefix.clone()),
            Cell::from(p.valid_from.to_string()),
            Cell::from(p.valid_to.to_string()),
            Cell::from(format!(
                "{} {}",
                p.loaded_at.format("%Y-%m-%d %H:%M"),
                p.loaded_by
            )),
        ]
    };
    if let Some(f) = params.export().map_err(|e| PageError(e, lang))? {
        let all: Vec<Vec<Cell>> = rows.iter().map(cells).collect();
        return tables::export(lang, f, "policies", &COLUMNS, &all).map_err(|e| PageError(e, lang));
    }
    let page_rows = rows
        .iter()
        .skip(params.offset() as usize)
        .take(params.limit() as usize)
        .map(cells)
        .collect();
    let table = Table {
        columns: &COLUMNS,
        rows: page_rows,
        total,
        params: &params,
        base: "/policies".into(),
        more: false,
        exportable: true,
    };
    let body = html! {
        h1 { (t(lang, "政策参数")) }
        (tables::render(lang, &table))
        @if user.may(Permission::ManagePolicies) { (upload_form(&user, "", &[])) }
    };
    Ok(page(&user, "/policies", t(lang, "政策参数"), body).into_response())
}

fn upload_form(user: &CurrentUser, source: &str, errors: &[String]) -> Markup {
    let lang = user.lang;
    html! {
        h2 { (t(lang, "添加新版本")) }
        @if !errors.is_empty() {
            div.err role="alert" id="policy-errors" {
                p { (t(lang, "政策参数无效：")) }
                ul { @for e in errors { li { (e) } } }
            }
        }
        form.stack method="post" enctype="multipart/form-data" action={"/policies?_csrf=" (user.csrf)} {
            label { (t(lang, "TOML 文件")) input type="file" name="file" accept=".toml"; }
            label { (t(lang, "或粘贴 TOML 内容")) textarea name="source" rows="12" { (source) } }
            button type="submit" { (t(lang, "校验并保存")) }
        }
    }
}

/// Stores a new set for the caller (the use case checks, re-settles and
/// audits). Errors are the key-path messages of the checker.
pub(crate) async fn add(
    st: &AppState,
    user: &CurrentUser,
    source: &str,
) -> Result<jianfu_store::PolicyAdded, AppError> {
    use jianfu_service::policies::AddError;
    policies::add(&st.app, &user.actor, source)
        .await
        .map_err(|e| match e {
            AddError::Denied(_) => AppError::Forbidden,
            AddError::Invalid(e) => invalid(&e),
            e @ AddError::OutsideJurisdiction { .. } => AppError::Invalid(
                "政策参数的地区不在您的管辖范围内".into(),
                vec![e.to_string()],
            ),
            AddError::Store(e) => AppError::from(e),
            e @ AddError::Monitoring(_) => AppError::Invalid(e.to_string(), Vec::new()),
        })
}

fn invalid(e: &AddPolicyError) -> AppError {
    let details: Vec<String> = e
        .to_string()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    AppError::Invalid("政策参数无效".into(), details)
}

/// `POST /policies` (multipart: `file` or `source`).
pub async fn upload(
    State(st): State<AppState>,
    user: CurrentUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let lang = user.lang;
    user.require(Permission::ManagePolicies)
        .map_err(|e| PageError(e, lang))?;
    let mut source = String::new();
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or("") {
            "file" => {
                let bytes = field.bytes().await.unwrap_or_default();
                if !bytes.is_empty() {
                    source = String::from_utf8_lossy(&bytes).into_owned();
                }
            }
            "source" if source.is_empty() => source = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    match add(&st, &user, &source).await {
        Ok(added) => Ok(axum::response::Redirect::to(&format!(
            "/policies/{}?added={}",
            added.id, added.claims_resettled
        ))
        .into_response()),
        Err(AppError::Invalid(_, details)) => {
            let body = html! {
                h1 { (t(lang, "政策参数")) }
                (upload_form(&user, &source, &details))
            };
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                page(&user, "/policies", t(lang, "政策参数"), body),
            )
                .into_response())
        }
        Err(e) => Err(PageError(e, lang)),
    }
}

/// A set and its source, if the caller may read it.
pub(crate) async fn one(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(PolicyRow, String), AppError> {
    Ok(policies::get(&st.app, &user.actor, id).await?)
}

/// `GET /policies/{id}`
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let (row, source) = one(&st, &user, id).await.map_err(|e| PageError(e, lang))?;
    let policy = Policy::from_toml(&source).ok();
    let body = html! {
        h1 { (row.name) }
        dl.kv {
            dt { (t(lang, "编号")) } dd { (row.id) }
            dt { (t(lang, "地区前缀")) } dd { (row.region_prefix) }
            dt { (t(lang, "有效期")) } dd { (row.valid_from) " – " (row.valid_to) }
            dt { (t(lang, "添加时间")) } dd { (row.loaded_at.format("%Y-%m-%d %H:%M:%S")) " · " (row.loaded_by) }
        }
        @if let Some(p) = &policy { (summary(&user, p)) }
        h2 { (t(lang, "参数原文")) }
        pre.explain { (source) }
        p { a href="/policies" { (t(lang, "返回政策参数")) } }
    };
    Ok(page(&user, "/policies", &row.name, body).into_response())
}

fn summary(user: &CurrentUser, p: &Policy) -> Markup {
    let lang = user.lang;
    let levels = [
        t(lang, "一级及以下"),
        t(lang, "二级"),
        t(lang, "三级"),
        t(lang, "省级及以上"),
    ];
    html! {
        h2 { (t(lang, "基本医保")) }
        p { (t(lang, "住院年度封顶线")) " " (p.basic.annual_cap) " " (t(lang, "元")) }
        div.tablewrap { table.cards-sm {
            thead { tr { th { (t(lang, "医疗机构级别")) } th.n { (t(lang, "起付线")) } th.n { (t(lang, "报销比例")) } } }
            tbody { @for (i, l) in p.basic.levels.iter().enumerate() {
                tr {
                    td data-label=(t(lang, "医疗机构级别")) { (levels.get(i).copied().unwrap_or("")) }
                    td.n data-label=(t(lang, "起付线")) { (l.deductible) }
                    td.n data-label=(t(lang, "报销比例")) { (l.ratio) }
                }
            } }
        } }
        h2 { (t(lang, "大病保险")) }
        p { (t(lang, "起付线")) " " (p.critical.ordinary.deductible) " " (t(lang, "元")) "；"
            (t(lang, "分段数")) " " (p.critical.ordinary.bands.len()) }
        h2 { (t(lang, "医疗救助")) }
        p { (t(lang, "救助对象类别数")) " " (p.assistance.order.len()) }
        h2 { (t(lang, "补充保障")) }
        p { (if p.supplementary.is_some() { t(lang, "有") } else { t(lang, "无") }) }
    }
}
