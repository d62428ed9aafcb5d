//! Salesforce's batch formats: Composite, Composite Batch and Composite Graph (both ways), and
//! the sObject Tree and sObject Collections responses, each in its own module with its reading
//! and writing. Here is what several of them share: the `hasErrors` flag and the report of
//! groups a format cannot carry.

use batchwire_core::{
    Batch, Item, LossKind, ParseError, ParseErrorKind as K, SubResponse, ToleranceKind,
};
use serde_json::value::RawValue;

use crate::read::Reader;
use crate::write::{EncodeError, Out, Site, options_lost};

mod batch;
mod composite;
mod graph;
mod sobjects;

pub(crate) use batch::{decode_batch, encode_batch};
pub(crate) use composite::{decode_composite, encode_composite};
pub(crate) use graph::{decode_graph, encode_graph};
pub(crate) use sobjects::{decode_collections, decode_tree, encode_collections, encode_tree};

/// `hasErrors` is informational: compare it with the statuses and report a mismatch.
fn check_has_errors<'a>(
    r: &mut Reader<'a>,
    batch: &Batch<SubResponse>,
    raw: Option<&'a RawValue>,
) -> Result<(), ParseError> {
    let (Some(said), Some(raw)) = (batch.options.has_errors, raw) else {
        return Ok(());
    };
    let failed = batch.operations().any(|op| op.status.as_u16() >= 400);
    if said != failed {
        r.tolerate(ToleranceKind::HasErrorsMismatch, raw, |r| {
            r.error_at(
                K::Semantic,
                raw,
                format!(
                    "expected \"hasErrors\": {failed} at /hasErrors as the statuses say, found {said}"
                ),
            )
        })?;
    }
    Ok(())
}

/// Opens `{"hasErrors": ..., "results": [`, the envelope of Composite Batch and sObject Tree
/// responses, reporting the options and groups it cannot carry.
fn begin_results(out: &mut Out, batch: &Batch<SubResponse>) {
    options_lost(out, batch, &["has_errors"]);
    groups_lost(out, batch);
    out.begin_object();
    out.key("hasErrors");
    out.boolean(has_errors(batch));
    out.key("results");
    out.begin_array();
}

/// Closes what [`begin_results`] opened, with the batch's extra members.
fn end_results(out: &mut Out, batch: &Batch<SubResponse>) -> Result<(), EncodeError> {
    out.end_array();
    out.extra(&batch.extra, &["hasErrors", "results"], Site::Batch)?;
    out.end_object();
    Ok(())
}

/// The batch's own `hasErrors`, or what the statuses say.
fn has_errors(batch: &Batch<SubResponse>) -> bool {
    batch
        .options
        .has_errors
        .unwrap_or_else(|| batch.operations().any(|op| op.status.as_u16() >= 400))
}

/// Reports every group as lost (its members are written as plain operations).
fn groups_lost<T>(out: &mut Out, batch: &Batch<T>) {
    for (item, entry) in batch.items.iter().enumerate() {
        if let Item::Group(g) = entry {
            out.lost.push((Site::Item(item), LossKind::Group));
            out.part_headers_lost(Site::Item(item), &g.part_headers, None);
        }
    }
}
