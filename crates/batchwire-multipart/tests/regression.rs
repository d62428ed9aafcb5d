//! Faults found by fuzzing, each kept as a test.

use batchwire_core::{BatchMessage, ParseErrorKind, ToleranceKind};
use batchwire_multipart::{DecodeOptions, decode, parse};
use bytes::Bytes;

const CT: &[u8] = b"multipart/mixed; boundary=b";

/// `fuzz/multipart_decode`: the borrowed view accepted a request target that was not
/// UTF-8, which the owned model (a `String` target) then refused.
#[test]
fn a_target_that_is_not_utf8_is_refused_by_views_and_model_alike() {
    let input =
        b"--b\r\nContent-Type: application/http\r\n\r\nGET caf\xff HTTP/1.1\r\n\r\n\r\n--b--\r\n";
    for options in [DecodeOptions::lenient(), DecodeOptions::strict()] {
        let view = parse(input, Some(CT), &options).unwrap_err();
        let owned = decode(&Bytes::from_static(input), Some(CT), &options).unwrap_err();
        assert_eq!(view, owned);
        assert_eq!(view.kind(), ParseErrorKind::InvalidRequestLine);
        assert_eq!(
            view.to_string(),
            "expected a request target of ASCII characters (or, leniently, UTF-8), found \"\\xff HTTP/1.1\\r\\n\" at byte 46 (line 4, column 8)"
        );
    }
}

#[test]
fn a_utf8_target_is_read_leniently_and_reported() {
    let input =
        "--b\r\nContent-Type: application/http\r\n\r\nGET Caf\u{e9}s HTTP/1.1\r\n\r\n\r\n--b--\r\n";
    let decoded = decode(&Bytes::from(input), Some(CT), &DecodeOptions::lenient()).unwrap();
    let BatchMessage::Request(batch) = decoded.message else {
        panic!("a request batch")
    };
    assert_eq!(batch.operations().next().unwrap().target, "Caf\u{e9}s");
    assert_eq!(decoded.tolerated[0].kind, ToleranceKind::NonAsciiTarget);
    assert_eq!(decoded.tolerated[0].offset, 46);
    let err = parse(input.as_bytes(), Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.offset(), 46);
}

/// `fuzz/multipart_chunked`: a changeset whose headers end at a line that is not a header,
/// after a bare LF, left a header value one byte past what the stream decoder froze, and
/// slicing it panicked.
#[test]
fn a_changeset_header_section_ended_leniently_streams_safely() {
    use batchwire_multipart::{Status, StreamDecoder};
    let input = b"--b\nContent-Type:multipart/m;boundary=c\nc\n";
    let whole = decode(&Bytes::from_static(input), None, &DecodeOptions::lenient());
    for step in 1..input.len() {
        let mut decoder = StreamDecoder::new(None, &DecodeOptions::lenient()).unwrap();
        let mut result = Ok(());
        let mut groups = 0;
        for chunk in input.chunks(step) {
            decoder.feed(chunk);
            loop {
                match decoder.next_event() {
                    Ok(Status::Event(batchwire_multipart::Event::GroupStart {
                        part_headers,
                        ..
                    })) => {
                        assert_eq!(
                            part_headers.get("content-type"),
                            Some(&b"multipart/m;boundary=c"[..])
                        );
                        groups += 1;
                    }
                    Ok(Status::Event(_)) => {}
                    Ok(_) => break,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
        }
        decoder.finish();
        while let Ok(Status::Event(_)) = decoder.next_event() {}
        assert_eq!(groups, 1, "step {step}");
        match (&whole, result) {
            (Ok(_), Ok(())) => {}
            (Err(w), Err(s)) => assert_eq!(w.to_string(), s.to_string()),
            (w, s) => panic!("step {step}: {w:?} vs {s:?}"),
        }
    }
}

/// `fuzz/multipart_write`: the writer wrote a change outside a changeset in the OData V3
/// dialect, which its own strict reader refuses. It now says so instead.
#[test]
fn the_writer_refuses_what_its_strict_reader_would() {
    use batchwire_core::{AtomicGroup, BatchRequest, SubRequest, WriteErrorKind};
    use batchwire_multipart::{Dialect, WriteOptions, write_request};
    use http::Method;

    let mut outside = BatchRequest::new();
    outside.push(SubRequest::new(Method::DELETE, "Customers(1)"));
    let err = write_request(&outside, &WriteOptions::new(Dialect::OdataV3)).unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::MisplacedOperation);
    assert_eq!(
        err.to_string(),
        "expected a query outside atomic groups (odata-v3 puts changes in changesets), found a request that changes data at item 1"
    );
    // OData V4 allows it.
    assert!(write_request(&outside, &WriteOptions::new(Dialect::OdataV4)).is_ok());

    let mut inside = BatchRequest::new();
    inside.push_group(AtomicGroup::new(vec![SubRequest::new(
        Method::GET,
        "Customers(1)",
    )]));
    let err = write_request(&inside, &WriteOptions::new(Dialect::OdataV4)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a request that changes data in the atomic group, found a query at item 1, member 1"
    );
}
