//! Compute once: concurrent callers of one key share one computation, callers of other keys
//! never wait for it, a panic releases the waiters; LRU eviction, also under contention.
//!
//! Threads are coordinated by events (barriers, gates), never by time. Where a test yields for
//! a moment to let waiters queue up, that only makes the interesting path likelier: the
//! assertions hold whatever the scheduling.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use common::{Gate, lock};
use fncache::{cache_data, cache_resource};

const THREADS: usize = 8;

/// Gives threads that were just released a chance to reach the cache before the test goes
/// on. Not a timing assertion: nothing depends on whether they made it.
fn let_others_run() {
    for _ in 0..100 {
        thread::yield_now();
    }
    thread::sleep(std::time::Duration::from_millis(20));
}

/// Starts `n` threads that all call `f` at the same moment; returns their handles.
fn at_once<T: Send + 'static>(n: usize, f: fn() -> T) -> Vec<thread::JoinHandle<T>> {
    let barrier = Arc::new(Barrier::new(n));
    (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                f()
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One key, many callers: one computation.

static SHARED_GATE: Gate = Gate::new();
static SHARED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn shared_key(x: u32) -> Vec<u32> {
    SHARED_CALLS.fetch_add(1, SeqCst);
    SHARED_GATE.pass();
    vec![x; 3]
}

#[test]
fn concurrent_callers_of_one_key_run_the_body_once() {
    let handles = at_once(THREADS, || shared_key(5));
    SHARED_GATE.wait_entered(1);
    let_others_run(); // the other callers queue up behind the one computing
    SHARED_GATE.open();
    for h in handles {
        assert_eq!(h.join().unwrap(), [5, 5, 5]);
    }
    assert_eq!(
        SHARED_CALLS.load(SeqCst),
        1,
        "one computation for {THREADS} callers"
    );
    assert_eq!(SHARED_GATE.entered(), 1);
}

static RESOURCE_GATE: Gate = Gate::new();
static RESOURCE_CALLS: AtomicUsize = AtomicUsize::new(0);

struct Pool {
    size: u32,
}

#[cache_resource]
fn shared_pool(size: u32) -> Pool {
    RESOURCE_CALLS.fetch_add(1, SeqCst);
    RESOURCE_GATE.pass();
    Pool { size }
}

#[test]
fn concurrent_callers_of_one_resource_share_one_arc() {
    let handles = at_once(THREADS, || shared_pool(4));
    RESOURCE_GATE.wait_entered(1);
    let_others_run();
    RESOURCE_GATE.open();
    let pools: Vec<Arc<Pool>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for pool in &pools {
        assert!(Arc::ptr_eq(pool, &pools[0]));
        assert_eq!(pool.size, 4);
    }
    assert_eq!(RESOURCE_CALLS.load(SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// A slow key does not block callers of another key.

static SLOW_GATE: Gate = Gate::new();
static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Key 0 is slow: it waits at the gate. Every other key is immediate.
#[cache_data]
fn maybe_slow(key: u32) -> u32 {
    SLOW_CALLS.fetch_add(1, SeqCst);
    if key == 0 {
        SLOW_GATE.pass();
    }
    key + 1
}

#[cache_data]
fn unrelated(key: u32) -> u32 {
    key * 3
}

#[test]
fn a_slow_key_does_not_block_other_keys() {
    let slow = thread::spawn(|| maybe_slow(0));
    SLOW_GATE.wait_entered(1);
    // Key 0 is being computed and cannot finish until the gate opens. If other keys waited
    // for it, these calls would never return and the test would hang.
    assert_eq!(maybe_slow(1), 2);
    assert_eq!(maybe_slow(2), 3);
    assert_eq!(maybe_slow(1), 2);
    assert_eq!(unrelated(1), 3);
    let others: Vec<u32> = (10..14)
        .map(|k| thread::spawn(move || maybe_slow(k)))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(others, [11, 12, 13, 14]);
    assert!(
        !SLOW_GATE.is_open() && !slow.is_finished(),
        "key 0 was held throughout"
    );
    SLOW_GATE.open();
    assert_eq!(slow.join().unwrap(), 1);
    assert_eq!(SLOW_CALLS.load(SeqCst), 7);
}

// ---------------------------------------------------------------------------------------------
// A panic in the computing caller releases the waiters, and one of them computes.

static PANIC_GATE: Gate = Gate::new();
static PANIC_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn first_attempt_panics(x: u32) -> String {
    let attempt = PANIC_CALLS.fetch_add(1, SeqCst);
    if attempt == 0 {
        PANIC_GATE.pass();
        panic!("the first computation fails");
    }
    format!("value {x}")
}

#[test]
fn a_panic_in_the_owner_releases_waiters_and_one_recomputes() {
    let handles = at_once(THREADS, || first_attempt_panics(1));
    PANIC_GATE.wait_entered(1);
    let_others_run();
    PANIC_GATE.open();
    let mut panicked = 0;
    for h in handles {
        match h.join() {
            Ok(value) => assert_eq!(value, "value 1"),
            Err(_) => panicked += 1,
        }
    }
    assert_eq!(
        panicked, 1,
        "only the caller whose body panicked sees the panic"
    );
    assert_eq!(
        PANIC_CALLS.load(SeqCst),
        2,
        "one failed and one successful computation"
    );
    assert_eq!(first_attempt_panics(1), "value 1");
    assert_eq!(PANIC_CALLS.load(SeqCst), 2);
}

static ERR_GATE: Gate = Gate::new();
static ERR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn first_attempt_errs(x: u32) -> Result<u32, String> {
    let attempt = ERR_CALLS.fetch_add(1, SeqCst);
    if attempt == 0 {
        ERR_GATE.pass();
        return Err("the first computation fails".into());
    }
    Ok(x)
}

#[test]
fn an_err_in_the_owner_releases_waiters_and_one_recomputes() {
    let handles = at_once(THREADS, || first_attempt_errs(1));
    ERR_GATE.wait_entered(1);
    let_others_run();
    ERR_GATE.open();
    let results: Vec<Result<u32, String>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(results.iter().filter(|r| **r == Ok(1)).count(), THREADS - 1);
    assert_eq!(ERR_CALLS.load(SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// max_entries: least recently used goes first, and a hit counts as a use.

static LRU_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(max_entries = 2)]
fn lru(key: char) -> String {
    LRU_CALLS.fetch_add(1, SeqCst);
    key.to_string()
}

#[test]
fn max_entries_evicts_the_least_recently_used_and_a_hit_counts_as_use() {
    lru('a');
    lru('b');
    lru('a'); // a hit: now `b` is the least recently used
    assert_eq!(LRU_CALLS.load(SeqCst), 2);
    lru('c'); // evicts `b`
    assert_eq!(LRU_CALLS.load(SeqCst), 3);
    assert_eq!(lru::__fncache().len(), 2);
    lru('a');
    lru('c');
    assert_eq!(LRU_CALLS.load(SeqCst), 3, "`a` and `c` are still cached");
    lru('b');
    assert_eq!(LRU_CALLS.load(SeqCst), 4, "`b` was evicted");
    assert_eq!(lru::__fncache().len(), 2);
}

static LRU_RES_RELEASED: Mutex<Vec<char>> = Mutex::new(Vec::new());

struct Named(char);

#[cache_resource(max_entries = 2, on_release = |n: &Named| lock(&LRU_RES_RELEASED).push(n.0))]
fn lru_resource(key: char) -> Named {
    Named(key)
}

#[test]
fn max_entries_on_a_resource_evicts_the_least_recently_used() {
    let a = lru_resource('a');
    lru_resource('b');
    assert!(Arc::ptr_eq(&a, &lru_resource('a')));
    lru_resource('c');
    assert_eq!(*lock(&LRU_RES_RELEASED), ['b']);
    assert!(Arc::ptr_eq(&a, &lru_resource('a')));
}

/// Under contention: many threads, more keys than entries. Every call returns its own key's
/// value, the bound holds, and every value computed is either still cached or released
/// exactly once.
static CONTENDED_CALLS: AtomicUsize = AtomicUsize::new(0);
static CONTENDED_RELEASED: AtomicUsize = AtomicUsize::new(0);

struct Value(u32);

#[cache_resource(max_entries = 8, on_release = |_: &Value| { CONTENDED_RELEASED.fetch_add(1, SeqCst); })]
fn contended(key: u32) -> Value {
    CONTENDED_CALLS.fetch_add(1, SeqCst);
    Value(key * 7)
}

#[test]
fn eviction_under_contention_keeps_values_right_and_releases_each_once() {
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for i in 0..2000u32 {
                    let key = (i * 7 + t * 13) % 32;
                    assert_eq!(contended(key).0, key * 7, "a call got another key's value");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let cached = contended::__fncache().len();
    assert!(
        cached <= 8,
        "max_entries = 8 but {cached} entries are cached"
    );
    assert_eq!(
        CONTENDED_CALLS.load(SeqCst),
        CONTENDED_RELEASED.load(SeqCst) + cached,
        "every computed value is still cached or was released exactly once"
    );
    contended::clear();
    assert_eq!(
        CONTENDED_CALLS.load(SeqCst),
        CONTENDED_RELEASED.load(SeqCst)
    );
}

static DATA_CONTENDED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(max_entries = 16)]
fn data_contended(key: u32) -> String {
    DATA_CONTENDED_CALLS.fetch_add(1, SeqCst);
    format!("v{key}")
}

#[test]
fn many_threads_on_spread_keys_get_their_own_values() {
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS as u32)
        .map(|t| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for i in 0..1000u32 {
                    let key = (i + t * 5) % 24;
                    assert_eq!(data_contended(key), format!("v{key}"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(data_contended::__fncache().len() <= 16);
}

// ---------------------------------------------------------------------------------------------
// Recursion through another thread's waiting is not a deadlock: a body may call the same
// function with another key while a second thread waits for the first key.

static CHAIN_GATE: Gate = Gate::new();
static CHAIN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn chain(n: u32) -> u32 {
    CHAIN_CALLS.fetch_add(1, SeqCst);
    if n == 0 {
        CHAIN_GATE.pass();
        return 0;
    }
    chain(n - 1) + n
}

#[test]
fn waiters_and_recursion_do_not_deadlock() {
    let deep = thread::spawn(|| chain(10)); // holds keys 10..=0, waits at 0
    CHAIN_GATE.wait_entered(1);
    let waiter = thread::spawn(|| chain(5)); // waits for key 5, computed by `deep`
    let_others_run();
    CHAIN_GATE.open();
    assert_eq!(deep.join().unwrap(), 55);
    assert_eq!(waiter.join().unwrap(), 15);
    assert_eq!(CHAIN_CALLS.load(SeqCst), 11);
}
