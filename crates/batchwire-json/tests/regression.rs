//! Regressions found by review: each test names the fault it guards against. Whole messages
//! are asserted, as users read them.

use batchwire_core::{
    BatchMessage, BatchOptions, BatchRequest, BatchResponse, Limits, Loss, LossKind,
    ParseErrorKind as K, Position, SubRequest, SubResponse, ToleranceKind, WriteErrorKind,
};
use batchwire_json::{DecodeOptions, JsonFormat, WriteOptions, decode, detect, encode};
use bytes::Bytes;
use http::{Method, StatusCode};

fn strict(format: JsonFormat, input: &str) -> Result<BatchMessage, String> {
    let input = Bytes::copy_from_slice(input.as_bytes());
    decode(&input, format, &DecodeOptions::strict())
        .map(|d| d.message)
        .map_err(|e| {
            assert!(e.offset() <= input.len());
            e.to_string()
        })
}

/// `at byte N (line 1, column N+1)` for a one-line input.
fn at(offset: usize) -> String {
    format!("at byte {offset} (line 1, column {})", offset + 1)
}

fn merge() -> Method {
    Method::from_bytes(b"MERGE").unwrap()
}

// Reference scanning: each opener searched afresh for the same far `}` (quadratic), every
// reference collected before the first error, and no bound on their number.

fn salesforce_body(body: &str) -> String {
    format!(
        r#"{{"compositeRequest":[{{"method":"POST","url":"/x","referenceId":"a","body":"{body}"}}]}}"#
    )
}

fn meta_body(body: &str) -> String {
    format!(r#"[{{"method":"POST","relative_url":"x","body":"{body}"}}]"#)
}

#[test]
fn half_a_million_reference_openers_stop_at_the_first_in_strict_mode() {
    let input = salesforce_body(&("@{".repeat(500_000) + "}"));
    let first = input.find("@{").unwrap();
    assert_eq!(
        strict(JsonFormat::SalesforceComposite, &input).unwrap_err(),
        format!(
            "expected a reference @{{referenceId.path}} at /compositeRequest/0/body, found \"@{{\" without one {}",
            at(first)
        )
    );
    let input = meta_body(&("{result=".repeat(100_000) + "}"));
    let first = input.find("{result=").unwrap();
    assert_eq!(
        strict(JsonFormat::MetaGraph, &input).unwrap_err(),
        format!(
            "expected {{result=name:$.path}} at /0/body, found \"{{result=\" without one {}",
            at(first)
        )
    );
}

#[test]
fn half_a_million_reference_openers_exceed_the_limit_in_lenient_mode() {
    let input = Bytes::from(salesforce_body(&("@{".repeat(500_000) + "}")));
    let err = decode(
        &input,
        JsonFormat::SalesforceComposite,
        &DecodeOptions::lenient(),
    )
    .unwrap_err();
    let past = input.find_at(10_000);
    assert_eq!(
        err.to_string(),
        format!(
            "expected at most 10000 references in one operation at /compositeRequest/0 (the limit on operations), found 500000 {}",
            at(past)
        )
    );
    assert_eq!(err.kind(), K::LimitExceeded);

    let input = Bytes::from(meta_body(&("{result=".repeat(20_000) + "}")));
    let err = decode(&input, JsonFormat::MetaGraph, &DecodeOptions::lenient()).unwrap_err();
    let text = std::str::from_utf8(&input).unwrap();
    let past = text.match_indices("{result=").nth(10_000).unwrap().0;
    assert_eq!(
        err.to_string(),
        format!(
            "expected at most 10000 references in one operation at /0 (the limit on operations), found 20000 {}",
            at(past)
        )
    );
    // Without any `}`, no opener after the first can close: one is reported.
    let input = Bytes::from(meta_body(&"{result=".repeat(20_000)));
    let decoded = decode(&input, JsonFormat::MetaGraph, &DecodeOptions::lenient()).unwrap();
    let offsets: Vec<_> = decoded.tolerated.iter().map(|t| t.offset).collect();
    assert_eq!(offsets, [input.len() - 20_000 * 8 - 3]);
}

trait FindAt {
    /// The offset of the `n`th (from 0) `@{` in the input.
    fn find_at(&self, n: usize) -> usize;
}

impl FindAt for Bytes {
    fn find_at(&self, n: usize) -> usize {
        let text = std::str::from_utf8(self).unwrap();
        text.match_indices("@{").nth(n).unwrap().0
    }
}

#[test]
fn references_are_bounded_by_the_operation_limit() {
    let body = r#"{\"a\":\"@{a.x} @{a.y} @{a.z}\"}"#;
    let input = format!(
        r#"{{"compositeRequest":[{{"method":"GET","url":"/a","referenceId":"a"}},{{"method":"POST","url":"/@{{a.id}}","referenceId":"b","body":"{body}"}}]}}"#
    );
    let options = DecodeOptions::strict().with_limits(Limits::default().with_max_parts(3));
    let err = decode(
        &Bytes::from(input.clone()),
        JsonFormat::SalesforceComposite,
        &options,
    )
    .unwrap_err();
    let fourth = input.match_indices("@{").nth(3).unwrap().0;
    assert_eq!(
        err.to_string(),
        format!(
            "expected at most 3 references in one operation at /compositeRequest/1 (the limit on operations), found 4 {}",
            at(fourth)
        )
    );
    // Within the limit, every reference is checked and each subrequest named is one
    // dependency.
    let options = DecodeOptions::strict().with_limits(Limits::default().with_max_parts(4));
    let decoded = decode(
        &Bytes::from(input),
        JsonFormat::SalesforceComposite,
        &options,
    )
    .unwrap();
    let ops: Vec<_> = decoded.message.as_request().unwrap().operations().collect();
    assert_eq!(ops[1].depends_on, ["a"]);
}

#[test]
fn references_are_checked_in_input_order() {
    // A dangling reference before a malformed one is the error, and the reverse.
    let input = salesforce_body("@{zz.id} @{");
    assert_eq!(
        strict(JsonFormat::SalesforceComposite, &input).unwrap_err(),
        format!(
            "expected a reference to an earlier referenceId at /compositeRequest/0/body, found @{{zz.id}}, which names no earlier subrequest {}",
            at(input.find("@{zz").unwrap())
        )
    );
    let input = salesforce_body("@{ @{a.id}");
    assert_eq!(
        strict(JsonFormat::SalesforceComposite, &input).unwrap_err(),
        format!(
            "expected a reference @{{referenceId.path}} at /compositeRequest/0/body, found \"@{{\" without one {}",
            at(input.find("@{").unwrap())
        )
    );
    // Lenient: each malformed opener is a tolerance at the opener itself.
    let input = Bytes::from(salesforce_body("x @{ y @{}"));
    let decoded = decode(
        &input,
        JsonFormat::SalesforceComposite,
        &DecodeOptions::lenient(),
    )
    .unwrap();
    let offsets: Vec<_> = decoded.tolerated.iter().map(|t| t.offset).collect();
    assert_eq!(offsets, [input.find_at(0), input.find_at(1)]);
    assert!(
        decoded
            .tolerated
            .iter()
            .all(|t| t.kind == ToleranceKind::MalformedReference)
    );
}

#[test]
fn meta_reference_errors_point_at_the_reference() {
    let input = r#"[{"method":"GET","relative_url":"me","name":"a"},{"method":"GET","relative_url":"x?ids={result=a:$.id}&y={result=b:$.id}"}]"#;
    assert_eq!(
        strict(JsonFormat::MetaGraph, input).unwrap_err(),
        format!(
            "expected a reference to an earlier operation's name at /1/relative_url, found {{result=b:$.id}} {}",
            at(input.find("{result=b").unwrap())
        )
    );
    let input = r#"[{"method":"GET","relative_url":"me","name":"a"},{"method":"POST","relative_url":"x","body":"q={result=a:$.id}&r={result=c:$.id}"}]"#;
    assert_eq!(
        strict(JsonFormat::MetaGraph, input).unwrap_err(),
        format!(
            "expected a reference to an earlier operation's name at /1/body, found {{result=c:$.id}} {}",
            at(input.find("{result=c").unwrap())
        )
    );
    // In a string with escapes, offsets inside it do not map to the input: the member is
    // the place.
    let input = r#"[{"method":"POST","relative_url":"x","body":"q=\u0041{result=c:$.id}"}]"#;
    assert_eq!(
        strict(JsonFormat::MetaGraph, input).unwrap_err(),
        format!(
            "expected a reference to an earlier operation's name at /0/body, found {{result=c:$.id}} {}",
            at(input.find("\"q=").unwrap())
        )
    );
}

#[test]
fn meta_names_are_unique_and_known_to_later_operations() {
    let input = r#"[{"method":"GET","relative_url":"me","name":"a"},{"method":"GET","relative_url":"{result=a:$.id}","name":"b","depends_on":"a"},{"method":"GET","relative_url":"x","name":"a"}]"#;
    assert_eq!(
        strict(JsonFormat::MetaGraph, input).unwrap_err(),
        format!(
            "expected each name once in a batch, found \"a\" again at /2/name, first at byte {} {}",
            input.find("\"a\"").unwrap(),
            at(input.rfind("\"a\"").unwrap())
        )
    );
    let input = r#"[{"method":"GET","relative_url":"{result=a:$.id}","name":"a"}]"#;
    assert_eq!(
        strict(JsonFormat::MetaGraph, input).unwrap_err(),
        format!(
            "expected a reference to an earlier operation's name at /0/relative_url, found {{result=a:$.id}} {}",
            at(input.find("{result").unwrap())
        )
    );
}

#[test]
fn composite_writer_reports_dependencies_no_reference_names() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "/a").with_id("a"));
    batch.push(SubRequest::new(Method::GET, "/b").with_id("b"));
    batch.push(
        SubRequest::new(Method::POST, "/c/@{a.id}")
            .with_id("c")
            .with_body(r#"{"x":"@{a.id}","y":"@{"}"#)
            .with_dependency("a")
            .with_dependency("b"),
    );
    let written = encode(
        &batch,
        JsonFormat::SalesforceComposite,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        written.report.losses,
        [Loss::new(
            Some(Position::item(2)),
            LossKind::Dependency { on: "b".into() }
        )]
    );
}

// Methods: the writers emitted methods their own readers refuse, with no report.

/// Every format with requests, and the methods it allows.
const METHODS: [(JsonFormat, &[&str]); 7] = [
    (
        JsonFormat::OdataJson,
        &["GET", "POST", "PUT", "PATCH", "DELETE"],
    ),
    (
        JsonFormat::MsGraph,
        &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "MERGE"],
    ),
    (
        JsonFormat::SalesforceComposite,
        &["GET", "POST", "PUT", "PATCH", "DELETE"],
    ),
    (
        JsonFormat::SalesforceCompositeBatch,
        &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
    ),
    (
        JsonFormat::SalesforceCompositeGraph,
        &["GET", "POST", "PUT", "PATCH", "DELETE"],
    ),
    (
        JsonFormat::Asana,
        &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"],
    ),
    (
        JsonFormat::MetaGraph,
        &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "MERGE"],
    ),
];

fn one_request(method: Method) -> BatchMessage {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(method, "/items").with_id("r1"));
    batch.into()
}

#[test]
fn every_allowed_method_round_trips() {
    for (format, methods) in METHODS {
        for name in methods {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            let written = encode(
                &one_request(method.clone()),
                format,
                &WriteOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{format} {name}: {e}"));
            let read = decode(&written.body, format, &DecodeOptions::strict())
                .unwrap_or_else(|e| panic!("{format} {name}: {e}"));
            let op = read.message.as_request().unwrap().operations().next();
            assert_eq!(op.map(|op| &op.method), Some(&method), "{format}");
        }
    }
}

#[test]
fn a_method_the_format_refuses_is_not_written() {
    let refused = |format: JsonFormat, method: Method| {
        let err = encode(&one_request(method), format, &WriteOptions::default()).unwrap_err();
        assert_eq!(err.kind(), WriteErrorKind::InvalidValue);
        assert_eq!(err.position(), Some(Position::item(0)));
        err.to_string()
    };
    // An OData V2 multipart MERGE converted to OData JSON.
    assert_eq!(
        refused(JsonFormat::OdataJson, merge()),
        "expected a method OData JSON allows (GET, POST, PUT, PATCH or DELETE), found MERGE at item 1"
    );
    assert_eq!(
        refused(JsonFormat::OdataJson, Method::HEAD),
        "expected a method OData JSON allows (GET, POST, PUT, PATCH or DELETE), found HEAD at item 1"
    );
    for format in [
        JsonFormat::SalesforceComposite,
        JsonFormat::SalesforceCompositeGraph,
    ] {
        for method in [merge(), Method::HEAD] {
            assert_eq!(
                refused(format, method.clone()),
                format!(
                    "expected a method Salesforce Composite allows (GET, POST, PUT, PATCH or DELETE), found {method} at item 1"
                )
            );
        }
    }
    assert_eq!(
        refused(JsonFormat::SalesforceCompositeBatch, merge()),
        "expected a method Salesforce Composite Batch allows (GET, POST, PUT, PATCH, DELETE or HEAD), found MERGE at item 1"
    );
    assert_eq!(
        refused(JsonFormat::Asana, merge()),
        "expected a method Asana allows (get, post, put, delete, patch or head), found MERGE at item 1"
    );
    // An extension method spelled in lower case is not the standard method.
    assert_eq!(
        refused(JsonFormat::OdataJson, Method::from_bytes(b"get").unwrap()),
        "expected a method OData JSON allows (GET, POST, PUT, PATCH or DELETE), found get at item 1"
    );
}

// Batch options: one report for every format.

#[test]
fn options_a_format_cannot_carry_are_reported_alike() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "/a").with_id("a"));
    let mut options = BatchOptions::default();
    options.continue_on_error = Some(true);
    options.all_or_none = Some(false);
    options.halt_on_error = Some(true);
    options.collate_subrequests = Some(false);
    options.has_errors = Some(false);
    options.next_link = Some("next".into());
    batch.options = options;
    let message: BatchMessage = batch.into();
    let options_lost = |format: JsonFormat| -> Vec<&'static str> {
        encode(&message, format, &WriteOptions::default())
            .unwrap()
            .report
            .losses
            .into_iter()
            .filter_map(|l| match l.kind {
                LossKind::Option { name } => Some(name),
                _ => None,
            })
            .collect()
    };
    let all = [
        "continue_on_error",
        "all_or_none",
        "halt_on_error",
        "collate_subrequests",
        "has_errors",
        "next_link",
    ];
    // OData JSON asks for continue-on-error with the `Prefer` envelope header.
    assert_eq!(options_lost(JsonFormat::OdataJson), all[1..], "odata-json");
    for format in [
        JsonFormat::MsGraph,
        JsonFormat::SalesforceCompositeGraph,
        JsonFormat::Asana,
        JsonFormat::MetaGraph,
    ] {
        assert_eq!(options_lost(format), all, "{format}");
    }
    assert_eq!(
        options_lost(JsonFormat::SalesforceComposite),
        [
            "continue_on_error",
            "halt_on_error",
            "has_errors",
            "next_link"
        ]
    );
    assert_eq!(
        options_lost(JsonFormat::SalesforceCompositeBatch),
        [
            "continue_on_error",
            "all_or_none",
            "collate_subrequests",
            "has_errors",
            "next_link"
        ]
    );
    // A response's next link is OData JSON's own member.
    let mut responses = BatchResponse::new();
    responses.push(SubResponse::new(StatusCode::OK).with_id("a"));
    responses.options.next_link = Some("next".into());
    let written = encode(&responses, JsonFormat::OdataJson, &WriteOptions::default()).unwrap();
    assert!(
        written.report.losses.is_empty(),
        "{:?}",
        written.report.losses
    );
}

// Objects: every member stored, and a map built for the duplicate check, before any limit.

fn members(n: usize) -> String {
    (0..n)
        .map(|i| format!("\"m{i}\":\"0\""))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn a_headers_object_past_the_limit_gives_its_real_count() {
    let input = format!(
        r#"{{"requests":[{{"id":"a","method":"GET","url":"x","headers":{{{}}}}}]}}"#,
        members(1000)
    );
    assert_eq!(
        strict(JsonFormat::OdataJson, &input).unwrap_err(),
        format!(
            "expected at most 256 headers, found 1000 {}",
            at(input.find("{\"m0\"").unwrap())
        )
    );
    // A repeated name among the first members is still found first.
    let input = format!(
        r#"{{"requests":[{{"id":"a","method":"GET","url":"x","headers":{{"m0":"1",{}}}}}]}}"#,
        members(1000)
    );
    assert!(
        strict(JsonFormat::OdataJson, &input)
            .unwrap_err()
            .starts_with("expected each member name once in an object, found \"m0\" again")
    );
}

#[test]
fn an_operation_object_past_the_limit_gives_its_real_count() {
    let input = format!(
        r#"{{"requests":[{{"id":"a","method":"GET","url":"x",{}}}]}}"#,
        members(300)
    );
    let err = decode(
        &Bytes::from(input.clone()),
        JsonFormat::OdataJson,
        &DecodeOptions::lenient(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "expected at most 256 members in the object at /requests/0 (the limit on headers), found 303 {}",
            at(input.find("{\"id\"").unwrap())
        )
    );
    // A lowered header limit does not refuse an operation for its own members.
    let input = r#"{"requests":[{"id":"a","method":"GET","url":"x","headers":{"a":"1"}}]}"#;
    let options = DecodeOptions::strict().with_limits(Limits::default().with_max_headers(0));
    assert_eq!(
        decode(
            &Bytes::from_static(input.as_bytes()),
            JsonFormat::OdataJson,
            &options
        )
        .unwrap_err()
        .to_string(),
        format!(
            "expected at most 0 headers, found 1 {}",
            at(input.find("{\"a\"").unwrap())
        )
    );
}

#[test]
fn records_of_many_fields_are_bodies_and_not_bounded() {
    let record = format!(
        r#"{{"attributes":{{"type":"Account"}},{},"success":false}}"#,
        members(600)
    );
    let input = Bytes::from(format!("[{record}]"));
    assert_eq!(
        detect(None, &input),
        Some(JsonFormat::SalesforceSObjectCollections)
    );
    let decoded = decode(
        &input,
        JsonFormat::SalesforceSObjectCollections,
        &DecodeOptions::strict(),
    )
    .unwrap();
    let op = decoded.message.as_response().unwrap().operations().next();
    assert_eq!(op.map(|op| op.status), Some(StatusCode::BAD_REQUEST));
    assert_eq!(op.map(|op| op.body.len()), Some(record.len()));
    // The members read are still read once.
    let input = r#"[{"success":true,"success":false}]"#;
    assert!(
        strict(JsonFormat::SalesforceSObjectCollections, input)
            .unwrap_err()
            .starts_with("expected each member name once in an object, found \"success\" again")
    );
}

// Dependencies: each dependsOn entry looked up among all earlier ids (cubic). Time is not
// asserted; this checks that the maps give the same answers at scale.

#[test]
fn a_quarter_million_dependencies_are_read() {
    let n = 5_000;
    let mut requests = Vec::with_capacity(n);
    for i in 0..n {
        let deps: Vec<String> = (i.saturating_sub(50)..i)
            .map(|j| format!("\"r{j}\""))
            .collect();
        requests.push(format!(
            r#"{{"id":"r{i}","method":"GET","url":"x","dependsOn":[{}]}}"#,
            deps.join(",")
        ));
    }
    let input = format!(r#"{{"requests":[{}]}}"#, requests.join(","));
    let message = strict(JsonFormat::OdataJson, &input).unwrap();
    let last = message.as_request().unwrap().operations().last().unwrap();
    assert_eq!(last.depends_on.len(), 50);
}

#[test]
fn dependency_errors_say_what_the_name_is() {
    let input = r#"{"requests":[{"id":"a","method":"GET","url":"x","dependsOn":["b"]},{"id":"b","method":"GET","url":"y"}]}"#;
    assert_eq!(
        strict(JsonFormat::OdataJson, input).unwrap_err(),
        format!(
            "expected the id or atomicity group of a preceding request at /requests/0/dependsOn/0, found \"b\", which names a later request {}",
            at(input.find("\"b\"").unwrap())
        )
    );
    let input = r#"{"requests":[{"id":"a","method":"GET","url":"x","dependsOn":["A"]}]}"#;
    assert!(
        strict(JsonFormat::OdataJson, input)
            .unwrap_err()
            .contains("which names nothing in the batch")
    );
    // Graph compares ids and group names case-insensitively.
    assert!(
        strict(JsonFormat::MsGraph, input)
            .unwrap_err()
            .contains("which names itself or its own group")
    );
    let input = r#"{"requests":[{"id":"a","atomicityGroup":"G","method":"GET","url":"x","headers":{}},{"id":"b","method":"GET","url":"$A/y","dependsOn":["g"]}]}"#;
    let message = strict(JsonFormat::MsGraph, input).unwrap();
    let ops: Vec<_> = message.as_request().unwrap().operations().collect();
    assert_eq!(ops[1].depends_on, ["g"]);
}

// Error locations: some errors were put at offset 0.

#[test]
fn a_kind_mismatch_points_at_what_says_the_kind() {
    let requests = DecodeOptions::strict().with_kind(batchwire_core::MessageKind::Request);
    let responses = DecodeOptions::strict().with_kind(batchwire_core::MessageKind::Response);
    let cases: [(JsonFormat, &str, &str, &DecodeOptions); 6] = [
        (
            JsonFormat::SalesforceComposite,
            r#"{"x":1, "compositeResponse":[]}"#,
            "[]",
            &requests,
        ),
        (
            JsonFormat::SalesforceCompositeBatch,
            r#"{"hasErrors":false,"results":[]}"#,
            "[]",
            &requests,
        ),
        (
            JsonFormat::Asana,
            r#"{"data":{"actions":[{"relative_path":"/a","method":"get"}]}}"#,
            "{\"actions\"",
            &responses,
        ),
        (
            JsonFormat::MetaGraph,
            r#"[null, {"code":200}]"#,
            "{\"code\"",
            &requests,
        ),
        (
            JsonFormat::SalesforceSObjectTree,
            r#"{"hasErrors":false,"results":[]}"#,
            "[]",
            &requests,
        ),
        (
            JsonFormat::SalesforceCompositeGraph,
            r#" {"graphs":[{"graphId":"g","graphResponse":{"compositeResponse":[]},"isSuccessful":true}]}"#,
            "{\"graphId\"",
            &requests,
        ),
    ];
    for (format, input, place, options) in cases {
        let err = decode(&Bytes::from_static(input.as_bytes()), format, options).unwrap_err();
        assert_eq!(err.kind(), K::UnexpectedMessageKind, "{format}: {err}");
        assert_eq!(err.offset(), input.find(place).unwrap(), "{format}: {err}");
    }
}

#[test]
fn an_sobject_tree_request_points_at_its_records() {
    let input = r#"{"x":1,"records":[{"attributes":{"type":"Account","referenceId":"r"}}]}"#;
    assert_eq!(
        strict(JsonFormat::SalesforceSObjectTree, input).unwrap_err(),
        format!(
            "expected an sObject Tree response, found a request (its records are not batch operations) {}",
            at(17)
        )
    );
}

#[test]
fn a_top_level_of_the_wrong_shape_is_located_after_whitespace() {
    assert_eq!(
        strict(JsonFormat::OdataJson, "  []").unwrap_err(),
        format!(
            "expected an OData JSON batch object with \"requests\" or \"responses\", found an array {}",
            at(2)
        )
    );
    assert_eq!(
        strict(JsonFormat::SalesforceComposite, "\n[]").unwrap_err(),
        "expected a Salesforce Composite object, found an array at byte 1 (line 2, column 1)"
    );
    assert_eq!(
        strict(JsonFormat::SalesforceSObjectCollections, " {}").unwrap_err(),
        format!(
            "expected an sObject Collections response (an array), found an object (a request's records are not batch operations) {}",
            at(1)
        )
    );
}

// Tolerances: reported in the order checks ran, not input order.

#[test]
fn tolerances_come_in_input_order() {
    // `hasErrors` is checked after the results it precedes; the unknown member inside
    // them is met first.
    let input = Bytes::from_static(
        br#"{"hasErrors":true,"results":[{"statusCode":"200","result":null,"x":1}]}"#,
    );
    let decoded = decode(
        &input,
        JsonFormat::SalesforceCompositeBatch,
        &DecodeOptions::lenient(),
    )
    .unwrap();
    let kinds: Vec<_> = decoded.tolerated.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            ToleranceKind::HasErrorsMismatch,
            ToleranceKind::ValueCoerced,
            ToleranceKind::UnknownMember,
        ]
    );
    let offsets: Vec<_> = decoded.tolerated.iter().map(|t| t.offset).collect();
    assert!(offsets.is_sorted(), "{offsets:?}");
}

// Base64 bodies: unpadded base64url was refused in strict mode though OData's ABNF makes the
// padding optional, and Graph's own standard alphabet was refused in strict mode and
// reported in lenient mode.

fn binary_response(body: &str) -> String {
    format!(
        r#"{{"responses":[{{"id":"1","status":200,"headers":{{"content-type":"image/png"}},"body":"{body}"}}]}}"#
    )
}

fn first_body(message: &BatchMessage) -> Vec<u8> {
    let batch = message.as_response().unwrap();
    batch.operations().next().unwrap().body.to_vec()
}

#[test]
fn unpadded_base64url_is_read_in_strict_mode() {
    for format in [JsonFormat::OdataJson, JsonFormat::MsGraph] {
        let input = Bytes::from(binary_response("-_8"));
        let decoded = decode(&input, format, &DecodeOptions::strict()).unwrap();
        assert_eq!(first_body(&decoded.message), b"\xfb\xff", "{format}");
        assert!(decoded.tolerated.is_empty(), "{format}");
    }
}

#[test]
fn standard_base64_is_graph_own_and_an_odata_tolerance() {
    for body in ["+/8=", "+/8"] {
        let input = Bytes::from(binary_response(body));
        for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
            let decoded = decode(&input, JsonFormat::MsGraph, &options).unwrap();
            assert_eq!(first_body(&decoded.message), b"\xfb\xff");
            assert!(decoded.tolerated.is_empty());
        }
        let lenient = decode(&input, JsonFormat::OdataJson, &DecodeOptions::lenient()).unwrap();
        assert_eq!(first_body(&lenient.message), b"\xfb\xff");
        let offset = input.len() - body.len() - "\"}]}".len() - 1;
        assert_eq!(
            lenient
                .tolerated
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [format!(
                "base64 in the standard alphabet, not base64url at byte {offset}"
            )]
        );
        assert_eq!(
            strict(JsonFormat::OdataJson, &binary_response(body)).unwrap_err(),
            format!(
                "expected base64url at /responses/0/body, found the standard base64 alphabet {}",
                at(offset)
            )
        );
    }
    // One string in both alphabets is neither.
    assert_eq!(
        strict(JsonFormat::MsGraph, &binary_response("+_8=")).unwrap_err(),
        format!(
            "expected base64url for a body that is neither JSON nor text at /responses/0/body, found \"+_8=\" {}",
            at(83)
        )
    );
}

// A `$<id>` URL that names no request passed in strict mode.

#[test]
fn a_url_reference_to_nothing_is_refused_in_strict_mode_and_reported_leniently() {
    let input = r#"{"requests":[{"id":"1","method":"GET","url":"A"},{"id":"2","method":"GET","url":"$9/B"}]}"#;
    let offset = input.find("\"$9/B\"").unwrap();
    for format in [JsonFormat::OdataJson, JsonFormat::MsGraph] {
        assert_eq!(
            strict(format, input).unwrap_err(),
            format!(
                "expected a reference to the id of a request of the batch at /requests/1/url, found \"$9\", which names nothing in the batch {}",
                at(offset)
            )
        );
        let lenient = decode(
            &Bytes::from_static(input.as_bytes()),
            format,
            &DecodeOptions::lenient(),
        )
        .unwrap();
        assert_eq!(
            lenient
                .tolerated
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [format!(
                "$<id> reference that names no request at byte {offset}"
            )]
        );
        let ops: Vec<_> = lenient.message.as_request().unwrap().operations().collect();
        assert_eq!(ops[1].target, "$9/B");
    }
    // System resources are no references; an earlier group is one.
    let input = r#"{"requests":[{"id":"1","atomicityGroup":"g","method":"GET","url":"A"},{"id":"2","method":"GET","url":"$metadata"},{"id":"3","method":"GET","url":"$batch?x=1"},{"id":"4","method":"GET","url":"$g/B","dependsOn":["g"]}]}"#;
    strict(JsonFormat::OdataJson, input).unwrap();
    // A later request or group is refused in both modes, as in dependsOn.
    let input = r#"{"requests":[{"id":"1","method":"GET","url":"$2/A"},{"id":"2","method":"GET","url":"B"}]}"#;
    let message = format!(
        "expected a reference to a preceding request at /requests/0/url, found $2, which names a later request {}",
        at(input.find("\"$2/A\"").unwrap())
    );
    assert_eq!(strict(JsonFormat::OdataJson, input).unwrap_err(), message);
    let lenient = decode(
        &Bytes::from_static(input.as_bytes()),
        JsonFormat::OdataJson,
        &DecodeOptions::lenient(),
    );
    assert_eq!(lenient.unwrap_err().to_string(), message);
    let input = r#"{"requests":[{"id":"1","method":"GET","url":"$g/A"},{"id":"2","atomicityGroup":"g","method":"GET","url":"B"}]}"#;
    assert_eq!(
        strict(JsonFormat::OdataJson, input).unwrap_err(),
        format!(
            "expected a reference to a preceding request at /requests/0/url, found $g, which names its own or a later atomicity group {}",
            at(input.find("\"$g/A\"").unwrap())
        )
    );
}

// Conversion holes: sObject Collections wrote failures as successes (a 401 as a record, a 302
// as `"success":true`, so both read back as 200) and dropped headers without a report; sObject
// Tree and Collections wrote results their own readers refused; a framed Content-Length was
// copied into JSON headers after the body it measured was re-encoded.

/// Responses of the shapes a multipart batch gives: JSON, text and empty bodies, a
/// redirect, failures with an error object and an errors array, embedded lengths.
fn converted_responses() -> BatchResponse {
    let mut batch = BatchResponse::new();
    batch.push(
        SubResponse::new(StatusCode::OK)
            .with_id("r1")
            .with_header("Content-Type", "application/json")
            .with_header("Content-Length", "7")
            .with_body(r#"{"a":1}"#),
    );
    batch.push(
        SubResponse::new(StatusCode::FOUND)
            .with_id("r2")
            .with_header("Location", "/x"),
    );
    batch.push(
        SubResponse::new(StatusCode::UNAUTHORIZED)
            .with_id("r3")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"message":"Session expired"}"#),
    );
    batch.push(
        SubResponse::new(StatusCode::BAD_REQUEST)
            .with_id("r4")
            .with_header("Content-Type", "application/json")
            .with_body(r#"[{"errorCode":"X","message":"bad"}]"#),
    );
    batch.push(SubResponse::new(StatusCode::NO_CONTENT).with_id("r5"));
    batch.push(
        SubResponse::new(StatusCode::OK)
            .with_id("r6")
            .with_header("Content-Type", "text/plain")
            .with_header("Content-Length", "10")
            .with_body("hi"),
    );
    batch
}

/// Asserts that every difference between an operation written and the one read back is
/// reported at its position by a loss of a kind that says it.
fn assert_differences_reported(
    format: JsonFormat,
    written: &BatchResponse,
    read: &BatchResponse,
    losses: &[Loss],
) {
    let positions: Vec<_> = Position::of_operations(written).collect();
    let read: Vec<_> = read.operations().collect();
    assert_eq!(read.len(), positions.len(), "{format}");
    for ((op, back), position) in written.operations().zip(read).zip(positions) {
        let reported = |what: &str, fits: &dyn Fn(&LossKind) -> bool| {
            assert!(
                losses
                    .iter()
                    .any(|l| l.position == Some(position) && fits(&l.kind)),
                "{format}: item {position}: {what} changed without a report: {losses:?}"
            );
        };
        if op.id != back.id {
            reported("id", &|k| {
                matches!(k, LossKind::Id { .. } | LossKind::IdInvented { .. })
            });
        }
        if op.status != back.status {
            reported("status", &|k| {
                matches!(k, LossKind::Status { status, written }
                    if *status == op.status.as_u16() && *written == back.status.as_u16())
            });
        }
        if op.body != back.body {
            reported("body", &|k| {
                matches!(k, LossKind::BodyAsResult | LossKind::BodyAsString)
            });
        }
        for (mine, theirs) in [(&op.headers, &back.headers), (&back.headers, &op.headers)] {
            for h in mine {
                if theirs.get(&h.name_str()) != Some(h.value()) {
                    reported(&format!("header {}", h.name_str()), &|k| match k {
                        LossKind::Header { name } | LossKind::HeadersCombined { name } => {
                            name.eq_ignore_ascii_case(&h.name_str())
                        }
                        LossKind::ContentTypeAdded => {
                            h.name().eq_ignore_ascii_case(b"content-type")
                        }
                        _ => false,
                    });
                }
            }
        }
    }
}

/// The same shapes, but with success bodies that are results an sObject format can hold:
/// the first a Tree result (and a Collections record), no text body.
fn converted_results() -> BatchResponse {
    let mut batch = BatchResponse::new();
    let mut ops = converted_responses()
        .operations()
        .cloned()
        .collect::<Vec<_>>();
    ops.pop();
    ops[0].body = Bytes::from_static(br#"{"referenceId":"r1","id":"001"}"#);
    ops[0].headers.remove("content-length");
    for op in ops {
        batch.push(op);
    }
    batch
}

#[test]
fn every_json_format_reads_back_what_it_writes_or_reports_the_difference() {
    for batch in [converted_responses(), converted_results()] {
        for format in JsonFormat::ALL {
            let written = match encode(&batch, format, &WriteOptions::default()) {
                Ok(written) => written,
                Err(e) => {
                    assert!(e.position().is_some(), "{format}: {e}");
                    continue;
                }
            };
            let back = decode(&written.body, format, &DecodeOptions::strict())
                .unwrap_or_else(|e| panic!("{format}: {e}\n{:?}", written.body));
            let back = back.message.as_response().unwrap().clone();
            assert_differences_reported(format, &batch, &back, &written.report.losses);
            // A framed length that is not the body's is never written.
            assert!(
                !String::from_utf8_lossy(&written.body).contains("\"10\""),
                "{format}"
            );
        }
    }
}

fn report_lines(written: &batchwire_core::Written) -> Vec<String> {
    written.report.iter().map(ToString::to_string).collect()
}

#[test]
fn sobject_collections_write_failures_as_failures() {
    let err = encode(
        &converted_responses(),
        JsonFormat::SalesforceSObjectCollections,
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a SaveResult or record object as the body of a 200 response, found \"hi\" at item 6"
    );
    let written = encode(
        &converted_results(),
        JsonFormat::SalesforceSObjectCollections,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&written.body),
        r#"[{"referenceId":"r1","id":"001"},{"id":null,"success":true,"errors":[]},{"id":null,"success":false,"errors":[{"message":"Session expired"}]},{"id":null,"success":false,"errors":[{"errorCode":"X","message":"bad"}]},{"id":null,"success":true,"errors":[]}]"#
    );
    assert_eq!(
        report_lines(&written),
        [
            "item 1: id \"r1\" not written",
            "item 1: header \"Content-Type\" not written",
            "item 2: id \"r2\" not written",
            "item 2: status 302 written as 200",
            "item 2: body written as a result object: the format has no result without a body",
            "item 2: header \"Location\" not written",
            "item 3: id \"r3\" not written",
            "item 3: body written as a result object: the body is the \"errors\" of a failed result",
            "item 3: status 401 written as 400",
            "item 3: header \"Content-Type\" not written",
            "item 4: id \"r4\" not written",
            "item 4: body written as a result object: the body is the \"errors\" of a failed result",
            "item 4: header \"Content-Type\" not written",
            "item 5: id \"r5\" not written",
            "item 5: status 204 written as 200",
            "item 5: body written as a result object: the format has no result without a body",
        ]
    );
}

#[test]
fn sobject_tree_writes_results_its_reader_reads() {
    let err = encode(
        &converted_responses(),
        JsonFormat::SalesforceSObjectTree,
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a result object with a \"referenceId\" as the body of a 200 response, found {\"a\":1} at item 1"
    );
    let written = encode(
        &converted_results(),
        JsonFormat::SalesforceSObjectTree,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&written.body),
        r#"{"hasErrors":true,"results":[{"referenceId":"r1","id":"001"},{"referenceId":"r2"},{"referenceId":"r3","errors":[{"message":"Session expired"}]},{"referenceId":"r4","errors":[{"errorCode":"X","message":"bad"}]},{"referenceId":"r5"}]}"#
    );
    assert_eq!(
        report_lines(&written),
        [
            "item 1: status 200 written as 201",
            "item 1: header \"Content-Type\" not written",
            "item 2: status 302 written as 201",
            "item 2: body written as a result object: the format has no result without a body",
            "item 2: header \"Location\" not written",
            "item 3: body written as a result object: the body is the \"errors\" of a failed result",
            "item 3: status 401 written as 400",
            "item 3: header \"Content-Type\" not written",
            "item 4: body written as a result object: the body is the \"errors\" of a failed result",
            "item 4: header \"Content-Type\" not written",
            "item 5: status 204 written as 201",
            "item 5: body written as a result object: the format has no result without a body",
        ]
    );
}

#[test]
fn a_framed_length_that_is_not_the_body_s_is_dropped_and_reported() {
    let written = encode(
        &converted_responses(),
        JsonFormat::OdataJson,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&written.body),
        r#"{"responses":[{"id":"r1","status":200,"headers":{"Content-Type":"application/json","Content-Length":"7"},"body":{"a":1}},{"id":"r2","status":302,"headers":{"Location":"/x"}},{"id":"r3","status":401,"headers":{"Content-Type":"application/json"},"body":{"message":"Session expired"}},{"id":"r4","status":400,"headers":{"Content-Type":"application/json"},"body":[{"errorCode":"X","message":"bad"}]},{"id":"r5","status":204},{"id":"r6","status":200,"headers":{"Content-Type":"text/plain"},"body":"hi"}]}"#
    );
    assert_eq!(
        report_lines(&written),
        [
            "item 6: header \"Content-Length\" not written: its value \"10\" is not the length of the body, 2 bytes",
        ]
    );
}
