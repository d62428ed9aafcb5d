//! Pairing each request of a batch with its response, by the format's rule, and saying what
//! happened to it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use batchwire_core::{
    BatchRequest, BatchResponse, Format, Item, PairBy, Position, SubRequest, SubResponse,
    odata_reference,
};

use crate::error_body::{ErrorInfo, retry_after};

/// What happened to one request. Never collapsed into one error for the whole batch.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with a status below 400, and not undone by its atomic group.
    Succeeded,
    /// Answered with an error status; the error body's code and message where the format's
    /// error body says them.
    Failed {
        /// What the error body says.
        error: Option<ErrorInfo>,
    },
    /// Answered 429, or 503 with a `Retry-After`: worth sending again, after the delay.
    Throttled {
        /// The delay asked for, when the response says one.
        retry_after: Option<Duration>,
    },
    /// Not run because a request it depends on failed: answered 424.
    FailedDependency {
        /// The request whose failure caused it, when it can be told.
        cause: Option<Position>,
    },
    /// A member of an atomic group that failed as a whole (OData changeset or
    /// `atomicityGroup`, Salesforce `allOrNone`): whatever it answered, it was undone.
    RolledBack {
        /// The member whose failure undid the group, when it can be told.
        cause: Option<Position>,
    },
    /// Not run: the server stopped after an earlier failure (OData without
    /// continue-on-error, Salesforce `haltOnError` or `PROCESSING_HALTED`), or said so (a Meta
    /// `null`).
    NotExecuted {
        /// The failure after which the server stopped, when it can be told.
        cause: Option<Position>,
    },
    /// No response, and no reason known.
    Missing,
}

impl Outcome {
    /// The name the command line and `correlate --json` use: `succeeded`, `failed`,
    /// `throttled`, `failed-dependency`, `rolled-back`, `not-executed`, `missing`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed { .. } => "failed",
            Outcome::Throttled { .. } => "throttled",
            Outcome::FailedDependency { .. } => "failed-dependency",
            Outcome::RolledBack { .. } => "rolled-back",
            Outcome::NotExecuted { .. } => "not-executed",
            Outcome::Missing => "missing",
        }
    }

    /// The request whose failure caused this outcome, where there is one.
    pub fn cause(&self) -> Option<Position> {
        match self {
            Outcome::FailedDependency { cause }
            | Outcome::RolledBack { cause }
            | Outcome::NotExecuted { cause } => *cause,
            _ => None,
        }
    }
}

/// One request of the batch that was sent, its response, and what happened to it.
#[derive(Clone, Debug)]
pub struct RequestOutcome<'a> {
    /// Where the request sits in the batch sent.
    pub position: Position,
    /// The request.
    pub request: &'a SubRequest,
    /// Its response; for the members of a failed changeset answered by one error part,
    /// that part.
    pub response: Option<&'a SubResponse>,
    /// What happened to it.
    pub outcome: Outcome,
}

/// A response that answers no request of the batch sent.
#[derive(Clone, Debug)]
pub struct Unmatched<'a> {
    /// Where it sits in the response batch.
    pub position: Position,
    /// The response.
    pub response: &'a SubResponse,
}

/// Every request of a batch paired with its response, by the format's rule.
#[derive(Clone, Debug)]
pub struct Correlation<'a> {
    /// One per request, in request order.
    pub outcomes: Vec<RequestOutcome<'a>>,
    /// Responses that answer no request.
    pub unmatched: Vec<Unmatched<'a>>,
    /// What did not add up: duplicate ids, responses the format cannot pair.
    pub problems: Vec<String>,
}

impl<'a> Correlation<'a> {
    /// The outcome of the request at `position`.
    pub fn at(&self, position: Position) -> Option<&RequestOutcome<'a>> {
        self.outcomes.iter().find(|o| o.position == position)
    }

    /// The outcome of the first request with this id, compared as written (a batch may give
    /// one id twice, OData in two changesets: look those up by position).
    pub fn by_id(&self, id: &str) -> Option<&RequestOutcome<'a>> {
        self.outcomes
            .iter()
            .find(|o| o.request.id.as_deref() == Some(id))
    }

    /// Whether every request succeeded, with nothing left over.
    pub fn all_succeeded(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| o.outcome == Outcome::Succeeded)
            && self.unmatched.is_empty()
    }
}

/// How a format pairs responses with requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// By id as written (OData JSON `id`, Salesforce `referenceId`, a multipart Content-ID).
    Id,
    /// By id, without regard to case (Microsoft Graph).
    IdAnyCase,
    /// By Content-ID, angle brackets aside and Google's answers being `response-` and the
    /// request's id (`<response-item-1:x>` answers `<item-1:x>`).
    ContentId,
    /// By position: the formats without ids (Composite Batch, Asana, Meta, sObject).
    Position,
}

fn rule(format: Format) -> Rule {
    match format {
        Format::Multipart(_) => Rule::ContentId,
        Format::Json(format) => match format.rules().pair_by {
            PairBy::Id => Rule::Id,
            PairBy::IdAnyCase => Rule::IdAnyCase,
            PairBy::Position => Rule::Position,
        },
    }
}

/// An id as the rule compares it.
fn key(rule: Rule, id: &str) -> String {
    match rule {
        Rule::IdAnyCase => id.to_ascii_lowercase(),
        Rule::ContentId => {
            let bare = id.trim();
            let bare = bare.strip_prefix('<').unwrap_or(bare);
            let bare = bare.strip_suffix('>').unwrap_or(bare);
            bare.strip_prefix("response-").unwrap_or(bare).to_owned()
        }
        Rule::Id | Rule::Position => id.to_owned(),
    }
}

/// Pairs every request of `sent` with its response in `answer`, by the rule of `format`,
/// and says what happened to each, as of `now` (for a `Retry-After` given as a date).
///
/// The pairing: by id where the format has ids (a multipart Content-ID, in any dialect —
/// Google's `response-` prefix and angle brackets handled —, OData JSON and Graph `id`, the latter in
/// any case, Salesforce `referenceId`), else by position. A multipart changeset answered by
/// one error part (OData) gives that part to every member. Responses may come back
/// reordered, fewer or more: nothing panics, nothing is guessed silently — an unpaired
/// response is in [`Correlation::unmatched`], duplicate ids are in
/// [`Correlation::problems`].
///
/// # Examples
///
/// ```
/// use std::time::SystemTime;
/// use batchwire_client::{correlate, Outcome};
/// use batchwire_core::{BatchRequest, BatchResponse, Format, JsonFormat, Position, SubRequest, SubResponse};
/// use http::{Method, StatusCode};
///
/// let mut sent = BatchRequest::new();
/// sent.push(SubRequest::new(Method::GET, "/me").with_id("1"));
/// sent.push(SubRequest::new(Method::GET, "/me/drive").with_id("2"));
/// let mut answer = BatchResponse::new();
/// answer.push(SubResponse::new(StatusCode::TOO_MANY_REQUESTS).with_id("2").with_header("Retry-After", "3"));
/// answer.push(SubResponse::new(StatusCode::OK).with_id("1"));
/// let c = correlate(&sent, &answer, Format::Json(JsonFormat::MsGraph), SystemTime::now());
/// assert_eq!(c.at(Position::item(0)).unwrap().outcome, Outcome::Succeeded);
/// assert!(matches!(c.by_id("2").unwrap().outcome, Outcome::Throttled { retry_after: Some(_) }));
/// ```
pub fn correlate<'a>(
    sent: &'a BatchRequest,
    answer: &'a BatchResponse,
    format: Format,
    now: SystemTime,
) -> Correlation<'a> {
    let rule = rule(format);
    let requests: Vec<(Position, &SubRequest)> = Position::of_operations(sent)
        .zip(sent.operations())
        .collect();
    let responses: Vec<(Position, &SubResponse)> = Position::of_operations(answer)
        .zip(answer.operations())
        .collect();
    let mut problems = Vec::new();
    let mut paired: Vec<Option<usize>> = vec![None; requests.len()];
    let mut used = vec![false; responses.len()];

    duplicates(
        requests.iter().map(|(p, r)| (*p, r.id.as_deref())),
        rule,
        "request",
        &mut problems,
    );
    duplicates(
        responses.iter().map(|(p, r)| (*p, r.id.as_deref())),
        rule,
        "response",
        &mut problems,
    );

    if rule != Rule::Position {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (j, (_, response)) in responses.iter().enumerate() {
            if let Some(id) = &response.id {
                by_key.entry(key(rule, id)).or_default().push(j);
            }
        }
        for (k, (_, request)) in requests.iter().enumerate() {
            let Some(id) = &request.id else { continue };
            let found = by_key
                .get(&key(rule, id))
                .and_then(|js| js.iter().copied().find(|&j| !used[j]));
            if let Some(j) = found {
                paired[k] = Some(j);
                used[j] = true;
            }
        }
    }
    if format.is_multipart() {
        failed_changesets(sent, answer, &requests, &responses, &mut paired, &mut used);
    }
    // What ids did not pair goes by position, among the requests and responses left: a
    // response with an id of its own answers no request positionally.
    let free: Vec<usize> = (0..responses.len())
        .filter(|&j| !used[j] && (rule == Rule::Position || responses[j].1.id.is_none()))
        .collect();
    let mut free = free.into_iter();
    for k in 0..requests.len() {
        if paired[k].is_none()
            && (rule == Rule::Position || requests[k].1.id.is_none())
            && let Some(j) = free.next()
        {
            paired[k] = Some(j);
            used[j] = true;
        }
    }

    let responses_of: Vec<Option<&SubResponse>> =
        paired.iter().map(|j| j.map(|j| responses[j].1)).collect();
    let outcomes = outcomes(sent, format, &requests, &responses_of, now);
    let unmatched = responses
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((position, response), _)| Unmatched {
            position: *position,
            response,
        })
        .collect();
    Correlation {
        outcomes,
        unmatched,
        problems,
    }
}

fn duplicates<'i>(
    ids: impl Iterator<Item = (Position, Option<&'i str>)>,
    rule: Rule,
    what: &str,
    problems: &mut Vec<String>,
) {
    let mut seen: HashMap<String, Position> = HashMap::new();
    for (position, id) in ids {
        let Some(id) = id else { continue };
        if let Some(first) = seen.insert(key(rule, id), position) {
            problems.push(format!(
                "{what} id {id:?} at item {position} was already given at item {first}"
            ));
        }
    }
}

/// OData: a changeset that failed is answered by one error part where the changeset was.
/// Request items and response items are walked side by side; a group of requests whose
/// members are all unanswered, met by an unused single response of 400 or more, gets that
/// response for every member.
fn failed_changesets(
    sent: &BatchRequest,
    answer: &BatchResponse,
    requests: &[(Position, &SubRequest)],
    responses: &[(Position, &SubResponse)],
    paired: &mut [Option<usize>],
    used: &mut [bool],
) {
    let index_of = |all: &[Position], p: Position| all.iter().position(|q| *q == p);
    let request_positions: Vec<Position> = requests.iter().map(|(p, _)| *p).collect();
    let response_positions: Vec<Position> = responses.iter().map(|(p, _)| *p).collect();
    let mut j = 0;
    for (i, item) in sent.items.iter().enumerate() {
        let Some(response_item) = answer.items.get(j) else {
            break;
        };
        j += 1;
        let (Item::Group(group), Item::Operation(response)) = (item, response_item) else {
            continue;
        };
        let Some(r) = index_of(&response_positions, Position::item(j - 1)) else {
            continue;
        };
        let members: Vec<usize> = (0..group.operations.len())
            .filter_map(|m| index_of(&request_positions, Position::member(i, m)))
            .collect();
        if members.is_empty()
            || used[r]
            || response.status.as_u16() < 400
            || members.iter().any(|&k| paired[k].is_some())
        {
            continue;
        }
        for k in members {
            paired[k] = Some(r);
        }
        used[r] = true;
    }
}

/// What happened to each request, given its response. Every per-request fact (its status,
/// its error body, its group's failure) is worked out once, so the whole is linear in the
/// requests and their references.
fn outcomes<'a>(
    sent: &BatchRequest,
    format: Format,
    requests: &[(Position, &'a SubRequest)],
    responses: &[Option<&'a SubResponse>],
    now: SystemTime,
) -> Vec<RequestOutcome<'a>> {
    let errors: Vec<Option<ErrorInfo>> = responses
        .iter()
        .map(|r| {
            r.filter(|r| r.status.as_u16() >= 400)
                .and_then(ErrorInfo::of)
        })
        .collect();
    let status = |k: usize| {
        responses[k]
            .filter(|r| !r.omitted)
            .map(|r| r.status.as_u16())
    };
    // A failure of its own, not a consequence of another (424, or Salesforce's halted and
    // rolled-back markers): what can be a cause.
    let own_failure: Vec<bool> = (0..requests.len())
        .map(|k| {
            let consequence = status(k) == Some(424)
                || errors[k].as_ref().is_some_and(|e| {
                    matches!(
                        e.code.as_deref(),
                        Some("PROCESSING_HALTED" | "ALL_OR_NONE_OPERATION_ROLLED_BACK")
                    )
                });
            status(k).is_some_and(|s| s >= 400) && !consequence
        })
        .collect();
    let any_failure = |k: usize| status(k).is_some_and(|s| s >= 400);
    // Each group's failure: its first member failing on its own, else its first member
    // failing at all (a 424 fails a group too).
    let mut group_failure: HashMap<usize, Position> = HashMap::new();
    for pass in [true, false] {
        for (k, (p, _)) in requests.iter().enumerate() {
            let failing = if pass { own_failure[k] } else { any_failure(k) };
            if p.member.is_some() && failing {
                group_failure.entry(p.item).or_insert(*p);
            }
        }
    }
    let first_failure = (0..requests.len())
        .find(|&k| own_failure[k])
        .map(|k| requests[k].0);
    let all_or_none = sent.options.all_or_none == Some(true);
    // Whether the server stops at the first failure: OData multipart unless asked to go on;
    // the JSON formats and Google and Azure go on unless asked to halt.
    let stops = match format {
        Format::Multipart(dialect) => {
            dialect.rules().stops_on_error && sent.options.continue_on_error != Some(true)
        }
        Format::Json(_) => {
            sent.options.halt_on_error == Some(true)
                || sent.options.continue_on_error == Some(false)
        }
    };
    // Where each id is: a request's position, or a group's (its failing member standing for
    // it), the request's own group first (OData numbers Content-IDs per changeset).
    let index_of: HashMap<Position, usize> = requests
        .iter()
        .enumerate()
        .map(|(k, (p, _))| (*p, k))
        .collect();
    let locate = |from: Position, id: &str| -> Option<Position> {
        let in_group = requests
            .iter()
            .find(|(p, r)| {
                from.member.is_some() && p.item == from.item && r.id.as_deref() == Some(id)
            })
            .map(|(p, _)| *p);
        in_group
            .or_else(|| {
                requests
                    .iter()
                    .find(|(_, r)| r.id.as_deref() == Some(id))
                    .map(|(p, _)| *p)
            })
            .or_else(|| {
                sent.items
                    .iter()
                    .enumerate()
                    .find_map(|(i, item)| match item {
                        Item::Group(g) if g.id.as_deref() == Some(id) => {
                            Some(group_failure.get(&i).copied().unwrap_or(Position::item(i)))
                        }
                        _ => None,
                    })
            })
    };
    // The failed request a 424 names: among what it depends on, the first that failed
    // (a 424 too: the chain is followed one link at a time).
    let dependency_failure = |position: Position, request: &SubRequest| {
        request
            .depends_on
            .iter()
            .map(String::as_str)
            .chain(odata_reference(&request.target))
            .filter_map(|id| locate(position, id))
            .find(|p| index_of.get(p).is_some_and(|&k| any_failure(k)))
    };
    requests
        .iter()
        .enumerate()
        .map(|(k, (position, request))| {
            let response = responses[k];
            // The member of its group, or of an all-or-none batch, that failed.
            let group_cause = position
                .member
                .and_then(|_| group_failure.get(&position.item).copied())
                .or_else(|| all_or_none.then_some(first_failure).flatten())
                .filter(|c| c != position);
            let outcome = match response {
                // A member of a failed group that the answer does not name: undone with it
                // (OData answers a failed changeset with the failing member's error alone).
                None if group_cause.is_some() => Outcome::RolledBack { cause: group_cause },
                None => match first_failure.filter(|f| *f < *position) {
                    Some(cause) if stops => Outcome::NotExecuted { cause: Some(cause) },
                    _ => Outcome::Missing,
                },
                Some(r) if r.omitted => Outcome::NotExecuted { cause: None },
                Some(r) => {
                    let code = errors[k].as_ref().and_then(|e| e.code.as_deref());
                    match r.status.as_u16() {
                        424 => Outcome::FailedDependency {
                            cause: dependency_failure(*position, request),
                        },
                        429 => Outcome::Throttled {
                            retry_after: retry_after(r, now),
                        },
                        503 if r.headers.contains("retry-after") => Outcome::Throttled {
                            retry_after: retry_after(r, now),
                        },
                        _ if code == Some("PROCESSING_HALTED") => Outcome::NotExecuted {
                            cause: first_failure.filter(|c| c != position),
                        },
                        _ if code == Some("ALL_OR_NONE_OPERATION_ROLLED_BACK") => {
                            Outcome::RolledBack { cause: group_cause }
                        }
                        400.. => Outcome::Failed {
                            error: errors[k].clone(),
                        },
                        _ if group_cause.is_some() => Outcome::RolledBack { cause: group_cause },
                        _ => Outcome::Succeeded,
                    }
                }
            };
            RequestOutcome {
                position: *position,
                request,
                response,
                outcome,
            }
        })
        .collect()
}
