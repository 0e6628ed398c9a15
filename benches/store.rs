//! What checking a stored value costs (on a miss) and what the self-describing codec costs
//! (on a hit), against the unchecked encode-and-decode that stores did before, in one run.
//!
//! `cargo bench --bench store`; the figures are in `benches/RESULTS.md`.
//!
//! - `store/*`: turning one computed value into stored bytes. `unchecked` is bincode's encode
//!   and one decode (the old store); `checked_eq` adds the trace of names and `==`;
//!   `checked_serialization` compares serialized forms instead of `==`; `cbor_*` is a value
//!   that needs the self-describing codec, stored straight in it.
//! - `decode/*`: a hit's decode of the same value from each codec.
//! - `identity/executable_digest`: the one-time read and blake3 of the executable that a
//!   persisted function's identity needs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fncache_runtime::codec::{self, Exact};
use serde::{Deserialize, Serialize};

/// A small record: a 32-byte string, a few numbers, an option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Row {
    name: String,
    values: Vec<u32>,
    score: f64,
    note: Option<String>,
}

/// The same with a field left out when empty: bincode cannot carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SparseRow {
    name: String,
    values: Vec<u32>,
    score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn row() -> Row {
    Row {
        name: format!("{:032}", 7),
        values: vec![1, 2, 3, 500, 70_000],
        score: 0.25,
        note: None,
    }
}

fn sparse_row() -> SparseRow {
    let Row {
        name,
        values,
        score,
        note,
    } = row();
    SparseRow {
        name,
        values,
        score,
        note,
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("store");
    let value = row();
    group.bench_function("unchecked", |b| {
        b.iter(|| {
            let bytes = codec::encode(black_box(&value)).unwrap();
            let back: Row = codec::decode(&bytes).unwrap();
            (bytes, back)
        })
    });
    group.bench_function("checked_eq", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            codec::encode_stored(black_box(&value), Exact::by(PartialEq::eq), true, &mut out)
                .unwrap();
            out
        })
    });
    group.bench_function("checked_serialization", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            codec::encode_stored(black_box(&value), Exact::by_serialization(), true, &mut out)
                .unwrap();
            out
        })
    });
    let sparse = sparse_row();
    group.bench_function("cbor_checked_eq", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            codec::encode_stored(
                black_box(&sparse),
                Exact::by(PartialEq::eq),
                false,
                &mut out,
            )
            .unwrap();
            out
        })
    });
    group.bench_function("cbor_after_positional_attempt", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            codec::encode_stored(black_box(&sparse), Exact::by(PartialEq::eq), true, &mut out)
                .unwrap();
            out
        })
    });
    group.finish();

    let mut group = c.benchmark_group("decode");
    let mut positional = Vec::new();
    let codec_used =
        codec::encode_stored(&value, Exact::by(PartialEq::eq), true, &mut positional).unwrap();
    assert_eq!(codec_used, codec::Codec::Positional);
    let mut cbor = Vec::new();
    let codec_used =
        codec::encode_stored(&sparse, Exact::by(PartialEq::eq), true, &mut cbor).unwrap();
    assert_eq!(codec_used, codec::Codec::SelfDescribing);
    group.bench_function("positional", |b| {
        b.iter(|| codec::decode_stored::<Row>(black_box(&positional)).unwrap())
    });
    group.bench_function("cbor", |b| {
        b.iter(|| codec::decode_stored::<SparseRow>(black_box(&cbor)).unwrap())
    });
    group.finish();
}

/// What a persisted function's first use reads once per process: the executable's digest
/// (this benchmark's own executable, hashed as `persist` hashes it).
fn executable(c: &mut Criterion) {
    let exe = std::env::current_exe().unwrap();
    let len = std::fs::metadata(&exe).unwrap().len();
    let mut group = c.benchmark_group("identity");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Bytes(len));
    group.bench_function("executable_digest", |b| {
        b.iter(|| {
            let file = std::fs::File::open(&exe).unwrap();
            let mut hasher = blake3::Hasher::new();
            hasher
                .update_reader(std::io::BufReader::with_capacity(1 << 20, file))
                .unwrap();
            hasher.finalize()
        })
    });
    group.finish();
}

criterion_group!(store, benches, executable);
criterion_main!(store);
