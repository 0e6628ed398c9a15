//! Properties of value keys over a rich generated type (issue 9): nested structs and enums in
//! every serde tagging mode, skipped fields, `skip_serializing_if`, `flatten`, JSON values,
//! ordered and unordered maps and sets, floats by their bits, and nested generics.
//!
//! - two values with one key are equal values (no key merges two different arguments);
//! - equal values give one key, whatever the iteration order of their `HashMap`s and `HashSet`s;
//! - through the macro, a cache shared by every generated case returns each call's own value.
//!
//! The domain is kept small (few strings, small numbers) so that near-identical values, the
//! ones a weak encoding merges, come up often.

use std::collections::{BTreeMap, HashMap, HashSet};

use std::sync::Mutex;

use fncache::__private::{Key, KeyWriter};
use fncache::cache_resource;
use proptest::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// An `f64` compared by its bits, as the key compares it (`0.0` and `-0.0` are two values).
#[derive(Debug, Clone, Copy)]
struct Bits(f64);

impl PartialEq for Bits {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Serialize for Bits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
enum Untagged {
    ById { id: u8 },
    ByPhone { phone: u8 },
    Name(String),
    Num(u32),
    Flag(bool),
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind")]
enum Internal {
    A { x: u8 },
    B { x: u8 },
    C,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    A(u8),
    B(u8),
    C,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
struct Flat {
    a: u8,
    #[serde(flatten)]
    rest: BTreeMap<String, u8>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
struct Wrapper<T> {
    inner: T,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
enum Rich {
    Unit,
    Bool(bool),
    Small(u8),
    Int(i64),
    Float(Bits),
    Text(String),
    Char(char),
    Pair(Box<Rich>, Box<Rich>),
    Record {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        coupon: Option<u8>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        items: Vec<Rich>,
    },
    List(Vec<Rich>),
    Maybe(Option<Box<Rich>>),
    Ordered(BTreeMap<String, Rich>),
    Unordered(HashMap<u8, Rich>),
    Set(HashSet<u16>),
    Json(Value),
    Untagged(Untagged),
    Internal(Internal),
    Adjacent(Adjacent),
    Flat(Flat),
    Narrow(Wrapper<Wrapper<u8>>),
    Wide(Wrapper<Wrapper<u16>>),
    Tuple((u8, String)),
}

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "a", "b", "ab", "id", "kind"]).prop_map(String::from)
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0u8..3).prop_map(Value::from),
        (-2i8..0).prop_map(Value::from),
        prop::sample::select(vec![0.0, -0.0, 0.5]).prop_map(Value::from),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..3)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn untagged() -> impl Strategy<Value = Untagged> {
    prop_oneof![
        (0u8..3).prop_map(|id| Untagged::ById { id }),
        (0u8..3).prop_map(|phone| Untagged::ByPhone { phone }),
        word().prop_map(Untagged::Name),
        (0u32..3).prop_map(Untagged::Num),
        any::<bool>().prop_map(Untagged::Flag),
    ]
}

fn leaf() -> impl Strategy<Value = Rich> {
    prop_oneof![
        Just(Rich::Unit),
        any::<bool>().prop_map(Rich::Bool),
        (0u8..3).prop_map(Rich::Small),
        (-1i64..2).prop_map(Rich::Int),
        prop::sample::select(vec![0.0, -0.0, 1.0, f64::NAN, f64::INFINITY])
            .prop_map(|f| Rich::Float(Bits(f))),
        word().prop_map(Rich::Text),
        prop::sample::select(vec!['a', '\0', 'é']).prop_map(Rich::Char),
        prop::collection::hash_set(0u16..4, 0..4).prop_map(Rich::Set),
        json().prop_map(Rich::Json),
        untagged().prop_map(Rich::Untagged),
        prop_oneof![
            (0u8..2).prop_map(|x| Internal::A { x }),
            (0u8..2).prop_map(|x| Internal::B { x }),
            Just(Internal::C),
        ]
        .prop_map(Rich::Internal),
        prop_oneof![
            (0u8..2).prop_map(Adjacent::A),
            (0u8..2).prop_map(Adjacent::B),
            Just(Adjacent::C),
        ]
        .prop_map(Rich::Adjacent),
        (0u8..2, prop::collection::btree_map(word(), 0u8..2, 0..3))
            .prop_map(|(a, rest)| Rich::Flat(Flat { a, rest })),
        (0u8..3).prop_map(|n| Rich::Narrow(Wrapper {
            inner: Wrapper { inner: n }
        })),
        (0u16..3).prop_map(|n| Rich::Wide(Wrapper {
            inner: Wrapper { inner: n }
        })),
        ((0u8..2), word()).prop_map(Rich::Tuple),
    ]
}

/// Values one or two levels deep: the near-identical ones a weak encoding merges.
fn shallow() -> impl Strategy<Value = Rich> {
    leaf().prop_recursive(1, 4, 2, compound)
}

fn rich() -> impl Strategy<Value = Rich> {
    leaf().prop_recursive(3, 24, 3, compound)
}

fn compound(inner: BoxedStrategy<Rich>) -> impl Strategy<Value = Rich> {
    {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Rich::Pair(Box::new(a), Box::new(b))),
            (
                word(),
                prop::option::of(0u8..2),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(name, coupon, items)| Rich::Record {
                    name,
                    coupon,
                    items
                }),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rich::List),
            prop::option::of(inner.clone().prop_map(Box::new)).prop_map(Rich::Maybe),
            prop::collection::btree_map(word(), inner.clone(), 0..3).prop_map(Rich::Ordered),
            prop::collection::hash_map(0u8..4, inner, 0..4).prop_map(Rich::Unordered),
        ]
    }
}

fn key<T: Serialize + ?Sized>(value: &T) -> Key {
    KeyWriter::new().arg(value).finish()
}

/// The same value with every `HashMap` and `HashSet` rebuilt from its reversed iteration
/// (and, being new, with its own random hasher): equal, but iterated in another order.
fn reshuffled(value: &Rich) -> Rich {
    match value {
        Rich::Pair(a, b) => Rich::Pair(Box::new(reshuffled(a)), Box::new(reshuffled(b))),
        Rich::Record {
            name,
            coupon,
            items,
        } => Rich::Record {
            name: name.clone(),
            coupon: *coupon,
            items: items.iter().map(reshuffled).collect(),
        },
        Rich::List(items) => Rich::List(items.iter().map(reshuffled).collect()),
        Rich::Maybe(inner) => Rich::Maybe(inner.as_ref().map(|r| Box::new(reshuffled(r)))),
        Rich::Ordered(map) => Rich::Ordered(
            map.iter()
                .map(|(k, v)| (k.clone(), reshuffled(v)))
                .collect(),
        ),
        Rich::Unordered(map) => {
            let mut entries: Vec<_> = map.iter().map(|(k, v)| (*k, reshuffled(v))).collect();
            entries.reverse();
            Rich::Unordered(entries.into_iter().collect())
        }
        Rich::Set(set) => {
            let mut items: Vec<u16> = set.iter().copied().collect();
            items.reverse();
            Rich::Set(items.into_iter().collect())
        }
        other => other.clone(),
    }
}

/// Whether the value holds a JSON object: `serde_json::Map` with `preserve_order` compares
/// equal in any order but keys by its order, so equal values may have two keys there.
fn has_json_object(value: &Rich) -> bool {
    fn json_has_object(v: &Value) -> bool {
        match v {
            Value::Object(_) => true,
            Value::Array(items) => items.iter().any(json_has_object),
            _ => false,
        }
    }
    match value {
        Rich::Json(v) => json_has_object(v),
        Rich::Pair(a, b) => has_json_object(a) || has_json_object(b),
        Rich::Record { items, .. } | Rich::List(items) => items.iter().any(has_json_object),
        Rich::Maybe(inner) => inner.as_deref().is_some_and(has_json_object),
        Rich::Ordered(map) => map.values().any(has_json_object),
        Rich::Unordered(map) => map.values().any(has_json_object),
        _ => false,
    }
}

/// Every value a property has keyed so far, by its key: a collision between any two values of
/// the whole run (not only of one case) is found.
fn seen_before(value: &Rich) -> Option<Rich> {
    static SEEN: Mutex<Option<HashMap<Key, Rich>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap();
    let seen = seen.get_or_insert_with(HashMap::new);
    match seen.get(&key(value)) {
        Some(earlier) => Some(earlier.clone()),
        None => {
            seen.insert(key(value), value.clone());
            None
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn values_with_one_key_are_equal(
        shallow in prop::collection::vec(shallow(), 1..16),
        deep in prop::collection::vec(rich(), 1..4),
    ) {
        for value in shallow.iter().chain(&deep) {
            if let Some(earlier) = seen_before(value) {
                prop_assert_eq!(&earlier, value, "two values share a key");
            }
        }
    }

    #[test]
    fn equal_values_have_one_key_whatever_their_hash_order(value in rich()) {
        let again = reshuffled(&value);
        prop_assert_eq!(&again, &value);
        prop_assert_eq!(key(&again), key(&value));
        if !has_json_object(&value) {
            prop_assert_eq!(key(&value.clone()), key(&value));
        }
    }

    #[test]
    fn argument_lists_split_one_way_only(a in rich(), b in rich(), c in rich(), d in rich()) {
        // Two arguments, as a call writes them: `(a, b)` and `(c, d)` share a key only if
        // each argument is equal to its counterpart.
        let ab = KeyWriter::new().arg(&a).arg(&b).finish();
        let cd = KeyWriter::new().arg(&c).arg(&d).finish();
        if ab == cd {
            prop_assert_eq!(&a, &c);
            prop_assert_eq!(&b, &d);
        }
    }
}

#[cache_resource(show_spinner = false)]
fn echo(value: Rich) -> Rich {
    value
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// One cache for every case: a key shared by two arguments would hand one the other's
    /// value.
    #[test]
    fn every_hit_is_the_value_of_its_own_arguments(
        values in prop::collection::vec(prop_oneof![shallow(), rich()], 1..12),
    ) {
        for value in &values {
            prop_assert_eq!(&*echo(value.clone()), value);
        }
        for value in values.iter().rev() {
            prop_assert_eq!(&*echo(reshuffled(value)), value);
        }
    }
}
