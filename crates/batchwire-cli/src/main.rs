//! The `batchwire` command: inspect, validate and convert HTTP batch envelopes.
//!
//! ```text
//! batchwire inspect  [FILE|-] [--content-type CT] [--format F] [--dialect D] [--strict] [--request|--response] [--json]
//! batchwire validate [FILE|-] [--content-type CT] [--format F] [--dialect D] [--strict] [--request|--response]
//! batchwire convert  [FILE|-] [--from F] --to F [--dialect D] [--boundary B] [--content-type CT] [--strict] [--lenient]
//! batchwire correlate REQUEST RESPONSE [--format F] [--request-content-type CT] [--response-content-type CT] [--json]
//! batchwire split FILE --profile P [--max-ops N] [--max-bytes N] --out-dir DIR [--content-type CT]
//! batchwire retry REQUEST RESPONSE [--format F] [--request-content-type CT] [--response-content-type CT]
//! batchwire serve --demo | --upstream URL [--listen ADDR]
//! ```
//!
//! `inspect --json` prints the document described in `docs/inspect-json.md`, whose shape is
//! stable. Exit status: 0 on success, 1 when the input is not a valid batch (or cannot be
//! written in the format asked for), 2 on a usage or I/O error.
#![forbid(unsafe_code)]

mod client;
mod gateway;
mod render;
mod serve;

use std::io::{self, Read as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use batchwire::multipart::{self, Status, StreamDecoder};
use batchwire::{
    BatchMessage, DecodeOptions, Dialect, Format, MessageKind, ParseError, Tolerance, WriteOptions,
};
use bytes::Bytes;
use clap::{Args, Parser, Subcommand};

/// Inspect, validate and convert HTTP batch envelopes: OData $batch (multipart and JSON),
/// Microsoft Graph, Salesforce Composite, Asana, Meta, Google and Azure batches.
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
    /// Read a batch and write it in another format or dialect: the body on standard output;
    /// its Content-Type, and anything the target cannot carry, on standard error.
    Convert {
        #[command(flatten)]
        input: InputArgs,
        /// The format to write (see --format).
        #[arg(long, value_name = "F")]
        to: String,
        /// The batch boundary to write, for multipart (default: a fresh one).
        #[arg(long, value_name = "B")]
        boundary: Option<String>,
        /// Write what was read even where it breaks a rule of the target (a dangling `$n`,
        /// a duplicate Content-ID, a change outside a changeset in OData V2), each listed as a
        /// warning, instead of refusing: for proxies and converters.
        #[arg(long)]
        lenient: bool,
    },
    /// What happened to each request of a batch, from the request sent and the response that
    /// came back: a table, or a JSON document with --json. Exit 0 when every request
    /// succeeded, 1 when any did not, 2 on bad input.
    Correlate(client::CorrelateArgs),
    /// Split a batch request into batches that fit a service's limits, never splitting an
    /// atomic group or a dependency chain: `DIR/001.<ext>`, `DIR/002.<ext>`… and one line per
    /// batch. Exit 2 when a group or a chain cannot fit.
    Split(client::SplitArgs),
    /// The batch to send again, from the request sent and the response: the throttled
    /// requests and what did not run because of them, on standard output in the request's
    /// format, and `retry after N s` on standard error. Exit 0, or 3 when there is nothing to
    /// send again.
    Retry(client::CorrelateArgs),
    /// Serve a `$batch` endpoint of every format on HTTP: with --demo, in front of an
    /// in-memory JSON document store, the mock server a client developer points their code
    /// at; with --upstream URL, forwarding each sub-request to that service and nowhere else.
    /// Prints its address and serves until stopped; one line per batch on standard error.
    Serve(serve::ServeArgs),
}

#[derive(Clone, Debug, Args)]
struct InputArgs {
    /// The payload file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// The batch's Content-Type (for multipart, with its boundary); without it the boundary
    /// is taken from the first delimiter line.
    #[arg(long, value_name = "CT")]
    content_type: Option<String>,
    /// The payload format: auto, multipart, odata-json, msgraph, salesforce-composite,
    /// salesforce-composite-batch, salesforce-composite-graph, salesforce-sobject-tree,
    /// salesforce-sobject-collections, asana or meta-graph.
    #[arg(long, alias = "from", value_name = "F", default_value = "auto")]
    format: String,
    /// Multipart rules of one flavour: odata-v2, odata-v3, odata-v4, google, azure. For
    /// convert, the dialect written.
    #[arg(long, value_name = "D")]
    dialect: Option<Dialect>,
    /// Follow the specifications to the letter (RFC 2046, RFC 9110/9112, the OData and
    /// vendor rules).
    #[arg(long)]
    strict: bool,
    /// The payload holds requests (detected otherwise).
    #[arg(long, conflicts_with = "response")]
    request: bool,
    /// The payload holds responses.
    #[arg(long)]
    response: bool,
    /// The most parts (operations and changesets) to read [default: 10000].
    #[arg(long, value_name = "N")]
    max_parts: Option<usize>,
    /// The most bytes one body may have [default: 1 GiB].
    #[arg(long, value_name = "N")]
    max_body_bytes: Option<usize>,
    /// The most bytes one header section may have [default: 64 KiB].
    #[arg(long, value_name = "N")]
    max_header_bytes: Option<usize>,
}

impl InputArgs {
    fn content_type(&self) -> Option<&[u8]> {
        self.content_type.as_deref().map(str::as_bytes)
    }

    fn kind(&self) -> Option<MessageKind> {
        if self.request {
            Some(MessageKind::Request)
        } else if self.response {
            Some(MessageKind::Response)
        } else {
            None
        }
    }

    /// The format named; `None` for `auto`.
    fn named_format(&self) -> Result<Option<Format>, String> {
        if self.format == "auto" {
            return Ok(None);
        }
        parse_format(&self.format).map(Some)
    }

    /// How to read: strict or lenient, the dialect, the kind.
    fn options(&self, dialect: Option<Dialect>) -> DecodeOptions {
        let mut options = if self.strict {
            DecodeOptions::strict()
        } else {
            DecodeOptions::lenient()
        };
        if let Some(dialect) = dialect {
            options = options.with_dialect(dialect);
        }
        let mut limits = options.limits;
        limits.max_parts = self.max_parts.unwrap_or(limits.max_parts);
        limits.max_body_bytes = self.max_body_bytes.unwrap_or(limits.max_body_bytes);
        limits.max_header_bytes = self.max_header_bytes.unwrap_or(limits.max_header_bytes);
        options = options.with_limits(limits);
        match self.kind() {
            Some(kind) => options.with_kind(kind),
            None => options,
        }
    }
}

pub(crate) fn parse_format(name: &str) -> Result<Format, String> {
    name.parse::<Format>().map_err(|_| {
        let names: Vec<&str> = Format::names().collect();
        format!(
            "unknown format {name:?}: expected auto or one of {}",
            names.join(", ")
        )
    })
}

/// A batch read whole, in any format.
#[derive(Debug)]
pub(crate) struct ReadBatch {
    pub(crate) message: BatchMessage,
    pub(crate) tolerated: Vec<Tolerance>,
    pub(crate) format: Format,
    /// The multipart boundary, for multipart input.
    pub(crate) boundary: Option<String>,
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
        Command::Inspect { input, json } => inspect(input, *json),
        Command::Validate { input } => validate(input),
        Command::Convert {
            input,
            to,
            boundary,
            lenient,
        } => convert(input, to, boundary.as_deref(), *lenient),
        Command::Correlate(args) => client::run(args),
        Command::Split(args) => client::run_split(args),
        Command::Retry(args) => client::run_retry(args),
        Command::Serve(args) => serve::run(args),
    }
}

/// The format of the input: from its first chunk when that shows a multipart batch (read
/// as it arrives), else from the whole input (a JSON document is read whole anyway, and
/// its top-level members may lie past the first chunk). `None` for an empty input.
fn resolve(input: &InputArgs, source: &mut Source) -> Result<Resolved, String> {
    let named = input.named_format()?;
    let head = source.head()?;
    if head.is_empty() && input.content_type.is_none() {
        return Ok(Resolved::Empty);
    }
    if let Some(format) = named {
        return Ok(Resolved::Format(format));
    }
    if let Some(format @ Format::Multipart(_)) = batchwire::detect(input.content_type(), &head) {
        return Ok(Resolved::Format(format));
    }
    let whole = source.buffer_all()?;
    Ok(match batchwire::detect(input.content_type(), &whole) {
        Some(format) => Resolved::Format(format),
        // The facade's decode says why: a JSON syntax error, or what the payload starts with.
        None => Resolved::Unknown,
    })
}

/// What the input is, as far as can be told before reading it.
enum Resolved {
    /// Nothing at all.
    Empty,
    /// A payload of this format.
    Format(Format),
    /// A payload of no format batchwire can tell.
    Unknown,
}

impl Resolved {
    /// The format, or `None` to let `batchwire::decode` report what it found.
    fn format(&self) -> Option<Format> {
        match self {
            Resolved::Format(format) => Some(*format),
            Resolved::Empty | Resolved::Unknown => None,
        }
    }
}

fn empty_input() -> ExitCode {
    eprintln!("error: the input is empty");
    ExitCode::from(1)
}

fn inspect(input: &InputArgs, as_json: bool) -> Result<ExitCode, String> {
    let mut source = Source::open(input.file.as_ref())?;
    let resolved = resolve(input, &mut source)?;
    if let Resolved::Empty = resolved {
        return Ok(empty_input());
    }
    let format = resolved.format();
    let mut out = io::stdout().lock();
    if format.is_some_and(Format::is_multipart) && !as_json {
        let mut table = render::Table::new(&mut out);
        let outcome = stream(input, &mut source, |event| table.row(event))?;
        return match outcome {
            Streamed::Done(summary) => {
                warn(&summary.tolerated);
                finish_output(writeln!(out, "{}", summary.line()).and_then(|()| out.flush()))?;
                Ok(ExitCode::SUCCESS)
            }
            Streamed::Failed(e) => Ok(report_error(&e)),
            Streamed::Stopped => Ok(ExitCode::SUCCESS),
        };
    }
    let read = match read_whole(input, format, &source.rest()?) {
        Ok(read) => read,
        Err(e) => return Ok(report_error(&e)),
    };
    if as_json {
        finish_output(render::json(&read, &mut out).and_then(|()| out.flush()))?;
    } else {
        warn(&read.tolerated);
        let mut table = render::Table::new(&mut out);
        let summary = render::Summary::of(&read);
        finish_output(
            render::events(&read.message, |event| table.row(event))
                .and_then(|()| writeln!(out, "{}", summary.line()))
                .and_then(|()| out.flush()),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(input: &InputArgs) -> Result<ExitCode, String> {
    let mut source = Source::open(input.file.as_ref())?;
    let resolved = resolve(input, &mut source)?;
    if let Resolved::Empty = resolved {
        return Ok(empty_input());
    }
    let format = resolved.format();
    let summary = if format.is_some_and(Format::is_multipart) {
        match stream(input, &mut source, |_| Ok(()))? {
            Streamed::Done(summary) => summary,
            Streamed::Failed(e) => return Ok(report_error(&e)),
            Streamed::Stopped => return Ok(ExitCode::SUCCESS),
        }
    } else {
        match read_whole(input, format, &source.rest()?) {
            Ok(read) => render::Summary::of(&read),
            Err(e) => return Ok(report_error(&e)),
        }
    };
    warn(&summary.tolerated);
    let mode = if input.strict { "strict" } else { "lenient" };
    let mut out = io::stdout().lock();
    finish_output(writeln!(out, "valid: {} ({mode})", summary.line()).and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}

fn convert(
    input: &InputArgs,
    to: &str,
    boundary: Option<&str>,
    lenient: bool,
) -> Result<ExitCode, String> {
    let target = match parse_format(to)? {
        // `--dialect` names the dialect written; the input is read by the common rules.
        Format::Multipart(_) => Format::Multipart(input.dialect.unwrap_or_default()),
        json @ Format::Json(_) => json,
    };
    let mut source = Source::open(input.file.as_ref())?;
    let resolved = resolve(input, &mut source)?;
    if let Resolved::Empty = resolved {
        return Ok(empty_input());
    }
    let reading = InputArgs {
        dialect: None,
        ..input.clone()
    };
    let read = match read_whole(&reading, resolved.format(), &source.rest()?) {
        Ok(read) => read,
        Err(e) => return Ok(report_error(&e)),
    };
    warn(&read.tolerated);
    let mut options = WriteOptions::default().with_lenient(lenient);
    if let Some(b) = boundary {
        options = options.with_boundary(b.to_owned());
    }
    let written = match batchwire::encode(&read.message, target, &options) {
        Ok(written) => written,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    report_written(&written);
    let mut out = io::stdout().lock();
    finish_output(out.write_all(&written.body).and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}

/// What writing changed, as warnings, and the envelope headers to send the body with, on
/// standard error.
pub(crate) fn report_written(written: &batchwire::Written) {
    for loss in &written.report {
        eprintln!("warning: {loss}");
    }
    for (name, value) in &written.headers {
        eprintln!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
}

pub(crate) fn warn(tolerated: &[Tolerance]) {
    for t in tolerated {
        eprintln!("warning: {t}");
    }
}

pub(crate) fn report_error(error: &ParseError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

/// A reader such as `head` that stops early is not a failure.
pub(crate) fn finish_output(written: io::Result<()>) -> Result<(), String> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| format!("cannot write the output: {e}")),
    }
}

/// The input file or standard input, read in chunks; the first chunk is kept for format
/// detection.
struct Source {
    reader: Box<dyn io::Read>,
    head: Option<Vec<u8>>,
}

const CHUNK: usize = 64 << 10;

impl Source {
    fn open(file: Option<&PathBuf>) -> Result<Source, String> {
        let reader: Box<dyn io::Read> = match file {
            Some(path) if path.as_os_str() != "-" => Box::new(
                std::fs::File::open(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            ),
            _ => Box::new(io::stdin().lock()),
        };
        Ok(Source { reader, head: None })
    }

    /// The next chunk; empty at the end of the input.
    fn chunk(&mut self) -> Result<Vec<u8>, String> {
        if let Some(head) = self.head.take() {
            return Ok(head);
        }
        let mut chunk = vec![0; CHUNK];
        loop {
            match self.reader.read(&mut chunk) {
                Ok(n) => {
                    chunk.truncate(n);
                    return Ok(chunk);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the input: {e}")),
            }
        }
    }

    /// The first chunk, kept to be read again.
    fn head(&mut self) -> Result<Vec<u8>, String> {
        let head = self.chunk()?;
        self.head = Some(head.clone());
        Ok(head)
    }

    /// Reads everything into the kept head, so that it is read again from the start.
    fn buffer_all(&mut self) -> Result<Vec<u8>, String> {
        let mut all = self.head.take().unwrap_or_default();
        self.reader
            .read_to_end(&mut all)
            .map_err(|e| format!("cannot read the input: {e}"))?;
        self.head = Some(all.clone());
        Ok(all)
    }

    /// Everything not read yet.
    fn rest(mut self) -> Result<Bytes, String> {
        let mut all = self.head.take().unwrap_or_default();
        self.reader
            .read_to_end(&mut all)
            .map_err(|e| format!("cannot read the input: {e}"))?;
        Ok(Bytes::from(all))
    }
}

/// Reads the whole payload; `None` tells the format from it.
fn read_whole(
    input: &InputArgs,
    format: Option<Format>,
    payload: &Bytes,
) -> Result<ReadBatch, ParseError> {
    let options = input.options(input.dialect);
    let decoded = batchwire::decode(format, input.content_type(), payload, &options)?;
    Ok(ReadBatch {
        message: decoded.message,
        tolerated: decoded.tolerated,
        format: decoded.format,
        boundary: decoded.boundary,
    })
}

/// How a streamed read ended.
enum Streamed {
    /// The batch was read to its end.
    Done(render::Summary),
    /// The batch is not valid.
    Failed(ParseError),
    /// The output was closed by its reader; nothing more is wanted.
    Stopped,
}

/// Reads a multipart input chunk by chunk with the incremental decoder, handing each event
/// to `each` as soon as it is complete; the outer error is a usage or I/O error.
fn stream(
    input: &InputArgs,
    source: &mut Source,
    mut each: impl FnMut(&multipart::Event) -> io::Result<()>,
) -> Result<Streamed, String> {
    let options = input.options(input.dialect);
    let mut decoder = match StreamDecoder::new(input.content_type(), &options) {
        Ok(d) => d,
        Err(e) => return Ok(Streamed::Failed(e)),
    };
    let mut summary = render::Summary::new(Format::Multipart(options.dialect));
    loop {
        let chunk = source.chunk()?;
        if chunk.is_empty() {
            decoder.finish();
        } else {
            decoder.feed(&chunk);
        }
        loop {
            match decoder.next_event() {
                Ok(Status::Event(event)) => {
                    summary.count(&event);
                    match each(&event) {
                        // The reader went away (`| head`): stop reading, as a success.
                        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                            return Ok(Streamed::Stopped);
                        }
                        other => finish_output(other)?,
                    }
                }
                Ok(Status::NeedMore) => break,
                Ok(Status::End) => {
                    summary.finish(&decoder);
                    return Ok(Streamed::Done(summary));
                }
                Err(e) => return Ok(Streamed::Failed(e)),
            }
        }
        if chunk.is_empty() {
            return Err("the decoder wants more input after the end".into());
        }
    }
}
