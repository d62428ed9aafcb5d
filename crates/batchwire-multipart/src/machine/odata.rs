//! The dialect rules (OData and the others `Dialect` describes): whether and how deep a
//! changeset may stand, its boundary, which requests may stand inside or outside one, and
//! the Content-IDs of its members.

use batchwire_core::{MessageKind, ParseError, ParseErrorKind as K, ToleranceKind as T};

use super::Step;
use super::headers::Section;
use crate::content_type;
use crate::grammar;
use crate::raw::{Known, PartSpan, StartSpan};

impl Step<'_, '_> {
    /// The nesting, boundary and reuse rules of a changeset part; returns its boundary.
    pub(super) fn changeset_checks(&mut self, section: &Section) -> Result<String, ParseError> {
        let src = self.src;
        let fields = self.fields(&section.headers);
        let i = fields
            .iter()
            .position(|h| h.known == Known::ContentType)
            .unwrap_or_default();
        let ct_at = fields.get(i).map_or(0, |h| self.local(h.name.start));
        let ct = fields
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

    /// The rules on an operation whose message starts at `content`, in the part at `s`: no
    /// query inside a changeset and, where the dialect asks, no change outside one; then, for
    /// a request in a changeset, the Content-ID rules where the dialect has them.
    pub(super) fn operation_rules(
        &mut self,
        s: usize,
        content: usize,
        part: &PartSpan,
    ) -> Result<(), ParseError> {
        let src = self.src;
        let in_changeset = self.m.levels.len() > 1;
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
            self.content_id_rules(s, part)?;
        }
        Ok(())
    }

    /// OData V4: every changeset member has a Content-ID, unique within its changeset.
    fn content_id_rules(&mut self, at: usize, part: &PartSpan) -> Result<(), ParseError> {
        let id = crate::raw::content_id_header(
            self.fields(&part.part_headers),
            self.fields(&part.headers),
            crate::raw::is_content_id,
        )
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
}
