//! Everything the writer decides before it writes a byte: ids, boundaries and losses, once
//! the checks of `check` pass.

use std::collections::HashSet;

use batchwire_core::{
    Batch, Dialect, IdScheme, Loss, LossKind, MessageKind, Position, WriteError, WriteReport,
};

use super::WriteOptions;
use super::boundary::boundaries;
use super::check::{check_items, check_references, members_lost};
use super::operation::Operation;
use super::random;

/// The writer's decisions for one batch.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    pub(super) dialect: Dialect,
    pub(super) boundary: String,
    /// One per atomic group, in batch order.
    pub(super) group_boundaries: Vec<String>,
    /// One per operation, in wire order (members of groups included).
    pub(super) ops: Vec<Planned<'a>>,
    pub(super) report: WriteReport,
    /// OData V4 `Prefer: odata.continue-on-error` on the envelope.
    pub(super) continue_on_error: bool,
}

/// How one operation is written, where it is not as the model holds it.
#[derive(Debug)]
pub(super) struct Planned<'a> {
    /// Its Content-ID.
    pub(super) id: Option<Id<'a>>,
    /// Its target percent-encoded, where it had to be.
    pub(super) target: Option<String>,
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
    /// The model's id of a Google response in the form of a request's (`<item…>` or
    /// `item…`), with `response-` put in front of `item`, as Google answers it.
    GoogleAnswer(&'a str),
}

impl Id<'_> {
    /// The id as written, for a batch of `kind` whose boundary is `boundary`.
    pub(super) fn text(&self, kind: MessageKind, boundary: &str) -> String {
        match *self {
            Id::Given(id) => id.to_owned(),
            Id::Number(n) => n.to_string(),
            Id::Google(n) => match kind {
                MessageKind::Request => format!("<item-{n}:{boundary}>"),
                MessageKind::Response => format!("<response-item-{n}:{boundary}>"),
            },
            // Google answers `<item…>` with `<response-item…>`.
            Id::GoogleAnswer(id) => match id.strip_prefix('<') {
                Some(rest) => format!("<response-{rest}"),
                None => format!("response-{id}"),
            },
        }
    }
}

/// Checks a batch and makes every decision its writing needs.
pub(super) fn plan<'a, T: Operation>(
    batch: &'a Batch<T>,
    options: &WriteOptions,
) -> Result<Plan<'a>, WriteError> {
    let dialect = options.dialect;
    let mut report = WriteReport::new();
    let targets = check_items(batch, dialect, options.lenient, &mut report)?;
    if T::KIND == MessageKind::Request && dialect.allows_changesets() {
        check_references(batch, dialect, options.lenient, &mut report)?;
    }
    let (boundary, group_boundaries) = boundaries(batch, options, random::boundary)?;
    let ids = assign_ids(batch, dialect);
    report_unwritten_content_ids(batch, &ids, &mut report);
    report_written_ids(batch, &ids, &boundary, &mut report);
    let continue_on_error = batch_options(batch, dialect, &mut report);
    report.sort();
    let ops = ids
        .into_iter()
        .zip(targets)
        .map(|(id, target)| Planned { id, target })
        .collect();
    Ok(Plan {
        dialect,
        boundary,
        group_boundaries,
        ops,
        report,
        continue_on_error,
    })
}

/// An id the dialect gave an operation that had none, or wrote otherwise (a Google answer to
/// a request's id), is said so with the id written.
fn report_written_ids<T: Operation>(
    batch: &Batch<T>,
    ids: &[Option<Id<'_>>],
    boundary: &str,
    report: &mut WriteReport,
) {
    for (at, id) in Position::of_operations(batch).zip(ids) {
        let Some(id) = id else { continue };
        if !matches!(id, Id::Given(_)) {
            report.push(Loss::new(
                Some(at),
                LossKind::IdInvented {
                    id: id.text(T::KIND, boundary),
                },
            ));
        }
    }
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
    // Saying nothing means not to collate, stop or report errors; a partial response's
    // next link and the batch's own word on errors are said whatever their value.
    let unsaid = [
        ("halt_on_error", options.halt_on_error == Some(true)),
        (
            "collate_subrequests",
            options.collate_subrequests == Some(true),
        ),
        ("has_errors", options.has_errors.is_some()),
        ("next_link", options.next_link.is_some()),
    ];
    for (name, set) in unsaid {
        if set {
            report.push(
                Loss::new(None, LossKind::Option { name })
                    .because("multipart batches have no way to say it"),
            );
        }
    }
    members_lost(&batch.extra, None, report);
    continue_on_error
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
            (IdScheme::Google, Some(id))
                if T::KIND == MessageKind::Response
                    && (id.starts_with("<item") || id.starts_with("item")) =>
            {
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
