//! Return-to-poverty monitoring (防止因病返贫动态监测) as use cases:
//! evaluating a region and reconciling its stored alerts with the
//! lifecycle of `monitoring.md` §4 (`run`), the alert export of §5
//! (`export`), the parameter sets (`params`), the cases of the
//! identification procedure (`cases`), the supervision (督办) of late
//! case steps (`supervision`), the A1–A3 findings on the counties'
//! monthly feedback lists (`feedback`), a user's inbox of all three
//! (`inbox`), the working-day calendar of §6
//! (`calendar`, with [`work_calendar`] for every deadline) and the
//! threshold simulation (`simulate`, its report `simulate_report`). The
//! rules are the pure `jianfu-monitoring` crate's; the data and the alerts
//! are the store's (`jianfu_store::monitoring`).

pub mod calendar;
pub mod cases;
mod export;
pub mod feedback;
pub mod inbox;
mod incremental;
pub mod params;
mod reconcile;
mod run;
pub mod simulate;
pub mod simulate_report;
pub mod supervision;

use chrono::NaiveDate;
use jianfu_monitoring::rules::default_years;

use crate::Actor;
use crate::error::{UseCaseError, UseCaseResult};

pub use calendar::work_calendar;
pub use export::{export, export_rows};
pub use incremental::evaluate_touched;
pub use reconcile::{RuleCounts, Transition};
pub use run::{RunSummary, run};
pub use simulate::{ThresholdSimulation, simulate};

/// The built-in disease catalogue, parsed once per process: parsing its
/// TOML costs more than evaluating one household.
pub(crate) fn catalogue() -> std::sync::Arc<jianfu_domain::DiseaseCatalogue> {
    static CATALOGUE: std::sync::OnceLock<std::sync::Arc<jianfu_domain::DiseaseCatalogue>> =
        std::sync::OnceLock::new();
    CATALOGUE
        .get_or_init(|| std::sync::Arc::new(jianfu_domain::DiseaseCatalogue::built_in()))
        .clone()
}

/// The region a monitoring use case works on: the one asked for, or the
/// actor's whole jurisdiction; it must be a region code prefix (2, 4, 6,
/// 9 or 12 digits, or empty for the whole country) inside the
/// jurisdiction.
pub(crate) fn region_of(actor: &Actor, asked: Option<&str>) -> UseCaseResult<String> {
    let region = asked.unwrap_or(actor.scope.prefix()).trim().to_string();
    let well_formed = region.bytes().all(|b| b.is_ascii_digit())
        && matches!(region.len(), 0 | 2 | 4 | 6 | 9 | 12);
    if !well_formed {
        return Err(UseCaseError::Invalid(format!(
            "地区代码“{region}”无效：应为2、4、6、9或12位数字"
        )));
    }
    if !actor.scope.contains_str(&region) {
        return Err(UseCaseError::Invalid(format!(
            "地区“{region}”不在您的管辖范围 {} 内",
            actor.scope
        )));
    }
    Ok(region)
}

/// The years evaluated or exported: the one asked for, else the year of
/// the evaluation date and the year before (§2).
pub(crate) fn years_of(as_of: NaiveDate, year: Option<i32>) -> UseCaseResult<(i32, i32)> {
    match year {
        Some(y) if !(2000..=as_of_year(as_of)).contains(&y) => Err(UseCaseError::Invalid(format!(
            "年度 {y} 无效：应在 2000 年至评估日期所在年度（{}）之间",
            as_of_year(as_of)
        ))),
        Some(y) => Ok((y, y)),
        None => {
            let [first, last] = default_years(as_of);
            Ok((first, last))
        }
    }
}

fn as_of_year(d: NaiveDate) -> i32 {
    chrono::Datelike::year(&d)
}
