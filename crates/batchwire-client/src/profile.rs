//! What services accept in one batch, as data, and the check of a batch against it.

use std::fmt;
use std::str::FromStr;

use batchwire_core::{BatchRequest, Dialect, Format, Item, JsonFormat, Position};

/// What a service accepts in one batch: its format and its limits.
///
/// # Examples
///
/// ```
/// use batchwire_client::Profile;
///
/// let graph: Profile = "msgraph".parse().unwrap();
/// assert_eq!(graph.max_operations, Some(20));
/// let odata = Profile::odata().with_max_operations(100).with_max_bytes(1 << 20);
/// assert_eq!((odata.max_operations, odata.max_bytes), (Some(100), Some(1 << 20)));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
// A table of a service's independent rules, one per field, read by name.
#[allow(clippy::struct_excessive_bools)]
pub struct Profile {
    /// The name the command line uses.
    pub name: &'static str,
    /// The format the service speaks.
    pub format: Format,
    /// The most operations in one batch (changeset members included).
    pub max_operations: Option<usize>,
    /// The most bytes of one written batch.
    pub max_bytes: Option<usize>,
    /// The most operations in one atomic group.
    pub max_per_group: Option<usize>,
    /// The most queries in one batch (Salesforce Composite: 5 `query`, `queryAll` and sObject
    /// Collections subrequests).
    pub max_queries: Option<usize>,
    /// Targets must be relative URLs (Microsoft Graph).
    pub relative_urls: bool,
    /// A request with a body must say its Content-Type (Microsoft Graph).
    pub content_type_on_bodies: bool,
    /// An empty batch is refused (Asana).
    pub refuse_empty: bool,
    /// Every operation of a batch has the same method (Azure blob batch: all deletes, or all
    /// set-tier).
    pub one_method: bool,
}

const BASE: Profile = Profile {
    name: "odata",
    format: Format::Multipart(Dialect::OdataV4),
    max_operations: None,
    max_bytes: None,
    max_per_group: None,
    max_queries: None,
    relative_urls: false,
    content_type_on_bodies: false,
    refuse_empty: false,
    one_method: false,
};

/// Every profile, by name.
const PROFILES: &[Profile] = &[
    BASE,
    Profile {
        name: "msgraph",
        format: Format::Json(JsonFormat::MsGraph),
        max_operations: Some(20),
        relative_urls: true,
        content_type_on_bodies: true,
        ..BASE
    },
    Profile {
        name: "salesforce-composite",
        format: Format::Json(JsonFormat::SalesforceComposite),
        max_operations: Some(25),
        max_queries: Some(5),
        ..BASE
    },
    Profile {
        name: "salesforce-composite-batch",
        format: Format::Json(JsonFormat::SalesforceCompositeBatch),
        max_operations: Some(25),
        ..BASE
    },
    Profile {
        name: "salesforce-composite-graph",
        format: Format::Json(JsonFormat::SalesforceCompositeGraph),
        max_operations: Some(500),
        ..BASE
    },
    Profile {
        name: "asana",
        format: Format::Json(JsonFormat::Asana),
        max_operations: Some(10),
        refuse_empty: true,
        ..BASE
    },
    Profile {
        name: "meta-graph",
        format: Format::Json(JsonFormat::MetaGraph),
        max_operations: Some(50),
        ..BASE
    },
    // 1000 calls; Gmail, Cloud Storage and others take 100: `with_max_operations`.
    Profile {
        name: "google",
        format: Format::Multipart(Dialect::Google),
        max_operations: Some(1000),
        ..BASE
    },
    Profile {
        name: "azure-blob",
        format: Format::Multipart(Dialect::Azure),
        max_operations: Some(256),
        one_method: true,
        ..BASE
    },
    Profile {
        name: "dataverse",
        format: Format::Multipart(Dialect::OdataV4),
        max_operations: Some(1000),
        max_per_group: Some(1000),
        ..BASE
    },
];

impl Profile {
    /// Every profile the library knows.
    pub fn all() -> &'static [Profile] {
        PROFILES
    }

    /// An OData service: no fixed limit (set them with [`Profile::with_max_operations`] and
    /// [`Profile::with_max_bytes`]).
    pub fn odata() -> Profile {
        BASE
    }

    /// This profile with another bound on operations.
    #[must_use]
    pub fn with_max_operations(mut self, max: usize) -> Profile {
        self.max_operations = Some(max);
        self
    }

    /// This profile with a bound on the written size.
    #[must_use]
    pub fn with_max_bytes(mut self, max: usize) -> Profile {
        self.max_bytes = Some(max);
        self
    }

    /// What in `batch` the service would refuse, each at its position (`None` for the whole
    /// batch): checked before sending, since a service refuses a whole batch for one bad part.
    ///
    /// The written size is not checked here (it needs a writer): see [`crate::split`].
    pub fn check(&self, batch: &BatchRequest) -> Vec<Violation> {
        let mut found = Vec::new();
        let mut say = |position: Option<Position>, what: String| {
            found.push(Violation { position, what });
        };
        let count = batch.operation_count();
        if self.refuse_empty && count == 0 {
            say(None, format!("{} refuses an empty batch", self.name));
        }
        if let Some(max) = self.max_operations.filter(|max| count > *max) {
            say(
                None,
                format!(
                    "{count} operations, where {} takes at most {max}",
                    self.name
                ),
            );
        }
        let queries = batch
            .operations()
            .filter(|op| op.method == http::Method::GET)
            .count();
        if let Some(max) = self.max_queries.filter(|max| queries > *max) {
            say(
                None,
                format!("{queries} queries, where {} takes at most {max}", self.name),
            );
        }
        for (i, item) in batch.items.iter().enumerate() {
            if let (Item::Group(g), Some(max)) = (item, self.max_per_group)
                && g.operations.len() > max
            {
                say(
                    Some(Position::item(i)),
                    format!(
                        "{} operations in one group, where {} takes at most {max}",
                        g.operations.len(),
                        self.name
                    ),
                );
            }
        }
        let first_method = batch.operations().next().map(|op| op.method.clone());
        for (position, op) in Position::of_operations(batch).zip(batch.operations()) {
            if self.relative_urls
                && (batchwire_core::is_absolute_url(&op.target) || op.target.starts_with("//"))
            {
                say(
                    Some(position),
                    format!(
                        "{} takes relative URLs only, found {:?}",
                        self.name, op.target
                    ),
                );
            }
            if self.content_type_on_bodies
                && !op.body.is_empty()
                && !op.headers.contains("content-type")
            {
                say(
                    Some(position),
                    format!(
                        "{} wants a Content-Type on a request with a body",
                        self.name
                    ),
                );
            }
            if self.one_method && first_method.as_ref().is_some_and(|m| *m != op.method) {
                say(
                    Some(position),
                    format!(
                        "{} takes one kind of operation per batch, found {} after {}",
                        self.name,
                        op.method,
                        first_method.as_ref().map_or("", |m| m.as_str())
                    ),
                );
            }
        }
        found
    }
}

/// A profile name that is not one of [`Profile::all`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
        write!(
            f,
            "unknown profile {:?}: expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownProfile {}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        PROFILES
            .iter()
            .find(|p| p.name == s)
            .cloned()
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

/// Something in a batch that a profile's service refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The operation or group at fault; `None` for the batch as a whole.
    pub position: Option<Position>,
    /// What is wrong, in words.
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "item {p}: {}", self.what),
            None => write!(f, "batch: {}", self.what),
        }
    }
}
