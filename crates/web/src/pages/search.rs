//! Searching households and persons inside the jurisdiction: by ID
//! number, name, 户编号 and village; the list pages, sorts and exports.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jianfu_domain::{GroupSet, HouseholdType, IdCardNo, Permission, Relation, age_on, mask_middle};
use jianfu_service::people::{self, Hit};
use jianfu_store::registry::{PersonSearch, PersonSort};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, encode};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, t};
use crate::layout::page;
use crate::pages::people::{household_href, person_href};
use crate::tables::{self, Cell, Column, ListParams, Table};

/// The search form's fields (here and in `GET /api/v1/persons`, whose
/// document describes the parameters with the Chinese comments below).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchForm {
    /// 身份证号（18位，或15位旧号）
    #[serde(default)]
    pub id_number: String,
    /// 姓名或姓名开头
    #[serde(default)]
    pub name: String,
    /// 户编号
    #[serde(default)]
    pub household_no: String,
    /// 乡镇（9位）或村（12位）代码
    #[serde(default)]
    pub village: String,
}

/// Why the search form cannot be used.
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum SearchError {
    /// Not an ID number.
    #[error("身份证号格式不正确")]
    IdNumber,
    /// Not a region code.
    #[error("地区代码应为数字")]
    Region,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl SearchForm {
    /// The store's query, or a message saying what is wrong.
    pub fn query(&self) -> Result<PersonSearch, SearchError> {
        let id_number = match opt(&self.id_number) {
            // An ID number typed with a lower-case x or as 15 digits is
            // matched in its canonical form.
            Some(s) => Some(
                IdCardNo::parse(&s)
                    .map(|id| id.as_str().to_string())
                    .map_err(|_| SearchError::IdNumber)?,
            ),
            None => None,
        };
        let region = opt(&self.village);
        if region
            .as_deref()
            .is_some_and(|r| !r.bytes().all(|b| b.is_ascii_digit()) || r.len() > 12)
        {
            return Err(SearchError::Region);
        }
        Ok(PersonSearch {
            id_number,
            name: opt(&self.name).map(|n| n.chars().take(30).collect()),
            household_no: opt(&self.household_no),
            region,
        })
    }

    fn link(&self) -> String {
        format!(
            "/search?id_number={}&name={}&household_no={}&village={}",
            encode(self.id_number.trim()),
            encode(self.name.trim()),
            encode(self.household_no.trim()),
            encode(self.village.trim())
        )
    }
}

const COLUMNS: [Column; 8] = [
    Column::text("name", "姓名"),
    Column::id_number("身份证号"),
    Column::plain("与户主关系"),
    // A masked ID hides exactly the birth date: the list shows an age
    // (sorted by birth date).
    Column::text("birth", "年龄"),
    Column::plain("人员类别"),
    Column::text("household", "户编号"),
    Column::text("village", "所在村"),
    Column::plain("户类别"),
];

/// A row of the results: the name opens the person, the 户编号 the
/// household.
fn row(hit: &Hit, today: chrono::NaiveDate) -> Vec<Cell> {
    let h = &hit.person;
    let groups = GroupSet::parse_list(&h.groups.replace('|', ","))
        .unwrap_or_default()
        .union(
            HouseholdType::from_code(&h.household_type)
                .map_or(GroupSet::EMPTY, |t| t.implied_groups()),
        );
    let household = household_href(&h.county_code, &h.household_no);
    let person = person_href(&h.county_code, &h.household_no, &hit.reference);
    vec![
        Cell::link(&h.name, &person),
        mask_middle(&h.id_number).into(),
        Relation::from_code(&h.relation)
            .map_or("", |r| r.label())
            .into(),
        age_on(h.birth_date, today).to_string().into(),
        groups.labels().into(),
        Cell::link(&h.household_no, &household),
        h.village_name
            .clone()
            .unwrap_or_else(|| h.village_code.clone())
            .into(),
        HouseholdType::from_code(&h.household_type)
            .map_or("", |t| t.label())
            .into(),
    ]
}

/// Villages offered in the form: those of the user's township or county.
async fn villages(st: &AppState, user: &CurrentUser) -> Vec<(String, String)> {
    use jianfu_domain::RegionLevel as L;
    let Some(code) = user.scope().bound_region() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let towns = match code.level() {
        L::County => st
            .regions
            .children(&st.db, code.as_str())
            .await
            .unwrap_or_default(),
        L::Township => st
            .regions
            .region(&st.db, code.as_str())
            .await
            .ok()
            .flatten()
            .into_iter()
            .collect(),
        _ => return Vec::new(),
    };
    for town in towns {
        out.push((town.code[..9].to_string(), town.name.clone()));
        for v in st
            .regions
            .children(&st.db, &town.code)
            .await
            .unwrap_or_default()
        {
            out.push((v.code.clone(), format!("　{}", v.name)));
        }
    }
    out
}

/// The search form, keeping what was typed.
fn search_form(lang: Lang, form: &SearchForm, villages: &[(String, String)]) -> Markup {
    html! {
        form.inline method="get" action="/search" {
            label { (t(lang, "身份证号")) input #q-id name="id_number" value=(form.id_number) maxlength="18" inputmode="text"; }
            label { (t(lang, "姓名")) input #q-name name="name" value=(form.name) maxlength="30"; }
            label { (t(lang, "户编号")) input #q-household name="household_no" value=(form.household_no) maxlength="40"; }
            @if villages.is_empty() {
                label { (t(lang, "地区代码")) input name="village" value=(form.village) maxlength="12" inputmode="numeric"; }
            } @else {
                label { (t(lang, "乡镇／村"))
                    select name="village" {
                        option value="" { (t(lang, "全部")) }
                        @for (code, name) in villages {
                            option value=(code) selected[*code == form.village] { (name) }
                        }
                    }
                }
            }
            button #search type="submit" { (t(lang, "查询")) }
        }
    }
}

/// `GET /search`
pub async fn search(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(form): Query<SearchForm>,
    Query(list): Query<ListParams>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let err = |e: AppError| PageError(e, lang);
    // The page answers without a use case when there is nothing to search.
    user.require(Permission::ViewRegistry).map_err(err)?;
    let query = form.query();
    let export = list.export().map_err(err)?;
    let sort = list
        .sort
        .as_deref()
        .and_then(PersonSort::from_key)
        .map(|s| (s, list.desc()));
    // One "today" for every row's age.
    let today = st.app.today();
    let q = match &query {
        Ok(q) if !q.is_empty() => Some(q),
        _ => None,
    };
    if let (Some(format), Some(q)) = (export, q) {
        let found = people::export_search(&st.app, &user.actor, q, sort)
            .await
            .map_err(|e| err(e.into()))?;
        let rows: Vec<Vec<Cell>> = found.hits.iter().map(|h| row(h, today)).collect();
        return tables::export(lang, format, t(lang, "人员查询结果"), &COLUMNS, &rows).map_err(err);
    }
    let found = match q {
        Some(q) => Some(
            people::search(&st.app, &user.actor, q, sort, list.offset(), list.limit())
                .await
                .map_err(|e| err(e.into()))?,
        ),
        None => None,
    };
    let villages = villages(&st, &user).await;
    let body = html! {
        h1 { (t(lang, "查询家庭和人员")) }
        (search_form(lang, &form, &villages))
        @match (&query, &found) {
            (Err(msg), _) => p.err role="alert" { (msg) },
            (_, None) => p.muted { (t(lang, "请输入身份证号、姓名（可只输姓）、户编号或选择地区。")) },
            (_, Some(found)) => {
                @if sort.is_some_and(|s| s != found.sort) {
                    p.muted { (t(lang, "结果过多，无法按所选列排序，已按默认顺序列出。")) }
                }
                (tables::render(lang, &Table {
                    columns: &COLUMNS,
                    rows: found.hits.iter().map(|h| row(h, today)).collect(),
                    total: found.total,
                    more: found.more,
                    params: &ListParams {
                        sort: Some(found.sort.0.key().into()),
                        dir: Some(if found.sort.1 { "desc" } else { "asc" }.into()),
                        ..list.clone()
                    },
                    base: form.link(),
                    exportable: user.may(Permission::ExportPersonal),
                }))
            }
        }
    };
    Ok(page(&user, "/search", t(lang, "查询"), body).into_response())
}
