//! Line-level productions of RFC 9110, RFC 9112 and RFC 2045, as nom parsers over bytes.
//!
//! Each function parses one production from the start of its input and returns the rest;
//! none of them crosses a line break, so callers hand them one line at a time and rebase the
//! offset of a failure onto the whole body. No nom type leaves this crate.

use std::borrow::Cow;

use nom::bytes::complete::{tag, take_while, take_while_m_n, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// `tchar`: a visible character other than a delimiter, that is `DIGIT`, `ALPHA` or one of
/// ``!#$%&'*+-.^_`|~`` (RFC 9110 5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// `tchar` as a table: one load per byte instead of a search through the delimiters.
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    table
};

/// `OWS = *( SP / HTAB )` (RFC 9110 5.6.3), also RFC 2046's `transport-padding` (LWSP).
pub(crate) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Where the first control character but HTAB is (RFC 9110 5.5: a field value holds none).
/// The common answer, none, is found without a branch per byte.
pub(crate) fn control_character(value: &[u8]) -> Option<usize> {
    let is_control = |b: u8| (b < 0x20 && b != b'\t') || b == 0x7f;
    let any = value.iter().fold(false, |found, &b| found | is_control(b));
    if any {
        value.iter().position(|&b| is_control(b))
    } else {
        None
    }
}

/// The header names the reader and the writer look up, so that each lookup compares one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    ContentType,
    ContentLength,
    ContentId,
    ContentTransferEncoding,
    Other,
}

impl Known {
    /// Which known name `name` is, compared case-insensitively. `name` is a token (RFC 9110
    /// 5.6.2), as every name the reader reads and the writer has checked is: for a token,
    /// setting bit 5 of each byte folds its case and maps nothing else onto a letter or `-`
    /// (only a control character would fold onto `-`), so one pass of `|` and `^` compares.
    pub(crate) fn of(name: &[u8]) -> Known {
        let is = |lower: &[u8]| {
            name.len() == lower.len()
                && name
                    .iter()
                    .zip(lower)
                    .fold(0u8, |diff, (&a, &b)| diff | ((a | 0x20) ^ b))
                    == 0
        };
        match name.len() {
            10 if is(b"content-id") => Known::ContentId,
            12 if is(b"content-type") => Known::ContentType,
            14 if is(b"content-length") => Known::ContentLength,
            25 if is(b"content-transfer-encoding") => Known::ContentTransferEncoding,
            _ => Known::Other,
        }
    }
}

/// `token = 1*tchar` (RFC 9110 5.6.2).
pub(crate) fn token(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(is_tchar).parse(i)
}

/// `OWS = *( SP / HTAB )` (RFC 9110 5.6.3).
pub(crate) fn ows(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(is_ws).parse(i)
}

/// The input after its leading `OWS`; skipping nothing cannot fail.
pub(crate) fn skip_ows(i: &[u8]) -> &[u8] {
    let n = i.iter().take_while(|&&b| is_ws(b)).count();
    &i[n..]
}

/// `transport-padding := *LWSP-char` (RFC 2046 5.1.1).
pub(crate) fn transport_padding(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(is_ws).parse(i)
}

/// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE` (RFC 9110 5.6.4); the value has
/// its quoted-pairs resolved, borrowed when it had none.
pub(crate) fn quoted_string(i: &[u8]) -> IResult<&[u8], Cow<'_, [u8]>> {
    let (mut rest, _) = char('"').parse(i)?;
    let start = rest;
    let mut owned: Option<Vec<u8>> = None;
    loop {
        let (after, text) =
            take_while(|b: u8| b != b'"' && b != b'\\' && b != b'\r' && b != b'\n').parse(rest)?;
        if let Some(buf) = owned.as_mut() {
            buf.extend_from_slice(text);
        }
        match after.first() {
            Some(b'"') => {
                let value = match owned {
                    Some(buf) => Cow::Owned(buf),
                    None => Cow::Borrowed(&start[..start.len() - after.len()]),
                };
                return Ok((&after[1..], value));
            }
            Some(b'\\') => {
                let (after_pair, escaped) = preceded(
                    char('\\'),
                    satisfy(|c| c == '\t' || c == ' ' || ('\x21'..='\x7e').contains(&c)),
                )
                .parse(after)?;
                let buf = owned.get_or_insert_with(|| start[..start.len() - after.len()].to_vec());
                // Invariant: `satisfy` only accepts ASCII here, so the char is one byte.
                buf.push(escaped as u8);
                rest = after_pair;
            }
            _ => {
                return Err(nom::Err::Error(nom::error::Error::new(
                    after,
                    nom::error::ErrorKind::Char,
                )));
            }
        }
    }
}

/// A media type parameter: `parameter-name "=" parameter-value` (RFC 9110 5.6.6), with the
/// value either a token or a quoted string.
pub(crate) struct Parameter<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) value: Cow<'a, [u8]>,
}

/// `parameter = parameter-name "=" parameter-value`.
pub(crate) fn parameter(i: &[u8]) -> IResult<&[u8], Parameter<'_>> {
    let (i, name) = token(i)?;
    let (i, _) = char('=').parse(i)?;
    if i.first() == Some(&b'"') {
        let (i, value) = quoted_string(i)?;
        Ok((i, Parameter { name, value }))
    } else {
        let (i, value) = token(i)?;
        Ok((
            i,
            Parameter {
                name,
                value: Cow::Borrowed(value),
            },
        ))
    }
}

/// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT` (RFC 9112 2.3).
pub(crate) fn http_version(i: &[u8]) -> IResult<&[u8], &[u8]> {
    recognize((
        tag(&b"HTTP/"[..]),
        satisfy(|c| c.is_ascii_digit()),
        char('.'),
        satisfy(|c| c.is_ascii_digit()),
    ))
    .parse(i)
}

/// `status-code = 3DIGIT` (RFC 9110 15).
pub(crate) fn status_code(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while_m_n(3, 3, |b: u8| b.is_ascii_digit()).parse(i)
}

/// `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )` (RFC 9112 4), after its `SP`;
/// absent or empty both give an empty phrase.
pub(crate) fn reason_phrase(i: &[u8]) -> IResult<&[u8], Option<&[u8]>> {
    opt(preceded(
        char(' '),
        take_while(|b: u8| b == b'\t' || b == b' ' || b >= 0x21 && b != 0x7f),
    ))
    .parse(i)
}

/// `method = token` (RFC 9110 9.1).
pub(crate) fn method(i: &[u8]) -> IResult<&[u8], &[u8]> {
    token(i)
}

/// A request-target: visible characters, no space (RFC 9112 3.2). Bytes above 0x7F are
/// taken here and judged by the caller (UTF-8 IRIs are read leniently).
pub(crate) fn request_target(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(|b: u8| (0x21..0x7f).contains(&b) || b >= 0x80).parse(i)
}

/// `SP`.
pub(crate) fn sp(i: &[u8]) -> IResult<&[u8], char> {
    char(' ').parse(i)
}

/// `field-name ":"` with the whitespace before the colon that lenient readers drop.
pub(crate) fn field_name_colon(i: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    let (i, name) = token(i)?;
    let (i, space) = ows(i)?;
    let (i, _) = char(':').parse(i)?;
    Ok((i, (name, space)))
}

/// Where a parser stopped: its remaining input's offset into `line`.
pub(crate) fn stopped_at(line: &[u8], err: &nom::Err<nom::error::Error<&[u8]>>) -> usize {
    match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => line.len() - e.input.len(),
        nom::Err::Incomplete(_) => line.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_fold_case_and_nothing_else() {
        for (name, known) in [
            (&b"Content-Type"[..], Known::ContentType),
            (b"CONTENT-ID", Known::ContentId),
            (b"content-length", Known::ContentLength),
            (b"Content-Transfer-Encoding", Known::ContentTransferEncoding),
            (b"Content_Type", Known::Other),
            (b"Content-Typf", Known::Other),
            (b"Content-Types", Known::Other),
            (b"OData-Version", Known::Other),
        ] {
            assert_eq!(Known::of(name), known, "{}", String::from_utf8_lossy(name));
        }
        // Every token that is not a spelling of the name is another name.
        let base = b"content-id";
        for i in 0..base.len() {
            for b in 0..=255u8 {
                let mut name = *base;
                name[i] = b;
                let same = name.eq_ignore_ascii_case(base);
                if is_tchar(b) {
                    assert_eq!(Known::of(&name) == Known::ContentId, same, "{name:?}");
                }
            }
        }
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            token(b"Content-ID: 1").unwrap(),
            (&b": 1"[..], &b"Content-ID"[..])
        );
        assert!(token(b": x").is_err());
        let (rest, value) = quoted_string(br#""a\"b" ;"#).unwrap();
        assert_eq!((rest, &*value), (&b" ;"[..], &b"a\"b"[..]));
        assert!(matches!(
            quoted_string(br#""plain""#).unwrap().1,
            Cow::Borrowed(b"plain")
        ));
        assert!(quoted_string(b"\"open").is_err());
        let (rest, p) = parameter(b"boundary=\"b 1\";x").unwrap();
        assert_eq!(
            (rest, p.name, &*p.value),
            (&b";x"[..], &b"boundary"[..], &b"b 1"[..])
        );
        assert_eq!(
            http_version(b"HTTP/1.1 200").unwrap(),
            (&b" 200"[..], &b"HTTP/1.1"[..])
        );
        assert!(http_version(b"HTTP/11").is_err());
        assert_eq!(status_code(b"2004").unwrap().1, b"200");
        assert_eq!(
            reason_phrase(b" No Content").unwrap().1,
            Some(&b"No Content"[..])
        );
        assert_eq!(reason_phrase(b"").unwrap().1, None);
        assert_eq!(
            field_name_colon(b"A : b").unwrap(),
            (&b" b"[..], (&b"A"[..], &b" "[..]))
        );
        assert_eq!(transport_padding(b" \t\r\n").unwrap().0, b"\r\n");
    }
}
