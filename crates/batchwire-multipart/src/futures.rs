//! The incremental decoder as a `futures_core::Stream` (feature `stream`).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use batchwire_core::ParseError;
use futures_core::Stream;

use crate::{Event, Status, StreamDecoder};

/// The events of a batch whose body arrives as a stream of chunks, such as a `hyper` or
/// `reqwest` body stream.
///
/// It polls the body only when the decoder needs more input, so a slow reader holds back
/// the body. It brings no async runtime.
///
/// # Examples
///
/// ```
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
///
/// use batchwire_multipart::{DecodeOptions, Event, EventStream, StreamDecoder};
/// use futures_core::Stream;
///
/// /// Chunks that are always ready, as a test double for a network body.
/// struct Chunks(Vec<&'static [u8]>);
/// impl Stream for Chunks {
///     type Item = Result<&'static [u8], std::io::Error>;
///     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
///         Poll::Ready((!self.0.is_empty()).then(|| Ok(self.0.remove(0))))
///     }
/// }
///
/// let body = Chunks(vec![b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 2", b"04 No Content\r\n\r\n\r\n--b--\r\n"]);
/// let decoder = StreamDecoder::new(Some(b"multipart/mixed; boundary=b"), &DecodeOptions::default())?;
/// let mut events = pin!(EventStream::new(body, decoder));
/// let mut cx = Context::from_waker(Waker::noop());
/// let Poll::Ready(Some(Ok(Event::Response(r)))) = events.as_mut().poll_next(&mut cx) else { panic!() };
/// assert_eq!(r.status, 204);
/// assert!(matches!(events.as_mut().poll_next(&mut cx), Poll::Ready(None)));
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
#[derive(Debug)]
pub struct EventStream<S> {
    body: S,
    decoder: StreamDecoder,
    finished: bool,
    failed: bool,
}

impl<S> EventStream<S> {
    /// Decodes `body` with `decoder`.
    pub fn new(body: S, decoder: StreamDecoder) -> EventStream<S> {
        EventStream {
            body,
            decoder,
            finished: false,
            failed: false,
        }
    }

    /// The decoder, for its tolerances, kind and boundary.
    pub fn decoder(&self) -> &StreamDecoder {
        &self.decoder
    }
}

/// A failure of an [`EventStream`]: the batch, or the body it came from.
#[derive(Debug)]
pub enum StreamError<E> {
    /// The batch is not valid.
    Parse(ParseError),
    /// The body stream failed.
    Body(E),
}

impl<E: fmt::Display> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Parse(e) => e.fmt(f),
            StreamError::Body(e) => write!(f, "cannot read the body: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for StreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Parse(e) => Some(e),
            StreamError::Body(e) => Some(e),
        }
    }
}

impl<S, B, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    type Item = Result<Event, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        loop {
            match this.decoder.next_event() {
                Ok(Status::Event(event)) => return Poll::Ready(Some(Ok(event))),
                Ok(Status::End) => return Poll::Ready(None),
                // One error ends the stream: a consumer that skips errors must not loop.
                Err(e) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(StreamError::Parse(e))));
                }
                Ok(Status::NeedMore) if this.finished => return Poll::Ready(None),
                Ok(Status::NeedMore) => {}
            }
            match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.decoder.feed(chunk.as_ref()),
                Poll::Ready(Some(Err(e))) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(StreamError::Body(e))));
                }
                Poll::Ready(None) => {
                    this.finished = true;
                    this.decoder.finish();
                }
            }
        }
    }
}
