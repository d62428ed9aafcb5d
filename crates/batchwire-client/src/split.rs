//! Splitting a batch into batches that fit a service's limits, without breaking an atomic
//! group or a dependency chain.

use std::collections::HashMap;
use std::fmt;

use batchwire_core::{Batch, BatchRequest, Item, Position, SubRequest};
use batchwire_json::reference::referred_ids;

use crate::Profile;

/// A group or a chain of dependent requests that no batch of the profile can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitError {
    /// The first item of what cannot be split.
    pub from: Position,
    /// The last item.
    pub to: Position,
    /// Why it does not fit.
    pub what: String,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "item {}: {}", self.from, self.what)
        } else {
            write!(f, "items {} to {}: {}", self.from, self.to, self.what)
        }
    }
}

impl std::error::Error for SplitError {}

/// For every item, the last item that must go in the same batch as it: its group is one
/// item, and a request goes with every request (or group) it refers to.
fn reach(batch: &BatchRequest) -> Vec<usize> {
    let mut item_of: HashMap<&str, usize> = HashMap::new();
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            Item::Operation(op) => {
                if let Some(id) = &op.id {
                    item_of.entry(id.as_str()).or_insert(i);
                }
            }
            Item::Group(g) => {
                if let Some(id) = &g.id {
                    item_of.entry(id.as_str()).or_insert(i);
                }
                for op in &g.operations {
                    if let Some(id) = &op.id {
                        item_of.entry(id.as_str()).or_insert(i);
                    }
                }
            }
        }
    }
    let mut reach: Vec<usize> = (0..batch.items.len()).collect();
    for (i, item) in batch.items.iter().enumerate() {
        for op in item.operations() {
            for id in referred_ids(op) {
                // An id of the request's own group names a member of it (OData numbers
                // Content-IDs per changeset), whatever other groups use it.
                let own = item
                    .operations()
                    .iter()
                    .any(|m| m.id.as_deref() == Some(id));
                if own {
                    continue;
                }
                if let Some(&j) = item_of.get(id) {
                    let (a, b) = (i.min(j), i.max(j));
                    reach[a] = reach[a].max(b);
                }
            }
        }
    }
    reach
}

/// The runs of items that cannot be cut apart: `(first, last)` item indexes, in order.
fn spans(batch: &BatchRequest) -> Vec<(usize, usize)> {
    let reach = reach(batch);
    let mut spans = Vec::new();
    let mut start = 0;
    while start < batch.items.len() {
        let mut end = reach[start];
        let mut i = start;
        while i < end {
            i += 1;
            end = end.max(reach[i]);
        }
        spans.push((start, end));
        start = end + 1;
    }
    spans
}

/// Splits `batch` into batches that `profile`'s service accepts, keeping request order,
/// never splitting an atomic group, and keeping every dependency chain (`dependsOn`, OData
/// `$<id>`, Salesforce `@{id…}`, Meta `{result=id:…}`) in one batch. Ids are kept, so they stay
/// unique in each batch and every reference keeps naming its request.
///
/// `measure` gives the written size of a candidate batch (the facade's `encode` in the
/// profile's format, say), or the error that keeps it from being written; it is asked only
/// when the profile bounds the size. An `allOrNone` batch is one atomic unit: it fits whole,
/// or it is a [`SplitError`].
///
/// # Errors
///
/// A [`SplitError`] naming the group or chain that no batch of the profile can hold.
///
/// # Examples
///
/// ```
/// use batchwire_client::{split, Profile};
/// use batchwire_core::{BatchRequest, SubRequest};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// for n in 0..45 {
///     batch.push(SubRequest::new(Method::GET, format!("/users/{n}")).with_id(n.to_string()));
/// }
/// let graph: Profile = "msgraph".parse().unwrap();
/// let batches = split(&batch, &graph, |_| Ok::<_, std::convert::Infallible>(0))?;
/// let sizes: Vec<usize> = batches.iter().map(|b| b.operation_count()).collect();
/// assert_eq!(sizes, [20, 20, 5]);
/// # Ok::<(), batchwire_client::SplitError>(())
/// ```
pub fn split<E: fmt::Display>(
    batch: &BatchRequest,
    profile: &Profile,
    mut measure: impl FnMut(&BatchRequest) -> Result<usize, E>,
) -> Result<Vec<BatchRequest>, SplitError> {
    let ops = |from: usize, to: usize| -> usize {
        batch.items[from..=to]
            .iter()
            .map(|i| i.operations().len())
            .sum()
    };
    let queries = |from: usize, to: usize| -> usize {
        batch.items[from..=to]
            .iter()
            .flat_map(|i| i.operations().iter())
            .filter(|op| is_query(op))
            .count()
    };
    let method = |i: usize| {
        batch.items[i]
            .operations()
            .first()
            .map(|op| op.method.clone())
    };
    let too_big =
        |from: usize, to: usize, measure: &mut dyn FnMut(&BatchRequest) -> Result<usize, E>| {
            if profile
                .max_operations
                .is_some_and(|max| ops(from, to) > max)
            {
                return Some(format!(
                    "{} operations that must go together, where {} takes at most {}",
                    ops(from, to),
                    profile.name,
                    profile.max_operations.unwrap_or_default()
                ));
            }
            if profile
                .max_queries
                .is_some_and(|max| queries(from, to) > max)
            {
                return Some(format!(
                    "{} queries that must go together, where {} takes at most {}",
                    queries(from, to),
                    profile.name,
                    profile.max_queries.unwrap_or_default()
                ));
            }
            let per_group = batch.items[from..=to].iter().any(|i| match i {
                Item::Group(g) => profile
                    .max_per_group
                    .is_some_and(|max| g.operations.len() > max),
                Item::Operation(_) => false,
            });
            if per_group {
                return Some(format!(
                    "a group of more operations than {} takes in one group ({})",
                    profile.name,
                    profile.max_per_group.unwrap_or_default()
                ));
            }
            if let Some(max) = profile.max_bytes {
                let size = match measure(&part(batch, from, to)) {
                    Ok(size) => size,
                    Err(e) => return Some(format!("cannot be written to be measured: {e}")),
                };
                if size > max {
                    return Some(format!(
                        "{size} bytes that must go together, where {} takes at most {max}",
                        profile.name
                    ));
                }
            }
            None
        };
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    // All or none: the batch is one atomic unit, which no split may cut.
    let spans = if batch.options.all_or_none == Some(true) && !batch.items.is_empty() {
        vec![(0, batch.items.len() - 1)]
    } else {
        spans(batch)
    };
    for (from, to) in spans {
        if let Some(what) = too_big(from, to, &mut measure) {
            return Err(SplitError {
                from: Position::item(from),
                to: Position::item(to),
                what,
            });
        }
        current = match current {
            None => Some((from, to)),
            Some((start, end)) => {
                // One kind of operation per batch (Azure): a change of method starts a batch.
                let same_kind = !profile.one_method || method(start) == method(from);
                if same_kind && too_big(start, to, &mut measure).is_none() {
                    Some((start, to))
                } else {
                    out.push(part(batch, start, end));
                    Some((from, to))
                }
            }
        };
    }
    if let Some((s, e)) = current {
        out.push(part(batch, s, e));
    }
    Ok(out)
}

/// Whether a request counts against a profile's bound on queries: Salesforce counts its
/// `query`, `queryAll` and sObject Collections subrequests, not every GET.
pub(crate) fn is_query(op: &SubRequest) -> bool {
    let path = op.target.split('?').next().unwrap_or("");
    ["/query", "/queryAll", "/composite/sobjects"]
        .iter()
        .any(|q| path.ends_with(q) || path.contains(&format!("{q}/")))
}

/// Items `from` to `to` as a batch of their own, with the batch's options and members.
fn part(batch: &BatchRequest, from: usize, to: usize) -> BatchRequest {
    let mut part = Batch::new();
    part.items = batch.items[from..=to].to_vec();
    part.options = batch.options.clone();
    part.extra = batch.extra.clone();
    part
}
