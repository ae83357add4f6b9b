//! Attachments of cases (photos and scans), kept in the database so that
//! they commit with the step they came with and travel with backups. The
//! checks (type by first bytes, size) are the service's.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Result;
use crate::sql::{Tx, Value};

/// An attachment without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AttachmentRow {
    /// Its number (ignored on insert).
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The step it came with; `None` when added afterwards.
    pub timeline_id: Option<i64>,
    /// The file's name as uploaded (without folders).
    pub file_name: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, case_id, timeline_id, file_name, media_type, size, sha256, uploaded_by, uploaded_at";

/// Stores an attachment with its content; returns its number.
pub async fn insert_attachment(tx: &mut Tx, a: &AttachmentRow, content: &[u8]) -> Result<i64> {
    let sql = "INSERT INTO case_attachments (case_id, timeline_id, file_name, media_type, size, \
        sha256, content, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
        RETURNING id";
    let args = [
        Value::Int(a.case_id),
        a.timeline_id.into(),
        Value::Text(&a.file_name),
        Value::Text(&a.media_type),
        Value::Int(a.size),
        Value::Text(&a.sha256),
        Value::Bytes(content),
        Value::Text(&a.uploaded_by),
        Value::Timestamp(a.uploaded_at),
    ];
    tx.scalar(sql, &args).await
}

/// A case's attachments, oldest first, without their content.
pub async fn attachments_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<AttachmentRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM case_attachments WHERE case_id = $1 ORDER BY id"
    ));
    tx.all(sql, &[Value::Int(case_id)]).await
}

/// Attachment `id` with its content.
pub async fn attachment(tx: &mut Tx, id: i64) -> Result<Option<(AttachmentRow, Vec<u8>)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM case_attachments WHERE id = $1"
    ));
    let Some(row): Option<AttachmentRow> = tx.opt(sql, &[Value::Int(id)]).await? else {
        return Ok(None);
    };
    let content = "SELECT content FROM case_attachments WHERE id = $1";
    let bytes: Vec<u8> = tx.scalar(content, &[Value::Int(id)]).await?;
    Ok(Some((row, bytes)))
}
