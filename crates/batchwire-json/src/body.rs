//! Bodies inside JSON: a JSON value, a text string or a base64 string, chosen by the media
//! type (OData JSON Format 4.01, section 19), both ways.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use batchwire_core::{Headers, ParseError, ParseErrorKind as K, ToleranceKind};
use bytes::Bytes;
use serde_json::value::RawValue;

use crate::read::{At, Path, Reader, Shown, is_null, is_string};

/// How a media type puts a body into JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MediaKind {
    /// `application/json`, its `+json` relatives, or no media type at all: the JSON value.
    Json,
    /// `text/*`: a JSON string holding the text.
    Text,
    /// Anything else: a JSON string holding base64url.
    Binary,
}

/// Which base64 alphabets a format's bodies are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alphabets {
    /// base64url only (OData JSON): the standard alphabet is a tolerance.
    Url,
    /// base64url or the standard alphabet (Microsoft Graph, whose SDKs write the latter).
    UrlOrStandard,
}

/// The kind of the media type in the first `Content-Type` of `headers`.
pub(crate) fn media_kind(headers: &Headers) -> MediaKind {
    headers
        .get("content-type")
        .map_or(MediaKind::Json, media_kind_of)
}

/// The kind of a `Content-Type` value; parameters are ignored.
pub(crate) fn media_kind_of(value: &[u8]) -> MediaKind {
    let essence = value.split(|&b| b == b';').next().unwrap_or_default();
    let essence = essence.trim_ascii();
    let Some(slash) = essence.iter().position(|&b| b == b'/') else {
        return MediaKind::Binary;
    };
    let (top, sub) = (&essence[..slash], &essence[slash + 1..]);
    if top.eq_ignore_ascii_case(b"text") {
        MediaKind::Text
    } else if top.eq_ignore_ascii_case(b"application")
        && (sub.eq_ignore_ascii_case(b"json")
            || (sub.len() >= 5 && sub[sub.len() - 5..].eq_ignore_ascii_case(b"+json")))
    {
        MediaKind::Json
    } else {
        MediaKind::Binary
    }
}

/// Padded base64url, the form writers use (RFC 4648 section 5).
const URL_SAFE_PADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(true),
);

/// Readers take padding or none (OData's ABNF makes it optional), in either alphabet (Graph
/// SDKs write standard base64).
const READ_CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE_READ: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, READ_CONFIG);
const STANDARD_READ: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, READ_CONFIG);

/// `bytes` as padded base64url.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_PADDED.encode(bytes)
}

impl<'a> Reader<'a> {
    /// Reads an OData-style `body` whose encoding the media type decides.
    ///
    /// `null` is no body. An object, array, number or boolean is JSON whatever the label
    /// says, so its text is the body (a slice of the input). A string is the JSON text itself
    /// under a JSON media type (or none), its unescaped text under `text/*`, and base64 in
    /// one of `alphabets`, padded or not, under anything else.
    pub(crate) fn body_by_media(
        &mut self,
        raw: &'a RawValue,
        kind: MediaKind,
        alphabets: Alphabets,
        path: &Path<'_>,
    ) -> Result<Bytes, ParseError> {
        let body = if is_null(raw) {
            Bytes::new()
        } else if !is_string(raw) {
            self.raw_bytes(raw)
        } else {
            match kind {
                MediaKind::Json => self.raw_bytes(raw),
                MediaKind::Text => self.string_bytes(raw, path)?,
                MediaKind::Binary => self.base64(raw, alphabets, path)?,
            }
        };
        self.check_body(&body, raw)?;
        Ok(body)
    }

    /// Reads any JSON value as a body: its text, `null` being none (Salesforce, Asana).
    pub(crate) fn body_json(&mut self, raw: &'a RawValue) -> Result<Bytes, ParseError> {
        let body = if is_null(raw) {
            Bytes::new()
        } else {
            self.raw_bytes(raw)
        };
        self.check_body(&body, raw)?;
        Ok(body)
    }

    /// Reads a string of base64 in either alphabet, padded or not (RFC 4648 section 3.2 lets
    /// a format drop the padding, and OData's ABNF does); the standard alphabet is a tolerance
    /// unless `alphabets` takes it.
    fn base64(
        &mut self,
        raw: &'a RawValue,
        alphabets: Alphabets,
        path: &Path<'_>,
    ) -> Result<Bytes, ParseError> {
        let text = self.string(raw, path)?;
        let standard = text.bytes().any(|b| b == b'+' || b == b'/');
        let url = text.bytes().any(|b| b == b'-' || b == b'_');
        let decoded = if standard && url {
            None
        } else if standard {
            STANDARD_READ.decode(text.as_bytes()).ok()
        } else {
            URL_SAFE_READ.decode(text.as_bytes()).ok()
        };
        let Some(decoded) = decoded else {
            return Err(self.error_at(
                K::Json,
                raw,
                format!(
                    "expected base64url for a body that is neither JSON nor text {}, found {}",
                    At(path),
                    Shown(raw.get())
                ),
            ));
        };
        if standard && alphabets == Alphabets::Url {
            self.tolerate(ToleranceKind::NonCanonicalBase64, raw, |r| {
                r.error_at(
                    K::Json,
                    raw,
                    format!(
                        "expected base64url {}, found the standard base64 alphabet",
                        At(path)
                    ),
                )
            })?;
        }
        Ok(Bytes::from(decoded))
    }
}

/// Whether `body` is one JSON value (surrounding whitespace allowed), so it can be embedded
/// verbatim.
pub(crate) fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<&RawValue>(body).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_kinds_follow_the_odata_table() {
        assert_eq!(media_kind_of(b"application/json"), MediaKind::Json);
        assert_eq!(
            media_kind_of(b"Application/JSON;odata.metadata=minimal"),
            MediaKind::Json
        );
        assert_eq!(media_kind_of(b"application/problem+json"), MediaKind::Json);
        assert_eq!(media_kind_of(b"text/plain; charset=utf-8"), MediaKind::Text);
        assert_eq!(media_kind_of(b"image/png"), MediaKind::Binary);
        assert_eq!(media_kind_of(b"nonsense"), MediaKind::Binary);
    }

    #[test]
    fn base64url_is_padded() {
        assert_eq!(base64url(b"\xfb\xff"), "-_8=");
    }
}
