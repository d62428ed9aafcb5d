//! Salesforce sObject Tree and sObject Collections responses, both ways: their requests are
//! records, not batch operations, so only responses are read or written.

use std::collections::HashMap;

use batchwire_core::{
    Batch, BatchMessage, LossKind, MessageRef, ParseError, ParseErrorKind as K, SubResponse,
    WriteErrorKind,
};
use http::StatusCode;
use serde_json::value::RawValue;

use super::{begin_results, check_has_errors, end_results, groups_lost};
use crate::body::is_json;
use crate::read::{Path, Reader, Shown, Top, is_null};
use crate::write::{EncodeError, Encoded, Out, Site, options_lost};

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

fn no_requests(format: &str) -> EncodeError {
    EncodeError::new(
        WriteErrorKind::Unsupported,
        None,
        format!("expected a response batch: {format} requests are records, not batch operations"),
    )
}

/// The members of a body that is one JSON object, by name; `None` for anything else.
fn object_members(body: &[u8]) -> Option<HashMap<String, &RawValue>> {
    serde_json::from_slice(body).ok()
}

/// Writes the `errors` of a failed result from a body that is not a result: the body itself
/// when it is an array (Salesforce answers a failed call with its errors array), an array of
/// the body otherwise, an empty array for no body. A body is reported as put in a result.
fn errors_from(out: &mut Out, op: &SubResponse, n: usize) -> Result<(), EncodeError> {
    if op.body.is_empty() {
        out.raw(b"[]");
        return Ok(());
    }
    out.lose_because(
        Site::Op(n),
        LossKind::BodyAsResult,
        "the body is the \"errors\" of a failed result",
    );
    if op.body.trim_ascii_start().first() == Some(&b'[') && is_json(&op.body) {
        out.json_value(&op.body, n);
    } else {
        out.begin_array();
        out.element();
        out.body_json(&op.body, n)?;
        out.end_array();
    }
    Ok(())
}

/// Reports what a result of an sObject format cannot say of a response: its status when the
/// result reads back as another, a body made up where there was none, its headers, its
/// reason phrase and its part headers.
fn result_lost(out: &mut Out, op: &SubResponse, n: usize, read_back: u16) {
    if op.omitted {
        out.lost.push((Site::Op(n), LossKind::Omitted));
    } else {
        if op.status.as_u16() != read_back {
            out.lost.push((
                Site::Op(n),
                LossKind::Status {
                    status: op.status.as_u16(),
                    written: read_back,
                },
            ));
        }
        if op.body.is_empty() {
            out.lose_because(
                Site::Op(n),
                LossKind::BodyAsResult,
                "the format has no result without a body",
            );
        }
    }
    headers_lost(out, op, n);
}

/// Reports the headers, reason phrase and part headers of a response, which no sObject
/// result carries.
fn headers_lost(out: &mut Out, op: &SubResponse, n: usize) {
    for h in &op.headers {
        out.lost.push((
            Site::Op(n),
            LossKind::Header {
                name: h.name_str().into_owned(),
            },
        ));
    }
    if op.reason.is_some() {
        out.lost.push((Site::Op(n), LossKind::Reason));
    }
    out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
    for (name, _) in op.extra.iter() {
        out.lost.push((
            Site::Op(n),
            LossKind::Member {
                name: name.to_owned(),
            },
        ));
    }
}

fn not_a_result(n: usize, op: &SubResponse, expected: &str) -> EncodeError {
    let text = String::from_utf8_lossy(&op.body);
    // Text that is not JSON is shown as a string, so its bounds are plain.
    let text = if is_json(&op.body) {
        text.into_owned()
    } else {
        format!("{text:?}")
    };
    EncodeError::new(
        WriteErrorKind::InvalidBody,
        Some(n),
        format!(
            "expected {expected} as the body of a {} response, found {}",
            op.status.as_u16(),
            Shown(&text)
        ),
    )
}

/// Writes sObject Tree results: a body that is a result agreeing with the status (`errors`
/// for a failure, none for a success) verbatim; a failure's other body as the `errors` of a
/// result; no body as the smallest result. Every result has its `referenceId`: the body's,
/// the response's id, or one made up (reported).
pub(crate) fn encode_tree(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let MessageRef::Response(batch) = message else {
        return Err(no_requests("sObject Tree"));
    };
    let mut out = Out::new();
    begin_results(&mut out, batch);
    for (n, op) in batch.operations().enumerate() {
        out.element();
        let failed = op.status.as_u16() >= 400 && !op.omitted;
        let members = object_members(&op.body);
        let reference = members.as_ref().and_then(|m| m.get("referenceId"));
        let has_errors = members.as_ref().is_some_and(|m| m.contains_key("errors"));
        if let Some(reference) = reference {
            let Ok(body_id) = serde_json::from_str::<String>(reference.get()) else {
                return Err(not_a_result(
                    n,
                    op,
                    "a result whose \"referenceId\" is a string",
                ));
            };
            if has_errors != failed {
                return Err(not_a_result(
                    n,
                    op,
                    if failed {
                        "a result with \"errors\""
                    } else {
                        "a result without \"errors\""
                    },
                ));
            }
            out.json_value(&op.body, n);
            if let Some(id) = op.id.as_ref().filter(|id| **id != body_id) {
                out.lost
                    .push((Site::Op(n), LossKind::Id { id: id.clone() }));
            }
        } else if failed || op.body.is_empty() {
            out.begin_object();
            if let Some(id) = &op.id {
                out.member_str("referenceId", id);
            } else {
                let id = format!("ref{}", n + 1);
                out.member_str("referenceId", &id);
                out.lost.push((Site::Op(n), LossKind::IdInvented { id }));
            }
            if failed {
                out.key("errors");
                errors_from(&mut out, op, n)?;
            }
            out.end_object();
        } else {
            return Err(not_a_result(
                n,
                op,
                "a result object with a \"referenceId\"",
            ));
        }
        result_lost(&mut out, op, n, if failed { 400 } else { 201 });
    }
    end_results(&mut out, batch)?;
    Ok(out.finish(message))
}

/// Writes sObject Collections results: `null` for an omitted response; a body that is an
/// object (a `SaveResult` or a record) verbatim unless the response failed and it does not
/// say `"success": false`; a failure's other body as the `errors` of a `SaveResult`; no body
/// as the smallest `SaveResult`. A status the result reads back as another is reported.
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
        if let Some(id) = &op.id {
            out.lost
                .push((Site::Op(n), LossKind::Id { id: id.clone() }));
        }
        if op.omitted {
            out.raw(b"null");
            headers_lost(&mut out, op, n);
            continue;
        }
        let failed = op.status.as_u16() >= 400;
        let members = object_members(&op.body);
        let says_failure = members
            .as_ref()
            .and_then(|m| m.get("success"))
            .is_some_and(|s| s.get() == "false");
        let read_back = match members {
            Some(_) if says_failure || !failed => {
                out.json_value(&op.body, n);
                if says_failure { 400 } else { 200 }
            }
            None if !failed && !op.body.is_empty() => {
                return Err(not_a_result(n, op, "a SaveResult or record object"));
            }
            _ => {
                out.begin_object();
                out.key("id");
                out.raw(b"null");
                out.key("success");
                out.boolean(!failed);
                out.key("errors");
                if failed {
                    errors_from(&mut out, op, n)?;
                } else {
                    out.raw(b"[]");
                }
                out.end_object();
                if failed { 400 } else { 200 }
            }
        };
        result_lost(&mut out, op, n, read_back);
    }
    out.end_array();
    Ok(out.finish(message))
}
