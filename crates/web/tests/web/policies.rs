//! Policy parameter sets through the real router, on SQLite and
//! PostgreSQL: list, detail, upload with key-path errors, audit, API.

use axum::http::StatusCode;
use jianfu_domain::Role;
use jianfu_store::testing;

use crate::support;
use crate::support::Client;

const REFERENCE: &str = include_str!("../../../../data/policies/reference-2023.toml");

fn good() -> String {
    REFERENCE.replacen("示例县 2023", "测试县 2023 修订", 1)
}

#[tokio::test]
async fn list_detail_upload_and_api() {
    for t in testing::all().await {
        let mut tx = t.db.begin().await.unwrap();
        jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("1306"), |_| {})
            .await
            .unwrap();
        tx.commit().await.unwrap();
        support::add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        support::add_user(&t.db, "town", Role::TownshipWorker, "130624100").await;
        support::add_user(&t.db, "other", Role::CountyAdmin, "130626").await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;

        let page = c.get("/policies").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("enctype=\"multipart/form-data\""));

        // Bad TOML: the key path of the problem is shown, nothing stored.
        let before = jianfu_store::policies::policies(&mut t.db.read().await.unwrap())
            .await
            .unwrap()
            .len();
        let bad = REFERENCE.replacen("ratio = \"0.90\"", "ratio = \"1.90\"", 1);
        let a = c
            .upload("/policies", &[("source", bad.as_str())], ("file", "", b""))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(
            a.body.contains("policy-errors") && a.body.contains("basic.levels"),
            "{}",
            a.body
        );
        assert_eq!(
            jianfu_store::policies::policies(&mut t.db.read().await.unwrap())
                .await
                .unwrap()
                .len(),
            before
        );

        // Outside the jurisdiction: refused.
        let mut other = Client::signed_in(&app, "other").await;
        let a = other
            .upload("/policies", &[], ("file", "p.toml", good().as_bytes()))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert!(a.body.contains("不在您的管辖范围"), "{}", a.body);

        // Good file: stored, audited, shown.
        let a = c
            .upload("/policies", &[], ("file", "p.toml", good().as_bytes()))
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let loc = a.location().unwrap().to_string();
        let detail = c.get(&loc).await;
        assert_eq!(detail.status, StatusCode::OK);
        assert!(
            detail.body.contains("测试县 2023 修订")
                && detail.body.contains("[basic.levels.township]")
        );
        assert!(detail.body.contains("150000.00"), "tier summary");
        let (entries, _) = jianfu_store::audit::search(
            &mut t.db.read().await.unwrap(),
            &jianfu_domain::Scope::NATIONAL,
            &jianfu_store::AuditFilter {
                action: Some("policy.add".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].region, "130624");
        let csv = c.get("/policies?format=csv").await;
        assert!(csv.body.contains("测试县 2023 修订"));

        // A township worker reads but may not upload.
        let mut town = Client::signed_in(&app, "town").await;
        assert_eq!(town.get(&loc).await.status, StatusCode::OK);
        let a = town
            .upload("/policies", &[], ("file", "p.toml", good().as_bytes()))
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);

        // The API.
        let list = c.get("/api/v1/policies").await.json();
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "测试县 2023 修订")
        );
        let id = loc
            .trim_start_matches("/policies/")
            .split('?')
            .next()
            .unwrap();
        let one = c.get(&format!("/api/v1/policies/{id}")).await.json();
        assert!(one["source"].as_str().unwrap().contains("[basic]"));
        assert_eq!(
            c.get("/api/v1/policies/999999").await.json()["error"]["code"],
            "not_found"
        );
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/policies")
            .header("content-type", "application/toml")
            .header("x-csrf-token", c.csrf.clone())
            .header(
                "cookie",
                format!("jianfu_session={}", c.cookies["jianfu_session"]),
            )
            .body(axum::body::Body::from(bad))
            .unwrap();
        let a = c.send(req).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        let env = a.json();
        assert_eq!(env["error"]["code"], "invalid");
        assert!(
            env["error"]["details"][0]
                .as_str()
                .unwrap()
                .contains("basic.levels"),
            "{env}"
        );
    }
}
