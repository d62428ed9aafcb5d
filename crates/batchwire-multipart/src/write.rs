//! The writer: the batch model as canonical `multipart/mixed` bytes. [`Encoder`] documents
//! the output; `plan` decides, `emit` writes, `operation` abstracts requests and responses.

use std::io;
use std::sync::OnceLock;

use batchwire_core::{
    BatchMessage, BatchRequest, BatchResponse, Dialect, MessageKind, WriteError, WriteErrorKind,
    WriteOptions, WriteReport, Written,
};
use bytes::{BufMut, Bytes, BytesMut};
use http::Method;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::content_type::boundary_needs_quotes;

mod boundary;
mod check;
mod emit;
mod operation;
mod plan;
mod random;

use emit::{BufSink, Counter, Emitter, IoSink};
use plan::Plan;

/// Writes a batch request as an `http::Request` ready to send.
///
/// The request is a `POST` with the body and the envelope headers of
/// [`Encoder::headers`] (the `Content-Type` with its boundary, and the dialect's version
/// header); set its URI, which the model does not know. What the dialect could not carry is
/// listed in a [`WriteReport`] in the request's extensions.
///
/// # Errors
///
/// A [`WriteError`] naming the item at fault: see [`Encoder::request`].
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchRequest, SubRequest, WriteReport};
/// use batchwire_multipart::{write_request, Dialect, WriteOptions};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// batch.push(SubRequest::new(Method::GET, "Customers(1)").with_header("Accept", "application/json"));
/// let options = WriteOptions::new(Dialect::OdataV4).with_boundary("batch_1");
/// let request = write_request(&batch, &options)?;
/// assert_eq!(request.method(), Method::POST);
/// assert_eq!(request.headers()["content-type"], "multipart/mixed; boundary=batch_1");
/// assert_eq!(request.headers()["odata-version"], "4.0");
/// assert_eq!(
///     &request.body()[..],
///     b"--batch_1\r\n\
///       Content-Type: application/http\r\n\
///       Content-Transfer-Encoding: binary\r\n\
///       \r\n\
///       GET Customers(1) HTTP/1.1\r\n\
///       Accept: application/json\r\n\
///       \r\n\
///       \r\n\
///       --batch_1--\r\n"
/// );
/// assert!(request.extensions().get::<WriteReport>().unwrap().is_empty());
/// # Ok::<(), batchwire_core::WriteError>(())
/// ```
pub fn write_request(
    batch: &BatchRequest,
    options: &WriteOptions,
) -> Result<http::Request<Bytes>, WriteError> {
    let encoder = Encoder::request(batch, options)?;
    let mut request = http::Request::new(encoder.to_bytes());
    *request.method_mut() = Method::POST;
    *request.headers_mut() = encoder.headers();
    request.extensions_mut().insert(encoder.into_report());
    Ok(request)
}

/// Writes a batch response as an `http::Response` ready to send.
///
/// The response has status 200, the body, and the envelope headers of
/// [`Encoder::headers`]. What the dialect could not carry is listed in a [`WriteReport`] in
/// the response's extensions.
///
/// # Errors
///
/// A [`WriteError`] naming the item at fault: see [`Encoder::response`].
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchResponse, SubResponse};
/// use batchwire_multipart::{write_response, Dialect, WriteOptions};
/// use http::StatusCode;
///
/// let mut batch = BatchResponse::new();
/// batch.push(SubResponse::new(StatusCode::NO_CONTENT));
/// let response = write_response(&batch, &WriteOptions::new(Dialect::OdataV2).with_boundary("b"))?;
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(response.headers()["dataserviceversion"], "2.0");
/// assert!(response.body().starts_with(b"--b\r\n"));
/// assert!(response.body().ends_with(b"HTTP/1.1 204 No Content\r\nDataServiceVersion: 2.0\r\n\r\n\r\n--b--\r\n"));
/// # Ok::<(), batchwire_core::WriteError>(())
/// ```
pub fn write_response(
    batch: &BatchResponse,
    options: &WriteOptions,
) -> Result<http::Response<Bytes>, WriteError> {
    let encoder = Encoder::response(batch, options)?;
    let mut response = http::Response::new(encoder.to_bytes());
    *response.headers_mut() = encoder.headers();
    response.extensions_mut().insert(encoder.into_report());
    Ok(response)
}

/// Writes a batch of either kind: the body, its envelope headers and the report.
///
/// # Errors
///
/// A [`WriteError`] naming the item at fault: see [`Encoder::request`].
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchMessage, BatchRequest, SubRequest};
/// use batchwire_multipart::{write_message, WriteOptions};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// batch.push(SubRequest::new(Method::GET, "/farm/v1/animals"));
/// let written = write_message(&BatchMessage::Request(batch), &WriteOptions::default())?;
/// assert!(written.headers["content-type"].to_str().unwrap().starts_with("multipart/mixed; boundary=batch_"));
/// assert!(written.body.ends_with(b"--\r\n"));
/// assert!(written.report.is_empty());
/// # Ok::<(), batchwire_core::WriteError>(())
/// ```
pub fn write_message(batch: &BatchMessage, options: &WriteOptions) -> Result<Written, WriteError> {
    let encoder = Encoder::message(batch, options)?;
    Ok(Written::new(
        encoder.headers(),
        encoder.to_bytes(),
        encoder.into_report(),
    ))
}

/// A batch checked and laid out for writing, that writes the same bytes each time it is
/// asked.
///
/// Building one does all the work that can fail: it checks every name, value, target and
/// reference, generates the Content-IDs the dialect needs, picks boundaries that no body
/// line starts with, and measures the output. Writing is then infallible but for I/O, and
/// goes straight into the caller's buffer or writer: a size pass, then one pass of
/// `put_slice` calls, with no text built on the way.
///
/// # Output
///
/// The output is canonical, whatever the input looked like when it was read:
///
/// - CRLF line breaks; the body starts with the first delimiter and ends with a CRLF after
///   the close delimiter; no preamble, epilogue or transport padding.
/// - Every header section ends with exactly one empty line. The line break before a
///   delimiter belongs to the delimiter (RFC 2046 5.1.1), so a body is written exactly as
///   it is, and an empty body leaves only that line break.
/// - Each changeset is closed before the next delimiter of the batch.
/// - A batch without operations is its close delimiter alone (`--b--`), and a changeset
///   without operations its header section and close delimiter, as servers answer an empty
///   changeset. RFC 2046 wants a body part, so each is listed in the report
///   ([`EmptyMultipart`](batchwire_core::LossKind::EmptyMultipart)); a lenient reader reads
///   it back as empty.
/// - Part headers come from the model, in its order and spelling, except that the writer
///   sets `Content-Type: application/http` (keeping a value that already says so),
///   `Content-Transfer-Encoding: binary`, and the Content-ID from the operation's id; the
///   ones the model lacks come first, the Content-ID last. An id that the model's embedded
///   headers already carry, and its part headers do not, is not written twice.
/// - The embedded `Content-Length` is computed from the body: written for a non-empty body,
///   and put in place of a stale one (as `0` for an empty body). A part-level
///   `Content-Length` in the model is recomputed too.
/// - Status lines are `HTTP/1.1 <code> <reason>`, with the model's reason or the canonical
///   one; request lines are `<method> <target> HTTP/1.1`. A target with spaces or
///   characters beyond ASCII is written percent-encoded (each such byte of its UTF-8 as
///   `%XX`, upper-case; existing `%XX` and other visible characters as they are), and
///   listed in the report as [`TargetEncoded`](batchwire_core::LossKind::TargetEncoded).
/// - Headers the writer adds use the canonical spelling.
///
/// # Dialects
///
/// - `Generic`: nothing more.
/// - `OdataV2`, `OdataV3`: `DataServiceVersion: 2.0` / `3.0` on the envelope and on every
///   embedded message that has none.
/// - `OdataV4`: `OData-Version: 4.0` on the envelope; a changeset member of a request
///   without an id gets the smallest number from 1 that no operation of the batch uses;
///   Content-IDs must be unique in their changeset.
/// - `Google`: no changesets. A request without an id gets `<item-N:BOUNDARY>`, `N`
///   counting operations from 1 and `BOUNDARY` the batch boundary, which makes the id
///   unique per envelope and reproducible with a chosen boundary. A response's id in the
///   form of a request's (`<item…>`, `item…`) gets `response-` in front of `item`, as
///   Google answers it; any other id (`<response-…>`, or one from another format such as
///   OData's `1`) is written as it is. A response without one gets
///   `<response-item-N:BOUNDARY>`.
/// - `Azure`: no changesets. A part without an id gets the smallest number from 0 that no
///   operation uses. Standard header names and `x-ms-*` names are written in Azure's
///   spelling (`Content-Type`, `Authorization`, `x-ms-date`...). `x-ms-version` is taken
///   off sub-requests, since the Blob Batch API applies the batch request's version to all
///   of them, and each removal is listed in the report.
///
/// Batch options multipart cannot carry (all but OData V4's continue-on-error), atomic group
/// names, declared dependencies, the members of a JSON format kept beside the batch, a group
/// or an operation, and responses marked omitted (written as the model holds them, a `204`)
/// are listed in the [`WriteReport`], never dropped silently.
///
/// # Examples
///
/// ```
/// use batchwire_core::{AtomicGroup, BatchRequest, SubRequest};
/// use batchwire_multipart::{Dialect, Encoder, WriteOptions};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// batch.push_group(AtomicGroup::new(vec![
///     SubRequest::new(Method::POST, "Customers").with_id("c1").with_body(r#"{"ID":7}"#),
///     SubRequest::new(Method::POST, "$c1/orders").with_body(r#"{"ID":9}"#),
/// ]));
/// let encoder = Encoder::request(&batch, &WriteOptions::new(Dialect::OdataV4))?;
/// let mut out = Vec::with_capacity(encoder.encoded_len());
/// encoder.write_to(&mut out)?;
/// assert_eq!(out.len(), encoder.encoded_len());
/// // OData V4 wants a Content-ID on every changeset member: the second one got "1".
/// assert!(out.windows(15).any(|w| w == b"Content-ID: 1\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Encoder<'a> {
    source: Source<'a>,
    plan: Plan<'a>,
    content_type: HeaderValue,
    /// The exact output length, measured the first time it is asked for: writing into a
    /// growable buffer does not need it.
    len: OnceLock<usize>,
}

#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    Request(&'a BatchRequest),
    Response(&'a BatchResponse),
}

impl<'a> Encoder<'a> {
    /// Checks and lays out a batch request.
    ///
    /// # Errors
    ///
    /// A [`WriteError`] whose [`Position`](batchwire_core::Position) names the item (and
    /// member) at fault:
    ///
    /// - [`NestingUnsupported`](WriteErrorKind::NestingUnsupported): a group in the Google
    ///   or Azure dialect.
    /// - [`InvalidHeader`](WriteErrorKind::InvalidHeader),
    ///   [`InvalidTarget`](WriteErrorKind::InvalidTarget): a name, value, id or target that
    ///   would break the framing or not read back the same (an empty target, or one with
    ///   control characters).
    /// - [`DuplicateContentId`](WriteErrorKind::DuplicateContentId),
    ///   [`DanglingReference`](WriteErrorKind::DanglingReference),
    ///   [`ForwardReference`](WriteErrorKind::ForwardReference): a target that starts with
    ///   `$` must name the Content-ID of an earlier request of its changeset (or, outside
    ///   changesets, of the batch). OData's own `$metadata`, `$batch`, `$crossjoin`, `$all`,
    ///   `$entity`, `$root` and the like are not references.
    /// - [`MisplacedOperation`](WriteErrorKind::MisplacedOperation): a query in a
    ///   changeset, or in OData V2/V3 a request that changes data outside one.
    /// - [`InvalidBoundary`](WriteErrorKind::InvalidBoundary),
    ///   [`BoundaryInBody`](WriteErrorKind::BoundaryInBody): a boundary the caller chose
    ///   that RFC 2046 does not allow or that a body line starts with.
    ///
    /// With [`WriteOptions::lenient`](batchwire_core::WriteOptions#structfield.lenient),
    /// references, duplicate Content-IDs and misplaced operations are written as they are
    /// and listed in the report instead; the other faults would make the output unreadable
    /// and are refused all the same.
    pub fn request(
        batch: &'a BatchRequest,
        options: &WriteOptions,
    ) -> Result<Encoder<'a>, WriteError> {
        let plan = plan::plan(batch, options)?;
        Encoder::new(Source::Request(batch), plan)
    }

    /// Checks and lays out a batch response.
    ///
    /// # Errors
    ///
    /// As [`Encoder::request`], with an invalid reason phrase
    /// ([`InvalidReason`](WriteErrorKind::InvalidReason)) in place of targets and references.
    pub fn response(
        batch: &'a BatchResponse,
        options: &WriteOptions,
    ) -> Result<Encoder<'a>, WriteError> {
        let plan = plan::plan(batch, options)?;
        Encoder::new(Source::Response(batch), plan)
    }

    /// Checks and lays out a batch of either kind.
    ///
    /// # Errors
    ///
    /// As [`Encoder::request`] and [`Encoder::response`].
    pub fn message(
        batch: &'a BatchMessage,
        options: &WriteOptions,
    ) -> Result<Encoder<'a>, WriteError> {
        match batch {
            BatchMessage::Request(batch) => Encoder::request(batch, options),
            BatchMessage::Response(batch) => Encoder::response(batch, options),
        }
    }

    fn new(source: Source<'a>, plan: Plan<'a>) -> Result<Encoder<'a>, WriteError> {
        let boundary = &plan.boundary;
        let value = if boundary_needs_quotes(boundary) {
            format!("multipart/mixed; boundary=\"{boundary}\"")
        } else {
            format!("multipart/mixed; boundary={boundary}")
        };
        // The boundary holds only RFC 2046 `bchars`, which are all visible ASCII or space,
        // so this cannot fail; the error keeps it from being a panic all the same.
        let content_type = HeaderValue::from_maybe_shared(Bytes::from(value)).map_err(|_| {
            WriteError::new(
                WriteErrorKind::InvalidBoundary,
                None,
                format!("expected a boundary fit for a header value, found {boundary:?}"),
            )
        })?;
        Ok(Encoder {
            source,
            plan,
            content_type,
            len: OnceLock::new(),
        })
    }

    /// Whether this writes requests or responses.
    pub fn kind(&self) -> MessageKind {
        match self.source {
            Source::Request(_) => MessageKind::Request,
            Source::Response(_) => MessageKind::Response,
        }
    }

    /// The dialect written.
    pub fn dialect(&self) -> Dialect {
        self.plan.dialect
    }

    /// The batch boundary.
    pub fn boundary(&self) -> &str {
        &self.plan.boundary
    }

    /// The boundary of each changeset, in batch order.
    pub fn changeset_boundaries(&self) -> &[String] {
        &self.plan.group_boundaries
    }

    /// The `Content-Type` of the batch: `multipart/mixed; boundary=…`, the boundary quoted
    /// when it is not a token.
    pub fn content_type(&self) -> &HeaderValue {
        &self.content_type
    }

    /// The headers of the envelope: the `Content-Type`, the dialect's version header
    /// (`DataServiceVersion: 2.0` or `3.0`, `OData-Version: 4.0`), and for OData V4
    /// `Prefer: odata.continue-on-error` (answered by `Preference-Applied`) when the batch
    /// options ask for it.
    ///
    /// Azure wants `x-ms-version` on the batch request itself (the writer takes it off the
    /// sub-requests); add it with the credentials, which the model does not know either.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(3);
        headers.insert(CONTENT_TYPE, self.content_type.clone());
        if let Some(version) = self.plan.dialect.rules().version {
            // Invariant: the dialect table holds valid header names and values.
            if let (Ok(name), value) = (
                HeaderName::from_bytes(version.name.as_bytes()),
                HeaderValue::from_static(version.value),
            ) {
                headers.insert(name, value);
            }
        }
        if self.plan.continue_on_error {
            let name = match self.kind() {
                MessageKind::Request => "prefer",
                MessageKind::Response => "preference-applied",
            };
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static("odata.continue-on-error"),
            );
        }
        headers
    }

    /// What the dialect could not carry and the writer left out.
    pub fn report(&self) -> &WriteReport {
        &self.plan.report
    }

    /// The report, without the encoder.
    pub fn into_report(self) -> WriteReport {
        self.plan.report
    }

    /// The exact number of bytes the batch takes.
    ///
    /// # Complexity
    ///
    /// Linear in the number of parts and headers the first time (the output is measured as
    /// it would be written, without copying a body), constant after.
    pub fn encoded_len(&self) -> usize {
        *self.len.get_or_init(|| {
            let mut counter = Counter(0);
            self.emit(&mut counter);
            counter.0
        })
    }

    /// Writes the batch into a buffer.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`](WriteErrorKind::BufferTooSmall) when `buf` has less room than
    /// [`Encoder::encoded_len`]; nothing is written then. Growable buffers such as
    /// `BytesMut` and `Vec<u8>` always have room.
    ///
    /// # Complexity
    ///
    /// Linear in the output. Every body is copied once, by `BufMut::put_slice`.
    pub fn encode_into<B: BufMut>(&self, buf: &mut B) -> Result<(), WriteError> {
        let room = buf.remaining_mut();
        // A growable buffer (`BytesMut`, `Vec<u8>`) says it has room for more than any
        // batch in memory could take: it is not measured for.
        if room < isize::MAX as usize / 2 && room < self.encoded_len() {
            return Err(WriteError::new(
                WriteErrorKind::BufferTooSmall,
                None,
                format!(
                    "expected room for {} bytes in the buffer, found {room}",
                    self.encoded_len()
                ),
            ));
        }
        self.emit(&mut BufSink(buf));
        Ok(())
    }

    /// Writes the batch into `writer`, with many small writes: give it a buffered writer.
    ///
    /// # Errors
    ///
    /// The first error `writer` returns; nothing is written after it.
    pub fn write_to<W: io::Write>(&self, writer: W) -> io::Result<()> {
        let mut sink = IoSink {
            writer,
            error: None,
        };
        self.emit(&mut sink);
        match sink.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The batch in one new buffer, allocated once at its exact size.
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.emit(&mut BufSink(&mut buf));
        buf.freeze()
    }

    fn emit<S: emit::Sink>(&self, out: &mut S) {
        let emitter = Emitter { plan: &self.plan };
        match self.source {
            Source::Request(batch) => emitter.batch(&batch.items, out),
            Source::Response(batch) => emitter.batch(&batch.items, out),
        }
    }
}
