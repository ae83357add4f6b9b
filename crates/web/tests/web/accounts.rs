//! Accounts that lock out attackers and not users: a reset revokes API
//! tokens, a reset password blocks the API too, wrong passwords slow the
//! address that sends them (with growing waits, lifted by an
//! administrator), and `X-Forwarded-For` counts only from a trusted proxy.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeDelta, TimeZone, Utc};
use jianfu_domain::{Role, Scope};
use jianfu_service::accounts::{self, Actor};
use jianfu_service::{App, clock::SettableClock};
use jianfu_store::{AuditFilter, Db, testing};
use serde_json::json;

use crate::support::{self, Client, PASSWORD, add_user, app};

fn bearer(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// A reset by an administrator revokes the API tokens the old password
/// issued, not only the sessions.
#[tokio::test]
async fn a_reset_revokes_api_tokens() {
    for t in testing::all().await {
        add_user(&t.db, "insurer", Role::InsuranceOfficer, "130624").await;
        let app = app(&t.db);
        let mut c = Client::signed_in(&app, "insurer").await;
        let a = c.post("/account/tokens", &[("label", "对账脚本")]).await;
        let token = support::text_of(&a.body, "api-token").expect("token shown once");
        let mut api = Client::new(&app);
        assert_eq!(
            api.send(bearer("/api/v1/me", &token)).await.status,
            StatusCode::OK
        );
        let app_ctx = App::new(t.db.clone());
        accounts::reset_password(
            &app_ctx,
            &Actor::command_line(),
            "insurer",
            "Temp-pass-2026x",
        )
        .await
        .unwrap();
        let a = api.send(bearer("/api/v1/me", &token)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
}

/// The temporary password the administrator saw signs in, but through
/// the API it reads nothing until it is changed.
#[tokio::test]
async fn a_reset_password_must_be_changed_before_the_api_answers() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let temp = "Temp-pass-2026x";
        let app_ctx = App::new(t.db.clone());
        accounts::reset_password(&app_ctx, &Actor::command_line(), "county", temp)
            .await
            .unwrap();
        let app = app(&t.db);
        let mut c = Client::new(&app);
        let body = json!({ "username": "county", "password": temp });
        let a = c.post_json("/api/v1/session", &body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.json()["must_change_password"], true);
        c.csrf = a.json()["csrf_token"].as_str().unwrap().to_string();
        for uri in [
            "/api/v1/persons?county=130624",
            "/api/v1/users",
            "/api/v1/audit",
        ] {
            let a = c.get(uri).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{uri}: {}", a.body);
            assert_eq!(a.json()["error"]["code"], "password_change_required");
        }
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::OK);
        let change = json!({ "old": temp, "new": "Own-secret-2026" });
        let a = c.post_json("/api/v1/me/password", &change).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.json()["must_change_password"], false);
        c.csrf = a.json()["csrf_token"].as_str().unwrap().to_string();
        let a = c.get("/api/v1/users").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
}

fn at(ip: &str) -> Option<SocketAddr> {
    Some(SocketAddr::new(ip.parse().unwrap(), 40000))
}

async fn login_status(app: &axum::Router, peer: &str, password: &str) -> StatusCode {
    let mut c = Client::new(app);
    c.peer = at(peer);
    c.login("county", password).await.status
}

/// Wrong passwords from one address make that address wait, longer each
/// time; the owner at their own address signs in meanwhile; an
/// administrator's unlock lifts the wait.
#[tokio::test]
async fn guessing_slows_the_guesser_not_the_owner() {
    for t in testing::all().await {
        add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
        let clock = SettableClock::at(Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap());
        let ctx = App::with_clock(t.db.clone(), clock.clone());
        let app = jianfu_web::router(jianfu_web::AppState::with_app(ctx.clone(), true));
        let attacker = "203.0.113.66";
        let wrong = "Wrong-password-1";
        for _ in 0..accounts::FREE_FAILURES_PER_USER_AT_CLIENT {
            assert_eq!(
                login_status(&app, attacker, wrong).await,
                StatusCode::UNAUTHORIZED
            );
        }
        // The attacker's address now waits a minute, even with the right
        // password; the owner at the office does not.
        let refused = login_status(&app, attacker, PASSWORD).await;
        assert_eq!(refused, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            login_status(&app, "198.51.100.10", PASSWORD).await,
            StatusCode::SEE_OTHER
        );
        // After the minute one more guess, then two minutes, then four.
        for wait in [1, 2, 4] {
            clock.advance(TimeDelta::seconds(wait * 60 - 5));
            assert_eq!(
                login_status(&app, attacker, wrong).await,
                StatusCode::TOO_MANY_REQUESTS,
                "still within {wait} min"
            );
            clock.advance(TimeDelta::seconds(6));
            assert_eq!(
                login_status(&app, attacker, wrong).await,
                StatusCode::UNAUTHORIZED
            );
        }
        // The administrator's unlock forgets the failures.
        assert_eq!(
            login_status(&app, attacker, PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        let gone = accounts::unlock(&ctx, &Actor::command_line(), "county")
            .await
            .unwrap();
        assert!(gone >= 8, "{gone}");
        assert_eq!(
            login_status(&app, attacker, PASSWORD).await,
            StatusCode::SEE_OTHER
        );
        assert!(audit_ips(&t.db, "user.unlock").await.len() == 1);
    }
}

async fn audit_ips(db: &Db, action: &str) -> Vec<Option<String>> {
    let (rows, _) = jianfu_store::audit::search(
        &mut db.read().await.unwrap(),
        &Scope::NATIONAL,
        &AuditFilter::default(),
        0,
        200,
    )
    .await
    .unwrap();
    rows.into_iter()
        .filter(|r| r.action == action)
        .map(|r| r.client_ip)
        .collect()
}

/// Behind a configured proxy each client has its own address (and so its
/// own counter); a forged header from anyone else changes nothing.
#[tokio::test]
async fn forwarded_for_is_believed_from_trusted_proxies_only() {
    let t = testing::sqlite().await;
    add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
    let state = jianfu_web::AppState::new(t.db.clone(), true)
        .with_trusted_proxies(vec!["127.0.0.1/32".parse().unwrap()]);
    let app = jianfu_web::router(state);
    let mut via_proxy = Client::new(&app);
    via_proxy.peer = at("127.0.0.1");
    via_proxy.forwarded_for = Some("10.9.8.7, 203.0.113.5".into());
    assert_eq!(
        via_proxy.login("county", "Wrong-password-1").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut forger = Client::new(&app);
    forger.peer = at("198.51.100.20");
    forger.forwarded_for = Some("203.0.113.99".into());
    assert_eq!(
        forger.login("county", "Wrong-password-1").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut ips = audit_ips(&t.db, "login.failed").await;
    ips.sort();
    assert_eq!(
        ips,
        vec![
            Some("198.51.100.20".to_string()),
            Some("203.0.113.5".to_string())
        ]
    );
    // Many clients behind the proxy: one client's failures never make
    // another wait.
    for _ in 0..accounts::FREE_FAILURES_PER_USER_AT_CLIENT {
        via_proxy.login("county", "Wrong-password-1").await;
    }
    assert_eq!(
        via_proxy.login("county", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut colleague = Client::new(&app);
    colleague.peer = at("127.0.0.1");
    colleague.forwarded_for = Some("203.0.113.6".into());
    assert_eq!(
        colleague.login("county", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}
