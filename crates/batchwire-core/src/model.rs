//! The batch model: one shape for every wire format.

use bytes::Bytes;
use http::{Method, StatusCode};

use crate::Headers;

/// A batch: an ordered list of items, each one operation or an atomic group of them.
///
/// `T` is [`SubRequest`] for a batch request and [`SubResponse`] for a batch response; the
/// aliases [`BatchRequest`] and [`BatchResponse`] name the two.
///
/// # Examples
///
/// ```
/// use batchwire_core::{AtomicGroup, BatchRequest, Item, SubRequest};
/// use http::Method;
///
/// let mut batch = BatchRequest::new();
/// batch.push(SubRequest::new(Method::GET, "Customers(1)"));
/// batch.push_group(AtomicGroup::new(vec![
///     SubRequest::new(Method::POST, "Customers").with_id("1").with_body(r#"{"ID":7}"#),
///     SubRequest::new(Method::POST, "$1/orders").with_id("2").with_body(r#"{"ID":9}"#),
/// ]));
/// assert_eq!(batch.items.len(), 2);
/// assert_eq!(batch.operations().count(), 3);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch<T> {
    /// The items in wire order.
    pub items: Vec<Item<T>>,
    /// Options that apply to the whole batch.
    pub options: BatchOptions,
    /// Members of the batch document that the model does not name (OData instance
    /// annotations, members a lenient reader kept), in wire order.
    pub extra: Extra,
}

/// A batch of sub-requests.
pub type BatchRequest = Batch<SubRequest>;
/// A batch of sub-responses.
pub type BatchResponse = Batch<SubResponse>;

impl<T> Batch<T> {
    /// An empty batch.
    pub fn new() -> Batch<T> {
        Batch {
            items: Vec::new(),
            options: BatchOptions::default(),
            extra: Extra::new(),
        }
    }

    /// A batch of these items.
    pub fn from_items(items: Vec<Item<T>>) -> Batch<T> {
        Batch {
            items,
            options: BatchOptions::default(),
            extra: Extra::new(),
        }
    }

    /// Adds one operation at the end.
    pub fn push(&mut self, operation: T) {
        self.items.push(Item::Operation(operation));
    }

    /// Adds an atomic group at the end.
    pub fn push_group(&mut self, group: AtomicGroup<T>) {
        self.items.push(Item::Group(group));
    }

    /// Every operation in wire order, the members of groups included.
    pub fn operations(&self) -> impl Iterator<Item = &T> {
        self.items.iter().flat_map(Item::operations)
    }

    /// Every operation with the index of the group it belongs to, if any.
    pub fn operations_with_group(&self) -> impl Iterator<Item = (&T, Option<usize>)> {
        self.items.iter().enumerate().flat_map(|(index, item)| {
            let group = matches!(item, Item::Group(_)).then_some(index);
            item.operations().iter().map(move |op| (op, group))
        })
    }

    /// The number of operations, the members of groups included.
    pub fn operation_count(&self) -> usize {
        self.items.iter().map(Item::len).sum()
    }
}

impl<T> Default for Batch<T> {
    fn default() -> Batch<T> {
        Batch::new()
    }
}

/// Options that apply to a whole batch rather than to one item.
///
/// Each is `None` when the batch does not say; formats that cannot carry an option report it
/// when converting.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOptions {
    /// Go on after a failed operation (OData `Prefer: odata.continue-on-error`).
    pub continue_on_error: Option<bool>,
    /// Roll back everything when one operation fails (Salesforce `allOrNone`).
    pub all_or_none: Option<bool>,
    /// Stop at the first failure (Salesforce `haltOnError`).
    pub halt_on_error: Option<bool>,
    /// Let the server group unrelated operations to run them together (Salesforce
    /// `collateSubrequests`).
    pub collate_subrequests: Option<bool>,
    /// Whether at least one response failed, as the batch itself says (Salesforce
    /// `hasErrors`); decoders compare it with the statuses and report a mismatch.
    pub has_errors: Option<bool>,
    /// Where to get the rest of a partial batch response (OData JSON `@nextLink`, also read
    /// from `@odata.nextLink` and `nextLink`).
    pub next_link: Option<String>,
}

/// One item of a batch: an operation, or an atomic group of operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<T> {
    /// A single operation.
    Operation(T),
    /// Operations that succeed or fail together (an OData changeset or atomicity group).
    Group(AtomicGroup<T>),
}

impl<T> Item<T> {
    /// The number of operations in this item.
    pub fn len(&self) -> usize {
        match self {
            Item::Operation(_) => 1,
            Item::Group(group) => group.operations.len(),
        }
    }

    /// The operations of this item: the one operation, or the group's members.
    pub fn operations(&self) -> &[T] {
        match self {
            Item::Operation(op) => std::slice::from_ref(op),
            Item::Group(group) => &group.operations,
        }
    }

    /// Whether this is a group without operations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Operations that succeed or fail together.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtomicGroup<T> {
    /// The group's name (OData JSON `atomicityGroup`); multipart changesets have none.
    pub id: Option<String>,
    /// The members in wire order.
    pub operations: Vec<T>,
    /// Headers of the envelope around the group (the changeset part's MIME headers), in wire
    /// order. Writers set `Content-Type` themselves.
    pub part_headers: Headers,
    /// Members of the group's JSON object that the model does not name (Salesforce Composite
    /// Graph `isSuccessful`, members a lenient reader kept), in wire order.
    pub extra: Extra,
}

impl<T> AtomicGroup<T> {
    /// A group of these operations.
    pub fn new(operations: Vec<T>) -> AtomicGroup<T> {
        AtomicGroup {
            id: None,
            operations,
            part_headers: Headers::new(),
            extra: Extra::new(),
        }
    }

    /// This group with a name.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> AtomicGroup<T> {
        self.id = Some(id.into());
        self
    }
}

/// One request of a batch.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubRequest {
    /// The correlation id: the Content-ID (the part's, else the embedded message's), or the
    /// format's `id` / `referenceId` / `name`, exactly as written.
    pub id: Option<String>,
    /// The method, with its spelling kept for extension methods.
    pub method: Method,
    /// The request target exactly as written: an absolute URL, an absolute or relative path,
    /// or a `$n` reference.
    pub target: String,
    /// The headers of the embedded request, in wire order.
    pub headers: Headers,
    /// The body bytes; empty when there is none.
    pub body: Bytes,
    /// The ids this request declares it depends on (OData JSON `dependsOn`).
    pub depends_on: Vec<String>,
    /// Headers of the envelope around this request (the MIME part headers), in wire order.
    pub part_headers: Headers,
    /// Members of the request's JSON object that the model does not name (OData `if` and
    /// instance annotations, Asana `options`, Meta `omit_response_on_success`, members a
    /// lenient reader kept), in wire order.
    pub extra: Extra,
}

impl SubRequest {
    /// A request with no id, headers or body.
    pub fn new(method: Method, target: impl Into<String>) -> SubRequest {
        SubRequest {
            id: None,
            method,
            target: target.into(),
            headers: Headers::new(),
            body: Bytes::new(),
            depends_on: Vec::new(),
            part_headers: Headers::new(),
            extra: Extra::new(),
        }
    }

    /// This request with a correlation id.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> SubRequest {
        self.id = Some(id.into());
        self
    }

    /// This request with one more header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> SubRequest {
        self.headers.append(name, value);
        self
    }

    /// This request with a body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> SubRequest {
        self.body = body.into();
        self
    }

    /// This request with one more declared dependency.
    #[must_use]
    pub fn with_dependency(mut self, id: impl Into<String>) -> SubRequest {
        self.depends_on.push(id.into());
        self
    }

    /// This request with one more member the model does not name; `json` is its raw JSON
    /// text.
    #[must_use]
    pub fn with_extra(mut self, name: impl Into<String>, json: impl Into<Bytes>) -> SubRequest {
        self.extra.push(name, json);
        self
    }
}

/// One response of a batch.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubResponse {
    /// The correlation id, as for [`SubRequest::id`].
    pub id: Option<String>,
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase as written, when the status line had one: its bytes, which are
    /// UTF-8 in all but rare cases (decoders report those).
    pub reason: Option<Bytes>,
    /// The headers of the embedded response, in wire order.
    pub headers: Headers,
    /// The body bytes; empty when there is none.
    pub body: Bytes,
    /// Headers of the envelope around this response (the MIME part headers), in wire order.
    pub part_headers: Headers,
    /// Members of the response's JSON object that the model does not name (instance
    /// annotations, members a lenient reader kept), in wire order.
    pub extra: Extra,
    /// No response was produced at this position: a `null` entry of a Meta Graph batch
    /// response (omitted on success, or not run) or of a Salesforce sObject Collections
    /// retrieve (no such record). The status is then 204 and says nothing; formats that cannot
    /// say "omitted" report it when writing.
    pub omitted: bool,
}

impl SubResponse {
    /// A response with no id, reason, headers or body.
    pub fn new(status: StatusCode) -> SubResponse {
        SubResponse {
            id: None,
            status,
            reason: None,
            headers: Headers::new(),
            body: Bytes::new(),
            part_headers: Headers::new(),
            extra: Extra::new(),
            omitted: false,
        }
    }

    /// A placeholder for a position that produced no response (see [`SubResponse::omitted`]).
    pub fn omitted() -> SubResponse {
        SubResponse {
            omitted: true,
            ..SubResponse::new(StatusCode::NO_CONTENT)
        }
    }

    /// This response with a correlation id.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> SubResponse {
        self.id = Some(id.into());
        self
    }

    /// This response with one more header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> SubResponse {
        self.headers.append(name, value);
        self
    }

    /// This response with a body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> SubResponse {
        self.body = body.into();
        self
    }

    /// The reason phrase as text, bytes that are not UTF-8 replaced.
    pub fn reason_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.reason.as_deref().map(String::from_utf8_lossy)
    }

    /// This response with a reason phrase.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<Bytes>) -> SubResponse {
        self.reason = Some(reason.into());
        self
    }

    /// This response with one more member the model does not name; `json` is its raw JSON
    /// text.
    #[must_use]
    pub fn with_extra(mut self, name: impl Into<String>, json: impl Into<Bytes>) -> SubResponse {
        self.extra.push(name, json);
        self
    }
}

/// A decoded batch of either kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchMessage {
    /// A batch of sub-requests.
    Request(BatchRequest),
    /// A batch of sub-responses.
    Response(BatchResponse),
}

/// A batch of either kind, borrowed: what writers take, so that a [`BatchRequest`] or a
/// [`BatchResponse`] is written without being moved into a [`BatchMessage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A batch of sub-requests.
    Request(&'a BatchRequest),
    /// A batch of sub-responses.
    Response(&'a BatchResponse),
}

impl MessageRef<'_> {
    /// Whether this holds requests or responses.
    pub fn kind(self) -> crate::MessageKind {
        match self {
            MessageRef::Request(_) => crate::MessageKind::Request,
            MessageRef::Response(_) => crate::MessageKind::Response,
        }
    }

    /// The position of every operation, in batch order.
    pub fn positions(self) -> Vec<crate::Position> {
        match self {
            MessageRef::Request(batch) => crate::Position::of_operations(batch).collect(),
            MessageRef::Response(batch) => crate::Position::of_operations(batch).collect(),
        }
    }
}

impl<'a> From<&'a BatchRequest> for MessageRef<'a> {
    fn from(batch: &'a BatchRequest) -> MessageRef<'a> {
        MessageRef::Request(batch)
    }
}

impl<'a> From<&'a BatchResponse> for MessageRef<'a> {
    fn from(batch: &'a BatchResponse) -> MessageRef<'a> {
        MessageRef::Response(batch)
    }
}

impl<'a> From<&'a BatchMessage> for MessageRef<'a> {
    fn from(message: &'a BatchMessage) -> MessageRef<'a> {
        message.as_ref()
    }
}

impl BatchMessage {
    /// The batch, borrowed.
    pub fn as_ref(&self) -> MessageRef<'_> {
        match self {
            BatchMessage::Request(batch) => MessageRef::Request(batch),
            BatchMessage::Response(batch) => MessageRef::Response(batch),
        }
    }

    /// Whether this holds requests or responses.
    pub fn kind(&self) -> crate::MessageKind {
        match self {
            BatchMessage::Request(_) => crate::MessageKind::Request,
            BatchMessage::Response(_) => crate::MessageKind::Response,
        }
    }

    /// The number of operations, the members of groups included.
    pub fn operation_count(&self) -> usize {
        match self {
            BatchMessage::Request(batch) => batch.operation_count(),
            BatchMessage::Response(batch) => batch.operation_count(),
        }
    }

    /// The batch of requests, if this is one.
    pub fn as_request(&self) -> Option<&BatchRequest> {
        match self {
            BatchMessage::Request(batch) => Some(batch),
            BatchMessage::Response(_) => None,
        }
    }

    /// The batch of responses, if this is one.
    pub fn as_response(&self) -> Option<&BatchResponse> {
        match self {
            BatchMessage::Response(batch) => Some(batch),
            BatchMessage::Request(_) => None,
        }
    }
}

impl From<BatchRequest> for BatchMessage {
    fn from(batch: BatchRequest) -> BatchMessage {
        BatchMessage::Request(batch)
    }
}

impl From<BatchResponse> for BatchMessage {
    fn from(batch: BatchResponse) -> BatchMessage {
        BatchMessage::Response(batch)
    }
}

/// Members of a JSON object that the model does not name, kept as raw JSON text in wire order,
/// so that reading and writing the same format loses nothing.
///
/// Each value is the member's JSON text exactly as read (a slice of the input), or as a caller
/// wrote it; writers emit it verbatim.
///
/// # Examples
///
/// ```
/// use batchwire_core::Extra;
///
/// let mut extra = Extra::new();
/// extra.push("if", r#""$1/$succeeded""#);
/// extra.push("@core.note", "[1, 2]");
/// assert_eq!(extra.get("if").map(|v| &v[..]), Some(&br#""$1/$succeeded""#[..]));
/// assert_eq!(extra.len(), 2);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Extra {
    members: Vec<(String, Bytes)>,
}

impl Extra {
    /// No members.
    pub fn new() -> Extra {
        Extra::default()
    }

    /// Adds a member at the end; `json` is its raw JSON text.
    pub fn push(&mut self, name: impl Into<String>, json: impl Into<Bytes>) {
        self.members.push((name.into(), json.into()));
    }

    /// The JSON text of the first member with this name (compared exactly, as JSON does).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.members.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Removes every member with this name; returns the JSON text of the first one.
    pub fn remove(&mut self, name: &str) -> Option<Bytes> {
        let first = self.get(name).cloned();
        self.members.retain(|(n, _)| n != name);
        first
    }

    /// The members in wire order, as (name, JSON text).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.members.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.members
                    .iter()
                    .map(|(n, v)| (n, String::from_utf8_lossy(v))),
            )
            .finish()
    }
}
