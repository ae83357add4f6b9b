//! The last word on API failures: every 4xx and 5xx answer under `/api/`
//! carries the JSON envelope of [`crate::error::Envelope`], whoever
//! produced it.
//!
//! The handlers and the API extractors already answer with the envelope;
//! this layer catches what they never see: axum's own rejections in a
//! handler that used a plain extractor, `405 Method Not Allowed`, the
//! timeout layer's `408`, the body limit's `413`. A client (or a fuzzer)
//! then always gets the documented shape with a stable code.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{Envelope, ErrorBody, ErrorCode};

/// How much of a plain-text failure body is kept as its detail.
const DETAIL_LIMIT: usize = 512;

/// The middleware: answers under `/api/` that failed without JSON are
/// rewritten into the envelope; everything else passes untouched.
pub async fn api_envelope(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) || is_json(&res) {
        return res;
    }
    rewrite(res).await
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The envelope of a failure that came without one; its status and
/// headers (such as `Allow` on a 405) are kept.
async fn rewrite(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let status = parts.status;
    let text = to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = code_of(status);
    let details = if text.is_empty() || status.is_server_error() {
        Vec::new()
    } else {
        vec![text.chars().take(DETAIL_LIMIT).collect()]
    };
    let envelope = Envelope {
        error: ErrorBody {
            code,
            message: message.to_string(),
            details,
        },
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = Json(envelope).into_response().into_body();
    Response::from_parts(parts, Body::new(body))
}

/// The stable code and the Chinese message for a bare status.
fn code_of(status: StatusCode) -> (ErrorCode, &'static str) {
    match status {
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthorized, "请先登录"),
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "您没有执行此操作的权限"),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "没有找到，或不在您的管辖范围内"),
        StatusCode::METHOD_NOT_ALLOWED => {
            (ErrorCode::MethodNotAllowed, "该接口地址不支持此请求方法")
        }
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::Timeout, "请求处理超时，请稍后再试"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::TooLarge, "上传的内容过大"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "请求体的格式不被接受（请检查 Content-Type）",
        ),
        StatusCode::TOO_MANY_REQUESTS => (ErrorCode::Throttled, "请求过于频繁，请稍后再试"),
        s if s.is_server_error() => (ErrorCode::Internal, "系统繁忙，请稍后再试"),
        _ => (ErrorCode::BadRequest, "请求格式不正确"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_status_has_a_code() {
        assert_eq!(
            code_of(StatusCode::METHOD_NOT_ALLOWED).0,
            ErrorCode::MethodNotAllowed
        );
        assert_eq!(code_of(StatusCode::IM_A_TEAPOT).0, ErrorCode::BadRequest);
        assert_eq!(code_of(StatusCode::BAD_GATEWAY).0, ErrorCode::Internal);
    }
}
