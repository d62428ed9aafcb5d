//! The differential target: a valid batch generated from the fuzzer's bytes (random
//! boundaries, bodies full of lines that start like a delimiter, changesets, LF or CRLF),
//! read by the decoder and compared with what was generated, which a naive split of the
//! generated parts also gives.

use batchwire_core::{BatchMessage, Item, SubRequest};
use batchwire_multipart::{DecodeOptions, decode};
use bytes::Bytes;

/// Bytes handed out one at a time, then zeros.
struct Source<'a>(&'a [u8]);

impl Source<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn below(&mut self, n: u8) -> u8 {
        self.byte() % n
    }
}

const BOUNDARY_CHARS: &[u8] = b"abcxyz019_-.'+=";
const TEXT: &[u8] = b"abc xyz{}\":,=-_";

/// A boundary of 1 to 12 characters that ends with a letter (RFC 2046: no space at the end).
fn boundary(src: &mut Source<'_>, prefix: &str) -> String {
    let mut b = prefix.to_owned();
    for _ in 0..src.below(11) {
        b.push(char::from(BOUNDARY_CHARS[usize::from(src.below(BOUNDARY_CHARS.len() as u8))]));
    }
    b.push('k');
    b
}

/// One body line: plain text, or text that starts like a delimiter of `boundaries` but goes
/// on (`--b` + text, `--b--` + text), which is body text and never a delimiter.
fn line(src: &mut Source<'_>, boundaries: &[&str]) -> String {
    let mut text = String::new();
    for _ in 0..src.below(12) {
        text.push(char::from(TEXT[usize::from(src.below(TEXT.len() as u8))]));
    }
    let boundary = boundaries[usize::from(src.below(boundaries.len() as u8))];
    // Text after a delimiter-like start never begins with white space or, after `--`, end.
    let tail = format!("x{text}");
    match src.below(4) {
        0 => format!("--{boundary}{tail}"),
        1 => format!("--{boundary}--{tail}"),
        _ => text,
    }
}

fn body(src: &mut Source<'_>, boundaries: &[&str], eol: &str) -> String {
    let lines: Vec<String> = (0..src.below(4)).map(|_| line(src, boundaries)).collect();
    let mut body = lines.join(eol);
    // A body never ends with a line break of its own: that break would belong to the
    // delimiter after it.
    while body.ends_with(['\r', '\n']) {
        body.pop();
    }
    body
}

/// Generates a request batch and reads it back leniently: every operation comes back with
/// the method, target and body it was generated with, in the groups it was put in.
pub fn differential(data: &[u8]) {
    let mut src = Source(data);
    let eol = if src.below(2) == 0 { "\r\n" } else { "\n" };
    let outer = boundary(&mut src, "b");
    let mut expected: Vec<(bool, Vec<(String, String)>)> = Vec::new();
    let mut out = String::new();
    let mut n = 0;
    for _ in 0..=src.below(5) {
        out.push_str(&format!("--{outer}{eol}"));
        if src.below(3) == 0 {
            let inner = boundary(&mut src, "c");
            out.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"{inner}\"{eol}{eol}"
            ));
            let mut members = Vec::new();
            for _ in 0..=src.below(3) {
                n += 1;
                let body = body(&mut src, &[&outer, &inner], eol);
                out.push_str(&format!(
                    "--{inner}{eol}Content-Type: application/http{eol}Content-ID: {n}{eol}{eol}POST /t{n} HTTP/1.1{eol}{eol}{body}{eol}"
                ));
                members.push((format!("/t{n}"), body));
            }
            out.push_str(&format!("--{inner}--{eol}"));
            expected.push((true, members));
        } else {
            n += 1;
            let body = body(&mut src, &[&outer], eol);
            out.push_str(&format!(
                "Content-Type: application/http{eol}{eol}PUT /t{n} HTTP/1.1{eol}{eol}{body}{eol}"
            ));
            expected.push((false, vec![(format!("/t{n}"), body)]));
        }
    }
    out.push_str(&format!("--{outer}--{eol}"));
    let input = Bytes::from(out);
    let content_type = format!("multipart/mixed; boundary=\"{outer}\"");
    let decoded = decode(&input, Some(content_type.as_bytes()), &DecodeOptions::lenient())
        .unwrap_or_else(|e| panic!("generated batch refused: {e}\n{input:?}"));
    let BatchMessage::Request(batch) = decoded.message else {
        panic!("generated requests read as responses")
    };
    let got: Vec<(bool, Vec<(String, String)>)> = batch
        .items
        .iter()
        .map(|item| match item {
            Item::Operation(op) => (false, vec![shown(op)]),
            Item::Group(group) => (true, group.operations.iter().map(shown).collect()),
        })
        .collect();
    assert_eq!(got, expected, "{input:?}");
}

fn shown(op: &SubRequest) -> (String, String) {
    (
        op.target.clone(),
        String::from_utf8_lossy(&op.body).into_owned(),
    )
}
