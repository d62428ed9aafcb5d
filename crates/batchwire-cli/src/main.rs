//! The `batchwire` command: inspect and validate HTTP batch envelopes.
//!
//! ```text
//! batchwire inspect  [FILE|-] [--content-type CT] [--dialect D] [--strict] [--request|--response] [--json]
//! batchwire validate [FILE|-] [--content-type CT] [--dialect D] [--strict] [--request|--response]
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

use batchwire::multipart::{self, DecodeOptions, Decoded, Dialect};
use batchwire::{Format, MessageKind};
use bytes::Bytes;
use clap::{Args, Parser, Subcommand};

/// Inspect and validate HTTP batch envelopes (OData $batch, Google and Azure batches).
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
}

#[derive(Debug, Args)]
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
        Command::Inspect { input, json } => {
            let payload = read_input(input.file.as_ref())?;
            let decoded = match decode(input, &payload)? {
                Ok(decoded) => decoded,
                Err(e) => return Ok(report_error(&e)),
            };
            let mut out = io::stdout().lock();
            let written = if *json {
                render::json(&decoded, &mut out)
            } else {
                warn(&decoded);
                render::table(&decoded, &mut out)
            };
            match written.and_then(|()| out.flush()) {
                // A reader such as `head` that stops early is not a failure.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                other => other.map_err(|e| format!("cannot write the output: {e}"))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { input } => {
            let payload = read_input(input.file.as_ref())?;
            let decoded = match decode(input, &payload)? {
                Ok(decoded) => decoded,
                Err(e) => return Ok(report_error(&e)),
            };
            warn(&decoded);
            println!(
                "valid: {} ({})",
                render::summary(&decoded),
                if input.strict { "strict" } else { "lenient" }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn report_error(error: &batchwire::ParseError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

fn warn(decoded: &Decoded) {
    for t in &decoded.tolerated {
        eprintln!("warning: {t}");
    }
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

/// Decodes the payload; the outer error is a usage error, the inner one a payload error.
fn decode(
    input: &InputArgs,
    payload: &Bytes,
) -> Result<Result<Decoded, batchwire::ParseError>, String> {
    let content_type = input.content_type.as_deref().map(str::as_bytes);
    let format = match input.format.as_str() {
        "auto" => Format::detect(content_type, payload).ok_or_else(|| {
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
        Format::Multipart => {
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
            Ok(multipart::decode(payload, content_type, &options))
        }
        _ => Err(format!("the {} format cannot be read yet", format.name())),
    }
}
