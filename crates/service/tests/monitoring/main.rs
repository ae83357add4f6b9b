//! Monitoring end to end on SQLite and PostgreSQL: files imported through
//! the use cases, `monitoring::run`, the stored alerts and the §5 export.
//! `examples`: the worked examples M1–M5 and the lifecycle; `access`:
//! permissions and jurisdiction; `property`: a generated county evaluated
//! twice equals the pure `evaluate_batch`; `incremental`: random sequences
//! of imports, each evaluating what it touched, equal the batch after
//! every step; `simulate`: the threshold simulation on the examples.

mod access;
mod cases;
mod examples;
mod feedback;
mod incremental;
mod property;
mod pushes;
mod simulate;
mod supervision;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use jianfu_ingest::{FileKind, ImportOptions};
use jianfu_service::clock::SettableClock;
use jianfu_service::{App, ImportRequest, import_file};
use jianfu_store::Db;

/// The day the imports judge dates against.
pub fn import_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// 2024-01-05 10:00:00 China time.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 5, 2, 0, 0).unwrap()
}

/// An app over `db` whose clock tests move.
pub fn app(db: &Db) -> (App, Arc<SettableClock>) {
    let clock = SettableClock::at(start_time());
    (App::with_clock(db.clone(), clock.clone()), clock)
}

/// Imports one file; panics unless every row was taken.
pub async fn import(db: &Db, path: &Path, kind: FileKind) {
    let mut req = ImportRequest::new(path.to_path_buf(), kind, "tester");
    req.options = ImportOptions::new(import_today());
    req.report = Some(path.with_extension("report.csv"));
    let (app, cli) = (App::new(db.clone()), jianfu_service::Actor::command_line());
    let outcome = import_file(&app, &cli, &req, |_, _| {}).await.unwrap();
    assert!(
        outcome.is_success(),
        "{}: {outcome:?}\n{}",
        path.display(),
        std::fs::read_to_string(path.with_extension("report.csv")).unwrap_or_default()
    );
}

/// Imports one file through `app` (its clock dates the evaluation of
/// what the import touched); panics unless every row was taken.
pub async fn import_as_of(app: &App, path: &Path, kind: FileKind) {
    let mut req = ImportRequest::new(path.to_path_buf(), kind, "tester");
    req.options = ImportOptions::new(import_today());
    req.report = Some(path.with_extension("report.csv"));
    let cli = jianfu_service::Actor::command_line();
    let outcome = import_file(app, &cli, &req, |_, _| {}).await.unwrap();
    assert!(outcome.is_success(), "{}: {outcome:?}", path.display());
}

/// The export's lines without the byte-order mark.
pub fn csv_lines(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}
