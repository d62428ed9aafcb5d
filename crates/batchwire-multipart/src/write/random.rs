//! Fresh boundaries shaped like version 4 UUIDs, without a random number crate.
//!
//! A boundary needs to be unique, not secret: it only has to differ from every line of the
//! bodies it frames, and the writer checks that anyway. `RandomState` is seeded from the
//! operating system once per thread and gives every instance new keys, so hashing a counter
//! and the time with it yields values that no body author can predict, which is all the
//! writer asks for. Do not use these values where secrecy matters.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Counts calls, so two values hashed in the same nanosecond still differ.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// `prefix` followed by a fresh UUID-shaped value, such as
/// `batch_0f6c8e52-31d4-4b1e-9a37-5b2d90c7e1a4`.
pub(super) fn boundary(prefix: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&word().to_be_bytes());
    bytes[8..].copy_from_slice(&word().to_be_bytes());
    // RFC 9562 5.4: version 4 in the high nibble of byte 6, variant 10 in byte 8.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(prefix.len() + 36);
    out.push_str(prefix);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

fn word() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    // A clock before 1970 only loses the time from the input; the keys still differ.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shaped_and_fresh() {
        let a = boundary("batch_");
        let b = boundary("batch_");
        assert_ne!(a, b);
        let uuid = a.strip_prefix("batch_").unwrap();
        assert_eq!(uuid.len(), 36);
        for (i, c) in uuid.chars().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                assert_eq!(c, '-', "{uuid}");
            } else {
                assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{uuid}");
            }
        }
        assert_eq!(&uuid[14..15], "4", "{uuid}");
        assert!("89ab".contains(&uuid[19..20]), "{uuid}");
        assert!(crate::is_valid_boundary(&a));
    }
}
