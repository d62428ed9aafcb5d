//! Sending a batch with `reqwest`: written in its format, split to a service's limits, the
//! answer read as it arrives, and what was throttled sent again.

use std::fmt;
use std::time::{Duration, SystemTime};

use batchwire_client::{Correlation, Profile, RetryOptions, SplitError, correlate, retry, split};
use batchwire_multipart::{Event, Status, StreamDecoder};

use crate::{
    AtomicGroup, BatchMessage, BatchRequest, BatchResponse, DecodeOptions, Format, Item, LossKind,
    MessageKind, ParseError, Position, SubResponse, Tolerance, WriteError, WriteOptions,
    WriteReport,
};

/// How to send a batch.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// The format the service speaks.
    pub format: Format,
    /// How to write it (boundaries, ids).
    pub write: WriteOptions,
    /// How to read the answer (lenient by default).
    pub read: DecodeOptions,
    /// The service's limits: the batch is split into batches that fit, each sent in turn.
    pub profile: Option<Profile>,
    /// How many times at most to send again what was throttled (and what did not run because
    /// of it), after the delay the service asked for. 0: never.
    pub retries: usize,
    /// The longest delay to wait before sending again; a service that asks for more is not
    /// retried.
    pub max_delay: Duration,
}

impl SendOptions {
    /// Sending in `format`, unsplit, never retried.
    pub fn new(format: Format) -> SendOptions {
        SendOptions {
            format,
            write: WriteOptions::default(),
            read: DecodeOptions::lenient(),
            profile: None,
            retries: 0,
            max_delay: Duration::from_mins(1),
        }
    }

    /// These options with batches split to `profile`'s limits, and written in its format
    /// (an OData multipart format keeps its version: the `odata` profile is V4's only by
    /// default).
    #[must_use]
    pub fn with_profile(mut self, profile: Profile) -> SendOptions {
        let keeps_version = matches!(
            (self.format, profile.format),
            (
                Format::Multipart(crate::Dialect::OdataV2 | crate::Dialect::OdataV3),
                Format::Multipart(crate::Dialect::OdataV4)
            )
        );
        if !keeps_version {
            self.format = profile.format;
        }
        self.profile = Some(profile);
        self
    }

    /// These options with what was throttled sent again, up to `retries` times.
    #[must_use]
    pub fn with_retries(mut self, retries: usize) -> SendOptions {
        self.retries = retries;
        self
    }
}

/// One batch sent and the answer that came back.
#[derive(Clone, Debug)]
pub struct Exchanged {
    /// The batch sent, with the ids its writer gave the requests that had none (the answers
    /// name them so).
    pub sent: BatchRequest,
    /// Where each request of `sent` was in the batch given to [`send`], in order.
    pub positions: Vec<Position>,
    /// The answer.
    pub answer: BatchResponse,
    /// What reading the answer tolerated.
    pub tolerated: Vec<Tolerance>,
    /// Its format.
    pub format: Format,
    /// When the answer came (for `Retry-After` dates).
    pub at: SystemTime,
}

impl Exchanged {
    /// What happened to each request of this batch.
    pub fn correlation(&self) -> Correlation<'_> {
        correlate(&self.sent, &self.answer, self.format, self.at)
    }
}

/// Why sending stopped, and the exchanges done before: those batches ran on the service.
#[derive(Debug)]
pub struct SendFailure {
    /// The batches sent and answered before the failure.
    pub done: Vec<Exchanged>,
    /// What went wrong.
    pub error: SendError,
}

impl fmt::Display for SendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (after {} batches answered)",
            self.error,
            self.done.len()
        )
    }
}

impl std::error::Error for SendFailure {}

/// Why a batch could not be sent or its answer read.
#[non_exhaustive]
#[derive(Debug)]
pub enum SendError {
    /// The batch cannot be written in the format.
    Write(WriteError),
    /// The batch cannot be split to the profile's limits.
    Split(SplitError),
    /// The request did not reach the service, or its answer did not come back.
    Http(reqwest::Error),
    /// The service refused the whole batch: its status and body.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The body, as the service sent it.
        body: bytes::Bytes,
    },
    /// The answer is not a batch of the format.
    Read(ParseError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Write(e) => write!(f, "cannot write the batch: {e}"),
            SendError::Split(e) => write!(f, "cannot split the batch: {e}"),
            SendError::Http(e) => write!(f, "cannot send the batch: {e}"),
            SendError::Refused { status, body } => write!(
                f,
                "the service refused the batch with status {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
            SendError::Read(e) => write!(f, "cannot read the answer: {e}"),
        }
    }
}

impl std::error::Error for SendError {}

/// Sends `batch` to `url` with `client` (a POST, with the format's envelope headers), reads
/// the answer — a multipart answer as it arrives — and returns every exchange in the order
/// sent: one per batch when the options split it to a profile, each followed by its retries
/// of what was throttled. What happened to each request is [`Exchanged::correlation`];
/// [`Exchanged::positions`] says where each request was in `batch`.
///
/// The client is yours: its TLS stack, timeouts, credentials (add them as default headers).
///
/// # Errors
///
/// A [`SendFailure`]: the batch cannot be written or split, the service cannot be reached,
/// it refuses the whole batch (a status other than 2xx), or its answer is not a batch; with
/// the exchanges done before, which ran on the service.
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    batch: &BatchRequest,
    options: &SendOptions,
) -> Result<Vec<Exchanged>, SendFailure> {
    let mut exchanges = Vec::new();
    let parts = match &options.profile {
        Some(profile) => split(batch, profile, |b| {
            crate::encode(b, options.format, &options.write).map(|w| w.body.len())
        })
        .map_err(|e| SendFailure {
            done: Vec::new(),
            error: SendError::Split(e),
        })?,
        None => vec![batch.clone()],
    };
    let mut first_item = 0;
    for part in parts {
        let positions: Vec<Position> = Position::of_operations(&part)
            .map(|p| Position {
                item: first_item + p.item,
                member: p.member,
            })
            .collect();
        first_item += part.items.len();
        let mut next = Some((part, positions));
        let mut attempts = 0;
        while let Some((sent, positions)) = next.take() {
            let exchange = match send_one(client, url, sent, positions, options).await {
                Ok(exchange) => exchange,
                Err(error) => {
                    return Err(SendFailure {
                        done: exchanges,
                        error,
                    });
                }
            };
            let again = retry(
                &exchange.sent,
                &exchange.correlation(),
                &RetryOptions::default(),
            );
            if let Some(again) = again
                && attempts < options.retries
                && again.delay <= options.max_delay
            {
                tokio::time::sleep(again.delay).await;
                attempts += 1;
                let index = |p: &Position| {
                    Position::of_operations(&exchange.sent)
                        .position(|q| q == *p)
                        .and_then(|k| exchange.positions.get(k).copied())
                };
                let positions = again.positions.iter().filter_map(index).collect();
                next = Some((again.batch, positions));
            }
            exchanges.push(exchange);
        }
    }
    Ok(exchanges)
}

/// The batch as written: the ids the writer gave requests that had none (it reports each)
/// put in, so that the answers, which name them, pair with their requests.
fn with_written_ids(mut batch: BatchRequest, report: &WriteReport) -> BatchRequest {
    for loss in report {
        let (Some(position), LossKind::IdInvented { id }) = (loss.position, &loss.kind) else {
            continue;
        };
        let op = match (batch.items.get_mut(position.item), position.member) {
            (Some(Item::Operation(op)), None) => Some(op),
            (Some(Item::Group(group)), Some(m)) => group.operations.get_mut(m),
            _ => None,
        };
        if let Some(op) = op {
            op.id = Some(id.clone());
        }
    }
    batch
}

async fn send_one(
    client: &reqwest::Client,
    url: &str,
    sent: BatchRequest,
    positions: Vec<Position>,
    options: &SendOptions,
) -> Result<Exchanged, SendError> {
    let written = crate::encode(&sent, options.format, &options.write).map_err(SendError::Write)?;
    let sent = with_written_ids(sent, &written.report);
    let mut response = client
        .post(url)
        .headers(written.headers)
        .body(written.body)
        .send()
        .await
        .map_err(SendError::Http)?;
    let status = response.status();
    if !status.is_success() {
        let body = response.bytes().await.unwrap_or_default();
        return Err(SendError::Refused {
            status: status.as_u16(),
            body,
        });
    }
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec());
    let read = options.read.clone().with_kind(MessageKind::Response);
    let tolerated;
    let answer = if options.format.is_multipart() {
        let read = match options.format {
            // The format's dialect, else the options' (as `decode` takes them).
            Format::Multipart(dialect) if dialect != crate::Dialect::Generic => {
                read.with_dialect(dialect)
            }
            Format::Multipart(_) | Format::Json(_) => read,
        };
        let mut decoder =
            StreamDecoder::new(content_type.as_deref(), &read).map_err(SendError::Read)?;
        let mut collector = Collector::default();
        loop {
            match response.chunk().await.map_err(SendError::Http)? {
                Some(chunk) => decoder.feed(&chunk),
                None => decoder.finish(),
            }
            if collector.drain(&mut decoder)? {
                break;
            }
        }
        tolerated = decoder.tolerated().to_vec();
        collector.batch
    } else {
        let body = response.bytes().await.map_err(SendError::Http)?;
        let decoded = crate::decode(Some(options.format), content_type.as_deref(), &body, &read)
            .map_err(SendError::Read)?;
        tolerated = decoded.tolerated;
        match decoded.message {
            BatchMessage::Response(batch) => batch,
            // Invariant: the kind was required, so the reader refused requests.
            BatchMessage::Request(_) => BatchResponse::new(),
        }
    };
    Ok(Exchanged {
        sent,
        positions,
        answer,
        tolerated,
        format: options.format,
        at: SystemTime::now(),
    })
}

/// Puts the events of a response stream together into a batch.
#[derive(Default)]
struct Collector {
    batch: BatchResponse,
    group: Option<(crate::Headers, Vec<SubResponse>)>,
}

impl Collector {
    /// Takes every event the decoder has; `true` at the end of the batch.
    fn drain(&mut self, decoder: &mut StreamDecoder) -> Result<bool, SendError> {
        loop {
            match decoder.next_event().map_err(SendError::Read)? {
                Status::Event(Event::GroupStart { part_headers, .. }) => {
                    self.group = Some((part_headers, Vec::new()));
                }
                Status::Event(Event::Response(r)) => match &mut self.group {
                    Some((_, members)) => members.push(r),
                    None => self.batch.push(r),
                },
                Status::Event(Event::GroupEnd) => {
                    let (part_headers, members) = self.group.take().unwrap_or_default();
                    let mut group = AtomicGroup::new(members);
                    group.part_headers = part_headers;
                    self.batch.push_group(group);
                }
                // Invariant: the kind was required, so the reader refused requests.
                Status::Event(_) => {}
                Status::NeedMore => return Ok(false),
                Status::End => return Ok(true),
            }
        }
    }
}
