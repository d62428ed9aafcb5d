//! Boundaries: the caller's, checked, or fresh ones that no line of the content starts with.

use crate::content_type::{DashBoundary, Hit};
use batchwire_core::WriteErrorKind as K;
use batchwire_core::{AtomicGroup, Batch, Item, Position, WriteError};

use super::WriteOptions;
use super::check::shown;
use super::operation::Operation;

/// How many fresh boundaries to try before giving up; each clashes only if a body already
/// holds that exact random value at the start of a line.
const ATTEMPTS: usize = 16;

/// Where a boundary clashes with what it frames.
struct Clash {
    at: Position,
    place: String,
}

/// The batch boundary and one boundary per group: the caller's, checked, or fresh ones that
/// clash with nothing.
pub(super) fn boundaries<T: Operation>(
    batch: &Batch<T>,
    options: &WriteOptions,
    mut generate: impl FnMut(&str) -> String,
) -> Result<(String, Vec<String>), WriteError> {
    let outer = match &options.boundary {
        Some(chosen) => {
            check_boundary(chosen, "batch")?;
            if let Some(clash) = batch_clash(batch, chosen) {
                return Err(clash_error(chosen, &clash));
            }
            chosen.clone()
        }
        None => fresh(|| generate("batch_"), |b| batch_clash(batch, b).is_none())?,
    };
    // A generated changeset boundary must not start with the batch boundary, or its
    // delimiter lines would look like the batch's; with a batch boundary such as
    // "change", drop the prefix.
    let prefix = if "changeset_".starts_with(outer.as_str()) {
        ""
    } else {
        "changeset_"
    };
    let mut groups = Vec::new();
    for (i, item) in batch.items.iter().enumerate() {
        let Item::Group(group) = item else { continue };
        let boundary = match &options.changeset_boundary {
            Some(chosen) => {
                check_boundary(chosen, "changeset")?;
                if chosen.starts_with(outer.as_str()) {
                    return Err(WriteError::new(
                        K::InvalidBoundary,
                        None,
                        format!(
                            "expected a changeset boundary that does not start with the batch boundary {outer:?}, found {chosen:?}"
                        ),
                    ));
                }
                if let Some(clash) = group_clash(group, i, chosen) {
                    return Err(clash_error(chosen, &clash));
                }
                chosen.clone()
            }
            None => fresh(
                || generate(prefix),
                |b| !b.starts_with(outer.as_str()) && group_clash(group, i, b).is_none(),
            )?,
        };
        groups.push(boundary);
    }
    Ok((outer, groups))
}

pub(super) fn check_boundary(boundary: &str, which: &str) -> Result<(), WriteError> {
    if crate::is_valid_boundary(boundary) {
        return Ok(());
    }
    Err(WriteError::new(
        K::InvalidBoundary,
        None,
        format!(
            "expected a {which} boundary of 1 to 70 letters, digits or '()+_,-./:=? not ending in a space (RFC 2046), found {}",
            shown(boundary.as_bytes(), false)
        ),
    ))
}

fn clash_error(boundary: &str, clash: &Clash) -> WriteError {
    WriteError::new(
        K::BoundaryInBody,
        Some(clash.at),
        format!(
            "expected a boundary that starts no line of the content, found a line starting with \"--{boundary}\" in {}",
            clash.place
        ),
    )
}

fn fresh(
    mut generate: impl FnMut() -> String,
    fits: impl Fn(&str) -> bool,
) -> Result<String, WriteError> {
    for _ in 0..ATTEMPTS {
        let boundary = generate();
        if fits(&boundary) {
            return Ok(boundary);
        }
    }
    Err(WriteError::new(
        K::BoundaryInBody,
        None,
        format!(
            "expected a fresh boundary that starts no line of the content, found a clash in each of {ATTEMPTS} attempts"
        ),
    ))
}

/// The first place in the batch where a line starts with `--boundary`.
fn batch_clash<T: Operation>(batch: &Batch<T>, boundary: &str) -> Option<Clash> {
    let delimiter = Delimiter::new(boundary);
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            Item::Operation(op) => {
                if let Some(place) = delimiter.in_operation(op) {
                    return Some(Clash {
                        at: Position::item(i),
                        place,
                    });
                }
            }
            Item::Group(group) => {
                if let Some(place) = delimiter.in_names(&group.part_headers) {
                    return Some(Clash {
                        at: Position::item(i),
                        place: format!("{place} of the changeset part"),
                    });
                }
                if let Some(clash) = delimiter.in_members(group, i) {
                    return Some(clash);
                }
            }
        }
    }
    None
}

fn group_clash<T: Operation>(group: &AtomicGroup<T>, i: usize, boundary: &str) -> Option<Clash> {
    Delimiter::new(boundary).in_members(group, i)
}

/// `--boundary`, searched at the start of lines.
struct Delimiter(DashBoundary);

impl Delimiter {
    fn new(boundary: &str) -> Delimiter {
        Delimiter(DashBoundary::new(boundary))
    }

    fn in_members<T: Operation>(&self, group: &AtomicGroup<T>, i: usize) -> Option<Clash> {
        group.operations.iter().enumerate().find_map(|(j, op)| {
            self.in_operation(op).map(|place| Clash {
                at: Position::member(i, j),
                place,
            })
        })
    }

    fn in_operation<T: Operation>(&self, op: &T) -> Option<String> {
        if op.line_start().starts_with(self.0.as_bytes()) {
            return Some("the request line".to_owned());
        }
        if let Some(place) = self.in_names(op.part_headers()) {
            return Some(format!("{place} of the part"));
        }
        if let Some(place) = self.in_names(op.headers()) {
            return Some(format!("{place} of the embedded message"));
        }
        self.in_body(op.body()).then(|| "the body".to_owned())
    }

    /// Header lines start with their names, which may hold dashes.
    fn in_names(&self, headers: &batchwire_core::Headers) -> Option<String> {
        headers
            .iter()
            .find(|h| h.name().starts_with(self.0.as_bytes()))
            .map(|h| format!("the header name {:?}", h.name_str()))
    }

    /// A body line is any run after the start of the body or a line break; CR counts as one
    /// too, since some readers end lines there.
    fn in_body(&self, body: &[u8]) -> bool {
        let mut from = 0;
        while let Some(Hit::At(i)) = self.0.find(&body[from..]) {
            let at = from + i;
            if at == 0 || matches!(body[at - 1], b'\n' | b'\r') {
                return true;
            }
            from = at + 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchwire_core::SubRequest;
    use http::Method;

    fn one(body: &'static [u8]) -> Batch<SubRequest> {
        let mut batch = Batch::new();
        batch.push(SubRequest::new(Method::POST, "x").with_body(body));
        batch
    }

    #[test]
    fn a_clashing_fresh_boundary_is_replaced() {
        let batch = one(b"\r\n--batch_1\r\n");
        let mut candidates = ["batch_1", "batch_2"].into_iter();
        let (outer, _) = boundaries(&batch, &WriteOptions::default(), |prefix| {
            assert_eq!(prefix, "batch_");
            candidates.next().unwrap().to_owned()
        })
        .unwrap();
        assert_eq!(outer, "batch_2");
    }

    #[test]
    fn giving_up_after_every_attempt_clashes() {
        let batch = one(b"--batch_1");
        let err =
            boundaries(&batch, &WriteOptions::default(), |_| "batch_1".to_owned()).unwrap_err();
        assert_eq!(err.kind(), K::BoundaryInBody);
        assert_eq!(
            err.to_string(),
            "expected a fresh boundary that starts no line of the content, found a clash in each of 16 attempts"
        );
    }

    #[test]
    fn changeset_boundaries_never_start_with_the_batch_boundary() {
        let mut batch = Batch::new();
        batch.push_group(AtomicGroup::new(vec![SubRequest::new(Method::POST, "x")]));
        let options = WriteOptions::default().with_boundary("change");
        let mut n = 0;
        let (_, groups) = boundaries(&batch, &options, |prefix| {
            n += 1;
            format!("{prefix}{n}")
        })
        .unwrap();
        assert_eq!(groups, ["1"]);
    }

    #[test]
    fn body_lines_start_after_any_line_break() {
        let d = Delimiter::new("b");
        assert!(d.in_body(b"--b"));
        assert!(d.in_body(b"x\n--b--"));
        assert!(d.in_body(b"x\r--bz"));
        assert!(!d.in_body(b"x--b"));
        assert!(!d.in_body(b"-b\r\n-\r\n--c"));
    }
}
