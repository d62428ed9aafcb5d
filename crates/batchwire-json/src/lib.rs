//! Zero-copy reader and writer of JSON HTTP batches: OData 4.01 JSON `$batch`, Microsoft
//! Graph `$batch`, Salesforce Composite, Composite Batch and Composite Graph (plus sObject Tree
//! and sObject Collections responses), Asana batches and Meta Graph batches.
//!
//! [`decode`] reads a document into the owned model of `batchwire-core`; every JSON body is
//! its exact JSON text, a `Bytes::slice_ref` of the input, so no body byte is copied and large
//! numbers, key order and escapes survive. [`encode`] writes the model back, emitting each
//! JSON body verbatim (never re-serialized), and lists in [`Written::report`](batchwire_core::Written::report) whatever the
//! format cannot carry.
//!
//! # Example
//!
//! ```
//! use batchwire_core::{BatchMessage, Item};
//! use batchwire_json::{decode, encode, DecodeOptions, WriteOptions, JsonFormat};
//! use bytes::Bytes;
//!
//! let body = Bytes::from_static(br#"{"requests":[
//!   {"id":"r1","method":"get","url":"Customers(1)"},
//!   {"id":"c1","atomicityGroup":"g1","method":"post","url":"Customers",
//!    "headers":{"content-type":"application/json"},"body":{"ID":10,"price":1234567890123456789012.50}}
//! ]}"#);
//! let decoded = decode(&body, JsonFormat::OdataJson, &DecodeOptions::strict())?;
//! let BatchMessage::Request(batch) = &decoded.message else { panic!("a request batch") };
//! let Item::Group(group) = &batch.items[1] else { panic!("an atomicity group") };
//! assert_eq!(group.id.as_deref(), Some("g1"));
//! let post = &group.operations[0];
//! assert_eq!(&post.body[..], br#"{"ID":10,"price":1234567890123456789012.50}"#);
//! // The body points into `body`: nothing was copied.
//! assert!(body.as_ptr_range().contains(&post.body.as_ptr()));
//!
//! // Salesforce Composite has no group beside a plain operation, and takes Content-Type
//! // from the outer request: the report says what was not written.
//! let written = encode(&decoded.message, JsonFormat::SalesforceComposite, &WriteOptions::default())?;
//! let lost: Vec<String> = written.report.iter().map(ToString::to_string).collect();
//! assert_eq!(lost, [
//!     "item 2: atomic group written as plain operations",
//!     "item 2.1: header \"content-type\" not written",
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Formats
//!
//! | [`JsonFormat`] | request | response | correlation | atomic unit |
//! |---|---|---|---|---|
//! | `OdataJson` | `{"requests":[{id, method, url, headers, body, atomicityGroup, dependsOn, if}]}` | `{"responses":[{id, status, headers, body, atomicityGroup}], "@nextLink"}` | `id` | `atomicityGroup` → [`AtomicGroup`](batchwire_core::AtomicGroup) |
//! | `MsGraph` | same, ≤ 20 requests, Content-Type with every body | same | `id`, case-insensitive | none |
//! | `SalesforceComposite` | `{allOrNone, collateSubrequests, compositeRequest:[{method, url, referenceId, body, httpHeaders}]}` | `{compositeResponse:[{body, httpHeaders, httpStatusCode, referenceId}]}` | `referenceId` | `allOrNone` → one group |
//! | `SalesforceCompositeBatch` | `{haltOnError, batchRequests:[{method, url, richInput}]}` | `{hasErrors, results:[{statusCode, result}]}` | position | none |
//! | `SalesforceCompositeGraph` | `{graphs:[{graphId, compositeRequest:[...]}]}` | `{graphs:[{graphId, graphResponse:{compositeResponse:[...]}, isSuccessful}]}` | `referenceId` | each graph → a group |
//! | `SalesforceSObjectTree` | (records, not a batch) | `{hasErrors, results:[{referenceId, id \| errors}]}` | `referenceId` | whole request |
//! | `SalesforceSObjectCollections` | (records, not a batch) | `[{id, success, errors}, ...]` | position | none |
//! | `Asana` | `{"data":{"actions":[{relative_path, method, data, options}]}}` | `{"data":[{status_code, headers, body}]}` | position | none |
//! | `MetaGraph` | `[{method, relative_url, body, headers, name, depends_on}]` | `[{code, headers:[{name, value}], body} \| null]` | position (`name` for references) | none |
//!
//! Members the model does not name (OData `if` and annotations, Asana `options`, Meta
//! `omit_response_on_success`, unknown members read leniently) are kept as raw JSON in the
//! `extra` of the batch, group or operation, and written back.
//!
//! # Bodies
//!
//! Formats that label bodies with a media type (OData, Graph) carry a JSON value for
//! `application/json` (and `+json`, or no Content-Type), a string for `text/*` and base64url
//! for anything else. Reading, the model's body is the JSON text itself (a slice), the
//! unescaped text (a slice when it holds no escape), or the decoded bytes. Base64url is read
//! padded or not (OData's ABNF makes the padding optional); the standard alphabet (`+`, `/`),
//! which Microsoft Graph SDKs write, is read as such for `MsGraph` and, for `OdataJson`, only
//! leniently and reported. Writing does the reverse, base64url padded.
//! Salesforce and Asana bodies are any JSON value; Meta bodies are strings (URL-encoded forms
//! in requests, JSON text in responses).
//!
//! # Strict and lenient
//!
//! [`DecodeOptions::lenient`] (the default) keeps unknown members of requests, accepts
//! standard base64 in OData JSON and numeric strings where numbers belong, and reports each such tolerance
//! with its byte offset in [`Decoded::tolerated`]. [`DecodeOptions::strict`] turns each into an
//! error. Both reject what is not JSON, duplicate member names, duplicate ids, dependencies on
//! unknown or later operations, and references to later ones. An OData `$<id>` at the start
//! of a URL that names no request, group or system resource of the batch (`$metadata`) is a
//! tolerance.
//!
//! # Limits
//!
//! [`DecodeOptions::limits`] bound what a hostile document can make the reader store. No
//! array holds more elements than [`Limits::max_parts`](batchwire_core::Limits::max_parts) (operations); no header object
//! more members than [`Limits::max_headers`](batchwire_core::Limits::max_headers); no other object more members than
//! `max_headers`, or 256 when that is lower (so a lowered header limit never refuses an
//! operation for its own members); and no operation more references (`@{...}`,
//! `{result=...}`, well formed or not) than `max_parts`. What lies past a limit is counted,
//! not stored, and the [`ParseErrorKind::LimitExceeded`] error gives the count. Records kept
//! whole as bodies (sObject Tree results, sObject Collections records) are not bounded, as
//! no body is.
//!
//! # Errors
//!
//! Every error carries the byte offset, line and column of the fault and names the member by
//! its JSON Pointer:
//!
//! ```
//! use batchwire_json::{decode, DecodeOptions, JsonFormat};
//! use bytes::Bytes;
//!
//! let body = Bytes::from_static(br#"{"requests":[{"id":"r1","method":"get","url":"A"},{"id":"r1","method":"get","url":"B"}]}"#);
//! let err = decode(&body, JsonFormat::OdataJson, &DecodeOptions::strict()).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "expected each id once in a batch, found \"r1\" again at /requests/1/id, first at /requests/0/id at byte 56 (line 1, column 57)"
//! );
//! ```
//!
//! # Why this crate, and when not
//!
//! It is the piece to use when batches arrive as JSON, and it pulls in no multipart parser.
//! It reads whole documents held in memory (a batch is bounded by [`Limits`]); it does not
//! stream. For all formats behind one API, use `batchwire`.
//!
//! [`Limits`]: batchwire_core::Limits
#![forbid(unsafe_code)]

mod asana;
mod body;
mod dependency;
mod meta;
mod method;
mod odata;
mod read;
pub mod reference;
mod salesforce;
mod write;

pub use batchwire_core::{
    DecodeOptions, Decoded, JsonFormat, UnknownFormat, WriteOptions, Written,
};
use batchwire_core::{Format, MessageRef, ParseError, ParseErrorKind, WriteError};
use bytes::Bytes;

pub use dependency::{failed_dependencies, failed_dependency_response};

use read::{Object, Path, Reader, Top, is_null};
use serde_json::value::RawValue;

/// The first syntax error of `input`, located, if it is not one JSON text (RFC 8259); `None`
/// when it is, whatever its members.
///
/// # Examples
///
/// ```
/// let err = batchwire_json::syntax_error(b"{\"requests\":[}").unwrap();
/// assert_eq!(err.to_string(), "invalid JSON: expected value at byte 13 (line 1, column 14)");
/// assert!(batchwire_json::syntax_error(b"{\"items\":[]}").is_none());
/// ```
pub fn syntax_error(input: &[u8]) -> Option<ParseError> {
    match Reader::borrowed(input, true, batchwire_core::Limits::default()) {
        Ok(reader) => reader.syntax_error(),
        Err(e) => Some(e),
    }
}

/// Reads a JSON batch of `format` from a shared buffer into the owned model.
///
/// Whether it holds requests or responses follows from its members (`requests` or
/// `responses`, `compositeRequest` or `compositeResponse`...), unless
/// [`DecodeOptions::kind`] requires one. An empty Meta Graph array or Composite Graph says
/// neither: it is read as the required kind, or as requests.
///
/// # Errors
///
/// A [`ParseError`] at the first fault: bad JSON syntax, a member of the wrong type, a
/// missing or (in strict mode) unknown member, a duplicate member name or id, a reference to
/// an unknown or later operation, a limit exceeded, or (in strict mode) any tolerance.
///
/// # Complexity
///
/// Linear in the input: each level of the document is scanned once for its members, so a
/// body is scanned once per enclosing level (three times for an OData body) and never parsed
/// into values.
///
/// # Examples
///
/// ```
/// use batchwire_core::BatchMessage;
/// use batchwire_json::{decode, DecodeOptions, JsonFormat};
/// use bytes::Bytes;
///
/// let body = Bytes::from_static(br#"{"data":[{"status_code":201,"headers":{"location":"/tasks/1"},"body":{"data":{"gid":"1"}}}]}"#);
/// let decoded = decode(&body, JsonFormat::Asana, &DecodeOptions::strict())?;
/// let BatchMessage::Response(batch) = decoded.message else { unreachable!() };
/// let response = batch.operations().next().unwrap();
/// assert_eq!(response.status, 201);
/// assert_eq!(response.headers.get("Location"), Some(&b"/tasks/1"[..]));
/// assert_eq!(&response.body[..], br#"{"data":{"gid":"1"}}"#);
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
pub fn decode(
    input: &Bytes,
    format: JsonFormat,
    options: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    let mut r = Reader::new(input, options.strict, options.limits)?;
    r.kind = options.kind;
    let top = r.top()?;
    let message = match format {
        JsonFormat::OdataJson => odata::decode(&mut r, top, odata::Profile::Odata)?,
        JsonFormat::MsGraph => odata::decode(&mut r, top, odata::Profile::Graph)?,
        JsonFormat::SalesforceComposite => salesforce::decode_composite(&mut r, top)?,
        JsonFormat::SalesforceCompositeBatch => salesforce::decode_batch(&mut r, top)?,
        JsonFormat::SalesforceCompositeGraph => salesforce::decode_graph(&mut r, top)?,
        JsonFormat::SalesforceSObjectTree => salesforce::decode_tree(&mut r, top)?,
        JsonFormat::SalesforceSObjectCollections => salesforce::decode_collections(&mut r, top)?,
        JsonFormat::Asana => asana::decode(&mut r, top)?,
        JsonFormat::MetaGraph => meta::decode(&mut r, top)?,
    };
    if let Some(kind) = options.kind
        && message.kind() != kind
    {
        // At the member or element that says which kind the document holds.
        let offset = r.kind_at.unwrap_or_else(|| r.top_offset());
        return Err(ParseError::new(
            ParseErrorKind::UnexpectedMessageKind,
            input,
            offset,
            format!(
                "expected a {} batch, found a {} batch",
                kind.as_str(),
                message.kind().as_str()
            ),
        ));
    }
    // Formats check some things after reading a whole level (ids, dependencies, hasErrors),
    // so tolerances are met out of order; a stable sort keeps those at one offset in the
    // order met.
    let mut tolerated = r.tolerated;
    tolerated.sort_by_key(|t| t.offset);
    Ok(Decoded::new(message, Format::Json(format), None, tolerated))
}

/// Writes a batch in `format`, as compact JSON: a [`BatchRequest`](batchwire_core::BatchRequest),
/// a [`BatchResponse`](batchwire_core::BatchResponse) or a
/// [`BatchMessage`](batchwire_core::BatchMessage), by reference.
///
/// Bodies that are JSON are emitted verbatim; what the format cannot carry (a group, a
/// header, a dependency, an id) is listed in the [`Written::report`] rather than dropped
/// silently. The envelope headers are `Content-Type: application/json`, and for OData JSON
/// `OData-Version: 4.01` and, when the batch asks to continue on error, `Prefer:
/// odata.continue-on-error`.
///
/// # Errors
///
/// A [`WriteError`] when the batch cannot be written at all: a body the format must carry
/// as text that is not UTF-8, more operations than the format allows, a method the format
/// does not allow (`MERGE` in OData JSON: its reader would refuse it), requests for a
/// response-only format. Its position is the operation's, 1-based and hierarchical.
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchResponse, SubResponse};
/// use batchwire_json::{encode, WriteOptions, JsonFormat};
/// use http::StatusCode;
///
/// let mut batch = BatchResponse::new();
/// batch.push(
///     SubResponse::new(StatusCode::OK)
///         .with_id("r1")
///         .with_header("content-type", "text/plain")
///         .with_body("4"),
/// );
/// let written = encode(&batch, JsonFormat::OdataJson, &WriteOptions::default())?;
/// assert_eq!(
///     &written.body[..],
///     br#"{"responses":[{"id":"r1","status":200,"headers":{"content-type":"text/plain"},"body":"4"}]}"#
/// );
/// assert_eq!(written.content_type(), "application/json");
/// assert!(written.report.is_empty());
/// # Ok::<(), batchwire_core::WriteError>(())
/// ```
pub fn encode<'m>(
    batch: impl Into<MessageRef<'m>>,
    format: JsonFormat,
    options: &WriteOptions,
) -> Result<Written, WriteError> {
    let message = batch.into();
    let written = match format {
        JsonFormat::OdataJson => odata::encode(message, odata::Profile::Odata, options),
        JsonFormat::MsGraph => odata::encode(message, odata::Profile::Graph, options),
        JsonFormat::SalesforceComposite => salesforce::encode_composite(message, options),
        JsonFormat::SalesforceCompositeBatch => salesforce::encode_batch(message),
        JsonFormat::SalesforceCompositeGraph => salesforce::encode_graph(message, options),
        JsonFormat::SalesforceSObjectTree => salesforce::encode_tree(message),
        JsonFormat::SalesforceSObjectCollections => salesforce::encode_collections(message),
        JsonFormat::Asana => asana::encode(message),
        JsonFormat::MetaGraph => meta::encode(message),
    };
    written.map_err(|e| e.at(&message.positions()))
}

/// Guesses the JSON batch format of a payload from its Content-Type and its top-level
/// members.
///
/// | top level | format |
/// |---|---|
/// | `requests` or `responses` | [`JsonFormat::OdataJson`] (Graph's `$batch` has the same shape) |
/// | `compositeRequest` or `compositeResponse` | [`JsonFormat::SalesforceComposite`] |
/// | `batchRequests`, or `hasErrors` and `results` of `{statusCode, result}` | [`JsonFormat::SalesforceCompositeBatch`] |
/// | `graphs` | [`JsonFormat::SalesforceCompositeGraph`] |
/// | `hasErrors` and `results` of `{referenceId, ...}` | [`JsonFormat::SalesforceSObjectTree`] |
/// | `data` with `actions`, or `data` an array | [`JsonFormat::Asana`] |
/// | an array of `{method, relative_url}` or `{code, ...}` (or `null`) | [`JsonFormat::MetaGraph`] |
/// | an array of `{success, errors}` save results | [`JsonFormat::SalesforceSObjectCollections`] |
///
/// A payload that is not JSON, or whose members match no format, is `None` — unless the
/// Content-Type says JSON, in which case it is `OdataJson`, so that the decoder reports what
/// is wrong. A `multipart/*` Content-Type is always `None`.
///
/// # Examples
///
/// ```
/// use batchwire_json::{detect, JsonFormat};
///
/// assert_eq!(detect(None, br#"{"requests":[]}"#), Some(JsonFormat::OdataJson));
/// assert_eq!(detect(None, br#"{"allOrNone":true,"compositeRequest":[]}"#), Some(JsonFormat::SalesforceComposite));
/// assert_eq!(detect(None, br#"{"data":{"actions":[]}}"#), Some(JsonFormat::Asana));
/// assert_eq!(detect(None, br#"[{"method":"GET","relative_url":"me"}]"#), Some(JsonFormat::MetaGraph));
/// assert_eq!(detect(Some(b"application/json"), b"{\"requests\":["), Some(JsonFormat::OdataJson));
/// assert_eq!(detect(Some(b"multipart/mixed; boundary=b"), b"{}"), None);
/// assert_eq!(detect(None, b"--batch"), None);
/// ```
pub fn detect(content_type: Option<&[u8]>, payload: &[u8]) -> Option<JsonFormat> {
    let says_json = match content_type {
        Some(ct) => {
            let essence = ct
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if essence.len() >= 10 && essence[..10].eq_ignore_ascii_case(b"multipart/") {
                return None;
            }
            body::media_kind_of(ct) == body::MediaKind::Json
        }
        None => false,
    };
    let fallback = says_json.then_some(JsonFormat::OdataJson);
    let Ok(r) = Reader::borrowed(payload, false, batchwire_core::Limits::default()) else {
        return fallback;
    };
    match r.top() {
        Ok(Top::Object(object)) => from_members(&r, &object).or(fallback),
        Ok(Top::Array(elements)) => from_elements(&r, &elements).or(fallback),
        Err(_) => fallback,
    }
}

fn from_members(r: &Reader<'_>, top: &Object<'_>) -> Option<JsonFormat> {
    if top.has("requests") || top.has("responses") {
        return Some(JsonFormat::OdataJson);
    }
    if top.has("compositeRequest") || top.has("compositeResponse") {
        return Some(JsonFormat::SalesforceComposite);
    }
    if top.has("batchRequests") {
        return Some(JsonFormat::SalesforceCompositeBatch);
    }
    if top.has("graphs") {
        return Some(JsonFormat::SalesforceCompositeGraph);
    }
    let member = |name: &str| top.members().find(|(n, _)| *n == name).map(|(_, v)| v);
    if let Some(results) = member("results") {
        let first = r
            .array(results, &Path::Root)
            .ok()
            .and_then(|e| e.into_iter().next())
            .and_then(|e| r.fields(e, &Path::Root, &["referenceId"]).ok());
        return match first {
            Some(first) if first.has("referenceId") => Some(JsonFormat::SalesforceSObjectTree),
            _ if top.has("hasErrors") => Some(JsonFormat::SalesforceCompositeBatch),
            _ => None,
        };
    }
    if let Some(data) = member("data") {
        if data.get().starts_with('[') {
            return Some(JsonFormat::Asana);
        }
        if let Ok(envelope) = r.fields(data, &Path::Root, &["actions"])
            && envelope.has("actions")
        {
            return Some(JsonFormat::Asana);
        }
    }
    None
}

fn from_elements(r: &Reader<'_>, elements: &[&RawValue]) -> Option<JsonFormat> {
    let first = elements.iter().find(|e| !is_null(e))?;
    // A record may have many fields: only the telling ones are read.
    let object = r
        .fields(
            first,
            &Path::Root,
            &["relative_url", "code", "success", "errors", "attributes"],
        )
        .ok()?;
    if object.has("relative_url") || object.has("code") {
        Some(JsonFormat::MetaGraph)
    } else if object.has("success") || object.has("errors") || object.has("attributes") {
        Some(JsonFormat::SalesforceSObjectCollections)
    } else {
        None
    }
}
