//! Interop with a real OData server: SAP CAP on 127.0.0.1, serving OData V4 and, through
//! `@cap-js-community/odata-v2-adapter`, OData V2 (the project in `interop/`).
//!
//! Every batch is built with the model, written by batchwire, sent over HTTP, and its answer
//! read back by batchwire's decoders in strict mode; plain reads afterwards check what the
//! server stored. Each request is then converted to the other format (multipart and OData
//! JSON), once by the library and once by `batchwire convert`, and sent again with fresh keys,
//! for the same outcome.
//!
//! The server needs node >= 20 and npm with the npm registry, so the test runs only when
//! `BATCHWIRE_INTEROP=1`; otherwise it prints a notice and passes. It lives in the command's
//! package because only there can a test run the `batchwire` binary.

mod support;

use std::cell::Cell;
use std::fmt;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};
use support::{Server, say};

use batchwire::client::{Outcome as ClientOutcome, correlate};
use batchwire::json::{self, JsonFormat};
use batchwire::multipart::{self, DecodeOptions, Dialect, WriteOptions};
use batchwire::{
    AtomicGroup, BatchMessage, BatchRequest, BatchResponse, Format, MessageKind, SubRequest,
    SubResponse, WriteReport,
};
use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

/// The OData V4 service root.
const V4: &str = "/odata/v4/interop/";
/// The OData V2 service root (the adapter in front of V4).
const V2: &str = "/odata/v2/interop/";

#[test]
fn cap_reads_what_batchwire_writes_and_batchwire_reads_its_answers() {
    if !support::enabled("the batches against SAP CAP") {
        return;
    }
    let dir = support::interop_dir();
    let server = Server::start(
        "CAP",
        &dir,
        &[
            "node_modules/@sap/cds/bin/serve.js",
            "--in-memory",
            "--port",
            "{port}",
        ],
        |port| {
            let cap = Cap::new(port);
            cap.answers(V4) && cap.answers(V2)
        },
    );
    let cap = Cap::new(server.port);

    let cases: [Case; 7] = [
        (
            "v4 multipart: GETs and a changeset with $1",
            v4_multipart_changeset,
        ),
        (
            "v4 JSON: atomicityGroup and dependsOn",
            v4_json_atomicity_group,
        ),
        ("v2 multipart through the adapter", v2_multipart_changeset),
        (
            "failed changeset is rolled back",
            failed_changeset_rolls_back,
        ),
        ("Prefer: odata.continue-on-error", continue_on_error),
        (
            "a failure stops a V4 multipart batch",
            failure_stops_multipart,
        ),
        (
            "batchwire serve --upstream in front of CAP, driven by Graph's JS SDK too",
            gateway_in_front_of_cap,
        ),
    ];
    let failed = support::run_cases(&cases, &cap);
    let log = server.log.clone();
    drop(server);
    assert!(
        failed.is_empty(),
        "interop cases failed: {failed:?}; the server's log is {}",
        log.display()
    );
}

/// A case: its name, and the function that runs it against the server.
type Case = support::Case<Cap>;

// ------------------------------------------------------------------------------------------
// The cases. Each runs its scenario three times with fresh keys: as written, converted by the
// library, converted by the command.

/// V4 multipart: two GETs, a changeset that creates a customer (Content-ID 1) and an order
/// through `$1/orders` (Content-ID 2), and a GET of the new customer with its orders.
fn v4_multipart_changeset(cap: &Cap) {
    struct Keys {
        customer: u32,
        order: u32,
    }
    let batch = |k: &Keys| {
        let mut batch = BatchRequest::new();
        batch.push(get("Customers?$select=ID,name&$orderby=ID&$top=2"));
        batch.push(get("Customers(1)"));
        batch.push_group(AtomicGroup::new(vec![
            post(
                "Customers",
                &json!({"ID": k.customer, "name": "Frances Allen", "email": "frances@example.net"}),
            )
            .with_id("1"),
            post("$1/orders", &json!({"ID": k.order, "amount": 19.5})).with_id("2"),
        ]));
        batch.push(get(&format!("Customers({})?$expand=orders", k.customer)));
        batch
    };
    let expected = [
        "1 succeeded",
        "2 succeeded",
        "3.1 succeeded",
        "3.2 succeeded",
        "4 succeeded",
    ];
    for route in Route::ALL {
        let k = Keys {
            customer: cap.key(),
            order: cap.key(),
        };
        let payload = route.apply(
            multipart_payload(&batch(&k), Dialect::OdataV4),
            Target::Json,
        );
        assert_eq!(cap.exchange(&payload), expected, "{route}");
        assert_customer_with_orders(cap, k.customer, &[k.order]);
    }
}

/// V4 JSON: a GET, an atomicity group that creates a customer (`c1`) and an order through
/// `$c1/orders` (`c2`, which `dependsOn` `c1`), and a GET that `dependsOn` the group.
fn v4_json_atomicity_group(cap: &Cap) {
    struct Keys {
        customer: u32,
        order: u32,
    }
    let batch = |k: &Keys| {
        let mut batch = BatchRequest::new();
        batch.push(get("Customers(2)").with_id("r1"));
        batch.push_group(
            AtomicGroup::new(vec![
                post(
                    "Customers",
                    &json!({"ID": k.customer, "name": "John Backus", "email": "john@example.net"}),
                )
                .with_id("c1"),
                post("$c1/orders", &json!({"ID": k.order, "amount": 7}))
                    .with_id("c2")
                    .with_dependency("c1"),
            ])
            .with_id("g1"),
        );
        batch.push(
            get(&format!("Customers({})?$expand=orders", k.customer))
                .with_id("r2")
                .with_dependency("g1"),
        );
        batch
    };
    let expected = [
        "1 succeeded",
        "2.1 succeeded",
        "2.2 succeeded",
        "3 succeeded",
    ];
    for route in Route::ALL {
        let k = Keys {
            customer: cap.key(),
            order: cap.key(),
        };
        let payload = route.apply(
            json_payload(&batch(&k)),
            Target::Multipart(Dialect::OdataV4),
        );
        assert_eq!(cap.exchange(&payload), expected, "{route}");
        assert_customer_with_orders(cap, k.customer, &[k.order]);
    }
}

/// V2 multipart through the adapter: a GET, a changeset with `$1/orders`, a GET with
/// `$expand`. OData JSON batches are V4 only, so the converted request goes to the V4 service,
/// V2 bodies and all (V2 writes decimals as strings, which V4 reads too).
fn v2_multipart_changeset(cap: &Cap) {
    struct Keys {
        customer: u32,
        order: u32,
    }
    let batch = |k: &Keys| {
        let mut batch = BatchRequest::new();
        batch.push(get("Customers?$orderby=ID&$top=2"));
        batch.push_group(AtomicGroup::new(vec![
            post(
                "Customers",
                &json!({"ID": k.customer, "name": "Kristen Nygaard", "email": "kristen@example.net"}),
            )
            .with_id("1"),
            post("$1/orders", &json!({"ID": k.order, "amount": "17.50"})).with_id("2"),
        ]));
        batch.push(get(&format!("Customers({})?$expand=orders", k.customer)));
        batch
    };
    let expected = [
        "1 succeeded",
        "2.1 succeeded",
        "2.2 succeeded",
        "3 succeeded",
    ];
    for route in Route::ALL {
        let k = Keys {
            customer: cap.key(),
            order: cap.key(),
        };
        let payload = route.apply(
            multipart_payload(&batch(&k), Dialect::OdataV2),
            Target::Json,
        );
        assert_eq!(cap.exchange(&payload), expected, "{route}");
        assert_customer_with_orders(cap, k.customer, &[k.order]);
    }
}

/// A changeset whose third member fails (`@assert.format` on the email): the customer created
/// by the first and the rename by the second are rolled back, which reads afterwards show.
fn failed_changeset_rolls_back(cap: &Cap) {
    struct Keys {
        created: u32,
        renamed: u32,
        invalid: u32,
    }
    let batch = |k: &Keys| {
        let mut batch = BatchRequest::new();
        batch.push_group(AtomicGroup::new(vec![
            post(
                "Customers",
                &json!({"ID": k.created, "name": "Tony Hoare", "email": "tony@example.net"}),
            )
            .with_id("1"),
            SubRequest::new(Method::PATCH, format!("Customers({})", k.renamed))
                .with_id("2")
                .with_header("Content-Type", "application/json")
                .with_body(json!({"name": "Renamed"}).to_string()),
            post(
                "Customers",
                &json!({"ID": k.invalid, "name": "Nobody", "email": "not-an-address"}),
            )
            .with_id("3"),
        ]));
        batch.push(get(&format!("Customers({})", k.renamed)));
        batch
    };
    for route in Route::ALL {
        let k = Keys {
            created: cap.key(),
            renamed: cap.key(),
            invalid: cap.key(),
        };
        cap.create_customer(k.renamed, "Niklaus Wirth");
        let original = multipart_payload(&batch(&k), Dialect::OdataV4);
        let payload = route.apply(original, Target::Json);
        // Without continue-on-error CAP stops a multipart batch at the failed changeset and
        // leaves the GET after it unanswered; JSON batches go on by default (the corpus notes,
        // "Atomicity-group failure"). The changeset's outcome is the same in both.
        // The members before the one at fault answered (JSON) or not (multipart): either
        // way they were undone.
        let after = if payload.is_json() {
            "2 succeeded"
        } else {
            "2 not-executed (cause 1.3)"
        };
        let expected = [
            "1.1 rolled-back (cause 1.3)",
            "1.2 rolled-back (cause 1.3)",
            "1.3 failed ASSERT_FORMAT",
            after,
        ];
        assert_eq!(cap.exchange(&payload), expected, "{route}");
        assert_eq!(cap.get(V4, &format!("Customers({})", k.created)).0, 404);
        assert_eq!(cap.get(V4, &format!("Customers({})", k.invalid)).0, 404);
        let (status, renamed) = cap.get(V4, &format!("Customers({})", k.renamed));
        assert_eq!(status, 200);
        assert_eq!(
            renamed["name"], "Niklaus Wirth",
            "the PATCH was not rolled back"
        );
    }
}

/// `Prefer: odata.continue-on-error`: a GET that fails, a changeset that fails
/// (`@assert.target`: an order for a customer that does not exist), a GET that shows the
/// rollback, and a GET that succeeds. Every request is answered.
fn continue_on_error(cap: &Cap) {
    struct Keys {
        missing: u32,
        created: u32,
        order: u32,
    }
    let batch = |k: &Keys| {
        let mut batch = BatchRequest::new();
        batch.options.continue_on_error = Some(true);
        batch.push(get(&format!("Customers({})", k.missing)));
        batch.push_group(AtomicGroup::new(vec![
            post(
                "Customers",
                &json!({"ID": k.created, "name": "Ole-Johan Dahl", "email": "ole@example.net"}),
            )
            .with_id("1"),
            post(
                "Orders",
                &json!({"ID": k.order, "customer_ID": k.missing, "amount": 1}),
            )
            .with_id("2"),
        ]));
        batch.push(get(&format!("Customers({})", k.created)));
        batch.push(get("Customers(3)"));
        batch
    };
    let expected = [
        "1 failed 404",
        "2.1 rolled-back (cause 2.2)",
        "2.2 failed ASSERT_TARGET",
        "3 failed 404",
        "4 succeeded",
    ];
    for route in Route::ALL {
        let k = Keys {
            missing: cap.key(),
            created: cap.key(),
            order: cap.key(),
        };
        let payload = route.apply(
            multipart_payload(&batch(&k), Dialect::OdataV4),
            Target::Json,
        );
        assert_eq!(
            payload.header("prefer"),
            Some("odata.continue-on-error"),
            "{route}"
        );
        assert_eq!(cap.exchange(&payload), expected, "{route}");
        assert_eq!(cap.get(V4, &format!("Customers({})", k.created)).0, 404);
        assert_eq!(cap.get(V4, &format!("Orders({})", k.order)).0, 404);
    }
}

/// Without continue-on-error, a V4 multipart batch stops at its first failure: the requests
/// after it are not executed. A JSON batch goes on.
fn failure_stops_multipart(cap: &Cap) {
    let missing = cap.key();
    let mut batch = BatchRequest::new();
    batch.push(get("Customers(1)"));
    batch.push(get(&format!("Customers({missing})")));
    batch.push(get("Customers(2)"));
    batch.push(get("Customers(3)"));
    for route in Route::ALL {
        let payload = route.apply(multipart_payload(&batch, Dialect::OdataV4), Target::Json);
        let expected: &[&str] = if payload.is_json() {
            &["1 succeeded", "2 failed 404", "3 succeeded", "4 succeeded"]
        } else {
            &[
                "1 succeeded",
                "2 failed 404",
                "3 not-executed (cause 2)",
                "4 not-executed (cause 2)",
            ]
        };
        assert_eq!(cap.exchange(&payload), expected, "{route}");
    }
}

/// `batchwire serve --upstream` gives CAP's V4 service a Microsoft Graph `$batch`: each
/// sub-request forwarded to CAP under its service root, and what would leave it refused.
fn gateway_in_front_of_cap(cap: &Cap) {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};

    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchwire"))
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("{}{V4}", cap.origin))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the gateway starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("its output"))
        .read_line(&mut line)
        .expect("its address");
    let _stop = Stop(child);
    let gateway = line
        .trim()
        .strip_prefix("listening on ")
        .expect("an address")
        .to_owned();
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/Customers(1)"},
        {"id": "2", "method": "GET", "url": "/Customers?$top=1&$select=ID"},
        {"id": "3", "method": "GET", "url": "http://127.0.0.1:1/elsewhere"},
        {"id": "4", "method": "GET", "url": "/../../admin"},
        {"id": "5", "method": "GET", "url": "/%2e%2e/admin"},
        {"id": "6", "method": "POST", "url": "/$batch", "headers": {"Content-Type": "application/json"}, "body": {"requests": []}},
    ]});
    let mut response = cap
        .agent
        .post(format!("{gateway}/v1.0/$batch"))
        .header("Content-Type", "application/json")
        .send(batch.to_string())
        .expect("the gateway answers");
    assert_eq!(response.status(), 200);
    let answer: Value =
        serde_json::from_str(&response.body_mut().read_to_string().expect("a body")).expect("JSON");
    let statuses: Vec<(String, u64)> = answer["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_owned(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let by_id = |id: &str| statuses.iter().find(|(i, _)| i == id).map(|(_, s)| *s);
    // Forwarded to CAP and answered by it.
    assert_eq!(by_id("1"), Some(200), "{answer}");
    assert_eq!(by_id("2"), Some(200), "{answer}");
    let first = &answer["responses"].as_array().expect("responses")[0];
    assert_eq!(first["body"]["ID"], 1, "{answer}");
    // Another origin, a way out of the service root, a batch inside the batch: refused here.
    for id in ["3", "4", "5", "6"] {
        assert_eq!(by_id(id), Some(400), "request {id}: {answer}");
    }

    // Microsoft's Graph JavaScript SDK builds a batch for the gateway and reads its answer;
    // the script checks the statuses and bodies and exits with 1 where they differ.
    let port = gateway.rsplit(':').next().expect("a port");
    let run = Command::new("node")
        .args(["graph-client.mjs", port, "gateway"])
        .current_dir(support::interop_dir())
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "graph-client.mjs gateway: {}\n--- stdout\n{}--- stderr\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

fn get(target: &str) -> SubRequest {
    SubRequest::new(Method::GET, target).with_header("Accept", "application/json")
}

fn post(target: &str, body: &Value) -> SubRequest {
    SubRequest::new(Method::POST, target)
        .with_header("Content-Type", "application/json")
        .with_header("Accept", "application/json")
        .with_body(body.to_string())
}

/// The customer exists, and has exactly these orders.
fn assert_customer_with_orders(cap: &Cap, customer: u32, orders: &[u32]) {
    let (status, body) = cap.get(V4, &format!("Customers({customer})?$expand=orders"));
    assert_eq!(status, 200, "customer {customer}: {body}");
    let found: Vec<u64> = body["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("customer {customer} without orders: {body}"))
        .iter()
        .map(|order| order["ID"].as_u64().unwrap())
        .collect();
    let orders: Vec<u64> = orders.iter().copied().map(u64::from).collect();
    assert_eq!(found, orders, "orders of customer {customer}");
}

// ------------------------------------------------------------------------------------------
// Payloads and conversions.

/// A batch request as it goes on the wire: the envelope headers and the body.
#[derive(Clone, Debug)]
struct Payload {
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Payload {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_type(&self) -> &str {
        self.header("content-type").expect("a Content-Type")
    }

    fn is_json(&self) -> bool {
        self.content_type().starts_with("application/json")
    }

    /// The multipart dialect its version header names.
    fn dialect(&self) -> Dialect {
        if self.header("dataserviceversion").is_some() {
            Dialect::OdataV2
        } else {
            Dialect::OdataV4
        }
    }

    /// The service that takes it: JSON batches exist in V4 only.
    fn service(&self) -> &'static str {
        match self.dialect() {
            Dialect::OdataV2 if !self.is_json() => V2,
            _ => V4,
        }
    }

    /// Reads the batch back, strictly, with the envelope's options.
    fn read(&self) -> BatchRequest {
        let mut batch = if self.is_json() {
            let options = DecodeOptions::strict().with_kind(MessageKind::Request);
            let decoded = json::decode(&self.body, JsonFormat::OdataJson, &options)
                .unwrap_or_else(|e| panic!("our JSON batch does not read back: {e}"));
            let BatchMessage::Request(batch) = decoded.message else {
                unreachable!("the kind was required")
            };
            batch
        } else {
            let options = DecodeOptions::strict().with_dialect(self.dialect());
            let content_type = self.content_type().as_bytes();
            multipart::decode_request(&self.body, Some(content_type), &options)
                .unwrap_or_else(|e| panic!("our multipart batch does not read back: {e}"))
                .0
        };
        // The preference is a header of the envelope, not part of either document.
        if self.header("prefer") == Some("odata.continue-on-error") {
            batch.options.continue_on_error = Some(true);
        }
        batch
    }
}

/// Writes a batch as `multipart/mixed`.
fn multipart_payload(batch: &BatchRequest, dialect: Dialect) -> Payload {
    let request = multipart::write_request(batch, &WriteOptions::new(dialect))
        .unwrap_or_else(|e| panic!("the multipart writer refused the batch: {e}"));
    if let Some(report) = request.extensions().get::<WriteReport>() {
        note("multipart writer", report.iter());
    }
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    Payload {
        headers,
        body: request.into_body(),
    }
}

/// Writes a batch as an OData JSON batch.
fn json_payload(batch: &BatchRequest) -> Payload {
    let written = batchwire::encode(
        batch,
        Format::Json(JsonFormat::OdataJson),
        &WriteOptions::default(),
    )
    .unwrap_or_else(|e| panic!("the JSON writer refused the batch: {e}"));
    note("odata-json writer", written.report.iter());
    // Content-Type, OData-Version and, when asked for, the continue-on-error preference.
    let headers = written
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    Payload {
        headers,
        body: written.body,
    }
}

/// The format to convert to.
#[derive(Clone, Copy, Debug)]
enum Target {
    Multipart(Dialect),
    Json,
}

/// How a payload reaches the server.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// As our writer wrote it.
    AsWritten,
    /// Read by our decoder and written in the other format by the library.
    Library,
    /// Converted to the other format by `batchwire convert`.
    Command,
}

impl Route {
    const ALL: [Route; 3] = [Route::AsWritten, Route::Library, Route::Command];

    fn apply(self, payload: Payload, target: Target) -> Payload {
        match self {
            Route::AsWritten => payload,
            Route::Library => {
                let batch = payload.read();
                match target {
                    Target::Multipart(dialect) => multipart_payload(&batch, dialect),
                    Target::Json => json_payload(&batch),
                }
            }
            Route::Command => convert_with_command(&payload, target),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::AsWritten => "as written",
            Route::Library => "converted by the library",
            Route::Command => "converted by `batchwire convert`",
        })
    }
}

/// Runs `batchwire convert`: the body on standard output, the envelope headers on standard
/// error as `name: value` lines, next to `warning: ...` lines for what the target cannot
/// carry.
fn convert_with_command(payload: &Payload, target: Target) -> Payload {
    let mut args = vec![
        "convert".to_owned(),
        "--strict".to_owned(),
        "--request".to_owned(),
        "--content-type".to_owned(),
        payload.content_type().to_owned(),
    ];
    match target {
        Target::Multipart(dialect) => {
            args.extend(["--to", "multipart", "--dialect", dialect.name()].map(String::from));
        }
        Target::Json => args.extend(["--to", "odata-json"].map(String::from)),
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchwire"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("batchwire runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&payload.body).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "batchwire {args:?} failed: {stderr}");
    let (warnings, header_lines): (Vec<&str>, Vec<&str>) = stderr
        .lines()
        .partition(|line| line.starts_with("warning: "));
    note(
        "batchwire convert",
        warnings.iter().map(|w| &w["warning: ".len()..]),
    );
    let mut headers: Vec<(String, String)> = header_lines
        .iter()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    if let Target::Json = target {
        headers.push(("OData-Version".to_owned(), "4.0".to_owned()));
    }
    // The preference belongs to the HTTP request, not to the document the command converts.
    if let Some(prefer) = payload.header("prefer")
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("prefer"))
    {
        headers.push(("Prefer".to_owned(), prefer.to_owned()));
    }
    Payload {
        headers,
        body: Bytes::from(out.stdout),
    }
}

// ------------------------------------------------------------------------------------------
// Outcomes: what the server did with each item of a batch, the same whatever the format.

/// What happened to each request of the batch sent, as `batchwire::client::correlate` tells
/// it: `2.1 rolled-back (cause 2.2)`, `2.2 failed ASSERT_TARGET` (the OData error code).
fn outcomes(sent: &BatchRequest, answer: &BatchResponse, json: bool) -> Vec<String> {
    for response in answer.operations() {
        check_body(response);
    }
    let format = if json {
        Format::Json(JsonFormat::OdataJson)
    } else {
        Format::Multipart(Dialect::OdataV4)
    };
    let correlation = correlate(sent, answer, format, SystemTime::now());
    assert!(
        correlation.unmatched.is_empty() && correlation.problems.is_empty(),
        "answers left over: {:?} {:?}",
        correlation.unmatched,
        correlation.problems
    );
    correlation
        .outcomes
        .iter()
        .map(|o| {
            let mut line = format!("{} {}", o.position, o.outcome.name());
            if let ClientOutcome::Failed { error } = &o.outcome {
                let code = error.as_ref().and_then(|e| e.code.as_deref());
                line = format!("{line} {}", code.unwrap_or("(no code)"));
            }
            match o.outcome.cause() {
                Some(cause) => format!("{line} (cause {cause})"),
                None => line,
            }
        })
        .collect()
}

/// A JSON body comes out of the decoder as exactly one JSON document.
fn check_body(response: &SubResponse) {
    let json_body = response
        .headers
        .get_str("content-type")
        .is_some_and(|ct| ct.starts_with("application/json"));
    if json_body && let Err(e) = serde_json::from_slice::<Value>(&response.body) {
        panic!(
            "a {} answer's JSON body does not parse: {e}: {:?}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
}

// ------------------------------------------------------------------------------------------
// The server and the HTTP client.

/// A plain HTTP/1.1 client for the server.
struct Cap {
    agent: ureq::Agent,
    origin: String,
    next_key: Cell<u32>,
}

impl Cap {
    fn new(port: u16) -> Cap {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Loopback never goes through a proxy, whatever the environment says.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        Cap {
            agent,
            origin: format!("http://127.0.0.1:{port}"),
            // The seed data uses keys below 1,000; each scenario takes fresh ones, so no case
            // sees another's rows.
            next_key: Cell::new(10_000),
        }
    }

    fn key(&self) -> u32 {
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        key
    }

    /// Whether a service root answers 200.
    fn answers(&self, service: &str) -> bool {
        self.agent
            .get(format!("{}{service}", self.origin))
            .call()
            .is_ok_and(|r| r.status() == 200)
    }

    /// Posts a batch, reads the answer with our decoder and matches it to the batch sent.
    fn exchange(&self, payload: &Payload) -> Vec<String> {
        let service = payload.service();
        let mut request = http::Request::post(format!("{}{service}$batch", self.origin));
        for (name, value) in &payload.headers {
            request = request.header(name, value);
        }
        let request = request.body(&payload.body[..]).unwrap();
        let mut response = self.agent.run(request).expect("the server answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = Bytes::from(response.body_mut().read_to_vec().expect("a body"));
        // Once the envelope is read, V4 says 200 and the V2 adapter 202, whatever the
        // operations' statuses.
        let expected = if service == V2 { 202 } else { 200 };
        assert_eq!(
            status,
            expected,
            "POST {service}$batch: {}",
            String::from_utf8_lossy(&body)
        );
        let json = match batchwire::detect(Some(content_type.as_bytes()), &body) {
            Some(Format::Json(JsonFormat::OdataJson)) => true,
            Some(Format::Multipart(_)) => false,
            other => panic!("an answer in {other:?}, content type {content_type:?}"),
        };
        let answer = if json {
            let options = DecodeOptions::strict().with_kind(MessageKind::Response);
            let decoded = json::decode(&body, JsonFormat::OdataJson, &options)
                .unwrap_or_else(|e| panic!("CAP's JSON answer does not read strictly: {e}"));
            let BatchMessage::Response(batch) = decoded.message else {
                unreachable!("the kind was required")
            };
            batch
        } else {
            let options = DecodeOptions::strict().with_dialect(payload.dialect());
            multipart::decode_response(&body, Some(content_type.as_bytes()), &options)
                .unwrap_or_else(|e| panic!("CAP's multipart answer does not read strictly: {e}"))
                .0
        };
        outcomes(&payload.read(), &answer, json)
    }

    /// A plain GET of a resource, with its JSON body (`Null` when there is none).
    fn get(&self, service: &str, path: &str) -> (u16, Value) {
        let mut response = self
            .agent
            .get(format!("{}{service}{path}", self.origin))
            .header("Accept", "application/json")
            .call()
            .expect("the server answers");
        let body = response.body_mut().read_to_vec().expect("a body");
        let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (response.status().as_u16(), value)
    }

    /// Creates a customer with a plain POST, outside any batch.
    fn create_customer(&self, id: u32, name: &str) {
        let body = json!({"ID": id, "name": name, "email": "someone@example.net"}).to_string();
        let response = self
            .agent
            .post(format!("{}{V4}Customers", self.origin))
            .header("Content-Type", "application/json")
            .send(&body)
            .expect("the server answers");
        assert_eq!(response.status(), 201, "POST Customers");
    }
}

/// Prints what a writer could not carry, on one line.
fn note<T: fmt::Display>(writer: &str, items: impl Iterator<Item = T>) {
    let items: Vec<String> = items.map(|item| item.to_string()).collect();
    if !items.is_empty() {
        say(&format!("interop:         {writer}: {}", items.join("; ")));
    }
}
