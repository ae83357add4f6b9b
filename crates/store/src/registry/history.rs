//! The change history of a person or a household: the creation of each
//! row (from its `created_batch`) and every logged change, with the batch
//! that made it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::Result;
use crate::sql::{Tx, Value};

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

/// The change history of a person (by ID number) or of a household (by
/// 户编号, including its members' changes), oldest first. Creation entries
/// (field `*`) come from each row's `created_batch`.
pub async fn history(
    tx: &mut Tx,
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
    let sql = format!(
        "SELECT * FROM ({}) h ORDER BY batch_id, seq, entity, entity_key",
        parts.join(" UNION ALL ")
    );
    tx.all(AssertSqlSafe(sql), &[Value::Text(county), Value::Text(key)])
        .await
}
