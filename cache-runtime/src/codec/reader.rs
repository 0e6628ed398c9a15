//! A serde deserializer that reads bincode 2's standard encoding straight from a slice.
//!
//! Values are encoded by bincode itself (`codec::encode`); this reads them back on every
//! `#[cache_data]` hit, where bincode's own serde decoder spent about 16 ns of a 55 ns hit of
//! a 32-byte `String` in its layers (a large error type moved through every call, a reader
//! and a decoder wrapped around the slice) and the rest in one allocation and a copy. Reading
//! the slice directly leaves the allocation and the copy.
//!
//! The encoding it reads (bincode 2, `config::standard()`): little-endian; `u8`/`i8` and
//! `bool` as one byte; wider integers as a varint (a byte below 251 is the value, 251, 252,
//! 253 and 254 announce a `u16`, `u32`, `u64` or `u128` that follows), signed ones zigzagged
//! first; floats as their bytes; a `char` as its UTF-8 bytes; strings and byte strings as a
//! varint length and the bytes; `Option` as a tag byte (0 or 1) and the value; sequences and
//! maps as a varint length and the items; tuples and structs as their fields in order; enum
//! variants as a varint `u32` index and their fields. Like bincode, it refuses
//! `deserialize_any`, `deserialize_identifier` and `deserialize_ignored_any` (the encoding
//! does not describe itself). The tests in `codec.rs` check that it reads exactly what
//! bincode's own decoder reads, and rejects what bincode rejects.
//!
//! No length read from the input makes it allocate more than the input holds: strings and
//! byte strings are borrowed from the input (so a length past its end is an error) before they
//! are copied, and the capacity hinted for a sequence or map is at most the bytes left. Items
//! that take no bytes (a `Vec<()>`) are still produced one by one up to the stated length, as
//! bincode does; nesting depth is not limited either.

use std::fmt;

use super::shape::Event;
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

/// Why decoding failed. One pointer wide, so that a `Result` of a small value comes back in
/// registers: the reader returns one per byte of a `Vec<u8>`.
#[derive(Debug)]
pub(super) struct Error(Box<Box<str>>);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(Box::new(msg.to_string().into()))
    }
}

#[cold]
fn error(msg: &str) -> Error {
    Error(Box::new(msg.into()))
}

const U16_BYTE: u8 = 251;
const U32_BYTE: u8 = 252;
const U64_BYTE: u8 = 253;
const U128_BYTE: u8 = 254;

/// The input not yet read.
pub(super) struct Reader<'de> {
    input: &'de [u8],
    /// When decoding a value just encoded, what its `Serialize` impl wrote (see `shape.rs`).
    check: Option<Box<Check>>,
}

impl<'de> Reader<'de> {
    pub(super) fn new(input: &'de [u8]) -> Self {
        Reader { input, check: None }
    }

    /// A reader that also checks each struct and enum it is asked for against `events`,
    /// traced from the value that was encoded.
    pub(super) fn checking(input: &'de [u8], events: Vec<Event>) -> Self {
        Reader {
            input,
            check: Some(Box::new(Check { events, next: 0 })),
        }
    }

    /// Whether every traced struct and enum was asked for (call after decoding).
    pub(super) fn checked_all(&self) -> Result<(), Error> {
        match &self.check {
            Some(check) if check.next != check.events.len() => Err(error(
                "the `Deserialize` impl read fewer structs and variants than `Serialize` wrote",
            )),
            _ => Ok(()),
        }
    }

    /// How many bytes are left unread.
    pub(super) fn remaining(&self) -> usize {
        self.input.len()
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'de [u8], Error> {
        if n > self.input.len() {
            return Err(error("unexpected end of the encoded value"));
        }
        let (taken, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(taken)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        Ok(self.take(N)?.try_into().expect("took exactly N bytes"))
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, Error> {
        let [byte] = self.array()?;
        Ok(byte)
    }

    /// A varint of at most `max` (the largest marker the integer type allows).
    #[inline]
    fn varint(&mut self, max: u8) -> Result<u128, Error> {
        let first = self.byte()?;
        if first < U16_BYTE {
            return Ok(first.into());
        }
        if first > max {
            return Err(error("an integer encoded wider than its type"));
        }
        Ok(match first {
            U16_BYTE => u16::from_le_bytes(self.array()?).into(),
            U32_BYTE => u32::from_le_bytes(self.array()?).into(),
            U64_BYTE => u64::from_le_bytes(self.array()?).into(),
            _ => u128::from_le_bytes(self.array()?),
        })
    }

    #[inline]
    fn u64(&mut self) -> Result<u64, Error> {
        Ok(self.varint(U64_BYTE)? as u64)
    }

    /// A length (of a string, a sequence, a map): a `u64` varint that must fit a `usize`.
    #[inline]
    fn len(&mut self) -> Result<usize, Error> {
        usize::try_from(self.u64()?).map_err(|_| error("a length beyond this platform's usize"))
    }

    #[inline]
    fn bytes(&mut self) -> Result<&'de [u8], Error> {
        let len = self.len()?;
        self.take(len)
    }

    #[inline]
    fn str(&mut self) -> Result<&'de str, Error> {
        utf8(self.bytes()?)
    }

    fn char(&mut self) -> Result<char, Error> {
        let first = self.byte()?;
        let width = match first {
            0x00..=0x7f => return Ok(char::from(first)),
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return Err(error("an invalid char encoding")),
        };
        let mut buf = [first, 0, 0, 0];
        buf[1..width].copy_from_slice(self.take(width - 1)?);
        let text =
            std::str::from_utf8(&buf[..width]).map_err(|_| error("an invalid char encoding"))?;
        Ok(text.chars().next().expect("one char of valid UTF-8"))
    }
}

/// Checks UTF-8, with a shortcut for ASCII (most strings), which the general check is slow on
/// for short inputs.
#[inline]
fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).map_err(|_| error("a string that is not valid UTF-8"))
    }
}

fn zigzag(n: u128) -> i128 {
    ((n >> 1) as i128) ^ -((n & 1) as i128)
}

macro_rules! unsigned {
    ($($method:ident => $visit:ident: $ty:ty, $max:expr;)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                visitor.$visit(self.varint($max)? as $ty)
            }
        )*
    };
}

macro_rules! signed {
    ($($method:ident => $visit:ident: $ty:ty, $max:expr;)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                visitor.$visit(zigzag(self.varint($max)?) as $ty)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(error(
            "the encoding does not describe itself (deserialize_any is not supported)",
        ))
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.byte()? {
            0 => visitor.visit_bool(false),
            1 => visitor.visit_bool(true),
            _ => Err(error("an invalid bool")),
        }
    }

    #[inline]
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i8(self.byte()? as i8)
    }

    #[inline]
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u8(self.byte()?)
    }

    unsigned! {
        deserialize_u16 => visit_u16: u16, U16_BYTE;
        deserialize_u32 => visit_u32: u32, U32_BYTE;
        deserialize_u64 => visit_u64: u64, U64_BYTE;
        deserialize_u128 => visit_u128: u128, U128_BYTE;
    }

    signed! {
        deserialize_i16 => visit_i16: i16, U16_BYTE;
        deserialize_i32 => visit_i32: i32, U32_BYTE;
        deserialize_i64 => visit_i64: i64, U64_BYTE;
        deserialize_i128 => visit_i128: i128, U128_BYTE;
    }

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f32(f32::from_le_bytes(self.array()?))
    }

    #[inline]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(f64::from_le_bytes(self.array()?))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_char(self.char()?)
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.str()?)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.str()?.to_owned())
    }

    #[inline]
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_bytes(self.bytes()?)
    }

    #[inline]
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_byte_buf(self.bytes()?.to_vec())
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.byte()? {
            0 => visitor.visit_none(),
            1 => visitor.visit_some(self),
            _ => Err(error("an invalid Option tag")),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let len = self.len()?;
        visitor.visit_seq(Items { reader: self, len })
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Items { reader: self, len })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, visitor)
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let len = self.len()?;
        visitor.visit_map(Items { reader: self, len })
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if let Some(check) = &mut self.check {
            check.structure(name, fields)?;
        }
        self.deserialize_tuple(fields.len(), visitor)
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.check.is_some() {
            let index = Reader::new(self.input).varint(U32_BYTE)? as u32;
            if let Some(check) = &mut self.check {
                check.variant(name, variants, index)?;
            }
        }
        visitor.visit_enum(self)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(error("identifiers are not encoded"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(error("the encoding cannot skip a value it does not know"))
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The items of a sequence, tuple, struct or map: `len` more to read.
struct Items<'a, 'de> {
    reader: &'a mut Reader<'de>,
    len: usize,
}

impl<'de> Items<'_, 'de> {
    /// The next item (a map's next key), or `None` after the last.
    #[inline]
    fn next<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.len == 0 {
            return Ok(None);
        }
        self.len -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }

    /// A capacity hint no larger than the bytes left: every item takes at least one byte,
    /// except zero-sized ones, for which no capacity is allocated anyway.
    fn hint(&self) -> Option<usize> {
        Some(self.len.min(self.reader.remaining()))
    }
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.next(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.hint()
    }
}

impl<'de> MapAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        self.next(seed)
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.reader)
    }

    fn size_hint(&self) -> Option<usize> {
        self.hint()
    }
}

impl<'de> EnumAccess<'de> for &mut Reader<'de> {
    type Error = Error;
    type Variant = Self;

    #[inline]
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let index = self.varint(U32_BYTE)? as u32;
        let value = seed.deserialize(IntoDeserializer::<Error>::into_deserializer(index))?;
        Ok((value, self))
    }
}

impl<'de> VariantAccess<'de> for &mut Reader<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    #[inline]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if let Some(check) = &mut self.check {
            check.fields(fields)?;
        }
        de::Deserializer::deserialize_tuple(self, fields.len(), visitor)
    }
}

/// The structs and variants a value's `Serialize` impl wrote, checked in turn against what
/// its `Deserialize` impl asks for: the same struct with exactly the fields written, the same
/// enum with the written variant's name at the written index.
pub(super) struct Check {
    events: Vec<Event>,
    next: usize,
}

impl Check {
    fn take(&mut self) -> Option<&Event> {
        let event = self.events.get(self.next)?;
        self.next += 1;
        Some(event)
    }

    #[cold]
    fn structure(&mut self, name: &str, fields: &[&str]) -> Result<(), Error> {
        match self.take() {
            Some(Event::Struct {
                name: written,
                fields: wrote,
            }) if *written == name && wrote.as_slice() == fields => Ok(()),
            Some(Event::Struct {
                name: written,
                fields: wrote,
            }) if *written == name => Err(de::Error::custom(format_args!(
                "`{name}` was written with the fields {wrote:?} but its `Deserialize` reads {fields:?} (a field skipped on one side only?)"
            ))),
            other => Err(de::Error::custom(format_args!(
                "`Deserialize` asked for the struct `{name}` where `Serialize` wrote {other:?}"
            ))),
        }
    }

    #[cold]
    fn variant(&mut self, name: &str, variants: &[&str], index: u32) -> Result<(), Error> {
        let declared = variants.get(index as usize).copied();
        match self.take() {
            Some(Event::Variant {
                enum_name,
                index: written,
                name: variant,
            }) if *enum_name == name && *written == index && declared == Some(*variant) => Ok(()),
            Some(Event::Variant { name: variant, .. }) => Err(de::Error::custom(format_args!(
                "`{name}::{variant}` was written as variant {index}, which its `Deserialize` reads as {declared:?} (a variant that is not deserialized?)"
            ))),
            other => Err(de::Error::custom(format_args!(
                "`Deserialize` asked for the enum `{name}` where `Serialize` wrote {other:?}"
            ))),
        }
    }

    #[cold]
    fn fields(&mut self, fields: &[&str]) -> Result<(), Error> {
        match self.take() {
            Some(Event::Fields(wrote)) if wrote.as_slice() == fields => Ok(()),
            other => Err(de::Error::custom(format_args!(
                "a struct variant's `Deserialize` reads the fields {fields:?} where `Serialize` wrote {other:?}"
            ))),
        }
    }
}
