//! Value keys: a canonical, self-delimiting encoding of a call's hashed arguments.
//!
//! Arguments are written one after another by a small serde [`Serializer`](serde::Serializer)
//! of our own ([`encode`]), not by bincode, because a key has needs a storage format does not:
//!
//! - **Canonical maps.** Map entries are sorted by their encoded bytes, so two `HashMap`s with
//!   the same contents give the same key whatever their insertion order or hasher seed.
//! - **Framing.** Every string, byte string and sequence is length-prefixed and every struct field
//!   carries a present/skipped marker, so `("ab", "c")` and `("a", "bc")` never meet.
//! - **Stability.** Integers are little-endian and lengths are LEB128, so a key is the same on
//!   every run and in every process (persisted entries depend on that).
//!
//! A short encoding (at most [`INLINE`] bytes, the common case: a few integers or a short
//! string) is kept as it is and compared byte for byte, with no hashing at all. A longer one is
//! reduced to its 256-bit blake3 digest, fed in large chunks. Either way two different argument
//! lists can never share a key short of a blake3 collision.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};

use serde::Serialize;

/// How many encoded bytes a key keeps verbatim before it switches to a blake3 digest.
pub const INLINE: usize = 32;

/// How many bytes [`KeyWriter`] buffers before it hands them to blake3 in one call.
const CHUNK: usize = 64 * 1024;

/// The marker in [`Key::len`] for a key that holds a blake3 digest rather than raw bytes.
const DIGEST: u8 = u8::MAX;

/// The marker in [`Key::len`] for the key of a call whose arguments failed to serialize.
const UNCACHEABLE: u8 = u8::MAX - 1;

/// The identity of one call's hashed arguments within one function's cache.
///
/// Either the raw canonical encoding (up to [`INLINE`] bytes) or its blake3 digest. It is
/// `Copy` and 33 bytes long, so a lookup never allocates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Key {
    len: u8,
    bytes: [u8; INLINE],
}

impl Key {
    /// The key's bytes: the raw encoding, or the 32-byte digest.
    pub fn as_bytes(&self) -> &[u8] {
        match self.len {
            DIGEST => &self.bytes,
            UNCACHEABLE => &[],
            len => &self.bytes[..usize::from(len)],
        }
    }

    /// Whether this key is a blake3 digest of a long encoding (rather than the encoding itself).
    pub fn is_digest(&self) -> bool {
        self.len == DIGEST
    }

    /// Whether an argument's `Serialize` impl failed (a `Path` that is not UTF-8, a `RefCell`
    /// already borrowed): such a call has no identity, so it is computed and never cached.
    pub fn is_uncacheable(&self) -> bool {
        self.len == UNCACHEABLE
    }

    /// A 256-bit digest of the key, for places (file names, remote stores) that need a
    /// fixed-size name: the digest itself, or the blake3 digest of the raw bytes.
    pub fn digest(&self) -> [u8; 32] {
        if self.is_digest() {
            self.bytes
        } else {
            *blake3::hash(self.as_bytes()).as_bytes()
        }
    }
}

impl Key {
    /// The key of a call without hashed arguments (and a placeholder in empty table slots).
    pub(crate) const EMPTY: Key = Key {
        len: 0,
        bytes: [0; INLINE],
    };

    /// A seeded hash of the key's used words, always inlined: the per-thread fronts
    /// ([`crate::front`]) index their tables with it on every hit.
    #[inline(always)]
    pub(crate) fn fold(&self, seed: &KeyHasherBuilder) -> u64 {
        let mut hasher = seed.build_hasher();
        let word = |i: usize| {
            let chunk = &self.bytes[8 * i..8 * i + 8];
            u64::from_le_bytes(chunk.try_into().expect("an 8-byte word"))
        };
        hasher.mix(u64::from(self.len) ^ word(0));
        if self.len > 8 {
            hasher.mix(word(1));
            if self.len > 16 {
                hasher.mix(word(2));
                hasher.mix(word(3));
            }
        }
        hasher.finish()
    }
}

impl Hash for Key {
    /// Only the 8-byte words in use: a raw key's bytes past its length are always zero (the
    /// writer starts zeroed), so equal keys still hash alike, and the key of one `u64` costs
    /// one mix instead of four.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let used = usize::from(self.len).next_multiple_of(8).min(INLINE);
        state.write_u8(self.len);
        state.write(&self.bytes[..used]);
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.len {
            DIGEST => "digest",
            UNCACHEABLE => "uncacheable",
            _ => "raw",
        };
        write!(f, "Key({kind}:")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// Builds a [`Key`] from a function's hashed arguments, in declaration order.
///
/// ```
/// use fncache_runtime::key::KeyWriter;
/// let a = KeyWriter::new().arg("ab").arg("c").finish();
/// let b = KeyWriter::new().arg("a").arg("bc").finish();
/// assert_ne!(a, b);
/// ```
pub struct KeyWriter {
    inline: [u8; INLINE],
    len: usize,
    spill: Option<Spill>,
    /// Why an argument could not be serialized, if one could not.
    failed: bool,
}

/// Where a long encoding goes once it no longer fits inline.
struct Spill {
    buf: Vec<u8>,
    /// Boxed: a blake3 hasher is about 2 KiB, and a `KeyWriter` is moved at every `arg`, so
    /// an unboxed one made even an 8-byte key cost a 2 KiB copy per argument.
    hasher: Option<Box<blake3::Hasher>>,
}

impl Spill {
    /// The blake3 digest of everything written; out of line, so that `finish` inlines.
    #[cold]
    #[inline(never)]
    fn digest(self) -> [u8; 32] {
        match self.hasher {
            None => *blake3::hash(&self.buf).as_bytes(),
            Some(mut hasher) => {
                hasher.update(&self.buf);
                *hasher.finalize().as_bytes()
            }
        }
    }
}

impl Default for KeyWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyWriter {
    /// An empty key, as for a function without hashed parameters.
    #[inline]
    pub fn new() -> Self {
        KeyWriter {
            inline: [0; INLINE],
            len: 0,
            spill: None,
            failed: false,
        }
    }

    /// Appends one argument.
    ///
    /// Always inlined: a `KeyWriter` handed to an out-of-line `arg` goes through memory, and
    /// reading it back right after the caller's narrower stores stalls the hit path.
    #[inline(always)]
    pub fn arg<T: ?Sized + crate::bounds::Hashable>(mut self, value: &T) -> Self {
        if let Err(why) = encode(value, &mut self) {
            if !self.failed {
                tracing::warn!(
                    "fncache: an argument of type `{}` cannot be serialized ({why}); the call is not cached",
                    std::any::type_name::<T>()
                );
            }
            self.failed = true;
        }
        self
    }

    /// Appends the identity of a type: a generic function's type argument, a method's `Self`,
    /// or the concrete type behind an `impl Trait` parameter.
    ///
    /// The identity is [`std::any::type_name`], the only one that needs no `'static` bound and
    /// is the same in every process. Two distinct types could in principle share a name (two
    /// versions of one crate in one build); a `#[cache_resource]` value of the wrong type is then
    /// a miss, never a wrong value.
    #[inline]
    pub fn ty<T: ?Sized>(self) -> Self {
        self.type_named(std::any::type_name::<T>())
    }

    /// [`ty`](Self::ty) by the type's name.
    #[inline]
    pub fn type_named(mut self, name: &str) -> Self {
        put_len(&mut self, name.len());
        self.put(name.as_bytes());
        self
    }

    /// Appends a method's receiver (as [`arg`](Self::arg), with a diagnostic about `self`).
    #[inline]
    pub fn receiver<T: ?Sized + crate::bounds::HashableReceiver>(self, value: &T) -> Self {
        self.arg(value)
    }

    /// Appends what a parameter's `#[hash_with(path)]` returned (as [`arg`](Self::arg)).
    #[inline]
    pub fn hashed_with<T: ?Sized + crate::bounds::HashableWith>(self, value: &T) -> Self {
        self.arg(value)
    }

    /// [`ty`](Self::ty) of `value`'s type, then `value` itself: an `impl Trait` parameter.
    #[inline]
    pub fn arg_typed<T: ?Sized + crate::bounds::Hashable>(self, value: &T) -> Self {
        self.ty::<T>().arg(value)
    }

    /// Finishes the key.
    #[inline]
    pub fn finish(self) -> Key {
        if self.failed {
            return Key {
                len: UNCACHEABLE,
                bytes: [0; INLINE],
            };
        }
        match self.spill {
            None => Key {
                len: self.len as u8,
                bytes: self.inline,
            },
            Some(spill) => Key {
                len: DIGEST,
                bytes: spill.digest(),
            },
        }
    }

    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        let spill = self.spill.get_or_insert_with(|| {
            let mut buf = Vec::with_capacity((2 * INLINE).max(bytes.len() + INLINE));
            buf.extend_from_slice(&self.inline[..self.len]);
            Spill { buf, hasher: None }
        });
        spill.buf.extend_from_slice(bytes);
        if spill.buf.len() >= CHUNK {
            spill
                .hasher
                .get_or_insert_with(|| Box::new(blake3::Hasher::new()))
                .update(&spill.buf);
            spill.buf.clear();
        }
    }
}

impl Sink for KeyWriter {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match &mut self.spill {
            None if self.len + bytes.len() <= INLINE => {
                self.inline[self.len..self.len + bytes.len()].copy_from_slice(bytes);
                self.len += bytes.len();
            }
            // Serde writes a `Vec<u8>` one byte at a time: once spilled, appending must stay
            // inline, and only a full chunk goes out of line to the hasher.
            Some(spill) if spill.buf.len() + bytes.len() < CHUNK => {
                spill.buf.extend_from_slice(bytes);
            }
            _ => self.spill(bytes),
        }
    }
}

/// Something the key encoder writes bytes into.
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes the canonical key encoding of `value` into `sink`.
///
/// A `Serialize` impl may fail (serde's impl for a `Path` that is not UTF-8 does); what it
/// wrote before failing does not identify the value, so the error is returned and the caller
/// must not use the key.
pub fn encode<T: ?Sized + Serialize, S: Sink>(value: &T, sink: &mut S) -> Result<(), String> {
    value
        .serialize(Encoder { sink: &mut *sink })
        .map_err(|KeyError(why)| why)
}

/// The key's hasher for the in-memory maps: a seeded folded multiply over the key's words.
///
/// Keys may come from untrusted input (a web request's parameters), so the seed is random per
/// process, which keeps crafted collisions out of reach as with std's `RandomState`, at a
/// fraction of SipHash's cost on a 33-byte key.
#[derive(Clone)]
pub struct KeyHasherBuilder {
    seed: [u64; 2],
}

impl Default for KeyHasherBuilder {
    fn default() -> Self {
        let s = std::collections::hash_map::RandomState::new();
        KeyHasherBuilder {
            seed: [s.hash_one(0x5eed_u64) | 1, s.hash_one(0xfeed_u64)],
        }
    }
}

impl BuildHasher for KeyHasherBuilder {
    type Hasher = KeyHasher;
    #[inline]
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            state: self.seed[1],
            mul: self.seed[0],
        }
    }
}

/// See [`KeyHasherBuilder`].
pub struct KeyHasher {
    state: u64,
    mul: u64,
}

impl KeyHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        let product = u128::from(self.state ^ word) * u128::from(self.mul ^ 0x243f_6a88_85a3_08d3);
        self.state = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.state.rotate_left(23)
    }
}

// ---------------------------------------------------------------------------------------------
// The serializer.

#[derive(Debug)]
struct KeyError(String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

impl serde::ser::Error for KeyError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        KeyError(msg.to_string())
    }
}

#[inline]
fn put_len<S: Sink + ?Sized>(sink: &mut S, mut n: usize) {
    let mut buf = [0u8; 10];
    let mut i = 0;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf[i] = byte;
            i += 1;
            break;
        }
        buf[i] = byte | 0x80;
        i += 1;
    }
    sink.put(&buf[..i]);
}

struct Encoder<'a, S: Sink> {
    sink: &'a mut S,
}

/// A sequence or map whose elements must be collected before its header can be written:
/// sequences of unknown length, and every map (whose entries are sorted).
struct Buffered<'a, S: Sink> {
    sink: &'a mut S,
    buf: Vec<u8>,
    /// Where each map entry starts in `buf` (maps only).
    entries: Vec<usize>,
    count: usize,
    is_map: bool,
}

impl<S: Sink> Buffered<'_, S> {
    fn finish(self) {
        put_len(self.sink, self.count);
        if !self.is_map {
            self.sink.put(&self.buf);
            return;
        }
        let mut ranges: Vec<(usize, usize)> = self
            .entries
            .iter()
            .zip(
                self.entries
                    .iter()
                    .skip(1)
                    .chain(std::iter::once(&self.buf.len())),
            )
            .map(|(&start, &end)| (start, end))
            .collect();
        ranges.sort_unstable_by(|a, b| self.buf[a.0..a.1].cmp(&self.buf[b.0..b.1]));
        for (start, end) in ranges {
            self.sink.put(&self.buf[start..end]);
        }
    }
}

macro_rules! fixed {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(
            #[inline]
            fn $name(self, v: $ty) -> Result<(), KeyError> {
                self.sink.put(&v.to_le_bytes());
                Ok(())
            }
        )*
    };
}

impl<'a, S: Sink> serde::Serializer for Encoder<'a, S> {
    type Ok = ();
    type Error = KeyError;
    type SerializeSeq = Seq<'a, S>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Buffered<'a, S>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fixed!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128, serialize_f32: f32, serialize_f64: f64,
    );

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), KeyError> {
        self.sink.put(&[u8::from(v)]);
        Ok(())
    }
    #[inline]
    fn serialize_char(self, v: char) -> Result<(), KeyError> {
        self.sink.put(&u32::from(v).to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), KeyError> {
        self.serialize_bytes(v.as_bytes())
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<(), KeyError> {
        put_len(self.sink, v.len());
        self.sink.put(v);
        Ok(())
    }
    #[inline]
    fn serialize_none(self) -> Result<(), KeyError> {
        self.sink.put(&[0]);
        Ok(())
    }
    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), KeyError> {
        self.sink.put(&[1]);
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), KeyError> {
        Ok(())
    }
    #[inline]
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), KeyError> {
        Ok(())
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
    ) -> Result<(), KeyError> {
        put_len(self.sink, index as usize);
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        value.serialize(self)
    }
    #[inline]
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        put_len(self.sink, index as usize);
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, S>, KeyError> {
        Ok(match len {
            Some(len) => {
                put_len(self.sink, len);
                Seq::Direct(self)
            }
            None => Seq::Buffered(Buffered {
                sink: self.sink,
                buf: Vec::new(),
                entries: Vec::new(),
                count: 0,
                is_map: false,
            }),
        })
    }
    #[inline]
    fn serialize_tuple(self, _len: usize) -> Result<Self, KeyError> {
        Ok(self)
    }
    #[inline]
    fn serialize_tuple_struct(self, _: &'static str, _len: usize) -> Result<Self, KeyError> {
        Ok(self)
    }
    #[inline]
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, KeyError> {
        put_len(self.sink, index as usize);
        Ok(self)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Buffered<'a, S>, KeyError> {
        Ok(Buffered {
            sink: self.sink,
            buf: Vec::new(),
            entries: Vec::new(),
            count: 0,
            is_map: true,
        })
    }
    #[inline]
    fn serialize_struct(self, _: &'static str, _len: usize) -> Result<Self, KeyError> {
        Ok(self)
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, KeyError> {
        put_len(self.sink, index as usize);
        Ok(self)
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

/// A sequence: written straight through when its length is known up front.
enum Seq<'a, S: Sink> {
    Direct(Encoder<'a, S>),
    Buffered(Buffered<'a, S>),
}

impl<S: Sink> serde::ser::SerializeSeq for Seq<'_, S> {
    type Ok = ();
    type Error = KeyError;
    #[inline]
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), KeyError> {
        match self {
            Seq::Direct(enc) => value.serialize(Encoder {
                sink: &mut *enc.sink,
            }),
            Seq::Buffered(b) => {
                b.count += 1;
                value.serialize(Encoder { sink: &mut b.buf })
            }
        }
    }
    fn end(self) -> Result<(), KeyError> {
        if let Seq::Buffered(b) = self {
            b.finish();
        }
        Ok(())
    }
}

impl<S: Sink> serde::ser::SerializeMap for Buffered<'_, S> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), KeyError> {
        self.count += 1;
        self.entries.push(self.buf.len());
        key.serialize(Encoder {
            sink: &mut self.buf,
        })
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), KeyError> {
        value.serialize(Encoder {
            sink: &mut self.buf,
        })
    }
    fn end(self) -> Result<(), KeyError> {
        self.finish();
        Ok(())
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(
            impl<S: Sink> serde::ser::$trait for Encoder<'_, S> {
                type Ok = ();
                type Error = KeyError;
                #[inline]
                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), KeyError> {
                    value.serialize(Encoder { sink: &mut *self.sink })
                }
                #[inline]
                fn end(self) -> Result<(), KeyError> {
                    Ok(())
                }
            }
        )*
    };
}

compound!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! fields {
    ($($trait:ident),* $(,)?) => {
        $(
            impl<S: Sink> serde::ser::$trait for Encoder<'_, S> {
                type Ok = ();
                type Error = KeyError;
                /// A present field: marker 1, then the value.
                #[inline]
                fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> Result<(), KeyError> {
                    self.sink.put(&[1]);
                    value.serialize(Encoder { sink: &mut *self.sink })
                }
                /// A field left out by `skip_serializing_if`: marker 0, so that which field
                /// was left out stays part of the key.
                #[inline]
                fn skip_field(&mut self, _: &'static str) -> Result<(), KeyError> {
                    self.sink.put(&[0]);
                    Ok(())
                }
                #[inline]
                fn end(self) -> Result<(), KeyError> {
                    Ok(())
                }
            }
        )*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    fn key<T: Serialize + ?Sized>(v: &T) -> Key {
        KeyWriter::new().arg(v).finish()
    }

    #[test]
    fn framing_separates_adjacent_strings() {
        assert_ne!(
            KeyWriter::new().arg("ab").arg("c").finish(),
            KeyWriter::new().arg("a").arg("bc").finish()
        );
        assert_ne!(
            key(&(vec![1u8], vec![2u8, 3])),
            key(&(vec![1u8, 2], vec![3u8]))
        );
    }

    #[test]
    fn maps_are_canonical() {
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for i in 0..100u32 {
            a.insert(i, i.to_string());
        }
        for i in (0..100u32).rev() {
            b.insert(i, i.to_string());
        }
        assert_eq!(key(&a), key(&b));
        let c: BTreeMap<u32, String> = a.clone().into_iter().collect();
        assert_eq!(key(&a), key(&c));
        b.insert(7, "x".into());
        assert_ne!(key(&a), key(&b));
    }

    #[test]
    fn short_keys_stay_raw_and_long_ones_are_digests() {
        let short = key(&7u64);
        assert!(!short.is_digest());
        assert_eq!(short.as_bytes(), &7u64.to_le_bytes());
        let long = key(&"x".repeat(1000));
        assert!(long.is_digest());
        assert_eq!(long, key(&"x".repeat(1000)));
        assert_ne!(long, key(&"x".repeat(1001)));
    }

    #[test]
    fn chunked_hashing_matches_one_shot() {
        let big = vec![0xabu8; 3 * CHUNK + 17];
        let k = key(&big);
        let mut expected = Vec::new();
        encode(&big, &mut expected).unwrap();
        assert_eq!(k.as_bytes(), blake3::hash(&expected).as_bytes());
    }

    #[test]
    fn skipped_fields_are_marked() {
        #[derive(Serialize)]
        struct S {
            #[serde(skip_serializing_if = "Option::is_none")]
            a: Option<u32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            b: Option<u32>,
        }
        assert_ne!(
            key(&S {
                a: Some(1),
                b: None
            }),
            key(&S {
                a: None,
                b: Some(1)
            })
        );
    }

    #[test]
    fn a_failing_serialize_makes_the_key_uncacheable() {
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/tmp/\xff"));
        let key = KeyWriter::new().arg(&1u8).arg(path).finish();
        assert!(key.is_uncacheable());
        assert!(!KeyWriter::new().arg(&1u8).finish().is_uncacheable());
    }

    #[test]
    fn a_raw_key_is_zero_past_its_length_so_hashing_the_used_words_is_sound() {
        // `Hash` reads only the used words; that agrees with `Eq` (all 32 bytes) only if the
        // rest is always zero, whatever was written before.
        let key = KeyWriter::new().arg("abc").arg(&7u16).finish();
        assert!(key.bytes[usize::from(key.len)..].iter().all(|&b| b == 0));
        let hasher = KeyHasherBuilder::default();
        let again = KeyWriter::new().arg("abc").arg(&7u16).finish();
        assert_eq!(hasher.hash_one(key), hasher.hash_one(again));
        assert_ne!(
            hasher.hash_one(key),
            hasher.hash_one(KeyWriter::new().arg("abd").arg(&7u16).finish())
        );
    }

    #[test]
    fn raw_key_of_32_bytes_differs_from_digest() {
        let raw = key(&[7u8; 31].as_slice()); // 1 length byte + 31 bytes = 32, kept raw
        assert!(!raw.is_digest());
        assert_eq!(raw.as_bytes().len(), INLINE);
    }
}
