//! What a request target says: the OData `$<id>` reference to the result of an earlier
//! request of the batch (OData 4.01 part 1, 11.7.3.1; [MS-ODATA] 2.2.7.6.1), and whether it is
//! an absolute URL. One parser each, used by the readers, the writers, the conversions and the
//! client of every format.

/// The id an OData target refers to: the name after a leading `$`, up to the path (`/`),
/// query (`?`), fragment (`#`) or key (`(`) that follows it; `None` when the target does not
/// start with `$` and a name.
///
/// Whether the name is a request's (rather than a resource such as `$metadata` or `$batch`)
/// is for the caller to decide against the batch's ids.
///
/// # Examples
///
/// ```
/// use batchwire_core::odata_reference;
///
/// assert_eq!(odata_reference("$1/Orders"), Some("1"));
/// assert_eq!(odata_reference("$new?$select=ID"), Some("new"));
/// assert_eq!(odata_reference("$2#frag"), Some("2"));
/// assert_eq!(odata_reference("$c1(2)"), Some("c1"));
/// assert_eq!(odata_reference("$metadata"), Some("metadata"));
/// assert_eq!(odata_reference("Customers"), None);
/// assert_eq!(odata_reference("$/x"), None);
/// ```
pub fn odata_reference(target: &str) -> Option<&str> {
    let rest = target.strip_prefix('$')?;
    let end = rest.find(['/', '?', '#', '(']).unwrap_or(rest.len());
    let id = &rest[..end];
    (!id.is_empty()).then_some(id)
}

/// OData resources whose names start with `$` but that are not Content-ID references
/// (OData 4.01 part 2, section 4, and part 1, section 11.7.3.1).
const SYSTEM_RESOURCES: &[&str] = &[
    "all",
    "batch",
    "count",
    "crossjoin",
    "each",
    "entity",
    "filter",
    "id",
    "metadata",
    "ref",
    "root",
    "search",
    "value",
];

/// Whether `$<name>` names an OData system resource (`$metadata`, `$batch`, `$crossjoin`...)
/// rather than a request, in any case.
///
/// # Examples
///
/// ```
/// use batchwire_core::odata_system_resource;
///
/// assert!(odata_system_resource("metadata"));
/// assert!(odata_system_resource("Batch"));
/// assert!(!odata_system_resource("1"));
/// ```
pub fn odata_system_resource(name: &str) -> bool {
    SYSTEM_RESOURCES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
}

/// Whether a request target is an absolute URL (`https://host/path`): a scheme (a letter,
/// then letters, digits, `+`, `-` or `.`) and `://` before any `/`, `?` or `#`. A relative
/// target that holds a URL in its query (`Links?$filter=url eq 'http://a'`) is not one.
///
/// # Examples
///
/// ```
/// use batchwire_core::is_absolute_url;
///
/// assert!(is_absolute_url("https://graph.microsoft.com/v1.0/me"));
/// assert!(!is_absolute_url("Links?$filter=url eq 'http://a'"));
/// assert!(!is_absolute_url("/me"));
/// assert!(!is_absolute_url("://x"));
/// ```
pub fn is_absolute_url(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}
