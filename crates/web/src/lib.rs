//! The web application of jianfu (健扶): server-rendered pages in
//! Simplified Chinese on axum.
//!
//! This first version serves the registry overview of one jurisdiction
//! (counts by township with drill-down along the region tree) and a
//! household lookup by 户编号 or ID number. Every people-data query is
//! bounded by the jurisdiction's region prefix; ID and phone numbers are
//! shown masked. Login, roles and the JSON API come with the web issue.

mod pages;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use jianfu_domain::RegionCode;
use jianfu_store::Db;
use tokio::net::TcpListener;

/// Shared state of the application.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The jurisdiction served: only people registered under this region
    /// are ever read.
    pub scope: RegionCode,
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/household", get(pages::household))
        .route("/health", get(|| async { "ok" }))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
