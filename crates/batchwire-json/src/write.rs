//! The writing layer every format shares: compact JSON output, bodies emitted verbatim, and
//! the report of what a format could not carry.

use std::collections::HashSet;
use std::fmt;

use batchwire_core::{Batch, Extra, Headers};
use bytes::Bytes;
use http::Method;

use crate::body::{MediaKind, base64url, is_json};
use crate::method::Methods;

/// Why a batch could not be written in a format.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodeErrorKind {
    /// A body the format can only carry as JSON or text that is neither (bytes that are not
    /// UTF-8 where a string is needed).
    InvalidBody,
    /// An operation without the id the format requires, with id invention turned off.
    MissingId,
    /// A header name or value, an id or a target that is not UTF-8 text, a target the
    /// format cannot carry, or a method the format does not allow (`MERGE` in OData JSON,
    /// `HEAD` in Salesforce Composite).
    InvalidValue,
    /// More operations than the format allows.
    TooManyOperations,
    /// Requests for a format that only has responses (sObject Tree and Collections), or an
    /// extra member whose value is not JSON.
    Unsupported,
}

/// A batch that cannot be written in the chosen format, and which operation is at fault.
///
/// # Examples
///
/// ```
/// use batchwire_core::{BatchRequest, SubRequest};
/// use batchwire_json::{encode, EncodeErrorKind, EncodeOptions, JsonFormat};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// batch.push(SubRequest::new(Method::POST, "Customers").with_body(&b"\xff\xfe"[..]));
/// let err = encode(&batch.into(), JsonFormat::SalesforceComposite, &EncodeOptions::default()).unwrap_err();
/// assert_eq!(err.kind(), EncodeErrorKind::InvalidBody);
/// assert_eq!(err.operation(), Some(0));
/// assert_eq!(err.to_string(), "operation 0: expected a JSON body, found bytes that are not UTF-8");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    kind: EncodeErrorKind,
    operation: Option<usize>,
    message: String,
}

impl EncodeError {
    pub(crate) fn new(
        kind: EncodeErrorKind,
        operation: Option<usize>,
        message: impl Into<String>,
    ) -> EncodeError {
        EncodeError {
            kind,
            operation,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> EncodeErrorKind {
        self.kind
    }

    /// The position of the operation at fault among all operations (group members
    /// included), when one is.
    pub fn operation(&self) -> Option<usize> {
        self.operation
    }

    /// The message without the operation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(op) => write!(f, "operation {op}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Something in the model that the target format could not carry as it was; `operation` is
/// the position among all operations (group members included).
///
/// Writers never drop anything silently: each loss is listed, so a converter can print it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lost {
    /// An atomic group the format has no construct for; its members were written as plain
    /// operations. `item` is the group's position among the batch's items.
    Group {
        /// The position of the group among the items.
        item: usize,
    },
    /// A group name the format has no place for.
    GroupId {
        /// The position of the group among the items.
        item: usize,
        /// The name.
        id: String,
    },
    /// An operation outside any group where the format wants every operation in one (a
    /// Composite Graph); it was given a graph of its own named `id`.
    GroupInvented {
        /// The operation.
        operation: usize,
        /// The invented graph id.
        id: String,
    },
    /// A correlation id the format has no place for.
    Id {
        /// The operation.
        operation: usize,
        /// The id.
        id: String,
    },
    /// An operation without the id the format requires was given one.
    IdInvented {
        /// The operation.
        operation: usize,
        /// The invented id.
        id: String,
    },
    /// A declared dependency the format cannot say.
    Dependency {
        /// The operation.
        operation: usize,
        /// The id it depends on.
        on: String,
    },
    /// A dependency written that the model left implicit: a `$<id>` reference at the start of
    /// the URL without `dependsOn` (as a multipart changeset writes it), given the `dependsOn`
    /// that OData JSON requires for it.
    DependencyAdded {
        /// The operation.
        operation: usize,
        /// The request id or group name it depends on.
        on: String,
    },
    /// A header the format has no place for (or forbids).
    Header {
        /// The operation.
        operation: usize,
        /// The header name.
        name: String,
    },
    /// Repeated headers joined into one comma-separated value, since the format holds one
    /// value per name.
    HeadersCombined {
        /// The operation.
        operation: usize,
        /// The header name.
        name: String,
    },
    /// A `Content-Type: application/json` header added, since the format wants one on a
    /// request with a body (Microsoft Graph).
    ContentTypeAdded {
        /// The operation.
        operation: usize,
    },
    /// Envelope headers (multipart part headers) the format has no place for.
    PartHeaders {
        /// The operation, or `None` for a group's.
        operation: Option<usize>,
    },
    /// A reason phrase the format has no place for.
    Reason {
        /// The operation.
        operation: usize,
    },
    /// A body that had to be JSON but was other text, written as a JSON string instead.
    BodyAsString {
        /// The operation.
        operation: usize,
    },
    /// A position without a response that the format cannot mark as such; written as a
    /// `204` without a body.
    Omitted {
        /// The operation.
        operation: usize,
    },
    /// A batch option the format has no place for.
    Option {
        /// The option's name in the model (`continue_on_error`, `all_or_none`...).
        name: &'static str,
    },
    /// An extra member the format itself defines with another meaning, so it was not
    /// written back.
    Member {
        /// The operation, or `None` for the batch's.
        operation: Option<usize>,
        /// The member name.
        name: String,
    },
}

impl fmt::Display for Lost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lost::Group { item } => {
                write!(f, "item {item}: atomic group written as plain operations")
            }
            Lost::GroupId { item, id } => write!(f, "item {item}: group name {id:?} not written"),
            Lost::GroupInvented { operation, id } => {
                write!(
                    f,
                    "operation {operation}: put in a group of its own named {id:?}"
                )
            }
            Lost::Id { operation, id } => write!(f, "operation {operation}: id {id:?} not written"),
            Lost::IdInvented { operation, id } => {
                write!(f, "operation {operation}: given the id {id:?}")
            }
            Lost::Dependency { operation, on } => {
                write!(f, "operation {operation}: dependency on {on:?} not written")
            }
            Lost::DependencyAdded { operation, on } => {
                write!(
                    f,
                    "operation {operation}: dependsOn {on:?} added for its URL's reference"
                )
            }
            Lost::Header { operation, name } => {
                write!(f, "operation {operation}: header {name:?} not written")
            }
            Lost::HeadersCombined { operation, name } => {
                write!(
                    f,
                    "operation {operation}: repeated header {name:?} joined into one value"
                )
            }
            Lost::ContentTypeAdded { operation } => {
                write!(
                    f,
                    "operation {operation}: Content-Type: application/json added"
                )
            }
            Lost::PartHeaders {
                operation: Some(op),
            } => {
                write!(f, "operation {op}: envelope headers not written")
            }
            Lost::PartHeaders { operation: None } => {
                f.write_str("group envelope headers not written")
            }
            Lost::Reason { operation } => {
                write!(f, "operation {operation}: reason phrase not written")
            }
            Lost::BodyAsString { operation } => {
                write!(
                    f,
                    "operation {operation}: body that is not JSON written as a JSON string"
                )
            }
            Lost::Omitted { operation } => {
                write!(
                    f,
                    "operation {operation}: omitted response written as 204 without a body"
                )
            }
            Lost::Option { name } => write!(f, "batch option {name} not written"),
            Lost::Member {
                operation: Some(op),
                name,
            } => write!(f, "operation {op}: member {name:?} not written"),
            Lost::Member {
                operation: None,
                name,
            } => write!(f, "batch member {name:?} not written"),
        }
    }
}

/// How to write a batch.
///
/// # Examples
///
/// ```
/// use batchwire_json::EncodeOptions;
///
/// let options = EncodeOptions::default().with_invent_ids(false);
/// assert!(!options.invent_ids);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Give an operation without an id one (`"1"`, `"2"`... skipping ids in use) where the
    /// format requires ids, and report it as [`Lost::IdInvented`]. When off, such an
    /// operation is an [`EncodeErrorKind::MissingId`] error. Default on.
    pub invent_ids: bool,
}

impl Default for EncodeOptions {
    fn default() -> EncodeOptions {
        EncodeOptions { invent_ids: true }
    }
}

impl EncodeOptions {
    /// These options with id invention on or off.
    #[must_use]
    pub fn with_invent_ids(mut self, on: bool) -> EncodeOptions {
        self.invent_ids = on;
        self
    }
}

/// A written batch and what the format could not carry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The JSON document.
    pub bytes: Bytes,
    /// What was not written as it was in the model, in document order.
    pub lost: Vec<Lost>,
}

/// A compact JSON writer into a growing buffer.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub(crate) buf: Vec<u8>,
    /// Whether the container being written still has no member or element.
    first: Vec<bool>,
    pub(crate) lost: Vec<Lost>,
}

impl Out {
    pub(crate) fn new() -> Out {
        Out::default()
    }

    pub(crate) fn begin_object(&mut self) {
        self.buf.push(b'{');
        self.first.push(true);
    }

    pub(crate) fn end_object(&mut self) {
        self.first.pop();
        self.buf.push(b'}');
    }

    pub(crate) fn begin_array(&mut self) {
        self.buf.push(b'[');
        self.first.push(true);
    }

    pub(crate) fn end_array(&mut self) {
        self.first.pop();
        self.buf.push(b']');
    }

    /// Writes the comma before a member or element, unless it is the first one.
    fn separate(&mut self) {
        if let Some(first) = self.first.last_mut() {
            if *first {
                *first = false;
            } else {
                self.buf.push(b',');
            }
        }
    }

    /// Starts a member: `"name":`.
    pub(crate) fn key(&mut self, name: &str) {
        self.separate();
        write_string(&mut self.buf, name);
        self.buf.push(b':');
    }

    /// Starts an array element.
    pub(crate) fn element(&mut self) {
        self.separate();
    }

    pub(crate) fn string(&mut self, value: &str) {
        write_string(&mut self.buf, value);
    }

    /// JSON text written verbatim.
    pub(crate) fn raw(&mut self, json: &[u8]) {
        self.buf.extend_from_slice(json);
    }

    pub(crate) fn number(&mut self, n: impl fmt::Display) {
        use std::io::Write as _;
        // Writing into a Vec cannot fail.
        let _ = write!(self.buf, "{n}");
    }

    pub(crate) fn boolean(&mut self, b: bool) {
        self.raw(if b { b"true" } else { b"false" });
    }

    pub(crate) fn member_str(&mut self, name: &str, value: &str) {
        self.key(name);
        self.string(value);
    }

    /// Writes member `name` with `method` as the format spells it.
    ///
    /// # Errors
    ///
    /// [`EncodeErrorKind::InvalidValue`] for a method the format does not allow, which its
    /// reader would refuse.
    pub(crate) fn method(
        &mut self,
        name: &str,
        method: &Method,
        methods: &Methods,
        operation: usize,
    ) -> Result<(), EncodeError> {
        let spelled = methods.write(method).ok_or_else(|| {
            EncodeError::new(
                EncodeErrorKind::InvalidValue,
                Some(operation),
                format!(
                    "expected a method {} allows ({}), found {method}",
                    methods.format,
                    methods.writable()
                ),
            )
        })?;
        self.member_str(name, &spelled);
        Ok(())
    }

    /// Writes the extra members, except those the format defines itself (`defined`), which
    /// are reported instead.
    pub(crate) fn extra(
        &mut self,
        extra: &Extra,
        defined: &[&str],
        operation: Option<usize>,
    ) -> Result<(), EncodeError> {
        for (name, json) in extra.iter() {
            if defined.contains(&name) {
                self.lost.push(Lost::Member {
                    operation,
                    name: name.to_owned(),
                });
                continue;
            }
            if !is_json(json) {
                return Err(EncodeError::new(
                    EncodeErrorKind::Unsupported,
                    operation,
                    format!("expected JSON text for the member {name:?}, found other bytes"),
                ));
            }
            self.key(name);
            self.raw(json);
        }
        Ok(())
    }

    /// Writes headers as an object of name to string; repeated names are joined with `, `.
    pub(crate) fn header_object(
        &mut self,
        headers: &Headers,
        operation: usize,
    ) -> Result<(), EncodeError> {
        self.begin_object();
        let mut done: Vec<&[u8]> = Vec::new();
        for header in headers {
            if done.iter().any(|n| n.eq_ignore_ascii_case(header.name())) {
                continue;
            }
            let name = utf8(header.name(), "a header name", operation)?;
            self.key(name);
            let name_str = name;
            let values: Vec<&[u8]> = headers.get_all(name_str).collect();
            if values.len() == 1 {
                self.string(utf8(header.value(), "a header value", operation)?);
            } else {
                self.lost.push(Lost::HeadersCombined {
                    operation,
                    name: name.to_owned(),
                });
                let mut joined = String::new();
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        joined.push_str(", ");
                    }
                    joined.push_str(utf8(value, "a header value", operation)?);
                }
                self.string(&joined);
            }
            done.push(header.name());
        }
        self.end_object();
        Ok(())
    }

    /// Writes headers as an array of `{"name", "value"}` objects (Meta Graph), repeated
    /// names kept.
    pub(crate) fn header_array(
        &mut self,
        headers: &Headers,
        operation: usize,
    ) -> Result<(), EncodeError> {
        self.begin_array();
        for header in headers {
            self.element();
            self.begin_object();
            self.member_str("name", utf8(header.name(), "a header name", operation)?);
            self.member_str("value", utf8(header.value(), "a header value", operation)?);
            self.end_object();
        }
        self.end_array();
        Ok(())
    }

    /// Writes a body as the media type wants it: JSON verbatim, text as a string, anything
    /// else as padded base64url.
    pub(crate) fn body_by_media(
        &mut self,
        body: &Bytes,
        kind: MediaKind,
        operation: usize,
    ) -> Result<(), EncodeError> {
        match kind {
            MediaKind::Json => self.body_json(body, operation),
            MediaKind::Text => {
                let text = std::str::from_utf8(body).map_err(|_| {
                    EncodeError::new(
                        EncodeErrorKind::InvalidBody,
                        Some(operation),
                        "expected a text/* body in UTF-8, found other bytes",
                    )
                })?;
                self.string(text);
                Ok(())
            }
            MediaKind::Binary => {
                self.string(&base64url(body));
                Ok(())
            }
        }
    }

    /// Writes a body that must be JSON: verbatim when it is, as a JSON string (reported)
    /// when it is other UTF-8 text, an error otherwise. An empty body is `null`.
    pub(crate) fn body_json(&mut self, body: &Bytes, operation: usize) -> Result<(), EncodeError> {
        if body.is_empty() {
            self.raw(b"null");
        } else if is_json(body) {
            self.raw(body);
        } else if let Ok(text) = std::str::from_utf8(body) {
            self.lost.push(Lost::BodyAsString { operation });
            self.string(text);
        } else {
            return Err(EncodeError::new(
                EncodeErrorKind::InvalidBody,
                Some(operation),
                "expected a JSON body, found bytes that are not UTF-8",
            ));
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Encoded {
        Encoded {
            bytes: Bytes::from(self.buf),
            lost: self.lost,
        }
    }
}

/// Reports the batch options set in the model that a format has no member for: all but
/// those named in `keep` (by their names in the model, as [`Lost::Option`] gives them).
pub(crate) fn options_lost<T>(out: &mut Out, batch: &Batch<T>, keep: &[&str]) {
    let o = &batch.options;
    for (name, set) in [
        ("continue_on_error", o.continue_on_error.is_some()),
        ("all_or_none", o.all_or_none.is_some()),
        ("halt_on_error", o.halt_on_error.is_some()),
        ("collate_subrequests", o.collate_subrequests.is_some()),
        ("has_errors", o.has_errors.is_some()),
        ("next_link", o.next_link.is_some()),
    ] {
        if set && !keep.contains(&name) {
            out.lost.push(Lost::Option { name });
        }
    }
}

/// `bytes` as UTF-8, or an error naming `what`.
pub(crate) fn utf8<'b>(
    bytes: &'b [u8],
    what: &str,
    operation: usize,
) -> Result<&'b str, EncodeError> {
    std::str::from_utf8(bytes).map_err(|_| {
        EncodeError::new(
            EncodeErrorKind::InvalidValue,
            Some(operation),
            format!("expected {what} in UTF-8, found other bytes"),
        )
    })
}

/// Writes `s` as a JSON string (RFC 8259 section 7): quotes, backslashes and control
/// characters escaped, everything else as it is.
pub(crate) fn write_string(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[usize::from(b >> 4)]);
            buf.push(HEX[usize::from(b & 0xf)]);
        } else {
            buf.extend_from_slice(escape);
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Ids for every operation where a format requires them: the model's, or invented ones that
/// no other operation (or group) uses.
pub(crate) fn ids_for<'m>(
    ids: &[Option<&'m str>],
    taken: &[&'m str],
    options: &EncodeOptions,
    lost: &mut Vec<Lost>,
) -> Result<Vec<std::borrow::Cow<'m, str>>, EncodeError> {
    let mut used: HashSet<&str> = ids.iter().flatten().copied().collect();
    used.extend(taken.iter().copied());
    let mut invented: HashSet<String> = HashSet::new();
    let mut next = 1usize;
    let mut out = Vec::with_capacity(ids.len());
    for (operation, id) in ids.iter().enumerate() {
        if let Some(id) = id {
            out.push(std::borrow::Cow::Borrowed(*id));
            continue;
        }
        if !options.invent_ids {
            return Err(EncodeError::new(
                EncodeErrorKind::MissingId,
                Some(operation),
                "expected an id, which the format requires, found none",
            ));
        }
        let id = loop {
            let candidate = next.to_string();
            next += 1;
            if !used.contains(candidate.as_str()) && !invented.contains(&candidate) {
                break candidate;
            }
        };
        invented.insert(id.clone());
        lost.push(Lost::IdInvented {
            operation,
            id: id.clone(),
        });
        out.push(std::borrow::Cow::Owned(id));
    }
    Ok(out)
}

/// Whether part headers say more than the multipart framing they came from: a
/// `Content-Type` of `application/http` or `multipart/*`, a `Content-Transfer-Encoding`, a
/// `Content-Length`, `MIME-Version`, and a `Content-ID` equal to the operation's id carry
/// nothing a JSON format loses.
pub(crate) fn meaningful_part_headers(part_headers: &Headers, id: Option<&str>) -> bool {
    part_headers.iter().any(|h| {
        let value = h.value().trim_ascii();
        let framing_type = || {
            let v = value.to_ascii_lowercase();
            v.starts_with(b"application/http") || v.starts_with(b"multipart/")
        };
        !((h.is("content-type") && framing_type())
            || h.is("content-transfer-encoding")
            || h.is("content-length")
            || h.is("mime-version")
            || (h.is("content-id") && id.is_some_and(|id| id.as_bytes() == value)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_controls_only() {
        let mut buf = Vec::new();
        write_string(&mut buf, "a\"b\\c\nd\u{1}é/");
        assert_eq!(buf, b"\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9/\"");
    }

    #[test]
    fn invented_ids_skip_ids_in_use() {
        let mut lost = Vec::new();
        let ids = ids_for(
            &[None, Some("1"), None],
            &["2"],
            &EncodeOptions::default(),
            &mut lost,
        )
        .unwrap();
        assert_eq!(ids, ["3", "1", "4"]);
        assert_eq!(lost.len(), 2);
    }
}
