//! What writers report: the error that stops a write, and what a written batch did not carry
//! as it was; and the [`Position`] scheme every message and report uses.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::{Batch, Item};

/// Where an operation or a group sits in a batch: its item and, inside an atomic group, its
/// member.
///
/// The fields are indexes from 0, as `Batch::items` and `AtomicGroup::operations` count;
/// `Display` and [`FromStr`](std::str::FromStr) use the one scheme of every message, report
/// and command of batchwire: 1-based and hierarchical, `3` for the third item, `3.2` for the
/// second member of the group at item 3 (see `docs/positions.md`).
///
/// # Examples
///
/// ```
/// use batchwire_core::Position;
///
/// assert_eq!(Position::member(2, 1).to_string(), "3.2");
/// assert_eq!(Position::item(0).to_string(), "1");
/// assert_eq!("3.2".parse(), Ok(Position::member(2, 1)));
/// assert!("0".parse::<Position>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// The index of the item in the batch, from 0.
    pub item: usize,
    /// The index of the operation in its atomic group, from 0; `None` for an item that is an
    /// operation, or for the group itself.
    pub member: Option<usize>,
}

impl Position {
    /// The item at index `item`.
    pub const fn item(item: usize) -> Position {
        Position { item, member: None }
    }

    /// Member `member` of the atomic group at index `item`.
    pub const fn member(item: usize, member: usize) -> Position {
        Position {
            item,
            member: Some(member),
        }
    }

    /// The position of every operation of `batch`, in batch order.
    pub fn of_operations<T>(batch: &Batch<T>) -> impl Iterator<Item = Position> + '_ {
        batch.items.iter().enumerate().flat_map(|(i, item)| {
            let members = match item {
                Item::Operation(_) => None,
                Item::Group(group) => Some(group.operations.len()),
            };
            let single = members.is_none().then_some(Position::item(i));
            single
                .into_iter()
                .chain((0..members.unwrap_or(0)).map(move |j| Position::member(i, j)))
        })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counted from 1, in u128 so that no index overflows.
        let one_based = |index: usize| u128::try_from(index).map_or(0, |i| i + 1);
        write!(f, "{}", one_based(self.item))?;
        if let Some(member) = self.member {
            write!(f, ".{}", one_based(member))?;
        }
        Ok(())
    }
}

/// A text that is not a [`Position`]: positions are `N` or `N.M`, counted from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPosition(pub String);

impl fmt::Display for InvalidPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected a position such as 3 or 3.2 (counted from 1), found {:?}",
            self.0
        )
    }
}

impl std::error::Error for InvalidPosition {}

impl FromStr for Position {
    type Err = InvalidPosition;

    fn from_str(s: &str) -> Result<Position, InvalidPosition> {
        let invalid = || InvalidPosition(s.to_owned());
        let one_based = |part: &str| {
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse::<usize>().ok())
                .flatten()
                .and_then(|n| n.checked_sub(1))
                .ok_or_else(invalid)
        };
        match s.split_once('.') {
            None => Ok(Position::item(one_based(s)?)),
            Some((item, member)) => Ok(Position::member(one_based(item)?, one_based(member)?)),
        }
    }
}

/// What kind of fault a [`WriteError`] reports.
///
/// The variants name the fault; the error's message says what was expected and what was
/// found.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteErrorKind {
    /// A body or a line holds a delimiter line of a boundary the caller chose, or no fresh
    /// boundary could be found that none holds.
    BoundaryInBody,
    /// The buffer given to write into has less room than the encoded batch needs.
    BufferTooSmall,
    /// A `$n` reference that names no earlier Content-ID in its scope.
    DanglingReference,
    /// The same Content-ID twice in one atomic group.
    DuplicateContentId,
    /// A batch or an atomic group without operations; RFC 2046 wants at least one body part.
    /// (The multipart writer writes them, and reports
    /// [`LossKind::EmptyMultipart`].)
    EmptyMultipart,
    /// A `$n` reference to the operation itself or to a later one.
    ForwardReference,
    /// A body the format can only carry as JSON or text that is neither (bytes that are not
    /// UTF-8 where a string is needed).
    InvalidBody,
    /// A boundary the caller chose that RFC 2046 does not allow, or a changeset boundary that
    /// clashes with the batch boundary.
    InvalidBoundary,
    /// A header name that is not a token, or a value with a line break, a control character
    /// or surrounding whitespace.
    InvalidHeader,
    /// A reason phrase with a line break or a control character.
    InvalidReason,
    /// A request target that is empty or holds control characters (spaces and characters
    /// beyond ASCII are percent-encoded, and reported, by the multipart writer).
    InvalidTarget,
    /// A header name or value, an id or a target that is not UTF-8 text where the format
    /// needs text, or a method the format does not allow (`MERGE` in OData JSON, `HEAD` in
    /// Salesforce Composite).
    InvalidValue,
    /// A query (GET, HEAD) in an atomic group, or, in OData V2/V3, a request that changes
    /// data outside one: a strict reader would refuse the batch.
    MisplacedOperation,
    /// An operation without the id the format requires, with id invention turned off.
    MissingId,
    /// An atomic group in a format or dialect that has none.
    NestingUnsupported,
    /// More operations than the format allows.
    TooManyOperations,
    /// Requests for a format that only has responses (sObject Tree and Collections), or an
    /// extra member whose value is not JSON.
    Unsupported,
}

/// A batch that cannot be written as asked, with where the fault is.
///
/// The message says what was expected and what was found; `Display` adds the
/// [`Position`] of the operation or group at fault, when there is one, as `at item 3.2`.
///
/// # Examples
///
/// ```
/// use batchwire_core::{Position, WriteError, WriteErrorKind};
///
/// let err = WriteError::new(
///     WriteErrorKind::DanglingReference,
///     Some(Position::member(2, 1)),
///     "expected a reference to an earlier Content-ID of the changeset, found \"$5\"",
/// );
/// assert_eq!(
///     err.to_string(),
///     "expected a reference to an earlier Content-ID of the changeset, found \"$5\" at item 3.2",
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WriteError {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: WriteErrorKind,
    position: Option<Position>,
    message: String,
}

impl WriteError {
    /// An error of `kind` at `position` (`None` when it concerns the whole batch), with a
    /// message that says what was expected and what was found.
    #[cold]
    pub fn new(
        kind: WriteErrorKind,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> WriteError {
        WriteError {
            inner: Box::new(Inner {
                kind,
                position,
                message: message.into(),
            }),
        }
    }

    /// What kind of fault this is.
    pub fn kind(&self) -> WriteErrorKind {
        self.inner.kind
    }

    /// The operation or group at fault, if the fault is not the whole batch's.
    pub fn position(&self) -> Option<Position> {
        self.inner.position
    }

    /// The message without the position.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        if let Some(position) = self.inner.position {
            write!(f, " at item {position}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteError")
            .field("kind", &self.inner.kind)
            .field("position", &self.inner.position)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl std::error::Error for WriteError {}

/// A written batch, in any format: the body, the headers of the envelope that carries it, and
/// what the format could not carry as it was.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// The headers the batch request or response must be sent with: `Content-Type` always
    /// (with the boundary, for multipart), and the format's own (`OData-Version`, a `Prefer`
    /// that asks for continue-on-error...).
    pub headers: http::HeaderMap,
    /// The body.
    pub body: bytes::Bytes,
    /// What the format could not carry as it was.
    pub report: WriteReport,
}

impl Written {
    /// A batch written as `body` with these envelope headers and report.
    pub fn new(headers: http::HeaderMap, body: bytes::Bytes, report: WriteReport) -> Written {
        Written {
            headers,
            body,
            report,
        }
    }

    /// The envelope's `Content-Type`, or `""` if a writer set none.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// What a writer did not carry as it was in the model, because the target format or dialect
/// cannot: one [`Loss`] each, in batch order, the batch's own last.
///
/// A writer never drops or changes anything silently: what it could not write as it was is
/// listed here, so that a converter can print it or refuse.
///
/// # Examples
///
/// ```
/// use batchwire_core::{Loss, LossKind, Position, WriteReport};
///
/// let mut report = WriteReport::new();
/// assert!(report.is_empty());
/// report.push(
///     Loss::new(Some(Position::item(1)), LossKind::Header { name: "x-ms-version".into() })
///         .because("Azure uses the batch request's x-ms-version for every sub-request"),
/// );
/// assert_eq!(
///     report.losses[0].to_string(),
///     "item 2: header \"x-ms-version\" not written: Azure uses the batch request's x-ms-version for every sub-request",
/// );
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Everything not carried as it was, in batch order.
    pub losses: Vec<Loss>,
}

impl WriteReport {
    /// A report of nothing lost.
    pub fn new() -> WriteReport {
        WriteReport::default()
    }

    /// Whether everything was carried as it was.
    pub fn is_empty(&self) -> bool {
        self.losses.is_empty()
    }

    /// Records one more loss.
    pub fn push(&mut self, loss: Loss) {
        self.losses.push(loss);
    }

    /// Puts the losses in batch order, the batch's own last; losses at one place keep the
    /// order they were met in. Writers call it once they are done.
    pub fn sort(&mut self) {
        self.losses
            .sort_by_key(|loss| (loss.position.is_none(), loss.position));
    }

    /// The losses, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Loss> {
        self.losses.iter()
    }
}

impl<'a> IntoIterator for &'a WriteReport {
    type Item = &'a Loss;
    type IntoIter = std::slice::Iter<'a, Loss>;

    fn into_iter(self) -> Self::IntoIter {
        self.losses.iter()
    }
}

/// One thing a writer did not carry as it was: where, what, and why.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loss {
    /// The operation or group it belonged to; `None` for something of the whole batch.
    pub position: Option<Position>,
    /// What was not carried, or what was written instead.
    pub kind: LossKind,
    /// Why the target could not carry it, where the kind alone does not say.
    pub reason: Option<Cow<'static, str>>,
}

impl Loss {
    /// A loss of `kind` at `position`.
    pub fn new(position: Option<Position>, kind: LossKind) -> Loss {
        Loss {
            position,
            kind,
            reason: None,
        }
    }

    /// This loss with the reason the target could not carry it.
    #[must_use]
    pub fn because(mut self, reason: impl Into<Cow<'static, str>>) -> Loss {
        self.reason = Some(reason.into());
        self
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "item {position}: {}", self.kind)?,
            None => write!(f, "batch: {}", self.kind)?,
        }
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

/// What a [`Loss`] is: what was not written as it was in the model.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// An atomic group the format has no construct for; its members were written as plain
    /// operations.
    Group,
    /// A group name the format has no place for.
    GroupId {
        /// The name.
        id: String,
    },
    /// An operation outside any group where the format wants every operation in one (a
    /// Composite Graph); it was given a group of its own named `id`.
    GroupInvented {
        /// The invented group name.
        id: String,
    },
    /// A correlation id the format has no place for.
    Id {
        /// The id.
        id: String,
    },
    /// An operation without the id the format requires was given one.
    IdInvented {
        /// The invented id.
        id: String,
    },
    /// A declared dependency the format cannot say.
    Dependency {
        /// The id it depends on.
        on: String,
    },
    /// A dependency written that the model left implicit: a `$<id>` reference at the start of
    /// the URL without `dependsOn` (as a multipart changeset writes it), given the `dependsOn`
    /// that OData JSON requires for it.
    DependencyAdded {
        /// The request id or group name it depends on.
        on: String,
    },
    /// A header the format has no place for (or forbids).
    Header {
        /// The header name.
        name: String,
    },
    /// Repeated headers joined into one comma-separated value, since the format holds one
    /// value per name.
    HeadersCombined {
        /// The header name.
        name: String,
    },
    /// A `Content-Type: application/json` header added, since the format wants one on a
    /// request with a body (Microsoft Graph).
    ContentTypeAdded,
    /// Envelope headers (multipart part headers) the format has no place for.
    PartHeaders,
    /// One envelope header that could not be written as it was.
    PartHeader {
        /// The header name.
        name: String,
    },
    /// A reason phrase the format has no place for.
    Reason,
    /// A body that had to be JSON but was other text, written as a JSON string instead.
    BodyAsString,
    /// A JSON body with white space before or after its value (a line break at its end),
    /// written without it: a JSON document holds the value, not the space around it.
    BodyTrimmed,
    /// A position without a response that the format cannot mark as such; written as a
    /// `204` without a body.
    Omitted,
    /// A batch option the format has no place for, by its name in the model
    /// (`continue_on_error`, `all_or_none`...).
    Option {
        /// The option's name in the model.
        name: &'static str,
    },
    /// An extra member the format itself defines with another meaning, or has no place for.
    Member {
        /// The member name.
        name: String,
    },
    /// A status the format cannot say as it is (a result that is only a success or a
    /// failure, as in Salesforce sObject Collections and Tree): the status its reader reads
    /// back instead.
    Status {
        /// The status in the model.
        status: u16,
        /// The status the written result reads back as.
        written: u16,
    },
    /// A body that is not a result of the format (a record, an error array, no body at all),
    /// written inside, or as, a result object of the format that says the outcome.
    BodyAsResult,
    /// A request target with spaces or characters beyond ASCII, which a request line cannot
    /// hold, written percent-encoded (RFC 3986 2.1): each such byte of its UTF-8 as `%XX`.
    TargetEncoded {
        /// The target as the model holds it.
        from: String,
        /// The target as written.
        to: String,
    },
    /// A batch (the loss has no position) or an atomic group without operations, written as
    /// a multipart with no body part, as servers answer an empty changeset; RFC 2046 wants
    /// one, so a strict reader refuses it, and a lenient one reads it as empty.
    EmptyMultipart,
    /// A `$n` reference that names no earlier request of its scope, written as it is in
    /// lenient writing; a strict reader refuses it.
    UnresolvedReference {
        /// The reference, with its `$`.
        reference: String,
    },
    /// A Content-ID given twice in one changeset, written as it is in lenient writing; OData
    /// V4 wants them unique in their changeset.
    DuplicateContentId {
        /// The id.
        id: String,
    },
    /// A query (GET, HEAD) written in an atomic group in lenient writing; a strict reader
    /// wants queries outside changesets.
    QueryInGroup,
    /// A request that changes data written outside atomic groups in lenient writing; OData
    /// V2/V3 put changes in changesets.
    ChangeOutsideGroup,
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LossKind::Group => f.write_str("atomic group written as plain operations"),
            LossKind::GroupId { id } => write!(f, "group name {id:?} not written"),
            LossKind::GroupInvented { id } => {
                write!(f, "put in a group of its own named {id:?}")
            }
            LossKind::Id { id } => write!(f, "id {id:?} not written"),
            LossKind::IdInvented { id } => write!(f, "given the id {id:?}"),
            LossKind::Dependency { on } => write!(f, "dependency on {on:?} not written"),
            LossKind::DependencyAdded { on } => {
                write!(f, "dependsOn {on:?} added for its URL's reference")
            }
            LossKind::Header { name } => write!(f, "header {name:?} not written"),
            LossKind::HeadersCombined { name } => {
                write!(f, "repeated header {name:?} joined into one value")
            }
            LossKind::ContentTypeAdded => f.write_str("Content-Type: application/json added"),
            LossKind::PartHeaders => f.write_str("envelope headers not written"),
            LossKind::PartHeader { name } => write!(f, "part header {name:?} not written"),
            LossKind::Reason => f.write_str("reason phrase not written"),
            LossKind::BodyAsString => f.write_str("body that is not JSON written as a JSON string"),
            LossKind::BodyTrimmed => f.write_str("white space around a JSON body not written"),
            LossKind::Omitted => f.write_str("omitted response written as 204 without a body"),
            LossKind::Option { name } => write!(f, "option {name} not written"),
            LossKind::Member { name } => write!(f, "member {name:?} not written"),
            LossKind::Status { status, written } => {
                write!(f, "status {status} written as {written}")
            }
            LossKind::BodyAsResult => f.write_str("body written as a result object"),
            LossKind::TargetEncoded { from, to } => {
                write!(f, "target {from:?} written percent-encoded as {to:?}")
            }
            LossKind::EmptyMultipart => f.write_str("written as a multipart with no body part"),
            LossKind::UnresolvedReference { reference } => {
                write!(f, "reference {reference:?} written unresolved")
            }
            LossKind::DuplicateContentId { id } => {
                write!(f, "Content-ID {id:?} written again in its changeset")
            }
            LossKind::QueryInGroup => f.write_str("query written in an atomic group"),
            LossKind::ChangeOutsideGroup => {
                f.write_str("request that changes data written outside atomic groups")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_position_from_one() {
        let err = WriteError::new(WriteErrorKind::EmptyMultipart, None, "expected an item");
        assert_eq!(err.to_string(), "expected an item");
        assert_eq!(err.position(), None);
        let err = WriteError::new(
            WriteErrorKind::InvalidTarget,
            Some(Position::item(4)),
            "expected a target",
        );
        assert_eq!(err.to_string(), "expected a target at item 5");
        let err = WriteError::new(
            WriteErrorKind::InvalidTarget,
            Some(Position::member(2, 0)),
            "expected a target",
        );
        assert_eq!(err.to_string(), "expected a target at item 3.1");
        assert_eq!(err.kind(), WriteErrorKind::InvalidTarget);
        assert_eq!(err.message(), "expected a target");
    }

    #[test]
    fn loss_without_position() {
        let loss = Loss::new(
            None,
            LossKind::Option {
                name: "all_or_none",
            },
        )
        .because("multipart batches cannot say it");
        assert_eq!(
            loss.to_string(),
            "batch: option all_or_none not written: multipart batches cannot say it"
        );
    }

    #[test]
    fn positions_of_operations_follow_items_and_members() {
        use crate::{AtomicGroup, BatchRequest, SubRequest};
        use http::Method;

        let mut batch = BatchRequest::new();
        batch.push(SubRequest::new(Method::GET, "a"));
        batch.push_group(AtomicGroup::new(vec![
            SubRequest::new(Method::POST, "b"),
            SubRequest::new(Method::POST, "c"),
        ]));
        batch.push(SubRequest::new(Method::GET, "d"));
        let shown: Vec<String> = Position::of_operations(&batch)
            .map(|p| p.to_string())
            .collect();
        assert_eq!(shown, ["1", "2.1", "2.2", "3"]);
        for text in ["1", "2.1", "12.30"] {
            assert_eq!(text.parse::<Position>().unwrap().to_string(), text);
        }
        for bad in ["", "0", "1.0", "a", "1.", ".1", "1.2.3", "+1", "-1"] {
            assert!(bad.parse::<Position>().is_err(), "{bad:?}");
        }
    }
}
