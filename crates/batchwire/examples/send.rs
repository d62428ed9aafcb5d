//! Sends a batch file to a `$batch` URL and prints what happened to each request.
//!
//! ```text
//! cargo run -p batchwire --features reqwest --example send -- URL FILE [FORMAT] [PROFILE]
//! ```
//!
//! `FILE` is a batch request in any format (told from its bytes; `FORMAT` names it, and the
//! format written, when the bytes cannot: `msgraph`); `PROFILE` splits it to a service's
//! limits (`msgraph`, `salesforce-composite`, `google`…). What was throttled is sent again,
//! twice at most.

use std::process::ExitCode;

use batchwire::client::Profile;
use batchwire::{BatchMessage, DecodeOptions, Format, MessageKind, SendOptions, send};
use bytes::Bytes;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, file, rest @ ..] = args.as_slice() else {
        eprintln!("usage: send URL FILE [FORMAT] [PROFILE]");
        return ExitCode::from(2);
    };
    match run(url, file, rest.first(), rest.get(1)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(
    url: &str,
    file: &str,
    format: Option<&String>,
    profile: Option<&String>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let body = Bytes::from(std::fs::read(file)?);
    let format: Option<Format> = format.map(|f| f.parse()).transpose()?;
    let options = DecodeOptions::lenient().with_kind(MessageKind::Request);
    let decoded = batchwire::decode(format, None, &body, &options)?;
    let BatchMessage::Request(batch) = decoded.message else {
        return Err("not a batch of requests".into());
    };
    let mut send_options = SendOptions::new(format.unwrap_or(decoded.format)).with_retries(2);
    if let Some(profile) = profile {
        send_options = send_options.with_profile(profile.parse::<Profile>()?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exchanges = runtime.block_on(send(&reqwest::Client::new(), url, &batch, &send_options))?;
    let mut all = true;
    for (n, exchange) in exchanges.iter().enumerate() {
        let correlation = exchange.correlation();
        all &= correlation.all_succeeded();
        println!("batch {}", n + 1);
        for o in &correlation.outcomes {
            let status = o.response.map_or(0, |r| r.status.as_u16());
            println!(
                "  {:<6}{:<18}{status}",
                o.position.to_string(),
                o.outcome.name()
            );
        }
    }
    Ok(all)
}
