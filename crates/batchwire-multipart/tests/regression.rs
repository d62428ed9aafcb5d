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
        "expected a request that changes data in the atomic group, found a query at item 1.1"
    );
}

/// Feeds `input` (then `endless` repeated) in 4 KiB chunks up to `total` bytes and returns
/// the most the decoder held at once, with the error if one came.
fn stream_held(
    head: &[u8],
    endless: &[u8],
    total: usize,
    options: &DecodeOptions,
) -> (usize, Option<batchwire_core::ParseError>) {
    use batchwire_multipart::{Status, StreamDecoder};
    let mut decoder = StreamDecoder::new(Some(CT), options).unwrap();
    decoder.feed(head);
    let chunk = endless.repeat((4096 / endless.len()).max(1));
    let mut most = decoder.buffered();
    let mut fed = head.len();
    while fed < total {
        decoder.feed(&chunk);
        fed += chunk.len();
        most = most.max(decoder.buffered());
        loop {
            match decoder.next_event() {
                Ok(Status::Event(_)) => {}
                Ok(_) => break,
                Err(e) => return (most, Some(e)),
            }
        }
    }
    (most, None)
}

/// Review: an endless preamble, an endless changeset epilogue, endless transport padding
/// and an endless part-header line were all kept whole by the stream decoder.
#[test]
fn endless_preambles_epilogues_padding_and_header_lines_are_not_kept() {
    let lenient = DecodeOptions::lenient();
    let (held, err) = stream_held(b"", b"x\r\n", 4 << 20, &lenient);
    assert!(err.is_none());
    assert!(held < 64 << 10, "preamble: held {held}");

    let epilogue = b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\nPOST /x HTTP/1.1\r\n\r\n\r\n--c--\r\n";
    let (held, err) = stream_held(epilogue, b"junk\r\n", 4 << 20, &lenient);
    assert!(err.is_none());
    assert!(held < 64 << 10, "epilogue: held {held}");

    let (held, _) = stream_held(b"--b", b" ", 4 << 20, &lenient);
    assert!(held < 128 << 10, "padding: held {held}");

    // A header line that never ends is a part that never ends: held up to the part bound,
    // then refused, without rescanning.
    let limits = batchwire_core::Limits::default()
        .with_max_body_bytes(1 << 20)
        .with_max_header_bytes(1024);
    let bounded = DecodeOptions::lenient().with_limits(limits);
    let (held, err) = stream_held(b"--b\r\nX-Long: ", b"y", 4 << 20, &bounded);
    assert_eq!(err.map(|e| e.kind()), Some(ParseErrorKind::LimitExceeded));
    assert!(held <= (1 << 20) + 2048 + 8192, "header line: held {held}");
}

/// Review: the part-size bound depended on where the input was cut.
#[test]
fn the_part_bound_does_not_depend_on_the_chunking() {
    use batchwire_core::Limits;
    let limits = Limits::default()
        .with_max_body_bytes(10)
        .with_max_header_bytes(64);
    let options = DecodeOptions::strict().with_limits(limits);
    let mut input = b"--b\r\nContent-Type: application/http\r\n\r\nGET /".to_vec();
    input.extend(std::iter::repeat_n(b'a', 84));
    input.extend_from_slice(b" HTTP/1.1\r\n\r\n\r\n--b--\r\n");
    let whole = decode(&Bytes::from(input.clone()), Some(CT), &options).map(|d| d.message);
    for cut in 1..input.len() {
        let streamed = operations_streamed(&[&input[..cut], &input[cut..]], &options);
        assert_eq!(
            whole.is_ok(),
            streamed.is_ok(),
            "cut at {cut}: {streamed:?}"
        );
    }
}

/// How many operations the stream decoder hands out for these chunks, or its error.
fn operations_streamed(
    chunks: &[&[u8]],
    options: &DecodeOptions,
) -> Result<usize, batchwire_core::ParseError> {
    use batchwire_multipart::{Status, StreamDecoder};
    let mut decoder = StreamDecoder::new(Some(CT), options)?;
    let mut count = 0;
    for chunk in chunks {
        decoder.feed(chunk);
        while let Status::Event(_) = decoder.next_event()? {
            count += 1;
        }
    }
    decoder.finish();
    while let Status::Event(_) = decoder.next_event()? {
        count += 1;
    }
    Ok(count)
}

/// Review: a changeset boundary that is a prefix of the batch boundary hid the batch's
/// delimiter. Such a boundary is legal (RFC 2046 5.1.2 forbids only an inner boundary that
/// begins with an enclosing one), and both delimiters are found.
#[test]
fn prefix_boundaries_keep_both_delimiters() {
    let input = b"--b1\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/http\r\n\r\nPOST /x HTTP/1.1\r\n\r\n\r\n--b1\r\nContent-Type: application/http\r\n\r\nGET /y HTTP/1.1\r\n\r\n\r\n--b1--\r\n";
    let ct = b"multipart/mixed; boundary=b1";
    let (ops, tolerated) = read_both(input, Some(ct), &DecodeOptions::lenient()).unwrap();
    let targets: Vec<&str> = ops.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(targets, ["[", "/x", "]", "/y"]);
    assert_eq!(
        tolerated.iter().map(|t| t.kind).collect::<Vec<_>>(),
        [ToleranceKind::MissingCloseDelimiter]
    );
    // An inner boundary that begins with the enclosing one is still refused in strict mode.
    let input = b"--b\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: application/http\r\n\r\nPOST /x HTTP/1.1\r\n\r\n\r\n--b1--\r\n--b--\r\n";
    let (_, tolerated) = read_both(input, Some(CT), &DecodeOptions::lenient()).unwrap();
    assert!(
        tolerated
            .iter()
            .any(|t| t.kind == ToleranceKind::BoundaryPrefix)
    );
    let err = parse(input, Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::BadBoundary);
    assert_eq!(
        err.to_string(),
        "expected a changeset boundary that does not start with the enclosing one, found \"b1\" at byte 19 (line 2, column 15)"
    );
}

/// A changeset boundary that is a prefix of the batch boundary is legal: strict mode
/// refused it. The batch delimiter `--batch_abc` is no delimiter of the changeset
/// `batch_a`, nor is `--cs--1` (the batch boundary `cs--1`) the close delimiter of the
/// changeset `cs`.
#[test]
fn a_changeset_boundary_may_be_a_prefix_of_the_batch_boundary() {
    let input = "--batch_abc\r\n\
        Content-Type: multipart/mixed; boundary=batch_a\r\n\
        \r\n\
        --batch_a\r\n\
        Content-Type: application/http\r\n\
        \r\n\
        POST /x HTTP/1.1\r\n\
        \r\n\
        {}\r\n\
        --batch_a\r\n\
        Content-Type: application/http\r\n\
        \r\n\
        POST /y HTTP/1.1\r\n\
        \r\n\
        \r\n\
        --batch_a--\r\n\
        --batch_abc\r\n\
        Content-Type: application/http\r\n\
        \r\n\
        GET /z HTTP/1.1\r\n\
        \r\n\
        \r\n\
        --batch_abc--\r\n";
    let want: Vec<(String, Vec<u8>)> = vec![
        ("[".into(), vec![]),
        ("/x".into(), b"{}".to_vec()),
        ("/y".into(), vec![]),
        ("]".into(), vec![]),
        ("/z".into(), vec![]),
    ];
    let ct = b"multipart/mixed; boundary=batch_abc";
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let (ops, tolerated) = read_both(input.as_bytes(), Some(ct), &options).unwrap();
        assert_eq!(ops, want);
        assert!(tolerated.is_empty(), "{tolerated:?}");
    }
    // The batch's delimiters start with the changeset's close delimiter `--cs--`.
    let input = input.replace("batch_abc", "cs--1").replace("batch_a", "cs");
    let ct = b"multipart/mixed; boundary=\"cs--1\"";
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let (ops, tolerated) = read_both(input.as_bytes(), Some(ct), &options).unwrap();
        assert_eq!(ops, want);
        assert!(tolerated.is_empty(), "{tolerated:?}");
    }
}

/// Review: control characters in header values and targets.
#[test]
fn control_characters_in_values_and_targets() {
    let value = b"--b\r\nContent-Type: application/http\r\n\r\nGET /a HTTP/1.1\r\nX: a\x00b\r\n\r\n\r\n--b--\r\n";
    let err = parse(value, Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::InvalidHeader);
    assert_eq!(err.offset(), 60);
    let lenient = decode(
        &Bytes::from_static(value),
        Some(CT),
        &DecodeOptions::lenient(),
    )
    .unwrap();
    assert_eq!(lenient.tolerated[0].kind, ToleranceKind::ControlCharacters);

    let target = b"--b\r\nContent-Type: application/http\r\n\r\nGET /a\x1b]0;x\x07 HTTP/1.1\r\n\r\n\r\n--b--\r\n";
    for options in [DecodeOptions::lenient(), DecodeOptions::strict()] {
        let err = parse(target, Some(CT), &options).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::InvalidRequestLine);
    }
}

/// Review: a boundary taken from the first line was not checked in strict mode.
#[test]
fn a_boundary_from_the_first_line_follows_the_boundary_rules() {
    let long = "a".repeat(100);
    let input = format!(
        "--{long}\r\nContent-Type: application/http\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\n--{long}--\r\n"
    );
    let err = parse(input.as_bytes(), None, &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::BoundaryTooLong);
    let view = parse(input.as_bytes(), None, &DecodeOptions::lenient()).unwrap();
    assert_eq!(view.tolerated[0].kind, ToleranceKind::BoundaryTooLong);
    // The delimiter line must come within the header limit, in both decoders alike.
    let far = format!(
        "{}--b\r\nContent-Type: application/http\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\n--b--\r\n",
        "x\r\n".repeat(30_000)
    );
    let err = parse(far.as_bytes(), None, &DecodeOptions::lenient()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::MissingBoundary);
}

/// Review: the writer wrote targets beyond ASCII, which its strict reader refuses, and
/// left out a part-header Content-ID without saying so. It now percent-encodes such a
/// target, and says so.
#[test]
fn the_writer_encodes_non_ascii_targets_and_reports_unwritten_content_ids() {
    use batchwire_core::{BatchRequest, SubRequest};
    use batchwire_multipart::{WriteOptions, write_message};
    use http::Method;

    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "Customers('Zo\u{eb}')"));
    let written = write_message(&batch.clone().into(), &WriteOptions::default()).unwrap();
    assert!(
        written
            .body
            .windows(32)
            .any(|w| w == b"GET Customers('Zo%C3%AB') HTTP/1"),
        "{:?}",
        written.body
    );
    assert_eq!(
        written.report.losses[0].to_string(),
        "item 1: target \"Customers('Zo\u{eb}')\" written percent-encoded as \"Customers('Zo%C3%AB')\": a request line holds no spaces and only ASCII"
    );

    let mut op = SubRequest::new(Method::GET, "Customers(1)");
    op.part_headers.append("Content-ID", "7");
    let mut batch = BatchRequest::new();
    batch.push(op);
    let written = write_message(&batch.into(), &WriteOptions::default()).unwrap();
    assert_eq!(written.report.losses.len(), 1);
    assert_eq!(
        written.report.losses[0].to_string(),
        "item 1: part header \"Content-ID\" not written: the operation has no id, from which the Content-ID is written"
    );
}

/// `fuzz/multipart_chunked`: with a changeset boundary that starts with the batch
/// boundary, a chunk ending inside the changeset's delimiter let the batch's shorter
/// candidate at the same place be judged alone (as text), so the chunking decided.
#[test]
fn a_boundary_that_cannot_be_seen_yet_is_waited_for() {
    let input = b"--c\r\nContent-Type: multipart/mixed; boundary=changeset_v4-noid\r\n\r\n--changeset_v4-noid\r\nC\n";
    let options = DecodeOptions::lenient();
    let whole =
        decode(&Bytes::from_static(input), None, &options).map(|d| d.message.operation_count());
    for step in 1..input.len() {
        use batchwire_multipart::{Status, StreamDecoder};
        let mut decoder = StreamDecoder::new(None, &options).unwrap();
        let mut result = Ok(0);
        'feed: for chunk in input.chunks(step) {
            decoder.feed(chunk);
            loop {
                match decoder.next_event() {
                    Ok(Status::Event(_)) => result = result.map(|n| n + 1),
                    Ok(_) => break,
                    Err(e) => {
                        result = Err(e);
                        break 'feed;
                    }
                }
            }
        }
        if result.is_ok() {
            decoder.finish();
            loop {
                match decoder.next_event() {
                    Ok(Status::Event(_)) => result = result.map(|n| n + 1),
                    Ok(_) => break,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
        }
        match (&whole, &result) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "step {step}"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "step {step}"),
            _ => panic!("step {step}: {whole:?} vs {result:?}"),
        }
    }
}

/// What a reading comes to, in a shape both decoders give: one entry per operation (its
/// target or status, and its body), `[` and `]` around a changeset, then the tolerances.
type Reading = (Vec<(String, Vec<u8>)>, Vec<batchwire_core::Tolerance>);

/// Decodes `input` whole and again with the stream decoder in chunks of several sizes, and
/// checks that both agree on the operations, the tolerances and the error.
fn read_both(
    input: &[u8],
    ct: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<Reading, batchwire_core::ParseError> {
    use batchwire_core::Item;

    fn entries<T>(
        items: &[Item<T>],
        entry: impl Fn(&T) -> (String, Vec<u8>),
    ) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Operation(op) => out.push(entry(op)),
                Item::Group(g) => {
                    out.push(("[".to_owned(), Vec::new()));
                    out.extend(g.operations.iter().map(&entry));
                    out.push(("]".to_owned(), Vec::new()));
                }
            }
        }
        out
    }
    let whole = decode(&Bytes::copy_from_slice(input), ct, options).map(|d| {
        let ops = match &d.message {
            BatchMessage::Request(b) => entries(&b.items, |r| (r.target.clone(), r.body.to_vec())),
            BatchMessage::Response(b) => entries(&b.items, |r| {
                (r.status.as_str().to_owned(), r.body.to_vec())
            }),
        };
        (ops, d.tolerated)
    });
    for step in [1, 2, 3, 5, 8, 64] {
        let streamed = read_streamed(input, ct, options, step);
        match (&whole, &streamed) {
            (Ok(w), Ok(s)) => assert_eq!(w, s, "chunks of {step}"),
            (Err(w), Err(s)) => assert_eq!(
                (w.kind(), w.to_string()),
                (s.kind(), s.to_string()),
                "chunks of {step}"
            ),
            _ => panic!("chunks of {step}: {whole:?} vs {streamed:?}"),
        }
    }
    whole
}

/// The stream decoder's reading of `input` fed in chunks of `step` bytes.
fn read_streamed(
    input: &[u8],
    ct: Option<&[u8]>,
    options: &DecodeOptions,
    step: usize,
) -> Result<Reading, batchwire_core::ParseError> {
    use batchwire_multipart::{Event, Status, StreamDecoder};

    fn drain(
        decoder: &mut StreamDecoder,
        ops: &mut Vec<(String, Vec<u8>)>,
    ) -> Result<(), batchwire_core::ParseError> {
        loop {
            match decoder.next_event()? {
                Status::Event(Event::Request(r)) => ops.push((r.target, r.body.to_vec())),
                Status::Event(Event::Response(r)) => {
                    ops.push((r.status.as_str().to_owned(), r.body.to_vec()));
                }
                Status::Event(Event::GroupStart { .. }) => ops.push(("[".to_owned(), Vec::new())),
                Status::Event(Event::GroupEnd) => ops.push(("]".to_owned(), Vec::new())),
                Status::Event(_) => {}
                Status::NeedMore | Status::End => return Ok(()),
            }
        }
    }
    let mut decoder = StreamDecoder::new(ct, options)?;
    let mut ops = Vec::new();
    for chunk in input.chunks(step) {
        decoder.feed(chunk);
        drain(&mut decoder, &mut ops)?;
    }
    decoder.finish();
    drain(&mut decoder, &mut ops)?;
    let mut tolerated = decoder.tolerated().to_vec();
    tolerated.sort_by_key(|t| t.offset);
    Ok((ops, tolerated))
}

/// `--b--` followed by other text on its line is no close delimiter (RFC 2046 5.1.1 allows
/// only transport padding before the line break): lenient reading took it for the end of
/// the batch and dropped every part after it.
#[test]
fn a_close_delimiter_followed_by_text_is_body_text() {
    let input = "--b\r\nContent-Type: application/http\r\n\r\nPOST /x HTTP/1.1\r\n\r\nfirst\r\n--b--more text\r\nlast\r\n--b\r\nContent-Type: application/http\r\n\r\nGET /y HTTP/1.1\r\n\r\n\r\n--b--\r\n";
    let like = input.find("--b--more").unwrap();
    let (ops, tolerated) =
        read_both(input.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap();
    assert_eq!(
        ops,
        [
            ("/x".to_owned(), b"first\r\n--b--more text\r\nlast".to_vec()),
            ("/y".to_owned(), Vec::new()),
        ]
    );
    assert_eq!(
        tolerated,
        [batchwire_core::Tolerance {
            offset: like,
            kind: ToleranceKind::DelimiterLikeLine
        }]
    );
    let err = read_both(input.as_bytes(), Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::DelimiterLikeLine);
    assert_eq!(
        err.to_string(),
        "expected \"--b\" or \"--b--\" alone on its line, found \"--b--more text\\r\\n\" at byte 66 (line 7, column 1)"
    );
    // Transport padding after the close delimiter is still fine, in both modes.
    let padded = input
        .replace("--b--more text\r\nlast\r\n", "")
        .replace("--b--\r\n", "--b-- \t\r\n");
    let (ops, tolerated) =
        read_both(padded.as_bytes(), Some(CT), &DecodeOptions::strict()).unwrap();
    assert_eq!(ops.len(), 2);
    assert!(tolerated.is_empty());
}

/// MIME part headers may be folded over continuation lines (RFC 5322 2.2.3): strict mode
/// refused them, and an empty first line left a space before the value.
#[test]
fn folded_part_headers_are_unfolded_in_both_modes() {
    let input = "--b\r\n\
        Content-Type:\r\n \
        multipart/mixed;\r\n\t boundary=cs\r\n\
        \r\n\
        --cs\r\n\
        Content-Type: application/http\r\n\
        Content-ID: one\r\n   two \r\n\tthree\r\n\
        \r\n\
        POST /x HTTP/1.1\r\n\
        \r\n\
        {}\r\n\
        --cs--\r\n\
        --b--\r\n";
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let (ops, tolerated) = read_both(input.as_bytes(), Some(CT), &options).unwrap();
        assert_eq!(ops.len(), 3, "{ops:?}");
        assert!(tolerated.is_empty(), "{tolerated:?}");
        let decoded = decode(&Bytes::from(input), Some(CT), &options).unwrap();
        let BatchMessage::Request(batch) = decoded.message else {
            panic!("a request batch")
        };
        let batchwire_core::Item::Group(changeset) = &batch.items[0] else {
            panic!("a changeset")
        };
        assert_eq!(
            changeset.part_headers.get("content-type"),
            Some(&b"multipart/mixed; boundary=cs"[..])
        );
        let op = &changeset.operations[0];
        assert_eq!(
            op.part_headers.get("content-id"),
            Some(&b"one two three"[..])
        );
        assert_eq!(op.id.as_deref(), Some("one two three"));
        let view = parse(input.as_bytes(), Some(CT), &options).unwrap();
        let part = view.parts().next().unwrap();
        assert_eq!(
            part.part_headers[1].value.as_ref(),
            b"one two three",
            "the borrowed view unfolds too"
        );
    }
}

/// A folded header of the embedded HTTP message (obs-fold, RFC 9112 5.2) is an error in
/// strict mode; lenient mode unfolds it the same way, and reports it.
#[test]
fn folded_embedded_headers_are_unfolded_leniently_and_reported() {
    let input = "--b\r\n\
        Content-Type: application/http\r\n\
        \r\n\
        GET /x HTTP/1.1\r\n\
        X-Long:\r\n first\r\n\t second \r\n\
        Accept: text/plain\r\n\
        \r\n\
        \r\n\
        --b--\r\n";
    let fold = input.find(" first").unwrap();
    let (_, tolerated) = read_both(input.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap();
    assert_eq!(
        tolerated,
        [
            batchwire_core::Tolerance {
                offset: fold,
                kind: ToleranceKind::FoldedHeader
            },
            batchwire_core::Tolerance {
                offset: input.find("\t second").unwrap(),
                kind: ToleranceKind::FoldedHeader
            }
        ]
    );
    let decoded = decode(&Bytes::from(input), Some(CT), &DecodeOptions::lenient()).unwrap();
    let BatchMessage::Request(batch) = decoded.message else {
        panic!("a request batch")
    };
    let op = batch.operations().next().unwrap();
    assert_eq!(op.headers.get("x-long"), Some(&b"first second"[..]));
    assert_eq!(op.headers.get("accept"), Some(&b"text/plain"[..]));
    let err = read_both(input.as_bytes(), Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::InvalidHeader);
    assert_eq!(
        err.to_string(),
        "expected a header field, not a continuation line (obs-fold, RFC 9112 5.2), found \" first\\r\\n\" at byte 65 (line 6, column 1)"
    );
}

/// Request lines as vendors document them: Azure's blob batch sample ends its request line
/// with a space after the version, Google's batch guide writes none. Both were errors in
/// either mode; lenient mode now reads them and reports each, strict mode still refuses.
#[test]
fn request_lines_with_a_trailing_space_or_without_a_version() {
    let azure = "--b\r\n\
        Content-Type: application/http\r\n\
        Content-Transfer-Encoding: binary\r\n\
        Content-ID: 0\r\n\
        \r\n\
        DELETE /container0/blob0 HTTP/1.1 \r\n\
        x-ms-date: Thu, 14 Jun 2018 16:46:54 GMT\r\n\
        Content-Length: 0\r\n\
        \r\n\
        \r\n\
        --b--\r\n";
    let space = azure.find(" \r\n").unwrap();
    let (ops, tolerated) =
        read_both(azure.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap();
    assert_eq!(ops, [("/container0/blob0".to_owned(), Vec::new())]);
    assert_eq!(
        tolerated,
        [batchwire_core::Tolerance {
            offset: space,
            kind: ToleranceKind::RequestLineTrailingSpace
        }]
    );
    let view = parse(azure.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap();
    assert!(matches!(
        view.parts().next().unwrap().start,
        batchwire_multipart::StartLineRef::Request {
            method: b"DELETE",
            version: b"HTTP/1.1",
            ..
        }
    ));
    let err = read_both(azure.as_bytes(), Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::InvalidRequestLine);
    assert_eq!(
        err.to_string(),
        "expected the end of the request line, without whitespace, found \" \\r\\n\" at byte 122 (line 6, column 34)"
    );
    assert_eq!(err.offset(), space);

    let google = "--b\r\n\
        Content-Type: application/http\r\n\
        Content-ID: <item1:12930812@barnyard.example.com>\r\n\
        \r\n\
        GET /farm/v1/animals/pony\r\n\
        \r\n\
        \r\n\
        --b\r\n\
        Content-Type: application/http\r\n\
        Content-ID: <item2:12930812@barnyard.example.com>\r\n\
        \r\n\
        PUT /farm/v1/animals/sheep\r\n\
        Content-Type: application/json\r\n\
        \r\n\
        {\"animalName\": \"sheep\"}\r\n\
        --b--\r\n";
    let first = google.find("\r\n\r\n\r\n--b").unwrap();
    let second = google.find("\r\nContent-Type: application/json").unwrap();
    let lenient = DecodeOptions::lenient().with_dialect(batchwire_multipart::Dialect::Google);
    let (ops, tolerated) = read_both(google.as_bytes(), Some(CT), &lenient).unwrap();
    assert_eq!(
        ops,
        [
            ("/farm/v1/animals/pony".to_owned(), Vec::new()),
            (
                "/farm/v1/animals/sheep".to_owned(),
                b"{\"animalName\": \"sheep\"}".to_vec()
            ),
        ]
    );
    assert_eq!(
        tolerated,
        [
            batchwire_core::Tolerance {
                offset: first,
                kind: ToleranceKind::MissingHttpVersion
            },
            batchwire_core::Tolerance {
                offset: second,
                kind: ToleranceKind::MissingHttpVersion
            }
        ]
    );
    let view = parse(google.as_bytes(), Some(CT), &lenient).unwrap();
    assert!(matches!(
        view.parts().next().unwrap().start,
        batchwire_multipart::StartLineRef::Request {
            method: b"GET",
            target: b"/farm/v1/animals/pony",
            version: b"",
        }
    ));
    let err = read_both(google.as_bytes(), Some(CT), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::InvalidRequestLine);
    assert_eq!(err.offset(), first);

    // A target with spaces needs the version to find its end; so does a lone version.
    for line in ["GET /a b", "GET HTTP/1.1"] {
        let input =
            format!("--b\r\nContent-Type: application/http\r\n\r\n{line}\r\n\r\n\r\n--b--\r\n");
        let err = parse(input.as_bytes(), Some(CT), &DecodeOptions::lenient()).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::InvalidRequestLine, "{line}");
    }
}

/// An input without a single delimiter line of the batch boundary (an empty body, an HTML
/// or JSON error page, a body written for another boundary) read leniently as an empty
/// batch, with only a warning. It is an error in both modes, at the end of the input where
/// the search gave up, and says what the input holds instead.
#[test]
fn no_delimiter_at_all_is_no_batch() {
    let html = "<!DOCTYPE html>\r\n<html><head><title>502 Bad Gateway</title></head>\r\n<body>-- upstream --</body></html>\r\n";
    let json = "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"Access token has expired.\"}}";
    let other = "\r\n--batch_1 \r\nContent-Type: application/http\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n--batch_1--\r\n";
    let cases = [
        ("", "an empty input"),
        ("\r\n \r\n", "only white space"),
        (
            html,
            "none; the input starts with \"<!DOCTYPE html>\\r\\n\"",
        ),
        (
            json,
            "none; the input starts with \"{\\\"error\\\":{\\\"code\\\":\\\"InvalidAuthent\"...",
        ),
        (
            other,
            "delimiters for boundary \"batch_1\"; the input starts with \"--batch_1 \\r\\n\"",
        ),
    ];
    let ct = b"multipart/mixed; boundary=batch";
    for (input, found) in cases {
        for options in [DecodeOptions::lenient(), DecodeOptions::strict()] {
            let err = read_both(input.as_bytes(), Some(ct), &options).unwrap_err();
            if options.strict && input == other {
                // `--batch_1` starts with the delimiter `--batch`: strict mode stops there.
                assert_eq!(err.kind(), ParseErrorKind::DelimiterLikeLine);
                assert_eq!(err.offset(), 2);
                continue;
            }
            assert_eq!(err.kind(), ParseErrorKind::MissingDelimiter, "{input:?}");
            assert_eq!(err.offset(), input.len(), "{input:?}");
            assert_eq!(
                err.message(),
                format!("expected a delimiter line \"--batch\", found {found}"),
                "{input:?}"
            );
        }
    }
    // Lines too long to be delimiters are passed over, in both decoders alike, and a
    // preamble before the first delimiter is still no fault.
    let long = format!(
        "{}\r\n--{}\r\n\t\r\n--other--\r\n",
        "x".repeat(200),
        "y".repeat(100)
    );
    let err = read_both(long.as_bytes(), Some(ct), &DecodeOptions::lenient()).unwrap_err();
    assert_eq!(
        err.message(),
        format!(
            "expected a delimiter line \"--batch\", found delimiters for boundary \"other\"; the input starts with \"{}\"...",
            "x".repeat(32)
        )
    );
    let preamble = format!(
        "{long}--batch\r\nContent-Type: application/http\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n--batch--\r\n"
    );
    let (ops, _) = read_both(preamble.as_bytes(), Some(ct), &DecodeOptions::strict()).unwrap();
    assert_eq!(ops.len(), 1);

    // A multipart with its delimiters but no body part is still read as empty, leniently.
    let (ops, tolerated) =
        read_both(b"--batch--\r\n", Some(ct), &DecodeOptions::lenient()).unwrap();
    assert!(ops.is_empty());
    assert_eq!(
        tolerated,
        [batchwire_core::Tolerance {
            offset: 0,
            kind: ToleranceKind::EmptyMultipart
        }]
    );
    let err = parse(b"--batch--\r\n", Some(ct), &DecodeOptions::strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::EmptyMultipart);
}
