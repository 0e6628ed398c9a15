//! The one place that knows how values are encoded: serde through bincode 2.
//!
//! Everything else in fncache speaks of "encoded bytes" only, so the format can change here
//! (with a new format version for anything persisted) without touching the rest.
//!
//! Bytes read back from disk may have been damaged or crafted, so they are decoded with
//! [`decode_bounded`], which never allocates more than the input could hold.

mod bounded;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

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
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, read) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| CodecError(e.to_string()))?;
    whole(bytes, read)?;
    Ok(value)
}

/// Like [`decode`], for bytes that may be damaged or crafted: no length read from `bytes` can
/// make it allocate more than `bytes` holds.
///
/// bincode's own decoder allocates a string's or a byte buffer's declared length before it
/// reads them; here they are borrowed from `bytes` first (so a length past the end is an
/// error) and copied after. Every other allocation already grows with what was read (serde
/// caps the capacity it reserves up front).
///
/// ```
/// use fncache_runtime::codec::{decode_bounded, encode};
/// let bytes = encode(&String::from("hello")).unwrap();
/// assert_eq!(decode_bounded::<String>(&bytes).unwrap(), "hello");
/// // A string that claims to be a terabyte long, in nine bytes: an error, not an allocation.
/// let crafted = [0xfd, 0, 0, 0, 0, 0, 1, 0, 0];
/// assert!(decode_bounded::<String>(&crafted).is_err());
/// ```
pub fn decode_bounded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (Bounded(value), read) =
        bincode::serde::borrow_decode_from_slice::<Bounded<T>, _>(bytes, config())
            .map_err(|e| CodecError(e.to_string()))?;
    whole(bytes, read)?;
    Ok(value)
}

/// A value decoded through [`bounded::Deserializer`].
struct Bounded<T>(T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Bounded<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(bounded::Deserializer(deserializer)).map(Bounded)
    }
}

fn whole(bytes: &[u8], read: usize) -> Result<(), CodecError> {
    if read == bytes.len() {
        Ok(())
    } else {
        Err(CodecError(format!(
            "{} trailing bytes after the value",
            bytes.len() - read
        )))
    }
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

    #[test]
    fn truncated_and_trailing_bytes_are_errors() {
        let bytes = encode(&String::from("hello")).unwrap();
        assert!(decode::<String>(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<String>(&longer).is_err());
        assert!(decode_bounded::<String>(&longer).is_err());
    }

    #[test]
    fn bounded_decoding_reads_what_decode_reads() {
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
        assert_eq!(
            decode_bounded::<(
                String,
                Vec<u32>,
                Option<f64>,
                BTreeMap<String, Vec<String>>,
                std::path::PathBuf,
                std::ffi::CString,
                [u8; 5]
            )>(&bytes)
            .unwrap(),
            v
        );
    }

    #[test]
    fn bounded_decoding_rejects_lengths_past_the_end() {
        // Varint 0xfd: a u64 length follows (2^40), then nothing.
        let mut crafted = vec![0xfd];
        crafted.extend_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(decode_bounded::<String>(&crafted).is_err());
        assert!(decode_bounded::<std::ffi::CString>(&crafted).is_err());
        assert!(decode_bounded::<Vec<String>>(&crafted).is_err());
        assert!(decode_bounded::<Vec<u64>>(&crafted).is_err());
    }
}
