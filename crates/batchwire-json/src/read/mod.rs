//! The reading layer every format shares: JSON objects as ordered members with raw values,
//! typed accessors whose errors carry the byte offset and JSON Pointer of the fault, and the
//! tolerances of lenient mode.
//!
//! Each level of a document is read as a list of members whose values stay `&RawValue`
//! slices of the input; a format then reads the members it knows, one level at a time. So
//! every value has an exact byte offset (its slice's place in the input), bodies are never
//! parsed beyond the syntax check, and member names are compared after unescaping.
//!
//! Here are the reader itself, paths, errors, tolerances and references; `scan` reads one
//! object or array at a time within the limits, and `values` reads typed values.

use std::fmt;

use batchwire_core::{
    Extra, Limits, MessageKind, ParseError, ParseErrorKind as K, Tolerance, ToleranceKind,
};
use bytes::Bytes;
use serde::de::{self, Deserialize};
use serde_json::value::RawValue;

use crate::reference::{Reference, References};

mod scan;
mod values;

use scan::{Str, elements, members};

/// Members kept of an object other than a header object, however low
/// [`Limits::max_headers`] is set: every format defines fewer members than this for any of
/// its objects, so a lowered header limit never refuses an operation for its own members.
pub(crate) const MIN_MEMBERS: usize = 256;

/// Where a value sits in the document, as a chain of JSON Pointer steps; rendered only when
/// an error needs it, so reading costs no allocation for it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'p> {
    /// The whole document.
    Root,
    /// A member of the object at the parent path.
    Key(&'p Path<'p>, &'p str),
    /// An element of the array at the parent path.
    Index(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    /// The path of member `name` below this one.
    pub(crate) fn key(&'p self, name: &'p str) -> Path<'p> {
        Path::Key(self, name)
    }

    /// The path of element `index` below this one.
    pub(crate) fn index(&'p self, index: usize) -> Path<'p> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    /// RFC 6901: `~` is written `~0` and `/` is written `~1`; the root is "".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, name) => {
                write!(f, "{parent}/")?;
                for c in name.chars() {
                    match c {
                        '~' => f.write_str("~0")?,
                        '/' => f.write_str("~1")?,
                        c => write!(f, "{c}")?,
                    }
                }
                Ok(())
            }
            Path::Index(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

/// `at /requests/1/id`, or `at the top level` for the root.
pub(crate) struct At<'a, 'p>(pub(crate) &'a Path<'p>);

impl fmt::Display for At<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Path::Root => f.write_str("at the top level"),
            path => write!(f, "at {path}"),
        }
    }
}

/// Shows a JSON value in a message: its text, cut after 32 bytes.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 32;
        let text = self.0;
        if text.len() <= SHOWN {
            return f.write_str(text);
        }
        let mut end = SHOWN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{}...", &text[..end])
    }
}

/// The JSON type of a raw value, from its first byte.
pub(crate) fn type_name(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// Whether a raw value is `null`.
pub(crate) fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// Whether a raw value is a string.
pub(crate) fn is_string(raw: &RawValue) -> bool {
    raw.get().starts_with('"')
}

/// One JSON object read for its members; [`Object::take`] hands out the ones a format
/// knows, [`Object::rest`] the others.
#[derive(Debug)]
pub(crate) struct Object<'a> {
    /// Where the object starts in the input, for errors about it as a whole.
    pub(crate) offset: usize,
    members: Vec<(Str<'a>, &'a RawValue, bool)>,
}

impl<'a> Object<'a> {
    /// The value of member `name` (matched exactly after unescaping), marked as known.
    pub(crate) fn take(&mut self, name: &str) -> Option<&'a RawValue> {
        let member = self.members.iter_mut().find(|(n, _, _)| n.0 == name)?;
        member.2 = true;
        Some(member.1)
    }

    /// Whether member `name` is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.members.iter().any(|(n, _, _)| n.0 == name)
    }

    /// The members not taken, in wire order.
    pub(crate) fn rest(&self) -> impl Iterator<Item = (&str, &'a RawValue)> {
        self.members
            .iter()
            .filter(|(_, _, taken)| !taken)
            .map(|(n, v, _)| (n.0.as_ref(), *v))
    }

    /// The members in wire order.
    pub(crate) fn members(&self) -> impl Iterator<Item = (&str, &'a RawValue)> {
        self.members.iter().map(|(n, v, _)| (n.0.as_ref(), *v))
    }
}

/// A text of one operation to look for references in: its URL or its body.
#[derive(Debug)]
pub(crate) struct Scanned<'t, 'a> {
    /// The text.
    pub(crate) text: &'t str,
    /// Where the text's first byte is in the input, when the text is the input's own bytes
    /// (raw JSON, or a JSON string without escapes); otherwise references are located at
    /// `raw`.
    pub(crate) base: Option<usize>,
    /// The member's value.
    pub(crate) raw: &'a RawValue,
    /// The member's name.
    pub(crate) member: &'static str,
}

/// A format's references: how to find them, and how messages describe them.
#[derive(Debug)]
pub(crate) struct ReferenceSyntax {
    /// The scanner.
    pub(crate) scan: fn(&str) -> References<'_>,
    /// A well-formed reference, as messages show it.
    pub(crate) shape: &'static str,
    /// The opener, as messages show it.
    pub(crate) opener: &'static str,
}

/// The shared state of one decode: the input, the mode, and what was tolerated.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    /// The whole input as text.
    pub(crate) text: &'a str,
    /// The whole input, for errors.
    pub(crate) input: &'a [u8],
    /// The whole input as a shared buffer, for slicing bodies out of it; without one (the
    /// format detector's case) values are copied.
    shared: Option<&'a Bytes>,
    /// Strict mode: tolerances are errors.
    pub(crate) strict: bool,
    /// What the caller says the document holds, for documents that cannot say (an empty
    /// Meta array or Composite Graph).
    pub(crate) kind: Option<MessageKind>,
    /// Bounds against hostile input.
    pub(crate) limits: Limits,
    /// Tolerances applied so far, in the order met (sorted into input order at the end).
    pub(crate) tolerated: Vec<Tolerance>,
    /// Where the document says whether it holds requests or responses (the value of
    /// `requests`, the first operation...), for an error when that is not what was asked.
    pub(crate) kind_at: Option<usize>,
}

/// What a document is at its top level.
#[derive(Debug)]
pub(crate) enum Top<'a> {
    /// An object (every format but the array-shaped ones).
    Object(Object<'a>),
    /// An array (Meta Graph, Salesforce sObject Collections responses).
    Array(Vec<&'a RawValue>),
}

impl<'a> Reader<'a> {
    /// A reader of `input`, which must be UTF-8 as RFC 8259 requires.
    pub(crate) fn new(
        input: &'a Bytes,
        strict: bool,
        limits: Limits,
    ) -> Result<Reader<'a>, ParseError> {
        let mut reader = Reader::borrowed(input, strict, limits)?;
        reader.shared = Some(input);
        Ok(reader)
    }

    /// A reader of borrowed bytes, whose values are copied out.
    pub(crate) fn borrowed(
        input: &'a [u8],
        strict: bool,
        limits: Limits,
    ) -> Result<Reader<'a>, ParseError> {
        let text = std::str::from_utf8(input).map_err(|e| {
            ParseError::new(
                K::Json,
                input,
                e.valid_up_to(),
                format!(
                    "expected UTF-8 text (RFC 8259), found the byte 0x{:02x}",
                    input.get(e.valid_up_to()).copied().unwrap_or_default()
                ),
            )
        })?;
        Ok(Reader {
            text,
            input,
            shared: None,
            kind: None,
            strict,
            limits,
            tolerated: Vec::new(),
            kind_at: None,
        })
    }

    /// Reads the top level: an object or an array; anything else, or bad syntax anywhere
    /// in the document, is an error.
    pub(crate) fn top(&self) -> Result<Top<'a>, ParseError> {
        let first = self.text.trim_start_matches([' ', '\t', '\r', '\n']);
        if first.starts_with('[') {
            let offset = self.text.len() - first.len();
            let elements = elements(self.text, self.limits.max_parts)
                .map_err(|e| self.syntax(0, self.text, &e))?;
            return self.bounded(elements, offset).map(Top::Array);
        }
        if !first.starts_with('{') {
            let offset = self.text.len() - first.len();
            let found = if first.is_empty() {
                "end of input".to_owned()
            } else {
                Shown(first).to_string()
            };
            return Err(ParseError::new(
                K::Json,
                self.input,
                offset,
                format!("expected a JSON object or array, found {found}"),
            ));
        }
        let offset = self.text.len() - first.len();
        let members = members(self.text, self.max_members(), None)
            .map_err(|e| self.syntax(0, self.text, &e))?;
        let count = members.count;
        let object = self.object_from(offset, members, &Path::Root)?;
        self.check_member_count(count, offset, &Path::Root)?;
        Ok(Top::Object(object))
    }

    /// Where the top-level value starts: after any leading whitespace.
    pub(crate) fn top_offset(&self) -> usize {
        self.text.len() - self.text.trim_start_matches([' ', '\t', '\r', '\n']).len()
    }

    /// The byte offset of a raw value in the input.
    pub(crate) fn offset(&self, raw: &RawValue) -> usize {
        (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    /// An error of `kind` at the start of `raw`.
    pub(crate) fn error_at(
        &self,
        kind: K,
        raw: &RawValue,
        message: impl Into<String>,
    ) -> ParseError {
        ParseError::new(kind, self.input, self.offset(raw), message)
    }

    /// An error of `kind` at `offset`.
    pub(crate) fn error_at_offset(
        &self,
        kind: K,
        offset: usize,
        message: impl Into<String>,
    ) -> ParseError {
        ParseError::new(kind, self.input, offset, message)
    }

    /// A type error: `expected <expected> at <path>, found <value>`.
    pub(crate) fn expected(&self, raw: &RawValue, path: &Path<'_>, expected: &str) -> ParseError {
        self.error_at(
            K::Json,
            raw,
            format!(
                "expected {expected} {}, found {} {}",
                At(path),
                type_name(raw),
                Shown(raw.get())
            ),
        )
    }

    /// A missing required member of `object`, located at the object.
    pub(crate) fn missing(
        &self,
        object: &Object<'_>,
        path: &Path<'_>,
        name: &str,
        what: &str,
    ) -> ParseError {
        self.error_at_offset(
            K::Json,
            object.offset,
            format!(
                "expected a member \"{name}\" ({what}) in the object {}, found none",
                At(path)
            ),
        )
    }

    /// The first syntax error of the whole input, if it is not one JSON text.
    pub(crate) fn syntax_error(&self) -> Option<ParseError> {
        let mut deserializer = serde_json::Deserializer::from_str(self.text);
        de::IgnoredAny::deserialize(&mut deserializer)
            .and_then(|_| deserializer.end())
            .err()
            .map(|e| self.syntax(0, self.text, &e))
    }

    /// A `serde_json` error inside `text`, which starts at `base` in the input.
    fn syntax(&self, base: usize, text: &str, error: &serde_json::Error) -> ParseError {
        let local = offset_of(text, error.line(), error.column());
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(cut) => &message[..cut],
            None => &message,
        };
        ParseError::new(
            K::Json,
            self.input,
            base + local,
            format!("invalid JSON: {message}"),
        )
    }

    /// Records a tolerance at `raw`, or fails with `error` in strict mode.
    pub(crate) fn tolerate(
        &mut self,
        kind: ToleranceKind,
        raw: &RawValue,
        error: impl FnOnce(&Reader<'a>) -> ParseError,
    ) -> Result<(), ParseError> {
        if self.strict {
            return Err(error(self));
        }
        let offset = self.offset(raw);
        self.tolerated.push(Tolerance { offset, kind });
        Ok(())
    }

    /// Records a tolerance at `offset`, or fails with `error` in strict mode.
    pub(crate) fn tolerate_at(
        &mut self,
        kind: ToleranceKind,
        offset: usize,
        error: impl FnOnce(&Reader<'a>) -> ParseError,
    ) -> Result<(), ParseError> {
        if self.strict {
            return Err(error(self));
        }
        self.tolerated.push(Tolerance { offset, kind });
        Ok(())
    }

    /// Visits the references in the texts of one operation (at `path`) in order, each with
    /// its offset in the input and the path of its member. A malformed one is tolerated, and
    /// in strict mode the first is the error.
    ///
    /// # Errors
    ///
    /// What `visit` returns; a malformed reference in strict mode; and [`K::LimitExceeded`]
    /// at the first reference past [`Limits::max_parts`] in one operation (no operation
    /// refers more often than a batch has operations), giving how many there are. Each
    /// reference costs time only: nothing is stored for it here.
    pub(crate) fn references<'t>(
        &mut self,
        texts: &[Scanned<'t, 'a>],
        syntax: &ReferenceSyntax,
        path: &Path<'_>,
        mut visit: impl FnMut(&Reader<'a>, Reference<'t>, usize, &Path<'_>) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        let max = self.limits.max_parts;
        let mut count = 0usize;
        for (k, scanned) in texts.iter().enumerate() {
            let at = path.key(scanned.member);
            let mut found = (syntax.scan)(scanned.text);
            while let Some(item) = found.next() {
                let local = match item {
                    Ok(reference) => reference.offset,
                    Err(malformed) => malformed.offset,
                };
                let offset = scanned
                    .base
                    .map_or_else(|| self.offset(scanned.raw), |base| base + local);
                count += 1;
                if count > max {
                    let rest: usize = texts[k + 1..]
                        .iter()
                        .map(|t| (syntax.scan)(t.text).count())
                        .sum();
                    let total = count + found.count() + rest;
                    return Err(self.error_at_offset(
                        K::LimitExceeded,
                        offset,
                        format!(
                            "expected at most {max} references in one operation {} (the limit on operations), found {total}",
                            At(path)
                        ),
                    ));
                }
                match item {
                    Ok(reference) => visit(self, reference, offset, &at)?,
                    Err(_) => self.tolerate_at(ToleranceKind::MalformedReference, offset, |r| {
                        r.error_at_offset(
                            K::Semantic,
                            offset,
                            format!(
                                "expected {} {}, found \"{}\" without one",
                                syntax.shape,
                                At(&at),
                                syntax.opener
                            ),
                        )
                    })?,
                }
            }
        }
        Ok(())
    }

    /// A member the format does not define: in strict mode an error when `reject_strict`
    /// (request documents), otherwise kept and reported in lenient mode.
    pub(crate) fn unknown_member(
        &mut self,
        name: &str,
        raw: &RawValue,
        path: &Path<'_>,
        reject_strict: bool,
    ) -> Result<(), ParseError> {
        if self.strict {
            if reject_strict {
                let at = path.key(name);
                return Err(self.error_at(
                    K::UnknownMember,
                    raw,
                    format!(
                        "expected a member the format defines, found \"{name}\" {}",
                        At(&at)
                    ),
                ));
            }
            return Ok(());
        }
        let offset = self.offset(raw);
        self.tolerated.push(Tolerance {
            offset,
            kind: ToleranceKind::UnknownMember,
        });
        Ok(())
    }

    /// Keeps the members of `object` not taken, in wire order and as raw JSON, in `extra`;
    /// each is an unknown member (see [`Reader::unknown_member`]).
    pub(crate) fn keep_rest(
        &mut self,
        object: &Object<'a>,
        path: &Path<'_>,
        request: bool,
        extra: &mut Extra,
    ) -> Result<(), ParseError> {
        self.keep_members(object, path, request, extra, "", |_| false)
    }

    /// As [`Reader::keep_rest`], each kept as `prefix` and its name: for the members of an
    /// envelope or nested object, so that a writer puts them back where they were.
    pub(crate) fn keep_rest_under(
        &mut self,
        prefix: &str,
        object: &Object<'a>,
        path: &Path<'_>,
        request: bool,
        extra: &mut Extra,
    ) -> Result<(), ParseError> {
        self.keep_members(object, path, request, extra, prefix, |_| false)
    }

    /// As [`Reader::keep_rest`], but a member that `defined` accepts (an extension the format
    /// allows, such as an OData annotation) is kept without being reported.
    pub(crate) fn keep_rest_defined(
        &mut self,
        object: &Object<'a>,
        path: &Path<'_>,
        request: bool,
        extra: &mut Extra,
        defined: fn(&str) -> bool,
    ) -> Result<(), ParseError> {
        self.keep_members(object, path, request, extra, "", defined)
    }

    fn keep_members(
        &mut self,
        object: &Object<'a>,
        path: &Path<'_>,
        request: bool,
        extra: &mut Extra,
        prefix: &str,
        defined: fn(&str) -> bool,
    ) -> Result<(), ParseError> {
        for (name, value) in object.rest() {
            if !defined(name) {
                self.unknown_member(name, value, path, request)?;
            }
            extra.push(format!("{prefix}{name}"), self.raw_bytes(value));
        }
        Ok(())
    }

    /// The top level as an object; an array is an error at its start, `expected` naming
    /// what the format wants (`a Salesforce Composite object`).
    pub(crate) fn object_top(
        &self,
        top: Top<'a>,
        expected: impl fmt::Display,
    ) -> Result<Object<'a>, ParseError> {
        match top {
            Top::Object(object) => Ok(object),
            Top::Array(_) => Err(self.error_at_offset(
                K::Json,
                self.top_offset(),
                format!("expected {expected}, found an array"),
            )),
        }
    }

    /// The top level as an array; an object is an error of `kind` at its start, with
    /// `message`.
    pub(crate) fn array_top(
        &self,
        top: Top<'a>,
        kind: K,
        message: &str,
    ) -> Result<Vec<&'a RawValue>, ParseError> {
        match top {
            Top::Array(elements) => Ok(elements),
            Top::Object(object) => Err(self.error_at_offset(kind, object.offset, message)),
        }
    }
}

/// The byte offset in `text` of `serde_json`'s 1-based line and column (column 0 means the
/// start of the line, as `serde_json` reports an error at the end of input).
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_tilde_and_slash() {
        let root = Path::Root;
        let a = root.key("a/b");
        let b = a.index(2);
        let c = b.key("m~n");
        assert_eq!(c.to_string(), "/a~1b/2/m~0n");
        assert_eq!(At(&root).to_string(), "at the top level");
    }

    #[test]
    fn serde_positions_become_offsets() {
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab", 1, 0), 0);
        assert_eq!(offset_of("ab", 9, 9), 2);
    }
}
