//! What the writer needs from a sub-request or a sub-response, so one writer serves both.

use batchwire_core::WriteErrorKind as K;
use batchwire_core::{Headers, MessageKind, Position, SubRequest, SubResponse, WriteError};

use super::check::shown;
use super::emit::Sink;

/// One operation as the writer sees it.
pub(super) trait Operation {
    /// Requests or responses.
    const KIND: MessageKind;

    /// The correlation id, as the model holds it.
    fn id(&self) -> Option<&str>;

    /// The headers of the embedded message.
    fn headers(&self) -> &Headers;

    /// The MIME headers of the body part.
    fn part_headers(&self) -> &Headers;

    /// The body of the embedded message.
    fn body(&self) -> &[u8];

    /// The request target; `None` for a response.
    fn target(&self) -> Option<&str>;

    /// Whether this is a request that only reads (GET, HEAD); `None` for a response.
    fn is_query(&self) -> Option<bool>;

    /// Declared dependencies, which multipart cannot carry.
    fn depends_on(&self) -> &[String];

    /// The first bytes of the start line, which a delimiter must not look like.
    fn line_start(&self) -> &[u8];

    /// Checks that the start line can be written and read back the same.
    fn check_start_line(&self, at: Position) -> Result<(), WriteError>;

    /// Writes the start line with its line break.
    fn start_line<S: Sink>(&self, out: &mut S);
}

impl Operation for SubRequest {
    const KIND: MessageKind = MessageKind::Request;

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn headers(&self) -> &Headers {
        &self.headers
    }

    fn part_headers(&self) -> &Headers {
        &self.part_headers
    }

    fn body(&self) -> &[u8] {
        &self.body
    }

    fn is_query(&self) -> Option<bool> {
        Some(self.method == http::Method::GET || self.method == http::Method::HEAD)
    }

    fn target(&self) -> Option<&str> {
        Some(&self.target)
    }

    fn depends_on(&self) -> &[String] {
        &self.depends_on
    }

    fn line_start(&self) -> &[u8] {
        self.method.as_str().as_bytes()
    }

    fn check_start_line(&self, at: Position) -> Result<(), WriteError> {
        // RFC 9112 3.2: the target is visible ASCII up to the next space; a strict reader
        // rejects anything else (beyond ASCII, percent-encode it), and a line break would
        // end the request line.
        let bad = self.target.bytes().any(|b| b <= b' ' || b >= 0x7f);
        if self.target.is_empty() || bad {
            return Err(WriteError::new(
                K::InvalidTarget,
                Some(at),
                format!(
                    "expected a request target of visible ASCII characters without spaces (percent-encode the rest), found {}",
                    shown(self.target.as_bytes(), false)
                ),
            ));
        }
        Ok(())
    }

    fn start_line<S: Sink>(&self, out: &mut S) {
        out.put(self.method.as_str().as_bytes());
        out.put(b" ");
        out.put(self.target.as_bytes());
        out.put(b" HTTP/1.1\r\n");
    }
}

impl Operation for SubResponse {
    const KIND: MessageKind = MessageKind::Response;

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn headers(&self) -> &Headers {
        &self.headers
    }

    fn part_headers(&self) -> &Headers {
        &self.part_headers
    }

    fn body(&self) -> &[u8] {
        &self.body
    }

    fn is_query(&self) -> Option<bool> {
        None
    }

    fn target(&self) -> Option<&str> {
        None
    }

    fn depends_on(&self) -> &[String] {
        &[]
    }

    fn line_start(&self) -> &[u8] {
        b"HTTP/"
    }

    fn check_start_line(&self, at: Position) -> Result<(), WriteError> {
        // RFC 9112 4: `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )`.
        if let Some(reason) = &self.reason {
            let bad = reason
                .bytes()
                .any(|b| (b < b' ' && b != b'\t') || b == 0x7f);
            if bad {
                return Err(WriteError::new(
                    K::InvalidReason,
                    Some(at),
                    format!(
                        "expected a reason phrase without line breaks or control characters, found {}",
                        shown(reason.as_bytes(), false)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn start_line<S: Sink>(&self, out: &mut S) {
        out.put(b"HTTP/1.1 ");
        out.put(self.status.as_str().as_bytes());
        // RFC 9112 4 keeps the space before an empty reason phrase.
        out.put(b" ");
        let reason = self
            .reason
            .as_deref()
            .or_else(|| self.status.canonical_reason())
            .unwrap_or_default();
        out.put(reason.as_bytes());
        out.put(b"\r\n");
    }
}
