//! Running a batch: each operation handed to the handler in order, references resolved,
//! atomic groups committed or rolled back, and the answer shaped as the format wants it.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use batchwire_core::{
    AtomicGroup, BatchRequest, BatchResponse, Format, Item, JsonFormat, SubRequest, SubResponse,
};
use batchwire_json::reference::referred_ids;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::resolve::{self, Answers};

/// What runs the operations of a batch: anything that turns an `http::Request<Bytes>` into an
/// `http::Response<Bytes>`, with hooks around an atomic group for a store with transactions.
///
/// An async closure `|request| async { … }` is a handler with no-op hooks.
pub trait Handler: Sync {
    /// Runs one operation.
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send;

    /// An atomic group begins: what follows until `commit` or `rollback` is one transaction.
    fn begin(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// The group succeeded: keep what it did.
    fn commit(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// A member of the group failed: undo what the group did.
    fn rollback(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

impl<F, Fut> Handler for F
where
    F: Fn(Request<Bytes>) -> Fut + Sync,
    Fut: Future<Output = Response<Bytes>> + Send,
{
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send {
        self(request)
    }
}

/// How to run a batch.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ExecuteOptions {
    /// The format the batch came in, whose rules the run follows and whose answer it shapes.
    pub format: Format,
    /// The service root that relative targets are resolved against.
    pub base: http::Uri,
    /// The most operations one batch may hold.
    pub max_operations: usize,
    /// The most body bytes one batch may hold, all operations together.
    pub max_body_bytes: usize,
    /// How many independent operations may run at once (outside atomic groups, where the
    /// format allows it); 1 runs them one by one.
    pub concurrency: usize,
    /// How long a batch may run: an operation not started by then is answered 503 with
    /// `Retry-After` and not run. `None`: no bound.
    pub deadline: Option<Duration>,
    /// Origins (`http://host:port`) that a target may name besides `base`'s own. A target at
    /// any other origin, out of `base`'s path, naming `$batch`, or with `Transfer-Encoding` is
    /// answered 400 `Refused` and not run (see [`confine`](crate::confine)); at an allowed
    /// origin the same path rules hold from its root. Empty by default.
    pub allowed_origins: Vec<String>,
}

impl ExecuteOptions {
    /// Options for `format` at the service root `base`: at most 1,000 operations and 16 MiB
    /// of bodies (counted again once references are resolved), up to 8 operations at once,
    /// 30 seconds a batch.
    pub fn new(format: Format, base: http::Uri) -> ExecuteOptions {
        ExecuteOptions {
            format,
            base,
            max_operations: 1_000,
            max_body_bytes: 16 << 20,
            concurrency: 8,
            deadline: Some(Duration::from_secs(30)),
            allowed_origins: Vec::new(),
        }
    }

    /// Where a request may go: `Ok` for the own service under `base`'s path, or an allowed
    /// origin; else why not.
    fn admit(&self, request: &Request<Bytes>) -> Result<(), &'static str> {
        let own = self
            .base
            .authority()
            .map_or("", http::uri::Authority::as_str);
        let authority = request
            .uri()
            .authority()
            .map_or("", http::uri::Authority::as_str);
        if authority == own {
            return crate::confine(request, self.base.path(), own).map(drop);
        }
        let scheme = request.uri().scheme_str().unwrap_or("http");
        if self
            .allowed_origins
            .iter()
            .any(|origin| *origin == format!("{scheme}://{authority}"))
        {
            return crate::confine(request, "/", authority).map(drop);
        }
        Err("a sub-request goes to the batch's own service or an allowed origin only")
    }

    /// These options with another bound on concurrent operations.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> ExecuteOptions {
        self.concurrency = concurrency.max(1);
        self
    }
}

/// A batch refused as a whole, before any operation ran: its status and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecuteError {
    /// The status to answer the batch request with (400, 413).
    pub status: StatusCode,
    /// What is wrong with the batch.
    pub message: String,
}

impl fmt::Display for ExecuteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ExecuteError {}

/// Runs `batch` with `handler` and returns the answer in the model, shaped as the format of
/// `options` wants it:
///
/// - operations in order; references resolved before each is handed over: an OData `$<id>`
///   target becomes the `Location` of the answer it names (else its `@odata.id`), Salesforce
///   `@{id.path}` and Meta `{result=id:$.path}` become the value they name, in the target and
///   the body;
/// - an operation whose dependency (`dependsOn`, a reference) failed is not run: 424 with an
///   error body (Salesforce: `PROCESSING_HALTED`);
/// - an atomic group runs between `begin` and `commit`, or `rollback` at its first failing
///   member; a failed multipart changeset is answered by that member's error alone, a JSON group
///   member by member (those not run with 424; Salesforce `allOrNone`:
///   `ALL_OR_NONE_OPERATION_ROLLED_BACK`);
/// - after a failure, OData stops unless the batch asks to continue on error; Salesforce
///   Composite Batch stops with `haltOnError`, answering the rest 412; the others go on;
/// - independent operations outside groups run up to `concurrency` at once where the run goes
///   on after failures, with the same result as one by one.
///
/// # Errors
///
/// An [`ExecuteError`] before anything runs: more operations or body bytes than the options
/// allow.
pub async fn execute<H: Handler>(
    handler: &H,
    batch: &BatchRequest,
    options: &ExecuteOptions,
) -> Result<BatchResponse, ExecuteError> {
    let count = batch.operation_count();
    if count > options.max_operations {
        return Err(ExecuteError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "expected at most {} operations in a batch, found {count}",
                options.max_operations
            ),
        });
    }
    let bytes: usize = batch.operations().map(|op| op.body.len()).sum();
    if bytes > options.max_body_bytes {
        return Err(ExecuteError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "expected at most {} body bytes in a batch, found {bytes}",
                options.max_body_bytes
            ),
        });
    }
    let mut run = Run {
        options,
        answers: Answers::new(),
        failed: HashSet::new(),
        stopped: false,
        any_failed: false,
        started: Instant::now(),
        handed: AtomicUsize::new(0),
        out: BatchResponse::new(),
    };
    let stops = stops_on_error(batch, options.format);
    let mut i = 0;
    while i < batch.items.len() {
        if run.stopped {
            run.halted(&batch.items[i..]);
            break;
        }
        match &batch.items[i] {
            Item::Group(group) => {
                let ok = run.group(handler, group).await;
                if !ok && stops {
                    run.stopped = true;
                }
                i += 1;
            }
            Item::Operation(_) => {
                // A wave: the following plain operations that refer to none of each other.
                let wave = if stops {
                    1
                } else {
                    wave(&batch.items[i..], options.concurrency)
                };
                let ops: Vec<&SubRequest> = batch.items[i..i + wave]
                    .iter()
                    .filter_map(|item| match item {
                        Item::Operation(op) => Some(op),
                        Item::Group(_) => None,
                    })
                    .collect();
                let answers = {
                    let run = &run;
                    join_all(ops.iter().map(|op| run.one(handler, op)).collect()).await
                };
                for (op, answer) in ops.iter().zip(answers) {
                    let failed = answer.status.as_u16() >= 400;
                    run.answered(op, answer.clone());
                    run.out.push(answer);
                    if failed && stops {
                        run.stopped = true;
                    }
                }
                i += wave;
            }
        }
    }
    if options.format == Format::Json(JsonFormat::SalesforceCompositeBatch) {
        run.out.options.has_errors = Some(run.any_failed);
    }
    Ok(run.out)
}

/// Whether the run stops at the first failure.
fn stops_on_error(batch: &BatchRequest, format: Format) -> bool {
    let options = &batch.options;
    match format {
        Format::Multipart(dialect) => {
            dialect.rules().stops_on_error && options.continue_on_error != Some(true)
        }
        Format::Json(JsonFormat::OdataJson) => options.continue_on_error != Some(true),
        Format::Json(JsonFormat::SalesforceCompositeBatch) => options.halt_on_error == Some(true),
        Format::Json(_) => false,
    }
}

/// How many of the plain operations at the start of `items` can run at once: up to `max`,
/// none referring to another of them.
fn wave(items: &[Item<SubRequest>], max: usize) -> usize {
    let mut ids: Vec<&str> = Vec::new();
    let mut n = 0;
    for item in items.iter().take(max.max(1)) {
        let Item::Operation(op) = item else { break };
        if n > 0 && referred_ids(op).iter().any(|id| ids.contains(id)) {
            break;
        }
        if let Some(id) = &op.id {
            ids.push(id);
        }
        n += 1;
    }
    n.max(1)
}

/// Polls every future to its end, concurrently, and gives their outputs in order.
async fn join_all<'f, T>(futures: Vec<impl Future<Output = T> + Send + 'f>) -> Vec<T> {
    let mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'f>>> = futures
        .into_iter()
        .map(|f| Box::pin(f) as Pin<Box<dyn Future<Output = T> + Send + 'f>>)
        .collect();
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (future, slot) in futures.iter_mut().zip(done.iter_mut()) {
            if slot.is_none()
                && let Poll::Ready(value) = future.as_mut().poll(cx)
            {
                *slot = Some(value);
            }
        }
        if done.iter().all(Option::is_some) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// The state of one run.
struct Run<'o> {
    options: &'o ExecuteOptions,
    /// Every answer so far, by the request's id.
    answers: Answers,
    /// The ids of the requests and groups that failed (a group's members included).
    failed: HashSet<String>,
    stopped: bool,
    /// Whether any operation failed (for Salesforce's `hasErrors`).
    any_failed: bool,
    started: Instant,
    /// The body bytes handed over so far, references resolved.
    handed: AtomicUsize,
    out: BatchResponse,
}

impl Run<'_> {
    fn answered(&mut self, op: &SubRequest, answer: SubResponse) {
        self.any_failed |= answer.status.as_u16() >= 400;
        if let Some(id) = &op.id {
            if answer.status.as_u16() >= 400 {
                self.failed.insert(id.clone());
            }
            self.answers.insert(id.clone(), answer);
        }
    }

    /// One operation, references resolved, or the answer that says why it did not run.
    async fn one<H: Handler>(&self, handler: &H, op: &SubRequest) -> SubResponse {
        let mut response = match self.prepared(op) {
            Ok(request) => SubResponse::from(handler.call(request).await),
            Err(answer) => *answer,
        };
        response.id.clone_from(&op.id);
        response
    }

    /// The request to hand over, or the answer for an operation that does not run.
    fn prepared(&self, op: &SubRequest) -> Result<Request<Bytes>, Box<SubResponse>> {
        let format = self.options.format;
        if self
            .options
            .deadline
            .is_some_and(|deadline| self.started.elapsed() >= deadline)
        {
            let mut answer = error(
                format,
                StatusCode::SERVICE_UNAVAILABLE,
                "Deadline",
                "not started before the batch's time ran out",
            );
            answer.headers.append("Retry-After", "1");
            return Err(Box::new(answer));
        }
        if let Some(id) = referred_ids(op)
            .into_iter()
            .find(|id| self.failed.contains(*id))
        {
            return Err(Box::new(dependency_failed(format, id)));
        }
        let mut op = op.clone();
        if let Some(target) = resolve::odata_target(&op.target, &self.answers) {
            op.target = target;
        }
        let (target, missing_in_target) = resolve::references(&op.target, &self.answers);
        op.target = target;
        let mut missing = missing_in_target;
        if let Ok(body) = std::str::from_utf8(&op.body) {
            let (body, missing_in_body) = resolve::references(body, &self.answers);
            missing.extend(missing_in_body);
            op.body = Bytes::from(body);
        }
        if let Some(id) = missing.first() {
            return Err(Box::new(error(
                format,
                StatusCode::BAD_REQUEST,
                "InvalidReference",
                &format!("the reference to {id:?} names no earlier answer or no value in it"),
            )));
        }
        // What references bring in counts towards the limit: a `$1` or `@{ref}` may expand.
        let handed = self.handed.fetch_add(op.body.len(), Ordering::Relaxed) + op.body.len();
        if handed > self.options.max_body_bytes {
            return Err(Box::new(error(
                format,
                StatusCode::PAYLOAD_TOO_LARGE,
                "TooLarge",
                &format!(
                    "expected at most {} body bytes in a batch, references resolved; this operation would bring {handed}",
                    self.options.max_body_bytes
                ),
            )));
        }
        let request = op
            .into_http_request_with_base(&self.options.base)
            .map_err(|e| {
                Box::new(error(
                    format,
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &e.to_string(),
                ))
            })?;
        self.options
            .admit(&request)
            .map_err(|why| Box::new(error(format, StatusCode::BAD_REQUEST, "Refused", why)))?;
        Ok(request)
    }

    /// An atomic group; `true` when it committed.
    async fn group<H: Handler>(&mut self, handler: &H, group: &AtomicGroup<SubRequest>) -> bool {
        handler.begin().await;
        let mut answers = Vec::new();
        let mut failure = None;
        for (m, op) in group.operations.iter().enumerate() {
            let answer = self.one(handler, op).await;
            let failed = answer.status.as_u16() >= 400;
            self.answered(op, answer.clone());
            answers.push(answer);
            if failed {
                failure = Some(m);
                break;
            }
        }
        let Some(failed_at) = failure else {
            handler.commit().await;
            let mut answered = AtomicGroup::new(answers);
            answered.id.clone_from(&group.id);
            self.out.push_group(answered);
            return true;
        };
        handler.rollback().await;
        // Undone: every member failed with the group, and the group itself.
        self.failed
            .extend(group.operations.iter().filter_map(|op| op.id.clone()));
        self.failed.extend(group.id.clone());
        let format = self.options.format;
        if format.is_multipart() {
            // The failing member's error alone, where the changeset was.
            self.out.push(answers.swap_remove(failed_at));
            return false;
        }
        let all_or_none = format == Format::Json(JsonFormat::SalesforceComposite);
        let members = group
            .operations
            .iter()
            .enumerate()
            .map(|(m, op)| {
                let mut answer = match answers.get(m) {
                    Some(answer) if m == failed_at || !all_or_none => answer.clone(),
                    _ if all_or_none => error(
                        format,
                        StatusCode::BAD_REQUEST,
                        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                        "The transaction was rolled back since another operation in the same transaction failed.",
                    ),
                    _ => dependency_failed(format, group.id.as_deref().unwrap_or("the group")),
                };
                answer.id.clone_from(&op.id);
                answer
            })
            .collect();
        let mut answered = AtomicGroup::new(members);
        answered.id.clone_from(&group.id);
        self.out.push_group(answered);
        false
    }

    /// What is left after the run stopped: nothing for the formats that stop silently,
    /// 412 `BATCH_PROCESSING_HALTED` for Salesforce Composite Batch.
    fn halted(&mut self, rest: &[Item<SubRequest>]) {
        if self.options.format != Format::Json(JsonFormat::SalesforceCompositeBatch) {
            return;
        }
        for op in rest.iter().flat_map(|item| item.operations().iter()) {
            let mut answer = error(
                self.options.format,
                StatusCode::PRECONDITION_FAILED,
                "BATCH_PROCESSING_HALTED",
                "Batch processing halted per request",
            );
            answer.id.clone_from(&op.id);
            self.out.push(answer);
        }
    }
}

/// The answer of an operation whose dependency `id` failed.
fn dependency_failed(format: Format, id: &str) -> SubResponse {
    let message = format!("the request it depends on, {id:?}, failed");
    match format {
        Format::Json(
            JsonFormat::SalesforceComposite
            | JsonFormat::SalesforceCompositeBatch
            | JsonFormat::SalesforceCompositeGraph,
        ) => error(
            format,
            StatusCode::BAD_REQUEST,
            "PROCESSING_HALTED",
            &message,
        ),
        _ => error(
            format,
            StatusCode::FAILED_DEPENDENCY,
            "FailedDependency",
            &message,
        ),
    }
}

/// An error answer with the body the format's clients read: Salesforce's
/// `[{"errorCode", "message"}]`, the OData `{"error": {"code", "message"}}` elsewhere.
fn error(format: Format, status: StatusCode, code: &str, message: &str) -> SubResponse {
    let body = match format {
        Format::Json(
            JsonFormat::SalesforceComposite
            | JsonFormat::SalesforceCompositeBatch
            | JsonFormat::SalesforceCompositeGraph,
        ) => serde_json::json!([{"errorCode": code, "message": message}]),
        _ => serde_json::json!({"error": {"code": code, "message": message}}),
    };
    SubResponse::new(status)
        .with_header("Content-Type", "application/json")
        .with_body(body.to_string())
}
