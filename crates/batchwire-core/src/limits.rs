//! Bounds on what a decoder accepts, against hostile input.

/// Bounds on what a decoder accepts.
///
/// Every decoder checks these before it allocates or slices, and going over one is a
/// [`ParseErrorKind::LimitExceeded`](crate::ParseErrorKind::LimitExceeded) error at the
/// offending byte, never a panic or a silent truncation. The defaults are generous for real
/// batches and small enough that a hostile one cannot exhaust memory; `docs/LIMITS.md`
/// explains each.
///
/// # Examples
///
/// ```
/// use batchwire_core::Limits;
///
/// let limits = Limits::default().with_max_parts(100);
/// assert_eq!(limits.max_parts, 100);
/// assert_eq!(limits.max_depth, 1);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Operations in one batch, changeset members included. Default 10,000 (Google allows
    /// 1,000 calls; OData servers commonly 100 to 1,000).
    pub max_parts: usize,
    /// Levels of multipart below the batch. Default 1: a changeset holds operations, never
    /// another changeset (OData forbids it). 0 forbids changesets altogether, as Google and
    /// Azure batches have none. The model holds one level, so values above 1 act as 1.
    pub max_depth: usize,
    /// Header fields in one header section. Default 256.
    pub max_headers: usize,
    /// Bytes in one header section, line breaks included. Default 64 KiB.
    pub max_header_bytes: usize,
    /// Bytes in one body. Default 1 GiB.
    pub max_body_bytes: usize,
    /// Characters in a boundary. Default 256: RFC 2046 allows 70, and longer ones are read
    /// leniently (with a report) up to this bound.
    pub max_boundary_len: usize,
}

impl Limits {
    /// The default limits.
    pub const DEFAULT: Limits = Limits {
        max_parts: 10_000,
        max_depth: 1,
        max_headers: 256,
        max_header_bytes: 64 * 1024,
        max_body_bytes: 1 << 30,
        max_boundary_len: 256,
    };

    /// No bound at all but the model's one level of nesting.
    ///
    /// # Warning
    ///
    /// Only for input that is already trusted: a hostile batch can then make the decoder
    /// allocate without bound.
    pub const fn unbounded() -> Limits {
        Limits {
            max_parts: usize::MAX,
            max_depth: 1,
            max_headers: usize::MAX,
            max_header_bytes: usize::MAX,
            max_body_bytes: usize::MAX,
            max_boundary_len: usize::MAX,
        }
    }

    /// These limits with another bound on parts.
    #[must_use]
    pub const fn with_max_parts(mut self, n: usize) -> Limits {
        self.max_parts = n;
        self
    }

    /// These limits with another bound on nesting.
    #[must_use]
    pub const fn with_max_depth(mut self, n: usize) -> Limits {
        self.max_depth = n;
        self
    }

    /// These limits with another bound on header fields per section.
    #[must_use]
    pub const fn with_max_headers(mut self, n: usize) -> Limits {
        self.max_headers = n;
        self
    }

    /// These limits with another bound on header section bytes.
    #[must_use]
    pub const fn with_max_header_bytes(mut self, n: usize) -> Limits {
        self.max_header_bytes = n;
        self
    }

    /// These limits with another bound on body bytes.
    #[must_use]
    pub const fn with_max_body_bytes(mut self, n: usize) -> Limits {
        self.max_body_bytes = n;
        self
    }

    /// These limits with another bound on boundary length.
    #[must_use]
    pub const fn with_max_boundary_len(mut self, n: usize) -> Limits {
        self.max_boundary_len = n;
        self
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
