//! The cross-format target: any batch a JSON reader accepts, written as multipart and read
//! back, has the same ids, methods, targets, statuses and bodies, or the writer's report
//! names the difference at its position.

use batchwire_core::{
    Batch, BatchMessage, DecodeOptions, Dialect, JsonFormat, LossKind, Position, WriteOptions,
    WriteReport,
};
use bytes::Bytes;

/// What the check compares of one operation.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    id: Option<String>,
    start: String,
    body: Bytes,
}

fn requests(batch: &Batch<batchwire_core::SubRequest>) -> Vec<(Position, Seen)> {
    Position::of_operations(batch)
        .zip(batch.operations())
        .map(|(p, op)| {
            let start = format!("{} {}", op.method.as_str().to_ascii_uppercase(), op.target);
            (p, Seen { id: op.id.clone(), start, body: op.body.clone() })
        })
        .collect()
}

fn responses(batch: &Batch<batchwire_core::SubResponse>) -> Vec<(Position, Seen)> {
    Position::of_operations(batch)
        .zip(batch.operations())
        .map(|(p, op)| {
            let start = if op.omitted { "omitted".into() } else { op.status.to_string() };
            (p, Seen { id: op.id.clone(), start, body: op.body.clone() })
        })
        .collect()
}

fn seen(message: &BatchMessage) -> Vec<(Position, Seen)> {
    match message {
        BatchMessage::Request(b) => requests(b),
        BatchMessage::Response(b) => responses(b),
    }
}

/// Whether the report names a change of `what` at `at`.
fn reported(report: &WriteReport, at: Position, what: &str) -> bool {
    report.iter().any(|loss| {
        loss.position == Some(at)
            && match what {
                "id" => matches!(loss.kind, LossKind::Id { .. } | LossKind::IdInvented { .. }),
                "start" => matches!(loss.kind, LossKind::Omitted | LossKind::TargetEncoded { .. }),
                _ => false,
            }
    })
}

pub fn cross_format(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = JsonFormat::ALL[usize::from(selector & 0x0f) % JsonFormat::ALL.len()];
    let dialect = Dialect::ALL[usize::from(selector >> 4) % Dialect::ALL.len()];
    let input = Bytes::copy_from_slice(input);
    let Ok(read) = batchwire_json::decode(&input, format, &DecodeOptions::lenient()) else {
        return;
    };
    let options = WriteOptions::new(dialect).with_lenient(true);
    let Ok(written) = batchwire_multipart::write_message(&read.message, &options) else {
        return;
    };
    let content_type = written.content_type().to_owned();
    let again = batchwire_multipart::decode(
        &written.body,
        Some(content_type.as_bytes()),
        &DecodeOptions::lenient().with_kind(read.message.kind()),
    )
    .unwrap_or_else(|e| panic!("{format} written as multipart {dialect} does not read back: {e}"));
    let (before, after) = (seen(&read.message), seen(&again.message));
    assert_eq!(before.len(), after.len(), "operations lost from {format} to {dialect}");
    for ((at, a), (_, b)) in before.iter().zip(&after) {
        if a.id != b.id {
            assert!(reported(&written.report, *at, "id"), "id {:?} -> {:?} at {at} unreported", a.id, b.id);
        }
        if a.start != b.start {
            assert!(
                reported(&written.report, *at, "start"),
                "{:?} -> {:?} at {at} unreported",
                a.start,
                b.start
            );
        }
        assert_eq!(a.body, b.body, "body at {at} from {format} to {dialect}");
    }
}
