//! The web application of jianfu (健扶): server-rendered pages in
//! Simplified Chinese (English as a second catalogue) and a JSON API, on
//! axum.
//!
//! Every route but sign-in, the health check, static assets and the
//! OpenAPI document sits behind [`auth::require_user`], which finds the
//! caller, checks the anti-forgery token of state-changing requests, and
//! hands handlers a [`auth::CurrentUser`] carrying the actor (role and
//! jurisdiction [`jianfu_domain::Scope`]). Handlers read people data and
//! do audited actions only through the service's use cases, which take
//! that actor: they check the permission and the jurisdiction and write
//! the audit entries, so a handler only maps a request to a use case and
//! its answer to a page or JSON.

pub mod api;
pub mod auth;
mod chart;
pub mod cookies;
mod download;
mod envelope;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod layout;
pub mod money;
pub mod pages;
pub mod tables;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use axum::{Router, middleware};
use jianfu_service::jobs::{JobError, Uploads, Worker, WorkerConfig};
use jianfu_store::Db;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Largest request body: imports upload whole files.
pub const BODY_LIMIT: usize = 256 << 20;
/// Longest a request may take before it is answered with 408; long work
/// (imports) runs in the background and is polled.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Shared state of the application.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Whether cookies carry the `Secure` flag (on unless serving plain
    /// HTTP on a loopback address).
    pub secure_cookies: bool,
    /// Imports running in the background, as durable jobs.
    pub jobs: std::sync::Arc<jobs::ImportJobs>,
    /// Region lookups kept in memory (the use cases' cache).
    pub regions: std::sync::Arc<jianfu_service::regions::RegionCache>,
    /// The use cases' context (database, clock).
    pub app: jianfu_service::App,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from
    /// anyone else the header is ignored (it is trivially forged).
    pub trusted_proxies: std::sync::Arc<Vec<ipnet::IpNet>>,
}

impl AppState {
    /// State over `db` with the system clock, keeping uploads under the
    /// system's temporary directory (see [`AppState::with_uploads`]).
    pub fn new(db: Db, secure_cookies: bool) -> Self {
        AppState::with_app(jianfu_service::App::new(db), secure_cookies)
    }

    /// State over the use cases' context `app` (tests set its clock).
    pub fn with_app(app: jianfu_service::App, secure_cookies: bool) -> Self {
        AppState {
            db: app.db.clone(),
            secure_cookies,
            jobs: std::sync::Arc::new(jobs::ImportJobs::default()),
            regions: app.regions.clone(),
            app,
            trusted_proxies: std::sync::Arc::default(),
        }
    }

    /// The same, keeping uploaded files under `uploads` until their job
    /// ends: a directory every server of the database shares.
    pub fn with_uploads(mut self, uploads: Uploads) -> Self {
        self.jobs = std::sync::Arc::new(jobs::ImportJobs::new(uploads));
        self
    }

    /// A worker running the jobs of this state's database (`jianfu serve`
    /// runs one beside the server).
    pub fn worker(&self, config: WorkerConfig) -> Result<Worker, JobError> {
        self.jobs.worker(&self.app, config)
    }

    /// The same state, believing `X-Forwarded-For` from `proxies` only.
    pub fn with_trusted_proxies(mut self, proxies: Vec<ipnet::IpNet>) -> Self {
        self.trusted_proxies = std::sync::Arc::new(proxies);
        self
    }
}

/// The pages behind the sign-in middleware.
fn protected_pages() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::dashboard::dashboard))
        .route("/search", get(pages::search::search))
        .route("/households/{county}/{no}", get(pages::people::household))
        .route(
            "/persons/{county}/{no}/{person}",
            get(pages::people::person),
        )
        .route(
            "/persons/{county}/{no}/{person}/unmask",
            get(pages::people::unmask_form).post(pages::people::unmask),
        )
        .route(
            "/persons/{county}/{no}/{person}/claims/{claim}",
            get(pages::people::claim),
        )
        .route("/logout", post(pages::login::logout))
        .route("/account", get(pages::account::show))
        .route(
            "/account/password",
            get(pages::account::password_form).post(pages::account::change_password),
        )
        .route("/account/tokens", post(pages::account::issue_token))
        .route(
            "/imports",
            get(pages::imports::index).post(pages::imports::upload),
        )
        .route("/imports/template/{file}", get(pages::imports::template))
        .route("/imports/{job}", get(pages::imports::show))
        .route("/imports/{job}/{file}", get(pages::imports::report))
        .route(
            "/policies",
            get(pages::policies::index).post(pages::policies::upload),
        )
        .route("/policies/{id}", get(pages::policies::show))
        .route("/users", get(pages::users::list).post(pages::users::add))
        .route("/users/{username}", get(pages::users::show))
        .route("/users/{username}/disable", post(pages::users::disable))
        .route("/users/{username}/enable", post(pages::users::enable))
        .route("/users/{username}/unlock", post(pages::users::unlock))
        .route(
            "/users/{username}/reset-password",
            post(pages::users::reset_password),
        )
        .route("/monitoring/alerts", get(pages::monitoring::alerts::index))
        .route(
            "/monitoring/alerts/open",
            post(pages::monitoring::alerts::open),
        )
        .route(
            "/monitoring/alerts/dismiss",
            post(pages::monitoring::alerts::dismiss),
        )
        .route(
            "/monitoring/cases",
            get(pages::monitoring::cases::index).post(pages::monitoring::cases::open),
        )
        .route(
            "/monitoring/cases/{id}",
            get(pages::monitoring::case_page::show),
        )
        .route(
            "/monitoring/cases/{id}/step",
            post(pages::monitoring::case_page::step),
        )
        .route("/monitoring/inbox", get(pages::monitoring::inbox::index))
        .route(
            "/monitoring/supervision",
            get(pages::monitoring::supervision::index),
        )
        .route(
            "/monitoring/feedback",
            get(pages::monitoring::feedback::index),
        )
        .route(
            "/monitoring/feedback/{id}",
            get(pages::monitoring::feedback::show),
        )
        .route(
            "/monitoring/feedback/findings/{id}/answer",
            post(pages::monitoring::feedback::answer),
        )
        .route(
            "/monitoring/attachments/{id}",
            get(pages::monitoring::case_page::attachment),
        )
        // Read only: the log has no route that edits or deletes.
        .route("/audit", get(pages::audit::show))
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let api = api::routes();
    let protected =
        protected_pages()
            .merge(api.protected)
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_user,
            ));
    let public = Router::new()
        .route("/login", get(pages::login::show).post(pages::login::submit))
        .route("/lang", get(pages::login::switch_lang))
        .route("/static/{name}", get(layout::asset))
        .route("/health", get(|| async { "ok" }))
        .merge(api.public);
    protected
        .merge(public)
        // A route layer: the route template is known by then.
        .route_layer(middleware::from_fn(log_request))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // A handler that panics answers 500 (logged without the request)
        // instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        // Outside the timeout, the body limit and the panic guard, so
        // their answers too reach API clients as the envelope.
        .layer(middleware::from_fn(envelope::api_envelope))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        // Pages carry personal data: never cached (static assets say otherwise).
        .layer(header_layer(header::CACHE_CONTROL, "no-store"))
        .with_state(state)
}

/// Logs each request by its route template (`/persons/{id}`), never the
/// concrete path or query, which can hold ID numbers and names.
async fn log_request(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(unmatched)".to_string(), |m| m.as_str().to_string());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::info!(
        %method,
        route,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    res
}

/// The answer to a handler's panic: a bare 500 (the envelope layer makes
/// it JSON under `/api/`, pages get the generic error text). The panic's
/// message is not logged: it may quote a value of the request.
fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("a request handler panicked");
    error::AppError::Internal.into_response()
}

fn header_layer(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn not_found(uri: axum::http::Uri, lang: i18n::Lang) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        error::ApiError(error::AppError::NotFound).into_response()
    } else {
        error::PageError(error::AppError::NotFound, lang).into_response()
    }
}

/// Serves the application on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
