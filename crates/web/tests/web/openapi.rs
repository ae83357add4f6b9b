//! The OpenAPI document: valid shape, every documented path routed, the
//! router's API routes and the document's paths the same on both sides,
//! and real answers valid against the documented schemas.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use jianfu_domain::Role;
use jianfu_store::{Db, testing};
use serde_json::{Value, json};

use crate::support::{Answer, Client, add_user, app, enc};

/// A documented path with its parameters filled with values that exist
/// nowhere.
fn concrete(path: &str) -> String {
    path.replace("{county}", "999999")
        .replace("{no}", "none")
        .replace("{k}", "1")
        .replace("{id}", "0")
        .replace("{job}", "0")
        .replace("{username}", "nobody-here")
        .replace("{household}", "none")
        .replace("{year}", "2024")
        .replace("{rule}", "R2")
}

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
        let concrete = concrete(path);
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

/// The `/api/v1` paths the router serves. axum has no way to list its
/// routes but its `Debug` output, which names every route's path.
fn routed_api_paths(app: &Router) -> BTreeSet<String> {
    format!("{app:?}")
        .split('"')
        .filter(|s| s.starts_with("/api/v1"))
        .map(str::to_string)
        .collect()
}

/// A request with the client's cookies and anti-forgery header.
fn request(c: &Client, method: Method, uri: &str) -> Request<Body> {
    let cookie = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", c.csrf.clone())
        .body(Body::from("{}"))
        .unwrap()
}

#[tokio::test]
async fn routes_and_document_agree() {
    let t = testing::sqlite().await;
    add_user(&t.db, "national", Role::NationalAdmin, "national").await;
    let app = app(&t.db);
    let doc = jianfu_web::api::document();
    let doc = serde_json::to_value(&doc).unwrap();
    assert_eq!(doc, Client::new(&app).get("/api/openapi.json").await.json());
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    let routed = routed_api_paths(&app);
    assert!(
        routed.len() >= 5,
        "no routes found in the router's Debug output"
    );
    assert_eq!(routed, documented, "routed (left) and documented (right)");
    // Each path answers exactly its documented methods; the others are
    // 405. Sign-out last, and on each path the documented methods after
    // the others: signing out ends the session, and the sign-in
    // middleware answers 401 before the router could answer 405.
    let mut order: Vec<_> = paths.iter().collect();
    order.sort_by_key(|(p, _)| p.as_str() == "/api/v1/session/end");
    let mut c = Client::signed_in(&app, "national").await;
    for (path, item) in order {
        let mut methods = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ]
        .map(|m| (item.get(m.as_str().to_lowercase()).is_some(), m));
        methods.sort_by_key(|(documented, _)| *documented);
        for (documented, method) in methods {
            let a = c.send(request(&c, method.clone(), &concrete(path))).await;
            let allowed = a.status != StatusCode::METHOD_NOT_ALLOWED;
            assert_eq!(allowed, documented, "{method} {path}: {}", a.status);
        }
    }
}

#[test]
fn operations_are_complete() {
    let doc = serde_json::to_value(jianfu_web::api::document()).unwrap();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(op["summary"].is_string(), "{at}: summary");
            assert!(ids.insert(op["operationId"].as_str().unwrap()), "{at}");
            for t in op["tags"].as_array().unwrap() {
                assert!(tags.contains(t.as_str().unwrap()), "{at}: tag {t}");
            }
            // Every parameter in the path template is documented.
            let params: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(params, in_path, "{at}");
            let ok = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .any(|s| s.starts_with('2'));
            assert!(ok, "{at}: no success answer");
        }
    }
}

#[test]
fn security_and_error_codes_as_documented_before() {
    let doc = serde_json::to_value(jianfu_web::api::document()).unwrap();
    // The sign-in needs no caller; everything else takes either way.
    let sign_in = &doc["paths"]["/api/v1/session"]["post"];
    assert_eq!(sign_in["security"], json!([]));
    assert_eq!(doc["security"], json!([{ "session": [] }, { "token": [] }]));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "jianfu_session");
    assert_eq!(schemes["token"]["scheme"], "bearer");
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    assert_eq!(
        codes,
        &json!([
            "unauthorized",
            "forbidden",
            "not_found",
            "csrf",
            "throttled",
            "bad_request",
            "invalid",
            "conflict",
            "too_large",
            "password_change_required",
            "method_not_allowed",
            "timeout",
            "unsupported_media_type",
            "internal"
        ])
    );
}

/// The schema of the JSON answer `status` of `method path`, resolved
/// against the document's components, as a standalone JSON Schema.
fn answer_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let mut answer = &doc["paths"][path][method]["responses"][status.to_string()];
    if let Some(r) = answer["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        answer = &doc["components"]["responses"][name];
    }
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path} {status}: no schema");
    let mut components = doc["components"].clone();
    forbid_undocumented(&mut components);
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": components,
    });
    root.as_object_mut()
        .unwrap()
        .extend(schema.as_object().unwrap().clone());
    root
}

/// Makes every documented object refuse fields the document does not
/// name, so an answer that grew a field fails until the document does.
///
/// A part of an `allOf` (a flattened struct) cannot refuse the other
/// parts' fields itself, so the `allOf` refuses them for it; a schema
/// used as such a part is left open everywhere.
fn forbid_undocumented(components: &mut Value) {
    let mut parts = BTreeSet::new();
    all_of_parts(components, &mut parts);
    for (name, schema) in components["schemas"].as_object_mut().unwrap() {
        let open = parts.contains(&format!("#/components/schemas/{name}"));
        close(schema, !open);
    }
}

/// The `$ref`s used directly as parts of an `allOf`.
fn all_of_parts(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            for part in o
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(r) = part["$ref"].as_str() {
                    out.insert(r.to_string());
                }
            }
            o.values().for_each(|c| all_of_parts(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| all_of_parts(c, out)),
        _ => {}
    }
}

fn close(v: &mut Value, this: bool) {
    match v {
        Value::Object(o) => {
            let object = o.contains_key("properties") || o.contains_key("allOf");
            if this && object && !o.contains_key("additionalProperties") {
                o.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            for (k, c) in o.iter_mut() {
                match (k.as_str(), c) {
                    ("allOf", Value::Array(parts)) => {
                        parts.iter_mut().for_each(|p| close(p, false))
                    }
                    (_, c) => close(c, true),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| close(c, true)),
        _ => {}
    }
}

/// What is wrong with `body` as the answer `status` of `method path`.
fn schema_errors(doc: &Value, method: &str, path: &str, status: u16, body: &Value) -> Vec<String> {
    let schema = answer_schema(doc, method, path, status);
    let validator = jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|e| panic!("{method} {path}: schema: {e}"));
    validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Checks an answer against the document.
pub(crate) fn check(doc: &Value, method: &str, path: &str, a: &Answer) {
    let body = a.json();
    let errors = schema_errors(doc, method, path, a.status.as_u16(), &body);
    assert!(
        errors.is_empty(),
        "{method} {path} {}: {errors:?}\n{body:#}",
        a.status
    );
}

#[test]
fn the_check_refuses_what_the_document_does_not_say() {
    let doc = serde_json::to_value(jianfu_web::api::document()).unwrap();
    let errors = |body: &Value| schema_errors(&doc, "get", "/api/v1/policies/{id}", 200, body);
    let good = json!({ "id": 1, "name": "p", "region_prefix": "13", "valid_from": "2024-01-01",
        "valid_to": "2024-12-31", "loaded_at": "2024-01-01T00:00:00Z", "loaded_by": "x",
        "source": "name = 'p'" });
    assert_eq!(errors(&good), Vec::<String>::new());
    let mut extra = good.clone();
    extra["surprise"] = json!(1);
    assert!(!errors(&extra).is_empty(), "an undocumented field");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("source");
    assert!(!errors(&missing).is_empty(), "a missing field");
    let mut wrong = good;
    wrong["id"] = json!("1");
    assert!(!errors(&wrong).is_empty(), "a field of the wrong type");
    let envelope = json!({ "error": { "code": "nope", "message": "m", "details": [] } });
    let e = schema_errors(&doc, "get", "/api/v1/me", 401, &envelope);
    assert!(!e.is_empty(), "an unknown error code");
}

/// Waits for an import job to finish; its last status.
async fn finished(c: &mut Client, job: &str) -> Answer {
    for _ in 0..300 {
        let a = c.get(&format!("/api/v1/imports/{job}")).await;
        if a.json()["status"] != "running" {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import {job} did not finish");
}

async fn check_registry(doc: &Value, c: &mut Client, db: &Db) {
    let a = c.get("/api/v1/dashboard?region=130624").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    check(doc, "get", "/api/v1/dashboard", &a);
    let mut tx = db.read().await.unwrap();
    let claims = jianfu_store::claims::claims_of_year(&mut tx, "130624", 2024)
        .await
        .unwrap();
    let p = jianfu_store::registry::person(&mut tx, "130624", &claims[0].person_id)
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    let a = c
        .get(&format!("/api/v1/persons?id_number={}", p.id_number))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    check(doc, "get", "/api/v1/persons", &a);
    let hit = &a.json()["items"][0];
    let a = c.get(hit["household"].as_str().unwrap()).await;
    check(doc, "get", "/api/v1/households/{county}/{no}", &a);
    let person = hit["person"].as_str().unwrap();
    let a = c.get(person).await;
    assert!(
        !a.json()["claims"].as_array().unwrap().is_empty(),
        "{}",
        a.body
    );
    check(doc, "get", "/api/v1/persons/{county}/{no}/{person}", &a);
    let unmask = format!("{person}/unmask");
    let a = c.post_json(&unmask, &json!({ "reason": "核对" })).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    check(
        doc,
        "post",
        "/api/v1/persons/{county}/{no}/{person}/unmask",
        &a,
    );
}

async fn check_policies(doc: &Value, c: &mut Client) {
    let a = c.get("/api/v1/policies").await;
    check(doc, "get", "/api/v1/policies", &a);
    let id = a.json()[0]["id"].as_i64().unwrap();
    let a = c.get(&format!("/api/v1/policies/{id}")).await;
    check(doc, "get", "/api/v1/policies/{id}", &a);
    let source = a.json()["source"].as_str().unwrap().to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/policies")
        .header(
            header::COOKIE,
            format!("jianfu_session={}", c.cookies["jianfu_session"]),
        )
        .header("x-csrf-token", c.csrf.clone())
        .header(header::CONTENT_TYPE, "application/toml")
        .body(Body::from(source))
        .unwrap();
    let a = c.send(req).await;
    assert_eq!(a.json()["existed"], true, "{}", a.body);
    check(doc, "post", "/api/v1/policies", &a);
}

async fn check_users(doc: &Value, c: &mut Client) {
    let a = c.get("/api/v1/users?sort=created&dir=desc").await;
    check(doc, "get", "/api/v1/users", &a);
    let new = json!({ "username": "doc-new", "display_name": "新用户", "role": "county_admin",
                      "region": "130624", "password": "Initial-pass-2026" });
    let a = c.post_json("/api/v1/users", &new).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    check(doc, "post", "/api/v1/users", &a);
    let a = c.post_json("/api/v1/users", &new).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    check(doc, "post", "/api/v1/users", &a);
    for op in ["disable", "enable", "reset-password"] {
        let a = c
            .post_json(&format!("/api/v1/users/doc-new/{op}"), &json!({}))
            .await;
        check(doc, "post", &format!("/api/v1/users/{{username}}/{op}"), &a);
    }
    let a = c.get("/api/v1/users/nobody-here").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    check(doc, "get", "/api/v1/users/{username}", &a);
    let a = c.get("/api/v1/audit?action=unmask").await;
    assert_eq!(a.json()["total"], 1, "{}", a.body);
    check(doc, "get", "/api/v1/audit", &a);
}

async fn check_imports(doc: &Value, c: &mut Client) {
    let file = crate::imports::persons(&[crate::imports::H1_HEAD, crate::imports::BAD_ID]);
    let a = c
        .upload(
            "/api/v1/imports",
            &[("kind", "persons"), ("mode", "skip")],
            ("file", "doc.csv", &file),
        )
        .await;
    check(doc, "post", "/api/v1/imports", &a);
    let job = a.json()["job"].as_str().unwrap().to_string();
    let a = finished(c, &job).await;
    assert_eq!(
        a.json()["problems"].as_array().unwrap().len(),
        1,
        "{}",
        a.body
    );
    check(doc, "get", "/api/v1/imports/{job}", &a);
}

#[tokio::test]
async fn answers_match_their_documented_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let opts = jianfu_synth::GenerateOptions {
        county: "130624".into(),
        persons: 300,
        seed: 5,
        ..Default::default()
    };
    jianfu_synth::generate(&opts, dir.path(), &mut |_| {}).unwrap();
    let doc = serde_json::to_value(jianfu_web::api::document()).unwrap();
    for t in testing::all().await {
        crate::people::load(&t.db, dir.path()).await;
        add_user(&t.db, "national", Role::NationalAdmin, "national").await;
        let app = app(&t.db);
        // Signing in through the API.
        let mut c = Client::new(&app);
        let creds = json!({ "username": "national", "password": crate::support::PASSWORD });
        let a = c.post_json("/api/v1/session", &creds).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        check(&doc, "post", "/api/v1/session", &a);
        c.csrf = a.json()["csrf_token"].as_str().unwrap().to_string();
        let a = c.get("/api/v1/me").await;
        check(&doc, "get", "/api/v1/me", &a);
        check_registry(&doc, &mut c, &t.db).await;
        check_policies(&doc, &mut c).await;
        check_users(&doc, &mut c).await;
        check_imports(&doc, &mut c).await;
        // An error answer: the envelope.
        let a = c
            .get(&format!("/api/v1/persons?village={}", enc("x")))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        check(&doc, "get", "/api/v1/persons", &a);
        let a = c.post_json("/api/v1/session/end", &json!({})).await;
        check(&doc, "post", "/api/v1/session/end", &a);
        let a = c.get("/api/v1/me").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        check(&doc, "get", "/api/v1/me", &a);
    }
}
