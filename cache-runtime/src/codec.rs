//! The one place that knows how values are encoded: serde through bincode 2.
//!
//! Everything else in fncache speaks of "encoded bytes" only, so the format can change here
//! (with a new format version for anything persisted) without touching the rest.
//!
//! bincode encodes; [`decode`] reads bincode's encoding back with a deserializer of our own,
//! because it runs on every `#[cache_data]` hit and bincode's decoder cost more than the rest
//! of a small value's hit. Bytes read back from disk may have been damaged or crafted, so no
//! length read from them makes it allocate more than they hold.

mod reader;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a value could not be encoded or decoded.
#[derive(Debug)]
pub struct CodecError(String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Encodes `value` with bincode's standard configuration.
pub fn encode<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| CodecError(e.to_string()))
}

/// Appends the encoding of `value` to `out` (which may already hold a header).
pub fn encode_into<T: ?Sized + Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), CodecError> {
    bincode::serde::encode_into_std_write(value, out, config())
        .map(drop)
        .map_err(|e| CodecError(e.to_string()))
}

/// Decodes a value that [`encode`] produced; trailing bytes are an error.
///
/// This is the hit path of every `#[cache_data]` function, so it reads bincode's encoding with
/// a deserializer of our own (`codec/reader.rs`) rather than bincode's, whose layers cost more
/// than the rest of a small value's decoding; tests check that the two read exactly alike.
///
/// The bytes may have been damaged or crafted (read back from disk): no length read from them
/// can make this allocate more than they hold. Strings and byte strings are borrowed from
/// `bytes` first (so a length past the end is an error) and copied after, and the capacity
/// hinted for a sequence is at most the bytes left. (A sequence of items that take no bytes
/// at all, such as a `Vec<()>`, is still built item by item up to its stated length, as
/// bincode's own decoder does.)
///
/// ```
/// use fncache_runtime::codec::{decode, encode};
/// let bytes = encode(&String::from("hello")).unwrap();
/// assert_eq!(decode::<String>(&bytes).unwrap(), "hello");
/// // A string that claims to be a terabyte long, in nine bytes: an error, not an allocation.
/// let crafted = [0xfd, 0, 0, 0, 0, 0, 1, 0, 0];
/// assert!(decode::<String>(&crafted).is_err());
/// ```
#[inline]
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let mut reader = reader::Reader::new(bytes);
    let value = T::deserialize(&mut reader).map_err(|e| CodecError(e.to_string()))?;
    whole(bytes, bytes.len() - reader.remaining())?;
    Ok(value)
}

#[inline]
fn whole(bytes: &[u8], read: usize) -> Result<(), CodecError> {
    if read == bytes.len() {
        Ok(())
    } else {
        Err(trailing(bytes.len() - read))
    }
}

#[cold]
fn trailing(extra: usize) -> CodecError {
    CodecError(format!("{extra} trailing bytes after the value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = (String::from("hello"), vec![1u32, 2, 3], Some(2.5f64));
        let bytes = encode(&v).unwrap();
        assert_eq!(
            decode::<(String, Vec<u32>, Option<f64>)>(&bytes).unwrap(),
            v
        );
    }

    /// What bincode itself decodes from `bytes`, for comparison.
    fn bincode_decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
        bincode::serde::decode_from_slice(bytes, config())
            .unwrap()
            .0
    }

    #[test]
    fn truncated_and_trailing_bytes_are_errors() {
        let bytes = encode(&String::from("hello")).unwrap();
        assert!(decode::<String>(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<String>(&longer).is_err());
    }

    #[test]
    fn strings_decode_as_bincode_does_ascii_or_not() {
        for text in [
            "",
            "plain ascii",
            "héllo wörld",
            "日本語",
            "emoji 🦀 at the end",
            "\0\x7f",
        ] {
            let owned = String::from(text);
            let bytes = encode(&owned).unwrap();
            assert_eq!(decode::<String>(&bytes).unwrap(), owned);
            assert_eq!(bincode_decode::<String>(&bytes), owned);
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_string() {
        // A byte string with a lone continuation byte, then one cut short, encoded as bincode
        // encodes a string (length, then the bytes).
        for bad in [&[0x80u8][..], &[b'a', 0xe6, 0x97][..], &[0xff, b'x'][..]] {
            let bytes = encode(&serde_bytes_like(bad)).unwrap();
            assert!(decode::<String>(&bytes).is_err(), "{bad:?}");
        }
    }

    /// `bytes` serialized as serde bytes (the same encoding as a string of them).
    fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + '_ {
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        Bytes(bytes)
    }

    #[test]
    fn decoding_reads_what_bincode_reads() {
        use std::collections::BTreeMap;
        let v = (
            String::from("héllo"),
            vec![1u32, 2, 3],
            Some(2.5f64),
            BTreeMap::from([(String::from("k"), vec![String::from("v")])]),
            std::path::PathBuf::from("/tmp/x"),
            std::ffi::CString::new("c").unwrap(),
            [7u8; 5],
        );
        let bytes = encode(&v).unwrap();
        type Tuple = (
            String,
            Vec<u32>,
            Option<f64>,
            BTreeMap<String, Vec<String>>,
            std::path::PathBuf,
            std::ffi::CString,
            [u8; 5],
        );
        assert_eq!(bincode_decode::<Tuple>(&bytes), v);
        assert_eq!(decode::<Tuple>(&bytes).unwrap(), v);
    }

    #[test]
    fn lengths_past_the_end_are_errors_not_allocations() {
        // Varint 0xfd: a u64 length follows (2^40), then nothing.
        let mut crafted = vec![0xfd];
        crafted.extend_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(decode::<String>(&crafted).is_err());
        assert!(decode::<std::ffi::CString>(&crafted).is_err());
        assert!(decode::<Vec<String>>(&crafted).is_err());
        assert!(decode::<Vec<u64>>(&crafted).is_err());
    }
}
