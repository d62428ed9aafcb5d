//! Output of `inspect`: a readable table, or the stable JSON document.

use std::io::{self, Write};

use base64::Engine as _;
use batchwire::multipart::{Event, StreamDecoder};
use batchwire::{
    BatchMessage, Extra, Format, Headers, Item, MessageKind, Position, SubRequest, SubResponse,
    Tolerance,
};

use crate::ReadBatch;
use serde_json::{Map, Value, json};

/// What a batch held, for the last line of `inspect` and for `validate`.
#[derive(Debug)]
pub(crate) struct Summary {
    format: Format,
    kind: Option<MessageKind>,
    boundary: Option<String>,
    items: usize,
    operations: usize,
    in_group: bool,
    pub(crate) tolerated: Vec<Tolerance>,
}

impl Summary {
    pub(crate) fn new(format: Format) -> Summary {
        Summary {
            format,
            kind: None,
            boundary: None,
            items: 0,
            operations: 0,
            in_group: false,
            tolerated: Vec::new(),
        }
    }

    /// The summary of a batch read whole.
    pub(crate) fn of(read: &ReadBatch) -> Summary {
        let (items, operations) = match &read.message {
            BatchMessage::Request(b) => (b.items.len(), b.operation_count()),
            BatchMessage::Response(b) => (b.items.len(), b.operation_count()),
        };
        Summary {
            format: read.format,
            kind: Some(read.message.kind()),
            boundary: read.boundary.clone(),
            items,
            operations,
            in_group: false,
            tolerated: read.tolerated.clone(),
        }
    }

    pub(crate) fn count(&mut self, event: &Event) {
        match event {
            Event::GroupStart { .. } => {
                self.items += 1;
                self.in_group = true;
            }
            Event::GroupEnd => self.in_group = false,
            _ => {
                self.operations += 1;
                if !self.in_group {
                    self.items += 1;
                }
            }
        }
    }

    pub(crate) fn finish(&mut self, decoder: &StreamDecoder) {
        self.kind = decoder.kind();
        self.boundary = decoder.boundary().map(str::to_owned);
        self.tolerated = decoder.tolerated().to_vec();
        self.tolerated.sort_by_key(|t| t.offset);
    }

    /// `request batch (multipart, boundary "b"): 5 operations in 4 items`.
    pub(crate) fn line(&self) -> String {
        let kind = self.kind.unwrap_or(MessageKind::Request).as_str();
        let source = match &self.boundary {
            Some(b) => format!("{}, boundary {b:?}", self.format.name()),
            None => self.format.name().to_owned(),
        };
        format!(
            "{kind} batch ({source}): {} operation{} in {} item{}",
            self.operations,
            plural(self.operations),
            self.items,
            plural(self.items)
        )
    }
}

/// Hands the items of a batch read whole to `each` as the events a stream would give.
pub(crate) fn events(
    message: &BatchMessage,
    mut each: impl FnMut(&Event) -> io::Result<()>,
) -> io::Result<()> {
    fn walk<T: Clone>(
        items: &[Item<T>],
        wrap: impl Fn(T) -> Event,
        each: &mut impl FnMut(&Event) -> io::Result<()>,
    ) -> io::Result<()> {
        for item in items {
            match item {
                Item::Operation(op) => each(&wrap(op.clone()))?,
                Item::Group(group) => {
                    each(&Event::GroupStart {
                        part_headers: group.part_headers.clone(),
                        boundary: String::new(),
                    })?;
                    for op in &group.operations {
                        each(&wrap(op.clone()))?;
                    }
                    each(&Event::GroupEnd)?;
                }
            }
        }
        Ok(())
    }
    match message {
        BatchMessage::Request(b) => walk(&b.items, Event::Request, &mut each),
        BatchMessage::Response(b) => walk(&b.items, Event::Response, &mut each),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The readable table, one line per operation as soon as it is read; changesets as a
/// heading with their members numbered under it.
pub(crate) struct Table<'w, W: Write> {
    out: &'w mut W,
    item: usize,
    member: Option<usize>,
}

impl<'w, W: Write> Table<'w, W> {
    pub(crate) fn new(out: &'w mut W) -> Table<'w, W> {
        Table {
            out,
            item: 0,
            member: None,
        }
    }

    pub(crate) fn row(&mut self, event: &Event) -> io::Result<()> {
        let (verb, target, id, body, headers, notes) = match event {
            Event::GroupStart { .. } => {
                self.item += 1;
                self.member = Some(0);
                return writeln!(self.out, "{:<6}changeset", self.item);
            }
            Event::GroupEnd => {
                self.member = None;
                return Ok(());
            }
            Event::Request(r) => (
                r.method.to_string(),
                r.target.clone(),
                r.id.as_ref(),
                &r.body,
                &r.headers,
                notes(&r.depends_on, &r.extra),
            ),
            // A position that produced no response (a Meta `null`): not a status.
            Event::Response(r) if r.omitted => (
                "-".to_owned(),
                "no response".to_owned(),
                r.id.as_ref(),
                &r.body,
                &r.headers,
                notes(&[], &r.extra),
            ),
            Event::Response(r) => (
                r.status.as_str().to_owned(),
                r.reason_str()
                    .or_else(|| r.status.canonical_reason().map(Into::into))
                    .unwrap_or_default()
                    .into_owned(),
                r.id.as_ref(),
                &r.body,
                &r.headers,
                notes(&[], &r.extra),
            ),
            _ => return Ok(()),
        };
        let number = if let Some(member) = self.member.as_mut() {
            *member += 1;
            format!("{}.{member}", self.item)
        } else {
            self.item += 1;
            self.item.to_string()
        };
        let id = id.map_or_else(String::new, |id| format!("id {id}"));
        let line = format!(
            "{number:<6}{verb:<7} {target:<40} {id:<8} {}{notes}",
            body_cell(body, headers)
        );
        writeln!(self.out, "{}", line.trim_end())
    }
}

/// `  depends on a, b  extra if, @odata.etag`: what a row shows beyond the request line.
fn notes(depends_on: &[String], extra: &Extra) -> String {
    let mut notes = String::new();
    if !depends_on.is_empty() {
        notes.push_str("  depends on ");
        notes.push_str(&depends_on.join(", "));
    }
    if !extra.is_empty() {
        let names: Vec<&str> = extra.iter().map(|(name, _)| name).collect();
        notes.push_str("  extra ");
        notes.push_str(&names.join(", "));
    }
    notes
}

fn body_cell(body: &[u8], headers: &Headers) -> String {
    match headers.get_str("content-type") {
        Some(ct) if !body.is_empty() => format!("{} B  {ct}", body.len()),
        _ => format!("{} B", body.len()),
    }
}

/// The JSON document of `docs/inspect-json.md`.
pub(crate) fn json(decoded: &ReadBatch, out: &mut impl Write) -> io::Result<()> {
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
        "format": decoded.format.name(),
        "boundary": decoded.boundary,
        "items": items,
        "tolerated": tolerated,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn json_items<T>(items: &[Item<T>], op: impl Fn(&T, Position) -> Value) -> Vec<Value> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Item::Operation(o) => op(o, Position::item(i)),
            Item::Group(group) => json!({
                "type": "group",
                "position": Position::item(i).to_string(),
                "id": group.id,
                "part_headers": header_pairs(&group.part_headers),
                "extra": extra_json(&group.extra),
                "items": group
                    .operations
                    .iter()
                    .enumerate()
                    .map(|(j, o)| op(o, Position::member(i, j)))
                    .collect::<Vec<_>>(),
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

/// Extra members as an object of name to value: the JSON text as written, parsed.
fn extra_json(extra: &Extra) -> Value {
    let members = extra
        .iter()
        .map(|(name, json)| {
            let value = serde_json::from_slice(json)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(json).into_owned()));
            (name.to_owned(), value)
        })
        .collect();
    Value::Object(members)
}

fn with_body(
    mut map: Map<String, Value>,
    headers: &Headers,
    part_headers: &Headers,
    body: &[u8],
    extra: &Extra,
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
    map.insert("extra".into(), extra_json(extra));
    Value::Object(map)
}

fn request_json(r: &SubRequest, position: Position) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!("operation"));
    map.insert("position".into(), json!(position.to_string()));
    map.insert("id".into(), json!(r.id));
    map.insert("method".into(), json!(r.method.as_str()));
    map.insert("url".into(), json!(r.target));
    map.insert("depends_on".into(), json!(r.depends_on));
    with_body(map, &r.headers, &r.part_headers, &r.body, &r.extra)
}

fn response_json(r: &SubResponse, position: Position) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!("operation"));
    map.insert("position".into(), json!(position.to_string()));
    map.insert("id".into(), json!(r.id));
    // A position that produced no response has no status.
    let status = (!r.omitted).then(|| r.status.as_u16());
    map.insert("status".into(), json!(status));
    map.insert("reason".into(), json!(r.reason_str()));
    with_body(map, &r.headers, &r.part_headers, &r.body, &r.extra)
}
