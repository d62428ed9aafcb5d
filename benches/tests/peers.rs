//! The peers of the comparison bench read what batchwire reads: the same responses, with the
//! same statuses and bodies, in the same order. A peer that cannot read an input says why here.

#[path = "../benches/peers/mod.rs"]
mod peers;

use batchwire_bench::{composite_inputs, multipart_inputs};
use batchwire_core::BatchMessage;
use batchwire_multipart::DecodeOptions;

/// (status, body) of every response batchwire reads from a multipart input.
fn ours(input: &batchwire_bench::MultipartInput) -> Vec<(u16, Vec<u8>)> {
    let decoded = batchwire_multipart::decode(
        &input.body,
        Some(input.content_type.as_bytes()),
        &DecodeOptions::default(),
    )
    .unwrap();
    let BatchMessage::Response(batch) = decoded.message else {
        panic!("{}: a response batch", input.name)
    };
    batch
        .operations()
        .map(|r| (r.status.as_u16(), r.body.to_vec()))
        .collect()
}

fn summary(parts: &[peers::Part<'_>]) -> Vec<(u16, Vec<u8>)> {
    parts
        .iter()
        .map(|p| (p.status(), p.body.to_vec()))
        .collect()
}

#[test]
fn memmem_httparse_reads_every_input_as_batchwire_does() {
    for input in multipart_inputs() {
        let parts = peers::memmem_split(&input.body, &input.boundary).unwrap();
        assert_eq!(summary(&parts), ours(&input), "{}", input.name);
    }
}

#[test]
fn mail_parser_reads_every_input_as_batchwire_does() {
    for input in multipart_inputs() {
        let entity = peers::mail_entity(&input.content_type, &input.body);
        let raw = peers::mail_parser_split(&entity).unwrap();
        let parts = peers::http_parts(&raw).unwrap();
        assert_eq!(summary(&parts), ours(&input), "{}", input.name);
    }
}

#[test]
fn multer_reads_crlf_inputs_as_batchwire_does() {
    for input in multipart_inputs() {
        let fields = peers::multer_split(input.body.clone(), &input.boundary);
        if input.name == "lf-only" {
            // multer looks for CRLF before each delimiter and for the CRLF CRLF that ends the
            // part headers: bare LF is not multipart to it.
            assert_eq!(fields.unwrap_err(), "incomplete multipart stream");
            continue;
        }
        let fields = fields.unwrap();
        let parts = peers::http_parts(&fields).unwrap();
        assert_eq!(summary(&parts), ours(&input), "{}", input.name);
    }
}

#[test]
fn json_peers_read_every_composite_input_as_batchwire_does() {
    for input in composite_inputs() {
        let decoded =
            batchwire_json::decode(&input.body, input.format, &DecodeOptions::default()).unwrap();
        let BatchMessage::Response(batch) = decoded.message else {
            panic!("{}: a response batch", input.name)
        };
        let ours: Vec<(u16, &[u8])> = batch
            .operations()
            .map(|r| (r.status.as_u16(), &r.body[..]))
            .collect();

        let typed = peers::serde_raw(&input.body).unwrap();
        let theirs: Vec<(u16, &[u8])> = typed
            .composite_response
            .iter()
            .map(|r| {
                (
                    r.http_status_code,
                    r.body.map_or(&b""[..], |b| b.get().as_bytes()),
                )
            })
            .collect();
        assert_eq!(theirs, ours, "serde_json typed, {}", input.name);

        let sonic = peers::sonic_typed(&input.body).unwrap();
        let theirs: Vec<(u16, &[u8])> = sonic
            .composite_response
            .iter()
            .map(|r| {
                let body = r
                    .body
                    .as_ref()
                    .map_or(&b""[..], |b| b.as_raw_str().as_bytes());
                (r.http_status_code, body)
            })
            .collect();
        assert_eq!(theirs, ours, "sonic-rs typed, {}", input.name);

        let value = peers::serde_value(&input.body).unwrap();
        let results = value["compositeResponse"].as_array().unwrap();
        assert_eq!(
            results.len(),
            ours.len(),
            "serde_json Value, {}",
            input.name
        );
        // The Location header of every fifth result is read by all.
        assert_eq!(typed.composite_response[0].http_headers.len(), 1);
        assert_eq!(
            batch.operations().next().unwrap().headers.get("Location"),
            typed.composite_response[0]
                .http_headers
                .get("Location")
                .map(|v| v.as_bytes())
        );
    }
}
