//! HTTP batch envelopes: many HTTP requests or responses packed into one HTTP message.
//!
//! Clients use batchwire to read the answers to a batch one by one; servers use it to read
//! an incoming batch and run each operation. One model ([`BatchRequest`],
//! [`BatchResponse`], [`Item`], [`AtomicGroup`], [`SubRequest`], [`SubResponse`]) serves
//! every wire [`Format`], and decoders hand out bodies that are slices of their input, so
//! reading a batch copies no body byte.
//!
//! One API serves every format: [`decode`] reads any of them into the model (telling the
//! format from the content type and the payload when asked to), and [`encode`] writes the
//! model in any of them, with the envelope headers to send it with and a [`WriteReport`] of
//! everything the format could not carry as it was. Errors, tolerances and losses name
//! their place the same way: byte offsets in the input, and [`Position`]s counted from 1,
//! `3.2` for the second member of the group at item 3.
//!
//! # Example
//!
//! ```
//! # #[cfg(all(feature = "multipart", feature = "json"))] {
//! use batchwire::{BatchMessage, DecodeOptions, Dialect, Format, JsonFormat, WriteOptions};
//! use bytes::Bytes;
//!
//! let body = Bytes::from_static(b"--batchresponse_1\r
//! Content-Type: application/http\r
//! \r
//! HTTP/1.1 200 OK\r
//! Content-Type: application/json\r
//! \r
//! {\"ID\":1}\r
//! --batchresponse_1\r
//! Content-Type: multipart/mixed; boundary=changesetresponse_1\r
//! \r
//! --changesetresponse_1\r
//! Content-Type: application/http\r
//! Content-ID: 1\r
//! \r
//! HTTP/1.1 201 Created\r
//! Location: Customers(10)\r
//! \r
//! \r
//! --changesetresponse_1--\r
//! --batchresponse_1--\r
//! ");
//! let content_type = b"multipart/mixed; boundary=batchresponse_1";
//! // `None`: tell the format from the content type and the payload.
//! let decoded = batchwire::decode(None, Some(content_type), &body, &DecodeOptions::default())?;
//! let BatchMessage::Response(batch) = &decoded.message else { panic!("a response batch") };
//! let statuses: Vec<u16> = batch.operations().map(|r| r.status.as_u16()).collect();
//! assert_eq!(statuses, [200, 201]);
//!
//! // The same batch as OData JSON: the changeset becomes an atomicity group.
//! let written = batchwire::encode(batch, Format::Json(JsonFormat::OdataJson), &WriteOptions::default())?;
//! assert_eq!(written.content_type(), "application/json");
//! assert!(written.body.starts_with(br#"{"responses":[{"id":"2","status":200"#));
//! // What OData JSON could not carry as it was, by position: it needs an id on every
//! // response, and has no place for reason phrases.
//! let lost: Vec<String> = written.report.iter().map(ToString::to_string).collect();
//! assert_eq!(lost, [
//!     "item 1: given the id \"2\"",
//!     "item 1: reason phrase not written",
//!     "item 2.1: reason phrase not written",
//! ]);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `multipart` | yes | [`multipart`]: OData `$batch` V2/V3/V4 with changesets, Google and Azure batches |
//! | `json` | yes | [`json`]: OData 4.01 JSON `$batch`, Microsoft Graph, Salesforce Composite, Asana and Meta Graph batches |
//! | `client` | yes | [`client`]: what happened to each request of a batch ([`client::correlate`]), service profiles, split and retry |
//! | `reqwest` | no | `send`: a batch sent with `reqwest`, split to a profile, the answer read as it arrives, what was throttled sent again |
//!
//! Each is optional: with `default-features = false, features = ["json"]` the multipart
//! crate is not compiled, and the reverse (`client` needs the JSON crate for the reference
//! parsers and error bodies); [`decode`] and [`encode`] then refuse the
//! formats of the codec left out, with an error that says so.
//!
//! # Why this crate
//!
//! It is the one to depend on for everything; a program that needs only one format can
//! depend on its codec crate (`batchwire-multipart` or `batchwire-json`) and compile nothing
//! else.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use batchwire_core::*;

#[cfg(feature = "multipart")]
#[doc(inline)]
pub use batchwire_multipart as multipart;

#[cfg(feature = "json")]
#[doc(inline)]
pub use batchwire_json as json;

#[cfg(feature = "client")]
#[doc(inline)]
pub use batchwire_client as client;

use bytes::Bytes;

#[cfg(feature = "reqwest")]
mod send;
#[cfg(feature = "reqwest")]
pub use send::{Exchanged, SendError, SendFailure, SendOptions, send};

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "multipart", feature = "json"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// Tells the format of a payload from its Content-Type value and its bytes.
///
/// A `multipart/*` content type, or a payload that starts with `--` (after blank lines
/// and a byte-order mark), is multipart (in the generic dialect). With the `json` feature,
/// a JSON payload is told apart by its top-level members (`requests`/`responses`,
/// `compositeRequest`, `batchRequests`, `graphs`, `data`, an array of `relative_url`
/// operations...; see `batchwire_json::detect`), and a JSON content type with a payload
/// that matches none is OData JSON, so that its decoder says what is wrong.
///
/// # Examples
///
/// ```
/// use batchwire::{detect, Dialect, Format, JsonFormat};
///
/// let multipart = Some(Format::Multipart(Dialect::Generic));
/// assert_eq!(detect(Some(b"multipart/mixed; boundary=b"), b""), multipart);
/// assert_eq!(detect(None, b"\r\n--batch_1\r\n"), multipart);
/// # #[cfg(feature = "json")] {
/// assert_eq!(detect(None, b"{\"requests\":[]}"), Some(Format::Json(JsonFormat::OdataJson)));
/// assert_eq!(detect(None, b"{\"batchRequests\":[]}"), Some(Format::Json(JsonFormat::SalesforceCompositeBatch)));
/// assert_eq!(detect(Some(b"application/json"), b"{\"data\":[]}"), Some(Format::Json(JsonFormat::Asana)));
/// # }
/// # #[cfg(not(feature = "json"))]
/// assert_eq!(detect(None, b"{\"requests\":[]}"), None);
/// ```
pub fn detect(content_type: Option<&[u8]>, payload: &[u8]) -> Option<Format> {
    if let Some(ct) = content_type {
        let ct = ct.trim_ascii_start();
        if ct.len() >= 10 && ct[..10].eq_ignore_ascii_case(b"multipart/") {
            return Some(Format::Multipart(Dialect::Generic));
        }
    }
    let unmarked = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
    if unmarked.trim_ascii_start().starts_with(b"--") {
        return Some(Format::Multipart(Dialect::Generic));
    }
    #[cfg(feature = "json")]
    {
        batchwire_json::detect(content_type, payload).map(Format::Json)
    }
    #[cfg(not(feature = "json"))]
    {
        None
    }
}

/// Reads a batch in any format into the owned model.
///
/// `format` is the payload's format, or `None` to tell it with [`detect`]. For multipart,
/// `content_type` gives the boundary (without it, the first delimiter line does), and the
/// dialect is the format's, or the options' when the format names the generic one. Bodies
/// are slices of `body`: nothing is copied.
///
/// # Errors
///
/// The codec's [`ParseError`], located at the first fault. A payload whose format cannot
/// be told is an [`ParseErrorKind::UnknownFormat`] error; one that starts like JSON but is
/// not valid JSON gets the JSON syntax error with its place.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "json")] {
/// use batchwire::{decode, DecodeOptions, ParseErrorKind};
/// use bytes::Bytes;
///
/// let body = Bytes::from_static(br#"{"requests":[{"id":"1","method":"get","url":"People"}]}"#);
/// let decoded = decode(None, Some(b"application/json"), &body, &DecodeOptions::strict())?;
/// assert_eq!(decoded.message.operation_count(), 1);
///
/// let err = decode(None, None, &Bytes::from_static(b"<html>"), &DecodeOptions::default()).unwrap_err();
/// assert_eq!(err.kind(), ParseErrorKind::UnknownFormat);
/// # }
/// # Ok::<(), batchwire::ParseError>(())
/// ```
pub fn decode(
    format: Option<Format>,
    content_type: Option<&[u8]>,
    body: &Bytes,
    options: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    let format = match format {
        Some(format) => format,
        None => detect(content_type, body).ok_or_else(|| unknown_format(body))?,
    };
    match format {
        Format::Multipart(dialect) => decode_multipart(dialect, content_type, body, options),
        Format::Json(format) => decode_json(format, body, options),
    }
}

/// Reads a batch that must hold requests; see [`decode`].
///
/// # Errors
///
/// As [`decode`], and [`ParseErrorKind::UnexpectedMessageKind`] for a batch of responses.
pub fn decode_request(
    format: Option<Format>,
    content_type: Option<&[u8]>,
    body: &Bytes,
    options: &DecodeOptions,
) -> Result<(BatchRequest, Vec<Tolerance>), ParseError> {
    let options = options.clone().with_kind(MessageKind::Request);
    let decoded = decode(format, content_type, body, &options)?;
    match decoded.message {
        BatchMessage::Request(batch) => Ok((batch, decoded.tolerated)),
        BatchMessage::Response(_) => Err(kind_mismatch(MessageKind::Request)),
    }
}

/// Reads a batch that must hold responses; see [`decode`].
///
/// # Errors
///
/// As [`decode`], and [`ParseErrorKind::UnexpectedMessageKind`] for a batch of requests.
pub fn decode_response(
    format: Option<Format>,
    content_type: Option<&[u8]>,
    body: &Bytes,
    options: &DecodeOptions,
) -> Result<(BatchResponse, Vec<Tolerance>), ParseError> {
    let options = options.clone().with_kind(MessageKind::Response);
    let decoded = decode(format, content_type, body, &options)?;
    match decoded.message {
        BatchMessage::Response(batch) => Ok((batch, decoded.tolerated)),
        BatchMessage::Request(_) => Err(kind_mismatch(MessageKind::Response)),
    }
}

/// Writes a batch — a [`BatchRequest`], a [`BatchResponse`] or a [`BatchMessage`], by
/// reference — in any format.
///
/// For multipart, the dialect is the format's, or the options' when the format names the
/// generic one. The result is the same for every format: the body, the envelope headers to
/// send it with (`Content-Type` always; `OData-Version`, `Prefer` and the like where the
/// format has them), and a [`WriteReport`] of everything the format could not carry as it
/// was, each with its [`Position`].
///
/// # Errors
///
/// A [`WriteError`], with the position of the operation at fault, when the batch cannot be
/// written in `format` at all; [`WriteErrorKind::Unsupported`] for a format whose codec is
/// not compiled in.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "multipart")] {
/// use batchwire::{encode, BatchRequest, Dialect, Format, SubRequest, WriteOptions};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// batch.push(SubRequest::new(Method::GET, "Customers(1)"));
/// let options = WriteOptions::default().with_boundary("b");
/// let written = encode(&batch, Format::Multipart(Dialect::OdataV4), &options)?;
/// assert_eq!(written.content_type(), "multipart/mixed; boundary=b");
/// assert_eq!(written.headers["odata-version"], "4.0");
/// assert!(written.report.is_empty());
/// # }
/// # Ok::<(), batchwire::WriteError>(())
/// ```
pub fn encode<'m>(
    batch: impl Into<MessageRef<'m>>,
    format: Format,
    options: &WriteOptions,
) -> Result<Written, WriteError> {
    let batch = batch.into();
    match format {
        Format::Multipart(dialect) => encode_multipart(batch, dialect, options),
        Format::Json(format) => encode_json(batch, format, options),
    }
}

/// The dialect a multipart format reads or writes by: its own, else the options'.
#[cfg(feature = "multipart")]
fn dialect_of(format: Dialect, options: Dialect) -> Dialect {
    if format == Dialect::Generic {
        options
    } else {
        format
    }
}

#[cfg(feature = "multipart")]
fn decode_multipart(
    dialect: Dialect,
    content_type: Option<&[u8]>,
    body: &Bytes,
    options: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    let dialect = dialect_of(dialect, options.dialect);
    let options = options.clone().with_dialect(dialect);
    batchwire_multipart::decode(body, content_type, &options)
}

#[cfg(not(feature = "multipart"))]
fn decode_multipart(
    _: Dialect,
    _: Option<&[u8]>,
    body: &Bytes,
    _: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    Err(codec_missing(body, "multipart"))
}

#[cfg(feature = "json")]
fn decode_json(
    format: JsonFormat,
    body: &Bytes,
    options: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    batchwire_json::decode(body, format, options)
}

#[cfg(not(feature = "json"))]
fn decode_json(_: JsonFormat, body: &Bytes, _: &DecodeOptions) -> Result<Decoded, ParseError> {
    Err(codec_missing(body, "json"))
}

#[cfg(feature = "multipart")]
fn encode_multipart(
    batch: MessageRef<'_>,
    dialect: Dialect,
    options: &WriteOptions,
) -> Result<Written, WriteError> {
    use batchwire_multipart::Encoder;

    let options = options
        .clone()
        .with_dialect(dialect_of(dialect, options.dialect));
    let encoder = match batch {
        MessageRef::Request(batch) => Encoder::request(batch, &options)?,
        MessageRef::Response(batch) => Encoder::response(batch, &options)?,
    };
    Ok(Written::new(
        encoder.headers(),
        encoder.to_bytes(),
        encoder.into_report(),
    ))
}

#[cfg(not(feature = "multipart"))]
fn encode_multipart(
    _: MessageRef<'_>,
    _: Dialect,
    _: &WriteOptions,
) -> Result<Written, WriteError> {
    Err(WriteError::new(
        WriteErrorKind::Unsupported,
        None,
        "expected a format whose codec is compiled in, found multipart (the `multipart` feature is off)",
    ))
}

#[cfg(feature = "json")]
fn encode_json(
    batch: MessageRef<'_>,
    format: JsonFormat,
    options: &WriteOptions,
) -> Result<Written, WriteError> {
    batchwire_json::encode(batch, format, options)
}

#[cfg(not(feature = "json"))]
fn encode_json(
    _: MessageRef<'_>,
    format: JsonFormat,
    _: &WriteOptions,
) -> Result<Written, WriteError> {
    Err(WriteError::new(
        WriteErrorKind::Unsupported,
        None,
        format!(
            "expected a format whose codec is compiled in, found {format} (the `json` feature is off)"
        ),
    ))
}

/// The error for a payload whose format cannot be told: the JSON syntax error when it
/// starts like JSON, else what it starts with.
fn unknown_format(body: &Bytes) -> ParseError {
    let start = body.len() - body.trim_ascii_start().len();
    #[cfg(feature = "json")]
    if matches!(body.get(start), Some(b'{' | b'['))
        && let Some(e) = batchwire_json::syntax_error(body)
    {
        return e;
    }
    ParseError::new(
        ParseErrorKind::UnknownFormat,
        body,
        start,
        format!(
            "expected a multipart batch (a delimiter line) or a JSON batch of a known format, found {}",
            Found(&body[start..])
        ),
    )
}

#[cfg(any(not(feature = "multipart"), not(feature = "json")))]
fn codec_missing(body: &Bytes, feature: &str) -> ParseError {
    ParseError::new(
        ParseErrorKind::UnknownFormat,
        body,
        0,
        format!("expected a format whose codec is compiled in (the `{feature}` feature is off)"),
    )
}

fn kind_mismatch(expected: MessageKind) -> ParseError {
    // Invariant: the kind was required, so the codec itself rejects the other kind.
    ParseError::new(
        ParseErrorKind::UnexpectedMessageKind,
        &[],
        0,
        format!("expected a {} batch", expected.as_str()),
    )
}
