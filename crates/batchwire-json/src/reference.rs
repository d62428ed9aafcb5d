//! References from one operation to the result of another, found in URLs and bodies and
//! kept as written: Salesforce `@{refId.path}`, OData `$<id>` and Meta `{result=name:$.path}`.
//!
//! # Examples
//!
//! ```
//! use batchwire_json::reference;
//!
//! let found = reference::salesforce("/services/data/v60.0/sobjects/Contact/@{q.records[0].Id}");
//! let first = found[0].as_ref().unwrap();
//! assert_eq!((first.id, first.path, first.expression), ("q", ".records[0].Id", "@{q.records[0].Id}"));
//! assert_eq!(reference::odata("$1/Orders").map(|r| r.id), Some("1"));
//! assert_eq!(reference::meta("{result=create-post:$.id}")[0].as_ref().unwrap().id, "create-post");
//! ```

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
/// `.name` or `[n]`, and `}`.
pub fn salesforce(text: &str) -> Vec<Result<Reference<'_>, Malformed>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("@{") {
        let start = from + at;
        let inner_start = start + 2;
        let Some(close) = text[inner_start..].find('}') else {
            found.push(Err(Malformed { offset: start }));
            break;
        };
        let inner = &text[inner_start..inner_start + close];
        let end = inner_start + close + 1;
        let split = inner.find(['.', '[']).unwrap_or(inner.len());
        let (id, path) = inner.split_at(split);
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if id_ok && is_salesforce_path(path) {
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

/// One or more `.name` / `[n]` steps.
fn is_salesforce_path(path: &str) -> bool {
    let mut rest = path.as_bytes();
    if rest.is_empty() {
        return false;
    }
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'.' => {
                let n = tail.iter().take_while(|&&b| b != b'.' && b != b'[').count();
                if n == 0 {
                    return false;
                }
                rest = &tail[n..];
            }
            b'[' => {
                let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 || tail.get(n) != Some(&b']') {
                    return false;
                }
                rest = &tail[n + 1..];
            }
            _ => return false,
        }
    }
    true
}

/// The OData reference at the start of a URL: `$<id>` as its first segment.
///
/// Whether `<id>` names a request (rather than a resource such as `$metadata`) is for the
/// caller to decide against the batch's ids.
pub fn odata(url: &str) -> Option<Reference<'_>> {
    let rest = url.strip_prefix('$')?;
    let end = rest.find(['/', '?', '(']).unwrap_or(rest.len());
    let id = &rest[..end];
    (!id.is_empty()).then_some(Reference {
        offset: 0,
        expression: &url[..=end],
        id,
        path: "",
    })
}

/// The Meta Graph references (`{result=name:$.path}`) in `text`, in order.
pub fn meta(text: &str) -> Vec<Result<Reference<'_>, Malformed>> {
    const OPEN: &str = "{result=";
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(OPEN) {
        let start = from + at;
        let inner_start = start + OPEN.len();
        let Some(close) = text[inner_start..].find('}') else {
            found.push(Err(Malformed { offset: start }));
            break;
        };
        let inner = &text[inner_start..inner_start + close];
        let end = inner_start + close + 1;
        match inner.split_once(':') {
            Some((id, path)) if !id.is_empty() && path.starts_with('$') => {
                found.push(Ok(Reference {
                    offset: start,
                    expression: &text[start..end],
                    id,
                    path,
                }));
                from = end;
            }
            _ => {
                found.push(Err(Malformed { offset: start }));
                from = inner_start;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_references_need_an_id_and_a_path() {
        let all = salesforce(
            r#"{"a":"@{x.id}","b":"@{y.records[0].Owner.Name}","c":"@{}","d":"@{z}","e":"@{w"}"#,
        );
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
        assert!(salesforce("@{x[a]}")[0].is_err());
        assert!(salesforce("no reference").is_empty());
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
        let all = meta("ids={result=get-friends:$.data.*.id}&x={result=bad}");
        assert_eq!(all[0].unwrap().id, "get-friends");
        assert_eq!(all[0].unwrap().path, "$.data.*.id");
        assert!(all[1].is_err());
    }
}
