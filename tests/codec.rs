//! `#[cache_data]` values are encoded by bincode and read back by fncache's own reader of
//! bincode's encoding (`fncache_runtime::codec::decode`). These tests hold the two to the same
//! answers: every value bincode encodes is read back equal, and every input bincode's own
//! decoder rejects (cut short, a wrong tag, an integer too wide, bad UTF-8) is rejected.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::path::PathBuf;

use fncache_runtime::codec::{decode, encode};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// bincode's own decoder, as the oracle. With a limit: given a length it has not checked
/// against the input, bincode allocates it first (random bytes can ask for exabytes), and
/// the limit makes it refuse instead, as our reader does.
fn bincode_decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let config = bincode::config::standard().with_limit::<{ 1 << 20 }>();
    match bincode::serde::decode_from_slice::<T, _>(bytes, config) {
        Ok((value, read)) if read == bytes.len() => Ok(value),
        Ok(_) => Err("trailing bytes".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `value` encodes, and both decoders read it back equal to itself.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let bytes = encode(value).expect("encodes");
    assert_eq!(&decode::<T>(&bytes).expect("our reader decodes it"), value);
    assert_eq!(
        &bincode_decode::<T>(&bytes).expect("bincode decodes it"),
        value
    );
}

/// On `bytes`, the two decoders agree: the same value, or both an error.
fn agree<T: DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) {
    let ours = decode::<T>(bytes).ok();
    let theirs = bincode_decode::<T>(bytes).ok();
    assert_eq!(ours, theirs, "on {bytes:?}");
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Unit;

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Newtype(u32);

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Pair(i64, String);

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(u16, u16),
    Named { name: String, sides: Option<u8> },
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Everything {
    flag: bool,
    tiny: i8,
    byte: u8,
    short: i16,
    ushort: u16,
    int: i32,
    uint: u32,
    long: i64,
    ulong: u64,
    huge: i128,
    uhuge: u128,
    size: usize,
    isize: isize,
    single: f32,
    double: f64,
    letter: char,
    text: String,
    maybe: Option<String>,
    list: Vec<Option<i32>>,
    array: [u8; 3],
    tuple: (u8, String, Unit),
    shapes: Vec<Shape>,
    sorted: BTreeMap<String, Vec<u16>>,
    path: PathBuf,
    boxed: Box<Newtype>,
    pair: Pair,
    unit: (),
}

fn everything() -> Everything {
    Everything {
        flag: true,
        tiny: -128,
        byte: 255,
        short: i16::MIN,
        ushort: u16::MAX,
        int: -1,
        uint: u32::MAX,
        long: i64::MIN,
        ulong: u64::MAX,
        huge: i128::MIN,
        uhuge: u128::MAX,
        size: 251,
        isize: -126,
        single: -0.0,
        double: f64::INFINITY,
        letter: '🦀',
        text: "héllo, wörld".into(),
        maybe: Some(String::new()),
        list: vec![None, Some(0), Some(-250), Some(i32::MAX)],
        array: [1, 2, 3],
        tuple: (9, "x".into(), Unit),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(1.5),
            Shape::Rect(300, 70_00),
            Shape::Named {
                name: "hexagon".into(),
                sides: Some(6),
            },
            Shape::Named {
                name: String::new(),
                sides: None,
            },
        ],
        sorted: BTreeMap::from([("a".into(), vec![]), ("b".into(), vec![1, 65535])]),
        path: PathBuf::from("/tmp/ü"),
        boxed: Box::new(Newtype(7)),
        pair: Pair(-1, "pair".into()),
        unit: (),
    }
}

#[test]
fn every_kind_of_value_reads_back_as_bincode_reads_it() {
    round_trips(&everything());
    round_trips(&HashMap::from([
        (1u8, "one".to_string()),
        (2, "two".into()),
    ]));
    round_trips(&String::from("plain ascii"));
    round_trips(&vec![0u8; 1000]);
    for c in [
        '\0',
        'a',
        '\u{7f}',
        'é',
        '\u{7ff}',
        '\u{800}',
        '語',
        '\u{ffff}',
        '\u{10000}',
        '\u{10ffff}',
    ] {
        round_trips(&c);
    }
}

#[test]
fn integers_at_every_varint_boundary() {
    for n in [
        0u64,
        1,
        250,
        251,
        252,
        255,
        256,
        65535,
        65536,
        u32::MAX as u64,
        1 << 32,
        u64::MAX,
    ] {
        round_trips(&n);
        round_trips(&(n as u128));
        round_trips(&(n as i64));
        round_trips(&-(n as i64));
        if let Ok(small) = u32::try_from(n) {
            round_trips(&small);
            round_trips(&(small as i32));
        }
        if let Ok(small) = u16::try_from(n) {
            round_trips(&small);
            round_trips(&(small as i16));
        }
    }
    round_trips(&(u128::MAX, i128::MAX, i128::MIN));
}

#[test]
fn malformed_inputs_are_rejected_as_bincode_rejects_them() {
    // A marker for a wider integer than the type holds.
    agree::<u16>(&[252, 1, 0, 0, 0]);
    agree::<u32>(&[253, 1, 0, 0, 0, 0, 0, 0, 0]);
    agree::<u64>(&[254; 17]);
    agree::<u64>(&[255]);
    // Tags out of range.
    agree::<bool>(&[2]);
    agree::<Option<u8>>(&[2, 0]);
    agree::<Shape>(&[9]);
    // Cut short, and chars that are not UTF-8.
    agree::<String>(&[5, b'a', b'b']);
    agree::<u32>(&[252, 1]);
    agree::<char>(&[0xe8, 0xaa]);
    agree::<char>(&[0xff]);
    agree::<char>(&[0xc0, 0x80]);
    agree::<char>(&[0xed, 0xa0, 0x80]); // a surrogate
    // Not UTF-8 at all.
    agree::<String>(&[2, 0xc3, 0x28]);
    // Trailing bytes after a complete value.
    agree::<u8>(&[1, 2]);
}

#[test]
fn a_struct_decoded_through_our_reader_matches_field_for_field() {
    let value = everything();
    let bytes = encode(&value).expect("encodes");
    let decoded: Everything = decode(&bytes).expect("decodes");
    assert_eq!(
        decoded.single.to_bits(),
        (-0.0f32).to_bits(),
        "the sign of zero kept"
    );
    assert_eq!(decoded, value);
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Empty),
        any::<f64>()
            .prop_filter("NaN never equals itself", |f| !f.is_nan())
            .prop_map(Shape::Circle),
        any::<(u16, u16)>().prop_map(|(a, b)| Shape::Rect(a, b)),
        (any::<String>(), any::<Option<u8>>())
            .prop_map(|(name, sides)| Shape::Named { name, sides }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_values_read_back_alike(
        ints in any::<(i8, u16, i32, u64, i128, u128, char, bool)>(),
        text in any::<String>(),
        list in proptest::collection::vec(any::<Option<i64>>(), 0..40),
        map in proptest::collection::btree_map(any::<String>(), any::<u32>(), 0..10),
        shapes in proptest::collection::vec(shape(), 0..8),
    ) {
        round_trips(&ints);
        round_trips(&text);
        round_trips(&list);
        round_trips(&map);
        round_trips(&shapes);
    }

    #[test]
    fn random_bytes_are_decoded_alike_or_rejected_alike(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        agree::<(u16, char, Option<String>)>(&bytes);
        agree::<Vec<Shape>>(&bytes);
        agree::<(i64, u128, bool)>(&bytes);
        agree::<BTreeMap<u8, String>>(&bytes);
    }
}
