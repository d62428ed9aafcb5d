//! Everything the writer decides before it writes a byte: checks, ids, boundaries, losses.

use std::collections::{HashMap, HashSet};

use batchwire_core::WriteErrorKind as K;
use batchwire_core::{
    AtomicGroup, Batch, Header, Item, Loss, LossKind, MessageKind, Position, WriteError,
    WriteReport, odata_reference,
};
use memchr::memmem;

use super::WriteOptions;
use super::operation::Operation;
use super::random;
use batchwire_core::{Dialect, IdScheme};
use crate::content_type::is_application_http;
use crate::grammar::{is_tchar, is_ws};

/// How many fresh boundaries to try before giving up; each clashes only if a body already
/// holds that exact random value at the start of a line.
const ATTEMPTS: usize = 16;

/// OData resources whose names start with `$` but that are not Content-ID references
/// (OData 4.01 part 2, section 4, and part 1, section 11.7.3.1).
const SYSTEM_RESOURCES: &[&str] = &[
    "all",
    "batch",
    "count",
    "crossjoin",
    "each",
    "entity",
    "filter",
    "id",
    "metadata",
    "ref",
    "root",
    "search",
    "value",
];

/// The writer's decisions for one batch.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    pub(super) dialect: Dialect,
    pub(super) boundary: String,
    /// One per atomic group, in batch order.
    pub(super) group_boundaries: Vec<String>,
    /// One per operation, in wire order (members of groups included).
    pub(super) ids: Vec<Option<Id<'a>>>,
    pub(super) report: WriteReport,
    /// OData V4 `Prefer: odata.continue-on-error` on the envelope.
    pub(super) continue_on_error: bool,
}

/// The Content-ID an operation is written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Id<'a> {
    /// The model's id, as it is.
    Given(&'a str),
    /// A generated number (OData V4 changeset members, Azure parts).
    Number(usize),
    /// A generated Google id, `<item-N:BASE>` or `<response-item-N:BASE>`, where `BASE` is
    /// the batch boundary and `N` counts operations from 1.
    Google(usize),
    /// The model's id of a Google response, with `response-` put after the `<` unless it is
    /// there already.
    GoogleAnswer(&'a str),
}

/// Checks a batch and makes every decision its writing needs.
pub(super) fn plan<'a, T: Operation>(
    batch: &'a Batch<T>,
    options: &WriteOptions,
) -> Result<Plan<'a>, WriteError> {
    let dialect = options.dialect;
    let mut report = WriteReport::new();
    check_items(batch, dialect, &mut report)?;
    if T::KIND == MessageKind::Request && dialect.allows_changesets() {
        check_references(batch, dialect)?;
    }
    let (boundary, group_boundaries) = boundaries(batch, options, random::boundary)?;
    let ids = assign_ids(batch, dialect);
    report_unwritten_content_ids(batch, &ids, &mut report);
    let continue_on_error = batch_options(batch, dialect, &mut report);
    Ok(Plan {
        dialect,
        boundary,
        group_boundaries,
        ids,
        report,
        continue_on_error,
    })
}

/// A part-header Content-ID is written from the operation's id; without one (given or
/// generated), it is left out, and said so.
fn report_unwritten_content_ids<T: Operation>(
    batch: &Batch<T>,
    ids: &[Option<Id<'_>>],
    report: &mut WriteReport,
) {
    let positions = Position::of_operations(batch).zip(batch.operations());
    for ((at, op), id) in positions.zip(ids) {
        if id.is_none() && op.part_headers().contains("content-id") {
            report.push(
                Loss::new(
                    Some(at),
                    LossKind::PartHeader {
                        name: "Content-ID".into(),
                    },
                )
                .because("the operation has no id, from which the Content-ID is written"),
            );
        }
    }
}

/// Records the batch options multipart cannot carry; returns whether to send OData V4's
/// continue-on-error preference.
fn batch_options<T>(batch: &Batch<T>, dialect: Dialect, report: &mut WriteReport) -> bool {
    let options = &batch.options;
    let mut continue_on_error = false;
    if options.continue_on_error == Some(true) {
        if dialect.rules().continue_on_error {
            continue_on_error = true;
        } else {
            report.push(
                Loss::new(
                    None,
                    LossKind::Option {
                        name: "continue_on_error",
                    },
                )
                .because(format!("the {dialect} dialect has no way to ask for it")),
            );
        }
    }
    if options.all_or_none == Some(true) {
        report.push(
            Loss::new(
                None,
                LossKind::Option {
                    name: "all_or_none",
                },
            )
            .because(
                "multipart batches make only changesets atomic; put the operations in one group",
            ),
        );
    }
    if options.halt_on_error == Some(true) {
        report.push(
            Loss::new(
                None,
                LossKind::Option {
                    name: "halt_on_error",
                },
            )
            .because("multipart batches have no way to say it"),
        );
    }
    continue_on_error
}

/// Checks the shape of the batch and every operation, and records what will be dropped.
fn check_items<T: Operation>(
    batch: &Batch<T>,
    dialect: Dialect,
    report: &mut WriteReport,
) -> Result<(), WriteError> {
    if batch.items.is_empty() {
        return Err(WriteError::new(
            K::EmptyMultipart,
            None,
            "expected at least one operation in the batch (RFC 2046 wants a body part), found none",
        ));
    }
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            Item::Operation(op) => {
                check_operation(op, Position::item(i), dialect, report)?;
                check_placement(op, Position::item(i), false, dialect)?;
            }
            Item::Group(group) => {
                check_group(group, i, dialect, report)?;
                for (j, op) in group.operations.iter().enumerate() {
                    check_operation(op, Position::member(i, j), dialect, report)?;
                    check_placement(op, Position::member(i, j), true, dialect)?;
                }
            }
        }
    }
    Ok(())
}

/// A query belongs outside changesets; in OData V2/V3 a change belongs inside one. The
/// reader refuses either in strict mode, so the writer does not write them.
fn check_placement<T: Operation>(
    op: &T,
    at: Position,
    in_group: bool,
    dialect: Dialect,
) -> Result<(), WriteError> {
    match op.is_query() {
        Some(true) if in_group => Err(WriteError::new(
            K::MisplacedOperation,
            Some(at),
            "expected a request that changes data in the atomic group, found a query",
        )),
        Some(false) if !in_group && dialect.requires_changes_in_changesets() => {
            Err(WriteError::new(
                K::MisplacedOperation,
                Some(at),
                format!(
                    "expected a query outside atomic groups ({dialect} puts changes in changesets), found a request that changes data"
                ),
            ))
        }
        _ => Ok(()),
    }
}

fn check_group<T>(
    group: &AtomicGroup<T>,
    i: usize,
    dialect: Dialect,
    report: &mut WriteReport,
) -> Result<(), WriteError> {
    let at = Position::item(i);
    if !dialect.allows_changesets() {
        return Err(WriteError::new(
            K::NestingUnsupported,
            Some(at),
            format!(
                "expected an operation, found an atomic group (the {dialect} dialect has no changesets)"
            ),
        ));
    }
    if group.operations.is_empty() {
        return Err(WriteError::new(
            K::EmptyMultipart,
            Some(at),
            "expected at least one operation in the atomic group (RFC 2046 wants a body part), found none",
        ));
    }
    for header in &group.part_headers {
        check_name(header, at, "the changeset part headers")?;
        // The writer sets the Content-Type and Content-Length of a changeset itself.
        if !header.is("content-type") && !header.is("content-length") {
            check_value(header, at, "the changeset part headers")?;
        }
    }
    if let Some(id) = &group.id {
        report.push(
            Loss::new(Some(at), LossKind::GroupId { id: id.clone() })
                .because("multipart changesets have no name"),
        );
    }
    Ok(())
}

fn check_operation<T: Operation>(
    op: &T,
    at: Position,
    dialect: Dialect,
    report: &mut WriteReport,
) -> Result<(), WriteError> {
    op.check_start_line(at)?;
    if let Some(id) = op.id()
        && let Some(fault) = value_fault(id.as_bytes())
    {
        return Err(WriteError::new(
            K::InvalidHeader,
            Some(at),
            format!(
                "expected a Content-ID without {fault}, found {}",
                shown(id.as_bytes(), false)
            ),
        ));
    }
    for header in op.part_headers() {
        check_name(header, at, "the part headers")?;
        let replaced = header.is("content-transfer-encoding")
            || header.is("content-id")
            || header.is("content-length")
            || (header.is("content-type") && !is_application_http(header.value()));
        if !replaced {
            check_value(header, at, "the part headers")?;
        }
    }
    let section = match T::KIND {
        MessageKind::Request => "the headers of the embedded request",
        MessageKind::Response => "the headers of the embedded response",
    };
    for header in op.headers() {
        check_name(header, at, section)?;
        if !header.is("content-length") {
            check_value(header, at, section)?;
        }
    }
    if T::KIND == MessageKind::Request {
        for &(name, reason) in dialect.rules().request_headers_not_carried {
            for header in op.headers().iter().filter(|h| h.is(name)) {
                report.push(
                    Loss::new(
                        Some(at),
                        LossKind::Header {
                            name: header.name_str().into_owned(),
                        },
                    )
                    .because(reason),
                );
            }
        }
    }
    for on in op.depends_on() {
        report.push(
            Loss::new(Some(at), LossKind::Dependency { on: on.clone() })
                .because("multipart batches express dependencies only as $n references in targets"),
        );
    }
    Ok(())
}

fn check_name(header: &Header, at: Position, section: &str) -> Result<(), WriteError> {
    let name = header.name();
    if name.is_empty() || !name.iter().copied().all(is_tchar) {
        return Err(WriteError::new(
            K::InvalidHeader,
            Some(at),
            format!(
                "expected a header name of token characters, found {} in {section}",
                shown(name, false)
            ),
        ));
    }
    Ok(())
}

fn check_value(header: &Header, at: Position, section: &str) -> Result<(), WriteError> {
    match value_fault(header.value()) {
        None => Ok(()),
        Some(fault) => Err(WriteError::new(
            K::InvalidHeader,
            Some(at),
            format!(
                "expected a value without {fault}, found {} in header {:?} of {section}",
                shown(header.value(), header.is_sensitive()),
                header.name_str()
            ),
        )),
    }
}

/// What keeps a header value from being written and read back the same: a line break would
/// end the field, a control character is not allowed (RFC 9110 5.5), and readers drop
/// surrounding whitespace.
fn value_fault(value: &[u8]) -> Option<&'static str> {
    if value.iter().any(|&b| b == b'\r' || b == b'\n') {
        Some("line breaks")
    } else if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
        Some("control characters")
    } else if value.first().copied().is_some_and(is_ws) || value.last().copied().is_some_and(is_ws)
    {
        Some("surrounding whitespace")
    } else {
        None
    }
}

/// Text for a message: quoted and escaped, cut after 40 characters, or `<redacted>` for a
/// credential.
pub(super) fn shown(bytes: &[u8], sensitive: bool) -> String {
    const SHOWN: usize = 40;
    if sensitive {
        return "<redacted>".to_owned();
    }
    let text = String::from_utf8_lossy(bytes);
    let cut: String = text.chars().take(SHOWN).collect();
    let more = if text.chars().count() > SHOWN {
        "..."
    } else {
        ""
    };
    format!("{cut:?}{more}")
}

fn is_system_resource(name: &str) -> bool {
    SYSTEM_RESOURCES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
}

/// OData: a `$n` target names an earlier request: of the same changeset for a member (OData
/// 4.01 part 1, 11.7.3.1), of the batch for a request outside changesets (olingo and
/// [MS-ODATA] resolve those). OData V4 also wants Content-IDs unique in their changeset;
/// elsewhere a reference names the first member with the id, as readers resolve it.
fn check_references<T: Operation>(batch: &Batch<T>, dialect: Dialect) -> Result<(), WriteError> {
    // The first operation (in wire order) carrying each id.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (flat, op) in batch.operations().enumerate() {
        if let Some(id) = op.id() {
            first.entry(id).or_insert(flat);
        }
    }
    let mut flat = 0;
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            Item::Operation(op) => {
                let index = flat;
                flat += 1;
                let Some(name) = op.target().and_then(odata_reference) else {
                    continue;
                };
                let named = match first.get(name) {
                    Some(&k) if k < index => continue,
                    _ if is_system_resource(name) => continue,
                    Some(_) => Named::Later,
                    None => Named::Nothing,
                };
                return Err(reference_error(name, named, false, Position::item(i)));
            }
            Item::Group(group) => {
                flat += group.operations.len();
                // The first member carrying each id.
                let mut local: HashMap<&str, usize> = HashMap::new();
                for (j, op) in group.operations.iter().enumerate() {
                    let Some(id) = op.id() else { continue };
                    let earlier = *local.entry(id).or_insert(j);
                    if earlier != j && dialect.requires_changeset_content_ids() {
                        return Err(WriteError::new(
                            K::DuplicateContentId,
                            Some(Position::member(i, j)),
                            format!(
                                "expected a Content-ID unique in its changeset, found {} again (first at item {})",
                                shown(id.as_bytes(), false),
                                Position::member(i, earlier)
                            ),
                        ));
                    }
                }
                for (j, op) in group.operations.iter().enumerate() {
                    let Some(name) = op.target().and_then(odata_reference) else {
                        continue;
                    };
                    let named = match local.get(name) {
                        Some(&m) if m < j => continue,
                        _ if is_system_resource(name) => continue,
                        Some(_) => Named::Later,
                        None if first.contains_key(name) => Named::Outside,
                        None => Named::Nothing,
                    };
                    return Err(reference_error(name, named, true, Position::member(i, j)));
                }
            }
        }
    }
    Ok(())
}

/// What a faulty reference names.
#[derive(Clone, Copy)]
enum Named {
    /// The operation itself or a later one.
    Later,
    /// An operation outside the changeset of the referring member.
    Outside,
    /// No operation at all.
    Nothing,
}

fn reference_error(name: &str, named: Named, in_group: bool, at: Position) -> WriteError {
    let expected = if in_group {
        "expected a reference to an earlier Content-ID of the changeset"
    } else {
        "expected a reference to the Content-ID of an earlier request"
    };
    let found = shown(format!("${name}").as_bytes(), false);
    let (kind, which) = match named {
        Named::Later => (K::ForwardReference, "this request or a later one"),
        Named::Outside => (K::DanglingReference, "a request outside it"),
        Named::Nothing => (K::DanglingReference, "no request"),
    };
    WriteError::new(
        kind,
        Some(at),
        format!("{expected}, found {found}, which names {which}"),
    )
}

/// The Content-ID of every operation, generated where the dialect needs one.
fn assign_ids<T: Operation>(batch: &Batch<T>, dialect: Dialect) -> Vec<Option<Id<'_>>> {
    // Generated numbers skip every id the model already uses, compared as text: "01" does
    // not take 1.
    let used: HashSet<usize> = batch
        .operations()
        .filter_map(Operation::id)
        .filter(|id| !id.starts_with('0') || *id == "0")
        .filter_map(|id| id.parse().ok())
        .collect();
    let scheme = dialect.rules().ids;
    let mut next = match scheme {
        IdScheme::Every { first } => first,
        _ => 1,
    };
    let mut fresh = || {
        while used.contains(&next) {
            next += 1;
        }
        next += 1;
        next - 1
    };
    let mut ids = Vec::with_capacity(batch.operation_count());
    for (flat, (op, group)) in batch.operations_with_group().enumerate() {
        let id = match (scheme, op.id()) {
            (IdScheme::Google, Some(id)) if T::KIND == MessageKind::Response => {
                Some(Id::GoogleAnswer(id))
            }
            (_, Some(id)) => Some(Id::Given(id)),
            (IdScheme::Google, None) => Some(Id::Google(flat + 1)),
            (IdScheme::Every { .. }, None) => Some(Id::Number(fresh())),
            (IdScheme::ChangesetRequests, None)
                if group.is_some() && T::KIND == MessageKind::Request =>
            {
                Some(Id::Number(fresh()))
            }
            (IdScheme::Given | IdScheme::ChangesetRequests, None) => None,
        };
        ids.push(id);
    }
    ids
}

/// Where a boundary clashes with what it frames.
struct Clash {
    at: Position,
    place: String,
}

/// The batch boundary and one boundary per group: the caller's, checked, or fresh ones that
/// clash with nothing.
fn boundaries<T: Operation>(
    batch: &Batch<T>,
    options: &WriteOptions,
    mut generate: impl FnMut(&str) -> String,
) -> Result<(String, Vec<String>), WriteError> {
    let outer = match &options.boundary {
        Some(chosen) => {
            check_boundary(chosen, "batch")?;
            if let Some(clash) = batch_clash(batch, chosen) {
                return Err(clash_error(chosen, &clash));
            }
            chosen.clone()
        }
        None => fresh(|| generate("batch_"), |b| batch_clash(batch, b).is_none())?,
    };
    // A generated changeset boundary must not start with the batch boundary, or its
    // delimiter lines would look like the batch's; with a batch boundary such as
    // "change", drop the prefix.
    let prefix = if "changeset_".starts_with(outer.as_str()) {
        ""
    } else {
        "changeset_"
    };
    let mut groups = Vec::new();
    for (i, item) in batch.items.iter().enumerate() {
        let Item::Group(group) = item else { continue };
        let boundary = match &options.changeset_boundary {
            Some(chosen) => {
                check_boundary(chosen, "changeset")?;
                if chosen.starts_with(outer.as_str()) {
                    return Err(WriteError::new(
                        K::InvalidBoundary,
                        None,
                        format!(
                            "expected a changeset boundary that does not start with the batch boundary {outer:?}, found {chosen:?}"
                        ),
                    ));
                }
                if let Some(clash) = group_clash(group, i, chosen) {
                    return Err(clash_error(chosen, &clash));
                }
                chosen.clone()
            }
            None => fresh(
                || generate(prefix),
                |b| !b.starts_with(outer.as_str()) && group_clash(group, i, b).is_none(),
            )?,
        };
        groups.push(boundary);
    }
    Ok((outer, groups))
}

fn check_boundary(boundary: &str, which: &str) -> Result<(), WriteError> {
    if crate::is_valid_boundary(boundary) {
        return Ok(());
    }
    Err(WriteError::new(
        K::InvalidBoundary,
        None,
        format!(
            "expected a {which} boundary of 1 to 70 letters, digits or '()+_,-./:=? not ending in a space (RFC 2046), found {}",
            shown(boundary.as_bytes(), false)
        ),
    ))
}

fn clash_error(boundary: &str, clash: &Clash) -> WriteError {
    WriteError::new(
        K::BoundaryInBody,
        Some(clash.at),
        format!(
            "expected a boundary that starts no line of the content, found a line starting with \"--{boundary}\" in {}",
            clash.place
        ),
    )
}

fn fresh(
    mut generate: impl FnMut() -> String,
    fits: impl Fn(&str) -> bool,
) -> Result<String, WriteError> {
    for _ in 0..ATTEMPTS {
        let boundary = generate();
        if fits(&boundary) {
            return Ok(boundary);
        }
    }
    Err(WriteError::new(
        K::BoundaryInBody,
        None,
        format!(
            "expected a fresh boundary that starts no line of the content, found a clash in each of {ATTEMPTS} attempts"
        ),
    ))
}

/// The first place in the batch where a line starts with `--boundary`.
fn batch_clash<T: Operation>(batch: &Batch<T>, boundary: &str) -> Option<Clash> {
    let delimiter = Delimiter::new(boundary);
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            Item::Operation(op) => {
                if let Some(place) = delimiter.in_operation(op) {
                    return Some(Clash {
                        at: Position::item(i),
                        place,
                    });
                }
            }
            Item::Group(group) => {
                if let Some(place) = delimiter.in_names(&group.part_headers) {
                    return Some(Clash {
                        at: Position::item(i),
                        place: format!("{place} of the changeset part"),
                    });
                }
                if let Some(clash) = delimiter.in_members(group, i) {
                    return Some(clash);
                }
            }
        }
    }
    None
}

fn group_clash<T: Operation>(group: &AtomicGroup<T>, i: usize, boundary: &str) -> Option<Clash> {
    Delimiter::new(boundary).in_members(group, i)
}

/// `--boundary`, searched at the start of lines.
struct Delimiter {
    dash_boundary: Vec<u8>,
    finder: memmem::Finder<'static>,
}

impl Delimiter {
    fn new(boundary: &str) -> Delimiter {
        let mut dash_boundary = Vec::with_capacity(boundary.len() + 2);
        dash_boundary.extend_from_slice(b"--");
        dash_boundary.extend_from_slice(boundary.as_bytes());
        let finder = memmem::Finder::new(&dash_boundary).into_owned();
        Delimiter {
            dash_boundary,
            finder,
        }
    }

    fn in_members<T: Operation>(&self, group: &AtomicGroup<T>, i: usize) -> Option<Clash> {
        group.operations.iter().enumerate().find_map(|(j, op)| {
            self.in_operation(op).map(|place| Clash {
                at: Position::member(i, j),
                place,
            })
        })
    }

    fn in_operation<T: Operation>(&self, op: &T) -> Option<String> {
        if op.line_start().starts_with(&self.dash_boundary) {
            return Some("the request line".to_owned());
        }
        if let Some(place) = self.in_names(op.part_headers()) {
            return Some(format!("{place} of the part"));
        }
        if let Some(place) = self.in_names(op.headers()) {
            return Some(format!("{place} of the embedded message"));
        }
        self.in_body(op.body()).then(|| "the body".to_owned())
    }

    /// Header lines start with their names, which may hold dashes.
    fn in_names(&self, headers: &batchwire_core::Headers) -> Option<String> {
        headers
            .iter()
            .find(|h| h.name().starts_with(&self.dash_boundary))
            .map(|h| format!("the header name {:?}", h.name_str()))
    }

    /// A body line is any run after the start of the body or a line break; CR counts as one
    /// too, since some readers end lines there.
    fn in_body(&self, body: &[u8]) -> bool {
        self.finder
            .find_iter(body)
            .any(|at| at == 0 || matches!(body[at - 1], b'\n' | b'\r'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchwire_core::SubRequest;
    use http::Method;

    fn one(body: &'static [u8]) -> Batch<SubRequest> {
        let mut batch = Batch::new();
        batch.push(SubRequest::new(Method::POST, "x").with_body(body));
        batch
    }

    #[test]
    fn a_clashing_fresh_boundary_is_replaced() {
        let batch = one(b"\r\n--batch_1\r\n");
        let mut candidates = ["batch_1", "batch_2"].into_iter();
        let (outer, _) = boundaries(&batch, &WriteOptions::default(), |prefix| {
            assert_eq!(prefix, "batch_");
            candidates.next().unwrap().to_owned()
        })
        .unwrap();
        assert_eq!(outer, "batch_2");
    }

    #[test]
    fn giving_up_after_every_attempt_clashes() {
        let batch = one(b"--batch_1");
        let err =
            boundaries(&batch, &WriteOptions::default(), |_| "batch_1".to_owned()).unwrap_err();
        assert_eq!(err.kind(), K::BoundaryInBody);
        assert_eq!(
            err.to_string(),
            "expected a fresh boundary that starts no line of the content, found a clash in each of 16 attempts"
        );
    }

    #[test]
    fn changeset_boundaries_never_start_with_the_batch_boundary() {
        let mut batch = Batch::new();
        batch.push_group(AtomicGroup::new(vec![SubRequest::new(Method::POST, "x")]));
        let options = WriteOptions::default().with_boundary("change");
        let mut n = 0;
        let (_, groups) = boundaries(&batch, &options, |prefix| {
            n += 1;
            format!("{prefix}{n}")
        })
        .unwrap();
        assert_eq!(groups, ["1"]);
    }

    #[test]
    fn body_lines_start_after_any_line_break() {
        let d = Delimiter::new("b");
        assert!(d.in_body(b"--b"));
        assert!(d.in_body(b"x\n--b--"));
        assert!(d.in_body(b"x\r--bz"));
        assert!(!d.in_body(b"x--b"));
        assert!(!d.in_body(b"-b\r\n-\r\n--c"));
    }

    #[test]
    fn system_resources() {
        assert!(is_system_resource("metadata"));
        assert!(!is_system_resource("1"));
    }

    #[test]
    fn values_that_do_not_read_back() {
        assert_eq!(value_fault(b"a\r\nb"), Some("line breaks"));
        assert_eq!(value_fault(b"a\x00b"), Some("control characters"));
        assert_eq!(value_fault(b" a"), Some("surrounding whitespace"));
        assert_eq!(value_fault(b"a\t"), Some("surrounding whitespace"));
        assert_eq!(value_fault(b"a \tb\xc3\xa9"), None);
        assert_eq!(value_fault(b""), None);
    }

    #[test]
    fn shown_cuts_and_redacts() {
        assert_eq!(shown(b"a\nb", false), "\"a\\nb\"");
        assert_eq!(
            shown(&[b'x'; 41], false),
            format!("\"{}\"...", "x".repeat(40))
        );
        assert_eq!(shown(b"Bearer secret", true), "<redacted>");
    }
}
