//! Working-day calendar files (工作日历) added after release, stored in
//! `calendars` (migration 0015). The national files 2022–2026 are compiled
//! into `jianfu-monitoring` and are not stored; a file added here is a
//! later year's national notice or a region's own days.
//!
//! Rows are never changed or removed. Replacing the file of a (region,
//! year) adds a row naming the id it replaces; the file in force for a
//! (region, year) is its row with the highest id, so loading every row in
//! id order into a `WorkCalendar` (whose `load` replaces a (region, year)
//! loaded before) gives the calendar in force.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use crate::Result;
use crate::sql::{Tx, Value};

/// A stored calendar file.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CalendarRow {
    /// Stored id: the order files were added in.
    pub id: i64,
    /// The calendar year.
    pub year: i16,
    /// Region code prefix; empty for the national calendar.
    pub region_prefix: String,
    /// The notice's number or title.
    pub source: String,
    /// The file name given when adding it.
    pub file_name: String,
    /// The TOML text as loaded.
    pub toml: String,
    /// The id of the row this one replaced, if any.
    pub replaces: Option<i64>,
    /// When it was stored.
    pub loaded_at: DateTime<Utc>,
    /// Who stored it.
    pub loaded_by: String,
}

/// A checked calendar file to store.
#[derive(Debug, Clone, Copy)]
pub struct NewCalendar<'a> {
    /// The calendar year.
    pub year: i16,
    /// Region code prefix; empty for the national calendar.
    pub region_prefix: &'a str,
    /// The notice's number or title.
    pub source: &'a str,
    /// The file name given.
    pub file_name: &'a str,
    /// The TOML text as loaded.
    pub toml: &'a str,
    /// The stored row it replaces, if any.
    pub replaces: Option<i64>,
}

/// Stores a calendar file (already checked by the caller); returns its id.
pub async fn add_calendar(
    tx: &mut Tx,
    file: &NewCalendar<'_>,
    user: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let sql = "INSERT INTO calendars \
        (year, region_prefix, source, file_name, toml, replaces, loaded_at, loaded_by) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    let args = [
        Value::Int16(file.year),
        Value::Text(file.region_prefix),
        Value::Text(file.source),
        Value::Text(file.file_name),
        Value::Text(file.toml),
        file.replaces.into(),
        Value::Timestamp(now.trunc_subsecs(6)),
        Value::Text(user),
    ];
    tx.scalar(sql, &args).await
}

/// Every stored calendar file, replaced ones included, in the order added.
pub async fn calendar_files(tx: &mut Tx) -> Result<Vec<CalendarRow>> {
    let sql = "SELECT id, year, region_prefix, source, file_name, toml, replaces, \
               loaded_at, loaded_by FROM calendars ORDER BY id";
    tx.all(sql, &[]).await
}

/// The stored file in force for (`region_prefix`, `year`): the last added.
pub async fn calendar_in_force(
    tx: &mut Tx,
    region_prefix: &str,
    year: i16,
) -> Result<Option<CalendarRow>> {
    let sql = "SELECT id, year, region_prefix, source, file_name, toml, replaces, \
               loaded_at, loaded_by FROM calendars \
               WHERE region_prefix = $1 AND year = $2 ORDER BY id DESC LIMIT 1";
    let rows: Vec<CalendarRow> = tx
        .all(sql, &[Value::Text(region_prefix), Value::Int16(year)])
        .await?;
    Ok(rows.into_iter().next())
}
