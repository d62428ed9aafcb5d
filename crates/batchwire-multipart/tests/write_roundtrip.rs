//! Write, then read back: generated batches and every corpus payload come back as the same
//! items, with byte-identical bodies, and the written form passes the strict reader.

use std::path::{Path, PathBuf};

use batchwire_core::{
    AtomicGroup, Batch, BatchMessage, Header, Headers, Item, LossKind, MessageKind, SubRequest,
    SubResponse, ToleranceKind, WriteErrorKind,
};
use batchwire_multipart::{DecodeOptions, Decoded, Dialect, Encoder, WriteOptions, decode};
use bytes::Bytes;
use http::{Method, StatusCode};
use proptest::prelude::*;
use toml::Value;

// ---------------------------------------------------------------------------------------------
// What the writer promises, as a comparison of the model with what a reader gets back.
// ---------------------------------------------------------------------------------------------

/// One operation, seen by what the writer must keep.
trait Op {
    fn id(&self) -> Option<&str>;
    fn start(&self) -> String;
    fn headers(&self) -> &Headers;
    fn part_headers(&self) -> &Headers;
    fn body(&self) -> &Bytes;
    const KIND: MessageKind;
}

impl Op for SubRequest {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn start(&self) -> String {
        format!("{} {}", self.method, self.target)
    }
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn part_headers(&self) -> &Headers {
        &self.part_headers
    }
    fn body(&self) -> &Bytes {
        &self.body
    }
    const KIND: MessageKind = MessageKind::Request;
}

impl Op for SubResponse {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn start(&self) -> String {
        format!("{} {:?}", self.status.as_str(), self.reason_str())
    }
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn part_headers(&self) -> &Headers {
        &self.part_headers
    }
    fn body(&self) -> &Bytes {
        &self.body
    }
    const KIND: MessageKind = MessageKind::Response;
}

fn names_fold(dialect: Dialect, name: &[u8]) -> Vec<u8> {
    // Azure names are written in Azure's spelling; compare them without case there.
    if dialect == Dialect::Azure {
        name.to_ascii_lowercase()
    } else {
        name.to_vec()
    }
}

fn fields(dialect: Dialect, headers: impl Iterator<Item = Header>) -> Vec<(Vec<u8>, Vec<u8>)> {
    headers
        .map(|h| (names_fold(dialect, h.name()), h.value().to_vec()))
        .collect()
}

/// The part headers the writer does not manage.
fn own_part_headers(dialect: Dialect, headers: &Headers) -> Vec<(Vec<u8>, Vec<u8>)> {
    let managed = [
        "content-type",
        "content-transfer-encoding",
        "content-id",
        "content-length",
    ];
    fields(
        dialect,
        headers
            .iter()
            .filter(|h| !managed.iter().any(|m| h.is(m)))
            .map(|h| h.to_owned()),
    )
}

fn version_header(dialect: Dialect) -> Option<(&'static str, &'static str)> {
    match dialect {
        Dialect::OdataV2 => Some(("DataServiceVersion", "2.0")),
        Dialect::OdataV3 => Some(("DataServiceVersion", "3.0")),
        _ => None,
    }
}

/// Compares one operation of the model with the one read back; `flat` counts operations
/// from 0, `member` says whether it sits in a group.
fn compare_op<T: Op>(
    dialect: Dialect,
    model: &T,
    read: &T,
    flat: usize,
    member: bool,
    start_of: &impl Fn(&T) -> String,
) -> Result<(), String> {
    // Ids: as given, or generated where the dialect needs them.
    let read_id = read.id().map(str::to_owned);
    match (model.id(), dialect) {
        // Google answers a request's id `<item…>` as `<response-item…>`; other ids stay.
        (Some(id), Dialect::Google) if T::KIND == MessageKind::Response => {
            let want = if let Some(rest) = id.strip_prefix("<item") {
                format!("<response-item{rest}")
            } else if id.starts_with("item") {
                format!("response-{id}")
            } else {
                id.to_owned()
            };
            if read_id.as_deref() != Some(want.as_str()) {
                return Err(format!("id {read_id:?}, want {want:?}"));
            }
        }
        (Some(id), _) => {
            if read_id.as_deref() != Some(id) {
                return Err(format!("id {read_id:?}, want {id:?}"));
            }
        }
        (None, Dialect::Google) => {
            let prefix = match T::KIND {
                MessageKind::Request => format!("<item-{}:", flat + 1),
                MessageKind::Response => format!("<response-item-{}:", flat + 1),
            };
            if !read_id.as_deref().is_some_and(|id| id.starts_with(&prefix)) {
                return Err(format!("id {read_id:?}, want one starting with {prefix:?}"));
            }
        }
        (None, Dialect::Azure) => check_number(read_id.as_deref())?,
        (None, Dialect::OdataV4) if member && T::KIND == MessageKind::Request => {
            check_number(read_id.as_deref())?;
        }
        (None, _) => {
            if read_id.is_some() {
                return Err(format!("id {read_id:?}, want none"));
            }
        }
    }
    let (want_start, got_start) = (start_of(model), read.start());
    if want_start != got_start {
        return Err(format!("start line {got_start:?}, want {want_start:?}"));
    }
    if model.body() != read.body() {
        return Err(format!("body {:?}, want {:?}", read.body(), model.body()));
    }
    // Embedded headers: the model's, without Content-Length (checked on its own), without
    // Azure's x-ms-version on requests, with the dialect's version header added.
    let drop_version = dialect == Dialect::Azure && T::KIND == MessageKind::Request;
    let mut want: Vec<_> = fields(
        dialect,
        model
            .headers()
            .iter()
            .filter(|h| !(h.is("content-length") || drop_version && h.is("x-ms-version")))
            .map(|h| h.to_owned()),
    );
    if let Some((name, value)) = version_header(dialect)
        && !model.headers().contains(name)
    {
        want.push((name.as_bytes().to_vec(), value.as_bytes().to_vec()));
    }
    let got = fields(
        dialect,
        read.headers()
            .iter()
            .filter(|h| !h.is("content-length"))
            .map(|h| h.to_owned()),
    );
    if got != want {
        return Err(format!(
            "headers {:?}, want {:?}",
            show_fields(&got),
            show_fields(&want)
        ));
    }
    let lengths: Vec<_> = read.headers().get_all("content-length").collect();
    let want_len = model.body().len().to_string();
    let wants_length = !model.body().is_empty() || model.headers().contains("content-length");
    if wants_length && lengths != [want_len.as_bytes()] || !wants_length && !lengths.is_empty() {
        return Err(format!(
            "Content-Length {lengths:?}, want {}",
            if wants_length {
                want_len.as_str()
            } else {
                "none"
            }
        ));
    }
    let (got, want) = (
        own_part_headers(dialect, read.part_headers()),
        own_part_headers(dialect, model.part_headers()),
    );
    if got != want {
        return Err(format!(
            "part headers {:?}, want {:?}",
            show_fields(&got),
            show_fields(&want)
        ));
    }
    Ok(())
}

fn check_number(id: Option<&str>) -> Result<(), String> {
    match id {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!("id {id:?}, want a generated number")),
    }
}

fn show_fields(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    fields
        .iter()
        .map(|(n, v)| {
            format!(
                "{}: {}",
                String::from_utf8_lossy(n),
                String::from_utf8_lossy(v)
            )
        })
        .collect()
}

/// Compares a batch with the one read back from its written form.
fn compare<T: Op>(
    dialect: Dialect,
    model: &Batch<T>,
    read: &Batch<T>,
    start_of: impl Fn(&T) -> String,
) -> Result<(), String> {
    if model.items.len() != read.items.len() {
        return Err(format!(
            "{} items, want {}",
            read.items.len(),
            model.items.len()
        ));
    }
    let mut flat = 0;
    for (i, (want, got)) in model.items.iter().zip(&read.items).enumerate() {
        match (want, got) {
            (Item::Operation(want), Item::Operation(got)) => {
                compare_op(dialect, want, got, flat, false, &start_of)
                    .map_err(|e| format!("item {}: {e}", i + 1))?;
                flat += 1;
            }
            (Item::Group(want), Item::Group(got)) => {
                if want.operations.len() != got.operations.len() {
                    return Err(format!(
                        "item {}: {} members, want {}",
                        i + 1,
                        got.operations.len(),
                        want.operations.len()
                    ));
                }
                let own = |g: &AtomicGroup<T>| {
                    fields(
                        dialect,
                        g.part_headers
                            .iter()
                            .filter(|h| !h.is("content-type") && !h.is("content-length"))
                            .map(|h| h.to_owned()),
                    )
                };
                if own(want) != own(got) {
                    return Err(format!("item {}: changeset part headers differ", i + 1));
                }
                for (j, (w, g)) in want.operations.iter().zip(&got.operations).enumerate() {
                    compare_op(dialect, w, g, flat, true, &start_of)
                        .map_err(|e| format!("item {}, member {}: {e}", i + 1, j + 1))?;
                    flat += 1;
                }
            }
            _ => return Err(format!("item {}: operation and group swapped", i + 1)),
        }
    }
    Ok(())
}

fn request_start(r: &SubRequest) -> String {
    r.start()
}

fn response_start(r: &SubResponse) -> String {
    let reason = r
        .reason_str()
        .or_else(|| r.status.canonical_reason().map(Into::into))
        .unwrap_or_default();
    format!("{} {:?}", r.status.as_str(), Some(reason))
}

/// Writes `message`, reads it back with `read`, and compares.
fn round_trip(
    message: &BatchMessage,
    options: &WriteOptions,
    read: &DecodeOptions,
) -> Result<Decoded, String> {
    let encoder = Encoder::message(message, options).map_err(|e| format!("write: {e}"))?;
    let body = encoder.to_bytes();
    if body.len() != encoder.encoded_len() {
        return Err(format!(
            "wrote {} bytes, measured {}",
            body.len(),
            encoder.encoded_len()
        ));
    }
    let content_type = encoder.content_type().as_bytes().to_vec();
    let read = read.clone().with_kind(message.kind());
    let decoded = decode(&body, Some(&content_type), &read)
        .map_err(|e| format!("read back: {e}\n{}", String::from_utf8_lossy(&body)))?;
    let dialect = options.dialect;
    match (message, &decoded.message) {
        (BatchMessage::Request(want), BatchMessage::Request(got)) => {
            compare(dialect, want, got, request_start)
        }
        (BatchMessage::Response(want), BatchMessage::Response(got)) => {
            compare(dialect, want, got, response_start)
        }
        _ => Err("the kind changed".to_owned()),
    }
    .map_err(|e| format!("{e}\n{}", String::from_utf8_lossy(&body)))?;
    Ok(decoded)
}

// ---------------------------------------------------------------------------------------------
// Generated batches.
// ---------------------------------------------------------------------------------------------

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}"
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        6 => "[!-~]([ -~é]{0,16}[!-~])?".prop_map(String::into_bytes),
        1 => proptest::collection::vec(0x80u8.., 1..6),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "Accept", "Content-Type", "content-type", "If-Match", "Prefer", "Authorization",
            "x-ms-date", "X-MS-Version", "x-ms-version", "DataServiceVersion", "Location",
        ]).prop_map(str::to_owned),
        2 => token(),
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    let field = (header_name(), value());
    let stale_length = prop_oneof![Just("0"), Just("12"), Just("abc")];
    (
        proptest::collection::vec(field, 0..4),
        proptest::option::weighted(0.2, stale_length),
    )
        .prop_map(|(fields, length)| {
            let mut headers = Headers::new();
            for (name, value) in fields {
                headers.append(name, value);
            }
            if let Some(length) = length {
                headers.append("Content-Length", length);
            }
            headers
        })
}

fn part_headers() -> impl Strategy<Value = Headers> {
    let field = (
        prop::sample::select(vec!["X-Part", "MIME-Version", "x-trace"]).prop_map(str::to_owned),
        value(),
    );
    let managed = prop::sample::select(vec![
        ("content-type", "application/http"),
        ("Content-Transfer-Encoding", "7bit"),
        ("CONTENT-TYPE", "text/plain"),
    ]);
    (
        proptest::collection::vec(field, 0..2),
        proptest::option::weighted(0.3, managed),
    )
        .prop_map(|(fields, managed)| {
            let mut headers = Headers::new();
            if let Some((name, value)) = managed {
                headers.append(name, value);
            }
            for (name, value) in fields {
                headers.append(name, value);
            }
            headers
        })
}

/// Bodies that are empty, binary, or made of the framing's own pieces: line breaks, dashes,
/// boundary prefixes, delimiter-like lines and part headers.
fn body() -> impl Strategy<Value = Bytes> {
    let piece = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"--".to_vec()),
        Just(b"--batch_".to_vec()),
        Just(b"--changeset_".to_vec()),
        Just(b"--batch_0f6c8e52-31d4-4b1e-9a37-5b2d90c7e1a4--".to_vec()),
        Just(b"Content-Type: application/http\r\n\r\n".to_vec()),
        Just(b"HTTP/1.1 200 OK\r\n".to_vec()),
        "[a-z{}\":]{1,6}".prop_map(String::into_bytes),
    ];
    prop_oneof![
        1 => Just(Bytes::new()),
        2 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from),
        3 => proptest::collection::vec(piece, 0..12).prop_map(|p| Bytes::from(p.concat())),
    ]
}

fn method(query: bool) -> BoxedStrategy<Method> {
    if query {
        prop::sample::select(vec![Method::GET, Method::HEAD]).boxed()
    } else {
        prop_oneof![
            4 => prop::sample::select(vec![Method::POST, Method::PUT, Method::PATCH, Method::DELETE]),
            1 => "[A-Z]{3,8}"
                .prop_filter("not a query", |m| m != "GET" && m != "HEAD")
                .prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
        ]
        .boxed()
    }
}

fn target() -> impl Strategy<Value = String> {
    // A leading `$` would be a Content-ID reference; references have tests of their own.
    "[!-~]{1,24}".prop_map(|t| {
        if t.starts_with('$') {
            format!("x{t}")
        } else {
            t
        }
    })
}

/// Which id an operation gets: none, a number, a name, a bracketed name, or a name in the
/// form of a Google request's, bracketed or not; made unique by the operation's place.
fn id_kind() -> impl Strategy<Value = u8> {
    0u8..6
}

fn make_id(kind: u8, flat: usize, name: &str) -> Option<String> {
    match kind {
        0 => None,
        1 => Some(flat.to_string()),
        2 => Some(format!("{name}.{flat}")),
        3 => Some(format!("<{name}.{flat}>")),
        4 => Some(format!("<item{flat}:{name}>")),
        _ => Some(format!("item-{flat}.{name}")),
    }
}

#[derive(Clone, Debug)]
struct Spec<T> {
    op: T,
    id_kind: u8,
    id_name: String,
}

fn request(query: bool) -> impl Strategy<Value = Spec<SubRequest>> {
    (
        method(query),
        target(),
        headers(),
        part_headers(),
        body(),
        id_kind(),
        token(),
    )
        .prop_map(
            |(method, target, headers, part_headers, body, id_kind, id_name)| {
                let mut op = SubRequest::new(method, target).with_body(body);
                op.headers = headers;
                op.part_headers = part_headers;
                Spec {
                    op,
                    id_kind,
                    id_name,
                }
            },
        )
}

fn response() -> impl Strategy<Value = Spec<SubResponse>> {
    (
        100u16..1000,
        proptest::option::of("[!-~]([ -~]{0,12}[!-~])?"),
        headers(),
        part_headers(),
        body(),
        id_kind(),
        token(),
    )
        .prop_map(
            |(status, reason, headers, part_headers, body, id_kind, id_name)| {
                let mut op =
                    SubResponse::new(StatusCode::from_u16(status).unwrap()).with_body(body);
                op.reason = reason.map(Into::into);
                op.headers = headers;
                op.part_headers = part_headers;
                Spec {
                    op,
                    id_kind,
                    id_name,
                }
            },
        )
}

enum Shape<T> {
    Op(Spec<T>),
    Group(Vec<Spec<T>>, Option<String>),
}

impl<T: Clone + std::fmt::Debug> std::fmt::Debug for Shape<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Op(s) => write!(f, "{s:?}"),
            Shape::Group(g, _) => write!(f, "{g:?}"),
        }
    }
}

impl<T: Clone> Clone for Shape<T> {
    fn clone(&self) -> Self {
        match self {
            Shape::Op(s) => Shape::Op(s.clone()),
            Shape::Group(g, h) => Shape::Group(g.clone(), h.clone()),
        }
    }
}

fn build<T: Clone>(shapes: Vec<Shape<T>>, set_id: impl Fn(&mut T, Option<String>)) -> Batch<T> {
    let mut batch = Batch::new();
    let mut flat = 0;
    let mut spec_op = |spec: Spec<T>| {
        let mut op = spec.op;
        set_id(&mut op, make_id(spec.id_kind, flat, &spec.id_name));
        flat += 1;
        op
    };
    for shape in shapes {
        match shape {
            Shape::Op(spec) => batch.push(spec_op(spec)),
            Shape::Group(specs, header) => {
                let mut group = AtomicGroup::new(specs.into_iter().map(&mut spec_op).collect());
                if let Some(value) = header {
                    group.part_headers.append("X-Changeset", value);
                }
                batch.push_group(group);
            }
        }
    }
    batch
}

fn request_batch(dialect: Dialect) -> impl Strategy<Value = BatchRequest> {
    // OData V2/V3 want changes in changesets and every dialect wants queries outside them.
    let query_only = matches!(dialect, Dialect::OdataV2 | Dialect::OdataV3);
    let op = request(query_only).prop_map(Shape::Op);
    let shape = if dialect.allows_changesets() {
        let group = (
            proptest::collection::vec(request(false), 1..4),
            proptest::option::of("[a-z]{1,5}"),
        )
            .prop_map(|(specs, header)| Shape::Group(specs, header));
        prop_oneof![3 => op, 2 => group].boxed()
    } else {
        op.boxed()
    };
    proptest::collection::vec(shape, 1..6)
        .prop_map(|shapes| build(shapes, |op: &mut SubRequest, id| op.id = id))
}

fn response_batch(dialect: Dialect) -> impl Strategy<Value = BatchResponse> {
    let op = response().prop_map(Shape::Op);
    let shape = if dialect.allows_changesets() {
        let group = (
            proptest::collection::vec(response(), 1..4),
            proptest::option::of("[a-z]{1,5}"),
        )
            .prop_map(|(specs, header)| Shape::Group(specs, header));
        prop_oneof![3 => op, 2 => group].boxed()
    } else {
        op.boxed()
    };
    proptest::collection::vec(shape, 1..6)
        .prop_map(|shapes| build(shapes, |op: &mut SubResponse, id| op.id = id))
}

type BatchRequest = Batch<SubRequest>;
type BatchResponse = Batch<SubResponse>;

fn any_message() -> impl Strategy<Value = (Dialect, BatchMessage)> {
    prop::sample::select(Dialect::ALL.to_vec()).prop_flat_map(|dialect| {
        prop_oneof![
            request_batch(dialect).prop_map(BatchMessage::Request),
            response_batch(dialect).prop_map(BatchMessage::Response),
        ]
        .prop_map(move |message| (dialect, message))
    })
}

proptest! {
    /// Any batch the API builds writes, reads back strictly in its dialect, and compares
    /// equal: ids, start lines, headers and bodies byte for byte.
    #[test]
    fn any_batch_round_trips((dialect, message) in any_message()) {
        let options = WriteOptions::new(dialect);
        let read = DecodeOptions::strict().with_dialect(dialect);
        if let Err(e) = round_trip(&message, &options, &read) {
            return Err(TestCaseError::fail(e));
        }
    }

    /// With boundaries the caller chose, the writer refuses exactly the batches with a body
    /// line that starts with a delimiter, as a naive line splitter sees it, and round-trips
    /// the rest.
    #[test]
    fn chosen_boundaries_refuse_exactly_the_clashing_bodies(
        bodies in proptest::collection::vec(
            proptest::collection::vec(
                prop::sample::select(vec!["--b", "--cs", "-", "b", "\r\n", "\n", "\r", "x"]),
                0..8,
            ).prop_map(|p| p.concat()),
            1..5,
        ),
        grouped in any::<bool>(),
    ) {
        let ops: Vec<SubRequest> = bodies
            .iter()
            .map(|b| SubRequest::new(Method::POST, "x").with_body(b.clone()))
            .collect();
        let mut batch = BatchRequest::new();
        if grouped {
            batch.push_group(AtomicGroup::new(ops));
        } else {
            for op in ops {
                batch.push(op);
            }
        }
        let starts_a_line = |body: &str, delimiter: &str| {
            body.split(['\r', '\n']).any(|line| line.starts_with(delimiter))
        };
        let clash = bodies.iter().any(|b| starts_a_line(b, "--b") || (grouped && starts_a_line(b, "--cs")));
        let options = WriteOptions::default().with_boundary("b").with_changeset_boundary("cs");
        let message = BatchMessage::Request(batch);
        if let Err(e) = Encoder::message(&message, &options) {
            prop_assert!(clash, "refused without a clash: {e}");
            prop_assert_eq!(e.kind(), WriteErrorKind::BoundaryInBody);
        } else {
            prop_assert!(!clash, "accepted a clash");
            if let Err(e) = round_trip(&message, &options, &DecodeOptions::strict()) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus, re-written.
// ---------------------------------------------------------------------------------------------

/// Corpus payloads whose model the writer must refuse, in which dialect (`None`: all), and
/// why. Each is read leniently, but the writer only writes what a strict reader accepts (an
/// empty batch or changeset aside, which it writes and reports).
const REFUSED: &[(&str, Option<Dialect>, &str)] = &[
    (
        "olingo2-content-length-shorter-than-body.request.batch",
        None,
        "its request targets $NewEmployee, which no request of the changeset defines",
    ),
    (
        "olingo4-duplicate-content-id-in-changeset.request.batch",
        Some(Dialect::OdataV4),
        "Content-ID 1 twice in one changeset, which OData V4 does not allow",
    ),
    (
        "olingo4-large-lf-only.request.batch",
        Some(Dialect::OdataV4),
        "Content-ID 1 twice in one changeset, which OData V4 does not allow",
    ),
];

/// Reading rules that concern the batch's structure, which the writer writes as it is; a
/// re-written payload may break them only where the original did.
const STRUCTURAL: &[ToleranceKind] = &[
    ToleranceKind::QueryInChangeset,
    ToleranceKind::ChangeOutsideChangeset,
];

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn dialect_of(case: &Value) -> Dialect {
    if let Some(d) = str_field(case, "dialect") {
        return d.parse().unwrap();
    }
    match case.get("odata_version").and_then(Value::as_integer) {
        Some(2) => Dialect::OdataV2,
        Some(4) => Dialect::OdataV4,
        _ => Dialect::Generic,
    }
}

/// Re-writes every valid multipart case of a manifest in the generic dialect and in its
/// own; returns how many writes ran.
fn rewrite_manifest(dir: &Path, failures: &mut Vec<String>) -> usize {
    let text = std::fs::read_to_string(dir.join("MANIFEST.toml")).unwrap();
    let manifest: Value = toml::from_str(&text).unwrap();
    let mut ran = 0;
    for case in manifest["case"].as_array().unwrap() {
        if str_field(case, "format").is_some_and(|f| f != "multipart")
            || !case["valid"].as_bool().unwrap()
        {
            continue;
        }
        let file = str_field(case, "file").unwrap();
        let input = Bytes::from(std::fs::read(dir.join(&file)).unwrap());
        let content_type = str_field(case, "content_type");
        let ct = content_type.as_deref().map(str::as_bytes);
        let kind = match str_field(case, "direction").as_deref() {
            Some("response") => MessageKind::Response,
            _ => MessageKind::Request,
        };
        let case_dialect = dialect_of(case);
        let mut dialects = vec![Dialect::Generic];
        if case_dialect != Dialect::Generic {
            dialects.push(case_dialect);
        }
        for dialect in dialects {
            let lenient = DecodeOptions::lenient()
                .with_kind(kind)
                .with_dialect(dialect);
            let original = match decode(&input, ct, &lenient) {
                Ok(original) => original,
                Err(e) => {
                    failures.push(format!("{file}: the original does not read: {e}"));
                    continue;
                }
            };
            ran += 1;
            let refused = REFUSED
                .iter()
                .any(|(f, d, _)| *f == file && d.is_none_or(|d| d == dialect));
            let options = WriteOptions::new(dialect);
            let written = match Encoder::message(&original.message, &options) {
                Ok(encoder) => (
                    encoder.to_bytes(),
                    encoder.content_type().as_bytes().to_vec(),
                    encoder.into_report(),
                ),
                Err(_) if refused => {
                    // Lenient writing writes it, and reports what it breaks.
                    match Encoder::message(&original.message, &options.with_lenient(true)) {
                        Ok(encoder) if !encoder.report().is_empty() => {}
                        Ok(_) => failures.push(format!(
                            "{file} ({dialect}): written leniently without a report"
                        )),
                        Err(e) => failures.push(format!("{file} ({dialect}): lenient write: {e}")),
                    }
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{file} ({dialect}): write: {e}"));
                    continue;
                }
            };
            if refused {
                failures.push(format!(
                    "{file} ({dialect}): written though listed as refused"
                ));
            }
            let (body, content_type, report) = written;
            // An empty batch or changeset is written, and reported, as the original had it.
            let empty_reported = report.iter().any(|l| l.kind == LossKind::EmptyMultipart);
            let again = match decode(&body, Some(&content_type), &lenient) {
                Ok(again) => again,
                Err(e) => {
                    failures.push(format!("{file} ({dialect}): read back: {e}"));
                    continue;
                }
            };
            // The writer adds no tolerance of its own: what a reader still tolerates is a
            // structural rule the original broke too, or an empty multipart it reported.
            for t in &again.tolerated {
                let inherited = STRUCTURAL.contains(&t.kind)
                    && original.tolerated.iter().any(|o| o.kind == t.kind)
                    || t.kind == ToleranceKind::EmptyMultipart && empty_reported;
                if !inherited {
                    failures.push(format!(
                        "{file} ({dialect}): written form needs tolerance {t}"
                    ));
                }
            }
            let strict = DecodeOptions::strict()
                .with_kind(kind)
                .with_dialect(dialect);
            if again.tolerated.is_empty()
                && let Err(e) = decode(&body, Some(&content_type), &strict)
            {
                failures.push(format!("{file} ({dialect}): strict read back: {e}"));
            }
            let compared = match (&original.message, &again.message) {
                (BatchMessage::Request(want), BatchMessage::Request(got)) => {
                    compare(dialect, want, got, request_start)
                }
                (BatchMessage::Response(want), BatchMessage::Response(got)) => {
                    compare(dialect, want, got, response_start)
                }
                _ => Err("the kind changed".to_owned()),
            };
            if let Err(e) = compared {
                failures.push(format!("{file} ({dialect}): {e}"));
            }
        }
    }
    ran
}

fn rewrite_shared(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(name);
    if !dir.join("MANIFEST.toml").exists() {
        println!(
            "notice: {} not present; shared corpus {name} not re-written",
            dir.display()
        );
        return;
    }
    let mut failures = Vec::new();
    let ran = rewrite_manifest(&dir, &mut failures);
    println!("shared corpus {name}: {ran} payloads re-written and read back");
    assert!(ran > 0, "the corpus is present but nothing was re-written");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn odata_corpus_rewrites_to_the_same_items() {
    rewrite_shared("odata");
}

#[test]
fn live_cap_corpus_rewrites_to_the_same_items() {
    rewrite_shared("live-cap");
}
