//! The code and message of an error response, read from the error bodies the formats
//! document, and the delay a throttled response asks for.

use std::time::{Duration, SystemTime};

use batchwire_core::SubResponse;
use serde_json::Value;

/// What an error body says: its code and message, where the body has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The service's error code (`BadRequest`, `INVALID_FIELD`, a Meta numeric code as text).
    pub code: Option<String>,
    /// The human-readable message.
    pub message: Option<String>,
}

impl ErrorInfo {
    /// The code and message of a JSON error body of any documented shape, or `None` when
    /// the body is not one:
    ///
    /// | shape | formats |
    /// |---|---|
    /// | `{"error": {"code": …, "message": …}}` (the message may be `{"value": …}`) | OData (V4 JSON, V2/V3 `message.value`), Microsoft Graph, Meta (numeric `code`) |
    /// | `[{"errorCode": …, "message": …}, …]` (the first one) | Salesforce |
    /// | `{"errors": [{"message": …, "error": …}, …]}` (the first one) | Asana, Salesforce sObject results |
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire_client::ErrorInfo;
    ///
    /// let odata = ErrorInfo::of_body(br#"{"error":{"code":"404","message":"Not found"}}"#).unwrap();
    /// assert_eq!((odata.code.as_deref(), odata.message.as_deref()), (Some("404"), Some("Not found")));
    /// let sf = ErrorInfo::of_body(br#"[{"errorCode":"PROCESSING_HALTED","message":"halted"}]"#).unwrap();
    /// assert_eq!(sf.code.as_deref(), Some("PROCESSING_HALTED"));
    /// assert!(ErrorInfo::of_body(b"<html>").is_none());
    /// ```
    pub fn of_body(body: &[u8]) -> Option<ErrorInfo> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let first_of = |v: &Value| v.as_array().and_then(|a| a.first()).cloned();
        let entry = match value.get("error").filter(|e| e.is_object()) {
            Some(error) => error.clone(),
            None => first_of(&value).or_else(|| value.get("errors").and_then(first_of))?,
        };
        let text = |v: Option<&Value>| -> Option<String> {
            match v? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                // OData V2/V3: `"message": {"lang": "en", "value": "..."}`.
                Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            }
        };
        let info = ErrorInfo {
            code: text(entry.get("code"))
                .or_else(|| text(entry.get("errorCode")))
                .or_else(|| text(entry.get("statusCode"))),
            message: text(entry.get("message")).or_else(|| text(entry.get("error"))),
        };
        (info.code.is_some() || info.message.is_some()).then_some(info)
    }

    /// The error of a response: its body's, when it is an error body.
    pub fn of(response: &SubResponse) -> Option<ErrorInfo> {
        ErrorInfo::of_body(&response.body)
    }
}

/// The delay a response's `Retry-After` asks for (RFC 9110 10.2.3), read leniently: the
/// header in any case, an integer or decimal number of seconds, or an HTTP-date in the
/// IMF-fixdate form servers send (counted from `now`; a date past is no delay). `None`
/// without the header, for a value that is neither, or for a delay beyond what a `Duration`
/// holds.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use batchwire_client::retry_after;
/// use batchwire_core::SubResponse;
/// use http::StatusCode;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
/// let r = SubResponse::new(StatusCode::TOO_MANY_REQUESTS).with_header("retry-after", "1.5");
/// assert_eq!(retry_after(&r, now), Some(Duration::from_millis(1500)));
/// let r = SubResponse::new(StatusCode::SERVICE_UNAVAILABLE).with_header("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT");
/// assert_eq!(retry_after(&r, now), Some(Duration::from_secs(30)));
/// ```
pub fn retry_after(response: &SubResponse, now: SystemTime) -> Option<Duration> {
    let value = response.headers.get_str("retry-after")?.trim();
    // `delay-seconds = 1*DIGIT`, leniently with a decimal part; no sign, no exponent.
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) && digits(fraction) {
        // A delay past what a `Duration` holds is no delay anyone waits for: none.
        return value
            .parse::<f64>()
            .ok()
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 5.6.7), the form servers send.
fn http_date(text: &str) -> Option<SystemTime> {
    let rest = text.split_once(", ").map_or(text, |(_, rest)| rest);
    let mut parts = rest.split_ascii_whitespace();
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: u64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT"
        || !(1..=31).contains(&day)
        || !(1970..=9999).contains(&year)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let days = days_from_civil(year, month, day)?;
    // Years are at most 9999 here: no overflow.
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (from 1970 on).
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    if year < 1970 {
        return None;
    }
    // Count from March, so that the leap day ends a year (the usual civil-day algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let year_of_era = y % 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn dates_count_days_from_1970() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(
            http_date("Thu, 01 Jan 1970 00:00:10 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(10))
        );
        for bad in [
            "",
            "soon",
            "Thu, 32 Jan 1970 00:00:10 GMT",
            "Thu, 01 Foo 1970 00:00:10 GMT",
            "Thu, 01 Jan 1970 00:00:10 CET",
        ] {
            assert_eq!(http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_takes_any_case_and_refuses_nonsense() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let with = |v: &str| {
            SubResponse::new(StatusCode::TOO_MANY_REQUESTS).with_header("RETRY-AFTER", v.to_owned())
        };
        assert_eq!(retry_after(&with("7"), now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&with(" 0.25 "), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(retry_after(&with("-1"), now), None);
        assert_eq!(retry_after(&with("NaN"), now), None);
        assert_eq!(retry_after(&with("1e3"), now), None);
        assert_eq!(retry_after(&with("99999999999999999999999"), now), None);
        assert_eq!(
            retry_after(&with("Sun, 06 Nov 99999999999999 08:49:37 GMT"), now),
            None
        );
        assert_eq!(
            retry_after(&with("Thu, 01 Jan 1970 00:00:10 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&SubResponse::new(StatusCode::OK), now), None);
    }

    #[test]
    fn error_bodies_of_every_format() {
        let of = |b: &str| ErrorInfo::of_body(b.as_bytes());
        let v2 =
            of(r#"{"error":{"code":"SY/530","message":{"lang":"en","value":"Bad key"}}}"#).unwrap();
        assert_eq!(
            (v2.code.as_deref(), v2.message.as_deref()),
            (Some("SY/530"), Some("Bad key"))
        );
        let meta =
            of(r#"{"error":{"message":"Invalid token","type":"OAuthException","code":190}}"#)
                .unwrap();
        assert_eq!(meta.code.as_deref(), Some("190"));
        let asana = of(r#"{"errors":[{"message":"task: Not a valid task","help":"…"}]}"#).unwrap();
        assert_eq!(
            (asana.code, asana.message.as_deref()),
            (None, Some("task: Not a valid task"))
        );
        assert_eq!(of(r#"{"value":[]}"#), None);
        assert_eq!(of("[]"), None);
        assert_eq!(of(r#"{"error":"x"}"#), None);
    }
}
