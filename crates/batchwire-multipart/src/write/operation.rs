//! What the writer needs from a sub-request or a sub-response, so one writer serves both.

use batchwire_core::WriteErrorKind as K;
use batchwire_core::{Extra, Headers, MessageKind, Position, SubRequest, SubResponse, WriteError};

use super::check::shown;
use super::emit::Sink;
use crate::grammar;

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

    /// Members of a JSON format that the model does not name, which multipart cannot carry.
    fn extra(&self) -> &Extra;

    /// Whether this marks a position without a response, which multipart cannot say.
    fn omitted(&self) -> bool;

    /// The first bytes of the start line, which a delimiter must not look like.
    fn line_start(&self) -> &[u8];

    /// Checks that the start line can be written and read back the same.
    fn check_start_line(&self, at: Position) -> Result<(), WriteError>;

    /// The target percent-encoded, where it holds what a request line cannot; `None` when
    /// it is written as it is (and for a response).
    fn encoded_target(&self) -> Option<String>;

    /// Writes the start line with its line break, with `target` in place of the model's.
    fn start_line<S: Sink>(&self, out: &mut S, target: Option<&str>);
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

    fn extra(&self) -> &Extra {
        &self.extra
    }

    fn omitted(&self) -> bool {
        false
    }

    fn line_start(&self) -> &[u8] {
        self.method.as_str().as_bytes()
    }

    fn check_start_line(&self, at: Position) -> Result<(), WriteError> {
        // RFC 9112 3.2: the target is visible ASCII up to the next space. Spaces and bytes
        // beyond ASCII are percent-encoded (`encoded_target`); a control character has no
        // place in a URI, and a line break would end the request line.
        if self.target.is_empty() {
            return Err(WriteError::new(
                K::InvalidTarget,
                Some(at),
                "expected a request target, found \"\"",
            ));
        }
        if self.target.bytes().any(|b| b < b' ' || b == 0x7f) {
            return Err(WriteError::new(
                K::InvalidTarget,
                Some(at),
                format!(
                    "expected a request target without control characters, found {}",
                    shown(self.target.as_bytes(), false)
                ),
            ));
        }
        Ok(())
    }

    fn encoded_target(&self) -> Option<String> {
        percent_encoded(&self.target)
    }

    fn start_line<S: Sink>(&self, out: &mut S, target: Option<&str>) {
        out.put(self.method.as_str().as_bytes());
        out.put(b" ");
        out.put(target.unwrap_or(&self.target).as_bytes());
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

    fn extra(&self) -> &Extra {
        &self.extra
    }

    fn omitted(&self) -> bool {
        self.omitted
    }

    fn line_start(&self) -> &[u8] {
        b"HTTP/"
    }

    fn check_start_line(&self, at: Position) -> Result<(), WriteError> {
        // RFC 9112 4: `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )`.
        if let Some(reason) = &self.reason
            && grammar::control_character(reason).is_some()
        {
            return Err(WriteError::new(
                K::InvalidReason,
                Some(at),
                format!(
                    "expected a reason phrase without line breaks or control characters, found {}",
                    shown(reason, false)
                ),
            ));
        }
        Ok(())
    }

    fn encoded_target(&self) -> Option<String> {
        None
    }

    fn start_line<S: Sink>(&self, out: &mut S, _target: Option<&str>) {
        out.put(b"HTTP/1.1 ");
        out.put(self.status.as_str().as_bytes());
        // RFC 9112 4 keeps the space before an empty reason phrase.
        out.put(b" ");
        let reason = self
            .reason
            .as_deref()
            .or_else(|| self.status.canonical_reason().map(str::as_bytes))
            .unwrap_or_default();
        out.put(reason);
        out.put(b"\r\n");
    }
}

/// Whether a byte of a target must be percent-encoded: a space ends the target, and a
/// request line holds only ASCII. Every other visible character, `%XX` included, is left
/// as it is.
fn needs_encoding(b: u8) -> bool {
    b == b' ' || b >= 0x80
}

/// `target` with each space and each byte of a character beyond ASCII written as `%XX`
/// (RFC 3986 2.1, upper-case hex); `None` when it has none.
fn percent_encoded(target: &str) -> Option<String> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let count = target.bytes().filter(|&b| needs_encoding(b)).count();
    if count == 0 {
        return None;
    }
    let mut out = String::with_capacity(target.len() + 2 * count);
    for b in target.bytes() {
        if needs_encoding(b) {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        } else {
            out.push(char::from(b));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_and_non_ascii_are_percent_encoded() {
        assert_eq!(percent_encoded("People?$top=2"), None);
        assert_eq!(
            percent_encoded("me/events?$filter=name eq 'Zoë'").as_deref(),
            Some("me/events?$filter=name%20eq%20'Zo%C3%AB'")
        );
        // Existing escapes and other visible characters stay.
        assert_eq!(
            percent_encoded("a%20b c|{}\"").as_deref(),
            Some("a%20b%20c|{}\"")
        );
    }
}
