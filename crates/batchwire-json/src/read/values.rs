//! Typed readers of single values: strings (borrowed or shared from the input), booleans,
//! status codes, methods and header sections, and the checks of counts and sizes against the
//! limits.

use std::borrow::Cow;

use batchwire_core::{Header, Headers, ParseError, ParseErrorKind as K, ToleranceKind};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::value::RawValue;

use super::{At, Object, Path, Reader, Str, is_null, is_string};
use crate::method::Methods;

impl<'a> Reader<'a> {
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
}
