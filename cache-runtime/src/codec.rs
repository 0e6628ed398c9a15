//! The one place that knows how values are encoded: serde through bincode 2, or through CBOR
//! for values that bincode's positional format cannot carry.
//!
//! Everything else in fncache speaks of "encoded bytes" only, so the formats can change here
//! (with a new format version for anything persisted) without touching the rest.
//!
//! A stored value ([`encode_stored`]) is one byte naming its [`Codec`], then its encoding, and
//! it is stored only if decoding it gives back the value that was computed:
//!
//! 1. **Positional** (bincode, the fast path). The names the value's `Serialize` impl writes
//!    (each struct's fields, each variant's index and name) are traced and, while the bytes
//!    are decoded back, compared with the `FIELDS` and `VARIANTS` its `Deserialize` impl
//!    declares (`shape.rs`): a field skipped on one side only, a variant that is not
//!    deserialized, or a `skip_serializing_if` that fired would each shift the decoding, and
//!    each shows up there.
//! 2. **Self-describing** (CBOR, through `ciborium`), when the positional format cannot carry
//!    the value: `skip_serializing_if`, sequences and maps of unknown length
//!    (`#[serde(flatten)]`), `Deserialize` impls that need `deserialize_any` (untagged,
//!    internally and adjacently tagged enums, `serde_json::Value`). CBOR writes field and
//!    variant names and each value's kind, so those types read back.
//!
//! Either way the decoded value is then compared with the computed one: with `==` where the
//! type is `PartialEq` (the macro finds out, see [`Exact`]), otherwise by their serialized
//! forms, encoded as keys are (canonical, so two equal `HashMap`s agree whatever their order).
//! A value that fails every check is not cached: a miss, never a different value.
//!
//! The hit path ([`decode_stored`]) reads bincode's encoding with a deserializer of our own,
//! because it runs on every `#[cache_data]` hit and bincode's decoder cost more than the rest
//! of a small value's hit. Bytes read back from disk may have been damaged or crafted, so no
//! length read from them makes it allocate more than they hold.

mod reader;
mod shape;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// How a stored value is encoded: the first byte of what [`encode_stored`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Codec {
    /// bincode 2's standard encoding, read back by fncache's own decoder.
    Positional = 0,
    /// CBOR (RFC 8949) through `ciborium`, which writes names and kinds.
    SelfDescribing = 1,
}

/// How to tell whether a decoded value is the one computed: `==` where the type has it.
///
/// The macros build it with a [`Probe`] (`Some(PartialEq::eq)` for a
/// `PartialEq` type, `None` otherwise); without `==`, two values are compared by their
/// serialized forms, which cannot see what `Serialize` leaves out (a `#[serde(skip)]` field).
pub struct Exact<T>(Option<fn(&T, &T) -> bool>);

impl<T> Exact<T> {
    /// Compare with this function (`PartialEq::eq`).
    pub const fn by(eq: fn(&T, &T) -> bool) -> Self {
        Exact(Some(eq))
    }

    /// Compare serialized forms.
    pub const fn by_serialization() -> Self {
        Exact(None)
    }
}

impl<T> Clone for Exact<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Exact<T> {}

/// How the macros find `==` for a return type: `(&Probe::<T>::new()).exact()`, with
/// [`ByEq`] and [`BySerialization`] in scope, is [`Exact::by`]`(PartialEq::eq)` where
/// `T: PartialEq` is known and [`Exact::by_serialization`] otherwise (method lookup tries the
/// receiver `&Probe<T>` before `&&Probe<T>`).
///
/// ```
/// use fncache_runtime::codec::{ByEq as _, BySerialization as _, Probe};
/// struct Opaque;
/// let _with_eq = (&Probe::<String>::new()).exact();
/// let _without = (&Probe::<Opaque>::new()).exact();
/// ```
pub struct Probe<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Probe<T> {
    /// The probe of `T`.
    pub const fn new() -> Self {
        Probe(std::marker::PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// [`Probe`]'s answer for a `PartialEq` type.
pub trait ByEq<T> {
    /// `Exact::by(PartialEq::eq)`.
    fn exact(&self) -> Exact<T>;
}

impl<T: PartialEq> ByEq<T> for Probe<T> {
    fn exact(&self) -> Exact<T> {
        Exact::by(<T as PartialEq>::eq)
    }
}

/// [`Probe`]'s answer for any other type.
pub trait BySerialization<T> {
    /// `Exact::by_serialization()`.
    fn exact(&self) -> Exact<T>;
}

impl<T> BySerialization<T> for &Probe<T> {
    fn exact(&self) -> Exact<T> {
        Exact::by_serialization()
    }
}

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

/// Appends the codec byte and the encoding of `value` to `out` (which may already hold a
/// header), having checked that decoding it gives back `value`; returns the codec used.
///
/// `positional` says whether to try bincode first (a function whose values needed CBOR once
/// goes straight to it). On an error `out` is as it was.
///
/// ```
/// use fncache_runtime::codec::{decode_stored, encode_stored, Codec, Exact};
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Order {
///     #[serde(default, skip_serializing_if = "Option::is_none")]
///     coupon: Option<String>,
///     items: Vec<u32>,
/// }
/// let order = Order { coupon: None, items: vec![3] };
/// let mut bytes = Vec::new();
/// // bincode would drop the field and misread `items`: this one goes through CBOR.
/// let codec = encode_stored(&order, Exact::by(PartialEq::eq), true, &mut bytes).unwrap();
/// assert_eq!(codec, Codec::SelfDescribing);
/// assert_eq!(decode_stored::<Order>(&bytes).unwrap(), order);
/// ```
pub fn encode_stored<T: Serialize + DeserializeOwned>(
    value: &T,
    exact: Exact<T>,
    positional: bool,
    out: &mut Vec<u8>,
) -> Result<Codec, CodecError> {
    let start = out.len();
    let positional_failed = if positional {
        match encode_positional(value, exact, out) {
            Ok(()) => return Ok(Codec::Positional),
            Err(e) => {
                out.truncate(start);
                Some(e)
            }
        }
    } else {
        None
    };
    match encode_self_describing(value, exact, out) {
        Ok(()) => Ok(Codec::SelfDescribing),
        Err(e) => {
            out.truncate(start);
            Err(match positional_failed {
                Some(first) => CodecError(format!("{first}; in CBOR, {e}")),
                None => e,
            })
        }
    }
}

fn encode_positional<T: Serialize + DeserializeOwned>(
    value: &T,
    exact: Exact<T>,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    let events = shape::trace(value).map_err(|e| CodecError(e.to_string()))?;
    out.push(Codec::Positional as u8);
    let start = out.len();
    encode_into(value, out)?;
    let bytes = &out[start..];
    let mut reader = reader::Reader::checking(bytes, events);
    let decoded = T::deserialize(&mut reader).map_err(|e| CodecError(e.to_string()))?;
    reader
        .checked_all()
        .map_err(|e| CodecError(e.to_string()))?;
    whole(bytes, bytes.len() - reader.remaining())?;
    same(value, &decoded, exact)
}

fn encode_self_describing<T: Serialize + DeserializeOwned>(
    value: &T,
    exact: Exact<T>,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    out.push(Codec::SelfDescribing as u8);
    let start = out.len();
    ciborium::into_writer(value, &mut *out)
        .map_err(|e| CodecError(format!("it cannot be encoded ({e})")))?;
    let decoded = decode_cbor::<T>(&out[start..])?;
    if exact.0.is_none() && !crate::persist::traceable::<T>() {
        // Its `Deserialize` asks for `deserialize_any`: an untagged enum may be in it, whose
        // variants can serialize alike, so equal serialized forms would prove nothing.
        return Err(CodecError(format!(
            "`{}` needs the self-describing format and may hold an untagged enum, which only `==` can check; derive `PartialEq` for it to be cached",
            std::any::type_name::<T>()
        )));
    }
    same(value, &decoded, exact)
}

fn decode_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let mut rest = bytes;
    let value = ciborium::from_reader(&mut rest)
        .map_err(|e| CodecError(format!("it does not decode back ({e})")))?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(trailing(rest.len()))
    }
}

/// Whether `decoded` is `computed`: by `==` where the type has it, else by their canonical
/// serialized forms.
fn same<T: Serialize>(computed: &T, decoded: &T, exact: Exact<T>) -> Result<(), CodecError> {
    let same = match exact.0 {
        Some(eq) => eq(computed, decoded),
        None => match (print(computed), print(decoded)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    };
    if same {
        Ok(())
    } else {
        Err(CodecError(String::from(
            "it decodes back into a different value",
        )))
    }
}

/// `value`'s canonical serialized form (as keys encode it).
fn print<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    crate::key::encode(value, &mut bytes).ok()?;
    Some(bytes)
}

/// Decodes a value that [`encode_stored`] wrote (codec byte first); trailing bytes are an error.
#[inline]
pub fn decode_stored<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    match bytes.split_first() {
        Some((0, rest)) => decode(rest),
        Some((1, rest)) => decode_cbor(rest),
        _ => Err(unknown_codec()),
    }
}

#[cold]
fn unknown_codec() -> CodecError {
    CodecError(String::from("it has no known codec byte"))
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

    fn stored<T: Serialize + DeserializeOwned>(
        value: &T,
        exact: Exact<T>,
    ) -> Result<Codec, CodecError> {
        let mut out = Vec::new();
        let codec = encode_stored(value, exact, true, &mut out)?;
        assert_eq!(out[0], codec as u8);
        Ok(codec)
    }

    #[test]
    fn each_value_takes_the_first_codec_that_gives_it_back() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Plain {
            a: u8,
            b: Option<String>,
        }
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Sparse {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            a: Option<u8>,
            b: u8,
        }
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        enum Renumbered {
            #[serde(skip_deserializing)]
            Gone,
            Kept(u8),
        }
        #[derive(Serialize, serde::Deserialize, Debug)]
        #[serde(untagged)]
        enum Ambiguous {
            A(u8),
            B(u8),
        }
        let plain = Plain { a: 1, b: None };
        assert_eq!(
            stored(&plain, Exact::by(PartialEq::eq)).unwrap(),
            Codec::Positional
        );
        assert_eq!(
            stored(&plain, Exact::by_serialization()).unwrap(),
            Codec::Positional
        );
        let sparse = Sparse { a: None, b: 2 };
        assert_eq!(
            stored(&sparse, Exact::by(PartialEq::eq)).unwrap(),
            Codec::SelfDescribing
        );
        let sparse = Sparse { a: Some(1), b: 2 };
        assert_eq!(
            stored(&sparse, Exact::by(PartialEq::eq)).unwrap(),
            Codec::Positional
        );
        // Written as variant 1, which `Deserialize` numbers 0: only CBOR's name reads it.
        let kept = Renumbered::Kept(3);
        assert_eq!(
            stored(&kept, Exact::by_serialization()).unwrap(),
            Codec::SelfDescribing
        );
        assert!(stored(&Renumbered::Gone, Exact::by(PartialEq::eq)).is_err());
        assert!(stored(&Ambiguous::B(5), Exact::by_serialization()).is_err());
        assert!(stored(&Ambiguous::A(5), Exact::by_serialization()).is_err());
    }

    #[test]
    fn the_checking_reader_names_what_shifted() {
        #[derive(Serialize, serde::Deserialize, Debug)]
        struct OneSided {
            #[serde(skip_deserializing)]
            written: u8,
            kept: u8,
        }
        let value = OneSided {
            written: 0,
            kept: 0,
        };
        let events = shape::trace(&value).unwrap();
        let bytes = encode(&value).unwrap();
        let mut reader = reader::Reader::checking(&bytes, events);
        let error = <OneSided as serde::Deserialize>::deserialize(&mut reader)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`OneSided` was written with the fields"),
            "{error}"
        );
        // The unchecked reader reads it without complaint: the check is what fails.
        assert!(decode::<OneSided>(&bytes[..1]).is_ok());
    }

    #[test]
    fn stored_bytes_without_a_known_codec_are_errors() {
        assert!(decode_stored::<u8>(&[]).is_err());
        assert!(decode_stored::<u8>(&[7, 1]).is_err());
        assert_eq!(decode_stored::<u8>(&[0, 1]).unwrap(), 1);
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
