//! `batchwire correlate`: what happened to each request of a batch, from the request sent and
//! the response that came back.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use batchwire::client::{Correlation, Outcome, correlate};
use batchwire::{BatchMessage, DecodeOptions, Dialect, Format, MessageKind, Position};
use bytes::Bytes;
use clap::Args;
use serde_json::{Value, json};

use crate::{finish_output, parse_format, report_error, warn};

/// The arguments of `batchwire correlate`.
#[derive(Clone, Debug, Args)]
pub(crate) struct CorrelateArgs {
    /// The batch request that was sent.
    request: PathBuf,
    /// The batch response that came back.
    response: PathBuf,
    /// The format of both: auto (told from the content types and the payloads), multipart,
    /// odata-json, msgraph, the Salesforce formats, asana or meta-graph.
    #[arg(long, value_name = "F", default_value = "auto")]
    format: String,
    /// The multipart dialect, for its reading rules.
    #[arg(long, value_name = "D")]
    dialect: Option<Dialect>,
    /// The request's Content-Type (for multipart, with its boundary).
    #[arg(long, value_name = "CT")]
    request_content_type: Option<String>,
    /// The response's Content-Type (for multipart, with its boundary).
    #[arg(long, value_name = "CT")]
    response_content_type: Option<String>,
    /// The request asked the server to go on after a failure (OData's
    /// `Prefer: odata.continue-on-error`): a request without an answer is then missing,
    /// not stopped.
    #[arg(long)]
    continue_on_error: bool,
    /// Print one JSON document (docs/client.md).
    #[arg(long)]
    json: bool,
}

/// Reads one side of the exchange.
fn read(
    path: &PathBuf,
    format: Option<Format>,
    content_type: Option<&String>,
    options: &DecodeOptions,
) -> Result<Result<(BatchMessage, Format), batchwire::ParseError>, String> {
    let body = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let content_type = content_type.map(String::as_bytes);
    Ok(
        batchwire::decode(format, content_type, &Bytes::from(body), options).map(|decoded| {
            warn(&decoded.tolerated);
            (decoded.message, decoded.format)
        }),
    )
}

/// Exit 0 when every request succeeded, 1 when any did not, 2 on bad input.
pub(crate) fn run(args: &CorrelateArgs) -> Result<ExitCode, String> {
    let named = if args.format == "auto" {
        None
    } else {
        Some(parse_format(&args.format)?)
    };
    let mut options = DecodeOptions::lenient();
    if let Some(dialect) = args.dialect {
        options = options.with_dialect(dialect);
    }
    let sent = read(
        &args.request,
        named,
        args.request_content_type.as_ref(),
        &options.clone().with_kind(MessageKind::Request),
    )?;
    let (BatchMessage::Request(mut sent), format) = (match sent {
        Ok(read) => read,
        Err(e) => return Ok(bad_input(&e)),
    }) else {
        unreachable!("the kind was required")
    };
    let answer = read(
        &args.response,
        Some(named.unwrap_or(format)),
        args.response_content_type.as_ref(),
        &options.with_kind(MessageKind::Response),
    )?;
    let (BatchMessage::Response(answer), _) = (match answer {
        Ok(read) => read,
        Err(e) => return Ok(bad_input(&e)),
    }) else {
        unreachable!("the kind was required")
    };
    if args.continue_on_error {
        sent.options.continue_on_error = Some(true);
    }
    let correlation = correlate(&sent, &answer, format, SystemTime::now());
    let mut out = io::stdout().lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &document(&correlation))
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        table(&correlation, &mut out)
    };
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(if correlation.all_succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn bad_input(error: &batchwire::ParseError) -> ExitCode {
    report_error(error);
    ExitCode::from(2)
}

fn seconds(outcome: &Outcome) -> Option<f64> {
    match outcome {
        Outcome::Throttled { retry_after } => retry_after.map(|d| d.as_secs_f64()),
        _ => None,
    }
}

/// The document of `docs/client.md`.
fn document(c: &Correlation<'_>) -> Value {
    let outcomes: Vec<Value> = c
        .outcomes
        .iter()
        .map(|o| {
            let error = match &o.outcome {
                Outcome::Failed { error: Some(e) } => {
                    json!({"code": e.code, "message": e.message})
                }
                _ => Value::Null,
            };
            json!({
                "position": o.position.to_string(),
                "id": o.request.id,
                "method": o.request.method.as_str(),
                "url": o.request.target,
                "outcome": o.outcome.name(),
                "status": o.response.filter(|r| !r.omitted).map(|r| r.status.as_u16()),
                "cause": o.outcome.cause().map(|p: Position| p.to_string()),
                "retry_after_s": seconds(&o.outcome),
                "error": error,
            })
        })
        .collect();
    let unmatched: Vec<Value> = c
        .unmatched
        .iter()
        .map(|u| {
            json!({
                "position": u.position.to_string(),
                "id": u.response.id,
                "status": u.response.status.as_u16(),
            })
        })
        .collect();
    json!({
        "outcomes": outcomes,
        "unmatched_responses": unmatched,
        "problems": c.problems,
    })
}

/// `2.1   POST    Customers      failed             400  ASSERT_FORMAT: Enter a value…`
fn table(c: &Correlation<'_>, out: &mut impl Write) -> io::Result<()> {
    for o in &c.outcomes {
        let status = o
            .response
            .filter(|r| !r.omitted)
            .map_or_else(|| "-".to_owned(), |r| r.status.as_str().to_owned());
        let detail = match &o.outcome {
            Outcome::Failed { error: Some(e) } => {
                let code = e.code.as_deref().unwrap_or("");
                let message = e.message.as_deref().unwrap_or("");
                format!("{code}{}{message}", if code.is_empty() { "" } else { ": " })
            }
            Outcome::Throttled {
                retry_after: Some(delay),
            } => format!("retry after {} s", delay.as_secs_f64()),
            other => other
                .cause()
                .map_or_else(String::new, |cause| format!("because of {cause}")),
        };
        let line = format!(
            "{:<6}{:<7} {:<32} {:<18} {status:<4} {detail}",
            o.position.to_string(),
            o.request.method.as_str(),
            o.request.target,
            o.outcome.name()
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    for u in &c.unmatched {
        writeln!(
            out,
            "unmatched response at {} (id {:?}, status {})",
            u.position, u.response.id, u.response.status
        )?;
    }
    for problem in &c.problems {
        writeln!(out, "problem: {problem}")?;
    }
    let ok = c
        .outcomes
        .iter()
        .filter(|o| o.outcome == Outcome::Succeeded)
        .count();
    writeln!(out, "{ok} of {} requests succeeded", c.outcomes.len())
}
