//! Salesforce Composite Graph (`/composite/graph`): `{graphs:[{graphId, compositeRequest}]}`
//! and `{graphs:[{graphId, graphResponse, isSuccessful}]}`, both ways; each graph is an atomic
//! group of Composite subrequests.

use std::borrow::Cow;
use std::collections::HashMap;

use batchwire_core::{
    AtomicGroup, Batch, BatchMessage, Item, LossKind, MessageRef, ParseError, ParseErrorKind as K,
    SubRequest, SubResponse,
};
use serde_json::value::RawValue;

use super::composite::{results, subrequests, write_results, write_subrequests};
use crate::read::{Object, Path, Reader, Top};
use crate::write::{EncodeError, Encoded, Out, Site, WriteOptions, options_lost, too_many};

/// Nodes in one `/composite/graph` payload.
pub(crate) const GRAPH_MAX_NODES: usize =
    crate::write::bound(crate::JsonFormat::SalesforceCompositeGraph);

pub(crate) fn decode_graph<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(top, "a Salesforce Composite Graph object")?;
    let root = Path::Root;
    let raw = top
        .take("graphs")
        .ok_or_else(|| r.missing(&top, &root, "graphs", "the graphs"))?;
    let path = root.key("graphs");
    let graphs = r.array(raw, &path)?;
    // Requests or responses: the first graph says; an empty payload is what the caller
    // asked for, else a request.
    let mut objects = Vec::with_capacity(graphs.len());
    for (i, graph) in graphs.into_iter().enumerate() {
        objects.push(r.object(graph, &path.index(i))?);
    }
    let response = match objects.first() {
        Some(first) => {
            r.kind_at = Some(first.offset);
            first.has("graphResponse")
        }
        None => r.kind == Some(batchwire_core::MessageKind::Response),
    };
    let mut ids: HashMap<Cow<'a, str>, &RawValue> = HashMap::new();
    let mut nodes = 0;
    if response {
        let mut batch = Batch::new();
        for (i, mut object) in objects.into_iter().enumerate() {
            let at = path.index(i);
            let id = graph_id(r, &mut object, &at, &mut ids)?;
            let gr_raw = object
                .take("graphResponse")
                .ok_or_else(|| r.missing(&object, &at, "graphResponse", "the graph's results"))?;
            let gat = at.key("graphResponse");
            let mut gr = r.object(gr_raw, &gat)?;
            let results_raw = gr
                .take("compositeResponse")
                .ok_or_else(|| r.missing(&gr, &gat, "compositeResponse", "the results"))?;
            let ops = results(r, results_raw, &gat.key("compositeResponse"))?;
            nodes += ops.len();
            r.check_operation_count(nodes, results_raw)?;
            let mut group = AtomicGroup::new(ops).with_id(id);
            if let Some(ok) = object.take("isSuccessful") {
                r.boolean(ok, &at.key("isSuccessful"))?;
                group.extra.push("isSuccessful", r.raw_bytes(ok));
            }
            r.keep_rest(&object, &at, false, &mut group.extra)?;
            r.keep_rest_under("graphResponse/", &gr, &gat, false, &mut group.extra)?;
            batch.push_group(group);
        }
        r.keep_rest(&top, &root, false, &mut batch.extra)?;
        Ok(BatchMessage::Response(batch))
    } else {
        let mut batch = Batch::new();
        for (i, mut object) in objects.into_iter().enumerate() {
            let at = path.index(i);
            let id = graph_id(r, &mut object, &at, &mut ids)?;
            let reqs_raw = object.take("compositeRequest").ok_or_else(|| {
                r.missing(&object, &at, "compositeRequest", "the graph's subrequests")
            })?;
            let rat = at.key("compositeRequest");
            let elements = r.array(reqs_raw, &rat)?;
            nodes += elements.len();
            r.check_operation_count(nodes, reqs_raw)?;
            r.check_format_count(
                nodes,
                GRAPH_MAX_NODES,
                "Salesforce Composite Graph",
                reqs_raw,
            )?;
            let ops = subrequests(r, elements, &rat)?;
            let mut group = AtomicGroup::new(ops).with_id(id);
            r.keep_rest(&object, &at, true, &mut group.extra)?;
            batch.push_group(group);
        }
        r.keep_rest(&top, &root, true, &mut batch.extra)?;
        Ok(BatchMessage::Request(batch))
    }
}

fn graph_id<'a>(
    r: &Reader<'a>,
    object: &mut Object<'a>,
    at: &Path<'_>,
    ids: &mut HashMap<Cow<'a, str>, &'a RawValue>,
) -> Result<String, ParseError> {
    let raw = object
        .take("graphId")
        .ok_or_else(|| r.missing(object, at, "graphId", "the graph's name"))?;
    let id = r.string(raw, &at.key("graphId"))?;
    if let Some(first) = ids.get(&id) {
        return Err(r.error_at(
            K::DuplicateId,
            raw,
            format!(
                "expected each graphId once, found \"{id}\" again at {}, first at byte {}",
                at.key("graphId"),
                r.offset(first)
            ),
        ));
    }
    let owned = id.clone().into_owned();
    ids.insert(id, raw);
    Ok(owned)
}

pub(crate) fn encode_graph(
    message: MessageRef<'_>,
    options: &WriteOptions,
) -> Result<Encoded, EncodeError> {
    let mut out = Out::new();
    match message {
        MessageRef::Request(batch) => {
            let count = batch.operation_count();
            if count > GRAPH_MAX_NODES {
                return Err(too_many(
                    count,
                    GRAPH_MAX_NODES,
                    "Salesforce Composite Graph",
                ));
            }
            options_lost(&mut out, batch, &[]);
            out.begin_object();
            out.key("graphs");
            out.begin_array();
            let names = graph_names(batch);
            let mut n = 0;
            for (item, entry) in batch.items.iter().enumerate() {
                begin_graph(&mut out, &names[item], entry, n);
                out.key("compositeRequest");
                let ops: Vec<&SubRequest> = entry.operations().iter().collect();
                write_subrequests(&mut out, &ops, n, &[], options)?;
                if let Item::Group(g) = entry {
                    out.part_headers_lost(Site::Item(item), &g.part_headers, None);
                    out.extra(&g.extra, &["graphId", "compositeRequest"], Site::Item(item))?;
                }
                out.end_object();
                n += ops.len();
            }
            out.end_array();
            out.extra(&batch.extra, &["graphs"], Site::Batch)?;
            out.end_object();
        }
        MessageRef::Response(batch) => {
            options_lost(&mut out, batch, &[]);
            out.begin_object();
            out.key("graphs");
            out.begin_array();
            let names = graph_names(batch);
            let mut n = 0;
            for (item, entry) in batch.items.iter().enumerate() {
                let ops: Vec<&SubResponse> = entry.operations().iter().collect();
                begin_graph(&mut out, &names[item], entry, n);
                out.key("graphResponse");
                out.begin_object();
                out.key("compositeResponse");
                write_results(&mut out, &ops, n, options)?;
                let empty = batchwire_core::Extra::new();
                let extra = match entry {
                    Item::Group(g) => &g.extra,
                    Item::Operation(_) => &empty,
                };
                for (name, json) in extra.iter() {
                    if let Some(inner) = name.strip_prefix("graphResponse/") {
                        out.key(inner);
                        out.raw(json);
                    }
                }
                out.end_object();
                out.key("isSuccessful");
                match extra.get("isSuccessful") {
                    Some(json) => out.raw(json),
                    None => out.boolean(ops.iter().all(|op| op.status.as_u16() < 400)),
                }
                let mut rest = batchwire_core::Extra::new();
                for (name, json) in extra.iter() {
                    if name != "isSuccessful" && !name.starts_with("graphResponse/") {
                        rest.push(name, json.clone());
                    }
                }
                out.extra(&rest, &["graphId", "graphResponse"], Site::Item(item))?;
                out.end_object();
                n += ops.len();
            }
            out.end_array();
            out.extra(&batch.extra, &["graphs"], Site::Batch)?;
            out.end_object();
        }
    }
    Ok(out.finish(message))
}

/// Opens a graph's object with its graphId. An operation outside any group is written as a
/// graph of its own, under an invented name that the report gives.
fn begin_graph<T>(out: &mut Out, name: &str, entry: &Item<T>, n: usize) {
    out.element();
    out.begin_object();
    out.member_str("graphId", name);
    if let Item::Operation(_) = entry {
        out.lost.push((
            Site::Op(n),
            LossKind::GroupInvented {
                id: name.to_owned(),
            },
        ));
    }
}

/// A graphId for every item: the group's name, or an invented `graph<N>`.
fn graph_names<T>(batch: &Batch<T>) -> Vec<String> {
    let mut taken: Vec<String> = batch
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Group(g) => g.id.clone(),
            Item::Operation(_) => None,
        })
        .collect();
    let mut next = 1;
    batch
        .items
        .iter()
        .map(|item| match item {
            Item::Group(AtomicGroup { id: Some(id), .. }) => id.clone(),
            _ => loop {
                let candidate = format!("graph{next}");
                next += 1;
                if !taken.contains(&candidate) {
                    taken.push(candidate.clone());
                    break candidate;
                }
            },
        })
        .collect()
}
