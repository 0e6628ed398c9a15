use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Not serializable: fine, since the parameters of this type are not hashed.
struct Logger;

#[cache_data]
fn fetch(_log: &Logger, url: String, _: u32, _retries: u32) -> usize {
    RUNS.fetch_add(1, Ordering::SeqCst);
    url.len()
}

fn main() {
    assert_eq!(fetch(&Logger, "abc".into(), 1, 3), 3);
    assert_eq!(fetch(&Logger, "abc".into(), 2, 5), 3);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    fetch::clear_entry("abc".into());
    fetch(&Logger, "abc".into(), 1, 3);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}
