//! From borrowed views to the owned model, slicing bodies out of the input without copying.

use batchwire_core::{
    AtomicGroup, Batch, BatchMessage, Header, Headers, Item, MessageKind, ParseError,
    ParseErrorKind, SubRequest, SubResponse, Tolerance, ToleranceKind,
};
use bytes::Bytes;
use http::{Method, StatusCode};

use crate::decode::{DecodeOptions, parse};
use crate::view::{BatchRef, HeaderRef, ItemRef, PartRef, StartLineRef};

/// A decoded batch with what the reader tolerated.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The batch of requests or responses.
    pub message: BatchMessage,
    /// The batch boundary.
    pub boundary: String,
    /// What the lenient reader tolerated, in input order (empty in strict mode).
    pub tolerated: Vec<Tolerance>,
}

/// Reads a multipart batch from a shared buffer into the owned model.
///
/// Every body, header name and header value of the result is a `Bytes::slice_ref` of
/// `input`: no body byte is copied, and the result keeps `input` alive.
///
/// # Errors
///
/// As [`parse`]: a [`ParseError`] located at the first fault.
///
/// # Examples
///
/// ```
/// use batchwire_core::BatchMessage;
/// use batchwire_multipart::{decode, DecodeOptions};
/// use bytes::Bytes;
///
/// let body = Bytes::from_static(
///     b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n42\r\n--b--\r\n",
/// );
/// let decoded = decode(&body, Some(b"multipart/mixed; boundary=b"), &DecodeOptions::strict())?;
/// let BatchMessage::Response(batch) = decoded.message else { unreachable!() };
/// let response = batch.operations().next().unwrap();
/// assert_eq!(response.status, 200);
/// assert_eq!(&response.body[..], b"42");
/// // The body points into `body`: nothing was copied.
/// assert!(body.as_ptr_range().contains(&response.body.as_ptr()));
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
pub fn decode(
    input: &Bytes,
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    let view = parse(input, content_type, options)?;
    to_owned(input, view)
}

/// Reads a batch that must hold requests.
pub fn decode_request(
    input: &Bytes,
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<(Batch<SubRequest>, Vec<Tolerance>), ParseError> {
    let options = options.clone().with_kind(MessageKind::Request);
    let decoded = decode(input, content_type, &options)?;
    match decoded.message {
        BatchMessage::Request(batch) => Ok((batch, decoded.tolerated)),
        // Invariant: the kind was forced, so the reader rejects status lines.
        BatchMessage::Response(_) => Err(ParseError::new(
            ParseErrorKind::UnexpectedMessageKind,
            &[],
            0,
            "expected a request batch, found a response batch",
        )),
    }
}

/// Reads a batch that must hold responses.
pub fn decode_response(
    input: &Bytes,
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<(Batch<SubResponse>, Vec<Tolerance>), ParseError> {
    let options = options.clone().with_kind(MessageKind::Response);
    let decoded = decode(input, content_type, &options)?;
    match decoded.message {
        BatchMessage::Response(batch) => Ok((batch, decoded.tolerated)),
        // Invariant: the kind was forced, so the reader rejects request lines.
        BatchMessage::Request(_) => Err(ParseError::new(
            ParseErrorKind::UnexpectedMessageKind,
            &[],
            0,
            "expected a response batch, found a request batch",
        )),
    }
}

/// Turns a view of `input` into the owned model; `view` must borrow from `input`.
///
/// # Errors
///
/// A request line whose method or target `http` cannot hold (a method longer than
/// `http::Method` accepts, a target that is not UTF-8).
fn to_owned(input: &Bytes, view: BatchRef<'_>) -> Result<Decoded, ParseError> {
    let mut tolerated = view.tolerated;
    let slicer = Slicer { input };
    let message = match view.kind {
        MessageKind::Request => {
            let mut items = Vec::with_capacity(view.items.len());
            for item in &view.items {
                items.push(slicer.item(item, |part| slicer.request(part))?);
            }
            BatchMessage::Request(Batch::from_items(items))
        }
        MessageKind::Response => {
            let mut items = Vec::with_capacity(view.items.len());
            for item in &view.items {
                items.push(slicer.item(item, |part| slicer.response(part, &mut tolerated))?);
            }
            BatchMessage::Response(Batch::from_items(items))
        }
    };
    tolerated.sort_by_key(|t| t.offset);
    Ok(Decoded {
        message,
        boundary: view.boundary,
        tolerated,
    })
}

struct Slicer<'i> {
    input: &'i Bytes,
}

impl Slicer<'_> {
    /// A slice of the input as a view of the shared buffer; anything else (an unfolded
    /// header value) is copied.
    fn bytes(&self, slice: &[u8]) -> Bytes {
        let inside = self.input.as_ptr_range();
        let range = slice.as_ptr_range();
        if slice.is_empty() {
            Bytes::new()
        } else if inside.start <= range.start && range.end <= inside.end {
            self.input.slice_ref(slice)
        } else {
            Bytes::copy_from_slice(slice)
        }
    }

    fn headers(&self, headers: &[HeaderRef<'_>]) -> Headers {
        headers
            .iter()
            .map(|h| Header::new(self.bytes(h.name), self.bytes(&h.value)))
            .collect()
    }

    fn item<T>(
        &self,
        item: &ItemRef<'_>,
        mut op: impl FnMut(&PartRef<'_>) -> Result<T, ParseError>,
    ) -> Result<Item<T>, ParseError> {
        Ok(match item {
            ItemRef::Operation(part) => Item::Operation(op(part)?),
            ItemRef::Group(group) => {
                let mut operations = Vec::with_capacity(group.parts.len());
                for part in &group.parts {
                    operations.push(op(part)?);
                }
                let mut atomic = AtomicGroup::new(operations);
                atomic.part_headers = self.headers(&group.part_headers);
                Item::Group(atomic)
            }
        })
    }

    fn error(&self, at: &[u8], kind: ParseErrorKind, message: String) -> ParseError {
        let offset = at.as_ptr() as usize - self.input.as_ptr() as usize;
        ParseError::new(kind, self.input, offset, message)
    }

    fn request(&self, part: &PartRef<'_>) -> Result<SubRequest, ParseError> {
        let StartLineRef::Request { method, target, .. } = part.start else {
            return Err(self.error(
                part.body,
                ParseErrorKind::UnexpectedMessageKind,
                "expected a request line, found a status line".into(),
            ));
        };
        let method = Method::from_bytes(method).map_err(|_| {
            self.error(
                method,
                ParseErrorKind::InvalidRequestLine,
                format!(
                    "expected a method, found {:?}",
                    String::from_utf8_lossy(method)
                ),
            )
        })?;
        let target = std::str::from_utf8(target).map_err(|_| {
            self.error(
                target,
                ParseErrorKind::InvalidRequestLine,
                "expected a UTF-8 request target".into(),
            )
        })?;
        let mut sub = SubRequest::new(method, target);
        sub.id = part
            .content_id()
            .map(|id| String::from_utf8_lossy(id).into_owned());
        sub.headers = self.headers(&part.headers);
        sub.part_headers = self.headers(&part.part_headers);
        sub.body = self.bytes(part.body);
        Ok(sub)
    }

    fn response(
        &self,
        part: &PartRef<'_>,
        tolerated: &mut Vec<Tolerance>,
    ) -> Result<SubResponse, ParseError> {
        let StartLineRef::Response { status, reason, .. } = part.start else {
            return Err(self.error(
                part.body,
                ParseErrorKind::UnexpectedMessageKind,
                "expected a status line, found a request line".into(),
            ));
        };
        // Invariant: the reader only builds statuses from 100 to 999.
        let status = StatusCode::from_u16(status).map_err(|_| {
            self.error(
                part.body,
                ParseErrorKind::InvalidStatusLine,
                format!("expected a status code from 100 to 999, found {status}"),
            )
        })?;
        let mut sub = SubResponse::new(status);
        sub.reason = reason.map(|r| {
            if std::str::from_utf8(r).is_err() {
                tolerated.push(Tolerance {
                    offset: r.as_ptr() as usize - self.input.as_ptr() as usize,
                    kind: ToleranceKind::ReasonNotUtf8,
                });
            }
            String::from_utf8_lossy(r).into_owned()
        });
        sub.id = part
            .content_id()
            .map(|id| String::from_utf8_lossy(id).into_owned());
        sub.headers = self.headers(&part.headers);
        sub.part_headers = self.headers(&part.part_headers);
        sub.body = self.bytes(part.body);
        Ok(sub)
    }
}
