//! User management through the real router, on SQLite and PostgreSQL:
//! creating inside the own county only, the 404 boundary, disabling and
//! resetting, the API with its anti-forgery header, sorting and paging.

use axum::http::StatusCode;
use jianfu_domain::Role;
use jianfu_store::testing;

use crate::support;
use crate::support::{Client, PASSWORD};

const NEW_PASSWORD: &str = "Village-doc-2026";

fn temp_password(html: &str) -> String {
    let at = html
        .find("id=\"temp-password\">")
        .expect("temporary password shown")
        + 19;
    html[at..at + html[at..].find('<').unwrap()].to_string()
}

async fn setup(db: &jianfu_store::Db) {
    support::add_user(db, "county", Role::CountyAdmin, "130624").await;
    support::add_user(db, "other_admin", Role::CountyAdmin, "130625").await;
    support::add_user(db, "other_doc", Role::VillageDoctor, "130625100200").await;
    support::add_user(db, "doc", Role::VillageDoctor, "130624100200").await;
}

#[tokio::test]
async fn county_admin_creates_inside_the_county_only() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;

        let list = c.get("/users").await;
        assert_eq!(list.status, StatusCode::OK, "{:?}", t.engine());
        assert!(list.body.contains("/users/doc\""), "{}", list.body);
        assert!(!list.body.contains("other_doc") && !list.body.contains("other_admin"));
        // Only roles that can be bound inside a county are offered.
        assert!(list.body.contains("value=\"village_doctor\""));
        assert!(!list.body.contains("value=\"national_admin\""));
        assert!(!list.body.contains("value=\"city_admin\""));
        assert!(
            list.body.contains("value=\"130624000000\""),
            "region defaults to the admin's"
        );

        let form =
            |name: &'static str, role: &'static str, region: &'static str, pw: &'static str| {
                vec![
                    ("username", name),
                    ("display_name", "王医生"),
                    ("role", role),
                    ("region", region),
                    ("password", pw),
                ]
            };
        let a = c
            .post(
                "/users",
                &form("doc1", "village_doctor", "130624100200", NEW_PASSWORD),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert_eq!(a.location(), Some("/users/doc1?done=added"));
        let page = c.get("/users/doc1?done=added").await;
        assert!(
            page.body.contains("王医生") && page.body.contains("新增用户"),
            "{}",
            page.body
        );

        // The new doctor signs in and must change the initial password.
        let mut d = Client::new(&app);
        let a = d.login("doc1", NEW_PASSWORD).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), Some("/account/password"));

        // Another county: refused, with the values kept.
        let a = c
            .post(
                "/users",
                &form("doc2", "village_doctor", "130625100200", NEW_PASSWORD),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert!(
            a.body.contains("只能在您自己的管辖地区内创建用户"),
            "{}",
            a.body
        );
        assert!(a.body.contains("value=\"doc2\"") && a.body.contains("value=\"130625100200\""));
        assert!(!a.body.contains(NEW_PASSWORD), "the password is not echoed");
        assert!(
            jianfu_store::accounts::user_by_name(&mut t.db.read().await.unwrap(), "doc2")
                .await
                .unwrap()
                .is_none()
        );

        // No national administrator, whichever region is typed.
        for region in ["national", "130624"] {
            let a = c
                .post(
                    "/users",
                    &form("boss", "national_admin", region, NEW_PASSWORD),
                )
                .await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{region}");
        }
        assert!(
            jianfu_store::accounts::user_by_name(&mut t.db.read().await.unwrap(), "boss")
                .await
                .unwrap()
                .is_none()
        );
        // Role and region do not fit: a village doctor bound to a township.
        let a = c
            .post(
                "/users",
                &form("doc3", "village_doctor", "130624100", NEW_PASSWORD),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert!(a.body.contains("不能绑定到地区"), "{}", a.body);
        // Weak password and a taken name, in Chinese.
        let a = c
            .post(
                "/users",
                &form("doc4", "village_doctor", "130624100200", "short1"),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert!(a.body.contains("密码不符合要求"));
        let a = c
            .post(
                "/users",
                &form("doc1", "village_doctor", "130624100200", NEW_PASSWORD),
            )
            .await;
        assert_eq!(a.status, StatusCode::CONFLICT);
        assert!(a.body.contains("已存在"));

        // A user of another county cannot be seen or touched.
        assert_eq!(
            c.get("/users/other_doc").await.status,
            StatusCode::NOT_FOUND
        );
        for action in ["disable", "enable", "reset-password"] {
            let a = c.post(&format!("/users/other_doc/{action}"), &[]).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{action}");
        }
        assert_eq!(c.get("/users/nobody").await.status, StatusCode::NOT_FOUND);
        let other =
            jianfu_store::accounts::user_by_name(&mut t.db.read().await.unwrap(), "other_doc")
                .await
                .unwrap()
                .unwrap();
        assert!(!other.disabled && !other.must_change_password);
        let mut o = Client::new(&app);
        assert_eq!(
            o.login("other_doc", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn narrow_roles_are_forbidden() {
    for t in testing::all().await {
        setup(&t.db).await;
        support::add_user(&t.db, "aud", Role::Auditor, "130624").await;
        let app = support::app(&t.db);
        let mut d = Client::signed_in(&app, "doc").await;
        for uri in ["/users", "/users/doc", "/audit", "/audit?format=csv"] {
            assert_eq!(d.get(uri).await.status, StatusCode::FORBIDDEN, "{uri}");
        }
        for uri in ["/api/v1/users", "/api/v1/users/doc", "/api/v1/audit"] {
            let a = d.get(uri).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{uri}");
            assert_eq!(a.json()["error"]["code"], "forbidden");
        }
        let a = d
            .post_json(
                "/api/v1/users",
                &serde_json::json!({"username": "x123", "display_name": "x", "role": "village_doctor",
                    "region": "130624100200", "password": NEW_PASSWORD}),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = d.post("/users", &[("username", "x123")]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        // The auditor reads the log but manages nobody.
        let mut a = Client::signed_in(&app, "aud").await;
        assert_eq!(a.get("/users").await.status, StatusCode::FORBIDDEN);
        assert_eq!(a.get("/audit").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn disabling_ends_the_session_and_reset_forces_a_change() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        let mut d = Client::signed_in(&app, "doc").await;
        assert_eq!(d.get("/account").await.status, StatusCode::OK);

        let a = c.post("/users/doc/disable", &[]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let page = c.get(a.location().unwrap()).await;
        assert!(page.body.contains("已停用"), "{}", page.body);
        let next = d.get("/account").await;
        assert_eq!(next.status, StatusCode::SEE_OTHER);
        assert!(next.location().unwrap().starts_with("/login"));
        assert_eq!(d.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let mut again = Client::new(&app);
        assert_eq!(
            again.login("doc", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        // The admin cannot disable themself.
        assert_eq!(
            c.post("/users/county/disable", &[]).await.status,
            StatusCode::FORBIDDEN
        );

        let a = c.post("/users/doc/enable", &[]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let mut d = Client::signed_in(&app, "doc").await;

        // Reset: the session ends, the old password no longer works, the
        // temporary one must be changed first.
        let a = c.post("/users/doc/reset-password", &[]).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let temp = temp_password(&a.body);
        let next = d.get("/").await;
        assert_eq!(next.status, StatusCode::SEE_OTHER);
        assert!(next.location().unwrap().starts_with("/login"));
        let mut fresh = Client::new(&app);
        assert_eq!(
            fresh.login("doc", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        let a = fresh.login("doc", &temp).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), Some("/account/password"));
        let a = fresh.get("/").await;
        assert_eq!(a.location(), Some("/account/password"));

        // Every change is in the user's recent entries.
        let page = c.get("/users/doc").await;
        for label in ["停用用户", "启用用户", "重置密码"] {
            assert!(page.body.contains(label), "{label}");
        }
        assert!(
            !page.body.contains(&temp),
            "the temporary password is shown once"
        );
    }
}

#[tokio::test]
async fn api_create_list_disable_reset() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        let new = serde_json::json!({"username": "api_doc", "display_name": "李医生",
            "role": "village_doctor", "region": "130624100200", "password": NEW_PASSWORD});
        let a = c.post_json("/api/v1/users", &new).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.json()["region"], "130624100200");
        assert_eq!(a.json()["must_change_password"], true);
        let a = c.post_json("/api/v1/users", &new).await;
        assert_eq!(a.status, StatusCode::CONFLICT);
        assert_eq!(a.json()["error"]["code"], "conflict");

        let mut outside = new.clone();
        outside["username"] = "api_doc2".into();
        outside["region"] = "130625100200".into();
        let a = c.post_json("/api/v1/users", &outside).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.json()["error"]["code"], "bad_request");
        let a = c
            .post_json("/api/v1/users", &serde_json::json!({"username": 1}))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);

        let a = c.get("/api/v1/users").await;
        assert_eq!(a.status, StatusCode::OK);
        let names: Vec<String> = a.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["api_doc", "county", "doc"]);
        assert_eq!(a.json()["total"], 3);
        assert!(!a.body.contains("password_hash") && !a.body.contains("argon2"));

        let a = c.get("/api/v1/users/api_doc").await;
        assert_eq!(a.json()["display_name"], "李医生");
        let a = c.get("/api/v1/users/other_doc").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert_eq!(a.json()["error"]["code"], "not_found");

        let a = c
            .post_json("/api/v1/users/api_doc/disable", &serde_json::json!({}))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.json()["disabled"], true);
        let a = c
            .post_json("/api/v1/users/api_doc/enable", &serde_json::json!({}))
            .await;
        assert_eq!(a.json()["disabled"], false);
        let a = c
            .post_json(
                "/api/v1/users/api_doc/reset-password",
                &serde_json::json!({}),
            )
            .await;
        let temp = a.json()["temporary_password"].as_str().unwrap().to_string();
        let mut d = Client::new(&app);
        assert_eq!(
            d.login("api_doc", &temp).await.location(),
            Some("/account/password")
        );
        let a = c
            .post_json("/api/v1/users/other_doc/disable", &serde_json::json!({}))
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);

        // Without the right anti-forgery header: refused, nothing changes.
        let good = std::mem::replace(&mut c.csrf, "forged".into());
        let a = c
            .post_json("/api/v1/users/api_doc/disable", &serde_json::json!({}))
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(a.json()["error"]["code"], "csrf");
        c.csrf = good;
        assert!(
            !jianfu_store::accounts::user_by_name(&mut t.db.read().await.unwrap(), "api_doc")
                .await
                .unwrap()
                .unwrap()
                .disabled
        );

        // The OpenAPI document lists every route.
        let doc = c.get("/api/openapi.json").await.json();
        for p in [
            "/api/v1/users",
            "/api/v1/users/{username}",
            "/api/v1/users/{username}/disable",
            "/api/v1/users/{username}/enable",
            "/api/v1/users/{username}/reset-password",
            "/api/v1/audit",
        ] {
            assert!(doc["paths"][p].is_object(), "{p}");
        }
    }
}

#[tokio::test]
async fn lists_sort_page_and_export() {
    for t in testing::all().await {
        setup(&t.db).await;
        for name in ["anna", "bob_w", "carl"] {
            support::add_user(&t.db, name, Role::TownshipWorker, "130624100").await;
        }
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        // anna bob_w carl county doc
        let names = async |c: &mut Client, q: &str| -> Vec<String> {
            let a = c.get(&format!("/api/v1/users?{q}")).await;
            assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
            a.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(&mut c, "sort=username&dir=desc&per=2").await,
            ["doc", "county"]
        );
        assert_eq!(
            names(&mut c, "sort=username&dir=desc&per=2&page=2").await,
            ["carl", "bob_w"]
        );
        assert_eq!(names(&mut c, "sort=role&per=10").await[0], "county");
        assert_eq!(
            names(&mut c, "sort=password_hash%3BDROP%20TABLE%20users&per=10").await,
            ["anna", "bob_w", "carl", "county", "doc"]
        );

        let a = c.get("/users?sort=username&dir=desc&per=2&page=2").await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.body.contains("/users/carl\"") && a.body.contains("/users/bob_w\""));
        assert!(!a.body.contains("/users/doc\"") && !a.body.contains("/users/anna\""));
        assert!(
            a.body.contains("共 5 条") || a.body.contains("共</span>"),
            "pager"
        );
        let a = c.get("/users?sort=%27%3B--&dir=sideways").await;
        assert_eq!(a.status, StatusCode::OK);

        let csv = c.get("/users?format=csv&sort=username").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
        assert!(
            csv.body.contains("用户名")
                && csv.body.contains("bob_w")
                && csv.body.contains("乡镇工作人员")
        );
        assert!(!csv.body.contains("other_doc"));
        let xlsx = c.get("/users?format=xlsx").await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK\x03\x04"), "a zip (xlsx) file");
        assert_eq!(
            c.get("/users?format=pdf").await.status,
            StatusCode::BAD_REQUEST
        );
    }
}
