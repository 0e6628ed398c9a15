//! The names a value's `Serialize` impl writes, in order, to check them against the names its
//! `Deserialize` impl declares.
//!
//! bincode's encoding is positional: a struct is its fields in order, an enum variant is its
//! index. It reads back right only if the `Deserialize` impl expects exactly the fields and
//! the variant numbering that `Serialize` wrote, which serde's attributes can break without an
//! error: `skip_serializing_if` leaves a field out of one value, a field skipped on one side
//! only shifts every later one, and a variant that is not deserialized renumbers its
//! successors. serde hands both sides the names: a serializer gets each field's name and each
//! variant's name and index, and a deserializer gets the `FIELDS` and `VARIANTS` the impl
//! knows. So the encoder traces what was written ([`trace`]), and the checking decoder
//! (`reader.rs`) compares each struct and enum it is asked for with the next traced one.
//!
//! The trace records only what positional decoding depends on: for each struct (and struct
//! variant) its name and the fields written, for each enum variant its enum's name, index and
//! name, in the order serde visits them, which both sides share. A value that bincode cannot
//! carry at all (a sequence or map of unknown length, a field skipped by
//! `skip_serializing_if`) is reported as such: it needs the self-describing format.

use std::fmt;

use serde::Serialize;
use serde::ser;

/// One struct or variant, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    /// A struct and the fields written for it (a struct variant's are `Fields` after its
    /// `Variant`).
    Struct {
        name: &'static str,
        fields: Vec<&'static str>,
    },
    /// An enum variant: the enum's name, the index the serializer wrote, the variant's name.
    Variant {
        enum_name: &'static str,
        index: u32,
        name: &'static str,
    },
    /// The fields written for a struct variant.
    Fields(Vec<&'static str>),
}

/// Why a value cannot take the positional format, or why it could not be traced.
#[derive(Debug)]
pub(super) struct NotPositional(pub(super) String);

impl fmt::Display for NotPositional {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotPositional {}

impl ser::Error for NotPositional {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        NotPositional(msg.to_string())
    }
}

/// The structs and variants `value` writes, in order.
pub(super) fn trace<T: ?Sized + Serialize>(value: &T) -> Result<Vec<Event>, NotPositional> {
    let mut events = Vec::new();
    value.serialize(Tracer {
        events: &mut events,
    })?;
    Ok(events)
}

struct Tracer<'a> {
    events: &'a mut Vec<Event>,
}

impl Tracer<'_> {
    fn variant(&mut self, enum_name: &'static str, index: u32, name: &'static str) {
        self.events.push(Event::Variant {
            enum_name,
            index,
            name,
        });
    }
}

/// A struct (or struct variant) being traced: its event's place, for the fields to come.
struct Fields<'a> {
    events: &'a mut Vec<Event>,
    at: usize,
}

impl Fields<'_> {
    fn field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotPositional> {
        match &mut self.events[self.at] {
            Event::Struct { fields, .. } | Event::Fields(fields) => fields.push(key),
            Event::Variant { .. } => unreachable!("a struct's place holds its fields"),
        }
        value.serialize(Tracer {
            events: &mut *self.events,
        })
    }
}

/// A sequence, tuple or map being traced: its items are traced in turn.
struct Items<'a> {
    events: &'a mut Vec<Event>,
}

impl Items<'_> {
    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotPositional> {
        value.serialize(Tracer {
            events: &mut *self.events,
        })
    }
}

fn unknown_length(what: &str) -> NotPositional {
    NotPositional(format!(
        "it writes a {what} of unknown length, which the positional format cannot carry"
    ))
}

impl<'a> ser::Serializer for Tracer<'a> {
    type Ok = ();
    type Error = NotPositional;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Items<'a>;
    type SerializeMap = Items<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Fields<'a>;

    fn serialize_bool(self, _: bool) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_char(self, _: char) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), NotPositional> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotPositional> {
        Ok(())
    }
    fn serialize_unit_variant(
        mut self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), NotPositional> {
        self.variant(name, index, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotPositional> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        mut self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), NotPositional> {
        self.variant(name, index, variant);
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'a>, NotPositional> {
        match len {
            Some(_) => Ok(Items {
                events: self.events,
            }),
            None => Err(unknown_length("sequence")),
        }
    }
    fn serialize_tuple(self, _: usize) -> Result<Items<'a>, NotPositional> {
        Ok(Items {
            events: self.events,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Items<'a>, NotPositional> {
        Ok(Items {
            events: self.events,
        })
    }
    fn serialize_tuple_variant(
        mut self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Items<'a>, NotPositional> {
        self.variant(name, index, variant);
        Ok(Items {
            events: self.events,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Items<'a>, NotPositional> {
        match len {
            Some(_) => Ok(Items {
                events: self.events,
            }),
            None => Err(unknown_length("map")),
        }
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Fields<'a>, NotPositional> {
        let at = self.events.len();
        self.events.push(Event::Struct {
            name,
            fields: Vec::new(),
        });
        Ok(Fields {
            events: self.events,
            at,
        })
    }
    fn serialize_struct_variant(
        mut self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Fields<'a>, NotPositional> {
        self.variant(name, index, variant);
        let at = self.events.len();
        self.events.push(Event::Fields(Vec::new()));
        Ok(Fields {
            events: self.events,
            at,
        })
    }
    fn is_human_readable(&self) -> bool {
        // As bincode says, so that types write the same form for both.
        false
    }
}

macro_rules! items {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(
            impl ser::$trait for Items<'_> {
                type Ok = ();
                type Error = NotPositional;
                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotPositional> {
                    self.item(value)
                }
                fn end(self) -> Result<(), NotPositional> {
                    Ok(())
                }
            }
        )*
    };
}

items! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
}

impl ser::SerializeMap for Items<'_> {
    type Ok = ();
    type Error = NotPositional;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), NotPositional> {
        self.item(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotPositional> {
        self.item(value)
    }
    fn end(self) -> Result<(), NotPositional> {
        Ok(())
    }
}

macro_rules! fields {
    ($($trait:ident),* $(,)?) => {
        $(
            impl ser::$trait for Fields<'_> {
                type Ok = ();
                type Error = NotPositional;
                fn serialize_field<T: ?Sized + Serialize>(
                    &mut self,
                    key: &'static str,
                    value: &T,
                ) -> Result<(), NotPositional> {
                    self.field(key, value)
                }
                fn skip_field(&mut self, key: &'static str) -> Result<(), NotPositional> {
                    Err(NotPositional(format!(
                        "it skips the field `{key}` for some values (`skip_serializing_if`), which the positional format cannot carry"
                    )))
                }
                fn end(self) -> Result<(), NotPositional> {
                    Ok(())
                }
            }
        )*
    };
}

fields!(SerializeStruct, SerializeStructVariant);
