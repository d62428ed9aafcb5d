//! The batch to send again after throttling: only what did not run, and when.

use std::collections::HashSet;
use std::time::Duration;

use batchwire_core::{AtomicGroup, Batch, BatchRequest, Item, Position, odata_reference};
use http::Method;

use crate::{Correlation, Outcome};
use batchwire_json::reference::referred_ids;

/// What else to send again, beyond the throttled requests and what did not run because of
/// them.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryOptions {
    /// Also send again the requests whose outcome is unknown (no answer, no reason) when
    /// their method is idempotent (GET, HEAD, OPTIONS, PUT, DELETE).
    pub unknown_idempotent: bool,
    /// Also send again the unknown ones whose method is not idempotent (POST, PATCH…): they
    /// may have run.
    pub unknown_non_idempotent: bool,
}

/// A batch to send again, and when.
#[derive(Clone, Debug)]
pub struct Retry {
    /// The requests to send again, in their order and groups.
    pub batch: BatchRequest,
    /// The requests that did not run but are not sent again, and why: they need a request
    /// that failed, or refer to one that succeeded in a way that cannot be resolved.
    pub problems: Vec<String>,
    /// Where each of them was in the batch sent, in order.
    pub positions: Vec<Position>,
    /// How long to wait first: the longest `Retry-After` among the throttled ones.
    pub delay: Duration,
}

fn idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// From what happened to a batch, the batch to send again: the throttled requests, the
/// requests that did not run because of them (their dependents, the members of their atomic
/// groups), never what succeeded; with [`RetryOptions`], the requests whose outcome is unknown.
/// `None` when there is nothing to send again.
///
/// A request sent again that depended on one that succeeded no longer names it: its
/// `dependsOn` drops the id, and an OData `$<id>` target becomes the `Location` the
/// succeeded request answered with (the id looked up in the request's own changeset first).
/// A request that needs one that failed and is not sent again, or whose reference to one
/// that succeeded cannot be put right, is left out and listed in [`Retry::problems`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use batchwire_client::{correlate, retry, RetryOptions};
/// use batchwire_core::{BatchRequest, BatchResponse, Format, JsonFormat, SubRequest, SubResponse};
/// use http::{Method, StatusCode};
///
/// let mut sent = BatchRequest::new();
/// sent.push(SubRequest::new(Method::GET, "/me").with_id("1"));
/// sent.push(SubRequest::new(Method::GET, "/me/drive").with_id("2"));
/// let mut answer = BatchResponse::new();
/// answer.push(SubResponse::new(StatusCode::OK).with_id("1"));
/// answer.push(SubResponse::new(StatusCode::TOO_MANY_REQUESTS).with_id("2").with_header("Retry-After", "5"));
/// let c = correlate(&sent, &answer, Format::Json(JsonFormat::MsGraph), SystemTime::now());
/// let again = retry(&sent, &c, &RetryOptions::default()).unwrap();
/// assert_eq!(again.batch.operations().map(|r| r.target.as_str()).collect::<Vec<_>>(), ["/me/drive"]);
/// assert_eq!(again.delay, Duration::from_secs(5));
/// ```
pub fn retry(
    sent: &BatchRequest,
    correlation: &Correlation<'_>,
    options: &RetryOptions,
) -> Option<Retry> {
    let outcomes = &correlation.outcomes;
    let mut chosen: HashSet<Position> = outcomes
        .iter()
        .filter(|o| matches!(o.outcome, Outcome::Throttled { .. }))
        .map(|o| o.position)
        .collect();
    let delay = outcomes
        .iter()
        .filter_map(|o| match o.outcome {
            Outcome::Throttled { retry_after } => retry_after,
            _ => None,
        })
        .max()
        .unwrap_or(Duration::ZERO);
    for o in outcomes {
        let unknown =
            o.outcome == Outcome::Missing || o.outcome == Outcome::NotExecuted { cause: None };
        let method_ok = if idempotent(&o.request.method) {
            options.unknown_idempotent
        } else {
            options.unknown_non_idempotent
        };
        if unknown && method_ok {
            chosen.insert(o.position);
        }
    }
    // The dependency closure: what did not run because of a chosen request, what refers to
    // one, and the members of a chosen request's group; to a fixpoint.
    let position_of = |id: &str| {
        outcomes
            .iter()
            .find(|o| o.request.id.as_deref() == Some(id))
            .map(|o| o.position)
            .or_else(|| {
                sent.items
                    .iter()
                    .enumerate()
                    .find_map(|(i, item)| match item {
                        Item::Group(g) if g.id.as_deref() == Some(id) => Some(Position::item(i)),
                        _ => None,
                    })
            })
    };
    loop {
        let before = chosen.len();
        for o in outcomes {
            if chosen.contains(&o.position) || o.outcome == Outcome::Succeeded {
                continue;
            }
            let caused = o.outcome.cause().is_some_and(|c| {
                chosen.contains(&c)
                    || (c.member.is_none() && chosen.iter().any(|p| p.item == c.item))
            });
            let refers = referred_ids(o.request)
                .into_iter()
                .filter_map(position_of)
                .any(|p| {
                    chosen.contains(&p)
                        || (p.member.is_none() && chosen.iter().any(|q| q.item == p.item))
                });
            let grouped = o.position.member.is_some()
                && chosen
                    .iter()
                    .any(|p| p.item == o.position.item && p.member.is_some());
            if caused || refers || grouped {
                chosen.insert(o.position);
            }
        }
        if chosen.len() == before {
            break;
        }
    }
    // A request that needs one that neither succeeded nor is sent again would fail again:
    // it is left out, and said so; so is one whose reference to a request that succeeded
    // cannot be resolved (no `Location` to put in its place).
    let mut problems = Vec::new();
    loop {
        let mut left_out = Vec::new();
        for o in outcomes.iter().filter(|o| chosen.contains(&o.position)) {
            for id in referred_ids(o.request) {
                let target = lookup(correlation, o.position, id);
                let blocked = match target {
                    Some(t) if chosen.contains(&t.position) => None,
                    Some(t) if t.outcome == Outcome::Succeeded => {
                        (!resolvable(o.request, id, t)).then(|| {
                            format!(
                                "item {}: its reference to {id:?}, which succeeded, cannot be resolved",
                                o.position
                            )
                        })
                    }
                    Some(t) => Some(format!(
                        "item {}: it needs {id:?} (item {}), whose outcome is {} and which is not sent again",
                        o.position,
                        t.position,
                        t.outcome.name()
                    )),
                    None => None,
                };
                if let Some(problem) = blocked {
                    left_out.push((o.position, problem));
                    break;
                }
            }
        }
        if left_out.is_empty() {
            break;
        }
        for (position, problem) in left_out {
            chosen.remove(&position);
            problems.push(problem);
        }
    }
    if chosen.is_empty() {
        return None;
    }
    let mut batch = Batch::new();
    batch.options = sent.options.clone();
    batch.extra = sent.extra.clone();
    let mut positions = Vec::new();
    for (i, item) in sent.items.iter().enumerate() {
        match item {
            Item::Operation(op) if chosen.contains(&Position::item(i)) => {
                batch.push(resend(op, Position::item(i), correlation, &chosen));
                positions.push(Position::item(i));
            }
            Item::Group(g) => {
                let members: Vec<_> = g
                    .operations
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| chosen.contains(&Position::member(i, *j)))
                    .map(|(j, op)| {
                        positions.push(Position::member(i, j));
                        resend(op, Position::member(i, j), correlation, &chosen)
                    })
                    .collect();
                if !members.is_empty() {
                    let mut group = AtomicGroup::new(members);
                    group.id.clone_from(&g.id);
                    group.part_headers = g.part_headers.clone();
                    group.extra = g.extra.clone();
                    batch.push_group(group);
                }
            }
            Item::Operation(_) => {}
        }
    }
    Some(Retry {
        batch,
        problems,
        positions,
        delay,
    })
}

/// The outcome of the request `id` names, as seen from `from`: in its own group first (OData
/// numbers Content-IDs per changeset), then anywhere in the batch.
fn lookup<'c, 'a>(
    correlation: &'c Correlation<'a>,
    from: Position,
    id: &str,
) -> Option<&'c crate::RequestOutcome<'a>> {
    let named = |o: &&crate::RequestOutcome<'a>| o.request.id.as_deref() == Some(id);
    correlation
        .outcomes
        .iter()
        .filter(|o| from.member.is_some() && o.position.item == from.item)
        .find(named)
        .or_else(|| correlation.outcomes.iter().find(named))
}

/// Whether a reference to `id`, which succeeded, can be put right in a request sent again: a
/// dependency is dropped; an OData `$<id>` target takes its `Location`; a reference into its
/// result (Salesforce `@{id…}`, Meta `{result=id:…}`) cannot be.
fn resolvable(
    request: &batchwire_core::SubRequest,
    id: &str,
    target: &crate::RequestOutcome<'_>,
) -> bool {
    if odata_reference(&request.target) == Some(id) {
        return target
            .response
            .is_some_and(|r| r.headers.contains("location"));
    }
    request.depends_on.iter().any(|d| d == id)
}

/// A request as it is sent again: without the dependencies on requests that succeeded, and
/// with a `$<id>` target naming one of them resolved to its `Location`.
fn resend(
    op: &batchwire_core::SubRequest,
    position: Position,
    correlation: &Correlation<'_>,
    chosen: &HashSet<Position>,
) -> batchwire_core::SubRequest {
    let mut op = op.clone();
    let done = |id: &str| {
        lookup(correlation, position, id)
            .filter(|o| !chosen.contains(&o.position) && o.outcome == Outcome::Succeeded)
    };
    op.depends_on.retain(|id| done(id).is_none());
    if let Some(id) = odata_reference(&op.target)
        && let Some(location) = done(id)
            .and_then(|o| o.response)
            .and_then(|r| r.headers.get_str("location"))
    {
        op.target = format!("{location}{}", &op.target[1 + id.len()..]);
    }
    op
}
