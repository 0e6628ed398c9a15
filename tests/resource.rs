//! `#[cache_resource]`: one shared `Arc` per key, `Result` forms, `validate` and `on_release`.
//!
//! Every test takes [`common::shared`], except the one that calls the process-wide
//! `fncache::cache_resource::clear()`, which takes [`common::exclusive`] so that it cannot
//! release another test's values while that test counts them.

mod common;

use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{exclusive, lock, shared};
use fncache::cache_resource;

/// Neither `Clone` nor `Serialize` nor `Default`: only shareable.
struct Connection {
    url: String,
    serial: u64,
    queries: Mutex<Vec<String>>,
}

static SERIAL: AtomicU64 = AtomicU64::new(0);

fn next_serial() -> u64 {
    SERIAL.fetch_add(1, SeqCst)
}

static CONNECT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
fn connect(url: String) -> Connection {
    CONNECT_CALLS.fetch_add(1, SeqCst);
    Connection {
        url,
        serial: next_serial(),
        queries: Mutex::new(Vec::new()),
    }
}

#[test]
fn every_caller_gets_the_same_arc() {
    let _guard = shared();
    let a: Arc<Connection> = connect("db://a".into());
    let b = connect("db://a".into());
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(CONNECT_CALLS.load(SeqCst), 1);

    let other = connect("db://b".into());
    assert!(!Arc::ptr_eq(&a, &other));
    assert_eq!(other.url, "db://b");
    assert_eq!(CONNECT_CALLS.load(SeqCst), 2);

    // The value is shared, not copied: a change through interior mutability is seen by all.
    lock(&a.queries).push("select 1".into());
    assert_eq!(*lock(&connect("db://a".into()).queries), ["select 1"]);

    let from_threads: Vec<Arc<Connection>> = (0..4)
        .map(|_| std::thread::spawn(|| connect("db://a".into())))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    for c in &from_threads {
        assert!(Arc::ptr_eq(&a, c));
    }
    assert_eq!(CONNECT_CALLS.load(SeqCst), 2);
    assert_eq!(a.serial, b.serial);
}

// ---------------------------------------------------------------------------------------------
// Result<T, E> becomes Result<Arc<T>, E>; Err is not cached; E need not be anything.

/// Neither `Serialize`, `Clone`, `Send` nor `Sync`.
#[derive(Debug)]
struct OpenError {
    reason: String,
    _not_send: std::marker::PhantomData<std::rc::Rc<()>>,
}

static OPEN_CALLS: AtomicUsize = AtomicUsize::new(0);
static OPEN_FAILS: AtomicBool = AtomicBool::new(true);

#[cache_resource]
fn open(name: String) -> Result<Connection, OpenError> {
    OPEN_CALLS.fetch_add(1, SeqCst);
    if OPEN_FAILS.load(SeqCst) {
        return Err(OpenError {
            reason: format!("{name} is down"),
            _not_send: std::marker::PhantomData,
        });
    }
    Ok(Connection {
        url: name,
        serial: next_serial(),
        queries: Mutex::new(Vec::new()),
    })
}

#[test]
fn a_result_becomes_a_result_of_arc_and_an_err_is_not_cached() {
    let _guard = shared();
    let Err(err) = open("x".into()) else {
        panic!("`open` was told to fail")
    };
    assert_eq!(err.reason, "x is down");
    assert_eq!(open::__fncache().len(), 0);
    assert!(open("x".into()).is_err());
    assert_eq!(OPEN_CALLS.load(SeqCst), 2, "an `Err` must be recomputed");

    OPEN_FAILS.store(false, SeqCst);
    let a: Result<Arc<Connection>, OpenError> = open("x".into());
    let a = a.unwrap();
    let b = open("x".into()).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(OPEN_CALLS.load(SeqCst), 3);

    // Once cached, an `Ok` stays even when the function would now fail.
    OPEN_FAILS.store(true, SeqCst);
    assert!(Arc::ptr_eq(&a, &open("x".into()).unwrap()));
    assert_eq!(OPEN_CALLS.load(SeqCst), 3);
}

static UNIT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
fn init_once(name: &str) {
    let _ = name;
    UNIT_CALLS.fetch_add(1, SeqCst);
}

#[test]
fn a_function_without_return_type_returns_a_shared_unit() {
    let _guard = shared();
    let a: Arc<()> = init_once("x");
    let b = init_once("x");
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(UNIT_CALLS.load(SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// validate: called on every hit, not right after a computation; false drops and recomputes.

struct Session {
    alive: AtomicBool,
    serial: u64,
}

fn new_session() -> Session {
    Session {
        alive: AtomicBool::new(true),
        serial: next_serial(),
    }
}

static SESSION_CALLS: AtomicUsize = AtomicUsize::new(0);
static SESSION_VALIDATIONS: AtomicUsize = AtomicUsize::new(0);

fn session_alive(s: &Session) -> bool {
    SESSION_VALIDATIONS.fetch_add(1, SeqCst);
    s.alive.load(SeqCst)
}

#[cache_resource(validate = session_alive)]
fn session(user: u32) -> Session {
    let _ = user;
    SESSION_CALLS.fetch_add(1, SeqCst);
    new_session()
}

#[test]
fn validate_runs_on_every_hit_and_a_false_recomputes() {
    let _guard = shared();
    let first = session(1);
    assert_eq!(SESSION_CALLS.load(SeqCst), 1);
    assert_eq!(
        SESSION_VALIDATIONS.load(SeqCst),
        0,
        "validate must not run right after a computation"
    );

    assert!(Arc::ptr_eq(&first, &session(1)));
    assert_eq!(SESSION_VALIDATIONS.load(SeqCst), 1);
    assert!(Arc::ptr_eq(&first, &session(1)));
    assert_eq!(
        SESSION_VALIDATIONS.load(SeqCst),
        2,
        "validate runs on every hit"
    );
    assert_eq!(SESSION_CALLS.load(SeqCst), 1);

    first.alive.store(false, SeqCst); // the session broke
    let second = session(1);
    assert!(
        !Arc::ptr_eq(&first, &second),
        "an invalid value must not be returned"
    );
    assert!(second.alive.load(SeqCst));
    assert_ne!(first.serial, second.serial);
    assert_eq!(SESSION_CALLS.load(SeqCst), 2);
    assert_eq!(
        SESSION_VALIDATIONS.load(SeqCst),
        3,
        "one failed validation, none for the fresh value"
    );
    assert_eq!(session::__fncache().len(), 1);

    assert!(Arc::ptr_eq(&second, &session(1)));
    assert_eq!(SESSION_VALIDATIONS.load(SeqCst), 4);
    assert_eq!(SESSION_CALLS.load(SeqCst), 2);
}

static CLOSURE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource(validate = |s: &Session| s.alive.load(SeqCst))]
fn session_with_closure(user: u32) -> Session {
    let _ = user;
    CLOSURE_CALLS.fetch_add(1, SeqCst);
    new_session()
}

#[test]
fn validate_may_be_a_closure() {
    let _guard = shared();
    let first = session_with_closure(1);
    assert!(Arc::ptr_eq(&first, &session_with_closure(1)));
    first.alive.store(false, SeqCst);
    let second = session_with_closure(1);
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(CLOSURE_CALLS.load(SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// on_release: exactly once for every value that leaves the cache, never for one still in it.

/// A value that knows its identity, so a test can tell which values were released.
struct Tracked {
    key: u32,
    serial: u64,
}

fn tracked(key: u32) -> Tracked {
    Tracked {
        key,
        serial: next_serial(),
    }
}

/// Asserts that `released` holds each of `expected` exactly once (in any order) and nothing else.
fn assert_released_exactly(released: &Mutex<Vec<u64>>, expected: &[u64]) {
    let mut got = lock(released).clone();
    got.sort_unstable();
    let mut want = expected.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "values released (by serial)");
}

static LRU_RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn release_lru(t: &Tracked) {
    lock(&LRU_RELEASED).push(t.serial);
}

#[cache_resource(max_entries = 2, on_release = release_lru)]
fn lru_resource(key: u32) -> Tracked {
    tracked(key)
}

#[test]
fn on_release_runs_once_for_a_value_evicted_by_max_entries() {
    let _guard = shared();
    let one = lru_resource(1);
    let two = lru_resource(2);
    assert_released_exactly(&LRU_RELEASED, &[]);
    let three = lru_resource(3); // evicts 1, the least recently used
    assert_released_exactly(&LRU_RELEASED, &[one.serial]);
    assert!(Arc::ptr_eq(&two, &lru_resource(2))); // 2 is now more recent than 3
    let four = lru_resource(4); // evicts 3
    assert_released_exactly(&LRU_RELEASED, &[one.serial, three.serial]);
    assert_eq!(lru_resource::__fncache().len(), 2);
    // The values still cached are the ones never released.
    assert!(Arc::ptr_eq(&two, &lru_resource(2)));
    assert!(Arc::ptr_eq(&four, &lru_resource(4)));
    assert_released_exactly(&LRU_RELEASED, &[one.serial, three.serial]);
    // A released value stays valid for a caller that still holds it.
    assert_eq!(one.key, 1);
}

static TTL_RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// The only `ttl` function of this test binary, so advancing the clock disturbs no other test.
#[cache_resource(ttl = "1h", on_release = |t: &Tracked| lock(&TTL_RELEASED).push(t.serial))]
fn ttl_resource(key: u32) -> Tracked {
    tracked(key)
}

#[test]
fn on_release_runs_once_for_a_value_that_expires() {
    let _guard = shared();
    let a = ttl_resource(1);
    let b = ttl_resource(2);
    fncache::clock::advance(Duration::from_secs(2 * 3600));
    // Calling an expired key releases its old value and computes a new one.
    let a2 = ttl_resource(1);
    assert!(!Arc::ptr_eq(&a, &a2));
    // Storing it sweeps the other expired entry, whose key is never called again.
    assert_released_exactly(&TTL_RELEASED, &[a.serial, b.serial]);
    assert_eq!(ttl_resource::__fncache().len(), 1);
    // Nothing is released twice, however the entries left.
    fncache::clock::advance(Duration::from_secs(2 * 3600));
    let c = ttl_resource(3);
    assert_released_exactly(&TTL_RELEASED, &[a.serial, b.serial, a2.serial]);
    ttl_resource::clear();
    assert_released_exactly(&TTL_RELEASED, &[a.serial, b.serial, a2.serial, c.serial]);
}

static CLEAR_RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

#[cache_resource(on_release = |t: &Tracked| lock(&CLEAR_RELEASED).push(t.serial))]
fn clear_resource(key: u32) -> Tracked {
    tracked(key)
}

#[test]
fn on_release_runs_once_for_each_value_on_clear_and_clear_entry() {
    let _guard = shared();
    let a = clear_resource(1);
    let b = clear_resource(2);
    let c = clear_resource(3);
    clear_resource::clear_entry(2);
    assert_released_exactly(&CLEAR_RELEASED, &[b.serial]);
    clear_resource::clear_entry(2); // nothing left under that key
    clear_resource::clear_entry(99); // never stored
    assert_released_exactly(&CLEAR_RELEASED, &[b.serial]);
    assert!(Arc::ptr_eq(&a, &clear_resource(1)));

    clear_resource::clear();
    assert_released_exactly(&CLEAR_RELEASED, &[a.serial, b.serial, c.serial]);
    clear_resource::clear();
    assert_released_exactly(&CLEAR_RELEASED, &[a.serial, b.serial, c.serial]);
    assert_eq!(clear_resource::__fncache().len(), 0);
}

static VALIDATE_RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

#[cache_resource(
    validate = |s: &Session| s.alive.load(SeqCst),
    on_release = |s: &Session| lock(&VALIDATE_RELEASED).push(s.serial),
)]
fn validated_resource(key: u32) -> Session {
    let _ = key;
    new_session()
}

#[test]
fn on_release_runs_once_for_a_value_that_fails_validate() {
    let _guard = shared();
    let first = validated_resource(1);
    assert!(Arc::ptr_eq(&first, &validated_resource(1)));
    assert_released_exactly(&VALIDATE_RELEASED, &[]);
    first.alive.store(false, SeqCst);
    let second = validated_resource(1);
    assert!(!Arc::ptr_eq(&first, &second));
    assert_released_exactly(&VALIDATE_RELEASED, &[first.serial]);
    assert!(Arc::ptr_eq(&second, &validated_resource(1)));
    assert_released_exactly(&VALIDATE_RELEASED, &[first.serial]);
}

static GLOBAL_RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());
static GLOBAL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource(on_release = |t: &Tracked| lock(&GLOBAL_RELEASED).push(t.serial))]
fn global_resource(key: u32) -> Tracked {
    GLOBAL_CALLS.fetch_add(1, SeqCst);
    tracked(key)
}

#[test]
fn on_release_runs_once_for_each_value_on_the_global_clear() {
    let _guard = exclusive();
    let a = global_resource(1);
    let b = global_resource(2);
    fncache::cache_resource::clear();
    assert_released_exactly(&GLOBAL_RELEASED, &[a.serial, b.serial]);
    assert_eq!(global_resource::__fncache().len(), 0);
    fncache::cache_resource::clear();
    assert_released_exactly(&GLOBAL_RELEASED, &[a.serial, b.serial]);
    let a2 = global_resource(1);
    assert!(!Arc::ptr_eq(&a, &a2));
    assert_eq!(GLOBAL_CALLS.load(SeqCst), 3);
}

// ---------------------------------------------------------------------------------------------
// Panics in the hooks.

static PANICKY_VALIDATE_CALLS: AtomicUsize = AtomicUsize::new(0);
static PANICKY_VALIDATE_RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());
static VALIDATE_PANICS: AtomicBool = AtomicBool::new(false);

fn validate_or_panic(_: &Tracked) -> bool {
    assert!(!VALIDATE_PANICS.load(SeqCst), "validate blew up");
    true
}

#[cache_resource(
    validate = validate_or_panic,
    on_release = |t: &Tracked| lock(&PANICKY_VALIDATE_RELEASED).push(t.serial),
)]
fn panicky_validate(key: u32) -> Tracked {
    PANICKY_VALIDATE_CALLS.fetch_add(1, SeqCst);
    tracked(key)
}

#[test]
fn a_panicking_validate_counts_as_invalid() {
    let _guard = shared();
    let first = panicky_validate(1);
    assert!(Arc::ptr_eq(&first, &panicky_validate(1)));
    VALIDATE_PANICS.store(true, SeqCst);
    let second = catch_unwind(|| panicky_validate(1)).expect("the panic must not reach the caller");
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(PANICKY_VALIDATE_CALLS.load(SeqCst), 2);
    assert_released_exactly(&PANICKY_VALIDATE_RELEASED, &[first.serial]);
    VALIDATE_PANICS.store(false, SeqCst);
    assert!(Arc::ptr_eq(&second, &panicky_validate(1)));
    assert_eq!(PANICKY_VALIDATE_CALLS.load(SeqCst), 2);
}

static PANICKY_RELEASES: AtomicUsize = AtomicUsize::new(0);
static PANICKY_RELEASE_CALLS: AtomicUsize = AtomicUsize::new(0);

fn release_and_panic(_: &Tracked) {
    PANICKY_RELEASES.fetch_add(1, SeqCst);
    panic!("on_release blew up");
}

#[cache_resource(max_entries = 2, on_release = release_and_panic)]
fn panicky_release(key: u32) -> Tracked {
    PANICKY_RELEASE_CALLS.fetch_add(1, SeqCst);
    tracked(key)
}

#[test]
fn a_panicking_on_release_does_not_break_the_cache() {
    let _guard = shared();
    let one = panicky_release(1);
    panicky_release(2);
    // Evicting 1 panics in on_release: the caller of 3 still gets its value.
    let three = catch_unwind(|| panicky_release(3)).expect("the panic must not reach the caller");
    assert_eq!(three.key, 3);
    assert_eq!(PANICKY_RELEASES.load(SeqCst), 1);
    assert_eq!(panicky_release::__fncache().len(), 2);
    assert!(Arc::ptr_eq(&three, &panicky_release(3)));

    catch_unwind(|| panicky_release::clear_entry(2)).expect("clear_entry must not panic");
    assert_eq!(PANICKY_RELEASES.load(SeqCst), 2);
    catch_unwind(panicky_release::clear).expect("clear must not panic");
    assert_eq!(PANICKY_RELEASES.load(SeqCst), 3);
    assert_eq!(panicky_release::__fncache().len(), 0);

    // Still usable: a miss, then a hit.
    let one_again = panicky_release(1);
    assert!(!Arc::ptr_eq(&one, &one_again));
    assert!(Arc::ptr_eq(&one_again, &panicky_release(1)));
    assert_eq!(PANICKY_RELEASE_CALLS.load(SeqCst), 4);
}

static REENTRANT_RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[cache_resource]
fn helper(key: u32) -> u32 {
    key
}

/// Uses cached functions, including its own cache: no lock may be held while it runs.
fn release_reentrant(t: &Tracked) {
    lock(&REENTRANT_RELEASED).push(t.key);
    assert_eq!(*helper(t.key), t.key);
    reentrant::clear();
}

#[cache_resource(max_entries = 2, on_release = release_reentrant)]
fn reentrant(key: u32) -> Tracked {
    tracked(key)
}

#[test]
fn on_release_may_call_cached_functions_and_clear_its_own_cache() {
    let _guard = shared();
    reentrant(1);
    reentrant(2);
    // Evicting 1 runs on_release, which clears the cache: 2 and 3 are released in turn.
    let three = reentrant(3);
    assert_eq!(three.key, 3);
    let mut released = lock(&REENTRANT_RELEASED).clone();
    released.sort_unstable();
    assert_eq!(released, [1, 2, 3]);
    assert_eq!(reentrant::__fncache().len(), 0);
    let again = reentrant(1);
    assert!(Arc::ptr_eq(&again, &reentrant(1)));
}
