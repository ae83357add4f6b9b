//! The application's cookies: their names, reading them from a request,
//! and the `Set-Cookie` values with the flags each carries, parsed and
//! written by the `cookie` crate.
//!
//! The session and the pre-sign-in anti-forgery cookie are
//! `HttpOnly; SameSite=Strict; Path=/` with a `Max-Age`, and `Secure`
//! unless the server was started for plain HTTP on a loopback address
//! ([`crate::AppState::secure_cookies`]); they are removed by sending them
//! empty with `Max-Age=0`. The language choice is the one exception: it
//! holds nothing secret and must follow links from other sites, so it is
//! `SameSite=Lax` and not `HttpOnly`.

use axum::http::{HeaderMap, header};
use cookie::time::Duration;
use cookie::{Cookie, SameSite};

use crate::i18n::Lang;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "jianfu_session";
/// Name of the pre-sign-in anti-forgery cookie.
pub const LOGIN_COOKIE: &str = "jianfu_login";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "jianfu_lang";
/// How long the language choice is remembered: a year.
const LANG_MAX_AGE: Duration = Duration::days(365);

/// The value of cookie `name` in the request's `Cookie` headers (the
/// first one when sent twice); malformed pairs are skipped.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        // Borrowed from the header, so it outlives the parsed cookie.
        .and_then(|c| c.value_raw())
}

/// A `Set-Cookie` value for a strict cookie (the session, the sign-in
/// form's anti-forgery token) kept for `max_age_secs` seconds.
pub fn strict(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(max_age_secs))
        .secure(secure)
        .build()
        .to_string()
}

/// A `Set-Cookie` value that removes the strict cookie `name`: empty, with
/// `Max-Age=0` (no `Expires`, as before the crate was used).
pub fn removal(name: &str, secure: bool) -> String {
    strict(name, "", 0, secure)
}

/// A `Set-Cookie` value remembering the language for a year.
pub fn language(lang: Lang, secure: bool) -> String {
    Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(LANG_MAX_AGE)
        .secure(secure)
        .build()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parsed(set_cookie: &str) -> Cookie<'_> {
        Cookie::parse(set_cookie).expect("a valid Set-Cookie value")
    }

    #[test]
    fn strict_cookies_carry_every_flag() {
        let v = strict(SESSION_COOKIE, "abc123", 28_800, true);
        let c = parsed(&v);
        assert_eq!(c.name_value(), ("jianfu_session", "abc123"));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.max_age(), Some(Duration::seconds(28_800)));
        assert!(c.expires().is_none(), "{v}");
        for flag in [
            "jianfu_session=abc123",
            "; HttpOnly",
            "; SameSite=Strict",
            "; Secure",
            "; Path=/",
            "; Max-Age=28800",
        ] {
            assert!(v.contains(flag), "{flag} in {v}");
        }
    }

    #[test]
    fn insecure_cookies_drop_only_secure() {
        let v = strict(LOGIN_COOKIE, "t", 3600, false);
        assert!(!v.contains("Secure"), "{v}");
        let c = parsed(&v);
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(c.max_age(), Some(Duration::seconds(3600)));
    }

    #[test]
    fn removal_is_empty_with_max_age_zero() {
        let v = removal(SESSION_COOKIE, true);
        assert!(v.starts_with("jianfu_session=;"), "{v}");
        assert!(v.contains("; Max-Age=0"), "{v}");
        assert!(!v.contains("Expires"), "{v}");
        let c = parsed(&v);
        assert_eq!(c.value(), "");
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.secure(), Some(true));
    }

    #[test]
    fn language_cookie_is_lax_and_readable_by_pages() {
        let v = language(Lang::En, true);
        let c = parsed(&v);
        assert_eq!(c.name_value(), ("jianfu_lang", "en"));
        assert_eq!(c.http_only(), None);
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(c.max_age(), Some(Duration::seconds(31_536_000)));
        assert_eq!(c.secure(), Some(true));
        assert!(!language(Lang::Zh, false).contains("Secure"));
    }

    #[test]
    fn reads_the_named_cookie_from_every_header() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; broken; b = 2 "),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("jianfu_session=s=x"),
        );
        assert_eq!(get(&h, "a"), Some("1"));
        assert_eq!(get(&h, "b"), Some("2"));
        // Everything after the first `=` is the value.
        assert_eq!(get(&h, SESSION_COOKIE), Some("s=x"));
        assert_eq!(get(&h, "broken"), None);
        assert_eq!(get(&h, "missing"), None);
    }
}
