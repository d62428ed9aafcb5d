//! The executor against a store with transactions, per format: references, groups committed
//! or rolled back, continue-on-error, 424, halting, concurrency equal to one by one.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use batchwire_core::{
    BatchMessage, BatchRequest, BatchResponse, DecodeOptions, Dialect, Format, JsonFormat,
    MessageKind,
};
use batchwire_server::{ExecuteOptions, Handler, execute};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// Runs a future whose handler answers at once.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

/// A store of JSON records in collections, with transactions: `POST /svc/C` creates a
/// record (refused with 400 when it has `"bad": true`), `GET /svc/C(n)` reads one.
#[derive(Default)]
struct Store {
    records: Mutex<BTreeMap<String, Value>>,
    saved: Mutex<Option<BTreeMap<String, Value>>>,
    next: Mutex<u32>,
}

impl Store {
    fn answer(status: StatusCode, body: &Value, location: Option<String>) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from(body.to_string()));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        if let Some(location) = location {
            response
                .headers_mut()
                .insert("location", location.parse().unwrap());
        }
        response
    }

    fn keys(&self) -> Vec<String> {
        self.records.lock().unwrap().keys().cloned().collect()
    }
}

impl Handler for Store {
    fn call(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send {
        let path = request.uri().path().trim_start_matches("/svc/").to_owned();
        let answer = if request.method() == Method::POST {
            let mut record: Value = serde_json::from_slice(request.body()).unwrap_or(json!({}));
            if record["bad"] == true {
                Store::answer(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": {"code": "INVALID", "message": "bad record"}}),
                    None,
                )
            } else {
                let mut next = self.next.lock().unwrap();
                *next += 1;
                let key = format!("{path}({next})");
                record["id"] = json!(next.to_string());
                self.records
                    .lock()
                    .unwrap()
                    .insert(key.clone(), record.clone());
                Store::answer(StatusCode::CREATED, &record, Some(format!("/svc/{key}")))
            }
        } else {
            match self.records.lock().unwrap().get(&path) {
                Some(record) => Store::answer(StatusCode::OK, record, None),
                None => Store::answer(
                    StatusCode::NOT_FOUND,
                    &json!({"error": {"code": "404", "message": "Not Found"}}),
                    None,
                ),
            }
        };
        async move { answer }
    }

    fn begin(&self) -> impl Future<Output = ()> + Send {
        *self.saved.lock().unwrap() = Some(self.records.lock().unwrap().clone());
        async {}
    }

    fn commit(&self) -> impl Future<Output = ()> + Send {
        *self.saved.lock().unwrap() = None;
        async {}
    }

    fn rollback(&self) -> impl Future<Output = ()> + Send {
        if let Some(saved) = self.saved.lock().unwrap().take() {
            *self.records.lock().unwrap() = saved;
        }
        async {}
    }
}

fn run(store: &Store, format: Format, batch: &BatchRequest) -> BatchResponse {
    let options = ExecuteOptions::new(format, "http://host/svc/".parse().unwrap());
    block_on(execute(store, batch, &options)).unwrap()
}

fn multipart(text: &str) -> BatchRequest {
    let body = Bytes::from(text.replace('\n', "\r\n"));
    let options = DecodeOptions::strict()
        .with_kind(MessageKind::Request)
        .with_dialect(Dialect::OdataV4);
    match batchwire_multipart::decode(&body, None, &options)
        .unwrap()
        .message
    {
        BatchMessage::Request(batch) => batch,
        BatchMessage::Response(_) => unreachable!("the kind was required"),
    }
}

fn json_batch(format: JsonFormat, text: &str) -> BatchRequest {
    let options = DecodeOptions::strict().with_kind(MessageKind::Request);
    match batchwire_json::decode(&Bytes::copy_from_slice(text.as_bytes()), format, &options)
        .unwrap()
        .message
    {
        BatchMessage::Request(batch) => batch,
        BatchMessage::Response(_) => unreachable!("the kind was required"),
    }
}

/// `1 201`, `2.1 201`: each answer's position and status.
fn statuses(answer: &BatchResponse) -> Vec<String> {
    batchwire_core::Position::of_operations(answer)
        .zip(answer.operations())
        .map(|(p, r)| format!("{p} {}", r.status.as_u16()))
        .collect()
}

const CHANGESET: &str = "--b
Content-Type: multipart/mixed; boundary=c

--c
Content-Type: application/http
Content-ID: 1

POST Customers HTTP/1.1
Content-Type: application/json

{\"name\":\"Ada\"}
--c
Content-Type: application/http
Content-ID: 2

POST $1/Orders HTTP/1.1
Content-Type: application/json

{BODY}
--c--
--b
Content-Type: application/http

GET Customers(1) HTTP/1.1


--b--
";

#[test]
fn an_odata_changeset_commits_with_its_reference_resolved() {
    let store = Store::default();
    let batch = multipart(&CHANGESET.replace("{BODY}", "{\"n\":1}"));
    let answer = run(&store, Format::Multipart(Dialect::OdataV4), &batch);
    assert_eq!(statuses(&answer), ["1.1 201", "1.2 201", "2 200"]);
    // `$1/Orders` was handed over as the first answer's Location.
    assert_eq!(store.keys(), ["Customers(1)", "Customers(1)/Orders(2)"]);
    let ids: Vec<Option<&str>> = answer.operations().map(|r| r.id.as_deref()).collect();
    assert_eq!(ids, [Some("1"), Some("2"), None]);
}

#[test]
fn a_failed_changeset_rolls_back_and_stops_the_batch_unless_asked_to_go_on() {
    let store = Store::default();
    let mut batch = multipart(&CHANGESET.replace("{BODY}", "{\"bad\":true}"));
    let answer = run(&store, Format::Multipart(Dialect::OdataV4), &batch);
    // One error part where the changeset was, then nothing: OData stops.
    assert_eq!(statuses(&answer), ["1 400"]);
    assert_eq!(answer.operations().next().unwrap().id.as_deref(), Some("2"));
    assert!(store.keys().is_empty(), "the changeset was rolled back");
    batch.options.continue_on_error = Some(true);
    let answer = run(&store, Format::Multipart(Dialect::OdataV4), &batch);
    assert_eq!(statuses(&answer), ["1 400", "2 404"]);
}

#[test]
fn odata_json_groups_and_424() {
    let store = Store::default();
    let batch = json_batch(
        JsonFormat::OdataJson,
        r#"{"requests":[
            {"id":"c1","atomicityGroup":"g1","method":"post","url":"Customers","body":{"name":"A"}},
            {"id":"c2","atomicityGroup":"g1","method":"post","url":"Customers","body":{"bad":true}},
            {"id":"c3","atomicityGroup":"g1","method":"post","url":"Customers","body":{"name":"C"}},
            {"id":"r1","method":"get","url":"Customers(1)","dependsOn":["g1"]},
            {"id":"r2","method":"get","url":"Customers(9)"}]}"#,
    );
    let mut batch = batch;
    batch.options.continue_on_error = Some(true);
    let answer = run(&store, Format::Json(JsonFormat::OdataJson), &batch);
    // Every member answered: the first ran and was undone, the third never ran (424); the
    // request that depends on the group gets 424; the last one runs.
    assert_eq!(
        statuses(&answer),
        ["1.1 201", "1.2 400", "1.3 424", "2 424", "3 404"]
    );
    assert!(store.keys().is_empty());
    // The answers pair with the requests, and the client sees the group rolled back.
    let c = statuses_by_id(&batch, &answer);
    assert_eq!(c, ["c1 201", "c2 400", "c3 424", "r1 424", "r2 404"]);
}

/// The answers by id, to check they name their requests.
fn statuses_by_id(batch: &BatchRequest, answer: &BatchResponse) -> Vec<String> {
    batch
        .operations()
        .map(|op| {
            let id = op.id.as_deref().unwrap();
            let r = answer
                .operations()
                .find(|r| r.id.as_deref() == Some(id))
                .unwrap();
            format!("{id} {}", r.status.as_u16())
        })
        .collect()
}

#[test]
fn salesforce_references_and_all_or_none() {
    let store = Store::default();
    let composite = r#"{"allOrNone":ALL,"compositeRequest":[
        {"method":"POST","url":"/svc/Accounts","referenceId":"acc","body":{"name":"A"}},
        {"method":"POST","url":"/svc/Contacts","referenceId":"con","body":{"account":"@{acc.id}","bad":BAD}}]}"#;
    let batch = json_batch(
        JsonFormat::SalesforceComposite,
        &composite.replace("ALL", "false").replace("BAD", "false"),
    );
    let answer = run(
        &store,
        Format::Json(JsonFormat::SalesforceComposite),
        &batch,
    );
    assert_eq!(statuses(&answer), ["1 201", "2 201"]);
    let contact: Value = serde_json::from_slice(&answer.operations().nth(1).unwrap().body).unwrap();
    assert_eq!(
        contact["account"], "1",
        "@{{acc.id}} resolved from the first answer"
    );

    let store = Store::default();
    let batch = json_batch(
        JsonFormat::SalesforceComposite,
        &composite.replace("ALL", "true").replace("BAD", "true"),
    );
    let answer = run(
        &store,
        Format::Json(JsonFormat::SalesforceComposite),
        &batch,
    );
    assert_eq!(statuses(&answer), ["1.1 400", "1.2 400"]);
    let first = String::from_utf8_lossy(&answer.operations().next().unwrap().body).into_owned();
    assert!(
        first.contains("ALL_OR_NONE_OPERATION_ROLLED_BACK"),
        "{first}"
    );
    assert!(store.keys().is_empty());
}

#[test]
fn composite_batch_halts_and_meta_references_resolve() {
    let store = Store::default();
    let batch = json_batch(
        JsonFormat::SalesforceCompositeBatch,
        r#"{"haltOnError":true,"batchRequests":[
            {"method":"GET","url":"/svc/Accounts(5)"},
            {"method":"GET","url":"/svc/Accounts(6)"}]}"#,
    );
    let answer = run(
        &store,
        Format::Json(JsonFormat::SalesforceCompositeBatch),
        &batch,
    );
    assert_eq!(statuses(&answer), ["1 404", "2 412"]);
    assert_eq!(answer.options.has_errors, Some(true));

    let batch = json_batch(
        JsonFormat::MetaGraph,
        r#"[{"method":"POST","relative_url":"Pages","name":"p","body":"{\"t\":1}"},
            {"method":"GET","relative_url":"Pages({result=p:$.id})"}]"#,
    );
    let answer = run(&store, Format::Json(JsonFormat::MetaGraph), &batch);
    assert_eq!(statuses(&answer), ["1 201", "2 200"]);
}

#[test]
fn concurrent_runs_answer_as_one_by_one() {
    let mut requests = Vec::new();
    for n in 0..12 {
        let target = if n % 3 == 0 {
            "Customers(1)".to_owned()
        } else {
            format!("Customers({n})")
        };
        requests.push(json!({"id": format!("r{n}"), "method": "get", "url": target}));
    }
    let text = json!({"requests": requests}).to_string();
    let batch = json_batch(JsonFormat::MsGraph, &text);
    let format = Format::Json(JsonFormat::MsGraph);
    let base: http::Uri = "http://host/svc/".parse().unwrap();
    let store = Store::default();
    block_on(
        store.call(
            Request::post("/svc/Customers")
                .body(Bytes::from("{}"))
                .unwrap(),
        ),
    );
    let one = block_on(execute(
        &store,
        &batch,
        &ExecuteOptions::new(format, base.clone()).with_concurrency(1),
    ))
    .unwrap();
    let many = block_on(execute(
        &store,
        &batch,
        &ExecuteOptions::new(format, base).with_concurrency(8),
    ))
    .unwrap();
    assert_eq!(one, many);
    assert_eq!(statuses(&one)[0], "1 200");
}

#[test]
fn limits_refuse_the_batch_before_anything_runs() {
    let store = Store::default();
    let batch = json_batch(
        JsonFormat::OdataJson,
        r#"{"requests":[{"id":"1","method":"post","url":"A","body":{}},{"id":"2","method":"post","url":"B","body":{}}]}"#,
    );
    let mut options = ExecuteOptions::new(
        Format::Json(JsonFormat::OdataJson),
        "http://host/svc/".parse().unwrap(),
    );
    options.max_operations = 1;
    let err = block_on(execute(&store, &batch, &options)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "413 expected at most 1 operations in a batch, found 2"
    );
    assert!(store.keys().is_empty());
}

#[test]
fn what_references_bring_in_counts_and_the_deadline_stops_what_has_not_started() {
    // `@{big.blob}` brings the first answer's 600 bytes into the second body: past 1000.
    let store = Store::default();
    let blob = "x".repeat(600);
    let batch = json_batch(
        JsonFormat::SalesforceComposite,
        &format!(
            r#"{{"compositeRequest":[
                {{"method":"POST","url":"/svc/Blobs","referenceId":"big","body":{{"blob":"{blob}"}}}},
                {{"method":"POST","url":"/svc/Copies","referenceId":"copy","body":{{"a":"@{{big.blob}}","b":"@{{big.blob}}"}}}}]}}"#
        ),
    );
    let mut options = ExecuteOptions::new(
        Format::Json(JsonFormat::SalesforceComposite),
        "http://host/svc/".parse().unwrap(),
    );
    options.max_body_bytes = 1000;
    let answer = block_on(execute(&store, &batch, &options)).unwrap();
    assert_eq!(statuses(&answer), ["1 201", "2 413"]);
    assert_eq!(store.keys(), ["Blobs(1)"]);

    // A deadline already past: nothing starts, every operation says when to come back.
    options.max_body_bytes = 1 << 20;
    options.deadline = Some(std::time::Duration::ZERO);
    let answer = block_on(execute(&Store::default(), &batch, &options)).unwrap();
    assert_eq!(statuses(&answer), ["1 503", "2 503"]);
    assert!(
        answer
            .operations()
            .all(|r| r.headers.get_str("retry-after") == Some("1"))
    );
}

#[test]
fn targets_that_leave_the_service_are_refused_and_not_run() {
    let store = Store::default();
    let batch = json_batch(
        JsonFormat::MsGraph,
        r#"{"requests":[
            {"id":"1","method":"post","url":"http://elsewhere.test/svc/A","headers":{"content-type":"application/json"},"body":{}},
            {"id":"2","method":"post","url":"/svc/../admin/A","headers":{"content-type":"application/json"},"body":{}},
            {"id":"3","method":"post","url":"%2e%2e/A","headers":{"content-type":"application/json"},"body":{}},
            {"id":"4","method":"post","url":"$batch","headers":{"content-type":"application/json"},"body":{}},
            {"id":"5","method":"post","url":"A","headers":{"Transfer-Encoding":"chunked","content-type":"application/json"},"body":{}},
            {"id":"6","method":"post","url":"http://allowed.test/B","headers":{"content-type":"application/json"},"body":{}},
            {"id":"7","method":"post","url":"A","headers":{"content-type":"application/json"},"body":{}}
        ]}"#,
    );
    let mut options = ExecuteOptions::new(
        Format::Json(JsonFormat::MsGraph),
        "http://host/svc/".parse().unwrap(),
    );
    options.allowed_origins = vec!["http://allowed.test".into()];
    let answer = block_on(execute(&store, &batch, &options)).unwrap();
    let statuses: Vec<(String, u16)> = answer
        .operations()
        .map(|r| (r.id.clone().unwrap_or_default(), r.status.as_u16()))
        .collect();
    let refused: Vec<&str> = statuses
        .iter()
        .filter(|(_, s)| *s == 400)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(refused, ["1", "2", "3", "4", "5"], "{statuses:?}");
    // Only the allowed origin's request and the plain one reached the store.
    assert_eq!(store.keys().len(), 2, "{:?}", store.keys());
}
