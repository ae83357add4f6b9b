//! Why a use case did not do its work, in the four ways a caller must
//! answer differently: the actor lacks the permission, the thing is not
//! there (or outside the actor's jurisdiction, which answers the same on
//! purpose), the input is refused, or the database failed.

use jianfu_store::StoreError;
use thiserror::Error;

use crate::Denied;

/// A use case's refusal or failure.
#[derive(Debug, Error)]
pub enum UseCaseError {
    /// The actor's role lacks the permission.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// Nothing there, or not inside the actor's jurisdiction.
    #[error("没有找到，或不在您的管辖范围内")]
    NotFound,
    /// The input is refused; the message says why, in Chinese.
    #[error("{0}")]
    Invalid(String),
    /// The database failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a use case answers.
pub type UseCaseResult<T> = Result<T, UseCaseError>;
