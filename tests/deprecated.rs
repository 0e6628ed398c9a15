//! The deprecated attributes keep working: `#[experimental_memo]` is `#[cache_data]`,
//! `#[experimental_singleton]` is `#[cache_resource]`, and `#[cache]` is either, by
//! `allow_output_mutation`. Migrating keeps a function's cache identity, and each deprecated
//! function logs its text once at run time.
//!
//! The equivalences are shown by running one scenario against a deprecated function and its
//! new twin and comparing what each observed, besides asserting what the scenario must see.
//! The compile-time warnings and the errors for removed options are UI tests:
//! `tests/ui/{pass,fail}/deprecated_*.rs`.
//!
//! Every test that calls a cached function takes [`common::shared`], except the one that calls
//! the process-wide clears, which takes [`common::exclusive`]; the ttl test, which advances the
//! clock, also takes [`common::serial`].
#![allow(deprecated)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use common::{exclusive, lock, serial, shared};
use fncache::__private::{DataCache, FnId, ResourceCache};
use fncache::{cache, cache_data, cache_resource, experimental_memo, experimental_singleton};

// ---------------------------------------------------------------------------------------------
// `#[experimental_memo]` == `#[cache_data]` (and `#[cache]` without `allow_output_mutation`).

fn rows_body(n: u32) -> Result<Vec<String>, String> {
    if n == 0 {
        return Err("no rows".to_owned());
    }
    Ok((0..n).map(|i| format!("row{i}")).collect())
}

static MEMO_ROWS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[experimental_memo(max_entries = 2)]
fn memo_rows(n: u32, _note: &str) -> Result<Vec<String>, String> {
    MEMO_ROWS_CALLS.fetch_add(1, SeqCst);
    rows_body(n)
}

static DATA_ROWS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(max_entries = 2)]
fn data_rows(n: u32, _note: &str) -> Result<Vec<String>, String> {
    DATA_ROWS_CALLS.fetch_add(1, SeqCst);
    rows_body(n)
}

static CACHE_ROWS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache(max_entries = 2, suppress_st_warning = true)]
fn cache_rows(n: u32, _note: &str) -> Result<Vec<String>, String> {
    CACHE_ROWS_CALLS.fetch_add(1, SeqCst);
    rows_body(n)
}

/// One data-cached function and its controls, as the scenario drives it.
struct DataFn {
    call: fn(u32, &str) -> Result<Vec<String>, String>,
    calls: &'static AtomicUsize,
    len: fn() -> usize,
    clear_entry: fn(u32),
    clear: fn(),
}

/// Runs the same calls against `f`, asserts what `#[cache_data]` must do, and returns what it
/// observed (results, body runs, entries) so that two functions can be compared step by step.
fn data_scenario(f: &DataFn) -> Vec<String> {
    let mut trace = Vec::new();
    let mut observe = |step: &str, result: &Result<Vec<String>, String>| {
        trace.push(format!(
            "{step}: {result:?}, runs {}, entries {}",
            f.calls.load(SeqCst),
            (f.len)()
        ));
    };
    let three = Ok(vec![
        "row0".to_owned(),
        "row1".to_owned(),
        "row2".to_owned(),
    ]);

    let mut first = (f.call)(3, "first");
    observe("miss", &first);
    assert_eq!(first, three);
    assert_eq!(f.calls.load(SeqCst), 1);

    // A fresh copy per hit; `_note` is not in the key.
    first.as_mut().unwrap().push("intruder".to_owned());
    let second = (f.call)(3, "second");
    observe("hit", &second);
    assert_eq!(second, three, "a caller's mutation leaked into the cache");
    assert_eq!(f.calls.load(SeqCst), 1, "a hit ran the body");

    // An `Err` is returned, not stored.
    let error = (f.call)(0, "error");
    observe("err", &error);
    let again = (f.call)(0, "error");
    observe("err again", &again);
    assert_eq!(again, Err("no rows".to_owned()));
    assert_eq!(f.calls.load(SeqCst), 3, "an `Err` was cached");
    assert_eq!((f.len)(), 1);

    // `max_entries = 2`, least recently used first: 3 goes when 2 arrives.
    observe("one", &(f.call)(1, ""));
    observe("two", &(f.call)(2, ""));
    assert_eq!((f.len)(), 2);
    let evicted = (f.call)(3, "");
    observe("evicted", &evicted);
    assert_eq!(f.calls.load(SeqCst), 6, "3 was the least recently used");
    observe("kept", &(f.call)(2, ""));
    assert_eq!(f.calls.load(SeqCst), 6, "2 was used more recently than 1");

    (f.clear_entry)(2);
    observe("cleared entry", &Ok(Vec::new()));
    assert_eq!((f.len)(), 1);
    observe("recomputed", &(f.call)(2, ""));
    assert_eq!(f.calls.load(SeqCst), 7);

    (f.clear)();
    observe("cleared", &Ok(Vec::new()));
    assert_eq!((f.len)(), 0);
    trace
}

#[test]
fn experimental_memo_behaves_exactly_like_cache_data() {
    let _guard = shared();
    let memo = data_scenario(&DataFn {
        call: memo_rows,
        calls: &MEMO_ROWS_CALLS,
        len: || memo_rows::__fncache().len(),
        clear_entry: memo_rows::clear_entry,
        clear: memo_rows::clear,
    });
    let data = data_scenario(&DataFn {
        call: data_rows,
        calls: &DATA_ROWS_CALLS,
        len: || data_rows::__fncache().len(),
        clear_entry: data_rows::clear_entry,
        clear: data_rows::clear,
    });
    assert_eq!(memo, data);
}

#[test]
fn cache_without_allow_output_mutation_behaves_exactly_like_cache_data() {
    let _guard = shared();
    let old = data_scenario(&DataFn {
        call: cache_rows,
        calls: &CACHE_ROWS_CALLS,
        len: || cache_rows::__fncache().len(),
        clear_entry: cache_rows::clear_entry,
        clear: cache_rows::clear,
    });
    // The expected trace, written out: the scenario above is not vacuous for the new twin.
    let expected = [
        r#"miss: Ok(["row0", "row1", "row2"]), runs 1, entries 1"#,
        r#"hit: Ok(["row0", "row1", "row2"]), runs 1, entries 1"#,
        r#"err: Err("no rows"), runs 2, entries 1"#,
        r#"err again: Err("no rows"), runs 3, entries 1"#,
        r#"one: Ok(["row0"]), runs 4, entries 2"#,
        r#"two: Ok(["row0", "row1"]), runs 5, entries 2"#,
        r#"evicted: Ok(["row0", "row1", "row2"]), runs 6, entries 2"#,
        r#"kept: Ok(["row0", "row1"]), runs 6, entries 2"#,
        r#"cleared entry: Ok([]), runs 6, entries 1"#,
        r#"recomputed: Ok(["row0", "row1"]), runs 7, entries 2"#,
        r#"cleared: Ok([]), runs 7, entries 0"#,
    ];
    assert_eq!(old, expected);
}

// The cache's type is decided by the attribute: these only compile if it is the right one.
#[test]
fn the_attribute_and_its_options_decide_the_kind_of_cache() {
    let _: &'static DataCache = memo_rows::__fncache();
    let _: &'static DataCache = cache_rows::__fncache();
    let _: &'static DataCache = cache_copies::__fncache();
    let _: &'static ResourceCache = singleton_engine::__fncache();
    let _: &'static ResourceCache = cache_shared_log::__fncache();
}

static CACHE_COPIES_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache(
    allow_output_mutation = false,
    ttl = 3600,
    show_spinner = false,
    persist = false
)]
fn cache_copies(n: usize) -> Vec<Vec<u8>> {
    CACHE_COPIES_CALLS.fetch_add(1, SeqCst);
    vec![vec![7; n]; n]
}

#[test]
fn cache_with_allow_output_mutation_false_returns_fresh_copies() {
    let _guard = shared();
    let mut first: Vec<Vec<u8>> = cache_copies(2);
    first[0][0] = 0;
    first.push(Vec::new());
    assert_eq!(cache_copies(2), [[7, 7], [7, 7]]);
    assert_eq!(CACHE_COPIES_CALLS.load(SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// `#[experimental_singleton]` == `#[cache_resource]`.

/// Neither `Clone` nor `Serialize`: only shareable.
struct Engine {
    name: String,
    alive: AtomicBool,
}

fn engine_body(name: String) -> Result<Engine, String> {
    if name.is_empty() {
        return Err("no name".to_owned());
    }
    Ok(Engine {
        name,
        alive: AtomicBool::new(true),
    })
}

fn engine_alive(engine: &Engine) -> bool {
    engine.alive.load(SeqCst)
}

static SINGLETON_CALLS: AtomicUsize = AtomicUsize::new(0);
static SINGLETON_RELEASED: AtomicUsize = AtomicUsize::new(0);

#[experimental_singleton(validate = engine_alive, on_release = |_: &Engine| { SINGLETON_RELEASED.fetch_add(1, SeqCst); })]
fn singleton_engine(name: String) -> Result<Engine, String> {
    SINGLETON_CALLS.fetch_add(1, SeqCst);
    engine_body(name)
}

static RESOURCE_CALLS: AtomicUsize = AtomicUsize::new(0);
static RESOURCE_RELEASED: AtomicUsize = AtomicUsize::new(0);

#[cache_resource(validate = engine_alive, on_release = |_: &Engine| { RESOURCE_RELEASED.fetch_add(1, SeqCst); })]
fn resource_engine(name: String) -> Result<Engine, String> {
    RESOURCE_CALLS.fetch_add(1, SeqCst);
    engine_body(name)
}

/// One resource-cached function and its controls. `call`'s type is itself a check: the
/// declared `Result<Engine, String>` must have become `Result<Arc<Engine>, String>`.
struct ResourceFn {
    call: fn(String) -> Result<Arc<Engine>, String>,
    calls: &'static AtomicUsize,
    released: &'static AtomicUsize,
    len: fn() -> usize,
    clear_entry: fn(String),
    clear: fn(),
}

/// Like [`data_scenario`], for `#[cache_resource]`: one shared `Arc`, `validate`, `on_release`.
fn resource_scenario(f: &ResourceFn) -> Vec<String> {
    let mut trace = Vec::new();
    let mut observe = |step: &str| {
        trace.push(format!(
            "{step}: runs {}, released {}, entries {}",
            f.calls.load(SeqCst),
            f.released.load(SeqCst),
            (f.len)()
        ));
    };

    let a = (f.call)("gpu".into()).unwrap();
    let b = (f.call)("gpu".into()).unwrap();
    observe("miss, hit");
    assert!(Arc::ptr_eq(&a, &b), "a hit must share the same `Arc`");
    assert_eq!(a.name, "gpu");
    assert_eq!(f.calls.load(SeqCst), 1);

    assert_eq!((f.call)(String::new()).err(), Some("no name".to_owned()));
    assert!((f.call)(String::new()).is_err());
    observe("err twice");
    assert_eq!(f.calls.load(SeqCst), 3, "an `Err` was cached");
    assert_eq!((f.len)(), 1);

    a.alive.store(false, SeqCst);
    let c = (f.call)("gpu".into()).unwrap();
    observe("failed validate");
    assert!(!Arc::ptr_eq(&a, &c), "a failed `validate` must recompute");
    assert_eq!(f.calls.load(SeqCst), 4);
    assert_eq!(
        f.released.load(SeqCst),
        1,
        "the invalid value was not released"
    );
    assert_eq!(
        a.name, "gpu",
        "a caller's `Arc` stays valid after its release"
    );

    let _other = (f.call)("cpu".into()).unwrap();
    (f.clear_entry)("gpu".into());
    observe("clear_entry");
    assert_eq!(f.released.load(SeqCst), 2);
    assert_eq!((f.len)(), 1);

    (f.clear)();
    observe("clear");
    assert_eq!(f.released.load(SeqCst), 3);
    assert_eq!((f.len)(), 0);
    trace
}

#[test]
fn experimental_singleton_behaves_exactly_like_cache_resource() {
    let _guard = shared();
    let singleton = resource_scenario(&ResourceFn {
        call: singleton_engine,
        calls: &SINGLETON_CALLS,
        released: &SINGLETON_RELEASED,
        len: || singleton_engine::__fncache().len(),
        clear_entry: singleton_engine::clear_entry,
        clear: singleton_engine::clear,
    });
    let resource = resource_scenario(&ResourceFn {
        call: resource_engine,
        calls: &RESOURCE_CALLS,
        released: &RESOURCE_RELEASED,
        len: || resource_engine::__fncache().len(),
        clear_entry: resource_engine::clear_entry,
        clear: resource_engine::clear,
    });
    assert_eq!(singleton, resource);
    assert_eq!(
        singleton.last().map(String::as_str),
        Some("clear: runs 5, released 3, entries 0")
    );
}

// ---------------------------------------------------------------------------------------------
// `#[cache(allow_output_mutation = true)]` == `#[cache_resource]`: the old way to share a
// mutable value, which is now one `Arc` whose interior mutability every caller sees.

static SHARED_LOG_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache(
    allow_output_mutation = true,
    max_entries = 4,
    show_spinner = "Opening..."
)]
fn cache_shared_log(name: &'static str) -> Mutex<Vec<String>> {
    SHARED_LOG_CALLS.fetch_add(1, SeqCst);
    Mutex::new(vec![format!("opened {name}")])
}

#[test]
fn cache_with_allow_output_mutation_shares_one_arc() {
    let _guard = shared();
    let first: Arc<Mutex<Vec<String>>> = cache_shared_log("audit");
    lock(&first).push("mutated by the first caller".to_owned());

    let second = cache_shared_log("audit");
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(
        *lock(&second),
        ["opened audit", "mutated by the first caller"],
        "the mutation must be seen by the next caller, as `allow_output_mutation` promised"
    );
    let from_thread = std::thread::spawn(|| cache_shared_log("audit"))
        .join()
        .unwrap();
    assert!(Arc::ptr_eq(&first, &from_thread));
    assert_eq!(SHARED_LOG_CALLS.load(SeqCst), 1);

    cache_shared_log::clear_entry("audit");
    let fresh = cache_shared_log("audit");
    assert!(!Arc::ptr_eq(&first, &fresh));
    assert_eq!(*lock(&fresh), ["opened audit"]);
}

static CACHE_RESULT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache(allow_output_mutation = true)]
fn cache_result_resource(ok: bool) -> Result<Mutex<u32>, String> {
    CACHE_RESULT_CALLS.fetch_add(1, SeqCst);
    if ok {
        Ok(Mutex::new(0))
    } else {
        Err("failed".to_owned())
    }
}

#[test]
fn cache_with_allow_output_mutation_shares_the_ok_of_a_result() {
    let _guard = shared();
    let a: Result<Arc<Mutex<u32>>, String> = cache_result_resource(true);
    let b = cache_result_resource(true);
    assert!(Arc::ptr_eq(a.as_ref().unwrap(), b.as_ref().unwrap()));
    assert_eq!(
        cache_result_resource(false).err(),
        Some("failed".to_owned())
    );
    assert!(cache_result_resource(false).is_err());
    assert_eq!(CACHE_RESULT_CALLS.load(SeqCst), 3, "an `Err` was cached");
}

// ---------------------------------------------------------------------------------------------
// Options and process-wide controls apply to the deprecated forms as to the new ones.

static TTL_MEMO_CALLS: AtomicUsize = AtomicUsize::new(0);

#[experimental_memo(ttl = 60)]
fn ttl_memo(x: u32) -> u32 {
    TTL_MEMO_CALLS.fetch_add(1, SeqCst);
    x + 1
}

static TTL_SINGLETON_CALLS: AtomicUsize = AtomicUsize::new(0);

#[experimental_singleton(ttl = "1m")]
fn ttl_singleton(x: u32) -> u32 {
    TTL_SINGLETON_CALLS.fetch_add(1, SeqCst);
    x + 1
}

static TTL_CACHE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache(ttl = 60.0, allow_output_mutation = true)]
fn ttl_cache(x: u32) -> u32 {
    TTL_CACHE_CALLS.fetch_add(1, SeqCst);
    x + 1
}

#[test]
fn ttl_expires_entries_of_the_deprecated_attributes() {
    let _serial = serial();
    let _guard = shared();
    let runs = || {
        [
            TTL_MEMO_CALLS.load(SeqCst),
            TTL_SINGLETON_CALLS.load(SeqCst),
            TTL_CACHE_CALLS.load(SeqCst),
        ]
    };
    let call_all = || {
        assert_eq!(ttl_memo(1), 2);
        assert_eq!(*ttl_singleton(1), 2);
        assert_eq!(*ttl_cache(1), 2);
    };
    call_all();
    call_all();
    assert_eq!(runs(), [1, 1, 1]);
    fncache::clock::advance(Duration::from_secs(59));
    call_all();
    assert_eq!(runs(), [1, 1, 1], "expired before its ttl");
    fncache::clock::advance(Duration::from_secs(2));
    call_all();
    assert_eq!(runs(), [2, 2, 2], "not expired after its ttl");
}

static GLOBAL_MEMO_CALLS: AtomicUsize = AtomicUsize::new(0);

#[experimental_memo]
fn global_memo() -> String {
    GLOBAL_MEMO_CALLS.fetch_add(1, SeqCst);
    "memo".to_owned()
}

static GLOBAL_SINGLETON_RELEASED: AtomicUsize = AtomicUsize::new(0);

#[experimental_singleton(on_release = |_: &String| { GLOBAL_SINGLETON_RELEASED.fetch_add(1, SeqCst); })]
fn global_singleton() -> String {
    "singleton".to_owned()
}

#[cache]
fn global_cache_data() -> u8 {
    1
}

#[cache(allow_output_mutation = true)]
fn global_cache_resource() -> u8 {
    2
}

#[test]
fn process_wide_clears_reach_the_deprecated_attributes_by_kind() {
    let _guard = exclusive();
    let caches = || {
        [
            global_memo::__fncache().len(),
            global_cache_data::__fncache().len(),
            global_singleton::__fncache().len(),
            global_cache_resource::__fncache().len(),
        ]
    };
    global_memo();
    global_cache_data();
    global_singleton();
    global_cache_resource();
    assert_eq!(caches(), [1, 1, 1, 1]);

    fncache::cache_data::clear();
    assert_eq!(
        caches(),
        [0, 0, 1, 1],
        "data caches are the memo and `#[cache]`"
    );
    fncache::cache_resource::clear();
    assert_eq!(caches(), [0, 0, 0, 0]);
    assert_eq!(GLOBAL_SINGLETON_RELEASED.load(SeqCst), 1);

    global_memo();
    assert_eq!(GLOBAL_MEMO_CALLS.load(SeqCst), 2);
}

#[derive(serde::Serialize)]
struct Meter {
    scale: u32,
}

static METER_CALLS: AtomicUsize = AtomicUsize::new(0);

impl Meter {
    #[experimental_memo]
    fn read(&self, raw: u32) -> u32 {
        METER_CALLS.fetch_add(1, SeqCst);
        raw * self.scale
    }
}

#[test]
fn experimental_memo_caches_a_method() {
    let _guard = shared();
    let meter = Meter { scale: 3 };
    assert_eq!(meter.read(2), 6);
    assert_eq!(meter.read(2), 6);
    assert_eq!(METER_CALLS.load(SeqCst), 1);
    assert_eq!(
        Meter { scale: 4 }.read(2),
        8,
        "the receiver is part of the key"
    );
    fncache::cache_of(Meter::read).clear();
    assert_eq!(meter.read(2), 6);
    assert_eq!(METER_CALLS.load(SeqCst), 3);
}

// ---------------------------------------------------------------------------------------------
// Migrating keeps the cache: a function's identity (its path and a hash of its code) does not
// depend on the attribute. Each pair is one function, written twice in two modules, once under
// the deprecated attribute and once under its replacement; only the module differs.

mod before_memo {
    #[fncache::experimental_memo(ttl = 60)]
    pub fn load(path: String, _retries: u8) -> Vec<u32> {
        path.bytes().map(u32::from).collect()
    }
}

mod after_memo {
    #[fncache::cache_data(ttl = 60)]
    pub fn load(path: String, _retries: u8) -> Vec<u32> {
        path.bytes().map(u32::from).collect()
    }
}

mod before_singleton {
    #[fncache::experimental_singleton]
    pub fn connect(url: String) -> Result<Vec<u8>, String> {
        Ok(url.into_bytes())
    }
}

mod after_singleton {
    #[fncache::cache_resource]
    pub fn connect(url: String) -> Result<Vec<u8>, String> {
        Ok(url.into_bytes())
    }
}

mod before_cache {
    #[fncache::cache(max_entries = 10, suppress_st_warning = true)]
    pub fn load(path: String, _retries: u8) -> Vec<u32> {
        path.bytes().map(u32::from).collect()
    }

    #[fncache::cache(allow_output_mutation = true)]
    pub fn connect(url: String) -> Result<Vec<u8>, String> {
        Ok(url.into_bytes())
    }
}

/// A control: the same name and signature with another body is another function.
mod edited {
    #[fncache::cache_data(ttl = 60)]
    pub fn load(path: String, _retries: u8) -> Vec<u32> {
        path.bytes().map(|b| u32::from(b) + 1).collect()
    }
}

/// `old` with its module swapped for `new`'s: what `old` is, once moved where `new` is (its
/// path and code; the site is where each is written, which differs by construction here).
fn moved(old: &FnId, new: &FnId) -> FnId {
    assert_eq!(old.name(), new.name());
    FnId {
        path: new.path,
        ..*old
    }
    .at(new.site)
}

#[test]
fn migrating_to_the_new_attribute_keeps_the_function_identity() {
    let memo = before_memo::load::__fncache().id();
    let data = after_memo::load::__fncache().id();
    assert_eq!(memo.path, "deprecated::before_memo::load");
    assert_eq!(data.path, "deprecated::after_memo::load");
    assert_eq!(
        moved(memo, data),
        *data,
        "`#[experimental_memo]` -> `#[cache_data]`"
    );

    let singleton = before_singleton::connect::__fncache().id();
    let resource = after_singleton::connect::__fncache().id();
    assert_eq!(
        moved(singleton, resource),
        *resource,
        "`#[experimental_singleton]` -> `#[cache_resource]`"
    );

    let cache_data = before_cache::load::__fncache().id();
    assert_eq!(
        moved(cache_data, data),
        *data,
        "`#[cache]` -> `#[cache_data]`"
    );
    let cache_resource = before_cache::connect::__fncache().id();
    assert_eq!(
        moved(cache_resource, resource),
        *resource,
        "`#[cache(allow_output_mutation = true)]` -> `#[cache_resource]`"
    );

    // Not vacuous: the code hash does see the code.
    let edited = edited::load::__fncache().id();
    assert_ne!(
        moved(edited, data),
        *data,
        "an edited body must be a new function"
    );
    assert_ne!(memo.code, resource.code);
}

#[test]
fn the_migrated_twins_compute_the_same_values() {
    let _guard = shared();
    assert_eq!(
        before_memo::load("ab".into(), 1),
        after_memo::load("ab".into(), 2)
    );
    assert_eq!(before_cache::load("ab".into(), 1), [97, 98]);
    assert_eq!(
        *before_singleton::connect("x".into()).unwrap(),
        *after_singleton::connect("x".into()).unwrap()
    );
    assert_eq!(*before_cache::connect("x".into()).unwrap(), b"x");
}

// ---------------------------------------------------------------------------------------------
// The run-time log line: a deployed program shows each deprecated function's text once.
//
// Captured by a minimal `tracing` subscriber installed as the global default (so that events
// of every thread reach it); each test's functions live in a module of their own, and a line
// is matched to its function by the module path it names.

use common::capture;

/// The compile-time text of each deprecated attribute, which the log line repeats.
const MEMO_TEXT: &str = "`#[experimental_memo]` is deprecated. Please use the new attribute `#[cache_data]` instead, which has the same behavior. More information: https://docs.rs/fncache/latest/fncache/#migrating-from-the-deprecated-attributes";
const SINGLETON_TEXT: &str = "`#[experimental_singleton]` is deprecated. Please use the new attribute `#[cache_resource]` instead, which has the same behavior. More information: https://docs.rs/fncache/latest/fncache/#migrating-from-the-deprecated-attributes";

mod log_memo {
    pub static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[fncache::experimental_memo(max_entries = 3)]
    pub fn square(x: u64) -> u64 {
        CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        x * x
    }
}

#[test]
fn experimental_memo_logs_its_text_once_on_the_first_call() {
    let _guard = shared();
    capture::install();
    log_memo::square::clear();
    assert!(
        capture::lines_about("deprecated::log_memo").is_empty(),
        "logged before the first call"
    );

    for round in 0..50 {
        assert_eq!(log_memo::square(round % 7), (round % 7).pow(2));
        if round % 10 == 0 {
            log_memo::square::clear();
        }
    }
    assert!(
        log_memo::CALLS.load(SeqCst) > 7,
        "the scenario must miss often"
    );
    let lines = capture::lines_about("deprecated::log_memo");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = &lines[0];
    assert_eq!(line.target, "fncache::deprecated");
    assert_eq!(line.level, tracing::Level::WARN);
    assert!(line.message.starts_with("fncache: "), "{line:?}");
    assert!(line.message.ends_with(MEMO_TEXT), "{line:?}");
}

mod log_singleton {
    #[fncache::experimental_singleton]
    pub fn model(layers: u32) -> Vec<f32> {
        vec![0.0; layers as usize]
    }
}

#[test]
fn experimental_singleton_logs_its_text_once() {
    let _guard = shared();
    capture::install();
    for layers in (0..40).map(|i| i % 4) {
        assert_eq!(log_singleton::model(layers).len(), layers as usize);
    }
    let lines = capture::lines_about("deprecated::log_singleton");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0].target, "fncache::deprecated");
    assert!(lines[0].message.ends_with(SINGLETON_TEXT), "{lines:?}");
}

mod log_cache_data {
    #[fncache::cache]
    pub fn bytes(n: usize) -> Vec<u8> {
        vec![1; n]
    }
}

mod log_cache_resource {
    #[fncache::cache(allow_output_mutation = true)]
    pub fn lock(n: usize) -> std::sync::Mutex<usize> {
        std::sync::Mutex::new(n)
    }
}

mod log_cache_unknown {
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Report(pub u8);

    #[fncache::cache]
    pub fn report(n: u8) -> Report {
        Report(n)
    }
}

#[test]
fn cache_logs_its_text_with_the_recommendation_once() {
    let _guard = shared();
    capture::install();
    for n in (0..30).map(|i| i % 3) {
        assert_eq!(log_cache_data::bytes(n).len(), n);
        assert_eq!(*lock(&log_cache_resource::lock(n)), n);
        assert_eq!(log_cache_unknown::report(n as u8).0, n as u8);
    }
    let link = "More information: https://docs.rs/fncache/latest/fncache/#migrating-from-the-deprecated-attributes";
    let cases = [
        (
            "deprecated::log_cache_data",
            " Based on this function's return type `Vec<u8>`, we recommend using `#[cache_data]`. ",
        ),
        (
            "deprecated::log_cache_resource",
            " Based on this function's return type `std::sync::Mutex<usize>`, we recommend using `#[cache_resource]`. ",
        ),
        ("deprecated::log_cache_unknown", " "),
    ];
    for (module, recommendation) in cases {
        let lines = capture::lines_about(module);
        assert_eq!(lines.len(), 1, "{module}: {lines:#?}");
        let expected = format!(
            "`#[cache]` is deprecated. Please use one of the new caching attributes, `#[cache_data]` or `#[cache_resource]`.{recommendation}{link}"
        );
        assert!(lines[0].message.ends_with(&expected), "{module}: {lines:?}");
        assert_eq!(lines[0].target, "fncache::deprecated");
    }
}

mod log_two_functions {
    #[fncache::experimental_memo]
    pub fn first(x: u8) -> u8 {
        x
    }

    #[fncache::experimental_memo]
    pub fn second(x: u8) -> u8 {
        x
    }
}

#[test]
fn each_deprecated_function_logs_once_even_in_one_module() {
    let _guard = shared();
    capture::install();
    for x in 0..20 {
        log_two_functions::first(x);
        log_two_functions::second(x);
    }
    // Today both lines read the same: the log names the module (`module_path!()`), not the
    // function, so only their count tells them apart.
    let lines = capture::lines_about("deprecated::log_two_functions");
    assert_eq!(lines.len(), 2, "one line per function: {lines:#?}");
}

mod log_concurrent {
    pub static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[fncache::experimental_singleton]
    pub fn shared_state(key: u8) -> u8 {
        CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        key
    }
}

#[test]
fn concurrent_first_calls_log_once() {
    let _guard = shared();
    capture::install();
    const THREADS: usize = 8;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                for round in 0..10 {
                    assert_eq!(
                        *log_concurrent::shared_state((i + round) as u8 % 3),
                        (i + round) as u8 % 3
                    );
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(
        log_concurrent::CALLS.load(SeqCst),
        3,
        "one computation per key"
    );
    let lines = capture::lines_about("deprecated::log_concurrent");
    assert_eq!(lines.len(), 1, "{lines:#?}");
}

mod log_not_deprecated {
    #[fncache::cache_data]
    pub fn data(x: u8) -> u8 {
        x
    }

    #[fncache::cache_resource]
    pub fn resource(x: u8) -> u8 {
        x
    }
}

#[test]
fn the_new_attributes_log_nothing() {
    let _guard = shared();
    capture::install();
    for x in 0..5 {
        log_not_deprecated::data(x);
        log_not_deprecated::resource(x);
    }
    assert!(
        capture::lines_about("deprecated::log_not_deprecated").is_empty(),
        "{:#?}",
        capture::lines_about("deprecated::log_not_deprecated")
    );
    // The control: a deprecated function called from this same test is seen.
    log_control::f();
    assert_eq!(capture::lines_about("deprecated::log_control").len(), 1);
}

mod log_control {
    #[fncache::experimental_memo]
    pub fn f() -> u8 {
        0
    }
}
