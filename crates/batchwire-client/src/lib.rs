//! The client's side of HTTP batches: what happened to each request.
//!
//! A batch response is many answers in one; [`correlate`] pairs each request that was sent
//! with its answer by the format's rule (Content-ID, `id`, `referenceId`, or position) and
//! gives each request an [`Outcome`] — succeeded, failed (with the error body's code and
//! message), throttled (with the `Retry-After` delay), failed dependency, rolled back,
//! not executed or missing — never one error for the whole batch. Positions are 1-based and
//! hierarchical, as everywhere in batchwire (`3.2` is the second member of the group at
//! item 3).
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use batchwire_client::{correlate, Outcome};
//! use batchwire_core::{AtomicGroup, BatchRequest, BatchResponse, Dialect, Format, SubRequest, SubResponse};
//! use http::{Method, StatusCode};
//!
//! // An OData changeset of two requests, answered by one error part, as OData servers do.
//! let mut sent = BatchRequest::new();
//! sent.push(SubRequest::new(Method::GET, "Customers(1)"));
//! sent.push_group(AtomicGroup::new(vec![
//!     SubRequest::new(Method::POST, "Customers").with_id("1"),
//!     SubRequest::new(Method::POST, "$1/Orders").with_id("2"),
//! ]));
//! let mut answer = BatchResponse::new();
//! answer.push(SubResponse::new(StatusCode::OK));
//! answer.push(
//!     SubResponse::new(StatusCode::BAD_REQUEST)
//!         .with_header("Content-Type", "application/json")
//!         .with_body(r#"{"error":{"code":"400","message":"Customers: name is missing"}}"#),
//! );
//! let c = correlate(&sent, &answer, Format::Multipart(Dialect::OdataV4), SystemTime::now());
//! let names: Vec<String> = c.outcomes.iter().map(|o| format!("{} {}", o.position, o.outcome.name())).collect();
//! assert_eq!(names, ["1 succeeded", "2.1 failed", "2.2 failed"]);
//! let Outcome::Failed { error: Some(error) } = &c.outcomes[1].outcome else { panic!() };
//! assert_eq!(error.message.as_deref(), Some("Customers: name is missing"));
//! ```
#![forbid(unsafe_code)]

mod correlate;
mod error_body;
mod profile;
mod retry;
mod split;

pub use correlate::{Correlation, Outcome, RequestOutcome, Unmatched, correlate};
pub use error_body::{ErrorInfo, retry_after};
pub use profile::{Profile, UnknownProfile, Violation};
pub use retry::{Retry, RetryOptions, retry};
pub use split::{SplitError, split};
