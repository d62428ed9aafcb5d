//! The whole-buffer decoder: RFC 2046 framing, part headers and embedded HTTP messages.
//!
//! The framing is found with a `memchr::memmem` scan for `--boundary`; only a hit at the
//! start of a line is a candidate, and only a candidate followed by `--`, or by transport
//! padding and a line break, is a delimiter. Everything between two delimiters is a body
//! part, which is split into MIME headers and content; a nested `multipart/mixed` content is
//! split again with its own boundary. All offsets are absolute in the input, so errors need
//! no rebasing.

use std::borrow::Cow;

use batchwire_core::{
    Found, Limits, MessageKind, ParseError, ParseErrorKind as K, Tolerance, ToleranceKind as T,
};
use memchr::memmem;
use nom::Parser as _;

use crate::Dialect;
use crate::content_type::{self, is_application_http, is_multipart};
use crate::grammar;
use crate::view::{BatchRef, GroupRef, HeaderRef, ItemRef, PartRef, StartLineRef, find};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to read a batch: strict or lenient, which dialect, which limits, and whether the
/// caller already knows it holds requests or responses.
///
/// # Background
///
/// Peers disagree on a dozen tolerances (bare LF, a missing close delimiter, a missing part
/// Content-Type...). batchwire has one rule for each, in DESIGN.md's "Reading rules" table:
/// lenient mode (the default) reads what real servers send and reports every tolerance it
/// applied, with its byte offset; strict mode follows RFC 2046, RFC 9110/9112 and the OData
/// batch rules and turns each of them into an error.
///
/// # Examples
///
/// ```
/// use batchwire_multipart::{DecodeOptions, Dialect};
///
/// let options = DecodeOptions::strict().with_dialect(Dialect::OdataV4);
/// assert!(options.strict);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Follow the RFCs to the letter instead of reporting tolerances.
    pub strict: bool,
    /// The rules of one flavour of batch on top of the common ones.
    pub dialect: Dialect,
    /// Bounds against hostile input.
    pub limits: Limits,
    /// Requests or responses; `None` detects it from the first embedded start line.
    pub kind: Option<MessageKind>,
}

impl DecodeOptions {
    /// Lenient reading with the generic dialect and default limits (the default).
    pub fn lenient() -> DecodeOptions {
        DecodeOptions::default()
    }

    /// Strict reading with the generic dialect and default limits.
    pub fn strict() -> DecodeOptions {
        DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        }
    }

    /// These options with another dialect.
    #[must_use]
    pub fn with_dialect(mut self, dialect: Dialect) -> DecodeOptions {
        self.dialect = dialect;
        self
    }

    /// These options with other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> DecodeOptions {
        self.limits = limits;
        self
    }

    /// These options with the message kind forced.
    #[must_use]
    pub fn with_kind(mut self, kind: MessageKind) -> DecodeOptions {
        self.kind = Some(kind);
        self
    }
}

/// Reads a multipart batch from borrowed bytes.
///
/// `content_type` is the value of the batch's `Content-Type` header; without one, the
/// boundary is taken from the first line that starts with `--`.
///
/// # Errors
///
/// A [`ParseError`] with the offset of the first fault, or of the first tolerance in strict
/// mode.
///
/// # Complexity
///
/// Linear in the input: each byte is scanned once for the batch boundary and once more for
/// a changeset boundary when it lies inside a changeset.
///
/// # Examples
///
/// ```
/// use batchwire_multipart::{parse, DecodeOptions, StartLineRef};
///
/// let body = b"--b\r\nContent-Type: application/http\r\n\r\nGET Customers(1) HTTP/1.1\r\n\r\n\r\n--b--\r\n";
/// let batch = parse(body, Some(b"multipart/mixed; boundary=b"), &DecodeOptions::strict())?;
/// let part = batch.parts().next().unwrap();
/// assert!(matches!(part.start, StartLineRef::Request { target: b"Customers(1)", .. }));
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
pub fn parse<'a>(
    input: &'a [u8],
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<BatchRef<'a>, ParseError> {
    let mut reader = Reader {
        src: input,
        options,
        tolerated: Vec::new(),
        kind: options.kind,
        parts: 0,
        bare_lf_reported: false,
    };
    let boundary = match content_type {
        Some(value) => reader.outer_boundary(value)?,
        None => reader.boundary_from_first_line()?,
    };
    let items = reader.batch(&boundary)?;
    Ok(BatchRef {
        kind: reader.kind.unwrap_or(MessageKind::Request),
        boundary,
        items,
        tolerated: reader.tolerated,
    })
}

struct Reader<'a, 'o> {
    src: &'a [u8],
    options: &'o DecodeOptions,
    tolerated: Vec<Tolerance>,
    kind: Option<MessageKind>,
    parts: usize,
    bare_lf_reported: bool,
}

/// A part's headers must end with an empty line (or, leniently, at a line that is not a
/// header field) before the part does.
fn require_content(src: &[u8], section: &Section<'_>, e: usize) -> Result<(), ParseError> {
    match section.end {
        SectionEnd::EmptyLine | SectionEnd::NotAHeader => Ok(()),
        SectionEnd::EndOfPart | SectionEnd::CutOff => Err(ParseError::expected(
            K::UnexpectedEnd,
            src,
            e,
            "an empty line and an embedded message after the part headers",
        )),
    }
}

/// What follows `--boundary` on a candidate line.
enum Tail {
    /// A delimiter; the next part starts at this offset.
    Next(usize),
    /// A close delimiter; the epilogue starts at this offset.
    Close,
    /// Other text: not a delimiter.
    Other,
}

/// How a header section ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SectionEnd {
    /// An empty line; the content starts after it.
    EmptyLine,
    /// The end of the part, after a complete line.
    EndOfPart,
    /// The end of the part, in the middle of a line.
    CutOff,
    /// A line that is not a header field (lenient); the content starts at it.
    NotAHeader,
}

struct Section<'a> {
    headers: Vec<HeaderRef<'a>>,
    /// Offset of each header line, for locating faults in values.
    offsets: Vec<usize>,
    /// Where the content after the section starts.
    content: usize,
    end: SectionEnd,
}

/// One line: `[start, text_end)` is its text, `next` the start of the following line.
struct Line {
    start: usize,
    text_end: usize,
    next: usize,
    terminated: bool,
}

impl<'a> Reader<'a, '_> {
    fn strict(&self) -> bool {
        self.options.strict
    }

    fn limits(&self) -> &Limits {
        &self.options.limits
    }

    /// Applies a tolerance: an error in strict mode, a report in lenient mode.
    fn tolerate(
        &mut self,
        offset: usize,
        kind: T,
        error: impl FnOnce(&[u8]) -> ParseError,
    ) -> Result<(), ParseError> {
        if self.strict() {
            return Err(error(self.src));
        }
        self.tolerated.push(Tolerance { offset, kind });
        Ok(())
    }

    /// Checks the line break whose LF is at `lf`; returns where the break starts.
    fn line_break_at(&mut self, lf: usize, floor: usize) -> Result<usize, ParseError> {
        if lf > floor && self.src[lf - 1] == b'\r' {
            return Ok(lf - 1);
        }
        if self.strict() {
            return Err(ParseError::new(
                K::BareLineFeed,
                self.src,
                lf,
                "expected CRLF, found a bare LF",
            ));
        }
        if !self.bare_lf_reported {
            self.bare_lf_reported = true;
            self.tolerated.push(Tolerance {
                offset: lf,
                kind: T::BareLineFeed,
            });
        }
        Ok(lf)
    }

    /// The line starting at `pos`, not going past `end`.
    fn line(&mut self, pos: usize, end: usize) -> Result<Line, ParseError> {
        match memchr::memchr(b'\n', &self.src[pos..end]) {
            Some(rel) => {
                let lf = pos + rel;
                let text_end = self.line_break_at(lf, pos)?;
                Ok(Line {
                    start: pos,
                    text_end,
                    next: lf + 1,
                    terminated: true,
                })
            }
            None => Ok(Line {
                start: pos,
                text_end: end,
                next: end,
                terminated: false,
            }),
        }
    }

    fn outer_boundary(&mut self, value: &[u8]) -> Result<String, ParseError> {
        let param =
            content_type::boundary_param(value, self.strict(), self.limits()).map_err(|fault| {
                ParseError::new(
                    fault.kind,
                    self.src,
                    0,
                    format!(
                        "{} (in the Content-Type {:?}, at character {})",
                        fault.message,
                        String::from_utf8_lossy(value),
                        fault.at
                    ),
                )
            })?;
        for (_, kind) in param.tolerated {
            self.tolerated.push(Tolerance { offset: 0, kind });
        }
        Ok(param.boundary)
    }

    /// Without a Content-Type, the boundary is the rest of the first line that starts with
    /// `--`, after an optional byte-order mark and preamble lines.
    fn boundary_from_first_line(&mut self) -> Result<String, ParseError> {
        let src = self.src;
        let mut pos = if src.starts_with(BOM) { BOM.len() } else { 0 };
        while pos < src.len() {
            let line_end = memchr::memchr(b'\n', &src[pos..]).map_or(src.len(), |i| pos + i);
            let line = src[pos..line_end].trim_ascii_end();
            if let Some(rest) = line.strip_prefix(b"--") {
                let rest = rest.strip_suffix(b"--").unwrap_or(rest);
                if rest.is_empty() || rest.len() > self.limits().max_boundary_len {
                    break;
                }
                if let Ok(boundary) = std::str::from_utf8(rest) {
                    return Ok(boundary.to_owned());
                }
                break;
            }
            pos = line_end + 1;
        }
        Err(ParseError::expected(
            K::MissingBoundary,
            src,
            if src.starts_with(BOM) { BOM.len() } else { 0 },
            "a delimiter line \"--boundary\" (no Content-Type was given)",
        ))
    }

    /// The whole batch: its parts, each an operation or a changeset.
    fn batch(&mut self, boundary: &str) -> Result<Vec<ItemRef<'a>>, ParseError> {
        let mut start = 0;
        if self.src.starts_with(BOM) {
            self.tolerate(0, T::ByteOrderMark, |src| {
                ParseError::expected(K::ByteOrderMark, src, 0, format!("\"--{boundary}\""))
            })?;
            start = BOM.len();
        }
        let ranges = self.split(start, self.src.len(), boundary)?;
        let mut items = Vec::with_capacity(ranges.len());
        for (s, e) in ranges {
            items.push(self.body_part(s, e, &[boundary])?);
        }
        Ok(items)
    }

    /// What follows `--boundary` at `pos` on a candidate line.
    fn tail(&mut self, pos: usize, end: usize, boundary: &str) -> Result<Tail, ParseError> {
        let src = self.src;
        let close = src[pos..end].starts_with(b"--");
        let after_dashes = if close { pos + 2 } else { pos };
        let (rest, _) = grammar::transport_padding(&src[after_dashes..end])
            .unwrap_or((&src[after_dashes..end], &[]));
        let padded = end - rest.len();
        match rest.first() {
            None if close => Ok(Tail::Close),
            Some(b'\n') if close => {
                self.line_break_at(padded, pos)?;
                Ok(Tail::Close)
            }
            Some(b'\r') if close && rest.get(1) == Some(&b'\n') => Ok(Tail::Close),
            Some(_) if close => {
                // `--boundary--` followed by text on the same line: RFC 2046 wants a line
                // break before the epilogue.
                self.tolerate(padded, T::DelimiterLikeLine, |src| {
                    ParseError::expected(
                        K::DelimiterLikeLine,
                        src,
                        padded,
                        format!("a line break after \"--{boundary}--\""),
                    )
                })?;
                Ok(Tail::Close)
            }
            None => {
                // A delimiter at the very end, with nothing after it: the batch ends there.
                self.tolerate(end, T::MissingCloseDelimiter, |src| {
                    ParseError::expected(
                        K::MissingCloseDelimiter,
                        src,
                        end,
                        format!("a line break and a part after \"--{boundary}\""),
                    )
                })?;
                Ok(Tail::Close)
            }
            Some(b'\n') => {
                self.line_break_at(padded, pos)?;
                Ok(Tail::Next(padded + 1))
            }
            Some(b'\r') if rest.get(1) == Some(&b'\n') => Ok(Tail::Next(padded + 2)),
            Some(_) => Ok(Tail::Other),
        }
    }

    /// Splits `[start, end)` at the delimiters of `boundary` (RFC 2046 5.1.1 `multipart-body`)
    /// and returns the range of each body part, without the line break that belongs to the
    /// next delimiter.
    fn split(
        &mut self,
        start: usize,
        end: usize,
        boundary: &str,
    ) -> Result<Vec<(usize, usize)>, ParseError> {
        let src = self.src;
        let mut dash_boundary = Vec::with_capacity(boundary.len() + 2);
        dash_boundary.extend_from_slice(b"--");
        dash_boundary.extend_from_slice(boundary.as_bytes());
        let finder = memmem::Finder::new(&dash_boundary);
        let width = dash_boundary.len();

        // `preamble CRLF dash-boundary transport-padding CRLF`: the first delimiter may open
        // the content without a line break before it.
        let mut search = start;
        let first = loop {
            let Some(rel) = finder.find(&src[search..end]) else {
                self.tolerate(start, T::NoDelimiter, |src| {
                    ParseError::expected(
                        K::MissingDelimiter,
                        src,
                        start,
                        format!("\"--{boundary}\""),
                    )
                })?;
                return Ok(Vec::new());
            };
            let c = search + rel;
            search = c + 1;
            if c != start && src[c - 1] != b'\n' {
                continue;
            }
            match self.tail(c + width, end, boundary)? {
                Tail::Other => self.delimiter_like_line(c, boundary)?,
                tail => {
                    if c != start {
                        self.line_break_at(c - 1, start)?;
                    }
                    break tail;
                }
            }
        };
        let Tail::Next(mut content) = first else {
            self.tolerate(start, T::EmptyMultipart, |src| {
                ParseError::expected(
                    K::EmptyMultipart,
                    src,
                    start,
                    format!("a body part before \"--{boundary}--\" (RFC 2046 wants one)"),
                )
            })?;
            return Ok(Vec::new());
        };

        let mut parts = Vec::new();
        let mut search = content;
        loop {
            let Some(rel) = finder.find(&src[search..end]) else {
                self.tolerate(end, T::MissingCloseDelimiter, |src| {
                    ParseError::expected(
                        K::MissingCloseDelimiter,
                        src,
                        end,
                        format!("\"--{boundary}--\""),
                    )
                })?;
                // A delimiter right before the end opens no part (odata.net reads it so).
                if !src[content..end].iter().all(u8::is_ascii_whitespace) {
                    self.count_part(content)?;
                    parts.push((content, end));
                }
                return Ok(parts);
            };
            let c = search + rel;
            search = c + 1;
            if c != content && src[c - 1] != b'\n' {
                continue;
            }
            let tail = self.tail(c + width, end, boundary)?;
            if let Tail::Other = tail {
                self.delimiter_like_line(c, boundary)?;
                continue;
            }
            // RFC 2046: the line break before a delimiter belongs to the delimiter.
            let part_end = if c == content {
                c
            } else {
                self.line_break_at(c - 1, content)?
            };
            self.count_part(content)?;
            parts.push((content, part_end));
            match tail {
                Tail::Next(next) => {
                    content = next;
                    search = next;
                }
                Tail::Close | Tail::Other => return Ok(parts),
            }
        }
    }

    fn delimiter_like_line(&mut self, at: usize, boundary: &str) -> Result<(), ParseError> {
        self.tolerate(at, T::DelimiterLikeLine, |src| {
            let line_end = memchr::memchr(b'\n', &src[at..]).map_or(src.len(), |i| at + i);
            let line = String::from_utf8_lossy(&src[at..line_end]);
            ParseError::new(
                K::DelimiterLikeLine,
                src,
                at,
                format!(
                    "expected \"--{boundary}\" or \"--{boundary}--\" alone on its line, found {:?}",
                    line.trim_end()
                ),
            )
        })
    }

    fn count_part(&mut self, at: usize) -> Result<(), ParseError> {
        self.parts += 1;
        if self.parts > self.limits().max_parts {
            return Err(ParseError::new(
                K::LimitExceeded,
                self.src,
                at,
                format!(
                    "body part {} exceeds the limit of {} parts",
                    self.parts,
                    self.limits().max_parts
                ),
            ));
        }
        Ok(())
    }

    /// A header section (`*( field-line CRLF ) CRLF`) starting at `pos`, within `end`.
    fn header_section(&mut self, pos: usize, end: usize) -> Result<Section<'a>, ParseError> {
        let src = self.src;
        let mut headers: Vec<HeaderRef<'a>> = Vec::new();
        let mut offsets = Vec::new();
        let mut pos = pos;
        let section_start = pos;
        loop {
            if pos >= end {
                return Ok(Section {
                    headers,
                    offsets,
                    content: end,
                    end: SectionEnd::EndOfPart,
                });
            }
            let line = self.line(pos, end)?;
            if line.next - section_start > self.limits().max_header_bytes {
                return Err(ParseError::new(
                    K::LimitExceeded,
                    src,
                    line.start,
                    format!(
                        "header section exceeds the limit of {} bytes",
                        self.limits().max_header_bytes
                    ),
                ));
            }
            let text = &src[line.start..line.text_end];
            if text.is_empty() && line.terminated {
                return Ok(Section {
                    headers,
                    offsets,
                    content: line.next,
                    end: SectionEnd::EmptyLine,
                });
            }
            if grammar::is_ws(text[0]) && !headers.is_empty() {
                // obs-fold (RFC 9112 5.2): lenient readers replace it with one space.
                self.tolerate(line.start, T::FoldedHeader, |src| {
                    ParseError::expected(K::InvalidHeader, src, line.start, "a header field")
                })?;
                if let Some(last) = headers.last_mut() {
                    let mut joined = last.value.to_vec();
                    joined.push(b' ');
                    joined.extend_from_slice(text.trim_ascii());
                    last.value = Cow::Owned(joined);
                }
            } else if let Ok((value, (name, space))) = grammar::field_name_colon(text) {
                if !space.is_empty() {
                    let at = line.start + name.len();
                    self.tolerate(at, T::HeaderNameWhitespace, |src| {
                        ParseError::expected(K::InvalidHeader, src, at, "\":\"")
                    })?;
                }
                if headers.len() == self.limits().max_headers {
                    return Err(ParseError::new(
                        K::LimitExceeded,
                        src,
                        line.start,
                        format!(
                            "header field {} exceeds the limit of {} per section",
                            headers.len() + 1,
                            self.limits().max_headers
                        ),
                    ));
                }
                headers.push(HeaderRef {
                    name,
                    value: Cow::Borrowed(value.trim_ascii()),
                });
                offsets.push(line.start);
            } else {
                // olingo's non-strict reader ends a section at the first line that
                // is not a header field.
                let name = grammar::token(text).map_or(&[][..], |(_, name)| name);
                let at = line.start + name.len();
                self.tolerate(line.start, T::MissingEmptyLine, |src| {
                    if name.is_empty() {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            at,
                            "a header field or an empty line",
                        )
                    } else {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            at,
                            format_args!(
                                "\":\" after the header name {:?}",
                                String::from_utf8_lossy(name)
                            ),
                        )
                    }
                })?;
                return Ok(Section {
                    headers,
                    offsets,
                    content: line.start,
                    end: SectionEnd::NotAHeader,
                });
            }
            if !line.terminated {
                return Ok(Section {
                    headers,
                    offsets,
                    content: end,
                    end: SectionEnd::CutOff,
                });
            }
            pos = line.next;
        }
    }

    /// One body part of the batch or of a changeset, `[s, e)`.
    fn body_part(
        &mut self,
        s: usize,
        e: usize,
        enclosing: &[&str],
    ) -> Result<ItemRef<'a>, ParseError> {
        let src = self.src;
        let section = self.header_section(s, e)?;
        let ct = section
            .headers
            .iter()
            .position(|h| h.is("content-type"))
            .map(|i| (section.offsets[i], section.headers[i].value.clone()));
        match ct {
            Some((_, ref value)) if is_application_http(value) => self
                .operation(s, e, section, enclosing.len() > 1)
                .map(ItemRef::Operation),
            Some((at, value)) if is_multipart(&value) => self
                .changeset(s, e, section, at, &value, enclosing)
                .map(ItemRef::Group),
            Some((at, value)) => Err(ParseError::new(
                K::UnexpectedContentType,
                src,
                at,
                format!(
                    "expected a part Content-Type of application/http or multipart/mixed, found {:?}",
                    String::from_utf8_lossy(&value)
                ),
            )),
            None => {
                self.tolerate(s, T::MissingContentType, |src| {
                    ParseError::expected(
                        K::MissingContentType,
                        src,
                        s,
                        "a Content-Type header in the part headers",
                    )
                })?;
                self.operation(s, e, section, enclosing.len() > 1)
                    .map(ItemRef::Operation)
            }
        }
    }

    fn changeset(
        &mut self,
        s: usize,
        e: usize,
        section: Section<'a>,
        ct_at: usize,
        ct: &[u8],
        enclosing: &[&str],
    ) -> Result<GroupRef<'a>, ParseError> {
        let src = self.src;
        let depth = enclosing.len();
        let allowed = if self.options.dialect.allows_changesets() {
            self.limits().max_depth.min(1)
        } else {
            0
        };
        if depth > allowed {
            let why = if depth > 1 {
                "a changeset may not hold another changeset".to_owned()
            } else if self.options.dialect.allows_changesets() {
                "the nesting limit is 0".to_owned()
            } else {
                format!("the {} dialect has no changesets", self.options.dialect)
            };
            return Err(ParseError::new(
                K::NestingTooDeep,
                src,
                ct_at,
                format!(
                    "expected an application/http part, found a multipart nested {depth} deep ({why})"
                ),
            ));
        }
        let value_at = ct_at + memchr::memchr(b':', &src[ct_at..]).map_or(0, |i| i + 1);
        let value_at = value_at
            + src[value_at..]
                .iter()
                .take_while(|b| grammar::is_ws(**b))
                .count();
        let param =
            content_type::boundary_param(ct, self.strict(), self.limits()).map_err(|fault| {
                ParseError::new(fault.kind, src, value_at + fault.at, fault.message)
            })?;
        for (at, kind) in param.tolerated {
            self.tolerated.push(Tolerance {
                offset: value_at + at,
                kind,
            });
        }
        let boundary = param.boundary;
        if enclosing.contains(&boundary.as_str()) {
            return Err(ParseError::new(
                K::BoundaryReused,
                src,
                value_at,
                format!(
                    "expected a changeset boundary other than the enclosing one, found {boundary:?} again"
                ),
            ));
        }
        require_content(src, &section, e)?;
        let ranges = self.split(section.content, e, &boundary)?;
        let mut inner: Vec<&str> = enclosing.to_vec();
        inner.push(&boundary);
        let mut parts = Vec::with_capacity(ranges.len());
        for (ps, pe) in ranges {
            match self.body_part(ps, pe, &inner)? {
                ItemRef::Operation(part) => parts.push(part),
                // Invariant: `changeset` rejects a second level before splitting it.
                ItemRef::Group(group) => {
                    return Err(ParseError::new(
                        K::NestingTooDeep,
                        src,
                        group.offset,
                        "expected an application/http part, found a nested changeset",
                    ));
                }
            }
        }
        if self.options.dialect.requires_changeset_content_ids()
            && self.kind == Some(MessageKind::Request)
        {
            self.check_content_ids(&parts)?;
        }
        Ok(GroupRef {
            offset: s,
            boundary,
            part_headers: section.headers,
            parts,
        })
    }

    /// OData V4: every changeset member has a Content-ID, unique within the changeset.
    fn check_content_ids(&mut self, parts: &[PartRef<'a>]) -> Result<(), ParseError> {
        for (i, part) in parts.iter().enumerate() {
            match part.content_id() {
                None => {
                    let at = part.offset;
                    self.tolerate(at, T::MissingContentId, |src| {
                        ParseError::expected(
                            K::MissingContentId,
                            src,
                            at,
                            "a Content-ID on the changeset member (OData V4)",
                        )
                    })?;
                }
                Some(id) if parts[..i].iter().any(|p| p.content_id() == Some(id)) => {
                    let at = part.offset;
                    self.tolerate(at, T::DuplicateContentId, |src| {
                        ParseError::new(
                            K::DuplicateContentId,
                            src,
                            at,
                            format!(
                                "expected a Content-ID unique in its changeset, found {:?} again",
                                String::from_utf8_lossy(id)
                            ),
                        )
                    })?;
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// An `application/http` part: check the part headers, then read the embedded message.
    fn operation(
        &mut self,
        s: usize,
        e: usize,
        section: Section<'a>,
        in_changeset: bool,
    ) -> Result<PartRef<'a>, ParseError> {
        let src = self.src;
        if let Some(i) = section
            .headers
            .iter()
            .position(|h| h.is("content-transfer-encoding"))
        {
            let value = section.headers[i].value.trim_ascii();
            let at = section.offsets[i];
            if value.eq_ignore_ascii_case(b"7bit") || value.eq_ignore_ascii_case(b"8bit") {
                self.tolerate(at, T::TransferEncodingNotBinary, |src| {
                    ParseError::new(
                        K::UnsupportedTransferEncoding,
                        src,
                        at,
                        format!(
                            "expected Content-Transfer-Encoding binary, found {:?}",
                            String::from_utf8_lossy(value)
                        ),
                    )
                })?;
            } else if !value.eq_ignore_ascii_case(b"binary") {
                return Err(ParseError::new(
                    K::UnsupportedTransferEncoding,
                    src,
                    at,
                    format!(
                        "expected Content-Transfer-Encoding binary, found {:?} (encoded bodies are not decoded)",
                        String::from_utf8_lossy(value)
                    ),
                ));
            }
        }
        let mut part = self.embedded(section.content, e, s, section.headers)?;
        if let StartLineRef::Request { method, .. } = part.start {
            let query = method == b"GET" || method == b"HEAD";
            let start = section.content;
            if in_changeset && query {
                self.tolerate(start, T::QueryInChangeset, |src| {
                    ParseError::new(
                        K::QueryInChangeset,
                        src,
                        start,
                        format!(
                            "expected a request that changes data in a changeset, found {}",
                            String::from_utf8_lossy(method)
                        ),
                    )
                })?;
            }
            if !in_changeset && !query && self.options.dialect.requires_changes_in_changesets() {
                let dialect = self.options.dialect;
                self.tolerate(start, T::ChangeOutsideChangeset, |src| {
                    ParseError::new(
                        K::ChangeOutsideChangeset,
                        src,
                        start,
                        format!(
                            "expected a query outside changesets ({dialect}), found {}",
                            String::from_utf8_lossy(method)
                        ),
                    )
                })?;
            }
        }
        part.offset = s;
        Ok(part)
    }

    /// The embedded HTTP message in `[s, e)`: start line, header section, body.
    fn embedded(
        &mut self,
        s: usize,
        e: usize,
        part_offset: usize,
        part_headers: Vec<HeaderRef<'a>>,
    ) -> Result<PartRef<'a>, ParseError> {
        let src = self.src;
        let mut pos = s;
        let mut line = self.line(pos, e)?;
        if line.start == line.text_end && line.terminated {
            self.tolerate(pos, T::LeadingEmptyLines, |src| {
                ParseError::expected(K::InvalidRequestLine, src, pos, "a request or status line")
            })?;
            while line.start == line.text_end && line.terminated {
                pos = line.next;
                line = self.line(pos, e)?;
            }
        }
        if line.start == line.text_end {
            return Err(ParseError::expected(
                K::UnexpectedEnd,
                src,
                line.start,
                "a request or status line",
            ));
        }
        let start = self.start_line(&line)?;
        let (headers, body_start) = if line.terminated {
            let section = self.header_section(line.next, e)?;
            match section.end {
                SectionEnd::EmptyLine | SectionEnd::EndOfPart | SectionEnd::NotAHeader => {}
                SectionEnd::CutOff => self.header_cut_off(e)?,
            }
            (section.headers, section.content)
        } else {
            self.header_cut_off(e)?;
            (Vec::new(), e)
        };
        let mut body = &src[body_start..e];
        if body.len() > self.limits().max_body_bytes {
            return Err(ParseError::new(
                K::LimitExceeded,
                src,
                body_start,
                format!(
                    "body of {} bytes exceeds the limit of {} bytes",
                    body.len(),
                    self.limits().max_body_bytes
                ),
            ));
        }
        if let Some(cl) = find(&headers, "content-length") {
            body = self.apply_content_length(&cl.value, body, body_start)?;
        }
        Ok(PartRef {
            offset: part_offset,
            part_headers,
            start,
            headers,
            body,
            body_offset: body_start,
        })
    }

    fn header_cut_off(&mut self, e: usize) -> Result<(), ParseError> {
        self.tolerate(e, T::HeaderCutOff, |src| {
            ParseError::expected(
                K::HeaderCutOff,
                src,
                e,
                "a line break ending the last header line before the delimiter",
            )
        })
    }

    /// The embedded `Content-Length`: a smaller one cuts the body, a larger one is reported.
    fn apply_content_length(
        &mut self,
        value: &[u8],
        body: &'a [u8],
        body_start: usize,
    ) -> Result<&'a [u8], ParseError> {
        let digits = value.trim_ascii();
        let parsed =
            if !digits.is_empty() && digits.len() <= 20 && digits.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<u64>().ok())
            } else {
                None
            };
        let Some(declared) = parsed else {
            self.tolerate(body_start, T::ContentLengthInvalid, |src| {
                ParseError::new(
                    K::InvalidContentLength,
                    src,
                    body_start,
                    format!(
                        "expected a decimal Content-Length, found {:?}",
                        String::from_utf8_lossy(value)
                    ),
                )
            })?;
            return Ok(body);
        };
        let Ok(declared) = usize::try_from(declared) else {
            self.tolerated.push(Tolerance {
                offset: body_start,
                kind: T::ContentLengthTooLarge,
            });
            return Ok(body);
        };
        if declared > body.len() {
            self.tolerated.push(Tolerance {
                offset: body_start + body.len(),
                kind: T::ContentLengthTooLarge,
            });
            return Ok(body);
        }
        let (kept, extra) = body.split_at(declared);
        if !extra.iter().all(|&b| b == b'\r' || b == b'\n') {
            self.tolerated.push(Tolerance {
                offset: body_start + declared,
                kind: T::ContentLengthTrailingBytes,
            });
        }
        Ok(kept)
    }

    /// `request-line` or `status-line` (RFC 9112 3 and 4).
    fn start_line(&mut self, line: &Line) -> Result<StartLineRef<'a>, ParseError> {
        let src = self.src;
        let text = &src[line.start..line.text_end];
        let is_response = text.starts_with(b"HTTP/");
        let kind = if is_response {
            MessageKind::Response
        } else {
            MessageKind::Request
        };
        match self.kind {
            Some(expected) if expected != kind => {
                return Err(ParseError::expected(
                    K::UnexpectedMessageKind,
                    src,
                    line.start,
                    match expected {
                        MessageKind::Request => "a request line",
                        MessageKind::Response => "a status line",
                    },
                ));
            }
            _ => self.kind = Some(kind),
        }
        if is_response {
            self.status_line(text, line.start)
        } else {
            self.request_line(text, line.start)
        }
    }

    fn status_line(&mut self, text: &'a [u8], at: usize) -> Result<StartLineRef<'a>, ParseError> {
        let parsed = (
            grammar::http_version,
            grammar::sp,
            grammar::status_code,
            grammar::reason_phrase,
        )
            .parse(text);
        match parsed {
            Ok(([], (version, _, code, reason))) => {
                let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
                if status < 100 {
                    return Err(ParseError::expected(
                        K::InvalidStatusLine,
                        self.src,
                        at + version.len() + 1,
                        "a status code from 100 to 999",
                    ));
                }
                Ok(StartLineRef::Response {
                    version,
                    status,
                    reason,
                })
            }
            Ok((rest, _)) => Err(ParseError::expected(
                K::InvalidStatusLine,
                self.src,
                at + text.len() - rest.len(),
                "the end of the status line",
            )),
            Err(e) => {
                let stop = grammar::stopped_at(text, &e);
                let what = match stop.cmp(&b"HTTP/1.1".len()) {
                    std::cmp::Ordering::Less => "an HTTP version such as HTTP/1.1",
                    std::cmp::Ordering::Equal => "a space after the HTTP version",
                    std::cmp::Ordering::Greater => "a three-digit status code",
                };
                Err(ParseError::expected(
                    K::InvalidStatusLine,
                    self.src,
                    at + stop,
                    what,
                ))
            }
        }
    }

    fn request_line(&mut self, text: &'a [u8], at: usize) -> Result<StartLineRef<'a>, ParseError> {
        let src = self.src;
        let strict = (
            grammar::method,
            grammar::sp,
            grammar::request_target,
            grammar::sp,
            grammar::http_version,
        )
            .parse(text);
        if let Ok((rest, (method, _, target, _, version))) = strict {
            if rest.is_empty() {
                return Ok(StartLineRef::Request {
                    method,
                    target,
                    version,
                });
            }
        }
        // Locate the fault, and read a target with spaces leniently, as odata.net does:
        // the method ends at the first space, the version starts after the last one.
        let method_len = grammar::method(text).map_or(0, |(rest, m)| {
            let _ = rest;
            m.len()
        });
        if method_len == 0 || text.get(method_len) != Some(&b' ') {
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                at + method_len,
                if method_len == 0 {
                    "a method"
                } else {
                    "a space after the method"
                },
            ));
        }
        let last_space = text.iter().rposition(|&b| b == b' ').unwrap_or(method_len);
        let version = &text[last_space + 1..];
        if last_space == method_len
            || grammar::http_version(version).map_or(true, |(r, _)| !r.is_empty())
        {
            let offset = if last_space == method_len {
                at + text.len()
            } else {
                at + last_space + 1
            };
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                offset,
                "a request target, a space and an HTTP version such as HTTP/1.1",
            ));
        }
        let target = text[method_len + 1..last_space].trim_ascii();
        if target.is_empty() {
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                at + method_len + 1,
                "a request target",
            ));
        }
        let target_at = at + method_len + 1;
        self.tolerate(target_at, T::SpaceInTarget, |src| {
            let found = Found(&src[target_at..at + last_space]);
            ParseError::new(
                K::InvalidRequestLine,
                src,
                target_at,
                format!("expected a request target without spaces, found {found}"),
            )
        })?;
        Ok(StartLineRef::Request {
            method: &text[..method_len],
            target,
            version,
        })
    }
}
