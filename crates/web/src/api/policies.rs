//! Policy parameter sets through the API.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::pages::policies::{add, one, visible};

/// A stored set with its source.
#[derive(Debug, Serialize)]
pub struct PolicyDetail {
    /// The listed fields.
    #[serde(flatten)]
    pub row: jianfu_store::PolicyRow,
    /// The TOML source.
    pub source: String,
}

/// What storing a set did.
#[derive(Debug, Serialize)]
pub struct Added {
    /// Stored id.
    pub id: i64,
    /// True when the same text was stored before (nothing changed).
    pub existed: bool,
    /// Person-years re-settled.
    pub person_years: u64,
    /// Claims whose amounts changed.
    pub claims_resettled: u64,
    /// Adjustments recorded.
    pub adjustments: u64,
}

/// `GET /api/v1/policies`
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Vec<jianfu_store::PolicyRow>> {
    Ok(Json(visible(&st, &user).await?))
}

/// `GET /api/v1/policies/{id}`
pub async fn get(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::error::ApiPath(id): crate::error::ApiPath<i64>,
) -> ApiResult<PolicyDetail> {
    let (row, source) = one(&st, &user, id).await?;
    Ok(Json(PolicyDetail { row, source }))
}

/// `POST /api/v1/policies` (TOML body).
pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    body: String,
) -> ApiResult<Added> {
    let a = add(&st, &user, &body).await?;
    Ok(Json(Added {
        id: a.id,
        existed: a.existed,
        person_years: a.person_years,
        claims_resettled: a.claims_resettled,
        adjustments: a.adjustments,
    }))
}
