//! The one HTTP error type of the application and its two faces: a page in
//! the user's language for the browser, and the JSON envelope for the API.
//!
//! The envelope is always
//! `{"error": {"code": "...", "message": "...", "details": [...]}}`, with
//! `code` one of the stable snake_case codes of [`AppError::code`] and
//! `message` in Chinese. Internal failures are logged by kind only, never
//! with personal data, and shown as a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::i18n::Lang;

/// Something that stops a request.
#[derive(Debug)]
pub enum AppError {
    /// Not signed in (or the session expired).
    Unauthorized,
    /// Signed in, but the role lacks the permission.
    Forbidden,
    /// Nothing there, or not inside the caller's jurisdiction: the two are
    /// indistinguishable on purpose.
    NotFound,
    /// The anti-forgery token is missing or wrong.
    Csrf,
    /// Too many attempts.
    Throttled(String),
    /// The request is malformed or a value is refused.
    BadRequest(String),
    /// A value is refused, with per-field or per-row details.
    Invalid(String, Vec<String>),
    /// The request conflicts with what is stored.
    Conflict(String),
    /// The body is too large.
    TooLarge,
    /// A failure inside; the message shown is generic.
    Internal,
}

impl AppError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Csrf => "csrf",
            AppError::Throttled(_) => "throttled",
            AppError::BadRequest(_) => "bad_request",
            AppError::Invalid(..) => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::TooLarge => "too_large",
            AppError::Internal => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) | AppError::Invalid(..) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let zh_en = |zh: &str, en: &str| match lang {
            Lang::Zh => zh.to_string(),
            Lang::En => en.to_string(),
        };
        match self {
            AppError::Unauthorized => zh_en("请先登录", "Please sign in"),
            AppError::Forbidden => zh_en("您没有执行此操作的权限", "You may not do this"),
            AppError::NotFound => zh_en(
                "没有找到，或不在您的管辖范围内",
                "Not found, or outside your jurisdiction",
            ),
            AppError::Csrf => zh_en(
                "页面已过期或请求来源不可信，请刷新页面后重试",
                "The page expired or the request was forged; reload and try again",
            ),
            AppError::TooLarge => zh_en("上传的内容过大", "The upload is too large"),
            AppError::Internal => zh_en(
                "系统繁忙，请稍后再试",
                "Something went wrong; please try again later",
            ),
            AppError::Throttled(m)
            | AppError::BadRequest(m)
            | AppError::Invalid(m, _)
            | AppError::Conflict(m) => m.clone(),
        }
    }

    /// The JSON envelope.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            error: ErrorBody {
                code: self.code(),
                message: self.message(Lang::Zh),
                details: match self {
                    AppError::Invalid(_, d) => d.clone(),
                    _ => Vec::new(),
                },
            },
        }
    }
}

impl From<jianfu_store::StoreError> for AppError {
    fn from(e: jianfu_store::StoreError) -> Self {
        // Store errors carry SQL state, never row values.
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}

/// The error envelope of the JSON API.
#[derive(Debug, Serialize)]
pub struct Envelope {
    /// The error.
    pub error: ErrorBody,
}

/// The body of the envelope.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// Stable code.
    pub code: &'static str,
    /// Message in Chinese.
    pub message: String,
    /// Per-field or per-row details, when any.
    pub details: Vec<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        PageError(self, Lang::Zh).into_response()
    }
}

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0.status(), Json(self.0.envelope())).into_response()
    }
}

/// An error answered as a page, in the user's language.
#[derive(Debug)]
pub struct PageError(pub AppError, pub Lang);

impl PageError {
    /// The page error of `e` in `lang`.
    pub fn new(e: impl Into<AppError>, lang: Lang) -> Self {
        PageError(e.into(), lang)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, AppError::Unauthorized) {
            return axum::response::Redirect::to("/login").into_response();
        }
        let msg = self.0.message(self.1);
        let title = crate::i18n::t(self.1, "出错了");
        let body = crate::layout::bare(self.1, title, maud::html! { p.err role="alert" { (msg) } });
        (self.0.status(), body).into_response()
    }
}

/// Result of a JSON handler.
pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// Wraps an extractor so that its rejection answers with the envelope.
macro_rules! api_extractor {
    ($name:ident, $inner:ident, $what:literal) => {
        /// Like the axum extractor of the same kind, but a rejection
        /// answers with the API's error envelope.
        #[derive(Debug)]
        pub struct $name<T>(pub T);

        impl<S, T> axum::extract::FromRequestParts<S> for $name<T>
        where
            S: Send + Sync,
            axum::extract::$inner<T>: axum::extract::FromRequestParts<S>,
            <axum::extract::$inner<T> as axum::extract::FromRequestParts<S>>::Rejection:
                IntoResponse + std::fmt::Display,
        {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                axum::extract::$inner::<T>::from_request_parts(parts, state)
                    .await
                    .map(|axum::extract::$inner(v)| $name(v))
                    .map_err(|e| ApiError(AppError::BadRequest(format!(concat!($what, "：{}"), e))))
            }
        }
    };
}

api_extractor!(ApiPath, Path, "路径参数无效");
api_extractor!(ApiQuery, Query, "查询参数无效");

/// Like [`Json`], but a body that is not the expected JSON answers with
/// the envelope.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(|e| {
                ApiError(AppError::BadRequest(format!(
                    "请求体不是有效的 JSON：{}",
                    e.body_text()
                )))
            })
    }
}
