//! Output of `inspect`: a readable table, or the stable JSON document.

use std::io::{self, Write};

use base64::Engine as _;
use batchwire::multipart::Decoded;
use batchwire::{BatchMessage, Headers, Item, SubRequest, SubResponse};
use serde_json::{Map, Value, json};

/// `request batch (multipart, boundary "b"): 5 operations in 4 items`.
pub(crate) fn summary(decoded: &Decoded) -> String {
    let (kind, items, operations) = match &decoded.message {
        BatchMessage::Request(b) => ("request", b.items.len(), b.operation_count()),
        BatchMessage::Response(b) => ("response", b.items.len(), b.operation_count()),
    };
    format!(
        "{kind} batch (multipart, boundary {:?}): {operations} operation{} in {items} item{}",
        decoded.boundary,
        plural(operations),
        plural(items)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The readable table: one line per operation, changesets as a heading with their members
/// numbered under it.
pub(crate) fn table(decoded: &Decoded, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", summary(decoded))?;
    let rows = match &decoded.message {
        BatchMessage::Request(batch) => rows(&batch.items, request_row),
        BatchMessage::Response(batch) => rows(&batch.items, response_row),
    };
    // A changeset heading has only its first two cells and spans the others.
    let is_heading = |r: &Row| r[2].is_empty() && r[3].is_empty() && r[4].is_empty();
    let width = |col: usize| {
        rows.iter()
            .filter(|r| col == 0 || !is_heading(r))
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    for row in &rows {
        if is_heading(row) {
            writeln!(out, "{:<w$}  {}", row[0], row[1], w = widths[0])?;
            continue;
        }
        let line = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

type Row = [String; 5];

fn rows<T>(items: &[Item<T>], row: impl Fn(String, &T) -> Row) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        match item {
            Item::Operation(op) => out.push(row(n.to_string(), op)),
            Item::Group(group) => {
                let count = group.operations.len();
                out.push([
                    n.to_string(),
                    format!("changeset ({count} operation{})", plural(count)),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
                for (j, op) in group.operations.iter().enumerate() {
                    out.push(row(format!("{n}.{}", j + 1), op));
                }
            }
        }
    }
    out
}

fn body_cell(body: &[u8], headers: &Headers) -> String {
    match headers.get_str("content-type") {
        Some(ct) if !body.is_empty() => format!("{} B  {ct}", body.len()),
        _ => format!("{} B", body.len()),
    }
}

fn id_cell(id: Option<&String>) -> String {
    id.map_or_else(String::new, |id| format!("id {id}"))
}

fn request_row(number: String, r: &SubRequest) -> Row {
    [
        number,
        r.method.to_string(),
        r.target.clone(),
        id_cell(r.id.as_ref()),
        body_cell(&r.body, &r.headers),
    ]
}

fn response_row(number: String, r: &SubResponse) -> Row {
    let reason = r
        .reason
        .clone()
        .or_else(|| r.status.canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    [
        number,
        r.status.as_str().to_owned(),
        reason,
        id_cell(r.id.as_ref()),
        body_cell(&r.body, &r.headers),
    ]
}

/// The JSON document of `docs/inspect-json.md`.
pub(crate) fn json(decoded: &Decoded, out: &mut impl Write) -> io::Result<()> {
    let (kind, items) = match &decoded.message {
        BatchMessage::Request(batch) => ("request", json_items(&batch.items, request_json)),
        BatchMessage::Response(batch) => ("response", json_items(&batch.items, response_json)),
    };
    let tolerated: Vec<Value> = decoded
        .tolerated
        .iter()
        .map(|t| json!({"offset": t.offset, "what": t.kind.to_string()}))
        .collect();
    let doc = json!({
        "kind": kind,
        "format": "multipart",
        "boundary": decoded.boundary,
        "items": items,
        "tolerated": tolerated,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn json_items<T>(items: &[Item<T>], op: impl Fn(&T) -> Value) -> Vec<Value> {
    items
        .iter()
        .map(|item| match item {
            Item::Operation(o) => op(o),
            Item::Group(group) => json!({
                "type": "group",
                "id": group.id,
                "part_headers": header_pairs(&group.part_headers),
                "items": group.operations.iter().map(&op).collect::<Vec<_>>(),
            }),
        })
        .collect()
}

fn header_pairs(headers: &Headers) -> Vec<[String; 2]> {
    headers
        .iter()
        .map(|h| {
            [
                h.name_str().into_owned(),
                String::from_utf8_lossy(h.value()).into_owned(),
            ]
        })
        .collect()
}

fn with_body(
    mut map: Map<String, Value>,
    headers: &Headers,
    part_headers: &Headers,
    body: &[u8],
) -> Value {
    map.insert("headers".into(), json!(header_pairs(headers)));
    map.insert("part_headers".into(), json!(header_pairs(part_headers)));
    map.insert("body_len".into(), json!(body.len()));
    match std::str::from_utf8(body) {
        Ok(text) => map.insert("body".into(), json!(text)),
        Err(_) => map.insert(
            "body_base64".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(body)),
        ),
    };
    Value::Object(map)
}

fn request_json(r: &SubRequest) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!("operation"));
    map.insert("id".into(), json!(r.id));
    map.insert("method".into(), json!(r.method.as_str()));
    map.insert("url".into(), json!(r.target));
    with_body(map, &r.headers, &r.part_headers, &r.body)
}

fn response_json(r: &SubResponse) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!("operation"));
    map.insert("id".into(), json!(r.id));
    map.insert("status".into(), json!(r.status.as_u16()));
    map.insert("reason".into(), json!(r.reason));
    with_body(map, &r.headers, &r.part_headers, &r.body)
}
