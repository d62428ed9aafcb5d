//! The decoding machine: RFC 2046 framing, part headers and embedded HTTP messages, run over
//! a window of the input that may end before the input does.
//!
//! The machine keeps its place in absolute offsets and, each time it runs, goes as far as
//! the window allows: a decision that needs bytes beyond the window (the rest of a delimiter
//! line, the end of a part) waits for more input. The whole-buffer decoder runs it once over
//! the whole input; the incremental decoder runs it after each chunk. Both get the same
//! events, tolerances and errors, in input order, whatever the chunking.
//!
//! Delimiters are found with a `memchr::memmem` scan per boundary in use (the batch's and,
//! inside a changeset, the changeset's). Only a hit at the start of a line is a candidate;
//! only a candidate followed by transport padding and a line break, with `--` before them
//! for a close delimiter, is a delimiter. Where each scan stopped is kept, so no byte is scanned twice for a boundary.

use batchwire_core::{
    Found, Limits, MessageKind, ParseError, ParseErrorKind as K, Tolerance, ToleranceKind as T,
};
use memchr::memmem;
use nom::Parser as _;

use crate::content_type::{self, is_application_http, is_multipart};
use crate::decode::DecodeOptions;
use crate::grammar;
use crate::raw::{HeaderSpan, PartSpan, RawEvent, StartSpan, ValueSpan};

const BOM: &[u8] = b"\xEF\xBB\xBF";

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

/// How much of a line the notes look at: the longest delimiter line RFC 2046 allows, with
/// room for a little padding and the line break. A longer line is no delimiter.
const NOTED_LINE: usize = 2 + content_type::RFC_MAX_BOUNDARY_LEN + 2 + 16;

/// How much of the first line an error shows ([`Found`] shows 32 bytes, then `...`).
const SHOWN_LINE: usize = 33;

/// One multipart in use: the batch, or the changeset inside it.
#[derive(Clone)]
struct Level {
    boundary: String,
    finder: memmem::Finder<'static>,
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

/// What follows `--boundary` on a candidate line.
#[derive(Clone, Copy, Debug)]
enum Tail {
    /// A delimiter; the next part starts at this offset.
    Next(usize),
    /// A close delimiter.
    Close,
    /// Other text: not a delimiter.
    Other,
}

/// Where a part's header section ends, found without reading it.
enum Peek {
    /// The window ends first.
    NeedMore,
    /// A delimiter line or the end of the input comes first, or the section outgrows its
    /// limit: the part is read whole, and its reading says what is wrong.
    Ended,
    /// The section is complete; the content (or a line that is not a header) follows
    /// before this offset.
    Complete(usize, bool),
}

enum Scan {
    Found { level: usize, at: usize, tail: Tail },
    NeedMore,
    End,
}

/// How a header section ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SectionEnd {
    /// An empty line; the content starts after it.
    EmptyLine,
    /// The end of the part, after a complete line.
    EndOfPart,
    /// The end of the part, in the middle of a line.
    CutOff,
    /// A line that is not a header field (lenient); the content starts at it.
    NotAHeader,
}

struct Section {
    headers: Vec<HeaderSpan>,
    /// Where the content after the section starts.
    content: usize,
    end: SectionEnd,
}

/// Whose header section is read: the rules for folded lines differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fields {
    /// The MIME headers of a body part, where folding is part of the syntax (RFC 2045 and
    /// RFC 5322 2.2.3).
    Mime,
    /// The header section of an embedded HTTP message, where folding is obsolete (RFC 9112
    /// 5.2).
    Http,
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
        out: &mut Vec<RawEvent>,
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
        let mut dash = Vec::with_capacity(boundary.len() + 2);
        dash.extend_from_slice(b"--");
        dash.extend_from_slice(boundary.as_bytes());
        Level {
            finder: memmem::Finder::new(&dash).into_owned(),
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
    out: &'m mut Vec<RawEvent>,
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

    fn start(&mut self) -> Result<Flow, ParseError> {
        if self.src.len() < BOM.len() && !self.eof && BOM.starts_with(self.src) {
            return Ok(Flow::NeedMore);
        }
        if self.src.starts_with(BOM) {
            let boundary = self.boundary(0);
            self.tolerate(0, T::ByteOrderMark, |src| {
                ParseError::expected(K::ByteOrderMark, src, 0, format!("\"--{boundary}\""))
            })?;
            self.m.floor = BOM.len();
        }
        let floor = self.m.floor;
        self.m.levels[0].hint = floor;
        if let Some(notes) = self.m.notes.as_mut() {
            notes.pos = floor;
        }
        self.set_state(State::Preamble {
            content: floor,
            from: floor,
        });
        Ok(Flow::Continue)
    }

    /// Looks for the first delimiter of the innermost multipart, whose content starts at
    /// the absolute offset `content` (which may lie before the window: a long preamble is
    /// not kept).
    fn preamble(&mut self, content: usize, from: usize) -> Result<Flow, ParseError> {
        let inner = self.innermost();
        // Where a delimiter needs no line break before it, and the floor of that line break.
        let content_local = content.checked_sub(self.base);
        let floor = content_local.unwrap_or(0);
        let scan = self.scan(from)?;
        if inner == 0 && self.m.notes.is_some() {
            // Note the lines the scan went past, up to the next candidate (whose line is
            // noted too, when it is no delimiter); the first delimiter ends the notes.
            match scan {
                Scan::Found {
                    tail: Tail::Other,
                    at,
                    ..
                } => self.note_lines(at + 1),
                Scan::Found { .. } => self.m.notes = None,
                Scan::NeedMore => {
                    let resume = self.resume_point().max(self.abs(from));
                    self.note_lines(self.local(resume));
                }
                Scan::End => self.note_lines(self.src.len()),
            }
        }
        match scan {
            Scan::NeedMore => {
                // The preamble before the next possible delimiter is not kept.
                let resume = self.resume_point().max(self.abs(from));
                self.set_state(State::Preamble {
                    content,
                    from: resume,
                });
                Ok(Flow::NeedMore)
            }
            Scan::End if inner == 0 => Err(self.no_batch_delimiter()),
            Scan::End => {
                let end = self.src.len();
                self.no_delimiter(end, inner)?;
                self.input_ended(end)
            }
            Scan::Found {
                level,
                at,
                tail: Tail::Other,
            } => {
                self.delimiter_like_line(at, level)?;
                self.set_state(State::Preamble {
                    content,
                    from: self.abs(at + 1),
                });
                Ok(Flow::Continue)
            }
            Scan::Found { level, at, tail } if level == inner => {
                if Some(at) != content_local {
                    self.line_break_at(at - 1, floor)?;
                }
                if let Tail::Next(after) = tail {
                    self.consumed(after);
                    self.set_state(State::PartHeaders {
                        start: self.abs(after),
                    });
                    Ok(Flow::Continue)
                } else {
                    let boundary = self.boundary(inner);
                    self.tolerate(at, T::EmptyMultipart, |src| {
                        ParseError::expected(
                            K::EmptyMultipart,
                            src,
                            at,
                            format!("a body part before \"--{boundary}--\" (RFC 2046 wants one)"),
                        )
                    })?;
                    Ok(self.after_close(inner, at))
                }
            }
            Scan::Found { level, at, tail } => {
                // A delimiter of the batch before any of the changeset's: the changeset has
                // no delimiter, and its part ends here.
                self.no_delimiter(at, inner)?;
                self.line_break_at(at - 1, floor)?;
                self.close_group();
                Ok(self.apply(level, at, tail))
            }
        }
    }

    /// Notes the lines of the batch's preamble that start before `limit` (local), as far
    /// as the window shows them whole (or their first `NOTED_LINE` bytes).
    fn note_lines(&mut self, limit: usize) {
        let src = self.src;
        let base = self.base;
        let eof = self.eof;
        let Some(notes) = self.m.notes.as_mut() else {
            return;
        };
        let mut pos = notes.pos - base;
        loop {
            if notes.skipping {
                let Some(i) = memchr::memchr(b'\n', &src[pos..]) else {
                    pos = src.len();
                    break;
                };
                pos += i + 1;
                notes.skipping = false;
            }
            if pos >= limit || pos >= src.len() {
                break;
            }
            let window = &src[pos..src.len().min(pos + NOTED_LINE)];
            let (line, next, whole) = match memchr::memchr(b'\n', window) {
                Some(i) => (&window[..=i], pos + i + 1, true),
                None if window.len() == NOTED_LINE => (window, pos + NOTED_LINE, false),
                None if eof => (window, src.len(), true),
                None => break,
            };
            notes.any = true;
            if notes.first_line.is_none() && !line.trim_ascii().is_empty() {
                notes.first_line = Some(line[..line.len().min(SHOWN_LINE)].to_vec());
            }
            if notes.other.is_none() && whole {
                notes.other = other_boundary(line);
            }
            notes.skipping = !whole;
            pos = next;
        }
        notes.pos = pos + base;
    }

    /// The error for an input without a single delimiter line of the batch boundary, at its
    /// end: never an empty batch. It shows what the input holds instead.
    fn no_batch_delimiter(&mut self) -> ParseError {
        let end = self.src.len();
        let boundary = self.boundary(0);
        let notes = self.m.notes.take().unwrap_or_default();
        let found = match (&notes.first_line, &notes.other) {
            (Some(line), Some(other)) => format!(
                "delimiters for boundary {other:?}; the input starts with {}",
                Found(line)
            ),
            (Some(line), None) => format!("none; the input starts with {}", Found(line)),
            (None, _) if notes.any => "only white space".to_owned(),
            (None, _) => "an empty input".to_owned(),
        };
        ParseError::new(
            K::MissingDelimiter,
            self.src,
            end,
            format!("expected a delimiter line \"--{boundary}\", found {found}"),
        )
    }

    /// The search for the first delimiter of `level` ended at `at` without one.
    fn no_delimiter(&mut self, at: usize, level: usize) -> Result<(), ParseError> {
        let boundary = self.boundary(level);
        self.tolerate(at, T::NoDelimiter, |src| {
            ParseError::expected(K::MissingDelimiter, src, at, format!("\"--{boundary}\""))
        })
    }

    fn missing_close(&mut self, at: usize, level: usize) -> Result<(), ParseError> {
        let boundary = self.boundary(level);
        self.tolerate(at, T::MissingCloseDelimiter, |src| {
            ParseError::expected(
                K::MissingCloseDelimiter,
                src,
                at,
                format!("\"--{boundary}--\""),
            )
        })
    }

    /// The input ended inside the batch: an open changeset ran to the end, and so did the
    /// batch, which therefore has no close delimiter either.
    fn input_ended(&mut self, end: usize) -> Result<Flow, ParseError> {
        if self.innermost() > 0 {
            self.close_group();
            self.missing_close(end, 0)?;
        }
        Ok(self.done())
    }

    fn done(&mut self) -> Flow {
        self.set_state(State::Done);
        Flow::Done
    }

    /// A delimiter of `level` at `at` ended the part before it: go on after it.
    fn apply(&mut self, level: usize, at: usize, tail: Tail) -> Flow {
        match tail {
            Tail::Next(after) => {
                self.consumed(after);
                self.set_state(State::PartHeaders {
                    start: self.abs(after),
                });
                Flow::Continue
            }
            Tail::Close | Tail::Other => self.after_close(level, at),
        }
    }

    /// After the close delimiter of `level` at `at`.
    fn after_close(&mut self, level: usize, at: usize) -> Flow {
        if level == 0 {
            // The epilogue is ignored (RFC 2046).
            return self.done();
        }
        let from = at + self.m.levels[level].dash_len();
        self.close_group();
        self.consumed(from);
        self.set_state(State::Epilogue {
            from: self.abs(from),
        });
        Flow::Continue
    }

    /// Every level's scan resumes at `local` or later.
    fn consumed(&mut self, local: usize) {
        let abs = self.abs(local);
        for level in &mut self.m.levels {
            if level.hint < abs {
                level.hint = abs;
            }
            if level.found.is_some_and(|f| f < abs) {
                level.found = None;
            }
        }
    }

    fn part_headers(&mut self, start: usize) -> Result<Flow, ParseError> {
        let in_part = State::InPart {
            start: self.abs(start),
            from: self.abs(start),
        };
        let (end, is_changeset) = match self.peek_section(start) {
            Peek::NeedMore => return Ok(Flow::NeedMore),
            Peek::Ended => {
                self.set_state(in_part);
                return Ok(Flow::Continue);
            }
            Peek::Complete(end, is_changeset) => (end, is_changeset),
        };
        if !is_changeset {
            self.set_state(in_part);
            return Ok(Flow::Continue);
        }
        self.count_part(start)?;
        let section = self.header_section(start, end, Fields::Mime)?;
        let boundary = self.changeset_checks(&section)?;
        require_content(self.src, &section, end)?;
        let content = section.content;
        let part_headers = section.headers;
        self.out.push(RawEvent::GroupStart {
            offset: self.abs(start),
            boundary: boundary.clone(),
            part_headers,
        });
        self.m.group_ids.clear();
        // The header section held no delimiter line (`peek_section` saw to that): every
        // scan resumes at the content.
        self.consumed(content);
        let mut level = Level::new(boundary);
        level.hint = self.abs(content);
        self.m.levels.push(level);
        self.set_state(State::Preamble {
            content: self.abs(content),
            from: self.abs(content),
        });
        Ok(Flow::Continue)
    }

    /// Finds where the header section starting at `start` ends, without reading it.
    fn peek_section(&self, start: usize) -> Peek {
        let src = self.src;
        let mut pos = start;
        let mut seen_header = false;
        // The first Content-Type decides, as it does when the part is read (a folded value
        // is joined to its first line).
        let mut content_type: Option<Vec<u8>> = None;
        let mut in_content_type = false;
        let changeset =
            |ct: &Option<Vec<u8>>| ct.as_deref().is_some_and(|v| is_multipart(v.trim_ascii()));
        loop {
            if pos - start > self.limits().max_header_bytes {
                return Peek::Ended;
            }
            let (text, next, terminated) = match memchr::memchr(b'\n', &src[pos..]) {
                Some(i) => (&src[pos..pos + i], pos + i + 1, true),
                None if self.eof => (&src[pos..], src.len(), false),
                // A line longer than a header section may be: read the part whole, so that
                // its reading says so, without waiting for the line to end.
                None if src.len() - start > self.limits().max_header_bytes => return Peek::Ended,
                None => return Peek::NeedMore,
            };
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let delimiter = self.m.levels.iter().any(|level| {
                text.len() >= level.dash_len()
                    && text.starts_with(b"--")
                    && text[2..].starts_with(level.boundary.as_bytes())
            });
            if delimiter || (!terminated && text.is_empty()) {
                return Peek::Ended;
            }
            if text.is_empty() {
                return Peek::Complete(next, changeset(&content_type));
            }
            if grammar::is_ws(text[0]) && seen_header {
                // A folded line continues the previous field.
                if in_content_type && let Some(v) = content_type.as_mut() {
                    v.push(b' ');
                    v.extend_from_slice(text.trim_ascii());
                }
            } else if let Ok((value, (name, _))) = grammar::field_name_colon(text) {
                seen_header = true;
                in_content_type =
                    content_type.is_none() && name.eq_ignore_ascii_case(b"content-type");
                if in_content_type {
                    content_type = Some(value.trim_ascii().to_vec());
                }
            } else {
                return Peek::Complete(next, changeset(&content_type));
            }
            if !terminated {
                return Peek::Ended;
            }
            pos = next;
        }
    }

    /// The nesting, boundary and reuse rules of a changeset part; returns its boundary.
    fn changeset_checks(&mut self, section: &Section) -> Result<String, ParseError> {
        let src = self.src;
        let i = section
            .headers
            .iter()
            .position(|h| self.is_named(h, "content-type"))
            .unwrap_or_default();
        let ct_at = section
            .headers
            .get(i)
            .map_or(0, |h| self.local(h.name.start));
        let ct = section
            .headers
            .get(i)
            .map(|h| self.value(h).to_vec())
            .unwrap_or_default();
        let depth = self.m.levels.len();
        let dialect = self.m.options.dialect;
        let allowed = if dialect.allows_changesets() {
            self.limits().max_depth.min(1)
        } else {
            0
        };
        if depth > allowed {
            let why = if depth > 1 {
                "a changeset may not hold another changeset".to_owned()
            } else if dialect.allows_changesets() {
                "the nesting limit is 0".to_owned()
            } else {
                format!("the {dialect} dialect has no changesets")
            };
            return Err(ParseError::new(
                K::NestingTooDeep,
                src,
                ct_at,
                format!(
                    "expected an application/http part, found a multipart nested {depth} deep ({why})"
                ),
            ));
        }
        let value_at = ct_at + memchr::memchr(b':', &src[ct_at..]).map_or(0, |i| i + 1);
        let value_at = value_at
            + src[value_at..]
                .iter()
                .take_while(|b| grammar::is_ws(**b))
                .count();
        let param =
            content_type::boundary_param(&ct, self.strict(), self.limits()).map_err(|fault| {
                ParseError::new(fault.kind, src, value_at + fault.at, fault.message)
            })?;
        for (at, kind) in param.tolerated {
            self.report(value_at + at, kind);
        }
        let boundary = param.boundary;
        let prefix = self
            .m
            .levels
            .iter()
            .any(|l| l.boundary != boundary && boundary.starts_with(&l.boundary));
        if prefix {
            // RFC 2046 5.1.2: a boundary may not begin with an enclosing one, whose delimiter
            // would then start every line of the inner delimiters. The other way round is
            // legal: a delimiter line is the boundary, then only padding and a line break, so
            // `--batch_abc` is no delimiter of `batch_a`.
            self.tolerate(value_at, T::BoundaryPrefix, |src| {
                ParseError::new(
                    K::BadBoundary,
                    src,
                    value_at,
                    format!(
                        "expected a changeset boundary that does not start with the enclosing one, found {boundary:?}"
                    ),
                )
            })?;
        }
        if self.m.levels.iter().any(|l| l.boundary == boundary) {
            return Err(ParseError::new(
                K::BoundaryReused,
                src,
                value_at,
                format!(
                    "expected a changeset boundary other than the enclosing one, found {boundary:?} again"
                ),
            ));
        }
        Ok(boundary)
    }

    /// Inside an `application/http` part, until the delimiter that ends it.
    fn in_part(&mut self, start: usize, from: usize) -> Result<Flow, ParseError> {
        let inner = self.innermost();
        let scan = self.scan(from)?;
        // A part may not outgrow its body and header limits; checked on what is scanned
        // so that the answer does not depend on how the input was cut.
        let bound = self
            .limits()
            .max_body_bytes
            .saturating_add(self.limits().max_header_bytes.saturating_mul(2));
        // With more input to come, no delimiter starts before the resume point, so the part
        // is at least that long; the same answer whatever the chunking.
        let scanned_to = match scan {
            Scan::Found { at, .. } => at,
            Scan::End => self.src.len(),
            Scan::NeedMore => self.local(self.resume_point().max(self.abs(start))),
        };
        if scanned_to - start > bound {
            return Err(ParseError::new(
                K::LimitExceeded,
                self.src,
                start,
                format!("body part exceeds the limit of {bound} bytes (body and header limits)"),
            ));
        }
        match scan {
            Scan::NeedMore => {
                self.set_state(State::InPart {
                    start: self.abs(start),
                    from: self.abs(from),
                });
                Ok(Flow::NeedMore)
            }
            Scan::End => {
                let end = self.src.len();
                self.missing_close(end, inner)?;
                // A delimiter right before the end opens no part (odata.net reads it so).
                if !self.src[start..end].iter().all(u8::is_ascii_whitespace) {
                    self.count_part(start)?;
                    self.body_part(start, end)?;
                }
                self.input_ended(end)
            }
            Scan::Found {
                level,
                at,
                tail: Tail::Other,
            } => {
                self.delimiter_like_line(at, level)?;
                self.set_state(State::InPart {
                    start: self.abs(start),
                    from: self.abs(at + 1),
                });
                Ok(Flow::Continue)
            }
            Scan::Found { level, at, tail } => {
                // RFC 2046: the line break before a delimiter belongs to the delimiter.
                let part_end = if at == start {
                    at
                } else {
                    self.line_break_at(at - 1, start)?
                };
                if level < inner {
                    // The batch's delimiter inside a changeset: the changeset was never
                    // closed. Its last part ends here, unless it is only white space.
                    if !self.src[start..part_end]
                        .iter()
                        .all(u8::is_ascii_whitespace)
                    {
                        self.count_part(start)?;
                        self.body_part(start, part_end)?;
                    }
                    self.missing_close(part_end, inner)?;
                    self.close_group();
                } else {
                    self.count_part(start)?;
                    self.body_part(start, part_end)?;
                }
                Ok(self.apply(level, at, tail))
            }
        }
    }

    /// After a changeset closed: its epilogue, up to the batch's next delimiter.
    fn epilogue(&mut self, from: usize) -> Result<Flow, ParseError> {
        match self.scan(from)? {
            Scan::NeedMore => {
                // The epilogue before the next possible delimiter is not kept.
                let resume = self.resume_point().max(self.abs(from));
                self.set_state(State::Epilogue { from: resume });
                Ok(Flow::NeedMore)
            }
            Scan::End => {
                let end = self.src.len();
                self.missing_close(end, 0)?;
                Ok(self.done())
            }
            Scan::Found {
                level,
                at,
                tail: Tail::Other,
            } => {
                self.delimiter_like_line(at, level)?;
                self.set_state(State::Epilogue {
                    from: self.abs(at + 1),
                });
                Ok(Flow::Continue)
            }
            Scan::Found { level, at, tail } => {
                self.line_break_at(at - 1, 0)?;
                Ok(self.apply(level, at, tail))
            }
        }
    }

    /// Ends the open changeset.
    fn close_group(&mut self) {
        self.m.group_ids.clear();
        self.m.levels.truncate(1);
        self.out.push(RawEvent::GroupEnd);
    }

    /// The earliest delimiter candidate at or after `from` among the multiparts in use,
    /// with what follows it.
    fn scan(&mut self, from: usize) -> Result<Scan, ParseError> {
        let mut found: Vec<(usize, usize)> = Vec::with_capacity(self.m.levels.len());
        for level in (0..self.m.levels.len()).rev() {
            if let Some(at) = self.candidate(level, from) {
                found.push((at, level));
            }
        }
        let Some(&(at, _)) = found.iter().min_by_key(|(at, _)| *at) else {
            return Ok(if self.eof { Scan::End } else { Scan::NeedMore });
        };
        // A boundary whose scan could not look as far as `at` (its match would run past the
        // window) may yet match there, or before: wait, or the chunking would decide.
        let undecided = (0..self.m.levels.len()).any(|level| {
            !found.iter().any(|(_, l)| *l == level) && self.m.levels[level].hint <= self.abs(at)
        });
        if undecided && !self.eof {
            return Ok(Scan::NeedMore);
        }
        // Where one boundary starts another, both match here: the first (innermost) whose
        // line is a delimiter wins, so that the other's `Other` does not hide it.
        let mut other = None;
        for &(_, level) in found.iter().filter(|(a, _)| *a == at) {
            match self.tail(at + self.m.levels[level].dash_len(), level, at)? {
                None => return Ok(Scan::NeedMore),
                Some(Tail::Other) => {
                    other.get_or_insert(level);
                }
                Some(tail) => return Ok(Scan::Found { level, at, tail }),
            }
        }
        let level = other.unwrap_or_default();
        Ok(Scan::Found {
            level,
            at,
            tail: Tail::Other,
        })
    }

    /// The earliest offset (absolute) where a delimiter of any multipart in use could
    /// still start: no scan needs a byte before it.
    fn resume_point(&self) -> usize {
        self.m
            .levels
            .iter()
            .map(|l| l.found.unwrap_or(l.hint))
            .min()
            .unwrap_or(self.base)
    }

    /// The next `--boundary` of `level` at a line start, at or after `from`.
    fn candidate(&mut self, level: usize, from: usize) -> Option<usize> {
        let abs_from = self.abs(from);
        let floor = self.m.floor;
        let src = self.src;
        let base = self.base;
        let l = &mut self.m.levels[level];
        if let Some(found) = l.found {
            if found >= abs_from {
                return Some(found - base);
            }
            l.found = None;
        }
        let mut at = abs_from.max(l.hint) - base;
        while let Some(i) = l.finder.find(&src[at..]) {
            let c = at + i;
            if c + base == floor || (c > 0 && src[c - 1] == b'\n') {
                l.found = Some(c + base);
                l.hint = c + base;
                return Some(c);
            }
            at = c + 1;
        }
        // A match could still start in the last `dash_len - 1` bytes once more arrive.
        let unseen = (src.len() + 1).saturating_sub(l.dash_len()).max(at);
        l.hint = l.hint.max(unseen + base);
        None
    }

    /// What follows `--boundary` at `pos`; `None` when the window ends too soon to tell.
    fn tail(&mut self, pos: usize, level: usize, at: usize) -> Result<Option<Tail>, ParseError> {
        let src = self.src;
        let end = src.len();
        if end - pos < 2 && !self.eof {
            return Ok(None);
        }
        let close = src[pos..].starts_with(b"--");
        let after_dashes = if close { pos + 2 } else { pos };
        let padding = grammar::transport_padding(&src[after_dashes..]).map_or(0, |(_, p)| p.len());
        // Transport padding is a few spaces at most; a line of them is not a delimiter, and
        // the cap bounds what the stream decoder must wait for.
        if padding > self.limits().max_header_bytes {
            return Ok(Some(Tail::Other));
        }
        let padded = after_dashes + padding;
        let rest = &src[padded..];
        if !self.eof && (rest.is_empty() || rest == b"\r") {
            return Ok(None);
        }
        let tail = match rest.first() {
            None if close => Tail::Close,
            Some(b'\n') if close => {
                self.line_break_at(padded, at)?;
                Tail::Close
            }
            Some(b'\r') if close && rest.get(1) == Some(&b'\n') => Tail::Close,
            Some(b'\r') if close && rest.len() == 1 => {
                // `--boundary--` and a CR that ends the input: a line break cut short.
                let boundary = self.boundary(level);
                self.tolerate(padded, T::DelimiterLikeLine, |src| {
                    ParseError::expected(
                        K::DelimiterLikeLine,
                        src,
                        padded,
                        format!("a line break after \"--{boundary}--\""),
                    )
                })?;
                Tail::Close
            }
            // `--boundary--` followed by other text on its line is no close delimiter: RFC
            // 2046 allows only transport padding before the line break. Taking it for one
            // would end the batch there and drop every part after it.
            Some(_) if close => Tail::Other,
            None => {
                // A delimiter at the very end, with nothing after it: the batch ends there.
                let boundary = self.boundary(level);
                self.tolerate(end, T::MissingCloseDelimiter, |src| {
                    ParseError::expected(
                        K::MissingCloseDelimiter,
                        src,
                        end,
                        format!("a line break and a part after \"--{boundary}\""),
                    )
                })?;
                Tail::Close
            }
            Some(b'\n') => {
                self.line_break_at(padded, at)?;
                Tail::Next(padded + 1)
            }
            Some(b'\r') if rest.get(1) == Some(&b'\n') => Tail::Next(padded + 2),
            Some(_) => Tail::Other,
        };
        Ok(Some(tail))
    }

    fn delimiter_like_line(&mut self, at: usize, level: usize) -> Result<(), ParseError> {
        let boundary = self.boundary(level);
        self.tolerate(at, T::DelimiterLikeLine, |src| {
            ParseError::expected(
                K::DelimiterLikeLine,
                src,
                at,
                format_args!("\"--{boundary}\" or \"--{boundary}--\" alone on its line"),
            )
        })
    }

    fn count_part(&mut self, at: usize) -> Result<(), ParseError> {
        self.m.parts += 1;
        if self.m.parts > self.limits().max_parts {
            return Err(ParseError::new(
                K::LimitExceeded,
                self.src,
                at,
                format!(
                    "body part {} exceeds the limit of {} parts",
                    self.m.parts,
                    self.limits().max_parts
                ),
            ));
        }
        Ok(())
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

    fn is_named(&self, h: &HeaderSpan, name: &str) -> bool {
        self.src[self.local(h.name.start)..self.local(h.name.end)]
            .eq_ignore_ascii_case(name.as_bytes())
    }

    fn value<'h>(&'h self, h: &'h HeaderSpan) -> &'h [u8] {
        match &h.value {
            ValueSpan::Span(r) => &self.src[self.local(r.start)..self.local(r.end)],
            ValueSpan::Joined(v) => v,
        }
    }

    /// A header section (`*( field-line CRLF ) CRLF`) starting at `pos`, within `end`.
    fn header_section(
        &mut self,
        pos: usize,
        end: usize,
        fields: Fields,
    ) -> Result<Section, ParseError> {
        let src = self.src;
        let mut headers: Vec<HeaderSpan> = Vec::with_capacity(8);
        let mut pos = pos;
        let section_start = pos;
        loop {
            if pos >= end {
                return Ok(Section {
                    headers,
                    content: end,
                    end: SectionEnd::EndOfPart,
                });
            }
            let line = self.line(pos, end)?;
            if line.next - section_start > self.limits().max_header_bytes {
                return Err(ParseError::new(
                    K::LimitExceeded,
                    src,
                    line.start,
                    format!(
                        "header section exceeds the limit of {} bytes",
                        self.limits().max_header_bytes
                    ),
                ));
            }
            let text = &src[line.start..line.text_end];
            if text.is_empty() && line.terminated {
                return Ok(Section {
                    headers,
                    content: line.next,
                    end: SectionEnd::EmptyLine,
                });
            }
            if grammar::is_ws(text[0]) && !headers.is_empty() {
                if fields == Fields::Http {
                    // obs-fold (RFC 9112 5.2): lenient readers replace it with one space.
                    self.tolerate(line.start, T::FoldedHeader, |src| {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            line.start,
                            "a header field, not a continuation line (obs-fold, RFC 9112 5.2)",
                        )
                    })?;
                }
                // MIME part headers fold by right (RFC 5322 2.2.3). Either way the value is
                // its lines, trimmed, joined by one space; only a folded value is copied.
                let joined = {
                    let last = &headers[headers.len() - 1];
                    let mut joined = self.value(last).to_vec();
                    let more = text.trim_ascii();
                    if !joined.is_empty() && !more.is_empty() {
                        joined.push(b' ');
                    }
                    joined.extend_from_slice(more);
                    joined
                };
                if let Some(last) = headers.last_mut() {
                    last.value = ValueSpan::Joined(joined);
                }
            } else if let Ok((value, (name, space))) = grammar::field_name_colon(text) {
                if !space.is_empty() {
                    let at = line.start + name.len();
                    self.tolerate(at, T::HeaderNameWhitespace, |src| {
                        ParseError::expected(K::InvalidHeader, src, at, "\":\"")
                    })?;
                }
                if headers.len() == self.limits().max_headers {
                    return Err(ParseError::new(
                        K::LimitExceeded,
                        src,
                        line.start,
                        format!(
                            "header field {} exceeds the limit of {} per section",
                            headers.len() + 1,
                            self.limits().max_headers
                        ),
                    ));
                }
                let value = value.trim_ascii();
                // `value` is a slice of `text`, which starts at `line.start`.
                let value_start = line.start + (value.as_ptr() as usize - text.as_ptr() as usize);
                // RFC 9110 5.5: a field value holds no control character but HTAB.
                if let Some(i) = value
                    .iter()
                    .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
                {
                    let at = value_start + i;
                    self.tolerate(at, T::ControlCharacters, |src| {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            at,
                            "a header value without control characters",
                        )
                    })?;
                }
                headers.push(HeaderSpan {
                    name: self.span(line.start..line.start + name.len()),
                    value: ValueSpan::Span(self.span(value_start..value_start + value.len())),
                });
            } else {
                // olingo's non-strict reader ends a section at the first line that is not a
                // header field.
                let name = grammar::token(text).map_or(&[][..], |(_, name)| name);
                let at = line.start + name.len();
                self.tolerate(line.start, T::MissingEmptyLine, |src| {
                    if name.is_empty() {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            at,
                            "a header field or an empty line",
                        )
                    } else {
                        ParseError::expected(
                            K::InvalidHeader,
                            src,
                            at,
                            format_args!(
                                "\":\" after the header name {:?}",
                                String::from_utf8_lossy(name)
                            ),
                        )
                    }
                })?;
                return Ok(Section {
                    headers,
                    content: line.start,
                    end: SectionEnd::NotAHeader,
                });
            }
            if !line.terminated {
                return Ok(Section {
                    headers,
                    content: end,
                    end: SectionEnd::CutOff,
                });
            }
            pos = line.next;
        }
    }

    /// One complete body part that is not a changeset (or a changeset whose headers never
    /// ended), `[s, e)`.
    fn body_part(&mut self, s: usize, e: usize) -> Result<(), ParseError> {
        let src = self.src;
        let section = self.header_section(s, e, Fields::Mime)?;
        let ct = section
            .headers
            .iter()
            .position(|h| self.is_named(h, "content-type"));
        let http = ct.is_some_and(|i| is_application_http(self.value(&section.headers[i])));
        if http {
            return self.operation(s, e, section);
        }
        let ct = ct.map(|i| {
            (
                self.local(section.headers[i].name.start),
                self.value(&section.headers[i]).to_vec(),
            )
        });
        match ct {
            Some((_, ref value)) if is_multipart(value) => {
                self.changeset_checks(&section)?;
                require_content(src, &section, e)?;
                // Invariant: a changeset whose headers end before its part does is opened
                // by `part_headers`, so this part's headers did not end.
                Err(ParseError::expected(
                    K::UnexpectedEnd,
                    src,
                    e,
                    "an empty line after the changeset's part headers",
                ))
            }
            Some((at, value)) => Err(ParseError::new(
                K::UnexpectedContentType,
                src,
                at,
                format!(
                    "expected a part Content-Type of application/http or multipart/mixed, found {:?}",
                    String::from_utf8_lossy(&value)
                ),
            )),
            None => {
                self.tolerate(s, T::MissingContentType, |src| {
                    ParseError::expected(
                        K::MissingContentType,
                        src,
                        s,
                        "a Content-Type header in the part headers",
                    )
                })?;
                self.operation(s, e, section)
            }
        }
    }

    /// An `application/http` part: check the part headers, then read the embedded message.
    fn operation(&mut self, s: usize, e: usize, section: Section) -> Result<(), ParseError> {
        let src = self.src;
        let in_changeset = self.m.levels.len() > 1;
        require_content(src, &section, e)?;
        if let Some(i) = section
            .headers
            .iter()
            .position(|h| self.is_named(h, "content-transfer-encoding"))
        {
            if self
                .value(&section.headers[i])
                .trim_ascii()
                .eq_ignore_ascii_case(b"binary")
            {
                // The common case, with nothing to report.
            } else {
                let value = self.value(&section.headers[i]).trim_ascii().to_vec();
                let at = self.local(section.headers[i].name.start);
                if value.eq_ignore_ascii_case(b"7bit") || value.eq_ignore_ascii_case(b"8bit") {
                    self.tolerate(at, T::TransferEncodingNotBinary, |src| {
                        ParseError::new(
                            K::UnsupportedTransferEncoding,
                            src,
                            at,
                            format!(
                                "expected Content-Transfer-Encoding binary, found {:?}",
                                String::from_utf8_lossy(&value)
                            ),
                        )
                    })?;
                } else if !value.eq_ignore_ascii_case(b"binary") {
                    return Err(ParseError::new(
                        K::UnsupportedTransferEncoding,
                        src,
                        at,
                        format!(
                            "expected Content-Transfer-Encoding binary, found {:?} (encoded bodies are not decoded)",
                            String::from_utf8_lossy(&value)
                        ),
                    ));
                }
            }
        }
        let content = section.content;
        let part = self.embedded(content, e, s, section.headers)?;
        if let StartSpan::Request { method, .. } = &part.start {
            let method = &src[self.local(method.start)..self.local(method.end)];
            let query = method == b"GET" || method == b"HEAD";
            if in_changeset && query {
                self.tolerate(content, T::QueryInChangeset, |src| {
                    ParseError::new(
                        K::QueryInChangeset,
                        src,
                        content,
                        format!(
                            "expected a request that changes data in a changeset, found {}",
                            String::from_utf8_lossy(method)
                        ),
                    )
                })?;
            }
            let dialect = self.m.options.dialect;
            if !in_changeset && !query && dialect.requires_changes_in_changesets() {
                self.tolerate(content, T::ChangeOutsideChangeset, |src| {
                    ParseError::new(
                        K::ChangeOutsideChangeset,
                        src,
                        content,
                        format!(
                            "expected a query outside changesets ({dialect}), found {}",
                            String::from_utf8_lossy(method)
                        ),
                    )
                })?;
            }
        }
        if in_changeset
            && self.m.options.dialect.requires_changeset_content_ids()
            && self.m.kind == Some(MessageKind::Request)
        {
            self.content_id_rules(s, &part)?;
        }
        self.out.push(RawEvent::Operation(part));
        Ok(())
    }

    /// OData V4: every changeset member has a Content-ID, unique within its changeset.
    fn content_id_rules(&mut self, at: usize, part: &PartSpan) -> Result<(), ParseError> {
        let id = part
            .part_headers
            .iter()
            .chain(&part.headers)
            .find(|h| self.is_named(h, "content-id"))
            .map(|h| self.value(h).to_vec());
        match id {
            None => self.tolerate(at, T::MissingContentId, |src| {
                ParseError::expected(
                    K::MissingContentId,
                    src,
                    at,
                    "a Content-ID on the changeset member (OData V4)",
                )
            }),
            Some(id) => {
                if self.m.group_ids.contains(&id) {
                    self.tolerate(at, T::DuplicateContentId, |src| {
                        ParseError::new(
                            K::DuplicateContentId,
                            src,
                            at,
                            format!(
                                "expected a Content-ID unique in its changeset, found {:?} again",
                                String::from_utf8_lossy(&id)
                            ),
                        )
                    })?;
                }
                self.m.group_ids.push(id);
                Ok(())
            }
        }
    }

    /// The embedded HTTP message in `[s, e)`: start line, header section, body.
    fn embedded(
        &mut self,
        s: usize,
        e: usize,
        part_offset: usize,
        part_headers: Vec<HeaderSpan>,
    ) -> Result<PartSpan, ParseError> {
        let src = self.src;
        let mut pos = s;
        let mut line = self.line(pos, e)?;
        if line.start == line.text_end && line.terminated {
            self.tolerate(pos, T::LeadingEmptyLines, |src| {
                ParseError::expected(K::InvalidRequestLine, src, pos, "a request or status line")
            })?;
            while line.start == line.text_end && line.terminated {
                pos = line.next;
                line = self.line(pos, e)?;
            }
        }
        if line.start == line.text_end {
            return Err(ParseError::expected(
                K::UnexpectedEnd,
                src,
                line.start,
                "a request or status line",
            ));
        }
        let start = self.start_line(&line)?;
        let (headers, body_start) = if line.terminated {
            let section = self.header_section(line.next, e, Fields::Http)?;
            if section.end == SectionEnd::CutOff {
                self.header_cut_off(e)?;
            }
            (section.headers, section.content)
        } else {
            self.header_cut_off(e)?;
            (Vec::new(), e)
        };
        let body_len = e - body_start;
        if body_len > self.limits().max_body_bytes {
            return Err(ParseError::new(
                K::LimitExceeded,
                src,
                body_start,
                format!(
                    "body of {body_len} bytes exceeds the limit of {} bytes",
                    self.limits().max_body_bytes
                ),
            ));
        }
        let mut body_end = e;
        if let Some(cl) = headers.iter().find(|h| self.is_named(h, "content-length")) {
            let digits = self.value(cl).trim_ascii();
            let declared =
                (!digits.is_empty() && digits.len() <= 19 && digits.iter().all(u8::is_ascii_digit))
                    .then(|| {
                        digits
                            .iter()
                            .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'))
                    });
            match declared {
                Some(declared) if declared <= e - body_start => {
                    let cut = body_start + declared;
                    if !self.src[cut..e].iter().all(|&b| b == b'\r' || b == b'\n') {
                        self.report(cut, T::ContentLengthTrailingBytes);
                    }
                    body_end = cut;
                }
                _ => {
                    let value = self.value(cl).to_vec();
                    body_end = self.apply_content_length(&value, body_start, e)?;
                }
            }
        }
        Ok(PartSpan {
            offset: self.abs(part_offset),
            part_headers,
            start,
            headers,
            body: self.span(body_start..body_end),
        })
    }

    fn header_cut_off(&mut self, e: usize) -> Result<(), ParseError> {
        self.tolerate(e, T::HeaderCutOff, |src| {
            ParseError::expected(
                K::HeaderCutOff,
                src,
                e,
                "a line break ending the last header line before the delimiter",
            )
        })
    }

    /// The embedded `Content-Length`: a smaller one cuts the body, a larger one is reported.
    /// Returns where the body ends.
    fn apply_content_length(
        &mut self,
        value: &[u8],
        body_start: usize,
        e: usize,
    ) -> Result<usize, ParseError> {
        let digits = value.trim_ascii();
        let parsed =
            if !digits.is_empty() && digits.len() <= 20 && digits.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<u64>().ok())
            } else {
                None
            };
        let Some(declared) = parsed else {
            self.tolerate(body_start, T::ContentLengthInvalid, |src| {
                ParseError::new(
                    K::InvalidContentLength,
                    src,
                    body_start,
                    format!(
                        "expected a decimal Content-Length, found {:?}",
                        String::from_utf8_lossy(value)
                    ),
                )
            })?;
            return Ok(e);
        };
        let body_len = e - body_start;
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        if declared > body_len {
            self.report(e, T::ContentLengthTooLarge);
            return Ok(e);
        }
        let cut = body_start + declared;
        if !self.src[cut..e].iter().all(|&b| b == b'\r' || b == b'\n') {
            self.report(cut, T::ContentLengthTrailingBytes);
        }
        Ok(cut)
    }

    /// `request-line` or `status-line` (RFC 9112 3 and 4).
    fn start_line(&mut self, line: &Line) -> Result<StartSpan, ParseError> {
        let src = self.src;
        let text = &src[line.start..line.text_end];
        let is_response = text.starts_with(b"HTTP/");
        let kind = if is_response {
            MessageKind::Response
        } else {
            MessageKind::Request
        };
        match self.m.kind {
            Some(expected) if expected != kind => {
                return Err(ParseError::expected(
                    K::UnexpectedMessageKind,
                    src,
                    line.start,
                    match expected {
                        MessageKind::Request => "a request line",
                        MessageKind::Response => "a status line",
                    },
                ));
            }
            _ => self.m.kind = Some(kind),
        }
        if is_response {
            self.status_line(text, line.start)
        } else {
            self.request_line(text, line.start)
        }
    }

    fn status_line(&mut self, text: &[u8], at: usize) -> Result<StartSpan, ParseError> {
        let parsed = (
            grammar::http_version,
            grammar::sp,
            grammar::status_code,
            grammar::reason_phrase,
        )
            .parse(text);
        match parsed {
            Ok(([], (version, _, code, reason))) => {
                let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
                if status < 100 {
                    return Err(ParseError::expected(
                        K::InvalidStatusLine,
                        self.src,
                        at + version.len() + 1,
                        "a status code from 100 to 999",
                    ));
                }
                let reason = reason.map(|r| {
                    let start = at + text.len() - r.len();
                    self.span(start..start + r.len())
                });
                Ok(StartSpan::Response {
                    version: self.span(at..at + version.len()),
                    status,
                    reason,
                })
            }
            Ok((rest, _)) => Err(ParseError::expected(
                K::InvalidStatusLine,
                self.src,
                at + text.len() - rest.len(),
                "the end of the status line",
            )),
            Err(e) => {
                let stop = grammar::stopped_at(text, &e);
                let what = match stop.cmp(&b"HTTP/1.1".len()) {
                    std::cmp::Ordering::Less => "an HTTP version such as HTTP/1.1",
                    std::cmp::Ordering::Equal => "a space after the HTTP version",
                    std::cmp::Ordering::Greater => "a three-digit status code",
                };
                Err(ParseError::expected(
                    K::InvalidStatusLine,
                    self.src,
                    at + stop,
                    what,
                ))
            }
        }
    }

    fn request_line(&mut self, text: &[u8], at: usize) -> Result<StartSpan, ParseError> {
        let src = self.src;
        if let Some(span) = self.plain_request_line(text, at)? {
            return Ok(span);
        }
        // Whitespace after the last word, as in Azure's blob batch samples
        // (`DELETE /container/blob HTTP/1.1 `): trimmed leniently.
        let trailing = text
            .iter()
            .rev()
            .take_while(|&&b| grammar::is_ws(b))
            .count();
        let end = text.len() - trailing;
        let text = if trailing > 0 && end > 0 {
            self.tolerate(at + end, T::RequestLineTrailingSpace, |src| {
                ParseError::expected(
                    K::InvalidRequestLine,
                    src,
                    at + end,
                    "the end of the request line, without whitespace",
                )
            })?;
            let trimmed = &text[..end];
            if let Some(span) = self.plain_request_line(trimmed, at)? {
                return Ok(span);
            }
            trimmed
        } else {
            text
        };
        // Locate the fault, and read a target with spaces leniently, as odata.net does:
        // the method ends at the first space, the version starts after the last one.
        let method_len = grammar::method(text).map_or(0, |(_, m)| m.len());
        if method_len == 0 || text.get(method_len) != Some(&b' ') {
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                at + method_len,
                if method_len == 0 {
                    "a method"
                } else {
                    "a space after the method"
                },
            ));
        }
        let last_space = text.iter().rposition(|&b| b == b' ').unwrap_or(method_len);
        if last_space == method_len
            && let Some(span) = self.request_line_without_version(text, at, method_len)?
        {
            return Ok(span);
        }
        let version = &text[last_space + 1..];
        if last_space == method_len || !matches!(grammar::http_version(version), Ok(([], _))) {
            let offset = if last_space == method_len {
                at + text.len()
            } else {
                at + last_space + 1
            };
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                offset,
                "a request target, a space and an HTTP version such as HTTP/1.1",
            ));
        }
        let raw_target = &text[method_len + 1..last_space];
        if let Some(i) = raw_target.iter().position(|&b| b < 0x20 || b == 0x7f) {
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                at + method_len + 1 + i,
                "a request target without control characters",
            ));
        }
        let target = raw_target.trim_ascii();
        if target.is_empty() {
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                src,
                at + method_len + 1,
                "a request target",
            ));
        }
        let target_at = at + method_len + 1;
        self.tolerate(target_at, T::SpaceInTarget, |src| {
            let found = Found(&src[target_at..at + last_space]);
            ParseError::new(
                K::InvalidRequestLine,
                src,
                target_at,
                format!("expected a request target without spaces, found {found}"),
            )
        })?;
        let lead = raw_target.len() - raw_target.trim_ascii_start().len();
        let target_start = target_at + lead;
        self.check_target(target, target_start)?;
        Ok(StartSpan::Request {
            method: self.span(at..at + method_len),
            target: self.span(target_start..target_start + target.len()),
            version: self.span(at + last_space + 1..at + text.len()),
        })
    }
}

impl Step<'_, '_> {
    /// `request-line = method SP request-target SP HTTP-version` (RFC 9112 3), or `None`.
    fn plain_request_line(
        &mut self,
        text: &[u8],
        at: usize,
    ) -> Result<Option<StartSpan>, ParseError> {
        let parsed = (
            grammar::method,
            grammar::sp,
            grammar::request_target,
            grammar::sp,
            grammar::http_version,
        )
            .parse(text);
        let Ok(([], (method, _, target, _, version))) = parsed else {
            return Ok(None);
        };
        let target_at = at + method.len() + 1;
        self.check_target(target, target_at)?;
        Ok(Some(StartSpan::Request {
            method: self.span(at..at + method.len()),
            target: self.span(target_at..target_at + target.len()),
            version: self.span(at + text.len() - version.len()..at + text.len()),
        }))
    }

    /// `method SP request-target` and nothing after it, as Google's batch documentation
    /// writes its samples (`GET /farm/v1/animals/pony`): read leniently with an empty
    /// version. `None` when the rest of the line is no request target (the caller says what
    /// is wrong); a target with spaces needs the version to find its end, so it is not one.
    fn request_line_without_version(
        &mut self,
        text: &[u8],
        at: usize,
        method_len: usize,
    ) -> Result<Option<StartSpan>, ParseError> {
        let target = &text[method_len + 1..];
        let whole_target = matches!(grammar::request_target(target), Ok(([], _)));
        if !whole_target || matches!(grammar::http_version(target), Ok(([], _))) {
            return Ok(None);
        }
        let end = at + text.len();
        self.tolerate(end, T::MissingHttpVersion, |src| {
            ParseError::expected(
                K::InvalidRequestLine,
                src,
                end,
                "a request target, a space and an HTTP version such as HTTP/1.1",
            )
        })?;
        let target_at = at + method_len + 1;
        self.check_target(target, target_at)?;
        Ok(Some(StartSpan::Request {
            method: self.span(at..at + method_len),
            target: self.span(target_at..end),
            version: self.span(end..end),
        }))
    }

    /// A request target is ASCII (RFC 9112 3.2); leniently, UTF-8 (an IRI sent as it is).
    fn check_target(&mut self, target: &[u8], at: usize) -> Result<(), ParseError> {
        if target.is_ascii() {
            return Ok(());
        }
        if let Err(e) = std::str::from_utf8(target) {
            let bad = at + e.valid_up_to();
            return Err(ParseError::expected(
                K::InvalidRequestLine,
                self.src,
                bad,
                "a request target of ASCII characters (or, leniently, UTF-8)",
            ));
        }
        let first = at
            + target
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or_default();
        self.tolerate(first, T::NonAsciiTarget, |src| {
            ParseError::expected(
                K::InvalidRequestLine,
                src,
                first,
                "a request target of ASCII characters",
            )
        })
    }
}

/// The boundary of a line that looks like a delimiter (`--boundary`, an optional `--`,
/// transport padding, a line break): visible ASCII characters, at most as many as RFC 2046
/// allows. A line of dashes, or `-- text`, is none.
fn other_boundary(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"--")?;
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
    let end = rest.len()
        - rest
            .iter()
            .rev()
            .take_while(|&&b| grammar::is_ws(b))
            .count();
    let rest = &rest[..end];
    let boundary = rest.strip_suffix(b"--").unwrap_or(rest);
    let plausible = (1..=content_type::RFC_MAX_BOUNDARY_LEN).contains(&boundary.len())
        && boundary.iter().all(|&b| b.is_ascii_graphic())
        && boundary.iter().any(|&b| b != b'-');
    // Graphic ASCII is UTF-8: nothing is replaced.
    plausible.then(|| String::from_utf8_lossy(boundary).into_owned())
}

/// A part's headers must end with an empty line (or, leniently, at a line that is not a
/// header field) before the part does.
fn require_content(src: &[u8], section: &Section, e: usize) -> Result<(), ParseError> {
    match section.end {
        SectionEnd::EmptyLine | SectionEnd::NotAHeader => Ok(()),
        SectionEnd::EndOfPart | SectionEnd::CutOff => Err(ParseError::expected(
            K::UnexpectedEnd,
            src,
            e,
            "an empty line and an embedded message after the part headers",
        )),
    }
}
