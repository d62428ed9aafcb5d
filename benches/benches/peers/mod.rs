//! The peers batchwire is compared with, written as a straightforward user of each crate
//! would write them, for the benchmarks only.
//!
//! Each multipart peer has two steps: its MIME layer hands out the bytes of each
//! `application/http` part (changesets flattened, in wire order), then [`http_parts`] reads
//! each with `httparse` into a [`Part`]. Both steps are timed. Each JSON peer reads a Salesforce
//! Composite response into typed structs (or a `serde_json::Value`) whose bodies are raw JSON.

// Each bench binary that includes this module uses a subset of it.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;
use memchr::memmem;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The header capacity a straightforward caller gives httparse.
const MAX_HEADERS: usize = 32;

/// An embedded HTTP message as a peer reads it.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    /// The request line or status line.
    pub(crate) start: Start<'a>,
    /// Header names and values, in wire order.
    pub(crate) headers: Vec<(&'a str, &'a [u8])>,
    /// The bytes after the header section.
    pub(crate) body: &'a [u8],
}

/// The first line of an embedded message.
#[derive(Debug)]
pub(crate) enum Start<'a> {
    /// A request line.
    Request {
        /// The method.
        method: &'a str,
        /// The request target.
        target: &'a str,
    },
    /// A status line.
    Response {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: &'a str,
    },
}

impl Part<'_> {
    /// The status code of a response, 0 for a request.
    pub(crate) fn status(&self) -> u16 {
        match self.start {
            Start::Response { status, .. } => status,
            Start::Request { .. } => 0,
        }
    }
}

/// Reads each part's bytes as an embedded HTTP message with `httparse`.
pub(crate) fn http_parts<'a, B: AsRef<[u8]> + 'a>(
    raw: impl IntoIterator<Item = &'a B>,
) -> Result<Vec<Part<'a>>, String> {
    raw.into_iter().map(|b| http_part(b.as_ref())).collect()
}

/// One embedded message: a request or a status line, headers, and the rest as the body.
pub(crate) fn http_part(bytes: &[u8]) -> Result<Part<'_>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (start, len) = if bytes.starts_with(b"HTTP/") {
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(len) = response.parse(bytes).map_err(|e| e.to_string())?
        else {
            return Err("incomplete embedded response head".into());
        };
        let start = Start::Response {
            status: response.code.unwrap_or_default(),
            reason: response.reason.unwrap_or_default(),
        };
        (start, len)
    } else {
        let mut request = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(len) = request.parse(bytes).map_err(|e| e.to_string())?
        else {
            return Err("incomplete embedded request head".into());
        };
        let start = Start::Request {
            method: request.method.unwrap_or_default(),
            target: request.path.unwrap_or_default(),
        };
        (start, len)
    };
    let headers = headers
        .iter()
        .take_while(|h| !h.name.is_empty())
        .map(|h| (h.name, h.value))
        .collect();
    Ok(Part {
        start,
        headers,
        body: &bytes[len..],
    })
}

/// The `boundary` parameter of a `multipart/*` Content-Type value, if it is one.
fn multipart_boundary(content_type: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(content_type).ok()?;
    if !value
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"))
    {
        return None;
    }
    let at = value.find("boundary=")? + "boundary=".len();
    let rest = &value[at..];
    let rest = rest.split(';').next().unwrap_or(rest).trim();
    Some(rest.trim_matches('"'))
}

/// The reference design: `memchr::memmem` finds each `\n--boundary`, `httparse` reads the
/// MIME headers of the part and, for an `application/http` part, the embedded message. A
/// changeset (a `multipart/mixed` part) is split the same way, recursively.
pub(crate) fn memmem_split<'a>(input: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let mut parts = Vec::new();
    memmem_level(input, boundary, &mut parts)?;
    Ok(parts)
}

fn memmem_level<'a>(
    input: &'a [u8],
    boundary: &str,
    parts: &mut Vec<Part<'a>>,
) -> Result<(), String> {
    let delimiter = format!("\n--{boundary}");
    let finder = memmem::Finder::new(delimiter.as_bytes());
    // The first delimiter may open the input, without a line break before it.
    let mut pos = if input.starts_with(&delimiter.as_bytes()[1..]) {
        delimiter.len() - 1
    } else {
        finder.find(input).ok_or("no delimiter")? + delimiter.len()
    };
    loop {
        if input[pos..].starts_with(b"--") {
            return Ok(());
        }
        pos += memchr::memchr(b'\n', &input[pos..]).ok_or("delimiter line not ended")? + 1;
        let end = pos + finder.find(&input[pos..]).ok_or("no close delimiter")?;
        let part = &input[pos..end];
        let part = part.strip_suffix(b"\r").unwrap_or(part);
        memmem_part(part, parts)?;
        pos = end + delimiter.len();
    }
}

fn memmem_part<'a>(part: &'a [u8], parts: &mut Vec<Part<'a>>) -> Result<(), String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let httparse::Status::Complete((len, headers)) =
        httparse::parse_headers(part, &mut headers).map_err(|e| e.to_string())?
    else {
        return Err("incomplete part headers".into());
    };
    let nested = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .and_then(|h| multipart_boundary(h.value));
    if let Some(boundary) = nested {
        return memmem_level(&part[len..], boundary, parts);
    }
    parts.push(http_part(&part[len..])?);
    Ok(())
}

/// The body with the batch's `Content-Type` header before it, as `mail-parser` wants a whole
/// MIME entity.
pub(crate) fn mail_entity(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut entity = format!("Content-Type: {content_type}\r\n\r\n").into_bytes();
    entity.extend_from_slice(body);
    entity
}

/// `mail-parser` reads the whole entity (MIME headers only); the contents of each leaf part
/// are the embedded messages, for [`http_parts`].
pub(crate) fn mail_parser_split(entity: &[u8]) -> Result<Vec<&[u8]>, String> {
    let message = mail_parser::MessageParser::new()
        .with_mime_headers()
        .parse(entity)
        .ok_or("not a MIME entity")?;
    let mut contents = Vec::with_capacity(message.parts.len());
    for part in &message.parts {
        match &part.body {
            mail_parser::PartType::Binary(Cow::Borrowed(bytes))
            | mail_parser::PartType::InlineBinary(Cow::Borrowed(bytes)) => contents.push(*bytes),
            mail_parser::PartType::Multipart(_) => {}
            other => return Err(format!("unexpected part {other:?}")),
        }
    }
    Ok(contents)
}

/// `multer` reads the body from a stream of one chunk (the most favourable feeding), on
/// `futures`' executor; a field that is itself `multipart/mixed` is read again the same way.
/// Each leaf field's bytes are an embedded message, for [`http_parts`].
pub(crate) fn multer_split(body: Bytes, boundary: &str) -> Result<Vec<Bytes>, String> {
    let mut fields = Vec::new();
    futures::executor::block_on(multer_level(body, boundary.to_owned(), &mut fields))?;
    Ok(fields)
}

async fn multer_level(
    body: Bytes,
    boundary: String,
    fields: &mut Vec<Bytes>,
) -> Result<(), String> {
    let stream = futures::stream::iter([Ok::<Bytes, Infallible>(body)]);
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let nested = field
            .content_type()
            .filter(|m| m.type_() == "multipart")
            .and_then(|m| m.get_param("boundary"))
            .map(|b| b.as_str().to_owned());
        let bytes = field.bytes().await.map_err(|e| e.to_string())?;
        match nested {
            Some(boundary) => Box::pin(multer_level(bytes, boundary, fields)).await?,
            None => fields.push(bytes),
        }
    }
    Ok(())
}

/// A Salesforce Composite response read by `serde_json` into typed structs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SerdeComposite<'a> {
    /// One result per subrequest.
    #[serde(borrow)]
    pub(crate) composite_response: Vec<SerdeResult<'a>>,
}

/// One Composite result with its body as raw JSON.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SerdeResult<'a> {
    /// The body, `None` for `null`.
    #[serde(borrow)]
    pub(crate) body: Option<&'a RawValue>,
    /// The response headers.
    #[serde(borrow)]
    pub(crate) http_headers: HashMap<&'a str, &'a str>,
    /// The status.
    pub(crate) http_status_code: u16,
    /// The subrequest's reference id.
    pub(crate) reference_id: &'a str,
}

/// A Salesforce Composite response read by `sonic-rs` into typed structs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SonicComposite<'a> {
    /// One result per subrequest.
    #[serde(borrow)]
    pub(crate) composite_response: Vec<SonicResult<'a>>,
}

/// One Composite result with its body as `sonic-rs`'s raw value.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SonicResult<'a> {
    /// The body, `None` for `null`.
    #[serde(borrow)]
    pub(crate) body: Option<sonic_rs::LazyValue<'a>>,
    /// The response headers.
    #[serde(borrow)]
    pub(crate) http_headers: HashMap<&'a str, &'a str>,
    /// The status.
    pub(crate) http_status_code: u16,
    /// The subrequest's reference id.
    pub(crate) reference_id: &'a str,
}

/// `serde_json` into typed structs with `&RawValue` bodies.
pub(crate) fn serde_raw(input: &[u8]) -> Result<SerdeComposite<'_>, String> {
    serde_json::from_slice(input).map_err(|e| e.to_string())
}

/// `serde_json` into a `Value` tree.
pub(crate) fn serde_value(input: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(input).map_err(|e| e.to_string())
}

/// `sonic-rs` into typed structs with `LazyValue` bodies.
pub(crate) fn sonic_typed(input: &[u8]) -> Result<SonicComposite<'_>, String> {
    sonic_rs::from_slice(input).map_err(|e| e.to_string())
}

/// The reference writer: a hand-written concatenation of an OData V4 multipart batch from
/// the model into a reused buffer, the way a caller who knows the batch is well-formed would
/// write it. The boundaries are given; the `Content-Length` is the body's; nothing is
/// checked, reported, escaped or numbered.
pub(crate) fn concat_multipart(
    message: &batchwire_core::BatchMessage,
    boundary: &str,
    changeset: &str,
    out: &mut Vec<u8>,
) {
    use batchwire_core::{BatchMessage, Item};

    fn concat_items<T>(
        items: &[Item<T>],
        boundary: &str,
        changeset: &str,
        out: &mut Vec<u8>,
        op: fn(&T, &mut Vec<u8>),
    ) {
        for item in items {
            delimiter(out, boundary);
            match item {
                Item::Operation(o) => {
                    out.extend_from_slice(
                        b"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n",
                    );
                    op(o, out);
                }
                Item::Group(g) => {
                    out.extend_from_slice(b"Content-Type: multipart/mixed; boundary=");
                    out.extend_from_slice(changeset.as_bytes());
                    out.extend_from_slice(b"\r\n\r\n");
                    for o in &g.operations {
                        delimiter(out, changeset);
                        out.extend_from_slice(
                            b"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n",
                        );
                        op(o, out);
                    }
                    close(out, changeset);
                }
            }
        }
        close(out, boundary);
    }

    fn delimiter(out: &mut Vec<u8>, boundary: &str) {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    fn close(out: &mut Vec<u8>, boundary: &str) {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
    }

    fn headers_and_body(headers: &batchwire_core::Headers, body: &[u8], out: &mut Vec<u8>) {
        for h in headers {
            if h.is("content-length") {
                continue;
            }
            out.extend_from_slice(h.name());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value());
            out.extend_from_slice(b"\r\n");
        }
        if !body.is_empty() {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(body.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }

    fn concat_request(r: &batchwire_core::SubRequest, out: &mut Vec<u8>) {
        out.extend_from_slice(r.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(r.target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        headers_and_body(&r.headers, &r.body, out);
    }

    fn concat_response(r: &batchwire_core::SubResponse, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(r.status.as_str().as_bytes());
        out.push(b' ');
        let reason = r.reason.as_deref();
        let canonical = r.status.canonical_reason().map(str::as_bytes);
        out.extend_from_slice(reason.or(canonical).unwrap_or_default());
        out.extend_from_slice(b"\r\n");
        headers_and_body(&r.headers, &r.body, out);
    }

    match message {
        BatchMessage::Request(batch) => {
            concat_items(&batch.items, boundary, changeset, out, concat_request);
        }
        BatchMessage::Response(batch) => {
            concat_items(&batch.items, boundary, changeset, out, concat_response);
        }
    }
}
