//! Every failure of the API answers with the JSON envelope, whatever
//! refused it: a query string that does not parse, a number too large, a
//! method the path does not take, an unknown path, a wrong body type.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use jianfu_domain::Role;
use jianfu_store::testing;

use crate::support::{Answer, Client, add_user, app};

fn assert_envelope(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    let ct = a
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ct.starts_with("application/json"), "{ct}: {}", a.body);
    let v = a.json();
    assert_eq!(v["error"]["code"], code, "{}", a.body);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(v["error"]["details"].is_array());
}

#[tokio::test]
async fn every_api_failure_is_the_envelope() {
    let t = testing::sqlite().await;
    add_user(&t.db, "county", Role::CountyAdmin, "130624").await;
    let app = app(&t.db);
    let mut c = Client::signed_in(&app, "county").await;
    for uri in [
        "/api/v1/users?per=abc",
        "/api/v1/audit?per=99999999999999999999",
        "/api/v1/audit?from=yesterday",
        "/api/v1/persons?page=-1x",
    ] {
        let a = c.get(uri).await;
        assert_envelope(&a, StatusCode::BAD_REQUEST, "bad_request");
    }
    // A page number whose offset overflows is a page of nothing (found by
    // the API fuzzer: it once dropped the connection).
    for uri in [
        "/api/v1/users?page=184467440737095518",
        "/api/v1/audit?page=9223372036854775807&per=200",
        "/api/v1/persons?village=130624&page=9223372036854775807",
    ] {
        let a = c.get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
    }
    let a = c.get("/api/v1/no-such-thing").await;
    assert_envelope(&a, StatusCode::NOT_FOUND, "not_found");
    let req = c
        .request(Method::PATCH, "/api/v1/me")
        .header("x-csrf-token", c.csrf.clone())
        .body(Body::empty())
        .unwrap();
    let a = c.send(req).await;
    assert_envelope(&a, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(a.headers.contains_key(header::ALLOW), "405 keeps Allow");
    let req = c
        .request(Method::POST, "/api/v1/users")
        .header("x-csrf-token", c.csrf.clone())
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("username=x"))
        .unwrap();
    let a = c.send(req).await;
    assert!(a.status.is_client_error(), "{}", a.body);
    let v = a.json();
    assert!(v["error"]["code"].is_string(), "{}", a.body);
    // Pages keep their HTML error pages.
    let a = c.get("/no-such-page").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("<html"), "{}", a.body);
}
