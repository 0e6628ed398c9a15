//! The fingerprint of a type's serialized shape, so that an entry written for one definition of
//! a return type is never decoded as another.
//!
//! A function's code hash does not see a struct defined elsewhere: add a field to the struct and
//! the function's old entries would still be found, then decoded into the new layout (into
//! wrong values, if the bytes happen to fit). So each persisted entry also carries this
//! fingerprint, and one that does not match is a miss.
//!
//! The shape is traced by a [`serde::Deserializer`] of our own that answers every request of the
//! type's `Deserialize` impl with a sample value and records the request: `u32`, `str`, a
//! struct's name and field names, an enum's name and variant names, and so on, in order. That
//! sequence is exactly what the storage format (bincode) depends on, so any change that alters
//! how the bytes are read alters the fingerprint, while a change that does not (a method, a
//! comment, a derive) leaves it alone.
//!
//! One trace follows one path: `Some` for an option, one element for a sequence or a map, one
//! variant for an enum. The tracer therefore runs several passes, each with a *plan* that says
//! which alternative to take where, until every variant of every enum has been traced once at
//! every place it occurs. A recursive type (a list, a tree) is followed two levels deep; at the
//! third level the innermost option, sequence or enum above it takes its next alternative
//! (`None`, empty, the next variant), which is how a real value of the type ends too. (A type
//! is recognised by its visitor's Rust type, not by its name, so `Wrap<Wrap<u32>>` is two
//! types, not a recursion.) A variant that cannot end within two levels was traced one level
//! up, where it could. A sample
//! value that a type refuses (an empty string for a date, zero for a `NonZeroU32`) is retried
//! with the next sample of that place. A type the tracer cannot follow (one that needs
//! `deserialize_any`, stored in the self-describing format) has no fingerprint: its entries
//! are tied to the build alone, and a function that gives `version = ..` does not persist it.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// A 256-bit digest of a type's shape.
pub(crate) type Fingerprint = [u8; 32];

/// Why a type has no fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeError(String);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many passes a type may take before it counts as too complex to fingerprint.
const MAX_PASSES: usize = 4096;
/// How deep a value may nest.
const MAX_DEPTH: usize = 256;
/// How many times a container's name may be open at once before that counts as recursion.
const MAX_RECURSION: usize = 2;

/// Where a request is, from the root: the field, element or variant index at each level.
type Site = Vec<u32>;
/// The alternative to take at each site where it is not the first one.
type Plan = BTreeMap<Site, u32>;

/// The fingerprint of `T`'s shape.
pub(crate) fn of<T: DeserializeOwned>() -> Result<Fingerprint, ShapeError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"fncache shape 1\0");
    // Each plan, and whether it explores a variant (rather than being the first plan).
    let mut pending = VecDeque::from([(Plan::new(), false)]);
    let mut tried = HashSet::new();
    let mut explored = HashSet::new();
    while let Some((mut plan, exploring)) = pending.pop_front() {
        while tried.insert(plan.clone()) {
            if tried.len() > MAX_PASSES {
                return Err(ShapeError(format!(
                    "its shape takes more than {MAX_PASSES} passes to trace"
                )));
            }
            let mut pass = Pass::new(&plan);
            let result = T::deserialize(Tracer { pass: &mut pass });
            match (result, pass.failure.take()) {
                (_, Some(Failure::Retry(site, alternative))) => {
                    plan.insert(site, alternative);
                }
                // A recursive variant two levels down: traced at the level above, where it ends.
                (_, Some(Failure::DeadEnd(_))) if exploring => break,
                (_, Some(Failure::DeadEnd(name))) => {
                    return Err(ShapeError(format!(
                        "`{name}` contains itself with no way to end"
                    )));
                }
                (_, Some(Failure::Unsupported(why))) => return Err(ShapeError(why)),
                (Err(e), None) => return Err(ShapeError(e.0)),
                (Ok(_), None) => {
                    hasher.update(&(pass.out.len() as u64).to_le_bytes());
                    hasher.update(&pass.out);
                    for (site, variants, chosen) in pass.enums {
                        if explored.insert(site.clone()) {
                            for k in (0..variants).filter(|&k| k != chosen) {
                                let mut next = plan.clone();
                                next.insert(site.clone(), k);
                                pending.push_back((next, true));
                            }
                        }
                    }
                    break;
                }
            }
        }
    }
    Ok(*hasher.finalize().as_bytes())
}

/// What stopped a pass.
enum Failure {
    /// Take this alternative at this site and run the pass again.
    Retry(Site, u32),
    /// A recursion with no alternative left to end it.
    DeadEnd(&'static str),
    /// The type cannot be traced.
    Unsupported(String),
}

enum Frame {
    /// A container (struct, enum, ...) being traced, by its visitor's Rust type.
    Container(&'static str),
    /// A place with alternatives (option, sequence, map, enum): which one this pass takes.
    Choice {
        site: Site,
        taken: u32,
        alternatives: u32,
    },
}

/// One trace of the type along one plan.
struct Pass<'p> {
    plan: &'p Plan,
    /// The requests, encoded.
    out: Vec<u8>,
    path: Site,
    frames: Vec<Frame>,
    /// Every enum met: its site, how many variants it has and which one was taken.
    enums: Vec<(Site, u32, u32)>,
    /// The last sample handed out: the one to change if a container refuses its contents.
    last_sample: Option<(Site, u32, u32)>,
    failure: Option<Failure>,
}

impl<'p> Pass<'p> {
    fn new(plan: &'p Plan) -> Self {
        Pass {
            plan,
            out: Vec::new(),
            path: Vec::new(),
            frames: Vec::new(),
            enums: Vec::new(),
            last_sample: None,
            failure: None,
        }
    }

    fn taken(&self, alternatives: u32) -> u32 {
        self.plan
            .get(&self.path)
            .copied()
            .unwrap_or(0)
            .min(alternatives.saturating_sub(1))
    }

    fn tag(&mut self, tag: u8) {
        self.out.push(tag);
    }

    fn number(&mut self, n: usize) {
        self.out.extend_from_slice(&(n as u64).to_le_bytes());
    }

    fn name(&mut self, name: &str) {
        self.number(name.len());
        self.out.extend_from_slice(name.as_bytes());
    }

    fn names(&mut self, names: &[&str]) {
        self.number(names.len());
        for name in names {
            self.name(name);
        }
    }

    fn fail(&mut self, failure: Failure) -> TraceError {
        let message = match &failure {
            Failure::Retry(..) => "retry".to_owned(),
            Failure::DeadEnd(name) => format!("`{name}` recursion"),
            Failure::Unsupported(why) => why.clone(),
        };
        self.failure.get_or_insert(failure);
        TraceError(message)
    }

    /// Opens the container `name` read by the visitor `V`, unless that is one recursion too many.
    fn enter<V>(&mut self, name: &'static str) -> Result<(), TraceError> {
        if self.path.len() > MAX_DEPTH {
            return Err(self.fail(Failure::Unsupported(format!(
                "it nests more than {MAX_DEPTH} levels deep"
            ))));
        }
        let identity = std::any::type_name::<V>();
        let open = self
            .frames
            .iter()
            .filter(|f| matches!(f, Frame::Container(t) if *t == identity))
            .count();
        if open >= MAX_RECURSION {
            return Err(self.end_recursion(name));
        }
        self.frames.push(Frame::Container(identity));
        Ok(())
    }

    /// The innermost place with an alternative left takes its next one.
    fn end_recursion(&mut self, name: &'static str) -> TraceError {
        let way_out = self.frames.iter().rev().find_map(|frame| match frame {
            Frame::Choice {
                site,
                taken,
                alternatives,
            } if taken + 1 < *alternatives => Some(Failure::Retry(site.clone(), taken + 1)),
            _ => None,
        });
        self.fail(way_out.unwrap_or(Failure::DeadEnd(name)))
    }

    fn leave(&mut self) {
        self.frames.pop();
    }

    /// Records a place with alternatives and returns the one this pass takes.
    fn choose(&mut self, alternatives: u32) -> u32 {
        let taken = self.taken(alternatives);
        self.frames.push(Frame::Choice {
            site: self.path.clone(),
            taken,
            alternatives,
        });
        self.number(taken as usize);
        taken
    }

    /// After a container's visitor failed: change the last sample if nothing deeper failed.
    fn refused(&mut self, e: TraceError) -> TraceError {
        if self.failure.is_some() {
            return e;
        }
        match self.last_sample.take() {
            Some((site, taken, samples)) if taken + 1 < samples => {
                self.fail(Failure::Retry(site, taken + 1))
            }
            _ => self.fail(Failure::Unsupported(e.0)),
        }
    }

    /// Runs `visit` with this site's sample; a refused sample makes the pass retry with the next.
    fn sample<S: Copy, V>(
        &mut self,
        tag: u8,
        samples: &[S],
        visit: impl FnOnce(S) -> Result<V, TraceError>,
    ) -> Result<V, TraceError> {
        self.tag(tag);
        let count = samples.len() as u32;
        let taken = self.taken(count);
        self.last_sample = Some((self.path.clone(), taken, count));
        visit(samples[taken as usize]).map_err(|e| {
            if self.failure.is_some() {
                e
            } else if taken + 1 < count {
                self.fail(Failure::Retry(self.path.clone(), taken + 1))
            } else {
                self.fail(Failure::Unsupported(e.0))
            }
        })
    }

    fn child<R>(&mut self, index: u32, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(index);
        let result = f(self);
        self.path.pop();
        result
    }
}

#[derive(Debug)]
struct TraceError(String);

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TraceError {}

impl de::Error for TraceError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TraceError(msg.to_string())
    }
}

/// Samples, in the order they are tried: values that common validating types accept.
const STRINGS: &[&str] = &[
    "",
    "0",
    "a",
    "1970-01-01T00:00:00Z",
    "1970-01-01",
    "00:00:00",
    "1970-01-01T00:00:00",
    "00000000-0000-0000-0000-000000000000",
];
const BYTES: &[&[u8]] = &[
    &[],
    &[0; 16],
    &[0; 32],
    &[0; 8],
    &[0; 4],
    &[0; 12],
    &[0; 64],
];
const BOOLS: &[bool] = &[false, true];
const CHARS: &[char] = &['a', '0'];

// Request tags.
const BOOL: u8 = 1;
const I8: u8 = 2;
const I16: u8 = 3;
const I32: u8 = 4;
const I64: u8 = 5;
const I128: u8 = 6;
const U8: u8 = 7;
const U16: u8 = 8;
const U32: u8 = 9;
const U64: u8 = 10;
const U128: u8 = 11;
const F32: u8 = 12;
const F64: u8 = 13;
const CHAR: u8 = 14;
const STR: u8 = 15;
const STRING: u8 = 16;
const BYTES_TAG: u8 = 17;
const BYTE_BUF: u8 = 18;
const OPTION: u8 = 19;
const UNIT: u8 = 20;
const UNIT_STRUCT: u8 = 21;
const NEWTYPE_STRUCT: u8 = 22;
const SEQ: u8 = 23;
const TUPLE: u8 = 24;
const TUPLE_STRUCT: u8 = 25;
const MAP: u8 = 26;
const STRUCT: u8 = 27;
const ENUM: u8 = 28;
const UNIT_VARIANT: u8 = 29;
const NEWTYPE_VARIANT: u8 = 30;
const TUPLE_VARIANT: u8 = 31;
const STRUCT_VARIANT: u8 = 32;
const END: u8 = 0;

/// The tracing deserializer: one request, at the pass's current site.
struct Tracer<'a, 'p> {
    pass: &'a mut Pass<'p>,
}

macro_rules! trace_ints {
    ($($method:ident => $visit:ident: $ty:ty, $tag:expr;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
                // Zero, then one.
                self.pass.sample($tag, BOOLS, |n| visitor.$visit(<$ty>::from(n)))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Tracer<'_, '_> {
    type Error = TraceError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, TraceError> {
        Err(self.pass.fail(Failure::Unsupported(
            "it needs a self-describing format (`deserialize_any`)".to_owned(),
        )))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.pass.sample(BOOL, BOOLS, |b| visitor.visit_bool(b))
    }

    trace_ints! {
        deserialize_i8 => visit_i8: i8, I8;
        deserialize_i16 => visit_i16: i16, I16;
        deserialize_i32 => visit_i32: i32, I32;
        deserialize_i64 => visit_i64: i64, I64;
        deserialize_i128 => visit_i128: i128, I128;
        deserialize_u8 => visit_u8: u8, U8;
        deserialize_u16 => visit_u16: u16, U16;
        deserialize_u32 => visit_u32: u32, U32;
        deserialize_u64 => visit_u64: u64, U64;
        deserialize_u128 => visit_u128: u128, U128;
        deserialize_f32 => visit_f32: f32, F32;
        deserialize_f64 => visit_f64: f64, F64;
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.pass.sample(CHAR, CHARS, |c| visitor.visit_char(c))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        // Borrowed (a `'static` sample outlives any `'de`), as a slice decoder lends them.
        self.pass
            .sample(STR, STRINGS, |s| visitor.visit_borrowed_str(s))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.pass
            .sample(STRING, STRINGS, |s| visitor.visit_string(s.to_owned()))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.pass
            .sample(BYTES_TAG, BYTES, |b| visitor.visit_borrowed_bytes(b))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.pass
            .sample(BYTE_BUF, BYTES, |b| visitor.visit_byte_buf(b.to_vec()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(OPTION);
        let result = if pass.choose(2) == 0 {
            pass.child(0, |pass| visitor.visit_some(Tracer { pass }))
        } else {
            visitor.visit_none()
        };
        pass.leave();
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.pass.tag(UNIT);
        visitor.visit_unit().map_err(|e| self.pass.refused(e))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.pass.tag(UNIT_STRUCT);
        self.pass.name(name);
        visitor.visit_unit().map_err(|e| self.pass.refused(e))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(NEWTYPE_STRUCT);
        pass.name(name);
        pass.enter::<V>(name)?;
        let result = pass.child(0, |pass| visitor.visit_newtype_struct(Tracer { pass }));
        pass.leave();
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(SEQ);
        let len = if pass.choose(2) == 0 { 1 } else { 0 };
        let result = visitor.visit_seq(Elements::new(pass, len));
        pass.leave();
        pass.tag(END);
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(TUPLE);
        pass.number(len);
        let result = visitor.visit_seq(Elements::new(pass, len));
        pass.tag(END);
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(TUPLE_STRUCT);
        pass.name(name);
        pass.number(len);
        pass.enter::<V>(name)?;
        let result = visitor.visit_seq(Elements::new(pass, len));
        pass.leave();
        pass.tag(END);
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(MAP);
        let len = if pass.choose(2) == 0 { 1 } else { 0 };
        let result = visitor.visit_map(Entries { pass, left: len });
        pass.leave();
        pass.tag(END);
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(STRUCT);
        pass.name(name);
        pass.names(fields);
        pass.enter::<V>(name)?;
        let result = visitor.visit_seq(Elements::new(pass, fields.len()));
        pass.leave();
        pass.tag(END);
        result.map_err(|e| pass.refused(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let pass = self.pass;
        pass.tag(ENUM);
        pass.name(name);
        pass.names(variants);
        if variants.is_empty() {
            return Err(pass.fail(Failure::Unsupported(format!("`{name}` has no variants"))));
        }
        pass.enter::<V>(name)?;
        let count = variants.len() as u32;
        let variant = pass.choose(count);
        pass.enums.push((pass.path.clone(), count, variant));
        let result = visitor.visit_enum(Variant { pass, variant });
        pass.leave();
        pass.leave();
        pass.tag(END);
        result.map_err(|e| pass.refused(e))
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The fields of a struct or tuple, or the one element (or none) of a sequence.
struct Elements<'a, 'p> {
    pass: &'a mut Pass<'p>,
    next: u32,
    len: usize,
}

impl<'a, 'p> Elements<'a, 'p> {
    fn new(pass: &'a mut Pass<'p>, len: usize) -> Self {
        Elements { pass, next: 0, len }
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_> {
    type Error = TraceError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, TraceError> {
        if self.next as usize >= self.len {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        self.pass
            .child(index, |pass| seed.deserialize(Tracer { pass }))
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.next as usize)
    }
}

/// The one entry (or none) of a map: its key at child 0, its value at child 1.
struct Entries<'a, 'p> {
    pass: &'a mut Pass<'p>,
    left: usize,
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TraceError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.pass
            .child(0, |pass| seed.deserialize(Tracer { pass }))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, TraceError> {
        self.pass.child(1, |pass| seed.deserialize(Tracer { pass }))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The variant this pass takes; its contents are at the child with the variant's index.
struct Variant<'a, 'p> {
    pass: &'a mut Pass<'p>,
    variant: u32,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, '_> {
    type Error = TraceError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), TraceError> {
        let index: de::value::U32Deserializer<TraceError> = self.variant.into_deserializer();
        let value = seed.deserialize(index)?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, '_> {
    type Error = TraceError;

    fn unit_variant(self) -> Result<(), TraceError> {
        self.pass.tag(UNIT_VARIANT);
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, TraceError> {
        self.pass.tag(NEWTYPE_VARIANT);
        self.pass
            .child(self.variant, |pass| seed.deserialize(Tracer { pass }))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.pass.tag(TUPLE_VARIANT);
        self.pass.number(len);
        self.pass.child(self.variant, |pass| {
            visitor.visit_seq(Elements::new(pass, len))
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.pass.tag(STRUCT_VARIANT);
        self.pass.names(fields);
        self.pass.child(self.variant, |pass| {
            visitor.visit_seq(Elements::new(pass, fields.len()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::{BTreeSet, HashMap};
    use std::num::NonZeroU32;
    use std::time::Duration;

    fn fp<T: DeserializeOwned>() -> Fingerprint {
        of::<T>().unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()))
    }

    mod v1 {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        pub struct Model {
            a: u32,
            b: String,
        }
    }
    mod same {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        pub struct Model {
            a: u32,
            b: String,
        }
        impl Model {
            #[allow(dead_code)]
            fn method(&self) -> u32 {
                self.a
            }
        }
    }
    mod added {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        pub struct Model {
            a: u32,
            b: String,
            c: bool,
        }
    }
    mod removed {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        pub struct Model {
            a: u32,
        }
    }
    mod reordered {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        pub struct Model {
            b: String,
            a: u32,
        }
    }
    mod retyped {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        pub struct Model {
            a: u64,
            b: String,
        }
    }

    #[test]
    fn struct_changes_change_the_fingerprint_and_nothing_else_does() {
        let base = fp::<v1::Model>();
        assert_eq!(base, fp::<same::Model>());
        for (what, other) in [
            ("added", fp::<added::Model>()),
            ("removed", fp::<removed::Model>()),
            ("reordered", fp::<reordered::Model>()),
            ("retyped", fp::<retyped::Model>()),
        ] {
            assert_ne!(base, other, "{what}");
        }
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Shape {
        Dot,
        Circle(f64),
        Rect { w: f64, h: f64 },
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum ShapeWiderRect {
        Dot,
        Circle(f64),
        Rect { w: f64, h: u8 },
    }

    #[test]
    fn every_variant_is_traced() {
        // The change is in the last variant, which the first pass never takes.
        assert_ne!(fp::<Shape>(), fp::<ShapeWiderRect>());
        assert_ne!(fp::<Vec<Shape>>(), fp::<Vec<ShapeWiderRect>>());
        assert_ne!(
            fp::<HashMap<String, Option<Shape>>>(),
            fp::<HashMap<String, Option<ShapeWiderRect>>>()
        );
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Wrap<T> {
        Empty,
        Full(T),
    }

    #[test]
    fn generic_instances_are_told_apart() {
        assert_ne!(fp::<Wrap<Wrap<u32>>>(), fp::<Wrap<Wrap<u64>>>());
        assert_ne!(
            fp::<Wrap<Wrap<Wrap<Wrap<u32>>>>>(),
            fp::<Wrap<Wrap<Wrap<Wrap<u64>>>>>()
        );
        assert_ne!(
            fp::<(Wrap<u32>, Wrap<String>)>(),
            fp::<(Wrap<u32>, Wrap<u8>)>()
        );
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Node {
        value: u32,
        next: Option<Box<Node>>,
        tail: String,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct NodeWiderTail {
        value: u32,
        next: Option<Box<NodeWiderTail>>,
        tail: Vec<u8>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum List {
        Cons(u32, Box<List>),
        Nil,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum ListNilFirst {
        Nil,
        Cons(u32, Box<ListNilFirst>),
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum ListNilFirstWider {
        Nil,
        Cons(u64, Box<ListNilFirstWider>),
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Pairs {
        next: Option<(Box<Pairs>, String)>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct PairsWider {
        next: Option<(Box<PairsWider>, u64)>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Expr {
        Add(Box<Expr>, Box<Expr>),
        Neg(Box<Expr>),
        Lit(i64),
        Call { name: String, args: Vec<Expr> },
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Tree {
        children: Vec<Tree>,
        label: String,
    }

    #[test]
    fn recursive_types_have_fingerprints() {
        assert_ne!(fp::<Node>(), fp::<NodeWiderTail>());
        assert_ne!(fp::<ListNilFirst>(), fp::<ListNilFirstWider>());
        // What follows the recursive part is traced too.
        assert_ne!(fp::<Pairs>(), fp::<PairsWider>());
        fp::<List>();
        fp::<Expr>();
        fp::<Tree>();
        assert_ne!(fp::<List>(), fp::<Expr>());
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Validating {
        count: NonZeroU32,
        at: Date,
        every: Duration,
        tags: BTreeSet<String>,
    }

    /// A type that accepts only `YYYY-MM-DD`, as date types do.
    struct Date;

    impl<'de> Deserialize<'de> for Date {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = <&str>::deserialize(d)?;
            if s.len() == 10 && s.as_bytes()[4] == b'-' {
                Ok(Date)
            } else {
                Err(de::Error::custom("not a date"))
            }
        }
    }

    #[test]
    fn validating_types_get_samples_they_accept() {
        fp::<Validating>();
    }

    #[test]
    fn a_type_that_cannot_end_has_none() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Forever {
            next: Box<Forever>,
        }
        assert!(of::<Forever>().is_err());
    }

    #[test]
    fn types_that_need_a_self_describing_format_have_none() {
        #[derive(Deserialize)]
        #[serde(untagged)]
        #[allow(dead_code)]
        enum Loose {
            A(u32),
            B(String),
        }
        assert!(of::<Loose>().is_err());
    }

    #[test]
    fn primitives_differ() {
        let all = [
            fp::<u32>(),
            fp::<u64>(),
            fp::<i32>(),
            fp::<String>(),
            fp::<Vec<u8>>(),
            fp::<Option<u32>>(),
            fp::<(u32, u32)>(),
            fp::<[u32; 2]>(),
            fp::<()>(),
            fp::<bool>(),
            fp::<HashMap<u32, u32>>(),
        ];
        let distinct: HashSet<_> = all.iter().collect();
        // `(u32, u32)` and `[u32; 2]` are the same shape on the wire, and the same here.
        assert_eq!(distinct.len(), all.len() - 1);
    }
}
