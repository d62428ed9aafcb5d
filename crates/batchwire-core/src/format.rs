//! The wire formats, by name: one list, which the command line, the facade and the codecs
//! all take their names from.

use std::fmt;
use std::str::FromStr;

use crate::Dialect;

/// The JSON batch formats (read and written by `batchwire-json`).
///
/// Not `#[non_exhaustive]`: the codecs match on it exhaustively, so that a format added here
/// and forgotten in a codec does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonFormat {
    /// OData 4.01 JSON batch (`odata-json`).
    OdataJson,
    /// Microsoft Graph `$batch` (`msgraph`): OData JSON with Graph's rules.
    MsGraph,
    /// Salesforce `/composite` (`salesforce-composite`).
    SalesforceComposite,
    /// Salesforce `/composite/batch` (`salesforce-composite-batch`).
    SalesforceCompositeBatch,
    /// Salesforce `/composite/graph` (`salesforce-composite-graph`).
    SalesforceCompositeGraph,
    /// Salesforce `/composite/tree` responses (`salesforce-sobject-tree`).
    SalesforceSObjectTree,
    /// Salesforce `/composite/sobjects` responses (`salesforce-sobject-collections`).
    SalesforceSObjectCollections,
    /// Asana `/batch` (`asana`).
    Asana,
    /// Meta Graph API batch (`meta-graph`).
    MetaGraph,
}

impl JsonFormat {
    /// Every format, in the order of the crate documentation's table.
    pub const ALL: [JsonFormat; 9] = [
        JsonFormat::OdataJson,
        JsonFormat::MsGraph,
        JsonFormat::SalesforceComposite,
        JsonFormat::SalesforceCompositeBatch,
        JsonFormat::SalesforceCompositeGraph,
        JsonFormat::SalesforceSObjectTree,
        JsonFormat::SalesforceSObjectCollections,
        JsonFormat::Asana,
        JsonFormat::MetaGraph,
    ];

    /// The format's rules, as data: the one place that names a format and says what it
    /// holds and how much.
    pub const fn rules(self) -> &'static JsonRules {
        match self {
            JsonFormat::OdataJson => &JsonRules {
                name: "odata-json",
                title: "OData JSON",
                has_requests: true,
                pair_by: PairBy::Id,
                max_operations: None,
            },
            JsonFormat::MsGraph => &JsonRules {
                name: "msgraph",
                title: "Microsoft Graph",
                has_requests: true,
                pair_by: PairBy::IdAnyCase,
                // Graph answers 400 to a batch of more than 20 requests.
                max_operations: Some(20),
            },
            JsonFormat::SalesforceComposite => &JsonRules {
                name: "salesforce-composite",
                title: "Salesforce Composite",
                has_requests: true,
                pair_by: PairBy::Id,
                max_operations: Some(25),
            },
            JsonFormat::SalesforceCompositeBatch => &JsonRules {
                name: "salesforce-composite-batch",
                title: "Salesforce Composite Batch",
                has_requests: true,
                pair_by: PairBy::Position,
                max_operations: Some(25),
            },
            JsonFormat::SalesforceCompositeGraph => &JsonRules {
                name: "salesforce-composite-graph",
                title: "Salesforce Composite Graph",
                has_requests: true,
                pair_by: PairBy::Id,
                // Nodes: subrequests across all graphs of one request.
                max_operations: Some(500),
            },
            JsonFormat::SalesforceSObjectTree => &JsonRules {
                name: "salesforce-sobject-tree",
                title: "Salesforce sObject Tree",
                has_requests: false,
                pair_by: PairBy::Position,
                max_operations: None,
            },
            JsonFormat::SalesforceSObjectCollections => &JsonRules {
                name: "salesforce-sobject-collections",
                title: "Salesforce sObject Collections",
                has_requests: false,
                pair_by: PairBy::Position,
                max_operations: None,
            },
            JsonFormat::Asana => &JsonRules {
                name: "asana",
                title: "Asana",
                has_requests: true,
                pair_by: PairBy::Position,
                max_operations: None,
            },
            JsonFormat::MetaGraph => &JsonRules {
                name: "meta-graph",
                title: "Meta Graph",
                has_requests: true,
                pair_by: PairBy::Position,
                max_operations: Some(50),
            },
        }
    }

    /// The format's name, as the command line and the format notes spell it.
    pub fn name(self) -> &'static str {
        self.rules().name
    }

    /// Whether the format has batch requests (sObject Tree and Collections requests are
    /// records, not operations, so only their responses map to the model).
    pub fn has_requests(self) -> bool {
        self.rules().has_requests
    }

    /// The most operations one batch of the format may hold, where the format has a bound
    /// that its readers and writers enforce.
    pub const fn max_operations(self) -> Option<usize> {
        self.rules().max_operations
    }
}

/// What a JSON format is, as data. See [`JsonFormat::rules`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonRules {
    /// The name used on the command line.
    pub name: &'static str,
    /// The name used in messages: `Salesforce Composite`.
    pub title: &'static str,
    /// Whether the format has batch requests, not only responses.
    pub has_requests: bool,
    /// The most operations one batch may hold, where the format has a bound.
    pub max_operations: Option<usize>,
    /// How an answer names the request it answers.
    pub pair_by: PairBy,
}

/// How a JSON format's answers name the requests they answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairBy {
    /// By id, as written (OData JSON `id`, Salesforce `referenceId`).
    Id,
    /// By id, without regard to case (Microsoft Graph).
    IdAnyCase,
    /// By position: the format has no ids on its answers.
    Position,
}

impl fmt::Display for JsonFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that [`JsonFormat::from_str`] or [`Format::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown format {:?}: expected one of {}",
            self.0,
            Format::names().collect::<Vec<_>>().join(", ")
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for JsonFormat {
    type Err = UnknownFormat;

    /// Parses a name given by [`JsonFormat::name`].
    ///
    /// ```
    /// use batchwire_core::JsonFormat;
    ///
    /// assert_eq!("msgraph".parse(), Ok(JsonFormat::MsGraph));
    /// assert!("xml".parse::<JsonFormat>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<JsonFormat, UnknownFormat> {
        JsonFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// A wire format batchwire reads and writes: multipart in one of its dialects, or a JSON
/// format.
///
/// Every format is named whatever the cargo features; reading and writing one needs its
/// codec (`batchwire-multipart` or `batchwire-json`).
///
/// # Examples
///
/// ```
/// use batchwire_core::{Dialect, Format, JsonFormat};
///
/// assert_eq!("multipart".parse(), Ok(Format::Multipart(Dialect::Generic)));
/// assert_eq!("msgraph".parse(), Ok(Format::Json(JsonFormat::MsGraph)));
/// assert_eq!(Format::Json(JsonFormat::Asana).to_string(), "asana");
/// assert_eq!(Format::Multipart(Dialect::OdataV4).to_string(), "multipart");
/// assert!("xml".parse::<Format>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `multipart/mixed` with `application/http` parts (OData, Google, Azure), read or
    /// written by the rules of a dialect.
    Multipart(Dialect),
    /// A JSON format.
    Json(JsonFormat),
}

impl Format {
    /// The name used on the command line: `multipart` (whatever the dialect: the dialect is
    /// named apart), or the JSON format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Multipart(_) => "multipart",
            Format::Json(format) => format.name(),
        }
    }

    /// Every format's name, `multipart` first.
    pub fn names() -> impl Iterator<Item = &'static str> {
        std::iter::once("multipart").chain(JsonFormat::ALL.iter().map(|f| f.name()))
    }

    /// Whether this is multipart, in any dialect.
    pub fn is_multipart(self) -> bool {
        matches!(self, Format::Multipart(_))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Parses a name given by [`Format::name`]; `multipart` is the generic dialect.
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        if s == "multipart" {
            return Ok(Format::Multipart(Dialect::Generic));
        }
        s.parse().map(Format::Json)
    }
}

impl From<JsonFormat> for Format {
    fn from(format: JsonFormat) -> Format {
        Format::Json(format)
    }
}

impl From<Dialect> for Format {
    fn from(dialect: Dialect) -> Format {
        Format::Multipart(dialect)
    }
}
