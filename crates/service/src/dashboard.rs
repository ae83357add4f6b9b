//! The figures of the home page as a use case: one region's households,
//! persons by group and a year's claims, with each child region's, read
//! from the per-village rollups inside the actor's jurisdiction (a region
//! outside it answers like one that does not exist), and the trends over
//! the years before it (`trend`).

use chrono::Datelike;
use jianfu_domain::{Permission, RegionCode};
use jianfu_store::regions::RegionRow;
use jianfu_store::rollups::{self, Dashboard};

use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// The figures of `region` (a code or its significant prefix; the actor's
/// own region when absent) for `year`, by default this year in China, or
/// the latest of the three before it with claims when this year has none
/// yet. `None` for an actor of the whole country who named no region.
pub async fn dashboard(
    app: &App,
    actor: &Actor,
    region: Option<&str>,
    year: Option<i32>,
) -> UseCaseResult<Option<Dashboard>> {
    actor.require(Permission::ViewRegistry)?;
    let region = match (region, actor.scope.bound_region()) {
        (Some(r), _) => RegionCode::parse_prefix(r).map_err(|_| UseCaseError::NotFound)?,
        (None, Some(own)) => own,
        (None, None) => return Ok(None),
    };
    if !actor.scope.contains(&region) {
        return Err(UseCaseError::NotFound);
    }
    // The cached tree first: a miss takes a connection of its own.
    let row = app
        .regions
        .region(&app.db, region.as_str())
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let children = app.regions.children(&app.db, region.as_str()).await?;
    let mut tx = app.db.read().await?;
    let year = match year {
        Some(y) => y,
        None => {
            let now = app.today().year();
            rollups::latest_claim_year(&mut tx, &region, now)
                .await?
                .filter(|y| *y >= now - 3)
                .unwrap_or(now)
        }
    };
    let d = rollups::dashboard_of(&mut tx, &actor.scope, &row, children, year).await?;
    d.map(Some).ok_or(UseCaseError::NotFound)
}

/// The provinces, where an actor of the whole country starts.
pub async fn provinces(app: &App, actor: &Actor) -> UseCaseResult<Vec<RegionRow>> {
    actor.require(Permission::ViewRegistry)?;
    let mut tx = app.db.read().await?;
    Ok(jianfu_store::regions::region_children_of_root(&mut tx).await?)
}

/// The dashboard's trends of one region: claims and out-of-pocket by year,
/// and, for an actor who may see monitoring, standing alerts by year.
#[derive(Debug, Clone, Default)]
pub struct Trend {
    /// Years with claims, ascending.
    pub claims: Vec<rollups::YearClaims>,
    /// Years with alerts whose rule holds, ascending (empty without
    /// `ViewMonitoring`).
    pub alerts: Vec<rollups::YearAlerts>,
}

/// How many years a trend looks back, the dashboard's year included.
pub const TREND_YEARS: i32 = 6;

/// The trends of `region` (a code, inside the actor's jurisdiction) over
/// the [`TREND_YEARS`] years up to `year`.
pub async fn trend(app: &App, actor: &Actor, region: &str, year: i32) -> UseCaseResult<Trend> {
    actor.require(Permission::ViewRegistry)?;
    let region = RegionCode::parse_prefix(region).map_err(|_| UseCaseError::NotFound)?;
    if !actor.scope.contains(&region) {
        return Err(UseCaseError::NotFound);
    }
    let years = (year - TREND_YEARS + 1, year);
    let mut tx = app.db.read().await?;
    let claims = rollups::claim_years(&mut tx, &region, years).await?;
    let alerts = if actor.may(Permission::ViewMonitoring) {
        rollups::alert_years(&mut tx, &region, years).await?
    } else {
        Vec::new()
    };
    Ok(Trend { claims, alerts })
}
