//! The `boundary` parameter of a `multipart/mixed` Content-Type (RFC 2045 5.1, RFC 2046
//! 5.1.1, RFC 9110 8.3.1).

use batchwire_core::{Limits, ParseErrorKind, ToleranceKind};
use nom::Parser;

use crate::grammar::{self, is_tchar};

/// The largest boundary RFC 2046 allows.
pub const RFC_MAX_BOUNDARY_LEN: usize = 70;

/// `--boundary`, and the search for it: the vectorised search for its first
/// [`SEARCHED_PREFIX`] bytes, the rest compared at each hit. A needle that short runs the
/// vectorised search alone, where a longer one (boundaries are often 40 to 70 characters)
/// adds a byte-by-byte check of every candidate.
#[derive(Clone, Debug)]
pub(crate) struct DashBoundary {
    dash: Vec<u8>,
    finder: memchr::memmem::Finder<'static>,
}

/// How much of `--boundary` the vectorised search looks for.
const SEARCHED_PREFIX: usize = 32;

/// Where [`DashBoundary::find`] found `--boundary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hit {
    /// All of it, at this offset.
    At(usize),
    /// Its first bytes, at this offset, where the haystack ends before the rest.
    Cut(usize),
}

impl DashBoundary {
    pub(crate) fn new(boundary: &str) -> DashBoundary {
        let mut dash = Vec::with_capacity(boundary.len() + 2);
        dash.extend_from_slice(b"--");
        dash.extend_from_slice(boundary.as_bytes());
        let finder = memchr::memmem::Finder::new(&dash[..dash.len().min(SEARCHED_PREFIX)]);
        DashBoundary {
            finder: finder.into_owned(),
            dash,
        }
    }

    /// `--boundary`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.dash
    }

    /// The first `--boundary` in `hay`, or the start of one that `hay` cuts off.
    pub(crate) fn find(&self, hay: &[u8]) -> Option<Hit> {
        let mut at = 0;
        while let Some(i) = self.finder.find(&hay[at..]) {
            let c = at + i;
            match hay.get(c..c + self.dash.len()) {
                None => return Some(Hit::Cut(c)),
                Some(whole) if whole == self.dash.as_slice() => return Some(Hit::At(c)),
                Some(_) => at = c + 1,
            }
        }
        None
    }
}

/// A fault in a Content-Type value, located by its index in the value.
#[derive(Debug)]
pub(crate) struct Fault {
    pub(crate) kind: ParseErrorKind,
    pub(crate) at: usize,
    pub(crate) message: String,
}

/// What the boundary parameter gave: the boundary and what leniency it needed.
#[derive(Debug)]
pub(crate) struct BoundaryParam {
    pub(crate) boundary: String,
    /// Tolerances with their index in the value.
    pub(crate) tolerated: Vec<(usize, ToleranceKind)>,
}

/// `bchars := bcharsnospace / " "` (RFC 2046 5.1.1).
fn is_bchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b)
}

/// Whether a boundary must be quoted in a Content-Type: it is not a `token`.
///
/// # Examples
///
/// ```
/// use batchwire_multipart::boundary_needs_quotes;
///
/// assert!(!boundary_needs_quotes("batch_36522ad7-fc75"));
/// assert!(boundary_needs_quotes("batch_1.2+34:2j)0?"));
/// ```
pub fn boundary_needs_quotes(boundary: &str) -> bool {
    boundary.is_empty() || !boundary.bytes().all(is_tchar)
}

/// Whether RFC 2046 allows this boundary: 1 to 70 `bchars`, not ending in a space.
///
/// # Examples
///
/// ```
/// use batchwire_multipart::is_valid_boundary;
///
/// assert!(is_valid_boundary("changeset_77162fcd-b8da-41ac-a9f8-9357efbbd"));
/// assert!(!is_valid_boundary("ends with space "));
/// assert!(!is_valid_boundary("at@sign"));
/// ```
pub fn is_valid_boundary(boundary: &str) -> bool {
    (1..=RFC_MAX_BOUNDARY_LEN).contains(&boundary.len())
        && boundary.bytes().all(is_bchar)
        && !boundary.ends_with(' ')
}

fn fault(kind: ParseErrorKind, at: usize, message: impl Into<String>) -> Fault {
    Fault {
        kind,
        at,
        message: message.into(),
    }
}

/// Reads the boundary from a `multipart/*` Content-Type value.
///
/// Parameter names are case-insensitive; the boundary value is case-sensitive. Two
/// `boundary` parameters are an error in both modes: peers disagree on which one wins.
pub(crate) fn boundary_param(
    value: &[u8],
    strict: bool,
    limits: &Limits,
) -> Result<BoundaryParam, Fault> {
    let mut tolerated = Vec::new();
    let rest = grammar::skip_ows(value);
    let at = |rest: &[u8]| value.len() - rest.len();
    let (rest, ty) = grammar::token(rest).map_err(|_| {
        fault(
            ParseErrorKind::BadContentType,
            at(rest),
            "expected a media type such as multipart/mixed",
        )
    })?;
    let (rest, subtype) =
        nom::sequence::preceded(nom::character::complete::char('/'), grammar::token)
            .parse(rest)
            .map_err(|e| {
                fault(
                    ParseErrorKind::BadContentType,
                    at(value) + grammar::stopped_at(value, &e),
                    "expected \"/\" and a subtype",
                )
            })?;
    if !ty.eq_ignore_ascii_case(b"multipart") {
        return Err(fault(
            ParseErrorKind::BadContentType,
            0,
            format!(
                "expected a multipart media type, found {:?}",
                String::from_utf8_lossy(&value[..at(rest)])
            ),
        ));
    }
    if strict && !subtype.eq_ignore_ascii_case(b"mixed") {
        return Err(fault(
            ParseErrorKind::BadContentType,
            0,
            format!(
                "expected multipart/mixed, found {:?}",
                String::from_utf8_lossy(&value[..at(rest)])
            ),
        ));
    }

    let mut boundary: Option<(usize, Vec<u8>)> = None;
    let mut rest = rest;
    loop {
        let (r, _) = grammar::ows(rest).unwrap_or((rest, &[]));
        if r.is_empty() {
            break;
        }
        if r[0] != b';' {
            return Err(fault(
                ParseErrorKind::BadContentType,
                at(r),
                format!(
                    "expected \";\" before a parameter, found {:?}",
                    r[0] as char
                ),
            ));
        }
        let (r, _) = grammar::ows(&r[1..]).unwrap_or((&r[1..], &[]));
        if r.is_empty() || r[0] == b';' {
            // `parameters = *( OWS ";" OWS [ parameter ] )`: empty parameters are allowed.
            rest = r;
            continue;
        }
        let start = at(r);
        // A parameter must be followed by `;` or the end; a token cut short by a character
        // it cannot hold is a fault there.
        let parsed = grammar::parameter(r).and_then(|(after, p)| {
            let next = after.trim_ascii_start();
            if next.is_empty() || next[0] == b';' {
                Ok((after, p))
            } else {
                Err(nom::Err::Error(nom::error::Error::new(
                    after,
                    nom::error::ErrorKind::Char,
                )))
            }
        });
        let (r, name, param_value) = match parsed {
            Ok((r, p)) => (r, p.name, p.value.into_owned()),
            Err(e) => {
                // An unquoted value with characters a token cannot hold, such as
                // `boundary=batch_1740-bb:84-2f7f`. Lenient readers take it up to the next
                // `;`, as olingo's and CAP's do.
                let (after_name, name) = grammar::token(r).map_err(|_| {
                    fault(
                        ParseErrorKind::BadContentType,
                        at(r),
                        "expected a parameter name",
                    )
                })?;
                let eq = after_name.first() == Some(&b'=');
                let raw_end = after_name
                    .iter()
                    .position(|&b| b == b';')
                    .unwrap_or(after_name.len());
                let raw = after_name.get(1..raw_end).unwrap_or_default();
                let raw = raw.trim_ascii_end();
                let is_boundary = name.eq_ignore_ascii_case(b"boundary");
                if strict || !eq || !is_boundary || raw.is_empty() || raw.starts_with(b"\"") {
                    let stop = at(r) + grammar::stopped_at(r, &e);
                    let kind = if is_boundary {
                        ParseErrorKind::BadBoundary
                    } else {
                        ParseErrorKind::BadContentType
                    };
                    return Err(fault(
                        kind,
                        stop,
                        format!(
                            "expected a token or a quoted string as the value of {:?}, found {:?}",
                            String::from_utf8_lossy(name),
                            String::from_utf8_lossy(&value[stop..(stop + 1).min(value.len())])
                        ),
                    ));
                }
                tolerated.push((start, ToleranceKind::BoundaryNeedsQuotes));
                (&after_name[raw_end..], name, raw.to_vec())
            }
        };
        if name.eq_ignore_ascii_case(b"boundary") {
            if boundary.is_some() {
                return Err(fault(
                    ParseErrorKind::DuplicateBoundary,
                    start,
                    "expected one boundary parameter, found a second",
                ));
            }
            boundary = Some((start, param_value));
        }
        rest = r;
    }

    let Some((start, raw)) = boundary else {
        return Err(fault(
            ParseErrorKind::MissingBoundary,
            value.len(),
            format!(
                "expected a boundary parameter in {:?}",
                String::from_utf8_lossy(value)
            ),
        ));
    };
    let (boundary, found) = check_boundary(raw, strict, limits).map_err(|mut f| {
        f.at = start;
        f
    })?;
    tolerated.extend(found.into_iter().map(|kind| (start, kind)));
    Ok(BoundaryParam {
        boundary,
        tolerated,
    })
}

/// The rules of a boundary value, wherever it was found: 1 to 70 `bchars` not ending in a
/// space (RFC 2046 5.1.1), leniently longer ones and other printable characters, and
/// always the limit. Faults are located at 0; the caller places them.
pub(crate) fn check_boundary(
    raw: Vec<u8>,
    strict: bool,
    limits: &Limits,
) -> Result<(String, Vec<ToleranceKind>), Fault> {
    let start = 0;
    let mut tolerated = Vec::new();
    if raw.is_empty() {
        return Err(fault(
            ParseErrorKind::BadBoundary,
            start,
            "expected a boundary of 1 to 70 characters, found an empty one",
        ));
    }
    if raw.len() > limits.max_boundary_len {
        return Err(fault(
            ParseErrorKind::LimitExceeded,
            start,
            format!(
                "boundary of {} characters exceeds the limit of {}",
                raw.len(),
                limits.max_boundary_len
            ),
        ));
    }
    if raw.len() > RFC_MAX_BOUNDARY_LEN {
        if strict {
            return Err(fault(
                ParseErrorKind::BoundaryTooLong,
                start,
                format!(
                    "expected a boundary of at most 70 characters, found {}",
                    raw.len()
                ),
            ));
        }
        tolerated.push(ToleranceKind::BoundaryTooLong);
    }
    if let Some(bad) = raw.iter().position(|&b| !is_bchar(b)) {
        if strict || !(0x21..0x7f).contains(&raw[bad]) {
            return Err(fault(
                ParseErrorKind::BadBoundary,
                start,
                format!(
                    "expected boundary characters (RFC 2046 bchars), found {:?}",
                    String::from_utf8_lossy(&raw[bad..=bad])
                ),
            ));
        }
        tolerated.push(ToleranceKind::BoundaryCharacters);
    }
    if raw.ends_with(b" ") {
        return Err(fault(
            ParseErrorKind::BadBoundary,
            start,
            "expected a boundary that does not end in a space",
        ));
    }
    // Invariant: every byte was checked to be printable ASCII or a space above.
    let boundary = String::from_utf8(raw).map_err(|_| {
        fault(
            ParseErrorKind::BadBoundary,
            start,
            "expected an ASCII boundary",
        )
    })?;
    Ok((boundary, tolerated))
}

/// Whether a part's Content-Type is `application/http` (parameters allowed).
pub(crate) fn is_application_http(value: &[u8]) -> bool {
    // The common value, without parameters or white space, needs one comparison.
    value.eq_ignore_ascii_case(b"application/http") || essence_is(value, b"application", b"http")
}

/// Whether a part's Content-Type is `multipart/mixed` (parameters allowed).
pub(crate) fn is_multipart(value: &[u8]) -> bool {
    let value = value.trim_ascii_start();
    value.len() >= 10 && value[..10].eq_ignore_ascii_case(b"multipart/")
}

fn essence_is(value: &[u8], ty: &[u8], subtype: &[u8]) -> bool {
    let value = value.trim_ascii();
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    let essence = value[..end].trim_ascii_end();
    essence.len() == ty.len() + 1 + subtype.len()
        && essence[..ty.len()].eq_ignore_ascii_case(ty)
        && essence[ty.len()] == b'/'
        && essence[ty.len() + 1..].eq_ignore_ascii_case(subtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(v: &str) -> Result<String, String> {
        boundary_param(v.as_bytes(), true, &Limits::default())
            .map(|b| b.boundary)
            .map_err(|f| format!("{:?}@{}: {}", f.kind, f.at, f.message))
    }

    fn lenient(v: &str) -> Result<(String, Vec<ToleranceKind>), String> {
        boundary_param(v.as_bytes(), false, &Limits::default())
            .map(|b| (b.boundary, b.tolerated.into_iter().map(|t| t.1).collect()))
            .map_err(|f| format!("{:?}@{}: {}", f.kind, f.at, f.message))
    }

    #[test]
    fn parameter_rules() {
        assert_eq!(strict("multipart/mixed; boundary=b1").unwrap(), "b1");
        assert_eq!(strict("Multipart/Mixed;BOUNDARY=B1;").unwrap(), "B1");
        assert_eq!(
            strict("multipart/mixed; charset=UTF-8;boundary=batch_8194").unwrap(),
            "batch_8194"
        );
        assert_eq!(
            strict(r#"multipart/mixed; boundary="batch_1.2+34:2j)0?"; x=y"#).unwrap(),
            "batch_1.2+34:2j)0?"
        );
        assert_eq!(
            strict(r#"multipart/mixed; boundary="a\"b""#).unwrap_err(),
            "BadBoundary@17: expected boundary characters (RFC 2046 bchars), found \"\\\"\""
        );
        assert_eq!(
            strict("multipart/mixed").unwrap_err(),
            "MissingBoundary@15: expected a boundary parameter in \"multipart/mixed\""
        );
        assert_eq!(
            strict("multipart/mixed;boundary=a;boundary=b").unwrap_err(),
            "DuplicateBoundary@27: expected one boundary parameter, found a second"
        );
        assert_eq!(
            strict("multipart/mixed;boundary=batch_1740-bb:84-2f7f").unwrap_err(),
            "BadBoundary@38: expected a token or a quoted string as the value of \"boundary\", found \":\""
        );
        assert_eq!(
            lenient("multipart/mixed;boundary=batch_1740-bb:84-2f7f").unwrap(),
            (
                "batch_1740-bb:84-2f7f".to_owned(),
                vec![ToleranceKind::BoundaryNeedsQuotes]
            )
        );
        let long = "x".repeat(71);
        assert!(
            strict(&format!("multipart/mixed;boundary={long}"))
                .unwrap_err()
                .starts_with("BoundaryTooLong")
        );
        assert_eq!(
            lenient(&format!("multipart/mixed;boundary={long}"))
                .unwrap()
                .1,
            [ToleranceKind::BoundaryTooLong]
        );
        assert!(
            strict("application/json")
                .unwrap_err()
                .starts_with("BadContentType@0")
        );
    }

    #[test]
    fn media_type_checks() {
        assert!(is_application_http(b"ApplIcAtIon/http"));
        assert!(is_application_http(b"application/http; msgtype=request"));
        assert!(!is_application_http(b"application/https"));
        assert!(is_multipart(b" multipart/mixed; boundary=x"));
        assert!(!is_multipart(b"text/plain"));
    }
}
