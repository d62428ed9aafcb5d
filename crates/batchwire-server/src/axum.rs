//! axum integration: an extractor for an incoming batch in any format, and an answer that
//! writes itself back in that format.
//!
//! ```
//! use axum::{Router, routing::post};
//! use batchwire_server::axum::{BatchAnswer, IncomingBatch};
//! use batchwire_server::{execute, ExecuteOptions};
//! use bytes::Bytes;
//! use http::{Request, Response};
//!
//! async fn handler(request: Request<Bytes>) -> Response<Bytes> {
//!     Response::new(Bytes::from(format!("{{\"path\":\"{}\"}}", request.uri().path())))
//! }
//!
//! let app: Router = Router::new().route(
//!     "/odata/$batch",
//!     post(|incoming: IncomingBatch| async move {
//!         let options = ExecuteOptions::new(incoming.format, "http://localhost/odata/".parse().unwrap());
//!         BatchAnswer::of(execute(&handler, &incoming.batch, &options).await, incoming.format)
//!     }),
//! );
//! # let _ = app;
//! ```

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use batchwire::{BatchResponse, DecodeOptions, Format, Tolerance, WriteOptions};
use bytes::Bytes;
use http::StatusCode;
use http::header::CONTENT_TYPE;

use crate::ExecuteError;

/// A batch of requests read from the body of the request, in the format its content type and
/// bytes say (lenient reading: what was tolerated is kept).
#[derive(Clone, Debug)]
pub struct IncomingBatch {
    /// The requests.
    pub batch: batchwire::BatchRequest,
    /// The format it came in, and the answer goes back in.
    pub format: Format,
    /// What reading it tolerated.
    pub tolerated: Vec<Tolerance>,
}

/// Why an incoming batch was refused: 400 with the located message of the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRejection {
    /// The status answered.
    pub status: StatusCode,
    /// What is wrong, with its place in the body.
    pub message: String,
}

impl IntoResponse for BatchRejection {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}

impl<S: Send + Sync> FromRequest<S> for IncomingBatch {
    type Rejection = BatchRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.as_bytes().to_vec());
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| BatchRejection {
                status: e.status(),
                message: e.body_text(),
            })?;
        let decoded = batchwire::decode(
            None,
            content_type.as_deref(),
            &body,
            &DecodeOptions::lenient(),
        )
        .map_err(|e| BatchRejection {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
        })?;
        match decoded.message {
            batchwire::BatchMessage::Request(batch) => Ok(IncomingBatch {
                batch,
                format: decoded.format,
                tolerated: decoded.tolerated,
            }),
            batchwire::BatchMessage::Response(_) => Err(BatchRejection {
                status: StatusCode::BAD_REQUEST,
                message: "expected a batch of requests, found a batch of responses".into(),
            }),
        }
    }
}

/// The answer to a batch, written in its format with the format's envelope headers; a batch
/// refused before it ran is answered with its status and message.
#[derive(Clone, Debug)]
pub struct BatchAnswer {
    answer: Result<BatchResponse, ExecuteError>,
    format: Format,
}

impl BatchAnswer {
    /// The answer to write in `format`.
    pub fn of(answer: Result<BatchResponse, ExecuteError>, format: Format) -> BatchAnswer {
        BatchAnswer { answer, format }
    }
}

impl IntoResponse for BatchAnswer {
    fn into_response(self) -> Response {
        let answer = match self.answer {
            Ok(answer) => answer,
            Err(e) => return (e.status, e.message).into_response(),
        };
        match batchwire::encode(&answer, self.format, &WriteOptions::default()) {
            Ok(written) => {
                let mut response = Response::new(axum::body::Body::from(written.body));
                *response.headers_mut() = written.headers;
                if let Format::Multipart(dialect) = self.format {
                    *response.status_mut() = StatusCode::from_u16(dialect.rules().batch_status)
                        .unwrap_or(StatusCode::OK);
                }
                response
            }
            Err(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the answer cannot be written in its format: {e}"),
            )
                .into_response(),
        }
    }
}
