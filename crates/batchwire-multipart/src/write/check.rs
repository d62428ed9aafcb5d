//! The writer's checks: that every name, value, target, placement and reference of a batch
//! reads back as written, by the strict reader.

use std::collections::HashMap;

use batchwire_core::WriteErrorKind as K;
use batchwire_core::{
    AtomicGroup, Batch, Dialect, Extra, HeaderView, Item, Loss, LossKind, MessageKind, Position,
    WriteError, WriteReport, odata_reference, odata_system_resource,
};

use super::emit::Decimal;
use super::operation::Operation;
use crate::content_type::is_application_http;
use crate::grammar::{self, Known, is_tchar, is_ws};

/// Why an empty batch or changeset is reported.
const EMPTY: &str = "RFC 2046 wants at least one body part, so only a lenient reader reads it";

/// Checks the shape of the batch and every operation, and records what will be dropped or
/// changed; returns each operation's target as it is to be written where it differs from
/// the model's, in wire order.
pub(super) fn check_items<T: Operation>(
    batch: &Batch<T>,
    dialect: Dialect,
    lenient: bool,
    report: &mut WriteReport,
) -> Result<Vec<Option<String>>, WriteError> {
    if batch.items.is_empty() {
        report.push(Loss::new(None, LossKind::EmptyMultipart).because(EMPTY));
    }
    let mut targets = Vec::with_capacity(batch.operation_count());
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            Item::Operation(op) => {
                targets.push(check_operation(op, Position::item(i), dialect, report)?);
                check_placement(op, Position::item(i), false, dialect, lenient, report)?;
            }
            Item::Group(group) => {
                check_group(group, i, dialect, report)?;
                for (j, op) in group.operations.iter().enumerate() {
                    let at = Position::member(i, j);
                    targets.push(check_operation(op, at, dialect, report)?);
                    check_placement(op, at, true, dialect, lenient, report)?;
                }
            }
        }
    }
    Ok(targets)
}

/// A rule of the format the batch breaks: in strict writing, `error`; in lenient writing,
/// `loss` in the report.
fn broken(
    lenient: bool,
    report: &mut WriteReport,
    error: impl FnOnce() -> WriteError,
    loss: Loss,
) -> Result<(), WriteError> {
    if lenient {
        report.push(loss);
        Ok(())
    } else {
        Err(error())
    }
}

/// A query belongs outside changesets; in OData V2/V3 a change belongs inside one. The
/// reader refuses either in strict mode, so the writer writes them only leniently.
fn check_placement<T: Operation>(
    op: &T,
    at: Position,
    in_group: bool,
    dialect: Dialect,
    lenient: bool,
    report: &mut WriteReport,
) -> Result<(), WriteError> {
    match op.is_query() {
        Some(true) if in_group => broken(
            lenient,
            report,
            || {
                WriteError::new(
                    K::MisplacedOperation,
                    Some(at),
                    "expected a request that changes data in the atomic group, found a query",
                )
            },
            Loss::new(Some(at), LossKind::QueryInGroup)
                .because("a strict reader wants queries outside changesets"),
        ),
        Some(false) if !in_group && dialect.requires_changes_in_changesets() => broken(
            lenient,
            report,
            || {
                WriteError::new(
                    K::MisplacedOperation,
                    Some(at),
                    format!(
                        "expected a query outside atomic groups ({dialect} puts changes in changesets), found a request that changes data"
                    ),
                )
            },
            Loss::new(Some(at), LossKind::ChangeOutsideGroup)
                .because(format!("the {dialect} dialect puts changes in changesets")),
        ),
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
        report.push(Loss::new(Some(at), LossKind::EmptyMultipart).because(EMPTY));
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
    members_lost(&group.extra, Some(at), report);
    Ok(())
}

/// Members of a JSON format kept beside an operation, a group or the batch (`at: None`),
/// which a multipart batch has no place for.
pub(super) fn members_lost(extra: &Extra, at: Option<Position>, report: &mut WriteReport) {
    for (name, _) in extra.iter() {
        report.push(
            Loss::new(
                at,
                LossKind::Member {
                    name: name.to_owned(),
                },
            )
            .because("a multipart batch has no place for members of a JSON batch"),
        );
    }
}

fn check_operation<T: Operation>(
    op: &T,
    at: Position,
    dialect: Dialect,
    report: &mut WriteReport,
) -> Result<Option<String>, WriteError> {
    op.check_start_line(at)?;
    let target = op.encoded_target();
    if let (Some(from), Some(to)) = (op.target(), &target) {
        report.push(
            Loss::new(
                Some(at),
                LossKind::TargetEncoded {
                    from: from.to_owned(),
                    to: to.clone(),
                },
            )
            .because("a request line holds no spaces and only ASCII"),
        );
    }
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
        let replaced = match Known::of(header.name()) {
            Known::ContentTransferEncoding | Known::ContentId | Known::ContentLength => true,
            Known::ContentType => !is_application_http(header.value()),
            Known::Other => false,
        };
        if !replaced {
            check_value(header, at, "the part headers")?;
        }
    }
    let section = match T::KIND {
        MessageKind::Request => "the headers of the embedded request",
        MessageKind::Response => "the headers of the embedded response",
    };
    let mut lengths = 0;
    for header in op.headers() {
        check_name(header, at, section)?;
        if Known::of(header.name()) != Known::ContentLength {
            check_value(header, at, section)?;
            continue;
        }
        // The writer writes one Content-Length, the body's: a value that says otherwise, or
        // a second one, is not written as it was.
        lengths += 1;
        let body = op.body().len();
        if lengths > 1 || header.value().trim_ascii() != Decimal::new(body).as_bytes() {
            report.push(
                Loss::new(
                    Some(at),
                    LossKind::Header {
                        name: header.name_str().into_owned(),
                    },
                )
                .because(format!(
                    "its value {} is not the length of the body, {body} bytes, which is written instead",
                    shown(header.value(), false)
                )),
            );
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
    if op.omitted() {
        report.push(
            Loss::new(Some(at), LossKind::Omitted)
                .because("a multipart batch has no way to mark a position without a response"),
        );
    }
    members_lost(op.extra(), Some(at), report);
    Ok(target)
}

fn check_name(header: HeaderView<'_>, at: Position, section: &str) -> Result<(), WriteError> {
    let name = header.name();
    // Without a branch per byte: names are short, and nearly always tokens.
    let token = name.iter().fold(true, |ok, &b| ok & is_tchar(b));
    if name.is_empty() || !token {
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

fn check_value(header: HeaderView<'_>, at: Position, section: &str) -> Result<(), WriteError> {
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
    // Line breaks are control characters: one pass without a branch per byte says whether
    // there is either, and only then which.
    let control = grammar::control_character(value).is_some();
    if control && value.iter().any(|&b| b == b'\r' || b == b'\n') {
        Some("line breaks")
    } else if control {
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

/// OData: a `$n` target names an earlier request: of the same changeset for a member (OData
/// 4.01 part 1, 11.7.3.1), of the batch for a request outside changesets (olingo and
/// [MS-ODATA] resolve those). OData V4 also wants Content-IDs unique in their changeset;
/// elsewhere a reference names the first member with the id, as readers resolve it. In
/// lenient writing, each fault is reported instead.
pub(super) fn check_references<T: Operation>(
    batch: &Batch<T>,
    dialect: Dialect,
    lenient: bool,
    report: &mut WriteReport,
) -> Result<(), WriteError> {
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
                    _ if odata_system_resource(name) => continue,
                    Some(_) => Named::Later,
                    None => Named::Nothing,
                };
                reference_fault(name, named, false, Position::item(i), lenient, report)?;
            }
            Item::Group(group) => {
                flat += group.operations.len();
                // The first member carrying each id.
                let mut local: HashMap<&str, usize> = HashMap::new();
                for (j, op) in group.operations.iter().enumerate() {
                    let Some(id) = op.id() else { continue };
                    let earlier = *local.entry(id).or_insert(j);
                    if earlier != j && dialect.requires_changeset_content_ids() {
                        let (at, first) = (Position::member(i, j), Position::member(i, earlier));
                        broken(
                            lenient,
                            report,
                            || {
                                WriteError::new(
                                    K::DuplicateContentId,
                                    Some(at),
                                    format!(
                                        "expected a Content-ID unique in its changeset, found {} again (first at item {first})",
                                        shown(id.as_bytes(), false),
                                    ),
                                )
                            },
                            Loss::new(Some(at), LossKind::DuplicateContentId { id: id.to_owned() })
                                .because(format!(
                                    "the {dialect} dialect wants Content-IDs unique in their changeset (first at item {first})"
                                )),
                        )?;
                    }
                }
                for (j, op) in group.operations.iter().enumerate() {
                    let Some(name) = op.target().and_then(odata_reference) else {
                        continue;
                    };
                    let named = match local.get(name) {
                        Some(&m) if m < j => continue,
                        _ if odata_system_resource(name) => continue,
                        Some(_) => Named::Later,
                        None if first.contains_key(name) => Named::Outside,
                        None => Named::Nothing,
                    };
                    reference_fault(name, named, true, Position::member(i, j), lenient, report)?;
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

/// A reference that names no earlier request of its scope: the error, or in lenient
/// writing the loss.
fn reference_fault(
    name: &str,
    named: Named,
    in_group: bool,
    at: Position,
    lenient: bool,
    report: &mut WriteReport,
) -> Result<(), WriteError> {
    let (kind, which) = match named {
        Named::Later => (K::ForwardReference, "this request or a later one"),
        Named::Outside => (K::DanglingReference, "a request outside its changeset"),
        Named::Nothing => (K::DanglingReference, "no request"),
    };
    let reference = format!("${name}");
    let error = || {
        let expected = if in_group {
            "expected a reference to an earlier Content-ID of the changeset"
        } else {
            "expected a reference to the Content-ID of an earlier request"
        };
        let found = shown(reference.as_bytes(), false);
        let which = match named {
            Named::Outside => "a request outside it",
            _ => which,
        };
        WriteError::new(
            kind,
            Some(at),
            format!("{expected}, found {found}, which names {which}"),
        )
    };
    let loss = Loss::new(
        Some(at),
        LossKind::UnresolvedReference {
            reference: reference.clone(),
        },
    )
    .because(format!("it names {which}"));
    broken(lenient, report, error, loss)
}

#[cfg(test)]
mod tests {
    use super::*;

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
