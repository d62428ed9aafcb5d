//! Shared logic of the fuzz targets: options from the first byte, invariants to check.

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

/// Feeds `input` in chunks cut at `cuts` and collects what the stream hands out.
pub fn streamed(input: &[u8], content_type: Option<&[u8]>, options: &DecodeOptions, cuts: &[usize]) -> Outcome {
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
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        decoder.feed(&input[start..end]);
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
/// second byte picks.
pub fn decode_chunked(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((&step, input)) = rest.split_first() else {
        return;
    };
    let (options, content_type) = options(selector);
    let step = usize::from(step % 64) + 1;
    let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
    let whole = decode(&Bytes::copy_from_slice(input), content_type, &options).map(|d| {
        let mut message = d.message;
        strip_group_headers(&mut message);
        (message, d.tolerated)
    });
    let streamed = streamed(input, content_type, &options, &cuts).map(|(mut m, t)| {
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
