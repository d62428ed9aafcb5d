//! A generator of multipart batches and a simple serializer for them, shared by the
//! property tests.
#![allow(dead_code, unreachable_pub)]

use proptest::prelude::*;

#[derive(Clone, Debug)]
pub struct Op {
    pub id: Option<String>,
    /// A method and target for a request, or a status and reason for a response.
    pub start: Start,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub with_length: bool,
}

#[derive(Clone, Debug)]
pub enum Start {
    Request(String, String),
    Response(u16, Option<String>),
}

#[derive(Clone, Debug)]
pub enum GenItem {
    Op(Op),
    Changeset(String, Vec<Op>),
}

#[derive(Clone, Debug)]
pub struct GenBatch {
    pub boundary: String,
    pub items: Vec<GenItem>,
    pub crlf: bool,
    pub preamble: bool,
}

pub fn boundary() -> impl Strategy<Value = String> {
    "[A-Za-z0-9'()+_,./:=?-][A-Za-z0-9'()+_,./:=? -]{6,40}[A-Za-z0-9_-]"
}

/// Bodies made of pieces that stress the framing: line breaks, dashes, prefixes of a
/// boundary, and arbitrary bytes.
pub fn body(boundary: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
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

pub fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
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

pub fn op(response: bool, in_changeset: bool, boundary: &str) -> impl Strategy<Value = Op> + use<> {
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

pub fn batch() -> impl Strategy<Value = GenBatch> {
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

pub fn content_type(boundary: &str) -> String {
    format!("multipart/mixed; boundary=\"{boundary}\"")
}

/// The test-side serializer: deliberately simple, one `write!` per line.
pub fn serialize(batch: &GenBatch) -> Vec<u8> {
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
pub fn representable(batch: &GenBatch) -> bool {
    batch.crlf
        || batch.items.iter().all(|item| match item {
            GenItem::Op(op) => !op.body.ends_with(b"\r"),
            GenItem::Changeset(_, ops) => ops.iter().all(|op| !op.body.ends_with(b"\r")),
        })
}
