//! The `batchwire` command: inspect, validate and convert HTTP batch envelopes.
//!
//! ```text
//! batchwire inspect  [FILE|-] [--content-type CT] [--dialect D] [--strict] [--request|--response] [--json]
//! batchwire validate [FILE|-] [--content-type CT] [--dialect D] [--strict] [--request|--response]
//! batchwire convert  [FILE|-] --to multipart [--dialect D] [--boundary B] [--content-type CT] [--strict]
//! ```
//!
//! `inspect --json` prints the document described in `docs/inspect-json.md`, whose shape is
//! stable. Exit status: 0 on success, 1 when the input is not a valid batch, 2 on a usage
//! or I/O error.
#![forbid(unsafe_code)]

mod render;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use batchwire::multipart::{
    self, DecodeOptions, Decoded, Dialect, Event, Status, StreamDecoder, WriteOptions,
};
use batchwire::{Format, MessageKind};
use bytes::Bytes;
use clap::{Args, Parser, Subcommand};

/// Inspect, validate and convert HTTP batch envelopes (OData $batch, Google and Azure batches).
#[derive(Debug, Parser)]
#[command(name = "batchwire", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the items of a batch: a table, or a JSON document with --json.
    Inspect {
        #[command(flatten)]
        input: InputArgs,
        /// Print one JSON document (the stable format of docs/inspect-json.md).
        #[arg(long)]
        json: bool,
    },
    /// Check a batch: exit 0 with a summary when valid, 1 with the located error when not.
    Validate {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Read a batch and write it in another format or dialect: the body on standard output,
    /// its Content-Type (and anything the target cannot carry) on standard error.
    Convert {
        #[command(flatten)]
        input: InputArgs,
        /// The format to write: multipart.
        #[arg(long, value_name = "F")]
        to: String,
        /// The batch boundary to write (default: a fresh one).
        #[arg(long, value_name = "B")]
        boundary: Option<String>,
    },
}

#[derive(Clone, Debug, Args)]
struct InputArgs {
    /// The payload file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// The batch's Content-Type (with its boundary); without it the boundary is taken from
    /// the first delimiter line.
    #[arg(long, value_name = "CT")]
    content_type: Option<String>,
    /// The payload format: multipart or auto.
    #[arg(long, value_name = "F", default_value = "auto")]
    format: String,
    /// Rules of one flavour of batch: odata-v2, odata-v3, odata-v4, google, azure.
    #[arg(long, value_name = "D")]
    dialect: Option<Dialect>,
    /// Follow RFC 2046, RFC 9110/9112 and the OData batch rules to the letter.
    #[arg(long)]
    strict: bool,
    /// The payload holds requests (detected from the first start line otherwise).
    #[arg(long, conflicts_with = "response")]
    request: bool,
    /// The payload holds responses.
    #[arg(long)]
    response: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Command::Inspect { input, json: true } => {
            let payload = read_input(input.file.as_ref())?;
            let decoded = match decode(input, &payload)? {
                Ok(decoded) => decoded,
                Err(e) => return Ok(report_error(&e)),
            };
            let mut out = io::stdout().lock();
            finish_output(render::json(&decoded, &mut out).and_then(|()| out.flush()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { input, json: false } => {
            let mut out = io::stdout().lock();
            let mut table = render::Table::new(&mut out);
            let outcome = stream(input, |event| table.row(event))?;
            finish_output(Ok(()))?;
            match outcome {
                Ok(summary) => {
                    for t in &summary.tolerated {
                        eprintln!("warning: {t}");
                    }
                    finish_output(writeln!(out, "{}", summary.line()).and_then(|()| out.flush()))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(report_error(&e)),
            }
        }
        Command::Convert {
            input,
            to,
            boundary,
        } => {
            let payload = read_input(input.file.as_ref())?;
            // `--dialect` names the dialect written; the input is read by the common rules.
            let reading = InputArgs {
                dialect: None,
                ..input.clone()
            };
            let decoded = match decode(&reading, &payload)? {
                Ok(decoded) => decoded,
                Err(e) => return Ok(report_error(&e)),
            };
            for t in &decoded.tolerated {
                eprintln!("warning: {t}");
            }
            if to != "multipart" {
                return Err(format!(
                    "unknown format {to:?} to write: expected multipart"
                ));
            }
            let mut options = WriteOptions::new(input.dialect.unwrap_or_default());
            if let Some(b) = boundary {
                options = options.with_boundary(b.clone());
            }
            let written = match multipart::write_message(&decoded.message, &options) {
                Ok(written) => written,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            for dropped in &written.report.dropped {
                eprintln!("warning: {dropped}");
            }
            for (name, value) in &written.headers {
                eprintln!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
            }
            let mut out = io::stdout().lock();
            finish_output(out.write_all(&written.body).and_then(|()| out.flush()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { input } => match stream(input, |_| Ok(()))? {
            Ok(summary) => {
                for t in &summary.tolerated {
                    eprintln!("warning: {t}");
                }
                let mode = if input.strict { "strict" } else { "lenient" };
                println!("valid: {} ({mode})", summary.line());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => Ok(report_error(&e)),
        },
    }
}

/// A reader such as `head` that stops early is not a failure.
fn finish_output(written: io::Result<()>) -> Result<(), String> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| format!("cannot write the output: {e}")),
    }
}

/// Reads the input chunk by chunk with the incremental decoder, handing each event to
/// `each` as soon as it is complete; the outer error is a usage or I/O error.
fn stream(
    input: &InputArgs,
    mut each: impl FnMut(&Event) -> io::Result<()>,
) -> Result<Result<render::Summary, batchwire::ParseError>, String> {
    const CHUNK: usize = 64 << 10;
    let mut reader: Box<dyn Read> = match &input.file {
        Some(path) if path.as_os_str() != "-" => Box::new(
            std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        _ => Box::new(io::stdin().lock()),
    };
    let content_type = input.content_type.as_deref().map(str::as_bytes);
    let mut chunk = vec![0; CHUNK];
    let mut first = true;
    let mut decoder: Option<StreamDecoder> = None;
    let mut summary = render::Summary::default();
    loop {
        let n = loop {
            match reader.read(&mut chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the input: {e}")),
            }
        };
        if first {
            first = false;
            check_format(input, content_type, &chunk[..n])?;
            decoder = match StreamDecoder::new(content_type, &options(input)) {
                Ok(d) => Some(d),
                Err(e) => return Ok(Err(e)),
            };
        }
        let Some(decoder) = decoder.as_mut() else {
            return Err("the decoder was not made".into());
        };
        if n == 0 {
            decoder.finish();
        } else {
            decoder.feed(&chunk[..n]);
        }
        loop {
            match decoder.next_event() {
                Ok(Status::Event(event)) => {
                    summary.count(&event);
                    finish_output(each(&event))?;
                }
                Ok(Status::NeedMore) => break,
                Ok(Status::End) => {
                    summary.finish(decoder);
                    return Ok(Ok(summary));
                }
                Err(e) => return Ok(Err(e)),
            }
        }
        if n == 0 {
            return Err("the decoder wants more input after the end".into());
        }
    }
}

fn options(input: &InputArgs) -> DecodeOptions {
    let mut options = if input.strict {
        DecodeOptions::strict()
    } else {
        DecodeOptions::lenient()
    };
    if let Some(dialect) = input.dialect {
        options = options.with_dialect(dialect);
    }
    if input.request {
        options = options.with_kind(MessageKind::Request);
    } else if input.response {
        options = options.with_kind(MessageKind::Response);
    }
    options
}

/// The format named or detected must be one this command streams.
fn check_format(input: &InputArgs, content_type: Option<&[u8]>, head: &[u8]) -> Result<(), String> {
    let format = match input.format.as_str() {
        "auto" => Format::detect(content_type, head).ok_or_else(|| {
            "cannot tell the format of the payload: give --format or --content-type".to_owned()
        })?,
        "multipart" => Format::Multipart,
        other => {
            return Err(format!(
                "unknown format {other:?}: expected multipart or auto"
            ));
        }
    };
    match format {
        Format::Multipart => Ok(()),
        _ => Err(format!("the {} format cannot be read yet", format.name())),
    }
}

fn report_error(error: &batchwire::ParseError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

fn read_input(file: Option<&PathBuf>) -> Result<Bytes, String> {
    let mut buf = Vec::new();
    match file {
        Some(path) if path.as_os_str() != "-" => {
            buf =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        _ => {
            io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
        }
    }
    Ok(Bytes::from(buf))
}

/// Decodes the whole payload; the outer error is a usage error, the inner one a payload
/// error.
fn decode(
    input: &InputArgs,
    payload: &Bytes,
) -> Result<Result<Decoded, batchwire::ParseError>, String> {
    let content_type = input.content_type.as_deref().map(str::as_bytes);
    check_format(input, content_type, payload)?;
    Ok(multipart::decode(payload, content_type, &options(input)))
}
