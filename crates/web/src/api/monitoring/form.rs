//! Reading a multipart form with files, shared by the API's attachment
//! upload and the case page's step form: text fields by name, and every
//! non-empty file field as an upload (checked by the use case).

use std::collections::HashMap;

use axum::extract::Multipart;
use jianfu_service::monitoring::cases::Upload;

use crate::error::AppError;

/// A read form: its text fields and its files.
#[derive(Debug, Default)]
pub struct Form {
    /// Text fields (the last of a name wins).
    pub fields: HashMap<String, String>,
    /// Files, in the order sent.
    pub files: Vec<Upload>,
}

impl Form {
    /// A text field, trimmed; `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

/// Reads `form`; fields named `file` (or `files`) are files.
pub async fn read(mut form: Multipart) -> Result<Form, AppError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("上传内容无法读取：{e}"))
    };
    let mut out = Form::default();
    while let Some(field) = form.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" || name == "files" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let content = field.bytes().await.map_err(broken)?;
            // A form's empty file input sends a part with no name and no bytes.
            if !content.is_empty() || !file_name.is_empty() {
                out.files.push(Upload {
                    file_name,
                    content: content.to_vec(),
                });
            }
        } else {
            let value = field.text().await.map_err(broken)?;
            out.fields.insert(name, value);
        }
    }
    Ok(out)
}
