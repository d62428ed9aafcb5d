//! Finding the next delimiter (RFC 2046 5.1.1): `dash-boundary`, an optional `--` for a
//! `close-delimiter`, `transport-padding` and the line break.
//!
//! Delimiters are found with a `memchr::memmem` scan per boundary in use (the batch's and,
//! inside a changeset, the changeset's). Only a hit at the start of a line is a candidate;
//! only a candidate followed by transport padding and a line break, with `--` before them
//! for a close delimiter, is a delimiter. Where each scan stopped is kept, so no byte is
//! scanned twice for a boundary.

use batchwire_core::{ParseError, ParseErrorKind as K, ToleranceKind as T};

use super::{MAX_LEVELS, Step};
use crate::content_type::Hit;
use crate::grammar;

/// What follows `--boundary` on a candidate line.
#[derive(Clone, Copy, Debug)]
pub(super) enum Tail {
    /// A delimiter; the next part starts at this offset.
    Next(usize),
    /// A close delimiter.
    Close,
    /// Other text: not a delimiter.
    Other,
}

/// The next delimiter candidate among the multiparts in use.
pub(super) enum Scan {
    /// A candidate of the multipart at `level`, at `at`, with what follows it.
    Found { level: usize, at: usize, tail: Tail },
    /// The window ends before the scan can tell.
    NeedMore,
    /// The input ends without a candidate.
    End,
}

impl Step<'_, '_> {
    /// The earliest delimiter candidate at or after `from` among the multiparts in use,
    /// with what follows it.
    pub(super) fn scan(&mut self, from: usize) -> Result<Scan, ParseError> {
        // Invariant: a changeset holds no changeset (`changeset_checks`), so at most two
        // multiparts are in use.
        debug_assert!(self.m.levels.len() <= MAX_LEVELS);
        let mut candidates = [(0, 0); MAX_LEVELS];
        let mut n = 0;
        for level in (0..self.m.levels.len().min(MAX_LEVELS)).rev() {
            if let Some(at) = self.candidate(level, from) {
                candidates[n] = (at, level);
                n += 1;
            }
        }
        let found = &candidates[..n];
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
    pub(super) fn resume_point(&self) -> usize {
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
        while let Some(hit) = l.dash.find(&src[at..]) {
            let c = match hit {
                Hit::At(i) => at + i,
                Hit::Cut(i) => {
                    // The rest of it is past the window: look again from here.
                    at += i;
                    break;
                }
            };
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

    pub(super) fn delimiter_like_line(
        &mut self,
        at: usize,
        level: usize,
    ) -> Result<(), ParseError> {
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
}
