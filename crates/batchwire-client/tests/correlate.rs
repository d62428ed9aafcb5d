//! Correlation of real request and response pairs: the live CAP recordings of the shared
//! corpus (when present beside the checkout) and the project's own pairs.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use batchwire_client::{Correlation, correlate};
use batchwire_core::{
    BatchMessage, BatchRequest, BatchResponse, DecodeOptions, Dialect, Format, JsonFormat,
    MessageKind,
};
use bytes::Bytes;

/// A recorded exchange: the request sent, its envelope headers, and the answer.
struct Exchange {
    request: BatchRequest,
    response: BatchResponse,
    format: Format,
}

fn header<'h>(headers: &'h str, name: &str) -> Option<&'h str> {
    headers.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn read(dir: &Path, name: &str, kind: MessageKind) -> (BatchMessage, String, Format) {
    let direction = match kind {
        MessageKind::Request => "request",
        MessageKind::Response => "response",
    };
    let body = Bytes::from(std::fs::read(dir.join(format!("{name}.{direction}.batch"))).unwrap());
    let headers = std::fs::read_to_string(dir.join(format!("{name}.{direction}.headers"))).unwrap();
    let content_type = header(&headers, "content-type").unwrap().to_owned();
    let options = DecodeOptions::lenient().with_kind(kind);
    if content_type.starts_with("application/json") {
        let decoded = batchwire_json::decode(&body, JsonFormat::OdataJson, &options).unwrap();
        (
            decoded.message,
            headers,
            Format::Json(JsonFormat::OdataJson),
        )
    } else {
        let dialect = if name.contains("-v2-") {
            Dialect::OdataV2
        } else {
            Dialect::OdataV4
        };
        let decoded = batchwire_multipart::decode(
            &body,
            Some(content_type.as_bytes()),
            &options.with_dialect(dialect),
        )
        .unwrap();
        (decoded.message, headers, Format::Multipart(dialect))
    }
}

fn exchange(dir: &Path, name: &str) -> Exchange {
    let (BatchMessage::Request(mut request), headers, format) =
        read(dir, name, MessageKind::Request)
    else {
        panic!("{name}: a request")
    };
    // The preference is a header of the envelope.
    if header(&headers, "prefer").is_some_and(|p| p.contains("continue-on-error")) {
        request.options.continue_on_error = Some(true);
    }
    let (BatchMessage::Response(response), _, _) = read(dir, name, MessageKind::Response) else {
        panic!("{name}: a response")
    };
    Exchange {
        request,
        response,
        format,
    }
}

/// `1 succeeded, 2.1 failed (400 ...)`: each outcome, its cause, and its error code.
fn shown(c: &Correlation<'_>) -> Vec<String> {
    c.outcomes
        .iter()
        .map(|o| match o.outcome.cause() {
            Some(cause) => format!("{} {} (cause {cause})", o.position, o.outcome.name()),
            None => format!("{} {}", o.position, o.outcome.name()),
        })
        .collect()
}

#[test]
fn live_cap_exchanges() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/live-cap");
    if !dir.exists() {
        println!(
            "notice: {} not present; live CAP exchanges skipped",
            dir.display()
        );
        return;
    }
    let cases: &[(&str, &[&str])] = &[
        (
            "01-v4-multipart-gets-and-changeset",
            &[
                "1 succeeded",
                "2 succeeded",
                "3.1 succeeded",
                "3.2 succeeded",
                "4 succeeded",
            ],
        ),
        (
            "02-v4-json-gets-and-atomicity-group",
            &[
                "1 succeeded",
                "2 succeeded",
                "3.1 succeeded",
                "3.2 succeeded",
                "4 succeeded",
            ],
        ),
        // CAP answers a failed changeset with the failing member's error alone; without
        // continue-on-error it stops there.
        (
            "03-v4-multipart-changeset-assert-fails",
            &[
                "1.1 rolled-back (cause 1.2)",
                "1.2 failed",
                "2 not-executed (cause 1.2)",
            ],
        ),
        (
            "04-v4-multipart-changeset-fails-continue-on-error",
            &[
                "1.1 rolled-back (cause 1.2)",
                "1.2 failed",
                "1.3 rolled-back (cause 1.2)",
                "2 failed",
                "3 succeeded",
            ],
        ),
        (
            "05-v4-multipart-changeset-bad-key",
            &["1.1 rolled-back (cause 1.2)", "1.2 failed", "2 succeeded"],
        ),
        // A member answered 201 and was undone; the request that depends on the group gets
        // 424; the JSON format goes on after an error.
        (
            "06-v4-json-atomicity-group-fails",
            &[
                "1.1 rolled-back (cause 1.2)",
                "1.2 failed",
                "2 failed-dependency (cause 1.2)",
                "3 failed",
                "4 succeeded",
            ],
        ),
        (
            "07-v4-multipart-get-404-stops-batch",
            &["1 failed", "2 not-executed (cause 1)"],
        ),
        (
            "08-v4-multipart-get-404-continue-on-error",
            &["1 failed", "2 succeeded"],
        ),
        (
            "10-v2-multipart-gets-and-changeset",
            &[
                "1 succeeded",
                "2.1 succeeded",
                "2.2 succeeded",
                "3 succeeded",
            ],
        ),
        (
            "11-v2-multipart-changeset-fails",
            &[
                "1.1 rolled-back (cause 1.2)",
                "1.2 failed",
                "2 not-executed (cause 1.2)",
            ],
        ),
    ];
    for (name, want) in cases {
        let e = exchange(&dir, name);
        let c = correlate(&e.request, &e.response, e.format, SystemTime::now());
        assert_eq!(shown(&c), *want, "{name}");
        assert!(
            c.unmatched.is_empty() && c.problems.is_empty(),
            "{name}: {:?}",
            c.problems
        );
    }
}

fn json(format: JsonFormat, kind: MessageKind, text: &str) -> BatchMessage {
    let options = DecodeOptions::strict().with_kind(kind);
    batchwire_json::decode(&Bytes::copy_from_slice(text.as_bytes()), format, &options)
        .unwrap_or_else(|e| panic!("{format}: {e}"))
        .message
}

fn pair(format: JsonFormat, request: &str, response: &str) -> (BatchRequest, BatchResponse) {
    let (BatchMessage::Request(r), BatchMessage::Response(a)) = (
        json(format, MessageKind::Request, request),
        json(format, MessageKind::Response, response),
    ) else {
        panic!("a request and a response")
    };
    (r, a)
}

#[test]
fn graph_ids_in_any_case_reordered_throttled_and_424() {
    let (sent, answer) = pair(
        JsonFormat::MsGraph,
        r#"{"requests":[{"id":"A","method":"GET","url":"/me"},{"id":"b","method":"GET","url":"/me/drive","dependsOn":["A"]},{"id":"c","method":"GET","url":"/me/events"}]}"#,
        r#"{"responses":[{"id":"C","status":429,"headers":{"retry-after":"10"}},{"id":"a","status":500,"body":{"error":{"code":"generalException","message":"Boom"}}},{"id":"B","status":424}]}"#,
    );
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::MsGraph),
        SystemTime::now(),
    );
    assert_eq!(
        shown(&c),
        ["1 failed", "2 failed-dependency (cause 1)", "3 throttled"]
    );
    let batchwire_client::Outcome::Failed { error: Some(e) } = &c.outcomes[0].outcome else {
        panic!("{:?}", c.outcomes[0].outcome)
    };
    assert_eq!(
        (e.code.as_deref(), e.message.as_deref()),
        (Some("generalException"), Some("Boom"))
    );
    assert_eq!(
        c.by_id("c").unwrap().outcome,
        batchwire_client::Outcome::Throttled {
            retry_after: Some(std::time::Duration::from_secs(10))
        }
    );
}

#[test]
fn salesforce_all_or_none_and_halting() {
    let (sent, answer) = pair(
        JsonFormat::SalesforceComposite,
        r#"{"allOrNone":true,"compositeRequest":[{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"acc","body":{"Name":"A"}},{"method":"POST","url":"/services/data/v60.0/sobjects/Contact","referenceId":"con","body":{"AccountId":"@{acc.id}"}}]}"#,
        r#"{"compositeResponse":[{"body":[{"errorCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Rolled back"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"acc"},{"body":[{"errorCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [LastName]"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"con"}]}"#,
    );
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::SalesforceComposite),
        SystemTime::now(),
    );
    // allOrNone reads as one atomic group holding the whole batch.
    assert_eq!(shown(&c), ["1.1 rolled-back (cause 1.2)", "1.2 failed"]);

    let (sent, answer) = pair(
        JsonFormat::SalesforceComposite,
        r#"{"compositeRequest":[{"method":"GET","url":"/a","referenceId":"a"},{"method":"GET","url":"/b","referenceId":"b"}]}"#,
        r#"{"compositeResponse":[{"body":[{"errorCode":"NOT_FOUND","message":"gone"}],"httpHeaders":{},"httpStatusCode":404,"referenceId":"a"},{"body":[{"errorCode":"PROCESSING_HALTED","message":"halted"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"b"}]}"#,
    );
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::SalesforceComposite),
        SystemTime::now(),
    );
    assert_eq!(shown(&c), ["1 failed", "2 not-executed (cause 1)"]);
}

#[test]
fn meta_null_is_not_executed_and_positions_pair_without_ids() {
    let (sent, answer) = pair(
        JsonFormat::MetaGraph,
        r#"[{"method":"GET","relative_url":"me"},{"method":"GET","relative_url":"me/friends"}]"#,
        r#"[{"code":200,"headers":[],"body":"{}"},null]"#,
    );
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::MetaGraph),
        SystemTime::now(),
    );
    assert_eq!(shown(&c), ["1 succeeded", "2 not-executed"]);
}

#[test]
fn google_answers_pair_with_their_items() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let read = |file: &str, kind| {
        let body = Bytes::from(std::fs::read(root.join(file)).unwrap());
        let options = DecodeOptions::strict()
            .with_kind(kind)
            .with_dialect(Dialect::Google);
        batchwire_multipart::decode(&body, None, &options)
            .unwrap()
            .message
    };
    let (BatchMessage::Request(sent), BatchMessage::Response(answer)) = (
        read("google-request.batch", MessageKind::Request),
        read("google-response.batch", MessageKind::Response),
    ) else {
        panic!("a request and a response")
    };
    let c = correlate(
        &sent,
        &answer,
        Format::Multipart(Dialect::Google),
        SystemTime::now(),
    );
    assert!(
        c.unmatched.is_empty() && c.problems.is_empty(),
        "{:?}",
        c.problems
    );
    for o in &c.outcomes {
        let (sent_id, answer_id) = (
            o.request.id.as_deref().unwrap(),
            o.response.unwrap().id.as_deref().unwrap(),
        );
        assert_eq!(
            answer_id.replace("response-", ""),
            sent_id,
            "{}",
            o.position
        );
    }
}

#[test]
fn more_fewer_and_duplicate_answers_are_reported_never_guessed() {
    let (sent, answer) = pair(
        JsonFormat::OdataJson,
        r#"{"requests":[{"id":"1","method":"GET","url":"A"},{"id":"2","method":"GET","url":"B"}]}"#,
        r#"{"responses":[{"id":"1","status":200},{"id":"9","status":200}]}"#,
    );
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::OdataJson),
        SystemTime::now(),
    );
    // JSON batches go on after errors: an answer that never came is missing, not stopped.
    assert_eq!(shown(&c), ["1 succeeded", "2 missing"]);
    assert_eq!(c.unmatched.len(), 1);
    assert_eq!(c.unmatched[0].response.id.as_deref(), Some("9"));
    assert!(!c.all_succeeded());

    let mut sent = BatchRequest::new();
    sent.push(batchwire_core::SubRequest::new(http::Method::GET, "A").with_id("1"));
    sent.push(batchwire_core::SubRequest::new(http::Method::GET, "B").with_id("1"));
    let mut answer = BatchResponse::new();
    answer.push(batchwire_core::SubResponse::new(http::StatusCode::OK).with_id("1"));
    answer.push(batchwire_core::SubResponse::new(http::StatusCode::NOT_FOUND).with_id("1"));
    let c = correlate(
        &sent,
        &answer,
        Format::Multipart(Dialect::Generic),
        SystemTime::now(),
    );
    assert_eq!(shown(&c), ["1 succeeded", "2 failed"]);
    assert_eq!(
        c.problems,
        [
            "request id \"1\" at item 2 was already given at item 1",
            "response id \"1\" at item 2 was already given at item 1"
        ]
    );
}

#[test]
fn chains_of_424_name_the_link_before_and_json_batches_go_on() {
    let (sent, answer) = pair(
        JsonFormat::MsGraph,
        r#"{"requests":[{"id":"a","method":"GET","url":"/a"},{"id":"b","method":"GET","url":"/b","dependsOn":["a"]},{"id":"c","method":"GET","url":"/c","dependsOn":["b"]},{"id":"d","method":"GET","url":"/d"}]}"#,
        r#"{"responses":[{"id":"a","status":400},{"id":"b","status":424},{"id":"c","status":424}]}"#,
    );
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::MsGraph),
        SystemTime::now(),
    );
    // Graph goes on after a failure: an answer that never came is missing, not stopped.
    assert_eq!(
        shown(&c),
        [
            "1 failed",
            "2 failed-dependency (cause 1)",
            "3 failed-dependency (cause 2)",
            "4 missing"
        ]
    );
}

#[test]
fn an_empty_changeset_takes_no_answer() {
    let mut sent = BatchRequest::new();
    sent.push_group(batchwire_core::AtomicGroup::new(Vec::new()));
    sent.push(batchwire_core::SubRequest::new(http::Method::GET, "x"));
    let mut answer = BatchResponse::new();
    answer.push(batchwire_core::SubResponse::new(
        http::StatusCode::NOT_FOUND,
    ));
    let c = correlate(
        &sent,
        &answer,
        Format::Multipart(Dialect::OdataV4),
        SystemTime::now(),
    );
    assert_eq!(shown(&c), ["2 failed"]);
    assert!(c.unmatched.is_empty());
}
