//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json`.
//!
//! Clients sign in with `POST /api/v1/session` (the session cookie and
//! the anti-forgery token to send as `X-CSRF-Token` come back), or send a
//! per-user API token as `Authorization: Bearer …` (no anti-forgery token
//! needed). Every failure answers with the envelope of
//! [`crate::error::Envelope`].

mod audit;
mod imports;
pub mod openapi;
mod policies;
mod registry;
mod session;
mod users;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Routes that need no caller.
pub fn public() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/session", post(session::sign_in))
}

/// Routes behind the sign-in middleware.
pub fn protected() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(session::me))
        .route("/api/v1/session/end", post(session::sign_out))
        .route("/api/v1/dashboard", get(registry::dashboard))
        .route("/api/v1/persons", get(registry::search))
        .route("/api/v1/households/{county}/{no}", get(registry::household))
        .route(
            "/api/v1/persons/{county}/{no}/{person}",
            get(registry::person),
        )
        .route(
            "/api/v1/persons/{county}/{no}/{person}/unmask",
            post(registry::unmask),
        )
        .route("/api/v1/imports", post(imports::start))
        .route("/api/v1/imports/{job}", get(imports::status))
        .route("/api/v1/imports/{job}/report", get(imports::report))
        .route(
            "/api/v1/policies",
            get(policies::list).post(policies::create),
        )
        .route("/api/v1/policies/{id}", get(policies::get))
        .route("/api/v1/users", get(users::list).post(users::add))
        .route("/api/v1/users/{username}", get(users::show))
        .route("/api/v1/users/{username}/disable", post(users::disable))
        .route("/api/v1/users/{username}/enable", post(users::enable))
        .route(
            "/api/v1/users/{username}/reset-password",
            post(users::reset_password),
        )
        .route("/api/v1/audit", get(audit::search))
}
