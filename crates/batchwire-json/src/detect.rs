//! Telling the JSON batch formats apart by the content type and the payload's top-level
//! members.

use serde_json::value::RawValue;

use crate::JsonFormat;
use crate::read::{Object, Path, Reader, Top, is_null};

/// Guesses the JSON batch format of a payload from its Content-Type and its top-level
/// members.
///
/// | top level | format |
/// |---|---|
/// | `requests` or `responses` | [`JsonFormat::OdataJson`] (Graph's `$batch` has the same shape) |
/// | `compositeRequest` or `compositeResponse` | [`JsonFormat::SalesforceComposite`] |
/// | `batchRequests`, or `hasErrors` and `results` of `{statusCode, result}` | [`JsonFormat::SalesforceCompositeBatch`] |
/// | `graphs` | [`JsonFormat::SalesforceCompositeGraph`] |
/// | `hasErrors` and `results` of `{referenceId, ...}` | [`JsonFormat::SalesforceSObjectTree`] |
/// | `data` with `actions`, or `data` an array | [`JsonFormat::Asana`] |
/// | an array of `{method, relative_url}` or `{code, ...}` (or `null`) | [`JsonFormat::MetaGraph`] |
/// | an array of `{success, errors}` save results | [`JsonFormat::SalesforceSObjectCollections`] |
///
/// A payload that is not JSON, or whose members match no format, is `None` — unless the
/// Content-Type says JSON, in which case it is `OdataJson`, so that the decoder reports what
/// is wrong. A `multipart/*` Content-Type is always `None`.
///
/// # Examples
///
/// ```
/// use batchwire_json::{detect, JsonFormat};
///
/// assert_eq!(detect(None, br#"{"requests":[]}"#), Some(JsonFormat::OdataJson));
/// assert_eq!(detect(None, br#"{"allOrNone":true,"compositeRequest":[]}"#), Some(JsonFormat::SalesforceComposite));
/// assert_eq!(detect(None, br#"{"data":{"actions":[]}}"#), Some(JsonFormat::Asana));
/// assert_eq!(detect(None, br#"[{"method":"GET","relative_url":"me"}]"#), Some(JsonFormat::MetaGraph));
/// assert_eq!(detect(Some(b"application/json"), b"{\"requests\":["), Some(JsonFormat::OdataJson));
/// assert_eq!(detect(Some(b"multipart/mixed; boundary=b"), b"{}"), None);
/// assert_eq!(detect(None, b"--batch"), None);
/// ```
pub fn detect(content_type: Option<&[u8]>, payload: &[u8]) -> Option<JsonFormat> {
    let says_json = match content_type {
        Some(ct) => {
            let essence = ct
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if essence.len() >= 10 && essence[..10].eq_ignore_ascii_case(b"multipart/") {
                return None;
            }
            crate::body::media_kind_of(ct) == crate::body::MediaKind::Json
        }
        None => false,
    };
    let fallback = says_json.then_some(JsonFormat::OdataJson);
    let Ok(r) = Reader::borrowed(payload, false, batchwire_core::Limits::default()) else {
        return fallback;
    };
    match r.top() {
        Ok(Top::Object(object)) => from_members(&r, &object).or(fallback),
        Ok(Top::Array(elements)) => from_elements(&r, &elements).or(fallback),
        Err(_) => fallback,
    }
}

fn from_members(r: &Reader<'_>, top: &Object<'_>) -> Option<JsonFormat> {
    if top.has("requests") || top.has("responses") {
        return Some(JsonFormat::OdataJson);
    }
    if top.has("compositeRequest") || top.has("compositeResponse") {
        return Some(JsonFormat::SalesforceComposite);
    }
    if top.has("batchRequests") {
        return Some(JsonFormat::SalesforceCompositeBatch);
    }
    if top.has("graphs") {
        return Some(JsonFormat::SalesforceCompositeGraph);
    }
    let member = |name: &str| top.members().find(|(n, _)| *n == name).map(|(_, v)| v);
    if let Some(results) = member("results") {
        let first = r
            .array(results, &Path::Root)
            .ok()
            .and_then(|e| e.into_iter().next())
            .and_then(|e| r.fields(e, &Path::Root, &["referenceId"]).ok());
        return match first {
            Some(first) if first.has("referenceId") => Some(JsonFormat::SalesforceSObjectTree),
            _ if top.has("hasErrors") => Some(JsonFormat::SalesforceCompositeBatch),
            _ => None,
        };
    }
    if let Some(data) = member("data") {
        if data.get().starts_with('[') {
            return Some(JsonFormat::Asana);
        }
        if let Ok(envelope) = r.fields(data, &Path::Root, &["actions"])
            && envelope.has("actions")
        {
            return Some(JsonFormat::Asana);
        }
    }
    None
}

fn from_elements(r: &Reader<'_>, elements: &[&RawValue]) -> Option<JsonFormat> {
    let first = elements.iter().find(|e| !is_null(e))?;
    // A record may have many fields: only the telling ones are read.
    let object = r
        .fields(
            first,
            &Path::Root,
            &["relative_url", "code", "success", "errors", "attributes"],
        )
        .ok()?;
    if object.has("relative_url") || object.has("code") {
        Some(JsonFormat::MetaGraph)
    } else if object.has("success") || object.has("errors") || object.has("attributes") {
        Some(JsonFormat::SalesforceSObjectCollections)
    } else {
        None
    }
}
