//! Per-village rollups behind the dashboard: counts of households and
//! persons by group, and each year's claims and fund payments.
//!
//! A page view sums the village rows under a region code (a few hundred
//! for a county, tens of thousands for a province), never the persons or
//! claims themselves (`dashboard`). The rows of a county are rebuilt in
//! one transaction after each import that wrote to it, so readers see the
//! old or the new figures, never a mixture (`refresh`). The trends over
//! years (claims, standing alerts) are read beside them (`trend`).

mod dashboard;
mod refresh;
mod trend;

use serde::Serialize;

pub use dashboard::{dashboard, dashboard_of, latest_claim_year};
pub use refresh::{
    refresh_rollup_parts, refresh_rollups, refresh_rollups_under, refresh_statistics,
};
pub use trend::{YearAlerts, YearClaims, alert_years, claim_years};

/// The figures of one region (or the sum over several).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Figures {
    /// Households.
    pub households: i64,
    /// Persons registered.
    pub persons: i64,
    /// Persons with status 正常.
    pub active: i64,
    /// 脱贫人口.
    pub formerly_poor: i64,
    /// 监测对象.
    pub monitored: i64,
    /// 特困人员.
    pub extreme_poor: i64,
    /// 低保对象.
    pub subsistence: i64,
    /// 返贫致贫人口.
    pub returned_poor: i64,
    /// Persons with at least one diagnosis.
    pub with_diagnosis: i64,
    /// Standing claims of the year.
    pub claims: i64,
    /// Persons with claims in the year.
    pub claimants: i64,
    /// Total cost, fen.
    pub total: i64,
    /// Basic insurance, fen.
    pub basic: i64,
    /// Critical-illness insurance, fen.
    pub critical: i64,
    /// Medical assistance, fen.
    pub assistance: i64,
    /// Supplementary cover, fen.
    pub supplementary: i64,
    /// Out of pocket, fen.
    pub out_of_pocket: i64,
}

/// A child region's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ChildFigures {
    /// Region code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its figures.
    pub figures: Figures,
}

/// The dashboard of one region and one year.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The region.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The year of the claim figures.
    pub year: i32,
    /// The region's figures.
    pub figures: Figures,
    /// Each child region's (one level down), with zero rows included.
    pub children: Vec<ChildFigures>,
}

#[derive(Default, sqlx::FromRow)]
pub(crate) struct VillageRow {
    pub(crate) village_code: String,
    pub(crate) households: i64,
    pub(crate) persons: i64,
    pub(crate) active: i64,
    pub(crate) formerly_poor: i64,
    pub(crate) monitored: i64,
    pub(crate) extreme_poor: i64,
    pub(crate) subsistence: i64,
    pub(crate) returned_poor: i64,
    pub(crate) with_diagnosis: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClaimRow {
    pub(crate) village_code: String,
    pub(crate) claims: i64,
    pub(crate) persons: i64,
    pub(crate) total: i64,
    pub(crate) basic: i64,
    pub(crate) critical: i64,
    pub(crate) assistance: i64,
    pub(crate) supplementary: i64,
    pub(crate) out_of_pocket: i64,
}

impl Figures {
    pub(crate) fn add_registry(&mut self, r: &VillageRow) {
        self.households += r.households;
        self.persons += r.persons;
        self.active += r.active;
        self.formerly_poor += r.formerly_poor;
        self.monitored += r.monitored;
        self.extreme_poor += r.extreme_poor;
        self.subsistence += r.subsistence;
        self.returned_poor += r.returned_poor;
        self.with_diagnosis += r.with_diagnosis;
    }

    pub(crate) fn add_claims(&mut self, r: &ClaimRow) {
        self.claims += r.claims;
        self.claimants += r.persons;
        self.total += r.total;
        self.basic += r.basic;
        self.critical += r.critical;
        self.assistance += r.assistance;
        self.supplementary += r.supplementary;
        self.out_of_pocket += r.out_of_pocket;
    }
}

/// Which of a county's rollups to rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupParts {
    /// Everything: household and person counts, persons with a
    /// diagnosis, claims and fund payments.
    All,
    /// Only the persons with a diagnosis.
    Diagnosed,
    /// Only the claims and fund payments by village.
    Claims,
}

impl RollupParts {
    /// The rollups an import of `kind` (`persons`, `diagnoses`, `claims`)
    /// can change. Persons move claims too: a claim counts in its
    /// person's village.
    pub fn after_import(kind: &str) -> RollupParts {
        match kind {
            "diagnoses" => RollupParts::Diagnosed,
            "claims" => RollupParts::Claims,
            _ => RollupParts::All,
        }
    }
}
