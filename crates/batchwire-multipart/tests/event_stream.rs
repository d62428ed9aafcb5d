//! `EventStream` over a body stream that is sometimes not ready and may fail.
#![cfg(feature = "stream")]

use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use batchwire_multipart::{DecodeOptions, Event, EventStream, StreamDecoder};
use futures_core::Stream;

/// A body that answers `Pending` before every chunk, then ends or fails.
struct Body {
    chunks: Vec<Result<Vec<u8>, String>>,
    ready: bool,
}

impl Stream for Body {
    type Item = Result<Vec<u8>, String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        Poll::Ready((!self.chunks.is_empty()).then(|| self.chunks.remove(0)))
    }
}

fn drive(body: Body) -> (Vec<u16>, Option<String>, usize) {
    let decoder = StreamDecoder::new(
        Some(b"multipart/mixed; boundary=b"),
        &DecodeOptions::strict(),
    )
    .unwrap();
    let mut events = pin!(EventStream::new(body, decoder));
    let mut cx = Context::from_waker(Waker::noop());
    let (mut statuses, mut pending) = (Vec::new(), 0);
    loop {
        match events.as_mut().poll_next(&mut cx) {
            Poll::Pending => pending += 1,
            Poll::Ready(Some(Ok(Event::Response(r)))) => statuses.push(r.status.as_u16()),
            Poll::Ready(Some(Ok(_))) => {}
            Poll::Ready(Some(Err(e))) => return (statuses, Some(e.to_string()), pending),
            Poll::Ready(None) => return (statuses, None, pending),
        }
    }
}

const PART: &[u8] = b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\nx\r\n";

#[test]
fn events_arrive_across_pending_polls() {
    let chunks = PART
        .chunks(9)
        .chain(PART.chunks(9))
        .chain([&b"--b--\r\n"[..]])
        .map(|c| Ok(c.to_vec()))
        .collect();
    let (statuses, error, pending) = drive(Body {
        chunks,
        ready: false,
    });
    assert_eq!(statuses, [200, 200]);
    assert_eq!(error, None);
    assert!(pending > 10, "{pending}");
}

#[test]
fn body_and_batch_failures_are_told_apart() {
    let body = Body {
        chunks: vec![Ok(PART.to_vec()), Err("connection reset".into())],
        ready: false,
    };
    let (_, error, _) = drive(body);
    assert_eq!(
        error.as_deref(),
        Some("cannot read the body: connection reset")
    );

    let body = Body {
        chunks: vec![Ok(PART.to_vec())],
        ready: false,
    };
    let (statuses, error, _) = drive(body);
    // Strict mode: the missing close delimiter is found before the last part is handed out.
    assert!(statuses.is_empty());
    assert_eq!(
        error.as_deref(),
        Some("expected \"--b--\", found end of input at byte 61 (line 7, column 1)")
    );
}
