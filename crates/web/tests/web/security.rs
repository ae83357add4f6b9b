//! Security of sign-in and sessions through the real router, on both
//! engines: anti-forgery tokens, session fixation, throttling, cookie
//! flags, revocation, API tokens, headers, and hostile input.

use axum::http::StatusCode;
use jianfu_domain::Role;
use jianfu_service::accounts::{self, Actor};
use jianfu_service::{App, clock::SettableClock};
use jianfu_store::testing;

use crate::support;
use crate::support::{Client, PASSWORD, add_user, app};

#[tokio::test]
async fn signed_out_callers_are_sent_to_sign_in_or_refused() {
    for t in testing::all().await {
        let app = app(&t.db);
        let mut c = Client::new(&app);
        let a = c.get("/account").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), Some("/login?next=/account"));
        let a = c.get("/api/v1/me").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.json()["error"]["code"], "unauthorized");
        // A made-up session cookie is nobody.
        c.cookies.insert("jianfu_session".into(), "0".repeat(64));
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let a = c.get("/api/v1/nothing-here").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert_eq!(a.json()["error"]["code"], "not_found");
    }
}

#[tokio::test]
async fn state_changes_need_the_session_token() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let app = app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        // No token, a wrong token, a token in the wrong place: refused, and
        // the session survives (sign-out did not happen).
        let a = c.post_raw("/logout", &[]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        let a = c.post_raw("/logout", &[("_csrf", &"a".repeat(64))]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = c
            .post_raw(
                "/account/tokens",
                &[("label", "x"), ("csrf", &c.csrf.clone())],
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let saved = c.csrf.clone();
        c.csrf = "b".repeat(64);
        let a = c
            .post_json("/api/v1/session/end", &serde_json::json!({}))
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(a.json()["error"]["code"], "csrf");
        c.csrf = saved;
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::OK);
        // With the token it works.
        let a = c.post("/logout", &[]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn sign_in_form_needs_its_own_token() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let app = app(&t.db);
        // A cross-site form post has neither the cookie nor the field.
        let mut c = Client::new(&app);
        let a = c
            .post_raw("/login", &[("username", "county"), ("password", PASSWORD)])
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert!(!c.cookies.contains_key("jianfu_session"));
    }
}

#[tokio::test]
async fn sign_in_replaces_any_planted_session() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        add_user(&t.db, "doctor", Role::VillageDoctor, "130624100200").await;
        let app = app(&t.db);
        // An attacker's own valid session planted in the victim's browser.
        let attacker = Client::signed_in(&app, "doctor").await;
        let planted = attacker.cookies["jianfu_session"].clone();
        let mut victim = Client::new(&app);
        victim
            .cookies
            .insert("jianfu_session".into(), planted.clone());
        let a = victim.login("county", PASSWORD).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let fresh = victim.cookies["jianfu_session"].clone();
        assert_ne!(fresh, planted, "sign-in issues a new session id");
        victim.refresh_csrf().await;
        assert_eq!(victim.get("/api/v1/me").await.json()["username"], "county");
        // The planted id is dead: it no longer reaches anyone.
        let mut old = Client::new(&app);
        old.cookies.insert("jianfu_session".into(), planted);
        assert_eq!(old.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        // Cookie flags.
        let mut c = Client::new(&app);
        let a = c.login("county", PASSWORD).await;
        let set: Vec<&str> = a
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .filter(|v| v.starts_with("jianfu_session="))
            .collect();
        assert_eq!(set.len(), 1);
        for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(set[0].contains(flag), "{flag} in {}", set[0]);
        }
        // The session is stored as a hash, never as the cookie value.
        let token = &c.cookies["jianfu_session"];
        assert!(
            jianfu_store::accounts::session(
                &mut t.db.read().await.unwrap(),
                token,
                chrono::Utc::now()
            )
            .await
            .unwrap()
            .is_none()
        );
    }
}

/// A session lives by the use cases' clock: each request within the idle
/// limit slides it, and once the clock passes the limit it is over.
#[tokio::test]
async fn sessions_expire_by_the_clock() {
    use chrono::{TimeDelta, TimeZone, Utc};
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let clock = SettableClock::at(Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap());
        let state =
            jianfu_web::AppState::with_app(App::with_clock(t.db.clone(), clock.clone()), true);
        let app = jianfu_web::router(state);
        let mut c = Client::signed_in(&app, "county").await;
        let almost = accounts::SESSION_IDLE - TimeDelta::minutes(1);
        clock.advance(almost);
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::OK);
        clock.advance(almost);
        assert_eq!(
            c.get("/api/v1/me").await.status,
            StatusCode::OK,
            "the last request slid the expiry"
        );
        clock.advance(accounts::SESSION_IDLE + TimeDelta::seconds(1));
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let page = c.get("/").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), Some("/login"));
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_name() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let app = app(&t.db);
        let mut c = Client::new(&app);
        for _ in 0..accounts::FREE_FAILURES_PER_USER_AT_CLIENT {
            let a = c.login("county", "Wrong-password-1").await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED);
            assert!(a.body.contains("用户名或密码错误"));
        }
        // Now even the right password is refused for the window.
        let a = c.login("county", PASSWORD).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
        assert!(!c.cookies.contains_key("jianfu_session"));
        // The API answers the same way.
        let a = c
            .post_json(
                "/api/v1/session",
                &serde_json::json!({ "username": "county", "password": PASSWORD }),
            )
            .await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(a.json()["error"]["code"], "throttled");
        // Unknown names fail the same way as wrong passwords.
        let a = c.login("nobody", PASSWORD).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        // Every attempt is in the audit log.
        let (rows, _) = jianfu_store::audit::search(
            &mut t.db.read().await.unwrap(),
            &jianfu_domain::Scope::NATIONAL,
            &jianfu_store::AuditFilter::default(),
            0,
            100,
        )
        .await
        .unwrap();
        let failed = rows.iter().filter(|r| r.action == "login.failed").count();
        assert_eq!(
            failed as i64,
            accounts::FREE_FAILURES_PER_USER_AT_CLIENT + 1
        );
        assert!(rows.iter().any(|r| r.action == "login.throttled"));
    }
}

#[tokio::test]
async fn password_change_and_disabling_end_sessions() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let app = app(&t.db);
        let mut phone = Client::signed_in(&app, "county").await;
        let mut desk = Client::signed_in(&app, "county").await;
        let a = desk
            .post(
                "/account/password",
                &[
                    ("old", PASSWORD),
                    ("new", "New-password-77"),
                    ("again", "New-password-77"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        // The other session is revoked; the changing browser got a new one.
        assert_eq!(
            phone.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(desk.get("/api/v1/me").await.status, StatusCode::OK);
        assert_eq!(
            Client::new(&app).login("county", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        // A weak new password is refused with the reason.
        desk.refresh_csrf().await;
        let a = desk
            .post(
                "/account/password",
                &[
                    ("old", "New-password-77"),
                    ("new", "short"),
                    ("again", "short"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert!(a.body.contains("至少10个字符"));
        // Disabling ends the session at once.
        accounts::set_disabled(
            &App::new(t.db.clone()),
            &Actor::command_line(),
            "county",
            true,
        )
        .await
        .unwrap();
        assert_eq!(
            desk.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn api_tokens_work_without_csrf_and_die_with_the_user() {
    for t in testing::all().await {
        add_user(&t.db, "insurer", Role::InsuranceOfficer, "130624").await;
        let app = app(&t.db);
        let mut c = Client::signed_in(&app, "insurer").await;
        let a = c.post("/account/tokens", &[("label", "对账脚本")]).await;
        assert_eq!(a.status, StatusCode::OK);
        let token = support::text_of(&a.body, "api-token").expect("token shown once");
        let bearer = |uri: &str| {
            axum::http::Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let mut api = Client::new(&app);
        let a = api.send(bearer("/api/v1/me")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.json()["role"], "insurance_officer");
        assert_eq!(a.json()["csrf_token"], "");
        accounts::set_disabled(
            &App::new(t.db.clone()),
            &Actor::command_line(),
            "insurer",
            true,
        )
        .await
        .unwrap();
        assert_eq!(
            api.send(bearer("/api/v1/me")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn pages_carry_protective_headers_and_escape_input() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let app = app(&t.db);
        let mut c = Client::new(&app);
        let a = c.get("/login?next=//evil.example/").await;
        for (h, v) in [
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(a.headers.get(h).unwrap(), v);
        }
        assert!(a.headers.get("content-security-policy").is_some());
        // No open redirect after sign-in.
        assert!(!a.body.contains("evil.example"));
        // Hostile user names are text, not SQL or markup.
        for name in [
            "' OR '1'='1",
            "county'--",
            "\"; DROP TABLE users; --",
            "<script>x</script>",
            "%",
            "_",
        ] {
            let a = c.login(name, PASSWORD).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{name}");
            assert!(!a.body.contains("<script>x"));
        }
        assert_eq!(
            jianfu_store::accounts::user_count(&mut t.db.read().await.unwrap())
                .await
                .unwrap(),
            1
        );
    }
}
