//! References from one operation to the result of another, found in URLs and bodies and
//! kept as written: Salesforce `@{refId.path}`, OData `$<id>` and Meta `{result=name:$.path}`.
//!
//! # Examples
//!
//! ```
//! use batchwire_json::reference;
//!
//! let mut found = reference::salesforce("/services/data/v60.0/sobjects/Contact/@{q.records[0].Id}");
//! let first = found.next().unwrap().unwrap();
//! assert_eq!((first.id, first.path, first.expression), ("q", ".records[0].Id", "@{q.records[0].Id}"));
//! assert_eq!(found.next(), None);
//! assert_eq!(reference::odata("$1/Orders").map(|r| r.id), Some("1"));
//! assert_eq!(reference::meta("{result=create-post:$.id}").next().unwrap().unwrap().id, "create-post");
//! ```

use std::iter::FusedIterator;

/// A reference found in a text.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reference<'a> {
    /// Where the expression starts in the text, in bytes.
    pub offset: usize,
    /// The whole expression as written (`@{ref.id}`, `$1`, `{result=a:$.id}`).
    pub expression: &'a str,
    /// The id of the operation referred to.
    pub id: &'a str,
    /// The path into that operation's result, as written (`.records[0].Id`, `$.id`); empty
    /// for an OData `$<id>`.
    pub path: &'a str,
}

/// A reference opener without a well-formed expression after it (`@{` that never closes,
/// `@{}`, `@{ref}` without a path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Malformed {
    /// Where the opener starts in the text, in bytes.
    pub offset: usize,
}

/// The Salesforce Composite references (`@{refId.field[0].x}`) in `text`, in order.
///
/// A reference is `@{`, a referenceId (letters, digits and `_`), one or more steps, each
/// `.name` or `[n]`, and `}`. After a malformed opener the search goes on right after its
/// `@{`, so an opener nested in a malformed one is still found; after a reference, right
/// after its `}`.
///
/// # Complexity
///
/// Linear in the length of `text`, however its openers and braces are arranged; the
/// iterator allocates nothing.
pub fn salesforce(text: &str) -> References<'_> {
    References::new(text, Syntax::Salesforce)
}

/// The Meta Graph references (`{result=name:$.path}`) in `text`, in order.
///
/// A reference is `{result=`, a name (any text without `:` or `}`), `:`, a path starting
/// with `$`, and `}`. After a malformed opener the search goes on right after its
/// `{result=`; after a reference, right after its `}`.
///
/// # Complexity
///
/// Linear in the length of `text`, however its openers and braces are arranged; the
/// iterator allocates nothing.
pub fn meta(text: &str) -> References<'_> {
    References::new(text, Syntax::Meta)
}

/// The ids a request refers to, in order: its declared dependencies (`dependsOn`), an OData
/// `$<id>` at the start of its target, and the Salesforce `@{id.path}` and Meta
/// `{result=id:$.path}` references in its target and body. What must be answered before it
/// runs, and sent with it; the one rule for it, shared by the client's split and retry and by
/// the server's executor.
///
/// # Examples
///
/// ```
/// use batchwire_core::SubRequest;
/// use http::Method;
///
/// let r = SubRequest::new(Method::POST, "$1/Orders")
///     .with_dependency("0")
///     .with_body(r#"{"AccountId":"@{acct.id}"}"#);
/// assert_eq!(batchwire_json::reference::referred_ids(&r), ["0", "1", "acct"]);
/// ```
pub fn referred_ids(request: &batchwire_core::SubRequest) -> Vec<&str> {
    let mut ids: Vec<&str> = request.depends_on.iter().map(String::as_str).collect();
    ids.extend(batchwire_core::odata_reference(&request.target));
    let body = std::str::from_utf8(&request.body).unwrap_or("");
    for text in [request.target.as_str(), body] {
        ids.extend(
            salesforce(text)
                .chain(meta(text))
                .filter_map(Result::ok)
                .map(|r| r.id),
        );
    }
    ids
}

/// The OData reference at the start of a URL: `$<id>` as its first segment, as
/// [`batchwire_core::odata_reference`] finds it.
///
/// Whether `<id>` names a request (rather than a resource such as `$metadata`) is for the
/// caller to decide against the batch's ids.
pub fn odata(url: &str) -> Option<Reference<'_>> {
    let id = batchwire_core::odata_reference(url)?;
    Some(Reference {
        offset: 0,
        expression: &url[..=id.len()],
        id,
        path: "",
    })
}

/// The references of one syntax in a text, in order, each well formed or [`Malformed`];
/// made by [`salesforce`] and [`meta`].
///
/// The search never goes back: each opener reuses the closing brace (and, for Meta, the
/// colon) found for an earlier one when it lies ahead, and a Salesforce path already
/// walked is not walked again, so a text of many nested or unclosed openers costs one pass.
#[derive(Clone, Debug)]
pub struct References<'a> {
    text: &'a str,
    syntax: Syntax,
    /// Where the search for the next opener starts; `None` once the text is exhausted.
    from: Option<usize>,
    /// The next `}`.
    close: Next,
    /// The next `:` (Meta).
    colon: Next,
    /// The last Salesforce path walked (its first and last step, before one `}`), and
    /// whether it was well formed. Every `.` or `[` between its first and last step is a
    /// step of the same walk, so a path starting at any of them has the same verdict.
    walked: Option<Walk>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Syntax {
    Salesforce,
    Meta,
}

impl Syntax {
    fn opener(self) -> &'static str {
        match self {
            Syntax::Salesforce => "@{",
            Syntax::Meta => "{result=",
        }
    }
}

/// The position of the next occurrence of one byte, found once and reused while the
/// positions asked about do not pass it.
#[derive(Clone, Copy, Debug)]
struct Next {
    byte: u8,
    /// The position found (the text's length for none), once a search has run.
    at: Option<usize>,
}

impl Next {
    fn new(byte: u8) -> Next {
        Next { byte, at: None }
    }

    /// The first position at or after `from` holding the byte, or `text.len()`. The
    /// positions asked about never decrease, so a position found stays right until passed.
    fn at_or_after(&mut self, text: &[u8], from: usize) -> usize {
        match self.at {
            Some(at) if at >= from => at,
            _ => {
                let at = text
                    .get(from..)
                    .and_then(|rest| rest.iter().position(|&b| b == self.byte))
                    .map_or(text.len(), |i| from + i);
                self.at = Some(at);
                at
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Walk {
    close: usize,
    first: usize,
    last: usize,
    ok: bool,
}

impl<'a> References<'a> {
    fn new(text: &'a str, syntax: Syntax) -> References<'a> {
        References {
            text,
            syntax,
            from: Some(0),
            close: Next::new(b'}'),
            colon: Next::new(b':'),
            walked: None,
        }
    }

    /// Whether the expression between `inner` (just after the opener) and `close` (its `}`)
    /// is well formed; if so, where its id ends.
    fn id_end(&mut self, inner: usize, close: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        match self.syntax {
            Syntax::Salesforce => {
                let id_end = inner
                    + bytes[inner..close]
                        .iter()
                        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
                        .count();
                // `bytes[close]` is the `}`: an id running up to it has no path.
                let steps = id_end > inner && matches!(bytes[id_end], b'.' | b'[');
                (steps && self.steps(id_end, close)).then_some(id_end)
            }
            Syntax::Meta => {
                let colon = self.colon.at_or_after(bytes, inner);
                let ok = colon > inner && colon < close && bytes[colon + 1] == b'$';
                ok.then_some(colon)
            }
        }
    }

    /// Whether `text[first..close]` is one or more `.name` / `[n]` steps; `first` holds a
    /// `.` or a `[`.
    fn steps(&mut self, first: usize, close: usize) -> bool {
        if let Some(w) = self.walked
            && w.close == close
            && w.first <= first
            && first <= w.last
        {
            return w.ok;
        }
        let bytes = &self.text.as_bytes()[..close];
        let mut at = first;
        let mut last = first;
        let ok = loop {
            if at == close {
                break true;
            }
            let tail = &bytes[at + 1..];
            match bytes[at] {
                b'.' => {
                    last = at;
                    let n = tail.iter().take_while(|&&b| b != b'.' && b != b'[').count();
                    if n == 0 {
                        break false;
                    }
                    at += 1 + n;
                }
                b'[' => {
                    last = at;
                    let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
                    if n == 0 || tail.get(n) != Some(&b']') {
                        break false;
                    }
                    at += 2 + n;
                }
                _ => break false,
            }
        };
        self.walked = Some(Walk {
            close,
            first,
            last,
            ok,
        });
        ok
    }
}

impl<'a> Iterator for References<'a> {
    type Item = Result<Reference<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let from = self.from?;
        let opener = self.syntax.opener();
        let Some(at) = self.text[from..].find(opener) else {
            self.from = None;
            return None;
        };
        let start = from + at;
        let inner = start + opener.len();
        let close = self.close.at_or_after(self.text.as_bytes(), inner);
        if close == self.text.len() {
            // No `}` anywhere after: no later opener can close either.
            self.from = None;
            return Some(Err(Malformed { offset: start }));
        }
        let Some(id_end) = self.id_end(inner, close) else {
            self.from = Some(inner);
            return Some(Err(Malformed { offset: start }));
        };
        self.from = Some(close + 1);
        let path_start = match self.syntax {
            Syntax::Salesforce => id_end,
            Syntax::Meta => id_end + 1,
        };
        Some(Ok(Reference {
            offset: start,
            expression: &self.text[start..=close],
            id: &self.text[inner..id_end],
            path: &self.text[path_start..close],
        }))
    }
}

impl FusedIterator for References<'_> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn all(found: References<'_>) -> Vec<Result<Reference<'_>, Malformed>> {
        found.collect()
    }

    /// An obviously correct scanner to check the fast one against: each opener searches
    /// afresh for its `}` and checks the text between with plain string functions.
    fn naive(text: &str, syntax: Syntax) -> Vec<Result<Reference<'_>, Malformed>> {
        let opener = syntax.opener();
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(at) = text[from..].find(opener) {
            let start = from + at;
            let inner_start = start + opener.len();
            let Some(close) = text[inner_start..].find('}') else {
                found.push(Err(Malformed { offset: start }));
                break;
            };
            let inner = &text[inner_start..inner_start + close];
            let end = inner_start + close + 1;
            let parts = match syntax {
                Syntax::Salesforce => {
                    let (id, path) = inner.split_at(inner.find(['.', '[']).unwrap_or(inner.len()));
                    let id_ok = !id.is_empty()
                        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                    (id_ok && naive_path(path)).then_some((id, path))
                }
                Syntax::Meta => inner
                    .split_once(':')
                    .filter(|(id, path)| !id.is_empty() && path.starts_with('$')),
            };
            if let Some((id, path)) = parts {
                found.push(Ok(Reference {
                    offset: start,
                    expression: &text[start..end],
                    id,
                    path,
                }));
                from = end;
            } else {
                found.push(Err(Malformed { offset: start }));
                from = inner_start;
            }
        }
        found
    }

    fn naive_path(path: &str) -> bool {
        if path.is_empty() {
            return false;
        }
        let mut rest = path;
        while !rest.is_empty() {
            if let Some(tail) = rest.strip_prefix('.') {
                let n = tail.find(['.', '[']).unwrap_or(tail.len());
                if n == 0 {
                    return false;
                }
                rest = &tail[n..];
            } else if let Some(tail) = rest.strip_prefix('[') {
                let Some((digits, after)) = tail.split_once(']') else {
                    return false;
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                rest = after;
            } else {
                return false;
            }
        }
        true
    }

    #[test]
    fn salesforce_references_need_an_id_and_a_path() {
        let all = all(salesforce(
            r#"{"a":"@{x.id}","b":"@{y.records[0].Owner.Name}","c":"@{}","d":"@{z}","e":"@{w"}"#,
        ));
        let ids: Vec<_> = all.iter().map(|r| r.map(|r| r.id)).collect();
        assert_eq!(
            ids,
            [
                Ok("x"),
                Ok("y"),
                Err(Malformed { offset: 53 }),
                Err(Malformed { offset: 63 }),
                Err(Malformed { offset: 74 }),
            ]
        );
        assert!(salesforce("@{x[a]}").next().unwrap().is_err());
        assert!(salesforce("no reference").next().is_none());
    }

    #[test]
    fn malformed_openers_are_each_reported_and_nested_ones_found() {
        assert_eq!(
            all(salesforce("@{@{@{}")),
            [
                Err(Malformed { offset: 0 }),
                Err(Malformed { offset: 2 }),
                Err(Malformed { offset: 4 }),
            ]
        );
        // The outer opener fails at an empty step; the inner one is a reference.
        let found = all(salesforce("@{a..b@{c.d}"));
        assert_eq!(found[0], Err(Malformed { offset: 0 }));
        assert_eq!(
            found[1].map(|r| (r.offset, r.expression)),
            Ok((6, "@{c.d}"))
        );
        // Every opener in a path that fails at its end shares one verdict.
        assert_eq!(
            all(salesforce("@{a.@{b.@{c..}")),
            [
                Err(Malformed { offset: 0 }),
                Err(Malformed { offset: 4 }),
                Err(Malformed { offset: 8 }),
            ]
        );
        // A well-formed reference swallows the openers inside its path.
        let found = all(salesforce("@{a.@{b.@{c.d}"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].map(|r| r.path), Ok(".@{b.@{c.d"));
        // Without any `}` the first opener is the last reported.
        assert_eq!(
            all(salesforce("x @{a.b @{c.d")),
            [Err(Malformed { offset: 2 })]
        );
    }

    #[test]
    fn a_long_run_of_openers_gives_each_its_verdict() {
        let text = "@{".repeat(500_000) + "}";
        let mut count = 0;
        for (i, found) in salesforce(&text).enumerate() {
            assert_eq!(found, Err(Malformed { offset: 2 * i }));
            count += 1;
        }
        assert_eq!(count, 500_000);
        let text = "{result=".repeat(200_000) + "}";
        assert_eq!(meta(&text).count(), 200_000);
        assert!(meta(&text).all(|r| r.is_err()));
    }

    #[test]
    fn odata_references_are_first_segments() {
        assert_eq!(
            odata("$c1/orders").map(|r| (r.id, r.expression)),
            Some(("c1", "$c1"))
        );
        assert_eq!(odata("$1").map(|r| r.id), Some("1"));
        assert_eq!(odata("Customers"), None);
        assert_eq!(odata("$/x"), None);
    }

    #[test]
    fn meta_references_name_an_operation_and_a_path() {
        let all = all(meta("ids={result=get-friends:$.data.*.id}&x={result=bad}"));
        assert_eq!(all[0].unwrap().id, "get-friends");
        assert_eq!(all[0].unwrap().path, "$.data.*.id");
        assert_eq!(
            all[0].unwrap().expression,
            "{result=get-friends:$.data.*.id}"
        );
        assert_eq!(all[1], Err(Malformed { offset: 39 }));
        assert_eq!(
            meta("{result=a{result=b:$.x}")
                .map(|r| r.map(|r| r.id))
                .collect::<Vec<_>>(),
            [Ok("a{result=b")]
        );
        assert_eq!(
            all_ids(meta("{result={result=:$}{result=c:x}{result=d:$}")),
            [Ok("{result="), Err(19), Ok("d")]
        );
    }

    fn all_ids(found: References<'_>) -> Vec<Result<&str, usize>> {
        found
            .map(|r| r.map(|r| r.id).map_err(|m| m.offset))
            .collect()
    }

    /// Texts made of the pieces the grammars care about, so that openers, steps and braces
    /// meet in every arrangement.
    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("@{"),
            Just("{result="),
            Just("}"),
            Just("."),
            Just("["),
            Just("]"),
            Just(":"),
            Just("$"),
            Just("a"),
            Just("_"),
            Just("0"),
            Just("é"),
            Just(" "),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn salesforce_agrees_with_the_naive_scanner(text in pieces()) {
            prop_assert_eq!(all(salesforce(&text)), naive(&text, Syntax::Salesforce));
        }

        #[test]
        fn meta_agrees_with_the_naive_scanner(text in pieces()) {
            prop_assert_eq!(all(meta(&text)), naive(&text, Syntax::Meta));
        }
    }
}
