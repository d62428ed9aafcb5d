//! Putting the results of earlier requests into later ones: OData `$<id>` targets, Salesforce
//! `@{id.path}` and Meta `{result=id:$.path}` references.

use std::collections::HashMap;

use batchwire_core::{SubResponse, odata_reference};
use serde_json::Value;

/// The answers given so far, by request id.
pub(crate) type Answers = HashMap<String, SubResponse>;

/// An OData `$<id>` target resolved: the `Location` of the answer it names (else its body's
/// `@odata.id`) in place of `$<id>`. `None` when the target names no answered request.
pub(crate) fn odata_target(target: &str, answers: &Answers) -> Option<String> {
    let id = odata_reference(target)?;
    let answer = answers.get(id)?;
    let base = if let Some(location) = answer.headers.get_str("location") {
        location.to_owned()
    } else {
        let body: Value = serde_json::from_slice(&answer.body).ok()?;
        body.get("@odata.id")?.as_str()?.to_owned()
    };
    Some(format!("{base}{}", &target[1 + id.len()..]))
}

/// A value found in a JSON body by a path of `.name` and `[n]` steps (Salesforce) or `$.a.b[0]`
/// (Meta), as text: a string as it is, anything else as its JSON.
fn at_path(body: &[u8], path: &str) -> Option<String> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            value = value.get(&after[..end])?.clone();
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let index: usize = after[..end].parse().ok()?;
            value = value.get(index)?.clone();
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(match value {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// `text` with every Salesforce and Meta reference to an answered request replaced by the
/// value it names; the ids of the references that name no answer, or no value, are returned.
pub(crate) fn references(text: &str, answers: &Answers) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut last = 0;
    let found: Vec<_> = batchwire_json::reference::salesforce(text)
        .chain(batchwire_json::reference::meta(text))
        .filter_map(Result::ok)
        .collect();
    let mut found = found;
    found.sort_by_key(|r| r.offset);
    for r in found {
        if r.offset < last {
            continue;
        }
        let value = answers.get(r.id).and_then(|a| at_path(&a.body, r.path));
        match value {
            Some(value) => {
                out.push_str(&text[last..r.offset]);
                out.push_str(&value);
                last = r.offset + r.expression.len();
            }
            None => unresolved.push(r.id.to_owned()),
        }
    }
    out.push_str(&text[last..]);
    (out, unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn references_take_values_from_earlier_answers() {
        let mut answers = Answers::new();
        answers.insert(
            "acc".to_owned(),
            SubResponse::new(StatusCode::CREATED)
                .with_header("Location", "/Accounts(7)")
                .with_body(r#"{"id":"001x","records":[{"Id":"a1"}],"n":3}"#),
        );
        assert_eq!(
            odata_target("$acc/Contacts", &answers).as_deref(),
            Some("/Accounts(7)/Contacts")
        );
        assert_eq!(odata_target("$nope/x", &answers), None);
        let (text, missing) = references(
            r#"{"AccountId":"@{acc.id}","first":"@{acc.records[0].Id}","n":{result=acc:$.n},"x":"@{other.id}"}"#,
            &answers,
        );
        assert_eq!(
            text,
            r#"{"AccountId":"001x","first":"a1","n":3,"x":"@{other.id}"}"#
        );
        assert_eq!(missing, ["other"]);
    }
}
