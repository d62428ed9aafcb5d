//! The embedded HTTP message of an `application/http` part (RFC 9112): the request or
//! status line, its header section, and the body, cut by a Content-Length.

use batchwire_core::{Found, MessageKind, ParseError, ParseErrorKind as K, ToleranceKind as T};
use nom::Parser as _;

use super::headers::{Fields, SectionEnd};
use super::{Line, Step};
use crate::grammar;
use std::ops::Range;

use crate::raw::{HeaderSpan, Known, PartSpan, StartSpan};

impl Step<'_, '_> {
    /// The embedded HTTP message in `[s, e)`: start line, header section, body.
    pub(super) fn embedded(
        &mut self,
        s: usize,
        e: usize,
        part_offset: usize,
        part_headers: Range<usize>,
    ) -> Result<PartSpan, ParseError> {
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
            let section = self.header_section(line.next, e, Fields::Http)?;
            if section.end == SectionEnd::CutOff {
                self.header_cut_off(e)?;
            }
            (section.headers, section.content)
        } else {
            self.header_cut_off(e)?;
            let none = self.out.fields.len();
            (none..none, e)
        };
        let body_len = e - body_start;
        if body_len > self.limits().max_body_bytes {
            return Err(ParseError::new(
                K::LimitExceeded,
                src,
                body_start,
                format!(
                    "body of {body_len} bytes exceeds the limit of {} bytes",
                    self.limits().max_body_bytes
                ),
            ));
        }
        let mut body_end = e;
        if let Some(cl) = self
            .fields(&headers)
            .iter()
            .position(|h| h.known == Known::ContentLength)
        {
            let cl = self.out.fields[headers.start + cl].clone();
            body_end = self.apply_content_length(&cl, body_start, e)?;
        }
        Ok(PartSpan {
            offset: self.abs(part_offset),
            part_headers,
            start,
            headers,
            body: self.span(body_start..body_end),
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
    /// Returns where the body ends.
    fn apply_content_length(
        &mut self,
        cl: &HeaderSpan,
        body_start: usize,
        e: usize,
    ) -> Result<usize, ParseError> {
        let digits = self.value(cl).trim_ascii();
        let parsed =
            if !digits.is_empty() && digits.len() <= 20 && digits.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<u64>().ok())
            } else {
                None
            };
        let Some(declared) = parsed else {
            let value = self.value(cl).to_vec();
            self.tolerate(body_start, T::ContentLengthInvalid, |src| {
                ParseError::new(
                    K::InvalidContentLength,
                    src,
                    body_start,
                    format!(
                        "expected a decimal Content-Length, found {:?}",
                        String::from_utf8_lossy(&value)
                    ),
                )
            })?;
            return Ok(e);
        };
        let body_len = e - body_start;
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        if declared > body_len {
            self.report(e, T::ContentLengthTooLarge);
            return Ok(e);
        }
        let cut = body_start + declared;
        if !self.src[cut..e].iter().all(|&b| b == b'\r' || b == b'\n') {
            self.report(cut, T::ContentLengthTrailingBytes);
        }
        Ok(cut)
    }

    /// `request-line` or `status-line` (RFC 9112 3 and 4).
    fn start_line(&mut self, line: &Line) -> Result<StartSpan, ParseError> {
        let src = self.src;
        let text = &src[line.start..line.text_end];
        let is_response = text.starts_with(b"HTTP/");
        let kind = if is_response {
            MessageKind::Response
        } else {
            MessageKind::Request
        };
        match self.m.kind {
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
            _ => self.m.kind = Some(kind),
        }
        if is_response {
            self.status_line(text, line.start)
        } else {
            self.request_line(text, line.start)
        }
    }

    fn status_line(&mut self, text: &[u8], at: usize) -> Result<StartSpan, ParseError> {
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
                let reason = reason.map(|r| {
                    let start = at + text.len() - r.len();
                    self.span(start..start + r.len())
                });
                Ok(StartSpan::Response {
                    version: self.span(at..at + version.len()),
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

    fn request_line(&mut self, text: &[u8], at: usize) -> Result<StartSpan, ParseError> {
        let src = self.src;
        if let Some(span) = self.plain_request_line(text, at)? {
            return Ok(span);
        }
        // Whitespace after the last word, as in Azure's blob batch samples
        // (`DELETE /container/blob HTTP/1.1 `): trimmed leniently.
        let trailing = text
            .iter()
            .rev()
            .take_while(|&&b| grammar::is_ws(b))
            .count();
        let end = text.len() - trailing;
        let text = if trailing > 0 && end > 0 {
            self.tolerate(at + end, T::RequestLineTrailingSpace, |src| {
                ParseError::expected(
                    K::InvalidRequestLine,
                    src,
                    at + end,
                    "the end of the request line, without whitespace",
                )
            })?;
            let trimmed = &text[..end];
            if let Some(span) = self.plain_request_line(trimmed, at)? {
                return Ok(span);
            }
            trimmed
        } else {
            text
        };
        // Locate the fault, and read a target with spaces leniently, as odata.net does:
        // the method ends at the first space, the version starts after the last one.
        let method_len = grammar::method(text).map_or(0, |(_, m)| m.len());
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
        if last_space == method_len
            && let Some(span) = self.request_line_without_version(text, at, method_len)?
        {
            return Ok(span);
        }
        let version = &text[last_space + 1..];
        if last_space == method_len || !matches!(grammar::http_version(version), Ok(([], _))) {
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
        let raw_target = &text[method_len + 1..last_space];
        if let Some(i) = raw_target.iter().position(|&b| b < 0x20 || b == 0x7f) {
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                at + method_len + 1 + i,
                "a request target without control characters",
            ));
        }
        let target = raw_target.trim_ascii();
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
        let lead = raw_target.len() - raw_target.trim_ascii_start().len();
        let target_start = target_at + lead;
        self.check_target(target, target_start)?;
        Ok(StartSpan::Request {
            method: self.span(at..at + method_len),
            target: self.span(target_start..target_start + target.len()),
            version: self.span(at + last_space + 1..at + text.len()),
        })
    }

    /// `request-line = method SP request-target SP HTTP-version` (RFC 9112 3), or `None`.
    fn plain_request_line(
        &mut self,
        text: &[u8],
        at: usize,
    ) -> Result<Option<StartSpan>, ParseError> {
        let parsed = (
            grammar::method,
            grammar::sp,
            grammar::request_target,
            grammar::sp,
            grammar::http_version,
        )
            .parse(text);
        let Ok(([], (method, _, target, _, version))) = parsed else {
            return Ok(None);
        };
        let target_at = at + method.len() + 1;
        self.check_target(target, target_at)?;
        Ok(Some(StartSpan::Request {
            method: self.span(at..at + method.len()),
            target: self.span(target_at..target_at + target.len()),
            version: self.span(at + text.len() - version.len()..at + text.len()),
        }))
    }

    /// `method SP request-target` and nothing after it, as Google's batch documentation
    /// writes its samples (`GET /farm/v1/animals/pony`): read leniently with an empty
    /// version. `None` when the rest of the line is no request target (the caller says what
    /// is wrong); a target with spaces needs the version to find its end, so it is not one.
    fn request_line_without_version(
        &mut self,
        text: &[u8],
        at: usize,
        method_len: usize,
    ) -> Result<Option<StartSpan>, ParseError> {
        let target = &text[method_len + 1..];
        let whole_target = matches!(grammar::request_target(target), Ok(([], _)));
        if !whole_target || matches!(grammar::http_version(target), Ok(([], _))) {
            return Ok(None);
        }
        let end = at + text.len();
        self.tolerate(end, T::MissingHttpVersion, |src| {
            ParseError::expected(
                K::InvalidRequestLine,
                src,
                end,
                "a request target, a space and an HTTP version such as HTTP/1.1",
            )
        })?;
        let target_at = at + method_len + 1;
        self.check_target(target, target_at)?;
        Ok(Some(StartSpan::Request {
            method: self.span(at..at + method_len),
            target: self.span(target_at..end),
            version: self.span(end..end),
        }))
    }

    /// A request target is ASCII (RFC 9112 3.2); leniently, UTF-8 (an IRI sent as it is).
    fn check_target(&mut self, target: &[u8], at: usize) -> Result<(), ParseError> {
        if target.is_ascii() {
            return Ok(());
        }
        if let Err(e) = std::str::from_utf8(target) {
            let bad = at + e.valid_up_to();
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                self.src,
                bad,
                "a request target of ASCII characters (or, leniently, UTF-8)",
            ));
        }
        let first = at
            + target
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or_default();
        self.tolerate(first, T::NonAsciiTarget, |src| {
            ParseError::expected(
                K::InvalidRequestLine,
                src,
                first,
                "a request target of ASCII characters",
            )
        })
    }
}
