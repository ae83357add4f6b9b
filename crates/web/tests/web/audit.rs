//! The audit log through the real router, on SQLite and PostgreSQL: an
//! auditor sees their county only, exports are valid and audited, personal
//! keys are masked, there is nothing to edit, and search text never
//! reaches SQL as SQL.

use axum::http::StatusCode;
use jianfu_domain::Role;
use jianfu_store::{AuditEntry, testing};

use crate::support;
use crate::support::{Client, PASSWORD};

const ID: &str = "130624197001020011";

async fn setup(db: &jianfu_store::Db) {
    support::add_user(db, "aud", Role::Auditor, "130624").await;
    support::add_user(db, "county", Role::CountyAdmin, "130624").await;
    support::add_user(db, "doc_fuping", Role::VillageDoctor, "130624100200").await;
    support::add_user(db, "doc_tangxian", Role::VillageDoctor, "130627100200").await;
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[tokio::test]
async fn auditor_sees_the_own_county_only() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        Client::signed_in(&app, "doc_fuping").await;
        Client::signed_in(&app, "doc_tangxian").await;
        let mut wrong = Client::new(&app);
        assert_eq!(
            wrong.login("doc_tangxian", "Wrong-password-1").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            wrong.login("doc_fuping", "Wrong-password-1").await.status,
            StatusCode::UNAUTHORIZED
        );

        let mut a = Client::signed_in(&app, "aud").await;
        let page = a.get("/audit?action=login").await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", t.engine());
        assert!(page.body.contains("doc_fuping"), "{}", page.body);
        assert!(!page.body.contains("doc_tangxian"));
        assert!(
            page.body.contains("只能追加"),
            "the page says the log cannot be edited"
        );
        let failed = a.get("/audit?action=login.failed").await;
        assert!(failed.body.contains("doc_fuping") && failed.body.contains("登录失败"));
        assert!(!failed.body.contains("doc_tangxian"));

        let api = a.get("/api/v1/audit?action=login").await;
        assert_eq!(api.status, StatusCode::OK);
        let items = api.json()["items"].as_array().unwrap().clone();
        assert!(items.iter().any(|e| e["username"] == "doc_fuping"));
        assert!(
            items
                .iter()
                .all(|e| e["region"].as_str().unwrap().starts_with("130624"))
        );
        assert!(items.iter().all(|e| e["action_label"] == "登录"));
        let api = a.get("/api/v1/audit?user=doc_tangxian").await;
        assert_eq!(api.json()["total"], 0);

        // Newest first, paging.
        let all = a.get("/api/v1/audit?per=2").await.json();
        let ids: Vec<i64> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(ids[0] > ids[1]);
        let next = a.get("/api/v1/audit?per=2&page=2").await.json();
        assert!(next["items"][0]["id"].as_i64().unwrap() < ids[1]);
        // Dates: today's entries are found from yesterday on; a bad date is refused.
        let today = chrono::Utc::now().date_naive();
        let q = query(&[
            ("from", &(today - chrono::Days::new(1)).to_string()),
            ("to", &(today + chrono::Days::new(1)).to_string()),
        ]);
        let found = a.get(&format!("/api/v1/audit?{q}")).await.json();
        assert_eq!(found["total"], all["total"]);
        let q = query(&[("to", &(today - chrono::Days::new(2)).to_string())]);
        assert_eq!(
            a.get(&format!("/api/v1/audit?{q}")).await.json()["total"],
            0
        );
        assert_eq!(
            a.get("/audit?from=2026-13-45").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            a.get("/api/v1/audit?from=yesterday").await.status,
            StatusCode::BAD_REQUEST
        );
    }
}

#[tokio::test]
async fn export_is_valid_and_audited() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        Client::signed_in(&app, "doc_fuping").await;
        let mut a = Client::signed_in(&app, "aud").await;
        let csv = a.get("/audit?format=csv&action=login").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
        let mut lines = csv.body.trim_start_matches('\u{feff}').lines();
        assert!(lines.next().unwrap().starts_with("时间,用户,角色,操作"));
        assert!(lines.any(|l| l.contains("doc_fuping") && l.contains("登录")));
        let xlsx = a.get("/audit?format=xlsx").await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK\x03\x04"));
        assert!(
            xlsx.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );

        let log = a.get("/api/v1/audit?action=audit.export").await.json();
        assert_eq!(log["total"], 2, "{log}");
        let e = &log["items"][1];
        assert_eq!(e["username"], "aud");
        assert_eq!(e["action_label"], "导出审计日志");
        assert!(e["detail"].as_str().unwrap().contains("format=csv"));
        assert!(e["detail"].as_str().unwrap().contains("filters=action"));
        let page = a.get("/audit?action=audit.export").await;
        assert!(page.body.contains("导出审计日志"));
    }
}

#[tokio::test]
async fn keys_masked_and_nothing_to_edit() {
    for t in testing::all().await {
        setup(&t.db).await;
        jianfu_store::audit::append(
            &mut t.db.read().await.unwrap(),
            &AuditEntry {
                username: "county".into(),
                role: Some("county_admin".into()),
                action: "unmask".into(),
                target_kind: Some("person".into()),
                target_key: Some(ID.into()),
                region: "130624100200".into(),
                reason: Some("随访核对".into()),
                ..AuditEntry::default()
            },
        )
        .await
        .unwrap();
        jianfu_store::audit::append(
            &mut t.db.read().await.unwrap(),
            &AuditEntry {
                username: "county".into(),
                action: "brand.new.code".into(),
                target_key: Some("13912345678".into()),
                region: "130624000000".into(),
                ..AuditEntry::default()
            },
        )
        .await
        .unwrap();
        let app = support::app(&t.db);
        let mut a = Client::signed_in(&app, "aud").await;
        let page = a.get(&format!("/audit?target={ID}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("130624********0011"), "{}", page.body);
        assert!(page.body.contains("查看完整信息") && page.body.contains("随访核对"));
        assert!(
            page.body.contains(&format!("value=\"{ID}\"")),
            "the search keeps what was typed"
        );
        let rows = page.body.matches("<tr>").count();
        assert_eq!(rows, 2, "header and one entry");
        let csv = a.get(&format!("/audit?target={ID}&format=csv")).await;
        assert!(!csv.body.contains(ID) && csv.body.contains("130624********0011"));
        let api = a.get(&format!("/api/v1/audit?target={ID}")).await;
        assert!(!api.body.contains(ID));
        assert_eq!(api.json()["items"][0]["target_key"], "130624********0011");
        let phone = a.get("/audit?action=brand.new.code").await;
        assert!(
            phone.body.contains("brand.new.code"),
            "unknown codes are shown raw"
        );
        assert!(phone.body.contains("139****5678") && !phone.body.contains("13912345678"));

        // No route edits or deletes entries.
        for uri in ["/audit", "/api/v1/audit", "/audit/1", "/api/v1/audit/1"] {
            let r = a.post(uri, &[("action", "login")]).await;
            assert!(
                matches!(
                    r.status,
                    StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
                ),
                "{uri}: {}",
                r.status
            );
        }
        let (_, total) = jianfu_store::audit::search(
            &mut t.db.read().await.unwrap(),
            &jianfu_domain::Scope::NATIONAL,
            &Default::default(),
            0,
            1,
        )
        .await
        .unwrap();
        assert!(total >= 3);
    }
}

#[tokio::test]
async fn sql_metacharacters_are_harmless() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut a = Client::signed_in(&app, "aud").await;
        let mut c = Client::signed_in(&app, "county").await;
        let nasty = [
            "'",
            "\"",
            ";",
            "--",
            "%",
            "_",
            "' OR '1'='1",
            "x'; DROP TABLE audit_log; --",
            "%_%",
        ];
        for v in nasty {
            for field in ["user", "action", "target"] {
                let q = query(&[(field, v)]);
                let page = a.get(&format!("/audit?{q}")).await;
                assert_eq!(page.status, StatusCode::OK, "{field}={v}: {}", page.body);
                assert!(
                    page.body.contains("没有符合条件的记录"),
                    "{field}={v} matches nothing"
                );
                let api = a.get(&format!("/api/v1/audit?{q}")).await;
                assert_eq!(api.status, StatusCode::OK);
                assert_eq!(api.json()["total"], 0, "{field}={v}");
                let csv = a.get(&format!("/audit?{q}&format=csv")).await;
                assert_eq!(csv.status, StatusCode::OK);
            }
            for field in ["from", "to"] {
                let q = query(&[(field, v)]);
                assert_eq!(
                    a.get(&format!("/audit?{q}")).await.status,
                    StatusCode::BAD_REQUEST
                );
                assert_eq!(
                    a.get(&format!("/api/v1/audit?{q}")).await.status,
                    StatusCode::BAD_REQUEST
                );
            }
            let q = query(&[("sort", v), ("dir", v)]);
            assert_eq!(c.get(&format!("/users?{q}")).await.status, StatusCode::OK);
            assert_eq!(
                c.get(&format!("/api/v1/users?{q}")).await.status,
                StatusCode::OK
            );
            assert_eq!(a.get(&format!("/audit?{q}")).await.status, StatusCode::OK);
            let enc = support_encode(v);
            assert_eq!(
                c.get(&format!("/users/{enc}")).await.status,
                StatusCode::NOT_FOUND,
                "{v}"
            );
            // As a user name to create: refused by the name rule, stored nowhere.
            let r = c
                .post(
                    "/users",
                    &[
                        ("username", v),
                        ("display_name", v),
                        ("role", "village_doctor"),
                        ("region", "130624100200"),
                        ("password", "Village-doc-2026"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{v}");
        }
        // Text with metacharacters is stored and shown as text.
        let r = c
            .post(
                "/users",
                &[
                    ("username", "doc_quote"),
                    ("display_name", "O'Brien\"; --%_"),
                    ("role", "village_doctor"),
                    ("region", "130624100200"),
                    ("password", "Village-doc-2026"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let u = jianfu_store::accounts::user_by_name(&mut t.db.read().await.unwrap(), "doc_quote")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.display_name, "O'Brien\"; --%_");
        let page = c.get("/users/doc_quote").await;
        assert!(page.body.contains("O'Brien&quot;; --%_"), "{}", page.body);
        // Everything is still there.
        assert_eq!(
            jianfu_store::accounts::users_in(
                &mut t.db.read().await.unwrap(),
                &jianfu_domain::Scope::NATIONAL
            )
            .await
            .unwrap()
            .len(),
            5
        );
        let mut d = Client::new(&app);
        assert_eq!(
            d.login("doc_fuping", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let found = a
            .get("/api/v1/audit?user=doc_fuping&action=login")
            .await
            .json();
        assert_eq!(found["total"], 1);
    }
}

fn support_encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
