//! Value keys: framing, canonical maps, large arguments, skipped fields, and the exact bytes of
//! the encoding (which persisted entries depend on, so it must never change by accident).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fncache::__private::KeyWriter;
use fncache::cache_data;
use serde::{Serialize, Serializer};

/// The raw key bytes of one argument.
fn key_of<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    KeyWriter::new().arg(value).finish().as_bytes().to_vec()
}

// ---------------------------------------------------------------------------------------------
// Framing: adjacent arguments never run into each other.

static CONCAT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn concat(a: String, b: String) -> String {
    CONCAT_CALLS.fetch_add(1, SeqCst);
    format!("{a}|{b}")
}

#[test]
fn adjacent_strings_are_framed() {
    assert_eq!(concat("ab".into(), "c".into()), "ab|c");
    assert_eq!(concat("a".into(), "bc".into()), "a|bc");
    assert_eq!(concat("".into(), "abc".into()), "|abc");
    assert_eq!(concat("abc".into(), "".into()), "abc|");
    assert_eq!(CONCAT_CALLS.load(SeqCst), 4, "each split is its own key");
    assert_eq!(concat("ab".into(), "c".into()), "ab|c");
    assert_eq!(CONCAT_CALLS.load(SeqCst), 4);
}

static SPLIT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn split(a: Vec<u8>, b: Vec<u8>) -> (usize, usize) {
    SPLIT_CALLS.fetch_add(1, SeqCst);
    (a.len(), b.len())
}

#[test]
fn adjacent_sequences_are_framed() {
    assert_eq!(split(vec![1], vec![2, 3]), (1, 2));
    assert_eq!(split(vec![1, 2], vec![3]), (2, 1));
    assert_eq!(split(vec![], vec![1, 2, 3]), (0, 3));
    assert_eq!(SPLIT_CALLS.load(SeqCst), 3);
}

#[derive(Serialize)]
enum Op {
    Add(u32),
    Sub(u32),
    Nop,
    Set { value: u32 },
}

static OP_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn apply(op: Op) -> i64 {
    OP_CALLS.fetch_add(1, SeqCst);
    match op {
        Op::Add(n) => i64::from(n),
        Op::Sub(n) => -i64::from(n),
        Op::Nop => 0,
        Op::Set { value } => i64::from(value) * 1000,
    }
}

#[test]
fn enum_variants_with_the_same_payload_differ() {
    assert_eq!(apply(Op::Add(5)), 5);
    assert_eq!(apply(Op::Sub(5)), -5);
    assert_eq!(apply(Op::Set { value: 5 }), 5000);
    assert_eq!(apply(Op::Nop), 0);
    assert_eq!(OP_CALLS.load(SeqCst), 4);
    assert_eq!(apply(Op::Sub(5)), -5);
    assert_eq!(OP_CALLS.load(SeqCst), 4);
}

// ---------------------------------------------------------------------------------------------
// Maps are canonical: insertion order, capacity and hasher seed do not matter.

static TOTAL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn total(scores: HashMap<String, u32>) -> u64 {
    TOTAL_CALLS.fetch_add(1, SeqCst);
    scores.values().map(|&v| u64::from(v)).sum()
}

#[test]
fn hash_maps_with_the_same_contents_hit_the_same_entry() {
    let mut forward = HashMap::new();
    for i in 0..200u32 {
        forward.insert(format!("player{i}"), i);
    }
    let mut backward = HashMap::with_capacity(4096);
    for i in (0..200u32).rev() {
        backward.insert(format!("player{i}"), i);
    }
    // Grown and shrunk: a different internal layout again.
    let mut shrunk = HashMap::with_capacity(10_000);
    for i in 0..1000u32 {
        shrunk.insert(format!("player{i}"), i);
    }
    shrunk.retain(|_, v| *v < 200);
    shrunk.shrink_to_fit();
    assert_eq!(forward, backward);
    assert_eq!(forward, shrunk);

    let expected: u64 = (0..200).sum();
    assert_eq!(total(forward.clone()), expected);
    assert_eq!(total(backward), expected);
    assert_eq!(total(shrunk), expected);
    assert_eq!(
        TOTAL_CALLS.load(SeqCst),
        1,
        "equal maps must share one entry"
    );

    let mut changed = forward.clone();
    changed.insert("player7".into(), 8);
    assert_eq!(total(changed), expected + 1);
    let mut smaller = forward;
    smaller.remove("player0");
    assert_eq!(total(smaller), expected);
    assert_eq!(
        TOTAL_CALLS.load(SeqCst),
        3,
        "different maps are different keys"
    );
}

static NESTED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn nested(groups: HashMap<u32, HashMap<String, Vec<u8>>>) -> usize {
    NESTED_CALLS.fetch_add(1, SeqCst);
    groups.values().map(HashMap::len).sum()
}

#[test]
fn nested_hash_maps_are_canonical_too() {
    let build = |reverse: bool| {
        let mut outer = HashMap::new();
        let mut groups: Vec<u32> = (0..20).collect();
        if reverse {
            groups.reverse();
        }
        for g in groups {
            let mut inner = HashMap::with_capacity(if reverse { 64 } else { 0 });
            let mut names: Vec<u32> = (0..g).collect();
            if reverse {
                names.reverse();
            }
            for n in names {
                inner.insert(format!("n{n}"), vec![g as u8, n as u8]);
            }
            outer.insert(g, inner);
        }
        outer
    };
    let expected: usize = (0..20).sum();
    assert_eq!(nested(build(false)), expected);
    assert_eq!(nested(build(true)), expected);
    assert_eq!(NESTED_CALLS.load(SeqCst), 1);
}

#[test]
fn hash_maps_built_in_any_order_have_one_key_and_btree_maps_keep_their_own_shape() {
    let hash: HashMap<u16, &str> = [(3, "c"), (1, "a"), (2, "b")].into_iter().collect();
    let again: HashMap<u16, &str> = [(2, "b"), (3, "c"), (1, "a")].into_iter().collect();
    assert_eq!(key_of(&hash), key_of(&again));
    // Unordered and ordered maps are two kinds of value: their keys never meet.
    let btree: BTreeMap<u16, &str> = hash.iter().map(|(&k, &v)| (k, v)).collect();
    assert_ne!(key_of(&hash), key_of(&btree));
}

// ---------------------------------------------------------------------------------------------
// Large arguments.

static CHECKSUM_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn checksum(data: Vec<u8>) -> u64 {
    CHECKSUM_CALLS.fetch_add(1, SeqCst);
    data.iter()
        .enumerate()
        .map(|(i, &b)| (i as u64 + 1) * u64::from(b))
        .sum()
}

fn one_mebibyte() -> Vec<u8> {
    (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

#[test]
fn a_one_mebibyte_argument_hits_and_one_changed_byte_misses() {
    let data = one_mebibyte();
    let expected = checksum(data.clone());
    assert_eq!(checksum(data.clone()), expected);
    assert_eq!(CHECKSUM_CALLS.load(SeqCst), 1);

    for position in [0, 1 << 19, (1 << 20) - 1] {
        let mut changed = data.clone();
        changed[position] ^= 1;
        let value = checksum(changed.clone());
        assert_ne!(value, expected, "byte {position} changed: a miss");
        assert_eq!(checksum(changed), value);
    }
    assert_eq!(CHECKSUM_CALLS.load(SeqCst), 4);

    let mut longer = data.clone();
    longer.push(0); // same prefix, one more byte
    assert_eq!(checksum(longer), expected);
    assert_eq!(
        CHECKSUM_CALLS.load(SeqCst),
        5,
        "a longer argument is another key"
    );
    assert_eq!(checksum(data), expected);
    assert_eq!(CHECKSUM_CALLS.load(SeqCst), 5);
}

// ---------------------------------------------------------------------------------------------
// Fields left out by `skip_serializing_if` do not make different values collide.

#[derive(Serialize)]
struct Query {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<u32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
}

static QUERY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn run_query(query: Query) -> String {
    QUERY_CALLS.fetch_add(1, SeqCst);
    format!("{:?}/{:?}/{}", query.user, query.group, query.text)
}

#[test]
fn structs_with_skipped_fields_do_not_collide() {
    let q = |user, group, text: &str| Query {
        user,
        group,
        text: text.to_owned(),
    };
    assert_eq!(run_query(q(Some(1), None, "")), "Some(1)/None/");
    assert_eq!(run_query(q(None, Some(1), "")), "None/Some(1)/");
    assert_eq!(run_query(q(None, None, "")), "None/None/");
    assert_eq!(run_query(q(Some(1), Some(1), "")), "Some(1)/Some(1)/");
    assert_eq!(run_query(q(None, None, "\u{1}")), "None/None/\u{1}");
    assert_eq!(QUERY_CALLS.load(SeqCst), 5);
    assert_eq!(run_query(q(None, Some(1), "")), "None/Some(1)/");
    assert_eq!(QUERY_CALLS.load(SeqCst), 5);
}

// ---------------------------------------------------------------------------------------------
// The exact bytes of the encoding. These are written out by hand from the format (integers
// little-endian, lengths LEB128, options and struct fields with a 0/1 marker, variants by
// index, maps sorted by their encoded entries; up to 32 bytes kept raw, longer ones replaced
// by their blake3 digest). A failure here means keys changed between versions, which
// invalidates every persisted entry: change the format version, not these bytes.

#[derive(Serialize)]
struct Point {
    x: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<u8>,
}

#[derive(Serialize)]
enum Kind {
    Unit,
    Newtype(u8),
    Struct { v: u8 },
    Tuple(u8, u8),
}

#[derive(Serialize)]
struct Meters(u16);

#[derive(Serialize)]
struct Marker;

/// A sequence whose length serde does not know up front.
struct Evens(Vec<u8>);

impl Serialize for Evens {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().filter(|&&x| x % 2 == 0))
    }
}

/// The tags of the key encoding (`cache-runtime/src/key.rs`, `mod tag`): each value starts
/// with the tag of its serde kind, and compounds end with `END`.
mod tag {
    pub const END: u8 = 0;
    pub const BOOL: u8 = 1;
    pub const I32: u8 = 4;
    pub const U8: u8 = 7;
    pub const U16: u8 = 8;
    pub const U32: u8 = 9;
    pub const U64: u8 = 10;
    pub const U128: u8 = 11;
    pub const F32: u8 = 12;
    pub const F64: u8 = 13;
    pub const CHAR: u8 = 14;
    pub const STR: u8 = 15;
    pub const NONE: u8 = 17;
    pub const SOME: u8 = 18;
    pub const UNIT: u8 = 19;
    pub const UNIT_STRUCT: u8 = 20;
    pub const UNIT_VARIANT: u8 = 21;
    pub const NEWTYPE_STRUCT: u8 = 22;
    pub const NEWTYPE_VARIANT: u8 = 23;
    pub const SEQ: u8 = 24;
    pub const TUPLE: u8 = 26;
    pub const TUPLE_VARIANT: u8 = 28;
    pub const MAP: u8 = 29;
    pub const UNORDERED_MAP: u8 = 30;
    pub const STRUCT: u8 = 31;
    pub const STRUCT_VARIANT: u8 = 32;
    pub const FIELD: u8 = 33;
    pub const SKIPPED_FIELD: u8 = 34;
}

/// Concatenates the parts of an expected encoding.
fn enc(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A name or string as the key writes it: its length (LEB128, one byte here), then its bytes.
fn name(s: &str) -> Vec<u8> {
    assert!(s.len() < 128);
    let mut out = vec![s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

#[test]
fn raw_key_bytes_of_known_inputs_are_stable() {
    use tag::*;
    assert_eq!(KeyWriter::new().finish().as_bytes(), b"");
    assert_eq!(key_of(&7u64), [U64, 7, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(key_of(&300u16), [U16, 0x2c, 0x01]);
    assert_eq!(key_of(&-1i32), [I32, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(
        key_of(&1u128),
        [U128, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(key_of(&1.5f64), [F64, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
    assert_eq!(key_of(&-0.0f32), [F32, 0, 0, 0, 0x80]);
    assert_eq!(key_of(&true), [BOOL, 1]);
    assert_eq!(key_of(&false), [BOOL, 0]);
    assert_eq!(key_of(&'é'), [CHAR, 0xe9, 0, 0, 0]);
    assert_eq!(key_of("ab"), [STR, 2, b'a', b'b']);
    assert_eq!(key_of(&String::new()), [STR, 0]);
    assert_eq!(key_of(&Some(5u8)), [SOME, U8, 5]);
    assert_eq!(key_of(&None::<u8>), [NONE]);
    assert_eq!(key_of(&()), [UNIT]);
    assert_eq!(key_of(&Marker), enc(&[&[UNIT_STRUCT], &name("Marker")]));
    assert_eq!(
        key_of(&Meters(258)),
        enc(&[&[NEWTYPE_STRUCT], &name("Meters"), &[U16, 2, 1]])
    );
    assert_eq!(key_of(&(1u8, 2u8, ())), [TUPLE, U8, 1, U8, 2, UNIT, END]);
    assert_eq!(key_of(&vec![1u16, 2]), [SEQ, U16, 1, 0, U16, 2, 0, END]);
    assert_eq!(
        key_of(&[7u8; 3]),
        [TUPLE, U8, 7, U8, 7, U8, 7, END],
        "a fixed-size array is a tuple"
    );
    assert_eq!(key_of(&Evens(vec![1, 2, 3, 4])), [SEQ, U8, 2, U8, 4, END]);
    assert_eq!(key_of(&Evens(vec![1, 2, 3, 4])), key_of(&vec![2u8, 4]));
    let point = |y: &[u8]| {
        enc(&[
            &[STRUCT],
            &name("Point"),
            &[FIELD],
            &name("x"),
            &[U8, 3],
            y,
            &[END],
        ])
    };
    assert_eq!(
        key_of(&Point { x: 3, y: None }),
        point(&enc(&[&[SKIPPED_FIELD], &name("y")]))
    );
    assert_eq!(
        key_of(&Point { x: 3, y: Some(4) }),
        point(&enc(&[&[FIELD], &name("y"), &[SOME, U8, 4]]))
    );
    assert_eq!(
        key_of(&Kind::Unit),
        enc(&[&[UNIT_VARIANT], &name("Kind"), &[0], &name("Unit")])
    );
    assert_eq!(
        key_of(&Kind::Newtype(9)),
        enc(&[
            &[NEWTYPE_VARIANT],
            &name("Kind"),
            &[1],
            &name("Newtype"),
            &[U8, 9]
        ])
    );
    assert_eq!(
        key_of(&Kind::Struct { v: 9 }),
        enc(&[
            &[STRUCT_VARIANT],
            &name("Kind"),
            &[2],
            &name("Struct"),
            &[FIELD],
            &name("v"),
            &[U8, 9, END]
        ])
    );
    assert_eq!(
        key_of(&Kind::Tuple(1, 2)),
        enc(&[
            &[TUPLE_VARIANT],
            &name("Kind"),
            &[3],
            &name("Tuple"),
            &[U8, 1, U8, 2, END]
        ])
    );
    // A `HashMap`'s entries sorted by their bytes; a `BTreeMap` in its own order.
    let map: HashMap<u8, &str> = [(2, "b"), (1, "a")].into_iter().collect();
    assert_eq!(
        key_of(&map),
        [UNORDERED_MAP, U8, 1, STR, 1, b'a', U8, 2, STR, 1, b'b', END]
    );
    let empty: HashMap<u8, u8> = HashMap::new();
    assert_eq!(key_of(&empty), [UNORDERED_MAP, END]);
    let btree: BTreeMap<u8, u8> = [(1, 2)].into();
    assert_eq!(key_of(&btree), [MAP, U8, 1, U8, 2, END]);

    // Several arguments: each one's encoding, one after the other.
    let two = KeyWriter::new().arg("ab").arg("c").finish();
    assert_eq!(two.as_bytes(), [STR, 2, b'a', b'b', STR, 1, b'c']);
    let other_split = KeyWriter::new().arg("a").arg("bc").finish();
    assert_eq!(other_split.as_bytes(), [STR, 1, b'a', STR, 2, b'b', b'c']);
    let mixed = KeyWriter::new()
        .arg(&1u32)
        .arg(&Some("x"))
        .arg(&[true])
        .finish();
    assert_eq!(
        mixed.as_bytes(),
        [U32, 1, 0, 0, 0, SOME, STR, 1, b'x', TUPLE, BOOL, 1, END]
    );
}

#[test]
fn keys_up_to_32_bytes_are_raw_and_longer_ones_are_blake3_digests() {
    // A tag, 1 length byte and 30 bytes = 32 bytes: kept as they are.
    let thirty = "a".repeat(30);
    let raw = KeyWriter::new().arg(&thirty).finish();
    assert!(!raw.is_digest());
    let mut expected = vec![tag::STR, 30u8];
    expected.extend_from_slice(thirty.as_bytes());
    assert_eq!(raw.as_bytes(), expected);

    // 33 bytes: the blake3 digest of the encoding.
    let thirty_one = KeyWriter::new().arg(&"a".repeat(31)).finish();
    assert!(thirty_one.is_digest());
    let mut encoding = vec![tag::STR, 31u8];
    encoding.extend_from_slice("a".repeat(31).as_bytes());
    assert_eq!(thirty_one.as_bytes(), blake3::hash(&encoding).as_bytes());
    assert_eq!(
        hex(thirty_one.as_bytes()),
        "403a0741f0da6c1c714127762b55848a9e726fcad7cdd6ca264da1dbc4ec58f8"
    );

    // A two-byte LEB128 length (200 = 0xc8 0x01), then 200 bytes.
    let long = KeyWriter::new().arg(&"x".repeat(200)).finish();
    assert!(long.is_digest());
    assert_eq!(
        hex(long.as_bytes()),
        "64fffc386f56b0e6b21195b762e56117060263fab736400581679e31343bf7f9"
    );
    let mut encoding = vec![tag::STR, 0xc8, 0x01];
    encoding.extend_from_slice("x".repeat(200).as_bytes());
    assert_eq!(long.as_bytes(), blake3::hash(&encoding).as_bytes());

    // A raw key never equals a digest, even one with the same 32 bytes.
    assert_ne!(raw, thirty_one);
}

#[test]
fn a_key_spread_over_many_arguments_digests_their_concatenation() {
    let big = vec![0x5au8; 200_000];
    let key = KeyWriter::new().arg(&7u8).arg(&big).arg("tail").finish();
    let mut encoding = vec![tag::U8, 7u8, tag::SEQ];
    for &byte in &big {
        encoding.extend_from_slice(&[tag::U8, byte]);
    }
    encoding.push(tag::END);
    encoding.extend_from_slice(&[tag::STR, 4, b't', b'a', b'i', b'l']);
    assert_eq!(key.as_bytes(), blake3::hash(&encoding).as_bytes());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Arguments whose `Serialize` reports an error.

static FILE_LEN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn name_len(path: std::path::PathBuf) -> usize {
    FILE_LEN_CALLS.fetch_add(1, SeqCst);
    path.as_os_str().len()
}

/// Bug guard: serde's `Serialize for Path` fails on a path that is not UTF-8 (legal on Unix),
/// and the key encoder then writes only the error's message, so every such path gets the same
/// key and the second one is answered with the first one's value.
#[cfg(unix)]
#[test]
fn paths_that_are_not_utf8_do_not_share_a_key() {
    use std::os::unix::ffi::OsStrExt;
    let path = |bytes: &[u8]| std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes));
    let short = path(b"/tmp/\xff");
    let long = path(b"/tmp/\xff/and/much/longer");
    assert_eq!(name_len(short.clone()), 6);
    assert_eq!(
        name_len(long.clone()),
        long.as_os_str().len(),
        "another path was answered with the first path's value"
    );
    assert_eq!(FILE_LEN_CALLS.load(SeqCst), 2);
    // Such a call has no identity: it is computed every time and never stored.
    assert!(KeyWriter::new().arg(&short).finish().is_uncacheable());
    assert_eq!(name_len(short), 6);
    assert_eq!(FILE_LEN_CALLS.load(SeqCst), 3);
    assert_eq!(name_len::__fncache().len(), 0);
}

// ---------------------------------------------------------------------------------------------
// The function key: its path and a hash of its tokens, not of its options or attribute.

mod same_code {
    pub mod plain {
        #[fncache::cache_data]
        pub fn f(x: u32) -> u32 {
            x + 1
        }
    }
    pub mod with_options {
        #[fncache::cache_data(ttl = 60, max_entries = 5, show_spinner = false, show_time = true)]
        pub fn f(x: u32) -> u32 {
            x + 1
        }
    }
    pub mod renamed_attribute {
        #[fncache::experimental_memo(ttl = "1h")]
        #[allow(deprecated)]
        pub fn f(x: u32) -> u32 {
            x + 1
        }
    }
    pub mod reformatted {
        #[fncache::cache_data]
        #[rustfmt::skip]
        pub fn f(
            x: u32
        ) -> u32 {
            // a comment is not a token
            x   +   1
        }
    }
    pub mod edited_body {
        #[fncache::cache_data]
        pub fn f(x: u32) -> u32 {
            x + 2
        }
    }
    pub mod edited_signature {
        #[fncache::cache_data]
        pub fn f(x: u64) -> u32 {
            x as u32 + 1
        }
    }
}

#[test]
fn the_function_key_is_its_path_and_its_code() {
    use same_code::*;
    let plain = plain::f::__fncache().id();
    assert_eq!(plain.path, "hashing::same_code::plain::f");
    assert_eq!(plain.code.len(), 32);
    for (what, other) in [
        ("options", with_options::f::__fncache().id()),
        (
            "the attribute's old name",
            renamed_attribute::f::__fncache().id(),
        ),
        ("whitespace and comments", reformatted::f::__fncache().id()),
    ] {
        assert_eq!(plain.code, other.code, "{what} changed the function key");
    }
    assert_ne!(plain.code, edited_body::f::__fncache().id().code);
    assert_ne!(plain.code, edited_signature::f::__fncache().id().code);
    assert_eq!(
        plain::f(1) + with_options::f(1) + renamed_attribute::f(1),
        6
    );
    assert_eq!(
        reformatted::f(1) + edited_body::f(1) + edited_signature::f(1),
        7
    );
}
