//! OData 4.01 JSON batch (`{"requests": [...]}` / `{"responses": [...]}`), and Microsoft
//! Graph's profile of it: reading in `decode`, writing in `encode`. Here is what both share:
//! the profile's rules and the next-link member names.

use std::borrow::Cow;

use crate::body::Alphabets;
use crate::method::{self, Methods};

mod decode;
mod encode;

pub(crate) use decode::decode;
pub(crate) use encode::encode;

/// Which rules apply on top of the JSON shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    /// OData JSON Format 4.01, section 19.
    Odata,
    /// Microsoft Graph `$batch`: ids compared case-insensitively, at most 20 requests, a
    /// Content-Type on every request with a body.
    Graph,
}

/// Requests in one Graph batch (Graph answers 400 to more), from the format's rules.
pub(crate) const GRAPH_MAX_REQUESTS: usize = crate::write::bound(crate::JsonFormat::MsGraph);

const NEXT_LINKS: &[&str] = &["@nextLink", "@odata.nextLink", "nextLink"];

impl Profile {
    /// Whether two ids or group names are the same for the profile: as written, or (Graph)
    /// without regard to case.
    fn same_id(self, a: &str, b: &str) -> bool {
        match self {
            Profile::Odata => a == b,
            Profile::Graph => a.eq_ignore_ascii_case(b),
        }
    }

    /// An id or group name as the profile compares it: as written, or (Graph) lower case.
    fn key(self, id: &str) -> Cow<'_, str> {
        match self {
            Profile::Odata => Cow::Borrowed(id),
            Profile::Graph => Cow::Owned(id.to_ascii_lowercase()),
        }
    }

    /// OData allows the five methods of section 11.7 in any case; Graph any method token.
    fn methods(self) -> &'static Methods {
        match self {
            Profile::Odata => &method::ODATA,
            Profile::Graph => &method::GRAPH,
        }
    }

    /// OData bodies are base64url; Graph's SDKs write the standard alphabet too.
    fn alphabets(self) -> Alphabets {
        match self {
            Profile::Odata => Alphabets::Url,
            Profile::Graph => Alphabets::UrlOrStandard,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Profile::Odata => "an OData JSON",
            Profile::Graph => "a Microsoft Graph",
        }
    }
}

/// The id a `$<id>` first URL segment names, if the URL starts with one: core's one parser.
pub(crate) use batchwire_core::odata_reference as url_reference;
