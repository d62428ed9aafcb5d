//! Reading OData JSON and Graph batches: requests and responses, ids, atomicity groups,
//! `dependsOn` and the `$<id>` references that must agree with it.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use batchwire_core::{
    AtomicGroup, Batch, BatchMessage, Item, ParseError, ParseErrorKind as K, SubRequest,
    SubResponse, ToleranceKind, odata_system_resource,
};
use http::Method;
use serde_json::value::RawValue;

use super::{GRAPH_MAX_REQUESTS, NEXT_LINKS, Profile, url_reference};
use crate::body::media_kind;
use crate::read::{At, Path, Reader, Shown, Top, is_null};

/// Instance annotations (`@ns.term`, `member@ns.term`) are OData's only extension members.
fn is_annotation(name: &str) -> bool {
    name.contains('@')
}

/// `1*unreserved` (RFC 3986): the OData ABNF's `request-id`.
fn is_request_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// One request as read, with where its members were for later checks.
struct Read<'a, T> {
    op: T,
    path_index: usize,
    id: Option<(String, &'a RawValue)>,
    group: Option<(String, &'a RawValue)>,
    depends: Vec<&'a RawValue>,
    url: Option<&'a RawValue>,
}

pub(crate) fn decode<'a>(
    r: &mut Reader<'a>,
    top: Top<'a>,
    profile: Profile,
) -> Result<BatchMessage, ParseError> {
    let mut top = r.object_top(
        top,
        format_args!(
            "{} batch object with \"requests\" or \"responses\"",
            profile.name()
        ),
    )?;
    let root = Path::Root;
    if let Some(raw) = top.take("requests") {
        r.kind_at = Some(r.offset(raw));
        let path = root.key("requests");
        let mut batch = requests(r, raw, &path, profile)?;
        r.keep_rest_defined(&top, &root, true, &mut batch.extra, is_annotation)?;
        Ok(BatchMessage::Request(batch))
    } else if let Some(raw) = top.take("responses") {
        r.kind_at = Some(r.offset(raw));
        let path = root.key("responses");
        let mut batch = responses(r, raw, &path, profile)?;
        for name in NEXT_LINKS {
            if let Some(link) = top.take(name) {
                if batch.options.next_link.is_some() {
                    return Err(r.error_at(
                        K::DuplicateMember,
                        link,
                        format!("expected one next link, found \"{name}\" besides another"),
                    ));
                }
                batch.options.next_link = Some(r.string(link, &root.key(name))?.into_owned());
            }
        }
        r.keep_rest_defined(&top, &root, false, &mut batch.extra, is_annotation)?;
        Ok(BatchMessage::Response(batch))
    } else {
        Err(r.missing(&top, &root, "requests", "or \"responses\", the batch"))
    }
}

fn requests<'a>(
    r: &mut Reader<'a>,
    raw: &'a RawValue,
    path: &Path<'_>,
    profile: Profile,
) -> Result<Batch<SubRequest>, ParseError> {
    let elements = r.array(raw, path)?;
    r.check_operation_count(elements.len(), raw)?;
    if profile == Profile::Graph {
        r.check_format_count(elements.len(), GRAPH_MAX_REQUESTS, "Microsoft Graph", raw)?;
    }
    let mut read = Vec::with_capacity(elements.len());
    for (i, element) in elements.into_iter().enumerate() {
        read.push(request(r, element, &path.index(i), i, profile)?);
    }
    check_ids(r, &read, path, profile)?;
    let items = group(r, read, path, profile, true)?;
    Ok(Batch::from_items(items))
}

fn request<'a>(
    r: &mut Reader<'a>,
    raw: &'a RawValue,
    path: &Path<'_>,
    index: usize,
    profile: Profile,
) -> Result<Read<'a, SubRequest>, ParseError> {
    let mut object = r.object(raw, path)?;
    let id_raw = object
        .take("id")
        .ok_or_else(|| r.missing(&object, path, "id", "the request id"))?;
    let id = r.string(id_raw, &path.key("id"))?.into_owned();
    if profile == Profile::Odata && !is_request_id(&id) {
        r.tolerate(ToleranceKind::IdCharacters, id_raw, |r| {
            r.expected(
                id_raw,
                &path.key("id"),
                "an id of letters, digits, \"-\", \".\", \"_\" or \"~\"",
            )
        })?;
    }
    let method = r.take_method(&mut object, path, profile.methods())?;
    let url_raw = object
        .take("url")
        .ok_or_else(|| r.missing(&object, path, "url", "the request URL"))?;
    let url = r.string(url_raw, &path.key("url"))?.into_owned();
    let mut sub = SubRequest::new(method, url).with_id(id.clone());
    if let Some(headers) = object.take("headers") {
        sub.headers = r.header_object(headers, &path.key("headers"))?;
    }
    if let Some(body) = object.take("body") {
        let at = path.key("body");
        if !is_null(body) {
            if profile == Profile::Graph && !sub.headers.contains("content-type") {
                r.tolerate(ToleranceKind::BodyWithoutContentType, body, |r| {
                    r.error_at(
                        K::Semantic,
                        body,
                        format!(
                            "expected a Content-Type header with the body {} (Microsoft Graph requires one), found none",
                            At(&at)
                        ),
                    )
                })?;
            }
            if profile == Profile::Odata
                && (sub.method == Method::GET || sub.method == Method::DELETE)
            {
                r.tolerate(ToleranceKind::BodyNotAllowed, body, |r| {
                    r.error_at(
                        K::Semantic,
                        body,
                        format!(
                            "expected no body on a {} request {}, found one",
                            sub.method,
                            At(&at)
                        ),
                    )
                })?;
            }
        }
        sub.body = r.body_by_media(body, media_kind(&sub.headers), profile.alphabets(), &at)?;
    }
    let group = match object.take("atomicityGroup") {
        Some(g) if !is_null(g) => Some((r.string(g, &path.key("atomicityGroup"))?.into_owned(), g)),
        _ => None,
    };
    let mut depends = Vec::new();
    if let Some(deps) = object.take("dependsOn") {
        let at = path.key("dependsOn");
        if !is_null(deps) {
            for (i, dep) in r.array(deps, &at)?.into_iter().enumerate() {
                sub.depends_on
                    .push(r.string(dep, &at.index(i))?.into_owned());
                depends.push(dep);
            }
        }
    }
    r.keep_rest_defined(&object, path, true, &mut sub.extra, |name| {
        name == "if" || is_annotation(name)
    })?;
    Ok(Read {
        op: sub,
        path_index: index,
        id: Some((id, id_raw)),
        group,
        depends,
        url: Some(url_raw),
    })
}

fn responses<'a>(
    r: &mut Reader<'a>,
    raw: &'a RawValue,
    path: &Path<'_>,
    profile: Profile,
) -> Result<Batch<SubResponse>, ParseError> {
    let elements = r.array(raw, path)?;
    r.check_operation_count(elements.len(), raw)?;
    let mut read = Vec::with_capacity(elements.len());
    for (i, element) in elements.into_iter().enumerate() {
        let at = path.index(i);
        let mut object = r.object(element, &at)?;
        let id_raw = object
            .take("id")
            .ok_or_else(|| r.missing(&object, &at, "id", "the id of the request answered"))?;
        let id = r.string(id_raw, &at.key("id"))?.into_owned();
        let status_raw = object
            .take("status")
            .ok_or_else(|| r.missing(&object, &at, "status", "the status code"))?;
        let status = r.status(status_raw, &at.key("status"))?;
        let mut sub = SubResponse::new(status).with_id(id.clone());
        if let Some(headers) = object.take("headers") {
            sub.headers = r.header_object(headers, &at.key("headers"))?;
        }
        if let Some(body) = object.take("body") {
            sub.body = r.body_by_media(
                body,
                media_kind(&sub.headers),
                profile.alphabets(),
                &at.key("body"),
            )?;
        }
        let group = match object.take("atomicityGroup") {
            Some(g) if !is_null(g) => {
                Some((r.string(g, &at.key("atomicityGroup"))?.into_owned(), g))
            }
            _ => None,
        };
        r.keep_rest_defined(&object, &at, false, &mut sub.extra, is_annotation)?;
        read.push(Read {
            op: sub,
            path_index: i,
            id: Some((id, id_raw)),
            group,
            depends: Vec::new(),
            url: None,
        });
    }
    check_ids(r, &read, path, profile)?;
    let items = group(r, read, path, profile, false)?;
    Ok(Batch::from_items(items))
}

/// Rejects an id used twice (case-insensitively for Graph).
fn check_ids<T>(
    r: &Reader<'_>,
    read: &[Read<'_, T>],
    path: &Path<'_>,
    profile: Profile,
) -> Result<(), ParseError> {
    let mut seen: HashMap<Cow<'_, str>, usize> = HashMap::new();
    for item in read {
        let Some((id, raw)) = &item.id else { continue };
        if let Some(first) = seen.insert(profile.key(id), item.path_index) {
            let here = path.index(item.path_index);
            let there = path.index(first);
            return Err(r.error_at(
                K::DuplicateId,
                raw,
                format!(
                    "expected each id once in a batch, found \"{id}\" again at {}, first at {}",
                    here.key("id"),
                    there.key("id")
                ),
            ));
        }
    }
    Ok(())
}

/// Builds items from operations: adjacent members of one atomicity group become a group;
/// checks group names and (for requests) dependencies and `$<id>` references.
///
/// # Complexity
///
/// Linear in the number of operations and dependencies: names are looked up in maps.
fn group<'a, T>(
    r: &mut Reader<'a>,
    read: Vec<Read<'a, T>>,
    path: &Path<'_>,
    profile: Profile,
    request: bool,
) -> Result<Vec<Item<T>>, ParseError>
where
    T: HasDepends,
{
    let ids: Vec<Option<String>> = read
        .iter()
        .map(|x| x.id.as_ref().map(|(id, _)| id.clone()))
        .collect();
    let mut names = Names {
        // `check_ids` has made the ids unique.
        index: ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| id.as_deref().map(|id| (profile.key(id), i)))
            .collect(),
        groups: Groups::default(),
        every_group: read
            .iter()
            .filter_map(|x| x.group.as_ref())
            .map(|(g, _)| profile.key(g).into_owned())
            .collect(),
        profile,
    };
    let mut items: Vec<Item<T>> = Vec::new();
    let mut current: Option<String> = None;
    for (i, entry) in read.into_iter().enumerate() {
        let Read {
            op,
            path_index,
            group,
            depends,
            url,
            ..
        } = entry;
        let here = path.index(path_index);
        if let Some((name, raw)) = &group {
            if let Some(j) = names.position(name) {
                return Err(r.error_at(
                    K::DuplicateId,
                    raw,
                    format!(
                        "expected an atomicity group name unlike every id, found \"{name}\" at {}, the id at {}",
                        here.key("atomicityGroup"),
                        path.index(j).key("id")
                    ),
                ));
            }
            let continues = current.as_deref().is_some_and(|c| c == name);
            let known = names.groups.contains(name);
            // Responses may come in any order, so there a group's members may be apart: each
            // run becomes a group of the same name.
            if request && !continues && known {
                return Err(r.error_at(
                        K::Semantic,
                        raw,
                        format!(
                            "expected the members of atomicity group \"{name}\" next to each other, found another member at {}",
                            here.key("atomicityGroup")
                    ),
                ));
            }
            if !continues && !known {
                names.groups.insert(name.clone(), i, profile);
            }
        }
        if request {
            check_depends(
                r,
                &names,
                group.as_ref().map(|(g, _)| g.as_str()),
                &op,
                &depends,
                url,
                i,
                &here,
            )?;
        }
        if let Some((name, _)) = group {
            if current.as_deref() == Some(name.as_str()) {
                if let Some(Item::Group(g)) = items.last_mut() {
                    g.operations.push(op);
                }
            } else {
                items.push(Item::Group(
                    AtomicGroup::new(vec![op]).with_id(name.clone()),
                ));
                current = Some(name);
            }
        } else {
            items.push(Item::Operation(op));
            current = None;
        }
    }
    Ok(items)
}

/// The ids and group names of a batch, for looking names up as the profile compares them.
struct Names<'n> {
    /// Each id as the profile compares it, and its position.
    index: HashMap<Cow<'n, str>, usize>,
    /// The groups met so far.
    groups: Groups,
    /// Every group name of the batch, as the profile compares it.
    every_group: HashSet<String>,
    profile: Profile,
}

impl Names<'_> {
    /// The position of the request with id `name`.
    fn position(&self, name: &str) -> Option<usize> {
        self.index.get(self.profile.key(name).as_ref()).copied()
    }
}

/// Atomicity groups met so far, each with the position of its first member.
#[derive(Default)]
struct Groups {
    /// Names and first positions, in order.
    all: Vec<(String, usize)>,
    /// Names as written, for adjacency (where `all` holds each).
    exact: HashMap<String, usize>,
    /// Names as the profile compares them, for dependencies (where `all` holds each; with
    /// Graph's case-insensitive ids, several names may compare equal).
    by_key: HashMap<String, Vec<usize>>,
}

impl Groups {
    fn contains(&self, name: &str) -> bool {
        self.exact.contains_key(name)
    }

    fn insert(&mut self, name: String, start: usize, profile: Profile) {
        let k = self.all.len();
        self.by_key
            .entry(profile.key(&name).into_owned())
            .or_default()
            .push(k);
        self.exact.insert(name.clone(), k);
        self.all.push((name, start));
    }

    /// The groups whose names compare equal to `name`, with their first positions.
    fn matching<'g>(
        &'g self,
        name: &str,
        profile: Profile,
    ) -> impl Iterator<Item = &'g (String, usize)> {
        self.by_key
            .get(profile.key(name).as_ref())
            .into_iter()
            .flatten()
            .map(|&k| &self.all[k])
    }
}

/// Access to the declared dependencies and URL of a request; responses have none.
trait HasDepends {
    fn depends_on(&self) -> &[String];
    fn target(&self) -> Option<&str>;
}

impl HasDepends for SubRequest {
    fn depends_on(&self) -> &[String] {
        &self.depends_on
    }
    fn target(&self) -> Option<&str> {
        Some(&self.target)
    }
}

impl HasDepends for SubResponse {
    fn depends_on(&self) -> &[String] {
        &[]
    }
    fn target(&self) -> Option<&str> {
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn check_depends<'a, T: HasDepends>(
    r: &mut Reader<'a>,
    names: &Names<'_>,
    own_group: Option<&str>,
    op: &T,
    depends: &[&'a RawValue],
    url: Option<&'a RawValue>,
    i: usize,
    here: &Path<'_>,
) -> Result<(), ParseError> {
    let profile = names.profile;
    let earlier_group = |name: &str| {
        names
            .groups
            .matching(name, profile)
            .any(|(g, start)| *start < i && own_group != Some(g.as_str()))
    };
    for (k, (dep, raw)) in op.depends_on().iter().zip(depends).enumerate() {
        let position = names.position(dep);
        if position.is_none_or(|j| j >= i) && !earlier_group(dep) {
            let at = here.key("dependsOn");
            let at = at.index(k);
            let why = if position == Some(i) || own_group == Some(dep.as_str()) {
                "itself or its own group"
            } else if position.is_some() {
                "a later request"
            } else {
                "nothing in the batch"
            };
            return Err(r.error_at(
                K::DanglingReference,
                raw,
                format!(
                    "expected the id or atomicity group of a preceding request {}, found \"{dep}\", which names {why}",
                    At(&at)
                ),
            ));
        }
    }
    let (Some(target), Some(url_raw)) = (op.target(), url) else {
        return Ok(());
    };
    let Some(reference) = url_reference(target) else {
        return Ok(());
    };
    let at = here.key("url");
    let Some(j) = names.position(reference) else {
        return check_other_reference(r, names, reference, earlier_group, url_raw, &at);
    };
    if j >= i {
        return Err(r.error_at(
            K::DanglingReference,
            url_raw,
            format!(
                "expected a reference to a preceding request {}, found ${reference}, which names {}",
                At(&at),
                if j == i { "itself" } else { "a later request" }
            ),
        ));
    }
    let declared = op.depends_on().iter().any(|d| {
        profile.key(d) == profile.key(reference)
            || names
                .groups
                .matching(d, profile)
                .any(|(_, start)| *start <= j)
    });
    if !declared {
        r.tolerate(ToleranceKind::UndeclaredDependency, url_raw, |r| {
            r.error_at(
                K::DanglingReference,
                url_raw,
                format!(
                    "expected \"{reference}\" in dependsOn for the reference {}, found {}",
                    At(&at),
                    if op.depends_on().is_empty() {
                        "no dependsOn".to_owned()
                    } else {
                        Shown(&format!("dependsOn {:?}", op.depends_on())).to_string()
                    }
                ),
            )
        })?;
    }
    Ok(())
}

/// Checks a `$<name>` URL reference that names no request: the name of an earlier group (of
/// which the request is not a member) is a reference; a later or its own group is refused,
/// as in `dependsOn`; a system resource (`$metadata`, `$batch`...) is no reference; anything
/// else names nothing in the batch, a tolerance.
fn check_other_reference<'a>(
    r: &mut Reader<'a>,
    names: &Names<'_>,
    reference: &str,
    earlier_group: impl Fn(&str) -> bool,
    url_raw: &'a RawValue,
    at: &Path<'_>,
) -> Result<(), ParseError> {
    if earlier_group(reference) {
        return Ok(());
    }
    if names
        .every_group
        .contains(names.profile.key(reference).as_ref())
    {
        return Err(r.error_at(
            K::DanglingReference,
            url_raw,
            format!(
                "expected a reference to a preceding request {}, found ${reference}, which names its own or a later atomicity group",
                At(at)
            ),
        ));
    }
    if odata_system_resource(reference) {
        return Ok(());
    }
    r.tolerate(ToleranceKind::UnknownReference, url_raw, |r| {
        r.error_at(
            K::DanglingReference,
            url_raw,
            format!(
                "expected a reference to the id of a request of the batch {}, found \"${reference}\", which names nothing in the batch",
                At(at)
            ),
        )
    })
}
