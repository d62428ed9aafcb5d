//! `batchwire-json`: the reader (`decode`) and the writer (`encode`) of every JSON format, on
//! the Composite inputs of `batchwire_bench` and on `many-small` written in each format.

use std::hint::black_box;

use batchwire_bench::{JsonInput, composite_inputs, group, json_from, many_small};
use batchwire_json::{DecodeOptions, JsonFormat, WriteOptions, decode, encode};
use batchwire_multipart::DecodeOptions as MultipartOptions;
use criterion::Criterion;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    readers(&mut c);
    writers(&mut c);
    c.final_summary();
}

/// The Composite inputs, then `many-small`'s 1,000 responses in every format that has
/// responses and no limit below 1,000 (Graph takes 20).
fn inputs() -> Vec<JsonInput> {
    let small = many_small();
    let message = batchwire_multipart::decode(
        &small.body,
        Some(small.content_type.as_bytes()),
        &MultipartOptions::lenient(),
    )
    .unwrap()
    .message;
    let mut inputs = composite_inputs();
    for (name, format) in [
        ("odata-json", JsonFormat::OdataJson),
        ("composite-batch-json", JsonFormat::SalesforceCompositeBatch),
        ("asana-json", JsonFormat::Asana),
        ("meta-json", JsonFormat::MetaGraph),
    ] {
        inputs.push(json_from(name, &message, format));
    }
    inputs
}

fn readers(c: &mut Criterion) {
    let lenient = DecodeOptions::lenient();
    for input in inputs() {
        let mut g = group(c, "batchwire-json/decode", input.body.len());
        g.bench_function(&input.name, |b| {
            b.iter(|| decode(black_box(&input.body), input.format, &lenient).unwrap());
        });
        g.finish();
    }
}

fn writers(c: &mut Criterion) {
    let options = WriteOptions::default();
    for input in inputs() {
        let message = decode(&input.body, input.format, &DecodeOptions::lenient())
            .unwrap()
            .message;
        let len = encode(&message, input.format, &options).unwrap().body.len();
        let mut g = group(c, "batchwire-json/encode", len);
        g.bench_function(&input.name, |b| {
            b.iter(|| encode(black_box(&message), input.format, &options).unwrap());
        });
        g.finish();
    }
}
