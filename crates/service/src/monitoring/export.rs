//! The alert export of `monitoring.md` §5, written through the one
//! export module (`jianfu-export`): one row per stored alert of every
//! status, the §5 columns in order, money in yuan with two decimals,
//! `raised_at` in ISO 8601 with the China offset, sorted by county,
//! 户编号, year and rule.
//!
//! The CSV is `jianfu-export`'s: UTF-8 with a byte-order mark (so Excel
//! reads the Chinese explanation) and CRLF line ends; a cell that a
//! spreadsheet would take for a formula is prefixed with `'`, which no
//! field of this export can trigger (codes, numbers, dates, Chinese text).

use std::io::Write;

use chrono::{NaiveDate, SecondsFormat};
use jianfu_domain::{Money, Permission};
use jianfu_export::{Column, CsvWriter, Sheet, Value};
use jianfu_monitoring::export::HEADER;
use jianfu_store::audit;
use jianfu_store::monitoring::{self as store, AlertRow};

use super::{region_of, years_of};
use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// The §5 fields of a stored alert, in [`HEADER`] order.
pub fn export_rows(row: &AlertRow) -> [String; 13] {
    let money = |m: Option<i64>| {
        m.map(|f| Money::from_fen(f).to_string())
            .unwrap_or_default()
    };
    let raised = row
        .raised_at
        .with_timezone(&jianfu_domain::time::china())
        .to_rfc3339_opts(SecondsFormat::Secs, false);
    [
        row.rule.clone(),
        row.county_code.clone(),
        row.household_no.clone(),
        row.year.to_string(),
        Money::from_fen(row.out_of_pocket).to_string(),
        money(row.threshold),
        money(row.income_per_capita),
        row.size.to_string(),
        row.candidate.to_string(),
        row.category.clone().unwrap_or_default(),
        row.status.clone(),
        raised,
        row.explanation.clone(),
    ]
}

/// Writes the alerts of `region` (default: the actor's jurisdiction) of
/// `year` (default: the year of `as_of`, itself today by default, and the
/// year before) to `out` as CSV; returns the rows written. The export is
/// audited (`monitoring.export`) in the transaction that read it.
pub async fn export(
    app: &App,
    actor: &Actor,
    region: Option<&str>,
    year: Option<i32>,
    as_of: Option<NaiveDate>,
    out: impl Write,
) -> UseCaseResult<u64> {
    actor.require(Permission::ViewMonitoring)?;
    // Household numbers with their income and spending leave the system.
    actor.require(Permission::ExportPersonal)?;
    let region = region_of(actor, region)?;
    let years = years_of(as_of.unwrap_or_else(|| app.today()), year)?;
    let mut tx = app.db.begin_write().await?;
    let rows = store::alerts_under(&mut tx, &region, years).await?;
    let sheet = Sheet::new(
        "防返贫监测预警",
        HEADER.iter().map(|h| Column::text(*h)).collect(),
    );
    let written = write_csv(out, &sheet, &rows)?;
    let mut entry = actor.entry("monitoring.export", &region);
    entry.detail = Some(format!("years={}-{} rows={written}", years.0, years.1));
    audit::append_at(&mut tx, &entry, app.now()).await?;
    tx.commit().await?;
    Ok(written)
}

fn write_csv(out: impl Write, sheet: &Sheet, rows: &[AlertRow]) -> UseCaseResult<u64> {
    let failed = |e: jianfu_export::ExportError| UseCaseError::Invalid(format!("导出失败：{e}"));
    let mut w = CsvWriter::new(out, sheet).map_err(failed)?;
    for row in rows {
        let fields = export_rows(row);
        let values: Vec<Value<'_>> = fields.iter().map(|f| Value::Text(f.into())).collect();
        w.row(&values).map_err(failed)?;
    }
    let n = w.rows();
    w.finish().map_err(failed)?;
    Ok(n)
}
