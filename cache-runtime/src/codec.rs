//! The one place that knows how values are encoded: serde through bincode 2.
//!
//! Everything else in fncache speaks of "encoded bytes" only, so the format can change here
//! (with a new format version for anything persisted) without touching the rest.

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

/// Decodes a value that [`encode`] produced; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, read) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| CodecError(e.to_string()))?;
    if read != bytes.len() {
        return Err(CodecError(format!(
            "{} trailing bytes after the value",
            bytes.len() - read
        )));
    }
    Ok(value)
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
    }
}
