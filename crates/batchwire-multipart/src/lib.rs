//! Zero-copy reader and writer of `multipart/mixed` HTTP batches: OData `$batch` V2, V3
//! and V4 with changesets, Google API batches and Azure blob batches.
//!
//! A batch is a MIME multipart body whose parts are embedded HTTP messages
//! (`application/http`), or nested multiparts (changesets) of them. This crate reads one
//! into borrowed views ([`parse`]) or into the owned model of `batchwire-core`
//! ([`decode`]), whose bodies are slices of the input buffer: no body byte is copied. It
//! writes the model back ([`write_request`], [`write_response`], [`Encoder`]) in canonical
//! form, with the rules of a [`Dialect`].
//!
//! # Example
//!
//! ```
//! use batchwire_core::{BatchMessage, Item};
//! use batchwire_multipart::{decode, DecodeOptions};
//! use bytes::Bytes;
//!
//! let body = Bytes::from_static(b"--batch_1\r
//! Content-Type: application/http\r
//! Content-Transfer-Encoding: binary\r
//! \r
//! GET Customers(1) HTTP/1.1\r
//! Accept: application/json\r
//! \r
//! \r
//! --batch_1\r
//! Content-Type: multipart/mixed; boundary=changeset_1\r
//! \r
//! --changeset_1\r
//! Content-Type: application/http\r
//! Content-ID: 1\r
//! \r
//! POST Customers HTTP/1.1\r
//! Content-Type: application/json\r
//! \r
//! {\"ID\":10}\r
//! --changeset_1--\r
//! --batch_1--\r
//! ");
//! let decoded = decode(&body, Some(b"multipart/mixed; boundary=batch_1"), &DecodeOptions::strict())?;
//! let BatchMessage::Request(batch) = decoded.message else { panic!("a request batch") };
//! assert_eq!(batch.items.len(), 2);
//! let Item::Group(changeset) = &batch.items[1] else { panic!("a changeset") };
//! assert_eq!(changeset.operations[0].id.as_deref(), Some("1"));
//! assert_eq!(&changeset.operations[0].body[..], b"{\"ID\":10}");
//! # Ok::<(), batchwire_core::ParseError>(())
//! ```
//!
//! # Reading as the input arrives
//!
//! [`StreamDecoder`] takes chunks of any size and hands out each operation as soon as it is
//! complete, holding at most the part being read plus one chunk. It reads exactly as
//! [`decode`] does. With the `stream` feature, `EventStream` wraps
//! it around a `futures_core::Stream` of body chunks.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `stream` | no | `EventStream`: the incremental decoder over a `futures_core::Stream` |
//!
//! # Writing
//!
//! A batch built with the model's API is written with fresh boundaries, and reads back to
//! the same operations:
//!
//! ```
//! use batchwire_core::{AtomicGroup, BatchMessage, BatchRequest, Item, SubRequest};
//! use batchwire_multipart::{decode, write_request, DecodeOptions, Dialect, WriteOptions};
//! use http::Method;
//!
//! let mut batch = BatchRequest::new();
//! batch.push(SubRequest::new(Method::GET, "Customers(1)").with_header("Accept", "application/json"));
//! batch.push_group(AtomicGroup::new(vec![
//!     SubRequest::new(Method::POST, "Customers")
//!         .with_id("1")
//!         .with_header("Content-Type", "application/json")
//!         .with_body(r#"{"ID":10}"#),
//!     SubRequest::new(Method::POST, "$1/orders").with_id("2").with_body(r#"{"ID":200}"#),
//! ]));
//!
//! let options = WriteOptions::new(Dialect::OdataV4);
//! let request = write_request(&batch, &options)?;
//! let content_type = request.headers()["content-type"].as_bytes();
//!
//! let strict = DecodeOptions::strict().with_dialect(Dialect::OdataV4);
//! let decoded = decode(request.body(), Some(content_type), &strict)?;
//! let BatchMessage::Request(read) = decoded.message else { panic!("a request batch") };
//! let Item::Group(changeset) = &read.items[1] else { panic!("a changeset") };
//! assert_eq!(changeset.operations[1].target, "$1/orders");
//! assert_eq!(changeset.operations[1].body, batch.operations().nth(2).unwrap().body);
//! // The writer computed the Content-Length of each body.
//! assert_eq!(changeset.operations[0].headers.get("content-length"), Some(&b"9"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Strict and lenient
//!
//! [`DecodeOptions::lenient`] (the default) reads what real servers send (bare LF line
//! breaks, a missing close delimiter, a part without Content-Type...) and lists every
//! tolerance it applied with its byte offset in [`Decoded::tolerated`].
//! [`DecodeOptions::strict`] follows RFC 2046, RFC 9110/9112 and the OData batch rules and
//! turns each tolerance into a [`ParseError`](batchwire_core::ParseError). A [`Dialect`] adds
//! the rules of one flavour, such as OData V4's Content-ID on every changeset member.
//!
//! # Errors
//!
//! Every error carries the byte offset of the fault from the start of the body, its line and
//! column, and says what was expected and what was found:
//!
//! ```
//! use batchwire_multipart::{parse, DecodeOptions};
//!
//! let err = parse(b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 OK\r\n\r\n--b--", None, &DecodeOptions::strict()).unwrap_err();
//! assert_eq!(err.to_string(), "expected a three-digit status code, found \"OK\\r\\n\" at byte 48 (line 4, column 10)");
//! ```
//!
//! # Why this crate, and when not
//!
//! It is the piece to use when batches arrive or leave as `multipart/mixed`, and it pulls
//! in no JSON library. It does not decode `base64` or `quoted-printable` part encodings (batch
//! parts are `binary` in every protocol that uses them), and it holds one level of nesting,
//! which is all that OData allows. For all formats behind one API, use `batchwire`.
#![forbid(unsafe_code)]

mod content_type;
mod decode;
#[cfg(feature = "stream")]
mod futures;
mod grammar;
mod machine;
mod owned;
mod raw;
mod stream;
mod view;
mod write;

pub use batchwire_core::{DecodeOptions, Decoded, Dialect, UnknownDialect, WriteOptions, Written};
pub use content_type::{RFC_MAX_BOUNDARY_LEN, boundary_needs_quotes, is_valid_boundary};
pub use decode::parse;
#[cfg(feature = "stream")]
pub use futures::{EventStream, StreamError};
pub use owned::{decode, decode_request, decode_response};
pub use stream::{Event, Status, StreamDecoder};
pub use view::{BatchRef, GroupRef, HeaderRef, ItemRef, PartRef, StartLineRef};
pub use write::{Encoder, write_message, write_request, write_response};
