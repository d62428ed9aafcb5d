//! Conversions between the model and `http::Request<Bytes>` / `http::Response<Bytes>`.
//!
//! `http::HeaderName` lowercases names, and `http::HeaderMap` keeps the values of one name in
//! order but not the order between names, so a conversion to `http` keeps every header but not
//! its spelling nor that order; converted back, a name takes its [`usual_spelling`]. What `http` has no field for travels in
//! the message's extensions, and comes back when the message is converted to the model:
//!
//! | model | extension |
//! |---|---|
//! | `id` | [`ContentId`] |
//! | `depends_on` (when not empty) | [`DependsOn`] |
//! | `part_headers` (when not empty) | [`PartHeaders`] |
//! | `extra` (when not empty) | [`Extra`](crate::Extra) |
//! | `reason` of a response | [`ReasonPhrase`] |
//! | `omitted` of a response | [`Omitted`] |
//! | the group a member came from ([`crate::Batch::into_http_requests`]) | [`GroupIndex`], and [`GroupName`] when the group has one |
//!
//! A request whose target still starts with an OData `$n` reference is refused: the
//! caller resolves it (with the `Location` of the referenced response) first.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, Uri};

use crate::{Headers, SubRequest, SubResponse};

/// The correlation id of a sub-request or sub-response, kept in `http::Extensions`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContentId(pub String);

/// The index of the batch item (an atomic group) an operation belongs to, kept in
/// `http::Extensions` by [`crate::Batch::into_http_requests`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupIndex(pub usize);

/// The ids a sub-request depends on (`dependsOn`), kept in `http::Extensions`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DependsOn(pub Vec<String>);

/// The envelope headers of an operation (the multipart part headers), kept in
/// `http::Extensions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartHeaders(pub Headers);

/// The reason phrase of a sub-response as written, kept in `http::Extensions`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReasonPhrase(pub Bytes);

/// Marks a sub-response that stands for a position without a response (the request produced
/// none), kept in `http::Extensions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Omitted;

/// The name of the atomic group an operation belongs to (OData `atomicityGroup`), kept in
/// `http::Extensions` beside [`GroupIndex`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupName(pub String);

/// A model value that `http` cannot represent: a header that is not a valid
/// `http::HeaderName` or `HeaderValue`, or a target that is not a URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertError {
    message: String,
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConvertError {}

fn to_header_map(headers: &Headers) -> Result<http::HeaderMap, ConvertError> {
    let mut map = http::HeaderMap::with_capacity(headers.len());
    for header in headers {
        let name = HeaderName::from_bytes(header.name()).map_err(|_| ConvertError {
            message: format!("invalid header name {:?}", header.name_str()),
        })?;
        let mut value =
            HeaderValue::from_maybe_shared(header.value_bytes()).map_err(|_| ConvertError {
                message: format!("invalid value of header {:?}", header.name_str()),
            })?;
        value.set_sensitive(header.is_sensitive());
        map.append(name, value);
    }
    Ok(map)
}

/// Names whose usual spelling is not the plain capitalised one.
const SPELLED: &[&str] = &[
    "Content-ID",
    "Content-MD5",
    "DataServiceVersion",
    "DNT",
    "ETag",
    "MaxDataServiceVersion",
    "OData-EntityId",
    "OData-Isolation",
    "OData-MaxVersion",
    "OData-Version",
    "TE",
    "WWW-Authenticate",
    "X-XSS-Protection",
];

/// A header name as HTTP messages usually spell it, since `http::HeaderName` keeps only the
/// lower case: each word capitalised (`Content-Type`), and the names that are spelled
/// otherwise as they are (`ETag`, `OData-Version`, `Content-ID`). Some clients look names up
/// by their usual spelling (the Microsoft Graph SDKs, in a JSON batch's `headers`).
///
/// # Examples
///
/// ```
/// use batchwire_core::usual_spelling;
///
/// assert_eq!(usual_spelling("content-type"), "Content-Type");
/// assert_eq!(usual_spelling("odata-version"), "OData-Version");
/// assert_eq!(usual_spelling("etag"), "ETag");
/// assert_eq!(usual_spelling("x-ms-request-id"), "X-Ms-Request-Id");
/// ```
pub fn usual_spelling(name: &str) -> String {
    if let Some(spelled) = SPELLED.iter().find(|s| s.eq_ignore_ascii_case(name)) {
        return (*spelled).to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        out.push(if start {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        start = c == '-';
    }
    out
}

fn from_header_map(map: &http::HeaderMap) -> Headers {
    let mut headers = Headers::with_capacity(map.len());
    for (name, value) in map {
        headers.append(
            Bytes::from(usual_spelling(name.as_str())),
            Bytes::copy_from_slice(value.as_bytes()),
        );
    }
    headers
}

impl SubRequest {
    /// Converts to an `http::Request`, resolving a relative target against `base`.
    ///
    /// An absolute URL is taken as it is; a target starting with `/` replaces the path of
    /// `base`; any other target is appended to the path of `base` after its last `/`
    /// (RFC 3986 reference resolution, without dot segments).
    ///
    /// # Errors
    ///
    /// A [`ConvertError`] for a target that is still an OData `$n` reference (replace it
    /// with the referenced response's `Location` first), a target that is not a URI once
    /// resolved, or a header `http` cannot hold.
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire_core::SubRequest;
    /// use http::{Method, Uri};
    ///
    /// let base: Uri = "http://localhost:4004/odata/v4/peer/".parse().unwrap();
    /// let req = SubRequest::new(Method::GET, "Customers(1)").into_http_request_with_base(&base)?;
    /// assert_eq!(req.uri(), "http://localhost:4004/odata/v4/peer/Customers(1)");
    /// # Ok::<(), batchwire_core::ConvertError>(())
    /// ```
    pub fn into_http_request_with_base(self, base: &Uri) -> Result<Request<Bytes>, ConvertError> {
        unresolved(&self.target)?;
        let target = &self.target;
        let resolved = if crate::is_absolute_url(target) {
            target.clone()
        } else {
            let mut out = String::new();
            if let (Some(scheme), Some(authority)) = (base.scheme_str(), base.authority()) {
                out.push_str(scheme);
                out.push_str("://");
                out.push_str(authority.as_str());
            }
            if target.starts_with('/') {
                out.push_str(target);
            } else {
                let path = base.path();
                out.push_str(&path[..path.rfind('/').map_or(0, |i| i + 1)]);
                if !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(target);
            }
            out
        };
        let uri: Uri = resolved.parse().map_err(|_| ConvertError {
            message: format!("request target {resolved:?} is not a valid URI"),
        })?;
        self.into_http_with_uri(uri)
    }

    fn into_http_with_uri(self, uri: Uri) -> Result<Request<Bytes>, ConvertError> {
        let headers = to_header_map(&self.headers)?;
        let mut request = Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let extensions = request.extensions_mut();
        if let Some(id) = self.id {
            extensions.insert(ContentId(id));
        }
        if !self.depends_on.is_empty() {
            extensions.insert(DependsOn(self.depends_on));
        }
        if !self.part_headers.is_empty() {
            extensions.insert(PartHeaders(self.part_headers));
        }
        if !self.extra.is_empty() {
            extensions.insert(self.extra);
        }
        Ok(request)
    }
}

/// Refuses a target that is still an OData `$n` reference to another request.
fn unresolved(target: &str) -> Result<(), ConvertError> {
    match crate::odata_reference(target) {
        Some(id) if !crate::odata_system_resource(id) => Err(ConvertError {
            message: format!(
                "request target {target:?} refers to the result of request {id:?}; replace \
                 \"${id}\" with that response's Location first"
            ),
        }),
        _ => Ok(()),
    }
}

/// Converts with the target parsed as a URI on its own; a relative target such as
/// `Customers(1)` is not one, so use [`SubRequest::into_http_request_with_base`] for those.
impl TryFrom<SubRequest> for Request<Bytes> {
    type Error = ConvertError;

    fn try_from(request: SubRequest) -> Result<Request<Bytes>, ConvertError> {
        unresolved(&request.target)?;
        // `http::Uri` would read `Customers(1)` as an authority; only absolute URLs and
        // absolute paths stand on their own.
        let standalone = crate::is_absolute_url(&request.target) || request.target.starts_with('/');
        let parsed = if standalone {
            request.target.parse::<Uri>().ok()
        } else {
            None
        };
        let uri = parsed.ok_or_else(|| ConvertError {
            message: format!(
                "request target {:?} is not a URI on its own; resolve it against a base",
                request.target
            ),
        })?;
        request.into_http_with_uri(uri)
    }
}

/// Takes method, URI (as the target), headers (in their [`usual_spelling`]), body, and what the
/// extensions of the module's table hold.
impl From<Request<Bytes>> for SubRequest {
    fn from(request: Request<Bytes>) -> SubRequest {
        let (mut parts, body) = request.into_parts();
        let mut sub = SubRequest::new(parts.method, parts.uri.to_string()).with_body(body);
        sub.headers = from_header_map(&parts.headers);
        let extensions = &mut parts.extensions;
        sub.id = extensions.remove::<ContentId>().map(|id| id.0);
        sub.depends_on = extensions
            .remove::<DependsOn>()
            .map(|d| d.0)
            .unwrap_or_default();
        sub.part_headers = extensions
            .remove::<PartHeaders>()
            .map(|h| h.0)
            .unwrap_or_default();
        sub.extra = extensions.remove::<crate::Extra>().unwrap_or_default();
        sub
    }
}

/// Fails only on a header `http` cannot hold; what `http` has no field for travels in the
/// extensions of the module's table.
impl TryFrom<SubResponse> for Response<Bytes> {
    type Error = ConvertError;

    fn try_from(response: SubResponse) -> Result<Response<Bytes>, ConvertError> {
        let headers = to_header_map(&response.headers)?;
        let mut out = Response::new(response.body);
        *out.status_mut() = response.status;
        *out.headers_mut() = headers;
        let extensions = out.extensions_mut();
        if let Some(id) = response.id {
            extensions.insert(ContentId(id));
        }
        if let Some(reason) = response.reason {
            extensions.insert(ReasonPhrase(reason));
        }
        if response.omitted {
            extensions.insert(Omitted);
        }
        if !response.part_headers.is_empty() {
            extensions.insert(PartHeaders(response.part_headers));
        }
        if !response.extra.is_empty() {
            extensions.insert(response.extra);
        }
        Ok(out)
    }
}

/// Takes status, headers (in their [`usual_spelling`]), body, and what the extensions of the module's
/// table hold.
impl From<Response<Bytes>> for SubResponse {
    fn from(response: Response<Bytes>) -> SubResponse {
        let (mut parts, body) = response.into_parts();
        let mut sub = SubResponse::new(parts.status).with_body(body);
        sub.headers = from_header_map(&parts.headers);
        let extensions = &mut parts.extensions;
        sub.id = extensions.remove::<ContentId>().map(|id| id.0);
        sub.reason = extensions.remove::<ReasonPhrase>().map(|r| r.0);
        sub.omitted = extensions.remove::<Omitted>().is_some();
        sub.part_headers = extensions
            .remove::<PartHeaders>()
            .map(|h| h.0)
            .unwrap_or_default();
        sub.extra = extensions.remove::<crate::Extra>().unwrap_or_default();
        sub
    }
}

impl crate::BatchRequest {
    /// Every operation as an `http::Request`, targets resolved against `base`, each with the
    /// extensions of the module's table and, for members of a group, its [`GroupIndex`] (and
    /// [`GroupName`] when the group has one). The group's own envelope headers and extra
    /// members have no request to travel on and are not carried.
    ///
    /// # Errors
    ///
    /// As [`SubRequest::into_http_request_with_base`], for the first operation that fails.
    pub fn into_http_requests(self, base: &Uri) -> Result<Vec<Request<Bytes>>, ConvertError> {
        let mut out = Vec::with_capacity(self.operation_count());
        for (index, item) in self.items.into_iter().enumerate() {
            let (operations, group) = match item {
                crate::Item::Operation(op) => (vec![op], None),
                crate::Item::Group(group) => (group.operations, Some((index, group.id))),
            };
            for op in operations {
                let mut request = op.into_http_request_with_base(base)?;
                if let Some((index, name)) = &group {
                    request.extensions_mut().insert(GroupIndex(*index));
                    if let Some(name) = name {
                        request.extensions_mut().insert(GroupName(name.clone()));
                    }
                }
                out.push(request);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Method, StatusCode};

    #[test]
    fn request_round_trip_keeps_everything_but_spelling() {
        let sub = SubRequest::new(Method::PATCH, "http://h/svc/Customers(2)")
            .with_id("7")
            .with_header("Content-Type", "application/json")
            .with_header("Authorization", "Bearer x")
            .with_body(&b"{}"[..]);
        let req = Request::try_from(sub.clone()).unwrap();
        assert!(req.headers()["authorization"].is_sensitive());
        assert_eq!(
            req.extensions().get::<ContentId>(),
            Some(&ContentId("7".into()))
        );
        let back = SubRequest::from(req);
        assert_eq!(back.id, sub.id);
        assert_eq!(back.target, sub.target);
        assert_eq!(back.body, sub.body);
        assert_eq!(
            back.headers.get("content-type"),
            Some(&b"application/json"[..])
        );
        // The spelling is the usual one, whatever the model had.
        assert_eq!(back.headers.iter().next().unwrap().name(), b"Content-Type");
    }

    #[test]
    fn relative_targets_need_a_base() {
        let sub = SubRequest::new(Method::GET, "Customers(1)");
        let err = Request::try_from(sub.clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "request target \"Customers(1)\" is not a URI on its own; resolve it against a base"
        );
        let base: Uri = "http://h/odata/v4/peer/$batch".parse().unwrap();
        let req = sub.into_http_request_with_base(&base).unwrap();
        assert_eq!(req.uri(), "http://h/odata/v4/peer/Customers(1)");
        let abs = SubRequest::new(Method::GET, "/other/x")
            .into_http_request_with_base(&base)
            .unwrap();
        assert_eq!(abs.uri(), "http://h/other/x");
    }

    #[test]
    fn response_round_trip() {
        let sub = SubResponse::new(StatusCode::CREATED)
            .with_id("1")
            .with_header("Location", "Customers(10)");
        let resp = Response::try_from(sub).unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let back = SubResponse::from(resp);
        assert_eq!(back.id.as_deref(), Some("1"));
        assert_eq!(back.headers.get("location"), Some(&b"Customers(10)"[..]));
    }

    #[test]
    fn unresolved_references_are_refused() {
        let base: Uri = "http://host/svc/$batch".parse().unwrap();
        let err = SubRequest::new(Method::GET, "$1/orders")
            .into_http_request_with_base(&base)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "request target \"$1/orders\" refers to the result of request \"1\"; replace \"$1\" with that response's Location first"
        );
        assert!(Request::try_from(SubRequest::new(Method::GET, "$new")).is_err());
        // System resources are not references.
        let req = SubRequest::new(Method::GET, "$metadata")
            .into_http_request_with_base(&base)
            .unwrap();
        assert_eq!(req.uri(), "http://host/svc/$metadata");
    }

    #[test]
    fn what_http_has_no_field_for_travels_in_extensions() {
        let mut sub = SubRequest::new(Method::POST, "/x")
            .with_dependency("a")
            .with_header("Accept", "*/*");
        sub.part_headers
            .append("Content-Transfer-Encoding", "binary");
        sub.extra.push("if", "\"$a\"");
        let back = SubRequest::from(Request::try_from(sub.clone()).unwrap());
        assert_eq!(back.depends_on, sub.depends_on);
        assert_eq!(back.part_headers, sub.part_headers);
        assert_eq!(back.extra, sub.extra);

        let mut resp = SubResponse::new(StatusCode::OK);
        resp.reason = Some("Fine".into());
        resp.omitted = true;
        let back = SubResponse::from(Response::try_from(resp).unwrap());
        assert_eq!(back.reason.as_deref(), Some(&b"Fine"[..]));
        assert!(back.omitted);

        let mut batch = crate::BatchRequest::new();
        batch.push_group(
            crate::AtomicGroup::new(vec![SubRequest::new(Method::POST, "/y")]).with_id("g1"),
        );
        let base: Uri = "http://h/".parse().unwrap();
        let requests = batch.into_http_requests(&base).unwrap();
        assert_eq!(
            requests[0].extensions().get::<GroupIndex>(),
            Some(&GroupIndex(0))
        );
        assert_eq!(
            requests[0].extensions().get::<GroupName>(),
            Some(&GroupName("g1".into()))
        );
    }

    #[test]
    fn invalid_header_values_are_errors() {
        let sub = SubResponse::new(StatusCode::OK).with_header("X", "a\nb");
        assert_eq!(
            Response::try_from(sub).unwrap_err().to_string(),
            "invalid value of header \"X\""
        );
    }
}
