use fncache::cache_resource;
use std::sync::atomic::{AtomicBool, Ordering};

static BROKEN: AtomicBool = AtomicBool::new(false);

#[cache_resource(validate = |_: &Vec<u8>| !BROKEN.load(Ordering::SeqCst))]
fn buffer(size: usize) -> Vec<u8> {
    vec![0; size]
}

fn main() {
    let a = buffer(4);
    assert!(std::sync::Arc::ptr_eq(&a, &buffer(4)));
    BROKEN.store(true, Ordering::SeqCst);
    assert!(!std::sync::Arc::ptr_eq(&a, &buffer(4)));
}
