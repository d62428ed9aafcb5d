//! The writer's API: what it writes for each dialect (golden files), what it refuses and
//! with which message, and what it reports.

use std::path::PathBuf;

use batchwire_core::{
    AtomicGroup, BatchMessage, BatchRequest, BatchResponse, Position, SubRequest, SubResponse,
    ToleranceKind, WriteErrorKind, WriteReport,
};
use batchwire_multipart::{
    DecodeOptions, Dialect, Encoder, WriteOptions, decode, write_request, write_response,
};
use bytes::{Bytes, BytesMut};
use http::{Method, StatusCode};

fn written(batch: &BatchRequest, options: &WriteOptions) -> String {
    let encoder = Encoder::request(batch, options).unwrap();
    String::from_utf8(encoder.to_bytes().to_vec()).unwrap()
}

fn written_response(batch: &BatchResponse, options: &WriteOptions) -> String {
    let encoder = Encoder::response(batch, options).unwrap();
    String::from_utf8(encoder.to_bytes().to_vec()).unwrap()
}

fn request_error(batch: &BatchRequest, options: &WriteOptions) -> (WriteErrorKind, String) {
    let err = Encoder::request(batch, options).unwrap_err();
    (err.kind(), err.to_string())
}

fn one(op: SubRequest) -> BatchRequest {
    let mut batch = BatchRequest::new();
    batch.push(op);
    batch
}

fn fixed(dialect: Dialect) -> WriteOptions {
    WriteOptions::new(dialect)
        .with_boundary("batch_golden")
        .with_changeset_boundary("changeset_golden")
}

// ---------------------------------------------------------------------------------------------
// Golden files.
// ---------------------------------------------------------------------------------------------

/// The request written in every OData-like dialect: queries outside the changeset, changes
/// inside, mixed spellings, a stale Content-Length, a reference, and a body that holds
/// boundary text away from the start of a line.
fn odata_request() -> BatchRequest {
    let mut batch = BatchRequest::new();
    batch.push(
        SubRequest::new(Method::GET, "Customers?$select=ID,name&$top=2")
            .with_header("Accept", "application/json"),
    );
    let mut create = SubRequest::new(Method::POST, "Customers")
        .with_id("1")
        .with_header("Content-Type", "application/json")
        .with_header("content-length", "99")
        .with_body(r#"{"ID":10,"name":"Barbara --batch_golden"}"#);
    create
        .part_headers
        .append("content-transfer-encoding", "binary");
    let mut group = AtomicGroup::new(vec![
        create,
        SubRequest::new(Method::PATCH, "$1")
            .with_header("Content-Type", "application/json")
            .with_header("If-Match", "*")
            .with_body(r#"{"email":"b@example.org"}"#),
        SubRequest::new(Method::DELETE, "Orders(7)").with_id("del"),
    ]);
    group.part_headers.append("X-Changeset", "first");
    batch.push_group(group);
    batch.push(
        SubRequest::new(Method::GET, "Customers(10)?$expand=orders")
            .with_header("Accept", "application/json"),
    );
    batch
}

fn odata_response() -> BatchResponse {
    let mut batch = BatchResponse::new();
    batch.push(
        SubResponse::new(StatusCode::OK)
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"value":[{"ID":1,"name":"Ada"},{"ID":2,"name":"Grace"}]}"#),
    );
    batch.push_group(AtomicGroup::new(vec![
        SubResponse::new(StatusCode::CREATED)
            .with_id("1")
            .with_header("Location", "Customers(10)")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"ID":10}"#),
        SubResponse::new(StatusCode::NO_CONTENT).with_id("2"),
        SubResponse::new(StatusCode::NO_CONTENT)
            .with_id("del")
            .with_reason("Gone Now"),
    ]));
    batch.push(
        SubResponse::new(StatusCode::NOT_FOUND)
            .with_header("Content-Type", "text/plain")
            .with_body("no such customer\r\n-- not a delimiter\r\n"),
    );
    batch
}

fn google_request() -> BatchRequest {
    let mut batch = BatchRequest::new();
    batch.push(
        SubRequest::new(Method::GET, "/farm/v1/animals/pony")
            .with_header("Authorization", "Bearer token"),
    );
    batch.push(
        SubRequest::new(Method::PUT, "/farm/v1/animals/sheep")
            .with_id("<item7:12930812@barnyard.example.com>")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"animalName":"sheep","animalAge":"5"}"#),
    );
    batch
}

fn google_response() -> BatchResponse {
    let mut batch = BatchResponse::new();
    batch.push(
        SubResponse::new(StatusCode::OK)
            .with_id("<item-1:batch_golden>")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"kind":"farm#animal"}"#),
    );
    batch.push(
        SubResponse::new(StatusCode::OK)
            .with_id("<response-item7:12930812@barnyard.example.com>")
            .with_body("{}"),
    );
    batch.push(SubResponse::new(StatusCode::NOT_MODIFIED));
    batch
}

fn azure_request() -> BatchRequest {
    let mut batch = BatchRequest::new();
    batch.push(
        SubRequest::new(Method::DELETE, "/container0/blob0")
            .with_header("X-MS-Date", "Thu, 14 Jun 2018 16:46:54 GMT")
            .with_header("authorization", "SharedKey account:signature0")
            .with_header("x-ms-version", "2018-11-09")
            .with_header("content-length", "0"),
    );
    batch.push(
        SubRequest::new(Method::PUT, "/container0/blob1?comp=tier")
            .with_id("7")
            .with_header("x-ms-date", "Thu, 14 Jun 2018 16:46:54 GMT")
            .with_header("Authorization", "SharedKey account:signature1")
            .with_header("x-ms-access-tier", "Cool"),
    );
    batch.push(
        SubRequest::new(Method::DELETE, "/container0/blob2")
            .with_header("x-ms-date", "Thu, 14 Jun 2018 16:46:54 GMT")
            .with_header("Authorization", "SharedKey account:signature2"),
    );
    batch
}

fn azure_response() -> BatchResponse {
    let mut batch = BatchResponse::new();
    batch.push(
        SubResponse::new(StatusCode::ACCEPTED)
            .with_id("0")
            .with_header("x-ms-delete-type-permanent", "true")
            .with_header("X-MS-Version", "2018-11-09"),
    );
    batch.push(SubResponse::new(StatusCode::OK).with_header("x-ms-version", "2018-11-09"));
    batch.push(
        SubResponse::new(StatusCode::NOT_FOUND)
            .with_header("content-type", "application/xml")
            .with_body("<?xml version=\"1.0\"?><Error><Code>BlobNotFound</Code></Error>"),
    );
    batch
}

fn headers_text(headers: &http::HeaderMap) -> String {
    let mut text = String::new();
    for (name, value) in headers {
        text.push_str(name.as_str());
        text.push_str(": ");
        text.push_str(value.to_str().unwrap());
        text.push_str("\r\n");
    }
    text
}

/// Compares `actual` with the golden file, or rewrites it when `BATCHWIRE_BLESS=1`; on a
/// mismatch, writes `<name>.actual` beside it.
fn golden(name: &str, actual: &[u8], failures: &mut Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(name);
    if std::env::var_os("BATCHWIRE_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    match std::fs::read(&path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => {
            let mut actual_path = path.clone().into_os_string();
            actual_path.push(".actual");
            std::fs::write(&actual_path, actual).unwrap();
            failures.push(format!(
                "{name} differs; see {}",
                PathBuf::from(actual_path).display()
            ));
        }
        Err(e) => failures.push(format!(
            "{name}: {e} (run with BATCHWIRE_BLESS=1 to create it)"
        )),
    }
}

#[test]
fn golden_files_per_dialect() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for dialect in Dialect::ALL {
        let (request, response) = match dialect {
            Dialect::Google => (google_request(), google_response()),
            Dialect::Azure => (azure_request(), azure_response()),
            _ => (odata_request(), odata_response()),
        };
        let options = fixed(dialect);
        let messages = [
            ("request", BatchMessage::Request(request)),
            ("response", BatchMessage::Response(response)),
        ];
        for (kind, message) in messages {
            let encoder = Encoder::message(&message, &options).unwrap();
            let body = encoder.to_bytes();
            let name = format!("{}.{kind}", dialect.name());
            golden(&format!("{name}.batch"), &body, &mut failures);
            golden(
                &format!("{name}.headers"),
                headers_text(&encoder.headers()).as_bytes(),
                &mut failures,
            );
            let strict = DecodeOptions::strict()
                .with_dialect(dialect)
                .with_kind(message.kind());
            if let Err(e) = decode(&body, Some(encoder.content_type().as_bytes()), &strict) {
                failures.push(format!("{name}: strict read back: {e}"));
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 12);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The framing, by hand.
// ---------------------------------------------------------------------------------------------

#[test]
fn canonical_framing_of_a_changeset() {
    let mut batch = BatchRequest::new();
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "A")
            .with_id("1")
            .with_body("x"),
        SubRequest::new(Method::DELETE, "B(1)").with_id("2"),
    ]));
    batch.push(SubRequest::new(Method::GET, "C"));
    let options = WriteOptions::default()
        .with_boundary("b")
        .with_changeset_boundary("c");
    assert_eq!(
        written(&batch, &options),
        "--b\r\n\
         Content-Type: multipart/mixed; boundary=c\r\n\
         \r\n\
         --c\r\n\
         Content-Type: application/http\r\n\
         Content-Transfer-Encoding: binary\r\n\
         Content-ID: 1\r\n\
         \r\n\
         POST A HTTP/1.1\r\n\
         Content-Length: 1\r\n\
         \r\n\
         x\r\n\
         --c\r\n\
         Content-Type: application/http\r\n\
         Content-Transfer-Encoding: binary\r\n\
         Content-ID: 2\r\n\
         \r\n\
         DELETE B(1) HTTP/1.1\r\n\
         \r\n\
         \r\n\
         --c--\r\n\
         --b\r\n\
         Content-Type: application/http\r\n\
         Content-Transfer-Encoding: binary\r\n\
         \r\n\
         GET C HTTP/1.1\r\n\
         \r\n\
         \r\n\
         --b--\r\n"
    );
}

#[test]
fn response_status_lines() {
    let mut batch = BatchResponse::new();
    batch.push(SubResponse::new(StatusCode::OK));
    batch.push(SubResponse::new(StatusCode::from_u16(299).unwrap()));
    batch.push(SubResponse::new(StatusCode::NOT_FOUND).with_reason(""));
    batch.push(SubResponse::new(StatusCode::CREATED).with_reason("Made"));
    let text = written_response(&batch, &WriteOptions::default().with_boundary("b"));
    let lines: Vec<_> = text.lines().filter(|l| l.starts_with("HTTP/")).collect();
    assert_eq!(
        lines,
        [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 299 ",
            "HTTP/1.1 404 ",
            "HTTP/1.1 201 Made"
        ]
    );
}

#[test]
fn content_length_is_computed_from_the_body() {
    let mut part = SubRequest::new(Method::POST, "A")
        .with_header("X-First", "1")
        .with_header("CONTENT-LENGTH", "2")
        .with_header("X-Last", "2")
        .with_header("Content-Length", "3")
        .with_body("four");
    part.part_headers.append("Content-Length", "1");
    let text = written(&one(part), &WriteOptions::default().with_boundary("b"));
    // The stale one is replaced where it was, in its spelling; the second is dropped; the
    // part's own Content-Length counts the embedded message.
    let message = "POST A HTTP/1.1\r\nX-First: 1\r\nCONTENT-LENGTH: 4\r\nX-Last: 2\r\n\r\nfour";
    assert!(
        text.contains(&format!("\r\n\r\n{message}\r\n--b--")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Content-Length: {}\r\n", message.len())),
        "{text}"
    );

    let empty = SubRequest::new(Method::DELETE, "A").with_header("Content-Length", "12");
    let text = written(&one(empty), &WriteOptions::default().with_boundary("b"));
    assert!(text.contains("DELETE A HTTP/1.1\r\nContent-Length: 0\r\n\r\n\r\n--b--"));
    let text = written(
        &one(SubRequest::new(Method::DELETE, "A")),
        &WriteOptions::default().with_boundary("b"),
    );
    assert!(!text.contains("Content-Length"), "{text}");
}

#[test]
fn part_headers_keep_spelling_and_order() {
    let mut part = SubRequest::new(Method::GET, "A").with_id("9");
    part.part_headers.append("x-first", "1");
    part.part_headers.append("content-id", "stale");
    part.part_headers
        .append("CONTENT-TYPE", "application/http; msgtype=request");
    part.part_headers
        .append("content-transfer-encoding", "7bit");
    part.part_headers.append("content-id", "second");
    let text = written(&one(part), &WriteOptions::default().with_boundary("b"));
    assert_eq!(
        text,
        "--b\r\n\
         x-first: 1\r\n\
         content-id: 9\r\n\
         CONTENT-TYPE: application/http; msgtype=request\r\n\
         content-transfer-encoding: binary\r\n\
         \r\n\
         GET A HTTP/1.1\r\n\
         \r\n\
         \r\n\
         --b--\r\n"
    );
    let mut other = SubRequest::new(Method::GET, "A");
    other.part_headers.append("Content-Type", "text/plain");
    let text = written(&one(other), &WriteOptions::default().with_boundary("b"));
    assert!(text.starts_with(
        "--b\r\nContent-Transfer-Encoding: binary\r\nContent-Type: application/http\r\n\r\n"
    ));
}

#[test]
fn an_id_read_from_the_embedded_message_stays_there() {
    let op = SubRequest::new(Method::POST, "A")
        .with_id("7")
        .with_header("Content-ID", "7");
    let text = written(&one(op), &WriteOptions::default().with_boundary("b"));
    assert_eq!(text.matches("Content-ID").count(), 1, "{text}");
    assert!(text.contains("POST A HTTP/1.1\r\nContent-ID: 7\r\n"));
    let body = Bytes::from(text);
    let decoded = decode(
        &body,
        Some(b"multipart/mixed; boundary=b"),
        &DecodeOptions::strict(),
    )
    .unwrap();
    let op = decoded
        .message
        .as_request()
        .unwrap()
        .operations()
        .next()
        .unwrap();
    assert_eq!(op.id.as_deref(), Some("7"));
}

// ---------------------------------------------------------------------------------------------
// Dialects.
// ---------------------------------------------------------------------------------------------

#[test]
fn odata_v4_numbers_changeset_members_past_used_ids() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "A").with_id("2"));
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "B"),
        SubRequest::new(Method::POST, "C").with_id("1"),
        SubRequest::new(Method::POST, "D").with_id("03"),
        SubRequest::new(Method::POST, "E"),
        SubRequest::new(Method::POST, "F"),
    ]));
    batch.push(SubRequest::new(Method::GET, "G"));
    let text = written(
        &batch,
        &WriteOptions::new(Dialect::OdataV4).with_boundary("b"),
    );
    let ids: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Content-ID: "))
        .collect();
    // "03" is not the number 3; top-level requests need no id.
    assert_eq!(ids, ["2", "3", "1", "03", "4", "5"]);
}

#[test]
fn google_ids_and_answers() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "/a"));
    batch.push(SubRequest::new(Method::GET, "/b").with_id("<x@y>"));
    batch.push(SubRequest::new(Method::GET, "/c"));
    let text = written(
        &batch,
        &WriteOptions::new(Dialect::Google).with_boundary("g"),
    );
    let ids: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Content-ID: "))
        .collect();
    assert_eq!(ids, ["<item-1:g>", "<x@y>", "<item-3:g>"]);

    let mut answers = BatchResponse::new();
    // A request's form gets `response-`; Google's response form and ids from elsewhere
    // (OData's `1`) are written as they are.
    for id in [
        "<item1:x@y>",
        "item-2",
        "<response-x@y>",
        "response-plain",
        "1",
        "<x@y>",
    ] {
        answers.push(SubResponse::new(StatusCode::OK).with_id(id));
    }
    answers.push(SubResponse::new(StatusCode::OK));
    let text = written_response(
        &answers,
        &WriteOptions::new(Dialect::Google).with_boundary("g"),
    );
    let ids: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Content-ID: "))
        .collect();
    assert_eq!(
        ids,
        [
            "<response-item1:x@y>",
            "response-item-2",
            "<response-x@y>",
            "response-plain",
            "1",
            "<x@y>",
            "<response-item-7:g>"
        ]
    );
    // The ids written otherwise than the model holds them are reported, each as written.
    let encoder = Encoder::response(&answers, &WriteOptions::new(Dialect::Google)).unwrap();
    let report: Vec<String> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "item 1: given the id \"<response-item1:x@y>\"",
            "item 2: given the id \"response-item-2\"",
            format!(
                "item 7: given the id \"<response-item-7:{}>\"",
                encoder.boundary()
            )
            .as_str(),
        ]
    );
}

#[test]
fn azure_spells_names_its_way_and_drops_x_ms_version() {
    let batch = azure_request_with_part_header();
    let encoder = Encoder::request(&batch, &fixed(Dialect::Azure)).unwrap();
    let text = String::from_utf8(encoder.to_bytes().to_vec()).unwrap();
    assert!(text.contains("x-ms-date: Thu"), "{text}");
    assert!(
        text.contains("Authorization: SharedKey account:signature0"),
        "{text}"
    );
    assert!(text.contains("Content-Length: 0\r\n"), "{text}");
    assert!(text.contains("Content-ID: 0\r\n"), "{text}");
    assert!(text.contains("\r\nx-ms-trace: t\r\n"), "{text}");
    assert!(
        !text.to_ascii_lowercase().contains("x-ms-version"),
        "{text}"
    );
    let dropped: Vec<_> = encoder
        .report()
        .losses
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        dropped,
        [
            "item 1: header \"x-ms-version\" not written: Azure uses the batch request's x-ms-version for every sub-request",
            "item 1: given the id \"0\"",
            "item 3: given the id \"1\"",
        ]
    );
}

fn azure_request_with_part_header() -> BatchRequest {
    let mut batch = azure_request();
    if let batchwire_core::Item::Operation(op) = &mut batch.items[2] {
        op.part_headers.append("X-MS-Trace", "t");
    }
    batch
}

#[test]
fn groups_need_a_dialect_with_changesets() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "/a"));
    batch.push_group(AtomicGroup::new(vec![SubRequest::new(Method::POST, "/b")]));
    for dialect in [Dialect::Google, Dialect::Azure] {
        assert_eq!(
            request_error(&batch, &WriteOptions::new(dialect)),
            (
                WriteErrorKind::NestingUnsupported,
                format!(
                    "expected an operation, found an atomic group (the {dialect} dialect has no changesets) at item 2"
                )
            )
        );
    }
}

#[test]
fn the_report_lists_what_multipart_cannot_carry() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "A").with_dependency("x"));
    batch.push_group(AtomicGroup::new(vec![SubRequest::new(Method::POST, "B")]).with_id("g1"));
    batch.options.continue_on_error = Some(true);
    batch.options.all_or_none = Some(true);
    batch.options.halt_on_error = Some(false);
    let encoder = Encoder::request(&batch, &WriteOptions::new(Dialect::OdataV2)).unwrap();
    let dropped: Vec<_> = encoder
        .report()
        .losses
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        dropped,
        [
            "item 1: dependency on \"x\" not written: multipart batches express dependencies only as $n references in targets",
            "item 2: group name \"g1\" not written: multipart changesets have no name",
            "batch: option continue_on_error not written: the odata-v2 dialect has no way to ask for it",
            "batch: option all_or_none not written: multipart batches make only changesets atomic; put the operations in one group",
        ]
    );
    // OData V4 says continue-on-error with a preference.
    let request = write_request(&batch, &WriteOptions::new(Dialect::OdataV4)).unwrap();
    assert_eq!(request.headers()["prefer"], "odata.continue-on-error");
    assert_eq!(
        request
            .extensions()
            .get::<WriteReport>()
            .unwrap()
            .losses
            .len(),
        // The three that V4 cannot say either, and the Content-ID it gives the member.
        4
    );
}

#[test]
fn the_report_lists_members_omitted_responses_and_every_option() {
    let mut answered = SubResponse::new(StatusCode::OK);
    answered.extra.push("@core.note", "1");
    let mut skipped = SubResponse::new(StatusCode::NO_CONTENT);
    skipped.omitted = true;
    let mut group = AtomicGroup::new(vec![SubResponse::new(StatusCode::CREATED)]);
    group.extra.push("if", r#""$1/$succeeded""#);
    let mut batch = BatchResponse::new();
    batch.push(answered);
    batch.push(skipped);
    batch.push_group(group);
    batch.extra.push("@odata.context", r#""x""#);
    batch.extra.push("custom", "[]");
    batch.options.next_link = Some("https://example.com/$batch?page=2".into());
    batch.options.has_errors = Some(false);
    batch.options.collate_subrequests = Some(true);
    let encoder = Encoder::response(&batch, &fixed(Dialect::OdataV4)).unwrap();
    let report: Vec<_> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "item 1: member \"@core.note\" not written: a multipart batch has no place for members of a JSON batch",
            "item 2: omitted response written as 204 without a body: a multipart batch has no way to mark a position without a response",
            "item 3: member \"if\" not written: a multipart batch has no place for members of a JSON batch",
            "batch: option collate_subrequests not written: multipart batches have no way to say it",
            "batch: option has_errors not written: multipart batches have no way to say it",
            "batch: option next_link not written: multipart batches have no way to say it",
            "batch: member \"@odata.context\" not written: a multipart batch has no place for members of a JSON batch",
            "batch: member \"custom\" not written: a multipart batch has no place for members of a JSON batch",
        ]
    );
    // The omitted position is written as the model holds it.
    let text = String::from_utf8(encoder.to_bytes().to_vec()).unwrap();
    assert!(
        text.contains("\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--batch_golden\r\n"),
        "{text}"
    );

    // Requests: members of an operation; options that say nothing are not reported.
    let mut op = SubRequest::new(Method::GET, "A");
    op.extra.push("if", "true");
    let mut requests = one(op);
    requests.options.collate_subrequests = Some(false);
    requests.options.halt_on_error = Some(false);
    let encoder = Encoder::request(&requests, &fixed(Dialect::Generic)).unwrap();
    let report: Vec<_> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "item 1: member \"if\" not written: a multipart batch has no place for members of a JSON batch"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Envelopes and outputs.
// ---------------------------------------------------------------------------------------------

#[test]
fn envelopes_carry_content_type_and_version() {
    let batch = one(SubRequest::new(Method::GET, "A"));
    let cases = [
        (Dialect::Generic, None),
        (Dialect::OdataV2, Some(("dataserviceversion", "2.0"))),
        (Dialect::OdataV3, Some(("dataserviceversion", "3.0"))),
        (Dialect::OdataV4, Some(("odata-version", "4.0"))),
        (Dialect::Google, None),
        (Dialect::Azure, None),
    ];
    for (dialect, version) in cases {
        let request =
            write_request(&batch, &WriteOptions::new(dialect).with_boundary("b c:d")).unwrap();
        assert_eq!(request.method(), Method::POST);
        let headers = request.headers();
        assert_eq!(
            headers["content-type"],
            "multipart/mixed; boundary=\"b c:d\""
        );
        assert_eq!(headers.len(), 1 + usize::from(version.is_some()));
        if let Some((name, value)) = version {
            assert_eq!(headers[name], value);
        }
        let strict = DecodeOptions::strict().with_dialect(dialect);
        let ct = headers["content-type"].as_bytes();
        decode(request.body(), Some(ct), &strict).unwrap();
    }
    let mut answers = BatchResponse::new();
    answers.push(SubResponse::new(StatusCode::OK));
    answers.options.continue_on_error = Some(true);
    let response = write_response(&answers, &WriteOptions::new(Dialect::OdataV4)).unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["preference-applied"],
        "odata.continue-on-error"
    );
    assert!(
        response
            .extensions()
            .get::<WriteReport>()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn fresh_boundaries_per_envelope() {
    let mut batch = BatchRequest::new();
    batch.push_group(AtomicGroup::new(vec![SubRequest::new(Method::POST, "A")]));
    batch.push_group(AtomicGroup::new(vec![SubRequest::new(Method::POST, "B")]));
    let a = Encoder::request(&batch, &WriteOptions::default()).unwrap();
    let b = Encoder::request(&batch, &WriteOptions::default()).unwrap();
    assert_ne!(a.boundary(), b.boundary());
    assert!(a.boundary().starts_with("batch_"), "{}", a.boundary());
    assert_eq!(a.boundary().len(), "batch_".len() + 36);
    let changesets = a.changeset_boundaries();
    assert_eq!(changesets.len(), 2);
    assert_ne!(changesets[0], changesets[1]);
    assert!(changesets.iter().all(|c| c.starts_with("changeset_")));
    assert_eq!(
        a.content_type().to_str().unwrap(),
        format!("multipart/mixed; boundary={}", a.boundary())
    );
    // One encoder writes the same bytes every time.
    assert_eq!(a.to_bytes(), a.to_bytes());
}

/// A writer whose disk is always full.
struct Full;

impl std::io::Write for Full {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk full"))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_output_gets_the_same_bytes() {
    let batch = odata_request();
    let encoder = Encoder::request(&batch, &WriteOptions::new(Dialect::OdataV4)).unwrap();
    let bytes = encoder.to_bytes();
    assert_eq!(bytes.len(), encoder.encoded_len());
    let mut buf = BytesMut::new();
    encoder.encode_into(&mut buf).unwrap();
    assert_eq!(buf, bytes);
    let mut vec = Vec::new();
    encoder.write_to(&mut vec).unwrap();
    assert_eq!(vec, bytes);
    let mut exact = vec![0u8; encoder.encoded_len()];
    encoder.encode_into(&mut exact.as_mut_slice()).unwrap();
    assert_eq!(exact, bytes);

    let mut small = [0u8; 16];
    let err = encoder.encode_into(&mut small.as_mut_slice()).unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::BufferTooSmall);
    assert_eq!(
        err.to_string(),
        format!(
            "expected room for {} bytes in the buffer, found 16",
            encoder.encoded_len()
        )
    );
    assert_eq!(small, [0u8; 16]);

    assert_eq!(encoder.write_to(Full).unwrap_err().to_string(), "disk full");
}

// ---------------------------------------------------------------------------------------------
// Refusals, each with its whole message.
// ---------------------------------------------------------------------------------------------

/// Reads `text` back leniently, as `content_type` says; returns what the reader tolerated
/// and the number of items and of members of each group.
fn read_back(text: &str, content_type: &str) -> (Vec<String>, Vec<usize>) {
    let decoded = decode(
        &Bytes::from(text.to_owned()),
        Some(content_type.as_bytes()),
        &DecodeOptions::lenient(),
    )
    .unwrap();
    let tolerated = decoded.tolerated.iter().map(ToString::to_string).collect();
    let shape = match &decoded.message {
        BatchMessage::Request(batch) => batch
            .items
            .iter()
            .map(|item| match item {
                batchwire_core::Item::Operation(_) => 1,
                batchwire_core::Item::Group(group) => group.operations.len(),
            })
            .collect(),
        BatchMessage::Response(batch) => batch
            .items
            .iter()
            .map(|item| match item {
                batchwire_core::Item::Operation(_) => 1,
                batchwire_core::Item::Group(group) => group.operations.len(),
            })
            .collect(),
    };
    (tolerated, shape)
}

#[test]
fn empty_batches_and_groups_are_written_and_reported() {
    // An empty batch: its close delimiter alone.
    let empty = BatchRequest::new();
    let encoder = Encoder::request(&empty, &fixed(Dialect::OdataV4)).unwrap();
    let text = String::from_utf8(encoder.to_bytes().to_vec()).unwrap();
    assert_eq!(text, "--batch_golden--\r\n");
    let report: Vec<_> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "batch: written as a multipart with no body part: RFC 2046 wants at least one body part, so only a lenient reader reads it"
        ]
    );
    let (tolerated, shape) = read_back(&text, "multipart/mixed; boundary=batch_golden");
    assert_eq!(tolerated, ["multipart with no body part at byte 0"]);
    assert!(shape.is_empty());

    // An empty changeset, as odata.net answers one, between two responses.
    let mut batch = BatchResponse::new();
    batch.push(SubResponse::new(StatusCode::OK));
    batch.push_group(AtomicGroup::new(Vec::new()));
    batch.push(SubResponse::new(StatusCode::NOT_FOUND));
    let encoder = Encoder::response(&batch, &fixed(Dialect::OdataV4)).unwrap();
    let text = String::from_utf8(encoder.to_bytes().to_vec()).unwrap();
    assert_eq!(
        text,
        "--batch_golden\r\n\
         Content-Type: application/http\r\n\
         Content-Transfer-Encoding: binary\r\n\
         \r\n\
         HTTP/1.1 200 OK\r\n\
         \r\n\
         \r\n\
         --batch_golden\r\n\
         Content-Type: multipart/mixed; boundary=changeset_golden\r\n\
         \r\n\
         --changeset_golden--\r\n\
         --batch_golden\r\n\
         Content-Type: application/http\r\n\
         Content-Transfer-Encoding: binary\r\n\
         \r\n\
         HTTP/1.1 404 Not Found\r\n\
         \r\n\
         \r\n\
         --batch_golden--\r\n"
    );
    assert_eq!(text.len(), encoder.encoded_len());
    let report: Vec<_> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "item 2: written as a multipart with no body part: RFC 2046 wants at least one body part, so only a lenient reader reads it"
        ]
    );
    let (tolerated, shape) = read_back(&text, "multipart/mixed; boundary=batch_golden");
    assert_eq!(tolerated, ["multipart with no body part at byte 182"]);
    assert_eq!(shape, [1, 0, 1]);

    // With a Content-Length on the changeset part, it is that of the close delimiter.
    let mut group = AtomicGroup::new(Vec::new());
    group.part_headers.append("Content-Length", "99");
    let mut batch = BatchRequest::new();
    batch.push_group(group);
    let text = written(&batch, &fixed(Dialect::Generic));
    assert!(
        text.contains("Content-Length: 20\r\n\r\n--changeset_golden--\r\n--batch_golden--\r\n"),
        "{text}"
    );
}

#[test]
fn headers_that_would_not_read_back() {
    let cases: [(SubRequest, &str); 6] = [
        (
            SubRequest::new(Method::GET, "A").with_header("Bad Name", "x"),
            "expected a header name of token characters, found \"Bad Name\" in the headers of the embedded request at item 1",
        ),
        (
            SubRequest::new(Method::GET, "A").with_header("X", "a\r\nInjected: 1"),
            "expected a value without line breaks, found \"a\\r\\nInjected: 1\" in header \"X\" of the headers of the embedded request at item 1",
        ),
        (
            SubRequest::new(Method::GET, "A").with_header("Authorization", "Bearer s\x00cret"),
            "expected a value without control characters, found <redacted> in header \"Authorization\" of the headers of the embedded request at item 1",
        ),
        (
            SubRequest::new(Method::GET, "A").with_header("X", " padded"),
            "expected a value without surrounding whitespace, found \" padded\" in header \"X\" of the headers of the embedded request at item 1",
        ),
        (
            SubRequest::new(Method::GET, "A").with_header("", "x"),
            "expected a header name of token characters, found \"\" in the headers of the embedded request at item 1",
        ),
        (
            SubRequest::new(Method::GET, "A").with_id("1\n2"),
            "expected a Content-ID without line breaks, found \"1\\n2\" at item 1",
        ),
    ];
    for (op, message) in cases {
        assert_eq!(
            request_error(&one(op), &WriteOptions::default()),
            (WriteErrorKind::InvalidHeader, message.to_owned())
        );
    }
    let mut part = SubRequest::new(Method::GET, "A");
    part.part_headers.append("X-Part", "a\tb\n");
    let mut batch = one(SubRequest::new(Method::GET, "Z"));
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "B"),
        part,
    ]));
    assert_eq!(
        request_error(&batch, &WriteOptions::default()),
        (
            WriteErrorKind::InvalidHeader,
            "expected a value without line breaks, found \"a\\tb\\n\" in header \"X-Part\" of the part headers at item 2.2"
                .to_owned()
        )
    );
    // Values the writer replaces are not checked.
    let mut stale = SubRequest::new(Method::GET, "A").with_header("Content-Length", "1\n");
    stale.part_headers.append("Content-ID", "x\n");
    stale.part_headers.append("Content-Type", "bad\n");
    assert!(Encoder::request(&one(stale), &WriteOptions::default()).is_ok());
}

#[test]
fn targets_and_reasons_that_would_not_read_back() {
    let cases = [
        ("", "expected a request target, found \"\" at item 1"),
        (
            "a\r\nb",
            "expected a request target without control characters, found \"a\\r\\nb\" at item 1",
        ),
        (
            "a\tb",
            "expected a request target without control characters, found \"a\\tb\" at item 1",
        ),
        (
            "a\0b c",
            "expected a request target without control characters, found \"a\\0b c\" at item 1",
        ),
    ];
    for (target, message) in cases {
        assert_eq!(
            request_error(
                &one(SubRequest::new(Method::GET, target)),
                &WriteOptions::default()
            ),
            (WriteErrorKind::InvalidTarget, message.to_owned())
        );
    }
    let mut batch = BatchResponse::new();
    batch.push(SubResponse::new(StatusCode::OK).with_reason("OK\r\nX: y"));
    let err = Encoder::response(&batch, &WriteOptions::default()).unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::InvalidReason);
    assert_eq!(
        err.to_string(),
        "expected a reason phrase without line breaks or control characters, found \"OK\\r\\nX: y\" at item 1"
    );
    assert_eq!(err.position(), Some(Position::item(0)));
}

#[test]
fn targets_with_spaces_or_beyond_ascii_are_percent_encoded() {
    // Microsoft Graph's and the OData JSON specification's own examples have spaces in
    // `$filter`.
    let mut batch = one(SubRequest::new(
        Method::GET,
        "me/events?$filter=subject eq 'Réunion'",
    ));
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "Customers").with_id("1"),
        SubRequest::new(Method::PATCH, "$1/Name eq%20x"),
    ]));
    let options = fixed(Dialect::Generic);
    let encoder = Encoder::request(&batch, &options).unwrap();
    let text = String::from_utf8(encoder.to_bytes().to_vec()).unwrap();
    let lines: Vec<_> = text.lines().filter(|l| l.ends_with(" HTTP/1.1")).collect();
    assert_eq!(
        lines,
        [
            "GET me/events?$filter=subject%20eq%20'R%C3%A9union' HTTP/1.1",
            "POST Customers HTTP/1.1",
            "PATCH $1/Name%20eq%20x HTTP/1.1",
        ]
    );
    let report: Vec<_> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "item 1: target \"me/events?$filter=subject eq 'Réunion'\" written percent-encoded as \"me/events?$filter=subject%20eq%20'R%C3%A9union'\": a request line holds no spaces and only ASCII",
            "item 2.2: target \"$1/Name eq%20x\" written percent-encoded as \"$1/Name%20eq%20x\": a request line holds no spaces and only ASCII",
        ]
    );
    // The strict reader reads it back, with the encoded target.
    let content_type = encoder.content_type().as_bytes().to_vec();
    let decoded = decode(
        &encoder.to_bytes(),
        Some(&content_type),
        &DecodeOptions::strict(),
    )
    .unwrap();
    let BatchMessage::Request(read) = decoded.message else {
        panic!("expected requests");
    };
    let targets: Vec<_> = read.operations().map(|op| op.target.clone()).collect();
    assert_eq!(
        targets,
        [
            "me/events?$filter=subject%20eq%20'R%C3%A9union'",
            "Customers",
            "$1/Name%20eq%20x"
        ]
    );
}

#[test]
fn references_name_earlier_requests() {
    fn changeset(targets: &[(&str, Option<&str>)]) -> BatchRequest {
        let mut batch = one(SubRequest::new(Method::GET, "Z").with_id("top"));
        batch.push_group(AtomicGroup::new(
            targets
                .iter()
                .map(|(t, id)| {
                    let op = SubRequest::new(Method::POST, *t);
                    match id {
                        Some(id) => op.with_id(*id),
                        None => op,
                    }
                })
                .collect(),
        ));
        batch
    }
    let fine = [
        changeset(&[("A", Some("1")), ("$1/orders", None)]),
        changeset(&[("A", Some("c1")), ("$c1?$select=x", Some("2"))]),
        changeset(&[
            ("$metadata", None),
            ("$batch", None),
            ("$crossjoin(A,B)", None),
        ]),
        changeset(&[("A", Some("1")), ("B", Some("1")), ("$1", None)]),
    ];
    for batch in &fine {
        Encoder::request(batch, &WriteOptions::default()).unwrap();
    }
    let mut top = changeset(&[("A", Some("1"))]);
    top.push(SubRequest::new(Method::GET, "$1"));
    top.push(SubRequest::new(Method::GET, "$top/x"));
    Encoder::request(&top, &WriteOptions::new(Dialect::OdataV2)).unwrap();

    let cases = [
        (
            changeset(&[("$2", Some("1")), ("A", Some("2"))]),
            WriteErrorKind::ForwardReference,
            "expected a reference to an earlier Content-ID of the changeset, found \"$2\", which names this request or a later one at item 2.1",
        ),
        (
            changeset(&[("$1", Some("1"))]),
            WriteErrorKind::ForwardReference,
            "expected a reference to an earlier Content-ID of the changeset, found \"$1\", which names this request or a later one at item 2.1",
        ),
        (
            changeset(&[("A", Some("1")), ("$5/x", None)]),
            WriteErrorKind::DanglingReference,
            "expected a reference to an earlier Content-ID of the changeset, found \"$5\", which names no request at item 2.2",
        ),
        (
            changeset(&[("A", Some("1")), ("$top", None)]),
            WriteErrorKind::DanglingReference,
            "expected a reference to an earlier Content-ID of the changeset, found \"$top\", which names a request outside it at item 2.2",
        ),
    ];
    for (batch, kind, message) in cases {
        assert_eq!(
            request_error(&batch, &WriteOptions::default()),
            (kind, message.to_owned())
        );
    }
    let mut later = one(SubRequest::new(Method::GET, "$x"));
    later.push(SubRequest::new(Method::GET, "A").with_id("x"));
    assert_eq!(
        request_error(&later, &WriteOptions::default()),
        (
            WriteErrorKind::ForwardReference,
            "expected a reference to the Content-ID of an earlier request, found \"$x\", which names this request or a later one at item 1"
                .to_owned()
        )
    );
    // Google and Azure have no references.
    let google = one(SubRequest::new(Method::GET, "$nothing"));
    Encoder::request(&google, &WriteOptions::new(Dialect::Google)).unwrap();
}

#[test]
fn lenient_writing_writes_broken_rules_and_reports_them() {
    let mut batch = BatchRequest::new();
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "A").with_id("1"),
        SubRequest::new(Method::POST, "B").with_id("1"),
        SubRequest::new(Method::POST, "$5/x"),
        SubRequest::new(Method::GET, "C").with_id("2"),
    ]));
    batch.push(SubRequest::new(Method::GET, "$z"));
    batch.push(SubRequest::new(Method::GET, "Z").with_id("z"));
    // Strict writing refuses the first fault.
    assert_eq!(
        request_error(&batch, &fixed(Dialect::OdataV4)),
        (
            WriteErrorKind::MisplacedOperation,
            "expected a request that changes data in the atomic group, found a query at item 1.4"
                .to_owned()
        )
    );
    let options = fixed(Dialect::OdataV4).with_lenient(true);
    let encoder = Encoder::request(&batch, &options).unwrap();
    let report: Vec<_> = encoder.report().iter().map(ToString::to_string).collect();
    assert_eq!(
        report,
        [
            "item 1.2: Content-ID \"1\" written again in its changeset: the odata-v4 dialect wants Content-IDs unique in their changeset (first at item 1.1)",
            "item 1.3: reference \"$5\" written unresolved: it names no request",
            "item 1.3: given the id \"3\"",
            "item 1.4: query written in an atomic group: a strict reader wants queries outside changesets",
            "item 2: reference \"$z\" written unresolved: it names this request or a later one",
        ]
    );
    let text = String::from_utf8(encoder.to_bytes().to_vec()).unwrap();
    let lines: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("Content-ID") || l.ends_with("HTTP/1.1"))
        .collect();
    assert_eq!(
        lines,
        [
            "Content-ID: 1",
            "POST A HTTP/1.1",
            "Content-ID: 1",
            "POST B HTTP/1.1",
            "Content-ID: 3",
            "POST $5/x HTTP/1.1",
            "Content-ID: 2",
            "GET C HTTP/1.1",
            "GET $z HTTP/1.1",
            "Content-ID: z",
            "GET Z HTTP/1.1",
        ]
    );
    // The lenient reader reads it back, and says what it tolerated.
    let decoded = decode(
        &encoder.to_bytes(),
        Some(encoder.content_type().as_bytes()),
        &DecodeOptions::lenient().with_dialect(Dialect::OdataV4),
    )
    .unwrap();
    let tolerated: Vec<_> = decoded.tolerated.iter().map(|t| t.kind).collect();
    assert_eq!(
        tolerated,
        [
            ToleranceKind::DuplicateContentId,
            ToleranceKind::QueryInChangeset
        ]
    );

    // OData V2 wants changes in changesets.
    let mut change = one(SubRequest::new(Method::DELETE, "Customers(1)"));
    change.push(SubRequest::new(Method::GET, "Customers"));
    let written = write_request(
        &change,
        &WriteOptions::lenient().with_dialect(Dialect::OdataV2),
    )
    .unwrap();
    let report: Vec<_> = written
        .extensions()
        .get::<WriteReport>()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        report,
        [
            "item 1: request that changes data written outside atomic groups: the odata-v2 dialect puts changes in changesets"
        ]
    );
    assert!(
        written
            .body()
            .windows(29)
            .any(|w| w == b"DELETE Customers(1) HTTP/1.1\r")
    );

    // What would make the output unreadable is refused all the same.
    let lenient = WriteOptions::lenient();
    let injected = one(SubRequest::new(Method::GET, "A").with_header("X", "a\r\nInjected: 1"));
    assert_eq!(
        request_error(&injected, &lenient).0,
        WriteErrorKind::InvalidHeader
    );
    let named = one(SubRequest::new(Method::GET, "A").with_header("Bad Name", "x"));
    assert_eq!(
        request_error(&named, &lenient).0,
        WriteErrorKind::InvalidHeader
    );
    let clash = one(SubRequest::new(Method::POST, "A").with_body("--b\r\n"));
    assert_eq!(
        request_error(&clash, &lenient.clone().with_boundary("b")).0,
        WriteErrorKind::BoundaryInBody
    );
    let target = one(SubRequest::new(Method::GET, "a\nb"));
    assert_eq!(
        request_error(&target, &lenient).0,
        WriteErrorKind::InvalidTarget
    );
}

#[test]
fn duplicate_ids_in_a_changeset_only_matter_to_odata_v4() {
    let mut batch = BatchRequest::new();
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "A").with_id("1"),
        SubRequest::new(Method::POST, "B").with_id("x"),
        SubRequest::new(Method::POST, "C").with_id("1"),
    ]));
    Encoder::request(&batch, &WriteOptions::new(Dialect::OdataV2)).unwrap();
    assert_eq!(
        request_error(&batch, &WriteOptions::new(Dialect::OdataV4)),
        (
            WriteErrorKind::DuplicateContentId,
            "expected a Content-ID unique in its changeset, found \"1\" again (first at item 1.1) at item 1.3"
                .to_owned()
        )
    );
}

#[test]
fn chosen_boundaries_are_checked() {
    let batch = one(SubRequest::new(Method::POST, "A").with_body("x\r\n--b-more\r\n"));
    assert_eq!(
        request_error(&batch, &WriteOptions::default().with_boundary("b")),
        (
            WriteErrorKind::BoundaryInBody,
            "expected a boundary that starts no line of the content, found a line starting with \"--b\" in the body at item 1"
                .to_owned()
        )
    );
    // Boundary text that starts no line is fine.
    Encoder::request(
        &one(SubRequest::new(Method::POST, "A").with_body("x--b\r\n-x--b--")),
        &WriteOptions::default().with_boundary("b"),
    )
    .unwrap();

    let named = one(SubRequest::new(Method::GET, "A").with_header("--b-trace", "1"));
    assert_eq!(
        request_error(&named, &WriteOptions::default().with_boundary("b")).1,
        "expected a boundary that starts no line of the content, found a line starting with \"--b\" in the header name \"--b-trace\" of the embedded message at item 1"
    );
    let method = one(SubRequest::new(Method::from_bytes(b"--b").unwrap(), "A"));
    assert_eq!(
        request_error(&method, &WriteOptions::default().with_boundary("b")).1,
        "expected a boundary that starts no line of the content, found a line starting with \"--b\" in the request line at item 1"
    );

    let mut group = BatchRequest::new();
    group.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "A"),
        SubRequest::new(Method::POST, "B").with_body("--cs"),
    ]));
    assert_eq!(
        request_error(
            &group,
            &WriteOptions::default().with_changeset_boundary("cs")
        )
        .1,
        "expected a boundary that starts no line of the content, found a line starting with \"--cs\" in the body at item 1.2"
    );
    assert_eq!(
        request_error(
            &group,
            &WriteOptions::default()
                .with_boundary("b")
                .with_changeset_boundary("b_1")
        ),
        (
            WriteErrorKind::InvalidBoundary,
            "expected a changeset boundary that does not start with the batch boundary \"b\", found \"b_1\""
                .to_owned()
        )
    );
    for bad in ["", "ends in space ", "at@sign", &"x".repeat(71)] {
        let (kind, message) = request_error(&batch, &WriteOptions::default().with_boundary(bad));
        assert_eq!(kind, WriteErrorKind::InvalidBoundary);
        assert!(
            message.starts_with(
                "expected a batch boundary of 1 to 70 letters, digits or '()+_,-./:=? not ending in a space (RFC 2046), found"
            ),
            "{message}"
        );
    }
    // A fresh boundary is never one a body line starts with.
    let encoder = Encoder::request(&batch, &WriteOptions::default()).unwrap();
    assert!(encoder.boundary().starts_with("batch_"));
}
