//! Decodes a generated 1 GiB batch response fed in 64 KiB chunks and reports the decoder's
//! peak buffered bytes and the process's peak resident memory.
//!
//! ```text
//! cargo run --release -p batchwire-multipart --example stream_memory [SIZE_MIB]
//! ```
//!
//! The batch is made on the fly, chunk by chunk, so the only large memory is the decoder's.

use batchwire_multipart::{DecodeOptions, Event, Status, StreamDecoder};

const CHUNK: usize = 64 << 10;

/// Parts of ~1 KiB, and every 1000th a 4 MiB one, cycled until `size` bytes.
struct Generator {
    size: usize,
    made: usize,
    part: usize,
    pending: Vec<u8>,
    largest: usize,
    closed: bool,
}

impl Generator {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> bool {
        out.clear();
        while out.len() < CHUNK {
            if self.pending.is_empty() {
                if self.closed {
                    break;
                }
                if self.made >= self.size {
                    self.pending.extend_from_slice(b"--b--\r\n");
                    self.closed = true;
                } else {
                    let body = if self.part % 1000 == 999 {
                        4 << 20
                    } else {
                        1000
                    };
                    self.pending.extend_from_slice(
                        b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n",
                    );
                    self.pending.extend(std::iter::repeat_n(b'x', body));
                    self.pending.extend_from_slice(b"\r\n");
                    self.largest = self.largest.max(self.pending.len());
                    self.part += 1;
                }
                self.made += self.pending.len();
                self.pending.reverse();
            }
            let take = (CHUNK - out.len()).min(self.pending.len());
            let at = self.pending.len() - take;
            out.extend(self.pending[at..].iter().rev());
            self.pending.truncate(at);
        }
        !out.is_empty()
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args().nth(1).map_or(Ok(1024), |a| a.parse())?;
    let mut generator = Generator {
        size: mib << 20,
        made: 0,
        part: 0,
        pending: Vec::new(),
        largest: 0,
        closed: false,
    };
    // A stream consumer keeps no item, so the bound on parts, which protects callers that
    // collect a whole batch, is lifted; every other limit stays.
    let options = DecodeOptions::strict()
        .with_limits(batchwire_core::Limits::default().with_max_parts(usize::MAX));
    let mut decoder = StreamDecoder::new(Some(b"multipart/mixed; boundary=b"), &options)?;
    let (mut responses, mut body_bytes, mut peak_buffered, mut fed) =
        (0usize, 0usize, 0usize, 0usize);
    let mut chunk = Vec::with_capacity(CHUNK);
    let rss_before = peak_rss_kib();
    loop {
        let more = generator.next_chunk(&mut chunk);
        if more {
            fed += chunk.len();
            decoder.feed(&chunk);
        } else {
            decoder.finish();
        }
        peak_buffered = peak_buffered.max(decoder.buffered());
        loop {
            match decoder.next_event()? {
                Status::Event(Event::Response(r)) => {
                    responses += 1;
                    body_bytes += r.body.len();
                }
                Status::Event(_) => {}
                Status::NeedMore => break,
                Status::End => {
                    println!(
                        "input:              {fed} bytes in {} KiB chunks",
                        CHUNK >> 10
                    );
                    println!("responses:          {responses} ({body_bytes} body bytes)");
                    println!("largest part:       {} bytes", generator.largest);
                    println!(
                        "peak buffered:      {peak_buffered} bytes (largest part + one chunk = {})",
                        generator.largest + CHUNK
                    );
                    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
                        println!("peak RSS:           {after} KiB (at start: {before} KiB)");
                    }
                    return Ok(());
                }
            }
        }
        if !more {
            return Err("the decoder wants more input after the end".into());
        }
    }
}
