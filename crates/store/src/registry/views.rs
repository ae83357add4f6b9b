//! Reading the registry: a household with its members, a person, their
//! diagnoses, counts under a region, and the persons of a jurisdiction
//! (for imports that keep to their importer's region).

use chrono::NaiveDate;
use jianfu_domain::{RegionCode, RegionLevel, Scope};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::regions::region_children;
use crate::sql::{Tx, Value};
use crate::{Result, prefix_range};

/// A household as stored, with its village's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HouseholdRow {
    /// Partition key.
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// Village code.
    pub village_code: String,
    /// Village name (from the region tree).
    pub village_name: Option<String>,
    /// Household type code.
    pub household_type: String,
    /// Per-capita income in fen.
    pub income_per_capita: Option<i64>,
}

/// A person as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonRow {
    /// Partition key.
    pub county_code: String,
    /// Full ID number: personal data, mask before showing.
    pub id_number: String,
    /// 户编号
    pub household_no: String,
    /// Village code.
    pub village_code: String,
    /// Name: personal data.
    pub name: String,
    /// Relation code.
    pub relation: String,
    /// Group codes joined by `|`.
    pub groups: String,
    /// Phone: personal data.
    pub phone: Option<String>,
    /// Status code.
    pub status: String,
    /// `male` / `female`.
    pub sex: String,
    /// From the ID number.
    pub birth_date: NaiveDate,
}

/// A diagnosis as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DiagnosisRow {
    /// ID number of the person.
    pub id_number: String,
    /// ICD-10 code.
    pub icd10: String,
    /// Date of diagnosis.
    pub diagnosed_on: NaiveDate,
    /// Name as imported.
    pub disease_name: Option<String>,
    /// Facility as imported.
    pub facility: Option<String>,
}

/// Counts for one region below the one asked about.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RegionCount {
    /// Child region code (12 digits).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Households registered in it.
    pub households: i64,
    /// Persons registered in it.
    pub persons: i64,
}

const HOUSEHOLD_SELECT: &str = "SELECT h.county_code, h.household_no, h.village_code, \
     r.name AS village_name, h.household_type, h.income_per_capita \
     FROM households h LEFT JOIN regions r ON r.code = h.village_code";
const PERSON_SELECT: &str = "SELECT county_code, id_number, household_no, village_code, name, \
     relation, groups, phone, status, sex, birth_date FROM persons";

/// The household 户编号 `household_no` of `county`, when inside `scope`.
pub async fn household(
    tx: &mut Tx,
    scope: &Scope,
    county: &str,
    household_no: &str,
) -> Result<Option<HouseholdRow>> {
    let (lo, hi) = prefix_range(scope.prefix());
    let sql = format!(
        "{HOUSEHOLD_SELECT} WHERE h.county_code = $1 AND h.household_no = $2 \
         AND h.village_code >= $3 AND h.village_code < $4"
    );
    let args = [
        Value::Text(county),
        Value::Text(household_no),
        Value::Text(&lo),
        Value::Text(&hi),
    ];
    tx.opt(AssertSqlSafe(sql), &args).await
}

/// The members of a household, the head first, then by date of birth.
pub async fn household_members(
    tx: &mut Tx,
    county: &str,
    household_no: &str,
) -> Result<Vec<PersonRow>> {
    let sql = format!(
        "{PERSON_SELECT} WHERE county_code = $1 AND household_no = $2 \
         ORDER BY CASE relation WHEN 'head' THEN 0 ELSE 1 END, birth_date"
    );
    let args = [Value::Text(county), Value::Text(household_no)];
    tx.all(AssertSqlSafe(sql), &args).await
}

/// A person by ID number within a region prefix (the caller's scope).
pub async fn person(tx: &mut Tx, scope_prefix: &str, id_number: &str) -> Result<Option<PersonRow>> {
    let (lo, hi) = prefix_range(scope_prefix);
    let sql = format!(
        "{PERSON_SELECT} WHERE id_number = $1 AND village_code >= $2 AND village_code < $3"
    );
    let args = [Value::Text(id_number), Value::Text(&lo), Value::Text(&hi)];
    tx.opt(AssertSqlSafe(sql), &args).await
}

/// The diagnoses of a person, newest first.
pub async fn diagnoses_of(tx: &mut Tx, county: &str, id_number: &str) -> Result<Vec<DiagnosisRow>> {
    let sql = "SELECT id_number, icd10, diagnosed_on, disease_name, facility FROM diagnoses \
               WHERE county_code = $1 AND id_number = $2 ORDER BY diagnosed_on DESC";
    tx.all(sql, &[Value::Text(county), Value::Text(id_number)])
        .await
}

/// The diagnoses of every member of a household, by ID number and newest
/// first.
pub async fn diagnoses_of_household(
    tx: &mut Tx,
    county: &str,
    household_no: &str,
) -> Result<Vec<DiagnosisRow>> {
    // The members lead, each found by its key in `diagnoses`.
    let sql = "SELECT id_number, icd10, diagnosed_on, disease_name, facility FROM diagnoses \
               WHERE county_code = $1 AND id_number IN \
               (SELECT id_number FROM persons WHERE county_code = $1 AND household_no = $2) \
               ORDER BY id_number, diagnosed_on DESC";
    tx.all(sql, &[Value::Text(county), Value::Text(household_no)])
        .await
}

/// Households and persons per child region of `parent` (a stored region
/// code), with the children's names, in code order. Children without
/// anyone registered are listed with zeros.
pub async fn counts_by_child(tx: &mut Tx, parent: &str) -> Result<Vec<RegionCount>> {
    let children = region_children(tx, parent).await?;
    let Some(first) = children.first() else {
        return Ok(Vec::new());
    };
    let digits = RegionLevel::from_number(first.level as u8).map_or(12, |l| l.digits()) as i32;
    let own = RegionCode::parse(parent)
        .map(|c| c.prefix().to_string())
        .unwrap_or_default();
    let ((clo, chi), (lo, hi)) = scope_ranges(&own);
    let sql = "SELECT substr(village_code, 1, $1) AS k, COUNT(DISTINCT household_no), COUNT(*) \
               FROM persons WHERE county_code >= $2 AND county_code < $3 \
               AND village_code >= $4 AND village_code < $5 GROUP BY k";
    let args = [
        Value::Int32(digits),
        Value::Text(&clo),
        Value::Text(&chi),
        Value::Text(&lo),
        Value::Text(&hi),
    ];
    let rows: Vec<(String, i64, i64)> = tx.all(sql, &args).await?;
    let counts: std::collections::HashMap<String, (i64, i64)> =
        rows.into_iter().map(|(k, h, n)| (k, (h, n))).collect();
    Ok(children
        .into_iter()
        .map(|c| {
            let (households, persons) = counts
                .get(&c.code[..digits as usize])
                .copied()
                .unwrap_or((0, 0));
            RegionCount {
                code: c.code,
                name: c.name,
                households,
                persons,
            }
        })
        .collect())
}

/// Households and persons registered under a region prefix.
pub async fn totals(tx: &mut Tx, prefix: &str) -> Result<(i64, i64)> {
    let ((clo, chi), (lo, hi)) = scope_ranges(prefix);
    let sql = "SELECT COUNT(DISTINCT county_code || household_no), COUNT(*) FROM persons \
               WHERE county_code >= $1 AND county_code < $2 \
               AND village_code >= $3 AND village_code < $4";
    let args = [
        Value::Text(&clo),
        Value::Text(&chi),
        Value::Text(&lo),
        Value::Text(&hi),
    ];
    tx.one(sql, &args).await
}

/// The county-code range and village-code range of a region prefix: the
/// first narrows by the tables' leading key column, the second exactly.
fn scope_ranges(prefix: &str) -> ((String, String), (String, String)) {
    (
        prefix_range(&prefix[..prefix.len().min(6)]),
        prefix_range(prefix),
    )
}

/// The persons whose village lies under `prefix`, as sorted packed ID
/// numbers ([`jianfu_domain::IdCardNo::packed`]): 8 bytes a person, read
/// as a stream.
pub async fn person_keys_in(tx: &mut Tx, prefix: &str) -> Result<Vec<u64>> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT id_number FROM persons WHERE village_code >= $1 AND village_code < $2";
    let mut keys: Vec<u64> = Vec::new();
    let pack = |(id,): (String,)| {
        keys.extend(jianfu_domain::IdCardNo::parse(&id).ok().map(|i| i.packed()));
        Ok(())
    };
    tx.each(sql, &[Value::Text(&lo), Value::Text(&hi)], pack)
        .await?;
    keys.sort_unstable();
    Ok(keys)
}

/// True when the person with `id_number` lives in a village under
/// `prefix` (one primary-key lookup).
pub async fn person_is_in(tx: &mut Tx, id_number: &str, prefix: &str) -> Result<bool> {
    let (lo, hi) = prefix_range(prefix);
    let sql = "SELECT COUNT(*) FROM persons WHERE id_number = $1 \
               AND village_code >= $2 AND village_code < $3";
    let args = [Value::Text(id_number), Value::Text(&lo), Value::Text(&hi)];
    let n: i64 = tx.scalar(sql, &args).await?;
    Ok(n > 0)
}

/// The lowest-coded village of `county` that has households (the demo
/// binds its village doctor there).
pub async fn first_village_with_households(tx: &mut Tx, county: &str) -> Result<Option<String>> {
    let sql = "SELECT MIN(village_code) FROM households WHERE county_code = $1";
    tx.scalar(sql, &[Value::Text(county)]).await
}
