//! OData 4.01 JSON batch (`{"requests": [...]}` / `{"responses": [...]}`), and Microsoft
//! Graph's profile of it: reading in `decode`, writing in `encode`. Here is what both share:
//! the profile's rules, the next-link member names, and the `$<id>` reference at the start of
//! a URL.

use std::borrow::Cow;

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

/// Graph answers 400 to a batch of more than 20 requests.
pub(crate) const GRAPH_MAX_REQUESTS: usize = 20;

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

    fn name(self) -> &'static str {
        match self {
            Profile::Odata => "an OData JSON",
            Profile::Graph => "a Microsoft Graph",
        }
    }
}

/// The id a `$<id>` first URL segment names, if the URL starts with one.
pub(crate) fn url_reference(url: &str) -> Option<&str> {
    let rest = url.strip_prefix('$')?;
    let end = rest.find(['/', '?', '(']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|id| !id.is_empty())
}
