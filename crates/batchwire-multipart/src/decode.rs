//! Decoding options and the whole-buffer decoder into borrowed views.

use batchwire_core::{Limits, MessageKind, ParseError, ParseErrorKind as K};

use crate::Dialect;
use crate::content_type;
use crate::machine::Machine;
use crate::raw::{Source, items_ref};
use crate::view::BatchRef;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to read a batch: strict or lenient, which dialect, which limits, and whether the
/// caller already knows it holds requests or responses.
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
/// use batchwire_multipart::{DecodeOptions, Dialect};
///
/// let options = DecodeOptions::strict().with_dialect(Dialect::OdataV4);
/// assert!(options.strict);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Follow the RFCs to the letter instead of reporting tolerances.
    pub strict: bool,
    /// The rules of one flavour of batch on top of the common ones.
    pub dialect: Dialect,
    /// Bounds against hostile input.
    pub limits: Limits,
    /// Requests or responses; `None` detects it from the first embedded start line.
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

/// Reads a multipart batch from borrowed bytes.
///
/// `content_type` is the value of the batch's `Content-Type` header; without one, the
/// boundary is taken from the first line that starts with `--`.
///
/// # Errors
///
/// A [`ParseError`] with the offset of the first fault, or of the first tolerance in strict
/// mode.
///
/// # Complexity
///
/// Linear in the input: each byte is scanned once for the batch boundary and once more for
/// a changeset boundary when it lies inside a changeset.
///
/// # Examples
///
/// ```
/// use batchwire_multipart::{parse, DecodeOptions, StartLineRef};
///
/// let body = b"--b\r\nContent-Type: application/http\r\n\r\nGET Customers(1) HTTP/1.1\r\n\r\n\r\n--b--\r\n";
/// let batch = parse(body, Some(b"multipart/mixed; boundary=b"), &DecodeOptions::strict())?;
/// let part = batch.parts().next().unwrap();
/// assert!(matches!(part.start, StartLineRef::Request { target: b"Customers(1)", .. }));
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
pub fn parse<'a>(
    input: &'a [u8],
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<BatchRef<'a>, ParseError> {
    let (machine, events) = run(input, content_type, options)?;
    let source = Source {
        bytes: input,
        base: 0,
    };
    let mut tolerated = machine.tolerated().to_vec();
    tolerated.sort_by_key(|t| t.offset);
    Ok(BatchRef {
        kind: machine.kind().unwrap_or(MessageKind::Request),
        boundary: machine.boundary().to_owned(),
        items: items_ref(&source, &events),
        tolerated,
    })
}

/// Runs the machine over the whole input.
pub(crate) fn run(
    input: &[u8],
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<(Machine, Vec<crate::raw::RawEvent>), ParseError> {
    let mut pre = Vec::new();
    let boundary = batch_boundary(input, content_type, options, &mut pre)?;
    let mut machine = Machine::new(options, boundary);
    machine.report_all(pre);
    let mut events = Vec::new();
    machine.advance(input, 0, true, &mut events)?;
    Ok((machine, events))
}

/// The batch boundary: from the Content-Type when there is one, else from the first line
/// that starts with `--`. Tolerances of the Content-Type go to `tolerated` (at offset 0).
pub(crate) fn batch_boundary(
    input: &[u8],
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
    tolerated: &mut Vec<batchwire_core::Tolerance>,
) -> Result<String, ParseError> {
    match content_type {
        Some(value) => {
            let param = content_type::boundary_param(value, options.strict, &options.limits)
                .map_err(|fault| {
                    ParseError::new(
                        fault.kind,
                        input,
                        0,
                        format!(
                            "{} (in the Content-Type {:?}, at character {})",
                            fault.message,
                            String::from_utf8_lossy(value),
                            fault.at
                        ),
                    )
                })?;
            for (_, kind) in param.tolerated {
                tolerated.push(batchwire_core::Tolerance { offset: 0, kind });
            }
            Ok(param.boundary)
        }
        None => boundary_from_first_line(input, options, true, tolerated)?.ok_or_else(|| {
            // Invariant: with the whole input, the search always decides.
            ParseError::new(K::MissingBoundary, input, 0, "expected a delimiter line")
        }),
    }
}

/// Without a Content-Type, the boundary is the rest of the first line that starts with
/// `--`, after an optional byte-order mark and preamble lines, checked by the rules of a
/// boundary parameter. `Ok(None)` when the input seen so far (`complete` false) holds no
/// complete such line yet. The line must start within `max_header_bytes` of the input, in
/// both decoders, so the incremental one never holds more to find it.
pub(crate) fn boundary_from_first_line(
    src: &[u8],
    options: &DecodeOptions,
    complete: bool,
    tolerated: &mut Vec<batchwire_core::Tolerance>,
) -> Result<Option<String>, ParseError> {
    let limits = &options.limits;
    let bom = src.starts_with(BOM);
    let start = if bom { BOM.len() } else { 0 };
    let mut pos = start;
    while pos < src.len() && pos - start <= limits.max_header_bytes {
        let line_end = match memchr::memchr(b'\n', &src[pos..]) {
            Some(i) => pos + i,
            None if complete => src.len(),
            None => return Ok(None),
        };
        let line = src[pos..line_end].trim_ascii_end();
        if let Some(rest) = line.strip_prefix(b"--") {
            let rest = rest.strip_suffix(b"--").unwrap_or(rest);
            let at = pos + 2;
            let (boundary, found) =
                content_type::check_boundary(rest.to_vec(), options.strict, limits)
                    .map_err(|fault| ParseError::new(fault.kind, src, at, fault.message))?;
            tolerated.extend(
                found
                    .into_iter()
                    .map(|kind| batchwire_core::Tolerance { offset: at, kind }),
            );
            return Ok(Some(boundary));
        }
        pos = line_end + 1;
    }
    if !complete && src.len() - start <= limits.max_header_bytes {
        return Ok(None);
    }
    Err(ParseError::expected(
        K::MissingBoundary,
        src,
        start,
        format_args!(
            "a delimiter line \"--boundary\" within {} bytes (no Content-Type was given)",
            limits.max_header_bytes
        ),
    ))
}
