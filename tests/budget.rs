//! The process's memory budget: one bound over every `#[cache_data]` cache and every weighed
//! `#[cache_resource]` cache, the least recently used entries of any of them going first.
//!
//! The budget is one per process, so the tests here take turns (`BUDGET`), and each leaves no
//! budget and no entry behind.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};

use common::{capture, lock};
use fncache::{cache_data, cache_resource};

static BUDGET: Mutex<()> = Mutex::new(());

/// Holds the budget for one test; on drop, removes it and empties every cache.
struct Turn(#[allow(dead_code)] MutexGuard<'static, ()>);

fn turn() -> Turn {
    let guard = lock(&BUDGET);
    fncache::remove_memory_budget();
    fncache::cache_data::clear();
    fncache::cache_resource::clear();
    Turn(guard)
}

impl Drop for Turn {
    fn drop(&mut self) {
        fncache::remove_memory_budget();
        fncache::cache_data::clear();
        fncache::cache_resource::clear();
    }
}

/// What one entry of a 1000-byte `Vec<u8>` weighs, measured.
fn kilobyte_entry() -> u64 {
    let before = fncache::memory_used();
    probe(0);
    let weight = fncache::memory_used() - before;
    probe::clear();
    assert!(weight > 1000 + fncache::ENTRY_OVERHEAD, "{weight}");
    weight
}

#[cache_data(show_spinner = false)]
fn probe(x: u8) -> Vec<u8> {
    vec![x; 1000]
}

mod two {
    use super::*;

    pub static F_CALLS: AtomicUsize = AtomicUsize::new(0);
    pub static G_CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data(show_spinner = false)]
    pub fn f(x: u8) -> Vec<u8> {
        F_CALLS.fetch_add(1, SeqCst);
        vec![x; 1000]
    }

    #[cache_data(show_spinner = false)]
    pub fn g(x: u8) -> Vec<u8> {
        G_CALLS.fetch_add(1, SeqCst);
        vec![x + 100; 1000]
    }

    pub fn calls() -> (usize, usize) {
        (F_CALLS.load(SeqCst), G_CALLS.load(SeqCst))
    }
}

#[test]
fn the_budget_evicts_the_least_recently_used_entries_of_either_function() {
    use two::{calls, f, g};
    let _turn = turn();
    let entry = kilobyte_entry();
    f(0);
    g(0);
    f(1);
    g(1);
    assert_eq!(calls(), (2, 2));
    assert_eq!(fncache::memory_used(), 4 * entry);

    fncache::set_memory_budget(3 * entry + entry / 2).expect("a budget");
    assert_eq!(
        fncache::memory_used(),
        3 * entry,
        "the smaller budget evicted at once"
    );
    assert_eq!(
        (f::__fncache().len(), g::__fncache().len()),
        (1, 2),
        "f(0) went first"
    );

    g(0); // a hit: now f(1) is the least recently used
    assert_eq!(calls(), (2, 2));
    assert_eq!(f(0), vec![0; 1000]); // a miss, which evicts f(1)
    assert_eq!(calls(), (3, 2));
    assert!(fncache::memory_used() <= 3 * entry + entry / 2);
    g(0);
    g(1);
    f(0);
    assert_eq!(calls(), (3, 2), "g(0), g(1) and f(0) are still cached");
    f(1);
    assert_eq!(calls(), (4, 2), "f(1) was evicted");

    assert_eq!(
        g::__fncache().len(),
        1,
        "storing f(1) evicted g(0), the least recently used of either function"
    );
    f(2); // evicts g(1), the least recently used now
    assert_eq!((f::__fncache().len(), g::__fncache().len()), (3, 0));
    f(0);
    f(1);
    f(2);
    assert_eq!(calls(), (5, 2));
}

mod shrink {
    use super::*;

    #[cache_data(show_spinner = false)]
    pub fn sized(x: u32) -> Vec<u8> {
        vec![1; 1000 + x as usize]
    }
}

#[test]
fn shrinking_the_budget_evicts_before_it_returns_and_growing_it_evicts_nothing() {
    use shrink::sized;
    let _turn = turn();
    for x in 0..50 {
        sized(x);
    }
    let held = fncache::memory_used();
    fncache::set_memory_budget(held * 2).expect("a budget");
    assert_eq!(
        fncache::memory_used(),
        held,
        "a larger budget evicts nothing"
    );
    for budget in [held / 2, held / 5, held / 20] {
        fncache::set_memory_budget(budget).expect("a budget");
        assert!(fncache::memory_used() <= budget, "{budget}");
        assert!(
            fncache::memory_used() + 1100 + fncache::ENTRY_OVERHEAD > budget,
            "no more was evicted than needed"
        );
    }
    // The most recent entries stayed.
    let kept = sized::__fncache().len() as u32;
    assert!(kept >= 1);
    let before = fncache::memory_used();
    for x in 50 - kept..50 {
        sized(x);
    }
    assert_eq!(
        fncache::memory_used(),
        before,
        "the newest entries were the ones kept"
    );
    fncache::remove_memory_budget();
    assert_eq!(fncache::memory_budget(), None);
    for x in 0..50 {
        sized(x);
    }
    assert_eq!(
        fncache::memory_used(),
        held,
        "without a budget, all fit again"
    );
}

mod alone {
    use super::*;

    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data(show_spinner = false)]
    pub fn big(len: usize) -> Vec<u8> {
        CALLS.fetch_add(1, SeqCst);
        vec![3; len]
    }
}

#[test]
fn a_value_larger_than_the_budget_is_returned_and_kept_alone_with_one_warning() {
    use alone::{CALLS, big};
    capture::install();
    let _turn = turn();
    fncache::set_memory_budget("10KB").expect("a budget");
    big(100);
    big(200);
    assert_eq!(big::__fncache().len(), 2);
    assert_eq!(big(20_000).len(), 20_000);
    assert_eq!(big::__fncache().len(), 1, "everything else was evicted");
    assert_eq!(big(20_000).len(), 20_000);
    assert_eq!(CALLS.load(SeqCst), 3, "the large value itself was kept");
    big(100); // evicts the large one: it is the least recently used
    assert_eq!(big::__fncache().len(), 1);
    let warnings = capture::lines_with("the memory budget of").len();
    assert_eq!(warnings, 1, "the budget's first eviction is reported once");
}

mod weighed {
    use super::*;

    pub static RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

    pub struct Model {
        pub id: u32,
        pub bytes: usize,
    }

    impl Model {
        pub fn bytes(&self) -> usize {
            self.bytes
        }
    }

    #[cache_resource(weigh = Model::bytes, on_release = |m: &Model| lock(&RELEASED).push(m.id), show_spinner = false)]
    pub fn model(id: u32) -> Model {
        Model { id, bytes: 10_000 }
    }

    pub static UNWEIGHED: AtomicUsize = AtomicUsize::new(0);

    #[cache_resource(show_spinner = false)]
    pub fn connection(id: u32) -> u32 {
        UNWEIGHED.fetch_add(1, SeqCst);
        id
    }
}

#[test]
fn weighed_resources_share_the_budget_and_each_evicted_one_is_released_once() {
    use weighed::{RELEASED, UNWEIGHED, connection, model};
    let _turn = turn();
    lock(&RELEASED).clear();
    let entry = 10_000 + fncache::ENTRY_OVERHEAD;
    fncache::set_memory_budget(3 * entry).expect("a budget");
    for id in 0..10 {
        let held: Arc<weighed::Model> = model(id);
        assert_eq!(held.id, id);
        connection(id);
    }
    assert_eq!(model::__fncache().len(), 3);
    assert_eq!(
        *lock(&RELEASED),
        (0..7).collect::<Vec<_>>(),
        "the oldest went, once each"
    );
    assert_eq!(
        connection::__fncache().len(),
        10,
        "resources without `weigh` are not covered"
    );
    for id in 0..10 {
        connection(id);
    }
    assert_eq!(UNWEIGHED.load(SeqCst), 10);
    model::clear();
    let mut released = lock(&RELEASED).clone();
    released.sort_unstable();
    assert_eq!(released, (0..10).collect::<Vec<_>>());
}

mod mixed {
    use super::*;

    #[cache_data(max_entries = 1000, show_spinner = false)]
    pub fn bounded(x: u32) -> Vec<u8> {
        vec![x as u8; 500]
    }

    #[cache_data(show_spinner = false)]
    pub fn unbounded(x: u32) -> Vec<u8> {
        vec![x as u8; 500]
    }
}

/// Entries stored before the first budget (by a function with no order of its own yet) are
/// put in order when it is set, and evicted like the rest.
#[test]
fn entries_stored_before_any_budget_are_covered_by_it() {
    use mixed::{bounded, unbounded};
    let _turn = turn();
    for x in 0..100 {
        unbounded(x);
        bounded(x);
    }
    let held = fncache::memory_used();
    fncache::set_memory_budget(held / 4).expect("a budget");
    assert!(fncache::memory_used() <= held / 4);
    assert!(unbounded::__fncache().len() < 100);
    for x in 0..100 {
        assert_eq!(unbounded(x), vec![x as u8; 500]);
        assert_eq!(bounded(x), vec![x as u8; 500]);
        assert!(fncache::memory_used() <= held / 4);
    }
}

#[test]
fn four_threads_under_the_budget_get_their_own_values() {
    use mixed::{bounded, unbounded};
    let _turn = turn();
    let budget = 40 * (500 + 16 + fncache::ENTRY_OVERHEAD);
    fncache::set_memory_budget(budget).expect("a budget");
    std::thread::scope(|s| {
        for t in 0..4u32 {
            s.spawn(move || {
                let mut x = u64::from(t) + 1;
                for _ in 0..5_000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let key = ((x >> 33) % 100) as u32;
                    let value = if x & 1 << 20 == 0 {
                        unbounded(key)
                    } else {
                        bounded(key)
                    };
                    assert_eq!(value, vec![key as u8; 500], "a wrong value");
                }
            });
        }
    });
    assert!(
        fncache::memory_used() <= budget,
        "{} > {budget}",
        fncache::memory_used()
    );
}

#[test]
fn a_budget_is_a_size_that_says_what_is_wrong() {
    let _turn = turn();
    for good in ["2GiB", "500 MB", "1.5kib", "4096"] {
        fncache::set_memory_budget(good).expect(good);
    }
    assert_eq!(fncache::memory_budget(), Some(4096));
    fncache::set_memory_budget(1u64 << 40).expect("a number of bytes");
    assert_eq!(fncache::memory_budget(), Some(1 << 40));
    let error = fncache::set_memory_budget("2 parsecs").expect_err("not a size");
    assert!(
        error.to_string().contains("unknown unit `parsecs`"),
        "{error}"
    );
    assert!(fncache::set_memory_budget(0u64).is_err());
    assert_eq!(
        fncache::memory_budget(),
        Some(1 << 40),
        "a bad size changes nothing"
    );
}

mod stress {
    use super::*;

    pub static COMPUTED: AtomicUsize = AtomicUsize::new(0);
    pub static RELEASED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

    pub struct Blob {
        pub key: u64,
        pub serial: usize,
        pub bytes: Vec<u8>,
    }

    #[cache_resource(
        weigh = |b: &Blob| b.bytes.len(),
        on_release = |b: &Blob| lock(&RELEASED).push(b.serial),
        show_spinner = false
    )]
    pub fn blob(key: u64) -> Blob {
        Blob {
            key,
            serial: COMPUTED.fetch_add(1, SeqCst),
            bytes: vec![key as u8; 500 + (key as usize % 7) * 300],
        }
    }
}

/// Four threads calling a weighed resource and a data function under one budget: every value
/// is the caller's own, and every resource that leaves is released exactly once.
#[test]
fn four_threads_under_the_budget_release_each_resource_once() {
    use mixed::unbounded;
    use stress::{COMPUTED, RELEASED, blob};
    let _turn = turn();
    fncache::set_memory_budget("20KB").expect("a budget");
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                let mut x = t + 11;
                for _ in 0..5_000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let key = (x >> 33) % 64;
                    if x & 1 << 21 == 0 {
                        let value = blob(key);
                        assert_eq!(value.key, key, "a wrong value");
                        assert_eq!(value.bytes.len(), 500 + (key as usize % 7) * 300);
                    } else {
                        assert_eq!(unbounded(key as u32), vec![key as u8; 500]);
                    }
                }
            });
        }
    });
    assert!(
        fncache::memory_used() <= 20_000,
        "{}",
        fncache::memory_used()
    );
    blob::clear();
    let computed = COMPUTED.load(SeqCst);
    assert!(computed > 64, "the budget made keys recompute: {computed}");
    let mut released = lock(&RELEASED).clone();
    released.sort_unstable();
    assert_eq!(
        released,
        (0..computed).collect::<Vec<_>>(),
        "every value computed is released exactly once"
    );
}
