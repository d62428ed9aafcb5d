//! Arbitrary bytes as a batch request to the executor, with an in-memory handler that checks
//! that what it is handed is what `confine` admits, and, by its own reading, stays in the
//! service.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use batchwire::{Dialect, Format, JsonFormat};
use batchwire_server::{ExecuteOptions, Handler, confine, execute};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// The service every target resolves against.
const OWN: &str = "svc.test";
/// Its batch endpoint's root.
const ROOT: &str = "/svc/";

/// A handler that counts what it runs and keeps nothing but the paths.
#[derive(Default)]
struct Store {
    ran: Mutex<usize>,
}

/// `text` percent-decoded, bytes that are not a valid escape kept as they are.
fn decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(Some(high)), Some(Some(low))) =
                (bytes.get(i + 1).map(|b| hex(*b)), bytes.get(i + 2).map(|b| hex(*b)))
        {
            out.push(u8::try_from(high * 16 + low).unwrap_or(0));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

impl Handler for Store {
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send {
        // The executor hands over only what `confine` admits (no other origin is allowed).
        let status = match confine(&request, ROOT, OWN) {
            Ok(relative) => {
                // What runs is the own service's, under the root, framed by the executor.
                assert_eq!(request.uri().authority().map(|a| a.as_str()), Some(OWN));
                assert!(!request.headers().contains_key(http::header::TRANSFER_ENCODING));
                let plain = decoded(&relative);
                for segment in plain.split(|b| *b == b'/' || *b == b'\\') {
                    assert!(segment != b".." && segment != b".", "{relative:?} escapes");
                    assert!(!segment.eq_ignore_ascii_case(b"$batch"), "{relative:?} nests");
                }
                *self.ran.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
                StatusCode::OK
            }
            Err(why) => panic!("the executor handed over {:?}: {why}", request.uri()),
        };
        let mut response = Response::new(Bytes::from_static(b"{\"id\":\"1\"}"));
        *response.status_mut() = status;
        async move { response }
    }
}

/// Polls `future` to its end; the store's futures are ready at once.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

/// The first byte picks the format; the rest is the body of a batch request to `ROOT`.
pub fn server(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let formats = Dialect::ALL.len() + JsonFormat::ALL.len();
    let pick = usize::from(selector) % formats;
    let (format, content_type): (Format, &[u8]) = match Dialect::ALL.get(pick) {
        Some(dialect) => (Format::Multipart(*dialect), b"multipart/mixed; boundary=b"),
        None => (
            Format::Json(JsonFormat::ALL[pick - Dialect::ALL.len()]),
            b"application/json",
        ),
    };
    let body = Bytes::copy_from_slice(body);
    let Ok((batch, _)) = batchwire::decode_request(
        Some(format),
        Some(content_type),
        &body,
        &batchwire::DecodeOptions::default(),
    ) else {
        return;
    };
    let store = Store::default();
    let base = format!("http://{OWN}{ROOT}").parse().expect("a base URI");
    let mut options = ExecuteOptions::new(format, base);
    options.max_operations = 64;
    options.max_body_bytes = 1 << 20;
    let Ok(answer) = block_on(execute(&store, &batch, &options)) else {
        return;
    };
    let ran = *store.ran.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    assert!(ran <= batch.operation_count(), "{ran} run of {}", batch.operation_count());
    // The answer can be written in the request's format.
    let _ = batchwire::encode(&answer, format, &batchwire::WriteOptions::default());
}
