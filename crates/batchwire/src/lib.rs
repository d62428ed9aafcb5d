//! HTTP batch envelopes: many HTTP requests or responses packed into one HTTP message.
//!
//! Clients use batchwire to read the answers to a batch one by one; servers use it to read
//! an incoming batch and run each operation. One model ([`BatchRequest`],
//! [`BatchResponse`], [`Item`], [`AtomicGroup`], [`SubRequest`], [`SubResponse`]) serves
//! every wire format, and decoders hand out bodies that are slices of their input, so
//! reading a batch copies no body byte.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "multipart")] {
//! use batchwire::{BatchMessage, Item, multipart::{self, DecodeOptions}};
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
//! let decoded = multipart::decode(&body, Some(content_type), &DecodeOptions::default())?;
//! let BatchMessage::Response(batch) = decoded.message else { panic!("a response batch") };
//! let statuses: Vec<u16> = batch.operations().map(|r| r.status.as_u16()).collect();
//! assert_eq!(statuses, [200, 201]);
//! # }
//! # Ok::<(), batchwire::ParseError>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `multipart` | yes | [`multipart`]: OData `$batch` V2/V3/V4 with changesets, Google and Azure batches |
//! | `json` | yes | [`json`]: OData 4.01 JSON `$batch`, Microsoft Graph, Salesforce Composite, Asana and Meta Graph batches |
//!
//! Each is optional: with `default-features = false, features = ["json"]` the multipart
//! crate is not compiled, and the reverse.
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

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "multipart"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// Wire formats batchwire reads and writes.
///
/// Every format is named whatever the features; reading and writing one needs its codec's
/// feature (`multipart`, or `json` for all the others).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `multipart/mixed` with `application/http` parts (OData, Google, Azure).
    Multipart,
    /// OData 4.01 JSON batch.
    OdataJson,
    /// Microsoft Graph `$batch` (OData JSON with Graph's rules).
    MsGraph,
    /// Salesforce Composite.
    SalesforceComposite,
    /// Salesforce Composite Batch.
    SalesforceCompositeBatch,
    /// Salesforce Composite Graph.
    SalesforceCompositeGraph,
    /// Salesforce sObject Tree responses.
    SalesforceSObjectTree,
    /// Salesforce sObject Collections responses.
    SalesforceSObjectCollections,
    /// Asana batch.
    Asana,
    /// Meta Graph API batch.
    MetaGraph,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 10] = [
        Format::Multipart,
        Format::OdataJson,
        Format::MsGraph,
        Format::SalesforceComposite,
        Format::SalesforceCompositeBatch,
        Format::SalesforceCompositeGraph,
        Format::SalesforceSObjectTree,
        Format::SalesforceSObjectCollections,
        Format::Asana,
        Format::MetaGraph,
    ];

    /// Guesses the format from a Content-Type value and the payload.
    ///
    /// A `multipart/*` content type, or a payload that starts with `--` (after blank lines
    /// and a byte-order mark), is multipart. With the `json` feature, a JSON payload is told
    /// apart by its top-level members (`requests`/`responses`, `compositeRequest`,
    /// `batchRequests`, `graphs`, `data`, an array of `relative_url` operations...; see
    /// `batchwire_json::detect`), and a JSON content type with a payload that matches none
    /// is OData JSON, so that its decoder says what is wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire::Format;
    ///
    /// assert_eq!(Format::detect(Some(b"multipart/mixed; boundary=b"), b""), Some(Format::Multipart));
    /// assert_eq!(Format::detect(None, b"\r\n--batch_1\r\n"), Some(Format::Multipart));
    /// # #[cfg(feature = "json")] {
    /// assert_eq!(Format::detect(None, b"{\"requests\":[]}"), Some(Format::OdataJson));
    /// assert_eq!(Format::detect(None, b"{\"batchRequests\":[]}"), Some(Format::SalesforceCompositeBatch));
    /// assert_eq!(Format::detect(Some(b"application/json"), b"{\"data\":[]}"), Some(Format::Asana));
    /// # }
    /// # #[cfg(not(feature = "json"))]
    /// assert_eq!(Format::detect(None, b"{\"requests\":[]}"), None);
    /// ```
    pub fn detect(content_type: Option<&[u8]>, payload: &[u8]) -> Option<Format> {
        if let Some(ct) = content_type {
            let ct = ct.trim_ascii_start();
            if ct.len() >= 10 && ct[..10].eq_ignore_ascii_case(b"multipart/") {
                return Some(Format::Multipart);
            }
        }
        let unmarked = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
        if unmarked.trim_ascii_start().starts_with(b"--") {
            return Some(Format::Multipart);
        }
        #[cfg(feature = "json")]
        {
            batchwire_json::detect(content_type, payload).map(Format::from)
        }
        #[cfg(not(feature = "json"))]
        {
            None
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Multipart => "multipart",
            Format::OdataJson => "odata-json",
            Format::MsGraph => "msgraph",
            Format::SalesforceComposite => "salesforce-composite",
            Format::SalesforceCompositeBatch => "salesforce-composite-batch",
            Format::SalesforceCompositeGraph => "salesforce-composite-graph",
            Format::SalesforceSObjectTree => "salesforce-sobject-tree",
            Format::SalesforceSObjectCollections => "salesforce-sobject-collections",
            Format::Asana => "asana",
            Format::MetaGraph => "meta-graph",
        }
    }

    /// The format with this [`name`](Format::name).
    ///
    /// ```
    /// use batchwire::Format;
    ///
    /// assert_eq!(Format::from_name("asana"), Some(Format::Asana));
    /// assert_eq!(Format::from_name("xml"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The JSON codec's name for this format, or `None` for multipart.
    #[cfg(feature = "json")]
    pub fn as_json(self) -> Option<batchwire_json::JsonFormat> {
        use batchwire_json::JsonFormat as J;
        Some(match self {
            Format::Multipart => return None,
            Format::OdataJson => J::OdataJson,
            Format::MsGraph => J::MsGraph,
            Format::SalesforceComposite => J::SalesforceComposite,
            Format::SalesforceCompositeBatch => J::SalesforceCompositeBatch,
            Format::SalesforceCompositeGraph => J::SalesforceCompositeGraph,
            Format::SalesforceSObjectTree => J::SalesforceSObjectTree,
            Format::SalesforceSObjectCollections => J::SalesforceSObjectCollections,
            Format::Asana => J::Asana,
            Format::MetaGraph => J::MetaGraph,
        })
    }
}

#[cfg(feature = "json")]
impl From<batchwire_json::JsonFormat> for Format {
    fn from(format: batchwire_json::JsonFormat) -> Format {
        use batchwire_json::JsonFormat as J;
        match format {
            J::MsGraph => Format::MsGraph,
            J::SalesforceComposite => Format::SalesforceComposite,
            J::SalesforceCompositeBatch => Format::SalesforceCompositeBatch,
            J::SalesforceCompositeGraph => Format::SalesforceCompositeGraph,
            J::SalesforceSObjectTree => Format::SalesforceSObjectTree,
            J::SalesforceSObjectCollections => Format::SalesforceSObjectCollections,
            J::Asana => Format::Asana,
            J::MetaGraph => Format::MetaGraph,
            // OData JSON, and any format a newer codec adds, read as OData JSON's family.
            _ => Format::OdataJson,
        }
    }
}
