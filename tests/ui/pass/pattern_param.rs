use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn add((a, b): (u32, u32), [c, _]: [u32; 2]) -> u32 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    a + b + c
}

fn main() {
    assert_eq!(add((1, 2), [3, 4]), 6);
    assert_eq!(add((1, 2), [3, 4]), 6);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    // A pattern parameter is hashed whole, even the parts it ignores.
    assert_eq!(add((1, 2), [3, 5]), 6);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    add::clear_entry((1, 2), [3, 4]);
    assert_eq!(add::__fncache().len(), 1);
}
