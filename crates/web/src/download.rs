//! Files answered as downloads, streamed from disk in chunks: an import's
//! error report can be large (a report written before the cap, or one of
//! ten thousand long lines), and reading it whole per request would let
//! a few downloads take the server's memory.

use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::stream;
use tokio::io::AsyncReadExt;

use crate::auth::encode;
use crate::error::AppError;

/// Bytes read from the file per chunk of the answer.
const CHUNK: usize = 64 * 1024;

/// The headers of a download named `file` of type `ty`.
fn headers(file: &str, ty: &str) -> [(header::HeaderName, String); 2] {
    let ext = file.rsplit('.').next().unwrap_or("bin");
    let disposition = format!(
        "attachment; filename=\"download.{ext}\"; filename*=UTF-8''{}",
        encode(file)
    );
    [
        (header::CONTENT_TYPE, ty.to_string()),
        (header::CONTENT_DISPOSITION, disposition),
    ]
}

/// A download answer of bytes already in memory (small files).
pub(crate) fn bytes(bytes: Vec<u8>, file: &str, ty: &str) -> Response {
    (StatusCode::OK, headers(file, ty), bytes).into_response()
}

/// A download answer streaming the file at `path`. The file is opened
/// before answering, so a missing one is an error, not a broken body.
pub(crate) async fn file(path: &Path, file: &str, ty: &str) -> Result<Response, AppError> {
    let f = tokio::fs::File::open(path).await.map_err(|e| {
        tracing::error!(error = %e, "cannot open a download");
        AppError::Internal
    })?;
    let len = f.metadata().await.map(|m| m.len()).ok();
    let chunks = stream::unfold(f, |mut f| async move {
        let mut buf = vec![0u8; CHUNK];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let mut response =
        (StatusCode::OK, headers(file, ty), Body::from_stream(chunks)).into_response();
    if let Some(len) = len {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
    }
    Ok(response)
}

/// A file in the temporary folder that is removed once opened: what was
/// opened streams on, and nothing is left behind.
pub(crate) struct TempPath(pub PathBuf);

impl TempPath {
    /// A new name in the temporary folder, ending in `ext`.
    pub(crate) fn new(ext: &str) -> Self {
        let secret = jianfu_service::accounts::new_secret();
        TempPath(std::env::temp_dir().join(format!("jianfu-download-{}.{ext}", &secret[..16])))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
