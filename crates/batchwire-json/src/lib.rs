//! Zero-copy reader and writer of JSON HTTP batches: OData 4.01 JSON `$batch`, Microsoft
//! Graph `$batch`, Salesforce Composite, Composite Batch and Composite Graph (plus sObject Tree
//! and sObject Collections responses), Asana batches and Meta Graph batches.
//!
//! [`decode`] reads a document into the owned model of `batchwire-core`; every JSON body is
//! its exact JSON text, a `Bytes::slice_ref` of the input, so no body byte is copied and large
//! numbers, key order and escapes survive. [`encode`] writes the model back, emitting each
//! JSON body verbatim (never re-serialized), and lists in [`Encoded::lost`] whatever the
//! format cannot carry.
//!
//! # Example
//!
//! ```
//! use batchwire_core::{BatchMessage, Item};
//! use batchwire_json::{decode, encode, DecodeOptions, EncodeOptions, JsonFormat};
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
//! let written = encode(&decoded.message, JsonFormat::SalesforceComposite, &EncodeOptions::default())?;
//! let lost: Vec<String> = written.lost.iter().map(ToString::to_string).collect();
//! assert_eq!(lost, [
//!     "item 1: atomic group written as plain operations",
//!     "operation 1: header \"content-type\" not written",
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
//! unescaped text (a slice when it holds no escape), or the decoded bytes; standard base64 and
//! missing padding are accepted and reported. Writing does the reverse, base64url padded.
//! Salesforce and Asana bodies are any JSON value; Meta bodies are strings (URL-encoded forms
//! in requests, JSON text in responses).
//!
//! # Strict and lenient
//!
//! [`DecodeOptions::lenient`] (the default) keeps unknown members of requests, accepts
//! standard base64 and numeric strings where numbers belong, and reports each such tolerance
//! with its byte offset in [`Decoded::tolerated`]. [`DecodeOptions::strict`] turns each into an
//! error. Both reject what is not JSON, duplicate member names, duplicate ids, and references
//! to unknown or later operations.
//!
//! # Limits
//!
//! [`DecodeOptions::limits`] bound what a hostile document can make the reader store. No
//! array holds more elements than [`Limits::max_parts`] (operations); no header object
//! more members than [`Limits::max_headers`]; no other object more members than
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
mod detect;
mod meta;
mod method;
mod odata;
mod read;
pub mod reference;
mod salesforce;
mod write;

use std::fmt;
use std::str::FromStr;

use batchwire_core::{BatchMessage, Limits, MessageKind, ParseError, ParseErrorKind, Tolerance};
use bytes::Bytes;

pub use dependency::{failed_dependencies, failed_dependency_response};
pub use detect::detect;
pub use write::{EncodeError, EncodeErrorKind, EncodeOptions, Encoded, Lost};

use read::Reader;

/// The JSON batch formats this crate reads and writes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonFormat {
    /// OData 4.01 JSON batch (`odata-json`).
    OdataJson,
    /// Microsoft Graph `$batch` (`msgraph`): OData JSON with Graph's rules.
    MsGraph,
    /// Salesforce `/composite` (`salesforce-composite`).
    SalesforceComposite,
    /// Salesforce `/composite/batch` (`salesforce-composite-batch`).
    SalesforceCompositeBatch,
    /// Salesforce `/composite/graph` (`salesforce-composite-graph`).
    SalesforceCompositeGraph,
    /// Salesforce `/composite/tree` responses (`salesforce-sobject-tree`).
    SalesforceSObjectTree,
    /// Salesforce `/composite/sobjects` responses (`salesforce-sobject-collections`).
    SalesforceSObjectCollections,
    /// Asana `/batch` (`asana`).
    Asana,
    /// Meta Graph API batch (`meta-graph`).
    MetaGraph,
}

impl JsonFormat {
    /// Every format, in the order of the crate documentation's table.
    pub const ALL: [JsonFormat; 9] = [
        JsonFormat::OdataJson,
        JsonFormat::MsGraph,
        JsonFormat::SalesforceComposite,
        JsonFormat::SalesforceCompositeBatch,
        JsonFormat::SalesforceCompositeGraph,
        JsonFormat::SalesforceSObjectTree,
        JsonFormat::SalesforceSObjectCollections,
        JsonFormat::Asana,
        JsonFormat::MetaGraph,
    ];

    /// The format's name, as the command line and the format notes spell it.
    pub fn name(self) -> &'static str {
        match self {
            JsonFormat::OdataJson => "odata-json",
            JsonFormat::MsGraph => "msgraph",
            JsonFormat::SalesforceComposite => "salesforce-composite",
            JsonFormat::SalesforceCompositeBatch => "salesforce-composite-batch",
            JsonFormat::SalesforceCompositeGraph => "salesforce-composite-graph",
            JsonFormat::SalesforceSObjectTree => "salesforce-sobject-tree",
            JsonFormat::SalesforceSObjectCollections => "salesforce-sobject-collections",
            JsonFormat::Asana => "asana",
            JsonFormat::MetaGraph => "meta-graph",
        }
    }

    /// Whether the format has batch requests (sObject Tree and Collections requests are
    /// records, not operations, so only their responses map to the model).
    pub fn has_requests(self) -> bool {
        !matches!(
            self,
            JsonFormat::SalesforceSObjectTree | JsonFormat::SalesforceSObjectCollections
        )
    }
}

impl fmt::Display for JsonFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that [`JsonFormat::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown JSON batch format {:?}", self.0)
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for JsonFormat {
    type Err = UnknownFormat;

    /// Parses a name given by [`JsonFormat::name`].
    ///
    /// ```
    /// use batchwire_json::JsonFormat;
    ///
    /// assert_eq!("msgraph".parse(), Ok(JsonFormat::MsGraph));
    /// assert!("xml".parse::<JsonFormat>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<JsonFormat, UnknownFormat> {
        JsonFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// How to read a JSON batch: strict or lenient, which limits, and whether it must hold
/// requests or responses.
///
/// # Examples
///
/// ```
/// use batchwire_core::MessageKind;
/// use batchwire_json::DecodeOptions;
///
/// let options = DecodeOptions::strict().with_kind(MessageKind::Request);
/// assert!(options.strict);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Follow each format's rules to the letter instead of reporting tolerances.
    pub strict: bool,
    /// Bounds against hostile input.
    pub limits: Limits,
    /// Requests or responses; `None` takes what the document holds.
    pub kind: Option<MessageKind>,
}

impl DecodeOptions {
    /// Lenient reading with default limits (the default).
    pub fn lenient() -> DecodeOptions {
        DecodeOptions::default()
    }

    /// Strict reading with default limits.
    pub fn strict() -> DecodeOptions {
        DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        }
    }

    /// These options with other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> DecodeOptions {
        self.limits = limits;
        self
    }

    /// These options with the message kind required.
    #[must_use]
    pub fn with_kind(mut self, kind: MessageKind) -> DecodeOptions {
        self.kind = Some(kind);
        self
    }
}

/// A decoded batch with what the reader tolerated.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The batch of requests or responses.
    pub message: BatchMessage,
    /// The format it was read as.
    pub format: JsonFormat,
    /// What the lenient reader tolerated, in input order (by offset; empty in strict mode).
    pub tolerated: Vec<Tolerance>,
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
    if let Some(kind) = options.kind {
        if message.kind() != kind {
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
    }
    // Formats check some things after reading a whole level (ids, dependencies, hasErrors),
    // so tolerances are met out of order; a stable sort keeps those at one offset in the
    // order met.
    let mut tolerated = r.tolerated;
    tolerated.sort_by_key(|t| t.offset);
    Ok(Decoded {
        message,
        format,
        tolerated,
    })
}

/// Writes a batch in `format`, as compact JSON.
///
/// Bodies that are JSON are emitted verbatim; what the format cannot carry (a group, a
/// header, a dependency, an id) is listed in [`Encoded::lost`] rather than dropped silently.
///
/// # Errors
///
/// An [`EncodeError`] when the batch cannot be written at all: a body the format must carry
/// as text that is not UTF-8, more operations than the format allows, a method the format
/// does not allow (`MERGE` in OData JSON: its reader would refuse it), requests for a
/// response-only format.
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchResponse, SubResponse};
/// use batchwire_json::{encode, EncodeOptions, JsonFormat};
/// use http::StatusCode;
///
/// let mut batch = BatchResponse::new();
/// batch.push(
///     SubResponse::new(StatusCode::OK)
///         .with_id("r1")
///         .with_header("content-type", "text/plain")
///         .with_body("4"),
/// );
/// let written = encode(&batch.into(), JsonFormat::OdataJson, &EncodeOptions::default())?;
/// assert_eq!(
///     &written.bytes[..],
///     br#"{"responses":[{"id":"r1","status":200,"headers":{"content-type":"text/plain"},"body":"4"}]}"#
/// );
/// assert!(written.lost.is_empty());
/// # Ok::<(), batchwire_json::EncodeError>(())
/// ```
pub fn encode(
    message: &BatchMessage,
    format: JsonFormat,
    options: &EncodeOptions,
) -> Result<Encoded, EncodeError> {
    match format {
        JsonFormat::OdataJson => odata::encode(message, odata::Profile::Odata, options),
        JsonFormat::MsGraph => odata::encode(message, odata::Profile::Graph, options),
        JsonFormat::SalesforceComposite => salesforce::encode_composite(message, options),
        JsonFormat::SalesforceCompositeBatch => salesforce::encode_batch(message),
        JsonFormat::SalesforceCompositeGraph => salesforce::encode_graph(message, options),
        JsonFormat::SalesforceSObjectTree => salesforce::encode_tree(message),
        JsonFormat::SalesforceSObjectCollections => salesforce::encode_collections(message),
        JsonFormat::Asana => asana::encode(message),
        JsonFormat::MetaGraph => meta::encode(message),
    }
}
