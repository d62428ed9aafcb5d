//! What writers report: the error that stops a write, and what a written batch left out.

use std::fmt;

/// Where an operation sits in a batch: its item and, inside an atomic group, its member.
///
/// Both indexes count from 0, as `Batch::items` and `AtomicGroup::operations` do; `Display`
/// counts from 1, as people do.
///
/// # Examples
///
/// ```
/// use batchwire_core::Position;
///
/// assert_eq!(Position::member(2, 1).to_string(), "item 3, member 2");
/// assert_eq!(Position::item(0).to_string(), "item 1");
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
    /// The item at `item`.
    pub const fn item(item: usize) -> Position {
        Position { item, member: None }
    }

    /// Member `member` of the atomic group at `item`.
    pub const fn member(item: usize, member: usize) -> Position {
        Position {
            item,
            member: Some(member),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item {}", self.item + 1)?;
        if let Some(member) = self.member {
            write!(f, ", member {}", member + 1)?;
        }
        Ok(())
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
    EmptyMultipart,
    /// A `$n` reference to the operation itself or to a later one.
    ForwardReference,
    /// A boundary the caller chose that RFC 2046 does not allow, or a changeset boundary that
    /// clashes with the batch boundary.
    InvalidBoundary,
    /// A header name that is not a token, or a value with a line break, a control character
    /// or surrounding whitespace.
    InvalidHeader,
    /// A reason phrase with a line break or a control character.
    InvalidReason,
    /// A request target that is empty or holds whitespace or control characters.
    InvalidTarget,
    /// A query (GET, HEAD) in an atomic group, or, in OData V2/V3, a request that changes
    /// data outside one: a strict reader would refuse the batch.
    MisplacedOperation,
    /// An atomic group in a format or dialect that has none.
    NestingUnsupported,
}

/// A batch that cannot be written as asked, with where the fault is.
///
/// The message says what was expected and what was found; `Display` adds the
/// [`Position`] of the operation or group at fault, when there is one.
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
///     "expected a reference to an earlier Content-ID of the changeset, found \"$5\" at item 3, member 2",
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
            write!(f, " at {position}")?;
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

/// What a writer left out because the target format or dialect cannot carry it.
///
/// A writer never drops anything silently: each loss is listed here, in batch order.
///
/// # Examples
///
/// ```
/// use batchwire_core::{Dropped, Position, WriteReport};
///
/// let mut report = WriteReport::new();
/// assert!(report.is_empty());
/// report.push(Dropped::new(Some(Position::item(1)), "header \"x-ms-version\"", "Azure uses the batch request's x-ms-version for every sub-request"));
/// assert_eq!(
///     report.dropped[0].to_string(),
///     "header \"x-ms-version\" dropped at item 2: Azure uses the batch request's x-ms-version for every sub-request",
/// );
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Everything left out, in batch order.
    pub dropped: Vec<Dropped>,
}

impl WriteReport {
    /// A report of nothing left out.
    pub fn new() -> WriteReport {
        WriteReport::default()
    }

    /// Whether nothing was left out.
    pub fn is_empty(&self) -> bool {
        self.dropped.is_empty()
    }

    /// Records one more loss.
    pub fn push(&mut self, dropped: Dropped) {
        self.dropped.push(dropped);
    }
}

/// One thing a writer left out, where, and why.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The operation or group it belonged to; `None` for something of the whole batch.
    pub position: Option<Position>,
    /// What was left out, such as `header "x-ms-version"`.
    pub what: String,
    /// Why the target could not carry it.
    pub reason: String,
}

impl Dropped {
    /// A loss of `what` at `position`, for `reason`.
    pub fn new(
        position: Option<Position>,
        what: impl Into<String>,
        reason: impl Into<String>,
    ) -> Dropped {
        Dropped {
            position,
            what: what.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} dropped", self.what)?;
        if let Some(position) = self.position {
            write!(f, " at {position}")?;
        }
        write!(f, ": {}", self.reason)
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
        assert_eq!(err.kind(), WriteErrorKind::InvalidTarget);
        assert_eq!(err.message(), "expected a target");
    }

    #[test]
    fn dropped_without_position() {
        let d = Dropped::new(None, "option allOrNone", "multipart batches cannot say it");
        assert_eq!(
            d.to_string(),
            "option allOrNone dropped: multipart batches cannot say it"
        );
    }
}
