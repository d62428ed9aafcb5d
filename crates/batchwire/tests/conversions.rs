//! Every fixture of the project converted into every format and dialect: each conversion
//! either refuses, or writes output that batchwire reads back, with every difference between
//! what was read and what is read back named in the report, at its position.
#![cfg(all(feature = "multipart", feature = "json"))]

use std::path::{Path, PathBuf};

use batchwire::{
    AtomicGroup, Batch, BatchMessage, BatchOptions, DecodeOptions, Dialect, Extra, Format, Headers,
    Item, JsonFormat, Loss, LossKind, Position, SubRequest, SubResponse, WriteOptions, WriteReport,
};
use bytes::Bytes;

/// The project's own payloads: the multipart fixtures (the invalid ones aside), the command's
/// samples, and the JSON fixtures of every format.
fn fixtures() -> Vec<(String, Bytes)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        root.join("crates/batchwire-multipart/tests/data/own"),
        root.join("examples"),
    ] {
        files.extend(listed(&dir, "batch"));
    }
    for format in JsonFormat::ALL {
        files.extend(listed(
            &root
                .join("crates/batchwire-json/tests/data")
                .join(format.name()),
            "json",
        ));
    }
    let fixtures: Vec<(String, Bytes)> = files
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("bad-"))
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap().display().to_string();
            (name, Bytes::from(std::fs::read(&p).unwrap()))
        })
        .collect();
    assert!(fixtures.len() > 40, "fixtures: {}", fixtures.len());
    fixtures
}

fn listed(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// Every format, and multipart in every dialect.
fn targets() -> Vec<Format> {
    Dialect::ALL
        .into_iter()
        .map(Format::Multipart)
        .chain(JsonFormat::ALL.into_iter().map(Format::Json))
        .collect()
}

/// What came of one conversion.
enum Outcome {
    Refused,
    ReadBack(Vec<String>),
}

fn convert(source: &BatchMessage, target: Format) -> Result<Outcome, String> {
    let Ok(written) = batchwire::encode(source, target, &WriteOptions::default()) else {
        return Ok(Outcome::Refused);
    };
    let options = DecodeOptions::lenient().with_kind(source.kind());
    let read = batchwire::decode(
        Some(target),
        Some(written.content_type().as_bytes()),
        &written.body,
        &options,
    )
    .map_err(|e| {
        format!(
            "output unreadable: {e}\n{}",
            String::from_utf8_lossy(&written.body)
        )
    })?;
    let silent = match (source, &read.message) {
        (BatchMessage::Request(a), BatchMessage::Request(b)) => {
            Compare::new(&written.report, target).batch(a, b, request_diffs)
        }
        (BatchMessage::Response(a), BatchMessage::Response(b)) => {
            Compare::new(&written.report, target).batch(a, b, response_diffs)
        }
        _ => vec!["read back as the other kind".to_owned()],
    };
    Ok(Outcome::ReadBack(silent))
}

#[test]
fn every_fixture_in_every_format_is_refused_or_read_back_with_every_change_reported() {
    let mut failures = Vec::new();
    let (mut refused, mut read_back) = (0, 0);
    for (name, body) in fixtures() {
        // A multipart fixture may have a preamble before its first delimiter: the format is
        // named, and the boundary taken from the first delimiter line.
        let format = Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("batch"))
            .then_some(Format::Multipart(Dialect::Generic));
        let Ok(source) = batchwire::decode(format, None, &body, &DecodeOptions::lenient()) else {
            failures.push(format!("{name}: the fixture does not read"));
            continue;
        };
        for target in targets() {
            let label = match target {
                Format::Multipart(d) => format!("{name} -> multipart {d}"),
                Format::Json(f) => format!("{name} -> {f}"),
            };
            match convert(&source.message, target) {
                Ok(Outcome::Refused) => refused += 1,
                Ok(Outcome::ReadBack(silent)) if silent.is_empty() => read_back += 1,
                Ok(Outcome::ReadBack(silent)) => {
                    failures.push(format!("{label}: changed without a report: {silent:?}"));
                }
                Err(e) => failures.push(format!("{label}: {e}")),
            }
        }
    }
    println!("conversions: {read_back} read back, {refused} refused");
    assert!(
        failures.is_empty(),
        "{} conversions fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        read_back > refused,
        "{read_back} read back, {refused} refused"
    );
}

/// One difference between what was written and what was read back, and where.
struct Diff {
    position: Option<Position>,
    what: String,
    /// Whether a loss explains it.
    explained_by: fn(&LossKind) -> bool,
}

/// Compares a batch with the batch read back from its conversion, and keeps the differences
/// that no loss of the report explains.
struct Compare<'r> {
    report: &'r WriteReport,
    target: Format,
}

impl<'r> Compare<'r> {
    fn new(report: &'r WriteReport, target: Format) -> Compare<'r> {
        Compare { report, target }
    }

    fn batch<T>(
        &self,
        a: &Batch<T>,
        b: &Batch<T>,
        op_diffs: fn(&T, &T, Format) -> Vec<OpDiff>,
    ) -> Vec<String> {
        let mut diffs = Vec::new();
        let a_ops: Vec<(Position, &T)> = Position::of_operations(a).zip(a.operations()).collect();
        let b_ops: Vec<&T> = b.operations().collect();
        if a_ops.len() != b_ops.len() {
            return vec![format!(
                "{} operations read back for {}",
                b_ops.len(),
                a_ops.len()
            )];
        }
        for ((position, x), y) in a_ops.iter().zip(&b_ops) {
            for (what, explained_by) in op_diffs(x, y, self.target) {
                diffs.push(Diff {
                    position: Some(*position),
                    what,
                    explained_by,
                });
            }
        }
        groups(a, b, &mut diffs);
        options(&a.options, &b.options, &mut diffs);
        extra(&a.extra, &b.extra, None, &mut diffs);
        diffs
            .into_iter()
            .filter(|d| !self.explained(d))
            .map(|d| match d.position {
                Some(p) => format!("item {p}: {}", d.what),
                None => format!("batch: {}", d.what),
            })
            .collect()
    }
}

/// Groups: kept with their members, names and extra members, or reported.
fn groups<T>(a: &Batch<T>, b: &Batch<T>, diffs: &mut Vec<Diff>) {
    let b_groups: Vec<(usize, &AtomicGroup<T>)> = groups_with_first_operation(b);
    for (i, item) in a.items.iter().enumerate() {
        let Item::Group(group) = item else {
            // An operation given a group of its own (Composite Graph) is reported.
            let first = operations_before(a, i);
            if b_groups
                .iter()
                .any(|(at, g)| *at == first && g.operations.len() == 1)
            {
                diffs.push(Diff {
                    position: Some(Position::item(i)),
                    what: "put in a group".into(),
                    explained_by: |k| matches!(k, LossKind::GroupInvented { .. }),
                });
            }
            continue;
        };
        let first = operations_before(a, i);
        let here = Position::item(i);
        let Some((_, kept)) = b_groups
            .iter()
            .find(|(at, g)| *at == first && g.operations.len() == group.operations.len())
        else {
            diffs.push(Diff {
                position: Some(here),
                what: "group not kept".into(),
                explained_by: |k| matches!(k, LossKind::Group),
            });
            continue;
        };
        if group.id.is_some() && kept.id != group.id {
            diffs.push(Diff {
                position: Some(here),
                what: format!("group name {:?} read back as {:?}", group.id, kept.id),
                explained_by: |k| matches!(k, LossKind::GroupId { .. }),
            });
        }
        extra(&group.extra, &kept.extra, Some(here), diffs);
    }
}

impl Compare<'_> {
    fn explained(&self, diff: &Diff) -> bool {
        self.report.iter().any(|loss: &Loss| {
            (loss.position == diff.position
                || (diff.position.is_some() && loss.position == diff.position.map(group_of)))
                && (diff.explained_by)(&loss.kind)
        })
    }
}

/// The group a member belongs to (the loss of a group names its item).
fn group_of(p: Position) -> Position {
    Position::item(p.item)
}

fn operations_before<T>(batch: &Batch<T>, item: usize) -> usize {
    batch.items[..item]
        .iter()
        .map(|i| match i {
            Item::Operation(_) => 1,
            Item::Group(g) => g.operations.len(),
        })
        .sum()
}

fn groups_with_first_operation<T>(batch: &Batch<T>) -> Vec<(usize, &AtomicGroup<T>)> {
    let mut out = Vec::new();
    let mut n = 0;
    for item in &batch.items {
        match item {
            Item::Operation(_) => n += 1,
            Item::Group(g) => {
                out.push((n, g));
                n += g.operations.len();
            }
        }
    }
    out
}

fn options(a: &BatchOptions, b: &BatchOptions, diffs: &mut Vec<Diff>) {
    let mut check = |name: &str, changed: bool| {
        if changed {
            diffs.push(Diff {
                position: None,
                what: format!("option {name} not read back"),
                explained_by: |k| matches!(k, LossKind::Option { .. }),
            });
        }
    };
    check(
        "continue_on_error",
        a.continue_on_error.is_some() && a.continue_on_error != b.continue_on_error,
    );
    check(
        "all_or_none",
        a.all_or_none.is_some() && a.all_or_none != b.all_or_none,
    );
    check(
        "halt_on_error",
        a.halt_on_error.is_some() && a.halt_on_error != b.halt_on_error,
    );
    check(
        "collate_subrequests",
        a.collate_subrequests.is_some() && a.collate_subrequests != b.collate_subrequests,
    );
    check(
        "has_errors",
        a.has_errors.is_some() && a.has_errors != b.has_errors,
    );
    check(
        "next_link",
        a.next_link.is_some() && a.next_link != b.next_link,
    );
}

fn extra(a: &Extra, b: &Extra, position: Option<Position>, diffs: &mut Vec<Diff>) {
    for (name, json) in a.iter() {
        if b.get(name) != Some(json) {
            diffs.push(Diff {
                position,
                what: format!("member {name:?} not read back"),
                explained_by: |k| matches!(k, LossKind::Member { .. }),
            });
        }
    }
}

type OpDiff = (String, fn(&LossKind) -> bool);

fn request_diffs(a: &SubRequest, b: &SubRequest, target: Format) -> Vec<OpDiff> {
    let mut diffs = Vec::new();
    id(a.id.as_deref(), b.id.as_deref(), &mut diffs);
    if !a.method.as_str().eq_ignore_ascii_case(b.method.as_str()) {
        diffs.push((
            format!("method {} read back as {}", a.method, b.method),
            |_| false,
        ));
    }
    if a.target != b.target {
        diffs.push((
            format!("target {:?} read back as {:?}", a.target, b.target),
            |k| matches!(k, LossKind::TargetEncoded { .. }),
        ));
    }
    let mut a_deps = a.depends_on.clone();
    let mut b_deps = b.depends_on.clone();
    a_deps.sort();
    b_deps.sort();
    if a_deps != b_deps {
        diffs.push((
            format!(
                "dependencies {:?} read back as {:?}",
                a.depends_on, b.depends_on
            ),
            |k| {
                matches!(
                    k,
                    LossKind::Dependency { .. } | LossKind::DependencyAdded { .. }
                )
            },
        ));
    }
    headers(&a.headers, &b.headers, &a.body, target, &mut diffs);
    part_headers(
        &a.part_headers,
        &b.part_headers,
        a.id.as_deref(),
        &mut diffs,
    );
    body(&a.body, &b.body, &mut diffs);
    extra_members(&a.extra, &b.extra, &mut diffs);
    diffs
}

fn response_diffs(a: &SubResponse, b: &SubResponse, target: Format) -> Vec<OpDiff> {
    let mut diffs = Vec::new();
    id(a.id.as_deref(), b.id.as_deref(), &mut diffs);
    if a.omitted != b.omitted || (!a.omitted && a.status != b.status) {
        diffs.push((
            format!(
                "status {} (omitted {}) read back as {} (omitted {})",
                a.status, a.omitted, b.status, b.omitted
            ),
            |k| matches!(k, LossKind::Omitted | LossKind::Status { .. }),
        ));
    }
    let canonical = a.status.canonical_reason().map(str::as_bytes);
    let same_reason = a.reason == b.reason
        || (a.reason.is_none() && b.reason.as_deref() == canonical)
        || (b.reason.is_none() && a.reason.as_deref() == canonical);
    if !same_reason {
        diffs.push((
            format!("reason {:?} read back as {:?}", a.reason, b.reason),
            |k| matches!(k, LossKind::Reason),
        ));
    }
    headers(&a.headers, &b.headers, &a.body, target, &mut diffs);
    part_headers(
        &a.part_headers,
        &b.part_headers,
        a.id.as_deref(),
        &mut diffs,
    );
    body(&a.body, &b.body, &mut diffs);
    extra_members(&a.extra, &b.extra, &mut diffs);
    diffs
}

fn id(a: Option<&str>, b: Option<&str>, diffs: &mut Vec<OpDiff>) {
    if a != b {
        diffs.push((format!("id {a:?} read back as {b:?}"), |k| {
            matches!(k, LossKind::Id { .. } | LossKind::IdInvented { .. })
        }));
    }
}

fn body(a: &Bytes, b: &Bytes, diffs: &mut Vec<OpDiff>) {
    if a != b {
        diffs.push((
            format!(
                "body {:?} read back as {:?}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            ),
            |k| {
                matches!(
                    k,
                    LossKind::BodyAsString | LossKind::BodyAsResult | LossKind::BodyTrimmed
                )
            },
        ));
    }
}

fn extra_members(a: &Extra, b: &Extra, diffs: &mut Vec<OpDiff>) {
    for (name, json) in a.iter() {
        if b.get(name) != Some(json) {
            diffs.push((format!("member {name:?} not read back"), |k| {
                matches!(k, LossKind::Member { .. })
            }));
        }
    }
}

/// Headers the framing of the target writes itself: the body's length, and the version
/// header a dialect puts on every part.
fn managed(name: &str, target: Format) -> bool {
    let version = match target {
        Format::Multipart(d) => d
            .rules()
            .version
            .filter(|v| v.on_parts)
            .is_some_and(|v| v.name.eq_ignore_ascii_case(name)),
        Format::Json(_) => false,
    };
    version || name.eq_ignore_ascii_case("content-length")
}

fn headers(a: &Headers, b: &Headers, body: &[u8], target: Format, diffs: &mut Vec<OpDiff>) {
    let values =
        |h: &Headers, name: &str| -> Vec<Vec<u8>> { h.get_all(name).map(<[u8]>::to_vec).collect() };
    for header in a {
        let name = header.name_str();
        if managed(&name, target) {
            // A length is kept only where it is the body's.
            if name.eq_ignore_ascii_case("content-length")
                && header.value() != body.len().to_string().as_bytes()
                && b.get("content-length").is_some_and(|v| v != header.value())
            {
                diffs.push((format!("header {name:?} changed"), |k| {
                    matches!(k, LossKind::Header { .. })
                }));
            }
            continue;
        }
        if values(a, &name) != values(b, &name) {
            diffs.push((
                format!(
                    "header {name:?} {:?} read back as {:?}",
                    String::from_utf8_lossy(header.value()),
                    b.get_str(&name)
                ),
                |k| {
                    matches!(
                        k,
                        LossKind::Header { .. } | LossKind::HeadersCombined { .. }
                    )
                },
            ));
        }
    }
    for header in b {
        let name = header.name_str();
        if !managed(&name, target) && !a.contains(&name) {
            diffs.push((format!("header {name:?} added"), |k| {
                matches!(k, LossKind::ContentTypeAdded)
            }));
        }
    }
}

/// Part headers that say more than the multipart framing they came from.
fn part_headers(a: &Headers, b: &Headers, id: Option<&str>, diffs: &mut Vec<OpDiff>) {
    let framing = |name: &str, value: &[u8]| {
        let value = value.to_ascii_lowercase();
        (name.eq_ignore_ascii_case("content-type")
            && (value.starts_with(b"application/http") || value.starts_with(b"multipart/")))
            || name.eq_ignore_ascii_case("content-transfer-encoding")
            || name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("mime-version")
            || (name.eq_ignore_ascii_case("content-id")
                && id.is_some_and(|id| id.as_bytes() == value.trim_ascii()))
    };
    for header in a {
        let name = header.name_str();
        if framing(&name, header.value()) {
            continue;
        }
        if !b.get_all(&name).any(|v| v == header.value()) {
            diffs.push((format!("part header {name:?} not read back"), |k| {
                matches!(k, LossKind::PartHeaders | LossKind::PartHeader { .. })
            }));
        }
    }
}
