//! Property tests: for every format, a generated batch written and read back is the same
//! batch, and writing it again gives the same bytes (so bodies round-trip byte for byte);
//! across formats, model → A → model → B → model keeps ids, methods, urls, statuses and
//! bodies wherever both formats carry them.

use batchwire_core::{
    AtomicGroup, BatchMessage, BatchRequest, BatchResponse, Item, SubRequest, SubResponse,
};
use batchwire_json::{DecodeOptions, JsonFormat, WriteOptions, decode, encode};
use bytes::Bytes;
use http::{Method, StatusCode};
use proptest::prelude::*;

/// A JSON body: any value but a bare `null`, which every format reads as no body.
fn json_body() -> impl Strategy<Value = String> {
    json_value().prop_filter("null is no body", |v| v != "null")
}

/// JSON text the way peers write it: numbers beyond f64, escapes, odd key order, spaces.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("123456789012345678901234567890".to_owned()),
        Just("0.1000000000000000055511151231257827".to_owned()),
        Just("-1e400".to_owned()),
        "[a-z0-9 ]{0,8}".prop_map(|s| format!("\"{s}\"")),
        Just(r#""\u00e9\"\\\n\ud83d\ude00""#.to_owned()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-zA-Z@.]{1,6}", inner), 0..4).prop_map(|members| {
                let mut seen = Vec::new();
                let parts: Vec<String> = members
                    .into_iter()
                    .filter(|(k, _)| {
                        let fresh = !seen.contains(k);
                        seen.push(k.clone());
                        fresh
                    })
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(("[a-z]{1,6}", json_value()), 0..4).prop_map(|members| {
        let mut seen = Vec::new();
        let parts: Vec<String> = members
            .into_iter()
            .filter(|(k, _)| {
                let fresh = !seen.contains(k);
                seen.push(k.clone());
                fresh
            })
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        Bytes::from(format!("{{{}}}", parts.join(",")))
    })
}

fn url() -> impl Strategy<Value = String> {
    "[a-z]{1,8}(/[a-z0-9]{1,5})?(\\(1\\))?"
}

fn method_with_body() -> impl Strategy<Value = Method> {
    prop_oneof![Just(Method::POST), Just(Method::PATCH), Just(Method::PUT)]
}

/// A body for OData: JSON (no Content-Type, or application/json), text, or binary.
fn odata_body() -> impl Strategy<Value = (Option<&'static str>, Bytes)> {
    prop_oneof![
        json_body().prop_map(|v| (None, Bytes::from(v))),
        json_body().prop_map(|v| (Some("application/json"), Bytes::from(v))),
        "\\PC{0,12}".prop_map(|t| (Some("text/plain; charset=utf-8"), Bytes::from(t))),
        prop::collection::vec(any::<u8>(), 1..16).prop_map(|b| (Some("image/png"), Bytes::from(b))),
    ]
}

fn status() -> impl Strategy<Value = StatusCode> {
    (100u16..600).prop_map(|n| StatusCode::from_u16(n).unwrap())
}

/// Writes, reads back strictly and writes again: the same model and the same bytes.
fn round_trip(message: &BatchMessage, format: JsonFormat) -> Result<(), TestCaseError> {
    let written = encode(message, format, &WriteOptions::default())
        .map_err(|e| TestCaseError::fail(format!("{format}: {e}")))?;
    prop_assert!(
        written.report.losses.is_empty(),
        "{}: {:?}",
        format,
        written.report.losses
    );
    let options = DecodeOptions::strict().with_kind(message.kind());
    let decoded = decode(&written.body, format, &options).map_err(|e| {
        TestCaseError::fail(format!(
            "{format}: {e}\n{}",
            String::from_utf8_lossy(&written.body)
        ))
    })?;
    prop_assert_eq!(&decoded.message, message, "{}", format);
    let again = encode(&decoded.message, format, &WriteOptions::default()).unwrap();
    prop_assert_eq!(again.body, written.body);
    Ok(())
}

fn odata_requests(max: usize) -> impl Strategy<Value = BatchRequest> {
    let op = prop_oneof![
        (url()).prop_map(|u| (Method::GET, u, None)),
        (url()).prop_map(|u| (Method::DELETE, u, None)),
        (method_with_body(), url(), odata_body()).prop_map(|(m, u, b)| (m, u, Some(b))),
    ];
    prop::collection::vec((op, 0u8..4, any::<bool>(), any::<bool>()), 0..max).prop_map(|ops| {
        let mut batch = BatchRequest::new();
        let mut group: Option<AtomicGroup<SubRequest>> = None;
        let mut groups = 0;
        for (i, ((method, url, body), grouping, depends, with_if)) in ops.into_iter().enumerate() {
            let mut sub = SubRequest::new(method, url).with_id(format!("r{i}"));
            if let Some((content_type, body)) = body {
                if let Some(ct) = content_type {
                    sub = sub.with_header("content-type", ct);
                }
                sub = sub.with_body(body);
            }
            if depends && i > 0 {
                sub = sub.with_dependency(format!("r{}", i - 1));
            }
            if with_if {
                sub = sub.with_extra("if", "\"$r0/$succeeded\"");
            }
            // 0: a plain operation; 1: join or start a group; 2: start a new group.
            match (grouping, group.as_mut()) {
                (1, Some(g))
                    if !sub
                        .depends_on
                        .iter()
                        .any(|d| g.operations.iter().any(|o| o.id.as_deref() == Some(d))) =>
                {
                    g.operations.push(sub);
                }
                (1 | 2, _) => {
                    if let Some(g) = group.take() {
                        batch.push_group(g);
                    }
                    groups += 1;
                    sub.depends_on.clear();
                    group = Some(AtomicGroup::new(vec![sub]).with_id(format!("g{groups}")));
                }
                _ => {
                    if let Some(g) = group.take() {
                        batch.push_group(g);
                    }
                    batch.push(sub);
                }
            }
        }
        if let Some(g) = group.take() {
            batch.push_group(g);
        }
        // A dependency on a request inside an earlier group must name the group.
        let mut owner = std::collections::HashMap::new();
        for item in &batch.items {
            if let Item::Group(g) = item {
                for op in &g.operations {
                    owner.insert(op.id.clone().unwrap(), g.id.clone().unwrap());
                }
            }
        }
        for item in &mut batch.items {
            let ops: &mut [SubRequest] = match item {
                Item::Operation(op) => std::slice::from_mut(op),
                Item::Group(g) => &mut g.operations,
            };
            for op in ops {
                for dep in &mut op.depends_on {
                    if let Some(g) = owner.get(dep) {
                        dep.clone_from(g);
                    }
                }
            }
        }
        batch
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn odata_requests_round_trip(batch in odata_requests(8)) {
        round_trip(&BatchMessage::from(batch), JsonFormat::OdataJson)?;
    }

    #[test]
    fn odata_responses_round_trip(
        ops in prop::collection::vec((status(), prop::option::of(odata_body()), prop::option::of("[a-z]{1,3}")), 0..8),
        next in prop::option::of("[a-z$=?]{1,10}"),
    ) {
        let mut batch = BatchResponse::new();
        let mut last_group: Option<String> = None;
        for (i, (status, body, group)) in ops.into_iter().enumerate() {
            let mut sub = SubResponse::new(status).with_id(format!("r{i}"));
            if let Some((ct, body)) = body {
                if let Some(ct) = ct {
                    sub = sub.with_header("content-type", ct);
                }
                sub = sub.with_body(body);
            }
            if let Some(g) = group {
                let g = format!("g{g}");
                match batch.items.last_mut() {
                    Some(Item::Group(last)) if last_group.as_deref() == Some(g.as_str()) => last.operations.push(sub),
                    _ => batch.push_group(AtomicGroup::new(vec![sub]).with_id(g.clone())),
                }
                last_group = Some(g);
            } else {
                batch.push(sub);
                last_group = None;
            }
        }
        batch.options.next_link = next;
        round_trip(&BatchMessage::from(batch), JsonFormat::OdataJson)?;
    }

    #[test]
    fn msgraph_requests_round_trip(ops in prop::collection::vec((method_with_body(), url(), json_object()), 0..20)) {
        let mut batch = BatchRequest::new();
        for (i, (method, url, body)) in ops.into_iter().enumerate() {
            batch.push(SubRequest::new(method, url).with_id(i.to_string()).with_header("Content-Type", "application/json").with_body(body));
        }
        round_trip(&BatchMessage::from(batch), JsonFormat::MsGraph)?;
    }

    #[test]
    fn salesforce_composite_round_trip(
        ops in prop::collection::vec((method_with_body(), url(), prop::option::of(json_object()), any::<bool>()), 0..25),
        all_or_none in prop::option::of(any::<bool>()),
        statuses in prop::collection::vec((status(), json_value()), 0..25),
    ) {
        let mut subs = Vec::new();
        for (i, (method, url, body, refer)) in ops.into_iter().enumerate() {
            let mut sub = SubRequest::new(method, url).with_id(format!("ref_{i}")).with_header("Sforce-Auto-Assign", "FALSE");
            if refer && i > 0 {
                sub.target = format!("{}/@{{ref_{}.records[0].Id}}", sub.target, i - 1);
                sub.depends_on.push(format!("ref_{}", i - 1));
            }
            if let Some(body) = body {
                sub = sub.with_body(body);
            }
            subs.push(sub);
        }
        let mut batch = BatchRequest::new();
        if all_or_none == Some(true) && !subs.is_empty() {
            batch.push_group(AtomicGroup::new(subs));
        } else {
            batch.items = subs.into_iter().map(Item::Operation).collect();
        }
        batch.options.all_or_none = all_or_none;
        round_trip(&BatchMessage::from(batch), JsonFormat::SalesforceComposite)?;
        let mut batch = BatchResponse::new();
        for (i, (status, body)) in statuses.into_iter().enumerate() {
            let body = if body == "null" { Bytes::new() } else { Bytes::from(body) };
            batch.push(SubResponse::new(status).with_id(format!("ref_{i}")).with_body(body));
        }
        round_trip(&BatchMessage::from(batch), JsonFormat::SalesforceComposite)?;
    }

    #[test]
    fn salesforce_composite_batch_round_trip(
        ops in prop::collection::vec((method_with_body(), url(), prop::option::of(json_object())), 0..25),
        halt in prop::option::of(any::<bool>()),
        results in prop::collection::vec((status(), json_value()), 0..25),
    ) {
        let mut batch = BatchRequest::new();
        for (method, url, body) in ops {
            let mut sub = SubRequest::new(method, url);
            if let Some(body) = body {
                sub = sub.with_body(body);
            }
            batch.push(sub);
        }
        batch.options.halt_on_error = halt;
        round_trip(&BatchMessage::from(batch), JsonFormat::SalesforceCompositeBatch)?;
        let mut batch = BatchResponse::new();
        for (status, body) in results {
            let body = if body == "null" { Bytes::new() } else { Bytes::from(body) };
            batch.push(SubResponse::new(status).with_body(body));
        }
        let failed = batch.operations().any(|o| o.status.as_u16() >= 400);
        batch.options.has_errors = Some(failed);
        round_trip(&BatchMessage::from(batch), JsonFormat::SalesforceCompositeBatch)?;
    }

    #[test]
    fn salesforce_composite_graph_round_trip(
        graphs in prop::collection::vec(prop::collection::vec((method_with_body(), url(), json_object(), status()), 0..5), 0..5),
    ) {
        let mut requests = BatchRequest::new();
        let mut responses = BatchResponse::new();
        for (g, ops) in graphs.into_iter().enumerate() {
            let mut reqs = Vec::new();
            let mut resps = Vec::new();
            for (i, (method, url, body, status)) in ops.into_iter().enumerate() {
                reqs.push(SubRequest::new(method, url).with_id(format!("n{i}")).with_body(body.clone()));
                resps.push(SubResponse::new(status).with_id(format!("n{i}")).with_body(body));
            }
            requests.push_group(AtomicGroup::new(reqs).with_id(format!("graph{g}")));
            let mut group = AtomicGroup::new(resps).with_id(format!("graph{g}"));
            group.extra.push("isSuccessful", if g % 2 == 0 { "true" } else { "false" });
            responses.push_group(group);
        }
        round_trip(&BatchMessage::from(requests), JsonFormat::SalesforceCompositeGraph)?;
        round_trip(&BatchMessage::from(responses), JsonFormat::SalesforceCompositeGraph)?;
    }

    #[test]
    fn salesforce_tree_and_collections_round_trip(results in prop::collection::vec((any::<bool>(), "[a-zA-Z0-9]{1,18}"), 0..12)) {
        let mut tree = BatchResponse::new();
        let mut collections = BatchResponse::new();
        for (i, (ok, id)) in results.into_iter().enumerate() {
            let reference = format!("ref{i}");
            let (status, body) = if ok {
                (StatusCode::CREATED, format!(r#"{{"referenceId":"{reference}","id":"{id}"}}"#))
            } else {
                (StatusCode::BAD_REQUEST, format!(r#"{{"referenceId":"{reference}","errors":[{{"statusCode":"X","message":"{id}","fields":[]}}]}}"#))
            };
            tree.push(SubResponse::new(status).with_id(reference).with_body(body));
            if i % 5 == 4 {
                collections.push(SubResponse::omitted());
            } else {
                let status = if ok { StatusCode::OK } else { StatusCode::BAD_REQUEST };
                collections.push(SubResponse::new(status).with_body(format!(r#"{{"id":"{id}","success":{ok},"errors":[]}}"#)));
            }
        }
        let failed = tree.operations().any(|o| o.status.as_u16() >= 400);
        tree.options.has_errors = Some(failed);
        round_trip(&BatchMessage::from(tree), JsonFormat::SalesforceSObjectTree)?;
        round_trip(&BatchMessage::from(collections), JsonFormat::SalesforceSObjectCollections)?;
    }

    #[test]
    fn asana_round_trip(
        ops in prop::collection::vec((prop_oneof![Just(Method::GET), method_with_body(), Just(Method::DELETE)], "/[a-z]{1,8}(/[0-9]{1,4})?", prop::option::of(json_object()), any::<bool>()), 1..=10),
        results in prop::collection::vec((status(), json_object(), any::<bool>()), 0..10),
    ) {
        let mut batch = BatchRequest::new();
        for (method, path, data, with_options) in ops {
            let mut sub = SubRequest::new(method, path);
            if let Some(data) = data {
                sub = sub.with_body(data);
            }
            if with_options {
                sub = sub.with_extra("options", r#"{"limit":3,"fields":["name"]}"#);
            }
            batch.push(sub);
        }
        round_trip(&BatchMessage::from(batch), JsonFormat::Asana)?;
        let mut batch = BatchResponse::new();
        for (status, body, located) in results {
            let mut sub = SubResponse::new(status).with_body(body);
            if located {
                sub = sub.with_header("location", "/tasks/1");
            }
            batch.push(sub);
        }
        round_trip(&BatchMessage::from(batch), JsonFormat::Asana)?;
    }

    #[test]
    fn meta_round_trip(
        ops in prop::collection::vec((prop_oneof![Just(Method::GET), Just(Method::POST), Just(Method::DELETE)], url(), "\\PC{0,16}", any::<bool>(), prop::collection::vec("[a-z]{1,2}", 0..3)), 0..50),
        results in prop::collection::vec(prop::option::of((status(), json_object())), 0..10),
    ) {
        let mut batch = BatchRequest::new();
        for (i, (method, url, body, named, headers)) in ops.into_iter().enumerate() {
            let mut sub = SubRequest::new(method, url).with_body(body);
            if named {
                sub = sub.with_id(format!("op-{i}"));
                if i > 0 && i % 3 == 0 {
                    sub.depends_on.push(format!("op-{}", i - 1));
                }
            }
            for h in headers {
                sub = sub.with_header(h, "v");
            }
            batch.push(sub);
        }
        // A dependency names an operation that has a name.
        let named: Vec<Option<String>> = batch.operations().map(|o| o.id.clone()).collect();
        for (i, item) in batch.items.iter_mut().enumerate() {
            if let Item::Operation(op) = item {
                op.depends_on.retain(|d| named[..i].iter().flatten().any(|n| n == d));
            }
        }
        round_trip(&BatchMessage::from(batch), JsonFormat::MetaGraph)?;
        let mut batch = BatchResponse::new();
        for result in results {
            batch.push(match result {
                Some((status, body)) => SubResponse::new(status).with_header("Content-Type", "text/javascript").with_body(body),
                None => SubResponse::omitted(),
            });
        }
        round_trip(&BatchMessage::from(batch), JsonFormat::MetaGraph)?;
    }
}

/// Formats that carry requests, with whether they carry ids.
const REQUEST_FORMATS: [(JsonFormat, bool); 6] = [
    (JsonFormat::OdataJson, true),
    (JsonFormat::MsGraph, true),
    (JsonFormat::SalesforceComposite, true),
    (JsonFormat::SalesforceCompositeBatch, false),
    (JsonFormat::Asana, false),
    (JsonFormat::MetaGraph, true),
];

/// Formats that carry responses, with whether they carry ids.
const RESPONSE_FORMATS: [(JsonFormat, bool); 6] = [
    (JsonFormat::OdataJson, true),
    (JsonFormat::MsGraph, true),
    (JsonFormat::SalesforceComposite, true),
    (JsonFormat::SalesforceCompositeBatch, false),
    (JsonFormat::Asana, false),
    (JsonFormat::MetaGraph, false),
];

fn via(message: &BatchMessage, format: JsonFormat) -> Result<BatchMessage, TestCaseError> {
    let written = encode(message, format, &WriteOptions::default())
        .map_err(|e| TestCaseError::fail(format!("{format}: {e}")))?;
    let options = DecodeOptions::strict().with_kind(message.kind());
    let decoded = decode(&written.body, format, &options).map_err(|e| {
        TestCaseError::fail(format!(
            "{format}: {e}\n{}",
            String::from_utf8_lossy(&written.body)
        ))
    })?;
    Ok(decoded.message)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn requests_keep_ids_methods_urls_and_bodies_across_formats(
        ops in prop::collection::vec((prop_oneof![Just(Method::GET), method_with_body(), Just(Method::DELETE)], url(), json_object()), 1..=10),
        a in 0..REQUEST_FORMATS.len(),
        b in 0..REQUEST_FORMATS.len(),
    ) {
        let mut batch = BatchRequest::new();
        for (i, (method, url, body)) in ops.into_iter().enumerate() {
            let with_body = method != Method::GET && method != Method::DELETE;
            let mut sub = SubRequest::new(method, url).with_id(format!("r{i}"));
            if with_body {
                sub = sub.with_header("Content-Type", "application/json").with_body(body);
            }
            batch.push(sub);
        }
        let original: BatchMessage = batch.into();
        let (fa, ids_a) = REQUEST_FORMATS[a];
        let (fb, ids_b) = REQUEST_FORMATS[b];
        let end = via(&via(&original, fa)?, fb)?;
        let before: Vec<&SubRequest> = original.as_request().unwrap().operations().collect();
        let after: Vec<&SubRequest> = end.as_request().unwrap().operations().collect();
        prop_assert_eq!(before.len(), after.len());
        for (x, y) in before.iter().zip(&after) {
            prop_assert_eq!(&x.method, &y.method, "{} then {}", fa, fb);
            prop_assert_eq!(&x.target, &y.target);
            prop_assert_eq!(&x.body, &y.body, "{} then {}", fa, fb);
            if ids_a && ids_b {
                prop_assert_eq!(&x.id, &y.id, "{} then {}", fa, fb);
            }
        }
    }

    #[test]
    fn responses_keep_ids_statuses_and_bodies_across_formats(
        ops in prop::collection::vec((status(), json_object()), 0..10),
        a in 0..RESPONSE_FORMATS.len(),
        b in 0..RESPONSE_FORMATS.len(),
    ) {
        let mut batch = BatchResponse::new();
        for (i, (status, body)) in ops.into_iter().enumerate() {
            batch.push(SubResponse::new(status).with_id(format!("r{i}")).with_body(body));
        }
        let original: BatchMessage = batch.into();
        let (fa, ids_a) = RESPONSE_FORMATS[a];
        let (fb, ids_b) = RESPONSE_FORMATS[b];
        let end = via(&via(&original, fa)?, fb)?;
        let before: Vec<&SubResponse> = original.as_response().unwrap().operations().collect();
        let after: Vec<&SubResponse> = end.as_response().unwrap().operations().collect();
        prop_assert_eq!(before.len(), after.len());
        for (x, y) in before.iter().zip(&after) {
            prop_assert_eq!(x.status, y.status);
            prop_assert_eq!(&x.body, &y.body, "{} then {}", fa, fb);
            if ids_a && ids_b {
                prop_assert_eq!(&x.id, &y.id, "{} then {}", fa, fb);
            }
        }
    }
}
