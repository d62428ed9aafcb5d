//! The `reqwest` adapter over real HTTP on loopback: batches split to a profile, answers read
//! as they arrive, and what was throttled sent again. The server answers each POST with the
//! next of its recorded answers and keeps what it was sent.
#![cfg(feature = "reqwest")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use batchwire::client::{Outcome, Profile};
use batchwire::{
    BatchRequest, Dialect, Format, JsonFormat, Position, SendOptions, SubRequest, send,
};
use http::Method;

/// A server on loopback that answers its POSTs with `answers` in turn (content type and
/// body, each sent in small writes), and the bodies it was sent.
fn serve(answers: Vec<(&'static str, String)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/batch", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&received);
    thread::spawn(move || {
        for (content_type, body) in answers {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut sent = vec![0; length];
            reader.read_exact(&mut sent).unwrap();
            keep.lock().unwrap().push(String::from_utf8(sent).unwrap());
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            // In pieces, as a network delivers them: the multipart reader takes them as they come.
            for piece in body.as_bytes().chunks(7) {
                stream.write_all(piece).unwrap();
                stream.flush().unwrap();
            }
        }
    });
    (url, received)
}

fn graph_answer(statuses: &[(usize, u16)]) -> String {
    let responses: Vec<String> = statuses
        .iter()
        .map(|(id, status)| {
            let retry = if *status == 429 {
                r#","headers":{"Retry-After":"0"}"#
            } else {
                ""
            };
            format!(r#"{{"id":"{id}","status":{status}{retry}}}"#)
        })
        .collect();
    format!(r#"{{"responses":[{}]}}"#, responses.join(","))
}

/// Runs a future on a runtime of its own, as a caller without one would.
fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn split_to_graph_limits_and_retry_what_was_throttled() {
    let mut batch = BatchRequest::new();
    for n in 1..=25 {
        batch.push(SubRequest::new(Method::GET, format!("/users/{n}")).with_id(n.to_string()));
    }
    let mut first: Vec<(usize, u16)> = (1..=20).map(|n| (n, 200)).collect();
    first[6].1 = 429;
    let answers = vec![
        ("application/json", graph_answer(&first)),
        ("application/json", graph_answer(&[(7, 200)])),
        (
            "application/json",
            graph_answer(&(21..=25).map(|n| (n, 200)).collect::<Vec<_>>()),
        ),
    ];
    let (url, received) = serve(answers);
    let graph: Profile = "msgraph".parse().unwrap();
    let options = SendOptions::new(Format::Json(JsonFormat::MsGraph))
        .with_profile(graph)
        .with_retries(1);
    let exchanges = block_on(send(&reqwest::Client::new(), &url, &batch, &options)).unwrap();
    assert_eq!(exchanges.len(), 3);
    let throttled: Vec<String> = exchanges[0]
        .correlation()
        .outcomes
        .iter()
        .filter(|o| matches!(o.outcome, Outcome::Throttled { .. }))
        .map(|o| o.position.to_string())
        .collect();
    assert_eq!(throttled, ["7"]);
    assert!(exchanges[1].correlation().all_succeeded());
    assert!(exchanges[2].correlation().all_succeeded());
    // Positions in the batch given: the retried seventh request, then the second part.
    assert_eq!(exchanges[1].positions, [Position::item(6)]);
    assert_eq!(exchanges[2].positions[0], Position::item(20));
    let received = received.lock().unwrap();
    assert_eq!(
        received[1],
        r#"{"requests":[{"id":"7","method":"GET","url":"/users/7"}]}"#
    );
    assert!(received[2].starts_with(r#"{"requests":[{"id":"21","#));
}

#[test]
fn a_multipart_answer_is_read_as_it_arrives() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "Customers(1)"));
    batch.push(SubRequest::new(Method::GET, "Customers(9)"));
    let answer = "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ID\":1}\r\n--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"error\":{\"code\":\"404\",\"message\":\"Not Found\"}}\r\n--b--\r\n";
    let (url, received) = serve(vec![("multipart/mixed; boundary=b", answer.to_owned())]);
    let options = SendOptions::new(Format::Multipart(Dialect::OdataV4));
    let exchanges = block_on(send(&reqwest::Client::new(), &url, &batch, &options)).unwrap();
    let outcomes: Vec<&str> = exchanges[0]
        .correlation()
        .outcomes
        .iter()
        .map(|o| o.outcome.name())
        .collect();
    assert_eq!(outcomes, ["succeeded", "failed"]);
    assert!(received.lock().unwrap()[0].contains("GET Customers(9) HTTP/1.1\r\n"));
}

#[test]
fn requests_without_ids_pair_with_the_ids_the_writer_gave_them() {
    let mut batch = BatchRequest::new();
    batch.push(SubRequest::new(Method::GET, "/a"));
    batch.push(SubRequest::new(Method::GET, "/b"));
    // The answers name the ids OData JSON's writer gave, in another order.
    let answer = r#"{"responses":[{"id":"2","status":404},{"id":"1","status":200}]}"#;
    let (url, _) = serve(vec![("application/json", answer.to_owned())]);
    let options = SendOptions::new(Format::Json(JsonFormat::OdataJson));
    let exchanges = block_on(send(&reqwest::Client::new(), &url, &batch, &options)).unwrap();
    let outcomes: Vec<&str> = exchanges[0]
        .correlation()
        .outcomes
        .iter()
        .map(|o| o.outcome.name())
        .collect();
    assert_eq!(outcomes, ["succeeded", "failed"]);
}
