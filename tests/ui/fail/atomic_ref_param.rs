// A hashed shared reference to an atomic.
use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};

#[cache_data]
fn tick(counter: &AtomicUsize) -> usize {
    counter.fetch_add(1, Ordering::Relaxed)
}

#[cache_data]
fn flag(set: &std::sync::atomic::AtomicBool) -> bool {
    set.swap(true, Ordering::Relaxed)
}

fn main() {
    tick(&AtomicUsize::new(0));
    flag(&std::sync::atomic::AtomicBool::new(false));
}
