//! Properties: generated batches, written by a simple serializer here, decode to the items
//! they were written from; and the decoder finds the same parts as a naive splitter.

use batchwire_core::{BatchMessage, Item};
use batchwire_multipart::{DecodeOptions, ItemRef, decode, parse};
use bytes::Bytes;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Op {
    id: Option<String>,
    /// A method and target for a request, or a status and reason for a response.
    start: Start,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    with_length: bool,
}

#[derive(Clone, Debug)]
enum Start {
    Request(String, String),
    Response(u16, Option<String>),
}

#[derive(Clone, Debug)]
enum GenItem {
    Op(Op),
    Changeset(String, Vec<Op>),
}

#[derive(Clone, Debug)]
struct GenBatch {
    boundary: String,
    items: Vec<GenItem>,
    crlf: bool,
    preamble: bool,
}

fn boundary() -> impl Strategy<Value = String> {
    "[A-Za-z0-9'()+_,./:=?-][A-Za-z0-9'()+_,./:=? -]{6,40}[A-Za-z0-9_-]"
}

/// Bodies made of pieces that stress the framing: line breaks, dashes, prefixes of a
/// boundary, and arbitrary bytes.
fn body(boundary: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
    let prefix = boundary[..boundary.len() / 2].to_owned();
    let piece = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"--".to_vec()),
        Just(b"\r\n--".to_vec()),
        Just(format!("\r\n--{prefix}\r\n").into_bytes()),
        Just(b"HTTP/1.1 200 OK\r\n\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
        "[ -~]{0,20}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            "[A-Za-z][A-Za-z0-9-]{0,15}".prop_filter("managed by the serializer", |n| {
                !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("content-id")
            }),
            "[ -~]{0,30}".prop_map(|v| v.trim().to_owned()),
        ),
        0..4,
    )
}

fn op(response: bool, in_changeset: bool, boundary: &str) -> impl Strategy<Value = Op> + use<> {
    // A changeset holds only requests that change data (strict mode rejects a GET there).
    let methods = if in_changeset {
        vec!["POST", "PUT", "PATCH", "DELETE", "MERGE"]
    } else {
        vec!["GET", "POST", "PUT", "PATCH", "DELETE", "MERGE"]
    };
    let start = if response {
        (100u16..1000, prop::option::of("[A-Za-z][ A-Za-z]{0,20}"))
            .prop_map(|(status, reason)| {
                Start::Response(status, reason.map(|r| r.trim_end().to_owned()))
            })
            .boxed()
    } else {
        (
            prop::sample::select(methods),
            "[A-Za-z0-9()$/?=&,.'_~-]{1,30}",
        )
            .prop_map(|(m, t)| Start::Request(m.to_owned(), t))
            .boxed()
    };
    (
        prop::option::of("[A-Za-z0-9._-]{1,10}"),
        start,
        headers(),
        body(boundary),
        any::<bool>(),
    )
        .prop_map(|(id, start, headers, body, with_length)| Op {
            id,
            start,
            headers,
            body,
            with_length,
        })
}

fn batch() -> impl Strategy<Value = GenBatch> {
    (
        boundary(),
        boundary(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        // RFC 2046 wants boundaries that are not prefixes of one another.
        .prop_filter("distinct boundaries", |(outer, inner, ..)| {
            let inner = format!("cs_{inner}");
            !inner.starts_with(outer.as_str()) && !outer.starts_with(inner.as_str())
        })
        .prop_flat_map(|(outer, inner, response, crlf, preamble)| {
            let inner = format!("cs_{inner}");
            let item = prop_oneof![
                3 => op(response, false, &outer).prop_map(GenItem::Op),
                1 => prop::collection::vec(op(response, true, &inner), 1..4)
                    .prop_map({
                        let inner = inner.clone();
                        move |ops| GenItem::Changeset(inner.clone(), ops)
                    }),
            ];
            prop::collection::vec(item, 1..6).prop_map(move |items| GenBatch {
                boundary: outer.clone(),
                items,
                crlf,
                preamble,
            })
        })
}

fn content_type(boundary: &str) -> String {
    format!("multipart/mixed; boundary=\"{boundary}\"")
}

/// The test-side serializer: deliberately simple, one `write!` per line.
fn serialize(batch: &GenBatch) -> Vec<u8> {
    let eol: &[u8] = if batch.crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    if batch.preamble {
        out.extend_from_slice(b"This is a preamble.");
        out.extend_from_slice(eol);
    }
    let write_op = |out: &mut Vec<u8>, op: &Op| {
        out.extend_from_slice(b"Content-Type: application/http");
        out.extend_from_slice(eol);
        if let Some(id) = &op.id {
            out.extend_from_slice(format!("Content-ID: {id}").as_bytes());
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(eol);
        match &op.start {
            Start::Request(m, t) => out.extend_from_slice(format!("{m} {t} HTTP/1.1").as_bytes()),
            Start::Response(s, Some(r)) => {
                out.extend_from_slice(format!("HTTP/1.1 {s} {r}").as_bytes());
            }
            Start::Response(s, None) => out.extend_from_slice(format!("HTTP/1.1 {s}").as_bytes()),
        }
        out.extend_from_slice(eol);
        for (n, v) in &op.headers {
            out.extend_from_slice(format!("{n}: {v}").as_bytes());
            out.extend_from_slice(eol);
        }
        if op.with_length {
            out.extend_from_slice(format!("Content-Length: {}", op.body.len()).as_bytes());
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(eol);
        out.extend_from_slice(&op.body);
        out.extend_from_slice(eol);
    };
    for item in &batch.items {
        out.extend_from_slice(format!("--{}", batch.boundary).as_bytes());
        out.extend_from_slice(eol);
        match item {
            GenItem::Op(op) => write_op(&mut out, op),
            GenItem::Changeset(cs, ops) => {
                out.extend_from_slice(format!("Content-Type: {}", content_type(cs)).as_bytes());
                out.extend_from_slice(eol);
                out.extend_from_slice(eol);
                for op in ops {
                    out.extend_from_slice(format!("--{cs}").as_bytes());
                    out.extend_from_slice(eol);
                    write_op(&mut out, op);
                }
                out.extend_from_slice(format!("--{cs}--").as_bytes());
                out.extend_from_slice(eol);
            }
        }
    }
    out.extend_from_slice(format!("--{}--", batch.boundary).as_bytes());
    out.extend_from_slice(eol);
    out
}

/// With LF line breaks a body ending in CR is ambiguous (its CR would read as part of a
/// CRLF), so those are not generated in LF mode.
fn representable(batch: &GenBatch) -> bool {
    batch.crlf
        || batch.items.iter().all(|item| match item {
            GenItem::Op(op) => !op.body.ends_with(b"\r"),
            GenItem::Changeset(_, ops) => ops.iter().all(|op| !op.body.ends_with(b"\r")),
        })
}

fn check_op_request(op: &Op, got: &batchwire_core::SubRequest) {
    let Start::Request(m, t) = &op.start else {
        panic!("a request")
    };
    assert_eq!(got.method.as_str(), m);
    assert_eq!(&got.target, t);
    assert_eq!(got.id, op.id);
    assert_eq!(&got.body[..], &op.body[..]);
    let names: Vec<_> = got
        .headers
        .iter()
        .filter(|h| !h.is("content-length"))
        .map(|h| (h.name_str().into_owned(), h.value_str().unwrap().to_owned()))
        .collect();
    assert_eq!(names, op.headers);
}

fn check_op_response(op: &Op, got: &batchwire_core::SubResponse) {
    let Start::Response(s, r) = &op.start else {
        panic!("a response")
    };
    assert_eq!(got.status.as_u16(), *s);
    assert_eq!(&got.reason, r);
    assert_eq!(got.id, op.id);
    assert_eq!(&got.body[..], &op.body[..]);
}

fn check<T>(items: &[Item<T>], want: &[GenItem], check_op: impl Fn(&Op, &T)) {
    assert_eq!(items.len(), want.len());
    for (item, want) in items.iter().zip(want) {
        match (item, want) {
            (Item::Operation(got), GenItem::Op(op)) => check_op(op, got),
            (Item::Group(group), GenItem::Changeset(_, ops)) => {
                assert_eq!(group.operations.len(), ops.len());
                for (got, op) in group.operations.iter().zip(ops) {
                    check_op(op, got);
                }
            }
            (got, _) => panic!("item shape differs: {}", matches!(got, Item::Group(_))),
        }
    }
}

/// The obviously correct splitter: tries every offset, by the words of RFC 2046.
fn naive_split(input: &[u8], boundary: &str) -> Vec<usize> {
    let dash = format!("--{boundary}");
    let dash = dash.as_bytes();
    let mut starts = Vec::new();
    for i in 0..input.len() {
        let at_line_start = i == 0 || input[i - 1] == b'\n';
        if !at_line_start || !input[i..].starts_with(dash) {
            continue;
        }
        let rest = &input[i + dash.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let rest = &rest[padding..];
        if rest.starts_with(b"\r\n") {
            starts.push(i + dash.len() + padding + 2);
        } else if rest.starts_with(b"\n") {
            starts.push(i + dash.len() + padding + 1);
        }
    }
    starts
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_batches_decode_to_their_items(batch in batch().prop_filter("representable", representable)) {
        let input = Bytes::from(serialize(&batch));
        let ct = content_type(&batch.boundary);
        let options = if batch.crlf { DecodeOptions::strict() } else { DecodeOptions::lenient() };
        let decoded = decode(&input, Some(ct.as_bytes()), &options)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&input)));
        match &decoded.message {
            BatchMessage::Request(b) => check(&b.items, &batch.items, check_op_request),
            BatchMessage::Response(b) => check(&b.items, &batch.items, check_op_response),
        }
        // Bodies are views of the input, never copies.
        let range = input.as_ptr_range();
        let bodies: Vec<Bytes> = match &decoded.message {
            BatchMessage::Request(b) => b.operations().map(|o| o.body.clone()).collect(),
            BatchMessage::Response(b) => b.operations().map(|o| o.body.clone()).collect(),
        };
        for body in bodies.iter().filter(|b| !b.is_empty()) {
            prop_assert!(range.start <= body.as_ptr() && body.as_ptr_range().end <= range.end);
        }
    }

    #[test]
    fn top_level_parts_match_the_naive_splitter(batch in batch().prop_filter("representable", representable)) {
        let input = serialize(&batch);
        let ct = content_type(&batch.boundary);
        let view = parse(&input, Some(ct.as_bytes()), &DecodeOptions::lenient()).unwrap();
        let starts: Vec<usize> = view.items.iter().map(|item| match item {
            ItemRef::Operation(p) => p.offset,
            ItemRef::Group(g) => g.offset,
        }).collect();
        prop_assert_eq!(starts, naive_split(&input, &batch.boundary));
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..400), strict in any::<bool>()) {
        let options = if strict { DecodeOptions::strict() } else { DecodeOptions::lenient() };
        if let Err(e) = parse(&input, Some(b"multipart/mixed; boundary=b"), &options) {
            prop_assert!(e.offset() <= input.len());
        }
        let _ = parse(&input, None, &options);
    }

    #[test]
    fn mutated_batches_never_panic(
        batch in batch(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut input = serialize(&batch);
        for (at, byte) in edits {
            let i = at.index(input.len());
            input[i] = byte;
        }
        let ct = content_type(&batch.boundary);
        for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
            if let Err(e) = decode(&Bytes::from(input.clone()), Some(ct.as_bytes()), &options) {
                prop_assert!(e.offset() <= input.len());
                prop_assert!(e.line() >= 1 && e.column() >= 1);
            }
        }
    }
}
