//! Hostile JSON inputs: each is stopped by a limit with a located error, in bounded memory.
//! Peak allocation is measured with dhat, never time.

use batchwire_core::ParseErrorKind;
use batchwire_json::{DecodeOptions, JsonFormat, decode};
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

const MIB: usize = 1 << 20;

fn nested_100_000_deep() {
    let depth = 100_000;
    // In a body: opaque text, never parsed into values; skipped with a heap stack of one
    // byte a level, so the depth costs neither the call stack nor much memory.
    let mut doc = String::from(
        r#"{"requests":[{"id":"r1","method":"post","url":"x","headers":{"content-type":"application/json"},"body":"#,
    );
    doc.push_str(&"[".repeat(depth));
    doc.push_str(&"]".repeat(depth));
    doc.push_str("}]}");
    let input = Bytes::from(doc);
    let (result, peak) =
        peak_during(|| decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict()));
    let decoded = result.map_err(|e| e.to_string()).unwrap();
    assert_eq!(decoded.message.operation_count(), 1);
    assert!(peak < MIB, "{peak} bytes");

    // Where the envelope wants an object: stopped at the first level, with its place.
    let mut doc = String::from(r#"{"requests":"#);
    doc.push_str(&"[".repeat(depth));
    doc.push_str(&"]".repeat(depth));
    doc.push('}');
    let input = Bytes::from(doc);
    let (result, peak) =
        peak_during(|| decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict()));
    let err = result.expect_err("an envelope nested in arrays is refused");
    assert!(err.offset() <= input.len());
    assert!(
        err.to_string().contains("/requests/0"),
        "{}",
        &err.to_string()[..200.min(err.to_string().len())]
    );
    assert!(peak < MIB, "{peak} bytes");

    for format in JsonFormat::ALL {
        let doc = "[".repeat(depth) + &"]".repeat(depth);
        let input = Bytes::from(doc);
        let (result, peak) = peak_during(|| decode(&input, format, &DecodeOptions::strict()));
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{format} read {depth} nested arrays"));
        assert!(err.offset() <= input.len(), "{format}");
        assert!(peak < MIB, "{format}: {peak} bytes");
    }
}

fn a_million_elements() {
    let mut doc = String::from(r#"{"requests":["#);
    for i in 0..1_000_000 {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str("{}");
    }
    doc.push_str("]}");
    let input = Bytes::from(doc);
    let (result, peak) =
        peak_during(|| decode(&input, JsonFormat::OdataJson, &DecodeOptions::lenient()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded, "{err}");
    assert!(err.offset() <= input.len());
    println!("a million elements: {err}; peak {peak} bytes");
    assert!(peak < 2 * MIB, "{peak} bytes");
}

fn a_million_elements_in_a_body() {
    // A body is never parsed into values: its size costs nothing but the scan.
    let mut doc = String::from(
        r#"{"requests":[{"id":"r1","method":"post","url":"x","headers":{"content-type":"application/json"},"body":["#,
    );
    for i in 0..1_000_000 {
        if i > 0 {
            doc.push(',');
        }
        doc.push('1');
    }
    doc.push_str("]}]}");
    let input = Bytes::from(doc);
    let (result, peak) =
        peak_during(|| decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict()));
    let decoded = result.unwrap();
    assert_eq!(decoded.message.operation_count(), 1);
    assert!(peak < MIB, "{peak} bytes");
}

/// A megabyte of reference openers in a body: each opener is malformed and the one `}` is
/// at the end. Strict mode stops at the first; lenient mode at the first past the limit on
/// references, without storing the others.
fn a_megabyte_of_reference_openers() {
    let openers = "@{".repeat(MIB / 2) + "}";
    let doc = format!(
        r#"{{"compositeRequest":[{{"method":"POST","url":"/x","referenceId":"a","body":"{openers}"}}]}}"#
    );
    let input = Bytes::from(doc);
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let (result, peak) =
            peak_during(|| decode(&input, JsonFormat::SalesforceComposite, &options));
        let err = result.unwrap_err();
        assert!(err.offset() <= input.len());
        println!("a megabyte of @{{: {err}; peak {peak} bytes");
        assert!(peak < MIB, "{peak} bytes");
    }

    let openers = "{result=".repeat(MIB / 8) + "}";
    let doc = format!(r#"[{{"method":"POST","relative_url":"x","body":"{openers}"}}]"#);
    let input = Bytes::from(doc);
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let (result, peak) = peak_during(|| decode(&input, JsonFormat::MetaGraph, &options));
        let err = result.unwrap_err();
        assert!(err.offset() <= input.len());
        println!("a megabyte of {{result=: {err}; peak {peak} bytes");
        assert!(peak < MIB, "{peak} bytes");
    }
}

/// `"m0":"0","m1":"0",...`: `n` members.
fn members(n: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(n * 12);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        // Writing into a String cannot fail.
        let _ = write!(out, "\"m{i}\":\"0\"");
    }
    out
}

/// A headers object of a million members: counted past the limit, never stored.
fn a_million_header_members() {
    let doc = format!(
        r#"{{"requests":[{{"id":"r1","method":"get","url":"x","headers":{{{}}}}}]}}"#,
        members(1_000_000)
    );
    let input = Bytes::from(doc);
    for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let (result, peak) = peak_during(|| decode(&input, JsonFormat::OdataJson, &options));
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::LimitExceeded, "{err}");
        assert!(
            err.to_string()
                .starts_with("expected at most 256 headers, found 1000000 at byte 59"),
            "{err}"
        );
        assert!(peak < MIB, "{peak} bytes");
    }
}

/// An operation object with a million members the format does not define: in lenient mode
/// each would be kept and reported, so the object is refused before any is.
fn a_million_unknown_members() {
    let doc = format!(
        r#"{{"requests":[{{"id":"r1","method":"get","url":"x",{}}}]}}"#,
        members(1_000_000)
    );
    let input = Bytes::from(doc);
    let (result, peak) =
        peak_during(|| decode(&input, JsonFormat::OdataJson, &DecodeOptions::lenient()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::LimitExceeded, "{err}");
    assert!(
        err.to_string().starts_with(
            "expected at most 256 members in the object at /requests/0 (the limit on headers), found 1000003 at byte 13"
        ),
        "{err}"
    );
    assert!(peak < MIB, "{peak} bytes");
}

#[test]
fn hostile_json_is_stopped_in_bounded_memory() {
    nested_100_000_deep();
    a_million_elements();
    a_million_elements_in_a_body();
    a_megabyte_of_reference_openers();
    a_million_header_members();
    a_million_unknown_members();
}
