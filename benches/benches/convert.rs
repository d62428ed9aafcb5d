//! `batchwire`: the `convert` path of the command line, decode then encode, from one format
//! to another. Throughput is counted in input bytes.

use std::hint::black_box;

use batchwire::json::{self, JsonFormat};
use batchwire::multipart::{self, Dialect, WriteOptions};
use batchwire_bench::{
    MultipartInput, changesets, composite_json, composite_json_large, group, large_bodies,
    many_small,
};
use bytes::Bytes;
use criterion::Criterion;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    convert(&mut c);
    c.final_summary();
}

/// Multipart in, JSON out.
fn multipart_to_json(input: &MultipartInput, to: JsonFormat) -> Bytes {
    let decoded = multipart::decode(
        &input.body,
        Some(input.content_type.as_bytes()),
        &multipart::DecodeOptions::lenient(),
    )
    .unwrap();
    json::encode(&decoded.message, to, &WriteOptions::default())
        .unwrap()
        .body
}

/// JSON in, multipart out.
fn json_to_multipart(input: &Bytes, from: JsonFormat, options: &WriteOptions) -> Bytes {
    let decoded = json::decode(input, from, &json::DecodeOptions::lenient()).unwrap();
    multipart::write_message(&decoded.message, options)
        .unwrap()
        .body
}

fn convert(c: &mut Criterion) {
    for (input, to) in [
        (many_small(), JsonFormat::OdataJson),
        (changesets(), JsonFormat::OdataJson),
        (many_small(), JsonFormat::SalesforceComposite),
        (large_bodies(), JsonFormat::OdataJson),
    ] {
        let mut g = group(c, "batchwire/convert", input.body.len());
        g.bench_function(format!("{}-to-{to}", input.name), |b| {
            b.iter(|| multipart_to_json(black_box(&input), to));
        });
        g.finish();
    }
    let options = WriteOptions::new(Dialect::OdataV4);
    for input in [composite_json(), composite_json_large()] {
        let mut g = group(c, "batchwire/convert", input.body.len());
        g.bench_function(format!("{}-to-multipart", input.name), |b| {
            b.iter(|| json_to_multipart(black_box(&input.body), input.format, &options));
        });
        g.finish();
    }
}
