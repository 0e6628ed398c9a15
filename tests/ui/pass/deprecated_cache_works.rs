// `#[cache]` with every option it accepts still compiles: a data cache (fresh copies, `-> T`)
// by default, a resource cache (one shared `Arc<T>`) with `allow_output_mutation = true`.
#![allow(deprecated)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use fncache::cache;

static ROWS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache(
    ttl = 60,
    max_entries = 100,
    persist = false,
    show_spinner = false,
    suppress_st_warning = true,
    allow_output_mutation = false
)]
fn rows(n: u32) -> Vec<u32> {
    ROWS_CALLS.fetch_add(1, SeqCst);
    (0..n).collect()
}

#[cache(
    allow_output_mutation = true,
    ttl = "10m",
    show_spinner = "Opening...",
    suppress_st_warning = false
)]
fn counter(_name: &str) -> Mutex<Vec<String>> {
    Mutex::new(Vec::new())
}

fn main() {
    let mut copy: Vec<u32> = rows(3);
    copy.clear();
    assert_eq!(rows(3), [0, 1, 2]);
    assert_eq!(ROWS_CALLS.load(SeqCst), 1);
    rows::clear();
    assert_eq!(rows(3), [0, 1, 2]);
    assert_eq!(ROWS_CALLS.load(SeqCst), 2);

    let shared: Arc<Mutex<Vec<String>>> = counter("a");
    shared.lock().unwrap().push("mutated".into());
    let again = counter("b");
    assert!(Arc::ptr_eq(&shared, &again));
    assert_eq!(*again.lock().unwrap(), ["mutated"]);
}
