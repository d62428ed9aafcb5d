//! The owned model from a shared buffer, slicing bodies out of the input without copying.

use batchwire_core::{
    Batch, BatchMessage, MessageKind, ParseError, ParseErrorKind, SubRequest, SubResponse,
    Tolerance,
};
use bytes::Bytes;

use batchwire_core::{DecodeOptions, Decoded, Format};

use crate::decode::run;
use crate::raw::{Owner, items_owned};

/// Reads a multipart batch from a shared buffer into the owned model.
///
/// Every body, header name and header value of the result is a `Bytes::slice` of `input`:
/// no body byte is copied, and the result keeps `input` alive.
///
/// # Errors
///
/// As [`parse`](crate::parse): a [`ParseError`] located at the first fault.
///
/// # Examples
///
/// ```
/// use batchwire_core::BatchMessage;
/// use batchwire_multipart::{decode, DecodeOptions};
/// use bytes::Bytes;
///
/// let body = Bytes::from_static(
///     b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n42\r\n--b--\r\n",
/// );
/// let decoded = decode(&body, Some(b"multipart/mixed; boundary=b"), &DecodeOptions::strict())?;
/// let BatchMessage::Response(batch) = decoded.message else { unreachable!() };
/// let response = batch.operations().next().unwrap();
/// assert_eq!(response.status, 200);
/// assert_eq!(&response.body[..], b"42");
/// // The body points into `body`: nothing was copied.
/// assert!(body.as_ptr_range().contains(&response.body.as_ptr()));
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
pub fn decode(
    input: &Bytes,
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<Decoded, ParseError> {
    let (mut machine, events) = run(input, content_type, options)?;
    let mut owner = Owner::new(input, 0, &events);
    let mut tolerated = machine.take_tolerated();
    let message = match machine.kind().unwrap_or(MessageKind::Request) {
        MessageKind::Request => {
            BatchMessage::Request(Batch::from_items(items_owned(&mut owner, &mut tolerated)?))
        }
        MessageKind::Response => {
            BatchMessage::Response(Batch::from_items(items_owned(&mut owner, &mut tolerated)?))
        }
    };
    tolerated.sort_by_key(|t| t.offset);
    Ok(Decoded::new(
        message,
        Format::Multipart(options.dialect),
        Some(machine.boundary().to_owned()),
        tolerated,
    ))
}

/// Reads a batch that must hold requests.
pub fn decode_request(
    input: &Bytes,
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<(Batch<SubRequest>, Vec<Tolerance>), ParseError> {
    let options = options.clone().with_kind(MessageKind::Request);
    let decoded = decode(input, content_type, &options)?;
    match decoded.message {
        BatchMessage::Request(batch) => Ok((batch, decoded.tolerated)),
        // Invariant: the kind was forced, so the reader rejects status lines.
        BatchMessage::Response(_) => Err(ParseError::new(
            ParseErrorKind::UnexpectedMessageKind,
            &[],
            0,
            "expected a request batch, found a response batch",
        )),
    }
}

/// Reads a batch that must hold responses.
pub fn decode_response(
    input: &Bytes,
    content_type: Option<&[u8]>,
    options: &DecodeOptions,
) -> Result<(Batch<SubResponse>, Vec<Tolerance>), ParseError> {
    let options = options.clone().with_kind(MessageKind::Response);
    let decoded = decode(input, content_type, &options)?;
    match decoded.message {
        BatchMessage::Response(batch) => Ok((batch, decoded.tolerated)),
        // Invariant: the kind was forced, so the reader rejects request lines.
        BatchMessage::Request(_) => Err(ParseError::new(
            ParseErrorKind::UnexpectedMessageKind,
            &[],
            0,
            "expected a response batch, found a request batch",
        )),
    }
}
