//! Dialects: the rules a flavour of multipart batch adds to the common ones.

use std::fmt;
use std::str::FromStr;

/// A flavour of multipart batch, with the rules it adds to RFC 2046 and the common OData
/// batch framing.
///
/// | dialect | reading adds | writing adds |
/// |---|---|---|
/// | `OdataV2`, `OdataV3` | a request that changes data belongs in a changeset | `DataServiceVersion: 2.0` / `3.0` on the envelope and every part |
/// | `OdataV4` | every changeset member has a Content-ID, unique within its changeset | `OData-Version: 4.0` on the envelope, a Content-ID on every changeset member |
/// | `Google` | no changesets | `Content-ID: <item-N:…>`, answered as `<response-item-N:…>` |
/// | `Azure` | no changesets | canonical header case, no `x-ms-version` on sub-requests, `Content-ID: N` on every part |
///
/// Strict mode turns each reading rule into an error; lenient mode reports it.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// The rules common to every multipart batch.
    #[default]
    Generic,
    /// OData V2 ([MS-ODATA] 2.2.7.6).
    OdataV2,
    /// OData V3 ([MS-ODATA] 2.2.7.6).
    OdataV3,
    /// OData V4.0 and 4.01 multipart (OData Protocol part 1, section 11.7).
    OdataV4,
    /// Google API batch.
    Google,
    /// Azure Storage blob batch.
    Azure,
}

impl Dialect {
    /// Every dialect, in the order of the table above.
    pub const ALL: [Dialect; 6] = [
        Dialect::Generic,
        Dialect::OdataV2,
        Dialect::OdataV3,
        Dialect::OdataV4,
        Dialect::Google,
        Dialect::Azure,
    ];

    /// The dialect's rules, as data: the one place that says what a dialect adds, which the
    /// reader and the writer ask.
    pub fn rules(self) -> &'static DialectRules {
        match self {
            Dialect::Generic => &GENERIC,
            Dialect::OdataV2 => &ODATA_V2,
            Dialect::OdataV3 => &ODATA_V3,
            Dialect::OdataV4 => &ODATA_V4,
            Dialect::Google => &GOOGLE,
            Dialect::Azure => &AZURE,
        }
    }

    /// The name used on the command line: `generic`, `odata-v2`, `odata-v3`, `odata-v4`,
    /// `google`, `azure`.
    pub fn name(self) -> &'static str {
        self.rules().name
    }

    /// Whether the dialect has changesets at all.
    pub fn allows_changesets(self) -> bool {
        self.rules().changesets
    }

    /// Whether a changeset member needs a Content-ID unique within its changeset.
    pub fn requires_changeset_content_ids(self) -> bool {
        self.rules().changeset_content_ids
    }

    /// Whether a request that changes data must be inside a changeset.
    pub fn requires_changes_in_changesets(self) -> bool {
        self.rules().changes_in_changesets
    }
}

/// What a dialect adds to the common multipart rules, as data. See [`Dialect::rules`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// A table of independent yes/no rules, one per field, read by name; not a state machine.
#[allow(clippy::struct_excessive_bools)]
pub struct DialectRules {
    /// The name used on the command line.
    pub name: &'static str,
    /// Whether the dialect has changesets.
    pub changesets: bool,
    /// Whether every changeset member needs a Content-ID unique within its changeset.
    pub changeset_content_ids: bool,
    /// Whether a request that changes data belongs in a changeset.
    pub changes_in_changesets: bool,
    /// The protocol version header, written on the envelope (and, with
    /// [`VersionHeader::on_parts`], on every embedded message).
    pub version: Option<VersionHeader>,
    /// Whether the dialect can ask the server to go on after a failed request (OData V4's
    /// `Prefer: odata.continue-on-error`).
    pub continue_on_error: bool,
    /// Whether its servers stop at the first failed request unless asked to go on (OData);
    /// Google and Azure run every request.
    pub stops_on_error: bool,
    /// How the writer gives operations Content-IDs.
    pub ids: IdScheme,
    /// How the writer spells header names.
    pub spelling: Spelling,
    /// Headers of sub-requests the dialect does not carry, with the reason.
    pub request_headers_not_carried: &'static [(&'static str, &'static str)],
    /// The status of the answer to a batch that was read and run: `202 Accepted` in OData V2
    /// and V3 ([MS-ODATA] 3.2.8, which clients such as pyodata check) and Azure, `200` in
    /// OData V4 (section 11.7.4) and Google.
    pub batch_status: u16,
}

/// A protocol version header: `OData-Version: 4.0`, `DataServiceVersion: 2.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionHeader {
    /// The name, spelled as the dialect's documents spell it.
    pub name: &'static str,
    /// The value.
    pub value: &'static str,
    /// Whether every embedded message carries it too.
    pub on_parts: bool,
}

/// How a dialect's writer gives operations Content-IDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdScheme {
    /// The model's ids only.
    Given,
    /// The model's ids; requests in changesets without one are numbered (OData V4, whose
    /// changeset members need one).
    ChangesetRequests,
    /// The model's ids; every operation without one is numbered, from `first` (Azure).
    Every {
        /// The first number given.
        first: usize,
    },
    /// `<item-N:...>` for requests without one, answered as `<response-item-N:...>`
    /// (Google).
    Google,
}

/// How a dialect's writer spells header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// As the model spells them.
    AsWritten,
    /// The canonical spelling of the listed names, whatever the model's case, and lower case
    /// for names with `prefix` (Azure: `x-ms-` headers in lower case).
    Canonical {
        /// Names written in this spelling.
        names: &'static [&'static str],
        /// Names that start with this prefix (in any case) are written in lower case.
        lowercase_prefix: &'static str,
    },
}

const GENERIC: DialectRules = DialectRules {
    name: "generic",
    changesets: true,
    changeset_content_ids: false,
    changes_in_changesets: false,
    version: None,
    continue_on_error: false,
    stops_on_error: true,
    ids: IdScheme::Given,
    spelling: Spelling::AsWritten,
    request_headers_not_carried: &[],
    batch_status: 200,
};

const ODATA_V2: DialectRules = DialectRules {
    name: "odata-v2",
    changes_in_changesets: true,
    version: Some(VersionHeader {
        name: "DataServiceVersion",
        value: "2.0",
        on_parts: true,
    }),
    batch_status: 202,
    ..GENERIC
};

const ODATA_V3: DialectRules = DialectRules {
    name: "odata-v3",
    version: Some(VersionHeader {
        name: "DataServiceVersion",
        value: "3.0",
        on_parts: true,
    }),
    ..ODATA_V2
};

const ODATA_V4: DialectRules = DialectRules {
    name: "odata-v4",
    changeset_content_ids: true,
    version: Some(VersionHeader {
        name: "OData-Version",
        value: "4.0",
        on_parts: false,
    }),
    continue_on_error: true,
    ids: IdScheme::ChangesetRequests,
    ..GENERIC
};

const GOOGLE: DialectRules = DialectRules {
    name: "google",
    changesets: false,
    stops_on_error: false,
    ids: IdScheme::Google,
    ..GENERIC
};

const AZURE: DialectRules = DialectRules {
    name: "azure",
    changesets: false,
    stops_on_error: false,
    // Azure's examples number parts from 0.
    ids: IdScheme::Every { first: 0 },
    spelling: Spelling::Canonical {
        names: &[
            "Accept",
            "Authorization",
            "Cache-Control",
            "Content-Encoding",
            "Content-ID",
            "Content-Language",
            "Content-Length",
            "Content-MD5",
            "Content-Range",
            "Content-Transfer-Encoding",
            "Content-Type",
            "Date",
            "ETag",
            "Host",
            "If-Match",
            "If-Modified-Since",
            "If-None-Match",
            "If-Unmodified-Since",
            "Last-Modified",
            "Range",
            "User-Agent",
        ],
        lowercase_prefix: "x-ms-",
    },
    request_headers_not_carried: &[(
        "x-ms-version",
        "Azure uses the batch request's x-ms-version for every sub-request",
    )],
    batch_status: 202,
    ..GENERIC
};

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dialect name that is not one of [`Dialect::name`]'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDialect(pub String);

impl fmt::Display for UnknownDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
        write!(
            f,
            "unknown dialect {:?}: expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownDialect {}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Dialect, UnknownDialect> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownDialect(s.to_owned()))
    }
}
