//! Test support: the real router over a fresh database, users of each
//! role, and a cookie-keeping client that signs in through the real form.
#![allow(dead_code)]

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use jianfu_domain::{Role, Scope};
use jianfu_service::App;
use jianfu_service::accounts::{self, Actor, NewAccount};
use jianfu_service::jobs::WorkerConfig;
use jianfu_store::Db;
use jianfu_web::{AppState, router};
use tower::ServiceExt;

/// Password of every test user.
pub const PASSWORD: &str = "Test-password-2026";

/// Creates a user.
pub async fn add_user(db: &Db, username: &str, role: Role, scope: &str) {
    let new = NewAccount {
        username: username.into(),
        display_name: format!("{username} 测试"),
        role,
        scope: Scope::parse(scope).unwrap(),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    accounts::add_user(&App::new(db.clone()), &Actor::command_line(), &new)
        .await
        .unwrap();
}

/// The router with secure cookies, as served in production, with its job
/// worker running beside it (as `jianfu serve` runs one).
pub fn app(db: &Db) -> Router {
    let state = AppState::new(db.clone(), true);
    start_worker(&state);
    router(state)
}

/// The router without a worker: uploads are queued, nothing runs them.
pub fn app_without_worker(db: &Db) -> Router {
    router(AppState::new(db.clone(), true))
}

/// Runs `state`'s job worker until the test's runtime ends.
pub fn start_worker(state: &AppState) {
    let config = WorkerConfig {
        poll: std::time::Duration::from_millis(100),
        ..WorkerConfig::default()
    };
    let worker = state.worker(config).expect("a worker");
    tokio::spawn(async move { worker.run(std::future::pending()).await });
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text.
    pub body: String,
    /// Body bytes.
    pub bytes: Vec<u8>,
}

impl Answer {
    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// The JSON body.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// A browser-like client: keeps cookies, finds the anti-forgery token.
pub struct Client {
    /// The application.
    pub app: Router,
    /// Cookies by name.
    pub cookies: HashMap<String, String>,
    /// The session's anti-forgery token, once signed in.
    pub csrf: String,
    /// The peer address the server sees (none: as in-process tests do).
    pub peer: Option<std::net::SocketAddr>,
    /// An `X-Forwarded-For` header sent with every request.
    pub forwarded_for: Option<String>,
}

impl Client {
    /// A client without cookies.
    pub fn new(app: &Router) -> Client {
        Client {
            app: app.clone(),
            cookies: HashMap::new(),
            csrf: String::new(),
            peer: None,
            forwarded_for: None,
        }
    }

    /// A client signed in as `username` through the sign-in form.
    pub async fn signed_in(app: &Router, username: &str) -> Client {
        let mut c = Client::new(app);
        let a = c.login(username, PASSWORD).await;
        assert_eq!(
            a.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}: {}",
            a.body
        );
        c.refresh_csrf().await;
        c
    }

    /// Signs in through the form (GET for the token, then POST).
    pub async fn login(&mut self, username: &str, password: &str) -> Answer {
        let form = self.get("/login").await;
        let token = hidden(&form.body, "_csrf").expect("token on sign-in form");
        self.post_raw(
            "/login",
            &[
                ("_csrf", token.as_str()),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// Reads the session's anti-forgery token from the API.
    pub async fn refresh_csrf(&mut self) {
        let me = self.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        self.csrf = me.json()["csrf_token"].as_str().unwrap().to_string();
    }

    /// Sends a request with the cookies, keeping any set.
    pub async fn send(&mut self, mut req: Request<Body>) -> Answer {
        if let Some(peer) = self.peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        if let Some(f) = &self.forwarded_for {
            req.headers_mut()
                .insert("x-forwarded-for", f.parse().unwrap());
        }
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// A request builder carrying the cookies.
    pub fn request(&self, method: Method, uri: &str) -> axum::http::request::Builder {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut b = Request::builder().method(method).uri(uri);
        if !cookie.is_empty() {
            b = b.header(header::COOKIE, cookie);
        }
        b
    }

    /// GET.
    pub async fn get(&mut self, uri: &str) -> Answer {
        let req = self.request(Method::GET, uri).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// POST of a form with the session's anti-forgery token added.
    pub async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf.clone();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(uri, &all).await
    }

    /// POST of a form as given.
    pub async fn post_raw(&mut self, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = self
            .request(Method::POST, uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// POST of JSON with the anti-forgery header.
    pub async fn post_json(&mut self, uri: &str, json: &serde_json::Value) -> Answer {
        let req = self
            .request(Method::POST, uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", self.csrf.clone())
            .body(Body::from(json.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// POST of a multipart upload with the token in the query.
    pub async fn upload(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Answer {
        let boundary = "----jianfu-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        let (field, name, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let sep = if uri.contains('?') { '&' } else { '?' };
        let uri = format!("{uri}{sep}_csrf={}", self.csrf);
        let req = self
            .request(Method::POST, &uri)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

/// The value of the hidden input `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

/// The text inside the element with `id`.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find('<')?;
    Some(html[start..end].to_string())
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    jianfu_web::auth::encode(s)
}
