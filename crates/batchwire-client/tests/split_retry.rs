//! Splitting keeps every operation once, in order, with groups and chains intact; the retry
//! batch holds exactly the throttled requests and their dependents.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::time::SystemTime;

use batchwire_client::{Profile, RetryOptions, correlate, retry, split};
use batchwire_core::{
    AtomicGroup, BatchRequest, BatchResponse, Format, Item, JsonFormat, Position, SubRequest,
    SubResponse,
};
use http::{Method, StatusCode};
use proptest::prelude::*;

/// A batch of requests `r0`, `r1`… in items of one request or groups of up to three, each
/// request depending, by `dependsOn` or an OData `$<id>` target, on earlier ones.
fn batch() -> impl Strategy<Value = BatchRequest> {
    prop::collection::vec(
        (
            1usize..=3,
            any::<bool>(),
            prop::collection::vec((any::<u8>(), any::<bool>()), 0..2),
        ),
        0..14,
    )
    .prop_map(|items| {
        let mut batch = BatchRequest::new();
        let mut n = 0usize;
        for (size, grouped, deps) in items {
            let mut ops = Vec::new();
            for _ in 0..if grouped { size } else { 1 } {
                let mut op =
                    SubRequest::new(Method::GET, format!("/t{n}")).with_id(format!("r{n}"));
                // Depend rarely, on an earlier request.
                for (pick, by_target) in &deps {
                    if n > 0 && pick % 4 == 0 {
                        let on = usize::from(*pick) % n;
                        if *by_target {
                            op.target = format!("$r{on}/x");
                        } else {
                            op = op.with_dependency(format!("r{on}"));
                        }
                    }
                }
                ops.push(op);
                n += 1;
            }
            if grouped {
                batch.push_group(AtomicGroup::new(ops));
            } else {
                batch.push(ops.remove(0));
            }
        }
        batch
    })
}

fn ids_of(batch: &BatchRequest) -> Vec<String> {
    batch
        .operations()
        .map(|op| op.id.clone().unwrap())
        .collect()
}

fn referred(op: &SubRequest) -> Vec<String> {
    let mut ids = op.depends_on.clone();
    if let Some(id) = batchwire_core::odata_reference(&op.target) {
        ids.push(id.to_owned());
    }
    ids
}

proptest! {
    #[test]
    fn splitting_keeps_every_operation_once_in_order_with_groups_and_chains(
        batch in batch(),
        max in 1usize..8,
    ) {
        let profile = Profile::odata().with_max_operations(max);
        match split(&batch, &profile, |_| Ok::<_, Infallible>(0)) {
            Ok(parts) => {
                // Every item once, in order: the parts put back together are the batch.
                let items: Vec<Item<SubRequest>> =
                    parts.iter().flat_map(|p| p.items.iter().cloned()).collect();
                prop_assert_eq!(&items, &batch.items);
                for part in &parts {
                    prop_assert!(part.operation_count() <= max);
                    prop_assert!(part.operation_count() > 0);
                    // Every reference names a request of the same part.
                    let here: Vec<String> = ids_of(part);
                    for op in part.operations() {
                        for id in referred(op) {
                            prop_assert!(here.contains(&id), "{} refers to {} in another part", op.id.as_deref().unwrap(), id);
                        }
                    }
                }
            }
            Err(e) => {
                // Only a chain or group larger than the bound is refused, and it is named.
                let (from, to) = (e.from.item, e.to.item);
                let ops: usize = batch.items[from..=to].iter().map(|i| i.operations().len()).sum();
                prop_assert!(ops > max, "{e}");
            }
        }
    }

    #[test]
    fn the_retry_batch_is_the_throttled_requests_and_their_dependents(
        batch in batch(),
        throttled in prop::collection::vec(any::<bool>(), 40),
    ) {
        // The server throttles some requests; what depends on one, or shares its group,
        // fails with 424 as OData JSON servers answer; the rest succeeds.
        let positions: Vec<Position> = Position::of_operations(&batch).collect();
        let ops: Vec<&SubRequest> = batch.operations().collect();
        let index: HashMap<String, usize> = ops.iter().enumerate().map(|(k, op)| (op.id.clone().unwrap(), k)).collect();
        let mut hit: BTreeSet<usize> = (0..ops.len()).filter(|&k| throttled[k % 40]).collect();
        let throttled_set = hit.clone();
        loop {
            let before = hit.len();
            for k in 0..ops.len() {
                let depends = referred(ops[k]).iter().any(|id| index.get(id).is_some_and(|j| hit.contains(j)));
                let grouped = positions[k].member.is_some()
                    && hit.iter().any(|&j| positions[j].item == positions[k].item && positions[j].member.is_some());
                if depends || grouped {
                    hit.insert(k);
                }
            }
            if hit.len() == before {
                break;
            }
        }
        let mut answer = BatchResponse::new();
        for (k, op) in ops.iter().enumerate() {
            let status = if throttled_set.contains(&k) {
                StatusCode::TOO_MANY_REQUESTS
            } else if hit.contains(&k) {
                StatusCode::FAILED_DEPENDENCY
            } else {
                StatusCode::OK
            };
            // A success says where its result is, so that `$<id>` references to it resolve.
            answer.push(
                SubResponse::new(status)
                    .with_id(op.id.clone().unwrap())
                    .with_header("Location", format!("/t{k}")),
            );
        }
        let c = correlate(&batch, &answer, Format::Json(JsonFormat::OdataJson), SystemTime::now());
        let again = retry(&batch, &c, &RetryOptions::default());
        let want: Vec<Position> = hit.iter().map(|&k| positions[k]).collect();
        let got: Vec<Position> = again.map(|r| r.positions).unwrap_or_default();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_chain_too_large_for_the_profile_is_named() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::POST, "/a").with_id("a"));
    batch.push(
        SubRequest::new(Method::POST, "/b")
            .with_id("b")
            .with_dependency("a"),
    );
    batch.push(
        SubRequest::new(Method::POST, "/c")
            .with_id("c")
            .with_dependency("b"),
    );
    let err = split(&batch, &Profile::odata().with_max_operations(2), |_| {
        Ok::<_, Infallible>(0)
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "items 1 to 3: 3 operations that must go together, where odata takes at most 2"
    );
}

#[test]
fn split_by_bytes_and_by_method() {
    let mut batch = BatchRequest::new();
    for n in 0..6 {
        let method = if n < 4 { Method::DELETE } else { Method::PUT };
        batch.push(SubRequest::new(method, format!("/c/b{n}")));
    }
    // Azure: one kind of operation per batch.
    let azure: Profile = "azure-blob".parse().unwrap();
    let parts = split(&batch, &azure, |_| Ok::<_, Infallible>(0)).unwrap();
    assert_eq!(
        parts
            .iter()
            .map(BatchRequest::operation_count)
            .collect::<Vec<_>>(),
        [4, 2]
    );
    // By size: 10 bytes an operation, 25 at most.
    let small = Profile::odata().with_max_bytes(25);
    let parts = split(&batch, &small, |b| {
        Ok::<_, Infallible>(10 * b.operation_count())
    })
    .unwrap();
    assert_eq!(
        parts
            .iter()
            .map(BatchRequest::operation_count)
            .collect::<Vec<_>>(),
        [2, 2, 2]
    );
}

#[test]
fn profiles_check_a_batch_before_it_is_sent() {
    let graph: Profile = "msgraph".parse().unwrap();
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(
        Method::GET,
        "https://graph.microsoft.com/v1.0/me",
    ));
    batch.push(SubRequest::new(Method::POST, "/me/events").with_body("{}"));
    let found: Vec<String> = graph
        .check(&batch)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "item 1: msgraph takes relative URLs only, found \"https://graph.microsoft.com/v1.0/me\"",
            "item 2: msgraph wants a Content-Type on a request with a body",
        ]
    );
    let asana: Profile = "asana".parse().unwrap();
    assert_eq!(
        asana.check(&BatchRequest::new())[0].to_string(),
        "batch: asana refuses an empty batch"
    );
    assert!(
        "soap"
            .parse::<Profile>()
            .unwrap_err()
            .to_string()
            .starts_with("unknown profile \"soap\": expected one of odata, msgraph,")
    );
}

#[test]
fn a_request_that_needs_a_failed_one_is_not_sent_again() {
    // a fails; c is throttled; b needs both; d needs a request that succeeded with a Location.
    let mut sent = BatchRequest::new();
    sent.push(SubRequest::new(Method::POST, "/a").with_id("a"));
    sent.push(SubRequest::new(Method::POST, "/c").with_id("c"));
    sent.push(
        SubRequest::new(Method::POST, "/b")
            .with_id("b")
            .with_dependency("a")
            .with_dependency("c"),
    );
    sent.push(SubRequest::new(Method::POST, "/e").with_id("e"));
    sent.push(
        SubRequest::new(Method::POST, "$e/items")
            .with_id("d")
            .with_dependency("c"),
    );
    let mut answer = BatchResponse::new();
    answer.push(SubResponse::new(StatusCode::BAD_REQUEST).with_id("a"));
    answer.push(SubResponse::new(StatusCode::TOO_MANY_REQUESTS).with_id("c"));
    answer.push(SubResponse::new(StatusCode::FAILED_DEPENDENCY).with_id("b"));
    answer.push(
        SubResponse::new(StatusCode::CREATED)
            .with_id("e")
            .with_header("Location", "/e/5"),
    );
    answer.push(SubResponse::new(StatusCode::FAILED_DEPENDENCY).with_id("d"));
    let c = correlate(
        &sent,
        &answer,
        Format::Json(JsonFormat::OdataJson),
        SystemTime::now(),
    );
    let again = retry(&sent, &c, &RetryOptions::default()).unwrap();
    let sent_again: Vec<(String, Vec<String>)> = again
        .batch
        .operations()
        .map(|op| (op.target.clone(), op.depends_on.clone()))
        .collect();
    assert_eq!(
        sent_again,
        [
            ("/c".to_owned(), vec![]),
            ("/e/5/items".to_owned(), vec!["c".to_owned()])
        ]
    );
    assert_eq!(
        again.problems,
        ["item 3: it needs \"a\" (item 1), whose outcome is failed and which is not sent again"]
    );
}
