//! Writing OData JSON and Graph batches: ids and group names invented where the model has
//! none, dependencies a `$<id>` reference implies, and the envelope headers.

use std::borrow::Cow;

use batchwire_core::{Batch, Item, LossKind, MessageRef, SubRequest, SubResponse, WriteErrorKind};

use super::{GRAPH_MAX_REQUESTS, NEXT_LINKS, Profile, url_reference};
use crate::body::{is_json, media_kind};
use crate::write::{EncodeError, Encoded, Out, Site, WriteOptions, ids_for, options_lost};

const REQUEST_MEMBERS: &[&str] = &[
    "id",
    "method",
    "url",
    "headers",
    "body",
    "atomicityGroup",
    "dependsOn",
];
const RESPONSE_MEMBERS: &[&str] = &["id", "status", "headers", "body", "atomicityGroup"];

/// Writes OData JSON (or Graph's profile of it).
pub(crate) fn encode(
    message: MessageRef<'_>,
    profile: Profile,
    options: &WriteOptions,
) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    let mut continue_on_error = false;
    match message {
        MessageRef::Request(batch) => {
            encode_requests(&mut out, batch, profile, options)?;
            continue_on_error = batch.options.continue_on_error == Some(true);
        }
        MessageRef::Response(batch) => encode_responses(&mut out, batch, options)?,
    }
    let mut written = out.finish(message);
    if profile == Profile::Odata {
        // The JSON batch format is OData 4.01's.
        written.headers.insert(
            http::HeaderName::from_static("odata-version"),
            http::HeaderValue::from_static("4.01"),
        );
        if continue_on_error {
            written.headers.insert(
                http::HeaderName::from_static("prefer"),
                http::HeaderValue::from_static("odata.continue-on-error"),
            );
        }
    }
    Ok(written)
}

fn group_names<T>(batch: &Batch<T>) -> Vec<&str> {
    batch
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Group(g) => g.id.as_deref(),
            Item::Operation(_) => None,
        })
        .collect()
}

/// A name for every group: its own, or one invented.
fn group_ids<'m, T>(batch: &'m Batch<T>, ids: &[Cow<'m, str>]) -> Vec<Option<Cow<'m, str>>> {
    let mut taken: Vec<String> = ids.iter().map(ToString::to_string).collect();
    taken.extend(group_names(batch).iter().map(|s| (*s).to_owned()));
    let mut next = 1;
    batch
        .items
        .iter()
        .map(|item| match item {
            Item::Operation(_) => None,
            Item::Group(g) => Some(match &g.id {
                Some(id) => Cow::Borrowed(id.as_str()),
                None => loop {
                    let candidate = format!("g{next}");
                    next += 1;
                    if !taken.contains(&candidate) {
                        taken.push(candidate.clone());
                        break Cow::Owned(candidate);
                    }
                },
            }),
        })
        .collect()
}

fn encode_requests(
    out: &mut Out,
    batch: &Batch<SubRequest>,
    profile: Profile,
    options: &WriteOptions,
) -> Result<(), EncodeError> {
    let count = batch.operation_count();
    if profile == Profile::Graph && count > GRAPH_MAX_REQUESTS {
        return Err(EncodeError::new(
            WriteErrorKind::TooManyOperations,
            None,
            format!(
                "expected at most {GRAPH_MAX_REQUESTS} requests in a Microsoft Graph batch, found {count}"
            ),
        ));
    }
    // `continue_on_error` is a `Prefer` header of the outer HTTP request, not part of the
    // document: OData writes it among the envelope headers; Graph has no such preference.
    let carried: &[&str] = match profile {
        Profile::Odata => &["continue_on_error"],
        Profile::Graph => &[],
    };
    options_lost(out, batch, carried);
    let ops: Vec<&SubRequest> = batch.operations().collect();
    let ids = ids_for(
        &ops.iter().map(|op| op.id.as_deref()).collect::<Vec<_>>(),
        &group_names(batch),
        |id| profile.key(id),
        options,
        &mut out.lost,
    )?;
    let groups = group_ids(batch, &ids);
    let item_of: Vec<usize> = batch
        .items
        .iter()
        .enumerate()
        .flat_map(|(index, item)| std::iter::repeat_n(index, item.len()))
        .collect();
    out.begin_object();
    out.key("requests");
    out.begin_array();
    let mut n = 0;
    for (item_index, item) in batch.items.iter().enumerate() {
        if let Item::Group(g) = item {
            empty_group_lost(out, item_index, g.operations.is_empty());
            out.part_headers_lost(Site::Item(item_index), &g.part_headers, None);
            if !g.extra.is_empty() {
                for (name, _) in g.extra.iter() {
                    out.lost.push((
                        Site::Item(item_index),
                        LossKind::Member {
                            name: name.to_owned(),
                        },
                    ));
                }
            }
        }
        for op in item.operations() {
            out.element();
            out.begin_object();
            out.member_str("id", &ids[n]);
            if let Some(group) = &groups[item_index] {
                out.member_str("atomicityGroup", group);
            }
            let implied = implied_dependency(profile, op, n, &ids, &item_of, &groups);
            if let Some(on) = &implied {
                out.lost.push((
                    Site::Op(n),
                    LossKind::DependencyAdded { on: on.to_string() },
                ));
            }
            if !op.depends_on.is_empty() || implied.is_some() {
                out.key("dependsOn");
                out.begin_array();
                for dep in op.depends_on.iter().map(String::as_str).chain(implied) {
                    out.element();
                    out.string(dep);
                }
                out.end_array();
            }
            out.method("method", &op.method, profile.methods(), n)?;
            out.member_str("url", &op.target);
            let mut headers = Cow::Borrowed(&op.headers);
            if profile == Profile::Graph
                && !op.body.is_empty()
                && !op.headers.contains("content-type")
                && is_json(&op.body)
            {
                headers.to_mut().append("Content-Type", "application/json");
                out.lost.push((Site::Op(n), LossKind::ContentTypeAdded));
            }
            if !headers.is_empty() {
                out.key("headers");
                out.header_object(&headers, op.body.len(), n)?;
            }
            if !op.body.is_empty() {
                out.key("body");
                out.body_by_media(&op.body, media_kind(&headers), n)?;
            }
            out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
            out.extra(&op.extra, REQUEST_MEMBERS, Site::Op(n))?;
            out.end_object();
            n += 1;
        }
    }
    out.end_array();
    out.extra(&batch.extra, &["requests"], Site::Batch)?;
    out.end_object();
    Ok(())
}

/// The dependency that a `$<id>` reference at the start of the URL implies and `dependsOn`
/// does not declare: the referenced request's id, or its group's name when it sits in another
/// group (4.01 JSON format, section 19.1; a multipart changeset orders its members without
/// saying so). The reader's rule for a declared reference is the same.
fn implied_dependency<'m>(
    profile: Profile,
    op: &SubRequest,
    n: usize,
    ids: &'m [Cow<'m, str>],
    item_of: &[usize],
    groups: &'m [Option<Cow<'m, str>>],
) -> Option<&'m str> {
    let reference = url_reference(&op.target)?;
    // `$metadata`, `$batch`... are resources, not references, unless an id says otherwise.
    let j = ids[..n]
        .iter()
        .position(|id| profile.same_id(id, reference))?;
    let declared = op.depends_on.iter().any(|d| {
        profile.same_id(d, reference)
            || (0..=j).any(|k| {
                groups[item_of[k]]
                    .as_deref()
                    .is_some_and(|g| profile.same_id(d, g))
            })
    });
    if declared {
        return None;
    }
    match &groups[item_of[j]] {
        Some(group) if item_of[j] != item_of[n] => Some(group),
        _ => Some(&ids[j]),
    }
}

fn encode_responses(
    out: &mut Out,
    batch: &Batch<SubResponse>,
    options: &WriteOptions,
) -> Result<(), EncodeError> {
    options_lost(out, batch, &["next_link"]);
    let ops: Vec<&SubResponse> = batch.operations().collect();
    let ids = ids_for(
        &ops.iter().map(|op| op.id.as_deref()).collect::<Vec<_>>(),
        &group_names(batch),
        Cow::Borrowed,
        options,
        &mut out.lost,
    )?;
    let groups = group_ids(batch, &ids);
    out.begin_object();
    out.key("responses");
    out.begin_array();
    let mut n = 0;
    for (item_index, item) in batch.items.iter().enumerate() {
        if let Item::Group(g) = item {
            empty_group_lost(out, item_index, g.operations.is_empty());
        }
        for op in item.operations() {
            out.element();
            out.begin_object();
            out.member_str("id", &ids[n]);
            if op.omitted {
                out.lost.push((Site::Op(n), LossKind::Omitted));
            }
            out.key("status");
            out.number(op.status.as_u16());
            if !op.headers.is_empty() {
                out.key("headers");
                out.header_object(&op.headers, op.body.len(), n)?;
            }
            // CAP and the specification's examples put the group after the headers.
            if let Some(group) = &groups[item_index] {
                out.member_str("atomicityGroup", group);
            }
            if !op.body.is_empty() {
                out.key("body");
                out.body_by_media(&op.body, media_kind(&op.headers), n)?;
            }
            if op.reason.is_some() {
                out.lost.push((Site::Op(n), LossKind::Reason));
            }
            out.part_headers_lost(Site::Op(n), &op.part_headers, op.id.as_deref());
            out.extra(&op.extra, RESPONSE_MEMBERS, Site::Op(n))?;
            out.end_object();
            n += 1;
        }
    }
    out.end_array();
    if let Some(link) = &batch.options.next_link {
        out.member_str("@nextLink", link);
    }
    let mut defined = vec!["responses"];
    if batch.options.next_link.is_some() {
        defined.extend_from_slice(NEXT_LINKS);
    }
    out.extra(&batch.extra, &defined, Site::Batch)?;
    out.end_object();
    Ok(())
}

/// An atomicity group exists in the document only as its members' `atomicityGroup`: one
/// without members is not written, and said so.
fn empty_group_lost(out: &mut Out, item: usize, empty: bool) {
    if empty {
        out.lose_because(
            Site::Item(item),
            LossKind::Group,
            "a group without members has no place in an OData JSON batch",
        );
    }
}
