//! Read queries for the registry: a household with its members, counts
//! under a region, and the change history of a person or household.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Db, Result, prefix_range};

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

/// One change-log entry with its batch.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ChangeRow {
    /// Change batch (an import or an edit).
    pub batch_id: i64,
    /// Order within the batch.
    pub seq: i64,
    /// `household`, `person` or `diagnosis`.
    pub entity: String,
    /// 户编号 or ID number.
    pub entity_key: String,
    /// Field name, `*` for creation.
    pub field: String,
    /// Value before.
    pub old_value: Option<String>,
    /// Value after.
    pub new_value: Option<String>,
    /// File the change came from.
    pub source_file: Option<String>,
    /// Who made it.
    pub user_name: String,
    /// When.
    pub started_at: DateTime<Utc>,
}

macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

const HOUSEHOLD_SELECT: &str = "SELECT h.county_code, h.household_no, h.village_code, r.name AS village_name, \
     h.household_type, h.income_per_capita FROM households h LEFT JOIN regions r ON r.code = h.village_code";
const PERSON_SELECT: &str = "SELECT county_code, id_number, household_no, village_code, name, relation, groups, \
     phone, status, sex, birth_date FROM persons";

impl Db {
    /// The household 户编号 `household_no` of `county`, when inside `scope`.
    pub async fn household(
        &self,
        scope: &jianfu_domain::Scope,
        county: &str,
        household_no: &str,
    ) -> Result<Option<HouseholdRow>> {
        let (lo, hi) = prefix_range(scope.prefix());
        let sql = sqlx::AssertSqlSafe(format!(
            "{HOUSEHOLD_SELECT} WHERE h.county_code = $1 AND h.household_no = $2 \
             AND h.village_code >= $3 AND h.village_code < $4"
        ));
        Ok(on_pool!(self, p => sqlx::query_as(sql)
            .bind(county).bind(household_no).bind(lo).bind(hi)
            .fetch_optional(p).await?))
    }

    /// The members of a household.
    pub async fn household_members(
        &self,
        county: &str,
        household_no: &str,
    ) -> Result<Vec<PersonRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{PERSON_SELECT} WHERE county_code = $1 AND household_no = $2 \
             ORDER BY CASE relation WHEN 'head' THEN 0 ELSE 1 END, birth_date"
        ));
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(county).bind(household_no).fetch_all(p).await?),
        )
    }

    /// A person by ID number within a region prefix (the caller's scope).
    pub async fn person(&self, scope_prefix: &str, id_number: &str) -> Result<Option<PersonRow>> {
        let (lo, hi) = prefix_range(scope_prefix);
        let sql = sqlx::AssertSqlSafe(format!(
            "{PERSON_SELECT} WHERE id_number = $1 AND village_code >= $2 AND village_code < $3"
        ));
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(id_number).bind(lo).bind(hi).fetch_optional(p).await?),
        )
    }

    /// The diagnoses of a person, newest first.
    pub async fn diagnoses_of(&self, county: &str, id_number: &str) -> Result<Vec<DiagnosisRow>> {
        let sql = "SELECT id_number, icd10, diagnosed_on, disease_name, facility FROM diagnoses \
                   WHERE county_code = $1 AND id_number = $2 ORDER BY diagnosed_on DESC";
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(county).bind(id_number).fetch_all(p).await?),
        )
    }

    /// The diagnoses of every member of a household, by ID number and
    /// newest first.
    pub async fn diagnoses_of_household(
        &self,
        county: &str,
        household_no: &str,
    ) -> Result<Vec<DiagnosisRow>> {
        // The members lead, each found by its key in `diagnoses`.
        let sql = "SELECT id_number, icd10, diagnosed_on, disease_name, facility FROM diagnoses \
                   WHERE county_code = $1 AND id_number IN \
                   (SELECT id_number FROM persons WHERE county_code = $1 AND household_no = $2) \
                   ORDER BY id_number, diagnosed_on DESC";
        Ok(on_pool!(self, p => sqlx::query_as(sql)
            .bind(county).bind(household_no).fetch_all(p).await?))
    }

    /// Households and persons per child region of `parent` (a stored
    /// region code), with the children's names, in code order. Children
    /// without anyone registered are listed with zeros.
    pub async fn counts_by_child(&self, parent: &str) -> Result<Vec<RegionCount>> {
        let children = crate::regions::region_children(&mut self.read().await?, parent).await?;
        let Some(first) = children.first() else {
            return Ok(Vec::new());
        };
        let digits = jianfu_domain::RegionLevel::from_number(first.level as u8)
            .map_or(12, |l| l.digits()) as i32;
        let own = jianfu_domain::RegionCode::parse(parent)
            .map(|c| c.prefix().to_string())
            .unwrap_or_default();
        let ((clo, chi), (lo, hi)) = scope_ranges(&own);
        let sql = "SELECT substr(village_code, 1, $1) AS k, COUNT(DISTINCT household_no), COUNT(*) \
                   FROM persons WHERE county_code >= $2 AND county_code < $3 \
                   AND village_code >= $4 AND village_code < $5 GROUP BY k";
        let rows: Vec<(String, i64, i64)> = on_pool!(self, p => sqlx::query_as(sql)
            .bind(digits).bind(&clo).bind(&chi).bind(&lo).bind(&hi).fetch_all(p).await?);
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
    pub async fn totals(&self, prefix: &str) -> Result<(i64, i64)> {
        let ((clo, chi), (lo, hi)) = scope_ranges(prefix);
        let sql = "SELECT COUNT(DISTINCT county_code || household_no), COUNT(*) FROM persons \
                   WHERE county_code >= $1 AND county_code < $2 AND village_code >= $3 AND village_code < $4";
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(&clo).bind(&chi).bind(&lo).bind(&hi).fetch_one(p).await?),
        )
    }

    /// The change history of a person (by ID number) or of a household
    /// (by 户编号, including its members' changes), oldest first. Creation
    /// entries (field `*`) come from each row's `created_batch`.
    pub async fn history(
        &self,
        county: &str,
        household_no: Option<&str>,
        id_number: Option<&str>,
    ) -> Result<Vec<ChangeRow>> {
        const COLS: &str = "b.source_file, b.user_name, b.started_at";
        let null = "CAST(NULL AS TEXT)";
        let created = |table: &str, entity: &str, key: &str, filter: &str| {
            format!(
                "SELECT t.created_batch AS batch_id, CAST(0 AS BIGINT) AS seq, '{entity}' AS entity, \
                 t.{key} AS entity_key, '*' AS field, {null} AS old_value, {null} AS new_value, {COLS} \
                 FROM {table} t JOIN change_batches b ON b.id = t.created_batch \
                 WHERE t.county_code = $1 AND t.{filter} = $2"
            )
        };
        let logged = |filter: &str| {
            format!(
                "SELECT c.batch_id, c.seq, c.entity, c.entity_key, c.field, c.old_value, c.new_value, {COLS} \
                 FROM change_log c JOIN change_batches b ON b.id = c.batch_id \
                 WHERE c.county_code = $1 AND c.{filter} = $2"
            )
        };
        let (parts, key) = match (household_no, id_number) {
            (_, Some(id)) => (
                vec![
                    created("persons", "person", "id_number", "id_number"),
                    created("diagnoses", "diagnosis", "id_number", "id_number"),
                    logged("entity_key"),
                ],
                id,
            ),
            (Some(no), None) => (
                vec![
                    created("households", "household", "household_no", "household_no"),
                    created("persons", "person", "id_number", "household_no"),
                    logged("household_no"),
                ],
                no,
            ),
            (None, None) => return Ok(Vec::new()),
        };
        // Built from this function's fixed fragments only; values are bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT * FROM ({}) h ORDER BY batch_id, seq, entity, entity_key",
            parts.join(" UNION ALL ")
        ));
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(county).bind(key).fetch_all(p).await?))
    }
}

/// The county-code range and village-code range of a region prefix: the
/// first narrows by the tables' leading key column, the second exactly.
fn scope_ranges(prefix: &str) -> ((String, String), (String, String)) {
    (
        prefix_range(&prefix[..prefix.len().min(6)]),
        prefix_range(prefix),
    )
}
