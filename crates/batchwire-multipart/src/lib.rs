//! Zero-copy reader of `multipart/mixed` HTTP batches: OData `$batch` V2, V3 and V4 with
//! changesets, Google API batches and Azure blob batches.
//!
//! A batch is a MIME multipart body whose parts are embedded HTTP messages
//! (`application/http`), or nested multiparts (changesets) of them. This crate reads one
//! into borrowed views ([`parse`]) or into the owned model of `batchwire-core`
//! ([`decode`]), whose bodies are slices of the input buffer: no body byte is copied.
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
//! [`decode`] does. With the `stream` feature, [`EventStream`](crate::EventStream) wraps
//! it around a `futures_core::Stream` of body chunks.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `stream` | no | `EventStream`: the incremental decoder over a `futures_core::Stream` |
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
//! It is the piece to use when batches arrive as `multipart/mixed`, and it pulls in no
//! JSON library. It does not decode `base64` or `quoted-printable` part encodings (batch
//! parts are `binary` in every protocol that uses them), and it holds one level of nesting,
//! which is all that OData allows. For all formats behind one API, use `batchwire`.
#![forbid(unsafe_code)]

mod content_type;
mod decode;
mod dialect;
#[cfg(feature = "stream")]
mod futures;
mod grammar;
mod machine;
mod owned;
mod raw;
mod stream;
mod view;

pub use content_type::{RFC_MAX_BOUNDARY_LEN, boundary_needs_quotes, is_valid_boundary};
pub use decode::{DecodeOptions, parse};
pub use dialect::{Dialect, UnknownDialect};
#[cfg(feature = "stream")]
pub use futures::{EventStream, StreamError};
pub use owned::{Decoded, decode, decode_request, decode_response};
pub use stream::{Event, Status, StreamDecoder};
pub use view::{BatchRef, GroupRef, HeaderRef, ItemRef, PartRef, StartLineRef};
