//! The `batchwire` command, run as a user runs it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn batchwire(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchwire"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.unwrap_or_default().to_vec();
    // Written beside the reading of the output, so that neither pipe fills up and blocks.
    let writer = std::thread::spawn(move || {
        // A usage error exits before reading: its closed input is not a failure here.
        if let Err(e) = input.write_all(&stdin) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn inspect_prints_a_table() {
    let out = batchwire(&["inspect", "examples/odata-v4-request.batch"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{stdout}");
    assert_eq!(lines[2], "3     changeset");
    assert_eq!(
        lines[4],
        "3.2   POST    $1/Products                              id 2     39 B  application/json"
    );
    assert_eq!(
        lines[7],
        "request batch (multipart, boundary \"batch_c0ffee12-3b4d-4e5f-8a9b-0c1d2e3f4a5b\"): 6 operations in 4 items"
    );
}

#[test]
fn inspect_reads_standard_input_as_it_arrives() {
    // The first item is printed before the input ends.
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchwire"))
        .args(["inspect", "--content-type", "multipart/mixed; boundary=b"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(
            b"--b\r\nContent-Type: application/http\r\n\r\nGET One HTTP/1.1\r\n\r\n\r\n--b\r\n",
        )
        .unwrap();
    stdin.flush().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(
        first.trim_end(),
        "1     GET     One                                               0 B"
    );
    stdin
        .write_all(b"Content-Type: application/http\r\n\r\nGET Two HTTP/1.1\r\n\r\n\r\n--b--\r\n")
        .unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(rest.starts_with("2     GET     Two"), "{rest}");
}

#[test]
fn inspect_json_follows_the_documented_shape() {
    let out = batchwire(
        &["inspect", "--json", "examples/odata-v2-response.batch"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "response");
    assert_eq!(doc["format"], "multipart");
    assert_eq!(doc["tolerated"], Value::Array(vec![]));
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["type"], "operation");
    assert_eq!(items[0]["status"], 200);
    assert_eq!(items[0]["id"], Value::Null);
    assert_eq!(items[1]["type"], "group");
    let members = items[1]["items"].as_array().unwrap();
    assert_eq!(members[0]["status"], 201);
    assert_eq!(members[0]["id"], "1");
    let body = members[0]["body"].as_str().unwrap();
    assert_eq!(members[0]["body_len"], body.len());
    let headers = members[0]["headers"].as_array().unwrap();
    assert!(headers.iter().any(|h| h[0] == "Location"), "{headers:?}");
    assert_eq!(items[2]["status"], 404);
}

#[test]
fn binary_bodies_are_base64_in_json() {
    let payload = b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n\x00\xff\x10\r\n--b--\r\n";
    let out = batchwire(&["inspect", "--json", "-"], Some(payload));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let op = &doc["items"][0];
    assert_eq!(op["body_len"], 3);
    assert_eq!(op["body_base64"], "AP8Q");
    assert!(op.get("body").is_none());
}

#[test]
fn validate_reports_the_located_error() {
    let payload =
        b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 No Content\r\n\r\n\r\n--b--\r\n";
    let out = batchwire(
        &["validate", "--content-type", "multipart/mixed; boundary=b"],
        Some(payload),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: expected a three-digit status code, found \"No Content\\r\\n\" at byte 48 (line 4, column 10)\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn validate_summarises_and_warns_in_lenient_mode() {
    let payload = b"--b\nContent-Type: application/http\n\nGET Customers(1) HTTP/1.1\n\n\n--b--\n";
    let out = batchwire(&["validate"], Some(payload));
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "valid: request batch (multipart, boundary \"b\"): 1 operation in 1 item (lenient)\n"
    );
    assert_eq!(text(&out.stderr), "warning: bare LF line break at byte 3\n");

    let strict = batchwire(&["validate", "--strict"], Some(payload));
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(
        text(&strict.stderr),
        "error: expected CRLF, found a bare LF at byte 3 (line 1, column 4)\n"
    );
}

#[test]
fn validate_refuses_a_payload_without_a_delimiter() {
    // An error page answered with the batch's Content-Type is no empty batch.
    let page = b"<!DOCTYPE html>\r\n<html><body>Service Unavailable</body></html>\r\n";
    let ct = "multipart/mixed; boundary=batch_1";
    let out = batchwire(&["validate", "--content-type", ct], Some(page));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: expected a delimiter line \"--batch_1\", found none; the input starts with \"<!DOCTYPE html>\\r\\n\" at byte 64 (line 3, column 1)\n"
    );
    assert!(out.stdout.is_empty());

    // Nor is a body written for another boundary.
    let other = b"--other\r\nContent-Type: application/http\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n--other--\r\n";
    for mode in ["--strict", "--format=multipart"] {
        let out = batchwire(&["validate", "--content-type", ct, mode], Some(other));
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).starts_with(
                "error: expected a delimiter line \"--batch_1\", found delimiters for boundary \"other\";"
            ),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn dialect_and_kind_options_apply() {
    let payload = b"--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n--cs\r\nContent-Type: application/http\r\n\r\nDELETE Customers(1) HTTP/1.1\r\n\r\n\r\n--cs--\r\n--b--\r\n";
    let v4 = batchwire(
        &["validate", "--strict", "--dialect", "odata-v4"],
        Some(payload),
    );
    assert_eq!(v4.status.code(), Some(1));
    assert!(
        text(&v4.stderr)
            .starts_with("error: expected a Content-ID on the changeset member (OData V4)"),
        "{}",
        text(&v4.stderr)
    );
    let response = batchwire(&["validate", "--response"], Some(payload));
    assert_eq!(response.status.code(), Some(1));
    assert!(text(&response.stderr).starts_with("error: expected a status line, found \"DELETE"));
    let unknown = batchwire(&["validate", "--dialect", "odata-v9"], Some(payload));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("unknown dialect \"odata-v9\""));
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let out = batchwire(&["inspect", "no/such/file.batch"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: cannot read no/such/file.batch: "));
    // A payload of no known format is not a batch: exit 1, with what it starts with.
    let unknown = batchwire(&["inspect"], Some(b"{\"items\":[]}"));
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        text(&unknown.stderr),
        "error: expected a multipart batch (a delimiter line) or a JSON batch of a known format, \
         found \"{\\\"items\\\":[]}\" at byte 0 (line 1, column 1)\n"
    );
    // One that starts like JSON and is not JSON gets the syntax error, located.
    let broken = batchwire(&["inspect"], Some(b"{\"items\":[}"));
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        text(&broken.stderr),
        "error: invalid JSON: expected value at byte 10 (line 1, column 11)\n"
    );
    let format = batchwire(&["inspect", "--format", "soap"], Some(b""));
    assert_eq!(format.status.code(), Some(2));
    assert!(text(&format.stderr).starts_with(
        "error: unknown format \"soap\": expected auto or one of multipart, odata-json,"
    ));
}

#[test]
fn json_batches_are_inspected_validated_and_converted() {
    let request = br#"{"requests":[{"id":"r1","method":"get","url":"Customers(1)"},{"id":"c1","method":"post","url":"Customers","atomicityGroup":"g1","headers":{"content-type":"application/json"},"body":{"ID":7,"big":12345678901234567890}}]}"#;
    let out = batchwire(&["inspect"], Some(request));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "1     GET     Customers(1)                             id r1    0 B\n\
         2     changeset\n\
         2.1   POST    Customers                                id c1    35 B  application/json\n\
         request batch (odata-json): 2 operations in 2 items\n"
    );
    let doc: Value =
        serde_json::from_slice(&batchwire(&["inspect", "--json"], Some(request)).stdout).unwrap();
    assert_eq!(doc["format"], "odata-json");
    assert_eq!(doc["items"][1]["id"], "g1");
    // A JSON body is its exact text: the big number is not rounded.
    assert_eq!(
        doc["items"][1]["items"][0]["body"],
        r#"{"ID":7,"big":12345678901234567890}"#
    );

    let valid = batchwire(&["validate", "--strict"], Some(request));
    assert_eq!(
        text(&valid.stdout),
        "valid: request batch (odata-json): 2 operations in 2 items (strict)\n"
    );

    let converted = batchwire(
        &[
            "convert",
            "--to",
            "multipart",
            "--dialect",
            "odata-v4",
            "--boundary",
            "b",
        ],
        Some(request),
    );
    assert!(converted.status.success());
    assert_eq!(
        text(&converted.stderr),
        "warning: item 2: group name \"g1\" not written: multipart changesets have no name\n\
         content-type: multipart/mixed; boundary=b\nodata-version: 4.0\n"
    );
    let back = batchwire(
        &[
            "convert",
            "--from",
            "multipart",
            "--to",
            "odata-json",
            "--content-type",
            "multipart/mixed; boundary=b",
        ],
        Some(&converted.stdout),
    );
    assert!(back.status.success(), "{}", text(&back.stderr));
    // The part headers that only frame a multipart batch are no loss in JSON.
    assert!(
        !text(&back.stderr).contains("envelope headers"),
        "{}",
        text(&back.stderr)
    );
    let doc: Value = serde_json::from_slice(&back.stdout).unwrap();
    assert_eq!(
        doc["requests"][1]["body"]["big"].to_string(),
        "12345678901234567890"
    );
    assert_eq!(doc["requests"][0]["url"], "Customers(1)");

    let broken = batchwire(
        &["validate"],
        Some(br#"{"requests":[{"id":"r1","id":"r2"}]}"#),
    );
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken.stderr).starts_with("error: "),
        "{}",
        text(&broken.stderr)
    );
    assert!(
        text(&broken.stderr).contains("at byte "),
        "{}",
        text(&broken.stderr)
    );
}

#[test]
fn convert_writes_a_batch_that_reads_back_the_same() {
    let out = batchwire(
        &[
            "convert",
            "examples/odata-v2-response.batch",
            "--to",
            "multipart",
            "--dialect",
            "odata-v4",
            "--boundary",
            "batchresponse_x",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "content-type: multipart/mixed; boundary=batchresponse_x\nodata-version: 4.0\n"
    );
    assert!(out.stdout.starts_with(b"--batchresponse_x\r\n"));
    let again = batchwire(
        &[
            "inspect",
            "--json",
            "--strict",
            "--content-type",
            "multipart/mixed; boundary=batchresponse_x",
        ],
        Some(&out.stdout),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    let original = batchwire(
        &["inspect", "--json", "examples/odata-v2-response.batch"],
        None,
    );
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&original.stdout).unwrap(),
        serde_json::from_slice(&again.stdout).unwrap(),
    );
    let shape = |doc: &Value| -> Vec<(Value, Value, Value)> {
        let mut out = Vec::new();
        for item in doc["items"].as_array().unwrap() {
            let members = item["items"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![item.clone()]);
            for op in members {
                out.push((op["status"].clone(), op["id"].clone(), op["body"].clone()));
            }
        }
        out
    };
    assert_eq!(shape(&a), shape(&b));
}

#[test]
fn convert_says_what_the_target_cannot_carry() {
    let out = batchwire(
        &[
            "convert",
            "examples/odata-v4-request.batch",
            "--to",
            "multipart",
            "--dialect",
            "google",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: expected an operation, found an atomic group (the google dialect has no changesets) at item 3\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_json_batch_larger_than_a_read_is_detected() {
    // Salesforce Composite Batch, with its top-level members past the first 64 KiB read.
    let big = "x".repeat(100_000);
    let doc = format!(
        r#"{{"batchRequests":[{{"method":"PATCH","url":"v60.0/sobjects/Account/001","richInput":{{"Name":"{big}"}}}}],"haltOnError":false}}"#
    );
    let out = batchwire(&["validate"], Some(doc.as_bytes()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "valid: request batch (salesforce-composite-batch): 1 operation in 1 item (lenient)\n"
    );
}

#[test]
fn empty_input_and_closed_output() {
    let empty = batchwire(&["validate"], Some(b""));
    assert_eq!(empty.status.code(), Some(1));
    assert_eq!(text(&empty.stderr), "error: the input is empty\n");

    // A reader that goes away early is not a failure, and the command stops.
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchwire"))
        .args(["inspect", "examples/odata-v4-request.batch"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn limits_can_be_raised_and_lowered_from_the_command_line() {
    // 16,384 parts: past the default of 10,000, read through standard input when raised.
    let mut batch = Vec::new();
    for _ in 0..16_384 {
        batch.extend_from_slice(
            b"--b\r\nContent-Type: application/http\r\n\r\nGET x HTTP/1.1\r\n\r\n\r\n",
        );
    }
    batch.extend_from_slice(b"--b--\r\n");
    let refused = batchwire(&["validate"], Some(&batch));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("10000"),
        "{}",
        text(&refused.stderr)
    );
    let raised = batchwire(&["inspect", "-", "--max-parts", "20000"], Some(&batch));
    assert!(raised.status.success(), "{}", text(&raised.stderr));
    assert!(
        text(&raised.stdout).ends_with(
            "request batch (multipart, boundary \"b\"): 16384 operations in 16384 items\n"
        )
    );
    let small = batchwire(
        &["validate", "--max-body-bytes", "3"],
        Some(b"--b\r\nContent-Type: application/http\r\n\r\nPOST x HTTP/1.1\r\n\r\nabcd\r\n--b--\r\n"),
    );
    assert_eq!(small.status.code(), Some(1));
    let headers = batchwire(
        &["validate", "--max-header-bytes", "10"],
        Some(b"--b\r\nContent-Type: application/http\r\n\r\nGET x HTTP/1.1\r\n\r\n\r\n--b--\r\n"),
    );
    assert_eq!(headers.status.code(), Some(1));
}

#[test]
fn inspect_shows_dependencies_and_extra_members() {
    let request = br#"{"requests":[{"id":"a","method":"get","url":"A"},{"id":"b","method":"get","url":"B","dependsOn":["a"],"if":"$a/$succeeded"}],"@trace":"t1"}"#;
    let out = batchwire(&["inspect"], Some(request));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "1     GET     A                                        id a     0 B\n\
         2     GET     B                                        id b     0 B  depends on a  extra if\n\
         request batch (odata-json): 2 operations in 2 items\n"
    );
    let doc: Value =
        serde_json::from_slice(&batchwire(&["inspect", "--json"], Some(request)).stdout).unwrap();
    assert_eq!(doc["items"][1]["position"], "2");
    assert_eq!(doc["items"][1]["depends_on"], serde_json::json!(["a"]));
    assert_eq!(
        doc["items"][1]["extra"],
        serde_json::json!({"if": "$a/$succeeded"})
    );
    assert_eq!(doc["items"][0]["depends_on"], serde_json::json!([]));
    assert_eq!(doc["items"][0]["extra"], serde_json::json!({}));
}

#[test]
fn a_position_without_a_response_is_not_a_status() {
    // Meta answers `null` for a request that produced no response.
    let response = br#"[{"code":200,"headers":[],"body":"{}"},null]"#;
    let out = batchwire(&["inspect", "--format", "meta-graph"], Some(response));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "1     200     OK                                                2 B\n\
         2     -       no response                                       0 B\n\
         response batch (meta-graph): 2 operations in 2 items\n"
    );
    let doc: Value = serde_json::from_slice(
        &batchwire(
            &["inspect", "--json", "--format", "meta-graph"],
            Some(response),
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(doc["items"][0]["status"], 200);
    assert_eq!(doc["items"][1]["status"], Value::Null);
}

#[test]
fn convert_refuses_what_breaks_the_target_unless_lenient() {
    // A V2 change outside a changeset, read leniently, written as OData V2.
    let request = b"--b\r\nContent-Type: application/http\r\n\r\nPOST Customers HTTP/1.1\r\n\r\n{}\r\n--b--\r\n";
    let args = [
        "convert",
        "--to",
        "multipart",
        "--dialect",
        "odata-v2",
        "--boundary",
        "c",
    ];
    let strict = batchwire(&args, Some(request));
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        text(&strict.stderr).starts_with("error: expected a query outside atomic groups"),
        "{}",
        text(&strict.stderr)
    );
    let mut lenient_args = args.to_vec();
    lenient_args.push("--lenient");
    let lenient = batchwire(&lenient_args, Some(request));
    assert!(lenient.status.success(), "{}", text(&lenient.stderr));
    assert!(
        text(&lenient.stderr).starts_with("warning: item 1: "),
        "{}",
        text(&lenient.stderr)
    );
    assert!(text(&lenient.stdout).contains("POST Customers HTTP/1.1\r\n"));
}

#[test]
fn correlate_says_what_happened_to_each_request() {
    let args = [
        "correlate",
        "examples/msgraph-request.json",
        "examples/msgraph-response.json",
    ];
    let out = batchwire(&args, None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "1     GET     /me                              succeeded          200\n\
         2     POST    /me/events                       failed             400  BadRequest: Invalid subject.\n\
         3     GET     /me/events                       failed-dependency  424  because of 2\n\
         4     GET     /me/drive/root/children          throttled          429  retry after 7 s\n\
         1 of 4 requests succeeded\n"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let doc: Value = serde_json::from_slice(&batchwire(&json_args, None).stdout).unwrap();
    assert_eq!(
        doc["outcomes"][2],
        serde_json::json!({
            "position": "3", "id": "3", "method": "GET", "url": "/me/events",
            "outcome": "failed-dependency", "status": 424, "cause": "2",
            "retry_after_s": null, "error": null
        })
    );
    assert_eq!(doc["outcomes"][3]["retry_after_s"], 7.0);
    assert_eq!(
        doc["outcomes"][1]["error"],
        serde_json::json!({"code": "BadRequest", "message": "Invalid subject."})
    );
    assert_eq!(doc["unmatched_responses"], serde_json::json!([]));
    assert_eq!(doc["problems"], serde_json::json!([]));

    // Every Google answer pairs with its item: exit 0 when all succeeded is exit 1 here (a 404).
    let google = batchwire(
        &[
            "correlate",
            "examples/google-request.batch",
            "examples/google-response.batch",
        ],
        None,
    );
    assert_eq!(google.status.code(), Some(1));
    assert!(text(&google.stdout).ends_with("2 of 3 requests succeeded\n"));

    // A payload that is not a batch is bad input.
    let bad = batchwire(
        &["correlate", "examples/msgraph-request.json", "README.md"],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn split_writes_batches_that_fit_and_names_what_cannot() {
    let dir = std::env::temp_dir().join(format!("batchwire-split-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out_dir = dir.to_str().unwrap();
    // The V4 sample: two GETs, a changeset of three, a GET.
    let args = [
        "split",
        "examples/odata-v4-request.batch",
        "--profile",
        "odata",
        "--max-ops",
        "3",
        "--out-dir",
        out_dir,
    ];
    let out = batchwire(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| l.split(" operation").next().unwrap().to_owned())
        .collect();
    assert_eq!(lines, ["001 2", "002 3", "003 1"]);
    // Each part reads back, with its content type, and the changeset is whole.
    let ct = std::fs::read_to_string(dir.join("002.content-type")).unwrap();
    let inspect = batchwire(
        &[
            "inspect",
            dir.join("002.batch").to_str().unwrap(),
            "--content-type",
            ct.trim(),
        ],
        None,
    );
    assert!(inspect.status.success(), "{}", text(&inspect.stderr));
    assert!(text(&inspect.stdout).contains("1     changeset\n1.1   POST"));
    // A changeset of three cannot fit in batches of two.
    let mut too_small = args.to_vec();
    too_small[5] = "2";
    let refused = batchwire(&too_small, None);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        text(&refused.stderr),
        "error: item 3: 3 operations that must go together, where odata takes at most 2\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn retry_writes_the_batch_to_send_again_and_when() {
    let args = [
        "retry",
        "examples/msgraph-request.json",
        "examples/msgraph-response.json",
        "--format",
        "msgraph",
    ];
    let out = batchwire(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Only the throttled request: the failed one and its dependent are not throttling's.
    assert_eq!(
        text(&out.stdout),
        r#"{"requests":[{"id":"4","method":"GET","url":"/me/drive/root/children"}]}"#
    );
    assert!(
        text(&out.stderr).ends_with("retry after 7 s\n"),
        "{}",
        text(&out.stderr)
    );
    // Nothing throttled: nothing to retry.
    let nothing = batchwire(
        &[
            "retry",
            "examples/google-request.batch",
            "examples/google-response.batch",
        ],
        None,
    );
    assert_eq!(nothing.status.code(), Some(3));
}

/// `batchwire serve ARGS` on a free port of 127.0.0.1: the process, stopped by its PID when
/// dropped whatever the assertions do, and its origin.
fn serve(args: &[&str]) -> (Stop, String) {
    use std::io::{BufRead as _, BufReader};

    let mut child = Command::new(env!("CARGO_BIN_EXE_batchwire"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let origin = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (Stop(child), origin)
}

/// An HTTP client for loopback: statuses are answers, not errors; no proxy.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent()
}

/// A server process, stopped by its PID when dropped.
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_upstream_refuses_atomic_groups_and_hides_why_the_upstream_failed() {
    // Port 1 on loopback: nothing answers there.
    let (_stop, origin) = serve(&["--upstream", "http://127.0.0.1:1/svc/"]);
    let agent = agent();
    let post = |body: &str| {
        let mut response = agent
            .post(format!("{origin}/v1.0/$batch"))
            .header("Content-Type", "application/json")
            .send(body)
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    };
    let (status, body) = post(
        r#"{"requests":[{"id":"1","method":"POST","url":"/users","atomicityGroup":"g","headers":{"Content-Type":"application/json"},"body":{}}]}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expected no atomic group"), "{body}");
    let (status, body) = post(r#"{"requests":[{"id":"1","method":"GET","url":"/users/1"}]}"#);
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let answer = &doc["responses"][0];
    assert_eq!(answer["status"], 502, "{doc}");
    assert_eq!(answer["body"]["error"]["code"], "BadGateway", "{doc}");
    // What went wrong (the address, the OS error) stays out of the answer.
    for leak in ["127.0.0.1:1", "refused", "error trying", "os error"] {
        assert!(!body.to_ascii_lowercase().contains(leak), "{leak}: {body}");
    }
}

#[test]
fn serve_demo_runs_batches_of_every_format_against_its_store() {
    let (_stop, origin) = serve(&["--demo"]);
    let agent = agent();
    let post = |path: &str, content_type: &str, body: &str| {
        let mut response = agent
            .post(format!("{origin}{path}"))
            .header("Content-Type", content_type)
            .send(body)
            .unwrap();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        (content_type, response.body_mut().read_to_string().unwrap())
    };
    // Graph: a create, a read that depends on it, a refused create and what depends on it.
    let (ct, body) = post(
        "/v1.0/$batch",
        "application/json",
        r#"{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":{"name":"Ada"}},{"id":"2","method":"GET","url":"/users/1","dependsOn":["1"]},{"id":"3","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":{"fail":true}},{"id":"4","method":"GET","url":"/users/1","dependsOn":["3"]}]}"#,
    );
    assert_eq!(ct, "application/json");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let statuses: Vec<u64> = doc["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 200, 400, 424]);
    // OData V4 multipart: a changeset whose second member uses `$1`; the store shows both.
    let (ct, body) = post(
        "/odata/$batch",
        "multipart/mixed; boundary=b",
        "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\nPOST Customers HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"name\":\"x\"}\r\n--c\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\nPOST $1/Orders HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"n\":1}\r\n--c--\r\n--b--\r\n",
    );
    assert!(ct.starts_with("multipart/mixed; boundary="), "{ct}");
    assert_eq!(body.matches("HTTP/1.1 201 Created").count(), 2, "{body}");
    let mut orders = agent
        .get(format!("{origin}/odata/Customers(2)/Orders"))
        .call()
        .unwrap();
    let orders: Value = serde_json::from_str(&orders.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(orders["value"][0]["n"], 1);
    // Creates aimed at another origin, out of the service root, at a batch endpoint, or with
    // Transfer-Encoding: each refused with 400, and none of them stored.
    let (_, body) = post(
        "/v1.0/$batch",
        "application/json",
        r#"{"requests":[
            {"id":"1","method":"POST","url":"http://127.0.0.1:1/v1.0/users","headers":{"Content-Type":"application/json"},"body":{"name":"elsewhere"}},
            {"id":"2","method":"POST","url":"/../../admin","headers":{"Content-Type":"application/json"},"body":{"name":"escape"}},
            {"id":"3","method":"POST","url":"/%2e%2e/admin","headers":{"Content-Type":"application/json"},"body":{"name":"encoded"}},
            {"id":"4","method":"POST","url":"/users%2f..%2fadmin","headers":{"Content-Type":"application/json"},"body":{"name":"slash"}},
            {"id":"5","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[]}},
            {"id":"6","method":"POST","url":"/users","headers":{"Content-Type":"application/json","Transfer-Encoding":"chunked"},"body":{"name":"smuggled"}}
        ]}"#,
    );
    let doc: Value = serde_json::from_str(&body).unwrap();
    for response in doc["responses"].as_array().unwrap() {
        assert_eq!(response["status"], 400, "{response}");
        assert_eq!(response["body"]["error"]["code"], "Refused", "{response}");
    }
    assert_eq!(doc["responses"].as_array().unwrap().len(), 6, "{doc}");
    let mut users = agent.get(format!("{origin}/v1.0/users")).call().unwrap();
    let users: Value = serde_json::from_str(&users.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(users["value"].as_array().map(Vec::len), Some(1), "{users}");
    assert_eq!(
        agent
            .get(format!("{origin}/admin"))
            .call()
            .unwrap()
            .status(),
        404
    );
    // A body that is not a batch: 400 with the located error.
    let (_, body) = post("/v1.0/$batch", "text/html", "<html>");
    assert!(body.starts_with("expected a multipart batch"), "{body}");
}

#[test]
fn serve_upstream_passes_only_configured_headers_and_reaches_only_allowed_origins() {
    let (upstream, head) = one_shot_upstream(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    );
    let (_demo, demo) = serve(&["--demo"]);
    let (_gateway, gateway) = serve(&[
        "--upstream",
        &upstream,
        "--pass-header",
        "X-Tenant",
        "--pass-header",
        "Authorization",
        "--allow-origin",
        &demo,
    ]);
    let agent = agent();
    let batch = serde_json::json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users/1", "headers": {"Authorization": "Bearer sub", "X-Tenant": "evil", "Cookie": "c=sub", "Accept": "application/json", "Connection": "upgrade", "Upgrade": "h2c", "Expect": "100-continue", "Keep-Alive": "timeout=999", "Host": "evil.test"}},
        {"id": "2", "method": "POST", "url": format!("{demo}/v1.0/users"), "headers": {"Content-Type": "application/json"}, "body": {"name": "via the allow-list"}},
        {"id": "3", "method": "GET", "url": format!("{demo}/v1.0/%2e%2e/admin")},
        {"id": "4", "method": "GET", "url": "http://127.0.0.1:1/x"},
    ]});
    let mut response = agent
        .post(format!("{gateway}/v1.0/$batch"))
        .header("Content-Type", "application/json")
        .header("X-Tenant", "t1")
        .header("Authorization", "Bearer outer")
        .header("Cookie", "c=outer")
        .send(batch.to_string())
        .unwrap();
    let doc: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let status = |id: &str| {
        doc["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].clone())
    };
    assert_eq!(status("1"), Some(serde_json::json!(200)), "{doc}");
    assert_eq!(status("2"), Some(serde_json::json!(201)), "{doc}");
    assert_eq!(status("3"), Some(serde_json::json!(400)), "{doc}");
    assert_eq!(status("4"), Some(serde_json::json!(400)), "{doc}");
    // The upstream got the outer request's configured headers, not the sub-request's.
    let head = head
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert!(head.starts_with("get /svc/users/1 http/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nx-tenant: t1\r\n"), "{head}");
    assert!(
        head.contains("\r\nauthorization: bearer outer\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\naccept: application/json\r\n"), "{head}");
    // Framing and hop-by-hop headers are the gateway's own, not the sub-request's.
    assert!(
        head.contains(&format!(
            "\r\nhost: {}\r\n",
            upstream
                .trim_start_matches("http://")
                .trim_end_matches("/svc/")
        )),
        "{head}"
    );
    for absent in [
        "evil",
        "bearer sub",
        "cookie",
        "upgrade",
        "h2c",
        "100-continue",
        "timeout=999",
    ] {
        assert!(!head.contains(absent), "{absent}: {head}");
    }
    // The allowed origin stored what was sent there.
    let mut user = agent.get(format!("{demo}/v1.0/users/1")).call().unwrap();
    let user: Value = serde_json::from_str(&user.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(user["name"], "via the allow-list", "{user}");
}

/// An upstream on a free port of 127.0.0.1 that answers one request with `answer` and sends
/// the head of that request, in lower case, through the receiver. Its URL ends in `/svc/`.
fn one_shot_upstream(answer: &'static [u8]) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read as _, Write as _};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/svc/", listener.local_addr().unwrap());
    let (heads, head) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
        }
        stream.write_all(answer).unwrap();
        heads
            .send(String::from_utf8_lossy(&seen).to_ascii_lowercase())
            .unwrap();
    });
    (url, head)
}

#[test]
fn serve_upstream_hands_a_redirect_back_without_following_it() {
    let (upstream, head) = one_shot_upstream(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let (_gateway, gateway) = serve(&["--upstream", &upstream]);
    let agent = agent();
    let mut response = agent
        .post(format!("{gateway}/v1.0/$batch"))
        .header("Content-Type", "application/json")
        .send(r#"{"requests":[{"id":"1","method":"GET","url":"/users/1"}]}"#)
        .unwrap();
    let doc: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(doc["responses"][0]["status"], 302, "{doc}");
    assert_eq!(
        doc["responses"][0]["headers"]["Location"], "http://127.0.0.1:1/elsewhere",
        "{doc}"
    );
    assert!(
        head.recv_timeout(std::time::Duration::from_secs(10))
            .is_ok()
    );
}

#[test]
fn serve_demo_refuses_a_batch_past_its_limits_before_running_any() {
    let (_demo, origin) = serve(&["--demo"]);
    let agent = agent();
    let requests: Vec<Value> = (1..=1001)
        .map(|i| serde_json::json!({"id": i.to_string(), "method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"}, "body": {}}))
        .collect();
    let response = agent
        .post(format!("{origin}/v1.0/$batch"))
        .header("Content-Type", "application/json")
        .send(serde_json::json!({ "requests": requests }).to_string())
        .unwrap();
    assert_eq!(response.status(), 413);
    let stored = agent.get(format!("{origin}/v1.0/users")).call().unwrap();
    assert_eq!(stored.status(), 404, "nothing was created");
}

#[test]
fn serve_demo_bounds_reference_growth_and_time() {
    let agent = agent();
    // `@{big.blob}` twice brings 1,200 bytes of the first answer into the second body.
    let (_demo, origin) = serve(&["--demo", "--max-body-bytes", "1000"]);
    let blob = "x".repeat(600);
    let composite = serde_json::json!({"compositeRequest": [
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Big", "referenceId": "big", "body": {"blob": blob}},
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Copy", "referenceId": "copy", "body": {"a": "@{big.blob}", "b": "@{big.blob}"}},
    ]});
    let mut response = agent
        .post(format!("{origin}/services/data/v60.0/composite"))
        .header("Content-Type", "application/json")
        .send(composite.to_string())
        .unwrap();
    let doc: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let statuses: Vec<&Value> = doc["compositeResponse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["httpStatusCode"])
        .collect();
    assert_eq!(statuses, [201, 413], "{doc}");
    let copies = agent
        .get(format!("{origin}/services/data/v60.0/sobjects/Copy"))
        .call()
        .unwrap();
    assert_eq!(copies.status(), 404, "the grown request did not run");

    // A deadline already past: nothing starts, each operation answers 503 with Retry-After.
    let (_late, origin) = serve(&["--demo", "--deadline-ms", "0"]);
    let mut response = agent
        .post(format!("{origin}/v1.0/$batch"))
        .header("Content-Type", "application/json")
        .send(r#"{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":{}},{"id":"2","method":"GET","url":"/users/1"}]}"#)
        .unwrap();
    let doc: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    for answer in doc["responses"].as_array().unwrap() {
        assert_eq!(answer["status"], 503, "{doc}");
        assert_eq!(answer["headers"]["Retry-After"], "1", "{doc}");
    }
    let users = agent.get(format!("{origin}/v1.0/users")).call().unwrap();
    assert_eq!(users.status(), 404, "nothing ran");
}

#[test]
fn serve_upstream_passes_headers_per_origin() {
    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    let (upstream, upstream_head) = one_shot_upstream(OK);
    let (other, other_head) = one_shot_upstream(OK);
    let other_origin = other.trim_end_matches("/svc/").to_owned();
    let (_gateway, gateway) = serve(&[
        "--upstream",
        &upstream,
        "--allow-origin",
        &other_origin,
        "--pass-header",
        "Authorization",
        "--pass-header",
        &format!("X-Tenant@{other_origin}"),
    ]);
    let agent = agent();
    let batch = serde_json::json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users/1"},
        {"id": "2", "method": "GET", "url": format!("{other}x")},
    ]});
    let mut response = agent
        .post(format!("{gateway}/v1.0/$batch"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer outer")
        .header("X-Tenant", "t1")
        .send(batch.to_string())
        .unwrap();
    let doc: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    for answer in doc["responses"].as_array().unwrap() {
        assert_eq!(answer["status"], 200, "{doc}");
    }
    let wait = std::time::Duration::from_secs(10);
    let to_upstream = upstream_head.recv_timeout(wait).unwrap();
    assert!(
        to_upstream.contains("\r\nauthorization: bearer outer\r\n"),
        "{to_upstream}"
    );
    assert!(!to_upstream.contains("x-tenant"), "{to_upstream}");
    let to_other = other_head.recv_timeout(wait).unwrap();
    assert!(
        to_other.starts_with("get /svc/x http/1.1\r\n"),
        "{to_other}"
    );
    assert!(to_other.contains("\r\nx-tenant: t1\r\n"), "{to_other}");
    assert!(!to_other.contains("authorization"), "{to_other}");
}
