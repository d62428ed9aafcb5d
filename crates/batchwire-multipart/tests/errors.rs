//! Errors: the whole message, the offset, line and column, for each kind of fault.

use batchwire_core::{ParseErrorKind, ToleranceKind};
use batchwire_multipart::{DecodeOptions, Dialect, parse};

const CT: &[u8] = b"multipart/mixed; boundary=batch";

/// Parses in strict mode and returns the error's kind, offset and full text.
fn strict_error(input: &str, ct: Option<&[u8]>) -> (ParseErrorKind, usize, String) {
    strict_error_with(input, ct, &DecodeOptions::strict())
}

fn strict_error_with(
    input: &str,
    ct: Option<&[u8]>,
    options: &DecodeOptions,
) -> (ParseErrorKind, usize, String) {
    let err = parse(input.as_bytes(), ct, options).expect_err("strict mode rejects this");
    (err.kind(), err.offset(), err.to_string())
}

/// The offset of the `n`th (0-based) occurrence of `needle` in `haystack`.
fn nth(haystack: &str, needle: &str, n: usize) -> usize {
    haystack
        .match_indices(needle)
        .nth(n)
        .expect("needle present")
        .0
}

const GOOD_PART: &str = "Content-Type: application/http\r\n\r\nGET a HTTP/1.1\r\n\r\n";

#[test]
fn missing_close_delimiter() {
    let input = format!("--batch\r\n{GOOD_PART}");
    let (kind, offset, text) = strict_error(&input, Some(CT));
    assert_eq!(kind, ParseErrorKind::MissingCloseDelimiter);
    assert_eq!(offset, input.len());
    assert_eq!(
        text,
        "expected \"--batch--\", found end of input at byte 61 (line 6, column 1)"
    );
    let view = parse(input.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap();
    assert_eq!(view.tolerated.len(), 1);
    assert_eq!(view.tolerated[0].kind, ToleranceKind::MissingCloseDelimiter);
    assert_eq!(view.tolerated[0].offset, input.len());
}

#[test]
fn wrong_boundary() {
    // The search for the first delimiter gives up at the end of the input, in both modes,
    // and says what it found instead.
    let input = format!("--other\r\n{GOOD_PART}\r\n--other--\r\n");
    let (kind, offset, text) = strict_error(&input, Some(CT));
    assert_eq!(
        (kind, offset),
        (ParseErrorKind::MissingDelimiter, input.len())
    );
    let want = "expected a delimiter line \"--batch\", found delimiters for boundary \"other\"; the input starts with \"--other\\r\\n\" at byte 74 (line 8, column 1)";
    assert_eq!(text, want);
    let (_, _, lenient) = strict_error_with(&input, Some(CT), &DecodeOptions::lenient());
    assert_eq!(lenient, want);
}

#[test]
fn bare_lf_in_strict_mode() {
    let input = format!("--batch\n{GOOD_PART}\r\n--batch--\r\n");
    let (kind, offset, text) = strict_error(&input, Some(CT));
    assert_eq!((kind, offset), (ParseErrorKind::BareLineFeed, 7));
    assert_eq!(
        text,
        "expected CRLF, found a bare LF at byte 7 (line 1, column 8)"
    );
}

#[test]
fn delimiter_followed_by_text() {
    let input = format!("--batch\r\n{GOOD_PART}\r\n--batch-\r\n");
    let at = nth(&input, "--batch-", 0);
    let (kind, offset, text) = strict_error(&input, Some(CT));
    assert_eq!((kind, offset), (ParseErrorKind::DelimiterLikeLine, at));
    assert_eq!(
        text,
        "expected \"--batch\" or \"--batch--\" alone on its line, found \"--batch-\\r\\n\" at byte 63 (line 7, column 1)"
    );
}

#[test]
fn bad_status_line() {
    let input = "--batch\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 No Content\r\n\r\n\r\n--batch--\r\n";
    let (kind, offset, text) = strict_error(input, Some(CT));
    assert_eq!(
        (kind, offset),
        (
            ParseErrorKind::InvalidStatusLine,
            nth(input, "No Content", 0)
        )
    );
    assert_eq!(
        text,
        "expected a three-digit status code, found \"No Content\\r\\n\" at byte 52 (line 4, column 10)"
    );
}

#[test]
fn request_line_without_version() {
    let input =
        "--batch\r\nContent-Type: application/http\r\n\r\nGET Customers\r\n\r\n\r\n--batch--\r\n";
    let (kind, offset, text) = strict_error(input, Some(CT));
    assert_eq!(kind, ParseErrorKind::InvalidRequestLine);
    assert_eq!(offset, nth(input, "\r\n\r\n\r\n", 0));
    assert_eq!(
        text,
        "expected a request target, a space and an HTTP version such as HTTP/1.1, found \"\\r\\n\" at byte 56 (line 4, column 14)"
    );
}

#[test]
fn fault_inside_a_changeset_is_located_in_the_whole_body() {
    let input = "--batch\r\n\
        Content-Type: multipart/mixed; boundary=cs\r\n\
        \r\n\
        --cs\r\n\
        Content-Type: application/http\r\n\
        Content-ID: 1\r\n\
        \r\n\
        POST Customers HTTP/1.1\r\n\
        Content-Type application/json\r\n\
        \r\n\
        {}\r\n\
        --cs--\r\n\
        --batch--\r\n";
    let (kind, offset, text) = strict_error(input, Some(CT));
    assert_eq!(kind, ParseErrorKind::InvalidHeader);
    assert_eq!(offset, nth(input, " application/json", 0));
    assert_eq!(
        text,
        "expected \":\" after the header name \"Content-Type\", found \" application/json\\r\\n\" at byte 147 (line 9, column 13)"
    );
}

#[test]
fn changeset_reusing_the_batch_boundary() {
    let input = "--batch\r\nContent-Type: multipart/mixed; boundary=batch\r\n\r\n--batch--\r\n";
    let (kind, offset, text) = strict_error(input, Some(CT));
    assert_eq!(
        (kind, offset),
        (ParseErrorKind::BoundaryReused, nth(input, "multipart", 0))
    );
    assert_eq!(
        text,
        "expected a changeset boundary other than the enclosing one, found \"batch\" again at byte 23 (line 2, column 15)"
    );
}

#[test]
fn changeset_inside_a_changeset() {
    let input = "--batch\r\n\
        Content-Type: multipart/mixed; boundary=cs1\r\n\
        \r\n\
        --cs1\r\n\
        Content-Type: multipart/mixed; boundary=cs2\r\n\
        \r\n\
        --cs2--\r\n\
        --cs1--\r\n\
        --batch--\r\n";
    let (kind, offset, text) = strict_error(input, Some(CT));
    assert_eq!(
        (kind, offset),
        (
            ParseErrorKind::NestingTooDeep,
            nth(input, "Content-Type", 1)
        )
    );
    assert_eq!(
        text,
        "expected an application/http part, found a multipart nested 2 deep (a changeset may not hold another changeset) at byte 63 (line 5, column 1)"
    );
    let google = DecodeOptions::lenient().with_dialect(Dialect::Google);
    let (_, _, text) = strict_error_with(input, Some(CT), &google);
    assert!(
        text.contains("(the google dialect has no changesets)"),
        "{text}"
    );
}

#[test]
fn odata_v4_changeset_member_without_content_id() {
    let input = "--batch\r\n\
        Content-Type: multipart/mixed; boundary=cs\r\n\
        \r\n\
        --cs\r\n\
        Content-Type: application/http\r\n\
        \r\n\
        DELETE Customers(1) HTTP/1.1\r\n\
        \r\n\
        \r\n\
        --cs--\r\n\
        --batch--\r\n";
    let v4 = DecodeOptions::strict().with_dialect(Dialect::OdataV4);
    let (kind, offset, text) = strict_error_with(input, Some(CT), &v4);
    assert_eq!(
        (kind, offset),
        (
            ParseErrorKind::MissingContentId,
            nth(input, "Content-Type", 1)
        )
    );
    assert_eq!(
        text,
        "expected a Content-ID on the changeset member (OData V4), found \"Content-Type: application/http\\r\\n\" at byte 61 (line 5, column 1)"
    );
    // Without the dialect, the rule does not apply.
    assert!(parse(input.as_bytes(), Some(CT), &DecodeOptions::strict()).is_ok());
}

#[test]
fn content_type_faults_name_the_header() {
    let input = format!("--batch\r\n{GOOD_PART}\r\n--batch--\r\n");
    let (kind, offset, text) = strict_error(&input, Some(b"multipart/mixed"));
    assert_eq!((kind, offset), (ParseErrorKind::MissingBoundary, 0));
    assert_eq!(
        text,
        "expected a boundary parameter in \"multipart/mixed\" (in the Content-Type \"multipart/mixed\", at character 15) at byte 0 (line 1, column 1)"
    );
}

#[test]
fn limits_are_located_errors() {
    let part = format!("--batch\r\n{GOOD_PART}\r\n");
    let input = format!("{}--batch--\r\n", part.repeat(4));
    let options =
        DecodeOptions::lenient().with_limits(batchwire_core::Limits::default().with_max_parts(3));
    let (kind, offset, text) = strict_error_with(&input, Some(CT), &options);
    assert_eq!(
        (kind, offset),
        (
            ParseErrorKind::LimitExceeded,
            nth(&input, "Content-Type", 3)
        )
    );
    assert_eq!(
        text,
        "body part 4 exceeds the limit of 3 parts at byte 198 (line 20, column 1)"
    );

    let many_headers = format!(
        "--batch\r\nContent-Type: application/http\r\n\r\nGET a HTTP/1.1\r\n{}\r\n\r\n--batch--\r\n",
        "X: y\r\n".repeat(300)
    );
    let err = parse(many_headers.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded);
    assert_eq!(
        err.message(),
        "header field 257 exceeds the limit of 256 per section"
    );
}

#[test]
fn request_and_response_lines_do_not_mix() {
    let input = format!(
        "--batch\r\n{GOOD_PART}\r\n--batch\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\r\n--batch--\r\n"
    );
    let (kind, offset, text) = strict_error(&input, Some(CT));
    assert_eq!(
        (kind, offset),
        (
            ParseErrorKind::UnexpectedMessageKind,
            nth(&input, "HTTP/1.1 200", 0)
        )
    );
    assert_eq!(
        text,
        "expected a request line, found \"HTTP/1.1 200 OK\\r\\n\" at byte 106 (line 10, column 1)"
    );
}
