//! The low-level scanning of a document: one object's members or one array's elements at a
//! time, names unescaped and values left raw, with the bounds that keep a hostile object or
//! array from costing memory, and the checks on member names (no name given twice).

use std::borrow::Cow;
use std::fmt;

use batchwire_core::{ParseError, ParseErrorKind as K};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{At, MIN_MEMBERS, Object, Path, Reader};

/// A JSON string, borrowed from the input when it holds no escape.
#[derive(Debug)]
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Str<'de>, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// The members of one JSON object, names unescaped and values raw, in wire order: the first
/// `keep` of them (of those named in `only`, when given), and how many such there are in all.
/// The rest are skipped, not stored, so a hostile object costs no memory.
pub(super) struct Members<'a> {
    pub(super) kept: Vec<(Str<'a>, &'a RawValue)>,
    pub(super) count: usize,
}

/// Reads an object keeping at most `keep` members, and only those named in `only` if given.
struct MembersSeed<'s> {
    keep: usize,
    only: Option<&'s [&'s str]>,
}

impl<'de> de::DeserializeSeed<'de> for MembersSeed<'_> {
    type Value = Members<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Members<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MembersSeed<'_> {
    type Value = Members<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut kept = Vec::with_capacity(map.size_hint().unwrap_or(8).min(self.keep));
        let mut count = 0;
        while let Some(name) = map.next_key::<Str<'de>>()? {
            if self
                .only
                .is_some_and(|only| !only.contains(&name.0.as_ref()))
            {
                map.next_value::<de::IgnoredAny>()?;
                continue;
            }
            count += 1;
            if kept.len() < self.keep {
                let value = map.next_value::<&'de RawValue>()?;
                kept.push((name, value));
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(Members { kept, count })
    }
}

pub(super) fn members<'a>(
    text: &'a str,
    keep: usize,
    only: Option<&[&str]>,
) -> Result<Members<'a>, serde_json::Error> {
    use de::DeserializeSeed as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = MembersSeed { keep, only }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(members)
}

/// The elements of one JSON array, raw: the first `keep` of them, and how many there are
/// in all. The rest are skipped, not stored, so a hostile array costs no memory.
pub(super) struct Elements<'a> {
    pub(super) kept: Vec<&'a RawValue>,
    pub(super) count: usize,
}

/// Reads an array keeping at most `keep` elements.
struct ElementsSeed {
    keep: usize,
}

impl<'de> de::DeserializeSeed<'de> for ElementsSeed {
    type Value = Elements<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Elements<'de>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ElementsSeed {
    type Value = Elements<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Elements<'de>, A::Error> {
        let mut kept = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(self.keep));
        let mut count = 0;
        while count < self.keep {
            let Some(value) = seq.next_element::<&'de RawValue>()? else {
                return Ok(Elements { kept, count });
            };
            kept.push(value);
            count += 1;
        }
        while seq.next_element::<de::IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(Elements { kept, count })
    }
}

pub(super) fn elements(text: &str, keep: usize) -> Result<Elements<'_>, serde_json::Error> {
    use de::DeserializeSeed as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let elements = ElementsSeed { keep }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(elements)
}

impl<'a> Reader<'a> {
    /// Reads `raw` as an object, rejecting a member name given twice.
    ///
    /// No object of a batch document holds more members than a header section holds fields
    /// ([`Limits::max_headers`], or [`MIN_MEMBERS`] when that is lower): an operation has a
    /// handful of members, and extension members are few. Members past the limit are
    /// counted, never stored, so a hostile object costs no memory.
    ///
    /// # Errors
    ///
    /// [`K::LimitExceeded`] at the object, giving the number of members, when there are more.
    pub(crate) fn object(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Object<'a>, ParseError> {
        let (object, count) = self.object_counted(raw, path, self.max_members(), None)?;
        self.check_member_count(count, object.offset, path)?;
        Ok(object)
    }

    /// The most members an object other than a header object may hold.
    pub(super) fn max_members(&self) -> usize {
        self.limits.max_headers.max(MIN_MEMBERS)
    }

    /// Reads the members of `raw` named in `names`, and only them: for a record that is kept
    /// whole as a body (an sObject Tree result, an sObject Collections record), of which a
    /// format reads a member or two. Other members are not stored, not counted and not
    /// checked for repeats, as in any other body.
    pub(crate) fn fields(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        names: &[&str],
    ) -> Result<Object<'a>, ParseError> {
        // Past the limit, one of `names` is given twice, which `object_from` rejects.
        self.object_counted(raw, path, MIN_MEMBERS, Some(names))
            .map(|(object, _)| object)
    }

    /// Reads `raw` as an object, keeping at most `keep` members; the number of members comes
    /// with it.
    pub(super) fn object_counted(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        keep: usize,
        only: Option<&[&str]>,
    ) -> Result<(Object<'a>, usize), ParseError> {
        if !raw.get().starts_with('{') {
            return Err(self.expected(raw, path, "an object"));
        }
        let members = members(raw.get(), keep, only)
            .map_err(|e| self.syntax(self.offset(raw), raw.get(), &e))?;
        let count = members.count;
        Ok((self.object_from(self.offset(raw), members, path)?, count))
    }

    pub(super) fn check_member_count(
        &self,
        count: usize,
        offset: usize,
        path: &Path<'_>,
    ) -> Result<(), ParseError> {
        let max = self.max_members();
        if count > max {
            return Err(self.error_at_offset(
                K::LimitExceeded,
                offset,
                format!(
                    "expected at most {max} members in the object {} (the limit on headers), found {count}",
                    At(path)
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn object_from(
        &self,
        offset: usize,
        members: Members<'a>,
        path: &Path<'_>,
    ) -> Result<Object<'a>, ParseError> {
        let members = members.kept;
        // serde_json keeps the last of two equal names without a word; I-JSON (RFC 7493),
        // which the OData 4.02 text adopts, forbids them. Objects here are small, so a
        // quadratic scan beats hashing until they are not.
        if members.len() <= 32 {
            for (i, (name, value)) in members.iter().enumerate() {
                if let Some((_, first)) = members[..i].iter().find(|(n, _)| n.0 == name.0) {
                    return Err(self.duplicate_member(path, &name.0, value, first));
                }
            }
        } else {
            let mut seen = std::collections::HashMap::with_capacity(members.len());
            for (name, value) in &members {
                if let Some(first) = seen.insert(name.0.as_ref(), *value) {
                    return Err(self.duplicate_member(path, &name.0, value, first));
                }
            }
        }
        Ok(Object {
            offset,
            members: members.into_iter().map(|(n, v)| (n, v, false)).collect(),
        })
    }

    fn duplicate_member(
        &self,
        path: &Path<'_>,
        name: &str,
        value: &RawValue,
        first: &RawValue,
    ) -> ParseError {
        let at = path.key(name);
        self.error_at(
            K::DuplicateMember,
            value,
            format!(
                "expected each member name once in an object, found \"{name}\" again {} (first at byte {})",
                At(&at),
                self.offset(first)
            ),
        )
    }

    /// Reads `raw` as an array.
    pub(crate) fn array(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
    ) -> Result<Vec<&'a RawValue>, ParseError> {
        let elements = self.elements(raw, path, self.limits.max_parts)?;
        self.bounded(elements, self.offset(raw))
    }

    /// Reads `raw` as an array, keeping at most `keep` elements.
    pub(super) fn elements(
        &self,
        raw: &'a RawValue,
        path: &Path<'_>,
        keep: usize,
    ) -> Result<Elements<'a>, ParseError> {
        if !raw.get().starts_with('[') {
            return Err(self.expected(raw, path, "an array"));
        }
        elements(raw.get(), keep).map_err(|e| self.syntax(self.offset(raw), raw.get(), &e))
    }

    /// No array of a batch document holds more elements than a batch holds operations.
    pub(super) fn bounded(
        &self,
        elements: Elements<'a>,
        offset: usize,
    ) -> Result<Vec<&'a RawValue>, ParseError> {
        if elements.count > elements.kept.len() {
            return Err(ParseError::new(
                K::LimitExceeded,
                self.input,
                offset,
                format!(
                    "expected an array of at most {} elements (the limit on operations), found {}",
                    self.limits.max_parts, elements.count
                ),
            ));
        }
        Ok(elements.kept)
    }
}
