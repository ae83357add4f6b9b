//! The JSON API under `/api/v1`, and its OpenAPI document at
//! `/api/openapi.json`.
//!
//! Clients sign in with `POST /api/v1/session` (the session cookie and
//! the anti-forgery token to send as `X-CSRF-Token` come back), or send a
//! per-user API token as `Authorization: Bearer …` (no anti-forgery token
//! needed). Every failure answers with the envelope of
//! [`crate::error::Envelope`].
//!
//! Every route is registered in [`routes`] through `utoipa_axum`, which
//! adds the handler and its `#[utoipa::path]` documentation in one step:
//! an API route cannot exist without its place in the document.

mod audit;
mod dashboard;
mod imports;
pub mod monitoring;
pub mod openapi;
mod policies;
mod registry;
mod session;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The API's routes, split by whether they need a caller.
pub struct Routes {
    /// Routes that need no caller: signing in and the document.
    pub public: Router<AppState>,
    /// Routes behind the sign-in middleware.
    pub protected: Router<AppState>,
}

/// The routes of the API and the document describing them.
fn documented() -> (Router<AppState>, Router<AppState>, utoipa::openapi::OpenApi) {
    let (public, doc) = OpenApiRouter::with_openapi(openapi::frame())
        .routes(routes!(session::sign_in))
        .split_for_parts();
    let (protected, doc) = OpenApiRouter::with_openapi(doc)
        .routes(routes!(session::me))
        .routes(routes!(session::sign_out))
        .routes(routes!(session::change_password))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(registry::search))
        .routes(routes!(registry::household))
        .routes(routes!(registry::person))
        .routes(routes!(registry::unmask))
        .routes(routes!(imports::start))
        .routes(routes!(imports::status))
        .routes(routes!(imports::report))
        .routes(routes!(policies::list, policies::create))
        .routes(routes!(policies::get))
        .routes(routes!(users::list, users::add))
        .routes(routes!(users::show))
        .routes(routes!(users::disable))
        .routes(routes!(users::enable))
        .routes(routes!(users::unlock))
        .routes(routes!(users::reset_password))
        .routes(routes!(audit::search))
        .routes(routes!(monitoring::alerts::list))
        .routes(routes!(monitoring::alerts::open_case))
        .routes(routes!(monitoring::alerts::dismiss))
        .routes(routes!(monitoring::cases::list, monitoring::cases::open))
        .routes(routes!(monitoring::cases::get))
        .routes(routes!(monitoring::cases::step))
        .routes(routes!(monitoring::cases::upload))
        .routes(routes!(monitoring::cases::download))
        .routes(routes!(monitoring::supervision::list))
        .routes(routes!(monitoring::supervision::inbox))
        .routes(routes!(monitoring::feedback::list))
        .routes(routes!(monitoring::feedback::get))
        .routes(routes!(monitoring::feedback::answer))
        .split_for_parts();
    (public, protected, doc)
}

/// The OpenAPI document of the API.
pub fn document() -> utoipa::openapi::OpenApi {
    documented().2
}

/// The API's routes, with `GET /api/openapi.json` serving the document
/// (written once, here).
pub fn routes() -> Routes {
    let (public, protected, doc) = documented();
    let json = Bytes::from(doc.to_json().expect("the OpenAPI document serialises"));
    let serve = move || {
        let json = json.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], json) }
    };
    Routes {
        public: public.route("/api/openapi.json", get(serve)),
        protected,
    }
}
