//! Writing a planned batch into a sink. The same code measures the output (into a
//! [`Counter`]) and writes it, so the size pass and the bytes cannot disagree.

use std::io;
use std::slice;

use batchwire_core::{AtomicGroup, Item, MessageKind};
use bytes::BufMut;

use super::operation::Operation;
use super::plan::{Id, Plan, Planned};
use crate::content_type::{boundary_needs_quotes, is_application_http};
use crate::grammar::Known;
use batchwire_core::Spelling;

const CRLF: &[u8] = b"\r\n";

/// Where the bytes go.
pub(super) trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
}

/// Counts bytes instead of writing them.
pub(super) struct Counter(pub(super) usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Writes into a `BufMut` that the caller checked has room.
pub(super) struct BufSink<'b, B>(pub(super) &'b mut B);

impl<B: BufMut> Sink for BufSink<'_, B> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.put_slice(bytes);
    }
}

/// Writes into an `io::Write`, keeping the first error and writing nothing after it.
pub(super) struct IoSink<W> {
    pub(super) writer: W,
    pub(super) error: Option<io::Error>,
}

impl<W: io::Write> Sink for IoSink<W> {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(error) = self.writer.write_all(bytes)
        {
            self.error = Some(error);
        }
    }
}

/// `n` in decimal, formatted without allocating.
pub(super) struct Decimal {
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    pub(super) fn new(mut n: usize) -> Decimal {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Decimal { digits, start }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

/// Writes `n` in decimal without allocating.
fn put_decimal<S: Sink>(out: &mut S, n: usize) {
    out.put(Decimal::new(n).as_bytes());
}

fn put_lowercase<S: Sink>(out: &mut S, text: &[u8]) {
    let mut buf = [0u8; 32];
    for chunk in text.chunks(buf.len()) {
        let lower = &mut buf[..chunk.len()];
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        out.put(lower);
    }
}

/// `--boundary CRLF`.
fn dash_line<S: Sink>(out: &mut S, boundary: &[u8]) {
    out.put(b"--");
    out.put(boundary);
    out.put(CRLF);
}

/// `--boundary--`, without a line break.
fn close_line<S: Sink>(out: &mut S, boundary: &[u8]) {
    out.put(b"--");
    out.put(boundary);
    out.put(b"--");
}

/// Returns true the first time it is called with a flag.
fn first(seen: &mut bool) -> bool {
    !std::mem::replace(seen, true)
}

/// Writes one planned batch.
pub(super) struct Emitter<'p, 'a> {
    pub(super) plan: &'p Plan<'a>,
}

type Ops<'p, 'a> = slice::Iter<'p, Planned<'a>>;

impl<'p, 'a> Emitter<'p, 'a> {
    /// `dash-boundary CRLF body-part *encapsulation close-delimiter CRLF` (RFC 2046 5.1.1),
    /// with no preamble, padding or epilogue.
    pub(super) fn batch<T: Operation, S: Sink>(&self, items: &[Item<T>], out: &mut S) {
        let boundary = self.plan.boundary.as_bytes();
        if items.is_empty() {
            // No body part: the close delimiter alone.
            close_line(out, boundary);
            out.put(CRLF);
            return;
        }
        // Invariant: the plan holds one entry per operation and one boundary per group, in
        // this order, so the iterators never run out early.
        let mut ops: Ops<'p, 'a> = self.plan.ops.iter();
        let mut groups = self.plan.group_boundaries.iter();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.put(CRLF);
            }
            dash_line(out, boundary);
            match item {
                Item::Operation(op) => self.part(op, ops.next(), out),
                Item::Group(group) => {
                    let changeset = groups.next().map_or("", String::as_str);
                    self.group(group, changeset, &mut ops, out);
                }
            }
        }
        out.put(b"\r\n--");
        out.put(boundary);
        out.put(b"--\r\n");
    }

    /// A changeset part: its headers, then its own multipart closed by its close delimiter,
    /// whose line break is the next batch delimiter's.
    fn group<T: Operation, S: Sink>(
        &self,
        group: &AtomicGroup<T>,
        boundary: &str,
        ops: &mut Ops<'p, 'a>,
        out: &mut S,
    ) {
        let headers = &group.part_headers;
        if !headers.contains("content-type") {
            self.multipart_type(out, b"Content-Type", boundary);
        }
        let (mut content_type, mut content_length) = (false, false);
        for header in headers {
            if header.is("content-type") {
                if first(&mut content_type) {
                    self.multipart_type(out, header.name(), boundary);
                }
            } else if header.is("content-length") {
                if first(&mut content_length) {
                    let mut counter = Counter(0);
                    self.members(group, boundary, &mut ops.clone(), &mut counter);
                    self.decimal_header(out, header.name(), counter.0);
                }
            } else {
                self.header(out, header.name(), header.value());
            }
        }
        out.put(CRLF);
        self.members(group, boundary, ops, out);
    }

    fn members<T: Operation, S: Sink>(
        &self,
        group: &AtomicGroup<T>,
        boundary: &str,
        ops: &mut Ops<'p, 'a>,
        out: &mut S,
    ) {
        let boundary = boundary.as_bytes();
        if group.operations.is_empty() {
            // No body part: the close delimiter alone, right after the header section.
            close_line(out, boundary);
            return;
        }
        for (j, op) in group.operations.iter().enumerate() {
            if j > 0 {
                out.put(CRLF);
            }
            dash_line(out, boundary);
            self.part(op, ops.next(), out);
        }
        out.put(b"\r\n--");
        out.put(boundary);
        out.put(b"--");
    }

    fn multipart_type<S: Sink>(&self, out: &mut S, name: &[u8], boundary: &str) {
        self.name(out, name);
        out.put(b": multipart/mixed; boundary=");
        if boundary_needs_quotes(boundary) {
            // `bchars` hold no `"` or `\`, so quoting needs no escapes.
            out.put(b"\"");
            out.put(boundary.as_bytes());
            out.put(b"\"");
        } else {
            out.put(boundary.as_bytes());
        }
        out.put(CRLF);
    }

    /// An `application/http` part: MIME headers, an empty line, the embedded message.
    fn part<T: Operation, S: Sink>(&self, op: &T, planned: Option<&Planned<'_>>, out: &mut S) {
        let id = planned.and_then(|p| p.id.as_ref());
        let target = planned.and_then(|p| p.target.as_deref());
        let headers = op.part_headers();
        let (mut has_type, mut has_encoding, mut has_id) = (false, false, false);
        for header in headers {
            match Known::of(header.name()) {
                Known::ContentType => has_type = true,
                Known::ContentTransferEncoding => has_encoding = true,
                Known::ContentId => has_id = true,
                Known::ContentLength | Known::Other => {}
            }
        }
        if !has_type {
            self.header(out, b"Content-Type", b"application/http");
        }
        if !has_encoding {
            self.header(out, b"Content-Transfer-Encoding", b"binary");
        }
        // An id that was read from the embedded message goes back there, not twice.
        let id_in_message = !has_id
            && matches!(id, Some(Id::Given(v)) if op.headers().get("content-id") == Some(v.as_bytes()));
        let (mut content_type, mut encoding, mut content_id, mut content_length) =
            (false, false, false, false);
        for header in headers {
            match Known::of(header.name()) {
                Known::ContentType => {
                    if first(&mut content_type) {
                        let value = if is_application_http(header.value()) {
                            header.value()
                        } else {
                            b"application/http"
                        };
                        self.header(out, header.name(), value);
                    }
                }
                Known::ContentTransferEncoding => {
                    if first(&mut encoding) {
                        self.header(out, header.name(), b"binary");
                    }
                }
                Known::ContentId => {
                    if first(&mut content_id)
                        && let Some(id) = id
                    {
                        self.id_header(out, T::KIND, header.name(), id);
                    }
                }
                Known::ContentLength => {
                    if first(&mut content_length) {
                        let mut counter = Counter(0);
                        self.message(op, target, &mut counter);
                        self.decimal_header(out, header.name(), counter.0);
                    }
                }
                Known::Other => self.header(out, header.name(), header.value()),
            }
        }
        if !content_id
            && !id_in_message
            && let Some(id) = id
        {
            self.id_header(out, T::KIND, b"Content-ID", id);
        }
        out.put(CRLF);
        self.message(op, target, out);
    }

    /// The embedded message: start line, headers, an empty line, the body as it is.
    fn message<T: Operation, S: Sink>(&self, op: &T, target: Option<&str>, out: &mut S) {
        op.start_line(out, target);
        let body = op.body();
        let rules = self.plan.dialect.rules();
        let version = rules
            .version
            .filter(|v| v.on_parts)
            .map(|v| (v.name, v.value));
        let not_carried = match T::KIND {
            MessageKind::Request => rules.request_headers_not_carried,
            MessageKind::Response => &[],
        };
        let (mut content_length, mut has_version) = (false, false);
        for header in op.headers() {
            if Known::of(header.name()) == Known::ContentLength {
                if first(&mut content_length) {
                    self.decimal_header(out, header.name(), body.len());
                }
                continue;
            }
            if not_carried.iter().any(|&(name, _)| header.is(name)) {
                continue;
            }
            has_version |= version.is_some_and(|(name, _)| header.is(name));
            self.header(out, header.name(), header.value());
        }
        if let Some((name, value)) = version
            && !has_version
        {
            self.header(out, name.as_bytes(), value.as_bytes());
        }
        if !content_length && !body.is_empty() {
            self.decimal_header(out, b"Content-Length", body.len());
        }
        out.put(CRLF);
        out.put(body);
    }

    fn header<S: Sink>(&self, out: &mut S, name: &[u8], value: &[u8]) {
        self.name(out, name);
        if value.is_empty() {
            out.put(b":");
        } else {
            out.put(b": ");
            out.put(value);
        }
        out.put(CRLF);
    }

    fn decimal_header<S: Sink>(&self, out: &mut S, name: &[u8], n: usize) {
        self.name(out, name);
        out.put(b": ");
        put_decimal(out, n);
        out.put(CRLF);
    }

    fn id_header<S: Sink>(&self, out: &mut S, kind: MessageKind, name: &[u8], id: &Id<'_>) {
        self.name(out, name);
        if matches!(id, Id::Given("")) {
            out.put(b":");
        } else {
            out.put(b": ");
            self.id(out, kind, id);
        }
        out.put(CRLF);
    }

    fn id<S: Sink>(&self, out: &mut S, kind: MessageKind, id: &Id<'_>) {
        match *id {
            Id::Given(id) => out.put(id.as_bytes()),
            Id::Number(n) => put_decimal(out, n),
            // Generated from the boundary, or rewritten: one home for the text, the plan's.
            Id::Google(_) | Id::GoogleAnswer(_) => {
                out.put(id.text(kind, &self.plan.boundary).as_bytes());
            }
        }
    }

    /// A name as the model spells it, or as the dialect does.
    fn name<S: Sink>(&self, out: &mut S, name: &[u8]) {
        let Spelling::Canonical {
            names,
            lowercase_prefix: prefix,
        } = self.plan.dialect.rules().spelling
        else {
            out.put(name);
            return;
        };
        if name.len() >= prefix.len()
            && name[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        {
            put_lowercase(out, name);
        } else if let Some(canonical) = names
            .iter()
            .find(|c| c.as_bytes().eq_ignore_ascii_case(name))
        {
            out.put(canonical.as_bytes());
        } else {
            out.put(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        put_decimal(
            &mut IoSink {
                writer: &mut out,
                error: None,
            },
            n,
        );
        out
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(0), b"0");
        assert_eq!(decimal(7), b"7");
        assert_eq!(decimal(1052), b"1052");
        assert_eq!(decimal(usize::MAX), usize::MAX.to_string().as_bytes());
    }

    #[test]
    fn lowercase_in_chunks() {
        let mut out = Vec::new();
        let name = format!("X-MS-{}", "A".repeat(40));
        put_lowercase(
            &mut IoSink {
                writer: &mut out,
                error: None,
            },
            name.as_bytes(),
        );
        assert_eq!(out, name.to_ascii_lowercase().as_bytes());
    }
}
