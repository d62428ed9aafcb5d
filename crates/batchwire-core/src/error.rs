//! Located parse errors and the tolerances a lenient reader reports.

use std::fmt;

/// What kind of fault a [`ParseError`] reports.
///
/// The variants name the fault; the error's message says what was expected and what was
/// found.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// Bare LF or mixed line breaks where CRLF is required (strict mode).
    BareLineFeed,
    /// A boundary parameter that is empty, badly quoted, or holds characters RFC 2046 forbids.
    BadBoundary,
    /// A Content-Type value that does not parse or is not the expected media type.
    BadContentType,
    /// A byte-order mark before the first delimiter (strict mode).
    ByteOrderMark,
    /// A boundary longer than RFC 2046 allows (70) in strict mode, or than the limit.
    BoundaryTooLong,
    /// A changeset declares the boundary of the multipart that encloses it.
    BoundaryReused,
    /// A line that starts with the delimiter but goes on with other text (RFC 2046 5.1.1).
    DelimiterLikeLine,
    /// A dependency that names no earlier operation.
    DanglingReference,
    /// Two `boundary` parameters in one Content-Type.
    DuplicateBoundary,
    /// The same Content-ID twice in one changeset (OData V4, strict).
    DuplicateContentId,
    /// A multipart (batch or changeset) with no body part (strict mode).
    EmptyMultipart,
    /// An embedded header section cut off by the delimiter, without its own line break
    /// (strict mode).
    HeaderCutOff,
    /// A malformed header field line.
    InvalidHeader,
    /// An embedded `Content-Length` that is not a decimal number.
    InvalidContentLength,
    /// A malformed request line.
    InvalidRequestLine,
    /// A malformed status line.
    InvalidStatusLine,
    /// A configured limit was exceeded.
    LimitExceeded,
    /// A multipart Content-Type without a `boundary` parameter.
    MissingBoundary,
    /// The input ends before the close delimiter (strict mode).
    MissingCloseDelimiter,
    /// A changeset member without a Content-ID (OData V4, strict).
    MissingContentId,
    /// A body part without a Content-Type (strict mode).
    MissingContentType,
    /// No delimiter line for the boundary was found (for the batch boundary, in both
    /// modes: an input without one is no batch).
    MissingDelimiter,
    /// A multipart nested deeper than the format or the limit allows.
    NestingTooDeep,
    /// A GET or other query inside a changeset (strict mode).
    QueryInChangeset,
    /// A request outside a changeset that changes data (OData V2/V3, strict).
    ChangeOutsideChangeset,
    /// The input is a request where a response was expected, or the reverse.
    UnexpectedMessageKind,
    /// A body part whose Content-Type is neither `application/http` nor `multipart/mixed`.
    UnexpectedContentType,
    /// The input ends in the middle of a construct.
    UnexpectedEnd,
    /// A Content-Transfer-Encoding other than `binary` (or `7bit`/`8bit`, leniently).
    UnsupportedTransferEncoding,
    /// A syntax error in a JSON document, or a member of the wrong type.
    Json,
    /// A JSON member that the format does not define (strict mode).
    UnknownMember,
    /// Two members of one JSON object with the same name.
    DuplicateMember,
    /// The same id twice in one batch.
    DuplicateId,
    /// A rule of the batch format that the input breaks.
    Semantic,
    /// A payload whose format cannot be told from its content type and its first bytes, or
    /// whose codec is not compiled in.
    UnknownFormat,
}

/// A syntax, rule or limit error, located in the input.
///
/// The offset counts bytes from the start of the whole body (not of the part it was found
/// in); line and column are 1-based, columns counted in bytes, as in `serde_json`.
///
/// # Examples
///
/// ```
/// use batchwire_core::{ParseError, ParseErrorKind};
///
/// let input = b"line one\nline two";
/// let err = ParseError::new(ParseErrorKind::UnexpectedEnd, input, 14, "expected a colon, found \"two\"");
/// assert_eq!((err.offset(), err.line(), err.column()), (14, 2, 6));
/// assert_eq!(err.to_string(), "expected a colon, found \"two\" at byte 14 (line 2, column 6)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ParseError {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ParseErrorKind,
    offset: usize,
    line: usize,
    column: usize,
    message: String,
}

impl ParseError {
    /// An error of `kind` at `offset` in `input` (the whole body), with a message that says
    /// what was expected and what was found. Line and column are computed here, once.
    #[cold]
    pub fn new(
        kind: ParseErrorKind,
        input: &[u8],
        offset: usize,
        message: impl Into<String>,
    ) -> ParseError {
        let offset = offset.min(input.len());
        let (line, column) = line_column(input, offset);
        ParseError {
            inner: Box::new(Inner {
                kind,
                offset,
                line,
                column,
                message: message.into(),
            }),
        }
    }

    /// An error whose message is `expected <expected>, found <what is at offset>`.
    #[cold]
    pub fn expected(
        kind: ParseErrorKind,
        input: &[u8],
        offset: usize,
        expected: impl fmt::Display,
    ) -> ParseError {
        let found = Found(input.get(offset..).unwrap_or_default());
        ParseError::new(
            kind,
            input,
            offset,
            format!("expected {expected}, found {found}"),
        )
    }

    /// The same error, for an input that was a window of a longer one: the window started
    /// at byte `offset` of the longer input, on its 1-based `line` and `column`.
    ///
    /// Incremental decoders, which hold only the unread part of their input, use this to
    /// locate an error in the whole input.
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire_core::{ParseError, ParseErrorKind};
    ///
    /// let window = b"ab\ncd";
    /// let err = ParseError::new(ParseErrorKind::UnexpectedEnd, window, 1, "expected x, found \"b\"");
    /// let whole = err.rebased(100, 7, 5);
    /// assert_eq!((whole.offset(), whole.line(), whole.column()), (101, 7, 6));
    /// ```
    #[must_use]
    pub fn rebased(mut self, offset: usize, line: usize, column: usize) -> ParseError {
        let inner = &mut *self.inner;
        inner.offset += offset;
        if inner.line == 1 {
            inner.column += column - 1;
        }
        inner.line += line - 1;
        self
    }

    /// What kind of fault this is.
    pub fn kind(&self) -> ParseErrorKind {
        self.inner.kind
    }

    /// The byte offset of the fault from the start of the whole input.
    pub fn offset(&self) -> usize {
        self.inner.offset
    }

    /// The 1-based line of the fault.
    pub fn line(&self) -> usize {
        self.inner.line
    }

    /// The 1-based column of the fault, in bytes.
    pub fn column(&self) -> usize {
        self.inner.column
    }

    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {} (line {}, column {})",
            self.inner.message, self.inner.offset, self.inner.line, self.inner.column
        )
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("kind", &self.inner.kind)
            .field("offset", &self.inner.offset)
            .field("line", &self.inner.line)
            .field("column", &self.inner.column)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl std::error::Error for ParseError {}

/// The 1-based line and byte column of `offset` in `input`.
pub fn line_column(input: &[u8], offset: usize) -> (usize, usize) {
    let before = &input[..offset.min(input.len())];
    let line = 1 + memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// Shows the input at a fault: `end of input`, or the rest of the line, quoted and escaped,
/// cut after 32 bytes.
#[derive(Clone, Copy, Debug)]
pub struct Found<'a>(pub &'a [u8]);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 32;
        if self.0.is_empty() {
            return f.write_str("end of input");
        }
        let line_end = self
            .0
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.0.len(), |i| i + 1);
        let shown = &self.0[..line_end.min(SHOWN)];
        f.write_str("\"")?;
        for chunk in shown.utf8_chunks() {
            for c in chunk.valid().chars() {
                write!(f, "{}", c.escape_debug())?;
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_str("\"")?;
        if line_end > SHOWN {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// A departure from the strict rules that a lenient reader accepted, with where it was.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tolerance {
    /// Byte offset from the start of the whole input.
    pub offset: usize,
    /// What was tolerated.
    pub kind: ToleranceKind,
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

/// What a lenient reader tolerated. Each has one documented rule (docs/reading-rules.md).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToleranceKind {
    /// Bare LF line breaks (reported once, at the first).
    BareLineFeed,
    /// A byte-order mark before the first delimiter, skipped.
    ByteOrderMark,
    /// A boundary over 70 characters.
    BoundaryTooLong,
    /// An unquoted boundary with characters that need quotes.
    BoundaryNeedsQuotes,
    /// A boundary with printable characters outside RFC 2046's `bchars`.
    BoundaryCharacters,
    /// A changeset boundary that starts with the enclosing boundary (RFC 2046 5.1.2).
    BoundaryPrefix,
    /// A header value with control characters.
    ControlCharacters,
    /// A changeset member without a Content-ID (OData V4).
    MissingContentId,
    /// The same Content-ID twice in one changeset (OData V4).
    DuplicateContentId,
    /// An embedded `Content-Length` larger than the part's body; the part's bytes were kept.
    ContentLengthTooLarge,
    /// An embedded `Content-Length` smaller than the part's body, with other bytes than line
    /// breaks after it; they were dropped.
    ContentLengthTrailingBytes,
    /// An embedded `Content-Length` that is not a number; it was ignored.
    ContentLengthInvalid,
    /// A line starting with the delimiter then other text, read as body text.
    DelimiterLikeLine,
    /// A multipart (batch or changeset) with no body part, read as empty.
    EmptyMultipart,
    /// No delimiter line for a changeset's boundary at all; the changeset was read as
    /// empty. (A batch without one is an error in both modes.)
    NoDelimiter,
    /// A header section that ends at a line that is not a header field, without the empty
    /// line that should end it.
    MissingEmptyLine,
    /// A header of an embedded HTTP message continued on the next line (obsolete line
    /// folding, RFC 9112 5.2), unfolded. MIME part headers fold by right and are not
    /// reported.
    FoldedHeader,
    /// An embedded header section whose last line was cut off by the delimiter.
    HeaderCutOff,
    /// Whitespace between a header name and its colon, dropped.
    HeaderNameWhitespace,
    /// Empty lines before the request or status line, skipped.
    LeadingEmptyLines,
    /// The input ends before the close delimiter; read to the end.
    MissingCloseDelimiter,
    /// A body part without Content-Type, taken as `application/http`.
    MissingContentType,
    /// A request target with spaces inside, kept as written.
    SpaceInTarget,
    /// Whitespace at the end of a request line, after the HTTP version (as in Azure's blob
    /// batch samples), trimmed.
    RequestLineTrailingSpace,
    /// A request line without an HTTP version (as in Google's batch samples), read with an
    /// empty version.
    MissingHttpVersion,
    /// A request target with UTF-8 characters beyond ASCII, kept as written.
    NonAsciiTarget,
    /// A GET or other query inside a changeset.
    QueryInChangeset,
    /// A request that changes data outside a changeset (OData V2/V3).
    ChangeOutsideChangeset,
    /// A Content-Transfer-Encoding of `7bit` or `8bit` where OData wants `binary`.
    TransferEncodingNotBinary,
    /// A reason phrase that is not UTF-8, read with replacement characters.
    ReasonNotUtf8,
    /// A JSON member the format does not define, kept as raw JSON.
    UnknownMember,
    /// Base64 in the standard alphabet where base64url was expected (OData JSON; Microsoft
    /// Graph writes the standard alphabet and reads it without a report).
    NonCanonicalBase64,
    /// A JSON number where the format wants a string, or a numeric string where it wants a
    /// number (a header value `5`, a status `"200"`), converted.
    ValueCoerced,
    /// More operations than the format allows (Graph 20, Salesforce 25, Asana 10, Meta 50).
    TooManyOperations,
    /// A Salesforce `hasErrors` that disagrees with the statuses of the results.
    HasErrorsMismatch,
    /// A request body without a `Content-Type` header where the format wants one (Graph),
    /// read as JSON.
    BodyWithoutContentType,
    /// A `@{` that never closes, or an empty `@{}`, read as text rather than a reference.
    MalformedReference,
    /// A `$<id>` reference to another request that `dependsOn` does not list (OData JSON).
    UndeclaredDependency,
    /// A body on a request whose method takes none (OData JSON GET or DELETE).
    BodyNotAllowed,
    /// An id with characters the format does not allow (OData `request-id`, Salesforce
    /// `referenceId`), kept as written.
    IdCharacters,
    /// A `$<name>` at the start of a request URL that names no request, no atomicity group
    /// and no system resource of OData JSON, kept as written.
    UnknownReference,
}

impl fmt::Display for ToleranceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ToleranceKind::BareLineFeed => "bare LF line break",
            ToleranceKind::ByteOrderMark => "byte-order mark before the first delimiter",
            ToleranceKind::BoundaryTooLong => "boundary longer than 70 characters",
            ToleranceKind::BoundaryCharacters => "boundary with characters RFC 2046 does not allow",
            ToleranceKind::BoundaryPrefix => {
                "changeset boundary that starts with the enclosing one"
            }
            ToleranceKind::ControlCharacters => "header value with control characters",
            ToleranceKind::BoundaryNeedsQuotes => {
                "unquoted boundary with characters that need quotes"
            }
            ToleranceKind::MissingContentId => "changeset member without Content-ID",
            ToleranceKind::DuplicateContentId => "Content-ID used twice in one changeset",
            ToleranceKind::ContentLengthTooLarge => {
                "Content-Length larger than the body; the part's bytes kept"
            }
            ToleranceKind::ContentLengthTrailingBytes => {
                "bytes after the Content-Length of the body dropped"
            }
            ToleranceKind::ContentLengthInvalid => "Content-Length that is not a number ignored",
            ToleranceKind::DelimiterLikeLine => {
                "line starting with the delimiter then other text read as body text"
            }
            ToleranceKind::EmptyMultipart => "multipart with no body part",
            ToleranceKind::NoDelimiter => {
                "no delimiter line for the changeset boundary; read as empty"
            }
            ToleranceKind::MissingEmptyLine => "header section not ended by an empty line",
            ToleranceKind::FoldedHeader => "folded header line in an embedded message",
            ToleranceKind::HeaderCutOff => "header section cut off by the delimiter",
            ToleranceKind::HeaderNameWhitespace => "whitespace between header name and colon",
            ToleranceKind::LeadingEmptyLines => "empty lines before the start line",
            ToleranceKind::MissingCloseDelimiter => "no close delimiter; read to the end",
            ToleranceKind::MissingContentType => {
                "body part without Content-Type taken as application/http"
            }
            ToleranceKind::SpaceInTarget => "request target with spaces",
            ToleranceKind::RequestLineTrailingSpace => "whitespace at the end of the request line",
            ToleranceKind::MissingHttpVersion => "request line without an HTTP version",
            ToleranceKind::NonAsciiTarget => "request target with characters beyond ASCII",
            ToleranceKind::QueryInChangeset => "query inside a changeset",
            ToleranceKind::ChangeOutsideChangeset => "change request outside a changeset",
            ToleranceKind::TransferEncodingNotBinary => {
                "Content-Transfer-Encoding other than binary"
            }
            ToleranceKind::ReasonNotUtf8 => "reason phrase that is not UTF-8",
            ToleranceKind::UnknownMember => "unknown member kept",
            ToleranceKind::NonCanonicalBase64 => "base64 in the standard alphabet, not base64url",
            ToleranceKind::ValueCoerced => "JSON value of another type converted",
            ToleranceKind::TooManyOperations => "more operations than the format allows",
            ToleranceKind::HasErrorsMismatch => "hasErrors that disagrees with the statuses",
            ToleranceKind::BodyWithoutContentType => {
                "request body without Content-Type read as JSON"
            }
            ToleranceKind::MalformedReference => "unclosed or empty @{} read as text",
            ToleranceKind::UndeclaredDependency => "$<id> reference not listed in dependsOn",
            ToleranceKind::BodyNotAllowed => "body on a request whose method takes none",
            ToleranceKind::IdCharacters => "id with characters the format does not allow",
            ToleranceKind::UnknownReference => "$<id> reference that names no request",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_shows_end_of_input_and_cuts_long_lines() {
        assert_eq!(Found(b"").to_string(), "end of input");
        assert_eq!(Found(b"ab\r\ncd").to_string(), "\"ab\\r\\n\"");
        assert_eq!(
            Found(&[b'x'; 40]).to_string(),
            format!("\"{}\"...", "x".repeat(32))
        );
        assert_eq!(Found(b"\xff!").to_string(), "\"\\xff!\"");
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column(b"", 0), (1, 1));
        assert_eq!(line_column(b"ab\ncd", 3), (2, 1));
        assert_eq!(line_column(b"ab\ncd", 5), (2, 3));
    }
}
