//! The monthly feedback lists of A1–A3 findings through the real router,
//! on SQLite and PostgreSQL: a generated county's December list shows on
//! the list page, its own page and its CSV; the API's answers match the
//! documented schemas; an answer through the page form and one through
//! the API are recorded; another county's officer sees nothing.

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use jianfu_domain::Role;
use jianfu_service::clock::SettableClock;
use jianfu_service::monitoring::feedback;
use jianfu_service::{Actor, App};
use jianfu_store::testing;
use jianfu_web::{AppState, router};

use crate::support::{Client, add_user};

#[tokio::test]
async fn a_county_reads_and_answers_its_monthly_list() {
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
        let made = feedback::generate(&app, &Actor::command_line(), None)
            .await
            .unwrap();
        assert_eq!((made.month.as_str(), made.lists), ("2024-12", 1));
        assert!(
            made.findings >= 2,
            "the generated county has findings: {made:?}"
        );

        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        add_user(&t.db, "elsewhere", Role::CountyAdmin, "130625").await;
        let web = router(AppState::with_app(app.clone(), true));
        let mut c = Client::signed_in(&web, "county").await;
        let page = c.get("/monitoring/feedback").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("2024-12"), "{}", page.body);

        let a = c.get("/api/v1/monitoring/feedback").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/feedback", &a);
        let id = a.json()[0]["id"].as_i64().unwrap();
        let a = c.get(&format!("/api/v1/monitoring/feedback/{id}")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/feedback/{id}", &a);
        let detail = a.json();
        let findings = detail["findings"].as_array().unwrap().clone();
        assert_eq!(findings.len() as u64, made.findings);
        let first = findings[0]["id"].as_i64().unwrap();
        let second = findings[1]["id"].as_i64().unwrap();
        let claim = findings[0]["claim_id"].as_str().unwrap().to_string();

        let page = c.get(&format!("/monitoring/feedback/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(&claim), "{}", page.body);
        assert!(page.body.contains("提交反馈"), "an answer form");
        let csv = c
            .get(&format!("/monitoring/feedback/{id}?format=csv"))
            .await;
        assert!(csv.body.contains(&claim), "{}", csv.body);

        // One answer through the page form, one through the API.
        let form = format!("/monitoring/feedback/findings/{first}/answer");
        let posted = c.post(&form, &[("answer", "已核实，系转诊未备案")]).await;
        assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
        let path = format!("/api/v1/monitoring/feedback/findings/{second}/answer");
        let body = serde_json::json!({ "answer": "已核实，已退还多收费用" });
        let a = c.post_json(&path, &body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(
            &doc,
            "post",
            "/api/v1/monitoring/feedback/findings/{id}/answer",
            &a,
        );
        let a = c.post_json(&path, &body).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "answered once: {}",
            a.body
        );
        let a = c.get(&format!("/api/v1/monitoring/feedback/{id}")).await;
        assert_eq!(a.json()["list"]["answered"], 2);

        let mut e = Client::signed_in(&web, "elsewhere").await;
        let a = e.get("/api/v1/monitoring/feedback").await;
        assert_eq!(
            a.json().as_array().unwrap().len(),
            0,
            "another county's list"
        );
        let a = e.get(&format!("/api/v1/monitoring/feedback/{id}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
        let a = e.post_json(&path, &body).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    }
}
