//! A body part's header section (RFC 2045, RFC 5322 2.2.3) and what its Content-Type
//! makes of the part: an `application/http` operation, a changeset, or a fault.
//!
//! The same reader takes the header section of the embedded HTTP message, where folding is
//! obsolete (RFC 9112 5.2); [`Fields`] says which rules apply.

use batchwire_core::{ParseError, ParseErrorKind as K, ToleranceKind as T};

use super::Step;
use crate::content_type::{is_application_http, is_multipart};
use crate::grammar;
use std::ops::Range;

use crate::raw::{HeaderSpan, Known, RawEvent, ValueSpan};

/// Where a part's header section ends, found without reading it.
pub(super) enum Peek {
    /// The window ends first.
    NeedMore,
    /// A delimiter line or the end of the input comes first, or the section outgrows its
    /// limit: the part is read whole, and its reading says what is wrong.
    Ended,
    /// The section is complete; the content (or a line that is not a header) follows
    /// before this offset.
    Complete(usize, bool),
    /// The first line of the first Content-Type already says that the part is no changeset
    /// (a folded value is that line and more): the part is read whole.
    NotChangeset,
}

/// How a header section ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum SectionEnd {
    /// An empty line; the content starts after it.
    EmptyLine,
    /// The end of the part, after a complete line.
    EndOfPart,
    /// The end of the part, in the middle of a line.
    CutOff,
    /// A line that is not a header field (lenient); the content starts at it.
    NotAHeader,
}

/// A header section, read.
pub(super) struct Section {
    /// Where its fields are in the output's field list.
    pub(super) headers: Range<usize>,
    /// Where the content after the section starts.
    pub(super) content: usize,
    pub(super) end: SectionEnd,
}

/// Whose header section is read: the rules for folded lines differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Fields {
    /// The MIME headers of a body part, where folding is part of the syntax (RFC 2045 and
    /// RFC 5322 2.2.3).
    Mime,
    /// The header section of an embedded HTTP message, where folding is obsolete (RFC 9112
    /// 5.2).
    Http,
}

impl Step<'_, '_> {
    /// Finds where the header section starting at `start` ends, without reading it.
    pub(super) fn peek_section(&self, start: usize) -> Peek {
        let src = self.src;
        let mut pos = start;
        let mut seen_header = false;
        // The first Content-Type decides, as it does when the part is read (a folded value
        // is joined to its first line).
        let mut content_type: Option<Vec<u8>> = None;
        let mut in_content_type = false;
        let changeset =
            |ct: &Option<Vec<u8>>| ct.as_deref().is_some_and(|v| is_multipart(v.trim_ascii()));
        loop {
            if pos - start > self.limits().max_header_bytes {
                return Peek::Ended;
            }
            let (text, next, terminated) = match memchr::memchr(b'\n', &src[pos..]) {
                Some(i) => (&src[pos..pos + i], pos + i + 1, true),
                None if self.eof => (&src[pos..], src.len(), false),
                // A line longer than a header section may be: read the part whole, so that
                // its reading says so, without waiting for the line to end.
                None if src.len() - start > self.limits().max_header_bytes => return Peek::Ended,
                None => return Peek::NeedMore,
            };
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let delimiter = self.m.levels.iter().any(|level| {
                text.len() >= level.dash_len()
                    && text.starts_with(b"--")
                    && text[2..].starts_with(level.boundary.as_bytes())
            });
            if delimiter || (!terminated && text.is_empty()) {
                return Peek::Ended;
            }
            if text.is_empty() {
                return Peek::Complete(next, changeset(&content_type));
            }
            if grammar::is_ws(text[0]) && seen_header {
                // A folded line continues the previous field.
                if in_content_type && let Some(v) = content_type.as_mut() {
                    v.push(b' ');
                    v.extend_from_slice(text.trim_ascii());
                }
            } else if let Ok((value, (name, _))) = grammar::field_name_colon(text) {
                seen_header = true;
                in_content_type =
                    content_type.is_none() && name.eq_ignore_ascii_case(b"content-type");
                if in_content_type {
                    let value = value.trim_ascii();
                    if !value.is_empty() && !is_multipart(value) {
                        return Peek::NotChangeset;
                    }
                    content_type = Some(value.to_vec());
                }
            } else {
                return Peek::Complete(next, changeset(&content_type));
            }
            if !terminated {
                return Peek::Ended;
            }
            pos = next;
        }
    }

    /// A header section (`*( field-line CRLF ) CRLF`) starting at `pos`, within `end`.
    pub(super) fn header_section(
        &mut self,
        pos: usize,
        end: usize,
        fields: Fields,
    ) -> Result<Section, ParseError> {
        let src = self.src;
        let first = self.out.fields.len();
        let mut pos = pos;
        let section_start = pos;
        loop {
            let headers = first..self.out.fields.len();
            if pos >= end {
                return Ok(Section {
                    headers: first..self.out.fields.len(),
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
                    headers: first..self.out.fields.len(),
                    content: line.next,
                    end: SectionEnd::EmptyLine,
                });
            }
            if grammar::is_ws(text[0]) && !headers.is_empty() {
                if fields == Fields::Http {
                    // obs-fold (RFC 9112 5.2): lenient readers replace it with one space.
                    self.tolerate(line.start, T::FoldedHeader, |src| {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            line.start,
                            "a header field, not a continuation line (obs-fold, RFC 9112 5.2)",
                        )
                    })?;
                }
                // MIME part headers fold by right (RFC 5322 2.2.3). Either way the value is
                // its lines, trimmed, joined by one space; only a folded value is copied.
                let joined = {
                    let last = &self.out.fields[headers.end - 1];
                    let mut joined = self.value(last).to_vec();
                    let more = text.trim_ascii();
                    if !joined.is_empty() && !more.is_empty() {
                        joined.push(b' ');
                    }
                    joined.extend_from_slice(more);
                    joined
                };
                if let Some(last) = self.out.fields.last_mut() {
                    last.value = ValueSpan::Joined(joined);
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
                let value = value.trim_ascii();
                // `value` is a slice of `text`, which starts at `line.start`.
                let value_start = line.start + (value.as_ptr() as usize - text.as_ptr() as usize);
                // RFC 9110 5.5: a field value holds no control character but HTAB.
                if let Some(i) = grammar::control_character(value) {
                    let at = value_start + i;
                    self.tolerate(at, T::ControlCharacters, |src| {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            at,
                            "a header value without control characters",
                        )
                    })?;
                }
                let field = HeaderSpan {
                    known: Known::of(name),
                    name: self.span(line.start..line.start + name.len()),
                    value: ValueSpan::Span(self.span(value_start..value_start + value.len())),
                };
                self.out.push_field(field);
            } else {
                // olingo's non-strict reader ends a section at the first line that is not a
                // header field.
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
                    headers: first..self.out.fields.len(),
                    content: line.start,
                    end: SectionEnd::NotAHeader,
                });
            }
            if !line.terminated {
                return Ok(Section {
                    headers: first..self.out.fields.len(),
                    content: end,
                    end: SectionEnd::CutOff,
                });
            }
            pos = line.next;
        }
    }

    /// One complete body part that is not a changeset (or a changeset whose headers never
    /// ended), `[s, e)`.
    pub(super) fn body_part(&mut self, s: usize, e: usize) -> Result<(), ParseError> {
        let src = self.src;
        let section = self.header_section(s, e, Fields::Mime)?;
        let fields = self.fields(&section.headers);
        let ct = fields.iter().find(|h| h.known == Known::ContentType);
        if ct.is_some_and(|h| is_application_http(self.value(h))) {
            return self.operation(s, e, section);
        }
        let ct = ct.map(|h| (self.local(h.name.start), self.value(h).to_vec()));
        match ct {
            Some((_, ref value)) if is_multipart(value) => {
                self.changeset_checks(&section)?;
                require_content(src, &section, e)?;
                // Invariant: a changeset whose headers end before its part does is opened
                // by `part_headers`, so this part's headers did not end.
                Err(ParseError::expected(
                    K::UnexpectedEnd,
                    src,
                    e,
                    "an empty line after the changeset's part headers",
                ))
            }
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
                self.operation(s, e, section)
            }
        }
    }

    /// An `application/http` part: check the part headers, then read the embedded message.
    fn operation(&mut self, s: usize, e: usize, section: Section) -> Result<(), ParseError> {
        let src = self.src;
        require_content(src, &section, e)?;
        if let Some(cte) = self
            .fields(&section.headers)
            .iter()
            .find(|h| h.known == Known::ContentTransferEncoding)
        {
            if self.value(cte).trim_ascii().eq_ignore_ascii_case(b"binary") {
                // The common case, with nothing to report.
            } else {
                let value = self.value(cte).trim_ascii().to_vec();
                let at = self.local(cte.name.start);
                if value.eq_ignore_ascii_case(b"7bit") || value.eq_ignore_ascii_case(b"8bit") {
                    self.tolerate(at, T::TransferEncodingNotBinary, |src| {
                        ParseError::new(
                            K::UnsupportedTransferEncoding,
                            src,
                            at,
                            format!(
                                "expected Content-Transfer-Encoding binary, found {:?}",
                                String::from_utf8_lossy(&value)
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
                            String::from_utf8_lossy(&value)
                        ),
                    ));
                }
            }
        }
        let content = section.content;
        let part = self.embedded(content, e, s, section.headers)?;
        self.operation_rules(s, content, &part)?;
        self.out.push_event(RawEvent::Operation(part));
        Ok(())
    }

    pub(super) fn value<'h>(&'h self, h: &'h HeaderSpan) -> &'h [u8] {
        match &h.value {
            ValueSpan::Span(r) => &self.src[self.local(r.start)..self.local(r.end)],
            ValueSpan::Joined(v) => v,
        }
    }
}

/// A part's headers must end with an empty line (or, leniently, at a line that is not a
/// header field) before the part does.
pub(super) fn require_content(src: &[u8], section: &Section, e: usize) -> Result<(), ParseError> {
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
