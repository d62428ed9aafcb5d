//! Salesforce Composite (`/composite`): `{allOrNone, compositeRequest:[...]}` and
//! `{compositeResponse:[...]}`, both ways; and the readers and writers of its subrequests and
//! results, which Composite Graph uses for each graph.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use batchwire_core::{
    AtomicGroup, Batch, BatchMessage, Headers, Item, LossKind, MessageRef, ParseError,
    ParseErrorKind as K, SubRequest, SubResponse, ToleranceKind,
};
use serde_json::value::RawValue;

use super::groups_lost;
use crate::method;
use crate::read::{At, Path, Reader, ReferenceSyntax, Scanned, Top, is_null};
use crate::reference;
use crate::write::{
    EncodeError, Encoded, Out, Site, WriteOptions, ids_for, options_lost, response_lost, too_many,
};

/// Subrequests in one `/composite` call.
pub(crate) const COMPOSITE_MAX: usize = crate::write::bound(crate::JsonFormat::SalesforceComposite);

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
pub(super) fn subrequests<'a>(
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
pub(super) fn results<'a>(
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
pub(super) fn write_subrequests(
    out: &mut Out,
    ops: &[&SubRequest],
    first: usize,
    taken: &[&str],
    options: &WriteOptions,
) -> Result<(), EncodeError> {
    let ids = reference_ids(
        out,
        &ops.iter().map(|op| op.id.as_deref()).collect::<Vec<_>>(),
        taken,
        first,
        options,
    )?;
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
                headers.push(h.to_owned());
            }
        }
        if !headers.is_empty() {
            out.key("httpHeaders");
            out.header_object(&headers, op.body.len(), n)?;
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

/// referenceIds for a run of operations, the first of them at `first` among all: the model's,
/// or invented ones (reported at their place in the batch).
fn reference_ids<'m>(
    out: &mut Out,
    ids: &[Option<&'m str>],
    taken: &[&'m str],
    first: usize,
    options: &WriteOptions,
) -> Result<Vec<Cow<'m, str>>, EncodeError> {
    let mut lost = Vec::new();
    let ids =
        ids_for(ids, taken, Cow::Borrowed, options, &mut lost).map_err(|e| e.shifted(first))?;
    out.lost.extend(lost.into_iter().map(|l| shift(l, first)));
    Ok(ids)
}

/// Moves an operation position reported for a slice to its position in the batch.
fn shift((site, kind): (Site, LossKind), by: usize) -> (Site, LossKind) {
    match site {
        Site::Op(n) => (Site::Op(n + by), kind),
        other => (other, kind),
    }
}

/// Writes Composite results; `first` is the position of the first among all operations.
pub(super) fn write_results(
    out: &mut Out,
    ops: &[&SubResponse],
    first: usize,
    options: &WriteOptions,
) -> Result<(), EncodeError> {
    let ids = reference_ids(
        out,
        &ops.iter().map(|op| op.id.as_deref()).collect::<Vec<_>>(),
        &[],
        first,
        options,
    )?;
    out.begin_array();
    for (k, op) in ops.iter().enumerate() {
        let n = first + k;
        out.element();
        out.begin_object();
        out.key("body");
        out.body_json(&op.body, n)?;
        out.key("httpHeaders");
        out.header_object(&op.headers, op.body.len(), n)?;
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
