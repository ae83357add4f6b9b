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
use utoipa::ToSchema;

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
    /// The account must change its (reset) password before anything else.
    PasswordChangeRequired,
    /// A failure inside; the message shown is generic.
    Internal,
}

impl AppError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The stable code, as the envelope carries it.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            AppError::Unauthorized => ErrorCode::Unauthorized,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::NotFound => ErrorCode::NotFound,
            AppError::Csrf => ErrorCode::Csrf,
            AppError::Throttled(_) => ErrorCode::Throttled,
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Invalid(..) => ErrorCode::Invalid,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::TooLarge => ErrorCode::TooLarge,
            AppError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            AppError::Internal => ErrorCode::Internal,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
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
            AppError::PasswordChangeRequired => zh_en(
                "请先修改密码（初始密码或管理员重置后的临时密码须由本人改过），再使用其他功能",
                "Change your password (an initial or reset one must be changed by you) before doing anything else",
            ),
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
                code: self.error_code(),
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

impl From<jianfu_service::Denied> for AppError {
    fn from(_: jianfu_service::Denied) -> Self {
        AppError::Forbidden
    }
}

impl From<jianfu_service::UseCaseError> for AppError {
    fn from(e: jianfu_service::UseCaseError) -> Self {
        use jianfu_service::UseCaseError as E;
        match e {
            E::Denied(d) => d.into(),
            E::NotFound => AppError::NotFound,
            E::Invalid(message) => AppError::BadRequest(message),
            E::Store(e) => e.into(),
        }
    }
}

/// The stable codes of the envelope, one for each kind of [`AppError`].
//
// Documentation comments of the envelope's types are descriptions in the
// OpenAPI document, hence in Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(description = "稳定的错误代码")]
pub enum ErrorCode {
    /// 未登录或会话已过期
    Unauthorized,
    /// 没有权限
    Forbidden,
    /// 没有找到，或不在管辖范围内
    NotFound,
    /// 防伪令牌缺失或不正确
    Csrf,
    /// 尝试次数过多
    Throttled,
    /// 请求格式不正确或取值被拒绝
    BadRequest,
    /// 取值被拒绝，details 给出逐项说明
    Invalid,
    /// 与已存数据冲突
    Conflict,
    /// 请求体过大
    TooLarge,
    /// 密码已被重置，须先修改密码
    PasswordChangeRequired,
    /// 该路径不支持此请求方法
    MethodNotAllowed,
    /// 请求处理超时
    Timeout,
    /// 请求体的格式（Content-Type）不被接受
    UnsupportedMediaType,
    /// 系统内部错误
    Internal,
}

impl ErrorCode {
    /// Every code, in the order the document lists them.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Csrf,
        ErrorCode::Throttled,
        ErrorCode::BadRequest,
        ErrorCode::Invalid,
        ErrorCode::Conflict,
        ErrorCode::TooLarge,
        ErrorCode::PasswordChangeRequired,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Timeout,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Internal,
    ];

    /// The code as sent (the serde name).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Csrf => "csrf",
            ErrorCode::Throttled => "throttled",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Timeout => "timeout",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Internal => "internal",
        }
    }
}

/// 统一错误结构：接口的每个失败都以此回答。
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct Envelope {
    // No description here: it would wrap the inline object in a `oneOf`.
    #[schema(inline)]
    pub error: ErrorBody,
}

/// 错误的内容。
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// 稳定的错误代码
    pub code: ErrorCode,
    /// 中文说明
    pub message: String,
    /// 逐字段或逐行的说明（如有）
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sent_as_their_names() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }
}
