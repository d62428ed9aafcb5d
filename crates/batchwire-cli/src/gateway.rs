//! `batchwire serve --upstream URL`: each sub-request forwarded over HTTP to one service, the
//! safe way: only to that origin and under its path, no batch inside a batch, no framing or
//! hop-by-hop header passed on, no redirect followed, no upstream internals in an error.

use batchwire_server::{CREDENTIALS, Handler, confine, forwardable};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

/// The origin the executor resolves targets against: a target that resolves elsewhere names
/// another origin.
pub(crate) const OWN_AUTHORITY: &str = "batchwire.gateway";

/// The service behind the gateway.
#[derive(Debug)]
pub(crate) struct Upstream {
    client: reqwest::Client,
    /// `http://host:port`, without a path.
    origin: String,
    /// The path every forwarded target lives under, with no trailing `/`.
    prefix: String,
    /// Further origins (`http://host:port`) that a sub-request may name in an absolute URL.
    allowed: Vec<String>,
    /// Headers of the batch request passed on to every sub-request sent to an origin, in
    /// place of any the sub-request has: the origin (`http://host:port`) and the name.
    pass: Vec<(String, http::HeaderName)>,
}

/// `http://host:port` of an absolute URL, and its path.
fn origin_of(url: &str, what: &str) -> Result<(String, String), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| format!("expected {what} such as http://host:port/path/, found {url:?}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme @ ("http" | "https")), Some(authority)) => {
            Ok((format!("{scheme}://{authority}"), uri.path().to_owned()))
        }
        _ => Err(format!(
            "expected {what} with http or https and a host, found {url:?}"
        )),
    }
}

impl Upstream {
    /// The service at `url` (`http://host:port/path/`); `allowed` further origins that a
    /// sub-request may name; `pass` the headers of the batch request passed on to every
    /// sub-request forwarded to the upstream (`NAME`) or to an allowed origin
    /// (`NAME@http://host:port`).
    pub(crate) fn new(url: &str, allowed: &[String], pass: &[String]) -> Result<Upstream, String> {
        let (origin, path) = origin_of(url, "an upstream URL")?;
        let allowed = allowed
            .iter()
            .map(|url| origin_of(url, "an allowed origin").map(|(origin, _)| origin))
            .collect::<Result<Vec<_>, _>>()?;
        let pass = pass
            .iter()
            .map(|spec| {
                let (name, to) = match spec.split_once('@') {
                    Some((name, to)) => (name, origin_of(to, "an allowed origin")?.0),
                    None => (spec.as_str(), origin.clone()),
                };
                if to != origin && !allowed.contains(&to) {
                    return Err(format!(
                        "expected --pass-header to name the upstream or an allowed origin, found {spec:?}"
                    ));
                }
                let name = http::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("expected a header name to pass on, found {spec:?}"))?;
                Ok((to, name))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let client = reqwest::Client::builder()
            // A redirect could lead to another origin: the answer is handed back instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Upstream {
            client,
            origin,
            prefix: path.trim_end_matches('/').to_owned(),
            allowed,
            pass,
        })
    }

    /// The further origins a sub-request may name.
    pub(crate) fn allowed(&self) -> &[String] {
        &self.allowed
    }

    /// The headers of the batch request `outer` that pass on to sub-requests sent to
    /// `origin`.
    fn passed(&self, origin: &str, outer: &http::HeaderMap) -> http::HeaderMap {
        let mut passed = http::HeaderMap::new();
        for (_, name) in self.pass.iter().filter(|(to, _)| to == origin) {
            for value in outer.get_all(name) {
                passed.append(name.clone(), value.clone());
            }
        }
        passed
    }

    /// Where a sub-request goes: the upstream's URL for a target of the batch's own service,
    /// or the URL at an allowed origin, with that origin; or why it is refused.
    fn url(&self, request: &Request<Bytes>, root: &str) -> Result<(String, String), &'static str> {
        let query = request
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let authority = request.uri().authority().map(http::uri::Authority::as_str);
        if authority == Some(OWN_AUTHORITY) {
            let relative = check(request, root)?;
            return Ok((
                format!("{}{}/{relative}{query}", self.origin, self.prefix),
                self.origin.clone(),
            ));
        }
        let scheme = request.uri().scheme_str().unwrap_or("http");
        let origin = format!("{scheme}://{}", authority.unwrap_or_default());
        if !self.allowed.contains(&origin) {
            return Err("a sub-request goes to the batch's own service or an allowed origin only");
        }
        let path = confine(request, "/", authority.unwrap_or_default())?;
        Ok((format!("{origin}/{path}{query}"), origin))
    }
}

/// The upstream seen from one batch endpoint, with the headers of the batch request.
pub(crate) struct Forward<'u> {
    pub(crate) upstream: &'u Upstream,
    pub(crate) root: &'static str,
    pub(crate) outer: http::HeaderMap,
}

/// The answer to a sub-request that is not run: a JSON error with `code` and `message`.
pub(crate) fn refused(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(
        json!({"error": {"code": code, "message": message}}).to_string(),
    ));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The target's path below `root` for a sub-request that may run, or why it may not (see
/// [`confine`]). The demo store and the gateway both hold every sub-request to it.
pub(crate) fn check(request: &Request<Bytes>, root: &str) -> Result<String, &'static str> {
    confine(request, root, OWN_AUTHORITY)
}

/// The headers of a sub-request that are sent: neither framing nor hop-by-hop ones, nor
/// credentials (a batch cannot send its own per request), then the `passed` headers of the
/// batch request in place of the sub-request's own.
fn sub_request_headers(headers: &http::HeaderMap, passed: &http::HeaderMap) -> http::HeaderMap {
    let mut out = forwardable(headers);
    for name in CREDENTIALS {
        out.remove(*name);
    }
    for name in passed.keys() {
        out.remove(name);
    }
    for (name, value) in passed {
        out.append(name.clone(), value.clone());
    }
    out
}

impl Handler for Forward<'_> {
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send {
        let target = self.upstream.url(&request, self.root);
        let upstream = self.upstream;
        let outer = &self.outer;
        async move {
            let (url, origin) = match target {
                Ok(target) => target,
                Err(why) => return refused(StatusCode::BAD_REQUEST, "Refused", why),
            };
            let (parts, body) = request.into_parts();
            let sent = upstream
                .client
                .request(parts.method, url)
                .headers(sub_request_headers(
                    &parts.headers,
                    &upstream.passed(&origin, outer),
                ))
                .body(body)
                .send()
                .await;
            let Ok(answer) = sent else {
                // What went wrong upstream stays in the gateway's own log.
                return refused(
                    StatusCode::BAD_GATEWAY,
                    "BadGateway",
                    "the service behind the gateway did not answer",
                );
            };
            let status = answer.status();
            let headers = forwardable(answer.headers());
            let body = answer.bytes().await.unwrap_or_default();
            let mut response = Response::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str) -> Request<Bytes> {
        Request::get(uri).body(Bytes::new()).unwrap()
    }

    #[test]
    fn only_the_own_service_under_its_root() {
        let own = |path: &str| format!("http://{OWN_AUTHORITY}{path}");
        assert_eq!(
            check(&request(&own("/odata/Customers(1)")), "/odata/"),
            Ok("Customers(1)".into())
        );
        for bad in [
            "http://evil.example/odata/Customers",
            &own("/odata/../admin"),
            &own("/odata/%2e%2e/admin"),
            &own("/odata/a%2Fb"),
            &own("/odata//x"),
            &own("/v1.0/../x"),
            &own("/odata/$batch"),
        ] {
            assert!(check(&request(bad), "/odata/").is_err(), "{bad}");
        }
        let mut smuggled = request(&own("/odata/x"));
        smuggled
            .headers_mut()
            .insert("transfer-encoding", "chunked".parse().unwrap());
        assert!(check(&smuggled, "/odata/").is_err());
    }

    #[test]
    fn framing_and_hop_by_hop_headers_stay_behind() {
        let mut headers = http::HeaderMap::new();
        for name in ["connection", "content-length", "host", "accept", "if-match"] {
            headers.insert(http::HeaderName::from_static(name), "x".parse().unwrap());
        }
        let forwarded = forwardable(&headers);
        let kept: Vec<&str> = forwarded.keys().map(http::HeaderName::as_str).collect();
        assert_eq!(kept, ["accept", "if-match"]);
        for name in ["authorization", "cookie", "proxy-authorization"] {
            headers.insert(
                http::HeaderName::from_static(name),
                "secret".parse().unwrap(),
            );
        }
        let sent = sub_request_headers(&headers, &http::HeaderMap::new());
        let sent: Vec<&str> = sent.keys().map(http::HeaderName::as_str).collect();
        assert_eq!(sent, ["accept", "if-match"]);
    }
}
