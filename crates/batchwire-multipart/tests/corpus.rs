//! The corpus harness: every payload of the shared corpus (when present) and of our own
//! fixtures decodes as its manifest says, or is rejected in strict mode.

use std::path::{Path, PathBuf};

use batchwire_core::{BatchMessage, Headers, Item, MessageKind, ParseError, ParseErrorKind};
use batchwire_multipart::{DecodeOptions, Dialect, decode};
use bytes::Bytes;
use toml::Value;

/// Cases whose manifest marks them lenient while the reading rules (docs/reading-rules.md) accept them in
/// strict mode too, with the rule that decides.
const STRICT_BY_DESIGN: &[(&str, &str)] = &[(
    "odatanet-modification-outside-changeset.request.batch",
    "an embedded header section ended by the end of the part after a complete line is fine \
     in both modes (the OData specification's own examples end bodiless requests so)",
)];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One operation, as the manifest and as the decoder see it.
#[derive(Debug, PartialEq)]
struct Op {
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
    content_id: Option<String>,
    http_content_id: Option<String>,
    body_len: Option<usize>,
    body: Option<Vec<u8>>,
}

#[derive(Debug, PartialEq)]
enum Entry {
    Op(Op),
    Changeset(Vec<Op>),
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn expected_op(v: &Value) -> Op {
    let body_len = v
        .get("body_len")
        .and_then(Value::as_integer)
        .map(|n| usize::try_from(n).unwrap());
    // The model cuts a body to the embedded Content-Length when that is smaller.
    let declared = v
        .get("content_length")
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse::<usize>().ok());
    let body_len = match (body_len, declared) {
        (Some(len), Some(cl)) if cl < len => Some(cl),
        (len, _) => len,
    };
    let body = str_field(v, "body")
        .map(String::into_bytes)
        .or_else(|| str_field(v, "body_hex").map(|h| hex(&h)));
    Op {
        method: str_field(v, "method"),
        url: str_field(v, "url"),
        status: v
            .get("status")
            .and_then(Value::as_integer)
            .map(|n| u16::try_from(n).unwrap()),
        content_id: str_field(v, "content_id"),
        http_content_id: str_field(v, "http_content_id"),
        body_len,
        body,
    }
}

fn expected(case: &Value) -> Vec<Entry> {
    let Some(items) = case.get("items").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| match item.get("kind").and_then(Value::as_str) {
            Some("changeset") => Entry::Changeset(
                item.get("ops")
                    .and_then(Value::as_array)
                    .map(|ops| ops.iter().map(expected_op).collect())
                    .unwrap_or_default(),
            ),
            _ => Entry::Op(expected_op(item)),
        })
        .collect()
}

fn header(h: &Headers, name: &str) -> Option<String> {
    h.get(name).map(|v| String::from_utf8_lossy(v).into_owned())
}

/// The decoded items, shaped like the manifest's; fields the manifest leaves out of an
/// operation are left out here too.
fn actual(message: &BatchMessage, want: &[Entry]) -> Vec<Entry> {
    fn op_like(
        method: Option<String>,
        url: Option<String>,
        status: Option<u16>,
        part_headers: &Headers,
        headers: &Headers,
        body: &Bytes,
        want: Option<&Op>,
    ) -> Op {
        Op {
            method,
            url,
            status,
            content_id: header(part_headers, "content-id"),
            http_content_id: want
                .and_then(|w| w.http_content_id.as_ref())
                .and_then(|_| header(headers, "content-id")),
            body_len: want.and_then(|w| w.body_len).map(|_| body.len()),
            body: want.and_then(|w| w.body.as_ref()).map(|_| body.to_vec()),
        }
    }
    fn shape<T>(
        items: &[Item<T>],
        mut f: impl FnMut(&T, usize, Option<usize>) -> Op,
    ) -> Vec<Entry> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Item::Operation(op) => Entry::Op(f(op, i, None)),
                Item::Group(g) => Entry::Changeset(
                    g.operations
                        .iter()
                        .enumerate()
                        .map(|(j, op)| f(op, i, Some(j)))
                        .collect(),
                ),
            })
            .collect()
    }
    let want_op = |i: usize, j: Option<usize>| -> Option<&Op> {
        match (want.get(i)?, j) {
            (Entry::Op(op), None) => Some(op),
            (Entry::Changeset(ops), Some(j)) => ops.get(j),
            _ => None,
        }
    };
    match message {
        BatchMessage::Request(batch) => shape(&batch.items, |r, i, j| {
            op_like(
                Some(r.method.to_string()),
                Some(r.target.clone()),
                None,
                &r.part_headers,
                &r.headers,
                &r.body,
                want_op(i, j),
            )
        }),
        BatchMessage::Response(batch) => shape(&batch.items, |r, i, j| {
            op_like(
                None,
                None,
                Some(r.status.as_u16()),
                &r.part_headers,
                &r.headers,
                &r.body,
                want_op(i, j),
            )
        }),
    }
}

fn dialect_of(case: &Value) -> Dialect {
    if let Some(d) = str_field(case, "dialect") {
        return d.parse().unwrap();
    }
    match case.get("odata_version").and_then(Value::as_integer) {
        Some(2) => Dialect::OdataV2,
        Some(4) => Dialect::OdataV4,
        _ => Dialect::Generic,
    }
}

/// Runs every multipart case of a manifest; returns how many ran.
/// The error kind a manifest's `error_kind` names in words (our own fixtures' manifest).
fn error_kind(words: &str) -> Option<ParseErrorKind> {
    use ParseErrorKind as K;
    // "invalid header line (strict); invalid request line (lenient)": the strict one.
    let strict = words.split(" (strict)").next().unwrap_or(words);
    Some(match strict {
        "bare LF line break" => K::BareLineFeed,
        "boundary needs quotes" => K::BadBoundary,
        "boundary reused" => K::BoundaryReused,
        "byte-order mark" => K::ByteOrderMark,
        "delimiter-like line" => K::DelimiterLikeLine,
        "duplicate Content-ID" => K::DuplicateContentId,
        "empty multipart" => K::EmptyMultipart,
        "invalid header line" => K::InvalidHeader,
        "invalid request line" => K::InvalidRequestLine,
        "invalid status line" => K::InvalidStatusLine,
        "missing Content-ID" => K::MissingContentId,
        "missing boundary" => K::MissingBoundary,
        "missing close delimiter" => K::MissingCloseDelimiter,
        "nested changeset" => K::NestingTooDeep,
        "no delimiter" => K::MissingDelimiter,
        "query in changeset" => K::QueryInChangeset,
        "unexpected end of input" => K::UnexpectedEnd,
        "unexpected part content type" => K::UnexpectedContentType,
        _ => return None,
    })
}

/// Checks a strict-mode error against the case's `error_kind`, where it names one.
fn check_kind(case: &Value, file: &str, e: &ParseError, failures: &mut Vec<String>) {
    let Some(words) = str_field(case, "error_kind") else {
        return;
    };
    match error_kind(&words) {
        Some(kind) if kind == e.kind() => {}
        Some(kind) => failures.push(format!(
            "{file}: error kind {:?}, the manifest says {kind:?} ({words}): {e}",
            e.kind()
        )),
        None => failures.push(format!("{file}: unknown error_kind {words:?}")),
    }
}

/// The same bytes with every CRLF turned into LF, or every bare LF into CRLF.
fn with_line_breaks(input: &[u8], crlf: bool) -> Bytes {
    let mut out = Vec::with_capacity(input.len() + input.len() / 16);
    for (i, &b) in input.iter().enumerate() {
        let after_cr = i > 0 && input[i - 1] == b'\r';
        match b {
            b'\r' if !crlf && input.get(i + 1) == Some(&b'\n') => {}
            b'\n' if crlf && !after_cr => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    Bytes::from(out)
}

/// What stays when line breaks change: the items, their ids, request lines and statuses.
fn shape(message: &BatchMessage) -> Vec<String> {
    fn walk<T>(items: &[Item<T>], line: impl Fn(&T) -> String) -> Vec<String> {
        items
            .iter()
            .map(|item| match item {
                Item::Operation(op) => line(op),
                Item::Group(g) => format!(
                    "group [{}]",
                    g.operations
                        .iter()
                        .map(&line)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect()
    }
    match message {
        BatchMessage::Request(b) => walk(&b.items, |r| {
            format!("{:?} {} {}", r.id, r.method, r.target)
        }),
        BatchMessage::Response(b) => walk(&b.items, |r| format!("{:?} {}", r.id, r.status)),
    }
}

/// A valid case read again with its line breaks changed both ways: the lenient reader gives
/// the same items (bodies aside: their own line breaks changed too).
fn check_line_breaks(
    file: &str,
    input: &[u8],
    ct: Option<&[u8]>,
    options: &DecodeOptions,
    decoded: &BatchMessage,
    failures: &mut Vec<String>,
) {
    let lenient = DecodeOptions::lenient()
        .with_kind(decoded.kind())
        .with_dialect(options.dialect);
    for crlf in [false, true] {
        let changed = with_line_breaks(input, crlf);
        let label = if crlf { "LF to CRLF" } else { "CRLF to LF" };
        match decode(&changed, ct, &lenient) {
            Ok(again) if shape(&again.message) == shape(decoded) => {}
            Ok(again) => failures.push(format!(
                "{file}: {label} gives other items: {:?}",
                shape(&again.message)
            )),
            Err(e) => failures.push(format!("{file}: {label} refused: {e}")),
        }
    }
}

fn run_manifest(dir: &Path, failures: &mut Vec<String>) -> usize {
    let text = std::fs::read_to_string(dir.join("MANIFEST.toml")).unwrap();
    let manifest: Value = toml::from_str(&text).unwrap();
    let mut ran = 0;
    for case in manifest["case"].as_array().unwrap() {
        if str_field(case, "format").is_some_and(|f| f != "multipart") {
            continue;
        }
        let file = str_field(case, "file").unwrap();
        let input = Bytes::from(std::fs::read(dir.join(&file)).unwrap());
        let content_type = str_field(case, "content_type");
        let ct = content_type.as_deref().map(str::as_bytes);
        let kind = match str_field(case, "direction").as_deref() {
            Some("response") => MessageKind::Response,
            _ => MessageKind::Request,
        };
        let valid = case["valid"].as_bool().unwrap();
        let lenient = case
            .get("lenient")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // A case that names its dialect is read with it; the OData version of a shared case
        // only decides the dialect its rejection is checked with (valid cases there follow
        // the source's verdict, which may not apply every rule of the version).
        let named = str_field(case, "dialect").map(|d| d.parse::<Dialect>().unwrap());
        let strict = DecodeOptions::strict()
            .with_kind(kind)
            .with_dialect(named.unwrap_or_default());
        ran += 1;
        if !valid {
            let options = strict.with_dialect(dialect_of(case));
            match decode(&input, ct, &options) {
                Ok(decoded) => failures.push(format!(
                    "{file}: accepted in strict mode: {:?}",
                    decoded.message
                )),
                Err(e) => {
                    check_kind(case, &file, &e, failures);
                    // `error_offset` names the start of the line that holds the fault
                    // (or the exact byte of a bare LF, a BOM, or the end of input); the
                    // error points at the exact byte, so it must lie on that line.
                    let want = case.get("error_offset").and_then(Value::as_integer);
                    if let Some(at) = want.map(|at| usize::try_from(at).unwrap()) {
                        let on_line = at <= e.offset() && !input[at..e.offset()].contains(&b'\n');
                        if !on_line {
                            failures
                                .push(format!("{file}: error not on the line at byte {at}: {e}"));
                        }
                    }
                }
            }
            continue;
        }
        let options = if lenient {
            DecodeOptions::lenient()
                .with_kind(kind)
                .with_dialect(named.unwrap_or_default())
        } else {
            strict.clone()
        };
        let decoded = match decode(&input, ct, &options) {
            Ok(decoded) => decoded,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        if lenient {
            if decoded.tolerated.is_empty() && !STRICT_BY_DESIGN.iter().any(|(f, _)| *f == file) {
                failures.push(format!("{file}: lenient case read without any tolerance"));
            }
            let by_design = STRICT_BY_DESIGN.iter().any(|(f, _)| *f == file);
            match decode(&input, ct, &strict) {
                Ok(_) if !by_design => {
                    failures.push(format!("{file}: lenient case accepted in strict mode"));
                }
                Ok(_) => {}
                Err(e) => check_kind(case, &file, &e, failures),
            }
        }
        let want = expected(case);
        let got = actual(&decoded.message, &want);
        if got != want {
            let _ = std::fs::write(
                dir.join(format!("{file}.actual")),
                format!("{got:#?}\n\nexpected:\n{want:#?}\n"),
            );
            failures.push(format!(
                "{file}: items differ\n got: {got:?}\nwant: {want:?}"
            ));
        }
        check_line_breaks(&file, &input, ct, &options, &decoded.message, failures);
        // Every valid case also reads leniently, with its dialect, to the same items.
        let with_dialect = DecodeOptions::lenient()
            .with_kind(kind)
            .with_dialect(dialect_of(case));
        match decode(&input, ct, &with_dialect) {
            Ok(again) if again.message == decoded.message => {}
            Ok(_) => failures.push(format!(
                "{file}: lenient read with dialect gives other items"
            )),
            Err(e) => failures.push(format!("{file}: lenient read with dialect fails: {e}")),
        }
    }
    ran
}

fn run_shared(name: &str) {
    let dir = manifest_dir().join("../../../shared/corpus").join(name);
    if !dir.join("MANIFEST.toml").exists() {
        println!(
            "notice: {} not present; shared corpus {name} skipped",
            dir.display()
        );
        return;
    }
    let mut failures = Vec::new();
    let ran = run_manifest(&dir, &mut failures);
    println!("shared corpus {name}: {ran} cases ran");
    assert!(ran > 0, "the corpus is present but no case ran");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn shared_odata_corpus() {
    run_shared("odata");
}

#[test]
fn shared_live_cap_corpus() {
    run_shared("live-cap");
}

#[test]
fn own_fixtures() {
    let dir = manifest_dir().join("tests/data/own");
    let mut failures = Vec::new();
    let ran = run_manifest(&dir, &mut failures);
    println!("own fixtures: {ran} cases ran");
    assert!(ran > 0, "no fixture ran");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
