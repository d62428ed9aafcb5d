//! Borrowed views of a decoded batch: every slice points into the input.

use std::borrow::Cow;

use batchwire_core::{MessageKind, Tolerance};

/// A batch read from `&'a [u8]`, borrowing every name, value and body from it.
///
/// Turn it into the owned model with [`crate::decode`], which does the same parse from
/// `Bytes` and slices the bodies out of the input without copying them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRef<'a> {
    /// Requests or responses (from the first embedded start line, or as forced).
    pub kind: MessageKind,
    /// The batch boundary.
    pub boundary: String,
    /// The items in wire order.
    pub items: Vec<ItemRef<'a>>,
    /// What the reader tolerated, in input order. In strict mode only what strict mode also
    /// reports: an embedded `Content-Length` that does not match the body, and a reason
    /// phrase that is not UTF-8.
    pub tolerated: Vec<Tolerance>,
}

impl<'a> BatchRef<'a> {
    /// Every operation in wire order, changeset members included.
    pub fn parts(&self) -> impl Iterator<Item = &PartRef<'a>> {
        self.items.iter().flat_map(|item| match item {
            ItemRef::Operation(part) => std::slice::from_ref(part),
            ItemRef::Group(group) => group.parts.as_slice(),
        })
    }
}

/// One item of a batch: an operation or a changeset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemRef<'a> {
    /// An `application/http` body part.
    Operation(PartRef<'a>),
    /// A nested `multipart/mixed` body part.
    Group(GroupRef<'a>),
}

/// A changeset: a nested `multipart/mixed` body part and its operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRef<'a> {
    /// Offset of the changeset's part headers in the input.
    pub offset: usize,
    /// The changeset's boundary.
    pub boundary: String,
    /// The MIME headers of the changeset part, in wire order.
    pub part_headers: Vec<HeaderRef<'a>>,
    /// The operations in wire order.
    pub parts: Vec<PartRef<'a>>,
}

/// One `application/http` body part: MIME headers and the embedded HTTP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartRef<'a> {
    /// Offset of the part's first header line in the input.
    pub offset: usize,
    /// The MIME headers of the part, in wire order.
    pub part_headers: Vec<HeaderRef<'a>>,
    /// The request line or status line.
    pub start: StartLineRef<'a>,
    /// The headers of the embedded message, in wire order.
    pub headers: Vec<HeaderRef<'a>>,
    /// The body: the part's bytes after the embedded header section, up to the line break
    /// that belongs to the next delimiter, cut to the embedded `Content-Length` when that is
    /// smaller.
    pub body: &'a [u8],
    /// Offset of the body in the input.
    pub body_offset: usize,
}

impl PartRef<'_> {
    /// The Content-ID: the part header's, else the embedded message's, as written.
    pub fn content_id(&self) -> Option<&[u8]> {
        crate::raw::content_id_header(&self.part_headers, &self.headers, |h| h.is("content-id"))
            .map(|h| &*h.value)
    }
}

/// The first line of an embedded message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLineRef<'a> {
    /// `method SP request-target SP HTTP-version`; leniently also without the version,
    /// which is then empty.
    Request {
        /// The method token as written.
        method: &'a [u8],
        /// The request target exactly as written.
        target: &'a [u8],
        /// The HTTP version, e.g. `HTTP/1.1`.
        version: &'a [u8],
    },
    /// `HTTP-version SP status-code [SP reason-phrase]`.
    Response {
        /// The HTTP version, e.g. `HTTP/1.1`.
        version: &'a [u8],
        /// The status code, 100 to 999.
        status: u16,
        /// The reason phrase, when the line has one (it may be empty).
        reason: Option<&'a [u8]>,
    },
}

/// A header field borrowed from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderRef<'a> {
    /// The name as written.
    pub name: &'a [u8],
    /// The value without surrounding whitespace. Borrowed, except for a folded header (a
    /// MIME part header, or leniently an embedded one), whose lines are trimmed and joined
    /// with one space.
    pub value: Cow<'a, [u8]>,
}

impl HeaderRef<'_> {
    /// Whether the name is `name`, compared case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}
