use fncache::cache_data;
use serde::Serialize;
use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn describe(x: impl Serialize + Display + 'static) -> String {
    RUNS.fetch_add(1, Ordering::SeqCst);
    format!("<{x}>")
}

fn main() {
    assert_eq!(describe(1u8), "<1>");
    assert_eq!(describe(1u8), "<1>");
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    // Its concrete type is part of the key.
    assert_eq!(describe(1u16), "<1>");
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}
