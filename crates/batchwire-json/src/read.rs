//! The reading layer every format shares: JSON objects as ordered members with raw values,
//! typed accessors whose errors carry the byte offset and JSON Pointer of the fault, and the
//! tolerances of lenient mode.
//!
//! Each level of a document is read as a list of members whose values stay `&RawValue`
//! slices of the input; a format then reads the members it knows, one level at a time. So
//! every value has an exact byte offset (its slice's place in the input), bodies are never
//! parsed beyond the syntax check, and member names are compared after unescaping.

use std::borrow::Cow;
use std::fmt;

use batchwire_core::{
    Header, Headers, Limits, MessageKind, ParseError, ParseErrorKind as K, Tolerance, ToleranceKind,
};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::method::Methods;
use crate::reference::{Reference, References};

/// Members kept of an object other than a header object, however low
/// [`Limits::max_headers`] is set: every format defines fewer members than this for any of
/// its objects, so a lowered header limit never refuses an operation for its own members.
pub(crate) const MIN_MEMBERS: usize = 256;

/// A JSON string, borrowed from the input when it holds no escape.
#[derive(Debug)]
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Str<'de>, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// The members of one JSON object, names unescaped and values raw, in wire order: the first
/// `keep` of them (of those named in `only`, when given), and how many such there are in all.
/// The rest are skipped, not stored, so a hostile object costs no memory.
struct Members<'a> {
    kept: Vec<(Str<'a>, &'a RawValue)>,
    count: usize,
}

/// Reads an object keeping at most `keep` members, and only those named in `only` if given.
struct MembersSeed<'s> {
    keep: usize,
    only: Option<&'s [&'s str]>,
}

impl<'de> de::DeserializeSeed<'de> for MembersSeed<'_> {
    type Value = Members<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Members<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MembersSeed<'_> {
    type Value = Members<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut kept = Vec::with_capacity(map.size_hint().unwrap_or(8).min(self.keep));
        let mut count = 0;
        while let Some(name) = map.next_key::<Str<'de>>()? {
            if self
                .only
                .is_some_and(|only| !only.contains(&name.0.as_ref()))
            {
                map.next_value::<de::IgnoredAny>()?;
                continue;
            }
            count += 1;
            if kept.len() < self.keep {
                let value = map.next_value::<&'de RawValue>()?;
                kept.push((name, value));
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(Members { kept, count })
    }
}

fn members<'a>(
    text: &'a str,
    keep: usize,
    only: Option<&[&str]>,
) -> Result<Members<'a>, serde_json::Error> {
    use de::DeserializeSeed as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = MembersSeed { keep, only }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(members)
}

/// The elements of one JSON array, raw: the first `keep` of them, and how many there are
/// in all. The rest are skipped, not stored, so a hostile array costs no memory.
struct Elements<'a> {
    kept: Vec<&'a RawValue>,
    count: usize,
}

/// Reads an array keeping at most `keep` elements.
struct ElementsSeed {
    keep: usize,
}

impl<'de> de::DeserializeSeed<'de> for ElementsSeed {
    type Value = Elements<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Elements<'de>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ElementsSeed {
    type Value = Elements<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Elements<'de>, A::Error> {
        let mut kept = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(self.keep));
        let mut count = 0;
        while count < self.keep {
            let Some(value) = seq.next_element::<&'de RawValue>()? else {
                return Ok(Elements { kept, count });
            };
            kept.push(value);
            count += 1;
        }
        while seq.next_element::<de::IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(Elements { kept, count })
    }
}

fn elements(text: &str, keep: usize) -> Result<Elements<'_>, serde_json::Error> {
    use de::DeserializeSeed as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let elements = ElementsSeed { keep }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(elements)
}

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

    /// Takes the required `method` member of `object` and reads it by the format's table.
    pub(crate) fn take_method(
        &self,
        object: &mut Object<'a>,
        path: &Path<'_>,
        methods: &Methods,
    ) -> Result<Method, ParseError> {
        let raw = object
            .take("method")
            .ok_or_else(|| self.missing(object, path, "method", "the HTTP method"))?;
        self.method(raw, &path.key("method"), methods)
    }

    /// Reads `raw` as a method the format allows.
    pub(crate) fn method(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        methods: &Methods,
    ) -> Result<Method, ParseError> {
        let text = self.string(raw, path)?;
        methods
            .read(&text)
            .ok_or_else(|| self.expected(raw, path, &methods.expected()))
    }

    /// Reads `raw` as an object, rejecting a member name given twice.
    ///
    /// No object of a batch document holds more members than a header section holds fields
    /// ([`Limits::max_headers`], or [`MIN_MEMBERS`] when that is lower): an operation has a
    /// handful of members, and extension members are few. Members past the limit are
    /// counted, never stored, so a hostile object costs no memory.
    ///
    /// # Errors
    ///
    /// [`K::LimitExceeded`] at the object, giving the number of members, when there are more.
    pub(crate) fn object(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Object<'a>, ParseError> {
        let (object, count) = self.object_counted(raw, path, self.max_members(), None)?;
        self.check_member_count(count, object.offset, path)?;
        Ok(object)
    }

    /// The most members an object other than a header object may hold.
    fn max_members(&self) -> usize {
        self.limits.max_headers.max(MIN_MEMBERS)
    }

    /// Reads the members of `raw` named in `names`, and only them: for a record that is kept
    /// whole as a body (an sObject Tree result, an sObject Collections record), of which a
    /// format reads a member or two. Other members are not stored, not counted and not
    /// checked for repeats, as in any other body.
    pub(crate) fn fields(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        names: &[&str],
    ) -> Result<Object<'a>, ParseError> {
        // Past the limit, one of `names` is given twice, which `object_from` rejects.
        self.object_counted(raw, path, MIN_MEMBERS, Some(names))
            .map(|(object, _)| object)
    }

    /// Reads `raw` as an object, keeping at most `keep` members; the number of members comes
    /// with it.
    fn object_counted(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        keep: usize,
        only: Option<&[&str]>,
    ) -> Result<(Object<'a>, usize), ParseError> {
        if !raw.get().starts_with('{') {
            return Err(self.expected(raw, path, "an object"));
        }
        let members = members(raw.get(), keep, only)
            .map_err(|e| self.syntax(self.offset(raw), raw.get(), &e))?;
        let count = members.count;
        Ok((self.object_from(self.offset(raw), members, path)?, count))
    }

    fn check_member_count(
        &self,
        count: usize,
        offset: usize,
        path: &Path<'_>,
    ) -> Result<(), ParseError> {
        let max = self.max_members();
        if count > max {
            return Err(self.error_at_offset(
                K::LimitExceeded,
                offset,
                format!(
                    "expected at most {max} members in the object {} (the limit on headers), found {count}",
                    At(path)
                ),
            ));
        }
        Ok(())
    }

    fn object_from(
        &self,
        offset: usize,
        members: Members<'a>,
        path: &Path<'_>,
    ) -> Result<Object<'a>, ParseError> {
        let members = members.kept;
        // serde_json keeps the last of two equal names without a word; I-JSON (RFC 7493),
        // which the OData 4.02 text adopts, forbids them. Objects here are small, so a
        // quadratic scan beats hashing until they are not.
        if members.len() <= 32 {
            for (i, (name, value)) in members.iter().enumerate() {
                if let Some((_, first)) = members[..i].iter().find(|(n, _)| n.0 == name.0) {
                    return Err(self.duplicate_member(path, &name.0, value, first));
                }
            }
        } else {
            let mut seen = std::collections::HashMap::with_capacity(members.len());
            for (name, value) in &members {
                if let Some(first) = seen.insert(name.0.as_ref(), *value) {
                    return Err(self.duplicate_member(path, &name.0, value, first));
                }
            }
        }
        Ok(Object {
            offset,
            members: members.into_iter().map(|(n, v)| (n, v, false)).collect(),
        })
    }

    fn duplicate_member(
        &self,
        path: &Path<'_>,
        name: &str,
        value: &RawValue,
        first: &RawValue,
    ) -> ParseError {
        let at = path.key(name);
        self.error_at(
            K::DuplicateMember,
            value,
            format!(
                "expected each member name once in an object, found \"{name}\" again {} (first at byte {})",
                At(&at),
                self.offset(first)
            ),
        )
    }

    /// Reads `raw` as an array.
    pub(crate) fn array(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Vec<&'a RawValue>, ParseError> {
        let elements = self.elements(raw, path, self.limits.max_parts)?;
        self.bounded(elements, self.offset(raw))
    }

    /// Reads `raw` as an array, keeping at most `keep` elements.
    fn elements(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        keep: usize,
    ) -> Result<Elements<'a>, ParseError> {
        if !raw.get().starts_with('[') {
            return Err(self.expected(raw, path, "an array"));
        }
        elements(raw.get(), keep).map_err(|e| self.syntax(self.offset(raw), raw.get(), &e))
    }

    /// No array of a batch document holds more elements than a batch holds operations.
    fn bounded(
        &self,
        elements: Elements<'a>,
        offset: usize,
    ) -> Result<Vec<&'a RawValue>, ParseError> {
        if elements.count > elements.kept.len() {
            return Err(ParseError::new(
                K::LimitExceeded,
                self.input,
                offset,
                format!(
                    "expected an array of at most {} elements (the limit on operations), found {}",
                    self.limits.max_parts, elements.count
                ),
            ));
        }
        Ok(elements.kept)
    }

    /// Reads `raw` as a string, borrowed when it has no escapes.
    pub(crate) fn string(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Cow<'a, str>, ParseError> {
        if !is_string(raw) {
            return Err(self.expected(raw, path, "a string"));
        }
        let value: Str<'a> = serde_json::from_str(raw.get())
            .map_err(|e| self.syntax(self.offset(raw), raw.get(), &e))?;
        Ok(value.0)
    }

    /// Reads `raw` as a string and hands it out as a slice of the input when it has no
    /// escapes, a copy otherwise.
    pub(crate) fn string_bytes(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Bytes, ParseError> {
        Ok(self.share(self.string(raw, path)?))
    }

    /// Text read from the input as a `Bytes`: a slice when borrowed, a copy when owned.
    pub(crate) fn share(&self, text: Cow<'a, str>) -> Bytes {
        match text {
            Cow::Borrowed(s) => self.slice(s.as_bytes()),
            Cow::Owned(s) => Bytes::from(s),
        }
    }

    /// The raw JSON text of `raw`, as a slice of the input.
    pub(crate) fn raw_bytes(&self, raw: &'a RawValue) -> Bytes {
        self.slice(raw.get().as_bytes())
    }

    /// A part of the input as a `Bytes`: a slice of the shared buffer, no copy.
    fn slice(&self, part: &'a [u8]) -> Bytes {
        match self.shared {
            Some(shared) => shared.slice_ref(part),
            None => Bytes::copy_from_slice(part),
        }
    }

    /// Reads `raw` as a boolean.
    pub(crate) fn boolean(&self, raw: &RawValue, path: &Path<'_>) -> Result<bool, ParseError> {
        match raw.get() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.expected(raw, path, "true or false")),
        }
    }

    /// Reads `raw` as an optional boolean: `null` or absent is `None`.
    pub(crate) fn opt_boolean(
        &self,
        raw: Option<&RawValue>,
        path: &Path<'_>,
    ) -> Result<Option<bool>, ParseError> {
        match raw {
            None => Ok(None),
            Some(raw) if is_null(raw) => Ok(None),
            Some(raw) => self.boolean(raw, path).map(Some),
        }
    }

    /// Reads `raw` as an HTTP status code: a JSON integer from 100 to 999; a numeric string
    /// is coerced in lenient mode.
    pub(crate) fn status(
        &mut self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<StatusCode, ParseError> {
        let digits = if is_string(raw) {
            let text = self.string(raw, path)?;
            if !text.bytes().all(|b| b.is_ascii_digit()) || text.is_empty() {
                return Err(self.expected(raw, path, "a status code number"));
            }
            self.tolerate(ToleranceKind::ValueCoerced, raw, |r| {
                r.expected(raw, path, "a status code number")
            })?;
            text
        } else {
            Cow::Borrowed(raw.get())
        };
        digits
            .parse::<u16>()
            .ok()
            .and_then(|n| StatusCode::from_u16(n).ok())
            .ok_or_else(|| self.expected(raw, path, "a status code from 100 to 999"))
    }

    /// Reads an object of header names to string values; a number or boolean value is
    /// coerced to its text in lenient mode (odata.net accepts any primitive there).
    pub(crate) fn header_object(
        &mut self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Headers, ParseError> {
        if is_null(raw) {
            return Ok(Headers::new());
        }
        let (object, count) = self.object_counted(raw, path, self.limits.max_headers, None)?;
        self.check_header_count(count, raw)?;
        let mut headers = Headers::with_capacity(object.members.len());
        for (name, value, _) in &object.members {
            let value = *value;
            let at = path.key(&name.0);
            let value = if is_string(value) {
                self.string_bytes(value, &at)?
            } else if matches!(
                value.get().as_bytes().first(),
                Some(b'-' | b'0'..=b'9' | b't' | b'f')
            ) {
                self.tolerate(ToleranceKind::ValueCoerced, value, |r| {
                    r.expected(value, &at, "a string header value")
                })?;
                self.raw_bytes(value)
            } else {
                return Err(self.expected(value, &at, "a string header value"));
            };
            let name = match &name.0 {
                Cow::Borrowed(n) => self.slice(n.as_bytes()),
                Cow::Owned(n) => Bytes::copy_from_slice(n.as_bytes()),
            };
            headers.push(Header::new(name, value));
        }
        Ok(headers)
    }

    /// Reads an array of `{"name": ..., "value": ...}` header objects (Meta Graph).
    pub(crate) fn header_array(
        &mut self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Headers, ParseError> {
        if is_null(raw) {
            return Ok(Headers::new());
        }
        let elements = self.elements(raw, path, self.limits.max_headers)?;
        self.check_header_count(elements.count, raw)?;
        let mut headers = Headers::with_capacity(elements.kept.len());
        for (i, element) in elements.kept.into_iter().enumerate() {
            let at = path.index(i);
            let mut object = self.object(element, &at)?;
            let name = object
                .take("name")
                .ok_or_else(|| self.missing(&object, &at, "name", "the header name"))?;
            let value = object
                .take("value")
                .ok_or_else(|| self.missing(&object, &at, "value", "the header value"))?;
            if let Some((other, raw)) = object.rest().next() {
                return Err(self.error_at(
                    K::UnknownMember,
                    raw,
                    format!(
                        "expected only \"name\" and \"value\" in a header {}, found \"{other}\"",
                        At(&at)
                    ),
                ));
            }
            let name = self.string_bytes(name, &at.key("name"))?;
            let value = self.string_bytes(value, &at.key("value"))?;
            headers.push(Header::new(name, value));
        }
        Ok(headers)
    }

    fn check_header_count(&self, count: usize, raw: &RawValue) -> Result<(), ParseError> {
        if count > self.limits.max_headers {
            return Err(self.error_at(
                K::LimitExceeded,
                raw,
                format!(
                    "expected at most {} headers, found {count}",
                    self.limits.max_headers
                ),
            ));
        }
        Ok(())
    }

    /// Fails when a batch holds more operations than the limits allow.
    pub(crate) fn check_operation_count(
        &self,
        count: usize,
        raw: &RawValue,
    ) -> Result<(), ParseError> {
        if count > self.limits.max_parts {
            return Err(self.error_at(
                K::LimitExceeded,
                raw,
                format!(
                    "expected at most {} operations (the limit), found {count}",
                    self.limits.max_parts
                ),
            ));
        }
        Ok(())
    }

    /// Checks a format's own bound on operations: an error in strict mode, a tolerance
    /// otherwise.
    pub(crate) fn check_format_count(
        &mut self,
        count: usize,
        max: usize,
        format: &str,
        raw: &RawValue,
    ) -> Result<(), ParseError> {
        if count > max {
            self.tolerate(ToleranceKind::TooManyOperations, raw, |r| {
                r.error_at(
                    K::LimitExceeded,
                    raw,
                    format!(
                        "expected at most {max} operations in one {format} batch, found {count}"
                    ),
                )
            })?;
        }
        Ok(())
    }

    /// Fails when a body is larger than the limits allow.
    pub(crate) fn check_body(&self, body: &Bytes, raw: &RawValue) -> Result<(), ParseError> {
        self.check_body_len(body.len(), raw)
    }

    /// Fails when a body of `len` bytes is larger than the limits allow.
    pub(crate) fn check_body_len(&self, len: usize, raw: &RawValue) -> Result<(), ParseError> {
        if len > self.limits.max_body_bytes {
            return Err(self.error_at(
                K::LimitExceeded,
                raw,
                format!(
                    "expected a body of at most {} bytes, found {}",
                    self.limits.max_body_bytes, len
                ),
            ));
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
