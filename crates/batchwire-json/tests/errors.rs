//! Errors are located: byte offset, line and column of the fault, the member's JSON Pointer,
//! and what was expected and found. Whole messages are asserted, as users read them.

use batchwire_core::ParseErrorKind as K;
use batchwire_json::{DecodeOptions, JsonFormat, decode};
use bytes::Bytes;

fn error(format: JsonFormat, input: &str) -> (K, String) {
    let input = Bytes::copy_from_slice(input.as_bytes());
    let err = decode(&input, format, &DecodeOptions::strict()).unwrap_err();
    assert!(err.offset() <= input.len());
    (err.kind(), err.to_string())
}

fn odata(input: &str) -> (K, String) {
    error(JsonFormat::OdataJson, input)
}

#[test]
fn syntax_errors_give_serde_json_s_reason_at_the_byte() {
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"r1\",\"method\":\"GET\",\"url\":\"Customers(1)\"}\n"),
        (
            K::Json,
            "invalid JSON: EOF while parsing a list at byte 61 (line 2, column 1)".into()
        )
    );
    assert_eq!(
        odata("{\"requests\":[],}"),
        (
            K::Json,
            "invalid JSON: trailing comma at byte 15 (line 1, column 16)".into()
        )
    );
    assert_eq!(
        odata("{\"requests\":[]} x"),
        (
            K::Json,
            "invalid JSON: trailing characters at byte 16 (line 1, column 17)".into()
        )
    );
    assert_eq!(
        odata(
            "{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"A\",\"body\":{\"x\":NaN}}]}"
        ),
        (
            K::Json,
            "invalid JSON: expected value at byte 60 (line 1, column 61)".into()
        )
    );
    assert_eq!(
        odata(""),
        (
            K::Json,
            "expected a JSON object or array, found end of input at byte 0 (line 1, column 1)"
                .into()
        )
    );
    assert_eq!(
        odata("  true"),
        (
            K::Json,
            "expected a JSON object or array, found true at byte 2 (line 1, column 3)".into()
        )
    );
    // A lone surrogate has no UTF-8 form (I-JSON): rejected where the string is read.
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"\\uD800\"}]}").0,
        K::Json
    );
    let bad = Bytes::from_static(b"{\"requests\":[{\"id\":\"\xff\"}]}");
    assert_eq!(
        decode(&bad, JsonFormat::OdataJson, &DecodeOptions::strict())
            .unwrap_err()
            .to_string(),
        "expected UTF-8 text (RFC 8259), found the byte 0xff at byte 20 (line 1, column 21)"
    );
}

#[test]
fn duplicate_member_names_are_errors_even_when_escaped() {
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"r1\",\"method\":\"GET\",\"url\":\"A\",\"url\":\"B\"}]}"),
        (
            K::DuplicateMember,
            "expected each member name once in an object, found \"url\" again at /requests/0/url (first at byte 45) at byte 55 (line 1, column 56)".into()
        )
    );
    assert_eq!(
        odata(
            "{\"requests\":[{\"id\":\"r1\",\"method\":\"GET\",\"u\\u0072l\":\"A\",\"url\":\"B\"}]}"
        )
        .1,
        "expected each member name once in an object, found \"url\" again at /requests/0/url (first at byte 50) at byte 60 (line 1, column 61)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"A\",\"headers\":{\"a\":\"1\",\"a\":\"2\"}}]}").1,
        "expected each member name once in an object, found \"a\" again at /requests/0/headers/a (first at byte 63) at byte 71 (line 1, column 72)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"A\"}],\"requests\":[]}").0,
        K::DuplicateMember
    );
}

#[test]
fn ids_and_dependencies_are_checked_across_the_batch() {
    assert_eq!(
        odata("{\"responses\":[{\"id\":\"a\",\"status\":200},{\"id\":\"a\",\"status\":200}]}"),
        (
            K::DuplicateId,
            "expected each id once in a batch, found \"a\" again at /responses/1/id, first at /responses/0/id at byte 44 (line 1, column 45)".into()
        )
    );
    assert_eq!(
        odata("{\n  \"requests\": [\n    {\"id\": \"r1\", \"method\": \"GET\", \"url\": \"A\", \"dependsOn\": [\"nope\"]}\n  ]\n}"),
        (
            K::DanglingReference,
            "expected the id or atomicity group of a preceding request at /requests/0/dependsOn/0, found \"nope\", which names nothing in the batch at byte 78 (line 3, column 61)".into()
        )
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"r1\",\"method\":\"GET\",\"url\":\"A\",\"dependsOn\":[\"r2\"]},{\"id\":\"r2\",\"method\":\"GET\",\"url\":\"B\"}]}").1,
        "expected the id or atomicity group of a preceding request at /requests/0/dependsOn/0, found \"r2\", which names a later request at byte 62 (line 1, column 63)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"r1\",\"method\":\"GET\",\"url\":\"A\",\"dependsOn\":[\"r1\"]}]}").1,
        "expected the id or atomicity group of a preceding request at /requests/0/dependsOn/0, found \"r1\", which names itself or its own group at byte 62 (line 1, column 63)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"atomicityGroup\":\"g\",\"method\":\"POST\",\"url\":\"A\"},{\"id\":\"b\",\"method\":\"GET\",\"url\":\"B\"},{\"id\":\"c\",\"atomicityGroup\":\"g\",\"method\":\"POST\",\"url\":\"C\"}]}"),
        (
            K::Semantic,
            "expected the members of atomicity group \"g\" next to each other, found another member at /requests/2/atomicityGroup at byte 134 (line 1, column 135)".into()
        )
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"g\",\"method\":\"GET\",\"url\":\"A\"},{\"id\":\"b\",\"atomicityGroup\":\"g\",\"method\":\"POST\",\"url\":\"B\"}]}").1,
        "expected an atomicity group name unlike every id, found \"g\" at /requests/1/atomicityGroup, the id at /requests/0/id at byte 76 (line 1, column 77)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"POST\",\"url\":\"A\"},{\"id\":\"b\",\"method\":\"POST\",\"url\":\"$a/items\"}]}").1,
        "expected \"a\" in dependsOn for the reference at /requests/1/url, found no dependsOn at byte 82 (line 1, column 83)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"POST\",\"url\":\"$b/items\"},{\"id\":\"b\",\"method\":\"POST\",\"url\":\"B\"}]}").1,
        "expected a reference to a preceding request at /requests/0/url, found $b, which names a later request at byte 45 (line 1, column 46)"
    );
    // `$metadata` is a resource, not a reference, when no request has that id.
    let ok = Bytes::from_static(
        b"{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"$metadata\"}]}",
    );
    decode(&ok, JsonFormat::OdataJson, &DecodeOptions::strict()).unwrap();
}

#[test]
fn members_of_the_wrong_type_or_missing_are_located() {
    assert_eq!(
        odata("{\"requests\":[{\"id\":1,\"method\":\"GET\",\"url\":\"A\"}]}"),
        (
            K::Json,
            "expected a string at /requests/0/id, found a number 1 at byte 19 (line 1, column 20)"
                .into()
        )
    );
    assert_eq!(
        odata("{\"requests\":[{\"method\":\"GET\",\"url\":\"A\"}]}").1,
        "expected a member \"id\" (the request id) in the object at /requests/0, found none at byte 13 (line 1, column 14)"
    );
    assert_eq!(
        odata("{\"requests\":{}}").1,
        "expected an array at /requests, found an object {} at byte 12 (line 1, column 13)"
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"HEAD\",\"url\":\"A\"}]}").1,
        "expected one of get, post, put, patch or delete at /requests/0/method, found a string \"HEAD\" at byte 32 (line 1, column 33)"
    );
    assert_eq!(
        odata("{\"responses\":[{\"id\":\"a\",\"status\":1000}]}").1,
        "expected a status code from 100 to 999 at /responses/0/status, found a number 1000 at byte 33 (line 1, column 34)"
    );
    assert_eq!(
        odata("{\"responses\":[{\"id\":\"a\",\"status\":200,\"headers\":{\"content-type\":\"image/png\"},\"body\":\"@@@\"}]}").1,
        "expected base64url for a body that is neither JSON nor text at /responses/0/body, found \"@@@\" at byte 83 (line 1, column 84)"
    );
    assert_eq!(
        odata("{\"error\":{\"message\":\"x\"}}").1,
        "expected a member \"requests\" (or \"responses\", the batch) in the object at the top level, found none at byte 0 (line 1, column 1)"
    );
    assert_eq!(
        odata("[{\"id\":\"a\"}]").1,
        "expected an OData JSON batch object with \"requests\" or \"responses\", found an array at byte 0 (line 1, column 1)"
    );
}

#[test]
fn strict_rules_that_lenient_mode_reports() {
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"A\",\"priority\":5}]}"),
        (
            K::UnknownMember,
            "expected a member the format defines, found \"priority\" at /requests/0/priority at byte 59 (line 1, column 60)".into()
        )
    );
    assert_eq!(
        odata("{\"requests\":[{\"id\":\"a b\",\"method\":\"GET\",\"url\":\"A\"}]}").1,
        "expected an id of letters, digits, \"-\", \".\", \"_\" or \"~\" at /requests/0/id, found a string \"a b\" at byte 19 (line 1, column 20)"
    );
    assert_eq!(
        odata(
            "{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"A\",\"body\":{\"x\":1}}]}"
        )
        .1,
        "expected no body on a GET request at /requests/0/body, found one at byte 55 (line 1, column 56)"
    );
    assert_eq!(
        odata("{\"responses\":[{\"id\":\"a\",\"status\":\"200\"}]}").1,
        "expected a status code number at /responses/0/status, found a string \"200\" at byte 33 (line 1, column 34)"
    );
    let input = Bytes::from_static(
        b"{\"requests\":[{\"id\":\"a b\",\"method\":\"GET\",\"url\":\"A\",\"priority\":5,\"body\":{\"x\":1}}],\"x\":1}",
    );
    let lenient = decode(&input, JsonFormat::OdataJson, &DecodeOptions::lenient()).unwrap();
    let shown: Vec<String> = lenient.tolerated.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "id with characters the format does not allow at byte 19",
            "unknown member kept at byte 61",
            "body on a request whose method takes none at byte 70",
            "unknown member kept at byte 84",
        ]
    );
    let op = lenient
        .message
        .as_request()
        .unwrap()
        .operations()
        .next()
        .unwrap();
    assert_eq!(op.extra.get("priority").map(|v| &v[..]), Some(&b"5"[..]));
}

#[test]
fn limits_bound_operations_headers_and_bodies() {
    use batchwire_core::Limits;
    let input = Bytes::from_static(
        b"{\"requests\":[{\"id\":\"a\",\"method\":\"POST\",\"url\":\"A\",\"headers\":{\"a\":\"1\",\"b\":\"2\"},\"body\":[1,2,3]},{\"id\":\"b\",\"method\":\"GET\",\"url\":\"B\"}]}",
    );
    let with = |limits: Limits| {
        decode(
            &input,
            JsonFormat::OdataJson,
            &DecodeOptions::strict().with_limits(limits),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        with(Limits::default().with_max_parts(1)),
        "expected an array of at most 1 elements (the limit on operations), found 2 at byte 12 (line 1, column 13)"
    );
    assert_eq!(
        with(Limits::default().with_max_headers(1)),
        "expected at most 1 headers, found 2 at byte 59 (line 1, column 60)"
    );
    assert_eq!(
        with(Limits::default().with_max_body_bytes(4)),
        "expected a body of at most 4 bytes, found 7 at byte 84 (line 1, column 85)"
    );
}

#[test]
fn the_message_kind_can_be_required() {
    use batchwire_core::MessageKind;
    let input = Bytes::from_static(b"{\"responses\":[]}");
    let err = decode(
        &input,
        JsonFormat::OdataJson,
        &DecodeOptions::strict().with_kind(MessageKind::Request),
    )
    .unwrap_err();
    assert_eq!(err.kind(), K::UnexpectedMessageKind);
    assert_eq!(
        err.to_string(),
        "expected a request batch, found a response batch at byte 13 (line 1, column 14)"
    );
}
