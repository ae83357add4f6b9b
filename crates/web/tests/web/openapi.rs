//! The OpenAPI document: valid shape, every documented path routed, and
//! the error envelope as documented.

use axum::http::StatusCode;
use jianfu_domain::Role;
use jianfu_store::testing;

use crate::support::{Client, add_user, app};

#[tokio::test]
async fn every_documented_path_is_routed() {
    let t = testing::sqlite().await;
    add_user(&t.db, "national", Role::NationalAdmin, "national").await;
    let app = app(&t.db);
    let mut anon = Client::new(&app);
    let doc = anon.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 5, "{paths:?}");
    let mut c = Client::signed_in(&app, "national").await;
    for (path, item) in paths {
        // Path parameters filled with values that exist nowhere: a routed
        // path answers with the envelope (or data), an unrouted one with
        // the fallback's not_found *and* no JSON from a handler.
        let concrete = path
            .replace("{county}", "999999")
            .replace("{no}", "none")
            .replace("{k}", "1")
            .replace("{id}", "0")
            .replace("{job}", "0")
            .replace("{username}", "nobody-here");
        for method in item.as_object().unwrap().keys() {
            assert!(
                ["get", "post"].contains(&method.as_str()),
                "{path} {method}"
            );
            let a = match method.as_str() {
                "get" => c.get(&concrete).await,
                _ => c.post_json(&concrete, &serde_json::json!({})).await,
            };
            assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if a.status.is_client_error() || a.status.is_server_error() {
                let j = a.json();
                assert!(
                    j["error"]["code"].is_string(),
                    "{method} {path}: {}",
                    a.body
                );
                assert!(j["error"]["message"].is_string());
                assert!(j["error"]["details"].is_array());
            }
        }
    }
}
