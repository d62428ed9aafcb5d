//! Properties: generated batches, written by a simple serializer here, decode to the items
//! they were written from; and the decoder finds the same parts as a naive splitter.

mod common;

use batchwire_core::{BatchMessage, Item};
use batchwire_multipart::{DecodeOptions, ItemRef, decode, parse};
use bytes::Bytes;
use common::{GenItem, Op, Start, batch, content_type, representable, serialize};
use proptest::prelude::*;

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
    assert_eq!(got.reason_str().map(std::borrow::Cow::into_owned), *r);
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
        let close = rest.starts_with(b"--");
        let rest = if close { &rest[2..] } else { rest };
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let rest = &rest[padding..];
        if close {
            // Only padding and a line break (or the end) may follow a close delimiter.
            if rest.is_empty() || rest.starts_with(b"\r\n") || rest.starts_with(b"\n") {
                break;
            }
        } else if rest.starts_with(b"\r\n") {
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
