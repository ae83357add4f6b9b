//! Attachments of cases: photos and scans of a home visit, a signed
//! 承诺授权查询书, a publicity notice. A file is taken only when its first
//! bytes say JPEG, PNG or PDF (whatever its name says) and it is at most
//! [`MAX_ATTACHMENT`] bytes; anything else is refused with the file's name
//! and the reason, and nothing of the step is stored.

use chrono::{DateTime, SubsecRound, Utc};
use jianfu_domain::Permission;
use jianfu_store::monitoring::{self as store, AttachmentRow};
use jianfu_store::{Tx, audit};
use sha2::{Digest, Sha256};

use super::step::case_in_scope;
use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// Largest attachment accepted: 10 MiB.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

/// Most files one step or upload carries.
pub const MAX_FILES: usize = 10;

/// Longest file name kept, in characters.
const MAX_NAME: usize = 100;

/// A file as uploaded.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// Its name as the client gave it.
    pub file_name: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// An upload that passed the checks.
#[derive(Debug)]
pub(super) struct Checked<'a> {
    name: String,
    media_type: &'static str,
    sha256: String,
    content: &'a [u8],
}

/// The media type the first bytes announce, if one that is accepted.
pub fn sniff(content: &[u8]) -> Option<&'static str> {
    if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if content.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// The file name without folders, control characters or excess length.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let kept = kept.trim().to_string();
    if kept.is_empty() {
        "附件".to_string()
    } else {
        kept
    }
}

/// Checks every upload; the first refused one stops all.
pub(super) fn check_uploads(files: &[Upload]) -> UseCaseResult<Vec<Checked<'_>>> {
    if files.len() > MAX_FILES {
        return Err(UseCaseError::Invalid(format!(
            "一次最多上传{MAX_FILES}个附件，收到{}个",
            files.len()
        )));
    }
    files.iter().map(check_upload).collect()
}

fn check_upload(f: &Upload) -> UseCaseResult<Checked<'_>> {
    let name = clean_name(&f.file_name);
    if f.content.is_empty() {
        return Err(UseCaseError::Invalid(format!("附件“{name}”是空文件")));
    }
    if f.content.len() > MAX_ATTACHMENT {
        return Err(UseCaseError::Invalid(format!(
            "附件“{name}”有 {:.1} MB，超过每个附件 10 MB 的上限",
            f.content.len() as f64 / (1024.0 * 1024.0)
        )));
    }
    let media_type = sniff(&f.content).ok_or_else(|| {
        UseCaseError::Invalid(format!(
            "附件“{name}”不是 JPEG、PNG 图片或 PDF 文件（按文件内容判断），请上传照片或扫描件"
        ))
    })?;
    let sha256 = Sha256::digest(&f.content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Checked {
        name,
        media_type,
        sha256,
        content: &f.content,
    })
}

/// Stores checked uploads on a case; returns their numbers.
pub(super) async fn store_uploads(
    tx: &mut Tx,
    case_id: i64,
    timeline_id: Option<i64>,
    files: &[Checked<'_>],
    actor: &Actor,
    now: DateTime<Utc>,
) -> UseCaseResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(files.len());
    for f in files {
        let row = AttachmentRow {
            id: 0,
            case_id,
            timeline_id,
            file_name: f.name.clone(),
            media_type: f.media_type.to_string(),
            size: f.content.len() as i64,
            sha256: f.sha256.clone(),
            uploaded_by: actor.username.clone(),
            uploaded_at: now,
        };
        ids.push(store::insert_attachment(tx, &row, f.content).await?);
    }
    Ok(ids)
}

/// Adds files to case `case_id` outside a step.
pub async fn add_attachments(
    app: &App,
    actor: &Actor,
    case_id: i64,
    files: &[Upload],
) -> UseCaseResult<Vec<i64>> {
    actor.require(Permission::ActOnCases)?;
    if files.is_empty() {
        return Err(UseCaseError::Invalid("请选择要上传的附件".into()));
    }
    let checked = check_uploads(files)?;
    let now = app.now().trunc_subsecs(6);
    let mut tx = app.db.begin_write().await?;
    let case = case_in_scope(&mut tx, actor, case_id).await?;
    let ids = store_uploads(&mut tx, case_id, None, &checked, actor, now).await?;
    let mut entry = actor.entry("monitoring.case.attach", &case.village_code);
    entry.target_kind = Some("monitoring_case".into());
    entry.target_key = Some(case_id.to_string());
    entry.detail = Some(format!("files={}", ids.len()));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Attachment `id` with its content, when its case lies inside the
/// actor's jurisdiction. Photos of a household are personal data: each
/// download is audited.
pub async fn attachment(
    app: &App,
    actor: &Actor,
    id: i64,
) -> UseCaseResult<(AttachmentRow, Vec<u8>)> {
    actor.require(Permission::ViewMonitoring)?;
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    let (row, content) = store::attachment(&mut tx, id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let case = case_in_scope(&mut tx, actor, row.case_id).await?;
    let mut entry = actor.entry("monitoring.case.attachment.download", &case.village_code);
    entry.target_kind = Some("monitoring_attachment".into());
    entry.target_key = Some(id.to_string());
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok((row, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(clean_name("C:\\照片\\入户.jpg"), "入户.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("/"), "附件");
    }
}
