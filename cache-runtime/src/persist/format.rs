//! The record of one persisted entry: a fixed header, then the encoded value.
//!
//! ```text
//! offset  size  field
//!      0     8  magic: b"fncache\0"
//!      8     4  format version (u32, little-endian)
//!     12     4  reserved, zero
//!     16    32  function key: the function's identity (path, package, and its `version` or
//!                 its code hash, site and the executable's digest: `persist::identity`)
//!     48    32  value key: the 256-bit digest of the call's key
//!     80    32  type fingerprint of the value's type
//!    112     8  time stored: wall-clock nanoseconds since the Unix epoch (u64)
//!    120     8  payload length (u64)
//!    128    32  checksum: blake3 of bytes 0..128 and the payload
//!    160     …  payload: the value as `codec::encode_stored` writes it (a codec byte, then
//!                 the encoding)
//! ```
//!
//! The checksum covers the header too, so a flipped bit anywhere (a stored time made younger,
//! a length made shorter) is caught, not only in the payload. A record is checked in full
//! before any of it is used: the caller never sees a record that is not exactly what was
//! written for this function, this key and this type.

use std::fmt;

use super::fingerprint::Fingerprint;

/// The record's first bytes.
pub const MAGIC: [u8; 8] = *b"fncache\0";
/// The version of this layout (and of the payload and key encodings). A record of another
/// version is a miss and is replaced. 2: keys that describe themselves (tags, names, type ids).
/// 3: the payload starts with its codec (bincode or CBOR).
pub const VERSION: u32 = 3;
/// How long the header is; the payload follows it.
pub const HEADER_LEN: usize = 160;

const CHECKED_LEN: usize = 128;

/// What a header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) function: [u8; 32],
    pub(crate) key: [u8; 32],
    pub(crate) fingerprint: Fingerprint,
    /// Wall-clock nanoseconds since the Unix epoch (see [`crate::clock::wall_now`]).
    pub(crate) stored_at: u64,
}

/// Why a record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Shorter than a header, or shorter or longer than its header says.
    Length { len: usize, expected: Option<usize> },
    /// Not a record at all.
    Magic,
    /// A record of another format version.
    Version(u32),
    /// The checksum does not match: damaged.
    Checksum,
    /// A whole record, for another function or another key (a file copied or renamed).
    WrongEntry,
    /// A whole record, for another definition of the value's type.
    WrongType,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Length {
                len,
                expected: None,
            } => write!(f, "truncated: {len} bytes, shorter than a header"),
            Invalid::Length {
                len,
                expected: Some(expected),
            } => write!(f, "{len} bytes where the header says {expected}"),
            Invalid::Magic => f.write_str("not an fncache record"),
            Invalid::Version(v) => write!(f, "format version {v}, not {VERSION}"),
            Invalid::Checksum => f.write_str("checksum mismatch"),
            Invalid::WrongEntry => f.write_str("a record of another function or key"),
            Invalid::WrongType => f.write_str("written for another definition of the value's type"),
        }
    }
}

/// Appends a header with room for the checksum to `out`, which then receives the payload;
/// [`seal`] fills in the length and checksum once the payload is there.
pub(crate) fn begin(out: &mut Vec<u8>, header: &Header) {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&header.function);
    out.extend_from_slice(&header.key);
    out.extend_from_slice(&header.fingerprint);
    out.extend_from_slice(&header.stored_at.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&[0; 32]);
    debug_assert_eq!(out.len(), HEADER_LEN);
}

/// Completes a record that [`begin`] started and the payload was appended to.
pub(crate) fn seal(record: &mut [u8]) {
    let payload_len = (record.len() - HEADER_LEN) as u64;
    record[120..128].copy_from_slice(&payload_len.to_le_bytes());
    let checksum = checksum(&record[..CHECKED_LEN], &record[HEADER_LEN..]);
    record[CHECKED_LEN..HEADER_LEN].copy_from_slice(&checksum);
}

fn checksum(header: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(header);
    hasher.update(payload);
    *hasher.finalize().as_bytes()
}

/// Checks `record` against what the reader expects, and returns its header and payload.
pub(crate) fn open<'r>(record: &'r [u8], expected: &Header) -> Result<(Header, &'r [u8]), Invalid> {
    let header = read_header(record)?;
    let payload = &record[HEADER_LEN..];
    let (checked, rest) = record.split_at(CHECKED_LEN);
    if rest[..32] != checksum(checked, payload) {
        return Err(Invalid::Checksum);
    }
    if header.function != expected.function || header.key != expected.key {
        return Err(Invalid::WrongEntry);
    }
    if header.fingerprint != expected.fingerprint {
        return Err(Invalid::WrongType);
    }
    Ok((header, payload))
}

/// The header of `record`, with its length checked but not its checksum: enough to decide
/// whether an entry has expired when sweeping a directory.
pub(crate) fn read_header(record: &[u8]) -> Result<Header, Invalid> {
    if record.len() < HEADER_LEN {
        if record.len() >= MAGIC.len() && record[..MAGIC.len()] != MAGIC {
            return Err(Invalid::Magic);
        }
        return Err(Invalid::Length {
            len: record.len(),
            expected: None,
        });
    }
    if record[..8] != MAGIC {
        return Err(Invalid::Magic);
    }
    let version = u32::from_le_bytes(array(&record[8..12]));
    if version != VERSION {
        return Err(Invalid::Version(version));
    }
    let payload_len = u64::from_le_bytes(array(&record[120..128]));
    let expected = usize::try_from(payload_len)
        .ok()
        .and_then(|len| len.checked_add(HEADER_LEN));
    if expected != Some(record.len()) {
        return Err(Invalid::Length {
            len: record.len(),
            expected: Some(expected.unwrap_or(usize::MAX)),
        });
    }
    Ok(Header {
        function: array(&record[16..48]),
        key: array(&record[48..80]),
        fingerprint: array(&record[80..112]),
        stored_at: u64::from_le_bytes(array(&record[112..120])),
    })
}

/// The time stored of a header alone (the first [`HEADER_LEN`] bytes of a record, as read
/// without the payload); `None` if they are not a header of this version.
pub(crate) fn stored_at(header: &[u8]) -> Option<u64> {
    if header.len() < HEADER_LEN || header[..8] != MAGIC || header[8..12] != VERSION.to_le_bytes() {
        return None;
    }
    Some(u64::from_le_bytes(array(&header[112..120])))
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            function: [1; 32],
            key: [2; 32],
            fingerprint: [3; 32],
            stored_at: 1_700_000_000_000_000_000,
        }
    }

    fn record(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        begin(&mut out, &header());
        out.extend_from_slice(payload);
        seal(&mut out);
        out
    }

    #[test]
    fn a_sealed_record_opens() {
        let r = record(b"payload");
        let (h, payload) = open(&r, &header()).unwrap();
        assert_eq!(h, header());
        assert_eq!(payload, b"payload");
        assert_eq!(stored_at(&r[..HEADER_LEN]), Some(header().stored_at));
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let r = record(b"some payload bytes");
        for byte in 0..r.len() {
            for bit in 0..8 {
                let mut bad = r.clone();
                bad[byte] ^= 1 << bit;
                assert!(open(&bad, &header()).is_err(), "byte {byte} bit {bit}");
            }
        }
    }

    #[test]
    fn every_truncation_is_caught() {
        let r = record(b"some payload bytes");
        for len in 0..r.len() {
            assert!(open(&r[..len], &header()).is_err(), "length {len}");
        }
        let mut longer = r.clone();
        longer.push(0);
        assert!(open(&longer, &header()).is_err());
    }

    #[test]
    fn wrong_entries_and_types_are_told_apart() {
        let r = record(b"x");
        let other_key = Header {
            key: [9; 32],
            ..header()
        };
        assert_eq!(open(&r, &other_key), Err(Invalid::WrongEntry));
        let other_type = Header {
            fingerprint: [9; 32],
            ..header()
        };
        assert_eq!(open(&r, &other_type), Err(Invalid::WrongType));
        let mut v1 = r.clone();
        v1[8] = 1;
        assert_eq!(open(&v1, &header()), Err(Invalid::Version(1)));
        assert_eq!(
            open(b"garbage that is not a record", &header()),
            Err(Invalid::Magic)
        );
        assert!(matches!(open(b"", &header()), Err(Invalid::Length { .. })));
    }
}
