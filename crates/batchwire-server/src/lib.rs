//! The server's side of HTTP batches: run a decoded batch against a handler.
//!
//! [`execute`] takes a batch of requests, read in any format, and a [`Handler`] — anything that
//! turns an `http::Request<Bytes>` into an `http::Response<Bytes>`, an async closure included —
//! and gives the batch of responses in the model, to write back in the request's format with
//! the facade's `encode`. It resolves references (OData `$<id>`, Salesforce `@{id.path}`, Meta
//! `{result=id:$.path}`), runs atomic groups between the handler's `begin` and `commit` or
//! `rollback`, answers 424 for what depends on a failure, stops or goes on after an error as
//! the format and the batch say, and runs independent operations concurrently with the result
//! of a run one by one.
//!
//! With the `axum` feature, the `axum` module makes a `$batch` route a few lines: an
//! extractor for an incoming batch in any format, and an answer that writes itself back in it.
//!
//! # Example
//!
//! ```
//! use batchwire_core::{BatchRequest, Format, JsonFormat, SubRequest};
//! use batchwire_server::{execute, ExecuteOptions};
//! use bytes::Bytes;
//! use http::{Method, Request, Response, StatusCode};
//!
//! // A handler that creates what it is posted and says where.
//! let handler = |request: Request<Bytes>| async move {
//!     let mut response = Response::new(Bytes::new());
//!     *response.status_mut() = StatusCode::CREATED;
//!     let location = format!("{}(7)", request.uri().path());
//!     response.headers_mut().insert("location", location.parse().unwrap());
//!     response
//! };
//! let mut batch = BatchRequest::new();
//! batch.push(SubRequest::new(Method::POST, "Customers").with_id("1"));
//! batch.push(SubRequest::new(Method::POST, "$1/Orders").with_id("2"));
//! let options = ExecuteOptions::new(Format::Json(JsonFormat::OdataJson), "http://h/svc/".parse().unwrap());
//! # let answer = std::thread::scope(|_| {
//! #     let mut future = std::pin::pin!(execute(&handler, &batch, &options));
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(a) = future.as_mut().poll(&mut cx) { break a; } }
//! # })?;
//! // `let answer = execute(&handler, &batch, &options).await?;` in an async context.
//! let locations: Vec<&str> = answer.operations().map(|r| r.headers.get_str("location").unwrap()).collect();
//! // `$1/Orders` was handed over as the Location of the first answer, `/svc/Customers(7)`.
//! assert_eq!(locations, ["/svc/Customers(7)", "/svc/Customers(7)/Orders(7)"]);
//! # Ok::<(), batchwire_server::ExecuteError>(())
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "axum")]
pub mod axum;
mod execute;
mod guard;
mod resolve;

pub use execute::{ExecuteError, ExecuteOptions, Handler, execute};
pub use guard::{CREDENTIALS, HOP_BY_HOP, confine, forwardable};
