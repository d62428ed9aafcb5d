//! How to read and write a batch, and what reading gives, the same for every format.

use crate::{BatchMessage, Dialect, Format, Limits, MessageKind, Tolerance};

/// How to read a batch, in any format: strict or lenient, which multipart dialect, which
/// limits, and whether the caller already knows it holds requests or responses.
///
/// # Background
///
/// Peers disagree on a dozen tolerances (bare LF, a missing close delimiter, a missing part
/// Content-Type...). batchwire has one rule for each, in the table of `docs/reading-rules.md`:
/// lenient mode (the default) reads what real servers send and reports every tolerance it
/// applied, with its byte offset; strict mode follows RFC 2046, RFC 9110/9112 and the OData
/// batch rules and turns each of them into an error.
///
/// # Examples
///
/// ```
/// use batchwire_core::{DecodeOptions, Dialect};
///
/// let options = DecodeOptions::strict().with_dialect(Dialect::OdataV4);
/// assert!(options.strict);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Follow the RFCs to the letter instead of reporting tolerances.
    pub strict: bool,
    /// The rules of one flavour of multipart batch on top of the common ones (the JSON
    /// formats have their rules in their format).
    pub dialect: Dialect,
    /// Bounds against hostile input.
    pub limits: Limits,
    /// Requests or responses; `None` takes what the payload holds (for multipart, from the
    /// first embedded start line).
    pub kind: Option<MessageKind>,
}

impl DecodeOptions {
    /// Lenient reading with the generic dialect and default limits (the default).
    pub fn lenient() -> DecodeOptions {
        DecodeOptions::default()
    }

    /// Strict reading with the generic dialect and default limits.
    pub fn strict() -> DecodeOptions {
        DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        }
    }

    /// These options with another dialect.
    #[must_use]
    pub fn with_dialect(mut self, dialect: Dialect) -> DecodeOptions {
        self.dialect = dialect;
        self
    }

    /// These options with other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> DecodeOptions {
        self.limits = limits;
        self
    }

    /// These options with the message kind forced.
    #[must_use]
    pub fn with_kind(mut self, kind: MessageKind) -> DecodeOptions {
        self.kind = Some(kind);
        self
    }
}

/// A decoded batch, in any format, with what the reader tolerated.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The batch of requests or responses.
    pub message: BatchMessage,
    /// The format it was read as (for multipart, with the dialect whose rules it was read by).
    pub format: Format,
    /// The batch boundary, for multipart.
    pub boundary: Option<String>,
    /// What the reader tolerated, in input order. In strict mode only what strict mode also
    /// reports (for multipart: an embedded `Content-Length` that does not match the body,
    /// and a reason phrase that is not UTF-8).
    pub tolerated: Vec<Tolerance>,
}

impl Decoded {
    /// A decoded batch.
    pub fn new(
        message: BatchMessage,
        format: Format,
        boundary: Option<String>,
        tolerated: Vec<Tolerance>,
    ) -> Decoded {
        Decoded {
            message,
            format,
            boundary,
            tolerated,
        }
    }
}

/// How to write a batch, in any format: for multipart, the dialect and the boundaries if the
/// caller wants to choose them; for the JSON formats that require ids, whether to invent the
/// missing ones.
///
/// By default every envelope gets fresh random boundaries, `batch_<uuid>` for the batch and
/// `changeset_<uuid>` for each changeset. A boundary the caller chooses is used for every
/// envelope written with these options (and the changeset one for every changeset in it);
/// it must be one RFC 2046 allows, and no body may hold a line that starts with its
/// delimiter.
///
/// # Examples
///
/// ```
/// use batchwire_core::{Dialect, WriteOptions};
///
/// let options = WriteOptions::new(Dialect::OdataV4).with_boundary("batch_1");
/// assert_eq!(options.boundary.as_deref(), Some("batch_1"));
/// assert_eq!(options.changeset_boundary, None);
/// assert!(options.invent_ids);
/// assert!(!options.lenient);
/// assert!(WriteOptions::lenient().with_dialect(Dialect::OdataV4).lenient);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// The flavour of batch to write; see [`Dialect`] for what each adds.
    pub dialect: Dialect,
    /// The batch boundary; `None` for a fresh random one per envelope.
    pub boundary: Option<String>,
    /// The boundary of every changeset; `None` for a fresh random one per changeset.
    pub changeset_boundary: Option<String>,
    /// Give an operation without an id one (`"1"`, `"2"`... skipping ids in use) where a
    /// JSON format requires ids, and report it as [`LossKind::IdInvented`](crate::LossKind).
    /// When off, such an operation is a [`WriteErrorKind::MissingId`](crate::WriteErrorKind)
    /// error. Default on. (Multipart dialects number their Content-IDs themselves.)
    pub invent_ids: bool,
    /// Write what a lenient reader reads instead of refusing what breaks a rule of the
    /// format, and list each broken rule in the report. Default off: the writer then writes
    /// only what the format's strict reader accepts.
    ///
    /// In multipart, lenient writing writes a `$n` reference that names no earlier request
    /// of its scope ([`LossKind::UnresolvedReference`](crate::LossKind)), a Content-ID twice
    /// in an OData V4 changeset ([`LossKind::DuplicateContentId`](crate::LossKind)), a
    /// query in a changeset ([`LossKind::QueryInGroup`](crate::LossKind)) and, in OData
    /// V2/V3, a request that changes data outside changesets
    /// ([`LossKind::ChangeOutsideGroup`](crate::LossKind)). What would make the output
    /// unreadable is refused all the same: a header name that is not a token, a header
    /// value, id or reason phrase with a line break or a control character, a value with
    /// surrounding whitespace, an empty target or one with control characters, an invalid
    /// boundary or one that a line of the content starts with, and a group in a dialect
    /// without changesets.
    pub lenient: bool,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            dialect: Dialect::default(),
            boundary: None,
            changeset_boundary: None,
            invent_ids: true,
            lenient: false,
        }
    }
}

impl WriteOptions {
    /// Options for a dialect, with fresh random boundaries.
    pub fn new(dialect: Dialect) -> WriteOptions {
        WriteOptions {
            dialect,
            ..WriteOptions::default()
        }
    }

    /// Lenient writing with the generic dialect and fresh random boundaries: see
    /// [`WriteOptions::lenient`](#structfield.lenient).
    pub fn lenient() -> WriteOptions {
        WriteOptions {
            lenient: true,
            ..WriteOptions::default()
        }
    }

    /// These options with lenient writing on or off.
    #[must_use]
    pub fn with_lenient(mut self, on: bool) -> WriteOptions {
        self.lenient = on;
        self
    }

    /// These options with another dialect.
    #[must_use]
    pub fn with_dialect(mut self, dialect: Dialect) -> WriteOptions {
        self.dialect = dialect;
        self
    }

    /// These options with a batch boundary chosen by the caller.
    #[must_use]
    pub fn with_boundary(mut self, boundary: impl Into<String>) -> WriteOptions {
        self.boundary = Some(boundary.into());
        self
    }

    /// These options with id invention on or off.
    #[must_use]
    pub fn with_invent_ids(mut self, on: bool) -> WriteOptions {
        self.invent_ids = on;
        self
    }

    /// These options with a changeset boundary chosen by the caller.
    #[must_use]
    pub fn with_changeset_boundary(mut self, boundary: impl Into<String>) -> WriteOptions {
        self.changeset_boundary = Some(boundary.into());
        self
    }
}
