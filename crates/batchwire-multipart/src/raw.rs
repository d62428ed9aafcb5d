//! What the decoding machine emits: events whose every name, value and body is a byte range
//! of the input, turned into borrowed views or owned model values by the caller.

use std::borrow::Cow;
use std::ops::Range;

use batchwire_core::{
    AtomicGroup, Header, Headers, Item, MessageKind, ParseError, ParseErrorKind, SubRequest,
    SubResponse, Tolerance, ToleranceKind,
};
use bytes::Bytes;
use http::{Method, StatusCode};

use crate::view::{GroupRef, HeaderRef, ItemRef, PartRef, StartLineRef};

/// A header field: the name's range and the value's range, or the value itself when folded
/// lines had to be joined.
#[derive(Clone, Debug)]
pub(crate) struct HeaderSpan {
    pub(crate) name: Range<usize>,
    pub(crate) value: ValueSpan,
}

#[derive(Clone, Debug)]
pub(crate) enum ValueSpan {
    Span(Range<usize>),
    Joined(Vec<u8>),
}

#[derive(Clone, Debug)]
pub(crate) enum StartSpan {
    Request {
        method: Range<usize>,
        target: Range<usize>,
        version: Range<usize>,
    },
    Response {
        version: Range<usize>,
        status: u16,
        reason: Option<Range<usize>>,
    },
}

/// One `application/http` part.
#[derive(Clone, Debug)]
pub(crate) struct PartSpan {
    pub(crate) offset: usize,
    pub(crate) part_headers: Vec<HeaderSpan>,
    pub(crate) start: StartSpan,
    pub(crate) headers: Vec<HeaderSpan>,
    pub(crate) body: Range<usize>,
}

/// The header that carries an operation's Content-ID: the MIME part header's, else the
/// embedded message's (the one rule for it, whatever holds the headers).
pub(crate) fn content_id_header<'h, H>(
    part_headers: &'h [H],
    headers: &'h [H],
    is_content_id: impl Fn(&H) -> bool,
) -> Option<&'h H> {
    part_headers
        .iter()
        .find(|h| is_content_id(h))
        .or_else(|| headers.iter().find(|h| is_content_id(h)))
}

#[derive(Clone, Debug)]
pub(crate) enum RawEvent {
    GroupStart {
        offset: usize,
        boundary: String,
        part_headers: Vec<HeaderSpan>,
    },
    Operation(PartSpan),
    GroupEnd,
}

impl RawEvent {
    /// Where the last byte this event refers to ends (0 for none).
    pub(crate) fn end(&self) -> usize {
        fn headers_end(headers: &[HeaderSpan]) -> usize {
            headers
                .iter()
                .map(|h| match &h.value {
                    ValueSpan::Span(r) => r.end.max(h.name.end),
                    ValueSpan::Joined(_) => h.name.end,
                })
                .max()
                .unwrap_or(0)
        }
        match self {
            RawEvent::GroupStart { part_headers, .. } => headers_end(part_headers),
            RawEvent::Operation(part) => {
                let start = match &part.start {
                    StartSpan::Request { version, .. } => version.end,
                    StartSpan::Response {
                        version, reason, ..
                    } => reason.as_ref().map_or(version.end, |r| r.end),
                };
                headers_end(&part.part_headers)
                    .max(headers_end(&part.headers))
                    .max(start)
                    .max(part.body.end)
            }
            RawEvent::GroupEnd => 0,
        }
    }
}

/// Ranges are absolute in the input; `bytes` holds the input from `base` on.
pub(crate) struct Source<'s> {
    pub(crate) bytes: &'s [u8],
    pub(crate) base: usize,
}

impl<'s> Source<'s> {
    fn slice(&self, range: &Range<usize>) -> &'s [u8] {
        &self.bytes[range.start - self.base..range.end - self.base]
    }

    fn header_ref(&self, h: &HeaderSpan) -> HeaderRef<'s> {
        HeaderRef {
            name: self.slice(&h.name),
            value: match &h.value {
                ValueSpan::Span(r) => Cow::Borrowed(self.slice(r)),
                ValueSpan::Joined(v) => Cow::Owned(v.clone()),
            },
        }
    }

    pub(crate) fn part_ref(&self, part: &PartSpan) -> PartRef<'s> {
        PartRef {
            offset: part.offset,
            part_headers: part
                .part_headers
                .iter()
                .map(|h| self.header_ref(h))
                .collect(),
            start: match &part.start {
                StartSpan::Request {
                    method,
                    target,
                    version,
                } => StartLineRef::Request {
                    method: self.slice(method),
                    target: self.slice(target),
                    version: self.slice(version),
                },
                StartSpan::Response {
                    version,
                    status,
                    reason,
                } => StartLineRef::Response {
                    version: self.slice(version),
                    status: *status,
                    reason: reason.as_ref().map(|r| self.slice(r)),
                },
            },
            headers: part.headers.iter().map(|h| self.header_ref(h)).collect(),
            body: self.slice(&part.body),
            body_offset: part.body.start,
        }
    }
}

/// Builds the borrowed items from a complete list of events.
pub(crate) fn items_ref<'s>(source: &Source<'s>, events: &[RawEvent]) -> Vec<ItemRef<'s>> {
    let mut items = Vec::new();
    let mut group: Option<GroupRef<'s>> = None;
    for event in events {
        match event {
            RawEvent::GroupStart {
                offset,
                boundary,
                part_headers,
            } => {
                group = Some(GroupRef {
                    offset: *offset,
                    boundary: boundary.clone(),
                    part_headers: part_headers.iter().map(|h| source.header_ref(h)).collect(),
                    parts: Vec::new(),
                });
            }
            RawEvent::Operation(part) => match group.as_mut() {
                Some(g) => g.parts.push(source.part_ref(part)),
                None => items.push(ItemRef::Operation(source.part_ref(part))),
            },
            RawEvent::GroupEnd => {
                if let Some(g) = group.take() {
                    items.push(ItemRef::Group(g));
                }
            }
        }
    }
    items
}

/// Turns ranges into owned values: `Bytes::slice`s of a shared buffer holding the input
/// from `base` on, so no byte is copied (but the rare joined header value).
pub(crate) struct Owner<'b> {
    pub(crate) bytes: &'b Bytes,
    pub(crate) base: usize,
}

/// One owned operation of either kind.
#[derive(Debug)]
pub(crate) enum OwnedOp {
    Request(SubRequest),
    Response(SubResponse),
}

impl Owner<'_> {
    fn bytes(&self, range: &Range<usize>) -> Bytes {
        self.bytes
            .slice(range.start - self.base..range.end - self.base)
    }

    fn value(&self, value: &ValueSpan) -> Bytes {
        match value {
            ValueSpan::Span(r) => self.bytes(r),
            ValueSpan::Joined(v) => Bytes::copy_from_slice(v),
        }
    }

    pub(crate) fn headers(&self, headers: &[HeaderSpan]) -> Headers {
        headers
            .iter()
            .map(|h| Header::new(self.bytes(&h.name), self.value(&h.value)))
            .collect()
    }

    /// An error located in the buffer (a window of the input from `base` on); the caller
    /// rebases it when `base` is not 0.
    fn error(&self, at: usize, kind: ParseErrorKind, message: String) -> ParseError {
        ParseError::new(kind, self.bytes, at - self.base, message)
    }

    fn content_id(&self, part: &PartSpan) -> Option<String> {
        content_id_header(&part.part_headers, &part.headers, |h| {
            self.bytes[h.name.start - self.base..h.name.end - self.base]
                .eq_ignore_ascii_case(b"content-id")
        })
        .map(|h| String::from_utf8_lossy(&self.value(&h.value)).into_owned())
    }

    /// The owned operation; `tolerated` gets a report for a reason phrase that is not UTF-8.
    pub(crate) fn operation(
        &self,
        part: &PartSpan,
        tolerated: &mut Vec<Tolerance>,
    ) -> Result<OwnedOp, ParseError> {
        match &part.start {
            StartSpan::Request { method, target, .. } => {
                let method_bytes = self.bytes(method);
                let method_value = Method::from_bytes(&method_bytes).map_err(|_| {
                    self.error(
                        method.start,
                        ParseErrorKind::InvalidRequestLine,
                        format!(
                            "expected a method, found {:?}",
                            String::from_utf8_lossy(&method_bytes)
                        ),
                    )
                })?;
                // The machine let through only UTF-8 targets (`check_target`): nothing is
                // replaced here.
                let target_text = String::from_utf8_lossy(&self.bytes(target)).into_owned();
                let mut sub = SubRequest::new(method_value, target_text);
                sub.id = self.content_id(part);
                sub.headers = self.headers(&part.headers);
                sub.part_headers = self.headers(&part.part_headers);
                sub.body = self.bytes(&part.body);
                Ok(OwnedOp::Request(sub))
            }
            StartSpan::Response { status, reason, .. } => {
                // Invariant: the machine only makes statuses from 100 to 999.
                let code = StatusCode::from_u16(*status).map_err(|_| {
                    self.error(
                        part.offset,
                        ParseErrorKind::InvalidStatusLine,
                        format!("expected a status code from 100 to 999, found {status}"),
                    )
                })?;
                let mut sub = SubResponse::new(code);
                sub.reason = reason.as_ref().map(|r| {
                    let text = self.bytes(r);
                    if std::str::from_utf8(&text).is_err() {
                        tolerated.push(Tolerance {
                            offset: r.start,
                            kind: ToleranceKind::ReasonNotUtf8,
                        });
                    }
                    String::from_utf8_lossy(&text).into_owned()
                });
                sub.id = self.content_id(part);
                sub.headers = self.headers(&part.headers);
                sub.part_headers = self.headers(&part.part_headers);
                sub.body = self.bytes(&part.body);
                Ok(OwnedOp::Response(sub))
            }
        }
    }
}

/// Builds owned items of one kind from a complete list of events.
pub(crate) fn items_owned<T>(
    owner: &Owner<'_>,
    events: &[RawEvent],
    tolerated: &mut Vec<Tolerance>,
    pick: impl Fn(OwnedOp) -> Option<T>,
    kind: MessageKind,
) -> Result<Vec<Item<T>>, ParseError> {
    let mut items = Vec::new();
    let mut group: Option<AtomicGroup<T>> = None;
    for event in events {
        match event {
            RawEvent::GroupStart { part_headers, .. } => {
                let mut g = AtomicGroup::new(Vec::new());
                g.part_headers = owner.headers(part_headers);
                group = Some(g);
            }
            RawEvent::Operation(part) => {
                let op = pick(owner.operation(part, tolerated)?).ok_or_else(|| {
                    owner.error(
                        part.offset,
                        ParseErrorKind::UnexpectedMessageKind,
                        format!("expected a {} part", kind.as_str()),
                    )
                })?;
                match group.as_mut() {
                    Some(g) => g.operations.push(op),
                    None => items.push(Item::Operation(op)),
                }
            }
            RawEvent::GroupEnd => {
                if let Some(g) = group.take() {
                    items.push(Item::Group(g));
                }
            }
        }
    }
    Ok(items)
}
