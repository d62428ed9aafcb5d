//! Deterministic inputs for the batchwire benchmarks.
//!
//! Every input is generated from its parameters alone, so two runs (or two machines) measure
//! the same bytes. The shapes follow what real servers send: OData V4 batch responses with
//! an embedded `Content-Length` on every part, changesets of `201 Created` answers with a
//! `Location`, multi-megabyte bodies whose lines start with `--` without being delimiters,
//! and Salesforce Composite responses.
//!
//! | input | what it is |
//! |---|---|
//! | `many-small` | 1,000 `200 OK` responses with ~300-byte JSON bodies, CRLF |
//! | `changesets` | 50 changesets of 20 `201 Created` (with `Location`), between 200 `200 OK` |
//! | `large-bodies` | 8 responses of 4 MiB text, with lines that start with `--` |
//! | `lf-only` | `many-small` with bare LF line breaks |
//! | `parts-1`, `parts-100`, `parts-10000` | `many-small` at 1, 100 and 10,000 parts |
//! | `composite-json` | Salesforce `compositeResponse` of 1,000 results with ~300-byte bodies |
//! | `composite-json-large` | the same with 25 results of ~1 MiB |
//! | `composite-json-1`, `-100`, `-10000` | `composite-json` at 1, 100 and 10,000 results |
#![forbid(unsafe_code)]

use std::fmt::Write as _;

use batchwire_core::BatchMessage;
use batchwire_json::JsonFormat;
use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

/// Appends formatted text to a `String`.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {
        // Invariant: writing to a `String` cannot fail.
        $out.write_fmt(format_args!($($arg)*)).expect("writing to a String")
    };
}

/// The batch boundary of every multipart input (the shape Olingo and CAP write).
pub const BOUNDARY: &str = "batchresponse_6f1c2a07-4b1e-4c55-9d7a-3c1f0e2b8a91";

/// A `multipart/mixed` batch and the `Content-Type` that names its boundary.
#[derive(Clone, Debug)]
pub struct MultipartInput {
    /// The input's name in benchmark ids.
    pub name: String,
    /// The value of the batch's `Content-Type` header.
    pub content_type: String,
    /// The batch boundary.
    pub boundary: String,
    /// The whole body.
    pub body: Bytes,
    /// The number of embedded responses, changeset members included.
    pub responses: usize,
}

/// A JSON batch document.
#[derive(Clone, Debug)]
pub struct JsonInput {
    /// The input's name in benchmark ids.
    pub name: String,
    /// The format the document is written in.
    pub format: JsonFormat,
    /// The whole document.
    pub body: Bytes,
    /// The number of sub-responses.
    pub responses: usize,
}

/// Inputs above this size get 10 flat samples instead of 100 growing ones, so that a bench
/// of a slow reader on 32 MiB still ends within its measurement time.
pub const LARGE: usize = 8 << 20;

/// A benchmark group whose throughput is `len` bytes per iteration, sampled as its size asks.
pub fn group<'c>(c: &'c mut Criterion, name: &str, len: usize) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(len as u64));
    if len > LARGE {
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
    }
    group
}

/// Every multipart input, in the order the benchmarks run them.
pub fn multipart_inputs() -> Vec<MultipartInput> {
    vec![
        many_small(),
        changesets(),
        large_bodies(),
        lf_only(),
        parts(1),
        parts(100),
        parts(10_000),
    ]
}

/// Every Salesforce Composite input, in the order the benchmarks run them.
pub fn composite_inputs() -> Vec<JsonInput> {
    vec![
        composite_json(),
        composite_json_large(),
        composite_parts(1),
        composite_parts(100),
        composite_parts(10_000),
    ]
}

/// 1,000 `200 OK` responses with ~300-byte JSON bodies, CRLF line breaks.
pub fn many_small() -> MultipartInput {
    let mut input = small_responses(1000, "\r\n");
    input.name = "many-small".into();
    input
}

/// `many-small` with bare LF line breaks, as some servers and hand-written tests send.
pub fn lf_only() -> MultipartInput {
    let mut input = small_responses(1000, "\n");
    input.name = "lf-only".into();
    input
}

/// `many-small` with `n` responses, named `parts-<n>`.
pub fn parts(n: usize) -> MultipartInput {
    let mut input = small_responses(n, "\r\n");
    input.name = format!("parts-{n}");
    input
}

/// 50 changesets of 20 `201 Created` responses with a `Location` and a small body, with four
/// `200 OK` responses to GETs before each changeset (200 in all).
pub fn changesets() -> MultipartInput {
    let mut out = String::new();
    let mut content_id = 0;
    for c in 0..50 {
        for g in 0..4 {
            let i = c * 4 + g;
            open_part(&mut out, BOUNDARY, None, "\r\n");
            embedded_ok(&mut out, &entity_body(i, 300), "\r\n");
        }
        let changeset = format!("changesetresponse_{c:04}-9d3e-4f6a-b1c2-7e8f9a0b1c2d");
        put!(
            out,
            "--{BOUNDARY}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
        );
        for m in 0..20 {
            content_id += 1;
            let id = 10_000 + c * 20 + m;
            open_part(&mut out, &changeset, Some(content_id), "\r\n");
            let body = created_body(id);
            put!(
                out,
                "HTTP/1.1 201 Created\r\n\
                 OData-Version: 4.0\r\n\
                 Location: https://services.example.org/odata/v4/sales/Orders({id})\r\n\
                 Content-Type: application/json;odata.metadata=minimal\r\n\
                 Content-Length: {}\r\n\r\n{body}\r\n",
                body.len()
            );
        }
        put!(out, "--{changeset}--\r\n");
    }
    put!(out, "--{BOUNDARY}--\r\n");
    multipart("changesets", out.into_bytes(), 50 * 24)
}

/// 8 responses with 4 MiB text bodies. One line in 40 starts with `--` (SQL comments, rules
/// of dashes, a prefix of the boundary) without being a delimiter, so a reader that checks
/// every line start, or every `--`, pays for it.
pub fn large_bodies() -> MultipartInput {
    const BODY: usize = 4 << 20;
    let mut out = Vec::with_capacity(8 * (BODY + 512));
    for part in 0..8 {
        let body = text_body(part, BODY);
        let mut head = String::new();
        open_part(&mut head, BOUNDARY, None, "\r\n");
        put!(
            head,
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    multipart("large-bodies", out, 8)
}

/// A Salesforce Composite response of 1,000 results with ~300-byte record bodies; one in
/// five is a `201` with a `Location` header.
pub fn composite_json() -> JsonInput {
    composite("composite-json", 1000, |i| account_body(i, 300))
}

/// A Salesforce Composite response of 25 results with ~1 MiB query-result bodies.
pub fn composite_json_large() -> JsonInput {
    composite("composite-json-large", 25, |i| query_body(i, 1 << 20))
}

/// `composite-json` with `n` results, named `composite-json-<n>`.
pub fn composite_parts(n: usize) -> JsonInput {
    composite(&format!("composite-json-{n}"), n, |i| account_body(i, 300))
}

/// `message` written in `format` as an input named `name`.
///
/// # Panics
///
/// When the format cannot carry the batch at all.
pub fn json_from(name: &str, message: &BatchMessage, format: JsonFormat) -> JsonInput {
    let encoded = batchwire_json::encode(message, format, &batchwire_json::WriteOptions::default())
        .expect("a batch every response format can carry");
    JsonInput {
        name: name.into(),
        format,
        body: encoded.body,
        responses: message.operation_count(),
    }
}

/// The ~300-byte responses of `many-small`, `lf-only` and `parts-<n>`.
fn small_responses(n: usize, eol: &str) -> MultipartInput {
    let mut out = String::with_capacity(n * 520);
    for i in 0..n {
        open_part(&mut out, BOUNDARY, None, eol);
        embedded_ok(&mut out, &entity_body(i, 300), eol);
    }
    put!(out, "--{BOUNDARY}--{eol}");
    multipart("", out.into_bytes(), n)
}

fn multipart(name: &str, body: Vec<u8>, responses: usize) -> MultipartInput {
    MultipartInput {
        name: name.into(),
        content_type: format!("multipart/mixed; boundary={BOUNDARY}"),
        boundary: BOUNDARY.into(),
        body: Bytes::from(body),
        responses,
    }
}

/// A delimiter line and the MIME headers of an `application/http` part.
fn open_part(out: &mut String, boundary: &str, content_id: Option<usize>, eol: &str) {
    put!(
        out,
        "--{boundary}{eol}Content-Type: application/http{eol}Content-Transfer-Encoding: binary{eol}"
    );
    if let Some(id) = content_id {
        put!(out, "Content-ID: {id}{eol}");
    }
    out.push_str(eol);
}

/// A `200 OK` embedded response with a JSON body and the line break of the next delimiter.
fn embedded_ok(out: &mut String, body: &str, eol: &str) {
    put!(
        out,
        "HTTP/1.1 200 OK{eol}\
         OData-Version: 4.0{eol}\
         Content-Type: application/json;odata.metadata=minimal{eol}\
         Content-Length: {}{eol}{eol}{body}{eol}",
        body.len()
    );
}

/// Filler text for string members; varies with `seed` so bodies differ.
fn filler(out: &mut String, seed: usize, len: usize) {
    const WORDS: [&str; 12] = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "order",
        "invoice",
        "shipped",
        "pending",
        "north",
        "south",
        "warehouse",
    ];
    let mut k = seed;
    let end = out.len() + len;
    while out.len() < end {
        out.push_str(WORDS[k % WORDS.len()]);
        out.push(' ');
        k = k.wrapping_mul(31).wrapping_add(7);
    }
    out.truncate(end);
}

/// An OData entity of exactly `len` bytes (for `len` of 200 or more).
fn entity_body(i: usize, len: usize) -> String {
    let mut s = format!(
        "{{\"@odata.context\":\"$metadata#Customers/$entity\",\"ID\":{i},\
         \"name\":\"Customer {i}\",\"email\":\"customer.{i}@example.org\",\
         \"balance\":{}.{:02},\"active\":{},\"notes\":\"",
        i * 37 % 10_000,
        i % 100,
        !i.is_multiple_of(3)
    );
    let pad = len.saturating_sub(s.len() + 2);
    filler(&mut s, i, pad);
    s.push_str("\"}");
    s
}

/// The body of a `201 Created` order.
fn created_body(id: usize) -> String {
    format!(
        "{{\"@odata.context\":\"$metadata#Orders/$entity\",\"ID\":{id},\
         \"customer_ID\":{},\"amount\":{}.5,\"status\":\"new\"}}",
        id % 977,
        id % 500
    )
}

/// A text body of exactly `len` bytes, lines of ~70 characters, one in 40 starting with
/// `--` but never with `--` and the whole boundary.
fn text_body(part: usize, len: usize) -> Vec<u8> {
    let mut s = String::with_capacity(len + 128);
    let mut line = 0usize;
    while s.len() < len {
        match line % 40 {
            7 => s.push_str("-- a comment line, as in an SQL script"),
            17 => s.push_str("----------------------------------------"),
            27 => put!(s, "--{}", &BOUNDARY[..20]),
            37 => s.push_str("--changeset_9d3e, the boundary of another batch"),
            _ => {
                put!(s, "{part},{line},");
                filler(&mut s, part * 1_000_003 + line, 56);
            }
        }
        s.push_str("\r\n");
        line += 1;
    }
    s.truncate(len);
    s.into_bytes()
}

/// A Salesforce Account record of exactly `len` bytes (for `len` of 250 or more).
fn account_body(i: usize, len: usize) -> String {
    let mut s = format!(
        "{{\"attributes\":{{\"type\":\"Account\",\
         \"url\":\"/services/data/v60.0/sobjects/Account/001{i:012}AAA\"}},\
         \"Id\":\"001{i:012}AAA\",\"Name\":\"Account {i}\",\"AnnualRevenue\":{}.0,\
         \"Description\":\"",
        i * 7919 % 1_000_000
    );
    let pad = len.saturating_sub(s.len() + 2);
    filler(&mut s, i, pad);
    s.push_str("\"}");
    s
}

/// A query result of about `len` bytes: `totalSize`, `done` and ~300-byte records.
fn query_body(i: usize, len: usize) -> String {
    let mut records = String::with_capacity(len + 512);
    let mut n = 0;
    while records.len() < len {
        if n > 0 {
            records.push(',');
        }
        records.push_str(&account_body(i * 10_000 + n, 300));
        n += 1;
    }
    format!("{{\"totalSize\":{n},\"done\":true,\"records\":[{records}]}}")
}

/// A Composite response of `n` results whose bodies come from `body`.
fn composite(name: &str, n: usize, body: impl Fn(usize) -> String) -> JsonInput {
    let mut s = String::from("{\"compositeResponse\":[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        put!(s, "{{\"body\":{},", body(i));
        if i % 5 == 0 {
            put!(
                s,
                "\"httpHeaders\":{{\"Location\":\"/services/data/v60.0/sobjects/Account/001{i:012}AAA\"}},\
                 \"httpStatusCode\":201,"
            );
        } else {
            s.push_str("\"httpHeaders\":{},\"httpStatusCode\":200,");
        }
        put!(s, "\"referenceId\":\"ref{i}\"}}");
    }
    s.push_str("]}");
    JsonInput {
        name: name.into(),
        format: JsonFormat::SalesforceComposite,
        body: Bytes::from(s),
        responses: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchwire_multipart::DecodeOptions;

    /// Every input reads strictly (but `lf-only`, which is lenient by nature) to the number of
    /// responses it claims.
    #[test]
    fn inputs_decode_to_their_responses() {
        for input in multipart_inputs() {
            let options = if input.name == "lf-only" {
                DecodeOptions::lenient()
            } else {
                DecodeOptions::strict()
            };
            let decoded = batchwire_multipart::decode(
                &input.body,
                Some(input.content_type.as_bytes()),
                &options,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", input.name));
            assert_eq!(
                decoded.message.operation_count(),
                input.responses,
                "{}",
                input.name
            );
        }
        for input in composite_inputs() {
            let decoded =
                batchwire_json::decode(&input.body, input.format, &DecodeOptions::strict())
                    .unwrap_or_else(|e| panic!("{}: {e}", input.name));
            assert_eq!(
                decoded.message.operation_count(),
                input.responses,
                "{}",
                input.name
            );
        }
    }

    #[test]
    fn sizes_are_as_named() {
        let small = many_small();
        let per_part = small.body.len() / 1000;
        assert!((450..600).contains(&per_part), "{per_part}");
        assert!(large_bodies().body.len() > 32 << 20);
        let composite = composite_json_large();
        assert!(composite.body.len() > 25 << 20);
        assert!(entity_body(3, 300).len() == 300);
        assert!(account_body(3, 300).len() == 300);
        serde_json::from_str::<serde_json::Value>(&query_body(1, 1 << 20)).unwrap();
    }
}
