//! Allocation counts of the owned decoder on the common case, many small parts: a count, not
//! a timing, so it holds on any machine.

use std::fmt::Write as _;

use batchwire_core::BatchMessage;
use batchwire_multipart::{DecodeOptions, decode};
use bytes::Bytes;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const BOUNDARY: &str = "batchresponse_6f1c2a07-4b1e-4c55-9d7a-3c1f0e2b8a91";

/// `n` `200 OK` responses with a 300-byte JSON body each, as an OData V4 server sends them:
/// two MIME part headers, three embedded headers with a Content-Length.
fn many_small(n: usize, eol: &str) -> Bytes {
    let mut out = String::new();
    for i in 0..n {
        let mut body =
            format!("{{\"@odata.context\":\"$metadata#People/$entity\",\"ID\":{i},\"Name\":\"");
        while body.len() < 298 {
            body.push_str("lorem ipsum ");
        }
        body.truncate(298);
        body.push_str("\"}");
        let _ = write!(
            out,
            "--{BOUNDARY}{eol}Content-Type: application/http{eol}Content-Transfer-Encoding: binary{eol}{eol}\
             HTTP/1.1 200 OK{eol}OData-Version: 4.0{eol}Content-Type: application/json;odata.metadata=minimal{eol}\
             Content-Length: {}{eol}{eol}{body}{eol}",
            body.len()
        );
    }
    let _ = write!(out, "--{BOUNDARY}--{eol}");
    Bytes::from(out)
}

/// The allocations one decode of `input` makes (the result dropped inside the count), and
/// the operations it read.
fn allocations_of_decode(input: &Bytes, options: &DecodeOptions) -> (u64, usize) {
    let content_type = format!("multipart/mixed; boundary={BOUNDARY}");
    let profiler = dhat::Profiler::builder().testing().build();
    let decoded = decode(input, Some(content_type.as_bytes()), options).expect("a valid batch");
    let BatchMessage::Response(batch) = &decoded.message else {
        panic!("a response batch");
    };
    let operations = batch.operation_count();
    assert!(
        batch
            .operations()
            .all(|r| r.status == 200 && r.body.len() == 300)
    );
    drop(decoded);
    let stats = dhat::HeapStats::get();
    drop(profiler);
    (stats.total_blocks, operations)
}

/// The bound asked of the decoder is 2 allocations per operation; it allocates per batch
/// (the item list, the field table, the events), not per operation, and this keeps it so.
const MAX_PER_OPERATION: f64 = 0.1;

#[test]
fn an_owned_decode_allocates_per_batch_not_per_operation() {
    // dhat allows one profiler at a time: every case runs in this one test.
    for (eol, options) in [
        ("\r\n", DecodeOptions::lenient()),
        ("\r\n", DecodeOptions::strict()),
        ("\n", DecodeOptions::lenient()),
    ] {
        let input = many_small(1000, eol);
        let (blocks, operations) = allocations_of_decode(&input, &options);
        assert_eq!(operations, 1000);
        #[allow(clippy::cast_precision_loss)]
        let per_operation = blocks as f64 / operations as f64;
        println!(
            "{eol:?} strict={}: {blocks} allocations, {per_operation:.3} per operation",
            options.strict
        );
        assert!(
            per_operation <= MAX_PER_OPERATION,
            "{blocks} allocations for {operations} operations ({per_operation:.3} each)"
        );
    }
}
