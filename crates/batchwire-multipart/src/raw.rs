//! What the decoding machine emits: events whose every name, value and body is a byte range
//! of the input, turned into borrowed views or owned model values by the caller.

use std::borrow::Cow;
use std::ops::Range;

use batchwire_core::{
    AtomicGroup, FieldTable, Header, Headers, Item, MessageKind, ParseError, ParseErrorKind,
    SubRequest, SubResponse, Tolerance, ToleranceKind,
};
use bytes::Bytes;
use http::{Method, StatusCode};

pub(crate) use crate::grammar::Known;
use crate::view::{GroupRef, HeaderRef, ItemRef, PartRef, StartLineRef};

/// A header field: the name's range and the value's range, or the value itself when folded
/// lines had to be joined.
#[derive(Clone, Debug)]
pub(crate) struct HeaderSpan {
    pub(crate) name: Range<usize>,
    pub(crate) value: ValueSpan,
    /// Which of the names the reader asks for this is, found once when it is read.
    pub(crate) known: Known,
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

/// One `application/http` part. Its header sections are ranges of [`Events::fields`].
#[derive(Clone, Debug)]
pub(crate) struct PartSpan {
    pub(crate) offset: usize,
    pub(crate) part_headers: Range<usize>,
    pub(crate) start: StartSpan,
    pub(crate) headers: Range<usize>,
    pub(crate) body: Range<usize>,
}

/// What one run of the machine found: the events in input order, and the header fields of
/// all their sections in one list (a section is a range of it), so that reading a part
/// allocates nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Events {
    pub(crate) list: Vec<RawEvent>,
    pub(crate) fields: Vec<HeaderSpan>,
}

impl Events {
    /// Room for the events of an input of `len` bytes as OData servers write them (a part
    /// of a few hundred bytes holds five or six header fields), so that the common batch
    /// is read without growing the lists; bounded, so that a large body reserves little.
    pub(crate) fn for_input(len: usize) -> Events {
        const BYTES_PER_PART: usize = 384;
        const FIELDS_PER_PART: usize = 6;
        const MOST_PARTS: usize = 256;
        let parts = (len / BYTES_PER_PART + 1).min(MOST_PARTS);
        Events {
            list: Vec::with_capacity(parts),
            fields: Vec::with_capacity(parts * FIELDS_PER_PART),
        }
    }

    /// Adds an event, growing the list four-fold when full: fewer and smaller copies than
    /// doubling for the batches of thousands of parts that outgrow the first reservation.
    pub(crate) fn push_event(&mut self, event: RawEvent) {
        grow(&mut self.list);
        self.list.push(event);
    }

    /// Adds a field, growing as [`Events::push_event`] does.
    pub(crate) fn push_field(&mut self, field: HeaderSpan) {
        grow(&mut self.fields);
        self.fields.push(field);
    }

    /// The fields of one section.
    pub(crate) fn section(&self, range: &Range<usize>) -> &[HeaderSpan] {
        &self.fields[range.clone()]
    }

    /// Where the last byte an event refers to ends (0 for none).
    pub(crate) fn end(&self, event: &RawEvent) -> usize {
        let headers_end = |range: &Range<usize>| section_end(self.section(range));
        match event {
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

/// Makes room for one more element: four times the length when the list is full.
fn grow<T>(list: &mut Vec<T>) {
    if list.len() == list.capacity() {
        list.reserve(list.len().max(4) * 3);
    }
}

/// Where the last byte a section's fields refer to ends (0 for none).
fn section_end(fields: &[HeaderSpan]) -> usize {
    fields
        .iter()
        .map(|h| match &h.value {
            ValueSpan::Span(r) => r.end.max(h.name.end),
            ValueSpan::Joined(_) => h.name.end,
        })
        .max()
        .unwrap_or(0)
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

/// Whether a field read by the machine is a Content-ID.
pub(crate) fn is_content_id(h: &HeaderSpan) -> bool {
    h.known == Known::ContentId
}

#[derive(Clone, Debug)]
pub(crate) enum RawEvent {
    GroupStart {
        offset: usize,
        boundary: String,
        part_headers: Range<usize>,
    },
    Operation(PartSpan),
    GroupEnd,
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

    fn headers_ref(&self, fields: &[HeaderSpan]) -> Vec<HeaderRef<'s>> {
        fields.iter().map(|h| self.header_ref(h)).collect()
    }

    pub(crate) fn part_ref(&self, events: &Events, part: &PartSpan) -> PartRef<'s> {
        PartRef {
            offset: part.offset,
            part_headers: self.headers_ref(events.section(&part.part_headers)),
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
            headers: self.headers_ref(events.section(&part.headers)),
            body: self.slice(&part.body),
            body_offset: part.body.start,
        }
    }
}

/// Builds the borrowed items from a complete list of events.
pub(crate) fn items_ref<'s>(source: &Source<'s>, events: &Events) -> Vec<ItemRef<'s>> {
    let mut items = Vec::with_capacity(top_level_items(events));
    let mut group: Option<GroupRef<'s>> = None;
    for event in &events.list {
        match event {
            RawEvent::GroupStart {
                offset,
                boundary,
                part_headers,
            } => {
                group = Some(GroupRef {
                    offset: *offset,
                    boundary: boundary.clone(),
                    part_headers: source.headers_ref(events.section(part_headers)),
                    parts: Vec::new(),
                });
            }
            RawEvent::Operation(part) => match group.as_mut() {
                Some(g) => g.parts.push(source.part_ref(events, part)),
                None => items.push(ItemRef::Operation(source.part_ref(events, part))),
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

/// Turns the events of one run into owned values: every name, value and body a
/// `Bytes::slice` of a shared buffer holding the input from `base` on, so no byte is copied
/// (but the rare joined header value). Each part's header lists share the input buffer (or,
/// where an offset would not fit in 32 bits, one slice of the part up to its body), and their
/// fields go into a [`FieldTable`] whose buffers many parts share: a part costs no allocation
/// for its headers.
pub(crate) struct Owner<'b> {
    bytes: &'b Bytes,
    base: usize,
    events: &'b Events,
    table: FieldTable,
}

/// An operation of the owned model, read from one `application/http` part: the one fold
/// from what the machine found to a request or a response, used by every owned decoder.
pub(crate) trait Operation: Sized {
    /// What this operation is.
    const KIND: MessageKind;

    /// The operation of `part`; `None` when the part holds the other kind.
    fn from_part(
        owner: &mut Owner<'_>,
        part: &PartSpan,
        tolerated: &mut Vec<Tolerance>,
    ) -> Option<Result<Self, ParseError>>;
}

impl<'b> Owner<'b> {
    /// The fold of `events`, whose ranges are absolute in an input that `bytes` holds from
    /// `base` on.
    pub(crate) fn new(bytes: &'b Bytes, base: usize, events: &'b Events) -> Owner<'b> {
        Owner {
            bytes,
            base,
            events,
            table: FieldTable::new(),
        }
    }

    fn bytes(&self, range: &Range<usize>) -> Bytes {
        self.bytes
            .slice(range.start - self.base..range.end - self.base)
    }

    /// The bytes at an absolute range, borrowed.
    fn slice(&self, range: &Range<usize>) -> &'b [u8] {
        &self.bytes[range.start - self.base..range.end - self.base]
    }

    fn value(&self, value: &ValueSpan) -> Bytes {
        match value {
            ValueSpan::Span(r) => self.bytes(r),
            ValueSpan::Joined(v) => Bytes::copy_from_slice(v),
        }
    }

    /// The list of one section whose block (a slice of the input) is `block`, starting at
    /// the absolute offset `block_start`.
    fn headers(&mut self, block: &Bytes, block_start: usize, fields: &[HeaderSpan]) -> Headers {
        let tabled = fields.iter().all(|h| match &h.value {
            ValueSpan::Span(value) => self.table.push(
                h.name.start - block_start..h.name.end - block_start,
                value.start - block_start..value.end - block_start,
            ),
            // A joined value is not in the block: the list is owned.
            ValueSpan::Joined(_) => false,
        });
        if tabled && let Some(headers) = self.table.headers(block.clone()) {
            return headers;
        }
        self.table.discard();
        fields
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
        content_id_header(
            self.events.section(&part.part_headers),
            self.events.section(&part.headers),
            is_content_id,
        )
        .map(|h| match &h.value {
            ValueSpan::Span(r) => String::from_utf8_lossy(self.slice(r)).into_owned(),
            ValueSpan::Joined(v) => String::from_utf8_lossy(v).into_owned(),
        })
    }

    /// The part headers of a changeset.
    pub(crate) fn group_headers(&mut self, offset: usize, part_headers: &Range<usize>) -> Headers {
        let fields = self.events.section(part_headers);
        let block = self.bytes(&(offset..section_end(fields).max(offset)));
        self.headers(&block, offset, fields)
    }

    /// The two header lists of a part: its MIME headers and its embedded message's.
    fn part_headers(&mut self, part: &PartSpan) -> (Headers, Headers) {
        let events = self.events;
        // Both sections lie before the body. The lists share the whole buffer where their
        // offsets fit the table (no slice to make and drop), else a slice of the part.
        let end = part.body.start.max(part.offset);
        let (block, block_start) = if u32::try_from(end - self.base).is_ok() {
            (self.bytes.clone(), self.base)
        } else {
            (self.bytes(&(part.offset..end)), part.offset)
        };
        let part_headers = self.headers(&block, block_start, events.section(&part.part_headers));
        let headers = self.headers(&block, block_start, events.section(&part.headers));
        (part_headers, headers)
    }

    /// The operation of `part`, or the error for a part of the other kind.
    pub(crate) fn operation<T: Operation>(
        &mut self,
        part: &PartSpan,
        tolerated: &mut Vec<Tolerance>,
    ) -> Result<T, ParseError> {
        T::from_part(self, part, tolerated).unwrap_or_else(|| {
            // Invariant: the machine rejects a start line of the other kind.
            Err(self.error(
                part.offset,
                ParseErrorKind::UnexpectedMessageKind,
                format!("expected a {} part", T::KIND.as_str()),
            ))
        })
    }
}

impl Operation for SubRequest {
    const KIND: MessageKind = MessageKind::Request;

    fn from_part(
        owner: &mut Owner<'_>,
        part: &PartSpan,
        _tolerated: &mut Vec<Tolerance>,
    ) -> Option<Result<SubRequest, ParseError>> {
        let StartSpan::Request { method, target, .. } = &part.start else {
            return None;
        };
        let method_bytes = owner.slice(method);
        let Ok(method_value) = Method::from_bytes(method_bytes) else {
            return Some(Err(owner.error(
                method.start,
                ParseErrorKind::InvalidRequestLine,
                format!(
                    "expected a method, found {:?}",
                    String::from_utf8_lossy(method_bytes)
                ),
            )));
        };
        // The machine let through only UTF-8 targets (`check_target`): nothing is replaced
        // here.
        let target_text = String::from_utf8_lossy(owner.slice(target)).into_owned();
        let (part_headers, headers) = owner.part_headers(part);
        let mut sub = SubRequest::new(method_value, target_text);
        sub.id = owner.content_id(part);
        sub.headers = headers;
        sub.part_headers = part_headers;
        sub.body = owner.bytes(&part.body);
        Some(Ok(sub))
    }
}

impl Operation for SubResponse {
    const KIND: MessageKind = MessageKind::Response;

    fn from_part(
        owner: &mut Owner<'_>,
        part: &PartSpan,
        tolerated: &mut Vec<Tolerance>,
    ) -> Option<Result<SubResponse, ParseError>> {
        let StartSpan::Response { status, reason, .. } = &part.start else {
            return None;
        };
        // Invariant: the machine only makes statuses from 100 to 999.
        let Ok(code) = StatusCode::from_u16(*status) else {
            return Some(Err(owner.error(
                part.offset,
                ParseErrorKind::InvalidStatusLine,
                format!("expected a status code from 100 to 999, found {status}"),
            )));
        };
        let (part_headers, headers) = owner.part_headers(part);
        let mut sub = SubResponse::new(code);
        sub.reason = reason.as_ref().map(|r| {
            let text = owner.bytes(r);
            if std::str::from_utf8(&text).is_err() {
                tolerated.push(Tolerance {
                    offset: r.start,
                    kind: ToleranceKind::ReasonNotUtf8,
                });
            }
            text
        });
        sub.id = owner.content_id(part);
        sub.headers = headers;
        sub.part_headers = part_headers;
        sub.body = owner.bytes(&part.body);
        Some(Ok(sub))
    }
}

/// How many items the events make: operations outside a changeset, and changesets.
fn top_level_items(events: &Events) -> usize {
    let mut in_group = false;
    let mut count = 0;
    for event in &events.list {
        match event {
            RawEvent::GroupStart { .. } => {
                in_group = true;
                count += 1;
            }
            RawEvent::Operation(_) => count += usize::from(!in_group),
            RawEvent::GroupEnd => in_group = false,
        }
    }
    count
}

/// Builds owned items of one kind from a complete list of events.
pub(crate) fn items_owned<T: Operation>(
    owner: &mut Owner<'_>,
    tolerated: &mut Vec<Tolerance>,
) -> Result<Vec<Item<T>>, ParseError> {
    let events = owner.events;
    let mut items = Vec::with_capacity(top_level_items(events));
    let mut group: Option<AtomicGroup<T>> = None;
    for event in &events.list {
        match event {
            RawEvent::GroupStart {
                offset,
                part_headers,
                ..
            } => {
                let mut g = AtomicGroup::new(Vec::new());
                g.part_headers = owner.group_headers(*offset, part_headers);
                group = Some(g);
            }
            RawEvent::Operation(part) => {
                let op = owner.operation::<T>(part, tolerated)?;
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
