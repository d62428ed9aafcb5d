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
// An event is handed out by value once; boxing it would cost an allocation per operation.
#[allow(clippy::large_enum_variant)]
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
/// the last chunk. Chunks given to [`feed_bytes`](StreamDecoder::feed_bytes) are read where
/// they lie: the bodies, names and values of the parts inside a chunk are `Bytes` slices of
/// it, and only a part that spans chunks is copied, once, into one piece. Chunks given to
/// [`feed`](StreamDecoder::feed) are copied into that piece as they come.
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
    /// Input copied so that the machine sees it in one piece: a part that arrived split
    /// across chunks. Empty while the machine reads chunks where they lie.
    buf: BytesMut,
    /// Chunks fed and not yet read, in order after `buf`; the first `stitched` bytes of the
    /// first one are also at the end of `buf`.
    queue: VecDeque<Bytes>,
    stitched: usize,
    /// The first chunk of `queue` is what a run over a chunk left unread: it goes into `buf`
    /// whole, with more after it.
    stitch: bool,
    /// Offset of the next byte to read (`buf[0]`, or else the first chunk's) in the whole
    /// input.
    base: usize,
    /// Line and column (1-based) of that byte in the whole input.
    line: usize,
    column: usize,
    eof: bool,
    pending: VecDeque<Event>,
    failed: Option<ParseError>,
    /// How many bytes held (from the next byte to read on) make a deferred error final.
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

/// How long the part that `buf` starts with will be, when its embedded message says: the
/// offset of its first `Content-Length` line, a little for the rest of the header section,
/// and the length declared. A hint for sizing the buffer once, never trusted for more.
fn length_hint(buf: &[u8]) -> Option<usize> {
    const LOOK: usize = 8 << 10;
    const REST_OF_HEADERS: usize = 4 << 10;
    const MOST: usize = 1 << 30;
    let head = &buf[..buf.len().min(LOOK)];
    let mut at = 0;
    for line in head.split(|&b| b == b'\n') {
        let start = at;
        at += line.len() + 1;
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if !name.trim_ascii().eq_ignore_ascii_case(b"content-length") {
            continue;
        }
        let digits = value.trim_ascii();
        if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let declared = digits.iter().fold(0usize, |n, d| {
            n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
        });
        return Some(
            start
                .saturating_add(REST_OF_HEADERS)
                .saturating_add(declared)
                .min(MOST),
        );
    }
    None
}

/// How much of the next chunk is first copied after a part that spans chunks (then as much
/// as is held, doubling): little, so that few of the parts after the one that spans chunks
/// are copied with it.
const STITCH_FIRST: usize = 512;

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
            queue: VecDeque::new(),
            stitched: 0,
            stitch: false,
            base: 0,
            line: 1,
            column: 1,
            eof: false,
            pending: VecDeque::new(),
            failed: None,
            retry_at: 0,
        })
    }

    /// Appends a chunk of the input, copied.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.is_done() || chunk.is_empty() {
            return;
        }
        if self.queue.is_empty() {
            self.buf.extend_from_slice(chunk);
        } else {
            self.queue.push_back(Bytes::copy_from_slice(chunk));
        }
    }

    /// Appends a chunk of the input without copying it: every part that lies inside one
    /// chunk is read where it lies, and its body, header names and values are slices of the
    /// chunk. Only a part that arrives split across chunks is copied, once, into one piece.
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire_multipart::{DecodeOptions, Event, Status, StreamDecoder};
    /// use bytes::Bytes;
    ///
    /// let chunk = Bytes::from_static(
    ///     b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\nok\r\n--b--\r\n",
    /// );
    /// let mut decoder =
    ///     StreamDecoder::new(Some(b"multipart/mixed; boundary=b"), &DecodeOptions::strict())?;
    /// decoder.feed_bytes(chunk.clone());
    /// decoder.finish();
    /// let Status::Event(Event::Response(r)) = decoder.next_event()? else { panic!() };
    /// assert_eq!(&r.body[..], b"ok");
    /// // The body is a slice of the chunk: nothing was copied.
    /// assert!(chunk.as_ptr_range().contains(&r.body.as_ptr()));
    /// # Ok::<(), batchwire_core::ParseError>(())
    /// ```
    pub fn feed_bytes(&mut self, chunk: Bytes) {
        if !self.is_done() && !chunk.is_empty() {
            self.queue.push_back(chunk);
        }
    }

    /// Says that the input has ended.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// The number of input bytes held, not yet handed out or dropped.
    pub fn buffered(&self) -> usize {
        let queued: usize = self.queue.iter().map(Bytes::len).sum();
        self.buf.len() + queued - self.stitched
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
        if self.eof || self.buffered() >= self.retry_at {
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
            // The first line is looked for in one piece.
            self.stitch_all();
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

    /// Everything queued, copied into `buf`.
    fn stitch_all(&mut self) {
        self.stitch = false;
        while let Some(chunk) = self.queue.pop_front() {
            self.buf.extend_from_slice(&chunk[self.stitched..]);
            self.stitched = 0;
        }
    }

    /// Runs the machine over the input held, reading each chunk where it lies and copying
    /// only what spans chunks, until it has events to hand out or needs more input.
    fn run_machine(&mut self, machine: &mut Machine) -> Result<(), ParseError> {
        while self.pending.is_empty() && !machine.is_done() {
            if self.retry_at > 0 {
                // An error waits for the bytes its message shows: read them in one piece.
                self.stitch_all();
            }
            if self.buf.is_empty() && !self.stitch {
                let Some(chunk) = self.queue.pop_front() else {
                    if self.eof {
                        // The end of the input, right after what was read.
                        self.run_window(machine, &Bytes::new(), true)?;
                    }
                    return Ok(());
                };
                let eof = self.eof && self.queue.is_empty();
                if !self.run_window(machine, &chunk, eof)? {
                    if self.queue.len() < 2 {
                        return Ok(());
                    }
                    // What is left of the chunk needs the next one to go on.
                    self.stitch = true;
                }
                continue;
            }
            // A part spans chunks: copy it into one piece, a growing share of the next
            // chunk at a time, until the machine has read past where that chunk starts.
            if self.stitch {
                self.stitch = false;
                if let Some(tail) = self.queue.pop_front() {
                    self.buf.extend_from_slice(&tail);
                }
            }
            let Some(front) = self.queue.front() else {
                let eof = self.eof;
                self.run_buffer(machine, eof)?;
                return Ok(());
            };
            let piece = (front.len() - self.stitched).min(self.buf.len().max(STITCH_FIRST));
            if self.buf.capacity() - self.buf.len() < piece {
                // A part larger than a chunk: room for all of it at once where its
                // Content-Length says how long it is, so that it is copied only once; never
                // more than four times what has arrived, which a false length cannot raise.
                let arrived = self.buf.len() + piece;
                let room = length_hint(&self.buf)
                    .unwrap_or(0)
                    .clamp(arrived, arrived.saturating_mul(4));
                self.buf.reserve(room - self.buf.len());
            }
            self.buf
                .extend_from_slice(&front[self.stitched..self.stitched + piece]);
            self.stitched += piece;
            let whole = self.stitched == front.len();
            let front_len = front.len();
            if whole {
                self.queue.pop_front();
                self.stitched = 0;
            }
            let eof = self.eof && self.queue.is_empty();
            // Where the first chunk starts in the whole input.
            let front_at = self.base + self.buf.len() - self.stitched;
            self.run_buffer(machine, eof)?;
            if !whole && self.base >= front_at && self.base <= front_at + front_len {
                // Read past the chunk's start: the rest of it is read where it lies.
                let from = self.base - front_at;
                self.buf.clear();
                if let Some(front) = self.queue.front_mut() {
                    *front = front.slice(from..);
                }
                self.stitched = 0;
            }
        }
        Ok(())
    }

    /// Runs the machine over `buf`, whose read part is frozen and handed out.
    fn run_buffer(&mut self, machine: &mut Machine, eof: bool) -> Result<bool, ParseError> {
        let before = machine.clone();
        let mut events = Events::default();
        let window_len = self.buf.len();
        if let Err(err) = machine.advance(&self.buf, self.base, eof, &mut events) {
            let window = std::mem::take(&mut self.buf);
            let deferred = self.defer(machine, before, err, &window, eof);
            self.buf = window;
            return deferred;
        }
        let keep = self.keep(machine, window_len);
        // The events' bytes are frozen so that they can be sliced without a copy. The
        // machine may still read a byte or two before the end of the last event (a header
        // section ended by a bare LF); those few bytes go back into the buffer.
        let needed = events
            .list
            .iter()
            .map(|event| events.end(event))
            .max()
            .unwrap_or(0);
        let start = self.base;
        let cut = needed.clamp(keep, self.base + window_len);
        let frozen = self.buf.split_to(cut - self.base).freeze();
        if cut > keep {
            let mut rest = BytesMut::with_capacity(cut - keep + self.buf.len());
            rest.extend_from_slice(&frozen[keep - self.base..]);
            rest.extend_from_slice(&self.buf);
            self.buf = rest;
        }
        self.fold(machine, &frozen, &events, keep)?;
        self.drop_input_if_done(machine);
        Ok(keep > start || !events.list.is_empty())
    }

    /// Runs the machine over one chunk where it lies; what it leaves unread goes back to the
    /// front of the queue, to be read with what follows. Whether it read anything.
    fn run_window(
        &mut self,
        machine: &mut Machine,
        chunk: &Bytes,
        eof: bool,
    ) -> Result<bool, ParseError> {
        let before = machine.clone();
        let mut events = Events::default();
        if let Err(err) = machine.advance(chunk, self.base, eof, &mut events) {
            self.queue.push_front(chunk.clone());
            self.stitch = true;
            return self.defer(machine, before, err, chunk, eof);
        }
        let start = self.base;
        let keep = self.keep(machine, chunk.len());
        self.fold(machine, chunk, &events, keep)?;
        let read = keep - start;
        if read < chunk.len() && !machine.is_done() {
            self.queue.push_front(chunk.slice(read..));
        }
        self.drop_input_if_done(machine);
        Ok(read > 0 || !events.list.is_empty())
    }

    /// Once the batch is complete, the input held (an epilogue) is dropped.
    fn drop_input_if_done(&mut self, machine: &Machine) {
        if machine.is_done() {
            self.buf = BytesMut::new();
            self.queue.clear();
            self.stitched = 0;
            self.stitch = false;
        }
    }

    /// An error from a run over `window`: final, or deferred until the bytes its message
    /// shows have arrived, then read again from where this run started, so that the error
    /// reads the same whatever the chunking.
    fn defer(
        &mut self,
        machine: &mut Machine,
        before: Machine,
        err: ParseError,
        window: &[u8],
        eof: bool,
    ) -> Result<bool, ParseError> {
        let at = err.offset().min(window.len());
        let shown = at + SHOWN_AFTER_ERROR;
        let line_ends = memchr::memchr(b'\n', &window[at..]).is_some();
        if !eof && !line_ends && window.len() < shown {
            *machine = before;
            self.retry_at = shown;
            return Ok(false);
        }
        Err(err.rebased(self.base, self.line, self.column))
    }

    /// Where the machine may still read from, within the window of `len` bytes at `base`;
    /// takes in what it tolerated.
    fn keep(&mut self, machine: &mut Machine, len: usize) -> usize {
        self.retry_at = 0;
        self.tolerated.append(&mut self.early);
        self.tolerated.extend(machine.take_tolerated());
        // In input order, as the whole-buffer decoder gives them (a delimiter line is read
        // before the part it ends).
        self.tolerated.sort_by_key(|t| t.offset);
        if machine.is_done() {
            self.base + len
        } else {
            machine.keep_from().clamp(self.base, self.base + len)
        }
    }

    /// Hands out the events of a run, whose bytes `frozen` holds from `base` on, and moves
    /// past what was read (up to `keep`).
    fn fold(
        &mut self,
        machine: &Machine,
        frozen: &Bytes,
        events: &Events,
        keep: usize,
    ) -> Result<(), ParseError> {
        let kind = machine.kind().unwrap_or(MessageKind::Request);
        let mut owner = Owner::new(frozen, self.base, events);
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
        self.advance_position(&frozen[..keep - self.base]);
        Ok(())
    }

    fn fail(&mut self, err: ParseError) -> ParseError {
        self.failed = Some(err.clone());
        err
    }

    /// Moves `base`, `line` and `column` past bytes that were dropped.
    fn advance_position(&mut self, dropped: &[u8]) {
        self.base += dropped.len();
        let breaks = memchr::memchr_iter(b'\n', dropped).count();
        self.line += breaks;
        match memchr::memrchr(b'\n', dropped) {
            Some(last) => self.column = dropped.len() - last,
            None => self.column += dropped.len(),
        }
    }
}
