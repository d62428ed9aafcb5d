//! `batchwire-multipart`: the borrowed reader (`parse`), the owned reader (`decode`), the
//! incremental reader (`StreamDecoder`) and the writer (`write_message`, `Encoder`), on every
//! multipart input of `batchwire_bench`.

use std::hint::black_box;

use batchwire_bench::{MultipartInput, multipart_inputs};
use batchwire_multipart::{
    DecodeOptions, Dialect, Encoder, Status, StreamDecoder, WriteOptions, decode, parse,
    write_message,
};
use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput};

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
        let bytes = Throughput::Bytes(input.body.len() as u64);

        let mut group = c.benchmark_group("batchwire-multipart/parse");
        group.throughput(bytes.clone());
        group.bench_function(&input.name, |b| {
            b.iter(|| parse(black_box(&input.body), content_type, &lenient).unwrap());
        });
        group.finish();

        let mut group = c.benchmark_group("batchwire-multipart/decode");
        group.throughput(bytes.clone());
        group.bench_function(&input.name, |b| {
            b.iter(|| decode(black_box(&input.body), content_type, &lenient).unwrap());
        });
        group.finish();

        // Strict mode reads the same inputs (all but `lf-only`) with every tolerance an error.
        if input.name != "lf-only" {
            let mut group = c.benchmark_group("batchwire-multipart/decode-strict");
            group.throughput(bytes.clone());
            group.bench_function(&input.name, |b| {
                b.iter(|| decode(black_box(&input.body), content_type, &strict).unwrap());
            });
            group.finish();
        }

        let mut group = c.benchmark_group("batchwire-multipart/stream-64k");
        group.throughput(bytes);
        group.bench_function(&input.name, |b| {
            b.iter(|| stream(black_box(&input), &lenient));
        });
        group.finish();
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
        let bytes = Throughput::Bytes(encoder.encoded_len() as u64);

        // Everything a caller pays: checks, boundaries, layout and the bytes.
        let mut group = c.benchmark_group("batchwire-multipart/write");
        group.throughput(bytes.clone());
        group.bench_function(&input.name, |b| {
            b.iter(|| write_message(black_box(&message), &options).unwrap());
        });
        group.finish();

        // The checks and the layout only.
        let mut group = c.benchmark_group("batchwire-multipart/plan");
        group.throughput(bytes.clone());
        group.bench_function(&input.name, |b| {
            b.iter(|| Encoder::message(black_box(&message), &options).unwrap());
        });
        group.finish();

        // The bytes only, into a buffer that already has room.
        let mut group = c.benchmark_group("batchwire-multipart/encode-into");
        group.throughput(bytes);
        group.bench_function(&input.name, |b| {
            b.iter_batched_ref(
                || BytesMut::with_capacity(encoder.encoded_len()),
                |buf| encoder.encode_into(buf).unwrap(),
                BatchSize::LargeInput,
            );
        });
        group.finish();
    }
}
