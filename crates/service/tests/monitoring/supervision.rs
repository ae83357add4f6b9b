//! Supervision (督办) of late case steps with a controllable clock, on
//! both engines: a late home check raises an item at the township the
//! moment its due day ends (China time), the item climbs to the county
//! when its own deadline passes, the scan changes nothing when run again,
//! and doing the step closes every item with how late it was. Lists are
//! scoped to the level and below.

use chrono::{TimeZone, Utc};
use jianfu_domain::{Role, Scope};
use jianfu_service::monitoring::cases::{self, StepRequest};
use jianfu_service::monitoring::supervision::{self, ScanSummary};
use jianfu_service::{Actor, App, monitoring};
use jianfu_store::monitoring::AlertKey;
use jianfu_store::testing;

use crate::examples::load_examples;
use crate::{app, day};

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("{}-{region}", role.code()),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: None,
    }
}

async fn scan(app: &App) -> ScanSummary {
    supervision::scan(app, &Actor::command_line())
        .await
        .unwrap()
}

async fn listed(app: &App, who: &Actor, all: bool) -> Vec<(String, Option<i64>, Option<i64>)> {
    supervision::list(app, who, all, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.region_code, i.late_days, i.late_working_days))
        .collect()
}

fn step(action: &str) -> StepRequest {
    StepRequest {
        action: action.into(),
        note: "已入户".into(),
        ..StepRequest::default()
    }
}

#[tokio::test]
async fn a_late_check_climbs_the_ladder_and_closes_when_done() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = load_examples(&t.db, dir.path()).await;
        let (app, clock) = app(&t.db);
        let cli = Actor::command_line();
        monitoring::run(&app, &cli, None, Some(day(2023, 12, 31)), None)
            .await
            .unwrap();
        let town = actor(Role::TownshipWorker, &v1[..9]);
        let alert = AlertKey {
            county_code: "130624".into(),
            household_no: format!("{v1}0001"),
            year: 2023,
            rule: "R2".into(),
        };
        // Opened Friday 2024-01-05: the check is due Friday 2024-01-12.
        let case = cases::open_from_alert(&app, &town, &alert, "比对发现")
            .await
            .unwrap()
            .case_id;

        // 23:00 on the due day, China time: not late yet.
        clock.set(Utc.with_ymd_and_hms(2024, 1, 12, 15, 0, 0).unwrap());
        assert_eq!(scan(&app).await.raised, 0);
        // One second into Saturday: the township is told.
        clock.set(Utc.with_ymd_and_hms(2024, 1, 12, 16, 0, 1).unwrap());
        let first = scan(&app).await;
        assert_eq!((first.raised, first.open), (1, 1), "{:?}", t.engine());
        let township = format!("{}000", &v1[..9]);
        assert_eq!(
            listed(&app, &town, false).await,
            [(township.clone(), None, None)]
        );
        // Again at the same instant, or an hour later: nothing new, and
        // the step, whose item is in hand, is not even read.
        assert_eq!(
            scan(&app).await,
            ScanSummary {
                raised: 0,
                steps: 0,
                ..first.clone()
            }
        );
        clock.set(Utc.with_ymd_and_hms(2024, 1, 12, 17, 0, 0).unwrap());
        assert_eq!(scan(&app).await.raised + scan(&app).await.climbed, 0);

        // The township's item (due 5 working days after Saturday 01-13,
        // i.e. Friday 01-19) passes: the county is told too.
        clock.set(Utc.with_ymd_and_hms(2024, 1, 19, 16, 30, 0).unwrap());
        let climbed = scan(&app).await;
        assert_eq!((climbed.climbed, climbed.open), (1, 2));
        let county = actor(Role::CountyAdmin, "130624");
        assert_eq!(listed(&app, &county, false).await.len(), 2);
        assert_eq!(
            listed(&app, &town, false).await.len(),
            1,
            "the county's item is not the township's"
        );
        let elsewhere = actor(Role::TownshipWorker, &v2[..9]);
        if v2[..9] != v1[..9] {
            assert!(listed(&app, &elsewhere, false).await.is_empty());
        }

        // Checked on Monday 01-22: both items close, 10 days late, of
        // which 6 working days (01-15..01-19 and 01-22).
        clock.set(Utc.with_ymd_and_hms(2024, 1, 22, 2, 0, 0).unwrap());
        for action in ["start_verification", "confirm_risk"] {
            cases::take_step(&app, &town, case, &step(action))
                .await
                .unwrap();
        }
        let closed = scan(&app).await;
        assert_eq!((closed.closed, closed.open), (2, 0), "{:?}", t.engine());
        let all = listed(&app, &county, true).await;
        assert_eq!(all.len(), 2);
        assert!(
            all.iter().all(|(_, d, w)| (*d, *w) == (Some(10), Some(6))),
            "{all:?}"
        );
        assert_eq!(scan(&app).await.closed, 0, "closed once");
    }
}

#[tokio::test]
async fn only_a_national_actor_scans() {
    for t in testing::all().await {
        let (app, _) = app(&t.db);
        let county = actor(Role::CountyAdmin, "130624");
        assert!(supervision::scan(&app, &county).await.is_err());
        let doctor = actor(Role::VillageDoctor, "130624100200");
        assert!(supervision::scan(&app, &doctor).await.is_err());
        assert_eq!(scan(&app).await.steps, 0);
    }
}
