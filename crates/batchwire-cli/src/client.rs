//! The client's commands: `batchwire correlate` (what happened to each request of a batch,
//! from the request sent and the response that came back), `split` (batches that fit a
//! service's limits) and `retry` (the batch to send again, and when).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use batchwire::client::{Correlation, Outcome, Profile, RetryOptions, correlate, retry, split};
use batchwire::{
    BatchMessage, BatchRequest, DecodeOptions, Dialect, Format, MessageKind, Position, WriteOptions,
};
use bytes::Bytes;
use clap::Args;
use serde_json::{Value, json};

use crate::{finish_output, parse_format, report_error, report_written, warn};

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

/// The request sent and the response that came back, or the exit code of bad input.
struct Exchange {
    sent: BatchRequest,
    answer: batchwire::BatchResponse,
    format: Format,
}

/// Runs `then` on the exchange the arguments name and what happened to each of its requests;
/// the exit code of bad input without running it.
fn with_correlation(
    args: &CorrelateArgs,
    then: impl FnOnce(&Exchange, &Correlation<'_>) -> Result<ExitCode, String>,
) -> Result<ExitCode, String> {
    let exchange = match exchange(args)? {
        Ok(exchange) => exchange,
        Err(code) => return Ok(code),
    };
    let correlation = correlate(
        &exchange.sent,
        &exchange.answer,
        exchange.format,
        SystemTime::now(),
    );
    then(&exchange, &correlation)
}

/// Exit 0 when every request succeeded, 1 when any did not, 2 on bad input.
pub(crate) fn run(args: &CorrelateArgs) -> Result<ExitCode, String> {
    with_correlation(args, |_, correlation| {
        let mut out = io::stdout().lock();
        let written = if args.json {
            serde_json::to_writer_pretty(&mut out, &document(correlation))
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        } else {
            table(correlation, &mut out)
        };
        finish_output(written.and_then(|()| out.flush()))?;
        Ok(if correlation.all_succeeded() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// `batchwire retry`: the batch to send again on standard output, in the request's format,
/// and `retry after N s` on standard error; exit 0, or 3 when there is nothing to send again.
pub(crate) fn run_retry(args: &CorrelateArgs) -> Result<ExitCode, String> {
    with_correlation(args, |exchange, correlation| {
        let Some(again) = retry(&exchange.sent, correlation, &RetryOptions::default()) else {
            eprintln!("nothing to retry");
            return Ok(ExitCode::from(3));
        };
        let options = WriteOptions::default();
        let written = match batchwire::encode(&again.batch, exchange.format, &options) {
            Ok(written) => written,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        report_written(&written);
        eprintln!("retry after {} s", again.delay.as_secs_f64());
        let mut out = io::stdout().lock();
        finish_output(out.write_all(&written.body).and_then(|()| out.flush()))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Reads both sides of the exchange.
fn exchange(args: &CorrelateArgs) -> Result<Result<Exchange, ExitCode>, String> {
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
        Err(e) => return Ok(Err(bad_input(&e))),
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
        Err(e) => return Ok(Err(bad_input(&e))),
    }) else {
        unreachable!("the kind was required")
    };
    if args.continue_on_error {
        sent.options.continue_on_error = Some(true);
    }
    Ok(Ok(Exchange {
        sent,
        answer,
        format,
    }))
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

/// The arguments of `batchwire split`.
#[derive(Clone, Debug, Args)]
pub(crate) struct SplitArgs {
    /// The batch request to split.
    file: PathBuf,
    /// The service whose limits the batches must fit: odata, msgraph, salesforce-composite,
    /// salesforce-composite-batch, salesforce-composite-graph, asana, meta-graph, google,
    /// azure-blob, dataverse.
    #[arg(long, value_name = "P")]
    profile: String,
    /// The most operations in one batch (instead of the profile's).
    #[arg(long, value_name = "N")]
    max_ops: Option<usize>,
    /// The most bytes of one written batch.
    #[arg(long, value_name = "N")]
    max_bytes: Option<usize>,
    /// Where to write `001.<ext>`, `002.<ext>`… (and, for multipart, `001.content-type`).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// The request's Content-Type (for multipart, with its boundary).
    #[arg(long, value_name = "CT")]
    content_type: Option<String>,
}

/// `batchwire split`: exit 0 with one line per batch written, 2 when a group or a chain does
/// not fit, or on bad input.
pub(crate) fn run_split(args: &SplitArgs) -> Result<ExitCode, String> {
    let mut profile: Profile = args.profile.parse().map_err(|e| format!("{e}"))?;
    if let Some(max) = args.max_ops {
        profile = profile.with_max_operations(max);
    }
    if let Some(max) = args.max_bytes {
        profile = profile.with_max_bytes(max);
    }
    let options = DecodeOptions::lenient().with_kind(MessageKind::Request);
    let read = match read(&args.file, None, args.content_type.as_ref(), &options)? {
        Ok(read) => read,
        Err(e) => return Ok(bad_input(&e)),
    };
    let (BatchMessage::Request(batch), read_as) = read else {
        unreachable!("the kind was required")
    };
    // An OData batch keeps its version: the `odata` profile is V4's by default only.
    if let (
        Format::Multipart(Dialect::OdataV4),
        Format::Multipart(d @ (Dialect::OdataV2 | Dialect::OdataV3)),
    ) = (profile.format, read_as)
    {
        profile.format = Format::Multipart(d);
    }
    if profile.refuse_empty && batch.operation_count() == 0 {
        eprintln!("error: {} refuses an empty batch", profile.name);
        return Ok(ExitCode::from(2));
    }
    // What the service would refuse in an operation, whatever the split; what splitting
    // mends (the batch's size) is said below if it cannot be mended.
    for violation in profile
        .check(&batch)
        .iter()
        .filter(|v| v.position.is_some())
    {
        eprintln!("warning: {violation}");
    }
    let write = |b: &BatchRequest| batchwire::encode(b, profile.format, &WriteOptions::default());
    let parts = match split(&batch, &profile, |b| write(b).map(|w| w.body.len())) {
        Ok(parts) => parts,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.out_dir.display()))?;
    let ext = if profile.format.is_multipart() {
        "batch"
    } else {
        "json"
    };
    let mut out = io::stdout().lock();
    for (n, part) in parts.iter().enumerate() {
        let written = match write(part) {
            Ok(written) => written,
            Err(e) => {
                eprintln!("error: batch {:03}: {e}", n + 1);
                return Ok(ExitCode::from(2));
            }
        };
        for loss in &written.report {
            eprintln!("warning: batch {:03}: {loss}", n + 1);
        }
        let file = args.out_dir.join(format!("{:03}.{ext}", n + 1));
        std::fs::write(&file, &written.body)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        if profile.format.is_multipart() {
            let ct = args.out_dir.join(format!("{:03}.content-type", n + 1));
            std::fs::write(&ct, format!("{}\n", written.content_type()))
                .map_err(|e| format!("cannot write {}: {e}", ct.display()))?;
        }
        let ops = part.operation_count();
        finish_output(writeln!(
            out,
            "{:03} {ops} operation{} {} bytes",
            n + 1,
            if ops == 1 { "" } else { "s" },
            written.body.len()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
