//! Salesforce sObject Tree and sObject Collections responses, both ways: their requests are
//! records, not batch operations, so only responses are read or written.

use batchwire_core::{
    Batch, BatchMessage, LossKind, MessageRef, ParseError, ParseErrorKind as K, SubResponse,
    WriteErrorKind,
};
use http::StatusCode;

use super::{begin_results, check_has_errors, end_results, groups_lost};
use crate::read::{Path, Reader, Shown, Top, is_null};
use crate::write::{EncodeError, Encoded, Out, Site, options_lost, response_lost};

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

pub(crate) fn encode_tree(message: MessageRef<'_>) -> Result<Encoded, EncodeError> {
    let MessageRef::Response(batch) = message else {
        return Err(no_requests("sObject Tree"));
    };
    let mut out = Out::new();
    begin_results(&mut out, batch);
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
    end_results(&mut out, batch)?;
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
