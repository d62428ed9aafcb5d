//! Every format read from fixtures written for this project, checked member by member, then
//! written back byte for byte and read again to the same model.

use std::path::PathBuf;

use batchwire_core::{
    BatchMessage, BatchRequest, BatchResponse, Item, SubRequest, SubResponse, ToleranceKind,
};
use batchwire_core::{Loss, LossKind, Position};
use batchwire_json::{DecodeOptions, JsonFormat, WriteOptions, decode, detect, encode};
use bytes::Bytes;
use http::Method;

fn fixture(format: JsonFormat, file: &str) -> Bytes {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format.name())
        .join(file);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Bytes::from(text).trim_ascii_end().to_vec().into()
}

/// Reads a fixture strictly, writes it back and reads that again.
fn round_trip(format: JsonFormat, file: &str) -> (Bytes, BatchMessage) {
    let input = fixture(format, file);
    let decoded =
        decode(&input, format, &DecodeOptions::strict()).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(decoded.tolerated.is_empty());
    let detected = if format == JsonFormat::MsGraph {
        JsonFormat::OdataJson
    } else {
        format
    };
    assert_eq!(detect(None, &input), Some(detected), "{file}");
    let written = encode(&decoded.message, format, &WriteOptions::default())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(
        written.report.losses.is_empty(),
        "{file}: {:?}",
        written.report.losses
    );
    assert_eq!(
        String::from_utf8_lossy(&written.body),
        String::from_utf8_lossy(&input),
        "{format} {file} written back"
    );
    let again = decode(&written.body, format, &DecodeOptions::strict()).unwrap();
    assert_eq!(again.message, decoded.message, "{file}");
    (input, decoded.message)
}

fn requests(message: &BatchMessage) -> Vec<&SubRequest> {
    message
        .as_request()
        .expect("a request batch")
        .operations()
        .collect()
}

fn responses(message: &BatchMessage) -> Vec<&SubResponse> {
    message
        .as_response()
        .expect("a response batch")
        .operations()
        .collect()
}

fn is_slice_of(input: &Bytes, body: &Bytes) -> bool {
    input.as_ptr_range().contains(&body.as_ptr()) && body.len() <= input.len()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn odata_request_every_member() {
    let (input, message) = round_trip(JsonFormat::OdataJson, "request.json");
    let batch: &BatchRequest = message.as_request().unwrap();
    assert_eq!(text(batch.extra.get("@trace.id").unwrap()), "\"abc\"");
    assert_eq!(batch.items.len(), 6);
    let Item::Group(g1) = &batch.items[1] else {
        panic!("a group")
    };
    assert_eq!(g1.id.as_deref(), Some("g1"));
    assert_eq!(g1.operations.len(), 2);
    let ops = requests(&message);
    let ids: Vec<_> = ops.iter().map(|o| o.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["r1", "c1", "c2", "t1", "b1", "p1", "d1"]);
    assert_eq!(ops[0].headers.get("If-None-Match"), Some(&b"W/\"1\""[..]));
    // The JSON body is the exact text: big numbers, escapes and key order kept, no copy.
    assert_eq!(
        text(&ops[1].body),
        r#"{"ID":10,"big":123456789012345678901234567890,"pi":0.1000000000000000055511151231257827,"name":"B\u00e4rbel \"B\"","z":1,"a":2}"#
    );
    assert!(is_slice_of(&input, &ops[1].body));
    assert_eq!(text(&ops[2].body), r#"[1,"two",null,true]"#);
    assert_eq!(ops[2].depends_on, ["c1"]);
    assert_eq!(ops[2].target, "$c1/orders");
    assert_eq!(ops[3].depends_on, ["g1"]);
    // text/plain: the unescaped text (a copy, since it had escapes).
    assert_eq!(text(&ops[3].body), "line one\nline \"two\"");
    assert_eq!(text(ops[3].extra.get("if").unwrap()), "\"$g1/$succeeded\"");
    // Anything else: base64url decoded.
    assert_eq!(&ops[4].body[..], b"\x89PNG\r\n\x1a\n\xfb\xff");
    assert_eq!(
        text(ops[4].extra.get("@core.note").unwrap()),
        r#"{"by":"test"}"#
    );
    // No content-type: JSON, even a string.
    assert_eq!(text(&ops[5].body), "\"a JSON string body\"");
    assert!(is_slice_of(&input, &ops[5].body));
    assert_eq!(ops[6].method, Method::DELETE);
    assert!(ops[6].body.is_empty());
}

#[test]
fn odata_response_every_member() {
    let (input, message) = round_trip(JsonFormat::OdataJson, "response.json");
    let batch: &BatchResponse = message.as_response().unwrap();
    assert_eq!(
        batch.options.next_link.as_deref(),
        Some("$batch?$skiptoken=2")
    );
    assert_eq!(text(batch.extra.get("@trace.id").unwrap()), "\"abc\"");
    // Responses come in any order: the members of g1 are apart, so two runs of g1.
    let groups: Vec<_> = batch
        .items
        .iter()
        .map(|i| match i {
            Item::Group(g) => g.id.clone(),
            Item::Operation(_) => None,
        })
        .collect();
    assert_eq!(groups[0].as_deref(), Some("g1"));
    assert_eq!(groups[2].as_deref(), Some("g1"));
    let ops = responses(&message);
    assert_eq!(ops[0].status, 201);
    assert_eq!(
        text(&ops[0].body),
        r#"{"ID":7,"amount":123456789012345678901234567890.01}"#
    );
    assert!(is_slice_of(&input, &ops[0].body));
    assert_eq!(text(&ops[3].body), "4");
    assert!(
        is_slice_of(&input, &ops[3].body),
        "text without escapes is a slice"
    );
    assert_eq!(&ops[4].body[..], [0, 1, 2, 3, 4, 5, 0xfb, 0xef]);
    assert_eq!(ops[5].status, 204);
    assert!(ops[5].body.is_empty() && ops[5].headers.is_empty());
    assert_eq!(text(&ops[6].body), "\"a JSON string\"");
    assert_eq!(
        text(ops[6].extra.get("@core.etag").unwrap()),
        r#""W/\"3\"""#
    );
}

#[test]
fn odata_reading_tolerates_what_peers_write() {
    let input = Bytes::from_static(
        br#"{"requests":[{"id":"x","method":"get","url":"A","headers":{"content-type":"image/png","x-count":5},"body":"iVBORw0KGgr7/w"}]}"#,
    );
    let lenient = decode(&input, JsonFormat::OdataJson, &DecodeOptions::lenient()).unwrap();
    let kinds: Vec<_> = lenient.tolerated.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            ToleranceKind::ValueCoerced,
            ToleranceKind::BodyNotAllowed,
            ToleranceKind::NonCanonicalBase64
        ]
    );
    let op = requests(&lenient.message)[0].clone();
    assert_eq!(op.method, Method::GET);
    assert_eq!(op.headers.get("x-count"), Some(&b"5"[..]));
    assert_eq!(&op.body[..], b"\x89PNG\r\n\x1a\n\xfb\xff");
    let strict = decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict()).unwrap_err();
    assert_eq!(
        strict.to_string(),
        "expected a string header value at /requests/0/headers/x-count, found a number 5 at byte 96 (line 1, column 97)"
    );
}

#[test]
fn msgraph_request_and_response() {
    let (_, message) = round_trip(JsonFormat::MsGraph, "request.json");
    let ops = requests(&message);
    assert_eq!(
        ops[0].headers.get("consistencylevel"),
        Some(&b"eventual"[..])
    );
    assert_eq!(ops[2].depends_on, ["2"]);
    assert_eq!(&ops[2].body[..], [0, 1, 2, 3, 4, 5, 0xfb, 0xef]);
    let (_, message) = round_trip(JsonFormat::MsGraph, "response.json");
    let ops = responses(&message);
    assert_eq!(ops[0].status, 424);
    assert_eq!(
        ops[1].headers.find("cache-control").unwrap().name(),
        b"Cache-Control"
    );
    assert_eq!(&ops[2].body[..], b"\xff\xd8\xff\xe0\x00\x10JFIF");
    assert!(ops[3].body.is_empty());
    assert_eq!(ops[4].headers.get("retry-after"), Some(&b"10"[..]));
    assert!(message.as_response().unwrap().options.next_link.is_some());
}

#[test]
fn msgraph_rules() {
    // Ids compare case-insensitively in Graph, not in OData.
    let input = Bytes::from_static(br#"{"requests":[{"id":"A","method":"GET","url":"/me"},{"id":"a","method":"GET","url":"/me"}]}"#);
    decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict()).unwrap();
    let err = decode(&input, JsonFormat::MsGraph, &DecodeOptions::strict()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected each id once in a batch, found \"a\" again at /requests/1/id"),
        "{err}"
    );
    // A body needs a Content-Type.
    let input = Bytes::from_static(
        br#"{"requests":[{"id":"1","method":"POST","url":"/me/events","body":{"a":1}}]}"#,
    );
    let err = decode(&input, JsonFormat::MsGraph, &DecodeOptions::strict()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected a Content-Type header with the body at /requests/0/body"),
        "{err}"
    );
    let lenient = decode(&input, JsonFormat::MsGraph, &DecodeOptions::lenient()).unwrap();
    assert_eq!(
        lenient.tolerated[0].kind,
        ToleranceKind::BodyWithoutContentType
    );
    // Writing adds it, and says so.
    let written = encode(
        &lenient.message,
        JsonFormat::MsGraph,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        written.report.losses,
        [Loss::new(
            Some(Position::item(0)),
            LossKind::ContentTypeAdded
        )]
    );
    assert!(text(&written.body).contains(r#""headers":{"Content-Type":"application/json"}"#));
    // At most 20 requests, and standard base64 is read.
    let many: Vec<String> = (0..21)
        .map(|i| format!(r#"{{"id":"{i}","method":"GET","url":"/me"}}"#))
        .collect();
    let input = Bytes::from(format!(r#"{{"requests":[{}]}}"#, many.join(",")));
    let err = decode(&input, JsonFormat::MsGraph, &DecodeOptions::strict()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected at most 20 operations in one Microsoft Graph batch, found 21"),
        "{err}"
    );
    let lenient = decode(&input, JsonFormat::MsGraph, &DecodeOptions::lenient()).unwrap();
    assert_eq!(lenient.tolerated[0].kind, ToleranceKind::TooManyOperations);
    let err = encode(
        &lenient.message,
        JsonFormat::MsGraph,
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected at most 20 requests in a Microsoft Graph batch, found 21"
    );
    let input = Bytes::from_static(br#"{"responses":[{"id":"1","status":200,"headers":{"Content-Type":"image/jpeg"},"body":"/9j/4AAQSkZJRg=="}]}"#);
    // Graph's own alphabet: read in strict mode, nothing to report.
    let strict = decode(&input, JsonFormat::MsGraph, &DecodeOptions::strict()).unwrap();
    assert_eq!(
        &responses(&strict.message)[0].body[..],
        b"\xff\xd8\xff\xe0\x00\x10JFIF"
    );
    assert!(strict.tolerated.is_empty());
}

#[test]
fn salesforce_composite_request_and_response() {
    let (input, message) = round_trip(JsonFormat::SalesforceComposite, "request.json");
    let batch = message.as_request().unwrap();
    assert_eq!(batch.options.all_or_none, Some(true));
    assert_eq!(batch.options.collate_subrequests, Some(false));
    let [Item::Group(group)] = batch.items.as_slice() else {
        panic!("allOrNone is one group")
    };
    assert_eq!(group.id, None);
    let ops = requests(&message);
    assert_eq!(ops[0].id.as_deref(), Some("refAccount"));
    assert!(text(&ops[0].body).contains("123456789012345678901234567890"));
    assert!(is_slice_of(&input, &ops[0].body));
    assert_eq!(
        ops[1].headers.get("sforce-query-options"),
        Some(&b"batchSize=200"[..])
    );
    // References found in the URL and the body become dependencies.
    assert_eq!(ops[2].depends_on, ["q1", "refAccount"]);
    assert_eq!(ops[3].depends_on, ["refAccount"]);
    assert_eq!(ops[3].id.as_deref(), Some("del_1"));
    let (_, message) = round_trip(JsonFormat::SalesforceComposite, "response.json");
    let ops = responses(&message);
    assert_eq!(ops[0].status, 201);
    assert_eq!(
        ops[0].headers.get("location").map(text),
        Some("/services/data/v60.0/sobjects/Account/001R00000033I6AIAU")
    );
    assert!(text(&ops[1].body).starts_with("[{\"errorCode\":\"PROCESSING_HALTED\""));
    assert!(ops[2].body.is_empty());
    assert_eq!(text(ops[2].extra.get("newField").unwrap()), "[1,2]");
}

#[test]
fn salesforce_composite_rules() {
    let reject = |json: &'static str| {
        decode(
            &Bytes::from_static(json.as_bytes()),
            JsonFormat::SalesforceComposite,
            &DecodeOptions::strict(),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        reject(
            r#"{"compositeRequest":[{"method":"GET","url":"/a/@{later.id}","referenceId":"first"},{"method":"GET","url":"/b","referenceId":"later"}]}"#
        ),
        "expected a reference to an earlier referenceId at /compositeRequest/0/url, found @{later.id}, which names no earlier subrequest at byte 47 (line 1, column 48)"
    );
    assert_eq!(
        reject(
            r#"{"compositeRequest":[{"method":"POST","url":"/a","referenceId":"a","body":{"x":"@{nope.id}"}}]}"#
        ),
        "expected a reference to an earlier referenceId at /compositeRequest/0/body, found @{nope.id}, which names no earlier subrequest at byte 80 (line 1, column 81)"
    );
    assert!(reject(r#"{"compositeRequest":[{"method":"get","url":"/a","referenceId":"a"}]}"#)
        .starts_with("expected one of GET, POST, PUT, PATCH or DELETE (upper case) at /compositeRequest/0/method, found a string \"get\""));
    assert!(reject(r#"{"compositeRequest":[{"method":"GET","url":"/a","referenceId":"_a"}]}"#)
        .starts_with("expected a referenceId of letters, digits and \"_\" starting with a letter or digit at /compositeRequest/0/referenceId"));
    assert!(reject(r#"{"compositeRequest":[{"method":"GET","url":"/a","referenceId":"a"},{"method":"GET","url":"/b","referenceId":"a"}]}"#)
        .starts_with("expected each referenceId once, found \"a\" again at /compositeRequest/1/referenceId, first at /compositeRequest/0/referenceId"));
    assert!(reject(r#"{"compositeRequest":[{"method":"GET","url":"/a","referenceId":"a","httpHeaders":{"Content-Type":"x"}}]}"#)
        .starts_with("expected no Accept, Authorization or Content-Type in httpHeaders at /compositeRequest/0/httpHeaders"));
    assert!(reject(r#"{"compositeRequest":[{"method":"GET","url":"/a","referenceId":"a","priority":1}]}"#)
        .starts_with("expected a member the format defines, found \"priority\" at /compositeRequest/0/priority"));
    assert!(
        reject(r#"{"compositeRequest":[{"method":"GET","url":"/a/@{x","referenceId":"a"}]}"#)
            .starts_with("expected a reference @{referenceId.path} at /compositeRequest/0/url")
    );
    let many: Vec<String> = (0..26)
        .map(|i| format!(r#"{{"method":"GET","url":"/a","referenceId":"r{i}"}}"#))
        .collect();
    let input = Bytes::from(format!(r#"{{"compositeRequest":[{}]}}"#, many.join(",")));
    let err = decode(
        &input,
        JsonFormat::SalesforceComposite,
        &DecodeOptions::strict(),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "expected at most 25 operations in one Salesforce Composite batch, found 26"
        )
    );
    // Leniently, unknown members and the old referenceId charset are kept and reported.
    let input = Bytes::from_static(
        br#"{"compositeRequest":[{"method":"GET","url":"/a","referenceId":"a-b","priority":1}]}"#,
    );
    let lenient = decode(
        &input,
        JsonFormat::SalesforceComposite,
        &DecodeOptions::lenient(),
    )
    .unwrap();
    let kinds: Vec<_> = lenient.tolerated.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [ToleranceKind::IdCharacters, ToleranceKind::UnknownMember]
    );
    let written = encode(
        &lenient.message,
        JsonFormat::SalesforceComposite,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(&written.body[..], &input[..]);
}

#[test]
fn salesforce_composite_batch_request_and_response() {
    let (_, message) = round_trip(JsonFormat::SalesforceCompositeBatch, "request.json");
    let batch = message.as_request().unwrap();
    assert_eq!(batch.options.halt_on_error, Some(true));
    let ops = requests(&message);
    assert_eq!(ops[0].method, Method::PATCH);
    assert!(ops.iter().all(|o| o.id.is_none()));
    assert!(text(&ops[0].body).contains("123456789012345678901234567890"));
    assert!(ops[1].body.is_empty());
    assert_eq!(
        text(ops[2].extra.get("binaryPartNameAlias").unwrap()),
        "\"fileData\""
    );
    let (_, message) = round_trip(JsonFormat::SalesforceCompositeBatch, "response.json");
    let batch = message.as_response().unwrap();
    assert_eq!(batch.options.has_errors, Some(true));
    let statuses: Vec<u16> = batch.operations().map(|o| o.status.as_u16()).collect();
    assert_eq!(statuses, [204, 200, 412]);
    // hasErrors that disagrees with the statuses.
    let input =
        Bytes::from_static(br#"{"hasErrors":false,"results":[{"statusCode":400,"result":null}]}"#);
    let err = decode(
        &input,
        JsonFormat::SalesforceCompositeBatch,
        &DecodeOptions::strict(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected \"hasErrors\": true at /hasErrors as the statuses say, found false at byte 13 (line 1, column 14)"
    );
    let lenient = decode(
        &input,
        JsonFormat::SalesforceCompositeBatch,
        &DecodeOptions::lenient(),
    )
    .unwrap();
    assert_eq!(lenient.tolerated[0].kind, ToleranceKind::HasErrorsMismatch);
    let input = Bytes::from_static(
        br#"{"batchRequests":[{"method":"POST","url":"v60.0/x","binaryPartName":"p"}]}"#,
    );
    let err = decode(
        &input,
        JsonFormat::SalesforceCompositeBatch,
        &DecodeOptions::lenient(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with(
        "expected binaryPartName and binaryPartNameAlias together at /batchRequests/0"
    ));
}

#[test]
fn salesforce_composite_graph_request_and_response() {
    let (_, message) = round_trip(JsonFormat::SalesforceCompositeGraph, "request.json");
    let batch = message.as_request().unwrap();
    let ids: Vec<_> = batch
        .items
        .iter()
        .map(|i| match i {
            Item::Group(g) => g.id.as_deref().unwrap(),
            Item::Operation(_) => panic!("graphs are groups"),
        })
        .collect();
    assert_eq!(ids, ["graph1", "graph2"]);
    let ops = requests(&message);
    assert_eq!(ops[1].depends_on, ["newAccount"]);
    // A referenceId may repeat in another graph: references stay inside one graph.
    assert_eq!(ops[2].id.as_deref(), Some("newAccount"));
    let (_, message) = round_trip(JsonFormat::SalesforceCompositeGraph, "response.json");
    let batch = message.as_response().unwrap();
    let Item::Group(second) = &batch.items[1] else {
        panic!("a group")
    };
    assert_eq!(text(second.extra.get("isSuccessful").unwrap()), "false");
    assert_eq!(second.operations[0].status, 400);
    let input = Bytes::from_static(br#"{"graphs":[{"graphId":"g","compositeRequest":[]},{"graphId":"g","compositeRequest":[]}]}"#);
    let err = decode(
        &input,
        JsonFormat::SalesforceCompositeGraph,
        &DecodeOptions::strict(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected each graphId once, found \"g\" again at /graphs/1/graphId")
    );
}

#[test]
fn salesforce_sobject_tree_and_collections_responses() {
    let (input, message) = round_trip(JsonFormat::SalesforceSObjectTree, "response.json");
    let ops = responses(&message);
    let ids: Vec<_> = ops.iter().map(|o| o.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["ref1", "ref4", "ref2", "ref3"]);
    assert!(ops.iter().all(|o| o.status == 201));
    assert_eq!(
        text(&ops[0].body),
        r#"{"referenceId":"ref1","id":"001D000000K0fXOIAZ"}"#
    );
    assert!(is_slice_of(&input, &ops[0].body));
    let (_, message) = round_trip(JsonFormat::SalesforceSObjectTree, "response-errors.json");
    assert_eq!(responses(&message)[0].status, 400);
    assert_eq!(
        message.as_response().unwrap().options.has_errors,
        Some(true)
    );
    let (_, message) = round_trip(JsonFormat::SalesforceSObjectCollections, "response.json");
    let ops = responses(&message);
    let statuses: Vec<u16> = ops.iter().map(|o| o.status.as_u16()).collect();
    assert_eq!(statuses, [200, 400, 200, 204, 200]);
    assert!(ops[3].omitted);
    // Their requests are records, not operations.
    let records = Bytes::from_static(
        br#"{"allOrNone":false,"records":[{"attributes":{"type":"Account"},"Name":"a"}]}"#,
    );
    let err = decode(
        &records,
        JsonFormat::SalesforceSObjectCollections,
        &DecodeOptions::lenient(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected an sObject Collections response (an array), found an object")
    );
    let err = encode(
        &BatchMessage::Request(BatchRequest::new()),
        JsonFormat::SalesforceSObjectTree,
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), batchwire_core::WriteErrorKind::Unsupported);
}

#[test]
fn asana_request_and_response() {
    let (input, message) = round_trip(JsonFormat::Asana, "request.json");
    let ops = requests(&message);
    assert_eq!(ops[0].method, Method::GET);
    assert_eq!(ops[0].target, "/tasks/123");
    assert_eq!(
        text(&ops[0].body),
        r#"{"assignee":"me","workspace":"1337"}"#
    );
    assert!(is_slice_of(&input, &ops[0].body));
    assert!(
        text(ops[0].extra.get("options").unwrap())
            .contains(r#""offset":"eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9""#)
    );
    assert!(text(&ops[1].body).contains("123456789012345678901234567890"));
    assert!(ops[2].body.is_empty());
    let (_, message) = round_trip(JsonFormat::Asana, "response.json");
    let ops = responses(&message);
    let statuses: Vec<u16> = ops.iter().map(|o| o.status.as_u16()).collect();
    assert_eq!(statuses, [200, 201, 403]);
    assert_eq!(ops[1].headers.get("Location"), Some(&b"/tasks/1967"[..]));
    let reject = |json: &'static str| {
        decode(
            &Bytes::from_static(json.as_bytes()),
            JsonFormat::Asana,
            &DecodeOptions::strict(),
        )
        .unwrap_err()
        .to_string()
    };
    assert!(
        reject(r#"{"actions":[]}"#).starts_with("expected the actions inside a \"data\" envelope")
    );
    assert!(
        reject(r#"{"data":{"actions":[]}}"#)
            .starts_with("expected 1 to 10 actions at /data/actions, found none")
    );
    assert!(
        reject(r#"{"data":{"actions":[{"relative_path":"/tasks?x=1","method":"get"}]}}"#)
            .starts_with("expected a path without a query string at /data/actions/0/relative_path")
    );
    assert!(
        reject(r#"{"data":{"actions":[{"relative_path":"/tasks","method":"fetch"}]}}"#)
            .starts_with(
                "expected one of get, post, put, delete, patch or head at /data/actions/0/method"
            )
    );
    assert!(
        reject(r#"{"data":[{"status_code":"201","headers":{},"body":null}]}"#).starts_with(
            "expected a status code number at /data/0/status_code, found a string \"201\""
        )
    );
    let lenient = decode(
        &Bytes::from_static(br#"{"data":[{"status_code":"201","headers":{},"body":null}]}"#),
        JsonFormat::Asana,
        &DecodeOptions::lenient(),
    )
    .unwrap();
    assert_eq!(responses(&lenient.message)[0].status, 201);
    let actions: Vec<String> = (0..11)
        .map(|_| r#"{"relative_path":"/x","method":"get"}"#.to_owned())
        .collect();
    let input = Bytes::from(format!(
        r#"{{"data":{{"actions":[{}]}}}}"#,
        actions.join(",")
    ));
    let err = decode(&input, JsonFormat::Asana, &DecodeOptions::strict()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected at most 10 operations in one Asana batch, found 11"),
        "{err}"
    );
}

#[test]
fn meta_graph_request_and_response() {
    let (input, message) = round_trip(JsonFormat::MetaGraph, "request.json");
    let ops = requests(&message);
    assert_eq!(ops[0].id.as_deref(), Some("get-friends"));
    assert_eq!(
        text(ops[0].extra.get("omit_response_on_success").unwrap()),
        "false"
    );
    assert_eq!(ops[1].depends_on, ["get-friends"]);
    assert_eq!(ops[2].headers.get_all("x-header").count(), 2);
    assert_eq!(
        text(&ops[2].body),
        "message=Hello%20there&link=https%3A%2F%2Fexample.org"
    );
    assert!(is_slice_of(&input, &ops[2].body));
    let (_, message) = round_trip(JsonFormat::MetaGraph, "response.json");
    let ops = responses(&message);
    // The body is the JSON text inside the string, unescaped.
    assert_eq!(
        text(&ops[0].body),
        r#"{"id":"1234567890123456789","name":"Page \u00e9"}"#
    );
    assert_eq!(ops[0].headers.get_all("set-cookie").count(), 2);
    assert!(ops[1].omitted);
    assert_eq!(ops[2].status, 400);
    let reject = |json: &'static str| {
        decode(
            &Bytes::from_static(json.as_bytes()),
            JsonFormat::MetaGraph,
            &DecodeOptions::strict(),
        )
        .unwrap_err()
        .to_string()
    };
    assert!(reject(r#"[{"method":"GET","relative_url":"?ids={result=later:$.id}"},{"method":"GET","relative_url":"me","name":"later"}]"#)
        .starts_with("expected a reference to an earlier operation's name at /0/relative_url, found {result=later:$.id}"));
    assert!(
        reject(r#"[{"method":"GET","relative_url":"me","depends_on":"x"}]"#)
            .starts_with("expected the name of an earlier operation at /0/depends_on, found \"x\"")
    );
    assert!(reject(r#"[{"method":"GET","relative_url":"me","name":"a"},{"method":"GET","relative_url":"me","name":"a"}]"#)
        .starts_with("expected each name once in a batch, found \"a\" again at /1/name"));
}

#[test]
fn a_reference_without_depends_on_gets_one_when_written() {
    use batchwire_core::AtomicGroup;

    // As a multipart changeset carries it: `$1` orders the requests without a dependsOn.
    let mut batch = BatchRequest::new();
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::POST, "Customers")
            .with_id("1")
            .with_body(r#"{"ID":7}"#),
        SubRequest::new(Method::POST, "$1/orders")
            .with_id("2")
            .with_body(r#"{"ID":9}"#),
    ]));
    batch.push_group(AtomicGroup::new(vec![
        SubRequest::new(Method::PATCH, "$2")
            .with_id("3")
            .with_body(r#"{"amount":1}"#),
    ]));
    batch.push(SubRequest::new(Method::GET, "$1?$expand=orders").with_dependency("g1"));
    let written = encode(&batch, JsonFormat::OdataJson, &WriteOptions::default()).unwrap();
    // Within the group the request is named; from another group, its group (the only form
    // that odata.net accepts); a declared group is enough.
    assert_eq!(
        written.report.losses,
        [
            Loss::new(
                Some(Position::member(0, 1)),
                LossKind::DependencyAdded { on: "1".into() }
            ),
            Loss::new(
                Some(Position::member(1, 0)),
                LossKind::DependencyAdded { on: "g1".into() }
            ),
            Loss::new(
                Some(Position::item(2)),
                LossKind::IdInvented { id: "4".into() }
            ),
        ]
    );
    let text = text(&written.body);
    assert!(
        text.contains(
            r#""id":"2","atomicityGroup":"g1","dependsOn":["1"],"method":"POST","url":"$1/orders""#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#""id":"3","atomicityGroup":"g2","dependsOn":["g1"],"method":"PATCH""#),
        "{text}"
    );
    assert!(
        text.contains(r#""dependsOn":["g1"],"method":"GET""#),
        "{text}"
    );
    // What is written reads back strictly.
    let read = decode(
        &written.body,
        JsonFormat::OdataJson,
        &DecodeOptions::strict(),
    )
    .unwrap();
    assert_eq!(read.message.operation_count(), 4);
}

/// Every format of `JsonFormat::ALL` has its fixtures, read strictly, detected, written back
/// byte for byte and read again: a format added without them fails here.
#[test]
fn every_format_round_trips_its_fixtures() {
    for format in JsonFormat::ALL {
        if format.has_requests() {
            round_trip(format, "request.json");
        }
        round_trip(format, "response.json");
    }
}
