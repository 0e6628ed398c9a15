//! Clearing: one function's entries, one entry, every cache of a kind, and a clear that lands
//! while a computation is in flight.
//!
//! The global clears empty every cache of this test binary, so every test here takes
//! [`common::serial`].

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;

use common::{Gate, lock, serial};
use fncache::{cache_data, cache_resource};

static DOUBLE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn double(x: u32) -> u32 {
    DOUBLE_CALLS.fetch_add(1, SeqCst);
    x * 2
}

#[test]
fn clear_drops_every_entry_of_the_function() {
    let _serial = serial();
    let before = DOUBLE_CALLS.load(SeqCst);
    double(1);
    double(2);
    double(1);
    assert_eq!(DOUBLE_CALLS.load(SeqCst), before + 2);
    assert_eq!(double::__fncache().len(), 2);
    double::clear();
    assert_eq!(double::__fncache().len(), 0);
    assert_eq!(double(1), 2);
    assert_eq!(double(2), 4);
    assert_eq!(DOUBLE_CALLS.load(SeqCst), before + 4, "both recomputed");
    double::clear();
    double::clear(); // clearing an empty cache is fine
    assert_eq!(double::__fncache().len(), 0);
}

static LABEL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn label(id: u32, _verbose: bool, lang: String) -> String {
    LABEL_CALLS.fetch_add(1, SeqCst);
    format!("{lang}:{id}")
}

#[test]
fn clear_entry_drops_only_that_entry() {
    let _serial = serial();
    label(1, false, "en".into());
    label(1, false, "fr".into());
    label(2, false, "en".into());
    assert_eq!(LABEL_CALLS.load(SeqCst), 3);

    label::clear_entry(1, "en".into()); // the hashed parameters, in order
    assert_eq!(label::__fncache().len(), 2);
    label(1, true, "fr".into());
    label(2, true, "en".into());
    assert_eq!(
        LABEL_CALLS.load(SeqCst),
        3,
        "the other entries are still hits"
    );
    assert_eq!(label(1, true, "en".into()), "en:1");
    assert_eq!(
        LABEL_CALLS.load(SeqCst),
        4,
        "the cleared entry is recomputed"
    );

    label::clear_entry(9, "de".into()); // never stored: nothing happens
    assert_eq!(label::__fncache().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// The global clears: each empties its own kind only.

static DATA_CALLS: AtomicUsize = AtomicUsize::new(0);
static OTHER_DATA_CALLS: AtomicUsize = AtomicUsize::new(0);
static RESOURCE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn some_data(x: u32) -> u32 {
    DATA_CALLS.fetch_add(1, SeqCst);
    x
}

#[cache_data]
fn other_data(x: u32) -> String {
    OTHER_DATA_CALLS.fetch_add(1, SeqCst);
    x.to_string()
}

struct Resource(u32);

#[cache_resource]
fn some_resource(x: u32) -> Resource {
    RESOURCE_CALLS.fetch_add(1, SeqCst);
    Resource(x)
}

#[test]
fn cache_data_clear_empties_every_data_cache_and_no_resource_cache() {
    let _serial = serial();
    some_data(1);
    other_data(1);
    let resource = some_resource(1);
    let (data, other, res) = (
        DATA_CALLS.load(SeqCst),
        OTHER_DATA_CALLS.load(SeqCst),
        RESOURCE_CALLS.load(SeqCst),
    );

    fncache::cache_data::clear();
    assert_eq!(some_data::__fncache().len(), 0);
    assert_eq!(other_data::__fncache().len(), 0);
    some_data(1);
    other_data(1);
    assert_eq!(DATA_CALLS.load(SeqCst), data + 1);
    assert_eq!(OTHER_DATA_CALLS.load(SeqCst), other + 1);
    assert!(
        Arc::ptr_eq(&resource, &some_resource(1)),
        "resources survive"
    );
    assert_eq!(resource.0, 1);
    assert_eq!(RESOURCE_CALLS.load(SeqCst), res);
}

#[test]
fn cache_resource_clear_empties_every_resource_cache_and_no_data_cache() {
    let _serial = serial();
    some_data(2);
    let resource = some_resource(2);
    let (data, res) = (DATA_CALLS.load(SeqCst), RESOURCE_CALLS.load(SeqCst));

    fncache::cache_resource::clear();
    assert_eq!(some_resource::__fncache().len(), 0);
    let again = some_resource(2);
    assert!(!Arc::ptr_eq(&resource, &again));
    assert_eq!(RESOURCE_CALLS.load(SeqCst), res + 1);
    some_data(2);
    assert_eq!(DATA_CALLS.load(SeqCst), data, "data survives");
}

#[test]
fn a_global_clear_before_first_use_is_harmless() {
    let _serial = serial();
    #[cache_data]
    fn never_called_before(x: u32) -> u32 {
        x
    }
    fncache::cache_data::clear();
    fncache::cache_resource::clear();
    assert_eq!(never_called_before::__fncache().len(), 0);
    assert_eq!(never_called_before(3), 3);
    assert_eq!(never_called_before::__fncache().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// A clear is never undone by a computation that started before it.

/// Runs `call` on another thread, holds its body at `gate`, runs `clear`, then lets the body
/// finish. Returns what the held call returned.
fn clear_while_in_flight<T: Send + 'static>(
    gate: &'static Gate,
    call: fn() -> T,
    clear: impl FnOnce(),
) -> T {
    let held = thread::spawn(call);
    gate.wait_entered(1);
    clear();
    gate.open();
    held.join().expect("the held call succeeds")
}

static HELD_GATE: Gate = Gate::new();
static HELD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn held(x: u32) -> u32 {
    let n = HELD_CALLS.fetch_add(1, SeqCst) as u32;
    HELD_GATE.pass();
    x * 100 + n
}

#[test]
fn clear_during_a_computation_is_not_undone() {
    let _serial = serial();
    let value = clear_while_in_flight(&HELD_GATE, || held(1), held::clear);
    assert_eq!(value, 100, "the computing caller gets its value");
    assert_eq!(held::__fncache().len(), 0, "but it is not stored");
    assert_eq!(held(1), 101, "the next call recomputes");
    assert_eq!(held(1), 101, "and that value is stored");
    assert_eq!(HELD_CALLS.load(SeqCst), 2);
}

static ENTRY_GATE: Gate = Gate::new();
static ENTRY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn held_entry(x: u32) -> u32 {
    let n = ENTRY_CALLS.fetch_add(1, SeqCst) as u32;
    ENTRY_GATE.pass();
    x * 100 + n
}

#[test]
fn clear_entry_during_a_computation_is_not_undone() {
    let _serial = serial();
    let value = clear_while_in_flight(&ENTRY_GATE, || held_entry(1), || held_entry::clear_entry(1));
    assert_eq!(value, 100);
    assert_eq!(held_entry::__fncache().len(), 0);
    assert_eq!(held_entry(1), 101);
    assert_eq!(held_entry(1), 101);
}

static GLOBAL_GATE: Gate = Gate::new();
static GLOBAL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn held_global(x: u32) -> u32 {
    let n = GLOBAL_CALLS.fetch_add(1, SeqCst) as u32;
    GLOBAL_GATE.pass();
    x * 100 + n
}

#[test]
fn a_global_clear_during_a_computation_is_not_undone() {
    let _serial = serial();
    let value = clear_while_in_flight(&GLOBAL_GATE, || held_global(1), fncache::cache_data::clear);
    assert_eq!(value, 100);
    assert_eq!(held_global::__fncache().len(), 0);
    assert_eq!(held_global(1), 101);
    assert_eq!(held_global(1), 101);
}

static RACE_GATE: Gate = Gate::new();
static RACE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn raced(x: u32) -> u32 {
    let n = RACE_CALLS.fetch_add(1, SeqCst) as u32;
    RACE_GATE.pass();
    x * 100 + n
}

#[test]
fn a_computation_started_before_a_clear_does_not_overwrite_one_started_after() {
    let _serial = serial();
    let before = thread::spawn(|| raced(1));
    RACE_GATE.wait_entered(1);
    raced::clear();
    // The key is free again: a new caller computes it, alongside the old computation.
    let after = thread::spawn(|| raced(1));
    RACE_GATE.wait_entered(2);
    RACE_GATE.open();
    assert_eq!(before.join().unwrap(), 100);
    assert_eq!(after.join().unwrap(), 101);
    assert_eq!(
        raced(1),
        101,
        "the value computed after the clear is the one stored"
    );
    assert_eq!(RACE_CALLS.load(SeqCst), 2);
}

static RESOURCE_GATE: Gate = Gate::new();
static HELD_RESOURCE_CALLS: AtomicUsize = AtomicUsize::new(0);
static HELD_RESOURCE_RELEASED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

struct Numbered(usize);

#[cache_resource(on_release = |n: &Numbered| lock(&HELD_RESOURCE_RELEASED).push(n.0))]
fn held_resource(x: u32) -> Numbered {
    let _ = x;
    let n = HELD_RESOURCE_CALLS.fetch_add(1, SeqCst);
    RESOURCE_GATE.pass();
    Numbered(n)
}

#[test]
fn a_resource_clear_during_a_computation_is_not_undone() {
    let _serial = serial();
    let stored_before = held_resource::__fncache().len();
    assert_eq!(stored_before, 0);
    let value = clear_while_in_flight(&RESOURCE_GATE, || held_resource(1), held_resource::clear);
    assert_eq!(value.0, 0, "the computing caller gets its value");
    assert_eq!(held_resource::__fncache().len(), 0, "but it is not stored");
    let next = held_resource(1);
    assert_eq!(next.0, 1, "the next call recomputes");
    assert!(Arc::ptr_eq(&next, &held_resource(1)));
    assert!(
        !lock(&HELD_RESOURCE_RELEASED).contains(&1),
        "the stored value is never released while cached"
    );
}
