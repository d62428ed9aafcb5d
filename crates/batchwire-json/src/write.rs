//! The writing layer every format shares: compact JSON output, bodies emitted verbatim, and
//! the report of what a format could not carry.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

pub(crate) use batchwire_core::WriteOptions;
pub(crate) use batchwire_core::Written as Encoded;

use batchwire_core::{
    Batch, Extra, Headers, Loss, LossKind, MessageRef, Position, SubRequest, SubResponse,
    WriteError, WriteErrorKind, WriteReport,
};
use bytes::Bytes;
use http::Method;

use crate::body::{MediaKind, base64url, is_json};
use crate::method::Methods;

/// A fault met while writing, at an operation counted among all operations (group members
/// included); [`EncodeError::at`] turns it into the [`WriteError`] of the one vocabulary,
/// with the operation's [`Position`].
#[derive(Debug)]
pub(crate) struct EncodeError {
    kind: WriteErrorKind,
    operation: Option<usize>,
    message: String,
}

impl EncodeError {
    /// The error of a run of operations, the first of them at `first` among all.
    pub(crate) fn shifted(mut self, first: usize) -> EncodeError {
        self.operation = self.operation.map(|n| n + first);
        self
    }

    #[cold]
    pub(crate) fn new(
        kind: WriteErrorKind,
        operation: Option<usize>,
        message: impl Into<String>,
    ) -> EncodeError {
        EncodeError {
            kind,
            operation,
            message: message.into(),
        }
    }

    /// The error, with the operation's position taken from `positions`.
    pub(crate) fn at(self, positions: &[Position]) -> WriteError {
        let position = self.operation.and_then(|n| positions.get(n).copied());
        WriteError::new(self.kind, position, self.message)
    }
}

/// What a loss belongs to while a batch is being written: an operation counted among all
/// operations, an item, or the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    Batch,
    Item(usize),
    Op(usize),
}

impl Site {
    fn position(self, positions: &[Position]) -> Option<Position> {
        match self {
            Site::Batch => None,
            Site::Item(item) => Some(Position::item(item)),
            Site::Op(n) => positions.get(n).copied(),
        }
    }
}

/// A compact JSON writer into a growing buffer.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub(crate) buf: Vec<u8>,
    /// Whether the container being written still has no member or element.
    first: Vec<bool>,
    pub(crate) lost: Vec<(Site, LossKind)>,
    /// The reasons of some losses, by their index in `lost`.
    reasons: Vec<(usize, Cow<'static, str>)>,
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
    /// [`WriteErrorKind::InvalidValue`] for a method the format does not allow, which its
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
                WriteErrorKind::InvalidValue,
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
        at: Site,
    ) -> Result<(), EncodeError> {
        for (name, json) in extra.iter() {
            if defined.contains(&name) {
                self.lost.push((
                    at,
                    LossKind::Member {
                        name: name.to_owned(),
                    },
                ));
                continue;
            }
            if !is_json(json) {
                let operation = match at {
                    Site::Op(n) => Some(n),
                    Site::Batch | Site::Item(_) => None,
                };
                return Err(EncodeError::new(
                    WriteErrorKind::Unsupported,
                    operation,
                    format!("expected JSON text for the member {name:?}, found other bytes"),
                ));
            }
            self.key(name);
            self.raw(json);
        }
        Ok(())
    }

    /// Records a loss with the reason the target could not carry it.
    pub(crate) fn lose_because(
        &mut self,
        site: Site,
        kind: LossKind,
        reason: impl Into<Cow<'static, str>>,
    ) {
        self.reasons.push((self.lost.len(), reason.into()));
        self.lost.push((site, kind));
    }

    /// Whether `header` is an embedded `Content-Length` that is not the length of the body,
    /// which is then not written and is reported. The JSON body carries its own length; a
    /// framed length that disagrees with it (a multipart part cut or padded) would be false
    /// of the message written. One that agrees is true of it, and kept (CAP writes them).
    fn content_length_dropped(
        &mut self,
        header: batchwire_core::HeaderView<'_>,
        body_len: usize,
        operation: usize,
    ) -> bool {
        if !header.name().eq_ignore_ascii_case(b"content-length") {
            return false;
        }
        let value = header.value().trim_ascii();
        let agrees = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            == Some(body_len);
        if agrees {
            return false;
        }
        self.lose_because(
            Site::Op(operation),
            LossKind::Header {
                name: header.name_str().into_owned(),
            },
            format!(
                "its value {:?} is not the length of the body, {body_len} bytes",
                String::from_utf8_lossy(value)
            ),
        );
        true
    }

    /// Writes headers as an object of name to string; repeated names are joined with `, `.
    /// An embedded `Content-Length` that is not the body's length is not written (see
    /// `content_length_dropped`).
    pub(crate) fn header_object(
        &mut self,
        headers: &Headers,
        body_len: usize,
        operation: usize,
    ) -> Result<(), EncodeError> {
        self.begin_object();
        let mut done: Vec<&[u8]> = Vec::new();
        for header in headers {
            if done.iter().any(|n| n.eq_ignore_ascii_case(header.name())) {
                continue;
            }
            if self.content_length_dropped(header, body_len, operation) {
                done.push(header.name());
                continue;
            }
            let name = utf8(header.name(), "a header name", operation)?;
            self.key(name);
            let name_str = name;
            let values: Vec<&[u8]> = headers.get_all(name_str).collect();
            if values.len() == 1 {
                self.string(utf8(header.value(), "a header value", operation)?);
            } else {
                self.lost.push((
                    Site::Op(operation),
                    LossKind::HeadersCombined {
                        name: name.to_owned(),
                    },
                ));
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
    /// names kept; an embedded `Content-Length` that is not the body's length is not written.
    pub(crate) fn header_array(
        &mut self,
        headers: &Headers,
        body_len: usize,
        operation: usize,
    ) -> Result<(), EncodeError> {
        self.begin_array();
        for header in headers {
            if self.content_length_dropped(header, body_len, operation) {
                continue;
            }
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
                        WriteErrorKind::InvalidBody,
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
            self.json_value(body, operation);
        } else if let Ok(text) = std::str::from_utf8(body) {
            self.lost
                .push((Site::Op(operation), LossKind::BodyAsString));
            self.string(text);
        } else {
            return Err(EncodeError::new(
                WriteErrorKind::InvalidBody,
                Some(operation),
                "expected a JSON body, found bytes that are not UTF-8",
            ));
        }
        Ok(())
    }

    /// A body that is JSON, as a value of the document. A document holds a value without the
    /// white space around it: what a reader gives back is the trimmed text, so the writer
    /// writes that, and says so.
    pub(crate) fn json_value(&mut self, body: &[u8], operation: usize) {
        let trimmed = body.trim_ascii();
        if trimmed.len() != body.len() {
            self.lost.push((Site::Op(operation), LossKind::BodyTrimmed));
        }
        self.raw(trimmed);
    }

    /// The document and its report, positions taken from the batch written.
    pub(crate) fn finish(self, message: MessageRef<'_>) -> Encoded {
        let positions = message.positions();
        let mut reasons = self.reasons.into_iter().peekable();
        let losses = self.lost.into_iter().enumerate().map(|(i, (at, kind))| {
            let loss = Loss::new(at.position(&positions), kind);
            match reasons.next_if(|(k, _)| *k == i) {
                Some((_, reason)) => loss.because(reason),
                None => loss,
            }
        });
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        let mut report = WriteReport::new();
        for loss in losses {
            report.push(loss);
        }
        report.sort();
        Encoded::new(headers, Bytes::from(self.buf), report)
    }

    /// Reports part headers at `site` when they say more than the multipart framing (see
    /// [`meaningful_part_headers`]).
    pub(crate) fn part_headers_lost(
        &mut self,
        site: Site,
        part_headers: &Headers,
        id: Option<&str>,
    ) {
        if meaningful_part_headers(part_headers, id) {
            self.lost.push((site, LossKind::PartHeaders));
        }
    }
}

/// Reports the batch options set in the model that a format has no member for: all but
/// those named in `keep` (by their names in the model, as [`LossKind::Option`] gives them).
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
            out.lost.push((Site::Batch, LossKind::Option { name }));
        }
    }
}

/// More operations than a format takes in one batch.
/// The most operations `format` allows, from its rules: `usize::MAX` where it has no bound.
pub(crate) const fn bound(format: batchwire_core::JsonFormat) -> usize {
    match format.max_operations() {
        Some(max) => max,
        None => usize::MAX,
    }
}

pub(crate) fn too_many(count: usize, max: usize, format: &str) -> EncodeError {
    EncodeError::new(
        WriteErrorKind::TooManyOperations,
        None,
        format!("expected at most {max} operations in a {format} batch, found {count}"),
    )
}

/// Reports what a request carries that a format without ids, headers or dependencies loses.
pub(crate) fn request_lost(out: &mut Out, op: &SubRequest, n: usize) {
    id_and_headers_lost(out, op.id.as_ref(), &op.headers, n);
    for dep in &op.depends_on {
        out.lost
            .push((Site::Op(n), LossKind::Dependency { on: dep.clone() }));
    }
    out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
}

/// Reports what a response carries that a format without omitted responses, reason phrases
/// or part headers loses.
pub(crate) fn response_lost(out: &mut Out, op: &SubResponse, n: usize) {
    if op.omitted {
        out.lost.push((Site::Op(n), LossKind::Omitted));
    }
    if op.reason.is_some() {
        out.lost.push((Site::Op(n), LossKind::Reason));
    }
    out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
}

/// Reports an operation's id and each of its headers, for a format that has neither.
pub(crate) fn id_and_headers_lost(out: &mut Out, id: Option<&String>, headers: &Headers, n: usize) {
    if let Some(id) = id {
        out.lost
            .push((Site::Op(n), LossKind::Id { id: id.clone() }));
    }
    for h in headers {
        out.lost.push((
            Site::Op(n),
            LossKind::Header {
                name: h.name_str().into_owned(),
            },
        ));
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
            WriteErrorKind::InvalidValue,
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
    key: impl Fn(&'m str) -> Cow<'m, str>,
    options: &WriteOptions,
    lost: &mut Vec<(Site, LossKind)>,
) -> Result<Vec<Cow<'m, str>>, EncodeError> {
    let mut used: HashSet<&str> = ids.iter().flatten().copied().collect();
    used.extend(taken.iter().copied());
    let mut invented: HashSet<String> = HashSet::new();
    let mut next = 1usize;
    let mut out = Vec::with_capacity(ids.len());
    // The formats' readers refuse an id given twice: so does the writer, rather than write
    // a document that does not read back.
    let mut given: HashSet<Cow<'_, str>> = HashSet::new();
    for (operation, id) in ids.iter().enumerate() {
        if let Some(id) = id {
            if !given.insert(key(id)) {
                return Err(EncodeError::new(
                    WriteErrorKind::DuplicateContentId,
                    Some(operation),
                    format!(
                        "expected each id once in the batch, which the format requires, found {id:?} again"
                    ),
                ));
            }
            out.push(Cow::Borrowed(*id));
            continue;
        }
        if !options.invent_ids {
            return Err(EncodeError::new(
                WriteErrorKind::MissingId,
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
        lost.push((Site::Op(operation), LossKind::IdInvented { id: id.clone() }));
        out.push(Cow::Owned(id));
    }
    Ok(out)
}

/// Whether part headers say more than the multipart framing they came from: a
/// `Content-Type` of `application/http` or `multipart/*`, a `Content-Transfer-Encoding`, a
/// `Content-Length`, `MIME-Version`, and a `Content-ID` equal to the operation's id carry
/// nothing a JSON format loses.
fn meaningful_part_headers(part_headers: &Headers, id: Option<&str>) -> bool {
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
            Cow::Borrowed,
            &WriteOptions::default(),
            &mut lost,
        )
        .unwrap();
        assert_eq!(ids, ["3", "1", "4"]);
        assert_eq!(lost.len(), 2);
    }
}
