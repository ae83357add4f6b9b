//! Searching persons inside a jurisdiction: by ID number, name (exact or
//! prefix), 户编号 and region.
//!
//! Every criterion is bound, never spliced: a name prefix becomes a range
//! `[prefix, prefix + U+10FFFF)` so `%` and `_` are plain characters, and
//! the sort column comes from [`PersonSort`], not from the request.

use chrono::NaiveDate;
use jianfu_domain::Scope;
use serde::Serialize;

use crate::{Db, Result, prefix_range};

/// What to look for; empty fields do not narrow.
#[derive(Debug, Clone, Default)]
pub struct PersonSearch {
    /// Full 18-character ID number.
    pub id_number: Option<String>,
    /// Name or the start of a name.
    pub name: Option<String>,
    /// 户编号, exact.
    pub household_no: Option<String>,
    /// Region code prefix (a township's 9 digits, a village's 12).
    pub region: Option<String>,
}

impl PersonSearch {
    /// True when no criterion is given.
    pub fn is_empty(&self) -> bool {
        self.id_number.is_none()
            && self.name.is_none()
            && self.household_no.is_none()
            && self.region.is_none()
    }
}

/// Sort columns of a person search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PersonSort {
    /// By village, household and relation (the registry's own order).
    #[default]
    Village,
    /// By name.
    Name,
    /// By 户编号.
    HouseholdNo,
    /// By date of birth.
    BirthDate,
}

impl PersonSort {
    /// From a column key of the page.
    pub fn from_key(key: &str) -> Option<PersonSort> {
        Some(match key {
            "village" => PersonSort::Village,
            "name" => PersonSort::Name,
            "household" => PersonSort::HouseholdNo,
            "birth" => PersonSort::BirthDate,
            _ => return None,
        })
    }

    fn sql(self, desc: bool) -> &'static str {
        match (self, desc) {
            (PersonSort::Village, false) => "p.village_code, p.household_no, p.id_number",
            (PersonSort::Village, true) => {
                "p.village_code DESC, p.household_no DESC, p.id_number DESC"
            }
            (PersonSort::Name, false) => "p.name, p.id_number",
            (PersonSort::Name, true) => "p.name DESC, p.id_number DESC",
            (PersonSort::HouseholdNo, false) => "p.household_no, p.id_number",
            (PersonSort::HouseholdNo, true) => "p.household_no DESC, p.id_number DESC",
            (PersonSort::BirthDate, false) => "p.birth_date, p.id_number",
            (PersonSort::BirthDate, true) => "p.birth_date DESC, p.id_number DESC",
        }
    }
}

/// A person found.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonHit {
    /// Partition key.
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// Village code.
    pub village_code: String,
    /// Village name.
    pub village_name: Option<String>,
    /// Name: personal data.
    pub name: String,
    /// Full ID number: personal data, mask before showing.
    pub id_number: String,
    /// Relation code.
    pub relation: String,
    /// Group codes joined by `|`.
    pub groups: String,
    /// Status code.
    pub status: String,
    /// `male` / `female`.
    pub sex: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Household type code.
    pub household_type: String,
}

impl Db {
    /// Persons inside `scope` matching `q`, a page of them in `sort` order,
    /// with the number of all matches.
    pub async fn search_persons(
        &self,
        scope: &Scope,
        q: &PersonSearch,
        (sort, desc): (PersonSort, bool),
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<PersonHit>, i64)> {
        // Only the criteria given become conditions, so each can use its
        // index (`x IS NULL OR …` would defeat it). Values are all bound.
        let c = match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " COLLATE \"C\"",
        };
        let (lo, hi) = prefix_range(scope.prefix());
        let mut conds = vec![
            "p.village_code >= $1".to_string(),
            "p.village_code < $2".to_string(),
        ];
        let mut values = vec![lo, hi];
        let mut add = |cond: String, v: String| {
            values.push(v);
            conds.push(cond.replace('?', &format!("${}", values.len())));
        };
        if let Some(id) = &q.id_number {
            add("p.id_number = ?".into(), id.clone());
        }
        if let Some(name) = &q.name {
            add(format!("p.name{c} >= ?"), name.clone());
            add(format!("p.name{c} < ?"), format!("{name}\u{10FFFF}"));
        }
        if let Some(no) = &q.household_no {
            add("p.household_no = ?".into(), no.clone());
        }
        if let Some(region) = &q.region {
            let (rlo, rhi) = prefix_range(region);
            add("p.village_code >= ?".into(), rlo);
            add("p.village_code < ?".into(), rhi);
        }
        let cond = conds.join(" AND ");
        let n = values.len();
        let list = format!(
            "SELECT p.county_code, p.household_no, p.village_code, r.name AS village_name, p.name, \
             p.id_number, p.relation, p.groups, p.status, p.sex, p.birth_date, h.household_type \
             FROM persons p \
             JOIN households h ON h.county_code = p.county_code AND h.household_no = p.household_no \
             LEFT JOIN regions r ON r.code = p.village_code \
             WHERE {cond} ORDER BY {} LIMIT ${} OFFSET ${}",
            sort.sql(desc),
            n + 1,
            n + 2
        );
        let count = format!("SELECT COUNT(*) FROM persons p WHERE {cond}");
        macro_rules! run {
            ($p:expr) => {{
                let mut lq = sqlx::query_as(sqlx::AssertSqlSafe(list));
                let mut cq = sqlx::query_scalar(sqlx::AssertSqlSafe(count));
                for v in &values {
                    lq = lq.bind(v.clone());
                    cq = cq.bind(v.clone());
                }
                let rows: Vec<PersonHit> = lq
                    .bind(limit.clamp(1, 100_000))
                    .bind(offset.max(0))
                    .fetch_all($p)
                    .await?;
                let total: i64 = cq.fetch_one($p).await?;
                (rows, total)
            }};
        }
        let (rows, total) = on_pool!(self, p => run!(p));
        Ok((rows, total))
    }
}
