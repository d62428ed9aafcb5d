//! Multipart framing (RFC 2046 5.1.1): the preamble before the first delimiter, the body
//! parts between delimiters, a changeset opened inside the batch and closed again, the
//! epilogue after a close delimiter, and the end of the input wherever it falls.
//!
//! Each state of the machine has its step here; the scan for the next delimiter is in
//! [`super::delimiter`], the reading of a part in [`super::headers`].

use batchwire_core::{Found, ParseError, ParseErrorKind as K, ToleranceKind as T};

use super::delimiter::{Scan, Tail};
use super::headers::{Fields, Peek, require_content};
use super::{Flow, Level, State, Step};
use crate::content_type;
use crate::grammar;
use crate::raw::RawEvent;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much of a line the notes look at: the longest delimiter line RFC 2046 allows, with
/// room for a little padding and the line break. A longer line is no delimiter.
const NOTED_LINE: usize = 2 + content_type::RFC_MAX_BOUNDARY_LEN + 2 + 16;

/// How much of the first line an error shows ([`Found`] shows 32 bytes, then `...`).
const SHOWN_LINE: usize = 33;

impl Step<'_, '_> {
    pub(super) fn start(&mut self) -> Result<Flow, ParseError> {
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
    pub(super) fn preamble(&mut self, content: usize, from: usize) -> Result<Flow, ParseError> {
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
                if let Tail::Close = tail {
                    let boundary = self.boundary(inner);
                    self.tolerate(at, T::EmptyMultipart, |src| {
                        ParseError::expected(
                            K::EmptyMultipart,
                            src,
                            at,
                            format!("a body part before \"--{boundary}--\" (RFC 2046 wants one)"),
                        )
                    })?;
                }
                Ok(self.apply(inner, at, tail))
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

    pub(super) fn part_headers(&mut self, start: usize) -> Result<Flow, ParseError> {
        let in_part = State::InPart {
            start: self.abs(start),
            from: self.abs(start),
        };
        let (end, is_changeset) = match self.peek_section(start) {
            Peek::NeedMore => return Ok(Flow::NeedMore),
            Peek::Ended | Peek::NotChangeset => {
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
        self.out.push_event(RawEvent::GroupStart {
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

    /// Inside an `application/http` part, until the delimiter that ends it.
    pub(super) fn in_part(&mut self, start: usize, from: usize) -> Result<Flow, ParseError> {
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
    pub(super) fn epilogue(&mut self, from: usize) -> Result<Flow, ParseError> {
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
        self.out.push_event(RawEvent::GroupEnd);
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
