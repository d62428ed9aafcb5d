//! Decoding options and the whole-buffer decoder into borrowed views.

pub(crate) use batchwire_core::DecodeOptions;
use batchwire_core::{MessageKind, ParseError, ParseErrorKind as K};

use crate::content_type;
use crate::machine::Machine;
use crate::raw::{Source, items_ref};
use crate::view::BatchRef;

const BOM: &[u8] = b"\xEF\xBB\xBF";

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
) -> Result<(Machine, crate::raw::Events), ParseError> {
    let mut pre = Vec::new();
    let boundary = batch_boundary(input, content_type, options, &mut pre)?;
    let mut machine = Machine::new(options, boundary);
    machine.report_all(pre);
    let mut events = crate::raw::Events::for_input(input.len());
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
