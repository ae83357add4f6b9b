//! Who is asking: sessions, API tokens, anti-forgery tokens and the
//! [`CurrentUser`] every handler for people data takes.
//!
//! One middleware runs in front of every protected route. It finds the
//! caller from the session cookie (browsers) or an `Authorization: Bearer`
//! token (API clients), refuses anyone else (a redirect to the sign-in page
//! for pages, the 401 envelope for the API), and for state-changing
//! requests made with a session it demands the session's anti-forgery
//! token in the `X-CSRF-Token` header, the `_csrf` form field or, for file
//! uploads, the `_csrf` query parameter. API tokens are not sent
//! automatically by browsers, so they need no anti-forgery token. The
//! cookies themselves are read and written by [`crate::cookies`].

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::{Permission, Role, Scope};
use jianfu_service::accounts::{self, Actor};
use jianfu_store::UserRow;

use crate::AppState;
use crate::cookies::{self, LANG_COOKIE, SESSION_COOKIE};
use crate::error::{ApiError, AppError, PageError};
use crate::i18n::Lang;

/// Largest urlencoded form body read to find its `_csrf` field.
const FORM_LIMIT: usize = 1 << 20;

/// The signed-in caller.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The stored user.
    pub user: UserRow,
    /// The same, as the actor of use cases and audit entries.
    pub actor: Actor,
    /// The session's anti-forgery token (empty for API-token clients).
    pub csrf: String,
    /// Page language.
    pub lang: Lang,
    /// Name of the bound region (全国 for national users).
    pub region_name: String,
}

impl CurrentUser {
    /// The caller's jurisdiction.
    pub fn scope(&self) -> &Scope {
        &self.actor.scope
    }

    /// The caller's role.
    pub fn role(&self) -> Role {
        self.actor.role
    }

    /// True when the caller's role has `p`.
    pub fn may(&self, p: Permission) -> bool {
        self.actor.may(p)
    }

    /// `Ok` when the caller's role has `p`, else the forbidden error.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// An audit entry of this caller doing `action` in `region`.
    pub fn audit(&self, action: &str, region: &str) -> jianfu_store::AuditEntry {
        self.actor.entry(action, region)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| refuse(parts.uri.path(), AppError::Unauthorized, lang))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(lang_of(&parts.headers))
    }
}

/// The language chosen by cookie, else Chinese.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookies::get(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .unwrap_or_default()
}

/// The client's address: the peer's, unless the peer is a configured
/// trusted proxy, in which case the nearest address in `X-Forwarded-For`
/// that is not itself a trusted proxy (entries further left were written
/// by the client and prove nothing).
pub fn client_ip(st: &AppState, req_ext: &axum::http::Extensions, headers: &HeaderMap) -> String {
    let Some(peer) = req_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return "unknown".to_string();
    };
    forwarded_client(peer, headers, &st.trusted_proxies).to_string()
}

fn forwarded_client(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A malformed hop ends the chain: the last sound one is kept.
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn refuse(path: &str, e: AppError, lang: Lang) -> Response {
    if is_api(path) {
        return ApiError(e).into_response();
    }
    if matches!(e, AppError::Unauthorized) {
        let next = if path == "/" {
            String::new()
        } else {
            format!("?next={}", encode(path))
        };
        return Redirect::to(&format!("/login{next}")).into_response();
    }
    PageError(e, lang).into_response()
}

/// Percent-encodes a path for a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The middleware in front of every protected route.
pub async fn require_user(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let lang = lang_of(req.headers());
    let ip = client_ip(&st, req.extensions(), req.headers());
    let found = match identify(&st, req.headers(), &ip, lang).await {
        Ok(f) => f,
        Err(e) => return refuse(&path, e, lang),
    };
    let Some(mut user) = found else {
        return refuse(&path, AppError::Unauthorized, lang);
    };
    if let Some(code) = user.scope().bound_region() {
        match st.regions.region(&st.db, code.as_str()).await {
            Ok(Some(r)) => user.region_name = r.name,
            Ok(None) => user.region_name = code.as_str().to_string(),
            Err(e) => return refuse(&path, e.into(), lang),
        }
    }
    let req = if is_unsafe(req.method()) && !user.csrf.is_empty() {
        match check_csrf(req, &user.csrf).await {
            Ok(req) => req,
            Err(e) => {
                tracing::warn!(path = %path, "request refused: anti-forgery token missing or wrong");
                return refuse(&path, e, lang);
            }
        }
    } else {
        req
    };
    // A reset password must be changed before anything else, through
    // the pages and the API alike (the administrator saw the temporary
    // one).
    if user.user.must_change_password && !may_before_password_change(&path) {
        if is_api(&path) {
            return ApiError(AppError::PasswordChangeRequired).into_response();
        }
        return Redirect::to("/account/password").into_response();
    }
    let mut req = req;
    req.extensions_mut().insert(user);
    next.run(req).await
}

async fn identify(
    st: &AppState,
    headers: &HeaderMap,
    ip: &str,
    lang: Lang,
) -> Result<Option<CurrentUser>, AppError> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        let user = accounts::token_user(&st.app, token).await?;
        return Ok(user.and_then(|u| current(u, String::new(), ip, lang)));
    }
    let Some(token) = cookies::get(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let found = accounts::resume_session(&st.app, token).await?;
    Ok(found.and_then(|(s, u)| current(u, s.csrf_token, ip, lang)))
}

fn current(user: UserRow, csrf: String, ip: &str, lang: Lang) -> Option<CurrentUser> {
    let actor = Actor::of(&user, Some(ip.to_string()))?;
    Some(CurrentUser {
        user,
        actor,
        csrf,
        lang,
        region_name: "全国".into(),
    })
}

/// What an account with a reset password may still reach: changing it,
/// signing out, and who it is.
fn may_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/account/password"
            | "/logout"
            | "/api/v1/me"
            | "/api/v1/me/password"
            | "/api/v1/session/end"
    )
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Finds the anti-forgery token of a state-changing request and compares
/// it with the session's; urlencoded bodies are read and handed on intact.
async fn check_csrf(req: Request, expected: &str) -> Result<Request, AppError> {
    let ok = |t: &str| same_secret(t, expected);
    if let Some(t) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if ok(t) { Ok(req) } else { Err(AppError::Csrf) };
    }
    if let Some(q) = req.uri().query() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
        if let Some((_, t)) = pairs.iter().find(|(k, _)| k == "_csrf") {
            return if ok(t) { Ok(req) } else { Err(AppError::Csrf) };
        }
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    match pairs.iter().find(|(k, _)| k == "_csrf") {
        Some((_, t)) if ok(t) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(AppError::Csrf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy = "10.1.2.3".parse().unwrap();
        let stranger = "198.51.100.7".parse().unwrap();
        // From a stranger the header is ignored.
        let h = xff("203.0.113.9");
        assert_eq!(forwarded_client(stranger, &h, &trusted), stranger);
        // From the proxy, the nearest untrusted hop is the client; what
        // the client itself wrote further left is not believed.
        let h = xff("1.2.3.4, 203.0.113.9, 10.9.9.9");
        let ip: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(forwarded_client(proxy, &h, &trusted), ip);
        // Without the header, or with garbage, the proxy itself.
        assert_eq!(forwarded_client(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(forwarded_client(proxy, &xff("not-an-ip"), &trusted), proxy);
        // Nothing trusted: the header never counts.
        assert_eq!(forwarded_client(proxy, &xff("203.0.113.9"), &[]), proxy);
    }
}
