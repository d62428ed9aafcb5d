//! Header lists that keep wire order, repeated names, empty values and spelling.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

/// One header field: its name exactly as written and its value bytes.
///
/// Names compare case-insensitively ([`Header::is`]) but keep their spelling, so a batch read
/// and written again says `Content-ID` where the peer did and `content-id` where it did. The
/// value is the field value without the surrounding whitespace; it may be empty.
///
/// Values of `Authorization`, `Proxy-Authorization` and `Cookie` are redacted by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Header {
    name: Bytes,
    value: Bytes,
}

impl Header {
    /// A header from a name and a value, taken as they are.
    ///
    /// No validation happens here: decoders check what they read, and writers reject a name
    /// or value that would break the framing (a line break, a colon in a name).
    ///
    /// # Examples
    ///
    /// ```
    /// use batchwire_core::Header;
    ///
    /// let h = Header::new("Content-ID", "1");
    /// assert!(h.is("content-id"));
    /// assert_eq!(h.value(), b"1");
    /// ```
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The name as written.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The name as text; bytes that are not UTF-8 are replaced (names read by batchwire are
    /// ASCII, so this only happens for names built from arbitrary bytes).
    pub fn name_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The value bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The value as text, or `None` when it is not UTF-8.
    pub fn value_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }

    /// The name as a shared buffer (a slice of the decoded input where there was one).
    pub fn name_bytes(&self) -> &Bytes {
        &self.name
    }

    /// The value as a shared buffer (a slice of the decoded input where there was one).
    pub fn value_bytes(&self) -> &Bytes {
        &self.value
    }

    /// Whether this header has the given name, compared case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Whether the value must not be shown in logs.
    pub fn is_sensitive(&self) -> bool {
        self.is("authorization") || self.is("proxy-authorization") || self.is("cookie")
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.is_sensitive() {
            &"<redacted>"
        } else {
            &String::from_utf8_lossy(&self.value)
        };
        f.debug_tuple("Header")
            .field(&String::from_utf8_lossy(&self.name))
            .field(value)
            .finish()
    }
}

/// An ordered list of header fields.
///
/// Unlike `http::HeaderMap`, it keeps every occurrence of a repeated name in wire order,
/// interleaved with other names as they came, and each name's original spelling. Lookups are
/// case-insensitive and linear, which is faster than hashing for the handful of headers an
/// embedded message carries.
///
/// # Examples
///
/// ```
/// use batchwire_core::Headers;
///
/// let mut headers = Headers::new();
/// headers.append("Accept", "application/json");
/// headers.append("accept", "text/plain");
/// assert_eq!(headers.get("ACCEPT"), Some(&b"application/json"[..]));
/// assert_eq!(headers.get_all("Accept").count(), 2);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers {
    fields: Vec<Header>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// An empty list with room for `n` fields.
    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            fields: Vec::with_capacity(n),
        }
    }

    /// Adds a field at the end.
    pub fn append(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        self.fields.push(Header::new(name, value));
    }

    /// Adds a field at the end.
    pub fn push(&mut self, header: Header) {
        self.fields.push(header);
    }

    /// Replaces every field of this name by one field with this value, at the place of the
    /// first one (or at the end when there was none), keeping the first one's spelling.
    pub fn set(&mut self, name: &str, value: impl Into<Bytes>) {
        let value = value.into();
        match self.fields.iter().position(|h| h.is(name)) {
            Some(first) => {
                self.fields[first].value = value;
                let mut index = 0;
                self.fields.retain(|h| {
                    let keep = index <= first || !h.is(name);
                    index += 1;
                    keep
                });
            }
            None => self.append(Bytes::copy_from_slice(name.as_bytes()), value),
        }
    }

    /// Removes every field of this name; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.fields.len();
        self.fields.retain(|h| !h.is(name));
        before - self.fields.len()
    }

    /// The value of the first field with this name, compared case-insensitively.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.find(name).map(Header::value)
    }

    /// The value of the first field with this name as text, when it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.find(name).and_then(Header::value_str)
    }

    /// The first field with this name.
    pub fn find(&self, name: &str) -> Option<&Header> {
        self.fields.iter().find(|h| h.is(name))
    }

    /// Every value of this name, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |h| h.is(name))
            .map(Header::value)
    }

    /// Whether a field of this name is present.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The fields in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.fields.iter()
    }

    /// The number of fields, repeated names counted each time.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields as a slice.
    pub fn as_slice(&self) -> &[Header] {
        &self.fields
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.fields).finish()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;

    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

impl IntoIterator for Headers {
    type Item = Header;
    type IntoIter = std::vec::IntoIter<Header>;

    fn into_iter(self) -> Self::IntoIter {
        self.fields.into_iter()
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Headers {
        Headers {
            fields: iter.into_iter().collect(),
        }
    }
}

impl Extend<Header> for Headers {
    fn extend<I: IntoIterator<Item = Header>>(&mut self, iter: I) {
        self.fields.extend(iter);
    }
}

impl From<Vec<Header>> for Headers {
    fn from(fields: Vec<Header>) -> Headers {
        Headers { fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_all_occurrences_at_the_first_place() {
        let mut h = Headers::new();
        h.append("A", "1");
        h.append("b", "2");
        h.append("a", "3");
        h.set("a", "x");
        let pairs: Vec<_> = h.iter().map(|f| (f.name_str(), f.value())).collect();
        assert_eq!(pairs, [("A".into(), &b"x"[..]), ("b".into(), &b"2"[..])]);
        h.set("C", "y");
        assert_eq!(h.get("c"), Some(&b"y"[..]));
        assert_eq!(h.remove("A"), 1);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn debug_redacts_credentials() {
        let h = Header::new("Authorization", "Bearer secret");
        let shown = format!("{h:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
