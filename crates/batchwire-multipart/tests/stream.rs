//! The incremental decoder agrees with the whole-buffer decoder for every input and every
//! chunking, and holds at most the part being read plus one chunk.

mod common;

use std::path::PathBuf;

use batchwire_core::{AtomicGroup, Batch, BatchMessage, Item, MessageKind, ParseError, Tolerance};
use batchwire_multipart::{DecodeOptions, Event, Status, StreamDecoder, decode};
use bytes::Bytes;
use proptest::prelude::*;

type Outcome = Result<(BatchMessage, Vec<Tolerance>), ParseError>;

fn whole(input: &[u8], ct: Option<&[u8]>, options: &DecodeOptions) -> Outcome {
    decode(&Bytes::copy_from_slice(input), ct, options).map(|d| (d.message, d.tolerated))
}

/// Builds the batch from the events, the way a caller of the stream would.
#[derive(Default)]
struct Assembler {
    requests: Vec<Item<batchwire_core::SubRequest>>,
    responses: Vec<Item<batchwire_core::SubResponse>>,
    group: Option<(
        AtomicGroup<batchwire_core::SubRequest>,
        AtomicGroup<batchwire_core::SubResponse>,
    )>,
}

impl Assembler {
    fn take(&mut self, event: Event) {
        match event {
            Event::GroupStart { part_headers, .. } => {
                let mut req = AtomicGroup::new(Vec::new());
                req.part_headers = part_headers.clone();
                let mut resp = AtomicGroup::new(Vec::new());
                resp.part_headers = part_headers;
                self.group = Some((req, resp));
            }
            Event::Request(r) => match &mut self.group {
                Some((g, _)) => g.operations.push(r),
                None => self.requests.push(Item::Operation(r)),
            },
            Event::Response(r) => match &mut self.group {
                Some((_, g)) => g.operations.push(r),
                None => self.responses.push(Item::Operation(r)),
            },
            Event::GroupEnd => {
                let (req, resp) = self.group.take().unwrap();
                self.requests.push(Item::Group(req));
                self.responses.push(Item::Group(resp));
            }
            _ => unreachable!("no other events"),
        }
    }

    fn finish(self, kind: MessageKind) -> BatchMessage {
        match kind {
            MessageKind::Request => BatchMessage::Request(Batch::from_items(self.requests)),
            MessageKind::Response => BatchMessage::Response(Batch::from_items(self.responses)),
        }
    }
}

/// How the chunks are handed to the decoder.
#[derive(Clone, Copy, Debug)]
enum Feed {
    /// `feed(&[u8])`: copied.
    Copied,
    /// `feed_bytes(Bytes)`: read where they lie.
    Shared,
    /// Both, in turn.
    Mixed,
}

const FEEDS: [Feed; 3] = [Feed::Copied, Feed::Shared, Feed::Mixed];

/// Feeds `input` cut at `cuts` in the way `feed` says, draining events after every chunk;
/// returns the outcome and the most bytes the decoder held at once.
fn streamed_with(
    input: &[u8],
    ct: Option<&[u8]>,
    options: &DecodeOptions,
    cuts: &[usize],
    feed: Feed,
) -> (Outcome, usize) {
    let mut decoder = match StreamDecoder::new(ct, options) {
        Ok(d) => d,
        Err(e) => return (Err(e), 0),
    };
    let mut assembler = Assembler::default();
    let mut peak = 0;
    let mut start = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(input.len()));
    let drain =
        |decoder: &mut StreamDecoder, assembler: &mut Assembler| -> Result<bool, ParseError> {
            loop {
                match decoder.next_event()? {
                    Status::Event(e) => assembler.take(e),
                    Status::NeedMore => return Ok(false),
                    Status::End => return Ok(true),
                }
            }
        };
    let shared = Bytes::copy_from_slice(input);
    for (i, end) in ends.enumerate() {
        let end = end.clamp(start, input.len());
        match (feed, i % 2) {
            (Feed::Copied, _) | (Feed::Mixed, 1) => decoder.feed(&input[start..end]),
            (Feed::Shared | Feed::Mixed, _) => decoder.feed_bytes(shared.slice(start..end)),
        }
        peak = peak.max(decoder.buffered());
        start = end;
        if let Err(e) = drain(&mut decoder, &mut assembler) {
            return (Err(e), peak);
        }
        peak = peak.max(decoder.buffered());
    }
    decoder.finish();
    if let Err(e) = drain(&mut decoder, &mut assembler) {
        return (Err(e), peak);
    }
    let kind = decoder.kind().unwrap_or(MessageKind::Request);
    let mut tolerated = decoder.tolerated().to_vec();
    tolerated.sort_by_key(|t| t.offset);
    (Ok((assembler.finish(kind), tolerated)), peak)
}

fn assert_same(input: &[u8], ct: Option<&[u8]>, options: &DecodeOptions, cuts: &[usize]) {
    let want = whole(input, ct, options);
    for feed in FEEDS {
        let (got, _) = streamed_with(input, ct, options, cuts, feed);
        match (&want, &got) {
            (Err(w), Err(g)) => assert_eq!(
                (w.kind(), w.offset(), w.line(), w.column(), w.to_string()),
                (g.kind(), g.offset(), g.line(), g.column(), g.to_string()),
                "cuts {cuts:?}, {feed:?}"
            ),
            _ => assert_eq!(want, got, "cuts {cuts:?}, {feed:?}"),
        }
    }
}

fn every_cut(len: usize, step: usize) -> Vec<usize> {
    (step..len).step_by(step).collect()
}

/// Every payload of the shared corpus and of our fixtures, with its Content-Type.
fn corpus() -> Vec<(PathBuf, Vec<u8>, Option<String>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("tests/data/own")];
    for name in ["odata", "live-cap"] {
        let dir = root.join("../../../shared/corpus").join(name);
        if dir.join("MANIFEST.toml").exists() {
            dirs.push(dir);
        } else {
            println!("notice: {} not present; skipped", dir.display());
        }
    }
    let mut out = Vec::new();
    for dir in dirs {
        let manifest: toml::Value =
            toml::from_str(&std::fs::read_to_string(dir.join("MANIFEST.toml")).unwrap()).unwrap();
        for case in manifest["case"].as_array().unwrap() {
            if case
                .get("format")
                .and_then(|f| f.as_str())
                .is_some_and(|f| f != "multipart")
            {
                continue;
            }
            let file = dir.join(case["file"].as_str().unwrap());
            let ct = case
                .get("content_type")
                .and_then(|c| c.as_str())
                .map(str::to_owned);
            out.push((file.clone(), std::fs::read(file).unwrap(), ct));
        }
    }
    out
}

#[test]
fn corpus_in_one_byte_chunks() {
    let cases = corpus();
    assert!(!cases.is_empty());
    for (file, input, ct) in &cases {
        for options in [DecodeOptions::lenient(), DecodeOptions::strict()] {
            let ct = ct.as_deref().map(str::as_bytes);
            let want = whole(input, ct, &options);
            for feed in FEEDS {
                let (got, _) = streamed_with(input, ct, &options, &every_cut(input.len(), 1), feed);
                match (&want, &got) {
                    (Err(w), Err(g)) => {
                        assert_eq!(w.to_string(), g.to_string(), "{} {feed:?}", file.display());
                    }
                    _ => assert_eq!(want, got, "{} {feed:?}", file.display()),
                }
            }
        }
    }
    println!("{} payloads decoded the same in 1-byte chunks", cases.len());
}

#[test]
fn corpus_without_content_type_in_small_chunks() {
    for (_, input, _) in corpus() {
        for step in [2, 3, 5, 64] {
            assert_same(
                &input,
                None,
                &DecodeOptions::lenient(),
                &every_cut(input.len(), step),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_batches_decode_the_same_in_random_chunks(
        batch in common::batch(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        strict in any::<bool>(),
    ) {
        let input = common::serialize(&batch);
        let ct = common::content_type(&batch.boundary);
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        let options = if strict { DecodeOptions::strict() } else { DecodeOptions::lenient() };
        assert_same(&input, Some(ct.as_bytes()), &options, &cuts);
    }

    #[test]
    fn damaged_batches_fail_the_same_in_random_chunks(
        batch in common::batch(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"-\r\n \t:xH0".to_vec())), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        strict in any::<bool>(),
    ) {
        let mut input = common::serialize(&batch);
        for (at, byte) in edits {
            let i = at.index(input.len());
            input[i] = byte;
        }
        let ct = common::content_type(&batch.boundary);
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        let options = if strict { DecodeOptions::strict() } else { DecodeOptions::lenient() };
        assert_same(&input, Some(ct.as_bytes()), &options, &cuts);
    }
}

/// A batch of `parts` responses whose bodies have the given sizes, cycled; and the size of
/// its largest part with the delimiter lines on both sides (the decoder cannot know that a
/// part has ended before it has read the whole next delimiter line).
fn generated(parts: usize, sizes: &[usize]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut largest = 0;
    for i in 0..parts {
        let size = sizes[i % sizes.len()];
        let start = out.len();
        out.extend_from_slice(
            b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        );
        out.extend(std::iter::repeat_n(b'x', size));
        out.extend_from_slice(b"\r\n");
        largest = largest.max(out.len() - start + b"--b\r\n".len());
    }
    out.extend_from_slice(b"--b--\r\n");
    (out, largest)
}

#[test]
fn buffered_bytes_stay_within_the_largest_part_plus_one_chunk() {
    let (input, largest) = generated(300, &[10, 70_000, 3, 250_000, 1_000]);
    for chunk in [1 << 10, 64 << 10, 100_000] {
        for feed in FEEDS {
            let (outcome, peak) = streamed_with(
                &input,
                Some(b"multipart/mixed; boundary=b"),
                &DecodeOptions::strict(),
                &every_cut(input.len(), chunk),
                feed,
            );
            let (message, _) = outcome.unwrap();
            assert_eq!(message.operation_count(), 300);
            assert!(
                peak <= largest + chunk,
                "held {peak} bytes; the largest part is {largest}, a chunk {chunk}, {feed:?}"
            );
        }
    }
}

#[test]
fn parts_inside_a_shared_chunk_are_read_where_they_lie() {
    let (input, _) = generated(2000, &[300, 20, 900]);
    let input = Bytes::from(input);
    let chunk = 64 << 10;
    let chunks: Vec<Bytes> = (0..input.len())
        .step_by(chunk)
        .map(|at| input.slice(at..input.len().min(at + chunk)))
        .collect();
    let mut decoder = StreamDecoder::new(
        Some(b"multipart/mixed; boundary=b"),
        &DecodeOptions::strict(),
    )
    .unwrap();
    let (mut inside, mut copied) = (0, 0);
    let mut take = |decoder: &mut StreamDecoder| {
        while let Status::Event(Event::Response(r)) = decoder.next_event().unwrap() {
            // Every body is either a slice of the input or a copy of a part that spans chunks.
            if input.as_ptr_range().contains(&r.body.as_ptr()) {
                let at = r.body.as_ptr() as usize - input.as_ptr() as usize;
                assert!(at / chunk == (at + r.body.len() - 1) / chunk, "{at}");
                inside += 1;
            } else {
                copied += 1;
            }
            assert!(r.body.iter().all(|&b| b == b'x'));
        }
    };
    for c in &chunks {
        decoder.feed_bytes(c.clone());
        take(&mut decoder);
    }
    decoder.finish();
    take(&mut decoder);
    assert_eq!(inside + copied, 2000);
    // The part across each chunk border is copied, and at most one more after it.
    assert!(
        copied <= 2 * chunks.len(),
        "{copied} copied for {} chunks",
        chunks.len()
    );
}

#[test]
fn nothing_is_held_after_the_end() {
    let (input, _) = generated(3, &[10]);
    for feed in FEEDS {
        let mut decoder = StreamDecoder::new(
            Some(b"multipart/mixed; boundary=b"),
            &DecodeOptions::strict(),
        )
        .unwrap();
        let mut chunks = vec![input.clone(), b"an epilogue, ignored".to_vec()];
        chunks.push(b"and more of it".to_vec());
        for (i, chunk) in chunks.into_iter().enumerate() {
            match (feed, i % 2) {
                (Feed::Copied, _) | (Feed::Mixed, 1) => decoder.feed(&chunk),
                (Feed::Shared | Feed::Mixed, _) => decoder.feed_bytes(Bytes::from(chunk)),
            }
        }
        let mut events = 0;
        while let Status::Event(_) = decoder.next_event().unwrap() {
            events += 1;
        }
        assert_eq!(events, 3, "{feed:?}");
        assert_eq!(decoder.next_event().unwrap(), Status::End, "{feed:?}");
        assert_eq!(decoder.buffered(), 0, "{feed:?}");
    }
}
