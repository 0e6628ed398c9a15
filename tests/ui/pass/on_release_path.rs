use fncache::cache_resource;
use std::sync::atomic::{AtomicUsize, Ordering};

static RELEASED: AtomicUsize = AtomicUsize::new(0);

fn release(_: &String) {
    RELEASED.fetch_add(1, Ordering::SeqCst);
}

#[cache_resource(on_release = release)]
fn name(id: u32) -> String {
    format!("#{id}")
}

fn main() {
    name(1);
    name(2);
    assert_eq!(RELEASED.load(Ordering::SeqCst), 0);
    name::clear_entry(1);
    assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
    name::clear();
    assert_eq!(RELEASED.load(Ordering::SeqCst), 2);
}
