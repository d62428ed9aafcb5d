//! Runs one reader or writer on one input in a loop, for a profiler: `perf record`, or
//! `valgrind --tool=callgrind --toggle-collect='profile::measured*'` for instruction counts
//! that do not depend on the machine's load.
//!
//! ```text
//! cargo build --profile bench -p batchwire-bench --example profile
//! target/release/examples/profile <op> <input> [iterations]
//! ```
//!
//! `op` is one of `parse`, `decode`, `stream`, `write`, `encode-into` (`Encoder` and
//! `encode_into` a reused buffer), `concat` (the hand-written writer), `memmem`,
//! `mail-parser`, `multer`
//! (multipart inputs) or `json-decode`, `json-encode`, `serde-raw`, `serde-value`, `sonic`
//! (Composite inputs); `input` is a name from `batchwire_bench`'s table.

#[path = "../benches/peers/mod.rs"]
mod peers;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use batchwire_bench::{JsonInput, MultipartInput, composite_inputs, multipart_inputs};
use batchwire_multipart::{DecodeOptions, Dialect, Status, StreamDecoder, WriteOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(op), Some(name)) = (args.first(), args.get(1)) else {
        eprintln!("usage: profile <op> <input> [iterations]");
        return ExitCode::from(2);
    };
    let iterations: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100);
    let multipart = multipart_inputs().into_iter().find(|i| &i.name == name);
    let json = composite_inputs().into_iter().find(|i| &i.name == name);
    let started = Instant::now();
    let bytes = match (multipart, json) {
        (Some(input), _) => {
            let Some(n) = measured_multipart(op, &input, iterations) else {
                eprintln!("unknown multipart op {op:?}");
                return ExitCode::from(2);
            };
            n
        }
        (None, Some(input)) => {
            let Some(n) = measured_json(op, &input, iterations) else {
                eprintln!("unknown JSON op {op:?}");
                return ExitCode::from(2);
            };
            n
        }
        (None, None) => {
            eprintln!("unknown input {name:?}");
            return ExitCode::from(2);
        }
    };
    let elapsed = started.elapsed();
    #[allow(clippy::cast_precision_loss)]
    let rate = bytes as f64 / elapsed.as_secs_f64() / 1e9;
    eprintln!("{op} {name}: {iterations} iterations, {bytes} bytes, {elapsed:.2?}, {rate:.2} GB/s");
    ExitCode::SUCCESS
}

/// The loop a profiler looks at; returns the bytes processed.
#[inline(never)]
fn measured_multipart(op: &str, input: &MultipartInput, iterations: usize) -> Option<usize> {
    let body = &input.body;
    let ct = Some(input.content_type.as_bytes());
    let options = DecodeOptions::lenient();
    let entity = peers::mail_entity(&input.content_type, body);
    let message = batchwire_multipart::decode(body, ct, &options)
        .ok()?
        .message;
    let write_options = WriteOptions::new(Dialect::OdataV4);
    let mut out = bytes::BytesMut::with_capacity(body.len() * 2);
    let mut concat = Vec::with_capacity(body.len() * 2);
    for _ in 0..iterations {
        match op {
            "parse" => {
                black_box(batchwire_multipart::parse(black_box(body), ct, &options).ok()?);
            }
            "decode" => {
                black_box(batchwire_multipart::decode(black_box(body), ct, &options).ok()?);
            }
            "stream" => {
                // 64 KiB `Bytes` chunks, events drained after each, as from a network body.
                let mut decoder = StreamDecoder::new(ct, &options).ok()?;
                for at in (0..body.len()).step_by(64 << 10) {
                    decoder.feed_bytes(body.slice(at..body.len().min(at + (64 << 10))));
                    while let Status::Event(event) = decoder.next_event().ok()? {
                        black_box(event);
                    }
                }
                decoder.finish();
                while let Status::Event(event) = decoder.next_event().ok()? {
                    black_box(event);
                }
            }
            "write" => {
                black_box(batchwire_multipart::write_message(&message, &write_options).ok()?);
            }
            "encode-into" => {
                let encoder =
                    batchwire_multipart::Encoder::message(black_box(&message), &write_options)
                        .ok()?;
                out.clear();
                encoder.encode_into(&mut out).ok()?;
            }
            "concat" => {
                concat.clear();
                peers::concat_multipart(
                    black_box(&message),
                    &input.boundary,
                    "changeset",
                    &mut concat,
                );
            }
            "memmem" => {
                black_box(peers::memmem_split(black_box(body), &input.boundary).ok()?);
            }
            "mail-parser" => {
                let raw = peers::mail_parser_split(black_box(&entity)).ok()?;
                black_box(peers::http_parts(&raw).ok()?);
            }
            "multer" => {
                let fields = peers::multer_split(black_box(body).clone(), &input.boundary).ok()?;
                black_box(peers::http_parts(&fields).ok()?);
            }
            _ => return None,
        }
    }
    Some(body.len() * iterations)
}

/// The loop a profiler looks at; returns the bytes processed.
#[inline(never)]
fn measured_json(op: &str, input: &JsonInput, iterations: usize) -> Option<usize> {
    let body = &input.body;
    let options = DecodeOptions::lenient();
    let message = batchwire_json::decode(body, input.format, &options)
        .ok()?
        .message;
    let encode_options = WriteOptions::default();
    for _ in 0..iterations {
        match op {
            "json-decode" => {
                black_box(batchwire_json::decode(black_box(body), input.format, &options).ok()?);
            }
            "json-encode" => {
                black_box(batchwire_json::encode(&message, input.format, &encode_options).ok()?);
            }
            "serde-raw" => {
                black_box(peers::serde_raw(black_box(body)).ok()?);
            }
            "serde-value" => {
                black_box(peers::serde_value(black_box(body)).ok()?);
            }
            "sonic" => {
                black_box(peers::sonic_typed(black_box(body)).ok()?);
            }
            _ => return None,
        }
    }
    Some(body.len() * iterations)
}
