//! The corpus harness: every JSON payload of the shared live-cap corpus (when present)
//! decodes as its manifest says, or is rejected in strict mode; valid ones also survive a
//! write and a second read unchanged.

use std::path::PathBuf;

use batchwire_core::{BatchMessage, Item};
use batchwire_json::{DecodeOptions, JsonFormat, WriteOptions, decode, encode};
use bytes::Bytes;
use toml::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/live-cap")
}

/// One operation, as the manifest and as the decoder see it.
#[derive(Debug, PartialEq)]
struct Op {
    id: Option<String>,
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
    group: Option<String>,
}

fn expected(case: &Value) -> Vec<Op> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    case.get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| Op {
                    id: text(v, "id"),
                    method: text(v, "method"),
                    url: text(v, "url"),
                    status: v
                        .get("status")
                        .and_then(Value::as_integer)
                        .map(|n| u16::try_from(n).unwrap()),
                    group: text(v, "atomicity_group"),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn actual(message: &BatchMessage) -> Vec<Op> {
    fn flatten<T>(items: &[Item<T>], mut op: impl FnMut(&T, Option<&str>) -> Op) -> Vec<Op> {
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Operation(x) => out.push(op(x, None)),
                Item::Group(g) => out.extend(g.operations.iter().map(|x| op(x, g.id.as_deref()))),
            }
        }
        out
    }
    match message {
        BatchMessage::Request(batch) => flatten(&batch.items, |r, g| Op {
            id: r.id.clone(),
            method: Some(r.method.to_string()),
            url: Some(r.target.clone()),
            status: None,
            group: g.map(str::to_owned),
        }),
        BatchMessage::Response(batch) => flatten(&batch.items, |r, g| Op {
            id: r.id.clone(),
            method: None,
            url: None,
            status: Some(r.status.as_u16()),
            group: g.map(str::to_owned),
        }),
    }
}

#[test]
fn live_cap_json_payloads_decode_as_the_manifest_says() {
    let dir = corpus_dir();
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.toml")) else {
        println!("skipped: no corpus at {}", dir.display());
        return;
    };
    let manifest: Value = toml::from_str(&manifest).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for case in manifest["case"].as_array().unwrap() {
        if case.get("format").and_then(Value::as_str) != Some("odata-json") {
            continue;
        }
        let file = case["file"].as_str().unwrap();
        let input = Bytes::from(std::fs::read(dir.join(file)).unwrap());
        let content_type = case.get("content_type").and_then(Value::as_str);
        assert_eq!(
            batchwire_json::detect(content_type.map(str::as_bytes), &input),
            Some(JsonFormat::OdataJson),
            "{file}: detected format"
        );
        let strict = decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict());
        if !case["valid"].as_bool().unwrap() {
            let err = strict.expect_err(file);
            assert!(err.offset() <= input.len(), "{file}: {err}");
            invalid += 1;
            continue;
        }
        let decoded = strict.unwrap_or_else(|e| panic!("{file}: {e}"));
        let kind = decoded.message.kind().as_str();
        assert_eq!(kind, case["direction"].as_str().unwrap(), "{file}");
        assert_eq!(actual(&decoded.message), expected(case), "{file}");
        // Every body is a slice of the input.
        let range = input.as_ptr_range();
        let bodies: Vec<&Bytes> = match &decoded.message {
            BatchMessage::Request(b) => b.operations().map(|o| &o.body).collect(),
            BatchMessage::Response(b) => b.operations().map(|o| &o.body).collect(),
        };
        for body in bodies.into_iter().filter(|b| !b.is_empty()) {
            assert!(range.contains(&body.as_ptr()), "{file}: a body was copied");
        }
        // Written and read again, nothing changes; CAP's compact responses come back byte
        // for byte.
        let written = encode(
            &decoded.message,
            JsonFormat::OdataJson,
            &WriteOptions::default(),
        )
        .unwrap();
        assert!(
            written.report.losses.is_empty(),
            "{file}: {:?}",
            written.report.losses
        );
        let again = decode(
            &written.body,
            JsonFormat::OdataJson,
            &DecodeOptions::strict(),
        )
        .unwrap();
        assert_eq!(again.message, decoded.message, "{file}");
        if kind == "response" {
            assert_eq!(written.body, input, "{file}");
        }
        valid += 1;
    }
    println!("live-cap: {valid} valid and {invalid} invalid JSON payloads checked");
    check_failed_dependency(&dir);
    assert!(valid + invalid > 0, "the manifest lists JSON cases");
}

/// Case 06: the group g1 fails (c2 answers 400), so r1, which depends on g1, gets 424, as
/// CAP answered.
fn check_failed_dependency(dir: &std::path::Path) {
    let read = |file: &str| {
        let input = Bytes::from(std::fs::read(dir.join(file)).unwrap());
        decode(&input, JsonFormat::OdataJson, &DecodeOptions::strict())
            .unwrap()
            .message
    };
    let requests = read("06-v4-json-atomicity-group-fails.request.batch");
    let responses = read("06-v4-json-atomicity-group-fails.response.batch");
    let failed = batchwire_json::failed_dependencies(
        requests.as_request().unwrap(),
        responses.as_response().unwrap(),
        JsonFormat::OdataJson,
    );
    assert_eq!(failed, ["r1"]);
    let r1 = responses
        .as_response()
        .unwrap()
        .operations()
        .find(|r| r.id.as_deref() == Some("r1"))
        .unwrap();
    assert_eq!(r1.status, 424);
}
