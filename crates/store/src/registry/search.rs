//! Searching persons inside a jurisdiction: by ID number, name (exact or
//! prefix), 户编号 and region.
//!
//! Every criterion is bound, never spliced: a name prefix becomes a range
//! `[prefix, prefix + U+10FFFF)` so `%` and `_` are plain characters, and
//! the sort column comes from [`PersonSort`], not from the request.

use chrono::NaiveDate;
use jianfu_domain::Scope;
use serde::Serialize;

use sqlx::AssertSqlSafe;

use crate::sql::{Stmt, Tx, Value};
use crate::{Result, prefix_range};

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

    /// The column key of the page.
    pub fn key(self) -> &'static str {
        match self {
            PersonSort::Village => "village",
            PersonSort::Name => "name",
            PersonSort::HouseholdNo => "household",
            PersonSort::BirthDate => "birth",
        }
    }

    /// The ORDER BY list; `c` is the collation clause names compare in.
    fn sql(self, desc: bool, c: &str) -> String {
        let d = if desc { " DESC" } else { "" };
        match self {
            PersonSort::Village => {
                format!("p.village_code{d}, p.household_no{d}, p.id_number{d}")
            }
            PersonSort::Name => format!("p.name{c}{d}, p.id_number{d}"),
            PersonSort::HouseholdNo => format!("p.household_no{d}, p.id_number{d}"),
            PersonSort::BirthDate => format!("p.birth_date{d}, p.id_number{d}"),
        }
    }
}

/// Counts stop here: a search matching more says "more than" and is only
/// listed in the order its index gives (sorting a province's "王" would
/// read millions of rows for one page).
pub const COUNT_CAP: i64 = 10_000;

/// A page of a person search.
#[derive(Debug, Clone)]
pub struct PersonPage {
    /// The rows of the page.
    pub hits: Vec<PersonHit>,
    /// Matches, counted up to [`COUNT_CAP`].
    pub total: i64,
    /// True when there are more than [`COUNT_CAP`] matches.
    pub more: bool,
    /// The order the page is in: the one asked for, or the search's own
    /// when none was asked for or the matches are too many to sort.
    pub sort: (PersonSort, bool),
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

/// Which criterion finds the rows; the others only filter them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    IdNumber,
    Household,
    Name,
    Region,
}

impl Driver {
    fn of(q: &PersonSearch) -> Driver {
        if q.id_number.is_some() {
            Driver::IdNumber
        } else if q.household_no.is_some() {
            Driver::Household
        } else if q.name.is_some() {
            Driver::Name
        } else {
            Driver::Region
        }
    }

    /// The order its index gives for free.
    fn natural(self) -> PersonSort {
        match self {
            Driver::Name => PersonSort::Name,
            _ => PersonSort::Village,
        }
    }
}

/// Persons inside `scope` matching `q`: a page of them, in `sort` order
/// when given, and the number of matches up to [`COUNT_CAP`].
///
/// Each search is led by one index: ID number, 户编号, name or the region
/// range (the jurisdiction and the region asked for, joined into one
/// range). Its cost is the page plus at most [`COUNT_CAP`] index entries,
/// whatever the size of the jurisdiction.
pub async fn search_persons(
    tx: &mut Tx,
    scope: &Scope,
    q: &PersonSearch,
    sort: Option<(PersonSort, bool)>,
    offset: i64,
    limit: i64,
) -> Result<PersonPage> {
    let driver = Driver::of(q);
    let natural = (driver.natural(), false);
    let (mut lo, mut hi) = prefix_range(scope.prefix());
    if let Some(region) = &q.region {
        let (rlo, rhi) = prefix_range(region);
        lo = lo.max(rlo);
        hi = hi.min(rhi);
    }
    if lo >= hi {
        return Ok(PersonPage {
            hits: Vec::new(),
            total: 0,
            more: false,
            sort: sort.unwrap_or(natural),
        });
    }
    let (cond, values) = conditions(tx, driver, q, lo, hi);
    // Planned with their values each time: a generic plan cannot tell a
    // one-person ID number from a whole county's range.
    let n = values.len();
    let count = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM persons p WHERE {cond} LIMIT {}) t",
        COUNT_CAP + 1
    );
    let mut args: Vec<Value> = values.iter().map(Value::from).collect();
    let counted: i64 = tx
        .scalar(Stmt::planned_per_call(AssertSqlSafe(count)), &args)
        .await?;
    let more = counted > COUNT_CAP;
    let sort = match sort {
        Some(s) if !more || s.0 == natural.0 => s,
        _ => natural,
    };
    let list = format!(
        "SELECT p.county_code, p.household_no, p.village_code, r.name AS village_name, p.name, \
         p.id_number, p.relation, p.groups, p.status, p.sex, p.birth_date, h.household_type \
         FROM persons p \
         JOIN households h ON h.county_code = p.county_code AND h.household_no = p.household_no \
         LEFT JOIN regions r ON r.code = p.village_code \
         WHERE {cond} ORDER BY {} LIMIT ${} OFFSET ${}",
        sort.0.sql(sort.1, tx.byte_order()),
        n + 1,
        n + 2
    );
    args.push(Value::Int(limit.clamp(1, 100_000)));
    args.push(Value::Int(offset.clamp(0, COUNT_CAP)));
    let hits: Vec<PersonHit> = tx
        .all(Stmt::planned_per_call(AssertSqlSafe(list)), &args)
        .await?;
    Ok(PersonPage {
        hits,
        total: counted.min(COUNT_CAP),
        more,
        sort,
    })
}

/// The WHERE conditions of a search over the village range `[lo, hi)`
/// and the values their placeholders bind, in order. Every criterion is
/// a placeholder; the fragments are this module's own.
fn conditions(
    tx: &Tx,
    driver: Driver,
    q: &PersonSearch,
    lo: String,
    hi: String,
) -> (String, Vec<String>) {
    let c = tx.byte_order();
    // The region range must not be taken as the index when another
    // criterion leads.
    let v = if driver == Driver::Region {
        "p.village_code".to_string()
    } else {
        tx.not_leading("p.village_code")
    };
    // Both bounds come from the narrower of the two ranges; when that is
    // a county or below, naming it lets the planner read one partition.
    let county = lo
        .get(..6)
        .filter(|_| tx.prunes_by_county())
        .map(str::to_string);
    let mut conds = vec![format!("{v} >= $1"), format!("{v} < $2")];
    let mut values = vec![lo, hi];
    let mut add = |cond: String, val: String| {
        values.push(val);
        conds.push(cond.replace('?', &format!("${}", values.len())));
    };
    if let Some(county) = county {
        add("p.county_code = ?".into(), county);
    }
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
    (conds.join(" AND "), values)
}
