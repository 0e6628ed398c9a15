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
    /// ([`crate::store::front`]) index their tables with it on every hit.
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
    /// The identity is the type's name and 64 bits of its [`TypeId`](std::any::TypeId) (taken
    /// without a `'static` bound, lifetimes erased), which tell apart what names cannot: two
    /// closures of one function, or two block-local `struct Cfg` in sibling blocks. A `TypeId` is fixed for one build of the program; the
    /// next build of changed code may give another, and its persisted entries of generic
    /// functions are then misses, never another type's values.
    #[inline]
    pub fn ty<T: ?Sized>(mut self) -> Self {
        self.put(&[tag::TYPE]);
        self.put(&type_bits(typeid::of::<T>()).to_le_bytes());
        put_name(&mut self, std::any::type_name::<T>());
        self
    }

    /// Appends the identity of the instance of a method that `marker`, a closure defined in its
    /// body, belongs to. A closure's type carries every generic parameter around it: the
    /// method's, its `impl`'s, and a trait's own (`impl<F> Render<F> for Doc`, a default
    /// method of `trait Describe<T>`), which the attribute on the method cannot name. The
    /// instances of one method are told apart by 64 bits of that type's `TypeId`.
    #[inline]
    pub fn instance<M: ?Sized>(self, marker: &M) -> Self {
        self.instance_bits(instance_of(marker))
    }

    /// [`instance`](Self::instance) by what [`instance_of`] returned.
    #[inline]
    pub fn instance_bits(mut self, bits: u64) -> Self {
        self.put(&[tag::INSTANCE]);
        self.put(&bits.to_le_bytes());
        self
    }

    /// [`ty`](Self::ty) of the type of `value`, which need not be nameable: an `impl Trait`
    /// anywhere in a parameter's type, also in an unhashed parameter.
    #[inline]
    pub fn ty_of<T: ?Sized>(self, value: &T) -> Self {
        let _ = value;
        self.ty::<T>()
    }

    /// Opens a tuple: a method's hashed parameters are keyed as the tuple that a
    /// `CacheHandle::clear_entry` call is given (`(x,)`, `(x, y)`), closed by [`end`](Self::end).
    #[inline]
    pub fn tuple(mut self) -> Self {
        self.put(&[tag::TUPLE]);
        self
    }

    /// Closes what [`tuple`](Self::tuple) opened.
    #[inline]
    pub fn end(mut self) -> Self {
        self.put(&[tag::END]);
        self
    }

    /// Appends an argument whose declared type is a primitive number, `bool` or `char`: its
    /// bytes alone, with no tag. The function fixes that type at this position, so the tag
    /// would tell nothing, and a key of one `u64` stays 8 bytes, written with one store.
    #[inline(always)]
    pub fn arg_primitive<T: Primitive>(mut self, value: &T) -> Self {
        value.put_to(&mut self);
        self
    }

    /// Appends an argument of a std type whose serde impl leaves state out, with that state:
    /// a `SocketAddrV6`'s flow info and scope id (two addresses that differ only there are
    /// two keys), whether a `RangeInclusive` is exhausted. The macros use it where a
    /// parameter is declared as one of them; inside another type the state stays unseen.
    #[inline]
    pub fn arg_std<T: ?Sized + StdState>(self, value: &T) -> Self {
        let with = self.arg(value);
        value.put_state(with)
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

    /// [`ty`](Self::ty) of `value`'s type, then `value` itself: a parameter with `impl Trait`
    /// anywhere in its type.
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

/// A type whose key needs no tag where its type is declared: the primitive numbers, `bool`
/// and `char` (see [`KeyWriter::arg_primitive`]). Sealed: implemented for these types only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a primitive type, though its name is one",
    note = "a type named like a primitive (`u64`, `bool`) shadows it; rename it, or write the primitive's path (`core::primitive::u64`)"
)]
pub trait Primitive: sealed::Sealed {
    #[doc(hidden)]
    fn put_to(&self, writer: &mut KeyWriter);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! primitive {
    ($($ty:ty),*) => {
        $(
            impl sealed::Sealed for $ty {}
            impl Primitive for $ty {
                #[inline(always)]
                fn put_to(&self, writer: &mut KeyWriter) {
                    writer.put(&self.to_le_bytes());
                }
            }
        )*
    };
}

primitive!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64
);

impl sealed::Sealed for bool {}
impl Primitive for bool {
    #[inline(always)]
    fn put_to(&self, writer: &mut KeyWriter) {
        writer.put(&[u8::from(*self)]);
    }
}

impl sealed::Sealed for char {}
impl Primitive for char {
    #[inline(always)]
    fn put_to(&self, writer: &mut KeyWriter) {
        writer.put(&u32::from(*self).to_le_bytes());
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

/// A std type whose serde impl leaves state out, which [`KeyWriter::arg_std`] adds.
#[diagnostic::on_unimplemented(
    message = "a parameter written `SocketAddrV6`, `SocketAddr` or `RangeInclusive` is keyed as the std type, and `{Self}` is not one",
    label = "not `std::net::SocketAddrV6`, `std::net::SocketAddr` or `std::ops::RangeInclusive`",
    note = "std's serde impls leave out a `SocketAddrV6`'s flow info and scope id and a `RangeInclusive`'s exhaustion, so fncache keys them itself; for another type of that name, give the parameter `#[hash_with(path)]`"
)]
pub trait StdState: Serialize {
    /// Appends the state serde leaves out.
    fn put_state(&self, key: KeyWriter) -> KeyWriter;
}

impl StdState for std::net::SocketAddrV6 {
    fn put_state(&self, key: KeyWriter) -> KeyWriter {
        key.arg(&(self.flowinfo(), self.scope_id()))
    }
}

impl StdState for std::net::SocketAddr {
    fn put_state(&self, key: KeyWriter) -> KeyWriter {
        match self {
            std::net::SocketAddr::V4(_) => key,
            std::net::SocketAddr::V6(v6) => v6.put_state(key),
        }
    }
}

impl<Idx: Serialize + PartialOrd> StdState for std::ops::RangeInclusive<Idx> {
    fn put_state(&self, key: KeyWriter) -> KeyWriter {
        // Exhausted, or empty from the start (which `start` and `end` already say).
        key.arg(&self.is_empty())
    }
}

impl<T: ?Sized + StdState> StdState for &T {
    fn put_state(&self, key: KeyWriter) -> KeyWriter {
        (**self).put_state(key)
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

/// The identity of the type of `marker` (see [`KeyWriter::instance`]).
#[inline]
pub fn instance_of<M: ?Sized>(marker: &M) -> u64 {
    let _ = marker;
    type_bits(typeid::of::<M>())
}

/// What a [`TypeId`](std::any::TypeId) gives of itself through `Hash`, the only view std
/// keeps stable: 64 of its bits (std hashes one word), fixed for one build of the program.
#[inline]
fn type_bits(id: std::any::TypeId) -> u64 {
    /// Keeps what is written, folding anything past one word (std writes one `u64`).
    #[derive(Default)]
    struct Bits(u64);
    impl Hasher for Bits {
        fn write(&mut self, bytes: &[u8]) {
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                self.write_u64(u64::from_le_bytes(word));
            }
        }
        fn write_u64(&mut self, word: u64) {
            self.0 = self.0.rotate_left(29) ^ word;
        }
        fn finish(&self) -> u64 {
            self.0
        }
    }
    let mut bits = Bits::default();
    id.hash(&mut bits);
    bits.0
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

/// The tag that opens every value of the key encoding, so that values of different kinds (or
/// numbers of different widths) never share bytes: `false`, `[]`, `""` and `{}` are four keys.
///
/// Each tag is followed by a payload whose length the tag fixes or that frames itself: fixed-width
/// little-endian numbers, length-prefixed strings and names, and for compounds their elements
/// closed by [`END`](tag::END), which no value starts with. So the encoding of a value is never a
/// prefix of another's, and a sequence of them splits in one way only: the key is an injective
/// image of the serde calls an argument made.
mod tag {
    /// Closes a compound: no value and no field starts with it.
    pub(super) const END: u8 = 0;
    pub(super) const BOOL: u8 = 1;
    pub(super) const I8: u8 = 2;
    pub(super) const I16: u8 = 3;
    pub(super) const I32: u8 = 4;
    pub(super) const I64: u8 = 5;
    pub(super) const I128: u8 = 6;
    pub(super) const U8: u8 = 7;
    pub(super) const U16: u8 = 8;
    pub(super) const U32: u8 = 9;
    pub(super) const U64: u8 = 10;
    pub(super) const U128: u8 = 11;
    pub(super) const F32: u8 = 12;
    pub(super) const F64: u8 = 13;
    pub(super) const CHAR: u8 = 14;
    pub(super) const STR: u8 = 15;
    pub(super) const BYTES: u8 = 16;
    pub(super) const NONE: u8 = 17;
    pub(super) const SOME: u8 = 18;
    pub(super) const UNIT: u8 = 19;
    pub(super) const UNIT_STRUCT: u8 = 20;
    pub(super) const UNIT_VARIANT: u8 = 21;
    pub(super) const NEWTYPE_STRUCT: u8 = 22;
    pub(super) const NEWTYPE_VARIANT: u8 = 23;
    /// A sequence in the order it was given.
    pub(super) const SEQ: u8 = 24;
    /// A sequence whose order means nothing (a `HashSet`): its elements sorted.
    pub(super) const SET: u8 = 25;
    pub(super) const TUPLE: u8 = 26;
    pub(super) const TUPLE_STRUCT: u8 = 27;
    pub(super) const TUPLE_VARIANT: u8 = 28;
    /// A map in the order it was given (`BTreeMap`, `IndexMap`, `serde_json::Map`, any map
    /// not known to be unordered).
    pub(super) const MAP: u8 = 29;
    /// A map whose order means nothing (a `HashMap`): its entries sorted.
    pub(super) const UNORDERED_MAP: u8 = 30;
    pub(super) const STRUCT: u8 = 31;
    pub(super) const STRUCT_VARIANT: u8 = 32;
    /// A struct field that was serialized: its name, then its value.
    pub(super) const FIELD: u8 = 33;
    /// A struct field left out by `skip_serializing_if`: its name only.
    pub(super) const SKIPPED_FIELD: u8 = 34;
    /// A type's identity ([`KeyWriter::ty`](super::KeyWriter::ty)).
    pub(super) const TYPE: u8 = 35;
    /// The instance of a method ([`KeyWriter::instance`](super::KeyWriter::instance)).
    pub(super) const INSTANCE: u8 = 36;
}

/// The iterator types of collections whose iteration order carries no meaning, and differs
/// between equal collections (a per-instance random hasher): their elements are sorted into the
/// key. Serde hands [`serde::Serializer::collect_seq`] and [`collect_map`] the collection's own
/// iterator, so its type tells. Every other collection keeps its order: in doubt, a miss,
/// never two different values on one key.
///
/// [`collect_map`]: serde::Serializer::collect_map
const UNORDERED_ITERATORS: [&str; 4] = [
    "std::collections::hash::map::Iter<",
    "std::collections::hash::set::Iter<",
    "hashbrown::map::Iter<",
    "hashbrown::set::Iter<",
];

fn is_unordered<I>() -> bool {
    let name = std::any::type_name::<I>();
    UNORDERED_ITERATORS
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

#[inline]
fn put_name<S: Sink + ?Sized>(sink: &mut S, name: &str) {
    put_len(sink, name.len());
    sink.put(name.as_bytes());
}

/// Writes a variant's header: its enum's name, its index and its name.
#[inline]
fn put_variant<S: Sink + ?Sized>(sink: &mut S, tag: u8, name: &str, index: u32, variant: &str) {
    sink.put(&[tag]);
    put_name(sink, name);
    put_len(sink, index as usize);
    put_name(sink, variant);
}

struct Encoder<'a, S: Sink> {
    sink: &'a mut S,
}

impl<'a, S: Sink> Encoder<'a, S> {
    #[inline]
    fn open(self, tag: u8) -> Compound<'a, S> {
        self.sink.put(&[tag]);
        Compound { sink: self.sink }
    }

    #[inline]
    fn open_named(self, tag: u8, name: &str) -> Compound<'a, S> {
        self.sink.put(&[tag]);
        put_name(self.sink, name);
        Compound { sink: self.sink }
    }
}

/// The elements of a sequence, tuple, map or struct, written as they come and closed by
/// [`tag::END`].
struct Compound<'a, S: Sink> {
    sink: &'a mut S,
}

impl<S: Sink> Compound<'_, S> {
    #[inline]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), KeyError> {
        value.serialize(Encoder {
            sink: &mut *self.sink,
        })
    }

    #[inline]
    fn close(self) -> Result<(), KeyError> {
        self.sink.put(&[tag::END]);
        Ok(())
    }
}

/// The elements of an unordered collection, each encoded on its own and then written sorted
/// by their bytes, so that equal collections give one key whatever their iteration order.
/// (Each element's encoding frames itself, so sorting the parts never merges two of them.)
#[derive(Default)]
struct Sorted {
    buf: Vec<u8>,
    starts: Vec<usize>,
}

impl Sorted {
    fn part(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), KeyError>,
    ) -> Result<(), KeyError> {
        self.starts.push(self.buf.len());
        write(&mut self.buf)
    }

    fn write_to<S: Sink + ?Sized>(self, sink: &mut S, tag: u8) {
        let ends = self.starts.iter().skip(1).copied().chain([self.buf.len()]);
        let mut parts: Vec<&[u8]> = self
            .starts
            .iter()
            .zip(ends)
            .map(|(&start, end)| &self.buf[start..end])
            .collect();
        parts.sort_unstable();
        sink.put(&[tag]);
        for part in parts {
            sink.put(part);
        }
        sink.put(&[tag::END]);
    }
}

macro_rules! fixed {
    ($($name:ident: $ty:ty => $tag:ident),* $(,)?) => {
        $(
            /// The tag and the bytes in one write: a key of one number is built with one
            /// store, which the hit's read of the key's first word can be forwarded from.
            #[inline]
            fn $name(self, v: $ty) -> Result<(), KeyError> {
                let mut bytes = [0u8; 1 + std::mem::size_of::<$ty>()];
                bytes[0] = tag::$tag;
                bytes[1..].copy_from_slice(&v.to_le_bytes());
                self.sink.put(&bytes);
                Ok(())
            }
        )*
    };
}

impl<'a, S: Sink> serde::Serializer for Encoder<'a, S> {
    type Ok = ();
    type Error = KeyError;
    type SerializeSeq = Compound<'a, S>;
    type SerializeTuple = Compound<'a, S>;
    type SerializeTupleStruct = Compound<'a, S>;
    type SerializeTupleVariant = Compound<'a, S>;
    type SerializeMap = Compound<'a, S>;
    type SerializeStruct = Compound<'a, S>;
    type SerializeStructVariant = Compound<'a, S>;

    // Floats by their bits: `0.0` and `-0.0` are two keys, and a NaN is its own.
    fixed!(
        serialize_i8: i8 => I8, serialize_i16: i16 => I16, serialize_i32: i32 => I32,
        serialize_i64: i64 => I64, serialize_i128: i128 => I128, serialize_u8: u8 => U8,
        serialize_u16: u16 => U16, serialize_u32: u32 => U32, serialize_u64: u64 => U64,
        serialize_u128: u128 => U128, serialize_f32: f32 => F32, serialize_f64: f64 => F64,
    );

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), KeyError> {
        self.sink.put(&[tag::BOOL, u8::from(v)]);
        Ok(())
    }
    #[inline]
    fn serialize_char(self, v: char) -> Result<(), KeyError> {
        self.sink.put(&[tag::CHAR]);
        self.sink.put(&u32::from(v).to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), KeyError> {
        self.sink.put(&[tag::STR]);
        put_name(self.sink, v);
        Ok(())
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<(), KeyError> {
        self.sink.put(&[tag::BYTES]);
        put_len(self.sink, v.len());
        self.sink.put(v);
        Ok(())
    }
    #[inline]
    fn serialize_none(self) -> Result<(), KeyError> {
        self.sink.put(&[tag::NONE]);
        Ok(())
    }
    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), KeyError> {
        self.sink.put(&[tag::SOME]);
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), KeyError> {
        self.sink.put(&[tag::UNIT]);
        Ok(())
    }
    #[inline]
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), KeyError> {
        self.sink.put(&[tag::UNIT_STRUCT]);
        put_name(self.sink, name);
        Ok(())
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), KeyError> {
        put_variant(self.sink, tag::UNIT_VARIANT, name, index, variant);
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.sink.put(&[tag::NEWTYPE_STRUCT]);
        put_name(self.sink, name);
        value.serialize(self)
    }
    #[inline]
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        put_variant(self.sink, tag::NEWTYPE_VARIANT, name, index, variant);
        value.serialize(self)
    }
    #[inline]
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, S>, KeyError> {
        Ok(self.open(tag::SEQ))
    }
    #[inline]
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a, S>, KeyError> {
        Ok(self.open(tag::TUPLE))
    }
    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        Ok(self.open_named(tag::TUPLE_STRUCT, name))
    }
    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        put_variant(self.sink, tag::TUPLE_VARIANT, name, index, variant);
        Ok(Compound { sink: self.sink })
    }
    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, S>, KeyError> {
        Ok(self.open(tag::MAP))
    }
    #[inline]
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        Ok(self.open_named(tag::STRUCT, name))
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        put_variant(self.sink, tag::STRUCT_VARIANT, name, index, variant);
        Ok(Compound { sink: self.sink })
    }

    fn collect_seq<I>(self, iter: I) -> Result<(), KeyError>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let iter = iter.into_iter();
        if !is_unordered::<I::IntoIter>() {
            let mut seq = self.open(tag::SEQ);
            for item in iter {
                seq.element(&item)?;
            }
            return seq.close();
        }
        let mut sorted = Sorted::default();
        for item in iter {
            sorted.part(|buf| item.serialize(Encoder { sink: buf }))?;
        }
        sorted.write_to(self.sink, tag::SET);
        Ok(())
    }

    fn collect_map<K, V, I>(self, iter: I) -> Result<(), KeyError>
    where
        K: Serialize,
        V: Serialize,
        I: IntoIterator<Item = (K, V)>,
    {
        let iter = iter.into_iter();
        if !is_unordered::<I::IntoIter>() {
            let mut map = self.open(tag::MAP);
            for (key, value) in iter {
                map.element(&key)?;
                map.element(&value)?;
            }
            return map.close();
        }
        let mut sorted = Sorted::default();
        for (key, value) in iter {
            sorted.part(|buf| {
                key.serialize(Encoder { sink: &mut *buf })?;
                value.serialize(Encoder { sink: buf })
            })?;
        }
        sorted.write_to(self.sink, tag::UNORDERED_MAP);
        Ok(())
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

macro_rules! elements {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(
            impl<S: Sink> serde::ser::$trait for Compound<'_, S> {
                type Ok = ();
                type Error = KeyError;
                #[inline]
                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), KeyError> {
                    self.element(value)
                }
                #[inline]
                fn end(self) -> Result<(), KeyError> {
                    self.close()
                }
            }
        )*
    };
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<S: Sink> serde::ser::SerializeMap for Compound<'_, S> {
    type Ok = ();
    type Error = KeyError;
    #[inline]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), KeyError> {
        self.element(key)
    }
    #[inline]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), KeyError> {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result<(), KeyError> {
        self.close()
    }
}

macro_rules! fields {
    ($($trait:ident),* $(,)?) => {
        $(
            impl<S: Sink> serde::ser::$trait for Compound<'_, S> {
                type Ok = ();
                type Error = KeyError;
                #[inline]
                fn serialize_field<T: ?Sized + Serialize>(&mut self, name: &'static str, value: &T) -> Result<(), KeyError> {
                    self.sink.put(&[tag::FIELD]);
                    put_name(self.sink, name);
                    self.element(value)
                }
                /// A field left out by `skip_serializing_if` stays in the key by its name, so
                /// which field was left out tells two values apart.
                #[inline]
                fn skip_field(&mut self, name: &'static str) -> Result<(), KeyError> {
                    self.sink.put(&[tag::SKIPPED_FIELD]);
                    put_name(self.sink, name);
                    Ok(())
                }
                #[inline]
                fn end(self) -> Result<(), KeyError> {
                    self.close()
                }
            }
        )*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap, HashSet};

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
        b.insert(7, "x".into());
        assert_ne!(key(&a), key(&b));
        // A `BTreeMap` is ordered already, and keeps its order: another shape of key.
        let c: BTreeMap<u32, String> = a.clone().into_iter().collect();
        let d: BTreeMap<u32, String> = a.clone().into_iter().collect();
        assert_eq!(key(&c), key(&d));
    }

    #[test]
    fn a_declared_primitive_is_its_bytes_alone() {
        let key = KeyWriter::new().arg_primitive(&7u64).finish();
        assert_eq!(key.as_bytes(), &7u64.to_le_bytes());
        let two = KeyWriter::new()
            .arg_primitive(&true)
            .arg_primitive(&'a')
            .finish();
        assert_eq!(two.as_bytes(), &[1, b'a', 0, 0, 0]);
    }

    #[test]
    fn equal_hash_sets_give_one_key_also_inside_maps() {
        let a: HashSet<String> = (0..50).map(|i| i.to_string()).collect();
        let b: HashSet<String> = (0..50).rev().map(|i| i.to_string()).collect();
        assert_eq!(key(&a), key(&b));
        let ma: BTreeMap<u8, HashSet<String>> = [(1, a.clone())].into();
        let mb: BTreeMap<u8, HashSet<String>> = [(1, b)].into();
        assert_eq!(key(&ma), key(&mb));
        let mut c = a.clone();
        c.insert("x".into());
        assert_ne!(key(&a), key(&c));
    }

    #[test]
    fn values_of_different_kinds_never_share_a_key() {
        let unit = key(&());
        let none = key(&None::<u8>);
        let empty_str = key("");
        let empty_seq = key(&Vec::<u8>::new());
        let empty_map = key(&BTreeMap::<u8, u8>::new());
        let f = key(&false);
        let zero_u8 = key(&0u8);
        let zero_i8 = key(&0i8);
        let all = [
            unit, none, empty_str, empty_seq, empty_map, f, zero_u8, zero_i8,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(key(&1u32), key(&'\u{1}'));
        assert_ne!(key(&0.0f64), key(&-0.0f64));
        assert_ne!(key(&0.0f64), key(&0u64));
    }

    #[test]
    fn struct_and_variant_names_are_in_the_key() {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Lookup {
            ById { id: u64 },
            ByPhone { phone: u64 },
        }
        assert_ne!(
            key(&Lookup::ById { id: 42 }),
            key(&Lookup::ByPhone { phone: 42 })
        );
        #[derive(Serialize)]
        enum Unit {
            Celsius,
            Kelvin,
        }
        /// `Unit` after a release that reordered its variants.
        #[derive(Serialize)]
        #[allow(dead_code)]
        enum UnitV2 {
            Kelvin,
            Celsius,
        }
        assert_ne!(key(&Unit::Celsius), key(&UnitV2::Kelvin));
        assert_ne!(key(&Unit::Kelvin), key(&UnitV2::Kelvin)); // index and enum name differ
    }

    #[test]
    fn order_carrying_maps_keep_their_order() {
        struct Ordered(Vec<(&'static str, u32)>);
        impl Serialize for Ordered {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
            }
        }
        let a = Ordered(vec![("name", 1), ("age", 2)]);
        let b = Ordered(vec![("age", 2), ("name", 1)]);
        assert_ne!(key(&a), key(&b));
    }

    #[test]
    fn types_are_told_apart_by_type_id_not_only_by_name() {
        fn key_of<T>(_: &T) -> Key {
            KeyWriter::new().ty::<T>().finish()
        }
        let one = || 1;
        let two = || 2;
        assert_eq!(
            std::any::type_name_of_val(&one),
            std::any::type_name_of_val(&two)
        );
        assert_ne!(key_of(&one), key_of(&two));
        assert_eq!(key_of(&one), key_of(&one));
        let first = {
            struct Cfg;
            KeyWriter::new().ty::<Cfg>().finish()
        };
        let second = {
            struct Cfg;
            KeyWriter::new().ty::<Cfg>().finish()
        };
        assert_ne!(first, second);
    }

    #[test]
    fn short_keys_stay_raw_and_long_ones_are_digests() {
        let short = key(&7u64);
        assert!(!short.is_digest());
        assert_eq!(short.as_bytes(), &[tag::U64, 7, 0, 0, 0, 0, 0, 0, 0]);
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
        let raw = key("x".repeat(30).as_str()); // tag + length byte + 30 bytes = 32, kept raw
        assert!(!raw.is_digest());
        assert_eq!(raw.as_bytes().len(), INLINE);
        assert!(key("x".repeat(31).as_str()).is_digest());
    }
}
