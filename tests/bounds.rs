//! Bounds on memory: `max_size` counts bytes (a data value's encoding, what a resource's
//! `weigh` says, plus a fixed overhead per entry), evicts the least recently used first, keeps
//! a value too large on its own alone, and combines with `max_entries`.

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::{capture, lock};
use fncache::{cache_data, cache_resource};

/// What one 1000-byte `Vec<u8>` costs as an entry: its encoding (a length, the bytes, the
/// codec's tag) plus the per-entry overhead. Below 1200, so three fit in 4000 bytes, four do not.
const KB_ENTRY: u64 = 1000 + 16 + fncache::ENTRY_OVERHEAD;

mod by_bytes {
    use super::*;

    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data(max_size = "4KB", show_spinner = false)]
    pub fn kilobyte(x: u8) -> Vec<u8> {
        CALLS.fetch_add(1, SeqCst);
        vec![x; 1000]
    }
}

#[test]
fn max_size_evicts_the_least_recently_used_by_bytes() {
    use by_bytes::{CALLS, kilobyte};
    const { assert!(3 * KB_ENTRY <= 4000 && 4 * (1000 + fncache::ENTRY_OVERHEAD) > 4000) };
    for x in 0..3 {
        assert_eq!(kilobyte(x), vec![x; 1000]);
    }
    assert_eq!(
        kilobyte::__fncache().len(),
        3,
        "three 1000-byte values fit in 4KB"
    );
    kilobyte(0); // a hit: now 1 is the least recently used
    assert_eq!(CALLS.load(SeqCst), 3);
    assert_eq!(kilobyte(3), vec![3; 1000]); // evicts 1
    assert_eq!(kilobyte::__fncache().len(), 3);
    kilobyte(0);
    kilobyte(2);
    kilobyte(3);
    assert_eq!(CALLS.load(SeqCst), 4, "0, 2 and 3 are still cached");
    assert_eq!(kilobyte(1), vec![1; 1000]);
    assert_eq!(CALLS.load(SeqCst), 5, "1 was evicted");
}

mod oversized {
    use super::*;

    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data(max_size = "4KB", show_spinner = false)]
    pub fn sized(len: usize) -> Vec<u8> {
        CALLS.fetch_add(1, SeqCst);
        vec![7; len]
    }
}

#[test]
fn a_value_larger_than_max_size_is_returned_and_kept_alone_with_one_warning() {
    use oversized::{CALLS, sized};
    capture::install();
    sized(10);
    sized(20);
    assert_eq!(sized::__fncache().len(), 2);
    assert_eq!(sized(10_000), vec![7; 10_000]);
    assert_eq!(sized::__fncache().len(), 1, "everything else was evicted");
    assert_eq!(sized(10_000), vec![7; 10_000]);
    assert_eq!(CALLS.load(SeqCst), 3, "the large value is cached");
    sized(20_000);
    assert_eq!(sized::__fncache().len(), 1);
    sized(10);
    assert_eq!(
        sized::__fncache().len(),
        1,
        "a small value pushes out the large one"
    );
    let warnings = capture::lines_about("bounds::oversized::sized");
    assert_eq!(warnings.len(), 1, "one warning per function: {warnings:#?}");
    assert!(warnings[0].message.contains("max_size"), "{warnings:?}");
}

mod combined {
    use super::*;

    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data(max_entries = 2, max_size = "1MB", show_spinner = false)]
    pub fn small(x: u8) -> u8 {
        CALLS.fetch_add(1, SeqCst);
        x
    }

    #[cache_data(max_entries = 100, max_size = "4KB", show_spinner = false)]
    pub fn large(x: u8) -> Vec<u8> {
        vec![x; 1000]
    }
}

#[test]
fn max_entries_and_max_size_combine_and_the_tighter_bites() {
    for x in 0..5 {
        combined::small(x);
        combined::large(x);
    }
    assert_eq!(combined::small::__fncache().len(), 2, "by count");
    assert_eq!(combined::large::__fncache().len(), 3, "by size");
    combined::small(4);
    assert_eq!(combined::CALLS.load(SeqCst), 5);
}

/// A model stands for anything large that a resource holds: it reports its own size.
struct Model {
    id: u32,
    bytes: usize,
}

impl Model {
    fn bytes(&self) -> usize {
        self.bytes
    }
}

static RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[cache_resource(
    max_size = 10_000,
    weigh = Model::bytes,
    on_release = |m: &Model| lock(&RELEASED).push(m.id),
    show_spinner = false
)]
fn load_model(id: u32, bytes: usize) -> Model {
    Model { id, bytes }
}

#[test]
fn a_weighed_resource_is_evicted_by_size_and_released_once() {
    let a = load_model(1, 4_000);
    load_model(2, 4_000);
    assert!(Arc::ptr_eq(&a, &load_model(1, 4_000)), "1 is cached");
    assert!(lock(&RELEASED).is_empty());
    load_model(3, 4_000); // 12_000 + overhead: 2, the least recently used, goes
    assert_eq!(*lock(&RELEASED), [2]);
    assert_eq!(load_model::__fncache().len(), 2);
    load_model(4, 9_000); // alone it fits (with its overhead); 1 and 3 go
    assert_eq!(*lock(&RELEASED), [2, 1, 3]);
    assert_eq!(load_model::__fncache().len(), 1);
    load_model::clear();
    assert_eq!(
        *lock(&RELEASED),
        [2, 1, 3, 4],
        "each value released exactly once"
    );
}

mod stress {
    use super::*;

    pub static COMPUTED: AtomicUsize = AtomicUsize::new(0);
    pub static RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

    /// Each value knows its key and its computation's serial, so that a wrong value and a
    /// double release are both visible.
    pub struct Blob {
        pub key: u64,
        pub serial: u64,
        pub bytes: Vec<u8>,
    }

    #[cache_resource(
        max_size = 20_000,
        weigh = |b: &Blob| b.bytes.len(),
        on_release = |b: &Blob| lock(&RELEASED).push(b.serial),
        show_spinner = false
    )]
    pub fn blob(key: u64) -> Blob {
        let serial = COMPUTED.fetch_add(1, SeqCst) as u64;
        Blob {
            key,
            serial,
            bytes: vec![key as u8; 500 + (key as usize % 7) * 300],
        }
    }
}

#[test]
fn four_threads_under_size_eviction_get_their_own_values_and_each_is_released_once() {
    use stress::{COMPUTED, RELEASED, blob};
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                let mut x = t;
                for _ in 0..5_000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let key = (x >> 33) % 64;
                    let value = blob(key);
                    assert_eq!(value.key, key, "a wrong value");
                    assert_eq!(value.bytes.len(), 500 + (key as usize % 7) * 300);
                }
            });
        }
    });
    let held = blob::__fncache().len();
    assert!(
        held > 1 && held < 64,
        "the size bound holds: {held} entries"
    );
    blob::clear();
    let mut released = lock(&RELEASED).clone();
    let computed = COMPUTED.load(SeqCst);
    assert!(computed > 64, "evictions made keys recompute: {computed}");
    released.sort_unstable();
    let every: Vec<u64> = (0..computed as u64).collect();
    assert_eq!(
        released, every,
        "every value computed is released exactly once"
    );
}
