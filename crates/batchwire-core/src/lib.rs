//! The batch model shared by every batchwire codec.
//!
//! A batch is an ordered list of [`Item`]s, each one operation or an [`AtomicGroup`] of them
//! (an OData changeset or atomicity group). An operation is a [`SubRequest`] or a
//! [`SubResponse`]: an optional correlation id, the method and target exactly as written (or
//! the status), [`Headers`] in wire order with their spelling, and a body as
//! [`bytes::Bytes`]. Decoders fill bodies with slices of their input, so reading a batch
//! copies no body byte.
//!
//! The crate also holds what every codec shares: [`Limits`] against hostile input,
//! [`ParseError`] with the byte offset, line and column of a fault, the [`Tolerance`]s a
//! lenient reader reports, [`WriteError`] with the [`Position`] of the operation at fault,
//! the [`WriteReport`] of what a writer had to leave out, and conversions to and from `http::Request<Bytes>` and
//! `http::Response<Bytes>`.
//!
//! # Example
//!
//! Build a batch request, then hand its operations to an HTTP stack:
//!
//! ```
//! use batchwire_core::{AtomicGroup, BatchRequest, ContentId, SubRequest};
//! use http::{Method, Uri};
//!
//! let mut batch = BatchRequest::new();
//! batch.push(SubRequest::new(Method::GET, "Customers(1)").with_header("Accept", "application/json"));
//! batch.push_group(AtomicGroup::new(vec![
//!     SubRequest::new(Method::POST, "Customers")
//!         .with_id("1")
//!         .with_header("Content-Type", "application/json")
//!         .with_body(r#"{"ID":10,"name":"Barbara"}"#),
//! ]));
//!
//! let base: Uri = "http://localhost:4004/odata/v4/peer/".parse()?;
//! let requests = batch.into_http_requests(&base)?;
//! assert_eq!(requests[1].method(), Method::POST);
//! assert_eq!(requests[1].extensions().get::<ContentId>(), Some(&ContentId("1".into())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why this crate
//!
//! Use it through `batchwire` (all formats) or a codec crate such as `batchwire-multipart`;
//! depend on it directly only to write a codec of your own or to pass batches between crates
//! without pulling a codec in.
#![forbid(unsafe_code)]

mod convert;
mod dialect;
mod error;
mod format;
mod headers;
mod limits;
mod model;
mod options;
mod reference;
mod report;

pub use convert::{
    ContentId, ConvertError, DependsOn, GroupIndex, GroupName, Omitted, PartHeaders, ReasonPhrase,
    usual_spelling,
};
pub use dialect::{Dialect, DialectRules, IdScheme, Spelling, UnknownDialect, VersionHeader};
pub use error::{Found, ParseError, ParseErrorKind, Tolerance, ToleranceKind, line_column};
pub use format::{Format, JsonFormat, JsonRules, PairBy, UnknownFormat};
pub use headers::{FieldTable, Header, HeaderView, Headers, Iter as HeaderIter};
pub use limits::Limits;
pub use model::{
    AtomicGroup, Batch, BatchMessage, BatchOptions, BatchRequest, BatchResponse, Extra, Item,
    MessageRef, SubRequest, SubResponse,
};
pub use options::{DecodeOptions, Decoded, WriteOptions};
pub use reference::{is_absolute_url, odata_reference, odata_system_resource};
pub use report::{
    InvalidPosition, Loss, LossKind, Position, WriteError, WriteErrorKind, WriteReport, Written,
};

/// Whether a payload holds requests or responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Sub-requests, as a client sends them.
    Request,
    /// Sub-responses, as a server answers.
    Response,
}

impl MessageKind {
    /// `"request"` or `"response"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Request => "request",
            MessageKind::Response => "response",
        }
    }
}
