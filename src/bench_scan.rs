//! `jianfu bench scan`: the deadline scan (督办) over many open cases. A
//! fresh database gets N cases in pre-warning whose home check is late
//! (written straight into the tables, as the procedure would have left
//! them), then the scan is timed in this process on a settable clock:
//! the first scan (an item raised for every case), the same scan again
//! (nothing to do), and a scan after the items' own deadline (every item
//! climbs a level). Figures are printed, never asserted.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use jianfu_domain::RegionLevel;
use jianfu_service::clock::SettableClock;
use jianfu_service::monitoring::supervision::{self, ScanSummary};
use jianfu_service::{Actor, App};
use jianfu_store::{Db, Value};

use crate::bench::{Engines, peak_rss_mib, reset_peak_rss, scratch_pg};

const CASES: &[&str] = &[
    "id",
    "county_code",
    "household_no",
    "village_code",
    "state",
    "channel",
    "green_channel",
    "opened_on",
    "last_step_on",
    "open_objections",
    "home_visits",
    "measures",
    "steps",
    "opened_by",
    "opened_at",
    "updated_at",
];
const DEADLINES: &[&str] = &["case_id", "kind", "owner_code", "opened_on", "due_on"];

pub async fn run(cases: u64, engines: Engines, pg: Option<String>) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let mut targets: Vec<(&str, String)> = Vec::new();
    if engines != Engines::Postgres {
        let file = dir.path().join("scan.db");
        targets.push(("sqlite", format!("sqlite://{}", file.display())));
    }
    if engines != Engines::Sqlite {
        let Some(base) = pg else {
            bail!("PostgreSQL benchmark needs --pg URL or JIANFU_TEST_PG")
        };
        targets.push(("postgres", scratch_pg(&base).await?));
    }
    for (engine, url) in targets {
        let db = crate::open(&url).await?;
        let started = Instant::now();
        seed(&db, cases).await?;
        println!(
            "{engine:8} seed: {cases} open cases with a late home check in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        scans(engine, &db, cases).await?;
    }
    Ok(true)
}

/// Cases opened on 2024-01-05, their check due 2024-01-12, spread over
/// the villages of 阜平县.
async fn seed(db: &Db, n: u64) -> Result<()> {
    let mut tx = db.begin().await?;
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("1306"), |_| {})
        .await?;
    tx.commit().await?;
    let mut c = db.read().await?;
    let villages: Vec<String> =
        jianfu_store::regions::regions_at_level(&mut c, "130624", RegionLevel::Village)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect();
    drop(c);
    let opened = NaiveDate::from_ymd_opt(2024, 1, 5).expect("a date");
    let due = NaiveDate::from_ymd_opt(2024, 1, 12).expect("a date");
    let at = Utc.with_ymd_and_hms(2024, 1, 5, 2, 0, 0).unwrap();
    let mut tx = db.begin().await?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
        let households: Vec<String> = chunk
            .iter()
            .map(|&i| format!("{}{i:06}", villages[i as usize % villages.len()]))
            .collect();
        let case_rows: Vec<Vec<Value>> = chunk
            .iter()
            .zip(&households)
            .map(|(&i, no)| {
                let village = &villages[i as usize % villages.len()];
                vec![
                    Value::Int(i as i64 + 1),
                    Value::Text("130624"),
                    Value::Text(no),
                    Value::Text(village),
                    Value::Text("pre_warning"),
                    Value::Text("alert:R2"),
                    Value::Bool(false),
                    Value::Date(opened),
                    Value::Date(opened),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Int(1),
                    Value::Text("bench"),
                    Value::Timestamp(at),
                    Value::Timestamp(at),
                ]
            })
            .collect();
        tx.insert("cases", CASES, &case_rows).await?;
        let deadline_rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|&i| {
                let village = &villages[i as usize % villages.len()];
                vec![
                    Value::Int(i as i64 + 1),
                    Value::Text("pre_warning"),
                    Value::Text(village),
                    Value::Date(opened),
                    Value::Date(due),
                ]
            })
            .collect();
        tx.insert("case_deadlines", DEADLINES, &deadline_rows)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn scans(engine: &str, db: &Db, n: u64) -> Result<()> {
    let clock = SettableClock::at(Utc.with_ymd_and_hms(2024, 1, 15, 2, 0, 0).unwrap());
    let app = App::with_clock(db.clone(), Arc::clone(&clock) as _);
    let cli = Actor::command_line();
    let phases = [
        ("first scan (every case raises an item)", None),
        ("same scan again (nothing to do)", None),
        (
            "after the items' deadline (every item climbs)",
            Some(Utc.with_ymd_and_hms(2024, 1, 23, 2, 0, 0).unwrap()),
        ),
    ];
    for (label, at) in phases {
        if let Some(at) = at {
            clock.set(at);
        }
        reset_peak_rss();
        let started = Instant::now();
        let s: ScanSummary = supervision::scan(&app, &cli).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{engine:8} {label}: {n} open cases in {secs:.3} s = {:.0} cases/s; raised {}, climbed {}, closed {}, open {}; peak RSS {:.0} MiB",
            n as f64 / secs,
            s.raised,
            s.climbed,
            s.closed,
            s.open,
            peak_rss_mib()
        );
    }
    Ok(())
}
