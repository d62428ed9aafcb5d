//! Salesforce Composite, Composite Batch and Composite Graph (both ways), and the sObject
//! Tree and sObject Collections responses.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use batchwire_core::{
    AtomicGroup, Batch, BatchMessage, Headers, Item, ParseError, ParseErrorKind as K, SubRequest,
    SubResponse, ToleranceKind,
};
use http::{Method, StatusCode};
use serde_json::value::RawValue;

use crate::method;
use crate::read::{At, Object, Path, Reader, ReferenceSyntax, Scanned, Shown, Top, is_null};
use crate::reference;
use crate::write::{
    EncodeError, Encoded, Out, Site, WriteOptions, id_and_headers_lost, ids_for, options_lost,
    request_lost, response_lost, too_many,
};
use batchwire_core::{LossKind, MessageRef, WriteErrorKind};

/// Subrequests in one `/composite` call.
pub(crate) const COMPOSITE_MAX: usize = 25;
/// Subrequests in one `/composite/batch` call.
pub(crate) const BATCH_MAX: usize = 25;
/// Nodes in one `/composite/graph` payload.
pub(crate) const GRAPH_MAX_NODES: usize = 500;

/// Headers a Composite subrequest must not carry: they come from the outer request.
const FORBIDDEN_HEADERS: &[&str] = &["accept", "authorization", "content-type"];

const SUBREQUEST_MEMBERS: &[&str] = &["method", "url", "referenceId", "body", "httpHeaders"];
const RESULT_MEMBERS: &[&str] = &["body", "httpHeaders", "httpStatusCode", "referenceId"];

const REFERENCES: ReferenceSyntax = ReferenceSyntax {
    scan: reference::salesforce,
    shape: "a reference @{referenceId.path}",
    opener: "@{",
};

/// `referenceId`: letters, digits and `_`, starting with a letter or digit.
fn is_reference_id(id: &str) -> bool {
    id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub(crate) fn decode_composite<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(top, "a Salesforce Composite object")?;
    let root = Path::Root;
    if let Some(raw) = top.take("compositeRequest") {
        r.kind_at = Some(r.offset(raw));
        let mut batch = Batch::new();
        batch.options.all_or_none = r.opt_boolean(top.take("allOrNone"), &root.key("allOrNone"))?;
        batch.options.collate_subrequests = r.opt_boolean(
            top.take("collateSubrequests"),
            &root.key("collateSubrequests"),
        )?;
        let path = root.key("compositeRequest");
        let elements = r.array(raw, &path)?;
        r.check_operation_count(elements.len(), raw)?;
        r.check_format_count(elements.len(), COMPOSITE_MAX, "Salesforce Composite", raw)?;
        let ops = subrequests(r, elements, &path)?;
        if batch.options.all_or_none == Some(true) && !ops.is_empty() {
            // allOrNone makes the whole call one transaction: one group in the model.
            batch.push_group(AtomicGroup::new(ops));
        } else {
            batch.items = ops.into_iter().map(Item::Operation).collect();
        }
        r.keep_rest(&top, &root, true, &mut batch.extra)?;
        Ok(BatchMessage::Request(batch))
    } else if let Some(raw) = top.take("compositeResponse") {
        r.kind_at = Some(r.offset(raw));
        let path = root.key("compositeResponse");
        let mut batch = Batch::new();
        for op in results(r, raw, &path)? {
            batch.push(op);
        }
        r.keep_rest(&top, &root, false, &mut batch.extra)?;
        Ok(BatchMessage::Response(batch))
    } else {
        Err(r.missing(
            &top,
            &root,
            "compositeRequest",
            "or \"compositeResponse\", the subrequests",
        ))
    }
}

/// Reads Composite subrequests (of one call, or of one graph), checking referenceIds and the
/// `@{...}` references in URLs and bodies.
///
/// # Complexity
///
/// Linear in the subrequests' text: ids are looked up in a map, and each URL and body is
/// scanned once for references.
fn subrequests<'a>(
    r: &mut Reader<'a>,
    elements: Vec<&'a RawValue>,
    path: &Path<'_>,
) -> Result<Vec<SubRequest>, ParseError> {
    let mut ops: Vec<SubRequest> = Vec::with_capacity(elements.len());
    // Each referenceId, with the position of its subrequest and where it was given.
    let mut ids: HashMap<Cow<'a, str>, (usize, &'a RawValue)> = HashMap::new();
    for (i, element) in elements.into_iter().enumerate() {
        let at = path.index(i);
        let mut object = r.object(element, &at)?;
        let method = r.take_method(&mut object, &at, &method::SALESFORCE_COMPOSITE)?;
        let url_raw = object
            .take("url")
            .ok_or_else(|| r.missing(&object, &at, "url", "the resource URL"))?;
        let url = r.string(url_raw, &at.key("url"))?;
        let id_raw = object
            .take("referenceId")
            .ok_or_else(|| r.missing(&object, &at, "referenceId", "the name of the result"))?;
        let id = r.string(id_raw, &at.key("referenceId"))?;
        if !is_reference_id(&id) {
            r.tolerate(ToleranceKind::IdCharacters, id_raw, |r| {
                r.expected(
                    id_raw,
                    &at.key("referenceId"),
                    "a referenceId of letters, digits and \"_\" starting with a letter or digit",
                )
            })?;
        }
        if let Some(&(j, first)) = ids.get(&id) {
            return Err(r.error_at(
                K::DuplicateId,
                id_raw,
                format!(
                    "expected each referenceId once, found \"{id}\" again at {}, first at {} (byte {})",
                    at.key("referenceId"),
                    path.index(j).key("referenceId"),
                    r.offset(first)
                ),
            ));
        }
        let mut sub = SubRequest::new(method, url.as_ref()).with_id(id.as_ref());
        let body_raw = object.take("body");
        if let Some(body) = body_raw {
            sub.body = r.body_json(body)?;
        }
        if let Some(headers) = object.take("httpHeaders") {
            let hat = at.key("httpHeaders");
            sub.headers = r.header_object(headers, &hat)?;
            if let Some(bad) = sub
                .headers
                .iter()
                .find(|h| FORBIDDEN_HEADERS.iter().any(|f| h.is(f)))
            {
                return Err(r.error_at(
                    K::Semantic,
                    headers,
                    format!(
                        "expected no Accept, Authorization or Content-Type in httpHeaders {} (they come from the outer request), found {}",
                        At(&hat),
                        bad.name_str()
                    ),
                ));
            }
        }
        r.keep_rest(&object, &at, true, &mut sub.extra)?;
        // References: in the URL (exact offsets when it holds no escape) and anywhere in the
        // body's JSON text (only strings can hold `@{`).
        let mut texts = vec![Scanned {
            text: url.as_ref(),
            base: matches!(url, Cow::Borrowed(_)).then(|| r.offset(url_raw) + 1),
            raw: url_raw,
            member: "url",
        }];
        if let Some(body) = body_raw.filter(|b| !is_null(b)) {
            texts.push(Scanned {
                text: body.get(),
                base: Some(r.offset(body)),
                raw: body,
                member: "body",
            });
        }
        // The subrequests named so far, each a dependency once.
        let mut named = HashSet::new();
        let depends_on = &mut sub.depends_on;
        r.references(&texts, &REFERENCES, &at, |r, found, offset, member| {
            if let Some(&(j, _)) = ids.get(found.id) {
                if named.insert(j) {
                    depends_on.push(found.id.to_owned());
                }
                return Ok(());
            }
            let which = if found.id == id {
                "this subrequest itself"
            } else {
                "no earlier subrequest"
            };
            Err(r.error_at_offset(
                K::DanglingReference,
                offset,
                format!(
                    "expected a reference to an earlier referenceId {}, found {}, which names {which}",
                    At(member),
                    found.expression
                ),
            ))
        })?;
        ops.push(sub);
        ids.insert(id, (i, id_raw));
    }
    Ok(ops)
}

/// Reads Composite subrequest results.
fn results<'a>(
    r: &mut Reader<'a>,
    raw: &'a RawValue,
    path: &Path<'_>,
) -> Result<Vec<SubResponse>, ParseError> {
    let elements = r.array(raw, path)?;
    r.check_operation_count(elements.len(), raw)?;
    let mut out = Vec::with_capacity(elements.len());
    for (i, element) in elements.into_iter().enumerate() {
        let at = path.index(i);
        let mut object = r.object(element, &at)?;
        let status_raw = object
            .take("httpStatusCode")
            .ok_or_else(|| r.missing(&object, &at, "httpStatusCode", "the status code"))?;
        let mut sub = SubResponse::new(r.status(status_raw, &at.key("httpStatusCode"))?);
        if let Some(id) = object.take("referenceId")
            && !is_null(id)
        {
            sub.id = Some(r.string(id, &at.key("referenceId"))?.into_owned());
        }
        if let Some(headers) = object.take("httpHeaders") {
            sub.headers = r.header_object(headers, &at.key("httpHeaders"))?;
        }
        if let Some(body) = object.take("body") {
            sub.body = r.body_json(body)?;
        }
        r.keep_rest(&object, &at, false, &mut sub.extra)?;
        out.push(sub);
    }
    Ok(out)
}

pub(crate) fn decode_batch<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(top, "a Salesforce Composite Batch object")?;
    let root = Path::Root;
    if let Some(raw) = top.take("batchRequests") {
        r.kind_at = Some(r.offset(raw));
        let mut batch = Batch::new();
        batch.options.halt_on_error =
            r.opt_boolean(top.take("haltOnError"), &root.key("haltOnError"))?;
        let path = root.key("batchRequests");
        let elements = r.array(raw, &path)?;
        r.check_operation_count(elements.len(), raw)?;
        r.check_format_count(elements.len(), BATCH_MAX, "Salesforce Composite Batch", raw)?;
        for (i, element) in elements.into_iter().enumerate() {
            let at = path.index(i);
            let mut object = r.object(element, &at)?;
            let method = r.take_method(&mut object, &at, &method::SALESFORCE_BATCH)?;
            let url_raw = object
                .take("url")
                .ok_or_else(|| r.missing(&object, &at, "url", "the resource URL"))?;
            let mut sub = SubRequest::new(method, r.string(url_raw, &at.key("url"))?.as_ref());
            if let Some(body) = object.take("richInput") {
                if !is_null(body) && (sub.method == Method::GET || sub.method == Method::DELETE) {
                    let where_ = at.key("richInput");
                    r.tolerate(ToleranceKind::BodyNotAllowed, body, |r| {
                        r.error_at(
                            K::Semantic,
                            body,
                            format!(
                                "expected no richInput on a {} {}, found one",
                                sub.method,
                                At(&where_)
                            ),
                        )
                    })?;
                }
                sub.body = r.body_json(body)?;
            }
            let name = object.take("binaryPartName");
            let alias = object.take("binaryPartNameAlias");
            match (name, alias) {
                (Some(name), Some(alias)) => {
                    r.string(name, &at.key("binaryPartName"))?;
                    r.string(alias, &at.key("binaryPartNameAlias"))?;
                    sub.extra.push("binaryPartName", r.raw_bytes(name));
                    sub.extra.push("binaryPartNameAlias", r.raw_bytes(alias));
                }
                (Some(one), None) | (None, Some(one)) => {
                    return Err(r.error_at(
                        K::Semantic,
                        one,
                        format!(
                            "expected binaryPartName and binaryPartNameAlias together {}, found one of them",
                            At(&at)
                        ),
                    ));
                }
                (None, None) => {}
            }
            r.keep_rest(&object, &at, true, &mut sub.extra)?;
            batch.push(sub);
        }
        r.keep_rest(&top, &root, true, &mut batch.extra)?;
        Ok(BatchMessage::Request(batch))
    } else if let Some(raw) = top.take("results") {
        r.kind_at = Some(r.offset(raw));
        let path = root.key("results");
        let mut batch = Batch::new();
        let has_errors_raw = top.take("hasErrors");
        batch.options.has_errors = r.opt_boolean(has_errors_raw, &root.key("hasErrors"))?;
        let elements = r.array(raw, &path)?;
        r.check_operation_count(elements.len(), raw)?;
        for (i, element) in elements.into_iter().enumerate() {
            let at = path.index(i);
            let mut object = r.object(element, &at)?;
            let status_raw = object
                .take("statusCode")
                .ok_or_else(|| r.missing(&object, &at, "statusCode", "the status code"))?;
            let mut sub = SubResponse::new(r.status(status_raw, &at.key("statusCode"))?);
            if let Some(body) = object.take("result") {
                sub.body = r.body_json(body)?;
            }
            r.keep_rest(&object, &at, false, &mut sub.extra)?;
            batch.push(sub);
        }
        check_has_errors(r, &batch, has_errors_raw)?;
        r.keep_rest(&top, &root, false, &mut batch.extra)?;
        Ok(BatchMessage::Response(batch))
    } else {
        Err(r.missing(
            &top,
            &root,
            "batchRequests",
            "or \"results\", the subrequests",
        ))
    }
}

/// `hasErrors` is informational: compare it with the statuses and report a mismatch.
fn check_has_errors<'a>(
    r: &mut Reader<'a>,
    batch: &Batch<SubResponse>,
    raw: Option<&'a RawValue>,
) -> Result<(), ParseError> {
    let (Some(said), Some(raw)) = (batch.options.has_errors, raw) else {
        return Ok(());
    };
    let failed = batch.operations().any(|op| op.status.as_u16() >= 400);
    if said != failed {
        r.tolerate(ToleranceKind::HasErrorsMismatch, raw, |r| {
            r.error_at(
                K::Semantic,
                raw,
                format!(
                    "expected \"hasErrors\": {failed} at /hasErrors as the statuses say, found {said}"
                ),
            )
        })?;
    }
    Ok(())
}

pub(crate) fn decode_graph<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(top, "a Salesforce Composite Graph object")?;
    let root = Path::Root;
    let raw = top
        .take("graphs")
        .ok_or_else(|| r.missing(&top, &root, "graphs", "the graphs"))?;
    let path = root.key("graphs");
    let graphs = r.array(raw, &path)?;
    // Requests or responses: the first graph says; an empty payload is what the caller
    // asked for, else a request.
    let mut objects = Vec::with_capacity(graphs.len());
    for (i, graph) in graphs.into_iter().enumerate() {
        objects.push(r.object(graph, &path.index(i))?);
    }
    let response = match objects.first() {
        Some(first) => {
            r.kind_at = Some(first.offset);
            first.has("graphResponse")
        }
        None => r.kind == Some(batchwire_core::MessageKind::Response),
    };
    let mut ids: HashMap<Cow<'a, str>, &RawValue> = HashMap::new();
    let mut nodes = 0;
    if response {
        let mut batch = Batch::new();
        for (i, mut object) in objects.into_iter().enumerate() {
            let at = path.index(i);
            let id = graph_id(r, &mut object, &at, &mut ids)?;
            let gr_raw = object
                .take("graphResponse")
                .ok_or_else(|| r.missing(&object, &at, "graphResponse", "the graph's results"))?;
            let gat = at.key("graphResponse");
            let mut gr = r.object(gr_raw, &gat)?;
            let results_raw = gr
                .take("compositeResponse")
                .ok_or_else(|| r.missing(&gr, &gat, "compositeResponse", "the results"))?;
            let ops = results(r, results_raw, &gat.key("compositeResponse"))?;
            nodes += ops.len();
            r.check_operation_count(nodes, results_raw)?;
            let mut group = AtomicGroup::new(ops).with_id(id);
            if let Some(ok) = object.take("isSuccessful") {
                r.boolean(ok, &at.key("isSuccessful"))?;
                group.extra.push("isSuccessful", r.raw_bytes(ok));
            }
            r.keep_rest(&object, &at, false, &mut group.extra)?;
            r.keep_rest_under("graphResponse/", &gr, &gat, false, &mut group.extra)?;
            batch.push_group(group);
        }
        r.keep_rest(&top, &root, false, &mut batch.extra)?;
        Ok(BatchMessage::Response(batch))
    } else {
        let mut batch = Batch::new();
        for (i, mut object) in objects.into_iter().enumerate() {
            let at = path.index(i);
            let id = graph_id(r, &mut object, &at, &mut ids)?;
            let reqs_raw = object.take("compositeRequest").ok_or_else(|| {
                r.missing(&object, &at, "compositeRequest", "the graph's subrequests")
            })?;
            let rat = at.key("compositeRequest");
            let elements = r.array(reqs_raw, &rat)?;
            nodes += elements.len();
            r.check_operation_count(nodes, reqs_raw)?;
            r.check_format_count(
                nodes,
                GRAPH_MAX_NODES,
                "Salesforce Composite Graph",
                reqs_raw,
            )?;
            let ops = subrequests(r, elements, &rat)?;
            let mut group = AtomicGroup::new(ops).with_id(id);
            r.keep_rest(&object, &at, true, &mut group.extra)?;
            batch.push_group(group);
        }
        r.keep_rest(&top, &root, true, &mut batch.extra)?;
        Ok(BatchMessage::Request(batch))
    }
}

fn graph_id<'a>(
    r: &Reader<'a>,
    object: &mut Object<'a>,
    at: &Path<'_>,
    ids: &mut HashMap<Cow<'a, str>, &'a RawValue>,
) -> Result<String, ParseError> {
    let raw = object
        .take("graphId")
        .ok_or_else(|| r.missing(object, at, "graphId", "the graph's name"))?;
    let id = r.string(raw, &at.key("graphId"))?;
    if let Some(first) = ids.get(&id) {
        return Err(r.error_at(
            K::DuplicateId,
            raw,
            format!(
                "expected each graphId once, found \"{id}\" again at {}, first at byte {}",
                at.key("graphId"),
                r.offset(first)
            ),
        ));
    }
    let owned = id.clone().into_owned();
    ids.insert(id, raw);
    Ok(owned)
}

pub(crate) fn decode_tree<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(top, "a Salesforce sObject Tree response object")?;
    let root = Path::Root;
    if let Some(records) = top.take("records") {
        return Err(r.error_at(
            K::UnexpectedMessageKind,
            records,
            "expected an sObject Tree response, found a request (its records are not batch operations)",
        ));
    }
    let raw = top
        .take("results")
        .ok_or_else(|| r.missing(&top, &root, "results", "the results"))?;
    r.kind_at = Some(r.offset(raw));
    let has_errors_raw = top.take("hasErrors");
    let mut batch = Batch::new();
    batch.options.has_errors = r.opt_boolean(has_errors_raw, &root.key("hasErrors"))?;
    let path = root.key("results");
    let elements = r.array(raw, &path)?;
    r.check_operation_count(elements.len(), raw)?;
    for (i, element) in elements.into_iter().enumerate() {
        let at = path.index(i);
        // The result is the body: only the members read here are looked at.
        let mut object = r.fields(element, &at, &["referenceId", "errors"])?;
        let id_raw = object
            .take("referenceId")
            .ok_or_else(|| r.missing(&object, &at, "referenceId", "the record's reference"))?;
        let id = r.string(id_raw, &at.key("referenceId"))?.into_owned();
        // A result has the new record's `id`, or the `errors` that stopped it.
        let status = if object.has("errors") {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::CREATED
        };
        let mut sub = SubResponse::new(status).with_id(id);
        sub.body = r.body_json(element)?;
        batch.push(sub);
    }
    check_has_errors(r, &batch, has_errors_raw)?;
    r.keep_rest(&top, &root, false, &mut batch.extra)?;
    Ok(BatchMessage::Response(batch))
}

pub(crate) fn decode_collections<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
) -> Result<BatchMessage, ParseError> {
    let elements = r.array_top(
        top,
        K::UnexpectedMessageKind,
        "expected an sObject Collections response (an array), found an object (a request's records are not batch operations)",
    )?;
    let root = Path::Root;
    let raw_count = elements.len();
    if let Some(first) = elements.first() {
        r.check_operation_count(raw_count, first)?;
    }
    let mut batch = Batch::new();
    for (i, element) in elements.into_iter().enumerate() {
        let at = root.index(i);
        if is_null(element) {
            batch.push(SubResponse::omitted());
            continue;
        }
        // The record is the body, with as many fields as its sObject: only `success` is read.
        let mut object = r.fields(element, &at, &["success"])?;
        // A SaveResult says `success`; a retrieved record has none and is a 200.
        let status = match object.take("success") {
            Some(ok) if !r.boolean(ok, &at.key("success"))? => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        };
        let mut sub = SubResponse::new(status);
        sub.body = r.body_json(element)?;
        batch.push(sub);
    }
    Ok(BatchMessage::Response(batch))
}

/// Reports every group as lost (its members are written as plain operations).
fn groups_lost<T>(out: &mut Out, batch: &Batch<T>) {
    for (item, entry) in batch.items.iter().enumerate() {
        if let Item::Group(g) = entry {
            out.lost.push((Site::Item(item), LossKind::Group));
            out.part_headers_lost(Site::Item(item), &g.part_headers, None);
        }
    }
}

fn no_requests(format: &str) -> EncodeError {
    EncodeError::new(
        WriteErrorKind::Unsupported,
        None,
        format!("expected a response batch: {format} requests are records, not batch operations"),
    )
}

pub(crate) fn encode_composite(
    message: MessageRef<'_>,
    options: &WriteOptions,
) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    match message {
        MessageRef::Request(batch) => {
            let count = batch.operation_count();
            if count > COMPOSITE_MAX {
                return Err(too_many(count, COMPOSITE_MAX, "Salesforce Composite"));
            }
            options_lost(&mut out, batch, &["all_or_none", "collate_subrequests"]);
            let whole_group = if let [Item::Group(g)] = batch.items.as_slice() {
                if let Some(id) = &g.id {
                    out.lost
                        .push((Site::Item(0), LossKind::GroupId { id: id.clone() }));
                }
                true
            } else {
                groups_lost(&mut out, batch);
                false
            };
            out.begin_object();
            let all_or_none = batch.options.all_or_none.or(whole_group.then_some(true));
            if let Some(flag) = all_or_none {
                out.key("allOrNone");
                out.boolean(flag || whole_group);
            }
            if let Some(flag) = batch.options.collate_subrequests {
                out.key("collateSubrequests");
                out.boolean(flag);
            }
            out.key("compositeRequest");
            let ops: Vec<&SubRequest> = batch.operations().collect();
            write_subrequests(&mut out, &ops, 0, &[], options)?;
            out.extra(
                &batch.extra,
                &["allOrNone", "collateSubrequests", "compositeRequest"],
                Site::Batch,
            )?;
            out.end_object();
        }
        MessageRef::Response(batch) => {
            options_lost(&mut out, batch, &[]);
            groups_lost(&mut out, batch);
            out.begin_object();
            out.key("compositeResponse");
            let ops: Vec<&SubResponse> = batch.operations().collect();
            write_results(&mut out, &ops, 0, options)?;
            out.extra(&batch.extra, &["compositeResponse"], Site::Batch)?;
            out.end_object();
        }
    }
    Ok(out.finish(message))
}

/// Writes Composite subrequests; `first` is the position of the first among all operations.
fn write_subrequests(
    out: &mut Out,
    ops: &[&SubRequest],
    first: usize,
    taken: &[&str],
    options: &WriteOptions,
) -> Result<(), EncodeError> {
    let mut lost = Vec::new();
    let ids = ids_for(
        &ops.iter().map(|op| op.id.as_deref()).collect::<Vec<_>>(),
        taken,
        options,
        &mut lost,
    )?;
    out.lost.extend(lost.into_iter().map(|l| shift(l, first)));
    out.begin_array();
    for (k, op) in ops.iter().enumerate() {
        let n = first + k;
        out.element();
        out.begin_object();
        out.method("method", &op.method, &method::SALESFORCE_COMPOSITE, n)?;
        out.member_str("url", &op.target);
        out.member_str("referenceId", &ids[k]);
        if !op.body.is_empty() {
            out.key("body");
            out.body_json(&op.body, n)?;
        }
        let mut headers = Headers::new();
        for h in &op.headers {
            if FORBIDDEN_HEADERS.iter().any(|f| h.is(f)) {
                out.lost.push((
                    Site::Op(n),
                    LossKind::Header {
                        name: h.name_str().into_owned(),
                    },
                ));
            } else {
                headers.push(h.clone());
            }
        }
        if !headers.is_empty() {
            out.key("httpHeaders");
            out.header_object(&headers, n)?;
        }
        // Dependencies are implicit: only those a reference names survive.
        let mut unnamed: HashSet<&str> = op.depends_on.iter().map(String::as_str).collect();
        let body = std::str::from_utf8(&op.body).unwrap_or_default();
        for found in reference::salesforce(&op.target).chain(reference::salesforce(body)) {
            if unnamed.is_empty() {
                break;
            }
            if let Ok(found) = found {
                unnamed.remove(found.id);
            }
        }
        for dep in &op.depends_on {
            if unnamed.contains(dep.as_str()) {
                out.lost
                    .push((Site::Op(n), LossKind::Dependency { on: dep.clone() }));
            }
        }
        out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
        out.extra(&op.extra, SUBREQUEST_MEMBERS, Site::Op(n))?;
        out.end_object();
    }
    out.end_array();
    Ok(())
}

/// Moves an operation position reported for a slice to its position in the batch.
fn shift((site, kind): (Site, LossKind), by: usize) -> (Site, LossKind) {
    match site {
        Site::Op(n) => (Site::Op(n + by), kind),
        other => (other, kind),
    }
}

fn write_results(
    out: &mut Out,
    ops: &[&SubResponse],
    first: usize,
    options: &WriteOptions,
) -> Result<(), EncodeError> {
    let mut lost = Vec::new();
    let ids = ids_for(
        &ops.iter().map(|op| op.id.as_deref()).collect::<Vec<_>>(),
        &[],
        options,
        &mut lost,
    )?;
    out.lost.extend(lost.into_iter().map(|l| shift(l, first)));
    out.begin_array();
    for (k, op) in ops.iter().enumerate() {
        let n = first + k;
        out.element();
        out.begin_object();
        out.key("body");
        out.body_json(&op.body, n)?;
        out.key("httpHeaders");
        out.header_object(&op.headers, n)?;
        out.key("httpStatusCode");
        out.number(op.status.as_u16());
        out.member_str("referenceId", &ids[k]);
        response_lost(out, op, n);
        out.extra(&op.extra, RESULT_MEMBERS, Site::Op(n))?;
        out.end_object();
    }
    out.end_array();
    Ok(())
}

pub(crate) fn encode_batch(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    match message {
        MessageRef::Request(batch) => {
            let count = batch.operation_count();
            if count > BATCH_MAX {
                return Err(too_many(count, BATCH_MAX, "Salesforce Composite Batch"));
            }
            options_lost(&mut out, batch, &["halt_on_error"]);
            groups_lost(&mut out, batch);
            out.begin_object();
            out.key("batchRequests");
            out.begin_array();
            for (n, op) in batch.operations().enumerate() {
                out.element();
                out.begin_object();
                out.method("method", &op.method, &method::SALESFORCE_BATCH, n)?;
                out.member_str("url", &op.target);
                if !op.body.is_empty() {
                    out.key("richInput");
                    out.body_json(&op.body, n)?;
                }
                request_lost(&mut out, op, n);
                out.extra(&op.extra, &["method", "url", "richInput"], Site::Op(n))?;
                out.end_object();
            }
            out.end_array();
            if let Some(flag) = batch.options.halt_on_error {
                out.key("haltOnError");
                out.boolean(flag);
            }
            out.extra(&batch.extra, &["batchRequests", "haltOnError"], Site::Batch)?;
            out.end_object();
        }
        MessageRef::Response(batch) => {
            options_lost(&mut out, batch, &["has_errors"]);
            groups_lost(&mut out, batch);
            out.begin_object();
            out.key("hasErrors");
            out.boolean(has_errors(batch));
            out.key("results");
            out.begin_array();
            for (n, op) in batch.operations().enumerate() {
                out.element();
                out.begin_object();
                out.key("statusCode");
                out.number(op.status.as_u16());
                out.key("result");
                out.body_json(&op.body, n)?;
                id_and_headers_lost(&mut out, op.id.as_ref(), &op.headers, n);
                response_lost(&mut out, op, n);
                out.extra(&op.extra, &["statusCode", "result"], Site::Op(n))?;
                out.end_object();
            }
            out.end_array();
            out.extra(&batch.extra, &["hasErrors", "results"], Site::Batch)?;
            out.end_object();
        }
    }
    Ok(out.finish(message))
}

/// The batch's own `hasErrors`, or what the statuses say.
fn has_errors(batch: &Batch<SubResponse>) -> bool {
    batch
        .options
        .has_errors
        .unwrap_or_else(|| batch.operations().any(|op| op.status.as_u16() >= 400))
}

pub(crate) fn encode_graph(
    message: MessageRef<'_>,
    options: &WriteOptions,
) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    match message {
        MessageRef::Request(batch) => {
            let count = batch.operation_count();
            if count > GRAPH_MAX_NODES {
                return Err(too_many(
                    count,
                    GRAPH_MAX_NODES,
                    "Salesforce Composite Graph",
                ));
            }
            options_lost(&mut out, batch, &[]);
            out.begin_object();
            out.key("graphs");
            out.begin_array();
            let names = graph_names(batch);
            let mut n = 0;
            for (item, entry) in batch.items.iter().enumerate() {
                out.element();
                out.begin_object();
                out.member_str("graphId", &names[item]);
                if let Item::Operation(_) = entry {
                    out.lost.push((
                        Site::Op(n),
                        LossKind::GroupInvented {
                            id: names[item].clone(),
                        },
                    ));
                }
                out.key("compositeRequest");
                let ops: Vec<&SubRequest> = entry.operations().iter().collect();
                write_subrequests(&mut out, &ops, n, &[], options)?;
                if let Item::Group(g) = entry {
                    out.part_headers_lost(Site::Item(item), &g.part_headers, None);
                    out.extra(&g.extra, &["graphId", "compositeRequest"], Site::Item(item))?;
                }
                out.end_object();
                n += ops.len();
            }
            out.end_array();
            out.extra(&batch.extra, &["graphs"], Site::Batch)?;
            out.end_object();
        }
        MessageRef::Response(batch) => {
            options_lost(&mut out, batch, &[]);
            out.begin_object();
            out.key("graphs");
            out.begin_array();
            let names = graph_names(batch);
            let mut n = 0;
            for (item, entry) in batch.items.iter().enumerate() {
                let ops: Vec<&SubResponse> = entry.operations().iter().collect();
                out.element();
                out.begin_object();
                out.member_str("graphId", &names[item]);
                if let Item::Operation(_) = entry {
                    out.lost.push((
                        Site::Op(n),
                        LossKind::GroupInvented {
                            id: names[item].clone(),
                        },
                    ));
                }
                out.key("graphResponse");
                out.begin_object();
                out.key("compositeResponse");
                write_results(&mut out, &ops, n, options)?;
                let empty = batchwire_core::Extra::new();
                let extra = match entry {
                    Item::Group(g) => &g.extra,
                    Item::Operation(_) => &empty,
                };
                for (name, json) in extra.iter() {
                    if let Some(inner) = name.strip_prefix("graphResponse/") {
                        out.key(inner);
                        out.raw(json);
                    }
                }
                out.end_object();
                out.key("isSuccessful");
                match extra.get("isSuccessful") {
                    Some(json) => out.raw(json),
                    None => out.boolean(ops.iter().all(|op| op.status.as_u16() < 400)),
                }
                let mut rest = batchwire_core::Extra::new();
                for (name, json) in extra.iter() {
                    if name != "isSuccessful" && !name.starts_with("graphResponse/") {
                        rest.push(name, json.clone());
                    }
                }
                out.extra(&rest, &["graphId", "graphResponse"], Site::Item(item))?;
                out.end_object();
                n += ops.len();
            }
            out.end_array();
            out.extra(&batch.extra, &["graphs"], Site::Batch)?;
            out.end_object();
        }
    }
    Ok(out.finish(message))
}

/// A graphId for every item: the group's name, or an invented `graph<N>`.
fn graph_names<T>(batch: &Batch<T>) -> Vec<String> {
    let mut taken: Vec<String> = batch
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Group(g) => g.id.clone(),
            Item::Operation(_) => None,
        })
        .collect();
    let mut next = 1;
    batch
        .items
        .iter()
        .map(|item| match item {
            Item::Group(AtomicGroup { id: Some(id), .. }) => id.clone(),
            _ => loop {
                let candidate = format!("graph{next}");
                next += 1;
                if !taken.contains(&candidate) {
                    taken.push(candidate.clone());
                    break candidate;
                }
            },
        })
        .collect()
}

pub(crate) fn encode_tree(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let MessageRef::Response(batch) = message else {
        return Err(no_requests("sObject Tree"));
    };
    let mut out = Out::new();
    options_lost(&mut out, batch, &["has_errors"]);
    groups_lost(&mut out, batch);
    out.begin_object();
    out.key("hasErrors");
    out.boolean(has_errors(batch));
    out.key("results");
    out.begin_array();
    for (n, op) in batch.operations().enumerate() {
        out.element();
        if op.body.first() == Some(&b'{') && crate::body::is_json(&op.body) {
            out.raw(&op.body);
        } else if op.body.is_empty() {
            // The smallest result: the reference alone.
            out.begin_object();
            if let Some(id) = &op.id {
                out.member_str("referenceId", id);
            }
            out.end_object();
        } else {
            return Err(EncodeError::new(
                WriteErrorKind::InvalidBody,
                Some(n),
                format!(
                    "expected a result object as the body, found {}",
                    Shown(&String::from_utf8_lossy(&op.body))
                ),
            ));
        }
        response_lost(&mut out, op, n);
    }
    out.end_array();
    out.extra(&batch.extra, &["hasErrors", "results"], Site::Batch)?;
    out.end_object();
    Ok(out.finish(message))
}

pub(crate) fn encode_collections(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let MessageRef::Response(batch) = message else {
        return Err(no_requests("sObject Collections"));
    };
    let mut out = Out::new();
    options_lost(&mut out, batch, &[]);
    groups_lost(&mut out, batch);
    for (name, _) in batch.extra.iter() {
        out.lost.push((
            Site::Batch,
            LossKind::Member {
                name: name.to_owned(),
            },
        ));
    }
    out.begin_array();
    for (n, op) in batch.operations().enumerate() {
        out.element();
        if op.omitted {
            out.raw(b"null");
        } else if op.body.is_empty() {
            // The smallest SaveResult.
            out.begin_object();
            out.key("id");
            out.raw(b"null");
            out.key("success");
            out.boolean(op.status.as_u16() < 400);
            out.key("errors");
            out.raw(b"[]");
            out.end_object();
        } else {
            out.body_json(&op.body, n)?;
        }
        if let Some(id) = &op.id {
            out.lost
                .push((Site::Op(n), LossKind::Id { id: id.clone() }));
        }
        if op.reason.is_some() {
            out.lost.push((Site::Op(n), LossKind::Reason));
        }
    }
    out.end_array();
    Ok(out.finish(message))
}
