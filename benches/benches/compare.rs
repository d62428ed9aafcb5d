//! batchwire beside its peers, in the same run and on the same inputs.
//!
//! Multipart: `batchwire-multipart` (`decode` to the owned model, `parse` to borrowed views)
//! against a plain `memchr::memmem` split with `httparse` (the speed of light of a
//! straightforward design), `mail-parser` with `httparse`, and `multer` with `httparse`. JSON:
//! `batchwire-json` against `serde_json` into typed structs with `&RawValue` bodies,
//! `serde_json::Value`, and `sonic-rs` into typed structs with `LazyValue` bodies.
//!
//! Each input runs every implementation back to back, so they share the machine's state of
//! the moment. At the end the bench prints the table of ratios (ours / each peer) from this
//! run's medians, and writes it to `<criterion home>/compare-ratios.md`.

mod peers;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use batchwire_bench::{composite_inputs, multipart_inputs};
use batchwire_multipart::{DecodeOptions, Dialect, Encoder, Status, StreamDecoder, WriteOptions};
use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};

/// The implementations of each table, ours first: (bench id prefix, column title).
const MULTIPART: [(&str, &str); 5] = [
    ("batchwire-multipart/decode", "batchwire decode (owned)"),
    ("batchwire-multipart/parse", "batchwire parse (views)"),
    ("memmem-httparse/split", "memmem + httparse"),
    ("mail-parser-httparse/parse", "mail-parser + httparse"),
    ("multer-httparse/parse", "multer + httparse"),
];
/// The stream decoder fed 64 KiB `Bytes` chunks, and the whole-buffer decoder (lenient and
/// strict) it is compared with.
const DECODERS: [(&str, &str); 3] = [
    (
        "batchwire-multipart/stream-64k",
        "StreamDecoder, 64 KiB Bytes chunks",
    ),
    ("batchwire-multipart/decode", "batchwire decode (lenient)"),
    (
        "batchwire-multipart/decode-strict",
        "batchwire decode (strict)",
    ),
];
/// The multipart writer and the hand-written concatenation of the same model.
const WRITERS: [(&str, &str); 2] = [
    (
        "batchwire-multipart/encode-into",
        "Encoder + encode_into (reused buffer)",
    ),
    ("hand-written/concat", "hand-written concatenation"),
];
const JSON: [(&str, &str); 4] = [
    ("batchwire-json/decode", "batchwire-json decode"),
    ("serde_json/typed-raw-value", "serde_json typed + RawValue"),
    ("serde_json/value", "serde_json Value"),
    ("sonic-rs/typed-lazy-value", "sonic-rs typed + LazyValue"),
];

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    let multipart_names = multipart(&mut c);
    let writer_names = writers(&mut c);
    let json_names = json(&mut c);
    c.final_summary();
    let home = criterion_home();
    let results = read_results(&home, started);
    let mut table = String::new();
    ratio_table(
        &mut table,
        "Multipart",
        &MULTIPART,
        &multipart_names,
        &results,
    );
    ratio_table(
        &mut table,
        "Decoders",
        &DECODERS,
        &multipart_names,
        &results,
    );
    ratio_table(
        &mut table,
        "Multipart writer (OData V4)",
        &WRITERS,
        &writer_names,
        &results,
    );
    ratio_table(
        &mut table,
        "JSON (Salesforce Composite)",
        &JSON,
        &json_names,
        &results,
    );
    println!("\n{table}");
    let path = home.join("compare-ratios.md");
    if let Err(e) = std::fs::write(&path, &table) {
        eprintln!("cannot write {}: {e}", path.display());
    }
}

/// A group for one implementation on one input, sized to the input.
fn group<'c>(c: &'c mut Criterion, id: &str, len: usize) -> BenchmarkGroup<'c, WallTime> {
    batchwire_bench::group(c, &format!("compare/{id}"), len)
}

/// Runs the multipart table; returns the input names in the order run.
fn multipart(c: &mut Criterion) -> Vec<String> {
    let options = DecodeOptions::lenient();
    let mut names = Vec::new();
    for input in multipart_inputs() {
        names.push(input.name.clone());
        let body = &input.body;
        let content_type = Some(input.content_type.as_bytes());
        let boundary = input.boundary.as_str();
        let len = body.len();
        let [decode, parse, memmem, mail, multer] = MULTIPART.map(|(id, _)| id);

        let mut g = group(c, decode, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| {
                batchwire_multipart::decode(black_box(body), content_type, &options).unwrap()
            });
        });
        g.finish();

        // The strict reader refuses bare LF: `lf-only` has no strict column.
        let strict = DecodeOptions::strict();
        if batchwire_multipart::decode(body, content_type, &strict).is_ok() {
            let mut g = group(c, DECODERS[2].0, len);
            g.bench_function(&input.name, |b| {
                b.iter(|| {
                    batchwire_multipart::decode(black_box(body), content_type, &strict).unwrap()
                });
            });
            g.finish();
        }

        let chunks: Vec<Bytes> = (0..len)
            .step_by(CHUNK)
            .map(|at| body.slice(at..len.min(at + CHUNK)))
            .collect();
        let mut g = group(c, DECODERS[0].0, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| stream_all(black_box(&chunks), content_type, &options));
        });
        g.finish();

        let mut g = group(c, parse, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| batchwire_multipart::parse(black_box(body), content_type, &options).unwrap());
        });
        g.finish();

        let mut g = group(c, memmem, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| peers::memmem_split(black_box(body), boundary).unwrap());
        });
        g.finish();

        // mail-parser wants a whole MIME entity: the Content-Type header goes first. That
        // copy is made once, outside the timing.
        let entity = peers::mail_entity(&input.content_type, body);
        let mut g = group(c, mail, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| {
                let raw = peers::mail_parser_split(black_box(&entity)).unwrap();
                peers::http_parts(&raw).unwrap().len()
            });
        });
        g.finish();

        // multer finds no part in bare-LF input (see tests/peers.rs): nothing to time.
        if input.name != "lf-only" {
            let mut g = group(c, multer, len);
            g.bench_function(&input.name, |b| {
                b.iter(|| {
                    let fields = peers::multer_split(black_box(body).clone(), boundary).unwrap();
                    peers::http_parts(&fields).unwrap().len()
                });
            });
            g.finish();
        }
    }
    names
}

/// The chunk size of the stream decoder's bench.
const CHUNK: usize = 64 * 1024;

/// Every event of a batch fed to the stream decoder chunk by chunk, as a caller reading a
/// body from the network would.
fn stream_all(chunks: &[Bytes], content_type: Option<&[u8]>, options: &DecodeOptions) -> usize {
    let mut decoder = StreamDecoder::new(content_type, options).unwrap();
    let mut events = 0;
    for chunk in chunks {
        decoder.feed_bytes(chunk.clone());
        while let Status::Event(event) = decoder.next_event().unwrap() {
            black_box(event);
            events += 1;
        }
    }
    decoder.finish();
    while let Status::Event(event) = decoder.next_event().unwrap() {
        black_box(event);
        events += 1;
    }
    events
}

/// Runs the writer table: `Encoder` (checks, ids, boundaries, layout) and `encode_into` a
/// reused buffer, then the hand-written concatenation into a reused buffer; returns the
/// input names in the order run.
fn writers(c: &mut Criterion) -> Vec<String> {
    let options = WriteOptions::new(Dialect::OdataV4);
    let mut names = Vec::new();
    for input in multipart_inputs() {
        if input.name == "lf-only" {
            // The model read from it is that of `many-small`.
            continue;
        }
        names.push(input.name.clone());
        let message = batchwire_multipart::decode(
            &input.body,
            Some(input.content_type.as_bytes()),
            &DecodeOptions::lenient(),
        )
        .unwrap()
        .message;
        let len = Encoder::message(&message, &options).unwrap().encoded_len();
        let [ours, concat] = WRITERS.map(|(id, _)| id);

        let mut g = group(c, ours, len);
        let mut buf = BytesMut::with_capacity(len);
        g.bench_function(&input.name, |b| {
            b.iter(|| {
                buf.clear();
                let encoder = Encoder::message(black_box(&message), &options).unwrap();
                encoder.encode_into(&mut buf).unwrap();
            });
        });
        g.finish();

        let mut g = group(c, concat, len);
        let mut out = Vec::with_capacity(len);
        g.bench_function(&input.name, |b| {
            b.iter(|| {
                out.clear();
                peers::concat_multipart(
                    black_box(&message),
                    &input.boundary,
                    "changeset",
                    &mut out,
                );
            });
        });
        g.finish();
    }
    names
}

/// Runs the JSON table; returns the input names in the order run.
fn json(c: &mut Criterion) -> Vec<String> {
    let options = DecodeOptions::lenient();
    let mut names = Vec::new();
    for input in composite_inputs() {
        names.push(input.name.clone());
        let body = &input.body;
        let len = body.len();
        let [ours, raw, value, sonic] = JSON.map(|(id, _)| id);

        let mut g = group(c, ours, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| batchwire_json::decode(black_box(body), input.format, &options).unwrap());
        });
        g.finish();

        let mut g = group(c, raw, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| peers::serde_raw(black_box(body)).unwrap());
        });
        g.finish();

        let mut g = group(c, value, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| peers::serde_value(black_box(body)).unwrap());
        });
        g.finish();

        let mut g = group(c, sonic, len);
        g.bench_function(&input.name, |b| {
            b.iter(|| peers::sonic_typed(black_box(body)).unwrap());
        });
        g.finish();
    }
    names
}

/// Where criterion writes its results, found as criterion finds it.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Path::new(&target).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
}

/// One measured bench: its id (without `compare/`), bytes per iteration and median time.
struct Measured {
    id: String,
    bytes: f64,
    median_ns: f64,
}

/// The `compare/` results that this run wrote (older files are from other runs).
fn read_results(home: &Path, since: SystemTime) -> Vec<Measured> {
    let mut found = Vec::new();
    let Ok(groups) = std::fs::read_dir(home) else {
        return found;
    };
    for group in groups.flatten() {
        if !group.file_name().to_string_lossy().starts_with("compare_") {
            continue;
        }
        let Ok(functions) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for function in functions.flatten() {
            let new = function.path().join("new");
            if let Some(m) = read_one(&new, since) {
                found.push(m);
            }
        }
    }
    found
}

fn read_one(dir: &Path, since: SystemTime) -> Option<Measured> {
    let estimates = dir.join("estimates.json");
    if std::fs::metadata(&estimates).ok()?.modified().ok()? < since {
        return None;
    }
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(dir.join(name)).ok()?).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let id = benchmark["full_id"]
        .as_str()?
        .strip_prefix("compare/")?
        .to_owned();
    Some(Measured {
        id,
        bytes: benchmark["throughput"]["Bytes"].as_f64()?,
        median_ns: estimates["median"]["point_estimate"].as_f64()?,
    })
}

/// A markdown table: for each input, each implementation's throughput, then ours (the first)
/// over each peer.
fn ratio_table(
    out: &mut String,
    title: &str,
    columns: &[(&str, &str)],
    names: &[String],
    results: &[Measured],
) {
    let find =
        |prefix: &str, input: &str| results.iter().find(|m| m.id == format!("{prefix}/{input}"));
    let inputs: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|input| find(columns[0].0, input).is_some())
        .collect();
    if inputs.is_empty() {
        return;
    }
    let (ours_id, ours_title) = columns[0];
    let _ = writeln!(out, "### {title}: throughput (GB/s, median)\n");
    let _ = write!(out, "| input | size |");
    for (_, name) in columns {
        let _ = write!(out, " {name} |");
    }
    let _ = write!(out, "\n|---|---:|");
    for _ in columns {
        let _ = write!(out, "---:|");
    }
    out.push('\n');
    for input in &inputs {
        let bytes = find(ours_id, input).map_or(0.0, |m| m.bytes);
        let _ = write!(out, "| {input} | {} |", size(bytes));
        for (id, _) in columns {
            match find(id, input) {
                Some(m) => {
                    let _ = write!(out, " {:.2} |", m.bytes / m.median_ns);
                }
                None => out.push_str(" n/a |"),
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n### {title}: {ours_title} / each (same run; > 1 is faster)\n"
    );
    let _ = write!(out, "| input |");
    for (_, name) in &columns[1..] {
        let _ = write!(out, " / {name} |");
    }
    let _ = write!(out, "\n|---|");
    for _ in &columns[1..] {
        let _ = write!(out, "---:|");
    }
    out.push('\n');
    for input in &inputs {
        let _ = write!(out, "| {input} |");
        let ours = find(ours_id, input);
        for (id, _) in &columns[1..] {
            match (ours, find(id, input)) {
                (Some(ours), Some(peer)) => {
                    let _ = write!(out, " {:.2}× |", peer.median_ns / ours.median_ns);
                }
                _ => out.push_str(" n/a |"),
            }
        }
        out.push('\n');
    }
    out.push('\n');
}

fn size(bytes: f64) -> String {
    if bytes >= f64::from(1 << 20) {
        format!("{:.1} MiB", bytes / f64::from(1 << 20))
    } else if bytes >= 1024.0 {
        format!("{:.0} KiB", bytes / 1024.0)
    } else {
        format!("{bytes} B")
    }
}
