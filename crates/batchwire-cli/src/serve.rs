//! `batchwire serve`: a batch endpoint of every format, in front of an in-memory JSON
//! document store (`--demo`, the mock server a client developer points their code at) or of
//! one service over HTTP (`--upstream`, a gateway that gives `$batch` to a REST service).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::post;
use batchwire::client::{Outcome, correlate};
use batchwire::{Dialect, Format, JsonFormat};
use batchwire_server::axum::{BatchAnswer, IncomingBatch};
use batchwire_server::{ExecuteOptions, Handler, execute};
use bytes::Bytes;
use clap::Args;
use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::gateway::{Forward, OWN_AUTHORITY, Upstream, check, refused};

/// The arguments of `batchwire serve`.
#[derive(Clone, Debug, Args)]
#[command(group(clap::ArgGroup::new("backend").required(true).args(["demo", "upstream"])))]
pub(crate) struct ServeArgs {
    /// Serve an in-memory JSON document store behind a batch endpoint of every format.
    #[arg(long)]
    demo: bool,
    /// Forward each sub-request over HTTP to this service (`http://host:port/path/`), and
    /// nowhere else: a `$batch` gateway for a REST service that has none. Atomic groups are
    /// refused (plain REST cannot roll one back).
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// With --upstream: a further origin (`http://host:port`) that a sub-request may name in
    /// an absolute URL, forwarded there under the same path rules; repeatable. None by
    /// default.
    #[arg(long, value_name = "URL", requires = "upstream")]
    allow_origin: Vec<String>,
    /// With --upstream: a header of the batch request (`Authorization`, a tenant header)
    /// passed on to every sub-request forwarded to the upstream (`NAME`) or to an allowed
    /// origin (`NAME@http://host:port`), in place of the sub-request's own; repeatable. None
    /// by default.
    #[arg(long, value_name = "NAME[@ORIGIN]", requires = "upstream")]
    pass_header: Vec<String>,
    /// The most operations one batch may hold; more is a 413 before anything runs.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_operations: usize,
    /// The most body bytes one batch may hold, references resolved; more is a 413 before
    /// anything runs, or for the operation a reference would take past it.
    #[arg(long, value_name = "N", default_value_t = 16 << 20)]
    max_body_bytes: usize,
    /// How long one batch may run, in milliseconds: operations not started by then answer
    /// 503 with Retry-After.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    deadline_ms: u64,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
}

/// The store: JSON records by path, with a snapshot while a group runs.
#[derive(Debug, Default)]
struct Store {
    records: Mutex<BTreeMap<String, Value>>,
    snapshot: Mutex<Option<BTreeMap<String, Value>>>,
    next: Mutex<u64>,
}

/// The state every route shares: the store, and one batch at a time (a group's rollback
/// restores a snapshot of the whole store).
#[derive(Debug, Default)]
struct Demo {
    store: Store,
    one_batch: tokio::sync::Mutex<()>,
}

fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        "application/json".parse().expect("a header value"),
    );
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    json_response(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

/// `/c(7)/d` is `/c/7/d`: an OData key in any segment is one more segment; no trailing slash.
fn key(path: &str) -> String {
    let mut key = String::with_capacity(path.len());
    for segment in path
        .trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
    {
        key.push('/');
        match segment.strip_suffix(')').and_then(|s| s.split_once('(')) {
            Some((name, id)) => {
                key.push_str(name);
                key.push('/');
                key.push_str(id.trim_matches('\''));
            }
            None => key.push_str(segment),
        }
    }
    key
}

/// The OData V2 service root, where records are answered as V2 JSON (`{"d": ...}`) and
/// `$metadata` describes the one entity set that OData V2 clients (pyodata) need.
const V2_ROOT: &str = "/odata/v2/";

/// The `$metadata` of [`V2_ROOT`]: `People`, records with a string `id` (given by the store),
/// a `name`, and `fail` (a record with `"fail": true` is refused).
const V2_METADATA: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">
  <edmx:DataServices m:DataServiceVersion="2.0">
    <Schema Namespace="Demo" xmlns="http://schemas.microsoft.com/ado/2008/09/edm">
      <EntityType Name="Person">
        <Key><PropertyRef Name="id"/></Key>
        <Property Name="id" Type="Edm.String" Nullable="false"/>
        <Property Name="name" Type="Edm.String"/>
        <Property Name="fail" Type="Edm.Boolean"/>
      </EntityType>
      <EntityContainer Name="Demo" m:IsDefaultEntityContainer="true">
        <EntitySet Name="People" EntityType="Demo.Person"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"#;

impl Store {
    /// Answers one request: under [`V2_ROOT`] in OData V2's JSON, elsewhere in plain JSON.
    fn handle(&self, method: &Method, path: &str, body: &[u8]) -> Response<Bytes> {
        if !path.starts_with(V2_ROOT) {
            return self.records(method, path, body);
        }
        if method == Method::GET && path == "/odata/v2/$metadata" {
            let mut response = Response::new(Bytes::from_static(V2_METADATA.as_bytes()));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/xml"),
            );
            return response;
        }
        let response = self.records(method, path, body);
        if !response.status().is_success() || response.body().is_empty() {
            return response;
        }
        let (parts, body) = response.into_parts();
        let Ok(mut value) = serde_json::from_slice::<Value>(&body) else {
            return Response::from_parts(parts, body);
        };
        // A collection is `{"d": {"results": [...]}}` in V2, a record `{"d": {...}}`.
        let is_collection = value.as_object().is_some_and(|members| {
            members.len() == 1 && members.get("value").is_some_and(Value::is_array)
        });
        let wrapped = if is_collection {
            json!({"d": {"results": value["value"].take()}})
        } else {
            json!({ "d": value })
        };
        Response::from_parts(parts, Bytes::from(wrapped.to_string()))
    }

    /// Answers one request on the records, in plain JSON.
    fn records(&self, method: &Method, path: &str, body: &[u8]) -> Response<Bytes> {
        let key = key(path);
        let parsed: Option<Value> = if body.is_empty() {
            Some(json!({}))
        } else {
            serde_json::from_slice(body).ok()
        };
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *method {
            Method::GET => {
                if let Some(record) = records.get(&key) {
                    return json_response(StatusCode::OK, record);
                }
                let prefix = format!("{key}/");
                let children: Vec<&Value> = records
                    .iter()
                    .filter(|(k, _)| {
                        k.strip_prefix(&prefix)
                            .is_some_and(|rest| !rest.contains('/'))
                    })
                    .map(|(_, v)| v)
                    .collect();
                if children.is_empty() {
                    error(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("nothing at {key}"),
                    )
                } else {
                    json_response(StatusCode::OK, &json!({"value": children}))
                }
            }
            Method::POST => {
                let Some(Value::Object(mut record)) = parsed else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRecord",
                        "expected a JSON object",
                    );
                };
                if record.get("fail") == Some(&Value::Bool(true)) {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRecord",
                        "the record asks to fail",
                    );
                }
                let mut next = self
                    .next
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *next += 1;
                let id = next.to_string();
                record.insert("id".into(), Value::String(id.clone()));
                let location = format!("{key}/{id}");
                let record = Value::Object(record);
                records.insert(location.clone(), record.clone());
                let mut response = json_response(StatusCode::CREATED, &record);
                if let Ok(value) = location.parse() {
                    response.headers_mut().insert(http::header::LOCATION, value);
                }
                response
            }
            Method::PUT | Method::PATCH => {
                let Some(Value::Object(fields)) = parsed else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRecord",
                        "expected a JSON object",
                    );
                };
                let existing = records.get_mut(&key);
                match (existing, method == Method::PATCH) {
                    (Some(Value::Object(record)), true) => {
                        record.extend(fields);
                        json_response(StatusCode::OK, &Value::Object(record.clone()))
                    }
                    (None, true) => error(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("nothing at {key}"),
                    ),
                    (_, false) => {
                        records.insert(key, Value::Object(fields.clone()));
                        json_response(StatusCode::OK, &Value::Object(fields))
                    }
                    (Some(_), true) => error(
                        StatusCode::CONFLICT,
                        "NotAnObject",
                        "the record is not an object",
                    ),
                }
            }
            Method::DELETE => match records.remove(&key) {
                Some(_) => {
                    let mut response = Response::new(Bytes::new());
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    response
                }
                None => error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("nothing at {key}"),
                ),
            },
            _ => error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "GET, POST, PUT, PATCH or DELETE",
            ),
        }
    }
}

impl Handler for Demo {
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send {
        let response = self
            .store
            .handle(request.method(), request.uri().path(), request.body());
        async move { response }
    }

    fn begin(&self) -> impl Future<Output = ()> + Send {
        let records = self
            .store
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        *self
            .store
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(records);
        async {}
    }

    fn commit(&self) -> impl Future<Output = ()> + Send {
        *self
            .store
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        async {}
    }

    fn rollback(&self) -> impl Future<Output = ()> + Send {
        let saved = self
            .store
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(saved) = saved {
            *self
                .store
                .records
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = saved;
        }
        async {}
    }
}

/// The store seen from a batch endpoint: a target with an absolute path is under the
/// endpoint's root (Graph's `/users` is `/v1.0/users`), as those services read it, and a
/// sub-request the gateway would refuse is refused here too.
struct Rooted<'d> {
    demo: &'d Demo,
    root: &'static str,
}

impl Handler for Rooted<'_> {
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send {
        let response = match check(&request, self.root) {
            Ok(relative) => self.demo.store.handle(
                request.method(),
                &format!("{}{relative}", self.root),
                request.body(),
            ),
            Err(why) => refused(StatusCode::BAD_REQUEST, "Refused", why),
        };
        async move { response }
    }

    fn begin(&self) -> impl Future<Output = ()> + Send {
        self.demo.begin()
    }

    fn commit(&self) -> impl Future<Output = ()> + Send {
        self.demo.commit()
    }

    fn rollback(&self) -> impl Future<Output = ()> + Send {
        self.demo.rollback()
    }
}

/// The format a batch endpoint speaks, from what was read (a multipart body takes the
/// endpoint's dialect; a JSON body its JSON format).
#[derive(Clone, Copy, Debug)]
struct Endpoint {
    root: &'static str,
    dialect: Dialect,
    json: Option<JsonFormat>,
}

/// The bounds on one batch, from the command line.
#[derive(Clone, Copy, Debug)]
struct Limits {
    max_operations: usize,
    max_body_bytes: usize,
    deadline: std::time::Duration,
}

/// What the batch endpoints run their operations against.
#[derive(Debug)]
enum Backend {
    Demo(Demo),
    Upstream(Upstream),
}

async fn batch(
    State(backend): State<Arc<Backend>>,
    endpoint: Endpoint,
    limits: Limits,
    outer: http::HeaderMap,
    incoming: IncomingBatch,
) -> AxumResponse {
    let format = match (incoming.format, endpoint.json) {
        (Format::Multipart(_), _) => Format::Multipart(endpoint.dialect),
        (Format::Json(_), Some(json)) => Format::Json(json),
        (json @ Format::Json(_), None) => json,
    };
    let base = format!("http://{OWN_AUTHORITY}{}", endpoint.root);
    let Ok(base) = base.parse() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "bad root").into_response();
    };
    let started = Instant::now();
    let mut options = ExecuteOptions::new(format, base);
    options.max_operations = limits.max_operations;
    options.max_body_bytes = limits.max_body_bytes;
    options.deadline = Some(limits.deadline);
    if let Backend::Upstream(upstream) = backend.as_ref() {
        options.allowed_origins = upstream.allowed().to_vec();
    }
    let answer = match backend.as_ref() {
        Backend::Demo(demo) => {
            let _one = demo.one_batch.lock().await;
            let rooted = Rooted {
                demo,
                root: endpoint.root,
            };
            execute(&rooted, &incoming.batch, &options).await
        }
        Backend::Upstream(upstream) => {
            if incoming
                .batch
                .items
                .iter()
                .any(|i| matches!(i, batchwire::Item::Group(_)))
            {
                return (
                    StatusCode::BAD_REQUEST,
                    "expected no atomic group: a gateway to plain REST cannot roll one back",
                )
                    .into_response();
            }
            let forward = Forward {
                upstream,
                root: endpoint.root,
                outer,
            };
            execute(&forward, &incoming.batch, &options).await
        }
    };
    if let Ok(answer) = &answer {
        let c = correlate(
            &incoming.batch,
            answer,
            format,
            std::time::SystemTime::now(),
        );
        let ok = c
            .outcomes
            .iter()
            .filter(|o| o.outcome == Outcome::Succeeded)
            .count();
        eprintln!(
            "batch {format} at {}: {} operations, {ok} succeeded, {} not ({} ms)",
            endpoint.root,
            c.outcomes.len(),
            c.outcomes.len() - ok,
            started.elapsed().as_millis()
        );
    }
    BatchAnswer::of(answer, format).into_response()
}

/// Any request outside the batch endpoints goes to the store (the gateway serves its batch
/// endpoints only).
async fn rest(State(backend): State<Arc<Backend>>, request: AxumRequest) -> AxumResponse {
    let Backend::Demo(demo) = backend.as_ref() else {
        return (StatusCode::NOT_FOUND, "a batch endpoint only").into_response();
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "a body of at most 16 MiB").into_response();
    };
    let response = demo.store.handle(&parts.method, parts.uri.path(), &body);
    let (parts, body) = response.into_parts();
    AxumResponse::from_parts(parts, axum::body::Body::from(body))
}

fn router(backend: Backend, limits: Limits) -> Router {
    let endpoints: [(&str, Endpoint); 8] = [
        (
            "/odata/$batch",
            Endpoint {
                root: "/odata/",
                dialect: Dialect::OdataV4,
                json: None,
            },
        ),
        (
            "/odata/v2/$batch",
            Endpoint {
                root: "/odata/v2/",
                dialect: Dialect::OdataV2,
                json: None,
            },
        ),
        (
            "/v1.0/$batch",
            Endpoint {
                root: "/v1.0/",
                dialect: Dialect::Generic,
                json: Some(JsonFormat::MsGraph),
            },
        ),
        (
            "/batch",
            Endpoint {
                root: "/",
                dialect: Dialect::Google,
                json: None,
            },
        ),
        (
            "/services/data/v60.0/composite",
            Endpoint {
                root: "/",
                dialect: Dialect::Generic,
                json: Some(JsonFormat::SalesforceComposite),
            },
        ),
        (
            "/services/data/v60.0/composite/batch",
            Endpoint {
                root: "/",
                dialect: Dialect::Generic,
                json: Some(JsonFormat::SalesforceCompositeBatch),
            },
        ),
        (
            "/api/1.0/batch",
            Endpoint {
                root: "/api/1.0/",
                dialect: Dialect::Generic,
                json: Some(JsonFormat::Asana),
            },
        ),
        (
            "/",
            Endpoint {
                root: "/",
                dialect: Dialect::Generic,
                json: Some(JsonFormat::MetaGraph),
            },
        ),
    ];
    let mut router = Router::new();
    for (path, endpoint) in endpoints {
        router = router.route(
            path,
            post(
                move |state: State<Arc<Backend>>,
                      outer: http::HeaderMap,
                      incoming: IncomingBatch| {
                    batch(state, endpoint, limits, outer, incoming)
                },
            ),
        );
    }
    router.fallback(rest).with_state(Arc::new(backend))
}

/// Serves until stopped.
pub(crate) fn run(args: &ServeArgs) -> Result<ExitCode, String> {
    let backend = match &args.upstream {
        Some(url) => Backend::Upstream(Upstream::new(url, &args.allow_origin, &args.pass_header)?),
        None => Backend::Demo(Demo::default()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on http://{address}");
        let limits = Limits {
            max_operations: args.max_operations,
            max_body_bytes: args.max_body_bytes,
            deadline: std::time::Duration::from_millis(args.deadline_ms),
        };
        axum::serve(listener, router(backend, limits))
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_keys_are_paths() {
        assert_eq!(key("/odata/Customers(7)"), "/odata/Customers/7");
        assert_eq!(key("/odata/Customers('a')"), "/odata/Customers/a");
        assert_eq!(key("/v1.0/users/"), "/v1.0/users");
        assert_eq!(
            key("/odata/Customers(2)/Orders"),
            "/odata/Customers/2/Orders"
        );
    }

    #[test]
    fn the_store_creates_reads_and_refuses() {
        let store = Store::default();
        let created = store.handle(&Method::POST, "/v1.0/users", br#"{"name":"Ada"}"#);
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.headers()["location"], "/v1.0/users/1");
        assert_eq!(
            store.handle(&Method::GET, "/v1.0/users(1)", b"").status(),
            StatusCode::OK
        );
        let list: Value =
            serde_json::from_slice(store.handle(&Method::GET, "/v1.0/users", b"").body()).unwrap();
        assert_eq!(list["value"][0]["name"], "Ada");
        assert_eq!(
            store
                .handle(&Method::POST, "/v1.0/users", br#"{"fail":true}"#)
                .status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            store.handle(&Method::GET, "/v1.0/users/9", b"").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            store.handle(&Method::DELETE, "/v1.0/users/1", b"").status(),
            StatusCode::NO_CONTENT
        );
    }
}
