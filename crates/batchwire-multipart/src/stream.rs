//! The incremental decoder: a batch read as it arrives, in bounded memory.

use std::collections::VecDeque;

use batchwire_core::{Headers, MessageKind, ParseError, SubRequest, SubResponse, Tolerance};
use bytes::{Bytes, BytesMut};

use crate::decode::{DecodeOptions, batch_boundary, boundary_from_first_line};
use crate::machine::Machine;
use crate::raw::{Events, Owner, RawEvent};

/// Something the incremental decoder found, as soon as it was complete.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A changeset begins; its members follow, then [`Event::GroupEnd`].
    GroupStart {
        /// The MIME headers of the changeset part.
        part_headers: Headers,
        /// The changeset's boundary.
        boundary: String,
    },
    /// A complete sub-request.
    Request(SubRequest),
    /// A complete sub-response.
    Response(SubResponse),
    /// The changeset ends.
    GroupEnd,
}

/// What [`StreamDecoder::next_event`] has to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The next event.
    Event(Event),
    /// Nothing more can be decided until more input is fed (or [`StreamDecoder::finish`]).
    NeedMore,
    /// The batch is complete; later input (an epilogue) is ignored.
    End,
}

/// Reads a multipart batch fed in chunks of any size, and hands out each operation as soon
/// as it is complete.
///
/// It decodes exactly as [`decode`](crate::decode) does — the same items, tolerances and
/// errors, in the same order, whatever the chunking — because both run the same machine.
/// It keeps only the bytes it has not decided on yet: at most the part being read plus
/// the last chunk. Bodies are `Bytes` slices of that buffer; a byte is copied once, when a
/// chunk is appended to it, and never again.
///
/// # Examples
///
/// ```
/// use batchwire_multipart::{DecodeOptions, Event, Status, StreamDecoder};
///
/// let body = b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\nhi\r\n--b--\r\n";
/// let mut decoder = StreamDecoder::new(Some(b"multipart/mixed; boundary=b"), &DecodeOptions::default())?;
/// let mut statuses = Vec::new();
/// for chunk in body.chunks(7) {
///     decoder.feed(chunk);
///     while let Status::Event(Event::Response(r)) = decoder.next_event()? {
///         statuses.push(r.status.as_u16());
///     }
/// }
/// decoder.finish();
/// while let Status::Event(Event::Response(r)) = decoder.next_event()? {
///     statuses.push(r.status.as_u16());
/// }
/// assert_eq!(statuses, [204, 200]);
/// assert_eq!(decoder.next_event()?, Status::End);
/// # Ok::<(), batchwire_core::ParseError>(())
/// ```
///
/// # Complexity
///
/// Linear in the input overall: where a scan stopped is kept, so feeding `n` bytes in any
/// number of chunks scans each byte a constant number of times (a part's header section, at
/// most `Limits::max_header_bytes`, is looked at again with each chunk until it is complete).
#[derive(Debug)]
pub struct StreamDecoder {
    options: DecodeOptions,
    machine: Option<MachineBox>,
    /// Reports made before the machine exists (from the Content-Type).
    early: Vec<Tolerance>,
    tolerated: Vec<Tolerance>,
    buf: BytesMut,
    /// Offset of `buf[0]` in the whole input.
    base: usize,
    /// Line and column (1-based) of `buf[0]` in the whole input.
    line: usize,
    column: usize,
    eof: bool,
    pending: VecDeque<Event>,
    failed: Option<ParseError>,
    /// The window length at which a deferred error may be final.
    retry_at: usize,
}

/// `Machine` holds a `memchr` finder; this keeps `Debug` short.
struct MachineBox(Machine);

impl std::fmt::Debug for MachineBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("boundary", &self.0.boundary())
            .finish_non_exhaustive()
    }
}

/// Bytes after an error's offset that its message may show.
const SHOWN_AFTER_ERROR: usize = 64;

impl StreamDecoder {
    /// A decoder for a batch with this Content-Type; without one, the boundary is taken from
    /// the first line that starts with `--`, once it has arrived.
    ///
    /// # Errors
    ///
    /// A Content-Type without a usable boundary.
    pub fn new(
        content_type: Option<&[u8]>,
        options: &DecodeOptions,
    ) -> Result<StreamDecoder, ParseError> {
        let mut early = Vec::new();
        let machine = match content_type {
            Some(ct) => {
                let boundary = batch_boundary(&[], Some(ct), options, &mut early)?;
                Some(MachineBox(Machine::new(options, boundary)))
            }
            None => None,
        };
        Ok(StreamDecoder {
            options: options.clone(),
            machine,
            early,
            tolerated: Vec::new(),
            buf: BytesMut::new(),
            base: 0,
            line: 1,
            column: 1,
            eof: false,
            pending: VecDeque::new(),
            failed: None,
            retry_at: 0,
        })
    }

    /// Appends a chunk of the input.
    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.is_done() {
            self.buf.extend_from_slice(chunk);
        }
    }

    /// Says that the input has ended.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// The number of input bytes held, not yet handed out or dropped.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// What the lenient reader tolerated so far, in input order.
    pub fn tolerated(&self) -> &[Tolerance] {
        &self.tolerated
    }

    /// Requests or responses, once the first start line said it (or as forced).
    pub fn kind(&self) -> Option<MessageKind> {
        self.machine
            .as_ref()
            .and_then(|m| m.0.kind())
            .or(self.options.kind)
    }

    /// The batch boundary, once known.
    pub fn boundary(&self) -> Option<&str> {
        self.machine.as_ref().map(|m| m.0.boundary())
    }

    /// The next event, or whether more input is needed.
    ///
    /// # Errors
    ///
    /// The first fault in the input, located in the whole input; it is returned again by
    /// every later call.
    pub fn next_event(&mut self) -> Result<Status, ParseError> {
        if let Some(event) = self.pending.pop_front() {
            return Ok(Status::Event(event));
        }
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.is_done() {
            return Ok(Status::End);
        }
        if self.eof || self.buf.len() >= self.retry_at {
            self.run()?;
        }
        if let Some(event) = self.pending.pop_front() {
            return Ok(Status::Event(event));
        }
        if self.is_done() {
            return Ok(Status::End);
        }
        Ok(Status::NeedMore)
    }

    fn is_done(&self) -> bool {
        self.machine.as_ref().is_some_and(|m| m.0.is_done())
    }

    /// Runs the machine over the buffer, as far as it can go.
    fn run(&mut self) -> Result<(), ParseError> {
        if self.machine.is_none() {
            let found =
                boundary_from_first_line(&self.buf, &self.options, self.eof, &mut self.early);
            match found {
                Ok(Some(boundary)) => {
                    self.machine = Some(MachineBox(Machine::new(&self.options, boundary)));
                }
                Ok(None) => return Ok(()),
                Err(err) => return Err(self.fail(err)),
            }
        }
        let Some(MachineBox(mut machine)) = self.machine.take() else {
            return Ok(());
        };
        let result = self.run_machine(&mut machine);
        self.machine = Some(MachineBox(machine));
        result.map_err(|err| self.fail(err))
    }

    fn run_machine(&mut self, machine: &mut Machine) -> Result<(), ParseError> {
        let before = machine.clone();
        let mut events = Events::default();
        if let Err(err) = machine.advance(&self.buf, self.base, self.eof, &mut events) {
            // The message shows the input after the fault; wait until it has arrived, then
            // decode again from where this run started, so that the error reads the same
            // whatever the chunking.
            let at = err.offset().min(self.buf.len());
            let shown = at + SHOWN_AFTER_ERROR;
            let line_ends = memchr::memchr(b'\n', &self.buf[at..]).is_some();
            if !self.eof && !line_ends && self.buf.len() < shown {
                *machine = before;
                self.retry_at = shown;
                return Ok(());
            }
            return Err(err.rebased(self.base, self.line, self.column));
        }
        self.retry_at = 0;
        self.tolerated.append(&mut self.early);
        self.tolerated.extend(machine.take_tolerated());
        // In input order, as the whole-buffer decoder gives them (a delimiter line is read
        // before the part it ends).
        self.tolerated.sort_by_key(|t| t.offset);
        let keep = if machine.is_done() {
            self.base + self.buf.len()
        } else {
            machine
                .keep_from()
                .clamp(self.base, self.base + self.buf.len())
        };
        let kind = machine.kind().unwrap_or(MessageKind::Request);
        // The events' bytes are frozen so that they can be sliced without a copy. The
        // machine may still read a byte or two before the end of the last event (a header
        // section ended by a bare LF); those few bytes go back into the buffer.
        let needed = events
            .list
            .iter()
            .map(|event| events.end(event))
            .max()
            .unwrap_or(0);
        let cut = needed.clamp(keep, self.base + self.buf.len());
        let frozen = self.buf.split_to(cut - self.base).freeze();
        if cut > keep {
            let mut rest = BytesMut::with_capacity(cut - keep + self.buf.len());
            rest.extend_from_slice(&frozen[keep - self.base..]);
            rest.extend_from_slice(&self.buf);
            self.buf = rest;
        }
        let mut owner = Owner::new(&frozen, self.base, &events);
        for event in &events.list {
            let event = match event {
                RawEvent::GroupStart {
                    offset,
                    boundary,
                    part_headers,
                } => Event::GroupStart {
                    part_headers: owner.group_headers(*offset, part_headers),
                    boundary: boundary.clone(),
                },
                RawEvent::GroupEnd => Event::GroupEnd,
                RawEvent::Operation(part) => {
                    let tolerated = &mut self.tolerated;
                    let op = match kind {
                        MessageKind::Request => {
                            owner.operation(part, tolerated).map(Event::Request)
                        }
                        MessageKind::Response => {
                            owner.operation(part, tolerated).map(Event::Response)
                        }
                    };
                    op.map_err(|err| err.rebased(self.base, self.line, self.column))?
                }
            };
            self.pending.push_back(event);
        }
        self.advance_position(&frozen.slice(..keep - self.base));
        if machine.is_done() {
            self.buf = BytesMut::new();
        }
        Ok(())
    }

    fn fail(&mut self, err: ParseError) -> ParseError {
        self.failed = Some(err.clone());
        err
    }

    /// Moves `base`, `line` and `column` past bytes that were dropped.
    fn advance_position(&mut self, dropped: &Bytes) {
        self.base += dropped.len();
        let breaks = memchr::memchr_iter(b'\n', dropped).count();
        self.line += breaks;
        match memchr::memrchr(b'\n', dropped) {
            Some(last) => self.column = dropped.len() - last,
            None => self.column += dropped.len(),
        }
    }
}
