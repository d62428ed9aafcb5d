//! Salesforce Composite Batch (`/composite/batch`): `{haltOnError, batchRequests:[...]}` and
//! `{hasErrors, results:[...]}`, both ways.

use batchwire_core::{
    Batch, BatchMessage, MessageRef, ParseError, ParseErrorKind as K, SubRequest, SubResponse,
    ToleranceKind,
};
use http::Method;

use super::{begin_results, check_has_errors, end_results, groups_lost};
use crate::method;
use crate::read::{At, Path, Reader, Top, is_null};
use crate::write::{
    EncodeError, Encoded, Out, Site, id_and_headers_lost, options_lost, request_lost,
    response_lost, too_many,
};

/// Subrequests in one `/composite/batch` call.
pub(crate) const BATCH_MAX: usize =
    crate::write::bound(crate::JsonFormat::SalesforceCompositeBatch);

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
            begin_results(&mut out, batch);
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
            end_results(&mut out, batch)?;
        }
    }
    Ok(out.finish(message))
}
