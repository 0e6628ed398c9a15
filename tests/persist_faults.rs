//! Damaged, foreign and crafted entry files: every one is a miss. The value is recomputed and
//! correct, the file is replaced, one warning is logged, and nothing panics.
//!
//! Each "process" here is a fresh `DataCache` over the same function identity (white-box,
//! through `fncache::__private`): its memory is empty, so its first call reads the disk,
//! exactly as a restarted program's would.

mod persist_common;

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fncache::__private::{DataCache, FnId, KeyWriter, Options};
use fncache::persist::{DiskStorage, Entry, Function, HEADER_LEN};
use persist_common::count_warnings;
use proptest::prelude::*;

/// This binary's cache directory, chosen before any persisted call.
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("persist-faults");
        let _ = fs::remove_dir_all(&root);
        fncache::set_cache_dir(&root).expect("the first persisted call of this binary");
        root
    })
}

type Value = (String, Vec<u32>, f64);

fn value(x: u64) -> Value {
    (format!("value of {x}"), vec![x as u32; 5], x as f64 / 4.0)
}

fn id(name: &'static str) -> FnId {
    FnId::new(name, "c0de")
}

/// A new process's cache of `id`: empty memory, the shared disk.
fn restart(id: FnId) -> &'static DataCache {
    root();
    Box::leak(Box::new(DataCache::new(id)))
}

/// Calls `id`'s function with `x` in a new process: its value, whether the body ran, and how
/// many warnings were logged.
fn call(id: FnId, x: u64) -> (Value, bool, usize) {
    let cache = restart(id);
    let ran = Cell::new(false);
    let (got, warnings) = count_warnings(|| {
        cache.get(
            || Options::new().persist(true),
            fncache_runtime::codec::Exact::by_serialization(),
            KeyWriter::new().arg_primitive(&x).finish(),
            || {
                ran.set(true);
                value(x)
            },
        )
    });
    (got, ran.get(), warnings)
}

fn path_of(id: FnId, x: u64) -> PathBuf {
    let key = KeyWriter::new().arg_primitive(&x).finish();
    DiskStorage::new(root()).entry_path(&Entry::new(Function::of(&id), key.digest()))
}

/// The entry of `x`, written by a first process.
fn pristine(id: FnId, x: u64) -> Vec<u8> {
    call(id, x);
    fs::read(path_of(id, x)).expect("the entry was written")
}

/// Replaces the entry file with `bytes`; the next process must recompute, get the right
/// value, log one warning, and leave a good entry for the one after.
fn assert_recovers(id: FnId, x: u64, bytes: &[u8]) {
    fs::write(path_of(id, x), bytes).unwrap();
    let (got, ran, warnings) = call(id, x);
    assert_eq!(got, value(x));
    assert!(ran, "a bad entry was returned");
    assert_eq!(warnings, 1);
    let (got, ran, warnings) = call(id, x);
    assert_eq!((got, ran, warnings), (value(x), false, 0), "not replaced");
}

#[test]
fn a_good_entry_is_a_hit() {
    let id = id("persist_faults::good");
    pristine(id, 1);
    assert_eq!(call(id, 1), (value(1), false, 0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn bit_flips_are_misses(flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..6)) {
        let id = id("persist_faults::bit_flips");
        let original = pristine(id, 2);
        let mut bytes = original.clone();
        for (at, bit) in &flips {
            bytes[at.index(original.len())] ^= 1 << bit;
        }
        prop_assume!(bytes != original); // two flips of one bit undo each other
        assert_recovers(id, 2, &bytes);
    }

    #[test]
    fn truncations_are_misses(at in any::<prop::sample::Index>()) {
        let id = id("persist_faults::truncations");
        let bytes = pristine(id, 3);
        assert_recovers(id, 3, &bytes[..at.index(bytes.len())]);
    }

    #[test]
    fn garbage_is_a_miss(garbage in prop::collection::vec(any::<u8>(), 0..400)) {
        let id = id("persist_faults::garbage");
        pristine(id, 4);
        assert_recovers(id, 4, &garbage);
    }
}

#[test]
fn a_zero_length_file_is_a_miss() {
    let id = id("persist_faults::zero_length");
    pristine(id, 5);
    assert_recovers(id, 5, &[]);
}

#[test]
fn a_header_without_its_payload_is_a_miss() {
    let id = id("persist_faults::header_only");
    let bytes = pristine(id, 5);
    assert_recovers(id, 5, &bytes[..HEADER_LEN]);
}

#[test]
/// The previous format (1, whose keys had no tags) is a miss like any other version.
fn another_format_version_is_a_miss() {
    let id = id("persist_faults::version");
    let mut bytes = pristine(id, 6);
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    assert_recovers(id, 6, &bytes);
}

#[test]
fn another_keys_entry_is_a_miss() {
    let id = id("persist_faults::wrong_key");
    let of_7 = pristine(id, 7);
    pristine(id, 8);
    assert_recovers(id, 8, &of_7);
}

#[test]
fn another_functions_entry_is_a_miss() {
    let (a, b) = (
        id("persist_faults::wrong_fn_a"),
        id("persist_faults::wrong_fn_b"),
    );
    let of_a = pristine(a, 9);
    pristine(b, 9);
    assert_recovers(b, 9, &of_a);
}

#[test]
fn another_code_versions_entry_is_a_miss() {
    let old = FnId::new("persist_faults::wrong_version", "01d");
    let new = FnId::new("persist_faults::wrong_version", "2ew");
    let of_old = pristine(old, 10);
    pristine(new, 10);
    assert_recovers(new, 10, &of_old);
}

/// A record whose checksum is right but whose payload says its string is a terabyte long:
/// decoding stops at the end of the payload, without allocating the terabyte.
#[test]
fn a_crafted_length_is_a_miss_not_an_allocation() {
    let id = id("persist_faults::crafted");
    let bytes = pristine(id, 11);
    let mut payload = vec![0xfd];
    payload.extend_from_slice(&(1u64 << 40).to_le_bytes());
    assert_recovers(id, 11, &reseal(&bytes[..HEADER_LEN], &payload));
}

/// A header followed by `payload`, with the length and checksum made to match (see the record
/// layout in `fncache::persist`'s `format` module).
fn reseal(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut record = header.to_vec();
    record[120..128].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    let mut hasher = blake3::Hasher::new();
    hasher.update(&record[..128]);
    hasher.update(payload);
    record[128..160].copy_from_slice(hasher.finalize().as_bytes());
    record.extend_from_slice(payload);
    record
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever a crafted (correctly checksummed) payload holds, decoding it never panics: it
    /// decodes into some value of the type, or it is a miss and the right value is computed.
    #[test]
    fn crafted_payloads_never_panic(payload in prop::collection::vec(any::<u8>(), 0..64)) {
        let id = id("persist_faults::crafted_random");
        let bytes = pristine(id, 12);
        fs::write(path_of(id, 12), reseal(&bytes[..HEADER_LEN], &payload)).unwrap();
        let (got, ran, _) = call(id, 12);
        if ran {
            prop_assert_eq!(got, value(12));
        }
    }
}

#[test]
fn an_unreadable_entry_is_a_miss_and_calls_go_on() {
    let id = id("persist_faults::unreadable");
    let path = path_of(id, 13);
    pristine(id, 13);
    // A directory where the entry file should be: it cannot be read, nor replaced.
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    let (got, ran, warnings) = call(id, 13);
    assert_eq!((got, ran, warnings), (value(13), true, 1));
    assert!(path.is_dir());
}
