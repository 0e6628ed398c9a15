use fncache::{cache_data, cache_resource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn warm_up(level: u8) {
    RUNS.fetch_add(level as usize, Ordering::SeqCst);
}

#[cache_resource]
fn init(_level: u8) {}

fn main() {
    warm_up(1);
    warm_up(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    let shared: Arc<()> = init(1);
    assert!(Arc::ptr_eq(&shared, &init(2)));
}
