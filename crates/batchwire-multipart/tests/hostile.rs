//! Hostile inputs: each is stopped by a limit with a located error, or read, in bounded
//! memory. Peak allocation is measured with a counting allocator, never time.

use batchwire_core::{Limits, ParseErrorKind};
use batchwire_multipart::{DecodeOptions, Status, StreamDecoder, decode};
use bytes::Bytes;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Runs `f` and returns its result with the most heap bytes live at once while it ran.
/// dhat allows one profiler at a time, so the scenarios run in one test, one by one.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let profiler = dhat::Profiler::builder().testing().build();
    let out = f();
    let stats = dhat::HeapStats::get();
    drop(profiler);
    (out, stats.max_bytes)
}

const CT: &[u8] = b"multipart/mixed; boundary=b";
const MIB: usize = 1 << 20;

fn strict() -> DecodeOptions {
    DecodeOptions::strict()
}

fn ten_megabytes_of_dashes() {
    let input = Bytes::from(vec![b'-'; 10 * MIB]);
    let (result, peak) = peak_during(|| decode(&input, Some(CT), &DecodeOptions::lenient()));
    // No delimiter `--b` anywhere: no batch, in either mode, located where the search gave
    // up; the one line is too long to be a delimiter of another boundary.
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::MissingDelimiter);
    assert_eq!(err.offset(), input.len());
    assert_eq!(
        err.message(),
        format!(
            "expected a delimiter line \"--b\", found none; the input starts with \"{}\"...",
            "-".repeat(32)
        )
    );
    let err = decode(&input, Some(CT), &strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::MissingDelimiter);
    assert!(peak < MIB, "{peak} bytes");
}

fn dashes_that_match_the_boundary_everywhere() {
    // With boundary `-`, every `---` is a candidate; none is at a line start but the first,
    // which is `-----` followed by more dashes on its line: no close delimiter, but a line
    // that starts with the delimiter and goes on with other text.
    let input = Bytes::from(vec![b'-'; 10 * MIB]);
    let (result, peak) =
        peak_during(|| decode(&input, Some(b"multipart/mixed; boundary=-"), &strict()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::DelimiterLikeLine);
    assert_eq!(err.offset(), 0);
    assert!(peak < MIB, "{peak} bytes");
}

fn a_million_empty_parts() {
    let mut input = b"--b\r\n".repeat(1_000_000);
    input.extend_from_slice(b"--b--\r\n");
    let input = Bytes::from(input);
    let (result, peak) = peak_during(|| decode(&input, Some(CT), &DecodeOptions::lenient()));
    let err = result.unwrap_err();
    // The first empty part has no headers: it fails long before any limit.
    assert_eq!(err.kind(), ParseErrorKind::UnexpectedEnd);
    assert_eq!(err.offset(), 5);
    assert!(peak < MIB, "{peak} bytes");

    let part = b"--b\r\nContent-Type: application/http\r\n\r\nGET x HTTP/1.1\r\n\r\n\r\n";
    let mut input = part.repeat(1_000_000);
    input.extend_from_slice(b"--b--\r\n");
    let input = Bytes::from(input);
    let (result, peak) = peak_during(|| decode(&input, Some(CT), &strict()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded);
    assert_eq!(
        err.message(),
        "body part 10001 exceeds the limit of 10000 parts"
    );
    assert_eq!(err.offset(), part.len() * 10_000 + 5);
    // 10,000 parsed parts of a few hundred bytes of records each.
    assert!(peak < 16 * MIB, "{peak} bytes");
}

fn a_hundred_thousand_headers() {
    let mut input = b"--b\r\nContent-Type: application/http\r\n\r\nGET x HTTP/1.1\r\n".to_vec();
    for _ in 0..100_000 {
        input.extend_from_slice(b"X: y\r\n");
    }
    input.extend_from_slice(b"\r\n\r\n--b--\r\n");
    let input = Bytes::from(input);
    let (result, peak) = peak_during(|| decode(&input, Some(CT), &strict()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded);
    assert_eq!(
        err.message(),
        "header field 257 exceeds the limit of 256 per section"
    );
    assert!(peak < MIB, "{peak} bytes");
}

fn a_one_megabyte_header_line() {
    let mut input = b"--b\r\nContent-Type: application/http\r\n\r\nGET x HTTP/1.1\r\nX: ".to_vec();
    input.extend(std::iter::repeat_n(b'y', MIB));
    input.extend_from_slice(b"\r\n\r\n\r\n--b--\r\n");
    let input = Bytes::from(input);
    let (result, peak) = peak_during(|| decode(&input, Some(CT), &strict()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded);
    assert_eq!(
        err.message(),
        "header section exceeds the limit of 65536 bytes"
    );
    assert!(peak < MIB / 4, "{peak} bytes");
}

fn deeply_nested_multiparts() {
    let depth = 10_000;
    let mut input = Vec::new();
    for level in 0..depth {
        input.extend_from_slice(
            format!(
                "--b{level}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
                level + 1
            )
            .as_bytes(),
        );
    }
    let input = Bytes::from(input);
    let (result, peak) = peak_during(|| {
        decode(
            &input,
            Some(b"multipart/mixed; boundary=b0"),
            &DecodeOptions::lenient(),
        )
    });
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::NestingTooDeep);
    assert!(
        err.message()
            .contains("a changeset may not hold another changeset"),
        "{err}"
    );
    assert!(peak < MIB, "{peak} bytes");
}

fn a_content_length_of_two_to_the_sixty_third() {
    let input = Bytes::from_static(
        b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\nshort\r\n--b--\r\n",
    );
    let (result, peak) = peak_during(|| decode(&input, Some(CT), &strict()));
    let decoded = result.unwrap();
    let batchwire_core::BatchMessage::Response(batch) = decoded.message else {
        panic!("a response batch");
    };
    assert_eq!(&batch.operations().next().unwrap().body[..], b"short");
    assert_eq!(
        decoded.tolerated[0].kind,
        batchwire_core::ToleranceKind::ContentLengthTooLarge
    );
    assert!(peak < 64 << 10, "{peak} bytes");
}

fn a_part_without_end_is_bounded_when_streamed() {
    // A part that never ends: the incremental decoder stops at the part bound instead of
    // holding the stream.
    let limits = Limits::default()
        .with_max_body_bytes(MIB)
        .with_max_header_bytes(1024);
    let options = DecodeOptions::strict().with_limits(limits);
    let ((err, held), peak) = peak_during(|| {
        let mut decoder = StreamDecoder::new(Some(CT), &options).unwrap();
        decoder.feed(b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
        let chunk = vec![b'z'; 64 << 10];
        let mut held = 0;
        loop {
            decoder.feed(&chunk);
            held = held.max(decoder.buffered());
            match decoder.next_event() {
                Ok(Status::NeedMore) => {}
                Ok(other) => panic!("{other:?}"),
                Err(e) => return (e, held),
            }
        }
    });
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded);
    assert_eq!(err.offset(), 5);
    assert!(held <= MIB + 2 * 1024 + (64 << 10) * 2, "{held}");
    assert!(peak < 8 * MIB, "{peak} bytes");
}

#[test]
fn hostile_inputs_are_stopped_in_bounded_memory() {
    ten_megabytes_of_dashes();
    dashes_that_match_the_boundary_everywhere();
    a_million_empty_parts();
    a_hundred_thousand_headers();
    a_one_megabyte_header_line();
    deeply_nested_multiparts();
    a_content_length_of_two_to_the_sixty_third();
    a_part_without_end_is_bounded_when_streamed();
}
