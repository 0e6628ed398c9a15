use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(max_entries = 2)]
fn square(x: u32) -> u32 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    x * x
}

fn main() {
    square(1);
    square(2);
    square(1); // a hit: 1 is now the most recently used
    square(3); // evicts 2
    assert_eq!(square::__fncache().len(), 2);
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
    square(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
    square(2);
    assert_eq!(RUNS.load(Ordering::SeqCst), 4);
}
