//! Failed dependencies: which requests OData JSON and Graph answer `424 Failed Dependency`.

use batchwire_core::{BatchRequest, BatchResponse, Item, SubRequest, SubResponse};
use http::StatusCode;

use crate::JsonFormat;

/// The ids of the requests that depend, directly or through others, by id or by atomicity
/// group, on a request that failed: one whose response is not `2xx`, or is missing. OData
/// JSON and Microsoft Graph do not run such a request and answer it `424 Failed Dependency`
/// instead. A group fails as a whole when one of its members fails (OData 4.01, 11.7.4).
///
/// Ids are compared as the format does: exactly, or case-insensitively for
/// [`JsonFormat::MsGraph`].
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchRequest, BatchResponse, SubRequest, SubResponse};
/// use batchwire_json::{JsonFormat, failed_dependencies};
/// use http::{Method, StatusCode};
///
/// let mut requests = BatchRequest::new();
/// requests.push(SubRequest::new(Method::POST, "Customers").with_id("1"));
/// requests.push(SubRequest::new(Method::GET, "$1").with_id("2").with_dependency("1"));
/// requests.push(SubRequest::new(Method::GET, "Customers").with_id("3"));
/// let mut responses = BatchResponse::new();
/// responses.push(SubResponse::new(StatusCode::BAD_REQUEST).with_id("1"));
/// responses.push(SubResponse::new(StatusCode::FAILED_DEPENDENCY).with_id("2"));
/// responses.push(SubResponse::new(StatusCode::OK).with_id("3"));
/// assert_eq!(failed_dependencies(&requests, &responses, JsonFormat::OdataJson), ["2"]);
/// ```
pub fn failed_dependencies(
    requests: &BatchRequest,
    responses: &BatchResponse,
    format: JsonFormat,
) -> Vec<String> {
    let same = |a: &str, b: &str| {
        if format == JsonFormat::MsGraph {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let ok = |id: &str| {
        responses
            .operations()
            .any(|r| r.id.as_deref().is_some_and(|rid| same(rid, id)) && r.status.is_success())
    };
    // Names (ids and group names) that failed so far.
    let mut failed: Vec<&str> = Vec::new();
    let mut dependents = Vec::new();
    for item in &requests.items {
        let (group, members): (Option<&str>, &[SubRequest]) = match item {
            Item::Operation(op) => (None, std::slice::from_ref(op)),
            Item::Group(g) => (g.id.as_deref(), &g.operations),
        };
        let mut group_failed = false;
        for op in members {
            let Some(id) = op.id.as_deref() else { continue };
            let blocked = op
                .depends_on
                .iter()
                .any(|d| failed.iter().any(|f| same(f, d)));
            if blocked {
                dependents.push(id.to_owned());
            }
            if blocked || !ok(id) {
                failed.push(id);
                group_failed = true;
            }
        }
        if let (Some(name), true) = (group, group_failed) {
            failed.push(name);
            // Every member of a failed group counts as failed.
            failed.extend(members.iter().filter_map(|op| op.id.as_deref()));
        }
    }
    dependents
}

/// The response OData JSON and Graph give a request that did not run because a dependency
/// failed: `424 Failed Dependency` with the request's id.
///
/// ```
/// use batchwire_core::SubRequest;
/// use batchwire_json::failed_dependency_response;
/// use http::Method;
///
/// let response = failed_dependency_response(&SubRequest::new(Method::GET, "$1").with_id("2"));
/// assert_eq!((response.status.as_u16(), response.id.as_deref()), (424, Some("2")));
/// ```
pub fn failed_dependency_response(request: &SubRequest) -> SubResponse {
    let mut response = SubResponse::new(StatusCode::FAILED_DEPENDENCY);
    response.id.clone_from(&request.id);
    response
}
