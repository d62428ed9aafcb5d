//! The decoding machine: RFC 2046 framing, part headers and embedded HTTP messages, run over
//! a window of the input that may end before the input does.
//!
//! The machine keeps its place in absolute offsets and, each time it runs, goes as far as
//! the window allows: a decision that needs bytes beyond the window (the rest of a delimiter
//! line, the end of a part) waits for more input. The whole-buffer decoder runs it once over
//! the whole input; the incremental decoder runs it after each chunk. Both get the same
//! events, tolerances and errors, in input order, whatever the chunking.
//!
//! This module holds the machine, its state, and the loop that hands each state to its
//! layer, with the helpers every layer shares (offsets, tolerances, line breaks). The
//! grammar is split by layer, each adding its own `impl Step` block:
//!
//! - [`framing`]: the multipart structure, from preamble through parts to epilogue;
//! - [`delimiter`]: finding the next delimiter line and reading what follows it;
//! - [`headers`]: a body part's header section and what its Content-Type makes of it;
//! - [`message`]: the embedded HTTP message (start line, header section, body);
//! - [`odata`]: the dialect rules on changesets and their members.

mod delimiter;
mod framing;
mod headers;
mod message;
mod odata;

use batchwire_core::{
    Limits, MessageKind, ParseError, ParseErrorKind as K, Tolerance, ToleranceKind as T,
};

use crate::content_type::DashBoundary;
use crate::decode::DecodeOptions;
use crate::raw::{Events, HeaderSpan};

/// The most multiparts in use at once: the batch and a changeset inside it.
const MAX_LEVELS: usize = 2;

#[derive(Clone)]
pub(crate) struct Machine {
    options: DecodeOptions,
    kind: Option<MessageKind>,
    tolerated: Vec<Tolerance>,
    parts: usize,
    bare_lf_reported: bool,
    levels: Vec<Level>,
    state: State,
    /// Where a delimiter needs no line break before it: the start of the input, after a
    /// byte-order mark.
    floor: usize,
    /// Content-IDs of the members of the open changeset, for the OData V4 rules.
    group_ids: Vec<Vec<u8>>,
    /// What the input holds instead, until the batch's first delimiter is found.
    notes: Option<Notes>,
}

/// What the batch's preamble holds, noted line by line as it is scanned, so that an input
/// without a single delimiter (an error page, a body for another boundary) can be shown in
/// the error, by both decoders alike: the incremental one no longer holds those lines.
#[derive(Clone, Debug, Default)]
struct Notes {
    /// Where the next line to note starts (absolute), or, with `skipping`, where the search
    /// for the end of a long line goes on.
    pos: usize,
    skipping: bool,
    /// Whether any byte was seen.
    any: bool,
    /// The start of the first line that is not blank, cut to what an error shows.
    first_line: Option<Vec<u8>>,
    /// The boundary of the first line that looks like a delimiter of another boundary.
    other: Option<String>,
}

/// One multipart in use: the batch, or the changeset inside it.
#[derive(Clone)]
struct Level {
    boundary: String,
    dash: DashBoundary,
    /// Below this offset there is no candidate for this boundary past the last one used.
    hint: usize,
    /// The next candidate at or after `hint`, found but not yet used.
    found: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Start,
    /// Before the first delimiter of the innermost multipart, whose content starts at
    /// `content`.
    Preamble {
        content: usize,
        from: usize,
    },
    /// A part starts at `start`; its headers say whether it is a changeset.
    PartHeaders {
        start: usize,
    },
    /// Inside an `application/http` part, looking for the delimiter that ends it.
    InPart {
        start: usize,
        from: usize,
    },
    /// After a changeset's close delimiter, looking for the batch's next delimiter.
    Epilogue {
        from: usize,
    },
    Done,
}

/// Whether the machine can go on.
enum Flow {
    Continue,
    NeedMore,
    Done,
}

/// One line: `[start, text_end)` is its text, `next` the start of the following line.
struct Line {
    start: usize,
    text_end: usize,
    next: usize,
    terminated: bool,
}

impl Machine {
    pub(crate) fn new(options: &DecodeOptions, boundary: String) -> Machine {
        Machine {
            kind: options.kind,
            options: options.clone(),
            tolerated: Vec::new(),
            parts: 0,
            bare_lf_reported: false,
            levels: vec![Level::new(boundary)],
            state: State::Start,
            floor: 0,
            group_ids: Vec::new(),
            notes: Some(Notes::default()),
        }
    }

    /// The batch boundary.
    pub(crate) fn boundary(&self) -> &str {
        &self.levels[0].boundary
    }

    /// Adds reports made before the machine ran (from the Content-Type).
    pub(crate) fn report_all(&mut self, tolerated: Vec<Tolerance>) {
        self.tolerated.extend(tolerated);
    }

    /// The message kind, once the first start line said it (or as forced).
    pub(crate) fn kind(&self) -> Option<MessageKind> {
        self.kind
    }

    /// What was tolerated so far, in the order found.
    pub(crate) fn tolerated(&self) -> &[Tolerance] {
        &self.tolerated
    }

    /// Hands over what was tolerated so far.
    pub(crate) fn take_tolerated(&mut self) -> Vec<Tolerance> {
        std::mem::take(&mut self.tolerated)
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The first offset the machine may still read; everything before it can be dropped.
    pub(crate) fn keep_from(&self) -> usize {
        let anchor = match self.state {
            State::Start => 0,
            State::Preamble { from, .. } | State::Epilogue { from } => from,
            State::PartHeaders { start } | State::InPart { start, .. } => start,
            State::Done => usize::MAX,
        };
        let hints = self
            .levels
            .iter()
            .map(|l| l.hint)
            .min()
            .unwrap_or(usize::MAX);
        let noted = self.notes.as_ref().map_or(usize::MAX, |n| n.pos);
        // A candidate needs the byte before it (line start) and the one before that (CR).
        anchor.min(hints).min(noted).saturating_sub(2)
    }

    /// Runs over `window`, which holds the input from offset `base` on; `eof` says the input
    /// ends with it. Events go to `out` with absolute ranges. An error is located in
    /// `window` (its offset, line and column are the window's own); the caller rebases it.
    pub(crate) fn advance(
        &mut self,
        window: &[u8],
        base: usize,
        eof: bool,
        out: &mut Events,
    ) -> Result<(), ParseError> {
        let mut step = Step {
            m: self,
            src: window,
            base,
            eof,
            out,
        };
        loop {
            match step.step()? {
                Flow::Continue => {}
                Flow::NeedMore | Flow::Done => return Ok(()),
            }
        }
    }
}

impl Level {
    fn new(boundary: String) -> Level {
        Level {
            dash: DashBoundary::new(&boundary),
            boundary,
            hint: 0,
            found: None,
        }
    }

    fn dash_len(&self) -> usize {
        self.boundary.len() + 2
    }
}

/// One run of the machine over a window. Offsets inside are local to the window; the
/// machine's state, events and tolerances use absolute offsets (`base` + local).
struct Step<'w, 'm> {
    m: &'m mut Machine,
    src: &'w [u8],
    base: usize,
    eof: bool,
    out: &'m mut Events,
}

impl Step<'_, '_> {
    fn strict(&self) -> bool {
        self.m.options.strict
    }

    fn limits(&self) -> &Limits {
        &self.m.options.limits
    }

    fn local(&self, abs: usize) -> usize {
        // Invariant: the machine keeps every offset it will read (`keep_from`).
        debug_assert!(
            abs >= self.base,
            "offset {abs} before the window at {}",
            self.base
        );
        abs.saturating_sub(self.base)
    }

    fn abs(&self, local: usize) -> usize {
        local + self.base
    }

    fn span(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        self.abs(range.start)..self.abs(range.end)
    }

    /// The header fields at these indices of the output.
    fn fields(&self, range: &std::ops::Range<usize>) -> &[HeaderSpan] {
        &self.out.fields[range.clone()]
    }

    fn innermost(&self) -> usize {
        self.m.levels.len() - 1
    }

    fn boundary(&self, level: usize) -> String {
        self.m.levels[level].boundary.clone()
    }

    fn set_state(&mut self, state: State) {
        self.m.state = state;
    }

    /// Applies a tolerance: an error in strict mode, a report in lenient mode.
    fn tolerate(
        &mut self,
        at: usize,
        kind: T,
        error: impl FnOnce(&[u8]) -> ParseError,
    ) -> Result<(), ParseError> {
        if self.strict() {
            return Err(error(self.src));
        }
        let offset = self.abs(at);
        self.m.tolerated.push(Tolerance { offset, kind });
        Ok(())
    }

    fn report(&mut self, at: usize, kind: T) {
        let offset = self.abs(at);
        self.m.tolerated.push(Tolerance { offset, kind });
    }

    /// Runs the step of the current state, in the layer that holds it.
    fn step(&mut self) -> Result<Flow, ParseError> {
        match self.m.state {
            State::Start => self.start(),
            State::Preamble { content, from } => {
                let from = self.local(from);
                self.preamble(content, from)
            }
            State::PartHeaders { start } => {
                let start = self.local(start);
                self.part_headers(start)
            }
            State::InPart { start, from } => {
                let (start, from) = (self.local(start), self.local(from));
                self.in_part(start, from)
            }
            State::Epilogue { from } => {
                let from = self.local(from);
                self.epilogue(from)
            }
            State::Done => Ok(Flow::Done),
        }
    }

    /// Checks the line break whose LF is at `lf`; returns where the break starts.
    fn line_break_at(&mut self, lf: usize, floor: usize) -> Result<usize, ParseError> {
        if lf > floor && self.src[lf - 1] == b'\r' {
            return Ok(lf - 1);
        }
        if self.strict() {
            return Err(ParseError::new(
                K::BareLineFeed,
                self.src,
                lf,
                "expected CRLF, found a bare LF",
            ));
        }
        if !self.m.bare_lf_reported {
            self.m.bare_lf_reported = true;
            self.report(lf, T::BareLineFeed);
        }
        Ok(lf)
    }

    /// The line starting at `pos`, not going past `end`.
    fn line(&mut self, pos: usize, end: usize) -> Result<Line, ParseError> {
        match memchr::memchr(b'\n', &self.src[pos..end]) {
            Some(rel) => {
                let lf = pos + rel;
                let text_end = self.line_break_at(lf, pos)?;
                Ok(Line {
                    start: pos,
                    text_end,
                    next: lf + 1,
                    terminated: true,
                })
            }
            None => Ok(Line {
                start: pos,
                text_end: end,
                next: end,
                terminated: false,
            }),
        }
    }
}
