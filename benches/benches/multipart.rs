//! `batchwire-multipart`: the borrowed reader (`parse`), the owned reader (`decode`), the
//! incremental reader (`StreamDecoder`) and the writer (`write_message`, `Encoder`), on every
//! multipart input of `batchwire_bench`.

use std::hint::black_box;

use batchwire_bench::{MultipartInput, group, multipart_inputs};
use batchwire_multipart::{
    DecodeOptions, Dialect, Encoder, Status, StreamDecoder, WriteOptions, decode, parse,
    write_message,
};
use bytes::BytesMut;
use criterion::Criterion;

/// The chunk size the incremental reader is fed with, as the command line reads a file.
const CHUNK: usize = 64 << 10;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    readers(&mut c);
    writers(&mut c);
    c.final_summary();
}

fn readers(c: &mut Criterion) {
    let lenient = DecodeOptions::lenient();
    let strict = DecodeOptions::strict();
    for input in multipart_inputs() {
        let content_type = Some(input.content_type.as_bytes());
        let len = input.body.len();

        let mut g = group(c, "batchwire-multipart/parse", len);
        g.bench_function(&input.name, |b| {
            b.iter(|| parse(black_box(&input.body), content_type, &lenient).unwrap());
        });
        g.finish();

        let mut g = group(c, "batchwire-multipart/decode", len);
        g.bench_function(&input.name, |b| {
            b.iter(|| decode(black_box(&input.body), content_type, &lenient).unwrap());
        });
        g.finish();

        // Strict mode reads the same inputs (all but `lf-only`) with every tolerance an error.
        if input.name != "lf-only" {
            let mut g = group(c, "batchwire-multipart/decode-strict", len);
            g.bench_function(&input.name, |b| {
                b.iter(|| decode(black_box(&input.body), content_type, &strict).unwrap());
            });
            g.finish();
        }

        let mut g = group(c, "batchwire-multipart/stream-64k", len);
        g.bench_function(&input.name, |b| {
            b.iter(|| stream(black_box(&input), &lenient));
        });
        g.finish();
    }
}

/// Feeds the input in `CHUNK`s and takes every event as it comes; returns the event count.
fn stream(input: &MultipartInput, options: &DecodeOptions) -> usize {
    let mut decoder = StreamDecoder::new(Some(input.content_type.as_bytes()), options).unwrap();
    let mut events = 0;
    let mut chunks = input.body.chunks(CHUNK);
    loop {
        match chunks.next() {
            Some(chunk) => decoder.feed(chunk),
            None => decoder.finish(),
        }
        loop {
            match decoder.next_event().unwrap() {
                Status::Event(event) => {
                    black_box(event);
                    events += 1;
                }
                Status::NeedMore => break,
                Status::End => return events,
            }
        }
    }
}

fn writers(c: &mut Criterion) {
    let options = WriteOptions::new(Dialect::OdataV4);
    for input in multipart_inputs() {
        if input.name == "lf-only" {
            // The model read from it is that of `many-small`.
            continue;
        }
        let message = decode(
            &input.body,
            Some(input.content_type.as_bytes()),
            &DecodeOptions::lenient(),
        )
        .unwrap()
        .message;
        let encoder = Encoder::message(&message, &options).unwrap();
        let len = encoder.encoded_len();

        // Everything a caller pays: checks, boundaries, layout and the bytes.
        let mut g = group(c, "batchwire-multipart/write", len);
        g.bench_function(&input.name, |b| {
            b.iter(|| write_message(black_box(&message), &options).unwrap());
        });
        g.finish();

        // The checks and the layout only.
        let mut g = group(c, "batchwire-multipart/plan", len);
        g.bench_function(&input.name, |b| {
            b.iter(|| Encoder::message(black_box(&message), &options).unwrap());
        });
        g.finish();

        // The bytes only, into a buffer that already has room (and whose pages are already
        // mapped: a fresh 32 MiB buffer costs more in page faults than in writing).
        let mut g = group(c, "batchwire-multipart/encode-into", len);
        let mut buf = BytesMut::with_capacity(len);
        g.bench_function(&input.name, |b| {
            b.iter(|| {
                buf.clear();
                encoder.encode_into(&mut buf).unwrap();
            });
        });
        g.finish();
    }
}
