//! Interop with Azurite, the Azure Storage emulator (the npm package `azurite` in `interop/`),
//! whose blob service implements the Blob Batch API.
//!
//! Each case creates a container and blobs with plain REST calls, sends a blob batch written
//! by batchwire in the `azure` dialect, reads the answer with batchwire's decoder in strict
//! mode, pairs each sub-response with its sub-request with `batchwire::client::correlate`,
//! and then reads the blobs' state back with plain REST calls.
//!
//! Every request, the batch and each of its sub-requests, is authorized with a Shared Key
//! signature for Azurite's well-known development account, as the Blob Batch API asks: each
//! sub-request carries its own `x-ms-date` and `Authorization`, and no `x-ms-version` (the
//! batch's applies to all).
//!
//! Azurite runs Delete Blob and Set Blob Tier in a batch, and nothing else; all the
//! sub-requests of one batch must be the same operation. Its answers differ from Azure's documented examples in
//! ways batchwire's strict reading allows: the answer reuses the request's boundary, a
//! sub-response without a body has no empty line after its headers (the part ends there),
//! and an error body is followed by a line break.
//!
//! The emulator needs node >= 20 and npm with the npm registry, so the test runs only when
//! `BATCHWIRE_INTEROP=1`; otherwise it prints a notice and passes.

mod support;

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::Server;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use batchwire::client::{Outcome, correlate};
use batchwire::multipart::{DecodeOptions, Dialect, WriteOptions};
use batchwire::{BatchRequest, BatchResponse, Format, LossKind, SubRequest};
use bytes::Bytes;
use hmac::{Hmac, KeyInit as _, Mac as _};
use http::Method;
use sha2::Sha256;

/// Azurite's well-known development account and its key (documented by Azurite, and the same
/// in every installation).
const ACCOUNT: &str = "devstoreaccount1";
const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// The REST API version sent on every request but the sub-requests of a batch: a batch scoped
/// to a container needs 2020-04-08 or later. Azurite refuses versions it does not know (the
/// check is left on: `--skipApiVersionCheck` is not given), and knows this one.
const API_VERSION: &str = "2025-01-05";
/// The format of every batch here.
const FORMAT: Format = Format::Multipart(Dialect::Azure);

#[test]
fn azurite_runs_the_blob_batches_batchwire_writes() {
    if !support::enabled("the blob batches against Azurite") {
        return;
    }
    let dir = support::interop_dir();
    let server = Server::start(
        "Azurite",
        &dir,
        &[
            "azurite.js",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "{port}",
            // Nothing on disk: a fresh account on every start.
            "--inMemoryPersistence",
            "--extentMemoryLimit",
            "64",
            // No telemetry, which would reach for the network.
            "--disableTelemetry",
            // No access log on standard output; the debug log goes to its own file.
            "--silent",
            "--debug",
            "{log}",
        ],
        |port| Storage::new(port).answers(),
    );
    let storage = Storage::new(server.port);

    let cases: [Case; 2] = [
        (
            "azure blob batch: delete three blobs, one missing",
            delete_with_one_missing,
        ),
        ("azure blob batch: set tier", set_tier),
    ];
    let failed = support::run_cases(&cases, &storage);
    let log = server.log.clone();
    drop(server);
    assert!(
        failed.is_empty(),
        "interop cases failed: {failed:?}; the emulator's logs are {} and {}",
        log.display(),
        log.with_extension("debug.log").display()
    );
}

/// A case: its name, and the function that runs it against the emulator.
type Case = support::Case<Storage>;

// ------------------------------------------------------------------------------------------
// The cases.

/// A container batch (`restype=container&comp=batch`) of three Delete Blob sub-requests, the
/// second naming a blob that does not exist: two 202s and one 404 `BlobNotFound`, after which
/// the two blobs are gone.
fn delete_with_one_missing(storage: &Storage) {
    let container = "batchwire-delete";
    storage.create_container(container);
    for blob in ["first.txt", "third.txt"] {
        storage.put_blob(container, blob, b"to be deleted in a batch");
    }

    let mut batch = BatchRequest::new();
    for blob in ["first.txt", "missing.txt", "third.txt"] {
        batch.push(signed_sub_request(
            Method::DELETE,
            &Resource::blob(container, blob),
            &[],
        ));
    }
    let endpoint = Resource::container(container).with_query(&[("comp", "batch")]);
    let outcomes = storage.exchange(&endpoint, &batch);
    assert_eq!(
        outcomes,
        [
            "1 succeeded 202",
            "2 failed 404 BlobNotFound",
            "3 succeeded 202"
        ]
    );

    for blob in ["first.txt", "missing.txt", "third.txt"] {
        let reply = storage.head_blob(container, blob);
        assert_eq!(reply.status, 404, "HEAD {blob} after the batch");
        assert_eq!(reply.header("x-ms-error-code"), Some("BlobNotFound"));
    }
    // The container itself is still there, and empty.
    let reply = storage.send(
        &Method::GET,
        &Resource::container(container).with_query(&[("comp", "list")]),
        &[],
        b"",
    );
    assert_eq!(reply.status, 200, "List Blobs: {}", reply.text());
    assert!(
        !reply.text().contains("<Blob>"),
        "blobs left after the batch: {}",
        reply.text()
    );
}

/// An account batch (`comp=batch` on the account) of two Set Blob Tier sub-requests
/// (`PUT ...?comp=tier` with `x-ms-access-tier`), one to Cool and one to Archive: both 200,
/// after which each blob has its new tier, no longer an inferred one.
fn set_tier(storage: &Storage) {
    let container = "batchwire-tier";
    storage.create_container(container);
    let blobs = [("cool.txt", "Cool"), ("archive.txt", "Archive")];
    for (blob, _) in blobs {
        storage.put_blob(container, blob, b"to be moved to another tier in a batch");
        let reply = storage.head_blob(container, blob);
        assert_eq!(reply.status, 200, "HEAD {blob} before the batch");
        assert_eq!(reply.header("x-ms-access-tier"), Some("Hot"), "{blob}");
        assert_eq!(reply.header("x-ms-access-tier-inferred"), Some("true"));
    }

    let mut batch = BatchRequest::new();
    for (blob, tier) in blobs {
        batch.push(signed_sub_request(
            Method::PUT,
            &Resource::blob(container, blob).with_query(&[("comp", "tier")]),
            &[("x-ms-access-tier", tier)],
        ));
    }
    let endpoint = Resource::account().with_query(&[("comp", "batch")]);
    let outcomes = storage.exchange(&endpoint, &batch);
    assert_eq!(outcomes, ["1 succeeded 200", "2 succeeded 200"]);

    for (blob, tier) in blobs {
        let reply = storage.head_blob(container, blob);
        assert_eq!(reply.status, 200, "HEAD {blob} after the batch");
        assert_eq!(reply.header("x-ms-access-tier"), Some(tier), "{blob}");
        // Set explicitly now: Azurite says `false`, Azure leaves the header out.
        assert_ne!(
            reply.header("x-ms-access-tier-inferred"),
            Some("true"),
            "{blob}"
        );
    }
}

/// A sub-request of a blob batch, authorized on its own: its own `x-ms-date` and Shared Key
/// `Authorization`, `Content-Length: 0`, and no `x-ms-version`.
fn signed_sub_request(method: Method, resource: &Resource, headers: &[(&str, &str)]) -> SubRequest {
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    headers.push(("x-ms-date".to_owned(), http_date(SystemTime::now())));
    headers.push(("Content-Length".to_owned(), "0".to_owned()));
    let authorization = shared_key(&method, resource, &headers);
    let mut request = SubRequest::new(method, resource.uri());
    for (name, value) in headers {
        request = request.with_header(name, value);
    }
    request.with_header("Authorization", authorization)
}

// ------------------------------------------------------------------------------------------
// Outcomes.

/// What happened to each sub-request, as `batchwire::client::correlate` tells it, with the
/// status and, for a failure, the error code: `2 failed 404 BlobNotFound`.
///
/// Azure's error bodies are XML, which the client's error-body reader does not take, so the
/// code is the sub-response's `x-ms-error-code` header; the body must say the same.
fn outcomes(sent: &BatchRequest, answer: &BatchResponse) -> Vec<String> {
    let correlation = correlate(sent, answer, FORMAT, SystemTime::now());
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
            let response = o
                .response
                .unwrap_or_else(|| panic!("{}: no answer", o.position));
            assert_eq!(
                response.id, o.request.id,
                "{}: paired by Content-ID",
                o.position
            );
            let mut line = format!(
                "{} {} {}",
                o.position,
                o.outcome.name(),
                response.status.as_u16()
            );
            if let Outcome::Failed { error } = &o.outcome {
                let header = response.headers.get_str("x-ms-error-code");
                let code = error.as_ref().and_then(|e| e.code.as_deref()).or(header);
                let code = code.unwrap_or("(no code)");
                let body = String::from_utf8_lossy(&response.body);
                assert!(
                    body.contains(&format!("<Code>{code}</Code>")),
                    "{}: the error body does not say {code}: {body:?}",
                    o.position
                );
                let _ = write!(line, " {code}");
            }
            line
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Shared Key authorization.

/// A resource of the development account, as a path from the service root (path-style, the
/// account first) and its query.
struct Resource {
    path: String,
    query: Vec<(&'static str, &'static str)>,
}

impl Resource {
    fn account() -> Resource {
        Resource {
            path: format!("/{ACCOUNT}/"),
            query: Vec::new(),
        }
    }

    fn container(container: &str) -> Resource {
        Resource {
            path: format!("/{ACCOUNT}/{container}"),
            query: vec![("restype", "container")],
        }
    }

    fn blob(container: &str, blob: &str) -> Resource {
        Resource {
            path: format!("/{ACCOUNT}/{container}/{blob}"),
            query: Vec::new(),
        }
    }

    fn with_query(mut self, query: &[(&'static str, &'static str)]) -> Resource {
        self.query.extend_from_slice(query);
        self
    }

    /// The path and query, as a request line or a URL has them (none here needs escaping).
    fn uri(&self) -> String {
        let mut uri = self.path.clone();
        for (i, (name, value)) in self.query.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            let _ = write!(uri, "{sep}{name}={value}");
        }
        uri
    }
}

/// The `Authorization` header of a request: `SharedKey ACCOUNT:SIGNATURE`, an HMAC-SHA256 with
/// the account key over the method, the standard headers, the `x-ms-` headers and the
/// resource, each in its canonical form ("Authorize with Shared Key", the 2009-09-19 and later
/// string to sign).
fn shared_key(method: &Method, resource: &Resource, headers: &[(String, String)]) -> String {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    };
    let mut to_sign = format!("{method}\n");
    for name in [
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-MD5",
        "Content-Type",
        "Date",
        "If-Modified-Since",
        "If-Match",
        "If-None-Match",
        "If-Unmodified-Since",
        "Range",
    ] {
        let value = header(name);
        // A zero length is signed as an empty one.
        let value = if name == "Content-Length" && value == "0" {
            ""
        } else {
            value
        };
        to_sign.push_str(value);
        to_sign.push('\n');
    }
    let mut ms: Vec<(String, &str)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .filter(|(n, _)| n.starts_with("x-ms-"))
        .collect();
    ms.sort_unstable();
    for (name, value) in ms {
        let _ = writeln!(to_sign, "{name}:{value}");
    }
    let _ = write!(to_sign, "/{ACCOUNT}{}", resource.path);
    let mut query: Vec<(String, &str)> = resource
        .query
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), *v))
        .collect();
    query.sort_unstable();
    for (name, value) in query {
        let _ = write!(to_sign, "\n{name}:{value}");
    }
    let key = BASE64
        .decode(ACCOUNT_KEY)
        .expect("the account key is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(to_sign.as_bytes());
    let signature = BASE64.encode(mac.finalize().into_bytes());
    format!("SharedKey {ACCOUNT}:{signature}")
}

/// An HTTP-date (RFC 9110, IMF-fixdate), as `x-ms-date` wants it:
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(UNIX_EPOCH)
        .expect("a time after 1970")
        .as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // The civil date of a day count, in 400-year eras of 146,097 days that start on March 1st.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[test]
fn http_dates_are_imf_fixdates() {
    let at = |secs| http_date(UNIX_EPOCH + Duration::from_secs(secs));
    assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    assert_eq!(at(1_767_225_599), "Wed, 31 Dec 2025 23:59:59 GMT");
}

// ------------------------------------------------------------------------------------------
// The emulator and the HTTP client.

/// A plain HTTP/1.1 client for the blob service, which signs every request.
struct Storage {
    agent: ureq::Agent,
    origin: String,
}

/// A response to a plain request.
struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Storage {
    fn new(port: u16) -> Storage {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Loopback never goes through a proxy, whatever the environment says.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        Storage {
            agent,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Whether the service answers at all (an unsigned request gets a 403 from it).
    fn answers(&self) -> bool {
        self.agent
            .get(format!("{}/{ACCOUNT}/?comp=list", self.origin))
            .call()
            .is_ok_and(|r| {
                r.headers()
                    .get("server")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|s| s.starts_with("Azurite-Blob/"))
            })
    }

    /// Sends a request with `x-ms-version`, `x-ms-date` and a Shared Key `Authorization`.
    fn send(
        &self,
        method: &Method,
        resource: &Resource,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let with_body = *method == Method::PUT || *method == Method::POST;
        let mut headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        headers.push(("x-ms-version".to_owned(), API_VERSION.to_owned()));
        headers.push(("x-ms-date".to_owned(), http_date(SystemTime::now())));
        let authorization = {
            // The client writes the Content-Length of a body itself; it is signed all the same.
            let mut signed = headers.clone();
            if with_body {
                signed.push(("Content-Length".to_owned(), body.len().to_string()));
            }
            shared_key(method, resource, &signed)
        };
        let mut request = http::Request::builder().method(method.clone()).uri(format!(
            "{}{}",
            self.origin,
            resource.uri()
        ));
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        request = request.header("Authorization", authorization);
        let response = if with_body {
            self.agent.run(request.body(body).expect("a request"))
        } else {
            self.agent.run(request.body(()).expect("a request"))
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {}: {e}", resource.uri()));
        let body = if *method == Method::HEAD {
            Vec::new()
        } else {
            response.body_mut().read_to_vec().expect("a body")
        };
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
        }
    }

    fn create_container(&self, container: &str) {
        let reply = self.send(&Method::PUT, &Resource::container(container), &[], b"");
        assert_eq!(reply.status, 201, "Create Container: {}", reply.text());
    }

    fn put_blob(&self, container: &str, blob: &str, content: &[u8]) {
        let reply = self.send(
            &Method::PUT,
            &Resource::blob(container, blob),
            &[
                ("x-ms-blob-type", "BlockBlob"),
                ("Content-Type", "text/plain"),
            ],
            content,
        );
        assert_eq!(reply.status, 201, "Put Blob {blob}: {}", reply.text());
    }

    /// Get Blob Properties.
    fn head_blob(&self, container: &str, blob: &str) -> Reply {
        self.send(&Method::HEAD, &Resource::blob(container, blob), &[], b"")
    }

    /// Writes the batch with batchwire, sends it to `endpoint` (an account or a container with
    /// `comp=batch`), reads the answer strictly and says what happened to each sub-request.
    fn exchange(&self, endpoint: &Resource, batch: &BatchRequest) -> Vec<String> {
        let written = batchwire::encode(batch, FORMAT, &WriteOptions::default())
            .unwrap_or_else(|e| panic!("the azure writer refused the batch: {e}"));
        // The dialect numbers the parts from 0 as Content-IDs; nothing else may be lost.
        for loss in &written.report {
            let numbered = match (&loss.kind, loss.position) {
                (LossKind::IdInvented { id }, Some(at)) => *id == at.item.to_string(),
                _ => false,
            };
            assert!(numbered, "the azure writer could not carry it: {loss}");
        }
        let content_type = written.content_type().to_owned();
        // What was sent, as the service reads it: the Content-IDs are the writer's.
        let (sent, tolerated) = batchwire::decode_request(
            Some(FORMAT),
            Some(content_type.as_bytes()),
            &written.body,
            &DecodeOptions::strict(),
        )
        .unwrap_or_else(|e| panic!("our azure batch does not read back strictly: {e}"));
        assert!(tolerated.is_empty(), "{tolerated:?}");

        let reply = self.send(
            &Method::POST,
            endpoint,
            &[("Content-Type", &content_type)],
            &written.body,
        );
        // The batch as a whole is accepted whatever its sub-requests answer.
        assert_eq!(
            reply.status,
            202,
            "POST {}: {}",
            endpoint.uri(),
            reply.text()
        );
        let answer_type = reply
            .header("content-type")
            .expect("a Content-Type")
            .to_owned();
        let body = Bytes::from(reply.body);
        let (answer, tolerated) = batchwire::decode_response(
            Some(FORMAT),
            Some(answer_type.as_bytes()),
            &body,
            &DecodeOptions::strict(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "Azurite's answer does not read strictly: {e}\n{}",
                String::from_utf8_lossy(&body)
            )
        });
        assert!(tolerated.is_empty(), "{tolerated:?}");
        outcomes(&sent, &answer)
    }
}
