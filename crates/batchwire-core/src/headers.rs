//! Header lists that keep wire order, repeated names, empty values and spelling.
//!
//! A list read from the wire is one shared buffer (the header block) and a table of where
//! each name and value lies in it: a part costs one slice of the input, however many fields
//! it has, and the tables of a whole batch share one buffer ([`FieldTable`]). A list that a
//! builder changes becomes a list of owned fields on the first change.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use bytes::{Bytes, BytesMut};

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

    /// The name as text; bytes that are not UTF-8 are replaced.
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
        self.as_view().is(name)
    }

    /// Whether the value must not be shown in logs.
    pub fn is_sensitive(&self) -> bool {
        self.as_view().is_sensitive()
    }

    /// This field, borrowed.
    pub fn as_view(&self) -> HeaderView<'_> {
        HeaderView {
            name: &self.name,
            value: &self.value,
            source: Source::Own(self),
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_view().fmt(f)
    }
}

/// One field of a [`Headers`] list, borrowed: what iterating and looking up give.
///
/// It has the methods of [`Header`]; [`HeaderView::to_owned`] makes a [`Header`] whose name
/// and value share the list's buffer.
#[derive(Clone, Copy)]
pub struct HeaderView<'a> {
    name: &'a [u8],
    value: &'a [u8],
    source: Source<'a>,
}

/// Where a view's bytes live, so that owned copies share the buffer.
#[derive(Clone, Copy)]
enum Source<'a> {
    Block(&'a Bytes),
    Own(&'a Header),
}

impl<'a> HeaderView<'a> {
    /// The name as written.
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The name as text; bytes that are not UTF-8 are replaced.
    pub fn name_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.name)
    }

    /// The value bytes.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The value as text, or `None` when it is not UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.value).ok()
    }

    /// The name as a shared buffer: a slice of the list's buffer, nothing copied.
    pub fn name_bytes(&self) -> Bytes {
        match self.source {
            Source::Block(block) => block.slice_ref(self.name),
            Source::Own(header) => header.name.clone(),
        }
    }

    /// The value as a shared buffer: a slice of the list's buffer, nothing copied.
    pub fn value_bytes(&self) -> Bytes {
        match self.source {
            Source::Block(block) => block.slice_ref(self.value),
            Source::Own(header) => header.value.clone(),
        }
    }

    /// Whether this header has the given name, compared case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Whether the value must not be shown in logs.
    pub fn is_sensitive(&self) -> bool {
        self.is("authorization") || self.is("proxy-authorization") || self.is("cookie")
    }

    /// An owned field sharing this one's buffer.
    pub fn to_owned(&self) -> Header {
        match self.source {
            Source::Own(header) => header.clone(),
            Source::Block(_) => Header {
                name: self.name_bytes(),
                value: self.value_bytes(),
            },
        }
    }
}

impl PartialEq for HeaderView<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value == other.value
    }
}

impl Eq for HeaderView<'_> {}

impl fmt::Debug for HeaderView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.is_sensitive() {
            &"<redacted>"
        } else {
            &String::from_utf8_lossy(self.value)
        };
        f.debug_tuple("Header")
            .field(&String::from_utf8_lossy(self.name))
            .field(value)
            .finish()
    }
}

/// Where the fields of header sections lie in their blocks, packed in shared buffers: a
/// decoder pushes the fields of one section, then [`FieldTable::headers`] hands them to a
/// [`Headers`] as a slice of the buffer, so that many lists share one allocation and no list
/// makes its own.
///
/// # Examples
///
/// ```
/// use batchwire_core::FieldTable;
/// use bytes::Bytes;
///
/// let block = Bytes::from_static(b"Content-Type: text/plain\r\nContent-ID: 7\r\n");
/// let mut table = FieldTable::new();
/// table.push(0..12, 14..24);
/// table.push(26..36, 38..39);
/// let headers = table.headers(block).expect("in bounds");
/// assert_eq!(headers.get_str("content-id"), Some("7"));
/// assert_eq!(headers.len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct FieldTable {
    spans: BytesMut,
    /// The end of the furthest range pushed since the last section, and whether every
    /// range pushed since then is ordered: checked against the block once.
    reach: usize,
    ordered: bool,
}

/// Bytes per field in a [`FieldTable`]: name start and end, value start and end, as `u32`.
const SPAN: usize = 16;

/// Fields per buffer a [`FieldTable`] allocates: the header sections of some fifty parts.
const TABLE_CHUNK: usize = 256;

impl FieldTable {
    /// An empty table.
    pub fn new() -> FieldTable {
        FieldTable::default()
    }

    /// Adds a field of the section being built, whose name and value lie at these ranges of
    /// its block. Returns `false` (and adds nothing) when an offset does not fit in 32 bits.
    pub fn push(&mut self, name: Range<usize>, value: Range<usize>) -> bool {
        let (Ok(a), Ok(b), Ok(c), Ok(d)) = (
            u32::try_from(name.start),
            u32::try_from(name.end),
            u32::try_from(value.start),
            u32::try_from(value.end),
        ) else {
            return false;
        };
        let mut packed = [0u8; SPAN];
        for (slot, n) in packed.chunks_exact_mut(4).zip([a, b, c, d]) {
            slot.copy_from_slice(&n.to_le_bytes());
        }
        if self.spans.is_empty() {
            self.reach = 0;
            self.ordered = true;
        }
        self.reach = self.reach.max(name.end).max(value.end);
        self.ordered &= name.start <= name.end && value.start <= value.end;
        if self.spans.capacity() - self.spans.len() < SPAN {
            self.spans.reserve(TABLE_CHUNK * SPAN);
        }
        self.spans.extend_from_slice(&packed);
        true
    }

    /// The list of the fields pushed since the last call, whose ranges lie in `block`. `None`
    /// (and the fields dropped) when a range is not within `block`.
    pub fn headers(&mut self, block: Bytes) -> Option<Headers> {
        if self.spans.is_empty() {
            return Some(Headers::new());
        }
        let fits = self.ordered && self.reach <= block.len();
        let spans = self.spans.split().freeze();
        fits.then_some(Headers {
            repr: Repr::Wire { block, spans },
        })
    }

    /// Drops the fields pushed since the last section.
    pub fn discard(&mut self) {
        self.spans.clear();
    }
}

/// The ranges of one packed field.
fn span_at(spans: &[u8], i: usize) -> (Range<usize>, Range<usize>) {
    let mut packed = [0u8; SPAN];
    packed.copy_from_slice(&spans[i * SPAN..(i + 1) * SPAN]);
    let at = |k: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&packed[k * 4..k * 4 + 4]);
        u32::from_le_bytes(word) as usize
    };
    (at(0)..at(1), at(2)..at(3))
}

/// An ordered list of header fields.
///
/// Unlike `http::HeaderMap`, it keeps every occurrence of a repeated name in wire order,
/// interleaved with other names as they came, and each name's original spelling. Lookups are
/// case-insensitive and linear, which is faster than hashing for the handful of headers an
/// embedded message carries. Lists compare equal when they hold the same fields in the same
/// order, however they are stored.
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
#[derive(Clone)]
pub struct Headers {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// Fields read from the wire: ranges of `block`, packed in `spans`.
    Wire { block: Bytes, spans: Bytes },
    /// Fields built or changed by a caller.
    Own(Vec<Header>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Own(Vec::new())
    }
}

impl Default for Headers {
    fn default() -> Headers {
        Headers::new()
    }
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers {
            repr: Repr::Own(Vec::new()),
        }
    }

    /// An empty list with room for `n` fields.
    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            repr: Repr::Own(Vec::with_capacity(n)),
        }
    }

    /// Changes the fields, converting a list read from the wire to owned fields first.
    fn change<R>(&mut self, f: impl FnOnce(&mut Vec<Header>) -> R) -> R {
        let mut fields = match std::mem::take(&mut self.repr) {
            Repr::Own(fields) => fields,
            wire @ Repr::Wire { .. } => {
                let wire = Headers { repr: wire };
                wire.iter().map(|h| h.to_owned()).collect()
            }
        };
        let out = f(&mut fields);
        self.repr = Repr::Own(fields);
        out
    }

    /// Adds a field at the end.
    pub fn append(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        let header = Header::new(name, value);
        self.change(|fields| fields.push(header));
    }

    /// Adds a field at the end.
    pub fn push(&mut self, header: Header) {
        self.change(|fields| fields.push(header));
    }

    /// Replaces every field of this name by one field with this value, at the place of the
    /// first one (or at the end when there was none), keeping the first one's spelling.
    pub fn set(&mut self, name: &str, value: impl Into<Bytes>) {
        let value = value.into();
        self.change(|fields| match fields.iter().position(|h| h.is(name)) {
            Some(first) => {
                fields[first].value = value;
                let mut index = 0;
                fields.retain(|h| {
                    let keep = index <= first || !h.is(name);
                    index += 1;
                    keep
                });
            }
            None => fields.push(Header::new(Bytes::copy_from_slice(name.as_bytes()), value)),
        });
    }

    /// Removes every field of this name; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        if !self.contains(name) {
            return 0;
        }
        self.change(|fields| {
            let before = fields.len();
            fields.retain(|h| !h.is(name));
            before - fields.len()
        })
    }

    /// The value of the first field with this name, compared case-insensitively.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.find(name).map(|h| h.value())
    }

    /// The value of the first field with this name as text, when it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.find(name).and_then(|h| h.value_str())
    }

    /// The first field with this name.
    pub fn find(&self, name: &str) -> Option<HeaderView<'_>> {
        self.iter().find(|h| h.is(name))
    }

    /// Every value of this name, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter().filter(move |h| h.is(name)).map(|h| h.value())
    }

    /// Whether a field of this name is present.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The fields in wire order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            headers: self,
            next: 0,
            end: self.len(),
        }
    }

    /// The field at `index` in wire order.
    pub fn get_index(&self, index: usize) -> Option<HeaderView<'_>> {
        match &self.repr {
            Repr::Own(fields) => fields.get(index).map(Header::as_view),
            Repr::Wire { block, spans } => {
                if index >= spans.len() / SPAN {
                    return None;
                }
                let (name, value) = span_at(spans, index);
                // Invariant: `FieldTable::headers` checked every range against the block.
                Some(HeaderView {
                    name: block.get(name).unwrap_or_default(),
                    value: block.get(value).unwrap_or_default(),
                    source: Source::Block(block),
                })
            }
        }
    }

    /// The number of fields, repeated names counted each time.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Own(fields) => fields.len(),
            Repr::Wire { spans, .. } => spans.len() / SPAN,
        }
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The fields of a [`Headers`] list in wire order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    headers: &'a Headers,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = HeaderView<'a>;

    fn next(&mut self) -> Option<HeaderView<'a>> {
        if self.next == self.end {
            return None;
        }
        self.next += 1;
        self.headers.get_index(self.next - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.next == self.end {
            return None;
        }
        self.end -= 1;
        self.headers.get_index(self.end)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl Hash for Headers {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for h in self {
            h.name().hash(state);
            h.value().hash(state);
        }
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = HeaderView<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Headers {
    type Item = Header;
    type IntoIter = std::vec::IntoIter<Header>;

    fn into_iter(mut self) -> Self::IntoIter {
        self.change(std::mem::take).into_iter()
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Headers {
        Headers {
            repr: Repr::Own(iter.into_iter().collect()),
        }
    }
}

impl Extend<Header> for Headers {
    fn extend<I: IntoIterator<Item = Header>>(&mut self, iter: I) {
        self.change(|fields| fields.extend(iter));
    }
}

impl From<Vec<Header>> for Headers {
    fn from(fields: Vec<Header>) -> Headers {
        Headers {
            repr: Repr::Own(fields),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire() -> Headers {
        let block = Bytes::from_static(b"A: 1\r\nb: 2\r\na: 3\r\n");
        let mut table = FieldTable::new();
        assert!(table.push(0..1, 3..4));
        assert!(table.push(6..7, 9..10));
        assert!(table.push(12..13, 15..16));
        table.headers(block).expect("in bounds")
    }

    #[test]
    fn set_replaces_all_occurrences_at_the_first_place() {
        for mut h in [
            wire(),
            Headers::from(vec![
                Header::new("A", "1"),
                Header::new("b", "2"),
                Header::new("a", "3"),
            ]),
        ] {
            h.set("a", "x");
            let pairs: Vec<_> = h.iter().map(|f| (f.name_str(), f.value())).collect();
            assert_eq!(pairs, [("A".into(), &b"x"[..]), ("b".into(), &b"2"[..])]);
            h.set("C", "y");
            assert_eq!(h.get("c"), Some(&b"y"[..]));
            assert_eq!(h.remove("A"), 1);
            assert_eq!(h.len(), 2);
        }
    }

    #[test]
    fn wire_and_owned_lists_of_the_same_fields_are_equal() {
        let owned: Headers = wire().into_iter().collect();
        assert_eq!(owned, wire());
        assert_eq!(wire().get_all("A").collect::<Vec<_>>(), [b"1", b"3"]);
        assert_eq!(
            wire().iter().next_back().map(|h| h.value()),
            Some(&b"3"[..])
        );
        let mut changed = wire();
        changed.append("D", "4");
        assert_ne!(changed, wire());
        assert_eq!(changed.len(), 4);
    }

    #[test]
    fn a_table_out_of_the_block_is_refused() {
        let mut table = FieldTable::new();
        table.push(0..1, 3..40);
        assert!(table.headers(Bytes::from_static(b"A: 1")).is_none());
        // The refused fields are gone; the next section starts empty.
        table.push(0..1, 3..4);
        assert_eq!(
            table.headers(Bytes::from_static(b"A: 1")).map(|h| h.len()),
            Some(1)
        );
    }

    #[test]
    fn sections_share_a_buffer_and_outlive_the_table() {
        let block = Bytes::from_static(b"A: 1\r\n");
        let mut table = FieldTable::new();
        let lists: Vec<Headers> = (0..1000)
            .map(|_| {
                table.push(0..1, 3..4);
                table.headers(block.clone()).expect("in bounds")
            })
            .collect();
        drop(table);
        assert!(lists.iter().all(|h| h.get("a") == Some(&b"1"[..])));
    }

    #[test]
    fn debug_redacts_credentials() {
        let h = Header::new("Authorization", "Bearer secret");
        let shown = format!("{h:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
