//! What a sub-request may reach: the batch's own service, under its root, and no batch inside
//! the batch. One rule for every handler that serves or forwards sub-requests.

use bytes::Bytes;
use http::{HeaderMap, Request};

/// Headers of one connection, or of the framing, which are never forwarded as written: the
/// framing is the forwarder's own (RFC 9110 7.6.1, RFC 9112 6).
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "content-length",
    "expect",
    "host",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers that carry credentials. A sub-request's own are not forwarded: what a forwarder
/// sends upstream is its own configuration's, not something a batch can set per request.
pub const CREDENTIALS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// The path below `root` that `request` targets, or why it may not run: its URI names an
/// authority other than `own_authority` (another origin), it has `Transfer-Encoding`
/// (request smuggling), its path leaves `root` (dot segments, percent-encoded dots, slashes
/// or backslashes, `//`, `\`), or it names `$batch` (a batch inside the batch).
///
/// A target with an absolute path is under `root`, as Graph and Asana read theirs (`/users`
/// is `/v1.0/users`).
///
/// ```
/// use batchwire_server::confine;
///
/// let get = |uri: &str| http::Request::get(uri).body(bytes::Bytes::new()).unwrap();
/// let own = "svc.example";
/// assert_eq!(confine(&get("http://svc.example/v1.0/users/1"), "/v1.0/", own), Ok("users/1".into()));
/// assert!(confine(&get("http://other.example/v1.0/users"), "/v1.0/", own).is_err());
/// assert!(confine(&get("http://svc.example/v1.0/%2e%2e/admin"), "/v1.0/", own).is_err());
/// assert!(confine(&get("http://svc.example/v1.0/$batch"), "/v1.0/", own).is_err());
/// ```
pub fn confine(
    request: &Request<Bytes>,
    root: &str,
    own_authority: &str,
) -> Result<String, &'static str> {
    if request.uri().authority().map(http::uri::Authority::as_str) != Some(own_authority) {
        return Err("a sub-request goes to the batch's own service only, not to another origin");
    }
    if request
        .headers()
        .contains_key(http::header::TRANSFER_ENCODING)
    {
        return Err("a sub-request with Transfer-Encoding is not run");
    }
    let path = request.uri().path();
    let relative = path
        .strip_prefix(root)
        .or_else(|| path.strip_prefix(root.trim_end_matches('/')))
        .unwrap_or(path);
    let lower = relative.to_ascii_lowercase();
    let escapes = relative.split('/').any(|s| s == ".." || s == ".")
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || relative.contains('\\')
        || path.contains("//");
    if escapes {
        return Err(
            "a sub-request's target stays under the service root (no dot segments, encoded slashes or backslashes)",
        );
    }
    if relative
        .split('/')
        .any(|s| s.eq_ignore_ascii_case("$batch"))
    {
        return Err("a batch inside a batch is not run");
    }
    Ok(relative.trim_start_matches('/').to_owned())
}

/// `headers` without [`HOP_BY_HOP`] ones, for forwarding.
pub fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}
