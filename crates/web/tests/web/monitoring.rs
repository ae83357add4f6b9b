//! Monitoring alerts and cases through the real router, on SQLite and
//! PostgreSQL: the API (list, open from an alert, steps, refusals,
//! attachments up and down, another township's 404) checked against the
//! documented schemas, and the pages (alert list, case list and export,
//! case detail with coloured deadlines, a step posted as a form with a
//! photo, the household page's section).

use axum::Router;
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use jianfu_domain::Role;
use jianfu_service::clock::SettableClock;
use jianfu_service::{Actor, App, monitoring};
use jianfu_store::{Db, testing};
use jianfu_web::{AppState, router};
use serde_json::{Value, json};

use crate::support::{Client, add_user};

/// A JPEG's first bytes.
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00photo";

/// A synthetic county evaluated as of the end of 2024, served with the
/// clock at 2025-01-06 10:00 China time.
async fn county(db: &Db) -> Router {
    let dir = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        county: "130624".into(),
        persons: 600,
        seed: 11,
        ..Default::default()
    };
    jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
    crate::people::load(db, dir.path()).await;
    let clock = SettableClock::at(Utc.with_ymd_and_hms(2025, 1, 6, 2, 0, 0).unwrap());
    let app = App::with_clock(db.clone(), clock);
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 12, 31);
    monitoring::run(&app, &Actor::command_line(), None, as_of, None)
        .await
        .unwrap();
    router(AppState::with_app(app, true))
}

fn alert_path(a: &Value) -> String {
    format!(
        "/api/v1/monitoring/alerts/{}/{}/{}/{}",
        a["county_code"].as_str().unwrap(),
        a["household_no"].as_str().unwrap(),
        a["year"],
        a["rule"].as_str().unwrap()
    )
}

#[tokio::test]
async fn alerts_and_cases_through_the_api() {
    let doc = serde_json::to_value(jianfu_web::api::document()).unwrap();
    for t in testing::all().await {
        let app = county(&t.db).await;
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let mut c = Client::signed_in(&app, "county").await;
        let a = c.get("/api/v1/monitoring/alerts?status=open").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/alerts", &a);
        let alerts = a.json();
        let alert = alerts
            .as_array()
            .unwrap()
            .first()
            .expect("an open alert")
            .clone();
        let village = alert["village_code"].as_str().unwrap().to_string();
        let town = &village[..9];
        add_user(&t.db, "town", Role::TownshipWorker, town).await;
        let other_town = if town.ends_with("100") {
            "130624101"
        } else {
            "130624100"
        };
        add_user(&t.db, "other", Role::TownshipWorker, other_town).await;
        let mut w = Client::signed_in(&app, "town").await;
        let a = w
            .post_json(
                &format!("{}/case", alert_path(&alert)),
                &json!({ "note": "入户核查" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let path = "/api/v1/monitoring/alerts/{county}/{household}/{year}/{rule}/case";
        crate::openapi::check(&doc, "post", path, &a);
        let id = a.json()["case_id"].as_i64().unwrap();
        let case = format!("/api/v1/monitoring/cases/{id}");

        // Steps: allowed, refused with the procedure's message.
        let a = w
            .post_json(
                &format!("{case}/steps"),
                &json!({ "action": "start_verification", "note": "入户" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "post", "/api/v1/monitoring/cases/{id}/steps", &a);
        assert_eq!(a.json()["state"], "verifying");
        let a = w
            .post_json(
                &format!("{case}/steps"),
                &json!({ "action": "county_approve", "note": "x" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(
            a.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("无权"),
            "{}",
            a.body
        );

        // Attachments: a photo in, the same bytes out; a text file refused.
        let a = w
            .upload(
                &format!("{case}/attachments"),
                &[],
                ("file", "入户.jpg", JPEG),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(
            &doc,
            "post",
            "/api/v1/monitoring/cases/{id}/attachments",
            &a,
        );
        let att = a.json()["ids"][0].as_i64().unwrap();
        let a = w
            .get(&format!("/api/v1/monitoring/attachments/{att}"))
            .await;
        assert_eq!((a.status, a.bytes.as_slice()), (StatusCode::OK, JPEG));
        assert_eq!(a.headers["content-type"], "image/jpeg");
        let a = w
            .upload(
                &format!("{case}/attachments"),
                &[],
                ("file", "a.jpg", b"hello"),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body.contains("不是 JPEG"), "{}", a.body);

        let a = w.get(&case).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/cases/{id}", &a);
        let d = a.json();
        assert_eq!(d["timeline"].as_array().unwrap().len(), 2);
        assert_eq!(d["deadlines"][0]["colour"], "green");
        assert_eq!(d["allowed_steps"], json!(["confirm_risk", "close_no_risk"]));
        let a = w.get("/api/v1/monitoring/cases").await;
        crate::openapi::check(&doc, "get", "/api/v1/monitoring/cases", &a);
        assert_eq!(a.json().as_array().unwrap().len(), 1);

        // Another township: not found, nothing listed, nothing done.
        let mut o = Client::signed_in(&app, "other").await;
        assert_eq!(o.get(&case).await.status, StatusCode::NOT_FOUND);
        let a = o
            .post_json(
                &format!("{case}/steps"),
                &json!({ "action": "confirm_risk", "note": "x" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
        assert_eq!(
            o.get(&format!("/api/v1/monitoring/attachments/{att}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(o.get("/api/v1/monitoring/cases").await.json(), json!([]));
        let a = o
            .post_json(
                &format!("{}/dismiss", alert_path(&alert)),
                &json!({ "reason": "x" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    }
}

const OPEN_FORM: &str = "action=\"/monitoring/alerts/open\"";

/// The page from the first alert's opening form on.
fn first_form(page: &str) -> &str {
    &page[page.find(OPEN_FORM).expect("an open alert's form")..]
}

#[tokio::test]
async fn pages_of_alerts_and_cases() {
    for t in testing::all().await {
        let app = county(&t.db).await;
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let mut c = Client::signed_in(&app, "county").await;
        let page = c.get("/monitoring/alerts").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("立案/核查") && page.body.contains("忽略"),
            "{}",
            page.body
        );
        let form = first_form(&page.body);
        let county = crate::support::hidden(form, "county").unwrap();
        let household = crate::support::hidden(form, "household").unwrap();
        let year = crate::support::hidden(form, "year").unwrap();
        let rule = crate::support::hidden(form, "rule").unwrap();
        let key = [
            ("county", county.as_str()),
            ("household", household.as_str()),
            ("year", year.as_str()),
            ("rule", rule.as_str()),
        ];
        let mut fields = key.to_vec();
        fields.push(("note", "县级核查"));
        let a = c.post("/monitoring/alerts/open", &fields).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let to = a.location().unwrap().to_string();
        assert!(to.starts_with("/monitoring/cases/"), "{to}");
        let page = c.get(&to).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("dl dl-green"), "{}", page.body);
        assert!(page.body.contains("data-action=\"start_verification\""));
        assert!(
            !page.body.contains("data-action=\"county_approve\""),
            "only what fits"
        );
        // A step as the form posts it, with a photo.
        let a = c
            .upload(
                &format!("{to}/step"),
                &[("action", "start_verification"), ("note", "入户核查")],
                ("file", "入户.jpg", JPEG),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let page = c.get(a.location().unwrap()).await;
        assert!(
            page.body.contains("入户.jpg") && page.body.contains("已办理"),
            "{}",
            page.body
        );
        // A refused step shows the page again with the reason.
        let a = c
            .upload(
                &format!("{to}/step"),
                &[("action", "close_no_risk"), ("note", "x")],
                ("file", "", b""),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body.contains("须填写理由"), "{}", a.body);
        // Lists and exports.
        let list = c.get("/monitoring/cases").await;
        assert!(list.body.contains(&household), "{}", list.body);
        let csv = c.get("/monitoring/cases?format=csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.body.contains(&household) && csv.body.contains("入户核查"),
            "{}",
            csv.body
        );
        let xlsx = c.get("/monitoring/alerts?status=all&format=xlsx").await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK"));
        // The household page shows the case.
        let hh = c.get(&format!("/households/{county}/{household}")).await;
        assert!(
            hh.body.contains("防返贫监测") && hh.body.contains(&to),
            "{}",
            hh.body
        );
        // A dismissal from the list.
        let page = c.get("/monitoring/alerts").await;
        if page.body.contains(OPEN_FORM) {
            let form = first_form(&page.body);
            let h = crate::support::hidden(form, "household").unwrap();
            let y = crate::support::hidden(form, "year").unwrap();
            let r = crate::support::hidden(form, "rule").unwrap();
            let f = [
                ("county", county.as_str()),
                ("household", h.as_str()),
                ("year", y.as_str()),
                ("rule", r.as_str()),
                ("reason", "已核实无风险"),
            ];
            let a = c.post("/monitoring/alerts/dismiss", &f).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        }
    }
}
