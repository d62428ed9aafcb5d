//! The axum integration: a batch read from an HTTP request in any format, run, and answered
//! in that format.
#![cfg(feature = "axum")]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use axum::extract::FromRequest;
use axum::response::IntoResponse;
use batchwire_server::axum::{BatchAnswer, IncomingBatch};
use batchwire_server::{ExecuteOptions, execute};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// Runs a future whose parts are all ready at once (a full body, an in-memory handler).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

async fn echo(request: Request<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!(
        "{{\"path\":\"{}\"}}",
        request.uri().path()
    )));
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

fn answer(content_type: &str, body: &'static str) -> (StatusCode, String, String) {
    let request = axum::extract::Request::builder()
        .method("POST")
        .uri("/$batch")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    block_on(async {
        let response = match IncomingBatch::from_request(request, &()).await {
            Ok(incoming) => {
                let options =
                    ExecuteOptions::new(incoming.format, "http://host/svc/".parse().unwrap());
                BatchAnswer::of(
                    execute(&echo, &incoming.batch, &options).await,
                    incoming.format,
                )
                .into_response()
            }
            Err(rejection) => rejection.into_response(),
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    })
}

#[test]
fn a_json_batch_is_answered_in_json() {
    let (status, content_type, body) = answer(
        "application/json",
        r#"{"requests":[{"id":"1","method":"get","url":"Customers(1)"}]}"#,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert_eq!(
        body,
        r#"{"responses":[{"id":"1","status":200,"headers":{"Content-Type":"application/json"},"body":{"path":"/svc/Customers(1)"}}]}"#
    );
}

#[test]
fn a_multipart_batch_is_answered_in_multipart() {
    let (status, content_type, body) = answer(
        "multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/http\r\n\r\nGET Customers(2) HTTP/1.1\r\n\r\n\r\n--b--\r\n",
    );
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("multipart/mixed; boundary="),
        "{content_type}"
    );
    assert!(body.contains("HTTP/1.1 200 OK\r\n"), "{body}");
    assert!(body.contains(r#"{"path":"/svc/Customers(2)"}"#), "{body}");
}

#[test]
fn a_body_that_is_not_a_batch_is_a_located_400() {
    let (status, _, body) = answer("text/html", "<html>oops</html>");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("expected a multipart batch"), "{body}");
    assert!(body.ends_with("at byte 0 (line 1, column 1)"), "{body}");
}

#[test]
fn the_answer_has_the_status_each_dialect_gives_a_batch() {
    use batchwire::{BatchResponse, Dialect, Format};
    for (dialect, status) in [
        (Dialect::OdataV2, StatusCode::ACCEPTED),
        (Dialect::OdataV3, StatusCode::ACCEPTED),
        (Dialect::Azure, StatusCode::ACCEPTED),
        (Dialect::OdataV4, StatusCode::OK),
        (Dialect::Google, StatusCode::OK),
        (Dialect::Generic, StatusCode::OK),
    ] {
        let response = BatchAnswer::of(Ok(BatchResponse::default()), Format::Multipart(dialect))
            .into_response();
        assert_eq!(response.status(), status, "{dialect}");
    }
}
