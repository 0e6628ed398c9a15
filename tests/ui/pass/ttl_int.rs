use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(ttl = 60)]
fn square(x: u32) -> u32 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    x * x
}

fn main() {
    assert_eq!(square(3), 9);
    fncache::clock::advance(Duration::from_secs(59));
    assert_eq!(square(3), 9);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    fncache::clock::advance(Duration::from_secs(2));
    assert_eq!(square(3), 9);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}
