//! Asana batch API: `{"data":{"actions":[...]}}` and `{"data":[...]}`.

use batchwire_core::{
    Batch, BatchMessage, Item, ParseError, ParseErrorKind as K, SubRequest, SubResponse,
};

use crate::method;
use crate::read::{At, Path, Reader, Top, is_null};
use crate::write::{EncodeError, Encoded, Out, Site, options_lost, request_lost, response_lost};
use batchwire_core::{LossKind, MessageRef, WriteErrorKind};

/// Actions in one batch.
pub(crate) const MAX_ACTIONS: usize = 10;

/// Members of the `data` envelope other than `actions` are kept in the batch's extra under
/// this prefix, so they go back inside the envelope.
const DATA_PREFIX: &str = "data/";

pub(crate) fn decode<'a>(r: &mut Reader<'a>, top: Top<'a>) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(top, "an Asana batch object with \"data\"")?;
    let root = Path::Root;
    if top.has("actions") && !top.has("data") {
        return Err(r.error_at_offset(
            K::Json,
            top.offset,
            "expected the actions inside a \"data\" envelope ({\"data\":{\"actions\":[...]}}), found \"actions\" at the top level",
        ));
    }
    let data = top
        .take("data")
        .ok_or_else(|| r.missing(&top, &root, "data", "the envelope"))?;
    let dat = root.key("data");
    r.kind_at = Some(r.offset(data));
    if data.get().starts_with('[') {
        let mut batch = Batch::new();
        let elements = r.array(data, &dat)?;
        r.check_operation_count(elements.len(), data)?;
        for (i, element) in elements.into_iter().enumerate() {
            let at = dat.index(i);
            let mut object = r.object(element, &at)?;
            let status = object
                .take("status_code")
                .ok_or_else(|| r.missing(&object, &at, "status_code", "the status code"))?;
            let mut sub = SubResponse::new(r.status(status, &at.key("status_code"))?);
            if let Some(headers) = object.take("headers") {
                sub.headers = r.header_object(headers, &at.key("headers"))?;
            }
            if let Some(body) = object.take("body") {
                sub.body = r.body_json(body)?;
            }
            r.keep_rest(&object, &at, false, &mut sub.extra)?;
            batch.push(sub);
        }
        r.keep_rest(&top, &root, false, &mut batch.extra)?;
        return Ok(BatchMessage::Response(batch));
    }
    let mut envelope = r.object(data, &dat)?;
    let actions = envelope
        .take("actions")
        .ok_or_else(|| r.missing(&envelope, &dat, "actions", "the batch's actions"))?;
    let aat = dat.key("actions");
    let elements = r.array(actions, &aat)?;
    if elements.is_empty() {
        return Err(r.error_at(
            K::Semantic,
            actions,
            format!(
                "expected 1 to {MAX_ACTIONS} actions {}, found none",
                At(&aat)
            ),
        ));
    }
    r.check_operation_count(elements.len(), actions)?;
    r.check_format_count(elements.len(), MAX_ACTIONS, "Asana", actions)?;
    let mut batch = Batch::new();
    for (i, element) in elements.into_iter().enumerate() {
        let at = aat.index(i);
        let mut object = r.object(element, &at)?;
        let path_raw = object
            .take("relative_path")
            .ok_or_else(|| r.missing(&object, &at, "relative_path", "the endpoint path"))?;
        let target = r.string(path_raw, &at.key("relative_path"))?;
        if target.contains('?') {
            return Err(r.error_at(
                K::Semantic,
                path_raw,
                format!(
                    "expected a path without a query string {} (query parameters go in \"data\"), found {}",
                    At(&at.key("relative_path")),
                    path_raw.get()
                ),
            ));
        }
        let method = r.take_method(&mut object, &at, &method::ASANA)?;
        let mut sub = SubRequest::new(method, target.as_ref());
        if let Some(body) = object.take("data") {
            if !is_null(body) && !body.get().starts_with('{') {
                return Err(r.expected(body, &at.key("data"), "an object"));
            }
            sub.body = r.body_json(body)?;
        }
        if let Some(options) = object.take("options") {
            r.object(options, &at.key("options"))?;
            sub.extra.push("options", r.raw_bytes(options));
        }
        r.keep_rest(&object, &at, true, &mut sub.extra)?;
        batch.push(sub);
    }
    r.keep_rest_under(DATA_PREFIX, &envelope, &dat, true, &mut batch.extra)?;
    r.keep_rest(&top, &root, true, &mut batch.extra)?;
    Ok(BatchMessage::Request(batch))
}

/// Reports every batch option and every group: Asana has no member for either.
fn batch_lost<T>(out: &mut Out, batch: &Batch<T>) {
    options_lost(out, batch, &[]);
    for (item, entry) in batch.items.iter().enumerate() {
        if let Item::Group(_) = entry {
            out.lost.push((Site::Item(item), LossKind::Group));
        }
    }
}

/// Writes the batch's extra: `data/` members inside the envelope (`inside`), others outside.
fn envelope_extra(
    out: &mut Out,
    extra: &batchwire_core::Extra,
    inside: bool,
    defined: &[&str],
) -> Result<(), EncodeError> {
    let mut part = batchwire_core::Extra::new();
    for (name, json) in extra.iter() {
        match (name.strip_prefix(DATA_PREFIX), inside) {
            (Some(inner), true) => part.push(inner, json.clone()),
            (None, false) => part.push(name, json.clone()),
            _ => {}
        }
    }
    out.extra(&part, defined, Site::Batch)
}

pub(crate) fn encode(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    match message {
        MessageRef::Request(batch) => {
            let count = batch.operation_count();
            if count == 0 || count > MAX_ACTIONS {
                return Err(EncodeError::new(
                    WriteErrorKind::TooManyOperations,
                    None,
                    format!("expected 1 to {MAX_ACTIONS} actions in an Asana batch, found {count}"),
                ));
            }
            batch_lost(&mut out, batch);
            out.begin_object();
            out.key("data");
            out.begin_object();
            out.key("actions");
            out.begin_array();
            for (n, op) in batch.operations().enumerate() {
                if op.target.contains('?') {
                    return Err(EncodeError::new(
                        WriteErrorKind::InvalidValue,
                        Some(n),
                        format!(
                            "expected a path without a query string (Asana takes query parameters in \"data\"), found {:?}",
                            op.target
                        ),
                    ));
                }
                out.element();
                out.begin_object();
                out.member_str("relative_path", &op.target);
                out.method("method", &op.method, &method::ASANA, n)?;
                if !op.body.is_empty() {
                    out.key("data");
                    out.body_json(&op.body, n)?;
                }
                request_lost(&mut out, op, n);
                out.extra(&op.extra, &["relative_path", "method", "data"], Site::Op(n))?;
                out.end_object();
            }
            out.end_array();
            envelope_extra(&mut out, &batch.extra, true, &["actions"])?;
            out.end_object();
            envelope_extra(&mut out, &batch.extra, false, &["data"])?;
            out.end_object();
        }
        MessageRef::Response(batch) => {
            batch_lost(&mut out, batch);
            out.begin_object();
            out.key("data");
            out.begin_array();
            for (n, op) in batch.operations().enumerate() {
                out.element();
                out.begin_object();
                out.key("body");
                out.body_json(&op.body, n)?;
                out.key("headers");
                out.header_object(&op.headers, op.body.len(), n)?;
                out.key("status_code");
                out.number(op.status.as_u16());
                if let Some(id) = &op.id {
                    out.lost
                        .push((Site::Op(n), LossKind::Id { id: id.clone() }));
                }
                response_lost(&mut out, op, n);
                out.extra(&op.extra, &["body", "headers", "status_code"], Site::Op(n))?;
                out.end_object();
            }
            out.end_array();
            out.extra(&batch.extra, &["data"], Site::Batch)?;
            out.end_object();
        }
    }
    Ok(out.finish(message))
}
