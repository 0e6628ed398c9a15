use fncache::{cache_data, cache_resource};
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn answer() -> u64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    42
}

#[cache_resource]
fn config() -> Vec<String> {
    vec!["a".into()]
}

fn main() {
    assert_eq!(answer(), 42);
    assert_eq!(answer(), 42);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    answer::clear_entry();
    answer();
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    assert!(std::sync::Arc::ptr_eq(&config(), &config()));
}
