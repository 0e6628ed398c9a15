use fncache::cache_data;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn twice<T: Serialize + DeserializeOwned + Clone + 'static>(x: T) -> Vec<T> {
    RUNS.fetch_add(1, Ordering::SeqCst);
    vec![x.clone(), x]
}

fn main() {
    assert_eq!(twice(1u8), vec![1, 1]);
    assert_eq!(twice(1u8), vec![1, 1]);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    // The same bytes as another type are another key.
    assert_eq!(twice(true), vec![true, true]);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    twice::clear_entry(1u8);
    twice(1u8);
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
}
