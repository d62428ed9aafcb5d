//! Meta Graph API batch: an array of `{method, relative_url, ...}` and an array of
//! `{code, headers, body}` or `null`.

use std::borrow::Cow;
use std::collections::HashMap;

use batchwire_core::{
    Batch, BatchMessage, Item, MessageKind, ParseError, ParseErrorKind as K, SubRequest,
    SubResponse,
};
use serde_json::value::RawValue;

use crate::method;
use crate::read::{At, Path, Reader, ReferenceSyntax, Scanned, Top, is_null, is_string};
use crate::reference;
use crate::write::{EncodeError, Encoded, Out, Site, options_lost, too_many};
use batchwire_core::{LossKind, MessageRef, WriteErrorKind};

const REFERENCES: ReferenceSyntax = ReferenceSyntax {
    scan: reference::meta,
    shape: "{result=name:$.path}",
    opener: "{result=",
};

/// Operations in one batch.
pub(crate) const MAX_OPERATIONS: usize = crate::write::bound(crate::JsonFormat::MetaGraph);

const REQUEST_MEMBERS: &[&str] = &[
    "method",
    "relative_url",
    "body",
    "headers",
    "name",
    "depends_on",
];

pub(crate) fn decode<'a>(r: &mut Reader<'a>, top: Top<'a>) -> Result<BatchMessage, ParseError> {
    let elements = r.array_top(
        top,
        K::Json,
        "expected a Meta Graph batch (an array of operations or responses), found an object",
    )?;
    // The first entry that is not null says requests or responses; all null is responses
    // (every one omitted).
    let root = Path::Root;
    let response = match elements.iter().position(|e| !is_null(e)) {
        Some(i) => {
            r.kind_at = Some(r.offset(elements[i]));
            let first = r.object(elements[i], &root.index(i))?;
            !first.has("relative_url") && !first.has("method")
        }
        // All null is responses (every one omitted); an empty array could be either.
        None if elements.is_empty() => r.kind == Some(MessageKind::Response),
        None => true,
    };
    if let Some(first) = elements.first() {
        r.check_operation_count(elements.len(), first)?;
    }
    if response {
        let mut batch = Batch::new();
        for (i, element) in elements.into_iter().enumerate() {
            let at = root.index(i);
            if is_null(element) {
                batch.push(SubResponse::omitted());
                continue;
            }
            let mut object = r.object(element, &at)?;
            let code = object
                .take("code")
                .ok_or_else(|| r.missing(&object, &at, "code", "the status code"))?;
            let mut sub = SubResponse::new(r.status(code, &at.key("code"))?);
            if let Some(headers) = object.take("headers") {
                sub.headers = r.header_array(headers, &at.key("headers"))?;
            }
            if let Some(body) = object.take("body").filter(|b| !is_null(b)) {
                sub.body = r.share(string_body(r, body, &at.key("body"))?);
            }
            r.keep_rest(&object, &at, false, &mut sub.extra)?;
            batch.push(sub);
        }
        return Ok(BatchMessage::Response(batch));
    }
    if let Some(first) = elements.first() {
        r.check_format_count(elements.len(), MAX_OPERATIONS, "Meta Graph", first)?;
    }
    let mut batch: Batch<SubRequest> = Batch::new();
    // Each operation's name, and where it was given.
    let mut names: HashMap<Cow<'a, str>, &RawValue> = HashMap::new();
    for (i, element) in elements.into_iter().enumerate() {
        let at = root.index(i);
        let mut object = r.object(element, &at)?;
        let method = r.take_method(&mut object, &at, &method::META)?;
        let url_raw = object
            .take("relative_url")
            .ok_or_else(|| r.missing(&object, &at, "relative_url", "the path after the host"))?;
        let url = r.string(url_raw, &at.key("relative_url"))?;
        let mut sub = SubRequest::new(method, url.as_ref());
        let body_raw = object.take("body").filter(|b| !is_null(b));
        let body = match body_raw {
            Some(raw) => Some(string_body(r, raw, &at.key("body"))?),
            None => None,
        };
        if let Some(headers) = object.take("headers") {
            sub.headers = r.header_array(headers, &at.key("headers"))?;
        }
        let mut own = None;
        if let Some(name_raw) = object.take("name") {
            let name = r.string(name_raw, &at.key("name"))?;
            if let Some(first) = names.get(&name) {
                return Err(r.error_at(
                    K::DuplicateId,
                    name_raw,
                    format!(
                        "expected each name once in a batch, found \"{name}\" again {}, first at byte {}",
                        At(&at.key("name")),
                        r.offset(first)
                    ),
                ));
            }
            sub.id = Some(name.clone().into_owned());
            names.insert(name.clone(), name_raw);
            own = Some(name);
        }
        // A name counts once given, but not in its own operation.
        let known = |names: &HashMap<Cow<'a, str>, &RawValue>, id: &str| {
            own.as_deref() != Some(id) && names.contains_key(id)
        };
        if let Some(dep) = object.take("depends_on") {
            let name = r.string(dep, &at.key("depends_on"))?.into_owned();
            if !known(&names, &name) {
                return Err(r.error_at(
                    K::DanglingReference,
                    dep,
                    format!(
                        "expected the name of an earlier operation {}, found \"{name}\"",
                        At(&at.key("depends_on"))
                    ),
                ));
            }
            sub.depends_on.push(name);
        }
        // References are located exactly in a string without escapes (a slice of the input,
        // after its opening quote), else at the member.
        let exact = |text: &Cow<'_, str>, raw: &RawValue| {
            matches!(text, Cow::Borrowed(_)).then(|| r.offset(raw) + 1)
        };
        let mut texts = vec![Scanned {
            text: url.as_ref(),
            base: exact(&url, url_raw),
            raw: url_raw,
            member: "relative_url",
        }];
        if let (Some(text), Some(raw)) = (&body, body_raw) {
            texts.push(Scanned {
                text: text.as_ref(),
                base: exact(text, raw),
                raw,
                member: "body",
            });
        }
        r.references(&texts, &REFERENCES, &at, |r, found, offset, member| {
            if known(&names, found.id) {
                return Ok(());
            }
            Err(r.error_at_offset(
                K::DanglingReference,
                offset,
                format!(
                    "expected a reference to an earlier operation's name {}, found {}",
                    At(member),
                    found.expression
                ),
            ))
        })?;
        if let Some(body) = body {
            sub.body = r.share(body);
        }
        if let Some(flag) = object.take("omit_response_on_success") {
            r.boolean(flag, &at.key("omit_response_on_success"))?;
            sub.extra
                .push("omit_response_on_success", r.raw_bytes(flag));
        }
        if let Some(files) = object.take("attached_files") {
            r.string(files, &at.key("attached_files"))?;
            sub.extra.push("attached_files", r.raw_bytes(files));
        }
        r.keep_rest(&object, &at, true, &mut sub.extra)?;
        batch.push(sub);
    }
    Ok(BatchMessage::Request(batch))
}

/// A body carried as a string: its unescaped text (borrowed from the input when it holds
/// no escape).
fn string_body<'a>(
    r: &Reader<'a>,
    raw: &'a RawValue,
    path: &Path<'_>,
) -> Result<Cow<'a, str>, ParseError> {
    if !is_string(raw) {
        return Err(r.expected(raw, path, "a string (Meta carries bodies as text)"));
    }
    let body = r.string(raw, path)?;
    r.check_body_len(body.len(), raw)?;
    Ok(body)
}

fn text_body(body: &[u8], n: usize) -> Result<&str, EncodeError> {
    std::str::from_utf8(body).map_err(|_| {
        EncodeError::new(
            WriteErrorKind::InvalidBody,
            Some(n),
            "expected a body of UTF-8 text (Meta carries bodies as strings), found other bytes",
        )
    })
}

/// Reports every batch option, group and batch member: a Meta batch is a bare array.
fn batch_lost<T>(out: &mut Out, batch: &Batch<T>) {
    options_lost(out, batch, &[]);
    for (item, entry) in batch.items.iter().enumerate() {
        if let Item::Group(_) = entry {
            out.lost.push((Site::Item(item), LossKind::Group));
        }
    }
    for (name, _) in batch.extra.iter() {
        out.lost.push((
            Site::Batch,
            LossKind::Member {
                name: name.to_owned(),
            },
        ));
    }
}

pub(crate) fn encode(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    match message {
        MessageRef::Request(batch) => {
            let count = batch.operation_count();
            if count > MAX_OPERATIONS {
                return Err(too_many(count, MAX_OPERATIONS, "Meta Graph"));
            }
            batch_lost(&mut out, batch);
            out.begin_array();
            // Meta's reader refuses a name given twice: so does the writer.
            let mut names = std::collections::HashSet::new();
            for (n, op) in batch.operations().enumerate() {
                out.element();
                out.begin_object();
                out.method("method", &op.method, &method::META, n)?;
                out.member_str("relative_url", &op.target);
                if let Some(id) = &op.id {
                    if !names.insert(id.as_str()) {
                        return Err(EncodeError::new(
                            WriteErrorKind::DuplicateContentId,
                            Some(n),
                            format!(
                                "expected each name once in the batch, which Meta Graph requires, found {id:?} again"
                            ),
                        ));
                    }
                    out.member_str("name", id);
                }
                if let Some((first, rest)) = op.depends_on.split_first() {
                    out.member_str("depends_on", first);
                    for dep in rest {
                        out.lost
                            .push((Site::Op(n), LossKind::Dependency { on: dep.clone() }));
                    }
                }
                if !op.headers.is_empty() {
                    out.key("headers");
                    out.header_array(&op.headers, op.body.len(), n)?;
                }
                if !op.body.is_empty() {
                    out.member_str("body", text_body(&op.body, n)?);
                }
                out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
                out.extra(&op.extra, REQUEST_MEMBERS, Site::Op(n))?;
                out.end_object();
            }
            out.end_array();
        }
        MessageRef::Response(batch) => {
            batch_lost(&mut out, batch);
            out.begin_array();
            for (n, op) in batch.operations().enumerate() {
                out.element();
                if let Some(id) = &op.id {
                    out.lost
                        .push((Site::Op(n), LossKind::Id { id: id.clone() }));
                }
                if op.omitted {
                    out.raw(b"null");
                    continue;
                }
                out.begin_object();
                out.key("code");
                out.number(op.status.as_u16());
                if !op.headers.is_empty() {
                    out.key("headers");
                    out.header_array(&op.headers, op.body.len(), n)?;
                }
                if !op.body.is_empty() {
                    out.member_str("body", text_body(&op.body, n)?);
                }
                if op.reason.is_some() {
                    out.lost.push((Site::Op(n), LossKind::Reason));
                }
                out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
                out.extra(&op.extra, &["code", "headers", "body"], Site::Op(n))?;
                out.end_object();
            }
            out.end_array();
        }
    }
    Ok(out.finish(message))
}
