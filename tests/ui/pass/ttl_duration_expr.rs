use fncache::cache_resource;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource(ttl = Duration::from_secs(10))]
fn name(id: u32) -> String {
    RUNS.fetch_add(1, Ordering::SeqCst);
    format!("#{id}")
}

fn main() {
    let a = name(1);
    fncache::clock::advance(Duration::from_secs(9));
    assert!(Arc::ptr_eq(&a, &name(1)));
    fncache::clock::advance(Duration::from_secs(2));
    assert!(!Arc::ptr_eq(&a, &name(1)));
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}
