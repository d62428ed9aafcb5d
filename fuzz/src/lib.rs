//! Shared logic of the fuzz targets: options from the first byte, invariants to check.

mod cross;
mod generated;
mod server;

pub use cross::cross_format;
pub use generated::differential;
pub use server::server;

use batchwire_core::{BatchMessage, Item, MessageKind, ParseError, Tolerance};
use batchwire_multipart::{
    BatchRef, DecodeOptions, Dialect, Event, ItemRef, Status, StreamDecoder, decode, parse,
};
use bytes::Bytes;

/// Options picked by one byte: strict or not, forced kind, dialect, and whether a
/// Content-Type is given (else the boundary comes from the first line).
pub fn options(selector: u8) -> (DecodeOptions, Option<&'static [u8]>) {
    let mut options = if selector & 1 == 1 {
        DecodeOptions::strict()
    } else {
        DecodeOptions::lenient()
    };
    options = match (selector >> 1) & 3 {
        1 => options.with_kind(MessageKind::Request),
        2 => options.with_kind(MessageKind::Response),
        _ => options,
    };
    options = options.with_dialect(Dialect::ALL[usize::from(selector >> 3) % Dialect::ALL.len()]);
    let content_type: Option<&'static [u8]> = match selector >> 6 {
        0 => Some(b"multipart/mixed; boundary=b"),
        1 => Some(b"multipart/mixed; boundary=\"batch_1\""),
        2 => Some(b"multipart/mixed; boundary=changeset_1"),
        _ => None,
    };
    (options, content_type)
}

/// Checks what every decode must satisfy, whatever the input.
pub fn check_error(err: &ParseError, input: &[u8]) {
    assert!(err.offset() <= input.len(), "offset {} past {}", err.offset(), input.len());
    assert!(err.line() >= 1 && err.column() >= 1);
    assert!(!err.message().is_empty());
}

fn inside(slice: &[u8], input: &[u8]) -> bool {
    let (outer, inner) = (input.as_ptr_range(), slice.as_ptr_range());
    slice.is_empty() || (outer.start <= inner.start && inner.end <= outer.end)
}

/// Every slice of a view lies inside the input; tolerances lie inside it too.
pub fn check_view(view: &BatchRef<'_>, input: &[u8]) {
    for t in &view.tolerated {
        assert!(t.offset <= input.len());
    }
    for item in &view.items {
        let parts = match item {
            ItemRef::Operation(part) => std::slice::from_ref(part),
            ItemRef::Group(group) => group.parts.as_slice(),
        };
        for part in parts {
            assert!(inside(part.body, input));
            for h in part.headers.iter().chain(&part.part_headers) {
                assert!(inside(h.name, input));
            }
        }
    }
}

/// The whole-buffer parse: views and owned model agree, and satisfy the invariants.
pub fn decode_whole(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let (options, content_type) = options(selector);
    match parse(input, content_type, &options) {
        Ok(view) => {
            check_view(&view, input);
            let owned = decode(&Bytes::copy_from_slice(input), content_type, &options);
            let decoded = owned.expect("the owned decode agrees with the view");
            let count = |items: &[ItemRef<'_>]| {
                items
                    .iter()
                    .map(|i| match i {
                        ItemRef::Operation(_) => 1,
                        ItemRef::Group(g) => g.parts.len(),
                    })
                    .sum::<usize>()
            };
            assert_eq!(decoded.message.operation_count(), count(&view.items));
            assert_eq!(decoded.message.kind(), view.kind);
        }
        Err(err) => {
            check_error(&err, input);
            let owned = decode(&Bytes::copy_from_slice(input), content_type, &options);
            assert_eq!(owned.unwrap_err(), err);
        }
    }
}

type Outcome = Result<(BatchMessage, Vec<Tolerance>), ParseError>;

/// How the chunks are handed to the stream decoder.
#[derive(Clone, Copy, Debug)]
pub enum Feed {
    /// `feed(&[u8])`: copied.
    Copied,
    /// `feed_bytes(Bytes)`: read where they lie.
    Shared,
    /// Both, in turn.
    Mixed,
}

/// Feeds `input` in chunks cut at `cuts`, handed over as `feed` says, and collects what the
/// stream hands out.
pub fn streamed(
    input: &[u8],
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
    cuts: &[usize],
    feed: Feed,
) -> Outcome {
    let shared = Bytes::copy_from_slice(input);
    let mut decoder = StreamDecoder::new(content_type, options)?;
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    let mut open: Option<(Vec<_>, Vec<_>)> = None;
    let mut start = 0;
    let mut take = |event: Event| match event {
        Event::GroupStart { .. } => open = Some((Vec::new(), Vec::new())),
        Event::GroupEnd => {
            if let Some((req, resp)) = open.take() {
                requests.push(Item::Group(batchwire_core::AtomicGroup::new(req)));
                responses.push(Item::Group(batchwire_core::AtomicGroup::new(resp)));
            }
        }
        Event::Request(r) => match open.as_mut() {
            Some((g, _)) => g.push(r),
            None => requests.push(Item::Operation(r)),
        },
        Event::Response(r) => match open.as_mut() {
            Some((_, g)) => g.push(r),
            None => responses.push(Item::Operation(r)),
        },
        _ => {}
    };
    for (i, &end) in cuts.iter().chain(std::iter::once(&input.len())).enumerate() {
        let end = end.clamp(start, input.len());
        match (feed, i % 2) {
            (Feed::Copied, _) | (Feed::Mixed, 1) => decoder.feed(&input[start..end]),
            (Feed::Shared | Feed::Mixed, _) => decoder.feed_bytes(shared.slice(start..end)),
        }
        start = end;
        while let Status::Event(e) = decoder.next_event()? {
            take(e);
        }
    }
    decoder.finish();
    loop {
        match decoder.next_event()? {
            Status::Event(e) => take(e),
            Status::End => break,
            Status::NeedMore => panic!("the decoder wants more after the end"),
        }
    }
    let mut tolerated = decoder.tolerated().to_vec();
    tolerated.sort_by_key(|t| t.offset);
    let message = match decoder.kind().unwrap_or(MessageKind::Request) {
        MessageKind::Request => BatchMessage::Request(batchwire_core::Batch::from_items(requests)),
        MessageKind::Response => BatchMessage::Response(batchwire_core::Batch::from_items(responses)),
    };
    Ok((message, tolerated))
}

/// The incremental decoder agrees with the whole-buffer decoder for the chunking the
/// second byte picks: its low six bits the chunk size (1 to 64), its high two bits how the
/// chunks are fed (copied, shared, both in turn, or shared in chunks 97 times larger).
pub fn decode_chunked(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((&step, input)) = rest.split_first() else {
        return;
    };
    let (options, content_type) = options(selector);
    let (feed, scale) = match step >> 6 {
        0 => (Feed::Copied, 1),
        1 => (Feed::Shared, 1),
        2 => (Feed::Mixed, 1),
        _ => (Feed::Shared, 97),
    };
    let step = (usize::from(step & 63) + 1) * scale;
    let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
    let whole = decode(&Bytes::copy_from_slice(input), content_type, &options).map(|d| {
        let mut message = d.message;
        strip_group_headers(&mut message);
        (message, d.tolerated)
    });
    let streamed = streamed(input, content_type, &options, &cuts, feed).map(|(mut m, t)| {
        strip_group_headers(&mut m);
        (m, t)
    });
    match (&whole, &streamed) {
        (Err(w), Err(s)) => {
            check_error(w, input);
            assert_eq!(w.to_string(), s.to_string());
            assert_eq!(w.kind(), s.kind());
        }
        _ => assert_eq!(whole, streamed),
    }
}

/// The stream hands out group headers in its start event; the comparison ignores them.
fn strip_group_headers(message: &mut BatchMessage) {
    fn strip<T>(items: &mut [Item<T>]) {
        for item in items {
            if let Item::Group(g) = item {
                g.part_headers = batchwire_core::Headers::new();
            }
        }
    }
    match message {
        BatchMessage::Request(b) => strip(&mut b.items),
        BatchMessage::Response(b) => strip(&mut b.items),
    }
}

/// A JSON format's decoder, then its writer and decoder again.
pub fn json_round_trip(data: &[u8]) {
    use batchwire_json::{DecodeOptions as JsonOptions, WriteOptions, JsonFormat};
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = JsonFormat::ALL[usize::from(selector & 0x0f) % JsonFormat::ALL.len()];
    let options = if selector & 0x10 != 0 {
        JsonOptions::strict()
    } else {
        JsonOptions::lenient()
    };
    let input = Bytes::copy_from_slice(input);
    let decoded = match batchwire_json::decode(&input, format, &options) {
        Ok(decoded) => decoded,
        Err(err) => return check_error(&err, &input),
    };
    for t in &decoded.tolerated {
        assert!(t.offset <= input.len());
    }
    let Ok(encoded) = batchwire_json::encode(&decoded.message, format, &WriteOptions::default())
    else {
        return;
    };
    let lenient = JsonOptions::lenient().with_kind(decoded.message.kind());
    let again = batchwire_json::decode(&encoded.body, format, &lenient)
        .unwrap_or_else(|e| panic!("written {format} does not read back: {e}"));
    // The operations, and the groups' names and sizes; a group's own members (a graph's
    // `isSuccessful`) may be filled in by the writer when the input lacked them.
    fn shape<T: std::fmt::Debug>(items: &[Item<T>]) -> Vec<String> {
        items
            .iter()
            .map(|item| match item {
                Item::Operation(op) => format!("{op:?}"),
                Item::Group(g) => format!("{:?} {:?}", g.id, g.operations),
            })
            .collect()
    }
    let items = |m: &BatchMessage| match m {
        BatchMessage::Request(b) => shape(&b.items),
        BatchMessage::Response(b) => shape(&b.items),
    };
    if encoded.report.is_empty() && decoded.tolerated.is_empty() {
        // A document read without tolerance comes back item for item; batch options the
        // format requires (a `hasErrors` it must carry) may be filled in. A document read
        // leniently may have members filled in (an `isSuccessful` it lacked).
        assert_eq!(items(&again.message), items(&decoded.message), "written {format} reads back otherwise");
    } else {
        assert_eq!(again.message.operation_count(), decoded.message.operation_count());
    }
    // Written again, what was read back gives the same document.
    let twice = batchwire_json::encode(&again.message, format, &WriteOptions::default())
        .expect("a batch read back from a written one writes again");
    assert_eq!(twice.body, encoded.body, "{format} writing is not a fixpoint");
}

/// Builds a batch from the fuzzer's bytes.
fn arbitrary_batch(u: &mut libfuzzer_sys::arbitrary::Unstructured<'_>) -> libfuzzer_sys::arbitrary::Result<BatchMessage> {
    use batchwire_core::{AtomicGroup, Batch, SubRequest, SubResponse};
    use http::{Method, StatusCode};
    const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    fn text(u: &mut libfuzzer_sys::arbitrary::Unstructured<'_>, allowed: &[u8]) -> libfuzzer_sys::arbitrary::Result<String> {
        let len = u.int_in_range(1..=12)?;
        (0..len)
            .map(|_| u.choose(allowed).map(|&b| char::from(b)))
            .collect()
    }
    const TARGET: &[u8] = b"abcXYZ019()$/?=&,.'_~-";
    const VALUE: &[u8] = b"abc XYZ 019;=/,";
    let requests = u.arbitrary::<bool>()?;
    let items = u.int_in_range(1..=6)?;
    let mut op_count = 0;
    let mut request_items = Vec::new();
    let mut response_items = Vec::new();
    for _ in 0..items {
        let members = if u.ratio(1, 4)? { u.int_in_range(1..=3)? } else { 0 };
        let mut reqs = Vec::new();
        let mut resps = Vec::new();
        for _ in 0..members.max(1) {
            op_count += 1;
            let body: Vec<u8> = u.arbitrary()?;
            let mut headers = batchwire_core::Headers::new();
            for _ in 0..u.int_in_range(0..=2)? {
                headers.append(text(u, b"abcXYZ-")?, text(u, VALUE)?.trim().to_owned());
            }
            let id = if u.arbitrary::<bool>()? { Some(op_count.to_string()) } else { None };
            let method = if members > 0 {
                u.choose(&METHODS[1..])?.clone()
            } else {
                u.choose(&METHODS)?.clone()
            };
            let mut r = SubRequest::new(method, text(u, TARGET)?).with_body(body.clone());
            r.headers = headers.clone();
            r.id = id.clone();
            let status = StatusCode::from_u16(u.int_in_range(100..=599)?).unwrap_or(StatusCode::OK);
            let mut s = SubResponse::new(status).with_body(body);
            s.headers = headers;
            s.id = id;
            reqs.push(r);
            resps.push(s);
        }
        if members > 0 {
            request_items.push(batchwire_core::Item::Group(AtomicGroup::new(reqs)));
            response_items.push(batchwire_core::Item::Group(AtomicGroup::new(resps)));
        } else {
            request_items.push(batchwire_core::Item::Operation(reqs.remove(0)));
            response_items.push(batchwire_core::Item::Operation(resps.remove(0)));
        }
    }
    Ok(if requests {
        BatchMessage::Request(Batch::from_items(request_items))
    } else {
        BatchMessage::Response(Batch::from_items(response_items))
    })
}

/// The multipart writer, then the strict reader: the same bodies, targets and statuses;
/// and writing what was read reads back to the same model.
pub fn write_round_trip(data: &[u8]) {
    use batchwire_multipart::{WriteOptions, write_message};
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut u = libfuzzer_sys::arbitrary::Unstructured::new(rest);
    let Ok(model) = arbitrary_batch(&mut u) else {
        return;
    };
    let dialect = Dialect::ALL[usize::from(selector) % Dialect::ALL.len()];
    let options = WriteOptions::new(dialect);
    let Ok(written) = write_message(&model, &options) else {
        return;
    };
    let content_type = written.headers.get("content-type").map(|v| v.as_bytes().to_vec());
    let strict = DecodeOptions::strict().with_dialect(dialect).with_kind(model.kind());
    let read = decode(&written.body, content_type.as_deref(), &strict)
        .unwrap_or_else(|e| panic!("the writer's {dialect} output does not read back: {e}"))
        .message;
    let bodies = |m: &BatchMessage| -> Vec<Bytes> {
        match m {
            BatchMessage::Request(b) => b.operations().map(|o| o.body.clone()).collect(),
            BatchMessage::Response(b) => b.operations().map(|o| o.body.clone()).collect(),
        }
    };
    assert_eq!(bodies(&read), bodies(&model));
    match (&read, &model) {
        (BatchMessage::Request(r), BatchMessage::Request(m)) => {
            let starts = |b: &batchwire_core::BatchRequest| -> Vec<(String, String)> {
                b.operations().map(|o| (o.method.to_string(), o.target.clone())).collect()
            };
            assert_eq!(starts(r), starts(m));
        }
        (BatchMessage::Response(r), BatchMessage::Response(m)) => {
            let statuses = |b: &batchwire_core::BatchResponse| -> Vec<u16> {
                b.operations().map(|o| o.status.as_u16()).collect()
            };
            assert_eq!(statuses(r), statuses(m));
        }
        _ => panic!("the kind changed"),
    }
    // What was read is a fixpoint: written again, it reads back equal.
    let again = write_message(&read, &options).expect("a batch read back writes again");
    let content_type = again.headers.get("content-type").map(|v| v.as_bytes().to_vec());
    let mut reread = decode(&again.body, content_type.as_deref(), &strict)
        .expect("the second writing reads back")
        .message;
    // Each writing draws fresh changeset boundaries, which the group's Content-Type shows.
    let mut read = read;
    for m in [&mut read, &mut reread] {
        forget_changeset_boundaries(m);
    }
    assert_eq!(reread, read);
}

fn forget_changeset_boundaries(message: &mut BatchMessage) {
    fn forget<T>(items: &mut [Item<T>]) {
        for item in items {
            if let Item::Group(g) = item {
                g.part_headers.remove("content-type");
            }
        }
    }
    match message {
        BatchMessage::Request(b) => forget(&mut b.items),
        BatchMessage::Response(b) => forget(&mut b.items),
    }
}
