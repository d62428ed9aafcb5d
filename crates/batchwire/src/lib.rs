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
//!
//! # Why this crate
//!
//! It is the one to depend on for everything; a program that needs only one format can
//! depend on its codec crate (`batchwire-multipart`) and compile nothing else.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use batchwire_core::*;

/// The `multipart/mixed` codec (`batchwire-multipart`).
#[cfg(feature = "multipart")]
pub use batchwire_multipart as multipart;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// Wire formats batchwire reads and writes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `multipart/mixed` with `application/http` parts (OData, Google, Azure).
    Multipart,
}

impl Format {
    /// Guesses the format from a Content-Type value and the first bytes of the payload.
    ///
    /// A `multipart/*` content type, or a payload that starts with `--` (after blank lines
    /// and a byte-order mark), is multipart.
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire::Format;
    ///
    /// assert_eq!(Format::detect(Some(b"multipart/mixed; boundary=b"), b""), Some(Format::Multipart));
    /// assert_eq!(Format::detect(None, b"\r\n--batch_1\r\n"), Some(Format::Multipart));
    /// assert_eq!(Format::detect(None, b"{\"requests\":[]}"), None);
    /// ```
    pub fn detect(content_type: Option<&[u8]>, payload: &[u8]) -> Option<Format> {
        if let Some(ct) = content_type {
            let ct = ct.trim_ascii_start();
            if ct.len() >= 10 && ct[..10].eq_ignore_ascii_case(b"multipart/") {
                return Some(Format::Multipart);
            }
        }
        let payload = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
        payload
            .trim_ascii_start()
            .starts_with(b"--")
            .then_some(Format::Multipart)
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Multipart => "multipart",
        }
    }
}
