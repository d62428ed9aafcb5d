//! The OData `$<id>` reference: a request target that starts with the result of an earlier
//! request of the batch (OData 4.01 part 1, 11.7.3.1; [MS-ODATA] 2.2.7.6.1). One parser,
//! used by the readers, the writers and the conversions of every format.

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
