//! Supervision (督办) and the inbox through the real router, on SQLite and
//! PostgreSQL: a case opened from an alert whose home check runs late is
//! scanned into a supervision item, which the township's list, the
//! county's list, the inbox (overdue first) and the API show, and another
//! township does not see; the answers match the documented schemas.

use axum::http::StatusCode;
use chrono::{TimeDelta, TimeZone, Utc};
use jianfu_domain::Role;
use jianfu_service::clock::SettableClock;
use jianfu_service::monitoring::cases::{self, AlertQuery};
use jianfu_service::{Actor, App, monitoring};
use jianfu_store::testing;
use jianfu_web::{AppState, router};

use crate::support::{Client, add_user};

#[tokio::test]
async fn a_late_check_reaches_the_supervision_list_and_the_inbox() {
    let doc = serde_json::to_value(jianfu_web::api::document()).unwrap();
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let opts = jianfu_synth::GenerateOptions {
            county: "130624".into(),
            persons: 600,
            seed: 11,
            ..Default::default()
        };
        jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
        crate::people::load(&t.db, dir.path()).await;
        let clock = SettableClock::at(Utc.with_ymd_and_hms(2025, 1, 6, 2, 0, 0).unwrap());
        let app = App::with_clock(t.db.clone(), clock.clone());
        let cli = Actor::command_line();
        let as_of = chrono::NaiveDate::from_ymd_opt(2024, 12, 31);
        monitoring::run(&app, &cli, None, as_of, None)
            .await
            .unwrap();
        let open = AlertQuery {
            status: Some("open".into()),
            ..AlertQuery::default()
        };
        let alert = cases::list_alerts(&app, &cli, &open).await.unwrap()[0]
            .alert
            .clone();
        let key = jianfu_store::monitoring::AlertKey {
            county_code: alert.county_code.clone(),
            household_no: alert.household_no.clone(),
            year: alert.year,
            rule: alert.rule.clone(),
        };
        cases::open_from_alert(&app, &cli, &key, "比对发现")
            .await
            .unwrap();
        // A month later nothing was done: the township is told.
        clock.advance(TimeDelta::days(30));
        let s = monitoring::supervision::scan(&app, &cli).await.unwrap();
        assert_eq!(s.open, 1, "{:?}", t.engine());

        let town = &alert.village_code[..9];
        let other = if town.ends_with("100") {
            "130624101"
        } else {
            "130624100"
        };
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        add_user(&t.db, "town", Role::TownshipWorker, town).await;
        add_user(&t.db, "other", Role::TownshipWorker, other).await;
        let web = router(AppState::with_app(app.clone(), true));
        let mut w = Client::signed_in(&web, "town").await;
        let page = w.get("/monitoring/supervision").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(&alert.household_no), "{}", page.body);
        assert!(page.body.contains("预警核查"), "the late step is named");
        let inbox = w.get("/monitoring/inbox").await;
        assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
        assert!(
            inbox.body.contains("data-kind=\"supervision\""),
            "{}",
            inbox.body
        );
        assert!(
            inbox.body.contains("data-overdue=\"true\""),
            "the late check itself"
        );
        let csv = w.get("/monitoring/supervision?format=csv").await;
        assert!(csv.body.contains(&alert.household_no), "{}", csv.body);

        let a = w.get("/api/v1/monitoring/supervision").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/supervision", &a);
        assert_eq!(a.json().as_array().unwrap().len(), 1);
        let a = w.get("/api/v1/monitoring/inbox").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/inbox", &a);
        let entries = a.json();
        let kinds: Vec<&str> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"supervision") && kinds.contains(&"case_step"),
            "{kinds:?}"
        );
        assert_eq!(entries[0]["overdue"], true, "overdue first: {entries}");

        let mut o = Client::signed_in(&web, "other").await;
        let a = o.get("/api/v1/monitoring/supervision").await;
        assert_eq!(
            a.json().as_array().unwrap().len(),
            0,
            "another township's item"
        );
        let mut c = Client::signed_in(&web, "county").await;
        let page = c.get("/monitoring/supervision?all=1").await;
        assert!(page.body.contains(&alert.household_no));
    }
}
